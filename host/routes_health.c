/*
 * Liveness and readiness, on both listeners. /healthz answers as long as the
 * process serves HTTP; /readyz also proves the database answers and carries
 * the schema this binary expects, so a load balancer sends no traffic to a
 * daemon that could not do its work.
 */
#include <stdio.h>

#include "daemon.h"
#include "migrations.h"
#include "routes.h"

static void healthz(struct http_request *req, struct http_response *resp, void *ctx)
{
    http_reply_json(resp, 200, "{\"status\":\"ok\"}");
}

static void readyz(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "database_unavailable", "no database connection");
        return;
    }
    int current = migrations_current(c->pg);
    daemon_db_release(d, c);
    int latest = migrations_latest();
    char body[160];
    if (current < 0) {
        http_reply_error(req, resp, 503, "database_unavailable", "the database did not answer");
        return;
    }
    if (current != latest) {
        snprintf(body, sizeof body, "{\"status\":\"migrating\",\"schema\":%d,\"expected\":%d}",
                 current, latest);
        http_reply_json(resp, 503, body);
        return;
    }
    snprintf(body, sizeof body, "{\"status\":\"ready\",\"schema\":%d}", current);
    http_reply_json(resp, 200, body);
}

int routes_health_register(struct daemon *d)
{
    for (int admin = 0; admin <= 1; admin++) {
        if (daemon_add_route(d, admin, "GET", "/healthz", healthz, HTTP_AUTH_NONE) ||
            daemon_add_route(d, admin, "GET", "/readyz", readyz, HTTP_AUTH_NONE))
            return -1;
    }
    return 0;
}
