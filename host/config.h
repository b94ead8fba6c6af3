/*
 * The daemon's configuration: conf.d/bookwelld.conf (global) and
 * conf.d/tenants/<id>.conf (one clinic each), read with libconfig and checked
 * against the config maps in config.c. Everything here is plain data owned by
 * struct host_config and released by config_free().
 */
#ifndef BW_HOST_CONFIG_H
#define BW_HOST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confmap.h"

/* Kinds of a binding value as libconfig read it (binding_value.kind). */
enum binding_value_kind {
    BINDING_VALUE_STRING,
    BINDING_VALUE_INT,
    BINDING_VALUE_BOOL,
    BINDING_VALUE_FLOAT,
    BINDING_VALUE_LIST,        /* an array or list of strings */
    BINDING_VALUE_OTHER,       /* a group, or a list holding something else */
};

/* One key of a binding's config group as written, before the plugin's
 * schema gives it a type (plugin_config_parse). Owned by its binding. */
struct binding_value {
    char *key;
    int line;
    enum binding_value_kind kind;
    char *text;                /* STRING */
    int64_t num;               /* INT; BOOL as 0/1 */
    char **items;              /* LIST */
    size_t n_items;
};

/* One plugin binding of a tenant: plugins = ( { plugin = "emr.local";
 * version = "1.0.0"; config = { ... }; }, ... ). Owned by its tenant. */
struct plugin_binding {
    char *plugin;              /* the plugin id */
    char *version;             /* NULL: the newest loaded */
    char *base_url;            /* replaces scheme://host[:port] of outbound URLs; NULL: none */
    char **allow_hosts;        /* NULL-terminated outbound host allowlist; NULL: any */
    size_t n_allow_hosts;
    const char *file;          /* the tenant file (borrowed from its tenant_config) */
    int line;                  /* of the binding's group */
    int config_line;           /* of its config group, or the binding's line */
    struct binding_value *values;
    size_t n_values;
};

struct tenant_config {
    char *id;        /* [a-z0-9-], also the file's base name */
    char *name;
    char *timezone;  /* IANA zone, checked with ICU */
    char *country;   /* ISO 3166-1 alpha-2 */
    bool covered_entity; /* a HIPAA covered entity: a model endpoint needs a BAA (convo_ai.h) */
    char *file;      /* the file it came from */
    int64_t retention_ms; /* message text older than this is purged; 0: kept */
    /* messaging = { ... }: what the host's messaging path needs to know */
    char *phone;           /* the clinic's number, given in HELP answers; "" when unset */
    char *staff_phone;     /* staff alerts are texted here (E.164); "" when unset */
    char *quiet_start;     /* "08:00": proactive messages not before, recipient's time */
    char *quiet_end;       /* "21:00": nor from then on */
    int64_t proactive_max_per_24h; /* per contact; 0: no cap beyond state rules */
    char *state_rules;     /* "FL 08:00-20:00 3; OK 08:00-20:00 3": region, window, cap */
    struct plugin_binding *bindings; /* in file order */
    size_t n_bindings;
};

struct host_config {
    char *dir;                 /* the configuration directory */
    char *listen_public;       /* "host:port"; port 0 picks a free one */
    char *listen_admin;
    char *db_url;              /* secret: libpq conninfo or URI */
    int64_t db_pool_size;
    int64_t db_connect_timeout_ms;
    char *admin_token;         /* secret */
    int64_t http_max_body;
    int64_t http_max_headers;
    int64_t http_request_timeout_ms;
    int64_t shutdown_grace_ms;
    int64_t http_threads;      /* public listener's threads; 0: one per online CPU (at least 2) */
    int64_t jobs_workers;
    int64_t jobs_lease_ms;
    int64_t jobs_max_attempts;
    int64_t jobs_poll_ms;
    int64_t jobs_backoff_base_ms;
    int64_t jobs_backoff_max_ms;
    char *log_level;
    char *plugins_dir;
    int64_t plugins_drain_timeout_ms;   /* in-flight calls of a retired instance are cancelled after it */
    int64_t plugins_rollback_window_ms; /* the previous generation stays open this long */
    int64_t plugins_open_timeout_ms;    /* deadline of init and instance_open */
    int64_t plugins_call_threads;       /* the plugin call pool's threads */
    struct tenant_config *tenants;
    size_t n_tenants;
};

/*
 * Loads dir/bookwelld.conf and dir/tenants/ *.conf into cfg (zeroed by the
 * caller). Returns 0, or -1 with every problem in errs. cfg is always safe
 * to pass to config_free().
 */
int config_load(const char *dir, struct host_config *cfg, struct confmap_errors *errs);
void config_free(struct host_config *cfg);

/* Finds a tenant by id; borrowed from cfg. NULL when absent. */
const struct tenant_config *config_tenant(const struct host_config *cfg, const char *id);

/* True when id is a well-formed tenant id. */
bool config_tenant_id_valid(const char *id);

#endif
