/*
 * The recall job (recall.h).
 */
#include "recall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "booking.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"
#include "outbound.h"
#include "send_gate.h"

#define US_PER_DAY (24 * 3600 * INT64_C(1000000))
#define RECALL_MAX_DAYS 730

DB_STMT(st_contact,
        "SELECT k.id, k.channel, k.address, coalesce(k.phone, ''), v.id "
        "FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id AND h.id = b.hold_id "
        "JOIN contacts k ON k.tenant_id = h.tenant_id AND k.id = h.contact_id "
        "JOIN conversations v ON v.tenant_id = k.tenant_id AND v.contact_id = k.id "
        "WHERE b.tenant_id = $1 AND b.id = $2::bigint AND k.erased_at IS NULL");
/* A later visit of the same contact, booked or being booked. */
DB_STMT(st_rebooked,
        "SELECT EXISTS (SELECT 1 FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id "
        "AND h.id = b.hold_id WHERE b.tenant_id = $1 AND h.contact_id = $2::bigint "
        "AND b.state IN ('pending', 'booked') AND b.start_at > to_timestamp($3::double precision / 1e6))");
/* Marketing consent after the contact's last opt-out. */
DB_STMT(st_marketing,
        "SELECT EXISTS (SELECT 1 FROM consent_events e WHERE e.tenant_id = $1 AND e.contact = $2 "
        "AND e.kind = 'consent' AND e.scope IN ('marketing', 'all') AND e.id > coalesce("
        "(SELECT max(o.id) FROM consent_events o WHERE o.tenant_id = $1 AND o.contact = $2 "
        "AND o.kind = 'opt_out'), 0))");
DB_STMT(st_record,
        "INSERT INTO recall_sends (tenant_id, booking_id, outcome, message_id, decided_at) "
        "VALUES ($1, $2::bigint, $3, nullif($4, '0')::bigint, "
        "to_timestamp($5::double precision / 1e6)) ON CONFLICT DO NOTHING");
DB_STMT(st_decided,
        "SELECT 1 FROM recall_sends WHERE tenant_id = $1 AND booking_id = $2::bigint");

static void i64(char *buf, size_t cap, int64_t v) { snprintf(buf, cap, "%" PRId64, v); }

int recall_days(const struct knowledge *k, const char *service_id)
{
    const cJSON *r = k && k->doc ? cJSON_GetObjectItemCaseSensitive(k->doc, "recall") : NULL;
    const cJSON *d = cJSON_IsObject(r) ? cJSON_GetObjectItemCaseSensitive(r, service_id) : NULL;
    return cJSON_IsNumber(d) && d->valuedouble >= 1 && d->valuedouble <= RECALL_MAX_DAYS
               ? (int)d->valuedouble
               : 0;
}

static int enqueue(struct db_conn *tx, const char *tenant, int64_t booking_id, int64_t at_us,
                   bool first)
{
    char pl[64], dd[64];
    snprintf(pl, sizeof pl, "{\"booking_id\":%" PRId64 "}", booking_id);
    snprintf(dd, sizeof dd, "recall:%" PRId64, booking_id);
    struct job_spec js = { .tenant_id = tenant, .kind = RECALL_JOB_KIND, .payload = pl,
                           .run_at_us = at_us, .dedupe_key = first ? dd : NULL };
    return jobs_enqueue(tx, &js, NULL) < 0 ? -1 : 0;
}

int recall_schedule(struct db_conn *tx, const char *tenant, const struct knowledge *k,
                    const struct booking *b)
{
    int days = recall_days(k, b->service_id);
    return days ? enqueue(tx, tenant, b->id, b->start_us + days * US_PER_DAY, true) : 0;
}

static int record(struct db_conn *c, const char *tenant, int64_t booking_id, const char *outcome,
                  int64_t message_id)
{
    char bid[24], mid[24], now[24];
    i64(bid, sizeof bid, booking_id);
    i64(mid, sizeof mid, message_id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant, bid, outcome, mid, now };
    PGresult *r = db_exec(c, &st_record, 5, p);
    int ok = db_ok(r);
    PQclear(r);
    if (ok) {
        const char *fields[] = { "tenant", tenant, "booking", bid, "outcome", outcome, NULL };
        log_write(LOG_INFO, NULL, fields, "recall decided");
    }
    return ok ? 0 : -1;
}

/* A one-row boolean query: 1, 0, or -1. */
static int yes(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int v = db_ok(r) && PQntuples(r) == 1 ? strcmp(PQgetvalue(r, 0, 0), "t") == 0 : -1;
    PQclear(r);
    return v;
}

static int job_send(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = job->tenant_id;
    cJSON *pl = cJSON_Parse(job->payload);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pl, "booking_id");
    int64_t id = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
    cJSON_Delete(pl);
    if (id <= 0)
        return JOB_PARK;
    char bid[24];
    i64(bid, sizeof bid, id);
    const char *pd[] = { tenant, bid };
    PGresult *r = db_exec(c, &st_decided, 2, pd);
    int decided = db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    if (decided != 0)
        return decided > 0 ? 0 : JOB_RETRY;
    struct booking b;
    if (booking_get(c, tenant, id, &b) != 0)
        return 0;
    int out = JOB_RETRY;
    const char *outcome = NULL;
    const struct knowledge *k = NULL;
    struct send_gate_input *in = NULL;
    r = db_exec(c, &st_contact, 2, pd);
    if (!db_ok(r)) {
        PQclear(r);
        goto done;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        outcome = "no_contact";
        goto decide;
    }
    int64_t contact = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    char channel[16], address[256], phone[24], cid[24], start[24];
    snprintf(channel, sizeof channel, "%s", PQgetvalue(r, 0, 1));
    snprintf(address, sizeof address, "%s", PQgetvalue(r, 0, 2));
    snprintf(phone, sizeof phone, "%s", PQgetvalue(r, 0, 3));
    int64_t conv = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    PQclear(r);
    i64(cid, sizeof cid, contact);
    i64(start, sizeof start, b.start_us);
    const char *pr[] = { tenant, cid, start };
    int again = yes(c, &st_rebooked, 3, pr);
    const char *pm[] = { tenant, address };
    int consent = again == 0 ? yes(c, &st_marketing, 2, pm) : 0;
    if (again < 0 || consent < 0)
        goto done;
    if (again) {
        outcome = "rebooked";
        goto decide;
    }
    if (!consent) {
        outcome = "no_marketing_consent";
        goto decide;
    }
    const struct tenant_config *t = config_tenant(&d->cfg, tenant);
    struct qh_policy qp;
    char why[160];
    if (!t || send_gate_policy_parse(t, &qp, why, sizeof why) != 0) {
        outcome = "gate_dropped";
        goto decide;
    }
    int64_t now = clock_now_us();
    in = calloc(1, sizeof *in);
    if (!in)
        goto done;
    *in = (struct send_gate_input){
        .tenant_id = tenant, .contact_id = contact, .kind = "proactive", .channel = channel,
        .address = address, .phone = phone[0] ? phone : NULL, .clinic_zone = t->timezone,
        .country = t->country, .created_us = now, .now_us = now,
    };
    struct send_gate_decision dec;
    if (send_gate_run(c, &qp, in, &dec) != 0)
        goto done;
    if (dec.verdict == SEND_GATE_DROP) {
        outcome = strcmp(dec.reason, "opted_out") == 0 ? "opted_out" : "gate_dropped";
        goto decide;
    }
    if (dec.verdict == SEND_GATE_HOLD) {
        out = enqueue(c, tenant, id, dec.hold_until_us, false) == 0 ? 0 : JOB_RETRY;
        goto done;
    }
    if (knowledge_get(c, tenant, &k) != 0)
        goto done;
    const struct kn_service *svc = knowledge_service(k, b.service_id);
    char text[480];
    snprintf(text, sizeof text,
             "%s: it's been a while since your %s. Would you like to book your next visit? "
             "Reply with a day and time that suits you. Reply STOP to opt out.",
             k->name ? k->name : "Your clinic", svc && svc->name ? svc->name : "last visit");
    struct outbound_msg m = { .tenant_id = tenant, .conversation_id = conv, .kind = "proactive",
                              .text = text };
    int64_t mid = 0;
    if (outbound_enqueue(c, &m, &mid) != 0)
        goto done;
    out = record(c, tenant, id, "sent", mid) == 0 ? 0 : JOB_RETRY;
    goto done;
decide:
    out = record(c, tenant, id, outcome, 0) == 0 ? 0 : JOB_RETRY;
done:
    if (out == JOB_RETRY)
        snprintf(res->error, sizeof res->error, "cannot decide the recall");
    free(in);
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return out;
}

int recall_register(struct daemon *d)
{
    return jobs_register(d->jobs, RECALL_JOB_KIND, job_send, d);
}
