/*
 * Reads and validates the configuration directory. The global file and each
 * tenant file are parsed with libconfig and checked against a config map, so
 * a typo, a wrong type or a missing key is reported with its file and line
 * and nothing starts on a half-valid configuration.
 */
#include "config.h"
#include "config_bindings.h"
#include "send_gate.h"

#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>

#define F(field) offsetof(struct host_config, field)

static const struct confmap_entry listen_map[] = {
    { "public", CONFMAP_STRING, false, "127.0.0.1:8080", F(listen_public), 0, 0, NULL },
    { "admin", CONFMAP_STRING, false, "127.0.0.1:8081", F(listen_admin), 0, 0, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry database_map[] = {
    { "url", CONFMAP_SECRET, true, NULL, F(db_url), 0, 0, NULL },
    { "pool_size", CONFMAP_INT, false, "8", F(db_pool_size), 1, 256, NULL },
    { "connect_timeout", CONFMAP_DURATION, false, "5s", F(db_connect_timeout_ms), 1000, 600000, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry admin_map[] = {
    { "token", CONFMAP_SECRET, true, NULL, F(admin_token), 0, 0, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry http_map[] = {
    { "max_body", CONFMAP_SIZE, false, "1m", F(http_max_body), 1024, 64 << 20, NULL },
    { "max_headers", CONFMAP_INT, false, "64", F(http_max_headers), 8, 1024, NULL },
    { "request_timeout", CONFMAP_DURATION, false, "30s", F(http_request_timeout_ms), 1000, 3600000, NULL },
    { "shutdown_grace", CONFMAP_DURATION, false, "10s", F(shutdown_grace_ms), 0, 3600000, NULL },
    { "threads", CONFMAP_INT, false, "0", F(http_threads), 0, 256, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry jobs_map[] = {
    { "workers", CONFMAP_INT, false, "4", F(jobs_workers), 1, 256, NULL },
    { "lease", CONFMAP_DURATION, false, "30s", F(jobs_lease_ms), 1000, 86400000, NULL },
    { "max_attempts", CONFMAP_INT, false, "8", F(jobs_max_attempts), 1, 1000, NULL },
    { "poll_interval", CONFMAP_DURATION, false, "1s", F(jobs_poll_ms), 10, 600000, NULL },
    { "backoff_base", CONFMAP_DURATION, false, "1s", F(jobs_backoff_base_ms), 1, 3600000, NULL },
    { "backoff_max", CONFMAP_DURATION, false, "10m", F(jobs_backoff_max_ms), 1, 86400000, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry log_map[] = {
    { "level", CONFMAP_STRING, false, "info", F(log_level), 0, 0, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry plugins_map[] = {
    { "dir", CONFMAP_STRING, false, PLUGINDIR, F(plugins_dir), 0, 0, NULL },
    { "drain_timeout", CONFMAP_DURATION, false, "30s", F(plugins_drain_timeout_ms), 0, 3600000, NULL },
    { "rollback_window", CONFMAP_DURATION, false, "5m", F(plugins_rollback_window_ms), 0, 86400000, NULL },
    { "open_timeout", CONFMAP_DURATION, false, "30s", F(plugins_open_timeout_ms), 100, 600000, NULL },
    { "call_threads", CONFMAP_INT, false, "8", F(plugins_call_threads), 1, 1024, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry global_map[] = {
    { "listen", CONFMAP_GROUP, false, NULL, 0, 0, 0, listen_map },
    { "database", CONFMAP_GROUP, true, NULL, 0, 0, 0, database_map },
    { "admin", CONFMAP_GROUP, true, NULL, 0, 0, 0, admin_map },
    { "http", CONFMAP_GROUP, false, NULL, 0, 0, 0, http_map },
    { "jobs", CONFMAP_GROUP, false, NULL, 0, 0, 0, jobs_map },
    { "log", CONFMAP_GROUP, false, NULL, 0, 0, 0, log_map },
    { "plugins", CONFMAP_GROUP, false, NULL, 0, 0, 0, plugins_map },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
#undef F

#define T(field) offsetof(struct tenant_config, field)
static const struct confmap_entry tenant_fields[] = {
    { "id", CONFMAP_STRING, true, NULL, T(id), 0, 0, NULL },
    { "name", CONFMAP_STRING, true, NULL, T(name), 0, 0, NULL },
    { "timezone", CONFMAP_STRING, true, NULL, T(timezone), 0, 0, NULL },
    { "country", CONFMAP_STRING, false, "US", T(country), 0, 0, NULL },
    /* A HIPAA covered entity: its conversations go to no model endpoint without a BAA. */
    { "covered_entity", CONFMAP_BOOL, false, "false", T(covered_entity), 0, 0, NULL },
    /* How long message text is kept ("365d"); 0: forever (retention.h). */
    { "retention", CONFMAP_DURATION, false, "0s", T(retention_ms), 0, 20LL * 366 * 86400000, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry messaging_fields[] = {
    { "phone", CONFMAP_STRING, false, "", T(phone), 0, 0, NULL },
    /* Where staff alerts are texted (E.164); "" when unset: rows and logs only. */
    { "staff_phone", CONFMAP_STRING, false, "", T(staff_phone), 0, 0, NULL },
    { "quiet_start", CONFMAP_STRING, false, "08:00", T(quiet_start), 0, 0, NULL },
    { "quiet_end", CONFMAP_STRING, false, "21:00", T(quiet_end), 0, 0, NULL },
    { "proactive_max_per_24h", CONFMAP_INT, false, "0", T(proactive_max_per_24h), 0, 1000, NULL },
    /* Florida's telephone solicitation rule by default: a clinic elsewhere
     * still texts Florida numbers. */
    { "state_rules", CONFMAP_STRING, false, "FL 08:00-20:00 3", T(state_rules), 0, 0, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
static const struct confmap_entry tenant_map[] = {
    { "tenant", CONFMAP_GROUP, true, NULL, 0, 0, 0, tenant_fields },
    { "messaging", CONFMAP_GROUP, false, NULL, 0, 0, 0, messaging_fields },
    { "plugins", CONFMAP_SKIP, false, NULL, 0, 0, 0, NULL }, /* config_bindings.c */
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
#undef T

bool config_tenant_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 63 || id[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static bool timezone_valid(const char *tz)
{
    UChar id[128], canon[128];
    UErrorCode status = U_ZERO_ERROR;
    UBool is_system = 0;
    size_t n = strlen(tz);
    if (n == 0 || n >= 128)
        return false;
    for (size_t i = 0; i <= n; i++)
        id[i] = (UChar)(unsigned char)tz[i];
    ucal_getCanonicalTimeZoneID(id, (int32_t)n, canon, 128, &is_system, &status);
    return U_SUCCESS(status) && is_system && strcmp(tz, "Etc/Unknown") != 0;
}

static bool country_valid(const char *c)
{
    return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

/* Reads path into cf; on a syntax error records it and returns -1. */
static int read_file(config_t *cf, const char *path, struct confmap_errors *errs)
{
    if (config_read_file(cf, path) == CONFIG_TRUE)
        return 0;
    if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
        confmap_error(errs, path, 0, "cannot read file: %s", strerror(errno));
    else
        confmap_error(errs, config_error_file(cf) ? config_error_file(cf) : path,
                      config_error_line(cf), "%s", config_error_text(cf));
    return -1;
}

/* Orders "glow.conf" before "glow-2.conf": by the name without ".conf". */
static int cmp_names(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t nx = strlen(x) - 5, ny = strlen(y) - 5;
    int c = strncmp(x, y, nx < ny ? nx : ny);
    return c ? c : (nx > ny) - (nx < ny);
}

/* The line of tenant.<key>, or of the tenant group when the key is absent. */
static int key_line(const config_t *cf, const char *key)
{
    char path[64];
    snprintf(path, sizeof path, "tenant.%s", key);
    const config_setting_t *s = config_lookup(cf, path);
    if (!s)
        s = config_lookup(cf, "tenant");
    return s ? config_setting_source_line(s) : 0;
}

/* Loads one tenant file into cfg->tenants[idx]; the tenants before it are
 * loaded already, so a second file naming the same tenant is reported here. */
static int load_tenant(const char *path, const char *base_name, struct host_config *cfg,
                       size_t idx, struct confmap_errors *errs)
{
    struct tenant_config *t = &cfg->tenants[idx];
    config_t cf;
    int rc = -1;
    config_init(&cf);
    if (read_file(&cf, path, errs) != 0)
        goto out;
    if (confmap_apply(tenant_map, config_root_setting(&cf), path, t, errs) != 0)
        goto out;
    rc = 0;
    if (!config_tenant_id_valid(t->id)) {
        confmap_error(errs, path, key_line(&cf, "id"), "tenant id '%s' must be 1-63 of [a-z0-9-]",
                      t->id);
        rc = -1;
    } else if (strcmp(t->id, base_name) != 0) {
        confmap_error(errs, path, key_line(&cf, "id"),
                      "tenant id '%s' must match the file name '%s.conf'", t->id, base_name);
        rc = -1;
    }
    for (size_t i = 0; i < idx; i++) {
        if (cfg->tenants[i].id && strcmp(cfg->tenants[i].id, t->id) == 0) {
            confmap_error(errs, path, key_line(&cf, "id"), "tenant id '%s' is already defined in %s",
                          t->id, cfg->tenants[i].file);
            rc = -1;
            break;
        }
    }
    if (!timezone_valid(t->timezone)) {
        confmap_error(errs, path, key_line(&cf, "timezone"),
                      "unknown time zone '%s' (use an IANA name such as America/New_York)",
                      t->timezone);
        rc = -1;
    }
    if (!country_valid(t->country)) {
        confmap_error(errs, path, key_line(&cf, "country"),
                      "country '%s' must be an ISO 3166 code such as US or CA", t->country);
        rc = -1;
    }
    if (t->retention_ms != 0 && t->retention_ms < 86400000) {
        confmap_error(errs, path, key_line(&cf, "retention"),
                      "retention must be 0 (keep message text) or at least 1d");
        rc = -1;
    }
    if (t->quiet_start && t->quiet_end && t->state_rules) {
        struct qh_policy policy;
        char why[160];
        if (send_gate_policy_parse(t, &policy, why, sizeof why) != 0) {
            const config_setting_t *s = config_lookup(&cf, "messaging");
            confmap_error(errs, path, s ? config_setting_source_line(s) : 0, "messaging: %s", why);
            rc = -1;
        }
    }
    if (config_bindings_read(config_lookup(&cf, "plugins"), t, errs) != 0)
        rc = -1;
out:
    config_destroy(&cf);
    return rc;
}

static int load_tenants(const char *dir, struct host_config *cfg, struct confmap_errors *errs)
{
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/tenants", dir);
    DIR *d = opendir(tdir);
    if (!d && errno == ENOENT)
        return 0; /* no tenants yet is a valid configuration */
    if (!d) {
        confmap_error(errs, tdir, 0, "cannot read directory: %s", strerror(errno));
        return -1;
    }

    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                rc = -1;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != 0) {
        confmap_error(errs, tdir, 0, "out of memory");
        goto out;
    }
    if (n > 1) /* names is NULL when the directory holds no .conf file */
        qsort(names, n, sizeof *names, cmp_names);

    cfg->tenants = calloc(n ? n : 1, sizeof *cfg->tenants);
    if (!cfg->tenants) {
        confmap_error(errs, tdir, 0, "out of memory");
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096 + 256], base_name[256];
        snprintf(path, sizeof path, "%s/%s", tdir, names[i]);
        snprintf(base_name, sizeof base_name, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        struct tenant_config *t = &cfg->tenants[cfg->n_tenants++];
        if (!(t->file = strdup(path))) {
            confmap_error(errs, path, 0, "out of memory");
            rc = -1;
            break;
        }
        if (load_tenant(path, base_name, cfg, cfg->n_tenants - 1, errs) != 0)
            rc = -1;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int config_load(const char *dir, struct host_config *cfg, struct confmap_errors *errs)
{
    char path[4096];
    config_t cf;
    int rc = -1;

    cfg->dir = strdup(dir);
    snprintf(path, sizeof path, "%s/bookwelld.conf", dir);
    config_init(&cf);
    config_set_include_dir(&cf, dir);
    if (read_file(&cf, path, errs) != 0)
        goto out;
    confmap_apply(global_map, config_root_setting(&cf), path, cfg, errs);
    if (cfg->log_level && strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
        strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error")) {
        const config_setting_t *s = config_lookup(&cf, "log.level");
        confmap_error(errs, path, s ? config_setting_source_line(s) : 0,
                      "'level' must be one of debug, info, warn, error");
    }
    load_tenants(dir, cfg, errs);
    rc = errs->count == 0 ? 0 : -1;
out:
    config_destroy(&cf);
    return rc;
}

const struct tenant_config *config_tenant(const struct host_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (cfg->tenants[i].id && strcmp(cfg->tenants[i].id, id) == 0)
            return &cfg->tenants[i];
    return NULL;
}

void config_free(struct host_config *cfg)
{
    confmap_free(global_map, cfg);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        confmap_free(tenant_map, &cfg->tenants[i]);
        config_bindings_free(&cfg->tenants[i]);
        free(cfg->tenants[i].file);
    }
    free(cfg->tenants);
    free(cfg->dir);
    memset(cfg, 0, sizeof *cfg);
}
