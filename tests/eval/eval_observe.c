/*
 * What the product did in a case, read back at its end: the messages that
 * reached the providers (the simulators' records, matched with the
 * daemon's outbox for their business times), the conversation state on the
 * daemon's test-only state route (opt-out, handoff, holds, deposits), and
 * the appointments and clients of the EMR under test compared with the
 * start of the case. Then the rules every case checks (1-4 and 6-8; 5 and
 * stored_exclude read what was stored, eval_stored.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "eval/eval_http.h"
#include "eval/eval_json.h"
#include "eval/eval_rules.h"
#include "eval/eval_world_internal.h"
#include "tz.h"

/* The daemon's contact for p, or NULL. */
static const cJSON *contact_of(const struct eval_world *w, const struct eval_patient_def *p)
{
    const char *address = eval_world_address(w, p);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(w->state, "contacts")) {
        const char *ch = eval_str_of(c, "channel"), *addr = eval_str_of(c, "address");
        if (ch && addr && strcmp(ch, p->channel) == 0 && strcmp(addr, address) == 0)
            return c;
    }
    return NULL;
}

/* The simulator's record of a message by its provider id, or NULL. */
static const cJSON *sim_message(const struct eval_world *w, const char *sid)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(w->sent, "messages")) {
        const char *s = eval_str_of(m, "sid");
        if (s && sid && strcmp(s, sid) == 0)
            return m;
    }
    return NULL;
}

/* "YYYY-MM-DDTHH:MM" in the clinic's zone for an RFC 3339 instant. */
static int local_minute(const struct eval_world *w, const char *rfc3339, char out[17])
{
    int64_t us;
    struct tz_local l;
    if (!rfc3339 || clock_parse_rfc3339(rfc3339, &us) != 0 || tz_to_local(w->timezone, us, &l) != 0)
        return -1;
    snprintf(out, 17, "%04d-%02d-%02dT%02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
    return 0;
}

/* Whether message id mid (outbound) follows an opt-out of the contact that
 * no later opt-in undid. */
static bool after_optout(const cJSON *contact, double mid)
{
    double out_at = -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(contact, "consent")) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message_id");
        const char *kind = eval_str_of(e, "kind");
        if (!kind || !cJSON_IsNumber(m) || m->valuedouble > mid)
            continue;
        if (strcmp(kind, "opt_out") == 0)
            out_at = m->valuedouble;
        else if (strcmp(kind, "opt_in") == 0)
            out_at = -1;
    }
    return out_at >= 0;
}

static void observe_appointments(struct eval_world *w, const cJSON *contact,
                                 const struct eval_patient_def *p, struct eval_patient_obs *o,
                                 cJSON *now_appts, cJSON *patients_now)
{
    const char *pid = eval_str_of(contact, "emr_patient_id");
    const char *created = eval_str_of(contact, "emr_patient_created");
    const cJSON *a;
    /* An EMR may move an appointment by writing it anew and marking the old
     * one as replaced ("rescheduled"): the service of each such old one. */
    const char *replaced[EVAL_OBS_MAX];
    size_t nreplaced = 0;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(now_appts, "appointments")) {
        const char *owner = eval_str_of(a, "patient_id"), *id = eval_str_of(a, "id");
        /* The patient's: their EMR client's (known, created for them, or
         * found by their phone), or one of their conversation's bookings
         * (a patient on Instagram or web chat may have no phone). */
        bool mine = owner && ((pid && strcmp(owner, pid) == 0) ||
                              (created && strcmp(owner, created) == 0));
        const cJSON *bk;
        cJSON_ArrayForEach(bk, cJSON_GetObjectItemCaseSensitive(contact, "bookings")) {
            const char *bid = eval_str_of(bk, "appointment_id");
            if (bid && id && strcmp(bid, id) == 0)
                mine = true;
        }
        const cJSON *pp;
        cJSON_ArrayForEach(pp, cJSON_GetObjectItemCaseSensitive(patients_now, "patients")) {
            const char *ppid = eval_str_of(pp, "id");
            if (owner && ppid && strcmp(owner, ppid) == 0)
                mine = true;
        }
        if (!mine || !id || o->n_appts == EVAL_OBS_MAX)
            continue;
        const cJSON *before = NULL, *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(w->emr_before, "appointments")) {
            const char *bid = eval_str_of(b, "id");
            if (bid && strcmp(bid, id) == 0)
                before = b;
        }
        const char *status = eval_str_of(a, "status"), *start = eval_str_of(a, "start");
        bool cancelled = status && strcmp(status, "cancelled") == 0;
        struct eval_appt *e = &o->appts[o->n_appts];
        memset(e, 0, sizeof *e);
        e->service = eval_str_of(a, "service_id");
        e->provider = eval_str_of(a, "provider_id");
        if (local_minute(w, start, e->start) != 0)
            continue;
        if (!before) {
            e->created = true;
            e->cancelled = cancelled;
        } else {
            const char *bstatus = eval_str_of(before, "status"), *bstart = eval_str_of(before, "start");
            bool was_cancelled = bstatus && strcmp(bstatus, "cancelled") == 0;
            e->cancelled = cancelled && !was_cancelled;
            e->moved = !cancelled && bstart && start && strcmp(bstart, start) != 0;
            bool was_live = !bstatus || strcmp(bstatus, "booked") == 0;
            if (was_live && status && strcmp(status, "booked") != 0 && !cancelled && !e->moved &&
                nreplaced < EVAL_OBS_MAX && e->service)
                replaced[nreplaced++] = e->service;
            if (!e->cancelled && !e->moved)
                continue; /* unchanged (or replaced, counted below): not itself the case's doing */
        }
        o->n_appts++;
    }
    /* The appointment that took a replaced one's place was moved, not booked. */
    for (size_t r = 0; r < nreplaced; r++)
        for (size_t i = 0; i < o->n_appts; i++) {
            struct eval_appt *e = &o->appts[i];
            if (e->created && !e->cancelled && e->service && strcmp(e->service, replaced[r]) == 0) {
                e->created = false;
                e->moved = true;
                break;
            }
        }
    (void)p;
}

int eval_world_observe(struct eval_world *w, const struct eval_patient_def *p,
                       struct eval_patient_obs *o, char *err, size_t cap)
{
    memset(o, 0, sizeof *o);
    o->last_deposit_cents = -1;
    o->first_reply_ms = -1;
    if (eval_world_refresh(w, err, cap) != 0)
        return -1;
    const cJSON *contact = contact_of(w, p);
    if (!contact)
        return 0; /* the product never heard of this patient */
    o->opted_out = eval_bool_of(contact, "opted_out");
    o->handoff = eval_bool_of(contact, "handoff");

    int idx = eval_world_patient_index(w, p);
    const char *last_link = NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(contact, "messages")) {
        const char *dir = eval_str_of(m, "direction");
        const cJSON *sim = sim_message(w, eval_str_of(m, "provider_id"));
        if (!dir || strcmp(dir, "out") != 0 || !sim || o->n_sent == EVAL_OBS_MAX)
            continue;
        const char *text = eval_str_of(sim, "body");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
        o->sent[o->n_sent++] = (struct eval_sent){
            text ? text : "", cJSON_IsNumber(id) && after_optout(contact, id->valuedouble) };
        const char *link = text ? strstr(text, "/checkout/") : NULL;
        if (link)
            last_link = link + 10;
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(sim, "received_ms");
        if (o->first_reply_ms < 0 && idx >= 0 && w->first_webhook_ms[idx] > 0 && cJSON_IsNumber(at))
            o->first_reply_ms = at->valuedouble - w->first_webhook_ms[idx];
    }

    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(contact, "holds")) {
        const char *status = eval_str_of(h, "status");
        const cJSON *dep = cJSON_GetObjectItemCaseSensitive(h, "deposit");
        const char *dstatus = eval_str_of(dep, "status");
        bool paid = dstatus && strcmp(dstatus, "paid") == 0;
        if (status && strcmp(status, "active") == 0 && !paid)
            o->hold_active_unpaid = true;
        if (status && strcmp(status, "expired") == 0 && !paid)
            o->hold_expired = true;
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(contact, "bookings"))
        if (eval_bool_of(b, "deposit_due") && !eval_bool_of(b, "deposit_paid"))
            o->deposit_due_unpaid = true;

    if (last_link) {
        char id[128], url[256];
        size_t n = strcspn(last_link, " \n\t/?#.,)");
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), last_link);
        snprintf(url, sizeof url, "%s/_sim/state", w->square.base_url);
        struct eval_resp r;
        cJSON *state = NULL;
        eval_http_json("GET", url, NULL, NULL, &r, &state);
        eval_resp_free(&r);
        const cJSON *link;
        cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(state, "links")) {
            const char *lid = eval_str_of(link, "id");
            const cJSON *amount = cJSON_GetObjectItemCaseSensitive(link, "amount_cents");
            if (lid && strcmp(lid, id) == 0 && cJSON_IsNumber(amount))
                o->last_deposit_cents = (int64_t)amount->valuedouble;
        }
        cJSON_Delete(state);
    }

    /* The EMR: this patient's clients and appointments now, against the
     * start of the case. */
    cJSON *q = cJSON_CreateObject(), *patients = NULL, *appts = NULL;
    /* A patient on Instagram or web chat is found by the phone they gave. */
    const char *phone = p->phone ? p->phone : eval_str_of(contact, "phone");
    if (phone)
        cJSON_AddStringToObject(q, "phone", phone);
    int rc = phone && eval_world_emr_can(w, "patient_find")
                 ? eval_world_emr_call(w, "patient_find", q, &patients, err, cap)
                 : 0;
    cJSON_Delete(q);
    q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "from", "2000-01-01T00:00:00Z");
    cJSON_AddStringToObject(q, "to", "2100-01-01T00:00:00Z");
    if (rc == 0 && eval_world_emr_can(w, "appointment_list"))
        rc = eval_world_emr_call(w, "appointment_list", q, &appts, err, cap);
    cJSON_Delete(q);
    if (rc == 0) {
        observe_appointments(w, contact, p, o, appts, patients);
        const char *created = eval_str_of(contact, "emr_patient_created");
        /* Created for this patient; its names come from the EMR when it can
         * be found (by the phone the patient gave). */
        o->client_created = created != NULL;
        const cJSON *pp;
        cJSON_ArrayForEach(pp, cJSON_GetObjectItemCaseSensitive(patients, "patients")) {
            const char *id = eval_str_of(pp, "id");
            if (created && id && strcmp(created, id) == 0) {
                o->client_first_name = eval_str_of(pp, "first_name");
                o->client_last_name = eval_str_of(pp, "last_name");
            }
        }
    }
    /* Names live in documents freed below: keep them in the state. */
    if (o->client_created) {
        cJSON *keep = cJSON_CreateObject();
        cJSON_AddStringToObject(keep, "first_name", o->client_first_name ? o->client_first_name : "");
        cJSON_AddStringToObject(keep, "last_name", o->client_last_name ? o->client_last_name : "");
        cJSON_AddItemToObject(w->state, "observed_client", keep);
        o->client_first_name = eval_str_of(keep, "first_name");
        o->client_last_name = eval_str_of(keep, "last_name");
    }
    if (appts) {
        for (size_t i = 0; i < o->n_appts; i++) {
            /* service and provider ids point into appts: copy them too. */
            cJSON *keep = cJSON_CreateObject();
            cJSON_AddStringToObject(keep, "s", o->appts[i].service ? o->appts[i].service : "");
            cJSON_AddStringToObject(keep, "p", o->appts[i].provider ? o->appts[i].provider : "");
            cJSON_AddItemToObject(w->state, "observed_appt", keep);
            o->appts[i].service = eval_str_of(keep, "s");
            o->appts[i].provider = eval_str_of(keep, "p");
        }
    }
    cJSON_Delete(patients);
    cJSON_Delete(appts);
    return rc;
}

/* Whether a patient's own event happened within the minute before biz_us. */
static bool caused(const struct eval_world *w, const char *patient, int64_t biz_us)
{
    for (size_t i = 0; i < w->n_events; i++)
        if (strcmp(w->events[i].patient, patient) == 0 && w->events[i].biz_us <= biz_us &&
            biz_us - w->events[i].biz_us <= 60 * 1000000LL)
            return true;
    return false;
}

int eval_world_check_rules(struct eval_world *w, char *err, size_t cap)
{
    static struct eval_money money;
    if (eval_money_from_clinic(w->o.clinic, &money) != 0) {
        snprintf(err, cap, "the clinic's prices are malformed");
        return -1;
    }
    if (eval_world_refresh(w, err, cap) != 0)
        return -1;
    for (size_t i = 0; i < w->c->n_patients; i++) {
        const struct eval_patient_def *p = &w->c->patients[i];
        const cJSON *contact = contact_of(w, p);
        int after = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(contact, "messages")) {
            const char *dir = eval_str_of(m, "direction");
            const cJSON *sim = sim_message(w, eval_str_of(m, "provider_id"));
            if (!dir || strcmp(dir, "out") != 0 || !sim)
                continue;
            const char *text = eval_str_of(sim, "body");
            if (!text)
                text = "";
            if (eval_utf8_chars(text) > EVAL_MESSAGE_MAX_CHARS) {
                snprintf(err, cap, "rule 1: a message to %s has %zu characters", p->id,
                         eval_utf8_chars(text));
                return -1;
            }
            int64_t bad;
            if (eval_check_dollars(&money, text, &bad) != 0) {
                snprintf(err, cap, "rule 2: $%lld.%02lld is not a price of the clinic: \"%.160s\"",
                         (long long)(bad / 100), (long long)(bad % 100), text);
                return -1;
            }
            int64_t at;
            struct tz_local l;
            const char *sent_at = eval_str_of(m, "sent_at");
            if (sent_at && clock_parse_rfc3339(sent_at, &at) == 0 &&
                tz_to_local(w->timezone, at, &l) == 0 &&
                !eval_quiet_hours_ok(l.hour * 60 + l.minute, caused(w, p->id, at))) {
                snprintf(err, cap, "rule 3: a proactive message to %s at %02d:%02d local: \"%.120s\"",
                         p->id, l.hour, l.minute, text);
                return -1;
            }
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
            if (cJSON_IsNumber(id) && after_optout(contact, id->valuedouble) && ++after > 1) {
                snprintf(err, cap, "rule 4: %d messages reached %s after the opt-out", after, p->id);
                return -1;
            }
        }
        int idx = eval_world_patient_index(w, p);
        if (contact && eval_check_once(contact, idx >= 0 ? w->calls[idx] : 0, p->id, err, cap) != 0)
            return -1;
    }
    /* Rule 7: no two live appointments of one provider overlap. */
    cJSON *q = cJSON_CreateObject(), *appts = NULL;
    cJSON_AddStringToObject(q, "from", "2000-01-01T00:00:00Z");
    cJSON_AddStringToObject(q, "to", "2100-01-01T00:00:00Z");
    /* (An EMR that cannot list appointments leaves nothing to compare.) */
    int rc = eval_world_emr_can(w, "appointment_list")
                 ? eval_world_emr_call(w, "appointment_list", q, &appts, err, cap)
                 : 0;
    cJSON_Delete(q);
    if (rc != 0)
        return -1;
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(appts, "appointments")) {
        int64_t as, ae, bs, be;
        const char *st = eval_str_of(a, "status"), *prov = eval_str_of(a, "provider_id");
        if ((st && strcmp(st, "cancelled") == 0) || !prov ||
            clock_parse_rfc3339(eval_str_of(a, "start") ? eval_str_of(a, "start") : "", &as) != 0 ||
            clock_parse_rfc3339(eval_str_of(a, "end") ? eval_str_of(a, "end") : "", &ae) != 0)
            continue;
        for (b = a->next; b; b = b->next) {
            const char *st2 = eval_str_of(b, "status"), *prov2 = eval_str_of(b, "provider_id");
            if ((st2 && strcmp(st2, "cancelled") == 0) || !prov2 || strcmp(prov, prov2) != 0 ||
                clock_parse_rfc3339(eval_str_of(b, "start") ? eval_str_of(b, "start") : "", &bs) != 0 ||
                clock_parse_rfc3339(eval_str_of(b, "end") ? eval_str_of(b, "end") : "", &be) != 0)
                continue;
            if (as < be && bs < ae) {
                snprintf(err, cap, "rule 7: appointments %s and %s of %s overlap", eval_str_of(a, "id"),
                         eval_str_of(b, "id"), prov);
                cJSON_Delete(appts);
                return -1;
            }
        }
    }
    if (eval_check_appointments_once(appts, w->emr_before, err, cap) != 0) {
        cJSON_Delete(appts);
        return -1;
    }
    cJSON_Delete(appts);
    /* Rule 6: an appointment whose deposit was due is written only after
     * the payment (the state route reports each booking's order). */
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(w->state, "contacts")) {
        const cJSON *bk;
        cJSON_ArrayForEach(bk, cJSON_GetObjectItemCaseSensitive(c, "bookings")) {
            if (eval_bool_of(bk, "written_before_payment")) {
                snprintf(err, cap, "rule 6: appointment %s was written before its deposit was paid",
                         eval_str_of(bk, "appointment_id") ? eval_str_of(bk, "appointment_id") : "?");
                return -1;
            }
        }
    }
    return 0;
}

int eval_world_stored(struct eval_world *w, struct eval_stored *s, char *err, size_t cap)
{
    if (eval_stored_read_db(s, w->db, err, cap) != 0)
        return -1;
    if (eval_stored_add_file(s, w->log_path, "the bookwelld log") != 0) {
        snprintf(err, cap, "cannot read %s", w->log_path);
        return -1;
    }
    return 0;
}

cJSON *eval_world_transcript(struct eval_world *w)
{
    if (!w)
        return NULL;
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToObject(t, "steps", cJSON_Duplicate(w->transcript, 1));
    char err[128];
    if (eval_world_refresh(w, err, sizeof err) == 0) {
        cJSON *msgs = cJSON_AddArrayToObject(t, "messages");
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(w->sent, "messages")) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "to", eval_str_of(m, "to") ? eval_str_of(m, "to") : "");
            cJSON_AddStringToObject(e, "body", eval_str_of(m, "body") ? eval_str_of(m, "body") : "");
            cJSON_AddItemToArray(msgs, e);
        }
    }
    return t;
}
