/*
 * The operator's plugin routes on the admin listener: GET /admin/plugins
 * (loaded plugins, bindings, generations), POST /admin/plugins/reload and
 * POST /admin/plugins/rollback. Reload and rollback run on the registry's
 * control thread; the HTTP response is deferred until they end, so no
 * listener thread waits. Under --test-clock only, POST
 * /admin/test/plugin-call calls a tenant's plugin through the registry on
 * the plugin call pool (the reload-under-load test drives it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/emr.h>

#include "daemon.h"
#include "daemon_plugins.h"
#include "json_util.h"
#include "log.h"
#include "plugin_pool.h"
#include "plugin_registry.h"
#include "routes.h"

#define TEST_CALL_DEFAULT_MS 10000
#define TEST_CALL_MAX_MS 60000

static void get_plugins(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *o = d->registry ? registry_status(d->registry) : NULL;
    if (!o) {
        http_reply_error(req, resp, 503, "unavailable", "the plugin registry is not running");
        return;
    }
    json_reply(resp, 200, o);
}

struct admin_op {
    struct http_deferred *deferred;
    const char *what;          /* "reload" or "rollback" */
};

/* On the control thread: answers the deferred request with the result. */
static void op_done(const struct registry_result *r, void *ctx)
{
    struct admin_op *op = ctx;
    struct http_request *req = http_deferred_request(op->deferred);
    struct http_response resp = { 0 };
    daemon_plugins_log_result(op->what, r);
    cJSON *o = registry_result_json(r);
    if (o && r->rc != 0) {
        /* The usual error shape, with the result's fields beside it. */
        cJSON *err = cJSON_CreateObject();
        char code[32];
        snprintf(code, sizeof code, "%s_failed", op->what);
        cJSON_AddStringToObject(err, "code", code);
        cJSON_AddStringToObject(err, "message", r->error);
        cJSON_DeleteItemFromObject(o, "error"); /* the result's own summary string */
        cJSON_AddItemToObject(o, "error", err);
        cJSON_AddStringToObject(o, "request_id", req->request_id);
        snprintf(resp.error_code, sizeof resp.error_code, "%s", code);
    }
    if (!o)
        http_reply_error(req, &resp, 500, "internal", "out of memory");
    else
        json_reply(&resp, r->rc == 0 ? 200 : strcmp(op->what, "reload") == 0 ? 422 : 409, o);
    http_deferred_complete(op->deferred, &resp);
    free(op);
}

static void start_op(struct http_request *req, struct http_response *resp, struct daemon *d,
                     const char *what)
{
    struct admin_op *op = calloc(1, sizeof *op);
    if (!d->registry || !op || !(op->deferred = http_defer(req))) {
        free(op);
        http_reply_error(req, resp, 503, "unavailable", "the plugin registry is not running");
        return;
    }
    op->what = what;
    struct log_ctx lc = { NULL, req->request_id };
    const char *fields[] = { "operation", what, NULL };
    log_write(LOG_INFO, &lc, fields, "plugin %s requested", what);
    int rc = strcmp(what, "reload") == 0 ? registry_reload_async(d->registry, op_done, op)
                                         : registry_rollback_async(d->registry, op_done, op);
    if (rc != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "unavailable", "the plugin registry is stopping");
        http_deferred_complete(op->deferred, &now);
        free(op);
    }
}

static void post_reload(struct http_request *req, struct http_response *resp, void *ctx)
{
    start_op(req, resp, ctx, "reload");
}

static void post_rollback(struct http_request *req, struct http_response *resp, void *ctx)
{
    start_op(req, resp, ctx, "rollback");
}

/* ------------------------------------------------------------ test only */

struct test_call {
    struct daemon *d;
    struct http_deferred *deferred;
    char tenant[64];
    char key[72];
    char op[32];               /* an EMR read op or cancel; "" is catalog */
    char *input;               /* its input document (owned), or NULL */
    int64_t timeout_ms;
};

static void test_call_free(struct test_call *tc)
{
    if (tc)
        free(tc->input);
    free(tc);
}

/* The instance's capabilities as {"capabilities": [names]}. */
static int call_capabilities(const struct registry_handle *h, const struct bw_emr_ops *ops,
                             struct bw_call *call, struct bw_buf *out)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        { BW_EMR_CAP_AVAILABILITY, "availability" },
        { BW_EMR_CAP_BOOK, "book" },
        { BW_EMR_CAP_RESCHEDULE, "reschedule" },
        { BW_EMR_CAP_CANCEL, "cancel" },
        { BW_EMR_CAP_PATIENT_FIND, "patient_find" },
        { BW_EMR_CAP_PATIENT_CREATE, "patient_create" },
        { BW_EMR_CAP_DEPOSIT_PAYMENT, "deposit_payment" },
        { BW_EMR_CAP_DEPOSIT_NOTE, "deposit_note" },
        { BW_EMR_CAP_LINK_ONLY, "link_only" },
        { BW_EMR_CAP_APPOINTMENT_LIST, "appointment_list" },
    };
    uint64_t caps = 0;
    int rc = ops->capabilities(h->instance, call, &caps);
    if (rc != 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON *list = o ? cJSON_AddArrayToObject(o, "capabilities") : NULL;
    for (size_t i = 0; list && i < sizeof names / sizeof names[0]; i++)
        if ((caps & names[i].bit) && !cJSON_AddItemToArray(list, cJSON_CreateString(names[i].name)))
            list = NULL;
    char *text = list ? cJSON_PrintUnformatted(o) : NULL;
    rc = text ? plugin_buf_append(out, text, strlen(text)) : BW_E_NOMEM;
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

/* An EMR read op by name (catalog by default), or cancel: the evaluation
 * runner and tests read the EMR under test through the tenant's own binding,
 * and cancel in it as the clinic's staff would. */
static int call_op(const struct registry_handle *h, const struct test_call *tc,
                   struct bw_call *call, struct bw_buf *out, struct bw_error *err)
{
    if (h->desc->kind != BW_KIND_EMR)
        return BW_E_NOTSUP;
    const struct bw_emr_ops *ops = h->desc->ops;
    const char *in = tc->input ? tc->input : "{}";
    struct bw_json q = { NULL, (const uint8_t *)in, strlen(in) };
    if (!tc->op[0] || strcmp(tc->op, "catalog") == 0)
        return ops->catalog(h->instance, call, out, err);
    if (strcmp(tc->op, "capabilities") == 0)
        return call_capabilities(h, ops, call, out);
    if (strcmp(tc->op, "availability") == 0 && BW_FN(ops, availability)) {
        q.schema = BW_SCHEMA_EMR_AVAILABILITY_QUERY;
        return ops->availability(h->instance, call, &q, out, err);
    }
    if (strcmp(tc->op, "patient_find") == 0 && BW_FN(ops, patient_find)) {
        q.schema = BW_SCHEMA_EMR_PATIENT_QUERY;
        return ops->patient_find(h->instance, call, &q, out, err);
    }
    if (strcmp(tc->op, "appointment_list") == 0 && BW_FN(ops, appointment_list)) {
        q.schema = BW_SCHEMA_EMR_APPOINTMENT_QUERY;
        return ops->appointment_list(h->instance, call, &q, out, err);
    }
    if (strcmp(tc->op, "cancel") == 0 && BW_FN(ops, cancel)) {
        /* Staff cancelling in the EMR itself (reconciliation tests). */
        uint32_t hash = 2166136261u;
        for (const char *c = in; *c; c++)
            hash = (hash ^ (unsigned char)*c) * 16777619u;
        char key[32];
        snprintf(key, sizeof key, "test-cancel-%08x", hash);
        q.schema = BW_SCHEMA_EMR_CANCEL_REQUEST;
        return ops->cancel(h->instance, call, &q, key, out, err);
    }
    return BW_E_NOTSUP;
}

/* On a pool thread: acquire, call, release, answer. */
static void run_test_call(void *arg)
{
    struct test_call *tc = arg;
    struct http_request *req = http_deferred_request(tc->deferred);
    struct http_response resp = { 0 };
    struct registry_handle h;
    if (registry_acquire(tc->d->registry, tc->tenant, tc->key, &h) != 0) {
        http_reply_error(req, &resp, 404, "no_binding", "the tenant has no such plugin binding");
        goto done;
    }
    struct bw_call call;
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_buf *out = plugin_buf_new(0);
    int rc = BW_E_NOMEM;
    if (out) {
        registry_call_begin(&h, &call, req->request_id, tc->timeout_ms);
        rc = call_op(&h, tc, &call, out, &err);
        registry_call_end(&h, &call);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant", h.tenant_id);
    cJSON_AddStringToObject(o, "plugin", h.desc->id);
    cJSON_AddStringToObject(o, "version", registry_handle_version(&h));
    cJSON_AddNumberToObject(o, "generation", (double)h.generation);
    cJSON_AddStringToObject(o, "rc", bw_strerror(rc));
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        cJSON *result = cJSON_ParseWithLength(text, (size_t)len);
        cJSON_AddItemToObject(o, "result", result ? result : cJSON_CreateNull());
    }
    registry_release(&h);
    plugin_buf_free(out);
    json_reply(&resp, rc == 0 ? 200 : rc == BW_E_NOTSUP ? 422 : 502, o);
done:
    http_deferred_complete(tc->deferred, &resp);
    test_call_free(tc);
}

/* {"tenant": "...", "plugin": "emr" or "emr.local", "op": "catalog" |
 * "capabilities" | "availability" | "patient_find" | "appointment_list" | "cancel",
 * "input": {...},
 * "timeout_ms": N} */
static void post_test_call(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "tenant");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, "plugin");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(body, "timeout_ms");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(body, "op");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, "input");
    struct test_call *tc = calloc(1, sizeof *tc);
    if (!cJSON_IsString(t) || !cJSON_IsString(p) || strlen(t->valuestring) >= sizeof tc->tenant ||
        strlen(p->valuestring) >= sizeof tc->key ||
        (op && (!cJSON_IsString(op) || strlen(op->valuestring) >= sizeof tc->op)) ||
        (input && !cJSON_IsObject(input)) ||
        (ms && (!cJSON_IsNumber(ms) || ms->valuedouble < 1 || ms->valuedouble > TEST_CALL_MAX_MS))) {
        cJSON_Delete(body);
        test_call_free(tc);
        http_reply_error(req, resp, 400, "invalid_body",
                         "'tenant', 'plugin' and 'op' must be strings, 'input' an object; "
                         "'timeout_ms' 1 to 60000");
        return;
    }
    if (!tc || !d->registry || !d->plugin_pool) {
        cJSON_Delete(body);
        test_call_free(tc);
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        return;
    }
    tc->d = d;
    snprintf(tc->tenant, sizeof tc->tenant, "%s", t->valuestring);
    snprintf(tc->key, sizeof tc->key, "%s", p->valuestring);
    tc->timeout_ms = ms ? (int64_t)ms->valuedouble : TEST_CALL_DEFAULT_MS;
    if (op)
        snprintf(tc->op, sizeof tc->op, "%s", op->valuestring);
    tc->input = input ? cJSON_PrintUnformatted(input) : NULL;
    cJSON_Delete(body);
    if (!(tc->deferred = http_defer(req))) {
        test_call_free(tc);
        http_reply_error(req, resp, 503, "unavailable", "out of memory");
        return;
    }
    if (plugin_pool_submit(d->plugin_pool, run_test_call, tc) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(tc->deferred, &now);
        test_call_free(tc);
    }
}

int routes_plugins_register(struct daemon *d)
{
    if (daemon_add_route(d, true, "GET", "/admin/plugins", get_plugins, HTTP_AUTH_ADMIN) ||
        daemon_add_route(d, true, "POST", "/admin/plugins/reload", post_reload, HTTP_AUTH_ADMIN) ||
        daemon_add_route(d, true, "POST", "/admin/plugins/rollback", post_rollback,
                         HTTP_AUTH_ADMIN))
        return -1;
    if (d->opt.test_clock &&
        daemon_add_route(d, true, "POST", "/admin/test/plugin-call", post_test_call,
                         HTTP_AUTH_ADMIN))
        return -1;
    return 0;
}
