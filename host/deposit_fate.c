/*
 * A deposit's fate carried out (deposit_fate.h).
 */
#include "deposit_fate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "deposits.h"
#include "evidence.h"
#include "jobs.h"

DB_STMT(st_conv_paid,
        "SELECT id FROM deposits WHERE tenant_id = $1 AND conversation_id = $2::bigint"
        " AND status = 'paid' ORDER BY id DESC LIMIT 1");
/* A booking that carries the payment: the deposit was applied to it. */
DB_STMT(st_applied,
        "SELECT 1 FROM bookings WHERE tenant_id = $1 AND deposit->>'payment_reference' = $2"
        " AND state IN ('pending', 'booked') LIMIT 1");
DB_STMT(st_booking_subject,
        "SELECT coalesce(d.hold_ref, CASE WHEN b.hold_id IS NULL THEN '' ELSE 'hold-' || b.hold_id END),"
        " coalesce(d.id, 0)"
        " FROM bookings b LEFT JOIN LATERAL (SELECT id, hold_ref FROM deposits"
        "  WHERE tenant_id = b.tenant_id AND payment_id = b.deposit->>'payment_reference'"
        "  ORDER BY id DESC LIMIT 1) d ON true"
        " WHERE b.tenant_id = $1 AND b.id = $2::bigint");

static cJSON *policy_json(const struct deposit_policy *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o && (!cJSON_AddStringToObject(o, "source", p->source) ||
              !cJSON_AddNumberToObject(o, "cancel_window_min", p->cancel_window_min) ||
              !cJSON_AddStringToObject(o, "in_window", p->in_window_credit ? "credit" : "refund") ||
              !cJSON_AddNumberToObject(o, "lost_slot_refund_min", p->lost_slot_refund_min))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Appends "deposit.fate" to dep's trail. */
static int record(struct db_conn *tx, const struct deposit *dep, const char *occasion,
                  const char *fate, const struct deposit_policy *p, int64_t due_us)
{
    char at[32];
    cJSON *body = cJSON_CreateObject(), *pol = p ? policy_json(p) : NULL;
    int rc = -1;
    if (!body || (p && !pol) || !cJSON_AddNumberToObject(body, "deposit_id", (double)dep->id) ||
        !cJSON_AddStringToObject(body, "occasion", occasion) ||
        !cJSON_AddStringToObject(body, "fate", fate) ||
        !cJSON_AddNumberToObject(body, "amount_minor", (double)dep->amount_minor) ||
        !cJSON_AddStringToObject(body, "currency", dep->currency) ||
        (due_us && !cJSON_AddStringToObject(body, "refund_due", clock_format_utc(due_us, at))))
        goto out;
    if (pol) {
        cJSON_AddItemToObject(body, "policy", pol);
        pol = NULL;
    }
    rc = evidence_append(tx, dep->tenant_id, dep->hold_ref, "deposit.fate", body, clock_now_us(),
                         NULL);
out:
    cJSON_Delete(pol);
    cJSON_Delete(body);
    return rc;
}

int deposit_fate_settle(struct db_conn *tx, const char *tenant, int64_t id,
                        enum deposit_occasion occ, int64_t start_us,
                        const struct deposit_policy *p, enum deposit_fate *fate)
{
    struct deposit dep;
    int g = deposits_get(tx, tenant, id, &dep);
    if (g <= 0)
        return g < 0 ? -1 : 1;
    if (strcmp(dep.status, "paid") != 0)
        return 1;
    *fate = deposit_policy_fate(p, occ, clock_now_us(), start_us);
    if (record(tx, &dep, deposit_occasion_name(occ), deposit_fate_name(*fate), p, 0) != 0)
        return -1;
    if (*fate == DEPOSIT_FATE_REFUNDED &&
        deposits_refund(tx, tenant, id, deposit_occasion_name(occ)) < 0)
        return -1;
    return 0;
}

int deposit_fate_lost_slot(struct db_conn *tx, const char *tenant, int64_t conv,
                           const struct deposit_policy *p)
{
    char cid[24], payload[96], dedupe[96];
    snprintf(cid, sizeof cid, "%" PRId64, conv);
    const char *params[] = { tenant, cid };
    PGresult *r = db_exec(tx, &st_conv_paid, 2, params);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int64_t id = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    struct deposit dep;
    if (id <= 0 || deposits_get(tx, tenant, id, &dep) != 1)
        return id <= 0 ? 0 : -1;
    int64_t due = clock_now_us() + (int64_t)p->lost_slot_refund_min * 60 * 1000000;
    snprintf(payload, sizeof payload, "{\"deposit_id\":%" PRId64 "}", id);
    snprintf(dedupe, sizeof dedupe, "%s:%" PRId64, DEPOSIT_FATE_LOST_SLOT_KIND, id);
    struct job_spec spec = { .tenant_id = tenant, .kind = DEPOSIT_FATE_LOST_SLOT_KIND,
                             .payload = payload, .dedupe_key = dedupe, .run_at_us = due,
                             .max_attempts = 8 };
    if (jobs_enqueue(tx, &spec, NULL) < 0)
        return -1;
    return record(tx, &dep, "lost_slot", "refund_pending", p, due);
}

int deposit_fate_refund_on_request(struct db_conn *tx, const char *tenant, int64_t conv)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, conv);
    const char *params[] = { tenant, cid };
    PGresult *r = db_exec(tx, &st_conv_paid, 2, params);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int64_t id = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    struct deposit dep;
    if (id <= 0)
        return 0;
    if (deposits_get(tx, tenant, id, &dep) != 1 ||
        record(tx, &dep, "patient_request", "refunded", NULL, 0) != 0)
        return -1;
    return deposits_refund(tx, tenant, id, "patient_request") < 0 ? -1 : 0;
}

/* The grace period is over: refund unless a booking applied the payment. */
static int lost_slot_job(struct db_conn *c, const struct job *job, struct job_result *res,
                         void *ctx)
{
    (void)ctx;
    cJSON *pl = cJSON_Parse(job->payload);
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(pl, "deposit_id");
    int64_t id = cJSON_IsNumber(idj) ? (int64_t)idj->valuedouble : 0;
    cJSON_Delete(pl);
    struct deposit dep;
    int g = id > 0 ? deposits_get(c, job->tenant_id, id, &dep) : 0;
    if (g <= 0) {
        snprintf(res->error, sizeof res->error, "deposits: lost slot of no deposit");
        return g < 0 ? JOB_RETRY : JOB_PARK;
    }
    if (strcmp(dep.status, "paid") != 0)
        return 0; /* refunded on request meanwhile */
    const char *params[] = { job->tenant_id, dep.payment_id };
    PGresult *r = db_exec(c, &st_applied, 2, params);
    if (!db_ok(r)) {
        PQclear(r);
        snprintf(res->error, sizeof res->error, "deposits: database failed");
        return JOB_RETRY;
    }
    bool applied = PQntuples(r) > 0;
    PQclear(r);
    if (applied)
        return record(c, &dep, "lost_slot", "applied", NULL, 0) == 0 ? 0 : JOB_RETRY;
    if (record(c, &dep, "lost_slot", "refunded", NULL, 0) != 0 ||
        deposits_refund(c, job->tenant_id, id, "lost_slot") < 0) {
        snprintf(res->error, sizeof res->error, "deposits: refund not queued");
        return JOB_RETRY;
    }
    return 0;
}

/* Unpaid deposits of other, lapsed holds of the same provider whose time
 * overlaps hold $2's. */
DB_STMT(st_overlapping,
        "SELECT d.id FROM holds n JOIN holds o ON o.tenant_id = n.tenant_id"
        "  AND o.provider_id = n.provider_id AND o.id <> n.id"
        "  AND o.state NOT IN ('active', 'booking', 'booked')"
        "  AND tstzrange(o.block_start, o.block_end) && tstzrange(n.block_start, n.block_end)"
        " JOIN deposits d ON d.tenant_id = o.tenant_id AND d.hold_ref = 'hold-' || o.id"
        "  AND d.status = 'created'"
        " WHERE n.tenant_id = $1 AND n.id = $2::bigint ORDER BY d.id");

int deposit_fate_expire_overlapping(struct db_conn *tx, const char *tenant, int64_t hold_id)
{
    char hid[24];
    int64_t ids[32];
    snprintf(hid, sizeof hid, "%" PRId64, hold_id);
    const char *params[] = { tenant, hid };
    PGresult *r = db_exec(tx, &st_overlapping, 2, params);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r) < 32 ? PQntuples(r) : 32;
    for (int i = 0; i < n; i++)
        ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    int expired = 0;
    for (int i = 0; i < n; i++) {
        int rc = deposits_expire(tx, tenant, ids[i]);
        if (rc < 0)
            return -1;
        expired += rc == 0;
    }
    return expired;
}

DB_STMT(st_hold_start,
        "SELECT (extract(epoch FROM start_at) * 1000000)::bigint FROM holds"
        " WHERE tenant_id = $1 AND id = $2::bigint");

int deposit_fate_expire_at_notice(struct db_conn *tx, const char *tenant, int64_t id,
                                  int64_t hold_id, int min_notice_min)
{
    char payload[64], dedupe[96], hid[24];
    snprintf(hid, sizeof hid, "%" PRId64, hold_id);
    const char *params[] = { tenant, hid };
    PGresult *r = db_exec(tx, &st_hold_start, 2, params);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    int64_t at_us = strtoll(PQgetvalue(r, 0, 0), NULL, 10) - (int64_t)min_notice_min * 60 * 1000000;
    PQclear(r);
    snprintf(payload, sizeof payload, "{\"deposit_id\":%" PRId64 "}", id);
    snprintf(dedupe, sizeof dedupe, "%s:%" PRId64, DEPOSIT_FATE_NOTICE_KIND, id);
    struct job_spec spec = { .tenant_id = tenant, .kind = DEPOSIT_FATE_NOTICE_KIND,
                             .payload = payload, .dedupe_key = dedupe, .run_at_us = at_us,
                             .max_attempts = 8 };
    return jobs_enqueue(tx, &spec, NULL) < 0 ? -1 : 0;
}

/* The slot is now closer than the minimum notice: an unpaid link goes. */
static int notice_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    (void)ctx;
    cJSON *pl = cJSON_Parse(job->payload);
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(pl, "deposit_id");
    int64_t id = cJSON_IsNumber(idj) ? (int64_t)idj->valuedouble : 0;
    cJSON_Delete(pl);
    if (id <= 0) {
        snprintf(res->error, sizeof res->error, "deposits: payload without deposit_id");
        return JOB_PARK;
    }
    if (deposits_expire(c, job->tenant_id, id) < 0) {
        snprintf(res->error, sizeof res->error, "deposits: expiry failed");
        return JOB_RETRY;
    }
    return 0;
}

int deposit_fate_register(struct jobs *j)
{
    return jobs_register(j, DEPOSIT_FATE_LOST_SLOT_KIND, lost_slot_job, NULL) ||
                   jobs_register(j, DEPOSIT_FATE_NOTICE_KIND, notice_job, NULL)
               ? -1
               : 0;
}

int deposit_fate_booking_subject(struct db_conn *c, const char *tenant, int64_t id,
                                 char *subject, size_t cap, int64_t *deposit_id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *params[] = { tenant, ids };
    PGresult *r = db_exec(c, &st_booking_subject, 2, params);
    int rc = -1;
    if (db_ok(r)) {
        rc = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] ? 1 : 0;
        if (rc == 1) {
            snprintf(subject, cap, "%s", PQgetvalue(r, 0, 0));
            if (deposit_id)
                *deposit_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        }
    }
    PQclear(r);
    return rc;
}
