/*
 * channel.instagram: Instagram direct messages through Meta's Instagram
 * Messaging API (Graph API). Shared declarations of the plugin's files:
 * the instance (configuration read once at instance_open), the webhook
 * side (verification handshake, X-Hub-Signature-256, entry[].messaging[]
 * into events/1, the 24-hour window's last inbound time per user in kv),
 * and the send side (Send API, messaging window, Graph error mapping).
 */
#ifndef BW_PLUGIN_INSTAGRAM_H
#define BW_PLUGIN_INSTAGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include <bookwell/channel.h>
#include <bookwell-sdk/sdk.h>

#define IG_MAX_ACCOUNTS 16
#define IG_URL_MAX 2048

/* Meta's messaging windows: automated replies within 24 hours of the
 * user's last message; a human agent (HUMAN_AGENT tag) within 7 days. */
#define IG_WINDOW_AUTOMATED_US (24LL * 3600 * 1000000)
#define IG_WINDOW_HUMAN_US (7LL * 24 * 3600 * 1000000)

/* One per tenant binding. Strings point into host-owned configuration,
 * valid until instance_close. */
struct ig_instance {
    const struct bw_host *host;
    struct bw_str app_secret;
    struct bw_str verify_token;
    struct bw_str access_token;
    struct bw_str graph_version;   /* "v21.0" */
    struct bw_str base_url;        /* "https://graph.instagram.com" */
    struct bw_str accounts[IG_MAX_ACCOUNTS];
    uint32_t n_accounts;
};

/* The services table given to init (webhook_route has no instance). */
extern const struct bw_host *ig_host;

/* True when id (len bytes) is one of the instance's accounts. */
bool ig_account_known(const struct ig_instance *in, const char *id, size_t len);

/* The kv key of a user's last inbound message time: "last_in/<account>/<user>".
 * BW_E_INVAL when it does not fit or the ids are not printable. */
int ig_last_in_key(const char *account, const char *user, char *out, size_t cap);

/* Reads the last inbound time (business microseconds) of a user; *found 0
 * when none is recorded. raw (raw_cap bytes, may be NULL) gets the stored
 * text, for a compare-and-set. Stored as "seconds.micros". */
int ig_last_in_get(const struct ig_instance *in, struct bw_call *call, const char *account,
                   const char *user, int64_t *at_us, bool *found, char *raw, size_t raw_cap);

/* ---- webhook.c ---- */
int ig_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
               struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err);
int ig_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                     struct bw_buf *out, struct bw_error *err);

/* ---- send.c ---- */
int ig_send(void *instance, struct bw_call *call, const struct bw_json *msg, struct bw_buf *out,
            struct bw_error *err);

/*
 * Maps a Graph API error answer (status and body
 * {"error":{"message","type","code","error_subcode","fbtrace_id"}}) to a
 * BW_E_* code with err filled: codes 4, 17, 32, 613 (rate limits) and 5xx
 * BW_E_RETRY; 190 (token) BW_E_AUTH; 10, 200-299 (permissions), 551 (user
 * unavailable) and the rest BW_E_REMOTE. Exposed for tests through the op.
 */
int ig_graph_error(const struct bw_http_response *resp, struct bw_error *err);

#endif
