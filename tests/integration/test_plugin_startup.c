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

Test(plugin_startup, good_plugins_load_and_bad_ones_are_logged_and_skipped)
{
    install("fx_ok", "emr.fixture-1.0.0.so", 0644);
    install("fx_bad_magic", "emr.broken-1.0.0.so", 0644);
    install("fx_ok", "emr.writable-1.0.0.so", 0666);
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
    cr_assert_not_null(log);
    cr_expect_not_null(strstr(log, "\"msg\":\"plugin loaded\""), "%s", log);
    cr_expect_not_null(strstr(log, "\"plugin\":\"emr.fixture\""), "%s", log);
    cr_expect_not_null(strstr(log, "\"abi\":\"1.0\""), "%s", log);
    cr_expect_not_null(strstr(log, "\"reason\":\"bad_magic\""), "%s", log);
    cr_expect_not_null(strstr(log, "\"reason\":\"writable\""), "%s", log);
    cr_expect_not_null(strstr(log, "emr.broken-1.0.0.so"), "%s", log);
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
