/*
 * Reload under load, against the real daemon: a load generator sends 200
 * requests/s through POST /admin/test/plugin-call to a tenant's EMR plugin
 * whose calls take 50-500 ms, while 100 reloads alternate the binding
 * between versions 1.0.0 and 2.0.0 (every tenth by SIGHUP, the rest through
 * POST /admin/plugins/reload). Zero requests may fail, and every answer must
 * name exactly one version, the same from the host and from the plugin that
 * ran it. Halfway, a switch to 3.0.0, whose instance_open fails, is refused
 * while the old version goes on serving. Afterwards every replaced instance
 * drains and closes, and the daemon stops cleanly (in a sanitizer build,
 * with nothing reported).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reload/loadgen.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

#define RELOADS 100
#define RATE 200.0

static char *conninfo;
static char plugins[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    conninfo = testdb_create();
    snprintf(plugins, sizeof plugins, "/tmp/bw-reload-XXXXXX");
    cr_assert_not_null(mkdtemp(plugins));
}

static void teardown(void)
{
    if (strncmp(plugins, "/tmp/bw-reload-", 15) == 0)
        nftw(plugins, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(reload, .init = setup, .fini = teardown, .timeout = 300);

static void install(const char *fx, const char *version)
{
    char src[4096], dst[256], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(src, sizeof src, "%s/tests/reload/.libs/%s.so", b, fx);
    snprintf(dst, sizeof dst, "%s/emr.reloadfx-%s.so", plugins, version);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", src);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

static void tenant_text(char *out, size_t cap, const char *version)
{
    snprintf(out, cap,
             "tenant = { id = \"glow\"; name = \"Glow\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = ( { plugin = \"emr.reloadfx\"; version = \"%s\";\n"
             "              config = { min_ms = 50; max_ms = 500; label = \"glow\"; }; } );\n",
             version);
}

/* Rewrites the tenant file atomically, as an operator's deploy would. */
static void bind_version(const struct test_daemon *d, const char *version)
{
    char text[1024], path[400], tmp[420];
    tenant_text(text, sizeof text, version);
    snprintf(path, sizeof path, "%s/tenants/glow.conf", d->dir);
    snprintf(tmp, sizeof tmp, "%s/tenants/.glow.tmp", d->dir);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

static long long json_int(const char *body, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(body, k);
    return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static long long generation(const struct test_daemon *d)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(d, "GET", "/admin/plugins", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    long long g = json_int(r.body, "generation");
    test_http_resp_free(&r);
    return g;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(reload, one_hundred_reloads_under_load_drop_no_request)
{
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    install("fx_reload_v3", "3.0.0");
    char conf[512], tenant[1024];
    snprintf(conf, sizeof conf,
             "plugins = { dir = \"%s\"; drain_timeout = \"10s\"; rollback_window = \"1s\"; "
             "call_threads = 160; };\n",
             plugins);
    tenant_text(tenant, sizeof tenant, "1.0.0");
    struct test_daemon d;
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true, .extra_conf = conf,
                                  .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    cr_assert_eq(generation(&d), 1);

    struct loadgen *lg;
    struct loadgen_opts lo = {
        .port = d.admin_port,
        .path = "/admin/test/plugin-call",
        .body = "{\"tenant\":\"glow\",\"plugin\":\"emr\"}",
        .token = TEST_ADMIN_TOKEN,
        .rate = RATE,
        .max_in_flight = 400,
    };
    cr_assert_eq(loadgen_start(&lg, &lo), 0);
    int64_t started = now_ms();
    sleep_ms(1000);

    long long gen = 1;
    double published_max = 0, published_sum = 0;
    int by_signal = 0;
    for (int i = 1; i <= RELOADS; i++) {
        bind_version(&d, i % 2 ? "2.0.0" : "1.0.0");
        gen++;
        if (i % 10 == 0) {
            cr_assert_eq(kill(d.pid, SIGHUP), 0);
            by_signal++;
            int64_t until = now_ms() + 20000;
            while (generation(&d) < gen && now_ms() < until)
                sleep_ms(10);
            cr_assert_eq(generation(&d), gen, "SIGHUP reload %d was not published", i);
        } else {
            struct test_http_resp r;
            cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
            cr_assert_eq(r.status, 200, "reload %d: %s", i, r.body);
            cr_assert_not_null(strstr(r.body, "\"changed\":true"), "reload %d: %s", i, r.body);
            cr_assert_eq(json_int(r.body, "generation"), gen, "reload %d: %s", i, r.body);
            const char *pm = strstr(r.body, "\"published_ms\":");
            double ms = pm ? strtod(pm + 15, NULL) : -1;
            published_sum += ms;
            if (ms > published_max)
                published_max = ms;
            test_http_resp_free(&r);
        }
        if (i == RELOADS / 2) {
            /* A version whose instance_open fails: refused, the old one serves. */
            bind_version(&d, "3.0.0");
            struct test_http_resp r;
            cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
            cr_expect_eq(r.status, 422, "%s", r.body);
            cr_expect_not_null(strstr(r.body, "instance_open failed: BW_E_AUTH"), "%s", r.body);
            cr_expect_eq(json_int(r.body, "generation"), gen, "%s", r.body);
            test_http_resp_free(&r);
            cr_expect_eq(generation(&d), gen);
            bind_version(&d, i % 2 ? "2.0.0" : "1.0.0");
        }
        sleep_ms(150);
    }
    sleep_ms(1000);
    struct loadgen_stats st;
    loadgen_stop(lg, &st);
    int64_t elapsed = now_ms() - started;

    fprintf(stderr, "reload under load: %llu requests in %lld ms, %llu ok, %llu failed; %s: %llu, %s: %llu; "
                "p99 %lld ms, max %lld ms; reload published in %.2f ms on average, %.2f max",
                (unsigned long long)st.sent, (long long)elapsed, (unsigned long long)st.ok,
                (unsigned long long)st.failed, st.versions[0], (unsigned long long)st.per_version[0],
                st.versions[1], (unsigned long long)st.per_version[1],
                (long long)st.p99_latency_ms, (long long)st.max_latency_ms,
                (double)published_sum / (RELOADS - by_signal), published_max);
    fputc('\n', stderr);
    cr_expect_eq(st.failed, 0, "%llu failed; first: %s", (unsigned long long)st.failed,
                 st.first_failure);
    cr_expect_eq(st.overloaded, 0);
    cr_expect_eq(st.ok, st.sent);
    cr_expect_geq((double)st.sent, 0.9 * RATE * (double)elapsed / 1000.0,
                  "only %llu requests in %lld ms", (unsigned long long)st.sent,
                  (long long)elapsed);
    cr_expect_str_neq(st.versions[0], "");
    cr_expect_str_neq(st.versions[1], "", "both versions served");
    cr_expect_str_eq(st.versions[2], "", "and no other: %s", st.versions[2]);
    cr_expect_gt(st.max_generation, RELOADS / 2, "answers came from late generations too");
    cr_expect_eq(generation(&d), 1 + RELOADS);

    /* Every replaced instance drains and closes once the rollback window
     * has passed; only the current generation is left. */
    int64_t until = now_ms() + 15000;
    struct test_http_resp r = { 0 };
    for (;;) {
        cr_assert_eq(test_admin(&d, "GET", "/admin/plugins", NULL, &r), 0);
        if (strstr(r.body, "\"retired_instances\":[]") && !strstr(r.body, "\"draining\"") &&
            !strstr(r.body, "\"previous\""))
            break;
        if (now_ms() > until)
            break;
        test_http_resp_free(&r);
        sleep_ms(100);
    }
    cr_expect_not_null(strstr(r.body, "\"retired_instances\":[]"), "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\"state\":\"current\""), "%s", r.body);
    test_http_resp_free(&r);

    int status = test_daemon_stop(&d, SIGTERM);
    char *log = test_daemon_log(&d);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
    cr_expect_null(strstr(log, "AddressSanitizer"), "sanitizer report in the daemon's log");
    cr_expect_null(strstr(log, "runtime error"), "UBSan report in the daemon's log");
    cr_expect_null(strstr(log, "LeakSanitizer"), "leak report in the daemon's log");
    free(log);
    test_daemon_cleanup(&d);
}
