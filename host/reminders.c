/*
 * Confirmation and reminder jobs (reminders.h).
 */
#include "reminders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "attendance.h"
#include "booking.h"
#include "booking_notify.h"
#include "clock.h"
#include "daemon.h"
#include "http_server.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"
#include "outbound.h"
#include "reminder_policy.h"
#include "reminder_text.h"
#include "send_gate.h"

#define US_PER_MIN (60 * INT64_C(1000000))

DB_STMT(st_contact,
        "SELECT k.id, k.channel, k.address, coalesce(k.phone, ''), v.id "
        "FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id AND h.id = b.hold_id "
        "JOIN contacts k ON k.tenant_id = h.tenant_id AND k.id = h.contact_id "
        "JOIN conversations v ON v.tenant_id = k.tenant_id AND v.contact_id = k.id "
        "WHERE b.tenant_id = $1 AND b.id = $2::bigint AND k.erased_at IS NULL");
DB_STMT(st_insert_reminder,
        "INSERT INTO appointment_reminders (tenant_id, booking_id, contact_id, calendar_token, "
        "created_at) VALUES ($1, $2::bigint, nullif($3, '0')::bigint, $4, "
        "to_timestamp($5::double precision / 1e6)) ON CONFLICT DO NOTHING RETURNING 1");
DB_STMT(st_decided,
        "SELECT 1 FROM reminder_sends WHERE tenant_id = $1 AND booking_id = $2::bigint "
        "AND offset_min = $3::int");
DB_STMT(st_record,
        "INSERT INTO reminder_sends (tenant_id, booking_id, offset_min, contact_id, outcome, "
        "message_id, decided_at) VALUES ($1, $2::bigint, $3::int, nullif($4, '0')::bigint, $5, "
        "nullif($6, '0')::bigint, to_timestamp($7::double precision / 1e6)) "
        "ON CONFLICT DO NOTHING");
DB_STMT(st_caps,
        "SELECT count(*) FILTER (WHERE decided_at > to_timestamp($3::double precision / 1e6) "
        "- interval '24 hours'), count(*) FROM reminder_sends WHERE tenant_id = $1 "
        "AND contact_id = $2::bigint AND outcome = 'sent' "
        "AND decided_at > to_timestamp($3::double precision / 1e6) - interval '7 days'");
DB_STMT(st_reminded,
        "UPDATE appointment_reminders SET reminded_at = to_timestamp($3::double precision / 1e6), "
        "reply_open = confirmed_at IS NULL WHERE tenant_id = $1 AND booking_id = $2::bigint");
DB_STMT(st_confirmed,
        "SELECT confirmed_at IS NOT NULL FROM appointment_reminders "
        "WHERE tenant_id = $1 AND booking_id = $2::bigint");
DB_STMT(st_alerted,
        "UPDATE appointment_reminders SET unconfirmed_alerted_at = "
        "to_timestamp($3::double precision / 1e6) WHERE tenant_id = $1 AND booking_id = $2::bigint");

static void i64(char *buf, size_t cap, int64_t v) { snprintf(buf, cap, "%" PRId64, v); }

static int exec_ok(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int ok = db_ok(r);
    PQclear(r);
    return ok ? 0 : -1;
}

static int64_t payload_int(const char *payload, const char *name)
{
    cJSON *p = cJSON_Parse(payload);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);
    int64_t out = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
    cJSON_Delete(p);
    return out;
}

int reminders_on_booked(struct db_conn *tx, const char *tenant, const struct booking *b)
{
    char pl[64], dd[64];
    snprintf(pl, sizeof pl, "{\"booking_id\":%" PRId64 "}", b->id);
    snprintf(dd, sizeof dd, "reminders-confirm:%" PRId64, b->id);
    struct job_spec js = { .tenant_id = tenant, .kind = REMINDERS_CONFIRM_KIND, .payload = pl,
                           .dedupe_key = dd };
    return jobs_enqueue(tx, &js, NULL) < 0 || attendance_schedule(tx, tenant, b) != 0 ? -1 : 0;
}

void reminders_calendar_url(struct daemon *d, const char *links_base_url, const char *token,
                            char *out, size_t cap)
{
    if (links_base_url && links_base_url[0]) {
        snprintf(out, cap, "%s/calendar/%s.ics", links_base_url, token);
        return;
    }
    /* The public listener as configured, with the port it is bound to. */
    char host[128] = "127.0.0.1";
    const char *lp = d->cfg.listen_public;
    const char *colon = lp ? strrchr(lp, ':') : NULL;
    if (colon && colon > lp && (size_t)(colon - lp) < sizeof host) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - lp), lp);
        if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0)
            snprintf(host, sizeof host, "localhost");
    }
    unsigned port = d->public_http ? http_server_port(d->public_http) : 0;
    if (port == 0 && colon) /* not listening yet: the configured port */
        port = (unsigned)strtoul(colon + 1, NULL, 10);
    snprintf(out, cap, "http://%s:%u/calendar/%s.ics", host, port, token);
}

struct contact_row {
    int64_t id, conversation_id;
    char channel[16], address[256], phone[24];
};

/* 1 and *k filled, 0 when the booking has no patient contact, -1. */
static int load_contact(struct db_conn *c, const char *tenant, int64_t booking_id,
                        struct contact_row *k)
{
    char bid[24];
    i64(bid, sizeof bid, booking_id);
    const char *p[] = { tenant, bid };
    PGresult *r = db_exec(c, &st_contact, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int found = PQntuples(r) == 1;
    if (found) {
        k->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(k->channel, sizeof k->channel, "%s", PQgetvalue(r, 0, 1));
        snprintf(k->address, sizeof k->address, "%s", PQgetvalue(r, 0, 2));
        snprintf(k->phone, sizeof k->phone, "%s", PQgetvalue(r, 0, 3));
        k->conversation_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    }
    PQclear(r);
    return found;
}

/* Queues kind for booking_id, offset_min before the start start_us (the
 * job does nothing if the appointment has moved since). */
static int enqueue_at(struct db_conn *c, const char *tenant, const char *kind, int64_t booking_id,
                      int offset_min, int64_t start_us, int64_t run_at_us, bool dedupe)
{
    char pl[128], dd[128];
    /* The start in seconds: a 16-digit number would read as a card number
     * to anyone scanning the tables for them. */
    snprintf(pl, sizeof pl,
             "{\"booking_id\":%" PRId64 ",\"offset_min\":%d,\"start_s\":%" PRId64 "}",
             booking_id, offset_min, start_us / 1000000);
    snprintf(dd, sizeof dd, "%s:%" PRId64 ":%d:%" PRId64, kind, booking_id, offset_min,
             start_us / 1000000);
    struct job_spec js = { .tenant_id = tenant, .kind = kind, .payload = pl,
                           .run_at_us = run_at_us, .dedupe_key = dedupe ? dd : NULL };
    return jobs_enqueue(c, &js, NULL) < 0 ? -1 : 0;
}

/* The reminders of b's schedule still ahead, and the unconfirmed check. 0 or -1. */
static int schedule(struct db_conn *c, const char *tenant, const struct booking *b,
                    const struct reminder_policy *pol)
{
    int64_t t_now = clock_now_us();
    for (int i = 0; i < pol->n_offsets; i++) {
        int64_t at = b->start_us - pol->offsets_min[i] * US_PER_MIN;
        if (at > t_now && enqueue_at(c, tenant, REMINDERS_SEND_KIND, b->id, pol->offsets_min[i],
                                     b->start_us, at, true) != 0)
            return -1;
    }
    if (pol->unconfirmed_alert_min > 0) {
        int64_t at = b->start_us - pol->unconfirmed_alert_min * US_PER_MIN;
        if (at > t_now && enqueue_at(c, tenant, REMINDERS_UNCONFIRMED_KIND, b->id,
                                     pol->unconfirmed_alert_min, b->start_us, at, true) != 0)
            return -1;
    }
    return 0;
}

/* Whether the job was queued for another start than b's (the appointment
 * moved: the move queued its own). */
static bool moved_since(const struct job *job, const struct booking *b)
{
    int64_t planned = payload_int(job->payload, "start_s");
    return planned != 0 && planned != b->start_us / 1000000;
}

int reminders_on_moved(struct db_conn *tx, const char *tenant, int64_t booking_id)
{
    struct booking b;
    int g = booking_get(tx, tenant, booking_id, &b);
    if (g == BOOKING_E_NOTFOUND)
        return 0;
    if (g != 0)
        return -1;
    const struct knowledge *k = NULL;
    int krc = knowledge_get(tx, tenant, &k);
    struct reminder_policy pol;
    reminder_policy_from_doc(krc == 0 && k ? k->doc : NULL, &pol);
    int rc = krc != 0 && krc != KNOWLEDGE_E_NOTFOUND ? -1 : schedule(tx, tenant, &b, &pol);
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return rc;
}

/* reminders.confirm: the confirmation, the calendar token, the schedule. */
static int job_confirm(struct db_conn *c, const struct job *job, struct job_result *res,
                       void *ctx)
{
    struct daemon *d = ctx;
    int64_t id = payload_int(job->payload, "booking_id");
    struct booking b;
    int g = booking_get(c, job->tenant_id, id, &b);
    if (g == BOOKING_E_NOTFOUND)
        return 0;
    if (g != 0) {
        snprintf(res->error, sizeof res->error, "cannot read the booking");
        return JOB_RETRY;
    }
    int out = 0;
    const struct knowledge *k = NULL;
    struct contact_row ct = { 0 };
    if (strcmp(b.state, "booked") != 0)
        goto done;
    int krc = knowledge_get(c, job->tenant_id, &k);
    int lc = load_contact(c, job->tenant_id, id, &ct);
    if ((krc != 0 && krc != KNOWLEDGE_E_NOTFOUND) || lc < 0) {
        snprintf(res->error, sizeof res->error, "cannot read the catalog or the contact");
        out = JOB_RETRY;
        goto done;
    }
    unsigned char raw[REMINDER_TOKEN_LEN / 2];
    char token[REMINDER_TOKEN_LEN + 1], bid[24], cid[24], now[24];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(res->error, sizeof res->error, "no randomness for the calendar token");
        out = JOB_RETRY;
        goto done;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(token + 2 * i, 3, "%02x", raw[i]);
    i64(bid, sizeof bid, id);
    i64(cid, sizeof cid, lc == 1 ? ct.id : 0);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { job->tenant_id, bid, cid, token, now };
    PGresult *r = db_exec(c, &st_insert_reminder, 5, p);
    int inserted = db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    if (inserted < 0) {
        snprintf(res->error, sizeof res->error, "cannot record the calendar token");
        out = JOB_RETRY;
        goto done;
    }
    if (inserted == 0) /* confirmed before (a rewrite of the same booking) */
        goto done;
    struct reminder_policy pol;
    reminder_policy_from_doc(k ? k->doc : NULL, &pol);
    if (lc == 1) {
        char url[REMINDER_URL_MAX + 96], text[REMINDER_CONFIRMATION_MAX + 1];
        reminders_calendar_url(d, pol.links_base_url, token, url, sizeof url);
        struct reminder_appt a = { b.service_id, b.provider_id, b.start_us, b.end_us };
        reminder_text_confirmation(k, &a, url, text, sizeof text);
        struct outbound_msg m = { .tenant_id = job->tenant_id,
                                  .conversation_id = ct.conversation_id, .kind = "notice",
                                  .text = text };
        if (outbound_enqueue(c, &m, NULL) != 0) {
            snprintf(res->error, sizeof res->error, "cannot queue the confirmation");
            out = JOB_RETRY;
            goto done;
        }
    }
    if (schedule(c, job->tenant_id, &b, &pol) != 0)
        out = JOB_RETRY;
done:
    if (out == JOB_RETRY && !res->error[0])
        snprintf(res->error, sizeof res->error, "cannot schedule the reminders");
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return out;
}

static int record(struct db_conn *c, const char *tenant, int64_t booking_id, int offset_min,
                  int64_t contact_id, const char *outcome, int64_t message_id)
{
    char bid[24], off[16], cid[24], mid[24], now[24];
    i64(bid, sizeof bid, booking_id);
    snprintf(off, sizeof off, "%d", offset_min);
    i64(cid, sizeof cid, contact_id);
    i64(mid, sizeof mid, message_id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant, bid, off, cid, outcome, mid, now };
    if (exec_ok(c, &st_record, 7, p) != 0)
        return -1;
    char sb[24], so[16];
    snprintf(sb, sizeof sb, "%" PRId64, booking_id);
    snprintf(so, sizeof so, "%d", offset_min);
    const char *fields[] = { "tenant", tenant, "booking", sb, "offset_min", so, "outcome",
                             outcome, NULL };
    log_write(LOG_INFO, NULL, fields, "reminder decided");
    return 0;
}

/* Reminders sent to the contact in the last day and week: 0, or -1. */
static int recent_reminders(struct db_conn *c, const char *tenant, int64_t contact_id,
                            int *day, int *week)
{
    char cid[24], now[24];
    i64(cid, sizeof cid, contact_id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant, cid, now };
    PGresult *r = db_exec(c, &st_caps, 3, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    *day = atoi(PQgetvalue(r, 0, 0));
    *week = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

/* reminders.send: one reminder of one booking, now, later, or never. */
static int job_send(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    int64_t id = payload_int(job->payload, "booking_id");
    int offset = (int)payload_int(job->payload, "offset_min");
    if (id <= 0 || offset <= 0)
        return JOB_PARK;
    char bid[24], off[16];
    i64(bid, sizeof bid, id);
    snprintf(off, sizeof off, "%d", offset);
    const char *dp[] = { job->tenant_id, bid, off };
    PGresult *r = db_exec(c, &st_decided, 3, dp);
    int decided = db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    if (decided > 0) /* decided before: a retry after the commit was lost */
        return 0;
    if (decided < 0) {
        snprintf(res->error, sizeof res->error, "cannot read the reminder");
        return JOB_RETRY;
    }
    struct booking b;
    int g = booking_get(c, job->tenant_id, id, &b);
    if (g == BOOKING_E_NOTFOUND)
        return 0;
    if (g != 0) {
        snprintf(res->error, sizeof res->error, "cannot read the booking");
        return JOB_RETRY;
    }
    int out = JOB_RETRY;
    const struct knowledge *k = NULL;
    struct contact_row ct = { 0 };
    struct send_gate_input *in = NULL;
    const char *outcome = NULL;
    int64_t now = clock_now_us();
    if (moved_since(job, &b)) {
        out = 0; /* the move queued the reminders of the new time */
        goto done;
    }
    if (strcmp(b.state, "booked") != 0 || b.start_us <= now) {
        outcome = "not_booked";
        goto decide;
    }
    int lc = load_contact(c, job->tenant_id, id, &ct);
    if (lc < 0)
        goto done;
    if (lc == 0) {
        outcome = "no_contact";
        goto decide;
    }
    int krc = knowledge_get(c, job->tenant_id, &k);
    if (krc != 0 && krc != KNOWLEDGE_E_NOTFOUND)
        goto done;
    struct reminder_policy pol;
    reminder_policy_from_doc(k ? k->doc : NULL, &pol);
    const struct tenant_config *t = config_tenant(&d->cfg, job->tenant_id);
    struct qh_policy qp;
    char why[160];
    if (!t || send_gate_policy_parse(t, &qp, why, sizeof why) != 0) {
        outcome = "gate_dropped";
        goto decide;
    }
    in = calloc(1, sizeof *in);
    if (!in)
        goto done;
    *in = (struct send_gate_input){
        .tenant_id = job->tenant_id, .contact_id = ct.id, .kind = "notice",
        .channel = ct.channel, .address = ct.address, .phone = ct.phone[0] ? ct.phone : NULL,
        .clinic_zone = t->timezone, .country = t->country, .created_us = now, .now_us = now,
    };
    struct send_gate_decision dec;
    if (send_gate_run(c, &qp, in, &dec) != 0)
        goto done;
    if (dec.verdict == SEND_GATE_DROP) {
        outcome = strcmp(dec.reason, "opted_out") == 0 ? "opted_out" : "gate_dropped";
        goto decide;
    }
    if (dec.verdict == SEND_GATE_HOLD) {
        if (dec.hold_until_us > b.start_us - pol.min_lead_min * US_PER_MIN) {
            outcome = "too_late";
            goto decide;
        }
        /* Tried again at the window's opening (or when the cap clears). */
        if (enqueue_at(c, job->tenant_id, REMINDERS_SEND_KIND, id, offset, b.start_us,
                       dec.hold_until_us, false) != 0)
            goto done;
        out = 0;
        goto done;
    }
    int day = 0, week = 0;
    if (recent_reminders(c, job->tenant_id, ct.id, &day, &week) != 0)
        goto done;
    if (day >= REMINDER_DAILY_MAX || week >= REMINDER_WEEKLY_MAX) {
        outcome = day >= REMINDER_DAILY_MAX ? "daily_cap" : "weekly_cap";
        goto decide;
    }
    const char *cp[] = { job->tenant_id, bid };
    r = db_exec(c, &st_confirmed, 2, cp);
    if (!db_ok(r)) {
        PQclear(r);
        goto done;
    }
    bool confirmed = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    char text[REMINDER_SMS_MAX + 1];
    struct reminder_appt a = { b.service_id, b.provider_id, b.start_us, b.end_us };
    reminder_text_reminder(k, &a, confirmed, text, sizeof text);
    struct outbound_msg m = { .tenant_id = job->tenant_id, .conversation_id = ct.conversation_id,
                              .kind = "notice", .text = text };
    int64_t mid = 0;
    char now_s[24];
    i64(now_s, sizeof now_s, now);
    const char *rp[] = { job->tenant_id, bid, now_s };
    if (outbound_enqueue(c, &m, &mid) != 0 || exec_ok(c, &st_reminded, 3, rp) != 0 ||
        record(c, job->tenant_id, id, offset, ct.id, "sent", mid) != 0)
        goto done;
    out = 0;
    goto done;
decide:
    out = record(c, job->tenant_id, id, offset, ct.id, outcome, 0) == 0 ? 0 : JOB_RETRY;
done:
    if (out == JOB_RETRY && !res->error[0])
        snprintf(res->error, sizeof res->error, "cannot decide the reminder");
    free(in);
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return out;
}

/* reminders.unconfirmed: staff hear of a booking still unconfirmed. */
static int job_unconfirmed(struct db_conn *c, const struct job *job, struct job_result *res,
                           void *ctx)
{
    struct daemon *d = ctx;
    int64_t id = payload_int(job->payload, "booking_id");
    struct booking b;
    int g = booking_get(c, job->tenant_id, id, &b);
    if (g == BOOKING_E_NOTFOUND)
        return 0;
    if (g != 0) {
        snprintf(res->error, sizeof res->error, "cannot read the booking");
        return JOB_RETRY;
    }
    int out = 0;
    char bid[24], now[24];
    if (moved_since(job, &b)) {
        booking_clear(&b);
        return 0; /* the move queued the check of the new time */
    }
    i64(bid, sizeof bid, id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { job->tenant_id, bid, now };
    PGresult *r = db_exec(c, &st_confirmed, 2, p);
    int confirmed = db_ok(r) && PQntuples(r) == 1 ? strcmp(PQgetvalue(r, 0, 0), "t") == 0 : -1;
    if (db_ok(r) && PQntuples(r) == 0)
        confirmed = 0;
    PQclear(r);
    if (confirmed < 0) {
        out = JOB_RETRY;
    } else if (!confirmed && strcmp(b.state, "booked") == 0 && b.start_us > clock_now_us()) {
        const struct knowledge *k = NULL;
        int krc = knowledge_get(c, job->tenant_id, &k);
        char desc[200], text[400];
        booking_describe_slot(krc == 0 ? k : NULL, b.service_id, b.start_us, desc, sizeof desc);
        if (k)
            knowledge_release(k);
        snprintf(text, sizeof text,
                 "booking %" PRId64 " (%s) is not confirmed by the patient yet. Please call "
                 "to confirm.",
                 b.id, desc);
        if (booking_tell_staff(c, job->tenant_id, &b, "booking.unconfirmed", text,
                               booking_staff_phone(d, job->tenant_id)) < 0 ||
            exec_ok(c, &st_alerted, 3, p) != 0)
            out = JOB_RETRY;
    }
    if (out == JOB_RETRY)
        snprintf(res->error, sizeof res->error, "cannot raise the unconfirmed alert");
    booking_clear(&b);
    return out;
}

int reminders_register(struct daemon *d)
{
    return jobs_register(d->jobs, REMINDERS_CONFIRM_KIND, job_confirm, d) ||
                   jobs_register(d->jobs, REMINDERS_SEND_KIND, job_send, d) ||
                   jobs_register(d->jobs, REMINDERS_UNCONFIRMED_KIND, job_unconfirmed, d)
               ? -1
               : 0;
}
