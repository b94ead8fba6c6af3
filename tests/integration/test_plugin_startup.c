/*
 * The daemon loads plugins.dir at start: a valid plugin is loaded and
 * logged with its id, version and ABI; a broken one is logged with its
 * reason and skipped, and the daemon still starts and serves. A missing
 * plugins directory is logged and does not stop the daemon either.
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
#include <unistd.h>

#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    conninfo = testdb_create();
    snprintf(dir, sizeof dir, "/tmp/bw-startup-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    cr_assert_eq(strncmp(dir, "/tmp/bw-startup-", 16), 0);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(plugin_startup, .init = setup, .fini = teardown, .timeout = 60);

static void install(const char *fx, const char *name, mode_t mode)
{
    char src[4096], dst[256], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b);
    snprintf(src, sizeof src, "%s/tests/abi/.libs/%s.so", b, fx);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", src);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
    cr_assert_eq(chmod(dst, mode), 0);
}

/* The log line that names file, or NULL. */
static const char *line_for(const char *log, const char *file, char *line, size_t cap)
{
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len < cap) {
            memcpy(line, p, len);
            line[len] = 0;
            if (strstr(line, file))
                return line;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return NULL;
}

Test(plugin_startup, good_plugins_load_and_bad_ones_are_logged_and_skipped)
{
    static const struct {
        const char *fixture, *file, *reason;
        mode_t mode;
    } bad[] = {
        { "fx_no_entry", "a-no-entry.so", "no_entry", 0644 },
        { "fx_null_entry", "a-null-entry.so", "declined", 0644 },
        { "fx_bad_magic", "a-bad-magic.so", "bad_magic", 0644 },
        { "fx_major", "a-major.so", "abi_major", 0644 },
        { "fx_minor", "emr.needs_newer-1.0.0.so", "abi_minor", 0644 },
        { "fx_short", "a-short.so", "too_short", 0644 },
        { "fx_kind", "a-kind.so", "kind", 0644 },
        { "fx_bad_id", "a-bad-id.so", "id", 0644 },
        { "fx_bad_version", "a-bad-version.so", "version", 0644 },
        { "fx_no_ops", "a-no-ops.so", "ops", 0644 },
        { "fx_lifecycle", "a-lifecycle.so", "lifecycle", 0644 },
        { "fx_schema", "a-schema.so", "schema", 0644 },
        { "fx_ok", "emr.writable-1.0.0.so", "writable", 0666 },
        /* Sorted after emr.fixture-1.0.0.so, which is loaded first. */
        { "fx_dup", "zz-dup.so", "duplicate", 0644 },
    };
    install("fx_ok", "emr.fixture-1.0.0.so", 0644);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        install(bad[i].fixture, bad[i].file, bad[i].mode);
    char conf[256];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", dir);
    struct test_daemon d;
    struct test_daemon_opts o = { .conninfo = conninfo, .extra_conf = conf };
    test_daemon_start(&d, &o);

    struct test_http_resp r;
    cr_assert_eq(test_http("GET", d.admin_port, "/readyz", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200, "the daemon serves despite refused plugins");
    test_http_resp_free(&r);

    char *log = test_daemon_log(&d);
    char line[2048], want[64];
    cr_assert_not_null(log);
    cr_assert_not_null(line_for(log, "emr.fixture-1.0.0.so", line, sizeof line), "%s", log);
    cr_expect_not_null(strstr(line, "\"msg\":\"plugin loaded\""), "%s", line);
    cr_expect_not_null(strstr(line, "\"plugin\":\"emr.fixture\""), "%s", line);
    cr_expect_not_null(strstr(line, "\"abi\":\"1.0\""), "%s", line);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not_null(line_for(log, bad[i].file, line, sizeof line), "%s not logged: %s",
                           bad[i].file, log);
        snprintf(want, sizeof want, "\"reason\":\"%s\"", bad[i].reason);
        cr_expect_not_null(strstr(line, want), "%s: expected %s in %s", bad[i].file, want, line);
        cr_expect_not_null(strstr(line, "\"level\":\"error\""), "%s", line);
    }
    cr_expect_not_null(strstr(log, "\"loaded\":\"1\""), "%s", log);
    free(log);

    int status = test_daemon_stop(&d, SIGTERM);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clean exit after unloading");
    test_daemon_cleanup(&d);
}

Test(plugin_startup, a_missing_plugins_directory_does_not_stop_the_daemon)
{
    char conf[256];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s/absent\"; };\n", dir);
    struct test_daemon d;
    struct test_daemon_opts o = { .conninfo = conninfo, .extra_conf = conf };
    test_daemon_start(&d, &o);
    char *log = test_daemon_log(&d);
    cr_expect_not_null(strstr(log, "cannot open plugins directory"), "%s", log);
    free(log);
    test_daemon_stop(&d, SIGTERM);
    test_daemon_cleanup(&d);
}
