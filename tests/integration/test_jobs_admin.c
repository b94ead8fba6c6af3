/*
 * The jobs queue through the daemon's admin listener: the test clock walks
 * through every due job in order (a job due at 20:45 runs with the clock at
 * 20:45, a retry runs at its backoff time), the idle probe, GET /admin/jobs
 * with parked jobs and their last errors, requeueing a parked job, the
 * Prometheus jobs gauges, and the test routes' absence without --test-clock.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs_test_kind.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

/* 20:15 in Los Angeles; the clinic's evening. */
#define START "2027-03-02T20:15:00-08:00"
#define JOBS_CONF "jobs = { workers = 2; backoff_base = \"5m\"; backoff_max = \"1h\"; max_attempts = 3; };"

static char *conninfo;
static PGconn *pg;
static struct test_daemon dmn;

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

static void exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void exec(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    testdb_exec(pg, sql);
}

/* Enqueues a test.effect job due at a local (-08:00) time, and wakes workers. */
static void enqueue_at(const char *local_time, const char *key, const char *payload)
{
    exec("INSERT INTO jobs (tenant_id, kind, payload, run_at, ordering_key)"
         " VALUES ('glow', 'test.effect', '%s', '2027-03-02T%s-08:00', %s%s%s);"
         " NOTIFY bookwell_jobs", payload, local_time, key ? "'" : "", key ? key : "NULL",
         key ? "'" : "");
}

static void start_daemon(bool test_clock)
{
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = test_clock,
                                  .test_clock_start = START, .extra_conf = JOBS_CONF };
    test_daemon_start(&dmn, &o);
}

static void setup(void)
{
    conninfo = testdb_create();
    pg = testdb_connect(conninfo);
    testdb_exec(pg, JOBS_TEST_EFFECTS_DDL);
    testdb_exec(pg, "SET TIME ZONE 'UTC'");
}

static void teardown(void)
{
    test_daemon_stop(&dmn, SIGTERM);
    test_daemon_cleanup(&dmn);
    PQfinish(pg);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(jobs_admin, .init = setup, .fini = teardown, .timeout = 90);

static void post_clock(const char *body, long want_status, struct test_http_resp *r)
{
    cr_assert_eq(test_admin(&dmn, "POST", "/admin/test/clock", body, r), 0);
    cr_assert_eq(r->status, want_status, "%s -> %ld %s", body, r->status, r->body);
}

/* The host-clock time (UTC text) at which the effect with seq ran. */
static char *ran_at(int seq)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT to_char(ran_at AT TIME ZONE 'America/Los_Angeles', 'HH24:MI:SS')"
             " FROM test_effects WHERE seq = %d", seq);
    PGresult *res = PQexec(pg, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    cr_assert_eq(PQntuples(res), 1, "seq %d ran %d times", seq, PQntuples(res));
    char *s = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return s;
}

static void assert_ran_at(int seq, const char *want)
{
    char *got = ran_at(seq);
    cr_assert_str_eq(got, want, "seq %d ran at %s, expected %s", seq, got, want);
    free(got);
}

Test(jobs_admin, advancing_the_clock_runs_each_job_at_its_due_time)
{
    struct test_http_resp r;
    start_daemon(true);
    enqueue_at("21:10:00", "conv-1", "{\"seq\": 3}");
    enqueue_at("20:30:00", NULL, "{\"seq\": 1}");
    enqueue_at("20:45:00", NULL, "{\"seq\": 2}");
    enqueue_at("20:40:00", NULL, "{\"seq\": 4, \"fail\": 1}"); /* retried 5 min later */
    enqueue_at("23:00:00", NULL, "{\"seq\": 5}");

    post_clock("{\"advance\": \"PT2H\"}", 200, &r);
    cr_assert(strstr(r.body, "\"now\":\"2027-03-03T06:15:00.000000Z\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"idle\":true"), "%s", r.body);
    test_http_resp_free(&r);
    assert_ran_at(1, "20:30:00");
    assert_ran_at(4, "20:45:00");
    assert_ran_at(2, "20:45:00");
    assert_ran_at(3, "21:10:00");
    cr_assert_eq(q("SELECT count(*) FROM test_effects WHERE seq = 4 AND attempt = 2"), 1);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'queued'"), 1, "23:00 is not due yet");
    cr_assert_eq(q("SELECT count(*) FROM test_effects WHERE seq = 5"), 0);

    post_clock("{\"advance_seconds\": 3600}", 200, &r);
    cr_assert(strstr(r.body, "\"now\":\"2027-03-03T07:15:00.000000Z\""), "%s", r.body);
    test_http_resp_free(&r);
    assert_ran_at(5, "23:00:00");

    /* Follow-ups a job enqueues for later are walked through too. */
    enqueue_at("23:30:00", "conv-2", "{\"seq\": 6}");
    enqueue_at("23:20:00", "conv-2", "{\"seq\": 7}"); /* due earlier, but after 6 in its key */
    post_clock("{\"until\": \"2027-03-03T00:00:00-08:00\"}", 200, &r);
    test_http_resp_free(&r);
    assert_ran_at(6, "23:30:00");
    assert_ran_at(7, "23:30:00");
    cr_assert_lt(q("SELECT effect_id FROM test_effects WHERE seq = 6"),
                 q("SELECT effect_id FROM test_effects WHERE seq = 7"), "key order holds");
}

Test(jobs_admin, clock_requests_are_checked)
{
    struct test_http_resp r;
    start_daemon(true);
    const char *bad[] = { "{}", "{\"advance\": \"P1M\"}", "{\"advance\": \"2 hours\"}",
                          "{\"advance_seconds\": -5}", "{\"set\": \"tomorrow\"}",
                          "{\"advance\": \"PT1H\", \"advance_seconds\": 5}",
                          "{\"advance\": \"PT1H\", \"timeout_ms\": 0}", NULL };
    for (int i = 0; bad[i]; i++) {
        post_clock(bad[i], 400, &r);
        test_http_resp_free(&r);
    }
    post_clock("{\"set\": \"2027-03-02T20:00:00-08:00\"}", 409, &r);
    test_http_resp_free(&r);
    post_clock("{\"until\": \"2027-03-02T20:00:00-08:00\"}", 409, &r);
    test_http_resp_free(&r);
    post_clock("{\"set\": \"2027-03-02T21:00:00-08:00\"}", 200, &r);
    cr_assert(strstr(r.body, "2027-03-03T05:00:00"), "%s", r.body);
    test_http_resp_free(&r);
    post_clock("{\"advance\": \"90s\"}", 200, &r);
    cr_assert(strstr(r.body, "2027-03-03T05:01:30"), "%s", r.body);
    test_http_resp_free(&r);
}

Test(jobs_admin, the_walk_times_out_while_a_job_is_still_running)
{
    struct test_http_resp r;
    start_daemon(true);
    enqueue_at("20:15:00", NULL, "{\"seq\": 1, \"sleep_ms\": 3000}");
    post_clock("{\"advance\": \"PT1M\", \"timeout_ms\": 300}", 504, &r);
    cr_assert(strstr(r.body, "\"not_idle\""), "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/test/idle", NULL, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"idle\":false") && strstr(r.body, "\"running\":1"), "%s", r.body);
    test_http_resp_free(&r);
    post_clock("{\"advance\": \"PT1M\"}", 200, &r);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/test/idle", NULL, &r), 0);
    cr_assert(strstr(r.body, "\"idle\":true") && strstr(r.body, "\"due\":0"), "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(q("SELECT count(*) FROM test_effects"), 1);
}

Test(jobs_admin, parked_jobs_are_listed_with_their_last_error_and_counted)
{
    struct test_http_resp r;
    start_daemon(true);
    enqueue_at("20:20:00", NULL, "{\"seq\": 1, \"park\": true}");
    enqueue_at("20:20:00", NULL, "{\"seq\": 2, \"fail\": 100}");
    enqueue_at("20:20:00", NULL, "{\"seq\": 3}");
    post_clock("{\"advance\": \"PT3H\"}", 200, &r); /* three attempts, 5 and 10 min apart */
    test_http_resp_free(&r);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'parked'"), 2);

    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"counts\":{\"queued\":0,\"running\":0,\"parked\":2,\"done\":1}"),
              "%s", r.body);
    cr_assert(strstr(r.body, "\"kind\":\"test.effect\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"state\":\"parked\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"last_error\":\"test: refused\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"attempts\":3,\"max_attempts\":3"), "%s", r.body);
    cr_assert(strstr(r.body, "\"last_error\":\"test: injected failure 3 of 100\""), "%s", r.body);
    cr_assert_null(strstr(r.body, "payload"), "payloads are never shown");
    test_http_resp_free(&r);

    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs?state=parked&limit=1", NULL, &r), 0);
    cr_assert_eq(r.status, 200);
    long first = q("SELECT min(id) FROM jobs WHERE state = 'parked'");
    char want[64];
    snprintf(want, sizeof want, "\"next_after\":%ld", first);
    cr_assert(strstr(r.body, want), "%s", r.body);
    test_http_resp_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/admin/jobs?state=parked&limit=1&after=%ld", first);
    cr_assert_eq(test_admin(&dmn, "GET", path, NULL, &r), 0);
    cr_assert(strstr(r.body, "injected failure") && !strstr(r.body, "test: refused"), "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs?state=done", NULL, &r), 0);
    cr_assert(strstr(r.body, "\"state\":\"done\"") && !strstr(r.body, "\"state\":\"parked\","),
              "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs?state=lost", NULL, &r), 0);
    cr_assert_eq(r.status, 400);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs?limit=100000", NULL, &r), 0);
    cr_assert_eq(r.status, 400);
    test_http_resp_free(&r);

    cr_assert_eq(test_http("GET", dmn.admin_port, "/metrics", NULL, NULL, 0, &r), 0);
    cr_assert(strstr(r.body, "bookwell_jobs{state=\"parked\"} 2"), "%s", r.body);
    cr_assert(strstr(r.body, "bookwell_jobs{state=\"queued\"} 0"), "%s", r.body);
    cr_assert(strstr(r.body, "bookwell_jobs{state=\"running\"} 0"), "%s", r.body);
    cr_assert(strstr(r.body, "bookwell_jobs_finished_total{outcome=\"parked\"} 2"), "%s", r.body);
    cr_assert(strstr(r.body, "bookwell_jobs_finished_total{outcome=\"retried\"} 2"), "%s", r.body);
    cr_assert(strstr(r.body, "bookwell_jobs_finished_total{outcome=\"done\"} 1"), "%s", r.body);
    test_http_resp_free(&r);

    /* The operator requeues the refused job; it runs (and is refused) again. */
    long refused = q("SELECT id FROM jobs WHERE last_error = 'test: refused'");
    snprintf(path, sizeof path, "/admin/jobs/glow/%ld/retry", refused);
    cr_assert_eq(test_admin(&dmn, "POST", path, NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    post_clock("{\"advance\": \"PT1M\"}", 200, &r);
    test_http_resp_free(&r);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE id = %ld AND state = 'parked' AND attempts = 1",
                   refused), 1);
    snprintf(path, sizeof path, "/admin/jobs/glow/%ld/retry", first + 1000);
    cr_assert_eq(test_admin(&dmn, "POST", path, NULL, &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
}

Test(jobs_admin, test_routes_and_the_test_kind_exist_only_with_the_test_clock)
{
    struct test_http_resp r;
    start_daemon(false);
    cr_assert_eq(test_admin(&dmn, "POST", "/admin/test/clock", "{\"advance\": \"PT1H\"}", &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/test/idle", NULL, &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
    /* A test.effect job is not claimed by a production daemon. */
    exec("INSERT INTO jobs (tenant_id, kind, run_at) VALUES ('glow', 'test.effect', now());"
         " NOTIFY bookwell_jobs");
    usleep(1500 * 1000);
    cr_assert_eq(q("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"), 1);
    cr_assert_eq(test_admin(&dmn, "GET", "/admin/jobs?state=queued", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "/admin/jobs is not test-only");
    cr_assert(strstr(r.body, "\"queued\":1"), "%s", r.body);
    test_http_resp_free(&r);
}
