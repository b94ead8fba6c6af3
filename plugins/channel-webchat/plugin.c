/*
 * channel.webchat: the clinic's own web chat widget as a channel plugin.
 * The instance is found by its public widget_key (route key "account",
 * the `key` query argument of every widget request); endpoints.c answers
 * the widget, token.c signs visitor tokens, stream.c keeps each visitor's
 * stream of messages in the key-value store. send() appends the clinic's
 * message to the visitor's stream, which the widget reads as Server-Sent
 * Events; a message is stored once per host reference, so a resent
 * message is not shown twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/json.h>
#include <bookwell-sdk/sdk.h>

#include "webchat.h"

static const struct bw_host *g_host; /* webhook_route has no instance */

static int wc_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    g_host = host;
    *state = NULL;
    return 0;
}

static int copy_str(const struct bw_host *h, struct bw_call *call, const char *key, char *out,
                    size_t cap)
{
    struct bw_str s;
    int rc = h->config_string(call, key, &s);
    if (rc != 0)
        return rc;
    if (s.len >= cap)
        return BW_E_CONFIG;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

static bool colour_ok(const char *c)
{
    size_t n = strlen(c);
    if (c[0] != '#' || (n != 4 && n != 7))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f') ||
              (c[i] >= 'A' && c[i] <= 'F')))
            return false;
    return true;
}

static int wc_open(const struct bw_host *host, void *state, struct bw_call *call,
                   void **instance, struct bw_error *err)
{
    (void)state;
    struct wc_instance *in = calloc(1, sizeof *in);
    struct bw_str s;
    if (!in)
        return BW_E_NOMEM;
    in->host = host;
    if (!BW_HAS(host, kv_put_if) || !host->kv_put_if || !BW_HAS(host, kv_keys) ||
        !host->kv_keys) {
        free(in);
        return bwsdk_error(err, BW_E_NOTSUP, NULL, "the host has no kv_put_if/kv_keys");
    }
    if (copy_str(host, call, "widget_key", in->widget_key, sizeof in->widget_key) != 0 ||
        !in->widget_key[0])
        goto bad_key;
    if (host->secret(call, "token_secret", &s) != 0 || s.len < 16 || s.len >= sizeof in->secret) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "token_secret must be 16 to 255 bytes");
    }
    memcpy(in->secret, s.ptr, s.len);
    in->secret_len = s.len;
    if (copy_str(host, call, "clinic_name", in->clinic_name, sizeof in->clinic_name) != 0 ||
        copy_str(host, call, "colour", in->colour, sizeof in->colour) != 0 ||
        !colour_ok(in->colour) ||
        copy_str(host, call, "consent_text", in->consent_text, sizeof in->consent_text) != 0 ||
        host->config_duration_ms(call, "token_ttl", &in->token_ttl_ms) != 0 ||
        host->config_duration_ms(call, "retry", &in->retry_ms) != 0 ||
        host->config_duration_ms(call, "history_ttl", &in->history_ttl_ms) != 0 ||
        host->config_int(call, "visitor_burst", &in->visitor_burst) != 0 ||
        host->config_int(call, "visitor_per_minute", &in->visitor_per_min) != 0 ||
        host->config_int(call, "ip_burst", &in->ip_burst) != 0 ||
        host->config_int(call, "ip_per_minute", &in->ip_per_min) != 0) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL,
                           "unusable settings (colour is #rgb or #rrggbb)");
    }
    *instance = in;
    return 0;
bad_key:
    free(in);
    return bwsdk_error(err, BW_E_CONFIG, NULL, "widget_key is not usable");
}

static void wc_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

static int wc_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance, (void)call;
    *caps = BW_CHANNEL_CAP_WEBCHAT;
    return 0;
}

static int wc_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    (void)call;
    struct wc_instance *in = instance;
    cJSON *o = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "type", "account");
    cJSON_AddStringToObject(k, "value", in->widget_key);
    cJSON_AddItemToArray(keys, k);
    int rc = bwsdk_json_emit(in->host, out, o);
    cJSON_Delete(o);
    return rc ? bwsdk_error(err, rc, NULL, "cannot emit route keys") : 0;
}

static int wc_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                            struct bw_buf *out, struct bw_error *err)
{
    (void)call;
    char key[WC_KEY_MAX];
    if (wc_query_arg(req->url, "key", key, sizeof key) != 0 || !key[0])
        return bwsdk_error(err, BW_E_INVAL, NULL, "no widget key in the request");
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "type", "account");
    cJSON_AddStringToObject(k, "value", key);
    int rc = bwsdk_json_emit(g_host, out, k);
    cJSON_Delete(k);
    return rc;
}

static int wc_send(void *instance, struct bw_call *call, const struct bw_json *msg,
                   struct bw_buf *out, struct bw_error *err)
{
    struct wc_instance *in = instance;
    const struct bw_host *h = in->host;
    cJSON *m = NULL;
    if (bwsdk_json_parse(msg, BW_SCHEMA_CHANNEL_MESSAGE, &m) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "not a message");
    const char *to = bwsdk_json_string_or(m, "to", "");
    const char *text = bwsdk_json_string_or(m, "text", "");
    const char *ref = bwsdk_json_string_or(m, "reference", "");
    char key[200], pid[96], visitor[WC_VISITOR_LEN + 1];
    int rc = 0;
    if (strlen(to) != WC_VISITOR_LEN || to[0] != 'v' || strlen(ref) > 64) {
        cJSON_Delete(m);
        return bwsdk_error(err, BW_E_INVAL, NULL, "not a web chat visitor");
    }
    memcpy(visitor, to, sizeof visitor);
    struct bw_buf *prev = h->buf_scratch(call);
    int32_t found = 0;
    snprintf(key, sizeof key, "sent/%s/%s", visitor, ref);
    if (!prev || (rc = h->kv_get(call, key, prev, &found)) != 0)
        goto out;
    if (found) { /* sent before: the same answer */
        struct bw_bytes v;
        h->buf_view(prev, &v);
        snprintf(pid, sizeof pid, "%.*s", (int)v.len, (const char *)v.ptr);
    } else {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "from", "clinic");
        cJSON_AddStringToObject(ev, "text", text);
        if (ref[0])
            cJSON_AddStringToObject(ev, "reference", ref);
        char *json = cJSON_PrintUnformatted(ev);
        cJSON_Delete(ev);
        int64_t seq = 0;
        rc = json ? wc_stream_append(in, call, visitor, json, &seq) : BW_E_NOMEM;
        free(json);
        if (rc != 0)
            goto out;
        snprintf(pid, sizeof pid, "wc-%s-%lld", visitor, (long long)seq);
        if (ref[0] &&
            (rc = h->kv_put(call, key, pid, strlen(pid), in->history_ttl_ms)) != 0)
            goto out;
        h->counter_add(call, "replies", 1);
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "message_id", pid);
    cJSON_AddStringToObject(res, "status", "delivered");
    rc = bwsdk_json_emit(h, out, res);
    cJSON_Delete(res);
out:
    cJSON_Delete(m);
    if (rc != 0 && rc != BW_E_INVAL)
        return bwsdk_error(err, BW_E_RETRY, NULL, "cannot store the message");
    return rc;
}

static const struct bw_channel_ops wc_ops = {
    .struct_size = sizeof(struct bw_channel_ops),
    .capabilities = wc_capabilities,
    .route_keys = wc_route_keys,
    .webhook = wc_webhook,
    .send = wc_send,
    .webhook_route = wc_webhook_route,
};

#define FIELD(...) { .struct_size = sizeof(struct bw_config_field), __VA_ARGS__ }
static const struct bw_config_field wc_config[] = {
    FIELD(.type = BW_CFG_STRING, .flags = BW_CFG_F_REQUIRED, .key = "widget_key",
          .description = "public key of the widget, in its script URL (?key=)"),
    FIELD(.type = BW_CFG_SECRET, .flags = BW_CFG_F_REQUIRED, .key = "token_secret",
          .description = "HMAC-SHA256 key of visitor tokens (16 bytes or more)"),
    FIELD(.type = BW_CFG_STRING, .key = "clinic_name", .default_value = "our clinic",
          .description = "name shown in the chat panel's title"),
    FIELD(.type = BW_CFG_STRING, .key = "colour", .default_value = "#0f766e",
          .description = "accent colour, #rgb or #rrggbb"),
    FIELD(.type = BW_CFG_LIST, .key = "allowed_origins",
          .description = "origins of the clinic's site allowed to use the widget (* for any)"),
    FIELD(.type = BW_CFG_DURATION, .key = "token_ttl", .default_value = "24h",
          .description = "how long a visitor token is accepted", .min = 60000,
          .max = 2592000000),
    FIELD(.type = BW_CFG_DURATION, .key = "retry", .default_value = "2s",
          .description = "event stream reconnection delay", .min = 100, .max = 60000),
    FIELD(.type = BW_CFG_DURATION, .key = "history_ttl", .default_value = "720h",
          .description = "how long a visitor's messages are kept for the widget"),
    FIELD(.type = BW_CFG_INT, .key = "visitor_burst", .default_value = "10", .min = 1,
          .max = 1000, .description = "messages a visitor may send at once"),
    FIELD(.type = BW_CFG_INT, .key = "visitor_per_minute", .default_value = "6", .min = 0,
          .max = 6000, .description = "messages a visitor regains per minute"),
    FIELD(.type = BW_CFG_INT, .key = "ip_burst", .default_value = "30", .min = 1,
          .max = 100000, .description = "messages one address may send at once"),
    FIELD(.type = BW_CFG_INT, .key = "ip_per_minute", .default_value = "30", .min = 0,
          .max = 100000, .description = "messages one address regains per minute"),
    FIELD(.type = BW_CFG_STRING, .key = "consent_text",
          .default_value = "By leaving your number you agree to receive text messages from us "
                           "about your enquiry. Message and data rates may apply. Reply STOP "
                           "to opt out.",
          .description = "consent wording shown beside the phone number field"),
};

static const struct bw_plugin_descriptor wc_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1,
    .kind = BW_KIND_CHANNEL,
    .id = "channel.webchat",
    .version = "1.0.0",
    .description = "the clinic's web chat widget: visitor tokens, messages, Server-Sent Events",
    .config = wc_config,
    .n_config = sizeof wc_config / sizeof wc_config[0],
    .init = wc_init,
    .instance_open = wc_open,
    .instance_close = wc_close,
    .ops = &wc_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &wc_descriptor : NULL;
}
