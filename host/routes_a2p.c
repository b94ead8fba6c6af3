/*
 * GET /admin/tenants/{tenant}/a2p on the admin listener: a clinic's A2P 10DLC
 * registration as its Twilio channel instance reads it from Twilio now (the
 * brand, the Messaging Service, its campaign and throughput class, and each
 * of the clinic's numbers with whether it is attached to the service and
 * whether a send from it is allowed, blocked or warned). The instance's
 * health op does the reading (and, with a2p_register, one more step of the
 * registration; a2p.c), on the plugin call pool: the response is deferred,
 * so no listener thread waits for Twilio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a2p.h"
#include "clock.h"
#include "daemon.h"
#include "json_util.h"
#include "log.h"
#include "plugin_call.h"
#include "plugin_pool.h"
#include "plugin_registry.h"
#include "routes.h"


struct a2p_call {
    struct daemon *d;
    struct http_deferred *deferred;
    char tenant[64];
};

/* On a pool thread: the report, and a watch queued when a registration is
 * under way (the watch of an hour from now, if one is not already there). */
static void run_a2p(void *arg)
{
    struct a2p_call *ac = arg;
    struct http_request *req = http_deferred_request(ac->deferred);
    struct http_response resp = { 0 };
    cJSON *a2p = NULL;
    char message[256];
    int rc = a2p_read(ac->d, ac->tenant, req->request_id, &a2p, message, sizeof message);
    if (rc == A2P_E_NO_BINDING)
        http_reply_error(req, &resp, 404, "no_binding", message);
    else if (rc == A2P_E_NOT_SUPPORTED)
        http_reply_error(req, &resp, 501, "not_supported", message);
    else if (rc != A2P_OK)
        http_reply_error(req, &resp, 502, "provider_error", message);
    if (rc != A2P_OK)
        goto done;
    if (a2p_in_progress(a2p)) {
        struct db_conn *c = daemon_db(ac->d);
        if (!c || a2p_watch_schedule(c, ac->tenant, clock_now_us() + A2P_WATCH_INTERVAL_US) != 0)
            log_warn("a2p: the registration watch could not be queued");
        if (c)
            daemon_db_release(ac->d, c);
    }
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
