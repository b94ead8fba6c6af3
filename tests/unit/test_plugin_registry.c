/*
 * The plugin registry in-process, with the real loader and the reload
 * fixture plugin (tests/reload/fx_reload.c), whose lifecycle calls are
 * traced to a file. Bindings route by kind and id; a reload publishes a new
 * generation; a handle held across reloads keeps its instance open until
 * it is released, and only then is the instance closed; a call still
 * running at the drain timeout is cancelled; a new version whose
 * instance_open fails leaves the old generation serving and undoes what the
 * attempt opened; unchanged reloads publish nothing and reuse instances;
 * tenants come and go; rollback works within its window; waiting reloads
 * coalesce; a file gone from plugins.dir is finalised and unloaded once
 * unused; and calls racing 50 reloads always see one consistent version.
 */
#include <bookwell/abi.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bookwell/emr.h>

#include "clock.h"
#include "config.h"
#include "plugin_registry.h"
#include "plugin_registry_internal.h"

static char dir[64], trace_path[128];
static struct plugin_set set;
static struct registry *reg;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    char p[128];
    snprintf(dir, sizeof dir, "/tmp/bw-reg-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/tenants", dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/plugins", dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(trace_path, sizeof trace_path, "%s/trace.txt", dir);
    setenv("BW_FX_TRACE", trace_path, 1);
    setenv("BW_T_DB", "host=/nonexistent/socket dbname=bookwell", 1);
    setenv("BW_T_TOKEN", "operator-token-value", 1);
    memset(&set, 0, sizeof set);
    reg = NULL;
}

static void teardown(void)
{
    if (reg)
        cr_expect_eq(registry_destroy(reg), 0);
    reg = NULL;
    plugin_set_close(&set);
    if (strncmp(dir, "/tmp/bw-reg-", 12) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(registry, .init = setup, .fini = teardown, .timeout = 60);

static void put(const char *name, const char *text)
{
    char path[256], tmp[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

static void global_conf(const char *drain, const char *window)
{
    char text[1024];
    snprintf(text, sizeof text,
             "database = { url = \"env:BW_T_DB\"; };\nadmin = { token = \"env:BW_T_TOKEN\"; };\n"
             "plugins = { dir = \"%s/plugins\"; drain_timeout = \"%s\"; rollback_window = \"%s\"; "
             "open_timeout = \"5s\"; };\n",
             dir, drain, window);
    put("bookwelld.conf", text);
}

/* tenants/<id>.conf binding emr.reloadfx (version NULL: the newest). */
static void tenant(const char *id, const char *version, int sleep_ms)
{
    char text[1024], name[128], ver[64] = "";
    if (version)
        snprintf(ver, sizeof ver, "version = \"%s\"; ", version);
    snprintf(text, sizeof text,
             "tenant = { id = \"%s\"; name = \"%s\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = (\n  { plugin = \"emr.reloadfx\"; %s\n"
             "    config = { label = \"%s\"; trace_file = \"%s\"; min_ms = %d; max_ms = %d; }; }\n);\n",
             id, id, ver, id, trace_path, sleep_ms, sleep_ms);
    snprintf(name, sizeof name, "tenants/%s.conf", id);
    put(name, text);
}

static void drop_tenant(const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "%s/tenants/%s.conf", dir, id);
    cr_assert_eq(unlink(path), 0);
}

static void install(const char *fx, const char *version)
{
    char src[4096], dst[256], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(src, sizeof src, "%s/tests/reload/.libs/%s.so", b, fx);
    snprintf(dst, sizeof dst, "%s/plugins/emr.reloadfx-%s.so", dir, version);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", src);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

static void uninstall(const char *version)
{
    char path[256];
    snprintf(path, sizeof path, "%s/plugins/emr.reloadfx-%s.so", dir, version);
    cr_assert_eq(unlink(path), 0);
}

/* Loads plugins.dir and the configuration as the daemon does, and starts. */
static void start(void)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    char err[256], pdir[128];
    cr_assert_eq(config_load(dir, &cfg, &errs), 0, "%s", errs.count ? errs.lines[0] : "");
    snprintf(pdir, sizeof pdir, "%s/plugins", dir);
    cr_assert_geq(plugin_loader_load_dir(&set, pdir, BW_ABI_MINOR, NULL, NULL, err, sizeof err), 0);
    struct registry_options o = {
        .plugins = &set,
        .config_dir = dir,
        .host_minor = BW_ABI_MINOR,
    };
    struct registry_result r;
    int rc = registry_start(&reg, &o, &cfg, &r);
    cr_assert_eq(rc, 0, "start failed: %s %s", r.error, r.n_failures ? r.failures[0].message : "");
    cr_expect_eq(r.generation, 1);
    registry_result_free(&r);
    config_free(&cfg);
}

static struct registry_result reload(void)
{
    struct registry_result r;
    registry_reload(reg, &r);
    return r;
}

/* Runs the catalog op on h; writes the version the plugin reports. */
static int call(struct registry_handle *h, char *version, size_t cap)
{
    struct bw_call c;
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_buf *out = plugin_buf_new(0);
    cr_assert_not_null(out);
    registry_call_begin(h, &c, "test", 30000);
    int rc = ((const struct bw_emr_ops *)h->desc->ops)->catalog(h->instance, &c, out, &err);
    registry_call_end(h, &c);
    version[0] = 0;
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        const char *v = strstr(text, "\"version\":\"");
        cr_assert_not_null(v, "%s", text);
        snprintf(version, cap, "%.*s", (int)strcspn(v + 11, "\""), v + 11);
    }
    plugin_buf_free(out);
    return rc;
}

/* The version that serves tenant now (acquire, call, release). */
static const char *serving(const char *tenant_id)
{
    static char v[32];
    struct registry_handle h;
    cr_assert_eq(registry_acquire(reg, tenant_id, "emr", &h), 0, "no binding for %s", tenant_id);
    cr_assert_eq(call(&h, v, sizeof v), 0);
    cr_expect_str_eq(v, registry_handle_version(&h), "the host and the plugin agree");
    registry_release(&h);
    return v;
}

/* Lines of the trace equal to line. */
static int traced(const char *line)
{
    char buf[256];
    int n = 0;
    FILE *f = fopen(trace_path, "r");
    while (f && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        n += strcmp(buf, line) == 0;
    }
    if (f)
        fclose(f);
    return n;
}

static bool wait_traced(const char *line, int count, int64_t ms)
{
    int64_t end = clock_mono_ms() + ms;
    while (clock_mono_ms() < end) {
        if (traced(line) >= count)
            return true;
        usleep(5000);
    }
    return traced(line) >= count;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* ------------------------------------------------------------ tests */

Test(registry, bindings_route_by_kind_and_id)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    tenant("glow", NULL, 0);
    tenant("spa", NULL, 0);
    start();
    struct registry_handle h;
    cr_assert_eq(registry_acquire(reg, "glow", "emr.reloadfx", &h), 0);
    cr_expect_eq(h.generation, 1);
    cr_expect_str_eq(h.tenant_id, "glow");
    registry_release(&h);
    cr_expect_str_eq(serving("spa"), "1.0.0");
    cr_expect_eq(registry_acquire(reg, "nobody", "emr", &h), -1);
    cr_expect_eq(registry_acquire(reg, "glow", "channel", &h), -1);
    cr_expect_eq(registry_acquire(reg, "glow", "emr.other", &h), -1);
    cr_expect_eq(traced("init 1.0.0"), 1, "one init per file");
    cr_expect_eq(traced("open 1.0.0 glow"), 1);
    cr_expect_eq(traced("open 1.0.0 spa"), 1);

    cJSON *st = registry_status(reg);
    char *text = cJSON_PrintUnformatted(st);
    char built[64];
    snprintf(built, sizeof built, "\"abi_built\":\"%d.%d\"", BW_ABI_MAJOR, BW_ABI_MINOR);
    cr_expect_not_null(strstr(text, built), "%s", text);
    cr_expect_not_null(strstr(text, "\"tenant\":\"spa\""), "%s", text);
    cr_expect_not_null(strstr(text, "\"state\":\"serving\""), "%s", text);
    free(text);
    cJSON_Delete(st);
}

Test(registry, a_reload_publishes_the_new_version_and_closes_the_old)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 0);
    start();
    cr_expect_str_eq(serving("glow"), "1.0.0");
    tenant("glow", "2.0.0", 0);
    struct registry_result r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    cr_expect(r.changed);
    cr_expect_eq(r.generation, 2);
    cr_expect_eq(r.replaced, 1);
    cr_expect_geq(r.published_ms, 0);
    registry_result_free(&r);
    cr_expect_eq(registry_generation(reg), 2);
    cr_expect_str_eq(serving("glow"), "2.0.0");
    cr_expect(wait_traced("close 1.0.0 glow", 1, 3000), "the replaced instance is closed");
}

Test(registry, a_reference_held_across_reloads_keeps_its_instance_until_released)
{
    global_conf("30s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 0);
    start();
    struct registry_handle held;
    char v[32];
    cr_assert_eq(registry_acquire(reg, "glow", "emr", &held), 0);

    tenant("glow", "2.0.0", 0);
    struct registry_result r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    registry_result_free(&r);
    tenant("glow", "1.0.0", 0); /* and back: a third generation, a new v1 instance */
    r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    cr_expect_eq(r.generation, 3);
    registry_result_free(&r);
    cr_expect(wait_traced("close 2.0.0 glow", 1, 3000), "the unreferenced v2 closes");

    sleep_ms(300); /* the control thread has had many chances to close it */
    cr_expect_eq(traced("close 1.0.0 glow"), 0, "never closed under a live reference");
    cr_expect_eq(traced("open 1.0.0 glow"), 2, "generation 3 opened its own v1");
    cr_expect_eq(held.generation, 1);
    cr_assert_eq(call(&held, v, sizeof v), 0, "the held instance still serves its call");
    cr_expect_str_eq(v, "1.0.0");

    cJSON *st = registry_status(reg);
    char *text = cJSON_PrintUnformatted(st);
    cr_expect_not_null(strstr(text, "\"state\":\"draining\""), "%s", text);
    free(text);
    cJSON_Delete(st);

    registry_release(&held);
    cr_expect(wait_traced("close 1.0.0 glow", 1, 3000), "closed once released");
    cr_expect_eq(traced("close 1.0.0 glow"), 1, "and only that one: generation 3's serves on");
    cr_expect_str_eq(serving("glow"), "1.0.0");
}

struct slow_call {
    struct registry_handle h;
    int rc;
    int64_t returned_ms;
};

static void *run_slow(void *arg)
{
    struct slow_call *s = arg;
    char v[32];
    s->rc = call(&s->h, v, sizeof v);
    s->returned_ms = clock_mono_ms();
    return NULL;
}

Test(registry, calls_still_running_at_the_drain_timeout_are_cancelled)
{
    global_conf("300ms", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 20000);
    start();
    struct slow_call s = { .rc = 1 };
    pthread_t t;
    cr_assert_eq(registry_acquire(reg, "glow", "emr", &s.h), 0);
    cr_assert_eq(pthread_create(&t, NULL, run_slow, &s), 0);
    sleep_ms(100);

    tenant("glow", "2.0.0", 0);
    int64_t published = clock_mono_ms();
    struct registry_result r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "2.0.0", "new calls go to the new version at once");
    pthread_join(t, NULL);
    cr_expect_eq(s.rc, BW_E_CANCELLED, "got %s", bw_strerror(s.rc));
    int64_t after = s.returned_ms - published;
    cr_expect(after >= 250 && after < 5000, "cancelled %lld ms after the reload", (long long)after);
    cr_expect_eq(traced("close 1.0.0 glow"), 0, "still referenced until released");
    registry_release(&s.h);
    cr_expect(wait_traced("close 1.0.0 glow", 1, 3000));
}

Test(registry, a_version_that_fails_to_open_leaves_the_old_one_serving)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    install("fx_reload_v3", "3.0.0");
    tenant("glow", "1.0.0", 0);
    tenant("spa", "1.0.0", 0);
    start();
    tenant("glow", "2.0.0", 0);  /* opens fine */
    tenant("spa", "3.0.0", 0);   /* refuses to open */
    struct registry_result r = reload();
    cr_expect_eq(r.rc, -1);
    cr_expect_not(r.changed);
    cr_expect_eq(r.generation, 1);
    cr_assert_eq(r.n_failures, 1);
    cr_expect_str_eq(r.failures[0].tenant, "spa");
    cr_expect_str_eq(r.failures[0].plugin, "emr.reloadfx");
    cr_expect_str_eq(r.failures[0].version, "3.0.0");
    char where[200];
    snprintf(where, sizeof where, "%s/tenants/spa.conf:3: instance_open failed: BW_E_AUTH", dir);
    cr_expect_not_null(strstr(r.failures[0].message, where), "%s", r.failures[0].message);
    cr_expect_not_null(strstr(r.error, "generation 1 still serving"), "%s", r.error);
    registry_result_free(&r);

    cr_expect_eq(registry_generation(reg), 1);
    cr_expect_str_eq(serving("glow"), "1.0.0");
    cr_expect_str_eq(serving("spa"), "1.0.0");
    cr_expect_eq(traced("open 2.0.0 glow"), 1, "glow's new instance was opened...");
    cr_expect_eq(traced("close 2.0.0 glow"), 1, "...and closed again");
    cr_expect_eq(traced("init 3.0.0"), 1);
    cr_expect_eq(traced("fini 3.0.0"), 1, "what the attempt initialised is finalised");
    cr_expect_eq(traced("close 1.0.0 glow"), 0);
}

Test(registry, a_reload_without_changes_publishes_nothing)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    tenant("glow", NULL, 0);
    start();
    for (int i = 0; i < 3; i++) {
        struct registry_result r = reload();
        cr_expect_eq(r.rc, 0, "%s", r.error);
        cr_expect_not(r.changed);
        cr_expect_eq(r.generation, 1);
        registry_result_free(&r);
    }
    cr_expect_eq(traced("open 1.0.0 glow"), 1);
}

Test(registry, tenants_added_and_removed_by_configuration_alone)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    tenant("glow", NULL, 0);
    start();
    struct registry_handle h;
    cr_expect_eq(registry_acquire(reg, "spa", "emr", &h), -1);
    tenant("spa", NULL, 0);
    struct registry_result r = reload();
    cr_expect_eq(r.rc, 0, "%s", r.error);
    cr_expect(r.changed);
    registry_result_free(&r);
    cr_expect_str_eq(serving("spa"), "1.0.0");
    cr_expect_eq(traced("open 1.0.0 glow"), 1, "glow's instance was reused");

    drop_tenant("spa");
    r = reload();
    cr_expect_eq(r.rc, 0, "%s", r.error);
    cr_expect_eq(r.generation, 3);
    registry_result_free(&r);
    cr_expect_eq(registry_acquire(reg, "spa", "emr", &h), -1);
    cr_expect(wait_traced("close 1.0.0 spa", 1, 3000));
    cr_expect_eq(traced("close 1.0.0 glow"), 0);
    cr_expect_str_eq(serving("glow"), "1.0.0");
}

Test(registry, rollback_serves_the_previous_instances_within_the_window)
{
    global_conf("5s", "10s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 0);
    start();
    struct registry_result r;
    cr_expect_eq(registry_rollback(reg, &r), -1, "no previous generation yet");
    cr_expect_not_null(strstr(r.error, "rollback window"), "%s", r.error);
    registry_result_free(&r);

    tenant("glow", "2.0.0", 0);
    r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "2.0.0");
    sleep_ms(100);
    cr_expect_eq(traced("close 1.0.0 glow"), 0, "kept open for the rollback window");

    cr_assert_eq(registry_rollback(reg, &r), 0, "%s", r.error);
    cr_expect_eq(r.generation, 3);
    cr_expect_eq(r.restored, 1);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "1.0.0");
    cr_expect_eq(traced("open 1.0.0 glow"), 1, "the same instance serves again");

    cr_assert_eq(registry_rollback(reg, &r), 0, "%s", r.error); /* and forward again */
    cr_expect_eq(r.restored, 2);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "2.0.0");
    cr_expect_eq(traced("open 2.0.0 glow"), 1);
}

Test(registry, rollback_is_refused_after_the_window)
{
    global_conf("5s", "150ms");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 0);
    start();
    tenant("glow", "2.0.0", 0);
    struct registry_result r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    registry_result_free(&r);
    cr_expect(wait_traced("close 1.0.0 glow", 1, 3000), "closed once the window passed");
    cr_expect_eq(registry_rollback(reg, &r), -1);
    cr_expect_not_null(strstr(r.error, "no previous generation"), "%s", r.error);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "2.0.0");
}

struct done_count {
    pthread_mutex_t mu;
    int calls, changed;
};

static void count_done(const struct registry_result *r, void *ctx)
{
    struct done_count *d = ctx;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    d->changed += r->changed;
    pthread_mutex_unlock(&d->mu);
}

Test(registry, reload_requests_waiting_together_coalesce)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 0);
    start();
    struct done_count d = { .calls = 0 };
    pthread_mutex_init(&d.mu, NULL);
    uint64_t ops_before = reg->operations;

    /* Hold the control thread inside the first reload while more arrive. */
    pthread_mutex_lock(&reg->state_mu);
    cr_assert_eq(registry_reload_async(reg, count_done, &d), 0);
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&reg->cmd_mu);
        bool taken = reg->ops == NULL;
        pthread_mutex_unlock(&reg->cmd_mu);
        if (taken)
            break;
        sleep_ms(5);
    }
    tenant("glow", "2.0.0", 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(registry_reload_async(reg, count_done, &d), 0);
    pthread_mutex_unlock(&reg->state_mu);

    for (int i = 0; i < 400; i++) {
        pthread_mutex_lock(&d.mu);
        int n = d.calls;
        pthread_mutex_unlock(&d.mu);
        if (n == 6)
            break;
        sleep_ms(5);
    }
    cr_expect_eq(d.calls, 6, "every request is answered");
    cr_expect_eq(reg->operations - ops_before, 2, "five waiting requests ran as one reload");
    /* The first reload reads the configuration when it runs, after the
     * edit: it publishes, and the five joined requests find nothing left. */
    cr_expect_eq(d.changed, 1);
    cr_expect_str_eq(serving("glow"), "2.0.0");
    pthread_mutex_destroy(&d.mu);
}

Test(registry, a_file_gone_from_plugins_dir_is_unloaded_once_unused)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", NULL, 0);
    start();
    cr_expect_str_eq(serving("glow"), "2.0.0", "no version: the newest");
    uninstall("2.0.0");
    struct registry_result r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    cr_expect(r.changed);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "1.0.0");
    cr_expect(wait_traced("fini 2.0.0", 1, 3000), "finalised after its last instance closed");
    cr_expect_eq(traced("close 2.0.0 glow"), 1);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        pthread_mutex_lock(&reg->state_mu);
        gone = plugin_set_find(&set, "emr.reloadfx", "2.0.0") == NULL;
        pthread_mutex_unlock(&reg->state_mu);
        if (!gone)
            sleep_ms(10);
    }
    cr_expect(gone, "and unloaded");

    install("fx_reload_v2", "2.0.0"); /* back: loaded afresh */
    r = reload();
    cr_assert_eq(r.rc, 0, "%s", r.error);
    registry_result_free(&r);
    cr_expect_str_eq(serving("glow"), "2.0.0");
    cr_expect_eq(traced("init 2.0.0"), 2);
}

struct racer {
    atomic_bool *stop;
    int calls, mismatches, errors;
};

static void *race(void *arg)
{
    struct racer *rc = arg;
    char v[32];
    while (!atomic_load(rc->stop)) {
        struct registry_handle h;
        if (registry_acquire(reg, "glow", "emr", &h) != 0) {
            rc->errors++;
            continue;
        }
        if (call(&h, v, sizeof v) != 0)
            rc->errors++;
        else if (strcmp(v, registry_handle_version(&h)) != 0)
            rc->mismatches++;
        registry_release(&h);
        rc->calls++;
    }
    return NULL;
}

Test(registry, calls_racing_reloads_always_see_one_consistent_version)
{
    global_conf("5s", "0s");
    install("fx_reload_v1", "1.0.0");
    install("fx_reload_v2", "2.0.0");
    tenant("glow", "1.0.0", 1);
    start();
    atomic_bool stop = false;
    struct racer rs[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        rs[i] = (struct racer){ .stop = &stop };
        cr_assert_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
    }
    for (int i = 0; i < 50; i++) {
        tenant("glow", i % 2 ? "1.0.0" : "2.0.0", 1);
        struct registry_result r = reload();
        cr_assert_eq(r.rc, 0, "reload %d: %s", i, r.error);
        cr_expect(r.changed);
        registry_result_free(&r);
        sleep_ms(5);
    }
    atomic_store(&stop, true);
    int calls = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        calls += rs[i].calls;
        cr_expect_eq(rs[i].errors, 0);
        cr_expect_eq(rs[i].mismatches, 0);
    }
    cr_expect_gt(calls, 100, "%d calls", calls);
    cr_expect_eq(registry_generation(reg), 51);
    /* Every replaced instance closes once its calls are done. */
    cr_expect(wait_traced("close 1.0.0 glow", 25, 5000), "%d", traced("close 1.0.0 glow"));
    cr_expect(wait_traced("close 2.0.0 glow", 25, 5000), "%d", traced("close 2.0.0 glow"));
}
