/*
 * Two real bookwelld processes share one jobs table: 10,000 jobs over 500
 * ordering keys, one daemon killed with SIGKILL while it holds jobs. Every
 * job must run exactly once (its effect is a row written in the job's
 * completion transaction, so a killed attempt leaves none) and each key's
 * jobs must run in enqueue order, including across the takeover.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobs_test_kind.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

#define N_JOBS 10000
#define N_KEYS 500
#define START "2027-03-02T20:15:00Z"

static char *conninfo;
static PGconn *pg;
static struct test_daemon da, db;

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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void setup(void)
{
    conninfo = testdb_create();
    pg = testdb_connect(conninfo);
    testdb_exec(pg, JOBS_TEST_EFFECTS_DDL);
}

static void teardown(void)
{
    test_daemon_cleanup(&da);
    test_daemon_cleanup(&db);
    PQfinish(pg);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(jobs_multi, .init = setup, .fini = teardown, .timeout = 300);

Test(jobs_multi, two_daemons_run_every_job_once_in_key_order_across_a_sigkill)
{
    struct test_daemon_opts o = {
        .conninfo = conninfo, .test_clock = true, .test_clock_start = START,
        .extra_conf = "jobs = { workers = 4; lease = \"10s\"; poll_interval = \"200ms\"; };",
    };
    test_daemon_start(&da, &o);
    test_daemon_start(&db, &o);
    long pid_a = (long)da.pid, pid_b = (long)db.pid; /* stop() forgets them */

    /* One transaction, one wake-up: 20 jobs per key, seq 0..19 in id order. */
    testdb_exec(pg, "BEGIN");
    testdb_exec(pg, "INSERT INTO jobs (tenant_id, kind, payload, run_at, ordering_key)"
                    " SELECT 'glow', 'test.effect', jsonb_build_object('seq', g / 500),"
                    "  '" START "', 'conv-' || (g % 500)"
                    " FROM generate_series(0, 9999) g ORDER BY g");
    testdb_exec(pg, "NOTIFY bookwell_jobs");
    testdb_exec(pg, "COMMIT");
    cr_assert_eq(q("SELECT count(DISTINCT ordering_key) FROM jobs"), N_KEYS);

    int64_t t_start = now_ms();
    /* Midway, and while daemon A holds at least one job: kill it. */
    char a_owner[64];
    snprintf(a_owner, sizeof a_owner, "%%:%ld:%%", pid_a);
    /* Generous: a sanitizer build on two busy cores is several times slower. */
    int64_t deadline = now_ms() + 240000;
    for (;;) {
        long done = q("SELECT count(*) FROM jobs WHERE state = 'done'");
        long held = q("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner LIKE '%s'",
                      a_owner);
        if (done >= N_JOBS / 3 && held > 0)
            break;
        cr_assert_lt(done, N_JOBS, "all jobs finished before daemon A could be killed");
        cr_assert_lt(now_ms(), deadline, "no progress: %ld jobs done", done);
        usleep(5000);
    }
    int64_t t_kill = now_ms();
    int status = test_daemon_stop(&da, SIGKILL);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* A statement A sent before it died may still commit: the orphans are
     * the jobs A held at the kill that A never finished. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE held_at_kill AS SELECT id FROM jobs WHERE state = 'running' "
             "AND lease_owner LIKE '%s'", a_owner);
    testdb_exec(pg, sql);
    long orphaned = q("SELECT count(*) FROM held_at_kill");
    long done_at_kill = q("SELECT count(*) FROM jobs WHERE state = 'done'");
    cr_assert_gt(orphaned, 0, "daemon A died holding jobs");
    cr_assert_lt(done_at_kill, N_JOBS);

    /* Daemon B alone finishes everything, A's orphans once their leases expire. */
    long done = 0;
    while ((done = q("SELECT count(*) FROM jobs WHERE state = 'done'")) < N_JOBS) {
        cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'parked'"), 0);
        cr_assert_lt(now_ms(), deadline, "only %ld of %d jobs done", done, N_JOBS);
        usleep(100000);
    }

    int64_t t_done = now_ms();

    /* Exactly once: one effect per job, none missing, none doubled. */
    cr_assert_eq(q("SELECT count(*) FROM test_effects"), N_JOBS);
    cr_assert_eq(q("SELECT count(DISTINCT job_id) FROM test_effects"), N_JOBS);
    cr_assert_eq(q("SELECT count(*) FROM jobs j WHERE NOT EXISTS"
                   " (SELECT 1 FROM test_effects e WHERE e.job_id = j.id)"), 0);
    /* In order: within each key, effects were written in seq and id order. */
    cr_assert_eq(q("SELECT count(*) FROM (SELECT ordering_key, count(*) AS n FROM test_effects"
                   " GROUP BY ordering_key) k WHERE n = %d", N_JOBS / N_KEYS), N_KEYS);
    cr_assert_eq(q("SELECT count(*) FROM (SELECT seq, lag(seq) OVER w AS prev_seq,"
                   "  job_id, lag(job_id) OVER w AS prev_id FROM test_effects"
                   "  WINDOW w AS (PARTITION BY ordering_key ORDER BY effect_id)) s"
                   " WHERE seq <> prev_seq + 1 OR job_id <= prev_id"), 0,
                 "some key ran out of order");
    /* Both shared the work, and A's orphans were retried by B. */
    long by_a = q("SELECT count(*) FROM test_effects WHERE pid = %ld", pid_a);
    long by_b = q("SELECT count(*) FROM test_effects WHERE pid = %ld", pid_b);
    cr_assert_gt(by_a, 0);
    cr_assert_gt(by_b, 0);
    cr_assert_eq(by_a + by_b, N_JOBS);
    long finished_by_a = q("SELECT count(*) FROM held_at_kill h JOIN test_effects e "
                           "ON e.job_id = h.id WHERE e.pid = %ld", pid_a);
    cr_assert_lt(finished_by_a, orphaned, "A died holding unfinished jobs");
    cr_assert_eq(q("SELECT count(*) FROM held_at_kill h JOIN test_effects e ON e.job_id = h.id "
                   "WHERE e.pid = %ld AND e.attempt >= 2", pid_b),
                 orphaned - finished_by_a, "every orphan ran again, on B");
    cr_assert_eq(q("SELECT count(*) FROM test_effects WHERE attempt >= 2 AND pid = %ld", pid_a), 0);
    char *log = test_daemon_log(&db);
    cr_assert(log && strstr(log, "expired leases returned to the queue"), "B reaped A's leases");
    free(log);

    cr_log_info("A killed after %.1f s at %ld/%d done holding %ld jobs; all done %.1f s later;"
                " A ran %ld, B ran %ld", (double)(t_kill - t_start) / 1000, done_at_kill, N_JOBS,
                orphaned, (double)(t_done - t_kill) / 1000, by_a, by_b);

    status = test_daemon_stop(&db, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "B stops gracefully");
}
