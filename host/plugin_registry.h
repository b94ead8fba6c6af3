/*
 * The plugin registry: which open plugin instance serves each tenant
 * binding. Its routing table is a numbered generation, published atomically;
 * a request pins the generation and the instance it uses with reference
 * counts (registry_acquire ... registry_release), lock-free, so a reload
 * never waits for requests and a request never waits for a reload.
 *
 * Reload (SIGHUP or the admin route) re-reads the configuration directory,
 * loads new plugin files beside the old ones, validates every binding
 * against its plugin's schema, opens the new instances, and publishes
 * generation N+1 only when all of that succeeded; otherwise generation N
 * keeps serving and the result says, per binding, what failed. Instances
 * that left the routing table drain: their calls in flight finish (and are
 * cancelled through the call's flag past plugins.drain_timeout); they are
 * closed once nothing references them and the rollback window has passed;
 * a plugin file is finalised and unloaded once it has no instance left and
 * is gone from plugins.dir. Rollback publishes the previous generation's
 * instances again, while they are still open.
 *
 * Every lifecycle call into a plugin (init, instance_open, instance_close,
 * fini) runs on the registry's one control thread. Library code: it does not
 * log; results and a status document tell the caller what happened.
 */
#ifndef BW_HOST_PLUGIN_REGISTRY_H
#define BW_HOST_PLUGIN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <bookwell/plugin.h>

#include "config.h"
#include "plugin_call.h"
#include "plugin_loader.h"

struct registry;
struct reg_slot;
struct reg_instance;
struct db_pool;

struct registry_options {
    struct plugin_set *plugins;  /* borrowed, loaded by the caller; from registry_create
                                    until registry_destroy only the control thread
                                    changes it (files added by reloads, unloaded ones removed) */
    const char *config_dir;      /* re-read by every reload (copied) */
    uint32_t host_minor;         /* announced to plugins loaded by reloads: BW_ABI_MINOR */
    struct db_pool *pool;        /* key-value storage of instances; may be NULL */
    /* Each file a reload loads or refuses (on the control thread). May be NULL. */
    plugin_loader_report_fn report;
    void *report_ctx;
    /* Called on the control thread with a validated configuration before
     * any new instance opens; non-zero fails the reload with err. May be NULL. */
    int (*on_config)(const struct host_config *cfg, char *err, size_t errcap, void *ctx);
    void *on_config_ctx;
};

/* What failed for one binding (or, with tenant empty, for the whole
 * configuration). Never holds a secret. */
struct registry_failure {
    char tenant[64];
    char plugin[72];
    char version[72];
    char message[300];         /* "file:line: ..." where a place is known */
};

struct registry_result {
    int rc;                    /* 0: applied or nothing to change; -1: failed, nothing changed */
    bool changed;              /* a new generation was published */
    uint64_t generation;       /* the generation serving afterwards (0: none) */
    uint64_t replaced;         /* the one it replaced, 0 when unchanged */
    uint64_t restored;         /* rollback: the generation whose instances serve again */
    double published_ms;       /* from the request to the publication; -1 if none */
    char error[300];           /* a one-line summary when rc != 0 */
    struct registry_failure *failures; /* n_failures, owned */
    size_t n_failures;
};

void registry_result_free(struct registry_result *r);

/* Called once per request on the control thread when its operation ended;
 * r is borrowed for the call. */
typedef void (*registry_done_fn)(const struct registry_result *r, void *ctx);

/*
 * Creates the registry and its control thread, then opens generation 1 from
 * cfg (already loaded and validated by config_load; plugins already loaded
 * into o->plugins). Returns 0, or -1 with out describing every binding that
 * failed (the registry is then destroyed, *reg NULL). out is the caller's
 * to free either way.
 */
int registry_start(struct registry **reg, const struct registry_options *o,
                   const struct host_config *cfg, struct registry_result *out);

/* Runs the operations already asked for, then closes every instance
 * (cancelling calls still running after the drain timeout), finalises the
 * files it initialised and stops the control thread. The caller stops every
 * user of handles first. Returns 0; or -1 when a call still held an
 * instance past the drain timeout: nothing it may use was freed, and the
 * plugin files must stay loaded. NULL is a no-op. */
int registry_destroy(struct registry *reg);

/*
 * Asks for a reload; done (may be NULL) is called when it ended. A request
 * made while another reload is queued and not started joins that one
 * (repeated signals coalesce); reloads and rollbacks run one at a time in
 * the order asked. Returns 0, or -1 when the registry is stopping.
 */
int registry_reload_async(struct registry *reg, registry_done_fn done, void *ctx);
/* Asks to publish the previous generation's instances again. */
int registry_rollback_async(struct registry *reg, registry_done_fn done, void *ctx);

/* The same, waiting for the result (out is the caller's to free). Not from
 * the control thread (a done callback). */
int registry_reload(struct registry *reg, struct registry_result *out);
int registry_rollback(struct registry *reg, struct registry_result *out);

/*
 * A request's hold on one instance. Valid from registry_acquire to
 * registry_release; every member is borrowed from the registry.
 */
struct registry_handle {
    struct reg_slot *slot;     /* the pinned generation */
    struct reg_instance *inst; /* the pinned instance */
    const struct bw_plugin_descriptor *desc;
    void *instance;            /* the plugin's own instance, for its ops */
    const char *tenant_id;
    uint64_t generation;
};

/*
 * Pins the current generation and, in it, tenant's instance for key: a kind
 * name ("emr": the tenant's first binding of that kind) or a plugin id
 * ("emr.boulevard"). Lock-free; safe from any thread. Returns 0, or -1 when
 * the tenant has no such binding (h untouched).
 */
int registry_acquire(struct registry *reg, const char *tenant, const char *key,
                     struct registry_handle *h);
void registry_release(struct registry_handle *h);

/*
 * The tenants that have a binding matching key (a kind name or a plugin id,
 * as for registry_acquire) in the current generation, whose number goes to
 * *generation (0 and no tenants before the first). *tenants is a malloc'd
 * array of *n malloc'd ids in tenant order; the caller frees both. Returns
 * 0, or -1 when out of memory.
 */
int registry_tenants_with(struct registry *reg, const char *key, char ***tenants, size_t *n,
                          uint64_t *generation);

/*
 * Prepares call for one op on h's instance: its tenant, plugin, config,
 * key-value pool, outbound URL settings, a deadline timeout_ms from now
 * (0: none) and the instance's cancellation flag. Serialises the call when
 * the plugin asked for it (BW_PLUGIN_F_SERIAL). Pair with registry_call_end.
 */
void registry_call_begin(const struct registry_handle *h, struct bw_call *call,
                         const char *request_id, int64_t timeout_ms);
void registry_call_end(const struct registry_handle *h, struct bw_call *call);

/* The version of h's plugin. */
static inline const char *registry_handle_version(const struct registry_handle *h)
{
    return h->desc->version;
}

/* The number of the generation serving now (0 before the first). */
uint64_t registry_generation(struct registry *reg);

/*
 * The status document of GET /admin/plugins: loaded plugins (id, version,
 * kind, ABI built/required, state), every binding's instance with its
 * state and generation, the live generations, and the last operation.
 * Caller owns the result (cJSON_Delete); NULL when out of memory.
 */
cJSON *registry_status(struct registry *reg);

/* The result as JSON ({"ok","changed","generation",...,"failures":[...]}). */
cJSON *registry_result_json(const struct registry_result *r);

#endif
