/*
 * Test-only admin routes, registered only when the daemon runs with
 * --test-clock: read and move the simulated business clock. Without the
 * flag these paths do not exist (404), so production cannot be steered.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "json_util.h"
#include "routes.h"

static void clock_reply(struct http_response *resp)
{
    char now[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "now", clock_format_utc(clock_now_us(), now));
    json_reply(resp, 200, o);
}

static void get_clock(struct http_request *req, struct http_response *resp, void *ctx)
{
    clock_reply(resp);
}

static void post_clock(struct http_request *req, struct http_response *resp, void *ctx)
{
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(body, "set");
    int64_t us;
    if (!cJSON_IsString(set) || clock_parse_rfc3339(set->valuestring, &us) != 0) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_time", "'set' must be an RFC 3339 time");
        return;
    }
    cJSON_Delete(body);
    if (clock_set_us(us) != 0) {
        http_reply_error(req, resp, 409, "clock_backwards", "the simulated clock cannot move backwards");
        return;
    }
    clock_reply(resp);
}

int routes_test_register(struct daemon *d)
{
    return daemon_add_route(d, true, "GET", "/admin/test/clock", get_clock, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/test/clock", post_clock, HTTP_AUTH_ADMIN);
}
