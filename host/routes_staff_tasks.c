/*
 * Staff tasks on the public listener (the clinic's API key; a tenant sees
 * only its own tasks):
 *   GET  /staff-tasks[?status=open|done]   {"tasks":[...]} newest first
 *   POST /staff-tasks/{id}/done {"appointment"?: "Fri, Mar 5 at 3:00 PM"}
 *        marks the task done and texts the patient a confirmation (naming
 *        the appointment when given); 404 unknown, 409 already done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "json_util.h"
#include "routes.h"
#include "staff_tasks.h"

static void get_tasks(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *status = http_query(req, "status");
    if (status && strcmp(status, "open") != 0 && strcmp(status, "done") != 0) {
        http_reply_error(req, resp, 400, "invalid_query", "'status' is open or done");
        return;
    }
    struct db_conn *c = daemon_db(d);
    cJSON *list = c ? staff_tasks_list(c, req->tenant_id, status) : NULL;
    if (c)
        daemon_db_release(d, c);
    if (!list) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    json_reply(resp, 200, list);
}

static void post_done(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    char *end = NULL;
    long long id = strtoll(req->params[0], &end, 10);
    if (!end || *end || id <= 0) {
        http_reply_error(req, resp, 404, "unknown_task", "no such task");
        return;
    }
    cJSON *body = req->body_len ? json_parse_body(req, resp) : cJSON_CreateObject();
    if (!body)
        return;
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(body, "appointment");
    if (when && (!cJSON_IsString(when) || strlen(when->valuestring) >= STAFF_TASK_WHEN_MAX ||
                 strpbrk(when->valuestring, "\r\n"))) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body", "'appointment' is a short line of text");
        return;
    }
    struct db_conn *c = daemon_db(d);
    int rc = -1;
    if (c && db_begin(c) == 0) {
        rc = staff_task_done(c, req->tenant_id, id, cJSON_IsString(when) ? when->valuestring : NULL,
                             clock_now_us());
        if (rc != 0 || db_commit(c) != 0) {
            db_rollback(c);
            rc = rc > 0 ? rc : -1;
        }
    }
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(body);
    if (rc == 1)
        http_reply_error(req, resp, 404, "unknown_task", "no such task");
    else if (rc == 2)
        http_reply_error(req, resp, 409, "already_done", "the task is already done");
    else if (rc != 0)
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    else
        http_reply_json(resp, 200, "{\"status\":\"done\",\"patient_notified\":true}");
}

int routes_staff_tasks_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/staff-tasks", get_tasks, HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/staff-tasks/{id}/done", post_done, HTTP_AUTH_TENANT);
}
