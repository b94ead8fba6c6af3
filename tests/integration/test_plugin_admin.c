/*
 * The plugin routes and commands against a real daemon: GET /admin/plugins
 * lists loaded plugins (id, version, ABI built and required, state) and
 * every binding with its instance state and generation; POST
 * /admin/plugins/reload publishes a new generation, or answers 422 with
 * every failed binding at its file and line while the current generation
 * serves; POST /admin/plugins/rollback restores the previous instances;
 * repeated SIGHUPs publish the edited configuration once; a tenant added by
 * configuration alone is served after a reload; bookwell plugins
 * list|reload|rollback print all of it; and a daemon whose bindings do not
 * open refuses to start, naming them.
 */
#include <bookwell/abi.h>
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

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static char plugins[64];
static struct test_daemon d;
static bool started;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

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

static void tenant_text(char *out, size_t cap, const char *id, const char *version,
                        const char *extra)
{
    snprintf(out, cap,
             "tenant = { id = \"%s\"; name = \"%s\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = (\n  { plugin = \"emr.reloadfx\"; version = \"%s\";\n"
             "    config = { label = \"%s\"; %s }; }\n);\n",
             id, id, version, id, extra ? extra : "");
}

static void write_tenant(const char *id, const char *version, const char *extra)
{
    char text[1024], path[400], tmp[420];
    tenant_text(text, sizeof text, id, version, extra);
    snprintf(path, sizeof path, "%s/tenants/%s.conf", d.dir, id);
    snprintf(tmp, sizeof tmp, "%s/tenants/.%s.tmp", d.dir, id);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

static void setup(void)
{
    conninfo = testdb_create();
    snprintf(plugins, sizeof plugins, "/tmp/bw-padmin-XXXXXX");
    cr_assert_not_null(mkdtemp(plugins));
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    install("fx_reload_v3", "3.0.0");
    started = false;
}

static void start(void)
{
    char conf[512], tenant[1024];
    snprintf(conf, sizeof conf,
             "plugins = { dir = \"%s\"; drain_timeout = \"5s\"; rollback_window = \"10m\"; };\n",
             plugins);
    tenant_text(tenant, sizeof tenant, "glow", "1.0.0", NULL);
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true, .extra_conf = conf,
                                  .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    started = true;
}

static void teardown(void)
{
    if (started) {
        char path[400];
        snprintf(path, sizeof path, "%s/tenants/spa.conf", d.dir);
        unlink(path);
        test_daemon_stop_clean(&d);
    }
    if (strncmp(plugins, "/tmp/bw-padmin-", 15) == 0)
        nftw(plugins, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(plugin_admin, .init = setup, .fini = teardown, .timeout = 90);

static long long json_int(const char *body, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(body, k);
    return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

/* GET /admin/plugins (caller frees). */
static char *plugins_doc(void)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "GET", "/admin/plugins", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    free(r.headers);
    return r.body;
}

static long long generation(void)
{
    char *doc = plugins_doc();
    long long g = json_int(doc, "generation");
    free(doc);
    return g;
}

/* The version serving tenant now, through the test-only plugin call. */
static void expect_serving(const char *tenant, const char *version)
{
    char body[128], want[64];
    struct test_http_resp r;
    snprintf(body, sizeof body, "{\"tenant\":\"%s\",\"plugin\":\"emr\"}", tenant);
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/plugin-call", body, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    snprintf(want, sizeof want, "\"version\":\"%s\"", version);
    cr_expect_not_null(strstr(r.body, want), "expected %s: %s", version, r.body);
    test_http_resp_free(&r);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

Test(plugin_admin, listing_reload_rollback_and_a_refused_reload)
{
    start();
    char *doc = plugins_doc();
    cr_expect_eq(json_int(doc, "generation"), 1);
    char built[160];
    snprintf(built, sizeof built, "\"id\":\"emr.reloadfx\",\"version\":\"1.0.0\",\"kind\":\"emr\","
             "\"abi_built\":\"%d.%d\",\"abi_required\":\"1.0\"", BW_ABI_MAJOR, BW_ABI_MINOR);
    cr_expect_not_null(strstr(doc, built), "%s", doc);
    cr_expect_not_null(strstr(doc, "\"version\":\"3.0.0\""), "every loaded file is listed: %s", doc);
    cr_expect_not_null(strstr(doc, "\"tenant\":\"glow\",\"plugin\":\"emr.reloadfx\",\"version\":"
                                   "\"1.0.0\",\"kind\":\"emr\",\"state\":\"serving\",\"generation\":1"),
                       "%s", doc);
    free(doc);
    expect_serving("glow", "1.0.0");

    struct test_http_resp r;
    write_tenant("glow", "2.0.0", NULL);
    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\"ok\":true,\"changed\":true,\"generation\":2,\"replaced\":1"),
                       "%s", r.body);
    test_http_resp_free(&r);
    expect_serving("glow", "2.0.0");
    doc = plugins_doc();
    cr_expect_eq(json_int(doc, "previous_generation"), 1, "%s", doc);
    cr_expect_not_null(strstr(doc, "\"state\":\"retained\""), "kept for rollback: %s", doc);
    free(doc);

    /* Nothing changed: nothing published. */
    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
    cr_expect_not_null(strstr(r.body, "\"changed\":false,\"generation\":2"), "%s", r.body);
    test_http_resp_free(&r);

    /* A refused reload names the binding and keeps generation 2. */
    write_tenant("glow", "2.0.0", "min_ms = \"soon\"; colour = 1;");
    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
    cr_expect_eq(r.status, 422, "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\"code\":\"reload_failed\""), "%s", r.body);
    char where[512];
    snprintf(where, sizeof where, "%s/tenants/glow.conf:4: 'min_ms' must be an integer", d.dir);
    cr_expect_not_null(strstr(r.body, where), "%s", r.body);
    snprintf(where, sizeof where, "%s/tenants/glow.conf:4: unknown key 'colour'", d.dir);
    cr_expect_not_null(strstr(r.body, where), "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\"tenant\":\"glow\""), "%s", r.body);
    test_http_resp_free(&r);
    cr_expect_eq(generation(), 2);
    expect_serving("glow", "2.0.0");

    /* A version that does not open is refused too. */
    write_tenant("glow", "3.0.0", NULL);
    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
    cr_expect_eq(r.status, 422, "%s", r.body);
    cr_expect_not_null(strstr(r.body, "instance_open failed: BW_E_AUTH"), "%s", r.body);
    test_http_resp_free(&r);
    expect_serving("glow", "2.0.0");

    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/rollback", NULL, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_int(r.body, "restored"), 1, "%s", r.body);
    cr_expect_eq(json_int(r.body, "generation"), 3, "%s", r.body);
    test_http_resp_free(&r);
    expect_serving("glow", "1.0.0");

    char *log = test_daemon_log(&d);
    cr_expect_not_null(strstr(log, "\"msg\":\"plugin generation published\""), "%s", log);
    cr_expect_not_null(strstr(log, "plugin binding failed: "), "failures are logged");
    free(log);
}

Test(plugin_admin, repeated_sighups_publish_the_edit_once)
{
    start();
    write_tenant("glow", "2.0.0", NULL);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(kill(d.pid, SIGHUP), 0);
    long long g = 0;
    for (int i = 0; i < 200 && (g = generation()) < 2; i++)
        sleep_ms(20);
    sleep_ms(300); /* any reload still queued has run by now */
    cr_expect_eq(generation(), 2, "one new generation for five signals");
    expect_serving("glow", "2.0.0");
    char *log = test_daemon_log(&d);
    cr_expect_not_null(strstr(log, "reload requested (SIGHUP)"));
    cr_expect_null(strstr(log, "plugin reload failed"), "%s", log);
    free(log);
}

Test(plugin_admin, a_tenant_added_by_configuration_is_served_after_a_reload)
{
    start();
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/plugin-call",
                            "{\"tenant\":\"spa\",\"plugin\":\"emr\"}", &r), 0);
    cr_expect_eq(r.status, 404, "%s", r.body);
    test_http_resp_free(&r);
    write_tenant("spa", "2.0.0", NULL);
    cr_assert_eq(test_admin(&d, "POST", "/admin/plugins/reload", NULL, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    expect_serving("spa", "2.0.0");
    expect_serving("glow", "1.0.0");
    char *doc = plugins_doc();
    cr_expect_not_null(strstr(doc, "\"tenant\":\"spa\""), "%s", doc);
    free(doc);

    cr_assert_eq(test_admin(&d, "POST", "/admin/test/plugin-call", "{\"tenant\":1}", &r), 0);
    cr_expect_eq(r.status, 400, "%s", r.body);
    test_http_resp_free(&r);
}

/* ------------------------------------------------------------ the CLI */

struct cli_run {
    int code;
    char out[16384];
    char err[8192];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
}

static void cli(struct cli_run *r, const char *const *args)
{
    char bin[512], out[64], err[64], url[64];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwell", b ? b : ".");
    snprintf(out, sizeof out, "/tmp/bw-pcli-%ld.out", (long)getpid());
    snprintf(err, sizeof err, "/tmp/bw-pcli-%ld.err", (long)getpid());
    snprintf(url, sizeof url, "http://127.0.0.1:%u", d.admin_port);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        setenv("BOOKWELL_ADMIN_URL", url, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        char *argv[8];
        int n = 0;
        argv[n++] = bin;
        for (const char *const *a = args; *a && n < 7; a++)
            argv[n++] = (char *)*a;
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    r->code = WEXITSTATUS(status);
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(plugin_admin, bookwell_plugins_list_reload_rollback)
{
    start();
    struct cli_run r;
    cli(&r, ARGS("plugins", "list"));
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "generation 1"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "emr.reloadfx"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "ABI_BUILT"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "serving"), "%s", r.out);

    cli(&r, ARGS("plugins", "reload"));
    cr_expect_eq(r.code, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "nothing changed; generation 1"), "%s", r.out);

    write_tenant("glow", "2.0.0", NULL);
    cli(&r, ARGS("plugins", "reload"));
    cr_expect_eq(r.code, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "reload: generation 2 published"), "%s", r.out);

    write_tenant("glow", "9.9.9", NULL);
    cli(&r, ARGS("plugins", "reload"));
    cr_expect_eq(r.code, 1);
    cr_expect_not_null(strstr(r.err, "generation 2 still serving"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "glow emr.reloadfx: "), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "plugin emr.reloadfx 9.9.9 is not loaded"), "%s", r.err);

    cli(&r, ARGS("plugins", "rollback"));
    cr_expect_eq(r.code, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "instances of generation 1 serve again"), "%s", r.out);
    expect_serving("glow", "1.0.0");

    cli(&r, ARGS("--json", "plugins", "list"));
    cr_expect_eq(r.code, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "\"generation\":3"), "%s", r.out);

    cli(&r, ARGS("plugins", "frobnicate"));
    cr_expect_eq(r.code, 2);
}

/* ------------------------------------------------------------ start-up */

Test(plugin_admin, a_daemon_whose_bindings_fail_does_not_start)
{
    char dir[64], path[256], log[256], bin[512];
    snprintf(dir, sizeof dir, "/tmp/bw-pstart-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tenants", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/bookwelld.conf", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "listen = { public = \"127.0.0.1:0\"; admin = \"127.0.0.1:0\"; };\n"
               "database = { url = \"env:BOOKWELL_DATABASE_URL\"; pool_size = 2; };\n"
               "admin = { token = \"env:BOOKWELL_ADMIN_TOKEN\"; };\n"
               "plugins = { dir = \"%s\"; };\n", plugins);
    fclose(f);
    char text[1024];
    tenant_text(text, sizeof text, "glow", "3.0.0", NULL);
    snprintf(path, sizeof path, "%s/tenants/glow.conf", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);

    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(bin, sizeof bin, "%s/bookwelld", getenv("BW_BUILDDIR"));
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        dup2(fd, 1);
        setenv("BOOKWELL_DATABASE_URL", conninfo, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        execl(bin, bin, "--config", dir, (char *)NULL);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
    static char out[65536];
    f = fopen(log, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    fclose(f);
    cr_expect_not_null(strstr(out, "instance_open failed: BW_E_AUTH"), "%s", out);
    cr_expect_not_null(strstr(out, "\"tenant\":\"glow\""), "%s", out);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}
