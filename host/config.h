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

struct tenant_config {
    char *id;        /* [a-z0-9-], also the file's base name */
    char *name;
    char *timezone;  /* IANA zone, checked with ICU */
    char *country;   /* ISO 3166-1 alpha-2 */
    char *file;      /* the file it came from */
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
