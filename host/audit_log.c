/*
 * The access log's rows (audit_log.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "http_server.h"
#include "tenant.h"

DB_STMT(st_audit_user,
        "INSERT INTO audit_log (tenant_id, actor, action, subject, at) "
        "VALUES ($1, 'user:' || $2, $3, $4, to_timestamp($5::double precision / 1e6))");
DB_STMT(st_audit_key,
        "INSERT INTO audit_log (tenant_id, actor, action, subject, at) "
        "SELECT tenant_id, 'api_key:' || key_id, $3, $4, to_timestamp($5::double precision / 1e6) "
        "FROM api_keys WHERE tenant_id = $1 AND key_hash = decode($2, 'hex')");
DB_STMT(st_audit_list,
        "SELECT id, actor, action, subject, "
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2::int");

static int run(struct db_conn *c, struct db_stmt *st, const char *const p[5])
{
    PGresult *r = db_exec(c, st, 5, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

int audit_record_user(struct db_conn *c, const char *tenant, const char *email,
                      const char *action, const char *subject, int64_t now_us)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *p[] = { tenant, email, action, subject, now };
    return run(c, &st_audit_user, p);
}

int audit_record_key(struct db_conn *c, const struct http_request *req, const char *action,
                     const char *subject, int64_t now_us)
{
    const char *auth = http_header(req, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return -1;
    char hash[65], now[24];
    tenant_key_hash(auth + 7, hash);
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *p[] = { req->tenant_id, hash, action, subject, now };
    return run(c, &st_audit_key, p);
}

cJSON *audit_list(struct db_conn *c, const char *tenant, int limit)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = { tenant, lim };
    PGresult *r = db_exec(c, &st_audit_list, 2, p);
    cJSON *out = db_ok(r) ? cJSON_CreateArray() : NULL;
    for (int i = 0; out && i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            cJSON_Delete(out);
            out = NULL;
            break;
        }
        cJSON_AddNumberToObject(o, "id", strtod(PQgetvalue(r, i, 0), NULL));
        cJSON_AddStringToObject(o, "actor", PQgetvalue(r, i, 1));
        cJSON_AddStringToObject(o, "action", PQgetvalue(r, i, 2));
        cJSON_AddStringToObject(o, "subject", PQgetvalue(r, i, 3));
        cJSON_AddStringToObject(o, "at", PQgetvalue(r, i, 4));
        cJSON_AddItemToArray(out, o);
    }
    PQclear(r);
    return out;
}
