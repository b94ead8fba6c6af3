/*
 * The Square wire format of payment.square, apart from any I/O: request
 * bodies for payment links and refunds, reading their answers, mapping
 * Square's error answers ({"errors":[{"category","code","detail"}]}) to
 * BW_E_* codes, the webhook signature check, and turning notifications into
 * payment events/1. Built into the plugin and into its unit tests.
 */
#ifndef BW_PLUGIN_SQUARE_WIRE_H
#define BW_PLUGIN_SQUARE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <bookwell-sdk/sdk.h>

/* What a created payment link is, as Square answered. */
struct sq_link {
    char id[128];
    char url[512];
    char order_id[128];
};

/* 0 for a 2xx answer; else err filled with the BW_E_* code: 401 and 403
 * BW_E_AUTH; 400 with category INVALID_REQUEST_ERROR BW_E_INVAL; 404
 * and other 4xx BW_E_REMOTE; 409 BW_E_CONFLICT; 429 and 5xx BW_E_RETRY
 * (with Retry-After); provider_code is the first error's code. body may be
 * NULL. */
int sq_status_error(const struct bw_http_response *resp, const cJSON *body,
                    struct bw_error *err);

/* The CreatePaymentLink body for a link_request/1 (rq). *out is the
 * caller's. */
int sq_link_body(const cJSON *rq, const char *item_name, const char *location_id,
                 const char *idempotency_key, cJSON **out, struct bw_error *err);
/* Reads payment_link.{id,url,order_id} from a CreatePaymentLink answer. */
int sq_link_parse(const cJSON *resp, struct sq_link *out, struct bw_error *err);

/* The RefundPayment body for a refund_request/1. */
int sq_refund_body(const cJSON *rq, const char *idempotency_key, cJSON **out,
                   struct bw_error *err);
/* "pending" or "completed" for a Square refund status, NULL for FAILED,
 * REJECTED or anything else. */
const char *sq_refund_status(const char *status);

/* A Square object id: 1..100 of [A-Za-z0-9_-]. */
int sq_id_valid(const char *id);

/* 0 when sig (siglen bytes of base64) is base64(HMAC-SHA256(key, url ||
 * body)), compared in constant time; BW_E_AUTH otherwise (also when sig is
 * NULL or empty). */
int sq_signature_check(const struct bw_host *h, const char *key, uint64_t key_len,
                       const char *url, const uint8_t *body, uint64_t body_len,
                       const char *sig, uint64_t siglen);

/* Finds the link and host reference of an order id (empty strings when
 * unknown). */
typedef void (*sq_order_lookup_fn)(void *ctx, const char *order_id, char *link_id,
                                   size_t link_cap, char *reference, size_t ref_cap);

/*
 * Parses a notification into events/1 (*out, the caller's): payment.created
 * and payment.updated with status COMPLETED become "paid", FAILED or
 * CANCELED "failed"; refund.created and refund.updated with status
 * COMPLETED become "refunded"; anything else gives no event. BW_E_INVAL
 * (nothing out) when the body is not a Square notification.
 */
int sq_events_parse(const uint8_t *body, uint64_t len, sq_order_lookup_fn lookup, void *ctx,
                    cJSON **out, struct bw_error *err);

/* The notification's merchant_id into out. 0 or BW_E_INVAL. */
int sq_merchant_of(const uint8_t *body, uint64_t len, char *out, size_t cap);

#endif
