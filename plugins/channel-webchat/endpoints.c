/*
 * channel.webchat's endpoints under /webhooks/webchat/{endpoint}?key=WIDGET:
 *   GET  widget.js  the widget script (application/javascript)
 *   POST session    a visitor token ({"token"} in the body renews a valid one)
 *   POST messages   a visitor message (Authorization: Bearer TOKEN) into one
 *                   events/1 message; rate-limited per visitor and per IP;
 *                   a retried client message id is recorded once
 *   GET  events     Server-Sent Events: the visitor's stream after
 *                   Last-Event-ID (header, or lastEventId in the query), a
 *                   retry hint, then the answer ends and EventSource
 *                   reconnects where it left off
 *   OPTIONS *       CORS preflight (the host adds the CORS headers for
 *                   allowed_origins)
 * Refusals the widget must read (bad token, rate limit) are answers with a
 * status and a JSON body, never op errors, so they carry CORS headers.
 * Message text is never logged; the visitor's copy kept for the transcript
 * has card numbers masked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bookwell-sdk/card_mask.h>
#include <bookwell-sdk/datetime.h>
#include <bookwell-sdk/json.h>
#include <bookwell-sdk/sdk.h>

#include "webchat.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int wc_query_arg(const char *url, const char *name, char *out, size_t cap)
{
    const char *q = url ? strchr(url, '?') : NULL;
    size_t nlen = strlen(name);
    while (q && *q) {
        q++;
        const char *end = strchr(q, '&');
        size_t seg = end ? (size_t)(end - q) : strlen(q);
        if (seg > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            size_t o = 0;
            for (size_t i = nlen + 1; i < seg; i++) {
                char c = q[i];
                if (c == '%' && i + 2 < seg + 1 && hexval(q[i + 1]) >= 0 && hexval(q[i + 2]) >= 0) {
                    c = (char)(hexval(q[i + 1]) << 4 | hexval(q[i + 2]));
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (o + 1 >= cap)
                    return -1;
                out[o++] = c;
            }
            out[o] = '\0';
            return 0;
        }
        q = end;
    }
    return -1;
}

/* The endpoint: the URL path's last segment. */
static void endpoint_of(const char *url, char *out, size_t cap)
{
    const char *scheme = strstr(url, "://");
    const char *path = strchr(scheme ? scheme + 3 : url, '/');
    const char *q = strchr(url, '?');
    size_t len = path ? (q && q > path ? (size_t)(q - path) : strlen(path)) : 0;
    const char *last = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            last = path + i + 1;
    size_t n = path ? len - (size_t)(last - path) : 0;
    if (n >= cap)
        n = 0;
    memcpy(out, last ? last : "", n);
    out[n] = '\0';
}

static int reply_json(const struct wc_instance *in, struct bw_webhook_reply *reply, int status,
                      const cJSON *body)
{
    reply->status = status;
    snprintf(reply->content_type, sizeof reply->content_type, "application/json");
    return bwsdk_json_emit(in->host, reply->body, body);
}

static int reply_refusal(const struct wc_instance *in, struct bw_webhook_reply *reply,
                         int status, const char *code)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    int rc = reply_json(in, reply, status, o);
    cJSON_Delete(o);
    return rc;
}

static const struct bw_http_header *header(const struct bw_webhook_request *req,
                                           const char *name)
{
    return bwsdk_http_header(req->headers, req->n_headers, name);
}

/* The visitor of the request's token (Authorization: Bearer, else the
 * token query argument). Returns WC_TOKEN_*. */
static int request_visitor(const struct wc_instance *in, const struct bw_webhook_request *req,
                           char *visitor)
{
    char tok[WC_TOKEN_MAX];
    const struct bw_http_header *a = header(req, "Authorization");
    if (a && a->value.len > 7 && strncasecmp(a->value.ptr, "Bearer ", 7) == 0 &&
        a->value.len - 7 < sizeof tok) {
        memcpy(tok, a->value.ptr + 7, a->value.len - 7);
        tok[a->value.len - 7] = '\0';
    } else if (wc_query_arg(req->url, "token", tok, sizeof tok) != 0) {
        return WC_TOKEN_BAD;
    }
    return wc_token_verify(in, tok, strlen(tok), in->host->now_us() / 1000000, visitor);
}

/* ------------------------------------------------------------ session */

static int do_session(const struct wc_instance *in, struct bw_call *call,
                      const struct bw_webhook_request *req, struct bw_webhook_reply *reply)
{
    char visitor[WC_VISITOR_LEN + 1] = "", token[WC_TOKEN_MAX];
    cJSON *body = NULL;
    const char *old = NULL;
    if (req->body.len && bwsdk_json_parse_bytes(req->body.ptr, req->body.len, &body) == 0 &&
        bwsdk_json_string(body, "token", &old) == 0 &&
        wc_token_verify(in, old, strlen(old), in->host->now_us() / 1000000, visitor) !=
            WC_TOKEN_OK)
        visitor[0] = '\0';
    cJSON_Delete(body);
    bool renewed = visitor[0] != '\0';
    int rc = 0;
    if (!renewed)
        rc = wc_visitor_new(in, req->remote_addr, visitor);
    int64_t expires = in->host->now_us() / 1000000 + in->token_ttl_ms / 1000;
    if (rc == 0)
        rc = wc_token_sign(in, visitor, expires, token, sizeof token);
    if (rc != 0)
        return rc;
    in->host->counter_add(call, renewed ? "sessions_renewed" : "sessions_new", 1);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "token", token);
    cJSON_AddStringToObject(o, "visitor", visitor);
    bwsdk_json_add_int(o, "expires_at", expires);
    cJSON_AddStringToObject(o, "clinic_name", in->clinic_name);
    cJSON_AddStringToObject(o, "colour", in->colour);
    cJSON_AddStringToObject(o, "consent_text", in->consent_text);
    rc = reply_json(in, reply, 200, o);
    cJSON_Delete(o);
    return rc;
}

/* ------------------------------------------------------------ messages */

static bool msg_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool e164_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The client address for the per-IP bucket: the first X-Forwarded-For
 * element as the host reports it, cut to printable ASCII. */
static void ip_of(const struct bw_webhook_request *req, char *out, size_t cap)
{
    size_t o = 0;
    const char *s = req->remote_addr ? req->remote_addr : "";
    while (*s == ' ')
        s++;
    for (; *s && *s != ',' && *s != ' ' && o + 1 < cap; s++)
        if (*s > 32 && *s < 127)
            out[o++] = *s;
    out[o] = '\0';
    if (o == 0)
        snprintf(out, cap, "unknown");
}

static int do_message(const struct wc_instance *in, struct bw_call *call,
                      const struct bw_webhook_request *req, struct bw_webhook_reply *reply,
                      struct bw_buf *events)
{
    const struct bw_host *h = in->host;
    char visitor[WC_VISITOR_LEN + 1], key[200], ip[64];
    int v = request_visitor(in, req, visitor);
    if (v != WC_TOKEN_OK) {
        h->counter_add(call, "tokens_refused", 1);
        return reply_refusal(in, reply, 401, v == WC_TOKEN_EXPIRED ? "token_expired"
                                                                    : "invalid_token");
    }
    cJSON *body = NULL;
    const char *id = NULL, *text = NULL, *phone = NULL;
    bool consent = false;
    if (bwsdk_json_parse_bytes(req->body.ptr, req->body.len, &body) != 0 ||
        bwsdk_json_string(body, "id", &id) != 0 || !msg_id_ok(id) ||
        bwsdk_json_string(body, "text", &text) != 0 || strlen(text) > WC_TEXT_MAX ||
        (bwsdk_json_string(body, "phone", &phone) == 0 && !e164_ok(phone)) ||
        (phone && (bwsdk_json_bool(body, "consent", &consent) != 0 || !consent)) ||
        (!text[0] && !phone)) {
        cJSON_Delete(body);
        return reply_refusal(in, reply, 400, "invalid_message");
    }
    /* A retry of a message already taken is answered and its event given
     * again (the host records it once), without spending the limits. */
    int rc = 0;
    int32_t seen = 0;
    struct bw_buf *tmp = h->buf_scratch(call);
    snprintf(key, sizeof key, "msg/%s/%s", visitor, id);
    if (!tmp || (rc = h->kv_get(call, key, tmp, &seen)) != 0)
        goto out;
    if (!seen) {
        bool ok_v = false, ok_ip = false;
        char bkey[200];
        ip_of(req, ip, sizeof ip);
        snprintf(bkey, sizeof bkey, "rl/v/%s", visitor);
        if ((rc = wc_bucket_take(in, call, bkey, in->visitor_burst, in->visitor_per_min,
                                 &ok_v)) != 0)
            goto out;
        snprintf(bkey, sizeof bkey, "rl/ip/%.150s", ip);
        if (ok_v && (rc = wc_bucket_take(in, call, bkey, in->ip_burst, in->ip_per_min,
                                         &ok_ip)) != 0)
            goto out;
        if (!ok_v || !ok_ip) {
            h->counter_add(call, "rate_limited", 1);
            snprintf(reply->content_type, sizeof reply->content_type, "application/json");
            rc = reply_refusal(in, reply, 429, "rate_limited");
            goto out;
        }
        int32_t stored = 0;
        if ((rc = h->kv_put_if(call, key, NULL, 0, 1, "1", 1, in->history_ttl_ms, &stored)) != 0)
            goto out;
        if (stored) {
            /* The visitor's own message in their stream: the transcript a
             * reloaded page shows. It is stored, so a card number in it is
             * masked first (the host masks its own copy of the message). */
            char *masked = strdup(text);
            char *json = NULL;
            if (masked) {
                bwsdk_mask_card_numbers(masked);
                cJSON *ev = cJSON_CreateObject();
                cJSON_AddStringToObject(ev, "from", "visitor");
                cJSON_AddStringToObject(ev, "id", id);
                cJSON_AddStringToObject(ev, "text", masked);
                json = cJSON_PrintUnformatted(ev);
                cJSON_Delete(ev);
                free(masked);
            }
            int64_t seq;
            rc = json ? wc_stream_append(in, call, visitor, json, &seq) : BW_E_NOMEM;
            free(json);
            if (rc != 0)
                goto out;
        }
    }
    char evid[128], at[40];
    snprintf(evid, sizeof evid, "%s/%s", visitor, id);
    int64_t now = h->now_us();
    if (bwsdk_time_format(now, 0, at, sizeof at) != 0)
        at[0] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "events");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(list, e);
    cJSON_AddStringToObject(e, "id", evid);
    cJSON_AddStringToObject(e, "type", "message");
    cJSON_AddStringToObject(e, "channel", "webchat");
    cJSON_AddStringToObject(e, "from", visitor);
    cJSON_AddStringToObject(e, "to", in->widget_key);
    if (at[0])
        cJSON_AddStringToObject(e, "at", at);
    cJSON_AddStringToObject(e, "text", text);
    if (phone) {
        /* Consent to continue by SMS, with the wording the widget showed. */
        cJSON *c = cJSON_AddObjectToObject(e, "consent");
        cJSON_AddStringToObject(c, "kind", "web_form");
        cJSON_AddStringToObject(c, "phone", phone);
        cJSON_AddStringToObject(c, "text", in->consent_text);
        cJSON_AddStringToObject(c, "channel", "sms");
    }
    rc = bwsdk_json_emit(h, events, o);
    cJSON_Delete(o);
    if (rc == 0) {
        h->counter_add(call, seen ? "messages_retried" : "messages", 1);
        cJSON *ok = cJSON_CreateObject();
        cJSON_AddBoolToObject(ok, "ok", 1);
        cJSON_AddBoolToObject(ok, "duplicate", seen ? 1 : 0);
        rc = reply_json(in, reply, 202, ok);
        cJSON_Delete(ok);
    }
out:
    cJSON_Delete(body);
    return rc;
}

/* ------------------------------------------------------------ events */

static int do_events(const struct wc_instance *in, struct bw_call *call,
                     const struct bw_webhook_request *req, struct bw_webhook_reply *reply)
{
    char visitor[WC_VISITOR_LEN + 1], last[32] = "", line[48];
    int v = request_visitor(in, req, visitor);
    if (v != WC_TOKEN_OK)
        return reply_refusal(in, reply, 401, v == WC_TOKEN_EXPIRED ? "token_expired"
                                                                    : "invalid_token");
    const struct bw_http_header *hd = header(req, "Last-Event-ID");
    if (hd && hd->value.len < sizeof last) {
        memcpy(last, hd->value.ptr, hd->value.len);
        last[hd->value.len] = '\0';
    } else if (wc_query_arg(req->url, "lastEventId", last, sizeof last) != 0) {
        last[0] = '\0';
    }
    int64_t after = 0;
    for (const char *p = last; *p >= '0' && *p <= '9' && after < INT64_MAX / 10 - 10; p++)
        after = after * 10 + (*p - '0');
    reply->status = 200;
    snprintf(reply->content_type, sizeof reply->content_type, "text/event-stream");
    int n = snprintf(line, sizeof line, "retry: %" PRId64 "\n\n", in->retry_ms);
    int rc = in->host->buf_append(reply->body, line, (uint64_t)n);
    return rc ? rc : wc_stream_write_sse(in, call, visitor, after, reply->body);
}

/* ------------------------------------------------------------ dispatch */

int wc_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
               struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err)
{
    struct wc_instance *in = instance;
    char ep[48];
    endpoint_of(req->url, ep, sizeof ep);
    const char *m = req->method;
    int rc;
    if (strcmp(m, "OPTIONS") == 0) {
        reply->status = 204;
        return 0;
    }
    if (strcmp(m, "GET") == 0 && strcmp(ep, "widget.js") == 0) {
        snprintf(reply->content_type, sizeof reply->content_type, "application/javascript");
        rc = in->host->buf_append(reply->body, webchat_widget_js, webchat_widget_js_len);
    } else if (strcmp(m, "POST") == 0 && strcmp(ep, "session") == 0) {
        rc = do_session(in, call, req, reply);
    } else if (strcmp(m, "POST") == 0 && strcmp(ep, "messages") == 0) {
        rc = do_message(in, call, req, reply, events);
    } else if (strcmp(m, "GET") == 0 && strcmp(ep, "events") == 0) {
        rc = do_events(in, call, req, reply);
    } else {
        rc = reply_refusal(in, reply, 404, "unknown_endpoint");
    }
    if (rc != 0)
        return bwsdk_error(err, rc == BW_E_NOMEM ? BW_E_NOMEM : BW_E_RETRY, NULL,
                           "web chat request failed");
    return 0;
}
