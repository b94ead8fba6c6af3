/*
 * payment.square: deposits through Square's hosted checkout. link_create makes
 * a quick pay payment link (POST /v2/online-checkout/payment-links) whose item
 * is always "Appointment deposit" (never a treatment name: that would put
 * health information on a receipt), remembers which link and host deposit
 * the link's order belongs to, and returns the checkout URL; link_cancel
 * deletes the link; refund refunds a payment (POST /v2/refunds). webhook
 * checks x-square-hmacsha256-signature (base64 HMAC-SHA256 of the
 * notification URL followed by the raw body, under the subscription's
 * signature key, compared in constant time) and turns payment and refund
 * notifications into payment events/1; webhook_route reads the event's
 * merchant_id so one public URL serves every tenant. The patient pays on
 * Square's page: no card data ever passes through here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/sdk.h>
#include <bookwell/abi_layout.h>
#include <bookwell/channel.h>
#include <bookwell/payment.h>

#include "square_wire.h"

#define SQ_ID "payment.square"
#define SQ_VERSION "1.0.0"
#define SQ_SIG_HEADER "x-square-hmacsha256-signature"
/* How long the order -> deposit mapping is kept: well past any link's life. */
#define SQ_ORDER_TTL_MS (180LL * 24 * 3600 * 1000)

/* The services table, for webhook_route, the one op that runs without an
 * instance. Set by init on the control thread before any op runs. */
static const struct bw_host *sq_host;

struct sq_instance {
    const struct bw_host *host;
    char base_url[256];
    char version[32];
    char location_id[128];
    char merchant_id[128];
    char item_name[128];
    char notification_url[512]; /* empty: the URL the request came to */
};

static const struct bw_config_field sq_config[] = {
    { sizeof(struct bw_config_field), BW_CFG_SECRET, BW_CFG_F_REQUIRED, 0, "access_token", NULL,
      "Square access token (Bearer), as env:NAME or file:PATH", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_SECRET, BW_CFG_F_REQUIRED, 0, "signature_key",
      NULL, "signature key of the webhook subscription", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, BW_CFG_F_REQUIRED, 0, "location_id", NULL,
      "the Square location that takes the deposits", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, BW_CFG_F_REQUIRED, 0, "merchant_id", NULL,
      "the Square merchant id (routes webhooks to this tenant)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "api_base",
      "https://connect.squareup.com",
      "Square API origin (https://connect.squareupsandbox.com for the sandbox)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "square_version", "2024-06-04",
      "Square-Version header", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "item_name", "Appointment deposit",
      "the item name on the checkout page and receipt", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "notification_url", NULL,
      "the webhook subscription's notification URL, when it differs from the URL the host "
      "sees", 0, 0 },
};

static int copy_config(const struct bw_host *h, struct bw_call *call, const char *key,
                       char *dst, size_t cap, int optional)
{
    struct bw_str s;
    int rc = h->config_string(call, key, &s);
    if (rc == BW_E_CONFIG && optional) {
        dst[0] = 0;
        return 0;
    }
    if (rc != 0 || s.len == 0)
        return BW_E_CONFIG;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : BW_E_CONFIG;
}

static int sq_open(const struct bw_host *host, void *state, struct bw_call *call,
                   void **instance, struct bw_error *err)
{
    (void)state;
    struct sq_instance *in = calloc(1, sizeof *in);
    struct bw_str s;
    if (!in)
        return BW_E_NOMEM;
    in->host = host;
    if (copy_config(host, call, "api_base", in->base_url, sizeof in->base_url, 0) ||
        copy_config(host, call, "square_version", in->version, sizeof in->version, 0) ||
        copy_config(host, call, "location_id", in->location_id, sizeof in->location_id, 0) ||
        copy_config(host, call, "merchant_id", in->merchant_id, sizeof in->merchant_id, 0) ||
        copy_config(host, call, "item_name", in->item_name, sizeof in->item_name, 0) ||
        copy_config(host, call, "notification_url", in->notification_url,
                    sizeof in->notification_url, 1))
        goto config;
    if (strncmp(in->base_url, "https://", 8) != 0 && strncmp(in->base_url, "http://", 7) != 0)
        goto config;
    size_t bl = strlen(in->base_url);
    if (bl > 0 && in->base_url[bl - 1] == '/')
        in->base_url[bl - 1] = 0;
    if (host->secret(call, "access_token", &s) != 0 || s.len == 0 ||
        host->secret(call, "signature_key", &s) != 0 || s.len == 0)
        goto config;
    *instance = in;
    return 0;
config:
    free(in);
    return bwsdk_error(err, BW_E_CONFIG, NULL,
                       "access_token, signature_key, location_id and merchant_id must be set; "
                       "api_base must be an http(s) origin");
}

static void sq_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

/* ---- HTTP to Square ------------------------------------------------------ */

/* Sends method path (with body, may be NULL) to the Square API and returns
 * 0 with resp filled for a 2xx, else the mapped error. *parsed receives the
 * response JSON (caller frees; NULL for an empty body). */
static int sq_request(struct sq_instance *in, struct bw_call *call, const char *method,
                      const char *path, const cJSON *body, const char *idempotency_key,
                      cJSON **parsed, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[512], auth[1024];
    struct bw_str token;
    char *text = NULL;
    int rc;
    *parsed = NULL;
    (void)idempotency_key; /* Square takes it in the body */
    if (h->secret(call, "access_token", &token) != 0 || token.len > sizeof auth - 16)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "access_token unavailable");
    int n = snprintf(url, sizeof url, "%s%s", in->base_url, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return bwsdk_error(err, BW_E_INVAL, NULL, "request URL too long");
    n = snprintf(auth, sizeof auth, "Bearer %.*s", (int)token.len, token.ptr);
    if (n < 0 || (size_t)n >= sizeof auth)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "access_token too long");
    struct bw_http_header hdrs[] = {
        { { "Authorization", 13 }, { auth, (uint64_t)n } },
        { { "Square-Version", 14 }, { in->version, strlen(in->version) } },
        { { "Accept", 6 }, { "application/json", 16 } },
        { { "Content-Type", 12 }, { "application/json", 16 } },
    };
    if (body) {
        text = cJSON_PrintUnformatted(body);
        if (!text) {
            rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    struct bw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = hdrs,
        .n_headers = body ? 4 : 3,
        .body = { (const uint8_t *)text, text ? strlen(text) : 0 },
    };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    rc = h->http(call, &req, &resp, err);
    if (rc != 0)
        goto out;
    if (resp.body.len > 0 && bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, parsed) != 0)
        *parsed = NULL;
    rc = sq_status_error(&resp, *parsed, err);
    if (rc == 0 && !*parsed)
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Square answered %d without a JSON body",
                         resp.status);
out:
    /* The request held no card data, but an access token never outlives its use. */
    memset(auth, 0, sizeof auth);
    cJSON_free(text);
    if (rc != 0) {
        cJSON_Delete(*parsed);
        *parsed = NULL;
    }
    return rc;
}

/* ---- ops ----------------------------------------------------------------- */

static int sq_link_create(void *instance, struct bw_call *call, const struct bw_json *req,
                          const char *idempotency_key, struct bw_buf *out,
                          struct bw_error *err)
{
    struct sq_instance *in = instance;
    const struct bw_host *h = in->host;
    cJSON *rq = NULL, *body = NULL, *resp = NULL, *res = NULL;
    struct sq_link link;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_PAYMENT_LINK_REQUEST, &rq);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "link_request/1 expected");
    if (!idempotency_key || !idempotency_key[0]) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "an idempotency key is required");
        goto out;
    }
    rc = sq_link_body(rq, in->item_name, in->location_id, idempotency_key, &body, err);
    if (rc != 0)
        goto out;
    rc = sq_request(in, call, "POST", "/v2/online-checkout/payment-links", body,
                    idempotency_key, &resp, err);
    if (rc != 0)
        goto out;
    rc = sq_link_parse(resp, &link, err);
    if (rc != 0)
        goto out;
    /* The payment webhook names the order; remember whose deposit it pays. */
    char key[200], val[600];
    const char *ref = bwsdk_json_string_or(rq, "reference", "");
    int n = snprintf(key, sizeof key, "order:%s", link.order_id);
    int m = snprintf(val, sizeof val, "{\"link_id\":\"%s\",\"reference\":\"%s\"}", link.id, ref);
    if (n < 0 || (size_t)n >= sizeof key || m < 0 || (size_t)m >= sizeof val) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "link identifiers too long");
        goto out;
    }
    if (h->kv_put(call, key, val, (uint64_t)m, SQ_ORDER_TTL_MS) != 0) {
        rc = bwsdk_error(err, BW_E_RETRY, NULL, "cannot store the link's order");
        goto out;
    }
    res = cJSON_CreateObject();
    if (!res || !cJSON_AddStringToObject(res, "id", link.id) ||
        !cJSON_AddStringToObject(res, "url", link.url) ||
        !cJSON_AddStringToObject(res, "order_id", link.order_id) ||
        !cJSON_AddStringToObject(res, "expires_at",
                                 bwsdk_json_string_or(rq, "expires_at", ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    rc = bwsdk_json_emit(h, out, res);
out:
    cJSON_Delete(rq);
    cJSON_Delete(body);
    cJSON_Delete(resp);
    cJSON_Delete(res);
    return rc;
}

static int sq_link_cancel(void *instance, struct bw_call *call, const struct bw_json *req,
                          struct bw_error *err)
{
    struct sq_instance *in = instance;
    cJSON *rq = NULL, *resp = NULL;
    const char *id;
    char path[256];
    int rc = bwsdk_json_parse(req, BW_SCHEMA_PAYMENT_LINK_CANCEL, &rq);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "link_cancel/1 expected");
    if (bwsdk_json_string(rq, "link_id", &id) != 0 || !sq_id_valid(id)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "link_id missing or malformed");
        goto out;
    }
    snprintf(path, sizeof path, "/v2/online-checkout/payment-links/%s", id);
    rc = sq_request(in, call, "DELETE", path, NULL, NULL, &resp, err);
    /* Cancelling a link that is already gone succeeds. */
    if (rc != 0 && BW_HAS(err, http_status) && err->http_status == 404)
        rc = 0;
out:
    cJSON_Delete(rq);
    cJSON_Delete(resp);
    return rc;
}

static int sq_refund(void *instance, struct bw_call *call, const struct bw_json *req,
                     const char *idempotency_key, struct bw_buf *out, struct bw_error *err)
{
    struct sq_instance *in = instance;
    cJSON *rq = NULL, *body = NULL, *resp = NULL, *res = NULL;
    const char *id, *status;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_PAYMENT_REFUND_REQUEST, &rq);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "refund_request/1 expected");
    if (!idempotency_key || !idempotency_key[0]) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "an idempotency key is required");
        goto out;
    }
    rc = sq_refund_body(rq, idempotency_key, &body, err);
    if (rc != 0)
        goto out;
    rc = sq_request(in, call, "POST", "/v2/refunds", body, idempotency_key, &resp, err);
    if (rc != 0)
        goto out;
    if (bwsdk_json_string(resp, "refund.id", &id) != 0 ||
        bwsdk_json_string(resp, "refund.status", &status) != 0) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "refund answer without id or status");
        goto out;
    }
    const char *st = sq_refund_status(status);
    if (!st) {
        rc = bwsdk_error(err, BW_E_REMOTE, status, "refund %s", status);
        goto out;
    }
    res = cJSON_CreateObject();
    if (!res || !cJSON_AddStringToObject(res, "id", id) ||
        !cJSON_AddStringToObject(res, "status", st)) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    rc = bwsdk_json_emit(in->host, out, res);
out:
    cJSON_Delete(rq);
    cJSON_Delete(body);
    cJSON_Delete(resp);
    cJSON_Delete(res);
    return rc;
}

struct lookup_ctx {
    struct sq_instance *in;
    struct bw_call *call;
};

/* The link and host reference of an order, from what link_create stored. */
static void order_lookup(void *ctx, const char *order_id, char *link_id, size_t link_cap,
                         char *reference, size_t ref_cap)
{
    struct lookup_ctx *lc = ctx;
    struct bw_call *call = lc->call;
    const struct bw_host *h = lc->in->host;
    char key[200];
    int32_t found = 0;
    cJSON *doc = NULL;
    link_id[0] = reference[0] = 0;
    struct bw_buf *buf = h->buf_scratch(call);
    int n = snprintf(key, sizeof key, "order:%s", order_id);
    if (!buf || n < 0 || (size_t)n >= sizeof key || h->kv_get(call, key, buf, &found) != 0 ||
        !found)
        return;
    struct bw_bytes v;
    if (h->buf_view(buf, &v) != 0 || bwsdk_json_parse_bytes(v.ptr, v.len, &doc) != 0)
        return;
    const char *s = bwsdk_json_string_or(doc, "link_id", "");
    snprintf(link_id, link_cap, "%s", s);
    s = bwsdk_json_string_or(doc, "reference", "");
    snprintf(reference, ref_cap, "%s", s);
    cJSON_Delete(doc);
}

static int sq_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                      struct bw_webhook_reply *reply, struct bw_buf *events,
                      struct bw_error *err)
{
    struct sq_instance *in = instance;
    const struct bw_host *h = in->host;
    struct bw_str key;
    const char *url = in->notification_url[0] ? in->notification_url : req->url;
    const struct bw_http_header *sig = bwsdk_http_header(req->headers, req->n_headers,
                                                         SQ_SIG_HEADER);
    if (h->secret(call, "signature_key", &key) != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "signature_key unavailable");
    int rc = sq_signature_check(h, key.ptr, key.len, url, req->body.ptr, req->body.len,
                                sig ? sig->value.ptr : NULL, sig ? sig->value.len : 0);
    if (rc != 0)
        return bwsdk_error(err, BW_E_AUTH, NULL, "x-square-hmacsha256-signature %s",
                           sig ? "does not verify" : "missing");
    cJSON *out = NULL;
    struct lookup_ctx lc = { in, call };
    rc = sq_events_parse(req->body.ptr, req->body.len, order_lookup, &lc, &out, err);
    if (rc != 0)
        return rc;
    rc = bwsdk_json_emit(h, events, out);
    cJSON_Delete(out);
    if (rc == 0 && reply)
        reply->status = 200;
    return rc;
}

static int sq_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    (void)call;
    struct sq_instance *in = instance;
    cJSON *doc = cJSON_CreateObject(), *keys, *k;
    int rc = BW_E_NOMEM;
    if (!doc || !(keys = cJSON_AddArrayToObject(doc, "keys")))
        goto out;
    const char *vals[] = { in->merchant_id, in->location_id };
    for (int i = 0; i < 2; i++) {
        if (!(k = cJSON_CreateObject()) || !cJSON_AddItemToArray(keys, k) ||
            !cJSON_AddStringToObject(k, "type", "account") ||
            !cJSON_AddStringToObject(k, "value", vals[i]))
            goto out;
    }
    rc = bwsdk_json_emit(in->host, out, doc);
out:
    cJSON_Delete(doc);
    return rc ? bwsdk_error(err, rc, NULL, "cannot write route keys") : 0;
}

static int sq_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                            struct bw_buf *out, struct bw_error *err)
{
    (void)call;
    char merchant[128], doc[200];
    int rc = sq_merchant_of(req->body.ptr, req->body.len, merchant, sizeof merchant);
    if (rc != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "no merchant_id in the notification");
    int n = snprintf(doc, sizeof doc, "{\"type\":\"account\",\"value\":\"%s\"}", merchant);
    if (n < 0 || (size_t)n >= sizeof doc)
        return bwsdk_error(err, BW_E_INVAL, NULL, "merchant_id too long");
    if (!sq_host)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "called before init");
    return sq_host->buf_append(out, doc, (uint64_t)n);
}

static int sq_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    sq_host = host;
    *state = NULL;
    return 0;
}

static const struct bw_payment_ops sq_ops = {
    .struct_size = sizeof(struct bw_payment_ops),
    .link_create = sq_link_create,
    .webhook = sq_webhook,
    .refund = sq_refund,
    .link_cancel = sq_link_cancel,
    .route_keys = sq_route_keys,
    .webhook_route = sq_webhook_route,
};

static const struct bw_plugin_descriptor sq_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1, /* route_keys and webhook_route */
    .kind = BW_KIND_PAYMENT,
    .id = SQ_ID,
    .version = SQ_VERSION,
    .description = "Square hosted checkout links for deposits, webhooks and refunds",
    .n_config = sizeof sq_config / sizeof sq_config[0],
    .config = sq_config,
    .init = sq_init,
    .instance_open = sq_open,
    .instance_close = sq_close,
    .ops = &sq_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    if (host_major != BW_ABI_MAJOR || host_minor < 1)
        return NULL;
    return &sq_descriptor;
}
