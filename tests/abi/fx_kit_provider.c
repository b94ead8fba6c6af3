/*
 * Provider-kind fixtures for the conformance kit (tests/abi/check_kit.sh):
 * a channel, a payment and an ai plugin (FX_KIND_CHANNEL, FX_KIND_PAYMENT,
 * FX_KIND_AI) that do what the kit checks without a provider: webhooks
 * signed with HMAC-SHA256 of the body under the instance's secret (header
 * X-Fx-Signature, hex), route keys, webhook_route reading the To number,
 * and JSON inputs parsed before anything would be sent. With
 * BW_KIT_FAULT=accept_any the webhook skips verification, and with
 * BW_KIT_FAULT=bad_json a malformed input is "sent" anyway (returns 0):
 * the kit must fail both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/payment.h>
#include <bookwell-sdk/sdk.h>

struct fx {
    const struct bw_host *host;
    struct bw_str secret;
};

static const char *fault(void)
{
    const char *f = getenv("BW_KIT_FAULT");
    return f ? f : "";
}

static int fx_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                   struct bw_error *err)
{
    (void)state;
    struct fx *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    if (host->secret(call, "signing_secret", &in->secret) != 0) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "signing_secret is needed");
    }
    *out = in;
    return 0;
}

static void fx_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

/* A JSON input, parsed before anything would leave. */
static int parse_input(const struct bw_json *in, const char *schema, struct bw_error *err)
{
    cJSON *doc = NULL;
    int rc = bwsdk_json_parse(in, schema, &doc);
    cJSON_Delete(doc);
    if (rc != 0 && strcmp(fault(), "bad_json") == 0)
        return 0;
    return rc ? bwsdk_error(err, rc, NULL, "malformed input") : 0;
}

/* A well-formed input would be sent; the fixture sends nothing. With the
 * bad_json fault a malformed one got here and "succeeds". */
static int not_sent(void) { return strcmp(fault(), "bad_json") == 0 ? 0 : BW_E_NOTSUP; }

#if defined(FX_KIND_CHANNEL) || defined(FX_KIND_PAYMENT)
static int fx_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                      struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err)
{
    struct fx *in = instance;
    (void)call, (void)reply;
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    char hex[2 * BW_HASH_MAX_LEN + 1];
    const struct bw_http_header *sig = bwsdk_http_header(req->headers, req->n_headers,
                                                         "X-Fx-Signature");
    if (in->host->hmac(BW_HASH_SHA256, in->secret.ptr, in->secret.len, req->body.ptr,
                       req->body.len, mac, sizeof mac, &n) != 0)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "hmac failed");
    for (uint32_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    if (strcmp(fault(), "accept_any") != 0 &&
        (!sig || sig->value.len != 2 * n || !in->host->ct_equal(sig->value.ptr, hex, 2 * n)))
        return bwsdk_error(err, BW_E_AUTH, NULL, "signature does not verify");
    return bwsdk_buf_puts(in->host, events, "{\"events\":[]}");
}

static int fx_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    struct fx *in = instance;
    (void)call, (void)err;
    return bwsdk_buf_puts(in->host, out, "{\"keys\":[{\"type\":\"phone\",\"value\":\"+14155550100\"}]}");
}

static int fx_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                            struct bw_buf *out, struct bw_error *err)
{
    (void)call, (void)out;
    /* The form's To=; this fixture only answers that there is none. */
    if (!req->body.len || !strstr((const char *)req->body.ptr, "To="))
        return bwsdk_error(err, BW_E_INVAL, NULL, "no To number");
    return bwsdk_error(err, BW_E_NOTSUP, NULL, "routing is not implemented by the fixture");
}
#endif

#ifdef FX_KIND_CHANNEL
static int fx_caps(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance, (void)call;
    *caps = BW_CHANNEL_CAP_SMS;
    return 0;
}

static int fx_send(void *instance, struct bw_call *call, const struct bw_json *msg,
                   struct bw_buf *out, struct bw_error *err)
{
    (void)instance, (void)call, (void)out;
    int rc = parse_input(msg, BW_SCHEMA_CHANNEL_MESSAGE, err);
    return rc ? rc : not_sent();
}

static const struct bw_channel_ops fx_ops = {
    .struct_size = sizeof fx_ops,
    .capabilities = fx_caps,
    .route_keys = fx_route_keys,
    .webhook = fx_webhook,
    .send = fx_send,
    .webhook_route = fx_webhook_route,
};
#define FX_KIND BW_KIND_CHANNEL
#define FX_ID "channel.kitfx"
#elif defined(FX_KIND_PAYMENT)
static int fx_link_create(void *instance, struct bw_call *call, const struct bw_json *req,
                          const char *key, struct bw_buf *out, struct bw_error *err)
{
    (void)instance, (void)call, (void)key, (void)out;
    int rc = parse_input(req, BW_SCHEMA_PAYMENT_LINK_REQUEST, err);
    return rc ? rc : not_sent();
}

static const struct bw_payment_ops fx_ops = {
    .struct_size = sizeof fx_ops,
    .link_create = fx_link_create,
    .webhook = fx_webhook,
    .route_keys = fx_route_keys,
    .webhook_route = fx_webhook_route,
};
#define FX_KIND BW_KIND_PAYMENT
#define FX_ID "payment.kitfx"
#else
static int fx_complete(void *instance, struct bw_call *call, const struct bw_json *req,
                       struct bw_buf *out, struct bw_error *err)
{
    (void)instance, (void)call, (void)out;
    int rc = parse_input(req, BW_SCHEMA_AI_REQUEST, err);
    return rc ? rc : not_sent();
}

static const struct bw_ai_ops fx_ops = { .struct_size = sizeof fx_ops, .complete = fx_complete };
#define FX_KIND BW_KIND_AI
#define FX_ID "ai.kitfx"
#endif

static const struct bw_config_field fx_config[] = {
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_SECRET,
      .flags = BW_CFG_F_REQUIRED, .key = "signing_secret",
      .description = "webhook signing secret, env:NAME or file:PATH" },
};

static const struct bw_plugin_descriptor fx_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof fx_descriptor,
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1,
    .kind = FX_KIND,
    .id = FX_ID,
    .version = "1.0.0",
    .description = "conformance kit fixture",
    .config = fx_config,
    .n_config = 1,
    .instance_open = fx_open,
    .instance_close = fx_close,
    .ops = &fx_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t major,
                                                                       uint32_t minor)
{
    (void)minor;
    return major == BW_ABI_MAJOR ? &fx_descriptor : NULL;
}
