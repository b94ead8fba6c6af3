/*
 * The clinic API on the public listener. Every route here authenticates
 * with the tenant's API key and sees only that tenant's data.
 */
#include "config.h"
#include "daemon.h"
#include "json_util.h"
#include "routes.h"

static void get_tenant(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const struct tenant_config *t = config_tenant(&d->cfg, req->tenant_id);
    if (!t) {
        http_reply_error(req, resp, 404, "unknown_tenant", "this key's tenant is not configured");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", t->id);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "timezone", t->timezone);
    cJSON_AddStringToObject(o, "country", t->country);
    json_reply(resp, 200, o);
}

int routes_clinic_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/tenant", get_tenant, HTTP_AUTH_TENANT);
}
