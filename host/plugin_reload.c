/*
 * Building a routing generation (see plugin_registry.h), on the control
 * thread. The steps run from the ones without side effects to the ones
 * with: read the configuration, load new plugin files beside the loaded
 * ones (descriptors only), resolve every binding to a file and type its
 * config against the schema; then, only when all of that passed, init the
 * files that need it and open the instances that changed, reusing every
 * instance whose plugin file and configuration are the same as in the
 * current generation. A failure at any step undoes what the attempt opened
 * and leaves the current generation serving; the failures name the tenant,
 * the plugin and the file and line of the binding.
 */
#include "plugin_registry_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/emr.h>

#include "clock.h"
#include "config_bindings.h"
#include "plugin_config.h"

#define MAX_LISTED_ERRORS 32

/* One binding of the configuration being applied. */
struct pending {
    const struct tenant_config *t;
    const struct plugin_binding *b;
    struct reg_file *rf;
    struct plugin_config cfg;  /* moved into the instance when one opens */
    struct reg_instance *reuse; /* the current generation's instance, unchanged */
    struct reg_instance *opened;
};

struct attempt {
    struct registry *reg;
    struct reg_failures *f;
    struct pending *p;
    size_t n;
    struct reg_file **inited;  /* files this attempt initialised */
    size_t n_inited;
};

static struct reg_file *file_for(struct registry *reg, const struct plugin *p)
{
    for (struct reg_file *rf = reg->files; rf; rf = rf->next)
        if (rf->p == p)
            return rf;
    return NULL;
}

static struct reg_file *file_add(struct registry *reg, const struct plugin *p)
{
    struct reg_file *rf = calloc(1, sizeof *rf);
    if (!rf)
        return NULL;
    rf->p = p;
    rf->in_dir = true;
    rf->next = reg->files;
    reg->files = rf;
    return rf;
}

/* The loaded set as the registry knows it (at start: what the daemon
 * loaded). Returns 0 or -1 (out of memory). */
static int sync_files(struct registry *reg)
{
    struct plugin_set *set = reg->opt.plugins;
    for (size_t i = 0; i < set->n; i++)
        if (!file_for(reg, set->items[i]) && !file_add(reg, set->items[i]))
            return -1;
    return 0;
}

static bool is_candidate(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

/* Marks which loaded files are still in dir and loads the new ones
 * (descriptors only: no lifecycle call). Returns 0, or -1 when dir cannot
 * be read. */
static int scan_dir(struct registry *reg, const char *dir, struct reg_failures *f)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        reg_fail(f, NULL, NULL, NULL, "cannot open plugins directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    for (struct reg_file *rf = reg->files; rf; rf = rf->next)
        rf->in_dir = false;
    struct dirent *de;
    while ((de = readdir(dh))) {
        char path[4096];
        if (!is_candidate(de->d_name))
            continue;
        int len = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (len < 0 || (size_t)len >= sizeof path)
            continue;
        struct reg_file *known = NULL;
        for (struct reg_file *rf = reg->files; rf && !known; rf = rf->next)
            if (strcmp(rf->p->path, path) == 0)
                known = rf;
        /* dlopen caches by path: a file already loaded is not read again. */
        if (known) {
            known->in_dir = true;
            continue;
        }
        const struct plugin *p = NULL;
        struct plugin_reject_info why;
        int rc = plugin_loader_open(reg->opt.plugins, path, reg->opt.host_minor, &p, &why);
        if (reg->opt.report)
            reg->opt.report(path, rc == 0 ? p : NULL, &why, reg->opt.report_ctx);
        if (rc == 0 && !file_add(reg, p)) {
            reg_fail(f, NULL, NULL, NULL, "out of memory");
            plugin_set_unload(reg->opt.plugins, p);
        }
    }
    closedir(dh);
    return 0;
}

static bool usable_file(const struct plugin *p, void *ctx)
{
    struct reg_file *rf = file_for(ctx, p);
    return rf && rf->in_dir;
}

static bool strings_equal(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_settings(const struct reg_instance *in, const struct plugin_binding *b)
{
    if (!strings_equal(in->base_url, b->base_url) || in->n_allow_hosts != b->n_allow_hosts)
        return false;
    for (size_t i = 0; i < b->n_allow_hosts; i++)
        if (strcmp(in->allow_hosts[i], b->allow_hosts[i]) != 0)
            return false;
    return true;
}

/* The current generation's instance for this binding when nothing of it
 * changed: the same plugin file, configuration and outbound settings. */
static struct reg_instance *reusable(const struct reg_gen *cur, const struct pending *p)
{
    const struct reg_tenant *t = cur ? reg_gen_tenant(cur, p->t->id) : NULL;
    for (uint32_t i = 0; t && i < t->n; i++) {
        struct reg_instance *in = t->inst[i];
        if (strcmp(in->desc->id, p->b->plugin) == 0)
            return in->file == p->rf && plugin_config_equal(&in->cfg, &p->cfg) &&
                           same_settings(in, p->b)
                       ? in
                       : NULL;
    }
    return NULL;
}

/* Resolves and types every binding. Returns the number of failures added. */
static size_t prepare(struct attempt *a, const struct host_config *cfg)
{
    size_t before = a->f->n, total = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        total += cfg->tenants[i].n_bindings;
    if (total && !(a->p = calloc(total, sizeof *a->p))) {
        reg_fail(a->f, NULL, NULL, NULL, "out of memory");
        return 1;
    }
    struct reg_gen *cur = reg_current_gen(a->reg);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct tenant_config *t = &cfg->tenants[i];
        for (size_t k = 0; k < t->n_bindings; k++) {
            const struct plugin_binding *b = &t->bindings[k];
            struct pending *p = &a->p[a->n++];
            p->t = t;
            p->b = b;
            const struct plugin *pl = plugin_resolve(a->reg->opt.plugins, b->plugin, b->version,
                                                     usable_file, a->reg);
            if (!pl) {
                reg_fail(a->f, t->id, b->plugin, b->version,
                         "%s:%d: plugin %s%s%s is not loaded from %s", b->file, b->line,
                         b->plugin, b->version ? " " : "", b->version ? b->version : "",
                         cfg->plugins_dir);
                continue;
            }
            p->rf = file_for(a->reg, pl);
            struct confmap_errors errs = { .count = 0 };
            if (plugin_config_parse(pl->desc, b, &p->cfg, &errs) != 0) {
                for (int e = 0; e < errs.count && e < MAX_LISTED_ERRORS; e++)
                    reg_fail(a->f, t->id, b->plugin, pl->desc->version, "%s", errs.lines[e]);
                p->rf = NULL;
                continue;
            }
            p->reuse = reusable(cur, p);
        }
    }
    return a->f->n - before;
}

/* True when the bindings map to exactly the current generation's instances
 * in the same order: nothing to publish. */
static bool unchanged(const struct attempt *a, const struct reg_gen *cur)
{
    size_t n_cur = 0;
    if (!cur)
        return a->n == 0;
    for (size_t i = 0; i < cur->n_tenants; i++)
        n_cur += cur->tenants[i].n;
    if (n_cur != a->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct pending *p = &a->p[i];
        const struct reg_tenant *t = reg_gen_tenant(cur, p->t->id);
        size_t pos = (size_t)(p->b - p->t->bindings);
        if (!p->reuse || !t || pos >= t->n || t->inst[pos] != p->reuse)
            return false;
    }
    return true;
}

static void clean_text(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            *s = ' ';
}

/* An EMR instance that reports a capability must implement its op. */
static int check_emr_caps(struct reg_instance *in, struct bw_call *call, char *why, size_t cap)
{
    const struct bw_emr_ops *o = in->desc->ops;
    uint64_t caps = 0;
    int rc = o->capabilities(in->handle, call, &caps);
    if (rc != 0) {
        snprintf(why, cap, "capabilities failed: %s", bw_strerror(rc));
        return -1;
    }
    static const struct {
        uint64_t bit;
        size_t offset;
        const char *op;
    } need[] = {
        { BW_EMR_CAP_AVAILABILITY, offsetof(struct bw_emr_ops, availability), "availability" },
        { BW_EMR_CAP_BOOK, offsetof(struct bw_emr_ops, book), "book" },
        { BW_EMR_CAP_RESCHEDULE, offsetof(struct bw_emr_ops, reschedule), "reschedule" },
        { BW_EMR_CAP_CANCEL, offsetof(struct bw_emr_ops, cancel), "cancel" },
        { BW_EMR_CAP_PATIENT_FIND, offsetof(struct bw_emr_ops, patient_find), "patient_find" },
        { BW_EMR_CAP_PATIENT_CREATE, offsetof(struct bw_emr_ops, patient_create),
          "patient_create" },
        { BW_EMR_CAP_APPOINTMENT_LIST, offsetof(struct bw_emr_ops, appointment_list),
          "appointment_list" },
        { BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_DEPOSIT_NOTE,
          offsetof(struct bw_emr_ops, deposit_log), "deposit_log" },
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        void *const *fn = (void *const *)((const char *)o + need[i].offset);
        if ((caps & need[i].bit) && !*fn) {
            snprintf(why, cap, "reports a capability without its op %s", need[i].op);
            return -1;
        }
    }
    return 0;
}

static char **copy_strings(char *const *items, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = strdup(items[i]))) {
            while (i-- > 0)
                free(out[i]);
            free(out);
            return NULL;
        }
    }
    return out;
}

/* Opens the instance of p. Returns 0, or -1 with a failure recorded. */
static int open_instance(struct attempt *a, struct pending *p, uint64_t number)
{
    struct registry *reg = a->reg;
    const struct plugin_binding *b = p->b;
    const struct bw_plugin_descriptor *d = p->rf->p->desc;
    char why[300] = "";
    bool was_inited = p->rf->inited;
    if (reg_file_init(reg, p->rf, why, sizeof why) != 0) {
        reg_fail(a->f, p->t->id, d->id, d->version, "%s:%d: %s", b->file, b->line, why);
        return -1;
    }
    if (!was_inited)
        a->inited[a->n_inited++] = p->rf;

    /* Aligned: its counters sit on cache lines of their own. */
    struct reg_instance *in = aligned_alloc(_Alignof(struct reg_instance), sizeof *in);
    if (in)
        memset(in, 0, sizeof *in);
    if (!in || !(in->tenant_id = strdup(p->t->id)) || !(in->file_name = strdup(b->file)) ||
        (b->base_url && !(in->base_url = strdup(b->base_url))) ||
        (b->allow_hosts && !(in->allow_hosts = copy_strings(b->allow_hosts, b->n_allow_hosts)))) {
        reg_fail(a->f, p->t->id, d->id, d->version, "out of memory");
        goto fail;
    }
    in->reg = reg;
    in->file = p->rf;
    in->desc = d;
    in->line = b->line;
    in->n_allow_hosts = b->n_allow_hosts;
    in->cfg = p->cfg;
    memset(&p->cfg, 0, sizeof p->cfg);
    in->opened_in = number;
    if (d->flags & BW_PLUGIN_F_SERIAL)
        in->serial_init = pthread_mutex_init(&in->serial, NULL) == 0;

    struct bw_call call;
    struct bw_error err = { .struct_size = sizeof err };
    plugin_call_begin(&call, in->tenant_id, d->id, NULL);
    call.config = &in->cfg;
    call.pool = reg->opt.pool;
    call.deadline_mono_ms = clock_mono_ms() + reg->open_timeout_ms;
    call.base_url = in->base_url;
    call.allow_hosts = (const char *const *)in->allow_hosts;
    int rc = d->instance_open ? d->instance_open(plugin_services(), p->rf->state, &call,
                                                 &in->handle, &err)
                              : 0;
    if (rc == 0 && d->kind == BW_KIND_EMR && check_emr_caps(in, &call, why, sizeof why) != 0)
        rc = BW_E_CONFIG;
    plugin_call_end(&call);
    if (rc != 0) {
        if (!why[0]) {
            err.message[sizeof err.message - 1] = 0;
            clean_text(err.message);
            snprintf(why, sizeof why, "instance_open failed: %s%s%s", bw_strerror(rc),
                     err.message[0] ? ": " : "", err.message);
        } else if (in->handle && d->instance_close) {
            d->instance_close(p->rf->state, in->handle);
        }
        reg_fail(a->f, p->t->id, d->id, d->version, "%s:%d: %s", b->file, b->line, why);
        goto fail;
    }
    in->next = reg->instances;
    reg->instances = in;
    p->rf->n_instances++;
    p->opened = in;
    return 0;
fail:
    if (in) {
        plugin_config_free(&in->cfg);
        if (in->serial_init)
            pthread_mutex_destroy(&in->serial);
        for (size_t i = 0; in->allow_hosts && in->allow_hosts[i]; i++)
            free(in->allow_hosts[i]);
        free(in->allow_hosts);
        free(in->base_url);
        free(in->file_name);
        free(in->tenant_id);
        free(in);
    }
    return -1;
}

/* Closes what the attempt opened and finalises what it initialised. */
static void undo(struct attempt *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->p[i].opened) {
            reg_instance_close(a->reg, a->p[i].opened);
            a->p[i].opened = NULL;
        }
    }
    for (size_t i = 0; i < a->n_inited; i++) {
        struct reg_file *rf = a->inited[i];
        if (rf->n_instances == 0 && rf->inited) {
            if (rf->p->desc->fini)
                rf->p->desc->fini(rf->state);
            rf->inited = false;
            rf->state = NULL;
        }
    }
}

static int cmp_tenants(const void *x, const void *y)
{
    return strcmp(((const struct reg_tenant *)x)->id, ((const struct reg_tenant *)y)->id);
}

/* The routing table of the attempt's bindings. NULL when out of memory. */
static struct reg_gen *build_gen(struct attempt *a, const struct host_config *cfg,
                                 uint64_t number)
{
    struct reg_gen *g = calloc(1, sizeof *g);
    size_t used = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        used += cfg->tenants[i].n_bindings > 0;
    if (!g || (used && !(g->tenants = calloc(used, sizeof *g->tenants))))
        goto fail;
    g->number = number;
    size_t next = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct tenant_config *t = &cfg->tenants[i];
        if (!t->n_bindings)
            continue;
        struct reg_tenant *rt = &g->tenants[g->n_tenants++];
        if (!(rt->id = strdup(t->id)) || !(rt->inst = calloc(t->n_bindings, sizeof *rt->inst)))
            goto fail;
        for (; next < a->n && a->p[next].t == t; next++) {
            struct pending *p = &a->p[next];
            rt->inst[rt->n++] = p->reuse ? p->reuse : p->opened;
        }
    }
    if (g->n_tenants > 1)
        qsort(g->tenants, g->n_tenants, sizeof *g->tenants, cmp_tenants);
    return g;
fail:
    reg_gen_free(g);
    return NULL;
}

static void apply_settings(struct registry *reg, const struct host_config *cfg)
{
    reg->drain_timeout_ms = cfg->plugins_drain_timeout_ms;
    reg->rollback_window_ms = cfg->plugins_rollback_window_ms;
    if (cfg->plugins_open_timeout_ms > 0)
        reg->open_timeout_ms = cfg->plugins_open_timeout_ms;
}

static int on_config(struct registry *reg, const struct host_config *cfg,
                     struct reg_failures *f)
{
    char err[256] = "";
    if (!reg->opt.on_config || reg->opt.on_config(cfg, err, sizeof err, reg->opt.on_config_ctx) == 0)
        return 0;
    reg_fail(f, NULL, NULL, NULL, "%s", err[0] ? err : "the configuration was refused");
    return -1;
}

void reg_reload(struct registry *reg, const struct host_config *start_cfg,
                int64_t requested_us, struct registry_result *res, struct reg_failures *f)
{
    struct host_config loaded = { 0 };
    const struct host_config *cfg = start_cfg;
    struct attempt a = { .reg = reg, .f = f };
    struct reg_gen *cur = reg_current_gen(reg);
    res->rc = -1;
    res->generation = cur ? cur->number : 0;

    if (sync_files(reg) != 0) {
        reg_fail(f, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    if (!cfg) {
        struct confmap_errors errs = { .count = 0 };
        if (config_load(reg->config_dir, &loaded, &errs) != 0) {
            for (int i = 0; i < errs.count && i < MAX_LISTED_ERRORS; i++)
                reg_fail(f, NULL, NULL, NULL, "%s", errs.lines[i]);
            snprintf(res->error, sizeof res->error,
                     "the configuration has %d error(s); generation %llu still serving",
                     errs.count, (unsigned long long)res->generation);
            goto out;
        }
        cfg = &loaded;
        if (scan_dir(reg, cfg->plugins_dir, f) != 0)
            goto out;
    }
    if (prepare(&a, cfg) != 0)
        goto out;
    if (cur && unchanged(&a, cur)) {
        if (on_config(reg, cfg, f) != 0)
            goto out;
        apply_settings(reg, cfg);
        res->rc = 0;
        goto out;
    }

    uint64_t number = reg->last_number + 1;
    if (a.n && !(a.inited = calloc(a.n, sizeof *a.inited))) {
        reg_fail(f, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < a.n; i++)
        if (!a.p[i].reuse)
            open_instance(&a, &a.p[i], number);
    /* The caller's part (tenants stored) only once everything opened. */
    if (!f->n && on_config(reg, cfg, f) != 0) {
        undo(&a);
        goto out;
    }
    struct reg_slot *slot = f->n ? NULL : reg_free_slot(reg);
    struct reg_gen *g = slot ? build_gen(&a, cfg, number) : NULL;
    if (!g) {
        if (!f->n)
            reg_fail(f, NULL, NULL, NULL,
                     slot ? "out of memory"
                          : "too many generations are still draining; try again later");
        undo(&a);
        goto out;
    }
    reg->last_number = number;
    apply_settings(reg, cfg);
    reg_publish(reg, slot, g);
    res->rc = 0;
    res->changed = true;
    res->replaced = res->generation;
    res->generation = number;
    res->published_ms = (double)(clock_mono_us() - requested_us) / 1000.0;
out:
    for (size_t i = 0; i < a.n; i++)
        plugin_config_free(&a.p[i].cfg);
    free(a.p);
    free(a.inited);
    if (cfg == &loaded)
        config_free(&loaded);
}

void reg_rollback(struct registry *reg, int64_t requested_us, struct registry_result *res)
{
    struct reg_gen *cur = reg_current_gen(reg);
    res->rc = -1;
    res->generation = cur ? cur->number : 0;
    if (!reg->previous || clock_mono_ms() >= reg->previous_until_ms) {
        snprintf(res->error, sizeof res->error,
                 "no previous generation within the rollback window (plugins.rollback_window)");
        return;
    }
    const struct reg_gen *prev = reg->previous->gen;
    struct reg_slot *slot = reg_free_slot(reg);
    struct reg_gen *g = calloc(1, sizeof *g);
    if (!slot || !g)
        goto fail;
    if (prev->n_tenants && !(g->tenants = calloc(prev->n_tenants, sizeof *g->tenants)))
        goto fail;
    for (size_t i = 0; i < prev->n_tenants; i++) {
        const struct reg_tenant *src = &prev->tenants[i];
        struct reg_tenant *dst = &g->tenants[g->n_tenants++];
        if (!(dst->id = strdup(src->id)) || !(dst->inst = calloc(src->n, sizeof *dst->inst)))
            goto fail;
        memcpy(dst->inst, src->inst, src->n * sizeof *dst->inst);
        dst->n = src->n;
    }
    g->number = ++reg->last_number;
    res->restored = prev->number;
    reg_publish(reg, slot, g);
    res->rc = 0;
    res->changed = true;
    res->replaced = res->generation;
    res->generation = g->number;
    res->published_ms = (double)(clock_mono_us() - requested_us) / 1000.0;
    return;
fail:
    reg_gen_free(g);
    snprintf(res->error, sizeof res->error, "%s",
             slot ? "out of memory" : "too many generations are still draining; try again later");
}
