/*
 * Graceful shutdown on SIGTERM: with a slow request in flight the daemon
 * stops accepting connections on both listeners at once, lets the request
 * finish with its 200, and exits 0. A request that outlasts the grace
 * period (http.shutdown_grace) does not keep the daemon alive past it.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon daemon_;

static void start(const char *extra_conf)
{
    conninfo = testdb_create();
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .extra_conf = extra_conf };
    test_daemon_start(&daemon_, &o);
}

static void teardown(void)
{
    test_daemon_cleanup(&daemon_);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(http_shutdown, .fini = teardown, .timeout = 60);

struct slow {
    const struct test_daemon *d;
    const char *body;
    int rc;
    struct test_http_resp resp;
    atomic_bool done;
};

static void *slow_request(void *arg)
{
    struct slow *s = arg;
    s->rc = test_admin(s->d, "POST", "/admin/test/sleep", s->body, &s->resp);
    atomic_store(&s->done, true);
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the daemon's log shows the slow request has started. */
static void wait_for_sleeper(void)
{
    for (int i = 0; i < 1000; i++) {
        char *log = test_daemon_log(&daemon_);
        bool started = log && strstr(log, "test sleep started");
        free(log);
        if (started)
            return;
        usleep(10000);
    }
    cr_assert_fail("the slow request never started");
}

/* Waits until a new connection to port is refused; true when it is. */
static bool refused_soon(unsigned port)
{
    struct test_http_resp r;
    for (int i = 0; i < 200; i++) {
        int rc = test_http("GET", port, "/healthz", NULL, NULL, 0, &r);
        test_http_resp_free(&r);
        if (rc != 0)
            return true;
        usleep(5000);
    }
    return false;
}

Test(http_shutdown, in_flight_request_finishes_new_connections_are_refused)
{
    start(NULL);
    struct slow s = { .d = &daemon_, .body = "{\"ms\":2000}" };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, slow_request, &s), 0);
    wait_for_sleeper();

    cr_assert_eq(kill(daemon_.pid, SIGTERM), 0);
    cr_assert(refused_soon(daemon_.public_port), "the public listener still accepts");
    cr_assert(refused_soon(daemon_.admin_port), "the admin listener still accepts");
    cr_assert_not(atomic_load(&s.done), "listeners closed while the request was still running");

    pthread_join(th, NULL);
    cr_assert_eq(s.rc, 0, "the in-flight request got its response");
    cr_assert_eq(s.resp.status, 200, "%s", s.resp.body);
    cr_assert_str_eq(s.resp.body, "{\"slept_ms\":2000}");
    test_http_resp_free(&s.resp);

    int status = test_daemon_stop(&daemon_, SIGTERM); /* already stopping: just waits */
    cr_assert(WIFEXITED(status), "status %d", status);
    cr_assert_eq(WEXITSTATUS(status), 0);

    char *log = test_daemon_log(&daemon_);
    const char *down = strstr(log, "\"msg\":\"shutting down\"");
    const char *served = strstr(log, "\"route\":\"/admin/test/sleep\",\"status\":\"200\"");
    const char *stopped = strstr(log, "\"msg\":\"stopped\"");
    cr_assert(down && served && stopped, "%s", log);
    cr_assert(down < served && served < stopped, "order: signal, response, exit\n%s", log);
    free(log);
}

Test(http_shutdown, a_request_past_the_grace_period_does_not_hold_the_exit)
{
    start("http = { shutdown_grace = \"300ms\"; };");
    struct slow s = { .d = &daemon_, .body = "{\"ms\":10000}" };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, slow_request, &s), 0);
    wait_for_sleeper();

    int64_t t0 = now_ms();
    int status = test_daemon_stop(&daemon_, SIGTERM);
    int64_t took = now_ms() - t0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    cr_assert_geq(took, 300, "the grace period is given");
    cr_assert_lt(took, 5000, "but not more: exited after %lld ms", (long long)took);
    pthread_join(th, NULL);
    cr_assert_neq(s.rc, 0, "the cut request got no response");
    test_http_resp_free(&s.resp);
    char *log = test_daemon_log(&daemon_);
    cr_assert_not_null(strstr(log, "still in flight after the shutdown grace period"), "%s", log);
    free(log);
}

Test(http_shutdown, idle_daemon_stops_at_once)
{
    start(NULL);
    int64_t t0 = now_ms();
    int status = test_daemon_stop(&daemon_, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    cr_assert_lt(now_ms() - t0, 5000, "no request in flight: no waiting for the 10 s grace");
}
