/*
 * The registry's own data, shared by its files: plugin_registry.c (the hot
 * path, publication, draining, the control thread), plugin_reload.c
 * (building a generation from the configuration) and
 * plugin_registry_status.c (the status document). Not for other callers.
 *
 * Who may touch what: members marked "control" belong to the control thread
 * and are read by the status document under state_mu; atomics are shared
 * with request threads. A generation's content never changes after it was
 * published, until its slot is emptied with no pin left.
 */
#ifndef BW_HOST_PLUGIN_REGISTRY_INTERNAL_H
#define BW_HOST_PLUGIN_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "plugin_registry.h"

/* Generations alive at once (current, previous, draining). */
#define REGISTRY_SLOTS 32

/* One loaded plugin file as the registry sees it. control */
struct reg_file {
    const struct plugin *p;    /* in opts.plugins; stable until unloaded */
    void *state;               /* from init */
    bool inited;
    bool in_dir;               /* present in plugins.dir at the last scan */
    unsigned n_instances;      /* open instances */
    struct reg_file *next;
};

/* One open instance of a plugin for one tenant binding. */
struct reg_instance {
    struct registry *reg;
    struct reg_file *file;     /* control; file->p->desc is immutable */
    const struct bw_plugin_descriptor *desc;
    char *tenant_id;
    struct plugin_config cfg;  /* owned; read by calls through bw_call */
    char *base_url;            /* owned copies of the binding's settings */
    char **allow_hosts;
    size_t n_allow_hosts;
    char *file_name;           /* the tenant file and line of the binding */
    int line;
    void *handle;              /* the plugin's instance */
    /* Apart, on cache lines of their own: every acquire and release writes
     * calls, and every check() of a call reads cancelled. */
    _Alignas(64) atomic_uint calls; /* handles held on it */
    _Alignas(64) atomic_bool cancelled; /* its calls are asked to stop (drain timeout) */
    _Alignas(64) char _pad;
    pthread_mutex_t serial;    /* for BW_PLUGIN_F_SERIAL plugins */
    bool serial_init;
    /* control */
    unsigned refs;             /* generations (slots) holding it */
    bool in_current;
    int64_t retired_ms;        /* when it left the current generation */
    uint64_t opened_in;        /* the generation it was opened for */
    struct reg_instance *next;
};

struct reg_tenant {
    char *id;
    struct reg_instance **inst; /* in binding order */
    uint32_t n;
};

/* A routing table. Immutable once published. */
struct reg_gen {
    uint64_t number;
    struct reg_tenant *tenants; /* sorted by id */
    size_t n_tenants;
    int64_t published_us;      /* mono */
    int64_t retired_us;        /* control: when it stopped being current, 0 while current */
    int64_t drained_us;        /* control: when its last pin went after retirement */
};

/* Never freed while the registry lives, so a request may touch pins of a
 * slot whose generation is being replaced (it then backs off). */
struct reg_slot {
    _Alignas(64) atomic_uint pins;
    atomic_bool retired;       /* not current: the last release wakes the control thread */
    struct reg_gen *gen;       /* control; set before the slot is published */
};

enum reg_op_kind { REG_OP_START, REG_OP_RELOAD, REG_OP_ROLLBACK };

struct reg_waiter {
    registry_done_fn done;
    void *ctx;
    int64_t requested_us;      /* mono */
    struct reg_waiter *next;
};

struct reg_op {
    enum reg_op_kind kind;
    const struct host_config *cfg; /* START */
    struct reg_waiter *waiters;
    bool started;
    struct reg_op *next;
};

/* The last operation, for the status document. control */
struct reg_last {
    bool valid;
    const char *kind;          /* "start", "reload", "rollback" */
    int rc;
    bool changed;
    uint64_t generation;
    uint64_t replaced;
    int64_t requested_us, published_us, drained_us; /* mono; 0: not (yet) */
    char error[300];
};

struct registry {
    struct registry_options opt;
    char *config_dir;

    _Atomic(struct reg_slot *) current;
    struct reg_slot slots[REGISTRY_SLOTS];

    /* Commands from other threads to the control thread. */
    pthread_mutex_t cmd_mu;
    pthread_cond_t cmd_cond;
    struct reg_op *ops, *ops_tail;
    bool stopping;             /* no more requests accepted */
    bool wake;                 /* a retired generation lost its last pin */
    pthread_t thread;

    /* Control state; the status document reads it under state_mu. */
    pthread_mutex_t state_mu;
    struct reg_slot *previous; /* kept for rollback until previous_until_ms */
    int64_t previous_until_ms;
    struct reg_file *files;
    struct reg_instance *instances;
    uint64_t last_number;
    uint64_t operations;       /* starts, reloads and rollbacks run */
    int64_t drain_timeout_ms, rollback_window_ms, open_timeout_ms;
    struct reg_last last;
};

/* A failure list under construction. */
struct reg_failures {
    struct registry_failure *items;
    size_t n, cap;
};

void reg_fail(struct reg_failures *f, const char *tenant, const char *plugin,
              const char *version, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* plugin_reload.c: builds and publishes a generation from cfg (START) or
 * from the configuration directory (RELOAD). Sets res. control, state_mu held. */
void reg_reload(struct registry *reg, const struct host_config *start_cfg,
                int64_t requested_us, struct registry_result *res, struct reg_failures *f);
/* Publishes the previous generation's instances as a new generation. */
void reg_rollback(struct registry *reg, int64_t requested_us, struct registry_result *res);

/* plugin_registry.c, for plugin_reload.c. control, state_mu held. */
struct reg_slot *reg_free_slot(struct registry *reg);
void reg_publish(struct registry *reg, struct reg_slot *slot, struct reg_gen *g);
struct reg_gen *reg_current_gen(struct registry *reg);
const struct reg_tenant *reg_gen_tenant(const struct reg_gen *g, const char *id);
void reg_gen_free(struct reg_gen *g);
void reg_instance_close(struct registry *reg, struct reg_instance *in);
int reg_file_init(struct registry *reg, struct reg_file *rf, char *err, size_t cap);
void reg_file_unload(struct registry *reg, struct reg_file *rf);

#endif
