/*
 * The staff inbox and the access log.
 * On the dashboard (the session cookie of dashboard_auth.h; forms carry the
 * session's CSRF token; answers are HTML, actions redirect back with 303):
 *   GET  /dashboard/inbox                     the conversations, alerts at a glance
 *   GET  /dashboard/inbox/{id}                one transcript (logged as a view)
 *   POST /dashboard/inbox/{id}/takeover       csrf -> staff take over (the assistant is silent)
 *   POST /dashboard/inbox/{id}/reply          csrf, text -> a staff message through the outbox
 *   POST /dashboard/inbox/{id}/handback       csrf -> the assistant resumes
 *   GET  /dashboard/audit                     the access log (owners only)
 * With the clinic's API key, the same as JSON:
 *   GET  /conversations, GET /conversations/{id} (logged as a view),
 *   GET  /conversations/{id}/state (conversation_context.h; logged as a view),
 *   POST /conversations/{id}/takeover | /reply {"text"} | /handback
 * Every query is scoped to the session's or key's tenant: another tenant's
 * conversation is 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "clock.h"
#include "config.h"
#include "conversation_context.h"
#include "daemon.h"
#include "dashboard_auth.h"
#include "http_form.h"
#include "inbox_view.h"
#include "json_util.h"
#include "routes.h"
#include "staff_inbox.h"

#define SESSION_COOKIE "bw_session"
#define AUDIT_PAGE_ROWS 500

enum staff_action { ACT_TAKE_OVER, ACT_REPLY, ACT_HAND_BACK };

static void session_cookie(const struct http_request *req, char *out, size_t cap)
{
    const char *h = http_header(req, "Cookie");
    size_t n = strlen(SESSION_COOKIE);
    out[0] = '\0';
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, SESSION_COOKIE, n) == 0 && p[n] == '=') {
            p += n + 1;
            size_t len = strcspn(p, ";");
            if (len < cap) {
                memcpy(out, p, len);
                out[len] = '\0';
            }
            return;
        }
        p = strchr(p, ';');
    }
}

static void text_reply(struct http_response *resp, int status, const char *msg)
{
    http_reply_text(resp, status, "text/plain; charset=utf-8", msg);
}

static void html(struct http_response *resp, char *page)
{
    if (!page) {
        text_reply(resp, 503, "out of memory\n");
        return;
    }
    http_reply_text(resp, 200, "text/html; charset=utf-8", page);
    free(page);
}

/* The request's session on c: 0 (s and t set), else the answer was given
 * (303 to the sign-in form, or 503). */
static int signed_in(struct daemon *d, struct db_conn *c, struct http_request *req,
                     struct http_response *resp, struct dashboard_session *s,
                     const struct tenant_config **t)
{
    char token[DASHBOARD_TOKEN_LEN + 2];
    session_cookie(req, token, sizeof token);
    int rc = c ? dashboard_session_get(c, token, clock_now_us(), s) : -1;
    *t = rc == 0 ? config_tenant(&d->cfg, s->tenant) : NULL;
    if (rc < 0) {
        text_reply(resp, 503, "unavailable\n");
        return -1;
    }
    if (!*t) {
        text_reply(resp, 303, "sign in first\n");
        snprintf(resp->extra_header_name, sizeof resp->extra_header_name, "Location");
        snprintf(resp->extra_header_value, sizeof resp->extra_header_value, "/dashboard/login");
        return -1;
    }
    return 0;
}

static int64_t conv_id(const char *s)
{
    char *end = NULL;
    long long id = s ? strtoll(s, &end, 10) : 0;
    return end && !*end && id > 0 ? id : 0;
}

static void page_of(struct inbox_page *p, const struct tenant_config *t,
                    const struct dashboard_session *s, const char *notice)
{
    p->clinic_name = t->name;
    p->email = s->email;
    p->csrf = s->csrf;
    p->notice = notice;
}

static void get_inbox(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct dashboard_session s;
    const struct tenant_config *t;
    struct db_conn *c = daemon_db(d);
    if (signed_in(d, c, req, resp, &s, &t) != 0) {
        if (c)
            daemon_db_release(d, c);
        return;
    }
    cJSON *list = staff_inbox_list(c, s.tenant, clock_now_us());
    daemon_db_release(d, c);
    if (!list) {
        text_reply(resp, 503, "unavailable\n");
        return;
    }
    struct inbox_page p;
    page_of(&p, t, &s, NULL);
    html(resp, inbox_render_list(&p, list));
    cJSON_Delete(list);
}

static void get_conversation_page(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct dashboard_session s;
    const struct tenant_config *t;
    struct db_conn *c = daemon_db(d);
    if (signed_in(d, c, req, resp, &s, &t) != 0) {
        if (c)
            daemon_db_release(d, c);
        return;
    }
    int64_t id = conv_id(req->params[0]);
    cJSON *conv = NULL;
    int rc = id ? staff_inbox_get(c, s.tenant, id, &conv) : STAFF_INBOX_NOTFOUND;
    char subject[48];
    snprintf(subject, sizeof subject, "conversation:%lld", (long long)id);
    if (rc == 0 && audit_record_user(c, s.tenant, s.email, "view", subject, clock_now_us()) != 0)
        rc = -1;
    daemon_db_release(d, c);
    if (rc != 0) {
        cJSON_Delete(conv);
        text_reply(resp, rc > 0 ? 404 : 503, rc > 0 ? "no such conversation\n" : "unavailable\n");
        return;
    }
    const char *done = http_query(req, "done");
    const char *notice = !done                            ? NULL
                         : strcmp(done, "takeover") == 0 ? "You have taken over; the assistant is silent."
                         : strcmp(done, "reply") == 0    ? "Your reply is queued to the patient."
                         : strcmp(done, "handback") == 0 ? "Handed back; the assistant answers again."
                                                          : NULL;
    struct inbox_page p;
    page_of(&p, t, &s, notice);
    html(resp, inbox_render_conversation(&p, conv));
    cJSON_Delete(conv);
}

/* Runs action on the tenant's conversation id in a transaction of its own.
 * Returns 0, STAFF_INBOX_NOTFOUND, STAFF_INBOX_STAFF_NUMBER, -2 (bad text)
 * or -1. */
static int run_action(struct daemon *d, struct db_conn *c, const char *tenant, int64_t id,
                      enum staff_action action, const char *text, int64_t *message_id)
{
    if (db_begin(c) != 0)
        return -1;
    int rc = action == ACT_TAKE_OVER ? staff_inbox_take_over(d, c, tenant, id)
             : action == ACT_REPLY   ? staff_inbox_reply(c, tenant, id, text, message_id)
                                     : staff_inbox_hand_back(d, c, tenant, id, clock_now_us());
    if (rc == 0 && db_commit(c) == 0)
        return 0;
    db_rollback(c);
    return rc == 0 ? -1 : rc;
}

static const char *const ACTION_NAMES[] = { "takeover", "reply", "handback" };

static void post_page_action(struct http_request *req, struct http_response *resp, void *ctx,
                             enum staff_action action)
{
    struct daemon *d = ctx;
    struct http_form form = { 0 };
    if (http_form_body(req, resp, &form) != 0) {
        http_form_free(&form);
        return;
    }
    struct dashboard_session s;
    const struct tenant_config *t;
    struct db_conn *c = daemon_db(d);
    if (signed_in(d, c, req, resp, &s, &t) != 0) {
        if (c)
            daemon_db_release(d, c);
        http_form_free(&form);
        return;
    }
    const char *csrf = http_form_get(&form, "csrf");
    if (!csrf || !http_token_equal(csrf, s.csrf)) {
        daemon_db_release(d, c);
        http_form_free(&form);
        text_reply(resp, 403, "the form's token is wrong\n");
        return;
    }
    int64_t id = conv_id(req->params[0]), msg = 0;
    int rc = id ? run_action(d, c, s.tenant, id, action, http_form_get(&form, "text"), &msg)
                : STAFF_INBOX_NOTFOUND;
    daemon_db_release(d, c);
    http_form_free(&form);
    if (rc == STAFF_INBOX_NOTFOUND)
        text_reply(resp, 404, "no such conversation\n");
    else if (rc == STAFF_INBOX_STAFF_NUMBER)
        text_reply(resp, 409, "the clinic's own staff number stays with staff\n");
    else if (rc == -2)
        text_reply(resp, 400, "the reply must be 1 to 1600 characters\n");
    else if (rc != 0)
        text_reply(resp, 503, "unavailable\n");
    else {
        text_reply(resp, 303, "done\n");
        snprintf(resp->extra_header_name, sizeof resp->extra_header_name, "Location");
        snprintf(resp->extra_header_value, sizeof resp->extra_header_value,
                 "/dashboard/inbox/%lld?done=%s", (long long)id, ACTION_NAMES[action]);
    }
}

static void post_page_takeover(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_page_action(req, resp, ctx, ACT_TAKE_OVER);
}

static void post_page_reply(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_page_action(req, resp, ctx, ACT_REPLY);
}

static void post_page_handback(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_page_action(req, resp, ctx, ACT_HAND_BACK);
}

static void get_audit_page(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct dashboard_session s;
    const struct tenant_config *t;
    struct db_conn *c = daemon_db(d);
    if (signed_in(d, c, req, resp, &s, &t) != 0) {
        if (c)
            daemon_db_release(d, c);
        return;
    }
    if (strcmp(s.role, "owner") != 0) {
        daemon_db_release(d, c);
        text_reply(resp, 403, "only the clinic's owner may read the access log\n");
        return;
    }
    cJSON *rows = audit_list(c, s.tenant, AUDIT_PAGE_ROWS);
    daemon_db_release(d, c);
    if (!rows) {
        text_reply(resp, 503, "unavailable\n");
        return;
    }
    struct inbox_page p;
    page_of(&p, t, &s, NULL);
    html(resp, inbox_render_audit(&p, rows));
    cJSON_Delete(rows);
}

/* ------------------------------------------------------------- the API */

static void get_conversations(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct db_conn *c = daemon_db(d);
    cJSON *list = c ? staff_inbox_list(c, req->tenant_id, clock_now_us()) : NULL;
    if (c)
        daemon_db_release(d, c);
    cJSON *o = list ? cJSON_CreateObject() : NULL;
    if (!o) {
        cJSON_Delete(list);
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    cJSON_AddItemToObject(o, "conversations", list);
    json_reply(resp, 200, o);
}

/* A transcript-level read of the key's conversation {id} by read (0, 1
 * when it is not the tenant's, or -1), logged in the access log. */
static void logged_read(struct http_request *req, struct http_response *resp, struct daemon *d,
                        int (*read)(struct db_conn *, const char *, int64_t, cJSON **))
{
    int64_t id = conv_id(req->params[0]);
    struct db_conn *c = daemon_db(d);
    cJSON *conv = NULL;
    int rc = !c ? -1 : id ? read(c, req->tenant_id, id, &conv) : STAFF_INBOX_NOTFOUND;
    char subject[48];
    snprintf(subject, sizeof subject, "conversation:%lld", (long long)id);
    if (rc == 0 && audit_record_key(c, req, "view", subject, clock_now_us()) != 0)
        rc = -1;
    if (c)
        daemon_db_release(d, c);
    if (rc == 0) {
        json_reply(resp, 200, conv);
        return;
    }
    cJSON_Delete(conv);
    if (rc > 0)
        http_reply_error(req, resp, 404, "unknown_conversation", "no such conversation");
    else
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
}

static void get_conversation(struct http_request *req, struct http_response *resp, void *ctx)
{
    logged_read(req, resp, ctx, staff_inbox_get);
}

static void get_conversation_state(struct http_request *req, struct http_response *resp, void *ctx)
{
    logged_read(req, resp, ctx, conversation_context);
}

static void post_api_action(struct http_request *req, struct http_response *resp, void *ctx,
                            enum staff_action action)
{
    struct daemon *d = ctx;
    cJSON *body = NULL;
    const char *text = NULL;
    if (action == ACT_REPLY) {
        body = json_parse_body(req, resp);
        if (!body)
            return;
        text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "text"));
    }
    int64_t id = conv_id(req->params[0]), msg = 0;
    struct db_conn *c = daemon_db(d);
    int rc = !c ? -1 : id ? run_action(d, c, req->tenant_id, id, action, text, &msg) : STAFF_INBOX_NOTFOUND;
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(body);
    if (rc == STAFF_INBOX_NOTFOUND) {
        http_reply_error(req, resp, 404, "unknown_conversation", "no such conversation");
    } else if (rc == STAFF_INBOX_STAFF_NUMBER) {
        http_reply_error(req, resp, 409, "staff_number", "the clinic's own staff number stays with staff");
    } else if (rc == -2) {
        http_reply_error(req, resp, 400, "invalid_body", "'text' is 1 to 1600 characters");
    } else if (rc != 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)id);
        cJSON_AddStringToObject(o, "done", ACTION_NAMES[action]);
        if (action == ACT_REPLY)
            cJSON_AddNumberToObject(o, "message_id", (double)msg);
        else
            cJSON_AddStringToObject(o, "status", action == ACT_TAKE_OVER ? "handoff" : "open");
        json_reply(resp, action == ACT_REPLY ? 202 : 200, o);
    }
}

static void post_api_takeover(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_api_action(req, resp, ctx, ACT_TAKE_OVER);
}

static void post_api_reply(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_api_action(req, resp, ctx, ACT_REPLY);
}

static void post_api_handback(struct http_request *req, struct http_response *resp, void *ctx)
{
    post_api_action(req, resp, ctx, ACT_HAND_BACK);
}

int routes_inbox_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/dashboard/inbox", get_inbox, HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "GET", "/dashboard/inbox/{id}", get_conversation_page,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/dashboard/inbox/{id}/takeover", post_page_takeover,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/dashboard/inbox/{id}/reply", post_page_reply,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/dashboard/inbox/{id}/handback", post_page_handback,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "GET", "/dashboard/audit", get_audit_page, HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "GET", "/conversations", get_conversations, HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "GET", "/conversations/{id}", get_conversation,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "GET", "/conversations/{id}/state", get_conversation_state,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/conversations/{id}/takeover", post_api_takeover,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/conversations/{id}/reply", post_api_reply,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/conversations/{id}/handback", post_api_handback,
                            HTTP_AUTH_TENANT);
}
