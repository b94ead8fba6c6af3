/*
 * Channel plugins under test through the host's loader and services
 * (channel_fixture.h).
 */
#include "channel_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "plugin_config.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

void chan_fx_load(struct chan_fx *fx, const char *file)
{
    char path[1024], err[256];
    const char *b = getenv("BW_BUILDDIR");
    struct plugin_reject_info why = { 0 };
    memset(fx, 0, sizeof *fx);
    snprintf(path, sizeof path, "%s/plugins/%s", b ? b : ".", file);
    cr_assert_eq(plugin_loader_open(&fx->set, path, BW_ABI_MINOR, &fx->plugin, &why), 0,
                 "%s refused: %s", path, why.reason);
    fx->desc = fx->plugin->desc;
    cr_assert_eq(fx->desc->kind, BW_KIND_CHANNEL);
    fx->ops = fx->desc->ops;
    fx->host = plugin_services();
    if (fx->desc->init) {
        struct bw_call call;
        plugin_call_begin(&call, NULL, fx->desc->id, NULL);
        cr_assert_eq(fx->desc->init(fx->host, &call, &fx->state), 0);
        plugin_call_end(&call);
    }
    fx->conninfo = testdb_create();
    cr_assert_eq(db_pool_open(&fx->pool, fx->conninfo, 2, 5000, err, sizeof err), 0, "%s", err);
}

static int set_value(struct plugin_config_value *v, const char *text)
{
    switch (v->field->type) {
    case BW_CFG_STRING:
    case BW_CFG_SECRET:
        v->text = strdup(text);
        return v->text ? 0 : -1;
    case BW_CFG_INT:
    case BW_CFG_BOOL:
        v->num = strcmp(text, "true") == 0 ? 1 : strtoll(text, NULL, 10);
        return 0;
    case BW_CFG_DURATION:
        v->num = strtoll(text, NULL, 10) * 1000;
        return 0;
    case BW_CFG_LIST: {
        v->items = calloc(64, sizeof *v->items);
        if (!v->items)
            return -1;
        for (const char *t = text; *t && v->n_items < 64;) {
            const char *comma = strchr(t, ',');
            size_t len = comma ? (size_t)(comma - t) : strlen(t);
            v->items[v->n_items++] = strndup(t, len);
            t += comma ? len + 1 : len;
        }
        return 0;
    }
    default:
        return -1;
    }
}

int chan_fx_open(struct chan_fx *fx, const char *const *settings, struct bw_error *err)
{
    uint32_t n = fx->desc->n_config;
    plugin_config_free(&fx->cfg);
    fx->cfg.values = calloc(n, sizeof *fx->cfg.values);
    fx->cfg.n = n;
    cr_assert_not_null(fx->cfg.values);
    for (uint32_t i = 0; i < n; i++) {
        struct plugin_config_value *v = &fx->cfg.values[i];
        v->field = plugin_schema_field(fx->desc, i);
        const char *text = v->field->default_value;
        for (const char *const *s = settings; s && s[0]; s += 2)
            if (strcmp(s[0], v->field->key) == 0)
                text = s[1];
        if (text) {
            v->set = true;
            cr_assert_eq(set_value(v, text), 0);
        }
    }
    struct bw_call call;
    chan_fx_call(fx, &call);
    int rc = fx->desc->instance_open(fx->host, fx->state, &call, &fx->inst, err);
    plugin_call_end(&call);
    return rc;
}

void chan_fx_call(struct chan_fx *fx, struct bw_call *call)
{
    plugin_call_begin(call, "glow", fx->desc->id, "req-test");
    call->config = &fx->cfg;
    call->pool = fx->pool;
    call->base_url = fx->base_url;
}

void chan_fx_close(struct chan_fx *fx)
{
    if (fx->inst)
        fx->desc->instance_close(fx->state, fx->inst);
    if (fx->desc && fx->desc->fini)
        fx->desc->fini(fx->state);
    plugin_config_free(&fx->cfg);
    plugin_set_close(&fx->set);
    if (fx->pool)
        db_pool_close(fx->pool);
    if (fx->conninfo) {
        testdb_drop(fx->conninfo);
        free(fx->conninfo);
    }
    memset(fx, 0, sizeof *fx);
}

static char *buf_copy(struct bw_buf *b)
{
    uint64_t len;
    const char *data = plugin_buf_data(b, &len);
    char *s = malloc(len + 1);
    cr_assert_not_null(s);
    memcpy(s, data ? data : "", len);
    s[len] = 0;
    return s;
}

int chan_fx_webhook(struct chan_fx *fx, const char *method, const char *url,
                    const char *const *headers, const char *body, int *status,
                    char **reply_body, cJSON **events, struct bw_error *err)
{
    struct bw_http_header h[32];
    uint64_t nh = 0;
    for (const char *const *p = headers; p && p[0] && nh < 32; p += 2, nh++) {
        h[nh].name = (struct bw_str){ p[0], strlen(p[0]) };
        h[nh].value = (struct bw_str){ p[1], strlen(p[1]) };
    }
    struct bw_webhook_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = h,
        .n_headers = nh,
        .body = { (const uint8_t *)(body ? body : ""), body ? strlen(body) : 0 },
        .remote_addr = "127.0.0.1",
    };
    struct bw_buf *rb = plugin_buf_new(0), *ev = plugin_buf_new(0);
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200, .body = rb };
    snprintf(reply.content_type, sizeof reply.content_type, "text/plain");
    struct bw_call call;
    chan_fx_call(fx, &call);
    int rc = fx->ops->webhook(fx->inst, &call, &req, &reply, ev, err);
    plugin_call_end(&call);
    if (status)
        *status = reply.status;
    if (reply_body)
        *reply_body = buf_copy(rb);
    if (events) {
        char *text = buf_copy(ev);
        *events = rc == 0 ? cJSON_Parse(text) : NULL;
        if (rc == 0)
            cr_assert_not_null(*events, "events/1 is JSON: %s", text);
        free(text);
    }
    plugin_buf_free(rb);
    plugin_buf_free(ev);
    return rc;
}

int chan_fx_send(struct chan_fx *fx, const char *message_json, cJSON **result,
                 struct bw_error *err)
{
    struct bw_json msg = { BW_SCHEMA_CHANNEL_MESSAGE, (const uint8_t *)message_json,
                           strlen(message_json) };
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_call call;
    chan_fx_call(fx, &call);
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
    int rc = fx->ops->send(fx->inst, &call, &msg, out, err);
    plugin_call_end(&call);
    char *text = buf_copy(out);
    *result = rc == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    plugin_buf_free(out);
    return rc;
}

int chan_fx_route(struct chan_fx *fx, const char *method, const char *body, cJSON **key)
{
    struct bw_webhook_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = "https://bookwell.example/webhooks/x/main",
        .body = { (const uint8_t *)(body ? body : ""), body ? strlen(body) : 0 },
        .remote_addr = "127.0.0.1",
    };
    struct bw_buf *out = plugin_buf_new(4096);
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    plugin_call_begin(&call, NULL, fx->desc->id, NULL); /* bound to no instance */
    int rc = fx->ops->webhook_route(&call, &req, out, &err);
    plugin_call_end(&call);
    char *text = buf_copy(out);
    *key = rc == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    plugin_buf_free(out);
    return rc;
}

cJSON *chan_fx_sim(unsigned port, const char *method, const char *path, const char *json_body)
{
    struct test_http_resp r = { 0 };
    const char *h[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(test_http(method, port, path, h, json_body, json_body ? strlen(json_body) : 0, &r),
                 0, "simulator %s %s", method, path);
    cJSON *j = cJSON_Parse(r.body ? r.body : "");
    test_http_resp_free(&r);
    return j;
}
