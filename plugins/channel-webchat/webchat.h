/*
 * channel.webchat internals shared by its files: the instance (settings
 * read at open), visitor tokens (token.c), the per-visitor event stream and
 * the token buckets kept in the host's key-value store (stream.c), the
 * webhook endpoints (endpoints.c), and the widget script embedded at build
 * time from widget.js (widget_js.c, generated).
 */
#ifndef BW_PLUGIN_WEBCHAT_H
#define BW_PLUGIN_WEBCHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/channel.h>

#define WC_KEY_MAX 128
#define WC_SECRET_MAX 256
#define WC_VISITOR_LEN 25     /* "v" and 24 hex digits */
#define WC_TOKEN_MAX 160
#define WC_TEXT_MAX 2000      /* bytes of one visitor message */
#define WC_STREAM_BATCH 100   /* events per event-stream answer */

struct wc_instance {
    const struct bw_host *host;
    char widget_key[WC_KEY_MAX];
    char secret[WC_SECRET_MAX];
    size_t secret_len;
    char clinic_name[128];
    char colour[16];
    char consent_text[1024];
    int64_t token_ttl_ms;
    int64_t retry_ms;         /* the event stream's reconnection hint */
    int64_t history_ttl_ms;   /* how long stream events are kept */
    int64_t visitor_burst, visitor_per_min;
    int64_t ip_burst, ip_per_min;
};

/* ---- token.c ---- */

/* A new visitor id ("v" + 24 hex digits) into out[WC_VISITOR_LEN + 1]. */
int wc_visitor_new(const struct wc_instance *in, const char *salt, char *out);

/* Signs "v1.<visitor>.<expires, unix seconds>" into out. */
int wc_token_sign(const struct wc_instance *in, const char *visitor, int64_t expires_s,
                  char *out, size_t cap);

#define WC_TOKEN_OK 0
#define WC_TOKEN_BAD 1        /* malformed or forged */
#define WC_TOKEN_EXPIRED 2

/* Checks a token against now_s; fills visitor on WC_TOKEN_OK. */
int wc_token_verify(const struct wc_instance *in, const char *token, size_t len, int64_t now_s,
                    char *visitor);

/* ---- stream.c ---- */

/* Appends an event (JSON object text) to the visitor's stream; *seq gets
 * its id (1, 2, ...). */
int wc_stream_append(const struct wc_instance *in, struct bw_call *call, const char *visitor,
                     const char *json, int64_t *seq);

/* Writes the visitor's events after `after` as Server-Sent Events to out. */
int wc_stream_write_sse(const struct wc_instance *in, struct bw_call *call, const char *visitor,
                        int64_t after, struct bw_buf *out);

/* Takes one token from the bucket `key` (burst, per_min refill). *ok is
 * false when the bucket is empty. */
int wc_bucket_take(const struct wc_instance *in, struct bw_call *call, const char *key,
                   int64_t burst, int64_t per_min, bool *ok);

/* ---- endpoints.c ---- */

int wc_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
               struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err);

/* The query argument name of url, URL-decoded into out; 0 or -1 when absent. */
int wc_query_arg(const char *url, const char *name, char *out, size_t cap);

/* ---- widget_js.c (generated from widget.js) ---- */

extern const unsigned char webchat_widget_js[];
extern const unsigned long webchat_widget_js_len;

#endif
