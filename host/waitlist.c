/*
 * The waitlist: joining, the scan job that offers freed slots, and the
 * conversation filter for answers to offers and joins by text
 * (waitlist.h).
 */
#include "waitlist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "availability.h"
#include "booking_notify.h"
#include "clock.h"
#include "config.h"
#include "convo_hook.h"
#include "daemon.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"
#include "outbound.h"
#include "reminder_text.h"
#include "send_gate.h"
#include "tz.h"
#include "waitlist_text.h"

#define US_PER_MIN (60 * INT64_C(1000000))
#define US_PER_DAY (24 * 60 * US_PER_MIN)

DB_STMT(st_insert,
        "INSERT INTO waitlist (tenant_id, contact_id, service_id, provider_id, from_at, to_at, "
        "weekdays, day_from_min, day_to_min, source, created_at) VALUES ($1, $2::bigint, $3, "
        "nullif($4, ''), to_timestamp($5::double precision / 1e6), "
        "to_timestamp($6::double precision / 1e6), $7::int, $8::int, $9::int, $10, "
        "to_timestamp($11::double precision / 1e6)) RETURNING id");
DB_STMT(st_contact_by_phone,
        "SELECT id FROM contacts WHERE tenant_id = $1 AND channel = 'sms' AND address = $2 "
        "AND erased_at IS NULL");
DB_STMT(st_sms_binding,
        "SELECT c.binding, coalesce(c.clinic_address, '') FROM conversations c JOIN contacts k "
        "ON k.tenant_id = c.tenant_id AND k.id = c.contact_id WHERE c.tenant_id = $1 "
        "AND k.channel = 'sms' ORDER BY c.updated_at DESC LIMIT 1");
DB_STMT(st_new_contact,
        "INSERT INTO contacts (tenant_id, channel, address, phone, created_at) VALUES ($1, 'sms', "
        "$2, $2, to_timestamp($3::double precision / 1e6)) RETURNING id");
DB_STMT(st_new_conv,
        "INSERT INTO conversations (tenant_id, contact_id, binding, clinic_address, created_at, "
        "updated_at) VALUES ($1, $2::bigint, $3, nullif($4, ''), "
        "to_timestamp($5::double precision / 1e6), to_timestamp($5::double precision / 1e6))");
/* Scans of one tenant run one at a time (a lock held to the end of the
 * scan's transaction), so two never offer one patient two slots. */
DB_STMT(st_scan_lock, "SELECT pg_advisory_xact_lock(hashtext('waitlist.scan:' || $1))");
DB_STMT(st_lapse,
        "UPDATE waitlist_offers SET state = 'lapsed' WHERE tenant_id = $1 AND state = 'open' "
        "AND expires_at <= to_timestamp($2::double precision / 1e6)");
DB_STMT(st_expire,
        "UPDATE waitlist SET state = 'expired' WHERE tenant_id = $1 AND state = 'waiting' "
        "AND to_at <= to_timestamp($2::double precision / 1e6)");
DB_STMT(st_waiting,
        "SELECT w.id, w.contact_id, w.service_id, coalesce(w.provider_id, ''), "
        "(extract(epoch FROM w.from_at) * 1000000)::bigint, "
        "(extract(epoch FROM w.to_at) * 1000000)::bigint, w.weekdays, w.day_from_min, "
        "w.day_to_min, k.channel, k.address, coalesce(k.phone, ''), v.id, "
        "EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.tenant_id = w.tenant_id "
        "AND o.waitlist_id = w.id AND (o.state = 'open' OR (o.state <> 'taken' AND "
        "o.created_at > to_timestamp($2::double precision / 1e6) - interval '24 hours'))) "
        "FROM waitlist w JOIN contacts k ON k.tenant_id = w.tenant_id AND k.id = w.contact_id "
        "JOIN conversations v ON v.tenant_id = k.tenant_id AND v.contact_id = k.id "
        "WHERE w.tenant_id = $1 AND w.state = 'waiting' ORDER BY w.created_at, w.id");
DB_STMT(st_slot_state,
        "SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE waitlist_id = "
        "$5::bigint) FROM waitlist_offers WHERE tenant_id = $1 AND provider_id = $2 "
        "AND start_at = to_timestamp($3::double precision / 1e6) AND service_id = $4");
DB_STMT(st_offer,
        "INSERT INTO waitlist_offers (tenant_id, waitlist_id, contact_id, service_id, "
        "provider_id, start_at, end_at, expires_at, created_at) VALUES ($1, $2::bigint, "
        "$3::bigint, $4, $5, to_timestamp($6::double precision / 1e6), "
        "to_timestamp($7::double precision / 1e6), to_timestamp($8::double precision / 1e6), "
        "to_timestamp($9::double precision / 1e6)) ON CONFLICT DO NOTHING RETURNING id");
DB_STMT(st_open_offer,
        "SELECT o.id, o.waitlist_id, o.service_id, o.provider_id, "
        "(extract(epoch FROM o.start_at) * 1000000)::bigint, o.state FROM waitlist_offers o "
        "WHERE o.tenant_id = $1 AND o.contact_id = $2::bigint AND o.state IN ('open', 'taken') "
        "AND o.expires_at > to_timestamp($3::double precision / 1e6) "
        "ORDER BY o.created_at DESC LIMIT 1 FOR UPDATE");
DB_STMT(st_answer_offer,
        "UPDATE waitlist_offers SET state = $3 WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_entry_booked,
        "UPDATE waitlist SET state = 'booked' WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_others_taken,
        "UPDATE waitlist_offers SET state = 'taken' WHERE tenant_id = $1 AND state = 'open' "
        "AND id <> $2::bigint AND provider_id = $3 AND start_at = "
        "to_timestamp($4::double precision / 1e6)");

static void i64(char *buf, size_t cap, int64_t v) { snprintf(buf, cap, "%" PRId64, v); }

static int exec_ok(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int ok = db_ok(r);
    PQclear(r);
    return ok ? 0 : -1;
}

struct waitlist_policy {
    bool all_at_once;
    int offer_minutes;
};

static void policy_from_doc(const cJSON *doc, struct waitlist_policy *p)
{
    p->all_at_once = false;
    p->offer_minutes = WAITLIST_OFFER_MINUTES_DEFAULT;
    const cJSON *w = doc ? cJSON_GetObjectItemCaseSensitive(doc, "waitlist") : NULL;
    const char *o = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "offer"));
    if (o && strcmp(o, "all_at_once") == 0)
        p->all_at_once = true;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(w, "offer_minutes");
    if (cJSON_IsNumber(m) && m->valuedouble >= 5 && m->valuedouble <= 24 * 60)
        p->offer_minutes = (int)m->valuedouble;
}

static int enqueue_scan(struct db_conn *tx, const char *tenant, int64_t at_us, const char *dedupe)
{
    struct job_spec js = { .tenant_id = tenant, .kind = WAITLIST_SCAN_KIND, .payload = "{}",
                           .run_at_us = at_us, .dedupe_key = dedupe };
    return jobs_enqueue(tx, &js, NULL) < 0 ? -1 : 0;
}

int waitlist_join(struct db_conn *tx, const char *tenant, int64_t contact_id,
                  const struct waitlist_want *w, const char *source, int64_t *id)
{
    int64_t now = clock_now_us();
    int64_t from = w->from_us > now ? w->from_us : now;
    int64_t to = w->to_us > 0 ? w->to_us : now + WAITLIST_DEFAULT_DAYS * US_PER_DAY;
    int dfrom = w->day_from_min, dto = w->day_to_min;
    if (dfrom == 0 && dto == 0)
        dto = 1440;
    if (!w->service_id || !w->service_id[0] || from >= to || dfrom < 0 || dto > 1440 ||
        dfrom >= dto || w->weekdays > 127)
        return WAITLIST_E_INVAL;
    char cid[24], f[24], t[24], wd[16], df[16], dt[16], n[24];
    i64(cid, sizeof cid, contact_id);
    i64(f, sizeof f, from);
    i64(t, sizeof t, to);
    snprintf(wd, sizeof wd, "%u", w->weekdays);
    snprintf(df, sizeof df, "%d", dfrom);
    snprintf(dt, sizeof dt, "%d", dto);
    i64(n, sizeof n, now);
    const char *p[] = { tenant, cid, w->service_id, w->provider_id ? w->provider_id : "",
                        f, t, wd, df, dt, source, n };
    PGresult *r = db_exec(tx, &st_insert, 11, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return WAITLIST_E_DB;
    }
    int64_t wid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (id)
        *id = wid;
    char dd[64];
    snprintf(dd, sizeof dd, "waitlist-join:%" PRId64, wid);
    return enqueue_scan(tx, tenant, now, dd) == 0 ? 0 : WAITLIST_E_DB;
}

int waitlist_contact_for_phone(struct db_conn *tx, const char *tenant, const char *phone,
                               int64_t *contact_id)
{
    const char *p[] = { tenant, phone };
    PGresult *r = db_exec(tx, &st_contact_by_phone, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return WAITLIST_E_DB;
    }
    if (PQntuples(r) == 1) {
        *contact_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return 0;
    }
    PQclear(r);
    const char *pb[] = { tenant };
    r = db_exec(tx, &st_sms_binding, 1, pb);
    if (!db_ok(r) || PQntuples(r) != 1) {
        int rc = db_ok(r) ? WAITLIST_E_NOCHANNEL : WAITLIST_E_DB;
        PQclear(r);
        return rc;
    }
    char binding[80], from[256], now[24], cid[24];
    snprintf(binding, sizeof binding, "%s", PQgetvalue(r, 0, 0));
    snprintf(from, sizeof from, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    i64(now, sizeof now, clock_now_us());
    const char *pc[] = { tenant, phone, now };
    r = db_exec(tx, &st_new_contact, 3, pc);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return WAITLIST_E_DB;
    }
    *contact_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    i64(cid, sizeof cid, *contact_id);
    const char *pv[] = { tenant, cid, binding, from, now };
    return exec_ok(tx, &st_new_conv, 5, pv) == 0 ? 0 : WAITLIST_E_DB;
}

/* ---- the scan ------------------------------------------------------------ */

struct entry {
    int64_t id, contact_id, conversation_id, from_us, to_us;
    char service_id[64], provider_id[64], channel[16], address[256], phone[24];
    unsigned weekdays;
    int day_from, day_to;
    bool offered_lately;       /* an open offer, or one in the last day it let lapse */
};

static bool slot_fits(const struct knowledge *k, const struct entry *e, int64_t start_us)
{
    struct tz_local l;
    if (tz_to_local(k->timezone, start_us, &l) != 0)
        return false;
    int m = l.hour * 60 + l.minute;
    return (e->weekdays == 0 || (e->weekdays & (1u << l.weekday))) && m >= e->day_from &&
           m < e->day_to;
}

/* May a proactive text reach the entry's patient now? 1 yes, 0 not now, -1. */
static int gate_allows(struct db_conn *c, struct daemon *d, const char *tenant,
                       const struct entry *e)
{
    const struct tenant_config *t = config_tenant(&d->cfg, tenant);
    struct qh_policy qp;
    char why[160];
    if (!t || send_gate_policy_parse(t, &qp, why, sizeof why) != 0)
        return 0;
    struct send_gate_input *in = calloc(1, sizeof *in);
    if (!in)
        return -1;
    int64_t now = clock_now_us();
    *in = (struct send_gate_input){
        .tenant_id = tenant, .contact_id = e->contact_id, .kind = "proactive",
        .channel = e->channel, .address = e->address, .phone = e->phone[0] ? e->phone : NULL,
        .clinic_zone = t->timezone, .country = t->country, .created_us = now, .now_us = now,
    };
    struct send_gate_decision dec;
    int rc = send_gate_run(c, &qp, in, &dec);
    free(in);
    if (rc != 0)
        return -1;
    return dec.verdict == SEND_GATE_SEND ? 1 : 0;
}

/* Offers slot s to entry e: the row and the text. 1 offered, 0 not (offered
 * before), -1. */
static int offer(struct db_conn *c, const char *tenant, const struct knowledge *k,
                 const struct waitlist_policy *pol, const struct entry *e,
                 const struct avail_slot *s)
{
    int64_t now = clock_now_us();
    char wid[24], cid[24], st[24], en[24], ex[24], n[24];
    i64(wid, sizeof wid, e->id);
    i64(cid, sizeof cid, e->contact_id);
    i64(st, sizeof st, s->start_us);
    i64(en, sizeof en, s->end_us);
    i64(ex, sizeof ex, now + pol->offer_minutes * US_PER_MIN);
    i64(n, sizeof n, now);
    const char *p[] = { tenant, wid, cid, e->service_id, s->provider_id, st, en, ex, n };
    PGresult *r = db_exec(c, &st_offer, 9, p);
    int inserted = db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    if (inserted <= 0)
        return inserted;
    char desc[200], text[480];
    booking_describe_slot(k, e->service_id, s->start_us, desc, sizeof desc);
    const struct kn_provider *prov = knowledge_provider(k, s->provider_id);
    snprintf(text, sizeof text,
             "%s: good news, %s%s%s just opened up. Reply YES within %d minutes to book it, or "
             "NO to pass. Reply STOP to opt out.",
             k->name ? k->name : "The clinic", desc, prov && prov->name ? " with " : "",
             prov && prov->name ? prov->name : "", pol->offer_minutes);
    struct outbound_msg m = { .tenant_id = tenant, .conversation_id = e->conversation_id,
                              .kind = "proactive", .text = text };
    if (outbound_enqueue(c, &m, NULL) != 0)
        return -1;
    const char *fields[] = { "tenant", tenant, "waitlist", wid, NULL };
    log_write(LOG_INFO, NULL, fields, "waitlist slot offered");
    return 1;
}

/* Offered already: 1 when the slot has an open offer (to anyone), 2 when
 * this entry had it before, 0 neither, -1. */
static int slot_offered(struct db_conn *c, const char *tenant, const struct entry *e,
                        const struct avail_slot *s)
{
    char st[24], wid[24];
    i64(st, sizeof st, s->start_us);
    i64(wid, sizeof wid, e->id);
    const char *p[] = { tenant, s->provider_id, st, e->service_id, wid };
    PGresult *r = db_exec(c, &st_slot_state, 5, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    int open = atoi(PQgetvalue(r, 0, 0)), mine = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return mine ? 2 : open ? 1 : 0;
}

static int scan_entry(struct db_conn *c, struct daemon *d, const char *tenant,
                      const struct knowledge *k, const struct waitlist_policy *pol,
                      const struct entry *e)
{
    int64_t now = clock_now_us();
    int64_t from = e->from_us > now ? e->from_us : now;
    int64_t to = e->to_us;
    if (to - from > (AVAILABILITY_MAX_RANGE_DAYS - 1) * US_PER_DAY)
        to = from + (AVAILABILITY_MAX_RANGE_DAYS - 1) * US_PER_DAY;
    struct avail_query q = { .service_id = e->service_id,
                             .provider_id = e->provider_id[0] ? e->provider_id : NULL,
                             .from_us = from, .to_us = to };
    struct avail_slots slots = { 0 };
    int rc = availability_query(d->pool, c, d->registry, tenant, &q, &slots);
    if (rc == AVAIL_E_INVAL) {
        avail_slots_free(&slots);
        return 0;
    }
    if (rc != 0) {
        avail_slots_free(&slots);
        return -1;
    }
    int out = 0;
    for (size_t i = 0; i < slots.n; i++) {
        if (!slot_fits(k, e, slots.v[i].start_us))
            continue;
        int o = slot_offered(c, tenant, e, &slots.v[i]);
        if (o < 0) {
            out = -1;
            break;
        }
        if (o == 2 || (o == 1 && !pol->all_at_once))
            continue;
        int g = gate_allows(c, d, tenant, e);
        if (g <= 0) {
            out = g; /* not now (quiet hours, caps, opt-out): a later scan */
            break;
        }
        out = offer(c, tenant, k, pol, e, &slots.v[i]) < 0 ? -1 : 0;
        break;
    }
    avail_slots_free(&slots);
    return out;
}

static int job_scan(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = job->tenant_id;
    int64_t now = clock_now_us();
    char n[24];
    i64(n, sizeof n, now);
    const char *p[] = { tenant, n };
    if (exec_ok(c, &st_scan_lock, 1, p) != 0 || exec_ok(c, &st_lapse, 2, p) != 0 ||
        exec_ok(c, &st_expire, 2, p) != 0) {
        snprintf(res->error, sizeof res->error, "cannot expire offers");
        return JOB_RETRY;
    }
    const struct knowledge *k = NULL;
    if (knowledge_get(c, tenant, &k) != 0)
        return 0; /* no catalog: nothing can be offered */
    struct waitlist_policy pol;
    policy_from_doc(k->doc, &pol);
    const char *pt[] = { tenant, n };
    PGresult *r = db_exec(c, &st_waiting, 2, pt);
    if (!db_ok(r)) {
        PQclear(r);
        knowledge_release(k);
        snprintf(res->error, sizeof res->error, "cannot read the waitlist");
        return JOB_RETRY;
    }
    int rows = PQntuples(r), out = 0;
    struct entry *v = calloc((size_t)rows + 1, sizeof *v);
    for (int i = 0; v && i < rows; i++) {
        struct entry *e = &v[i];
        e->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        e->contact_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        snprintf(e->service_id, sizeof e->service_id, "%s", PQgetvalue(r, i, 2));
        snprintf(e->provider_id, sizeof e->provider_id, "%s", PQgetvalue(r, i, 3));
        e->from_us = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        e->to_us = strtoll(PQgetvalue(r, i, 5), NULL, 10);
        e->weekdays = (unsigned)atoi(PQgetvalue(r, i, 6));
        e->day_from = atoi(PQgetvalue(r, i, 7));
        e->day_to = atoi(PQgetvalue(r, i, 8));
        snprintf(e->channel, sizeof e->channel, "%s", PQgetvalue(r, i, 9));
        snprintf(e->address, sizeof e->address, "%s", PQgetvalue(r, i, 10));
        snprintf(e->phone, sizeof e->phone, "%s", PQgetvalue(r, i, 11));
        e->conversation_id = strtoll(PQgetvalue(r, i, 12), NULL, 10);
        e->offered_lately = strcmp(PQgetvalue(r, i, 13), "t") == 0;
    }
    PQclear(r);
    if (!v) {
        knowledge_release(k);
        return JOB_RETRY;
    }
    for (int i = 0; i < rows && out == 0; i++)
        if (!v[i].offered_lately && scan_entry(c, d, tenant, k, &pol, &v[i]) < 0)
            out = JOB_RETRY;
    free(v);
    knowledge_release(k);
    if (out == 0 && rows > 0) {
        /* Again at the next boundary while anyone waits; one chain per
         * tenant whatever started it. */
        int64_t next = (now / WAITLIST_SCAN_US + 1) * WAITLIST_SCAN_US;
        char dd[64];
        snprintf(dd, sizeof dd, "waitlist-scan:%" PRId64, next / WAITLIST_SCAN_US);
        if (enqueue_scan(c, tenant, next, dd) != 0)
            out = JOB_RETRY;
    }
    if (out == JOB_RETRY && !res->error[0])
        snprintf(res->error, sizeof res->error, "cannot scan the waitlist");
    return out;
}

/* ---- answers and joins by text ------------------------------------------ */

static int reply(struct db_conn *tx, const struct convo_event *ev, const char *text)
{
    struct outbound_msg m = { .tenant_id = ev->tenant_id, .conversation_id = ev->conversation_id,
                              .kind = "reply", .text = text, .caused_by = ev->message_id };
    return outbound_enqueue(tx, &m, NULL) == 0 ? 0 : -1;
}

/* What the engine is told an accepting patient asked for (per thread: the
 * engine reads it after the filter returns, on the same thread). */
static _Thread_local char accepted_text[400];

static void ask_text(const struct knowledge *k, const char *service_id, const char *provider_id,
                     int64_t start_us, char *out, size_t cap)
{
    static const char *const wd[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday" };
    static const char *const mon[] = { "January", "February", "March", "April", "May", "June",
                                       "July", "August", "September", "October", "November",
                                       "December" };
    const struct kn_service *s = knowledge_service(k, service_id);
    const struct kn_provider *p = knowledge_provider(k, provider_id);
    struct tz_local l;
    if (tz_to_local(k->timezone, start_us, &l) != 0 || l.month < 1 || l.month > 12) {
        out[0] = '\0';
        return;
    }
    int h12 = l.hour % 12 == 0 ? 12 : l.hour % 12;
    snprintf(out, cap, "I'd like %s with %s on %s %s %d at %d:%02d%s", s && s->name ? s->name : service_id,
             p && p->name ? p->name : provider_id, wd[l.weekday], mon[l.month - 1], l.day, h12,
             l.minute, l.hour < 12 ? "am" : "pm");
}

static int answer_offer(struct db_conn *tx, struct convo_event *ev, const struct knowledge *k)
{
    char cid[24], now[24];
    i64(cid, sizeof cid, ev->contact_id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { ev->tenant_id, cid, now };
    PGresult *r = db_exec(tx, &st_open_offer, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    char oid[24], wid[24], svc[64], prov[64], start[24], state[16];
    snprintf(oid, sizeof oid, "%s", PQgetvalue(r, 0, 0));
    snprintf(wid, sizeof wid, "%s", PQgetvalue(r, 0, 1));
    snprintf(svc, sizeof svc, "%s", PQgetvalue(r, 0, 2));
    snprintf(prov, sizeof prov, "%s", PQgetvalue(r, 0, 3));
    snprintf(start, sizeof start, "%s", PQgetvalue(r, 0, 4));
    snprintf(state, sizeof state, "%s", PQgetvalue(r, 0, 5));
    PQclear(r);
    enum reminder_reply a = reminder_reply_classify(ev->text);
    if (strcmp(state, "taken") == 0) {
        /* Offered to several at once, and another patient said yes first. */
        if (a != REMINDER_REPLY_CONFIRM)
            return 0;
        const char *pa[] = { ev->tenant_id, oid, "lapsed" };
        if (exec_ok(tx, &st_answer_offer, 3, pa) != 0 ||
            reply(tx, ev, "Sorry, someone else just took that time. You're still on the "
                          "waitlist; I'll text you if another one opens up.") != 0)
            return -1;
        return 1;
    }
    if (a == REMINDER_REPLY_CONFIRM) {
        const char *pa[] = { ev->tenant_id, oid, "accepted" };
        const char *pw[] = { ev->tenant_id, wid };
        const char *po[] = { ev->tenant_id, oid, prov, start };
        if (exec_ok(tx, &st_answer_offer, 3, pa) != 0 || exec_ok(tx, &st_entry_booked, 2, pw) ||
            exec_ok(tx, &st_others_taken, 4, po) != 0)
            return -1;
        ask_text(k, svc, prov, strtoll(start, NULL, 10), accepted_text, sizeof accepted_text);
        if (accepted_text[0])
            ev->text = accepted_text;
        return 0; /* the engine books it, hold and deposit as usual */
    }
    if (a == REMINDER_REPLY_CANCEL) {
        const char *pa[] = { ev->tenant_id, oid, "lapsed" };
        if (exec_ok(tx, &st_answer_offer, 3, pa) != 0 ||
            reply(tx, ev, "No problem, you're still on the waitlist; I'll text you if another "
                          "time opens up.") != 0)
            return -1;
        return 1;
    }
    return 0;
}

static int join_by_text(struct db_conn *tx, const struct convo_event *ev,
                        const struct knowledge *k)
{
    struct waitlist_request req;
    if (!waitlist_text_parse(k, ev->text, &req))
        return 0;
    if (!req.service_id) {
        return reply(tx, ev, "Happy to add you to the waitlist! Which treatment is it for?") == 0
                   ? 1
                   : -1;
    }
    struct waitlist_want w = { .service_id = req.service_id, .provider_id = req.provider_id,
                               .weekdays = req.weekdays, .day_from_min = req.day_from_min,
                               .day_to_min = req.day_to_min };
    if (waitlist_join(tx, ev->tenant_id, ev->contact_id, &w, "conversation", NULL) != 0)
        return -1;
    char text[480], when[120];
    waitlist_text_describe(&req, when, sizeof when);
    const struct kn_service *s = knowledge_service(k, req.service_id);
    snprintf(text, sizeof text,
             "You're on the waitlist for %s%s. I'll text you as soon as a matching time opens "
             "up.",
             s && s->name ? s->name : req.service_id, when);
    return reply(tx, ev, text) == 0 ? 1 : -1;
}

static int filter(struct db_conn *tx, struct convo_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->type != CONVO_EVENT_MESSAGE || !ev->text || !ev->text[0])
        return 0;
    const struct knowledge *k = NULL;
    if (knowledge_get(tx, ev->tenant_id, &k) != 0)
        return 0;
    int rc = answer_offer(tx, ev, k);
    if (rc == 0 && ev->text != accepted_text)
        rc = join_by_text(tx, ev, k);
    knowledge_release(k);
    return rc;
}

int waitlist_register(struct daemon *d)
{
    if (jobs_register(d->jobs, WAITLIST_SCAN_KIND, job_scan, d) != 0)
        return -1;
    return convo_hook_add_filter(filter, d);
}
