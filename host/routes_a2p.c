/*
 * GET /admin/tenants/{tenant}/a2p on the admin listener: a clinic's A2P 10DLC
 * registration as its Twilio channel instance reads it from Twilio now (the
 * brand, the Messaging Service, its campaign and throughput class, and each
 * of the clinic's numbers with whether it is attached to the service and
 * whether a send from it is allowed, blocked or warned). The instance's
 * health op does the reading (and, with a2p_register, one more step of the
 * registration), on the plugin call pool: the response is deferred, so no
 * listener thread waits for Twilio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json_util.h"
#include "log.h"
#include "plugin_call.h"
#include "plugin_pool.h"
#include "plugin_registry.h"
#include "routes.h"

#define A2P_PLUGIN "channel.twilio"
#define A2P_TIMEOUT_MS 20000

struct a2p_call {
    struct daemon *d;
    struct http_deferred *deferred;
    char tenant[64];
};

/* On a pool thread: the instance's health document, its "a2p" member. */
static void run_a2p(void *arg)
{
    struct a2p_call *ac = arg;
    struct http_request *req = http_deferred_request(ac->deferred);
    struct http_response resp = { 0 };
    struct log_ctx lc = { ac->tenant, req->request_id };
    struct registry_handle h;
    if (registry_acquire(ac->d->registry, ac->tenant, A2P_PLUGIN, &h) != 0) {
        http_reply_error(req, &resp, 404, "no_binding",
                         "the tenant has no channel.twilio binding");
        goto done;
    }
    if (!h.desc->health) {
        registry_release(&h);
        http_reply_error(req, &resp, 501, "not_supported", "the plugin reports no health");
        goto done;
    }
    struct bw_call call;
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_buf *out = plugin_buf_new(0);
    int rc = BW_E_NOMEM;
    if (out) {
        registry_call_begin(&h, &call, req->request_id, A2P_TIMEOUT_MS);
        rc = h.desc->health(h.instance, &call, out, &err);
        registry_call_end(&h, &call);
    }
    cJSON *doc = NULL;
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        doc = cJSON_ParseWithLength(text, (size_t)len);
    }
    plugin_buf_free(out);
    cJSON *a2p = doc ? cJSON_DetachItemFromObjectCaseSensitive(doc, "a2p") : NULL;
    cJSON_Delete(doc);
    if (rc != 0 || !cJSON_IsObject(a2p)) {
        const char *fields[] = { "plugin", h.desc->id, "error", bw_strerror(rc),
                                 "provider_code", err.provider_code, NULL };
        log_write(LOG_WARN, &lc, fields, "A2P status could not be read");
        registry_release(&h);
        cJSON_Delete(a2p);
        if (rc == 0)
            http_reply_error(req, &resp, 502, "plugin_error", "the plugin reported no A2P state");
        else
            http_reply_error(req, &resp, 502, "provider_error", err.message[0] ? err.message
                                                                               : bw_strerror(rc));
        goto done;
    }
    cJSON_AddStringToObject(a2p, "tenant", h.tenant_id);
    cJSON_AddStringToObject(a2p, "plugin", h.desc->id);
    registry_release(&h);
    json_reply(&resp, 200, a2p);
done:
    http_deferred_complete(ac->deferred, &resp);
    free(ac);
}

static void get_a2p(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0];
    struct a2p_call *ac = NULL;
    if (strlen(tenant) >= sizeof ac->tenant) {
        http_reply_error(req, resp, 404, "no_binding", "no such tenant");
        return;
    }
    if (!d->registry || !d->plugin_pool || !(ac = calloc(1, sizeof *ac))) {
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        return;
    }
    ac->d = d;
    snprintf(ac->tenant, sizeof ac->tenant, "%s", tenant);
    if (!(ac->deferred = http_defer(req))) {
        free(ac);
        http_reply_error(req, resp, 503, "unavailable", "out of memory");
        return;
    }
    if (plugin_pool_submit(d->plugin_pool, run_a2p, ac) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(ac->deferred, &now);
        free(ac);
    }
}

int routes_a2p_register(struct daemon *d)
{
    return daemon_add_route(d, true, "GET", "/admin/tenants/{tenant}/a2p", get_a2p,
                            HTTP_AUTH_ADMIN);
}
