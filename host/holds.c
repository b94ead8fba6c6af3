/*
 * Holds in PostgreSQL under an exclusion constraint, and their expiry job.
 */
#include "holds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "availability.h"
#include "clock.h"
#include "jobs.h"

#define US_PER_MIN (60 * INT64_C(1000000))

DB_STMT(st_expire,
        "UPDATE holds SET state = 'expired', updated_at = to_timestamp($2::double precision / 1e6) "
        "WHERE ($1::text IS NULL OR tenant_id = $1) AND state = 'active' "
        "AND expires_at <= to_timestamp($2::double precision / 1e6)");
DB_STMT(st_insert,
        "INSERT INTO holds (tenant_id, provider_id, service_id, start_at, end_at, block_start, "
        "block_end, expires_at, contact_id, patient, deposit_cents, created_at, updated_at) "
        "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1e6), "
        "to_timestamp($5::double precision / 1e6), to_timestamp($6::double precision / 1e6), "
        "to_timestamp($7::double precision / 1e6), to_timestamp($8::double precision / 1e6), "
        "NULLIF($9, '0')::bigint, COALESCE($10, '{}')::jsonb, $11::bigint, "
        "to_timestamp($12::double precision / 1e6), to_timestamp($12::double precision / 1e6)) "
        "RETURNING id");
DB_STMT(st_resource,
        "INSERT INTO hold_resources (tenant_id, hold_id, resource_id, unit, block_start, block_end) "
        "VALUES ($1, $2::bigint, $3, $4::int, to_timestamp($5::double precision / 1e6), "
        "to_timestamp($6::double precision / 1e6))");
DB_STMT(st_transition,
        "UPDATE holds SET state = $4, updated_at = to_timestamp($5::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint AND state = $3");
DB_STMT(st_resource_free,
        "UPDATE hold_resources SET live = false WHERE tenant_id = $1 AND hold_id = $2::bigint");
DB_STMT(st_get,
        "SELECT id, provider_id, service_id, (extract(epoch FROM start_at) * 1000000)::bigint, "
        "(extract(epoch FROM end_at) * 1000000)::bigint, "
        "(extract(epoch FROM expires_at) * 1000000)::bigint, state "
        "FROM holds WHERE tenant_id = $1 AND id = $2::bigint");

static void i64(char *buf, size_t cap, int64_t v)
{
    snprintf(buf, cap, "%lld", (long long)v);
}

int holds_expire_due(struct db_conn *c, const char *tenant_id, int64_t now_us)
{
    char now[32];
    i64(now, sizeof now, now_us);
    const char *p[] = { tenant_id, now };
    PGresult *r = db_exec(c, &st_expire, 2, p);
    int rc = db_ok(r) ? 0 : HOLDS_E_DB;
    PQclear(r);
    if (rc == 0)
        availability_invalidate(tenant_id);
    return rc;
}

int holds_acquire(struct db_conn *c, const struct knowledge *k, const struct hold_request *rq,
                  struct hold *out)
{
    const struct kn_service *svc = knowledge_service(k, rq->service_id);
    const struct kn_provider *prov = knowledge_provider(k, rq->provider_id);
    int64_t now = clock_now_us();
    if (!svc || !prov || availability_allowed(k, svc, prov, rq->start_us, now) != 0)
        return HOLDS_E_INVAL;
    bool own_tx = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (own_tx && db_begin(c) != 0)
        return HOLDS_E_DB;
    int rc = HOLDS_E_DB;
    PGresult *r = NULL;
    if (holds_expire_due(c, k->tenant_id, now) != 0)
        goto fail;
    int64_t end = rq->start_us + (int64_t)svc->duration_min * US_PER_MIN;
    int64_t b0 = rq->start_us - (int64_t)svc->buffer_before_min * US_PER_MIN;
    int64_t b1 = end + (int64_t)svc->buffer_after_min * US_PER_MIN;
    int64_t exp = now + (int64_t)k->hold_minutes * US_PER_MIN;
    char s[32], e[32], bs[32], be[32], ex[32], ct[32], dep[32], nw[32];
    i64(s, sizeof s, rq->start_us);
    i64(e, sizeof e, end);
    i64(bs, sizeof bs, b0);
    i64(be, sizeof be, b1);
    i64(ex, sizeof ex, exp);
    i64(ct, sizeof ct, rq->contact_id);
    i64(dep, sizeof dep, rq->deposit_cents);
    i64(nw, sizeof nw, now);
    if (db_exec_simple(c, "SAVEPOINT hold") != 0)
        goto fail;
    const char *p[] = { k->tenant_id, prov->id, svc->id, s, e, bs, be, ex, ct, rq->patient_json,
                        dep, nw };
    r = db_exec(c, &st_insert, 12, p);
    if (!db_ok(r)) {
        if (strcmp(db_sqlstate(r), "23P01") == 0) {
            rc = HOLDS_E_CONFLICT;
            db_exec_simple(c, "ROLLBACK TO SAVEPOINT hold");
        }
        goto fail;
    }
    int64_t id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = NULL;
    const struct kn_resource *res = svc->resource ? knowledge_resource(k, svc->resource) : NULL;
    if (res) {
        char hid[32];
        i64(hid, sizeof hid, id);
        bool got = false;
        for (int u = 0; u < res->count && !got; u++) {
            char unit[16];
            snprintf(unit, sizeof unit, "%d", u);
            if (db_exec_simple(c, "SAVEPOINT unit") != 0)
                goto fail;
            const char *rp[] = { k->tenant_id, hid, res->id, unit, bs, be };
            PGresult *rr = db_exec(c, &st_resource, 6, rp);
            got = db_ok(rr);
            bool excl = !got && strcmp(db_sqlstate(rr), "23P01") == 0;
            PQclear(rr);
            if (!got && (!excl || db_exec_simple(c, "ROLLBACK TO SAVEPOINT unit") != 0))
                goto fail;
        }
        if (!got) {
            db_exec_simple(c, "ROLLBACK TO SAVEPOINT hold");
            rc = HOLDS_E_CONFLICT;
            goto fail;
        }
    }
    char payload[128], dedupe[64];
    snprintf(payload, sizeof payload, "{\"hold_id\":%lld}", (long long)id);
    snprintf(dedupe, sizeof dedupe, "hold-expire:%lld", (long long)id);
    struct job_spec js = { .tenant_id = k->tenant_id, .kind = HOLDS_JOB_KIND,
                           .payload = payload, .run_at_us = exp, .dedupe_key = dedupe };
    if (jobs_enqueue(c, &js, NULL) < 0)
        goto fail;
    if (own_tx && db_commit(c) != 0)
        goto fail_nort;
    availability_invalidate(k->tenant_id);
    memset(out, 0, sizeof *out);
    out->id = id;
    snprintf(out->provider_id, sizeof out->provider_id, "%s", prov->id);
    snprintf(out->service_id, sizeof out->service_id, "%s", svc->id);
    out->start_us = rq->start_us;
    out->end_us = end;
    out->expires_us = exp;
    snprintf(out->state, sizeof out->state, "active");
    return 0;
fail:
    PQclear(r);
    if (own_tx)
        db_rollback(c);
    return rc;
fail_nort:
    return HOLDS_E_DB;
}

int holds_transition(struct db_conn *c, const char *tenant_id, int64_t id, const char *from,
                     const char *to)
{
    char hid[32], now[32];
    i64(hid, sizeof hid, id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant_id, hid, from, to, now };
    PGresult *r = db_exec(c, &st_transition, 5, p);
    int rc = !db_ok(r) ? HOLDS_E_DB : strcmp(PQcmdTuples(r), "1") == 0 ? 0 : HOLDS_E_NOTFOUND;
    PQclear(r);
    if (rc == 0 && strcmp(to, "active") != 0 && strcmp(to, "booking") != 0) {
        const char *q[] = { tenant_id, hid };
        r = db_exec(c, &st_resource_free, 2, q);
        if (!db_ok(r))
            rc = HOLDS_E_DB;
        PQclear(r);
    }
    if (rc == 0)
        availability_invalidate(tenant_id);
    return rc;
}

int holds_release(struct db_conn *c, const char *tenant_id, int64_t id)
{
    return holds_transition(c, tenant_id, id, "active", "released");
}

int holds_get(struct db_conn *c, const char *tenant_id, int64_t id, struct hold *out)
{
    char hid[32];
    i64(hid, sizeof hid, id);
    const char *p[] = { tenant_id, hid };
    PGresult *r = db_exec(c, &st_get, 2, p);
    int rc = !db_ok(r) ? HOLDS_E_DB : PQntuples(r) == 1 ? 0 : HOLDS_E_NOTFOUND;
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(out->provider_id, sizeof out->provider_id, "%s", PQgetvalue(r, 0, 1));
        snprintf(out->service_id, sizeof out->service_id, "%s", PQgetvalue(r, 0, 2));
        out->start_us = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        out->end_us = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
        out->expires_us = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
        snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 6));
    }
    PQclear(r);
    return rc;
}

/* The expiry job: the hold lapses unless it moved on meanwhile. */
static int expire_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    (void)ctx;
    (void)res;
    (void)job;
    return holds_expire_due(c, job->tenant_id, clock_now_us()) == 0 ? 0 : JOB_RETRY;
}

int holds_register_jobs(struct jobs *j)
{
    return jobs_register(j, HOLDS_JOB_KIND, expire_job, NULL);
}
