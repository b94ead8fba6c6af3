/*
 * The jobs queue against a real database, driven step by step (claim,
 * execute, reap) and through its worker threads: enqueue as an outbox write,
 * dedupe, per-key ordering, due times on the host clock, retries with
 * exponential backoff, parking after max attempts, lease expiry with a
 * fenced stale worker, effects committed only with completion, SKIP LOCKED
 * under concurrent claimers, NOTIFY wake-ups and graceful stop.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "jobs.h"
#include "support/testdb.h"

#define KIND "t.effect"
#define SEC INT64_C(1000000)

static char *conninfo;
static struct db_pool *pool;
static PGconn *pg;
static int64_t t0;

/* What the test handler does; set by each test before running jobs. */
static struct {
    int fail_first;              /* fail attempts 1..fail_first */
    bool effect_then_fail;       /* write the effect, then fail */
    bool bad_sql_then_ok;        /* break the transaction, then claim success */
    int idle_ms;                 /* sit idle in the transaction first */
    int busy_ms;                 /* stay busy (querying) in the transaction first */
    void (*hook)(const struct job *job);
    atomic_int calls;
} beh;

static void setup(void)
{
    char err[256];
    conninfo = testdb_create();
    cr_assert_eq(db_pool_open(&pool, conninfo, 6, 5000, err, sizeof err), 0, "%s", err);
    pg = testdb_connect(conninfo);
    testdb_exec(pg, "CREATE TABLE effects (effect_id bigserial PRIMARY KEY, tenant_id text,"
                    " job_id bigint, ordering_key text, seq integer, attempt integer)");
    cr_assert_eq(clock_parse_rfc3339("2027-03-02T20:15:00Z", &t0), 0);
    clock_use_simulated(t0);
    memset(&beh, 0, sizeof beh);
}

static void teardown(void)
{
    PQfinish(pg);
    db_pool_close(pool);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(jobs, .init = setup, .fini = teardown, .timeout = 60);

static long q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long q(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return testdb_scalar(pg, sql);
}

static int handler(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    char id[24], attempt[16], seq[16];
    atomic_fetch_add(&beh.calls, 1);
    if (beh.idle_ms)
        usleep((useconds_t)beh.idle_ms * 1000);
    for (int64_t end = clock_mono_ms() + beh.busy_ms; clock_mono_ms() < end;) {
        PGresult *r = PQexec(c->pg, "SELECT 1");
        PQclear(r);
        usleep(10000);
    }
    if (beh.hook)
        beh.hook(job);
    if (beh.bad_sql_then_ok) {
        PGresult *r = PQexec(c->pg, "SELECT * FROM no_such_table");
        PQclear(r);
        return 0;
    }
    if (job->attempt <= beh.fail_first && !beh.effect_then_fail) {
        snprintf(res->error, sizeof res->error, "injected failure %d", job->attempt);
        return JOB_RETRY;
    }
    const char *s = strstr(job->payload, "\"seq\":");
    snprintf(seq, sizeof seq, "%ld", s ? strtol(s + 6, NULL, 10) : -1L);
    snprintf(id, sizeof id, "%lld", (long long)job->id);
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    const char *p[] = { job->tenant_id, id, job->ordering_key, seq, attempt };
    PGresult *r = PQexecParams(c->pg,
                               "INSERT INTO effects (tenant_id, job_id, ordering_key, seq, attempt)"
                               " VALUES ($1, $2, $3, $4, $5)", 5, NULL, p, NULL, NULL, 0);
    bool ok = db_ok(r);
    PQclear(r);
    if (!ok)
        return JOB_RETRY;
    if (beh.effect_then_fail && job->attempt <= beh.fail_first) {
        snprintf(res->error, sizeof res->error, "failed after its effect");
        return JOB_RETRY;
    }
    return 0;
}

static struct jobs *new_jobs(const char *owner, int64_t lease_ms, int max_attempts)
{
    struct jobs_options o = {
        .conninfo = conninfo, .connect_timeout_ms = 5000, .workers = 2,
        .lease_ms = lease_ms, .poll_ms = 50, .max_attempts = max_attempts,
        .backoff_base_ms = 1000, .backoff_max_ms = 5000, .owner = owner,
    };
    struct jobs *j;
    cr_assert_eq(jobs_create(&j, &o), 0);
    cr_assert_eq(jobs_register(j, KIND, handler, NULL), 0);
    return j;
}

static int64_t enqueue_full(const char *tenant, const char *kind, const char *key, int seq,
                            int64_t run_at, int max_attempts, const char *dedupe, int want)
{
    char payload[64];
    int64_t id = -1;
    snprintf(payload, sizeof payload, "{\"seq\":%d}", seq);
    struct job_spec s = { .tenant_id = tenant, .kind = kind, .payload = payload,
                          .run_at_us = run_at, .ordering_key = key, .dedupe_key = dedupe,
                          .max_attempts = max_attempts };
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_not_null(c);
    int rc = jobs_enqueue(c, &s, &id);
    db_release(pool, c);
    cr_assert_eq(rc, want, "enqueue returned %d", rc);
    return id;
}

static int64_t enqueue(const char *key, int seq)
{
    return enqueue_full("glow", KIND, key, seq, 0, 0, NULL, 0);
}

static int claim(struct jobs *j, struct jobs_claim *cl)
{
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_not_null(c);
    int rc = jobs_claim(j, c, cl);
    db_release(pool, c);
    cr_assert_geq(rc, 0);
    return rc;
}

static enum jobs_outcome run(struct jobs *j, struct jobs_claim *cl)
{
    char err[JOBS_ERROR_MAX];
    enum jobs_outcome out = JOBS_LOST;
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_not_null(c);
    int rc = jobs_execute(j, c, cl, &out, err, sizeof err);
    db_release(pool, c);
    cr_assert_eq(rc, 0, "execute failed");
    jobs_claim_free(cl);
    return out;
}

/* Claims the next job and asserts it is want. */
static void claim_expect(struct jobs *j, struct jobs_claim *cl, int64_t want)
{
    cr_assert_eq(claim(j, cl), 1, "expected job %lld to be claimable", (long long)want);
    cr_assert_eq(cl->job.id, want, "claimed %lld, expected %lld", (long long)cl->job.id,
                 (long long)want);
}

Test(jobs, dedupe_key_makes_a_second_enqueue_a_no_op)
{
    int64_t a = enqueue_full("glow", KIND, NULL, 1, 0, 0, "msg-123", 0);
    int64_t b = enqueue_full("glow", KIND, NULL, 2, 0, 0, "msg-123", 1);
    cr_assert_eq(a, b, "the duplicate reports the existing job");
    cr_assert_eq(q("SELECT count(*) FROM jobs"), 1);
    /* The key is per tenant. */
    int64_t c = enqueue_full("lumen", KIND, NULL, 3, 0, 0, "msg-123", 0);
    cr_assert_neq(c, a);
    cr_assert_eq(q("SELECT count(*) FROM jobs"), 2);
}

Test(jobs, enqueue_in_the_callers_transaction_is_an_outbox)
{
    struct job_spec s = { .tenant_id = "glow", .kind = KIND };
    int64_t id;
    testdb_exec(pg, "LISTEN " JOBS_CHANNEL);
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(jobs_enqueue(c, &s, &id), 0);
    cr_assert_eq(PQtransactionStatus(c->pg), PQTRANS_INTRANS, "still the caller's transaction");
    cr_assert_eq(db_rollback(c), 0);
    cr_assert_eq(q("SELECT count(*) FROM jobs"), 0, "rolled back with the caller");
    PQconsumeInput(pg);
    cr_assert_null(PQnotifies(pg), "no wake-up for a rolled-back job");

    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(jobs_enqueue(c, &s, &id), 0);
    cr_assert_eq(q("SELECT count(*) FROM jobs"), 0, "invisible before commit");
    cr_assert_eq(db_commit(c), 0);
    db_release(pool, c);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE id = %lld", (long long)id), 1);
    PGnotify *n = NULL;
    for (int i = 0; i < 200 && !n; i++) {
        PQconsumeInput(pg);
        if (!(n = PQnotifies(pg)))
            usleep(5000);
    }
    cr_assert_not_null(n, "NOTIFY is sent on commit");
    cr_assert_str_eq(n->relname, JOBS_CHANNEL);
    PQfreemem(n);
}

Test(jobs, invalid_jobs_are_refused_without_breaking_the_callers_transaction)
{
    struct job_spec bad[] = {
        { .tenant_id = "glow", .kind = "Bad Kind" },
        { .tenant_id = "", .kind = KIND },
        { .tenant_id = "glow", .kind = KIND, .payload = "{not json" },
        { .tenant_id = "glow", .kind = KIND, .ordering_key = "" },
        { .tenant_id = "glow", .kind = KIND, .max_attempts = -1 },
    };
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(db_begin(c), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(jobs_enqueue(c, &bad[i], NULL), JOBS_E_INVAL, "spec %zu", i);
    cr_assert_eq(PQtransactionStatus(c->pg), PQTRANS_INTRANS);
    struct job_spec good = { .tenant_id = "glow", .kind = KIND };
    cr_assert_eq(jobs_enqueue(c, &good, NULL), 0);
    cr_assert_eq(db_commit(c), 0);
    db_release(pool, c);
    cr_assert_eq(q("SELECT count(*) FROM jobs"), 1);
}

Test(jobs, only_the_head_of_each_ordering_key_is_claimed)
{
    struct jobs *j = new_jobs("A", 30000, 5);
    struct jobs_claim c1, c2, c3, c4;
    int64_t a = enqueue("k1", 1), b = enqueue("k1", 2), x = enqueue("k2", 1);
    enqueue("k1", 3);
    int64_t n = enqueue(NULL, 9);

    claim_expect(j, &c1, a);
    claim_expect(j, &c2, x);
    claim_expect(j, &c3, n);
    cr_assert_eq(claim(j, &c4), 0, "k1 and k2 have a running head; nothing else is claimable");

    /* A failed head keeps its key: b waits for a's retry. */
    beh.fail_first = 1;
    cr_assert_eq(run(j, &c1), JOBS_RETRIED);
    cr_assert_eq(claim(j, &c4), 0, "b must not overtake a");
    beh.fail_first = 0;
    cr_assert_eq(clock_set_us(t0 + 1 * SEC), 0);
    claim_expect(j, &c1, a);
    cr_assert_eq(run(j, &c1), JOBS_DONE);
    claim_expect(j, &c4, b);
    cr_assert_eq(run(j, &c4), JOBS_DONE);
    cr_assert_eq(run(j, &c2), JOBS_DONE);
    cr_assert_eq(run(j, &c3), JOBS_DONE);
    claim(j, &c4);
    cr_assert_eq(run(j, &c4), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'done'"), 5);
    PGresult *r = PQexec(pg, "SELECT string_agg(seq::text, ',' ORDER BY effect_id) FROM effects"
                             " WHERE ordering_key = 'k1'");
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "1,2,3", "k1 ran in order");
    PQclear(r);
    jobs_destroy(j);
}

Test(jobs, only_due_jobs_of_registered_kinds_are_claimed)
{
    struct jobs *j = new_jobs("A", 30000, 5);
    struct jobs_claim cl;
    int64_t later = enqueue_full("glow", KIND, NULL, 1, t0 + 600 * SEC, 0, NULL, 0);
    enqueue_full("glow", "other.kind", NULL, 2, 0, 0, NULL, 0);
    cr_assert_eq(claim(j, &cl), 0, "not due, or not a kind this process handles");
    cr_assert_eq(clock_set_us(t0 + 600 * SEC - 1), 0);
    cr_assert_eq(claim(j, &cl), 0, "one microsecond early");
    cr_assert_eq(clock_set_us(t0 + 600 * SEC), 0);
    claim_expect(j, &cl, later);
    cr_assert_eq(cl.job.run_at_us, t0 + 600 * SEC);
    cr_assert_eq(run(j, &cl), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE kind = 'other.kind' AND state = 'queued'"), 1);
    jobs_destroy(j);
}

Test(jobs, retries_back_off_exponentially_on_the_host_clock)
{
    struct jobs *j = new_jobs("A", 30000, 10);
    struct jobs_claim cl;
    int64_t id = enqueue("k", 1);
    int64_t expect_ms[] = { 1000, 2000, 4000, 5000, 5000 }; /* base 1s, doubling, max 5s */
    beh.fail_first = 5;
    for (int i = 0; i < 5; i++) {
        claim_expect(j, &cl, id);
        cr_assert_eq(cl.job.attempt, i + 1);
        int64_t now = clock_now_us();
        cr_assert_eq(run(j, &cl), JOBS_RETRIED);
        int64_t run_at = q("SELECT (extract(epoch FROM run_at) * 1000000)::bigint FROM jobs");
        cr_assert_eq(run_at, now + expect_ms[i] * 1000, "attempt %d: run_at moved by %lld us",
                     i + 1, (long long)(run_at - now));
        cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'queued' AND last_error = "
                       "'injected failure %d' AND lease_owner IS NULL", i + 1), 1);
        cr_assert_eq(claim(j, &cl), 0, "not before its backoff");
        cr_assert_eq(clock_set_us(run_at), 0);
    }
    claim_expect(j, &cl, id);
    cr_assert_eq(run(j, &cl), JOBS_DONE);
    cr_assert_eq(q("SELECT attempts FROM jobs"), 6);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 1);
    jobs_destroy(j);
}

Test(jobs, a_job_parks_after_max_attempts_with_its_last_error_and_frees_its_key)
{
    struct jobs *j = new_jobs("A", 30000, 8);
    struct jobs_claim cl;
    int64_t a = enqueue_full("glow", KIND, "k", 1, 0, 3, NULL, 0); /* its own max: 3 */
    int64_t b = enqueue("k", 2);
    beh.fail_first = 100;
    for (int i = 1; i <= 3; i++) {
        claim_expect(j, &cl, a);
        cr_assert_eq(cl.job.max_attempts, 3);
        cr_assert_eq(run(j, &cl), i < 3 ? JOBS_RETRIED : JOBS_PARKED);
        cr_assert_eq(clock_set_us(clock_now_us() + 60 * SEC), 0);
    }
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE id = %lld AND state = 'parked'"
                   " AND attempts = 3 AND last_error = 'injected failure 3'"
                   " AND finished_at IS NOT NULL", (long long)a), 1);
    beh.fail_first = 0;
    claim_expect(j, &cl, b);
    cr_assert_eq(run(j, &cl), JOBS_DONE, "a parked job no longer holds its key");
    cr_assert_eq(claim(j, &cl), 0, "a parked job is not claimed again");
    jobs_destroy(j);
}

static int refuse(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    snprintf(res->error, sizeof res->error, "bad payload");
    return JOB_PARK;
}

Test(jobs, a_handler_can_park_a_job_at_once)
{
    struct jobs *j = new_jobs("A", 30000, 8);
    struct jobs_claim cl;
    cr_assert_eq(jobs_register(j, "t.refuse", refuse, NULL), 0);
    int64_t id = enqueue_full("glow", "t.refuse", NULL, 1, 0, 0, NULL, 0);
    claim_expect(j, &cl, id);
    cr_assert_eq(run(j, &cl), JOBS_PARKED);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'parked' AND attempts = 1"
                   " AND last_error = 'bad payload'"), 1);
    jobs_destroy(j);
}

Test(jobs, handler_effects_commit_only_with_completion)
{
    struct jobs *j = new_jobs("A", 30000, 8);
    struct jobs_claim cl;
    int64_t id = enqueue("k", 1);
    beh.effect_then_fail = true;
    beh.fail_first = 1;
    claim_expect(j, &cl, id);
    cr_assert_eq(run(j, &cl), JOBS_RETRIED);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 0, "a failed attempt's effect is rolled back");

    beh.effect_then_fail = false;
    beh.bad_sql_then_ok = true;
    cr_assert_eq(clock_set_us(t0 + 10 * SEC), 0);
    claim_expect(j, &cl, id);
    cr_assert_eq(run(j, &cl), JOBS_RETRIED, "success over a failed transaction is a failure");
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE last_error LIKE 'handler left%%'"), 1);

    beh.bad_sql_then_ok = false;
    cr_assert_eq(clock_set_us(t0 + 20 * SEC), 0);
    claim_expect(j, &cl, id);
    cr_assert_eq(run(j, &cl), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM effects WHERE job_id = %lld AND attempt = 3", (long long)id), 1);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 1);
    jobs_destroy(j);
}

Test(jobs, an_expired_lease_is_claimed_again_and_the_stale_worker_is_refused)
{
    struct jobs *a = new_jobs("worker-a", 1000, 8), *b = new_jobs("worker-b", 30000, 8);
    struct jobs_claim ca, cb;
    int64_t id = enqueue("k", 1);
    claim_expect(a, &ca, id);
    cr_assert_eq(claim(b, &cb), 0, "a live lease is not claimable");
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(jobs_reap(b, c, NULL), 0, "the lease has not expired yet");
    usleep(1200 * 1000); /* a's one-second lease passes, in real time */
    int parked = -1;
    cr_assert_eq(jobs_reap(b, c, &parked), 1);
    cr_assert_eq(parked, 0);
    db_release(pool, c);
    claim_expect(b, &cb, id);
    cr_assert_eq(cb.job.attempt, 2);

    int calls = atomic_load(&beh.calls);
    cr_assert_eq(run(a, &ca), JOBS_LOST, "the stale worker cannot run or complete the job");
    cr_assert_eq(atomic_load(&beh.calls), calls, "its handler was not called");
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner = 'worker-b'"), 1);
    cr_assert_eq(run(b, &cb), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 1);
    jobs_destroy(a);
    jobs_destroy(b);
}

static struct jobs *thief;
static void try_to_steal(const struct job *job)
{
    /* Runs inside worker A's handler, which kept its transaction busy past
     * its lease (an idle one would have been ended by the database). */
    struct jobs_claim cl;
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE lease_until < now()"), 1, "lease passed");
    int reaped = jobs_reap(thief, c, NULL);
    cr_assert_eq(reaped, 0, "a job whose worker is alive is not reaped (%d)", reaped);
    cr_assert_eq(jobs_claim(thief, c, &cl), 0, "nor claimed");
    db_release(pool, c);
}

Test(jobs, a_live_worker_keeps_its_job_past_the_lease)
{
    /* The lease also bounds how long the transaction may idle, so the thief
     * must be done well within it, even on a loaded machine. */
    struct jobs *a = new_jobs("worker-a", 1000, 8);
    struct jobs_claim cl;
    thief = new_jobs("worker-b", 30000, 8);
    int64_t id = enqueue("k", 1);
    claim_expect(a, &cl, id);
    beh.busy_ms = 1200;
    beh.hook = try_to_steal;
    cr_assert_eq(run(a, &cl), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 1);
    jobs_destroy(a);
    jobs_destroy(thief);
}

Test(jobs, a_handler_idle_past_its_lease_loses_the_job_and_it_runs_again)
{
    struct jobs *a = new_jobs("worker-a", 150, 8);
    struct jobs_claim cl;
    char err[JOBS_ERROR_MAX];
    enum jobs_outcome out;
    int64_t id = enqueue("k", 1);
    claim_expect(a, &cl, id);
    beh.idle_ms = 600;
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(jobs_execute(a, c, &cl, &out, err, sizeof err), JOBS_E_DB,
                 "the database ended the idle transaction");
    db_release(pool, c);
    jobs_claim_free(&cl);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 0);
    beh.idle_ms = 0;
    c = db_acquire(pool, 5000);
    cr_assert_not_null(c, "the pool replaced the broken connection");
    cr_assert_eq(jobs_reap(a, c, NULL), 1);
    db_release(pool, c);
    claim_expect(a, &cl, id);
    cr_assert_eq(run(a, &cl), JOBS_DONE);
    cr_assert_eq(q("SELECT count(*) FROM effects"), 1);
    jobs_destroy(a);
}

Test(jobs, a_job_whose_workers_keep_dying_is_parked_by_the_reaper)
{
    struct jobs *j = new_jobs("A", 30000, 2);
    struct jobs_claim cl;
    int64_t id = enqueue("k", 1);
    struct db_conn *c = db_acquire(pool, 5000);
    for (int i = 1; i <= 2; i++) {
        claim_expect(j, &cl, id);
        jobs_claim_free(&cl); /* the worker "dies" holding the claim */
        testdb_exec(pg, "UPDATE jobs SET lease_until = now() - interval '1 second'");
        int parked = -1;
        cr_assert_eq(jobs_reap(j, c, &parked), 1);
        cr_assert_eq(parked, i == 2 ? 1 : 0);
    }
    db_release(pool, c);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'parked' AND attempts = 2"
                   " AND last_error = 'lease expired: worker lost'"), 1);
    cr_assert_eq(atomic_load(&beh.calls), 0);
    jobs_destroy(j);
}

struct claimer {
    struct jobs *j;
    atomic_int *done;
    int total;
    int ran;
};

static void *claimer_main(void *arg)
{
    struct claimer *cl = arg;
    int64_t deadline = clock_mono_ms() + 30000;
    while (atomic_load(cl->done) < cl->total && clock_mono_ms() < deadline) {
        struct jobs_claim c;
        char err[JOBS_ERROR_MAX];
        enum jobs_outcome out;
        struct db_conn *conn = db_acquire(pool, 5000);
        if (!conn)
            continue;
        int rc = jobs_claim(cl->j, conn, &c);
        if (rc == 1 && jobs_execute(cl->j, conn, &c, &out, err, sizeof err) == 0 &&
            out == JOBS_DONE) {
            atomic_fetch_add(cl->done, 1);
            cl->ran++;
        }
        jobs_claim_free(&c);
        db_release(pool, conn);
        if (rc == 0)
            usleep(1000);
    }
    return NULL;
}

Test(jobs, concurrent_claimers_skip_locked_jobs_and_keep_key_order)
{
    enum { N = 400, KEYS = 20, THREADS = 4 };
    struct jobs *j = new_jobs("A", 30000, 5);
    testdb_exec(pg, "INSERT INTO jobs (tenant_id, kind, payload, run_at, ordering_key)"
                    " SELECT 'glow', '" KIND "', jsonb_build_object('seq', g / 20),"
                    "  '2027-03-02T20:00:00Z', 'k' || (g % 20)"
                    " FROM generate_series(0, 399) g ORDER BY g");
    atomic_int done = 0;
    struct claimer c[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (struct claimer){ j, &done, N, 0 };
        cr_assert_eq(pthread_create(&t[i], NULL, claimer_main, &c[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&done), N);
    for (int i = 0; i < THREADS; i++)
        cr_assert_gt(c[i].ran, 0, "every claimer got work");
    cr_assert_eq(q("SELECT count(*) FROM effects"), N);
    cr_assert_eq(q("SELECT count(DISTINCT job_id) FROM effects"), N, "no job ran twice");
    cr_assert_eq(q("SELECT max(attempts) FROM jobs"), 1, "no job was claimed twice");
    cr_assert_eq(q("SELECT count(*) FROM (SELECT seq, lag(seq) OVER w AS prev,"
                   " job_id, lag(job_id) OVER w AS prev_id FROM effects"
                   " WINDOW w AS (PARTITION BY ordering_key ORDER BY effect_id)) s"
                   " WHERE seq <= prev OR job_id <= prev_id"), 0, "each key ran in order");
    jobs_destroy(j);
}

static void wait_for(const char *sql, long want, int64_t ms)
{
    int64_t end = clock_mono_ms() + ms;
    long got;
    while ((got = testdb_scalar(pg, sql)) != want && clock_mono_ms() < end)
        usleep(5000);
    cr_assert_eq(got, want, "%s: %ld, expected %ld", sql, got, want);
}

Test(jobs, workers_wake_on_notify_and_finish_running_jobs_at_stop)
{
    char err[256];
    struct jobs_options o = {
        .conninfo = conninfo, .connect_timeout_ms = 5000, .workers = 2, .lease_ms = 30000,
        .poll_ms = 60000, /* so only NOTIFY can wake them in time */
        .max_attempts = 5, .backoff_base_ms = 1000, .backoff_max_ms = 5000,
    };
    struct jobs *j;
    cr_assert_eq(jobs_create(&j, &o), 0);
    cr_assert_eq(jobs_register(j, KIND, handler, NULL), 0);
    cr_assert_eq(jobs_start(j, err, sizeof err), 0, "%s", err);
    cr_assert_eq(jobs_register(j, "t.late", handler, NULL), JOBS_E_BUSY);
    usleep(300 * 1000); /* the workers found nothing and sleep for a minute */

    int64_t t = clock_mono_ms();
    enqueue("k", 1);
    /* Far below the minute of polling, with room for a loaded machine. */
    wait_for("SELECT count(*) FROM effects", 1, 20000);
    cr_assert_lt(clock_mono_ms() - t, 20000, "woken by NOTIFY, not by polling");

    beh.busy_ms = 1500;
    int64_t slow = enqueue("k", 2);
    wait_for("SELECT count(*) FROM jobs WHERE state = 'running'", 1, 20000);
    jobs_stop(j);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE id = %lld AND state = 'done'", (long long)slow),
                 1, "the running job finished before the workers stopped");
    cr_assert_eq(q("SELECT count(*) FROM effects"), 2);
    jobs_destroy(j);
}

Test(jobs, backoff_doubles_up_to_its_ceiling)
{
    struct jobs *j = new_jobs("A", 30000, 5);
    cr_assert_eq(jobs_backoff_ms(j, 1), 1000);
    cr_assert_eq(jobs_backoff_ms(j, 2), 2000);
    cr_assert_eq(jobs_backoff_ms(j, 3), 4000);
    cr_assert_eq(jobs_backoff_ms(j, 4), 5000);
    cr_assert_eq(jobs_backoff_ms(j, 1000), 5000, "no overflow on many attempts");
    jobs_destroy(j);
}
