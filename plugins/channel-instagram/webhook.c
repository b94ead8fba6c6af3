/*
 * channel.instagram webhooks. GET is Meta's subscription handshake
 * (hub.mode=subscribe, hub.verify_token compared in constant time, the
 * hub.challenge echoed; 403 otherwise). POST carries X-Hub-Signature-256,
 * "sha256=" and the lowercase hex HMAC-SHA256 of the raw body under the app
 * secret, checked before the body is parsed; then entry[].messaging[]
 * becomes events/1: messages (text, attachment URLs, quick-reply and
 * postback payloads), deletions and reads as status events; echoes of the
 * account's own messages and reactions are ignored. Each inbound message
 * moves the user's last inbound time forward (the messaging windows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instagram.h"

#define SIG_PREFIX "sha256="
#define CHALLENGE_MAX 256

/* ---- signature ---------------------------------------------------------- */

static int verify_signature(const struct ig_instance *in, const struct bw_webhook_request *req)
{
    const struct bw_http_header *h =
        bwsdk_http_header(req->headers, req->n_headers, "X-Hub-Signature-256");
    size_t plen = sizeof SIG_PREFIX - 1;
    if (!h || h->value.len != plen + 64 || memcmp(h->value.ptr, SIG_PREFIX, plen) != 0)
        return BW_E_AUTH;
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t mac_len = 0;
    if (in->host->hmac(BW_HASH_SHA256, in->app_secret.ptr, in->app_secret.len, req->body.ptr,
                       req->body.len, mac, sizeof mac, &mac_len) != 0 || mac_len != 32)
        return BW_E_AUTH;
    static const char hex[] = "0123456789abcdef";
    char want[64], got[64];
    for (int i = 0; i < 32; i++) {
        want[2 * i] = hex[mac[i] >> 4];
        want[2 * i + 1] = hex[mac[i] & 15];
    }
    for (int i = 0; i < 64; i++) {
        char c = h->value.ptr[plen + i];
        got[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    return in->host->ct_equal(want, got, 64) ? 0 : BW_E_AUTH;
}

/* ---- GET: the subscription handshake ------------------------------------- */

/* Equal in time that depends on neither content nor length: compares the
 * SHA-256 digests of both. */
static bool token_equal(const struct bw_host *host, const char *a, size_t alen, const char *b,
                        size_t blen)
{
    uint8_t da[BW_HASH_MAX_LEN], db[BW_HASH_MAX_LEN];
    uint32_t la = 0, lb = 0;
    if (host->digest(BW_HASH_SHA256, a, alen, da, sizeof da, &la) != 0 ||
        host->digest(BW_HASH_SHA256, b, blen, db, sizeof db, &lb) != 0 || la != lb)
        return false;
    return host->ct_equal(da, db, la) == 1;
}

static bool challenge_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CHALLENGE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.' || c == '~'))
            return false;
    }
    return true;
}

static int handshake(struct ig_instance *in, const struct bw_webhook_request *req,
                     struct bw_webhook_reply *reply, struct bw_error *err)
{
    struct bwsdk_form q = { 0 };
    const char *query = strchr(req->url, '?');
    int rc = BW_E_AUTH;
    if (query && bwsdk_form_parse(&q, query + 1, strlen(query + 1)) == 0) {
        const char *mode = bwsdk_form_get(&q, "hub.mode");
        const char *token = bwsdk_form_get(&q, "hub.verify_token");
        const char *challenge = bwsdk_form_get(&q, "hub.challenge");
        if (mode && strcmp(mode, "subscribe") == 0 && token && challenge &&
            token_equal(in->host, token, strlen(token), in->verify_token.ptr,
                        in->verify_token.len) &&
            challenge_ok(challenge)) {
            reply->status = 200;
            snprintf(reply->content_type, sizeof reply->content_type, "text/plain");
            rc = bwsdk_buf_puts(in->host, reply->body, challenge);
        }
    }
    bwsdk_form_free(&q);
    if (rc == BW_E_AUTH) {
        reply->status = 403;
        return bwsdk_error(err, BW_E_AUTH, "verify_token",
                           "subscription handshake refused (mode or verify token)");
    }
    return rc ? bwsdk_error(err, rc, NULL, "cannot answer the handshake") : 0;
}

/* ---- POST: events ------------------------------------------------------ */

/* Moves the user's last inbound time forward to at_us (never back: a
 * redelivered old message changes nothing). */
static int note_inbound(struct ig_instance *in, struct bw_call *call, const char *account,
                        const char *user, int64_t at_us)
{
    char key[256], val[32], old[32];
    int rc = ig_last_in_key(account, user, key, sizeof key);
    if (rc != 0)
        return rc;
    /* Seconds and micros apart: a 16-digit run reads as a card number. */
    int vlen = snprintf(val, sizeof val, "%lld.%06lld", (long long)(at_us / 1000000),
                        (long long)(at_us % 1000000));
    for (int attempt = 0; attempt < 4; attempt++) {
        int64_t cur = 0;
        bool found = false;
        int32_t stored = 0;
        if ((rc = ig_last_in_get(in, call, account, user, &cur, &found, old, sizeof old)) != 0)
            return rc;
        if (found && cur >= at_us)
            return 0;
        int olen = found ? (int)strlen(old) : 0;
        /* Kept well past the 7-day window (so a late staff reply gets the right
         * reason), then left to expire. */
        rc = in->host->kv_put_if(call, key, found ? old : NULL, found ? (uint64_t)olen : 0,
                                 found ? 0 : 1, val, (uint64_t)vlen,
                                 30LL * 86400000, &stored);
        if (rc != 0 || stored)
            return rc;
    }
    return BW_E_RETRY;
}

static int add_str(cJSON *o, const char *key, const char *value)
{
    return cJSON_AddStringToObject(o, key, value) ? 0 : BW_E_NOMEM;
}

/* A new event object appended to arr with id, type, from, to and at. */
static cJSON *new_event(cJSON *arr, const char *id, const char *type, const char *from,
                        const char *to, int64_t at_us)
{
    char at[BWSDK_TIME_MAX];
    cJSON *e = cJSON_CreateObject();
    if (!e)
        return NULL;
    cJSON_AddItemToArray(arr, e);
    if (bwsdk_time_format(at_us, 0, at, sizeof at) != 0 || add_str(e, "id", id) ||
        add_str(e, "type", type) || add_str(e, "from", from) || add_str(e, "to", to) ||
        add_str(e, "at", at) || add_str(e, "channel", "instagram"))
        return NULL;
    return e;
}

/* One messaging[] item. Items for other accounts, echoes and reactions add
 * nothing. */
static int parse_item(struct ig_instance *in, struct bw_call *call, const cJSON *m, cJSON *arr)
{
    const char *sender = bwsdk_json_string_or(m, "sender.id", NULL);
    const char *recipient = bwsdk_json_string_or(m, "recipient.id", NULL);
    int64_t ts_ms = 0;
    char id[300];
    if (!sender || !recipient)
        return BW_E_INVAL;
    if (bwsdk_json_int(m, "timestamp", &ts_ms) != 0 || ts_ms <= 0)
        ts_ms = in->host->now_us() / 1000;
    int64_t at_us = ts_ms * 1000;
    const cJSON *msg = bwsdk_json_path(m, "message");
    const cJSON *postback = bwsdk_json_path(m, "postback");
    const cJSON *read = bwsdk_json_path(m, "read");
    bool echo = false;
    if (msg && bwsdk_json_bool(msg, "is_echo", &echo) == 0 && echo)
        return 0; /* our own outbound message, already in the outbox */
    if (!ig_account_known(in, recipient, strlen(recipient)))
        return 0; /* not addressed to this binding's accounts */

    if (msg) {
        const char *mid = bwsdk_json_string_or(msg, "mid", NULL);
        bool deleted = false;
        if (!mid || strlen(mid) > 255)
            return BW_E_INVAL;
        if (bwsdk_json_bool(msg, "is_deleted", &deleted) == 0 && deleted) {
            snprintf(id, sizeof id, "%s#deleted", mid);
            cJSON *e = new_event(arr, id, "status", sender, recipient, at_us);
            if (!e || add_str(e, "status", "deleted") || add_str(e, "message_id", mid))
                return BW_E_NOMEM;
            return 0;
        }
        cJSON *e = new_event(arr, mid, "message", sender, recipient, at_us);
        if (!e)
            return BW_E_NOMEM;
        const char *text = bwsdk_json_string_or(msg, "text", NULL);
        if (text && add_str(e, "text", text))
            return BW_E_NOMEM;
        const char *payload = bwsdk_json_string_or(msg, "quick_reply.payload", NULL);
        if (payload && add_str(e, "payload", payload))
            return BW_E_NOMEM;
        const cJSON *att;
        cJSON *media = NULL;
        cJSON_ArrayForEach(att, bwsdk_json_path(msg, "attachments"))
        {
            const char *url = bwsdk_json_string_or(att, "payload.url", NULL);
            if (!url)
                continue;
            if (!media && !(media = cJSON_AddArrayToObject(e, "media")))
                return BW_E_NOMEM;
            cJSON *u = cJSON_CreateString(url);
            if (!u)
                return BW_E_NOMEM;
            cJSON_AddItemToArray(media, u);
        }
        int64_t now = in->host->now_us();
        return note_inbound(in, call, recipient, sender, at_us < now ? at_us : now);
    }
    if (postback) {
        const char *mid = bwsdk_json_string_or(postback, "mid", NULL);
        if (!mid || strlen(mid) > 255)
            return BW_E_INVAL;
        cJSON *e = new_event(arr, mid, "message", sender, recipient, at_us);
        const char *title = bwsdk_json_string_or(postback, "title", NULL);
        const char *payload = bwsdk_json_string_or(postback, "payload", NULL);
        if (!e || (title && add_str(e, "text", title)) || (payload && add_str(e, "payload", payload)))
            return BW_E_NOMEM;
        int64_t now = in->host->now_us();
        return note_inbound(in, call, recipient, sender, at_us < now ? at_us : now);
    }
    if (read) {
        const char *mid = bwsdk_json_string_or(read, "mid", NULL);
        if (!mid || strlen(mid) > 255)
            return 0;
        snprintf(id, sizeof id, "%s#read", mid);
        cJSON *e = new_event(arr, id, "status", sender, recipient, at_us);
        if (!e || add_str(e, "status", "read") || add_str(e, "message_id", mid))
            return BW_E_NOMEM;
    }
    return 0;
}

int ig_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
               struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err)
{
    struct ig_instance *in = instance;
    if (strcmp(req->method, "GET") == 0)
        return handshake(in, req, reply, err);
    if (strcmp(req->method, "POST") != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "method not allowed");
    if (verify_signature(in, req) != 0) {
        reply->status = 403;
        return bwsdk_error(err, BW_E_AUTH, "signature", "X-Hub-Signature-256 does not verify");
    }
    cJSON *doc = NULL, *out = cJSON_CreateObject();
    cJSON *arr = out ? cJSON_AddArrayToObject(out, "events") : NULL;
    int rc = BW_E_NOMEM;
    if (!arr)
        goto done;
    if (bwsdk_json_parse_bytes(req->body.ptr, (size_t)req->body.len, &doc) != 0) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the webhook body is not JSON");
        goto done;
    }
    const char *object = bwsdk_json_string_or(doc, "object", "");
    if (strcmp(object, "instagram") != 0 && strcmp(object, "page") != 0) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "not an Instagram webhook");
        goto done;
    }
    const cJSON *entry, *m;
    cJSON_ArrayForEach(entry, bwsdk_json_path(doc, "entry"))
    {
        cJSON_ArrayForEach(m, bwsdk_json_path(entry, "messaging"))
        {
            if ((rc = in->host->check(call)) != 0)
                goto done;
            if ((rc = parse_item(in, call, m, arr)) == BW_E_INVAL)
                continue; /* a malformed item does not hold back the others */
            if (rc != 0) {
                bwsdk_error(err, rc, NULL, "cannot record a messaging item");
                goto done;
            }
        }
    }
    rc = bwsdk_json_emit(in->host, events, out);
done:
    cJSON_Delete(doc);
    cJSON_Delete(out);
    return rc;
}

/* The account a webhook is for: the first messaging item's recipient (its
 * sender for an echo), else the entry's id. */
int ig_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                     struct bw_buf *out, struct bw_error *err)
{
    (void)call;
    cJSON *doc = NULL;
    const char *key = NULL;
    if (!ig_host)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "plugin not initialised");
    if (strcmp(req->method, "POST") != 0 ||
        bwsdk_json_parse_bytes(req->body.ptr, (size_t)req->body.len, &doc) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "no route key: not a JSON POST");
    const cJSON *m = bwsdk_json_path(doc, "entry.0.messaging.0");
    if (m) {
        bool echo = false;
        key = bwsdk_json_string_or(m, bwsdk_json_bool(m, "message.is_echo", &echo) == 0 && echo
                                          ? "sender.id"
                                          : "recipient.id",
                                   NULL);
    }
    if (!key)
        key = bwsdk_json_string_or(doc, "entry.0.id", NULL);
    int rc = BW_E_INVAL;
    if (key && *key && strlen(key) <= 64) {
        cJSON *o = cJSON_CreateObject();
        rc = BW_E_NOMEM;
        if (o && cJSON_AddStringToObject(o, "type", "account") &&
            cJSON_AddStringToObject(o, "value", key))
            rc = bwsdk_json_emit(ig_host, out, o);
        cJSON_Delete(o);
    }
    cJSON_Delete(doc);
    return rc ? bwsdk_error(err, rc, NULL, "no Instagram account id in the webhook") : 0;
}
