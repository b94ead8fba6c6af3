/*
 * The daemon's conversation driver (convo_driver.h): loads a conversation's
 * state under lock, understands the message, runs convo_turn() with ports
 * over the daemon's services, and stores the state. conversations.state
 * holds {"core": the core's state, "link_reply": a reply waiting for its
 * deposit link's URL, "link_proactive", "link_caused_by"}.
 */
#include "convo_driver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi.h>
#include <cjson/cJSON.h>

#include "booking.h"
#include "booking_change.h"
#include "clock.h"
#include "convo/turn.h"
#include "convo_hook.h"
#include "daemon.h"
#include "daemon_deposits.h"
#include "deposit_fate.h"
#include "deposits.h"
#include "emr_call.h"
#include "emr_link.h"
#include "staff_tasks.h"
#include "convo_cache.h"
#include "convo_stats.h"
#include "convo_driver_host.h"
#include "convo_ai.h"

#define KNOWLEDGE_NOTFOUND_RC (-4) /* KNOWLEDGE_E_NOTFOUND (host/knowledge.h cannot be included here) */
#include "jobs.h"
#include "log.h"
#include "outbound.h"
#include "staff_alert.h"

DB_STMT(st_load,
        "SELECT c.state::text, c.status, c.contact_id, COALESCE(ct.phone, "
        "CASE WHEN ct.address ~ '^\\+[1-9][0-9]{6,14}$' THEN ct.address END, '') "
        "FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id "
        "WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE OF c");
DB_STMT(st_save,
        "UPDATE conversations SET state = $3::jsonb, status = $4, "
        "updated_at = to_timestamp($5::double precision / 1e6) WHERE tenant_id = $1 AND id = $2");
DB_STMT(st_holds,
        "SELECT id FROM holds WHERE tenant_id = $1 AND contact_id = $2 AND state = ANY($3::text[]) "
        "ORDER BY id DESC LIMIT $4");
DB_STMT(st_patient,
        "UPDATE holds SET patient = $3::jsonb WHERE tenant_id = $1 AND id = $2");
DB_STMT(st_link_url,
        "SELECT link_url FROM deposits WHERE tenant_id = $1 AND conversation_id = $2 "
        "AND link_url IS NOT NULL AND link_url <> '' ORDER BY id DESC LIMIT 1");

/* One conversation's turn. */
struct drv {
    struct daemon *d;
    struct db_conn *tx;
    const char *tenant;
    int64_t conv_id, contact_id, caused_by;
    char phone[64];            /* "" for a contact without one (Instagram, web chat) */
    const void *hk;
    const cJSON *doc;
    const char *currency, *deposit_policy;
    const struct convo_knowledge *ck; /* from tables */
    const struct convo_tables *tables; /* the tenant's, held from convo_cache_get */
    int64_t now;
    bool link_made;            /* a deposit link was asked for in this turn */
    bool alerted;              /* staff were alerted in this turn */
    struct emr_link emr;       /* the tenant's EMR mode and booking page */
    cJSON *drv_state;          /* the stored object (owned) */
    struct convo_ai_turn ai;   /* the tenant's model in this turn, if any */
};

static int exec_ok(struct db_conn *tx, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(tx, st, n, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

/* The ids of the contact's holds in one of states (a PostgreSQL array
 * literal), newest first, into ids[cap]. Returns how many, or -1. */
static int contact_holds(struct drv *x, const char *states, int64_t *ids, int cap)
{
    char cid[24], lim[16];
    snprintf(cid, sizeof cid, "%" PRId64, x->contact_id);
    snprintf(lim, sizeof lim, "%d", cap);
    const char *p[] = { x->tenant, cid, states, lim };
    PGresult *r = db_exec(x->tx, &st_holds, 4, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n && i < cap; i++)
        ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* ------------------------------------------------------------------ ports */

/* How far ahead a client's upcoming appointments are looked for. */
#define CLIENT_APPTS_DAYS 120

/* Adds an appointment/1 that is still booked to out->appts, keeping the
 * earliest CONVO_APPTS_MAX. */
static void client_add_appt(struct drv *x, const cJSON *a, struct convo_client *out)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "status"));
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "service_id"));
    const char *prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "provider_id"));
    const char *start = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "start"));
    const char *end = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "end"));
    int64_t s_us, e_us;
    if (!id || !id[0] || strlen(id) >= CONVO_REF_MAX || !svc || !start ||
        (status && strcmp(status, "booked") != 0) || clock_parse_rfc3339(start, &s_us) != 0 || s_us < x->now)
        return;
    int si = convo_knowledge_service(x->ck, svc);
    int pi = prov ? convo_knowledge_provider(x->ck, prov) : -1;
    if (si < 0)
        return;
    int32_t dur = x->ck->services[si].dur_min;
    if (end && clock_parse_rfc3339(end, &e_us) == 0 && e_us > s_us)
        dur = (int32_t)((e_us - s_us) / 60000000);
    size_t at = out->nappts;
    if (at == CONVO_APPTS_MAX) {
        /* Full: replace the latest when this one is earlier. */
        size_t latest = 0;
        for (size_t i = 1; i < at; i++)
            if (out->appts[i].part.start_us > out->appts[latest].part.start_us)
                latest = i;
        if (out->appts[latest].part.start_us <= s_us)
            return;
        at = latest;
    } else {
        out->nappts++;
    }
    struct convo_appt *ap = &out->appts[at];
    snprintf(ap->ref, sizeof ap->ref, "%s", id);
    ap->part.service = (int16_t)si;
    ap->part.provider = (int16_t)pi;
    ap->part.dur_min = dur;
    ap->part.start_us = s_us;
}

/* The upcoming appointments of EMR patient pid into out. Returns 0 (also
 * when the EMR cannot list them) or CONVO_PORT_UNAVAILABLE. */
static int client_appts(struct drv *x, const char *pid, struct convo_client *out)
{
    char from[32], to[32];
    cJSON *q = cJSON_CreateObject();
    char *in = NULL;
    if (!q || !cJSON_AddStringToObject(q, "patient_id", pid) ||
        !cJSON_AddStringToObject(q, "from", clock_format_utc(x->now, from)) ||
        !cJSON_AddStringToObject(q, "to", clock_format_utc(x->now + (int64_t)CLIENT_APPTS_DAYS * 86400 * 1000000,
                                                            to)) ||
        !(in = cJSON_PrintUnformatted(q))) {
        cJSON_Delete(q);
        return CONVO_E_NOMEM;
    }
    cJSON_Delete(q);
    struct emr_result r;
    int rc = emr_call(x->d->registry, x->tenant, EMR_OP_APPOINTMENT_LIST, in, NULL, 0, &r);
    cJSON_free(in);
    if (rc == BW_E_NOTSUP) {
        emr_result_free(&r);
        return 0;
    }
    if (rc != 0) {
        emr_result_free(&r);
        return CONVO_PORT_UNAVAILABLE;
    }
    cJSON *res = cJSON_ParseWithLength(r.json, r.len);
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(res, "appointments")) {
        const char *owner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "patient_id"));
        if (owner && strcmp(owner, pid) != 0)
            continue;
        client_add_appt(x, a, out);
    }
    cJSON_Delete(res);
    emr_result_free(&r);
    return 0;
}

static int port_client(void *ctx, struct convo_client *out)
{
    struct drv *x = ctx;
    memset(out, 0, sizeof *out);
    if (!x->phone[0])
        return 0; /* no phone to look up: a new client */
    cJSON *q = cJSON_CreateObject();
    char *in = NULL;
    if (!q || !cJSON_AddStringToObject(q, "phone", x->phone) || !(in = cJSON_PrintUnformatted(q))) {
        cJSON_Delete(q);
        return CONVO_E_NOMEM;
    }
    cJSON_Delete(q);
    struct emr_result r;
    int rc = emr_call(x->d->registry, x->tenant, EMR_OP_PATIENT_FIND, in, NULL, 0, &r);
    cJSON_free(in);
    if (rc == BW_E_NOTSUP) {
        emr_result_free(&r);
        return 0;
    }
    if (rc != 0) {
        emr_result_free(&r);
        return CONVO_PORT_UNAVAILABLE;
    }
    cJSON *res = cJSON_ParseWithLength(r.json, r.len);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "patients"), 0);
    if (first) {
        const char *fn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "first_name"));
        const char *ln = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "last_name"));
        out->known = true;
        snprintf(out->first, sizeof out->first, "%s", fn ? fn : "");
        snprintf(out->last, sizeof out->last, "%s", ln ? ln : "");
    }
    /* Every patient record with this phone: a clinic may hold duplicates. */
    const cJSON *pt;
    cJSON_ArrayForEach(pt, cJSON_GetObjectItemCaseSensitive(res, "patients")) {
        const char *pid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pt, "id"));
        if (pid && pid[0] && (rc = client_appts(x, pid, out)) != 0)
            break;
    }
    cJSON_Delete(res);
    emr_result_free(&r);
    return rc;
}

static int port_availability(void *ctx, const struct convo_query *q, struct convo_slot *slots, size_t cap,
                             size_t *n)
{
    struct drv *x = ctx;
    *n = 0;
    x->ai.acted = true;
    if (q->service < 0 || (size_t)q->service >= x->ck->nservices ||
        (q->provider >= 0 && (size_t)q->provider >= x->ck->nproviders))
        return CONVO_E_INVAL;
    struct cdh_slot *v = NULL;
    size_t nv = 0;
    int rc = cdh_availability(x->d, x->tx, x->tenant, x->ck->services[q->service].id,
                              q->provider >= 0 ? x->ck->providers[q->provider].id : NULL, q->from_us,
                              q->to_us, &v, &nv);
    if (rc != 0)
        return rc > 0 ? CONVO_PORT_UNAVAILABLE : CONVO_E_INVAL;
    for (size_t i = 0; i < nv && *n < cap; i++) {
        int p = convo_knowledge_provider(x->ck, v[i].provider_id);
        if (p < 0)
            continue;
        slots[*n].start_us = v[i].start_us;
        slots[*n].provider = (int16_t)p;
        (*n)++;
    }
    free(v);
    return 0;
}

/* The URL of the conversation's newest deposit link into out ("" none). */
static void stored_link(struct drv *x, char *out, size_t cap)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, x->conv_id);
    const char *p[] = { x->tenant, cid };
    PGresult *r = db_exec(x->tx, &st_link_url, 2, p);
    out[0] = '\0';
    if (db_ok(r) && PQntuples(r) == 1)
        snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* text with CONVO_LINK_MARK replaced by url into out. */
static void fill_link(const char *text, const char *url, char *out, size_t cap)
{
    const char *m = strstr(text, CONVO_LINK_MARK);
    if (!m) {
        snprintf(out, cap, "%s", text);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(m - text), text, url, m + strlen(CONVO_LINK_MARK));
}

static int send_reply(struct drv *x, const char *text, const char *kind)
{
    struct outbound_msg m = { .tenant_id = x->tenant, .conversation_id = x->conv_id, .kind = kind,
                              .text = text, .caused_by = x->caused_by };
    return outbound_enqueue(x->tx, &m, NULL) == 0 ? 0 : -1;
}

static int act_reply(struct drv *x, const struct convo_action *a)
{
    const char *kind = a->textback ? "textback" : a->proactive ? "proactive" : "reply";
    if (strstr(a->text, CONVO_BOOKING_MARK)) {
        /* The clinic's own booking page (a link-only EMR's booking_url). */
        const char *m = strstr(a->text, CONVO_BOOKING_MARK);
        char text[OUTBOUND_TEXT_MAX + 1];
        snprintf(text, sizeof text, "%.*s%s%s", (int)(m - a->text), a->text, x->emr.booking_url,
                 m + strlen(CONVO_BOOKING_MARK));
        return send_reply(x, text, kind);
    }
    if (strstr(a->text, CONVO_LINK_MARK)) {
        if (x->link_made) {
            /* Sent by the link job once the URL exists, with the clinic's
             * policy (what happens to the deposit) when it fits. */
            char held[OUTBOUND_TEXT_MAX + 1];
            size_t n = strlen(a->text), np = x->deposit_policy ? strlen(x->deposit_policy) : 0;
            if (np && n - strlen(CONVO_LINK_MARK) + CONVO_LINK_BUDGET + 1 + np <= CONVO_TEXT_MAX - 1)
                snprintf(held, sizeof held, "%s %s", a->text, x->deposit_policy);
            else
                snprintf(held, sizeof held, "%s", a->text);
            cJSON_DeleteItemFromObjectCaseSensitive(x->drv_state, "link_reply");
            cJSON_DeleteItemFromObjectCaseSensitive(x->drv_state, "link_kind");
            cJSON_DeleteItemFromObjectCaseSensitive(x->drv_state, "link_caused_by");
            if (!cJSON_AddStringToObject(x->drv_state, "link_reply", held) ||
                !cJSON_AddStringToObject(x->drv_state, "link_kind", kind) ||
                !cJSON_AddNumberToObject(x->drv_state, "link_caused_by", (double)x->caused_by))
                return CONVO_E_NOMEM;
            return 0;
        }
        char url[600], text[OUTBOUND_TEXT_MAX + 1];
        stored_link(x, url, sizeof url);
        fill_link(a->text, url, text, sizeof text);
        return send_reply(x, text, kind);
    }
    return send_reply(x, convo_ai_reply_text(&x->ai, a), kind);
}

/* The patient JSON stored on a hold (what the booking writer creates). */
static char *patient_json(struct drv *x, const char *first, const char *last, const char *email)
{
    cJSON *p = cJSON_CreateObject();
    char *s = NULL;
    if (p && (!x->phone[0] || cJSON_AddStringToObject(p, "phone", x->phone)) &&
        (!first || !first[0] || cJSON_AddStringToObject(p, "first_name", first)) &&
        (!last || !last[0] || cJSON_AddStringToObject(p, "last_name", last)) &&
        (!email || !email[0] || cJSON_AddStringToObject(p, "email", email)))
        s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

static int act_hold(struct drv *x, const struct convo_action *a)
{
    int64_t got[CONVO_VISIT_MAX];
    int rc = 0;
    uint8_t i;
    char *pj = patient_json(x, NULL, NULL, NULL);
    if (!pj)
        return CONVO_E_NOMEM;
    for (i = 0; i < a->visit.n; i++) {
        const struct convo_part *pt = &a->visit.part[i];
        if (pt->service < 0 || pt->provider < 0) {
            rc = CONVO_E_INVAL;
            break;
        }
        int hr = cdh_hold(x->tx, x->hk, x->ck->services[pt->service].id, x->ck->providers[pt->provider].id,
                          pt->start_us, x->contact_id, pj, &got[i]);
        if (hr != 0) {
            rc = hr > 0 ? CONVO_PORT_TAKEN : -1;
            break;
        }
    }
    if (rc == CONVO_PORT_TAKEN)
        for (uint8_t j = 0; j < i; j++)
            if (cdh_release(x->tx, x->tenant, got[j]) != 0)
                rc = -1;
    free(pj);
    if (rc == 0)
        cdh_invalidate(x->tenant);
    return rc;
}

static int act_release(struct drv *x)
{
    int64_t ids[8];
    int n = contact_holds(x, "{active}", ids, 8);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (cdh_release(x->tx, x->tenant, ids[i]) != 0)
            return -1;
    cdh_invalidate(x->tenant);
    return 0;
}

/* A link-only EMR's deposit: it secures the conversation's request, not a
 * held slot, and its link stays payable until staff settle it. */
static int act_request_deposit_link(struct drv *x, const struct convo_action *a)
{
    char ref[48];
    snprintf(ref, sizeof ref, "request-%" PRId64, x->conv_id);
    struct deposit_request rq = {
        .tenant_id = x->tenant,
        .hold_ref = ref,
        .conversation_id = x->conv_id,
        .amount_minor = a->cents,
        .currency = x->currency,
        .policy_text = x->deposit_policy,
    };
    int64_t dep;
    if (deposits_create_link(x->tx, &rq, &dep) != 0)
        return -1;
    x->link_made = true;
    return 0;
}

static int act_deposit_link(struct drv *x, const struct convo_action *a)
{
    int64_t id;
    if (x->emr.link_only)
        return act_request_deposit_link(x, a);
    if (contact_holds(x, "{active}", &id, 1) != 1)
        return CONVO_PORT_REFUSED;
    int64_t expires = 0;
    if (cdh_hold_expires(x->tx, x->tenant, id, &expires) != 0)
        return -1;
    char ref[48];
    snprintf(ref, sizeof ref, "hold-%" PRId64, id);
    struct deposit_request rq = {
        .tenant_id = x->tenant,
        .hold_ref = ref,
        .conversation_id = x->conv_id,
        .amount_minor = a->cents,
        .currency = x->currency,
        .expires_at_us = expires,
        .policy_text = x->deposit_policy,
    };
    int64_t dep;
    if (deposits_create_link(x->tx, &rq, &dep) != 0 ||
        deposit_fate_expire_at_notice(x->tx, x->tenant, dep, id, x->ck->min_notice_min) != 0)
        return -1;
    x->link_made = true;
    return 0;
}

/* The provider's payment id of the conversation's newest paid deposit. */
static void paid_reference(struct drv *x, char *out, size_t cap)
{
    DB_STMT(st_paid, "SELECT payment_id FROM deposits WHERE tenant_id = $1 AND conversation_id = $2 "
                     "AND status = 'paid' AND payment_id IS NOT NULL ORDER BY id DESC LIMIT 1");
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, x->conv_id);
    const char *p[] = { x->tenant, cid };
    PGresult *r = db_exec(x->tx, &st_paid, 2, p);
    snprintf(out, cap, "conversation-%" PRId64, x->conv_id);
    if (db_ok(r) && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] && strspn(PQgetvalue(r, 0, 0), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                  "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
                                              strlen(PQgetvalue(r, 0, 0)))
        snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static int act_book(struct drv *x, const struct convo_action *a)
{
    int64_t ids[CONVO_VISIT_MAX];
    int n = contact_holds(x, "{active,booking}", ids, a->visit.n ? a->visit.n : 1);
    if (n < 0)
        return -1;
    if (n == 0)
        return CONVO_PORT_REFUSED;
    char *pj = patient_json(x, a->first, a->last, a->email);
    if (!pj)
        return CONVO_E_NOMEM;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char hid[24];
        snprintf(hid, sizeof hid, "%" PRId64, ids[i]);
        const char *p[] = { x->tenant, hid, pj };
        if (exec_ok(x->tx, &st_patient, 3, p) != 0) {
            rc = -1;
            break;
        }
        char dj[400] = "";
        if (a->cents > 0 && i == n - 1) {
            char paid[32], ref[160];
            paid_reference(x, ref, sizeof ref);
            clock_format_utc(x->now, paid);
            snprintf(dj, sizeof dj,
                     "{\"amount_minor\":%" PRId64 ",\"currency\":\"%s\",\"payment_reference\":\"%s\","
                     "\"paid_at\":\"%s\"}",
                     a->cents, x->currency, ref, paid);
        }
        int64_t bid;
        int br = booking_submit(x->tx, x->tenant, ids[i], dj[0] ? dj : NULL, &bid);
        if (br == BOOKING_E_STATE || br == BOOKING_E_NOTFOUND)
            rc = CONVO_PORT_REFUSED;
        else if (br != 0)
            rc = -1;
    }
    free(pj);
    cdh_invalidate(x->tenant);
    return rc;
}

/* A booking for staff to enter by hand (link-only EMR): the task, its
 * staff alert and the text to the staff phone. */
static int act_staff_task(struct drv *x, const struct convo_action *a)
{
    char services[300] = "", ref[160] = "";
    size_t n = 0;
    for (int i = 0; i < a->visit.n && n < sizeof services; i++) {
        const struct convo_part *p = &a->visit.part[i];
        if (p->service < 0 || (size_t)p->service >= x->ck->nservices)
            return CONVO_PORT_REFUSED;
        int w = snprintf(services + n, sizeof services - n, "%s%s", i ? ", " : "", x->ck->services[p->service].name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (a->cents > 0)
        paid_reference(x, ref, sizeof ref);
    struct staff_task_request rq = {
        .tenant_id = x->tenant, .conversation_id = x->conv_id, .contact_id = x->contact_id,
        .clinic = x->ck->name, .emr = x->emr.plugin_id, .first = a->first, .last = a->last,
        .phone = x->phone, .email = a->email, .services = services, .preferred = a->text,
        .deposit_cents = a->cents, .currency = x->currency, .payment_ref = ref,
        .staff_phone = booking_staff_phone(x->d, x->tenant), .now_us = x->now,
    };
    int64_t id;
    return staff_task_create(x->tx, &rq, &id) == 0 ? 0 : -1;
}

static int act_schedule(struct drv *x, const struct convo_action *a)
{
    char payload[128], dedupe[128];
    snprintf(payload, sizeof payload, "{\"conversation_id\":%" PRId64 ",\"timer\":%d}", x->conv_id,
             (int)a->timer);
    snprintf(dedupe, sizeof dedupe, "convo.timer:%" PRId64 ":%d:%" PRId64, x->conv_id, (int)a->timer,
             a->at_us / 1000000);
    struct job_spec spec = { .tenant_id = x->tenant, .kind = CONVO_DRIVER_TIMER_KIND, .payload = payload,
                             .run_at_us = a->at_us, .dedupe_key = dedupe };
    return jobs_enqueue(x->tx, &spec, NULL) < 0 ? -1 : 0;
}

/* Cancels or moves an existing appointment in the EMR. The idempotency
 * key names the appointment (and the new start), so a retried turn does not
 * write twice. */
static int act_change(struct drv *x, const struct convo_action *a)
{
    bool cancel = a->kind == CONVO_ACT_CANCEL;
    cJSON *q = cJSON_CreateObject();
    char *in = NULL, idem[65], s[32], e[32];
    if (!q || !a->ref[0] || !cJSON_AddStringToObject(q, "appointment_id", a->ref)) {
        cJSON_Delete(q);
        return q ? CONVO_PORT_REFUSED : CONVO_E_NOMEM;
    }
    if (cancel) {
        snprintf(idem, sizeof idem, "cancel:%.56s", a->ref);
        if (!cJSON_AddStringToObject(q, "reason", "patient_request"))
            goto nomem;
    } else {
        const struct convo_part *p = &a->visit.part[0];
        if (a->visit.n < 1 || p->service < 0 || (size_t)p->service >= x->ck->nservices) {
            cJSON_Delete(q);
            return CONVO_PORT_REFUSED;
        }
        snprintf(idem, sizeof idem, "move:%" PRId64 ":%.40s", p->start_us / 1000000, a->ref);
        if (!cJSON_AddStringToObject(q, "start", clock_format_utc(p->start_us, s)) ||
            !cJSON_AddStringToObject(q, "end",
                                     clock_format_utc(p->start_us + (int64_t)p->dur_min * 60000000, e)) ||
            (p->provider >= 0 && (size_t)p->provider < x->ck->nproviders &&
             !cJSON_AddStringToObject(q, "provider_id", x->ck->providers[p->provider].id)))
            goto nomem;
    }
    if (!(in = cJSON_PrintUnformatted(q)))
        goto nomem;
    cJSON_Delete(q);
    struct emr_result r;
    int rc = emr_call(x->d->registry, x->tenant, cancel ? EMR_OP_CANCEL : EMR_OP_RESCHEDULE, in, idem, 0, &r);
    cJSON_free(in);
    if (rc != 0) {
        char cid[24], code[24];
        snprintf(cid, sizeof cid, "%" PRId64, x->conv_id);
        snprintf(code, sizeof code, "%d", rc);
        const char *fields[] = { "tenant", x->tenant, "conversation", cid, "rc", code, NULL };
        log_write(LOG_WARN, NULL, fields, "%s failed in the EMR", cancel ? "cancel" : "reschedule");
    }
    emr_result_free(&r);
    if (rc == 0) {
        cdh_invalidate(x->tenant);
        /* A booking of ours follows: its state or time, reminders, deposit. */
        const struct convo_part *p = &a->visit.part[0];
        const char *prov = !cancel && p->provider >= 0 && (size_t)p->provider < x->ck->nproviders
                               ? x->ck->providers[p->provider].id
                               : NULL;
        return (cancel ? booking_cancelled_by_patient(x->tx, x->tenant, a->ref, x->doc)
                       : booking_moved_by_patient(x->tx, x->tenant, a->ref, p->start_us,
                                                  p->start_us + (int64_t)p->dur_min * 60000000,
                                                  prov)) == 0
                   ? 0
                   : -1;
    }
    if (rc == BW_E_CONFLICT)
        return CONVO_PORT_TAKEN;
    if (rc == BW_E_RETRY || rc == BW_E_TIMEOUT || rc == BW_E_REMOTE || rc == BW_E_CANCELLED)
        return CONVO_PORT_UNAVAILABLE;
    return CONVO_PORT_REFUSED;
nomem:
    cJSON_Delete(q);
    return CONVO_E_NOMEM;
}

/* What staff read about a conversation's alert: the reason's category,
 * never the patient's words or health details. */
static const char *alert_wording(const char *reason)
{
    static const struct { const char *reason, *text; } words[] = {
        { "urgent_symptoms", "reported something urgent: call the patient back now" },
        { "asked_for_person", "asked to talk to a person" },
        { "paid_for_lost_slot", "paid for a time that was taken meanwhile" },
        { "booking_failed", "could not be booked in the calendar" },
        { "appointment_not_found", "asked about an appointment the calendar does not show" },
        { "action_failed", "needs help the assistant could not give" },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(reason, words[i].reason) == 0)
            return words[i].text;
    return "needs a person";
}

/* Raises a staff alert about the conversation (a staff_alerts row, a log
 * line, a text to messaging.staff_phone), once per reason and message that
 * caused it, so a redelivered message alerts no one twice. A handoff that
 * comes with its own alert in the same turn raises one, not two. */
static int alert(struct drv *x, bool handoff, const char *reason)
{
    if (handoff && x->alerted)
        return 0;
    x->alerted = true;
    char kind[64], subject[48], text[STAFF_ALERT_TEXT_MAX];
    snprintf(kind, sizeof kind, "conversation.%s", reason[0] ? reason : "handoff");
    snprintf(subject, sizeof subject, "conversation:%" PRId64 ":message:%" PRId64, x->conv_id,
             x->caused_by);
    snprintf(text, sizeof text, "Conversation %" PRId64 " %s. It is with staff now: "
             "the assistant stays silent until it is handed back.", x->conv_id,
             alert_wording(reason));
    struct staff_alert a = { .tenant_id = x->tenant, .kind = kind, .subject = subject,
                             .text = text, .staff_phone = booking_staff_phone(x->d, x->tenant),
                             .conversation_id = x->conv_id };
    return staff_alert_raise(x->tx, &a) < 0 ? -1 : 0;
}

static int port_act(void *ctx, const struct convo_action *a)
{
    struct drv *x = ctx;
    if (a->kind != CONVO_ACT_REPLY)
        x->ai.acted = true;
    switch (a->kind) {
    case CONVO_ACT_REPLY:
        return act_reply(x, a);
    case CONVO_ACT_HOLD:
        return act_hold(x, a);
    case CONVO_ACT_RELEASE_HOLD:
        return act_release(x);
    case CONVO_ACT_DEPOSIT_LINK:
        return act_deposit_link(x, a);
    case CONVO_ACT_BOOK:
        return act_book(x, a);
    case CONVO_ACT_HANDOFF:
        return alert(x, true, a->reason);
    case CONVO_ACT_STAFF_ALERT:
        if (alert(x, false, a->reason) != 0)
            return -1;
        if (strcmp(a->reason, "paid_for_lost_slot") == 0) {
            /* Refunded at the policy's grace period unless staff book
             * another time with the payment first. */
            struct deposit_policy pol;
            deposit_policy_from_doc(x->doc, &pol);
            return deposit_fate_lost_slot(x->tx, x->tenant, x->conv_id, &pol) == 0 ? 0 : -1;
        }
        return 0;
    case CONVO_ACT_SCHEDULE:
        return act_schedule(x, a);
    case CONVO_ACT_REFUND:
        return deposit_fate_refund_on_request(x->tx, x->tenant, x->conv_id) == 0 ? 0 : -1;
    case CONVO_ACT_STAFF_TASK:
        return act_staff_task(x, a);
    case CONVO_ACT_CANCEL:
    case CONVO_ACT_RESCHEDULE:
        return act_change(x, a);
    default:
        return CONVO_E_INVAL;
    }
}

/* ------------------------------------------------------------------ turns */

/*
 * The core's state writes slot starts as microseconds ("start_us"): sixteen
 * digits, which a stored-data audit cannot tell from a card number. Stored,
 * they are whole seconds ("start_s"; slots start on whole minutes).
 */
static void state_times(cJSON *node, bool to_store)
{
    cJSON *it;
    cJSON_ArrayForEach(it, node) {
        const char *from = to_store ? "start_us" : "start_s";
        if (it->string && strcmp(it->string, from) == 0 && cJSON_IsNumber(it)) {
            double v = to_store ? (double)((int64_t)it->valuedouble / 1000000)
                                : it->valuedouble * 1e6;
            cJSON_SetNumberValue(it, v);
            char *name = cJSON_malloc(strlen("start_us") + 1);
            if (name) {
                snprintf(name, strlen("start_us") + 1, "%s", to_store ? "start_s" : "start_us");
                if (!(it->type & cJSON_StringIsConst))
                    cJSON_free(it->string);
                it->string = name;
                it->type &= ~cJSON_StringIsConst;
            }
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            state_times(it, to_store);
        }
    }
}


/* Runs ev (or, with text, the message understood) on conversation conv_id
 * of tenant in tx; with take_over, no turn runs: staff take the
 * conversation (stage "handoff", the stage it was in kept to resume).
 * Returns 0, 1 (the tenant has no catalog: nothing to do) or -1. */
static int drive_turn(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                      struct convo_ev *ev, const char *text, int64_t caused_by, bool take_over,
                      char *err, size_t errcap)
{
    struct drv x = { .d = d, .tx = tx, .tenant = tenant, .conv_id = conv_id, .caused_by = caused_by,
                     .now = clock_now_us() };
    struct convo_state *st = malloc(sizeof *st);
    struct nlu_result *nr = malloc(sizeof *nr);
    cJSON *root = NULL;
    int rc = -1;
    if (!st || !nr) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, conv_id);
    const char *p[] = { tenant, cid };
    PGresult *r = db_exec(tx, &st_load, 2, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        snprintf(err, errcap, db_ok(r) ? "no such conversation" : "database error loading the conversation");
        PQclear(r);
        goto out;
    }
    root = cJSON_Parse(PQgetvalue(r, 0, 0));
    x.contact_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(x.phone, sizeof x.phone, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = cJSON_CreateObject();
        if (!root)
            goto out;
    }
    x.drv_state = root;
    int kr = 0;
    x.hk = cdh_knowledge_get(tx, tenant, &x.doc, &x.currency, &x.deposit_policy, &kr);
    if (!x.hk) {
        snprintf(err, errcap, "no catalog for the tenant (%d)", kr);
        /* No catalog imported: the engine has nothing to say (not a fault to retry). */
        rc = kr == KNOWLEDGE_NOTFOUND_RC ? 1 : -1;
        goto out;
    }
    int cr = convo_cache_get(tenant, cdh_knowledge_version(x.hk), x.doc, &x.tables);
    if (cr != 0) {
        snprintf(err, errcap, cr == CONVO_CACHE_E_INVAL ? "the catalog does not fit the conversation engine"
                                                        : "out of memory");
        goto out;
    }
    x.ck = x.tables->ck;
    convo_state_init(st);
    cJSON *core = cJSON_GetObjectItemCaseSensitive(root, "core");
    if (core)
        state_times(core, false);
    if (core && convo_state_from_json(x.ck, core, st) != 0)
        convo_state_init(st);
    emr_link_get(d->registry, tenant, &x.emr);
    st->link_only = x.emr.link_only;
    st->booking_link = x.emr.booking_url[0] != '\0';
    if (ev->kind == CONVO_EV_PAYMENT && st->stage == CONVO_ST_HELD && !st->link_only) {
        /* Paid after the hold lapsed (its expiry job does not come back
         * here): the core books the slot only if it is still free. */
        int64_t hid;
        int nh = contact_holds(&x, "{active,booking}", &hid, 1);
        if (nh < 0) {
            snprintf(err, errcap, "database error reading the holds");
            goto out;
        }
        if (nh == 0)
            st->stage = CONVO_ST_EXPIRED;
    }
    if (take_over) {
        if (st->stage != CONVO_ST_HANDOFF) {
            st->resume_stage = st->stage;
            st->stage = CONVO_ST_HANDOFF;
        }
    } else if (text) {
        struct nlu_context nctx;
        convo_nlu_context(st, &nctx);
        int64_t u0 = clock_mono_us();
        if (nlu_understand(x.tables->nlu, x.now, &nctx, text, nr) != 0) {
            snprintf(err, errcap, "understanding failed");
            goto out;
        }
        convo_stats_record(CONVO_STAT_UNDERSTAND, clock_mono_us() - u0);
        convo_ai_understand(d, tx, tenant, conv_id, caused_by, x.phone, x.ck, st, x.now, nr, &x.ai);
        ev->nlu = nr;
    }
    struct convo_ports ports = { &x, port_client, port_availability, port_act };
    int tr = take_over ? 0 : convo_turn(x.ck, &ports, st, ev, x.now);
    if (tr != 0) {
        snprintf(err, errcap, "conversation turn failed (%d)", tr);
        goto out;
    }
    cJSON *cj = convo_state_to_json(x.ck, st);
    if (!cj)
        goto out;
    state_times(cj, true);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "core");
    cJSON_AddItemToObject(root, "core", cj);
    char *s = cJSON_PrintUnformatted(root);
    if (!s)
        goto out;
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, x.now);
    const char *sp[] = { tenant, cid, s, st->stage == CONVO_ST_HANDOFF ? "handoff" : "open", now };
    rc = exec_ok(tx, &st_save, 5, sp);
    cJSON_free(s);
    if (rc != 0)
        snprintf(err, errcap, "database error saving the conversation");
out:
    convo_ai_turn_end(&x.ai);
    cdh_knowledge_release(x.hk);
    convo_cache_release(x.tables);
    cJSON_Delete(root);
    free(nr);
    free(st);
    return rc;
}

static int drive(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                 struct convo_ev *ev, const char *text, int64_t caused_by, char *err, size_t errcap)
{
    return drive_turn(d, tx, tenant, conv_id, ev, text, caused_by, false, err, errcap);
}

int convo_driver_staff(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                       bool take_over, char *err, size_t errcap)
{
    struct convo_ev ev = { .kind = CONVO_EV_STAFF_HANDBACK };
    return drive_turn(d, tx, tenant, conv_id, &ev, NULL, 0, take_over, err, errcap);
}

static int on_event(struct db_conn *tx, const struct convo_event *e, void *ctx)
{
    struct convo_ev ev = { 0 };
    char err[200];
    const char *text = NULL;
    int64_t cause = e->message_id;
    if (e->type == CONVO_EVENT_MISSED_CALL) {
        ev.kind = CONVO_EV_MISSED_CALL;
        cause = e->call_id;
    } else {
        ev.kind = CONVO_EV_MESSAGE;
        text = e->text ? e->text : "";
    }
    int64_t t0 = clock_mono_us();
    int rc = drive(ctx, tx, e->tenant_id, e->conversation_id, &ev, text, cause, err, sizeof err);
    if (rc == 0)
        convo_stats_record(CONVO_STAT_TURN, clock_mono_us() - t0);
    if (rc > 0) {
        const char *fields[] = { "tenant", e->tenant_id, NULL };
        log_write(LOG_WARN, NULL, fields, "no reply: %s", err);
        return 0;
    }
    if (rc != 0) {
        char cid[24];
        snprintf(cid, sizeof cid, "%" PRId64, e->conversation_id);
        const char *fields[] = { "tenant", e->tenant_id, "conversation", cid, NULL };
        log_write(LOG_ERROR, NULL, fields, "conversation turn failed: %s", err);
    }
    return rc;
}

/* ------------------------------------------------------------------ jobs */

static int64_t payload_int(const cJSON *p, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* A deposit's link exists (send the held reply) or failed for good. */
static int job_link(struct db_conn *tx, const struct job *job, struct job_result *res, void *ctx)
{
    cJSON *p = cJSON_Parse(job->payload);
    int64_t conv = payload_int(p, "conversation_id");
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "status"));
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "link_url"));
    int rc = 0;
    if (conv <= 0) {
        cJSON_Delete(p);
        return 0; /* not a conversation's deposit */
    }
    if (status && strcmp(status, "failed") == 0) {
        struct convo_ev ev = { .kind = CONVO_EV_ACTION_FAILED, .retryable = false };
        rc = drive(ctx, tx, job->tenant_id, conv, &ev, NULL, 0, res->error, sizeof res->error);
        cJSON_Delete(p);
        return rc < 0 ? JOB_RETRY : 0;
    }
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, conv);
    const char *lp[] = { job->tenant_id, cid };
    PGresult *r = db_exec(tx, &st_load, 2, lp);
    if (!db_ok(r) || PQntuples(r) != 1) {
        rc = db_ok(r) ? 0 : JOB_RETRY;
        snprintf(res->error, sizeof res->error, "cannot load the conversation");
        PQclear(r);
        cJSON_Delete(p);
        return rc;
    }
    cJSON *root = cJSON_Parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *held = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "link_reply"));
    if (held && url && url[0]) {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "link_kind"));
        char text[OUTBOUND_TEXT_MAX + 1], kind[16];
        snprintf(kind, sizeof kind, "%s", k ? k : "reply");
        fill_link(held, url, text, sizeof text);
        struct outbound_msg m = { .tenant_id = job->tenant_id, .conversation_id = conv,
                                  .kind = kind, .text = text,
                                  .caused_by = payload_int(root, "link_caused_by") };
        cJSON_DeleteItemFromObjectCaseSensitive(root, "link_reply");
        cJSON_DeleteItemFromObjectCaseSensitive(root, "link_kind");
        cJSON_DeleteItemFromObjectCaseSensitive(root, "link_caused_by");
        char *s = cJSON_PrintUnformatted(root);
        char now[24];
        snprintf(now, sizeof now, "%" PRId64, clock_now_us());
        DB_STMT(st_state, "UPDATE conversations SET state = $3::jsonb, "
                          "updated_at = to_timestamp($4::double precision / 1e6) "
                          "WHERE tenant_id = $1 AND id = $2");
        const char *sp[] = { job->tenant_id, cid, s, now };
        int orc = s ? outbound_enqueue(tx, &m, NULL) : OUTBOUND_E_INVAL;
        if (orc != 0 || exec_ok(tx, &st_state, 4, sp) != 0) {
            snprintf(res->error, sizeof res->error, "cannot send the deposit link (%d)", orc);
            rc = JOB_RETRY;
        }
        cJSON_free(s);
    }
    cJSON_Delete(root);
    cJSON_Delete(p);
    return rc;
}

/* A deposit was paid: the payment goes into the conversation. */
static int job_paid(struct db_conn *tx, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *p = cJSON_Parse(job->payload);
    int64_t conv = payload_int(p, "conversation_id");
    int64_t dep_id = payload_int(p, "deposit_id");
    cJSON_Delete(p);
    if (conv <= 0)
        return 0;
    struct deposit dep;
    int g = deposits_get(tx, job->tenant_id, dep_id, &dep);
    if (g < 0) {
        snprintf(res->error, sizeof res->error, "cannot read the deposit");
        return JOB_RETRY;
    }
    struct convo_ev ev = { .kind = CONVO_EV_PAYMENT, .amount_cents = g == 1 ? dep.amount_minor : 0 };
    return drive(d, tx, job->tenant_id, conv, &ev, NULL, 0, res->error, sizeof res->error) < 0 ? JOB_RETRY : 0;
}

static int job_timer(struct db_conn *tx, const struct job *job, struct job_result *res, void *ctx)
{
    cJSON *p = cJSON_Parse(job->payload);
    int64_t conv = payload_int(p, "conversation_id");
    int timer = (int)payload_int(p, "timer");
    cJSON_Delete(p);
    if (conv <= 0)
        return JOB_PARK;
    struct convo_ev ev = { .kind = CONVO_EV_TIMER, .timer = (uint8_t)timer };
    return drive(ctx, tx, job->tenant_id, conv, &ev, NULL, 0, res->error, sizeof res->error) < 0 ? JOB_RETRY : 0;
}

int convo_driver_register(struct daemon *d)
{
    if (jobs_register(d->jobs, DAEMON_DEPOSITS_LINK_JOB, job_link, d) != 0 ||
        jobs_register(d->jobs, DAEMON_DEPOSITS_PAID_JOB, job_paid, d) != 0 ||
        jobs_register(d->jobs, CONVO_DRIVER_TIMER_KIND, job_timer, d) != 0)
        return -1;
    convo_hook_set(on_event, d);
    convo_stats_register();
    return 0;
}
