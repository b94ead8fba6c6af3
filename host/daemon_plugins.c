/*
 * Wires the plugin registry into the daemon (see daemon_plugins.h): its
 * options (the loaded set, the configuration directory, the database pool
 * for key-value storage, the tenant synchronisation run before a new
 * configuration takes effect), the call pool, and the log lines of every
 * start, reload and rollback.
 */
#include "daemon_plugins.h"

#include <stdio.h>

#include "daemon.h"
#include "log.h"
#include "plugin_pool.h"
#include "tenant.h"

#define CALL_QUEUE_MAX 1024

void daemon_plugins_log_result(const char *what, const struct registry_result *r)
{
    char gen[24], replaced[24], ms[24], nf[16];
    snprintf(gen, sizeof gen, "%llu", (unsigned long long)r->generation);
    snprintf(replaced, sizeof replaced, "%llu", (unsigned long long)r->replaced);
    snprintf(ms, sizeof ms, "%.3f", r->published_ms);
    snprintf(nf, sizeof nf, "%zu", r->n_failures);
    for (size_t i = 0; i < r->n_failures; i++) {
        const struct registry_failure *f = &r->failures[i];
        struct log_ctx lc = { f->tenant[0] ? f->tenant : NULL, NULL };
        const char *fields[] = { "operation", what, f->plugin[0] ? "plugin" : NULL, f->plugin,
                                 "version", f->version[0] ? f->version : "newest", NULL };
        log_write(LOG_ERROR, &lc, fields, "%s: %s",
                  f->tenant[0] ? "plugin binding failed" : "plugin configuration refused",
                  f->message);
    }
    if (r->rc != 0) {
        const char *fields[] = { "operation", what, "generation", gen, "failures", nf, NULL };
        log_write(LOG_ERROR, NULL, fields, "plugin %s failed: %s", what, r->error);
    } else if (r->changed) {
        const char *fields[] = { "operation", what, "generation", gen, "replaced", replaced,
                                 "published_ms", ms, NULL };
        log_write(LOG_INFO, NULL, fields, "plugin generation published");
    } else {
        const char *fields[] = { "operation", what, "generation", gen, NULL };
        log_write(LOG_INFO, NULL, fields, "plugin %s: nothing changed", what);
    }
}

static void report_file(const char *path, const struct plugin *p,
                        const struct plugin_reject_info *why, void *ctx)
{
    (void)ctx;
    if (p) {
        const char *fields[] = { "plugin", p->desc->id, "version", p->desc->version, "file",
                                 path, NULL };
        log_write(LOG_INFO, NULL, fields, "plugin loaded");
    } else {
        const char *fields[] = { "file", path, "reason", plugin_reject_name(why->code),
                                 "detail", why->reason, NULL };
        log_write(LOG_ERROR, NULL, fields, "plugin refused: %s", why->reason);
    }
}

/* New tenants exist in the database before any instance serves them. */
static int sync_tenants(const struct host_config *cfg, char *err, size_t errcap, void *ctx)
{
    struct daemon *d = ctx;
    struct db_conn *c = daemon_db(d);
    if (!c) {
        snprintf(err, errcap, "no database connection to store the tenants");
        return -1;
    }
    int rc = tenant_sync(c, cfg, err, errcap);
    daemon_db_release(d, c);
    return rc;
}

int daemon_plugins_start(struct daemon *d)
{
    struct registry_options o = {
        .plugins = &d->plugins,
        .config_dir = d->opt.config_dir,
        .host_minor = BW_ABI_MINOR,
        .pool = d->pool,
        .report = report_file,
        .on_config = sync_tenants,
        .on_config_ctx = d,
    };
    struct registry_result r;
    int rc = registry_start(&d->registry, &o, &d->cfg, &r);
    daemon_plugins_log_result("start", &r);
    registry_result_free(&r);
    if (rc != 0)
        return -1;
    if (plugin_pool_start(&d->plugin_pool, (unsigned)d->cfg.plugins_call_threads,
                          CALL_QUEUE_MAX) != 0) {
        log_error("cannot start the plugin call pool");
        return -1;
    }
    return 0;
}

int daemon_plugins_stop(struct daemon *d)
{
    plugin_pool_stop(d->plugin_pool);
    d->plugin_pool = NULL;
    int rc = registry_destroy(d->registry);
    d->registry = NULL;
    if (rc != 0)
        log_warn("a plugin call still held its instance at shutdown; plugin files stay loaded");
    return rc;
}

static void signal_done(const struct registry_result *r, void *ctx)
{
    (void)ctx;
    daemon_plugins_log_result("reload", r);
}

void daemon_plugins_reload_signal(struct daemon *d)
{
    if (!d->registry || registry_reload_async(d->registry, signal_done, NULL) != 0)
        log_warn("reload requested but the plugin registry is not running");
}
