/*
 * The operator's routes on the admin listener: Prometheus metrics, daemon
 * status, tenants and their clinic API keys. Everything under /admin needs
 * the operator token; /metrics is open to the (loopback) admin listener's
 * scraper and carries no personal data.
 */
#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "migrations.h"
#include "routes.h"
#include "tenant.h"

static int64_t started_ms;

static size_t collect_pool(char *out, size_t cap, void *arg)
{
    struct daemon *d = arg;
    struct db_pool_stats s;
    if (!d->pool)
        return 0;
    db_pool_get_stats(d->pool, &s);
    int n = snprintf(out, cap,
                     "# HELP bookwell_db_pool_connections Database pool connections by state.\n"
                     "# TYPE bookwell_db_pool_connections gauge\n"
                     "bookwell_db_pool_connections{state=\"total\"} %d\n"
                     "bookwell_db_pool_connections{state=\"in_use\"} %d\n"
                     "# HELP bookwell_db_pool_waiting Requests waiting for a pooled connection.\n"
                     "# TYPE bookwell_db_pool_waiting gauge\n"
                     "bookwell_db_pool_waiting %d\n"
                     "# HELP bookwell_db_pool_acquire_timeouts_total Pool acquisitions that timed out.\n"
                     "# TYPE bookwell_db_pool_acquire_timeouts_total counter\n"
                     "bookwell_db_pool_acquire_timeouts_total %llu\n"
                     "# HELP bookwell_db_statements_total Statements sent to PostgreSQL.\n"
                     "# TYPE bookwell_db_statements_total counter\n"
                     "bookwell_db_statements_total %llu\n",
                     s.size, s.in_use, s.waiting, (unsigned long long)s.acquire_timeouts,
                     (unsigned long long)s.statements);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void get_metrics(struct http_request *req, struct http_response *resp, void *ctx)
{
    size_t len;
    char *text = metrics_render(&len);
    if (!text) {
        http_reply_error(req, resp, 500, "internal", "out of memory");
        return;
    }
    resp->status = 200;
    resp->body = text;
    resp->body_len = len;
    resp->content_type = "text/plain; version=0.0.4";
}

static void get_status(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct db_pool_stats s;
    char now[32];
    cJSON *o = cJSON_CreateObject();
    db_pool_get_stats(d->pool, &s);
    cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
    cJSON_AddNumberToObject(o, "uptime_s", (double)(clock_mono_ms() - started_ms) / 1000.0);
    cJSON_AddNumberToObject(o, "tenants", (double)d->cfg.n_tenants);
    cJSON_AddNumberToObject(o, "schema_version", migrations_latest());
    cJSON_AddBoolToObject(o, "test_clock", clock_is_simulated());
    cJSON_AddStringToObject(o, "business_time", clock_format_utc(clock_now_us(), now));
    cJSON *pool = cJSON_AddObjectToObject(o, "db_pool");
    cJSON_AddNumberToObject(pool, "size", s.size);
    cJSON_AddNumberToObject(pool, "in_use", s.in_use);
    cJSON_AddNumberToObject(pool, "waiting", s.waiting);
    json_reply(resp, 200, o);
}

static void list_tenants(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "tenants");
    for (size_t i = 0; i < d->cfg.n_tenants; i++) {
        const struct tenant_config *t = &d->cfg.tenants[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", t->id);
        cJSON_AddStringToObject(item, "name", t->name);
        cJSON_AddStringToObject(item, "timezone", t->timezone);
        cJSON_AddStringToObject(item, "country", t->country);
        cJSON_AddItemToArray(arr, item);
    }
    json_reply(resp, 200, o);
}

static void create_api_key(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0];
    const char *label = "";
    cJSON *body = NULL;
    char key[96], key_id[32];

    if (!config_tenant(&d->cfg, tenant)) {
        http_reply_error(req, resp, 404, "unknown_tenant", "no tenant with that id");
        return;
    }
    if (req->body_len > 0) {
        if (!(body = json_parse_body(req, resp)))
            return;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(body, "label");
        if (l && (!cJSON_IsString(l) || strlen(l->valuestring) > 100)) {
            cJSON_Delete(body);
            http_reply_error(req, resp, 400, "invalid_label", "label must be a string of at most 100 characters");
            return;
        }
        if (l)
            label = l->valuestring;
    }
    struct db_conn *c = daemon_db(d);
    int rc = c ? tenant_api_key_create(c, tenant, label, key, sizeof key, key_id, sizeof key_id) : -1;
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(body);
    if (rc != 0) {
        http_reply_error(req, resp, 503, "unavailable", "could not create the key; try again");
        return;
    }
    struct log_ctx lc = { tenant, req->request_id };
    const char *fields[] = { "key_id", key_id, NULL };
    log_write(LOG_INFO, &lc, fields, "api key created");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant_id", tenant);
    cJSON_AddStringToObject(o, "key_id", key_id);
    cJSON_AddStringToObject(o, "api_key", key);
    memset(key, 0, sizeof key);
    json_reply(resp, 201, o);
}

static void revoke_api_key(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct db_conn *c = daemon_db(d);
    int rc = c ? tenant_api_key_revoke(c, req->params[0], req->params[1]) : -1;
    if (c)
        daemon_db_release(d, c);
    if (rc < 0)
        http_reply_error(req, resp, 503, "unavailable", "could not revoke the key; try again");
    else if (rc > 0)
        http_reply_error(req, resp, 404, "unknown_key", "no active key with that id for this tenant");
    else
        http_reply_json(resp, 200, "{\"revoked\":true}");
}

int routes_admin_register(struct daemon *d)
{
    started_ms = clock_mono_ms();
    metrics_add_collector(collect_pool, d);
    return daemon_add_route(d, true, "GET", "/metrics", get_metrics, HTTP_AUTH_NONE) ||
           daemon_add_route(d, true, "GET", "/admin/status", get_status, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "GET", "/admin/tenants", list_tenants, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/tenants/{tenant}/api-keys", create_api_key,
                            HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "DELETE", "/admin/tenants/{tenant}/api-keys/{key_id}",
                            revoke_api_key, HTTP_AUTH_ADMIN);
}
