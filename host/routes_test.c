/*
 * Test-only admin routes, registered only when the daemon runs with
 * --test-clock: the simulated business clock and the jobs it drives
 * (routes_test_clock.c), hold a request in flight for a while
 * (graceful-shutdown tests), and echo a parsed form body (the form decoder
 * over real HTTP). Without the flag these paths do not exist (404), so
 * production cannot be steered.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "daemon.h"
#include "http_form.h"
#include "json_util.h"
#include "log.h"
#include "routes.h"

#define TEST_SLEEP_MAX_MS 10000

/* Occupies a server thread for {"ms": N} of real time, then answers 200. */
static void post_sleep(struct http_request *req, struct http_response *resp, void *ctx)
{
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(body, "ms");
    if (!cJSON_IsNumber(ms) || ms->valuedouble < 0 || ms->valuedouble > TEST_SLEEP_MAX_MS) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_ms", "'ms' must be a number from 0 to 10000");
        return;
    }
    int64_t wait_ms = (int64_t)ms->valuedouble;
    cJSON_Delete(body);
    struct log_ctx lc = { NULL, req->request_id };
    log_write(LOG_INFO, &lc, NULL, "test sleep started");
    struct timespec ts = { (time_t)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "slept_ms", (double)wait_ms);
    json_reply(resp, 200, o);
}

/* Answers {"fields":[{"key":...,"value":...},...]} in body order. */
static void post_form(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct http_form form;
    if (http_form_body(req, resp, &form) != 0) {
        http_form_free(&form);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "fields");
    for (size_t i = 0; i < form.n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "key", form.pairs[i].key);
        cJSON_AddStringToObject(item, "value", form.pairs[i].value);
        cJSON_AddItemToArray(arr, item);
    }
    http_form_free(&form);
    json_reply(resp, 200, o);
}

int routes_test_register(struct daemon *d)
{
    if (daemon_add_route(d, true, "POST", "/admin/test/sleep", post_sleep, HTTP_AUTH_ADMIN) ||
        daemon_add_route(d, true, "POST", "/admin/test/form", post_form, HTTP_AUTH_ADMIN))
        return -1;
    return routes_test_clock_register(d) || routes_test_messaging_register(d);
}
