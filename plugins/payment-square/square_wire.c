/*
 * payment.square's wire format (square_wire.h): JSON bodies to and from
 * Square, error mapping, the webhook signature and notification parsing.
 * No I/O here, so the unit tests check it with vectors.
 */
#include "square_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sq_status_error(const struct bw_http_response *resp, const cJSON *body,
                    struct bw_error *err)
{
    int code = bwsdk_http_status_error(resp, err);
    if (code == 0)
        return 0;
    const char *category = bwsdk_json_string_or(body, "errors.0.category", "");
    const char *sqcode = bwsdk_json_string_or(body, "errors.0.code", "");
    if (resp->status == 400 && strcmp(category, "INVALID_REQUEST_ERROR") == 0)
        code = BW_E_INVAL;
    else if (resp->status == 404 || resp->status == 410)
        code = BW_E_REMOTE;
    /* detail is Square's sentence about the request; it never holds card data
     * (we send none) but may echo values, so only category and code are kept. */
    return bwsdk_error(err, code, sqcode[0] ? sqcode : NULL, "Square answered HTTP %d%s%s",
                       (int)resp->status, category[0] ? " " : "", category);
}

static int money(cJSON *parent, const char *key, int64_t amount, const char *currency)
{
    cJSON *m = cJSON_AddObjectToObject(parent, key);
    if (!m || bwsdk_json_add_int(m, "amount", amount) != 0 ||
        !cJSON_AddStringToObject(m, "currency", currency))
        return BW_E_NOMEM;
    return 0;
}

static int amount_of(const cJSON *rq, int64_t *amount, const char **currency)
{
    if (bwsdk_json_int(rq, "amount_minor", amount) != 0 || *amount <= 0 ||
        bwsdk_json_string(rq, "currency", currency) != 0 ||
        bwsdk_money_exponent(*currency) < 0)
        return BW_E_INVAL;
    return 0;
}

int sq_link_body(const cJSON *rq, const char *item_name, const char *location_id,
                 const char *idempotency_key, cJSON **out, struct bw_error *err)
{
    int64_t amount;
    const char *currency, *reference;
    cJSON *b = NULL, *qp, *co;
    *out = NULL;
    if (amount_of(rq, &amount, &currency) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "amount_minor and currency required");
    if (bwsdk_json_string(rq, "reference", &reference) != 0 || !reference[0] ||
        strlen(reference) > 64)
        return bwsdk_error(err, BW_E_INVAL, NULL, "reference required (at most 64 bytes)");
    const char *redirect = bwsdk_json_string_or(rq, "redirect_url", NULL);
    const char *phone = bwsdk_json_string_or(rq, "phone", NULL);
    char note[128];
    snprintf(note, sizeof note, "Deposit %s", reference);
    if (!(b = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(b, "idempotency_key", idempotency_key) ||
        !cJSON_AddStringToObject(b, "description", reference) ||
        !(qp = cJSON_AddObjectToObject(b, "quick_pay")) ||
        !cJSON_AddStringToObject(qp, "name", item_name) ||
        money(qp, "price_money", amount, currency) != 0 ||
        !cJSON_AddStringToObject(qp, "location_id", location_id) ||
        !(co = cJSON_AddObjectToObject(b, "checkout_options")) ||
        !cJSON_AddBoolToObject(co, "allow_tipping", 0) ||
        (redirect && redirect[0] && !cJSON_AddStringToObject(co, "redirect_url", redirect)) ||
        !cJSON_AddStringToObject(b, "payment_note", note))
        goto nomem;
    if (phone && phone[0]) {
        cJSON *pp = cJSON_AddObjectToObject(b, "pre_populated_data");
        if (!pp || !cJSON_AddStringToObject(pp, "buyer_phone_number", phone))
            goto nomem;
    }
    *out = b;
    return 0;
nomem:
    cJSON_Delete(b);
    return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
}

int sq_link_parse(const cJSON *resp, struct sq_link *out, struct bw_error *err)
{
    const char *id, *url, *order;
    if (bwsdk_json_string(resp, "payment_link.id", &id) != 0 || !sq_id_valid(id) ||
        bwsdk_json_string(resp, "payment_link.url", &url) != 0 ||
        bwsdk_json_string(resp, "payment_link.order_id", &order) != 0 || !sq_id_valid(order))
        return bwsdk_error(err, BW_E_REMOTE, NULL, "payment link answer without id, url or "
                                                   "order_id");
    if (bwsdk_strlcpy(out->id, sizeof out->id, id, strlen(id)) != 0 ||
        bwsdk_strlcpy(out->url, sizeof out->url, url, strlen(url)) != 0 ||
        bwsdk_strlcpy(out->order_id, sizeof out->order_id, order, strlen(order)) != 0)
        return bwsdk_error(err, BW_E_REMOTE, NULL, "payment link identifiers too long");
    return 0;
}

int sq_refund_body(const cJSON *rq, const char *idempotency_key, cJSON **out,
                   struct bw_error *err)
{
    int64_t amount;
    const char *currency, *payment;
    cJSON *b = NULL;
    *out = NULL;
    if (amount_of(rq, &amount, &currency) != 0 ||
        bwsdk_json_string(rq, "payment_id", &payment) != 0 || !sq_id_valid(payment))
        return bwsdk_error(err, BW_E_INVAL, NULL, "payment_id, amount_minor, currency required");
    const char *reason = bwsdk_json_string_or(rq, "reason", NULL);
    if (!(b = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(b, "idempotency_key", idempotency_key) ||
        !cJSON_AddStringToObject(b, "payment_id", payment) ||
        money(b, "amount_money", amount, currency) != 0 ||
        (reason && reason[0] && !cJSON_AddStringToObject(b, "reason", reason))) {
        cJSON_Delete(b);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    *out = b;
    return 0;
}

const char *sq_refund_status(const char *status)
{
    if (strcmp(status, "PENDING") == 0)
        return "pending";
    if (strcmp(status, "COMPLETED") == 0)
        return "completed";
    return NULL;
}

int sq_id_valid(const char *id)
{
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return n >= 1 && n <= 100;
}

int sq_signature_check(const struct bw_host *h, const char *key, uint64_t key_len,
                       const char *url, const uint8_t *body, uint64_t body_len,
                       const char *sig, uint64_t siglen)
{
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t mac_len = 0;
    char expect[64];
    uint64_t expect_len = 0;
    size_t ul = strlen(url);
    int rc = BW_E_AUTH;
    if (!sig || siglen == 0 || siglen > 128)
        return BW_E_AUTH;
    uint8_t *msg = malloc(ul + body_len + 1);
    if (!msg)
        return BW_E_NOMEM;
    memcpy(msg, url, ul);
    if (body_len)
        memcpy(msg + ul, body, body_len);
    if (h->hmac(BW_HASH_SHA256, key, key_len, msg, ul + body_len, mac, sizeof mac, &mac_len) ==
            0 &&
        h->base64_encode(0, mac, mac_len, expect, sizeof expect, &expect_len) == 0 &&
        expect_len == siglen && h->ct_equal(expect, sig, siglen))
        rc = 0;
    free(msg);
    return rc;
}

/* Square's RFC 3339 time, as given (already UTC with Z). */
static const char *time_of(const cJSON *root, const char *obj)
{
    char path[64];
    snprintf(path, sizeof path, "data.object.%s.updated_at", obj);
    const char *t = bwsdk_json_string_or(root, path, NULL);
    if (!t) {
        snprintf(path, sizeof path, "data.object.%s.created_at", obj);
        t = bwsdk_json_string_or(root, path, NULL);
    }
    return t ? t : bwsdk_json_string_or(root, "created_at", "");
}

static int add_event(cJSON *list, const cJSON *root, const char *obj, const char *type,
                     sq_order_lookup_fn lookup, void *ctx)
{
    char path[64], link_id[128] = "", reference[128] = "";
    const cJSON *o;
    const char *event_id, *payment_id, *order_id, *currency;
    int64_t amount;
    snprintf(path, sizeof path, "data.object.%s", obj);
    o = bwsdk_json_path(root, path);
    if (bwsdk_json_string(root, "event_id", &event_id) != 0 || !o)
        return BW_E_INVAL;
    payment_id = bwsdk_json_string_or(o, strcmp(obj, "payment") == 0 ? "id" : "payment_id", "");
    order_id = bwsdk_json_string_or(o, "order_id", "");
    if (bwsdk_json_int(o, "amount_money.amount", &amount) != 0 ||
        bwsdk_json_string(o, "amount_money.currency", &currency) != 0)
        return BW_E_INVAL;
    if (order_id[0] && lookup)
        lookup(ctx, order_id, link_id, sizeof link_id, reference, sizeof reference);
    if (!reference[0]) {
        /* link_create wrote "Deposit <reference>" as the payment's note. */
        const char *note = bwsdk_json_string_or(o, "note", "");
        if (strncmp(note, "Deposit ", 8) == 0)
            snprintf(reference, sizeof reference, "%s", note + 8);
    }
    cJSON *e = cJSON_CreateObject();
    if (!e)
        return BW_E_NOMEM;
    cJSON_AddItemToArray(list, e);
    if (!cJSON_AddStringToObject(e, "id", event_id) ||
        !cJSON_AddStringToObject(e, "type", type) ||
        !cJSON_AddStringToObject(e, "link_id", link_id) ||
        !cJSON_AddStringToObject(e, "reference", reference) ||
        !cJSON_AddStringToObject(e, "payment_id", payment_id) ||
        !cJSON_AddStringToObject(e, "order_id", order_id) ||
        bwsdk_json_add_int(e, "amount_minor", amount) != 0 ||
        !cJSON_AddStringToObject(e, "currency", currency) ||
        !cJSON_AddStringToObject(e, "at", time_of(root, obj)))
        return BW_E_NOMEM;
    return 0;
}

int sq_events_parse(const uint8_t *body, uint64_t len, sq_order_lookup_fn lookup, void *ctx,
                    cJSON **out, struct bw_error *err)
{
    cJSON *root = NULL, *doc = NULL, *list;
    const char *type, *status;
    int rc;
    *out = NULL;
    if (bwsdk_json_parse_bytes(body, (size_t)len, &root) != 0 || !cJSON_IsObject(root) ||
        bwsdk_json_string(root, "type", &type) != 0 ||
        bwsdk_json_string(root, "event_id", &status) != 0) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "not a Square notification");
        goto out;
    }
    if (!(doc = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(doc, "events"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    rc = 0;
    if (strcmp(type, "payment.created") == 0 || strcmp(type, "payment.updated") == 0) {
        if (bwsdk_json_string(root, "data.object.payment.status", &status) != 0)
            rc = BW_E_INVAL;
        else if (strcmp(status, "COMPLETED") == 0)
            rc = add_event(list, root, "payment", "paid", lookup, ctx);
        else if (strcmp(status, "FAILED") == 0 || strcmp(status, "CANCELED") == 0)
            rc = add_event(list, root, "payment", "failed", lookup, ctx);
    } else if (strcmp(type, "refund.created") == 0 || strcmp(type, "refund.updated") == 0) {
        if (bwsdk_json_string(root, "data.object.refund.status", &status) != 0)
            rc = BW_E_INVAL;
        else if (strcmp(status, "COMPLETED") == 0)
            rc = add_event(list, root, "refund", "refunded", lookup, ctx);
    }
    if (rc != 0) {
        rc = bwsdk_error(err, rc, NULL, "malformed %s notification", type);
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    cJSON_Delete(root);
    cJSON_Delete(doc);
    return rc;
}

int sq_merchant_of(const uint8_t *body, uint64_t len, char *out, size_t cap)
{
    cJSON *root = NULL;
    const char *m;
    int rc = BW_E_INVAL;
    if (bwsdk_json_parse_bytes(body, (size_t)len, &root) == 0 &&
        bwsdk_json_string(root, "merchant_id", &m) == 0 && sq_id_valid(m) &&
        bwsdk_strlcpy(out, cap, m, strlen(m)) == 0)
        rc = 0;
    cJSON_Delete(root);
    return rc;
}
