/*
 * Read-side queries over the jobs table for operators, and the one write an
 * operator needs: requeueing a parked job once its cause is fixed.
 */
#include "jobs_admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

static int64_t i64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void text(char *out, size_t cap, const PGresult *r, int row, int col)
{
    snprintf(out, cap, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

DB_STMT(st_counts,
        "SELECT kind,"
        "  count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running'),"
        "  count(*) FILTER (WHERE state = 'parked'), count(*) FILTER (WHERE state = 'done')"
        " FROM jobs GROUP BY kind ORDER BY kind LIMIT $1::integer");

int jobs_admin_counts(struct db_conn *c, struct jobs_kind_count *out, int cap)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", cap);
    const char *p[] = { lim };
    PGresult *r = db_exec(c, &st_counts, 1, p);
    int n = JOBS_E_DB;
    if (db_ok(r)) {
        n = PQntuples(r) < cap ? PQntuples(r) : cap;
        for (int i = 0; i < n; i++) {
            text(out[i].kind, sizeof out[i].kind, r, i, 0);
            out[i].queued = i64(r, i, 1);
            out[i].running = i64(r, i, 2);
            out[i].parked = i64(r, i, 3);
            out[i].done = i64(r, i, 4);
        }
    }
    PQclear(r);
    return n;
}

DB_STMT(st_list,
        "SELECT tenant_id, id, kind, state, attempts, COALESCE(max_attempts, $6::integer),"
        "  (extract(epoch FROM run_at) * 1000000)::bigint, ordering_key, last_error, lease_owner,"
        "  (extract(epoch FROM created_at) * 1000000)::bigint,"
        "  (extract(epoch FROM finished_at) * 1000000)::bigint"
        " FROM jobs WHERE state = $1 AND ($2::text IS NULL OR tenant_id = $2)"
        "  AND ($3::text IS NULL OR kind = $3) AND id > $4::bigint"
        " ORDER BY id LIMIT $5::integer");

int jobs_admin_list(struct db_conn *c, const struct jobs_filter *f, struct jobs_row *rows)
{
    char after[24], lim[16], def[16];
    if (!f->state || f->limit < 1 || f->limit > JOBS_ADMIN_PAGE_MAX)
        return JOBS_E_INVAL;
    snprintf(after, sizeof after, "%" PRId64, f->after_id);
    snprintf(lim, sizeof lim, "%d", f->limit);
    snprintf(def, sizeof def, "%d", f->default_max_attempts);
    const char *p[] = { f->state, f->tenant_id, f->kind, after, lim, def };
    PGresult *r = db_exec(c, &st_list, 6, p);
    int n = JOBS_E_DB;
    if (db_ok(r)) {
        n = PQntuples(r) < f->limit ? PQntuples(r) : f->limit;
        for (int i = 0; i < n; i++) {
            struct jobs_row *w = &rows[i];
            text(w->tenant_id, sizeof w->tenant_id, r, i, 0);
            w->id = i64(r, i, 1);
            text(w->kind, sizeof w->kind, r, i, 2);
            text(w->state, sizeof w->state, r, i, 3);
            w->attempts = (int)i64(r, i, 4);
            w->max_attempts = (int)i64(r, i, 5);
            w->run_at_us = i64(r, i, 6);
            text(w->ordering_key, sizeof w->ordering_key, r, i, 7);
            text(w->last_error, sizeof w->last_error, r, i, 8);
            text(w->lease_owner, sizeof w->lease_owner, r, i, 9);
            w->created_us = i64(r, i, 10);
            w->finished_us = i64(r, i, 11);
        }
    }
    PQclear(r);
    return n;
}

DB_STMT(st_requeue,
        "WITH u AS ("
        " UPDATE jobs SET state = 'queued', attempts = 0, run_at = $3::timestamptz,"
        "   finished_at = NULL"
        " WHERE tenant_id = $1 AND id = $2::bigint AND state = 'parked' RETURNING id)"
        " SELECT id, pg_notify('" JOBS_CHANNEL "', '') FROM u");

int jobs_admin_requeue(struct db_conn *c, const char *tenant_id, int64_t id)
{
    char sid[24], now[32];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    clock_format_utc(clock_now_us(), now);
    const char *p[] = { tenant_id, sid, now };
    PGresult *r = db_exec(c, &st_requeue, 3, p);
    int rc = db_ok(r) ? (PQntuples(r) == 1 ? 0 : 1) : JOBS_E_DB;
    PQclear(r);
    return rc;
}
