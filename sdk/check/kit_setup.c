/*
 * The conformance run's database and tenant binding (see kit_setup.h). The
 * binding is read from text that includes the --config file with
 * libconfig's @include, so the host's own reader (config_bindings_read)
 * checks it and its messages carry the --config file's lines.
 */
#include "kit_setup.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_bindings.h"
#include "migrations.h"

/* conninfo with dbname replaced by "postgres" (malloc'd), and the name it
 * had in *dbname (malloc'd). NULL when it cannot be parsed. */
static char *maintenance_conninfo(const char *conninfo, char **dbname)
{
    char *msg = NULL, *out = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    PQfreemem(msg);
    if (!opts)
        return NULL;
    size_t cap = 1, used = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val)
            cap += strlen(o->keyword) + 2 * strlen(o->val) + 8;
    out = malloc(cap + 32);
    *dbname = NULL;
    for (PQconninfoOption *o = opts; out && o->keyword; o++) {
        if (!o->val)
            continue;
        const char *v = o->val;
        if (strcmp(o->keyword, "dbname") == 0) {
            free(*dbname);
            *dbname = strdup(o->val);
            v = "postgres";
        }
        used += (size_t)snprintf(out + used, cap + 32 - used, "%s%s='", used ? " " : "", o->keyword);
        for (; *v; v++) {
            if (*v == '\'' || *v == '\\')
                out[used++] = '\\';
            out[used++] = *v;
        }
        out[used++] = '\'';
        out[used] = 0;
    }
    PQconninfoFree(opts);
    if (out && !*dbname) {
        free(out);
        out = NULL;
    }
    return out;
}

/* CREATE DATABASE for a conninfo whose database does not exist yet. */
static int create_database(const char *conninfo, char *err, size_t cap)
{
    char *dbname = NULL, *maint = maintenance_conninfo(conninfo, &dbname);
    int rc = -1;
    PGconn *pg = maint ? db_connect(maint, 10000, err, cap) : NULL;
    if (!maint)
        snprintf(err, cap, "the connection string names no database to create");
    if (pg) {
        char *ident = PQescapeIdentifier(pg, dbname, strlen(dbname));
        char sql[300];
        if (ident && snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident) < (int)sizeof sql) {
            PGresult *r = PQexec(pg, sql);
            /* 42P04: someone else created it meanwhile. */
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            if (PQresultStatus(r) == PGRES_COMMAND_OK || (state && strcmp(state, "42P04") == 0))
                rc = 0;
            else
                snprintf(err, cap, "cannot create database %s: %s", dbname, PQresultErrorMessage(r));
            PQclear(r);
        }
        PQfreemem(ident);
        PQfinish(pg);
    }
    free(maint);
    free(dbname);
    return rc;
}

int kit_db_open(const char *conninfo, struct db_pool **pool, char *err, size_t cap)
{
    PGconn *pg = db_connect(conninfo, 10000, err, cap);
    if (!pg && strstr(err, "does not exist")) {
        if (create_database(conninfo, err, cap) != 0)
            return -1;
        pg = db_connect(conninfo, 10000, err, cap);
    }
    if (!pg)
        return -1;
    int n = migrations_apply(pg, migrations_embedded, migrations_embedded_count, err, cap);
    PQfinish(pg);
    if (n < 0)
        return -1;
    return db_pool_open(pool, conninfo, 2, 10000, err, cap);
}

void kit_db_close(struct db_pool *pool, const char *conninfo, const char *tenant)
{
    char err[256];
    if (!pool)
        return;
    db_pool_close(pool);
    PGconn *pg = db_connect(conninfo, 10000, err, sizeof err);
    if (!pg)
        return;
    const char *params[] = { tenant };
    PQclear(PQexecParams(pg, "DELETE FROM plugin_kv WHERE tenant_id = $1", 1, NULL, params, NULL,
                         NULL, 0));
    PQfinish(pg);
}

/* Whether file holds a top-level "config" group (the binding form). */
static int file_form(const char *file, bool *wrapped, struct confmap_errors *errs)
{
    config_t cf;
    config_init(&cf);
    int rc = 0;
    if (config_read_file(&cf, file) != CONFIG_TRUE) {
        if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
            confmap_error(errs, file, 0, "cannot read the file");
        else
            confmap_error(errs, config_error_file(&cf) ? config_error_file(&cf) : file,
                          config_error_line(&cf), "%s", config_error_text(&cf));
        rc = -1;
    } else {
        const config_setting_t *c = config_lookup(&cf, "config");
        *wrapped = c && config_setting_is_group(c);
    }
    config_destroy(&cf);
    return rc;
}

int kit_binding_load(struct host_config *cfg, const char *tenant, const char *id,
                     const char *version, const char *file, const char *base_url,
                     const char *plugins_dir, struct confmap_errors *errs)
{
    char *path = realpath(file, NULL), text[8192];
    bool wrapped = false;
    config_t cf;
    int rc = -1;
    config_init(&cf);
    if (!path) {
        confmap_error(errs, file, 0, "cannot read the file");
        goto out;
    }
    if (strpbrk(path, "\"\\\n")) {
        confmap_error(errs, file, 0, "the path may not hold quotes, backslashes or newlines");
        goto out;
    }
    if (file_form(path, &wrapped, errs) != 0)
        goto out;
    int n = snprintf(text, sizeof text,
                     "plugins = ( {\n plugin = \"%s\";\n version = \"%s\";\n%s%s%s%s\n"
                     "@include \"%s\"\n%s} );\n",
                     id, version, base_url ? " base_url = \"" : "", base_url ? base_url : "",
                     base_url ? "\";\n" : "", wrapped ? "" : " config = {", path,
                     wrapped ? "" : " };\n");
    if (n < 0 || (size_t)n >= sizeof text || (base_url && strpbrk(base_url, "\"\\\n"))) {
        confmap_error(errs, file, 0, "the path or --against URL is unusable");
        goto out;
    }
    if (config_read_string(&cf, text) != CONFIG_TRUE) {
        confmap_error(errs, config_error_file(&cf) ? config_error_file(&cf) : path,
                      config_error_line(&cf), "%s", config_error_text(&cf));
        goto out;
    }
    struct tenant_config *t = cfg->tenants = calloc(1, sizeof *t);
    if (!t || !(cfg->dir = strdup("."))) {
        confmap_error(errs, file, 0, "out of memory");
        goto out;
    }
    cfg->n_tenants = 1;
    if (!(t->id = strdup(tenant)) || !(t->name = strdup("conformance check")) ||
        !(t->timezone = strdup("UTC")) || !(t->country = strdup("US")) ||
        !(t->file = strdup(file)) || !(cfg->plugins_dir = strdup(plugins_dir))) {
        confmap_error(errs, file, 0, "out of memory");
        goto out;
    }
    cfg->plugins_drain_timeout_ms = 30000;
    cfg->plugins_open_timeout_ms = 30000;
    cfg->plugins_call_threads = 1;
    rc = config_bindings_read(config_lookup(&cf, "plugins"), t, errs);
out:
    config_destroy(&cf);
    free(path);
    return rc;
}
