/*
 * The jobs queue's statements: enqueue (the outbox write), claim (one
 * statement, FOR UPDATE SKIP LOCKED, heads of ordering keys only), execute
 * (the handler inside the transaction that marks the job done, fenced by the
 * claim's attempt and owner), failure bookkeeping with backoff and parking,
 * the lease reaper, and the counts the admin routes and the test clock read.
 * Threads live in jobs_worker.c.
 */
#include "jobs_internal.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"

/* Advisory lock class for "enqueue into this ordering key" ('jobs'). */
#define ORDERING_LOCK_CLASS "1785686643"

/* Jobs at the head of their ordering key: no earlier job of the same key is
 * still queued or running (the claim, in SQL, tests the same). */
#define HEAD_OF_KEY                                                                   \
    "(j.ordering_key IS NULL OR NOT EXISTS ("                                         \
    "   SELECT 1 FROM jobs e WHERE e.tenant_id = j.tenant_id"                         \
    "      AND e.ordering_key = j.ordering_key AND e.id < j.id"                       \
    "      AND e.state IN ('queued', 'running')))"

static void fmt_i64(char *out, size_t cap, int64_t v) { snprintf(out, cap, "%" PRId64, v); }

static int64_t parse_i64(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

static bool kind_valid(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n == 0 || n > JOBS_KIND_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = kind[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
              ch == '-'))
            return false;
    }
    return true;
}

/* Copies s into out keeping printable ASCII only, so a stored error is
 * always valid UTF-8 whatever a handler wrote. */
static void copy_error(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    if (!cap)
        return;
    for (; s && *s && n + 1 < cap; s++)
        out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[n] = '\0';
}

/* ---------------------------------------------------------------- lifecycle */

static void make_owner(char *out, size_t cap)
{
    char host[64] = "host";
    uint32_t nonce = 0;
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        nonce = (uint32_t)clock_mono_us();
    snprintf(out, cap, "%s:%ld:%08" PRIx32, host, (long)getpid(), nonce);
}

int jobs_create(struct jobs **out, const struct jobs_options *opt)
{
    struct jobs *j = NULL;
    *out = NULL;
    if (!opt || opt->workers < 1 || opt->lease_ms < 1 || opt->poll_ms < 1 ||
        opt->max_attempts < 1 || opt->backoff_base_ms < 1 ||
        opt->backoff_max_ms < opt->backoff_base_ms)
        return JOBS_E_INVAL;
    if (!(j = calloc(1, sizeof *j)))
        return JOBS_E_NOMEM;
    j->opt = *opt;
    if (opt->conninfo && !(j->conninfo = strdup(opt->conninfo))) {
        free(j);
        return JOBS_E_NOMEM;
    }
    j->opt.conninfo = j->conninfo;
    if (opt->owner)
        snprintf(j->owner, sizeof j->owner, "%s", opt->owner);
    else
        make_owner(j->owner, sizeof j->owner);
    j->opt.owner = j->owner;
    j->wake_pipe[0] = j->wake_pipe[1] = -1;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->wake, NULL);
    if (!(j->kinds_array = strdup("{}"))) {
        jobs_destroy(j);
        return JOBS_E_NOMEM;
    }
    *out = j;
    return 0;
}

void jobs_destroy(struct jobs *j)
{
    if (!j)
        return;
    jobs_stop(j);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->wake);
    if (j->conninfo)
        memset(j->conninfo, 0, strlen(j->conninfo));
    free(j->conninfo);
    free(j->kinds_array);
    free(j);
}

const char *jobs_owner(const struct jobs *j) { return j->owner; }
const struct jobs_options *jobs_options(const struct jobs *j) { return &j->opt; }

const struct jobs_handler *jobs_find_handler(const struct jobs *j, const char *kind)
{
    for (int i = 0; i < j->n_handlers; i++)
        if (strcmp(j->handlers[i].kind, kind) == 0)
            return &j->handlers[i];
    return NULL;
}

int jobs_register(struct jobs *j, const char *kind, jobs_handler_fn fn, void *ctx)
{
    if (!kind_valid(kind) || !fn)
        return JOBS_E_INVAL;
    if (j->started || j->n_handlers >= JOBS_MAX_KINDS || jobs_find_handler(j, kind))
        return JOBS_E_BUSY;
    /* The literal is rebuilt whole: {"a","b"}; kinds need no escaping. */
    size_t cap = 3;
    for (int i = 0; i < j->n_handlers; i++)
        cap += strlen(j->handlers[i].kind) + 3;
    cap += strlen(kind) + 3;
    char *arr = malloc(cap);
    if (!arr)
        return JOBS_E_NOMEM;
    size_t n = 0;
    arr[n++] = '{';
    for (int i = 0; i <= j->n_handlers; i++) {
        const char *k = i < j->n_handlers ? j->handlers[i].kind : kind;
        n += (size_t)snprintf(arr + n, cap - n, "%s\"%s\"", i ? "," : "", k);
    }
    snprintf(arr + n, cap - n, "}");
    free(j->kinds_array);
    j->kinds_array = arr;
    struct jobs_handler *h = &j->handlers[j->n_handlers++];
    snprintf(h->kind, sizeof h->kind, "%s", kind);
    h->fn = fn;
    h->ctx = ctx;
    return 0;
}

int64_t jobs_backoff_ms(const struct jobs *j, int attempt)
{
    int64_t d = j->opt.backoff_base_ms;
    for (int i = 1; i < attempt && d < j->opt.backoff_max_ms; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    return d < j->opt.backoff_max_ms ? d : j->opt.backoff_max_ms;
}

/* ---------------------------------------------------------------- enqueue */

DB_STMT(st_lock_key, "SELECT pg_advisory_xact_lock(" ORDERING_LOCK_CLASS
                     ", hashtext($1 || '/' || $2))");
DB_STMT(st_insert,
        "WITH ins AS ("
        " INSERT INTO jobs (tenant_id, kind, payload, run_at, ordering_key, dedupe_key, max_attempts)"
        " VALUES ($1, $2, $3::jsonb, $4::timestamptz, $5, $6, $7::integer)"
        " ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING"
        " RETURNING id)"
        " SELECT id, pg_notify('" JOBS_CHANNEL "', '') FROM ins");
DB_STMT(st_find_dedupe, "SELECT id FROM jobs WHERE tenant_id = $1 AND dedupe_key = $2");

static bool spec_valid(const struct job_spec *s)
{
    size_t tl = s->tenant_id ? strlen(s->tenant_id) : 0;
    if (tl == 0 || tl > JOBS_TENANT_MAX || !kind_valid(s->kind) || s->max_attempts < 0)
        return false;
    if ((s->ordering_key && (!*s->ordering_key || strlen(s->ordering_key) > JOBS_KEY_MAX)) ||
        (s->dedupe_key && (!*s->dedupe_key || strlen(s->dedupe_key) > JOBS_KEY_MAX)))
        return false;
    if (s->payload) {
        /* Checked here so a bad payload cannot abort the caller's transaction. */
        if (strlen(s->payload) > JOBS_PAYLOAD_MAX)
            return false;
        cJSON *v = cJSON_Parse(s->payload);
        if (!v)
            return false;
        cJSON_Delete(v);
    }
    return true;
}

static int enqueue_in_tx(struct db_conn *c, const struct job_spec *s, int64_t *id_out)
{
    char run_at[32], max_attempts[16];
    PGresult *r;
    int rc = JOBS_E_DB;

    if (s->ordering_key) {
        const char *lp[] = { s->tenant_id, s->ordering_key };
        r = db_exec(c, &st_lock_key, 2, lp);
        bool ok = db_ok(r);
        PQclear(r);
        if (!ok)
            return JOBS_E_DB;
    }
    clock_format_utc(s->run_at_us ? s->run_at_us : clock_now_us(), run_at);
    snprintf(max_attempts, sizeof max_attempts, "%d", s->max_attempts);
    const char *p[] = { s->tenant_id, s->kind, s->payload ? s->payload : "{}", run_at,
                        s->ordering_key, s->dedupe_key,
                        s->max_attempts > 0 ? max_attempts : NULL };
    r = db_exec(c, &st_insert, 7, p);
    if (!db_ok(r))
        goto out;
    if (PQntuples(r) == 1) {
        *id_out = parse_i64(PQgetvalue(r, 0, 0));
        rc = 0;
        goto out;
    }
    PQclear(r);
    /* Deduplicated: report the job that holds the key. */
    const char *dp[] = { s->tenant_id, s->dedupe_key };
    r = db_exec(c, &st_find_dedupe, 2, dp);
    if (!db_ok(r))
        goto out;
    *id_out = PQntuples(r) == 1 ? parse_i64(PQgetvalue(r, 0, 0)) : 0;
    rc = 1;
out:
    PQclear(r);
    return rc;
}

int jobs_enqueue(struct db_conn *c, const struct job_spec *spec, int64_t *id_out)
{
    int64_t dummy;
    if (!spec || !spec_valid(spec))
        return JOBS_E_INVAL;
    if (!id_out)
        id_out = &dummy;
    *id_out = 0;
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS)
        return enqueue_in_tx(c, spec, id_out);
    if (ts != PQTRANS_IDLE || db_begin(c) != 0)
        return JOBS_E_DB;
    int rc = enqueue_in_tx(c, spec, id_out);
    if (rc < 0) {
        db_rollback(c);
        return rc;
    }
    return db_commit(c) == 0 ? rc : JOBS_E_DB;
}

/* ---------------------------------------------------------------- claim */

/* The statement lives in the schema (jobs_claim_next in host/sql/0001_base.sql),
 * which pins its plan: one UPDATE of the first due head of its key, selected
 * FOR UPDATE SKIP LOCKED so concurrent claimers never wait for each other. */
DB_STMT(st_claim, "SELECT * FROM jobs_claim_next($1::timestamptz, $2::text[], $3::bigint,"
                  " $4, $5::integer)");

void jobs_claim_free(struct jobs_claim *cl)
{
    if (!cl)
        return;
    free(cl->payload);
    memset(cl, 0, sizeof *cl);
}

int jobs_claim(struct jobs *j, struct db_conn *c, struct jobs_claim *out)
{
    char now[32], lease[24], max_attempts[16];
    memset(out, 0, sizeof *out);
    if (j->n_handlers == 0)
        return 0;
    clock_format_utc(clock_now_us(), now);
    fmt_i64(lease, sizeof lease, j->opt.lease_ms);
    snprintf(max_attempts, sizeof max_attempts, "%d", j->opt.max_attempts);
    int64_t claimed_ms = clock_mono_ms();
    const char *p[] = { now, j->kinds_array, lease, j->owner, max_attempts };
    PGresult *r = db_exec(c, &st_claim, 5, p);
    int rc = JOBS_E_DB;
    if (!db_ok(r))
        goto out;
    rc = 0;
    if (PQntuples(r) != 1)
        goto out;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->kind, sizeof out->kind, "%s", PQgetvalue(r, 0, 2));
    if (!PQgetisnull(r, 0, 4))
        snprintf(out->ordering_key, sizeof out->ordering_key, "%s", PQgetvalue(r, 0, 4));
    if (!(out->payload = strdup(PQgetvalue(r, 0, 3)))) {
        /* Claimed but cannot run it: the lease brings it back. */
        rc = JOBS_E_NOMEM;
        goto out;
    }
    out->job = (struct job){
        .tenant_id = out->tenant_id,
        .id = parse_i64(PQgetvalue(r, 0, 1)),
        .kind = out->kind,
        .payload = out->payload,
        .ordering_key = PQgetisnull(r, 0, 4) ? NULL : out->ordering_key,
        .attempt = (int)parse_i64(PQgetvalue(r, 0, 5)),
        .max_attempts = (int)parse_i64(PQgetvalue(r, 0, 6)),
        .run_at_us = parse_i64(PQgetvalue(r, 0, 7)),
        .deadline_ms = claimed_ms + j->opt.lease_ms,
    };
    rc = 1;
out:
    PQclear(r);
    return rc;
}

/* ---------------------------------------------------------------- execute */

/* Opens the handler's transaction by marking the job done, fenced by the
 * claim (this attempt, this owner): the row stays locked until the handler's
 * writes commit with it, or roll back with it. The database ends the
 * transaction if it idles past the lease. */
DB_STMT(st_done,
        "UPDATE jobs SET state = 'done', finished_at = now(), lease_until = NULL"
        " WHERE tenant_id = $1 AND id = $2::bigint AND state = 'running'"
        "   AND attempts = $3::integer AND lease_owner = $4"
        " RETURNING set_config('idle_in_transaction_session_timeout', $5, true)");
DB_STMT(st_failed,
        "UPDATE jobs SET state = $5,"
        "   run_at = CASE WHEN $5 = 'queued' THEN $6::timestamptz ELSE run_at END,"
        "   last_error = $7, lease_until = NULL, lease_owner = NULL,"
        "   finished_at = CASE WHEN $5 = 'parked' THEN now() END"
        " WHERE tenant_id = $1 AND id = $2::bigint AND state = 'running'"
        "   AND attempts = $3::integer AND lease_owner = $4");

/* Runs a statement fenced by the claim; returns the rows it returned (a
 * SELECT) or changed (an UPDATE), or -1. */
static int fenced(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int rows = -1;
    if (db_ok(r))
        rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r)
                                                   : (int)parse_i64(PQcmdTuples(r));
    PQclear(r);
    return rows;
}

/* Records a failed attempt outside the handler's (rolled back) transaction. */
static int record_failure(struct jobs *j, struct db_conn *c, struct jobs_claim *cl, bool park,
                          int64_t delay_ms, const char *error, enum jobs_outcome *outcome)
{
    char id[24], attempt[16], run_at[32];
    fmt_i64(id, sizeof id, cl->job.id);
    snprintf(attempt, sizeof attempt, "%d", cl->job.attempt);
    clock_format_utc(clock_now_us() + delay_ms * 1000, run_at);
    const char *p[] = { cl->tenant_id, id, attempt, j->owner, park ? "parked" : "queued",
                        run_at, error };
    int rows = fenced(c, &st_failed, 7, p);
    if (rows < 0)
        return JOBS_E_DB;
    *outcome = rows == 0 ? JOBS_LOST : park ? JOBS_PARKED : JOBS_RETRIED;
    return 0;
}

int jobs_execute(struct jobs *j, struct db_conn *c, struct jobs_claim *cl,
                 enum jobs_outcome *outcome, char *error, size_t errcap)
{
    char id[24], attempt[16], lease[24];
    struct job_result res;
    int rc;

    memset(&res, 0, sizeof res);
    if (errcap)
        error[0] = '\0';
    fmt_i64(id, sizeof id, cl->job.id);
    snprintf(attempt, sizeof attempt, "%d", cl->job.attempt);
    fmt_i64(lease, sizeof lease, j->opt.lease_ms);
    const char *p[] = { cl->tenant_id, id, attempt, j->owner, lease };

    if (db_begin(c) != 0)
        return JOBS_E_DB;
    int rows = fenced(c, &st_done, 5, p);
    if (rows <= 0) {
        db_rollback(c);
        if (rows < 0)
            return JOBS_E_DB;
        *outcome = JOBS_LOST;
        return 0;
    }

    const struct jobs_handler *h = jobs_find_handler(j, cl->kind);
    if (h) {
        rc = h->fn(c, &cl->job, &res, h->ctx);
    } else {
        rc = JOB_PARK;
        snprintf(res.error, sizeof res.error, "no handler for kind");
    }

    if (rc == 0) {
        if (PQtransactionStatus(c->pg) == PQTRANS_INTRANS) {
            if (db_commit(c) == 0) {
                *outcome = JOBS_DONE;
                return 0;
            }
            /* A failed COMMIT (a deferred constraint, say) rolled everything
             * back; the connection tells whether we can still record it. */
            snprintf(res.error, sizeof res.error, "commit failed");
        } else {
            snprintf(res.error, sizeof res.error, "handler left its transaction failed or closed");
        }
        rc = JOB_RETRY;
        res.retry_after_ms = 0;
    }

    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        db_rollback(c);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return JOBS_E_DB;
    if (!res.error[0])
        snprintf(res.error, sizeof res.error, "handler failed");
    copy_error(error, errcap, res.error);
    char stored[JOBS_ERROR_MAX];
    copy_error(stored, sizeof stored, res.error);
    bool park = rc == JOB_PARK || cl->job.attempt >= cl->job.max_attempts;
    int64_t delay = res.retry_after_ms > 0 ? res.retry_after_ms : jobs_backoff_ms(j, cl->job.attempt);
    if (delay > INT64_C(86400000))
        delay = INT64_C(86400000);
    return record_failure(j, c, cl, park, delay, stored, outcome);
}

/* ---------------------------------------------------------------- leases */

DB_STMT(st_reap,
        "WITH expired AS ("
        " SELECT tenant_id, id FROM jobs WHERE state = 'running' AND lease_until < now()"
        "  ORDER BY lease_until LIMIT 500 FOR UPDATE SKIP LOCKED)"
        " UPDATE jobs SET"
        "   state = CASE WHEN jobs.attempts >= COALESCE(jobs.max_attempts, $1::integer)"
        "           THEN 'parked' ELSE 'queued' END,"
        "   finished_at = CASE WHEN jobs.attempts >= COALESCE(jobs.max_attempts, $1::integer)"
        "                 THEN now() END,"
        "   last_error = 'lease expired: worker lost', lease_until = NULL, lease_owner = NULL"
        "  FROM expired WHERE jobs.tenant_id = expired.tenant_id AND jobs.id = expired.id"
        " RETURNING jobs.state");

int jobs_reap(struct jobs *j, struct db_conn *c, int *parked)
{
    char max_attempts[16];
    snprintf(max_attempts, sizeof max_attempts, "%d", j->opt.max_attempts);
    const char *p[] = { max_attempts };
    PGresult *r = db_exec(c, &st_reap, 1, p);
    int n = JOBS_E_DB, np = 0;
    if (db_ok(r)) {
        n = PQntuples(r);
        for (int i = 0; i < n; i++)
            np += strcmp(PQgetvalue(r, i, 0), "parked") == 0;
    }
    PQclear(r);
    if (parked)
        *parked = np;
    return n;
}

/* ---------------------------------------------------------------- counts */

DB_STMT(st_gauges,
        "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued'),"
        "       (SELECT count(*) FROM jobs WHERE state = 'running'),"
        "       (SELECT count(*) FROM jobs WHERE state = 'parked')");

int jobs_gauges(struct db_conn *c, struct jobs_gauges *out)
{
    PGresult *r = db_exec(c, &st_gauges, 0, NULL);
    int rc = JOBS_E_DB;
    if (db_ok(r) && PQntuples(r) == 1) {
        out->queued = parse_i64(PQgetvalue(r, 0, 0));
        out->running = parse_i64(PQgetvalue(r, 0, 1));
        out->parked = parse_i64(PQgetvalue(r, 0, 2));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

DB_STMT(st_idle,
        "SELECT (SELECT count(*) FROM jobs WHERE state = 'running'),"
        "       (SELECT count(*) FROM jobs j WHERE j.state = 'queued'"
        "          AND j.run_at <= $1::timestamptz AND j.kind = ANY ($2::text[])"
        "          AND " HEAD_OF_KEY ")");

int jobs_idle(struct jobs *j, struct db_conn *c, int64_t now_us, bool *idle,
              int64_t *running, int64_t *due)
{
    char now[32];
    clock_format_utc(now_us, now);
    const char *p[] = { now, j->kinds_array };
    PGresult *r = db_exec(c, &st_idle, 2, p);
    int rc = JOBS_E_DB;
    if (db_ok(r) && PQntuples(r) == 1) {
        int64_t nr = parse_i64(PQgetvalue(r, 0, 0)), nd = parse_i64(PQgetvalue(r, 0, 1));
        if (running)
            *running = nr;
        if (due)
            *due = nd;
        *idle = nr == 0 && nd == 0;
        rc = 0;
    }
    PQclear(r);
    return rc;
}

DB_STMT(st_next_run_at,
        "SELECT (extract(epoch FROM min(run_at)) * 1000000)::bigint FROM jobs"
        " WHERE state = 'queued' AND run_at > $1::timestamptz AND run_at <= $2::timestamptz"
        "   AND kind = ANY ($3::text[])");

int jobs_next_run_at(struct jobs *j, struct db_conn *c, int64_t after_us, int64_t until_us,
                     int64_t *out)
{
    char after[32], until[32];
    clock_format_utc(after_us, after);
    clock_format_utc(until_us, until);
    const char *p[] = { after, until, j->kinds_array };
    PGresult *r = db_exec(c, &st_next_run_at, 3, p);
    int rc = JOBS_E_DB;
    if (db_ok(r) && PQntuples(r) == 1) {
        rc = 0;
        if (!PQgetisnull(r, 0, 0)) {
            *out = parse_i64(PQgetvalue(r, 0, 0));
            rc = 1;
        }
    }
    PQclear(r);
    return rc;
}
