/*
 * The conformance checks of channel, payment and ai plugins that need no
 * provider: capabilities, route keys when the plugin reports them, a
 * webhook with a bad signature refused with BW_E_AUTH (and no events), a
 * webhook carrying no route key refused by webhook_route with BW_E_INVAL,
 * and malformed op inputs refused with BW_E_INVAL before anything is sent.
 */
#include <stdio.h>
#include <string.h>

#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/payment.h>

#include "kit.h"

/* A provider-shaped webhook whose signature headers hold garbage. */
static const struct bw_http_header bad_headers[] = {
    { { "Content-Type", 12 }, { "application/x-www-form-urlencoded", 33 } },
    { { "X-Twilio-Signature", 18 }, { "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 28 } },
    { { "X-Square-Hmacsha256-Signature", 29 }, { "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 44 } },
    { { "Stripe-Signature", 16 }, { "t=1,v1=00", 9 } },
    { { "X-Hub-Signature-256", 19 }, { "sha256=00", 9 } },
};
static const char bad_body[] =
    "MessageSid=SMkit00000000000000000000000000000&AccountSid=ACkit&From=%2B14155550100"
    "&To=%2B14155550101&Body=hello";

static struct bw_webhook_request webhook_request(const char *body, bool with_headers)
{
    return (struct bw_webhook_request){
        .struct_size = sizeof(struct bw_webhook_request),
        .method = "POST",
        .url = "https://bookwell.example.com/webhooks/kit",
        .headers = with_headers ? bad_headers : NULL,
        .n_headers = with_headers ? sizeof bad_headers / sizeof bad_headers[0] : 0,
        .body = { (const uint8_t *)body, strlen(body) },
        .remote_addr = "192.0.2.1",
    };
}

typedef int (*webhook_fn)(void *, struct bw_call *, const struct bw_webhook_request *,
                          struct bw_webhook_reply *, struct bw_buf *, struct bw_error *);
typedef int (*route_fn)(struct bw_call *, const struct bw_webhook_request *, struct bw_buf *,
                        struct bw_error *);
typedef int (*keys_fn)(void *, struct bw_call *, struct bw_buf *, struct bw_error *);

static void check_bad_signature(struct kit *k, webhook_fn fn)
{
    struct bw_call call;
    struct bw_buf *events;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    struct bw_webhook_request req = webhook_request(bad_body, true);
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200 };
    snprintf(reply.content_type, sizeof reply.content_type, "text/plain");
    kit_call_begin(k, &call, &events);
    reply.body = plugin_buf_scratch(&call);
    r.rc = fn(k->h.instance, &call, &req, &reply, events, &r.err);
    uint64_t n = 0;
    if (events)
        plugin_buf_data(events, &n);
    kit_call_end(k, &call, events, &r, "webhook");
    if (r.rc != BW_E_AUTH)
        kit_fail(k, "webhook_bad_signature", "returned %s, not BW_E_AUTH", bw_strerror(r.rc));
    else if (n && r.json && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "events")))
        kit_fail(k, "webhook_bad_signature", "refused, yet wrote events");
    else
        kit_pass(k, "webhook_bad_signature");
    kit_result_free(&r);
}

static void check_route_missing(struct kit *k, route_fn fn)
{
    if (!fn) {
        kit_skip(k, "webhook_route_missing", "no webhook_route op");
        return;
    }
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    struct bw_webhook_request req = webhook_request("", false);
    kit_call_begin(k, &call, &out);
    r.rc = fn(&call, &req, out, &r.err);
    kit_call_end(k, &call, out, &r, "webhook_route");
    if (r.rc != BW_E_INVAL)
        kit_fail(k, "webhook_route_missing", "an empty webhook returned %s, not BW_E_INVAL",
                 bw_strerror(r.rc));
    else
        kit_pass(k, "webhook_route_missing");
    kit_result_free(&r);
}

static void check_route_keys(struct kit *k, keys_fn fn)
{
    if (!fn) {
        kit_skip(k, "route_keys", "no route_keys op");
        return;
    }
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    char why[400];
    kit_call_begin(k, &call, &out);
    r.rc = fn(k->h.instance, &call, out, &r.err);
    kit_call_end(k, &call, out, &r, "route_keys");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r.json, "keys"), *it;
    bool ok = r.rc == 0 && cJSON_IsArray(keys);
    cJSON_ArrayForEach(it, keys)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
        ok = ok && cJSON_IsString(t) && cJSON_IsString(v) && v->valuestring[0] &&
             (strcmp(t->valuestring, "phone") == 0 || strcmp(t->valuestring, "account") == 0);
    }
    if (r.rc != 0)
        kit_fail(k, "route_keys", "%s", kit_rc_text(&r, why, sizeof why));
    else if (!ok)
        kit_fail(k, "route_keys", "not route_keys/1 {\"keys\":[{\"type\",\"value\"}]}");
    else
        kit_pass(k, "route_keys");
    kit_result_free(&r);
}

/* An op taking (instance, call, json, [key,] out, err) given input that is
 * not JSON: BW_E_INVAL, before any request leaves. */
enum json_op { OP_SEND, OP_LINK_CREATE, OP_REFUND, OP_LINK_CANCEL, OP_COMPLETE };

static void check_malformed(struct kit *k, enum json_op op, const char *schema, const char *name)
{
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    struct bw_json in = kit_json(schema, "{\"not json");
    char check[64], key[64];
    snprintf(check, sizeof check, "malformed_%s", name);
    kit_key(k, key);
    kit_call_begin(k, &call, &out);
    const void *ops = k->desc->ops;
    void *inst = k->h.instance;
    switch (op) {
    case OP_SEND:
        r.rc = ((const struct bw_channel_ops *)ops)->send(inst, &call, &in, out, &r.err);
        break;
    case OP_LINK_CREATE:
        r.rc = ((const struct bw_payment_ops *)ops)->link_create(inst, &call, &in, key, out, &r.err);
        break;
    case OP_REFUND:
        r.rc = ((const struct bw_payment_ops *)ops)->refund(inst, &call, &in, key, out, &r.err);
        break;
    case OP_LINK_CANCEL:
        r.rc = ((const struct bw_payment_ops *)ops)->link_cancel(inst, &call, &in, &r.err);
        break;
    case OP_COMPLETE:
        r.rc = ((const struct bw_ai_ops *)ops)->complete(inst, &call, &in, out, &r.err);
        break;
    }
    kit_call_end(k, &call, out, &r, name);
    if (r.rc != BW_E_INVAL)
        kit_fail(k, check, "input that is not JSON returned %s, not BW_E_INVAL", bw_strerror(r.rc));
    else
        kit_pass(k, check);
    kit_result_free(&r);
}

void kit_check_channel(struct kit *k)
{
    const struct bw_channel_ops *o = k->desc->ops;
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    uint64_t caps = 0;
    kit_call_begin(k, &call, &out);
    r.rc = o->capabilities(k->h.instance, &call, &caps);
    r.err.code = r.rc;
    kit_call_end(k, &call, out, &r, "capabilities");
    const uint64_t known = (BW_CHANNEL_CAP_RBM << 1) - 1;
    if (r.rc != 0 || !caps || (caps & ~known))
        kit_fail(k, "capabilities", "returned %s with bits 0x%llx (want known, non-zero bits)",
                 bw_strerror(r.rc), (unsigned long long)caps);
    else
        kit_pass(k, "capabilities");
    kit_result_free(&r);
    check_route_keys(k, o->route_keys);
    check_bad_signature(k, o->webhook);
    check_route_missing(k, BW_FN(o, webhook_route));
    check_malformed(k, OP_SEND, BW_SCHEMA_CHANNEL_MESSAGE, "send");
    kit_check_health(k);
    kit_check_error_codes(k);
}

void kit_check_payment(struct kit *k)
{
    const struct bw_payment_ops *o = k->desc->ops;
    check_route_keys(k, BW_FN(o, route_keys));
    check_bad_signature(k, o->webhook);
    check_route_missing(k, BW_FN(o, webhook_route));
    check_malformed(k, OP_LINK_CREATE, BW_SCHEMA_PAYMENT_LINK_REQUEST, "link_create");
    if (o->refund)
        check_malformed(k, OP_REFUND, BW_SCHEMA_PAYMENT_REFUND_REQUEST, "refund");
    else
        kit_skip(k, "malformed_refund", "no refund op");
    if (o->link_cancel)
        check_malformed(k, OP_LINK_CANCEL, BW_SCHEMA_PAYMENT_LINK_CANCEL, "link_cancel");
    else
        kit_skip(k, "malformed_link_cancel", "no link_cancel op");
    kit_check_health(k);
    kit_check_error_codes(k);
}

void kit_check_ai(struct kit *k)
{
    check_malformed(k, OP_COMPLETE, BW_SCHEMA_AI_REQUEST, "complete");
    kit_check_health(k);
    kit_check_error_codes(k);
}
