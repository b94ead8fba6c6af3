/*
 * Payment plugins: hosted payment links for deposits (Square, Stripe, ...),
 * the provider's webhooks about them, refunds. Card data never reaches the
 * host: the patient pays on the provider's page, and the host learns the
 * outcome from normalized events.
 *
 * Every op: instance is the plugin's own; call, inputs and outputs are
 * borrowed from the host for the call; results are appended to host-owned
 * buffers; a failure returns a BW_E_* code with err filled. Writes carry an
 * idempotency key (NUL-terminated, at most 64 bytes, borrowed) that the
 * plugin passes to the provider. Ops run on worker threads, concurrently,
 * within the call's deadline.
 */
#ifndef BOOKWELL_PAYMENT_H
#define BOOKWELL_PAYMENT_H

#include <bookwell/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Payload schemas (UTF-8 JSON; amounts in minor units of an ISO 4217
 * currency; docs/ABI.md shows full examples):
 *  link_request/1: {"amount_minor","currency","reference":host deposit id,
 *                   "description","expires_at":RFC 3339,"redirect_url"?}
 *  link/1:         {"id":provider link id,"url","expires_at"}
 *  events/1:       {"events":[{"id":provider event id,"type":"paid"|"failed"|
 *                   "refunded"|"expired"|"cancelled","link_id","reference",
 *                   "payment_id","amount_minor","currency","at"}]}
 *  refund_request/1: {"payment_id","amount_minor","currency","reason"?}
 *  refund/1:       {"id","status":"pending"|"completed"}
 *  link_cancel/1:  {"link_id"}
 */
#define BW_SCHEMA_PAYMENT_LINK_REQUEST   "bookwell.payment.link_request/1"
#define BW_SCHEMA_PAYMENT_LINK           "bookwell.payment.link/1"
#define BW_SCHEMA_PAYMENT_EVENTS         "bookwell.payment.events/1"
#define BW_SCHEMA_PAYMENT_REFUND_REQUEST "bookwell.payment.refund_request/1"
#define BW_SCHEMA_PAYMENT_REFUND         "bookwell.payment.refund/1"
#define BW_SCHEMA_PAYMENT_LINK_CANCEL    "bookwell.payment.link_cancel/1"

/* The ops of a payment plugin. Static const in the plugin. Mandatory in
 * 1.0: link_create and webhook. */
struct bw_payment_ops {
    uint32_t struct_size;      /* sizeof(struct bw_payment_ops) */
    uint32_t _reserved;

    /* req: link_request/1. Appends link/1. */
    int (*link_create)(void *instance, struct bw_call *call, const struct bw_json *req,
                       const char *idempotency_key, struct bw_buf *out,
                       struct bw_error *err);
    /* Verifies the signature (BW_E_AUTH when it does not verify), appends
     * events/1, and sets the reply the provider receives. */
    int (*webhook)(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                   struct bw_webhook_reply *reply, struct bw_buf *events,
                   struct bw_error *err);
    /* req: refund_request/1. Appends refund/1. NULL: not supported. */
    int (*refund)(void *instance, struct bw_call *call, const struct bw_json *req,
                  const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    /* req: link_cancel/1; cancelling a cancelled or expired link succeeds.
     * NULL: links only expire. */
    int (*link_cancel)(void *instance, struct bw_call *call, const struct bw_json *req,
                       struct bw_error *err);

    /* ---- since 1.1 ---- */

    /* Optional. As the channel op: appends route_keys/1 (channel.h), the
     * merchant or account ids whose webhooks this instance receives. */
    int (*route_keys)(void *instance, struct bw_call *call, struct bw_buf *out,
                      struct bw_error *err);
    /* Optional. As the channel op: reads a webhook's route_key/1 (for
     * Square, the event's merchant_id) before any instance is chosen. */
    int (*webhook_route)(struct bw_call *call, const struct bw_webhook_request *req,
                         struct bw_buf *out, struct bw_error *err);
};

#ifdef __cplusplus
}
#endif

#endif
