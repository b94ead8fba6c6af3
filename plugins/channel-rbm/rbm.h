/*
 * channel.rbm: Google RCS Business Messaging (RBM), the product's Google
 * channel since Google Business Messages shut down (31 July 2024). Shared
 * declarations of the plugin's files: the instance, the webhook side
 * (webhook-setup handshake, X-Goog-Signature over the Pub/Sub-style
 * envelope's decoded message.data, user messages and events into
 * events/1), the send side (agentMessages with an OAuth2 bearer token),
 * and HMAC-SHA512.
 */
#ifndef BW_PLUGIN_RBM_H
#define BW_PLUGIN_RBM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/channel.h>
#include <bookwell-sdk/sdk.h>

#define RBM_SHA512_LEN 64
#define RBM_URL_MAX 2048

/* One per tenant binding. Strings point into host-owned configuration,
 * valid until instance_close. */
struct rbm_instance {
    const struct bw_host *host;
    struct bw_str client_token;    /* webhook signing key */
    struct bw_str agent_id;        /* "glow-spa@rbm.goog": the route key */
    struct bw_str access_token;    /* len 0: fetched from token_url */
    struct bw_str token_url;       /* len 0: access_token is used */
    struct bw_str base_url;        /* "https://rcsbusinessmessaging.googleapis.com" */
};

/* The services table given to init (webhook_route has no instance). */
extern const struct bw_host *rbm_host;

/* HMAC-SHA512 of msg under key (sha512.c). */
void rbm_hmac_sha512(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     uint8_t out[RBM_SHA512_LEN]);

/*
 * Decodes the envelope's message.data (standard base64) of a webhook body:
 * *data gets the malloc'd user event (NUL-terminated), *len its length.
 * BW_E_INVAL when the body is not such an envelope.
 */
int rbm_envelope_data(const struct bw_host *host, const struct bw_bytes *body, uint8_t **data,
                      size_t *len);

/* ---- webhook.c ---- */
int rbm_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err);
int rbm_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                      struct bw_buf *out, struct bw_error *err);

/* ---- send.c ---- */
int rbm_send(void *instance, struct bw_call *call, const struct bw_json *msg, struct bw_buf *out,
             struct bw_error *err);

#endif
