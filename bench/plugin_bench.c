/*
 * Plugin benchmarks in-process, with the real loader, registry and the
 * reload fixture plugin (built by `make check`):
 *
 *   plugin_bench calls [N]     ns per call: the fixture's catalog op called
 *                              directly, the same op through the host
 *                              (acquire, call begin/end, release), and the
 *                              host's part alone (acquire + release), on one
 *                              thread and on two
 *   plugin_bench reload [N]    N reloads alternating two versions while 8
 *                              threads call the plugin (calls of 0-20 ms):
 *                              ms from request to new generation published,
 *                              and to the old generation drained
 *   plugin_bench bigreload     one tenant's binding edited among 1,000
 *                              tenants with 4 bindings each: request to
 *                              publication (re-reading 1,000 files and typing
 *                              4,000 bindings)
 *
 * BW_BUILDDIR (default: the current directory) locates the fixtures.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
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

static char dir[64];
static struct plugin_set set;
static struct registry *reg;

static void die(const char *what)
{
    fprintf(stderr, "plugin_bench: %s\n", what);
    exit(1);
}

static void put(const char *name, const char *text)
{
    char path[512], tmp[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        die("cannot write the configuration");
}

static void install(const char *fx, const char *file)
{
    char src[4096], dst[512], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(src, sizeof src, "%s/tests/reload/.libs/%s.so", b ? b : ".", fx);
    snprintf(dst, sizeof dst, "%s/plugins/%s", dir, file);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        die("cannot copy a fixture plugin (run make check first)");
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("cannot copy a fixture plugin");
    close(in);
    close(out);
}

static void setup_dirs(void)
{
    char p[128];
    snprintf(dir, sizeof dir, "/tmp/bw-pbench-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(p, sizeof p, "%s/tenants", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/plugins", dir);
    mkdir(p, 0755);
    setenv("BW_BENCH_DB", "host=/nonexistent dbname=x", 1);
    setenv("BW_BENCH_TOKEN", "token", 1);
    char text[512];
    snprintf(text, sizeof text,
             "database = { url = \"env:BW_BENCH_DB\"; };\nadmin = { token = \"env:BW_BENCH_TOKEN\"; };\n"
             "plugins = { dir = \"%s/plugins\"; drain_timeout = \"30s\"; rollback_window = \"0s\"; };\n",
             dir);
    put("bookwelld.conf", text);
}

static void tenant(const char *id, const char *version, int max_ms)
{
    char text[1024], name[128];
    snprintf(text, sizeof text,
             "tenant = { id = \"%s\"; name = \"%s\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = ( { plugin = \"emr.reloadfx\"; version = \"%s\";\n"
             "  config = { min_ms = 0; max_ms = %d; label = \"%s\"; }; } );\n",
             id, id, version, max_ms, id);
    snprintf(name, sizeof name, "tenants/%s.conf", id);
    put(name, text);
}

static void start(void)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    char err[256], pdir[128];
    if (config_load(dir, &cfg, &errs) != 0)
        die(errs.count ? errs.lines[0] : "config");
    snprintf(pdir, sizeof pdir, "%s/plugins", dir);
    if (plugin_loader_load_dir(&set, pdir, BW_ABI_MINOR, NULL, NULL, err, sizeof err) < 0)
        die(err);
    struct registry_options o = { .plugins = &set, .config_dir = dir, .host_minor = BW_ABI_MINOR };
    struct registry_result r;
    if (registry_start(&reg, &o, &cfg, &r) != 0)
        die(r.n_failures ? r.failures[0].message : r.error);
    registry_result_free(&r);
    config_free(&cfg);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void finish(void)
{
    registry_destroy(reg);
    plugin_set_close(&set);
    memset(&set, 0, sizeof set);
    if (strncmp(dir, "/tmp/bw-pbench-", 15) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ calls */

enum mode { DIRECT, HOST, ACQUIRE_ONLY };

struct call_job {
    enum mode mode;
    long n;
    int64_t ns;
};

static void *call_loop(void *arg)
{
    struct call_job *j = arg;
    struct bw_buf *out = plugin_buf_new(0);
    struct registry_handle h;
    if (registry_acquire(reg, "glow", "emr", &h) != 0)
        die("no binding");
    const struct bw_emr_ops *ops = h.desc->ops;
    void *instance = h.instance;
    struct bw_call direct;
    registry_call_begin(&h, &direct, NULL, 0);
    int64_t t0 = now_ns();
    for (long i = 0; i < j->n; i++) {
        struct bw_error err = { .struct_size = sizeof err };
        plugin_buf_reset(out);
        if (j->mode == DIRECT) {
            ops->catalog(instance, &direct, out, &err);
        } else {
            struct registry_handle x;
            if (registry_acquire(reg, "glow", "emr", &x) != 0)
                die("acquire");
            if (j->mode == HOST) {
                struct bw_call c;
                registry_call_begin(&x, &c, NULL, 10000);
                ((const struct bw_emr_ops *)x.desc->ops)->catalog(x.instance, &c, out, &err);
                registry_call_end(&x, &c);
            }
            registry_release(&x);
        }
    }
    j->ns = now_ns() - t0;
    registry_call_end(&h, &direct);
    registry_release(&h);
    plugin_buf_free(out);
    return NULL;
}

static double run_calls(enum mode mode, int threads, long n)
{
    pthread_t t[8];
    struct call_job j[8];
    for (int i = 0; i < threads; i++) {
        j[i] = (struct call_job){ mode, n, 0 };
        pthread_create(&t[i], NULL, call_loop, &j[i]);
    }
    int64_t worst = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (j[i].ns > worst)
            worst = j[i].ns;
    }
    return (double)worst / (double)n; /* wall ns per call per thread */
}

static void bench_calls(long n)
{
    setup_dirs();
    install("fx_reload_v1", "emr.reloadfx-1.0.0.so");
    tenant("glow", "1.0.0", 0);
    start();
    static const char *const names[] = { "plugin op called directly", "plugin op through the host",
                                         "host only: acquire + release" };
    run_calls(HOST, 1, n / 10); /* warm up */
    printf("%-32s %12s %12s\n", "", "1 thread", "2 threads");
    /* The best of five runs: the machine is shared, and interference only
     * ever adds time. */
    for (int m = DIRECT; m <= ACQUIRE_ONLY; m++) {
        double one = 1e18, two = 1e18;
        for (int r = 0; r < 5; r++) {
            double a = run_calls((enum mode)m, 1, n / 5), b = run_calls((enum mode)m, 2, n / 5);
            one = a < one ? a : one;
            two = b < two ? b : two;
        }
        printf("%-32s %9.1f ns %9.1f ns\n", names[m], one, two);
    }
    finish();
}

/* ------------------------------------------------------------ reload */

static atomic_bool stop_callers;

static void *caller(void *arg)
{
    (void)arg;
    struct bw_buf *out = plugin_buf_new(0);
    while (!atomic_load(&stop_callers)) {
        struct registry_handle h;
        if (registry_acquire(reg, "glow", "emr", &h) != 0)
            continue;
        struct bw_call c;
        struct bw_error err = { .struct_size = sizeof err };
        plugin_buf_reset(out);
        registry_call_begin(&h, &c, NULL, 10000);
        ((const struct bw_emr_ops *)h.desc->ops)->catalog(h.instance, &c, out, &err);
        registry_call_end(&h, &c);
        registry_release(&h);
    }
    plugin_buf_free(out);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    printf("%-40s median %7.2f ms  mean %7.2f ms  max %7.2f ms\n", what, v[n / 2], sum / n,
           v[n - 1]);
}

static double drained_ms(void)
{
    /* The last operation's drained_ms, once the replaced generation drained. */
    for (int i = 0; i < 10000; i++) {
        cJSON *st = registry_status(reg);
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(st, "last_operation");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(last, "drained_ms");
        double v = cJSON_IsNumber(d) ? d->valuedouble : -1;
        cJSON_Delete(st);
        if (v >= 0)
            return v;
        usleep(1000);
    }
    return -1;
}

static void bench_reload(int n)
{
    setup_dirs();
    install("fx_reload_v1", "emr.reloadfx-1.0.0.so");
    install("fx_reload_v2", "emr.reloadfx-2.0.0.so");
    tenant("glow", "1.0.0", 20);
    start();
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, caller, NULL);
    usleep(200000);
    double *pub = calloc((size_t)n, sizeof *pub), *drn = calloc((size_t)n, sizeof *drn);
    for (int i = 0; i < n; i++) {
        tenant("glow", i % 2 ? "1.0.0" : "2.0.0", 20);
        struct registry_result r;
        if (registry_reload(reg, &r) != 0 || !r.changed)
            die(r.error);
        pub[i] = (double)r.published_ms;
        registry_result_free(&r);
        drn[i] = drained_ms();
    }
    atomic_store(&stop_callers, true);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("%d reloads, 8 threads calling (each call 0-20 ms):\n", n);
    report("request -> new generation published", pub, n);
    report("request -> old generation drained", drn, n);
    free(pub);
    free(drn);
    finish();
}

static void bench_bigreload(void)
{
    setup_dirs();
    static const char *const ids[] = { "a", "b", "c", "d" };
    for (int k = 0; k < 4; k++) {
        char fx[32], file[64];
        snprintf(fx, sizeof fx, "fx_bench_%s", ids[k]);
        snprintf(file, sizeof file, "emr.bench_%s-1.0.0.so", ids[k]);
        install(fx, file);
    }
    for (int i = 0; i < 1000; i++) {
        char text[2048], name[64], id[32];
        snprintf(id, sizeof id, "clinic-%04d", i);
        int n = snprintf(text, sizeof text,
                         "tenant = { id = \"%s\"; name = \"%s\"; timezone = \"America/New_York\"; };\n"
                         "plugins = (\n",
                         id, id);
        for (int k = 0; k < 4; k++)
            n += snprintf(text + n, sizeof text - (size_t)n,
                          "  { plugin = \"emr.bench_%s\"; config = { min_ms = 0; max_ms = 0; "
                          "label = \"%s\"; }; }%s\n",
                          ids[k], id, k < 3 ? "," : "");
        snprintf(text + n, sizeof text - (size_t)n, ");\n");
        snprintf(name, sizeof name, "tenants/%s.conf", id);
        put(name, text);
    }
    int64_t t0 = now_ns();
    start();
    printf("start, 1,000 tenants x 4 bindings: %.1f ms\n", (double)(now_ns() - t0) / 1e6);
    double pub[10];
    for (int i = 0; i < 10; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "tenant = { id = \"clinic-0500\"; name = \"x\"; timezone = \"America/New_York\"; };\n"
                 "plugins = ( { plugin = \"emr.bench_a\"; config = { max_ms = %d; }; } );\n", i);
        put("tenants/clinic-0500.conf", text);
        struct registry_result r;
        if (registry_reload(reg, &r) != 0 || !r.changed)
            die(r.error);
        pub[i] = (double)r.published_ms;
        registry_result_free(&r);
    }
    report("one tenant edited among 1,000 -> published", pub, 10);
    finish();
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "calls";
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (strcmp(what, "calls") == 0)
        bench_calls(n > 0 ? n : 2000000);
    else if (strcmp(what, "reload") == 0)
        bench_reload(n > 0 ? (int)n : 50);
    else if (strcmp(what, "bigreload") == 0)
        bench_bigreload();
    else {
        fprintf(stderr, "usage: plugin_bench calls [N] | reload [N] | bigreload\n");
        return 2;
    }
    return 0;
}
