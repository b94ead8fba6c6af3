/*
 * channel.rbm sends: POST {base}/v1/phones/{msisdn}/agentMessages?
 * messageId={id}&agentId={agent} with {"contentMessage":{"text",
 * "suggestions":[{"reply":{"text","postbackData"}}]}} and one message per
 * media URL ({"contentInfo":{"fileUrl"}}), Bearer token. The messageId is
 * derived from the host's message reference, so RBM itself deduplicates a
 * repeated send (409 ALREADY_EXISTS counts as sent) and 5xx answers can be
 * retried safely. Google API errors ({"error":{"code","message","status"}})
 * map to BW_E_* codes; a refused cached token is dropped and fetched again
 * once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbm.h"

#define RBM_MAX_SUGGESTIONS 11
#define TOKEN_KEY "oauth/access_token"

/* ---- access token ----------------------------------------------------- */

/* Appends "Bearer <token>" to auth (cap bytes). *cached is true when the
 * token came from kv (and may be stale). */
static int bearer(struct rbm_instance *in, struct bw_call *call, char *auth, size_t cap,
                  bool *cached, struct bw_error *err)
{
    *cached = false;
    if (in->access_token.len) {
        int n = snprintf(auth, cap, "Bearer %.*s", (int)in->access_token.len, in->access_token.ptr);
        return n > 0 && (size_t)n < cap ? 0 : bwsdk_error(err, BW_E_CONFIG, NULL, "access_token too long");
    }
    struct bw_buf *buf = in->host->buf_scratch(call);
    struct bw_bytes v;
    int32_t found = 0;
    if (!buf)
        return BW_E_NOMEM;
    if (in->host->kv_get(call, TOKEN_KEY, buf, &found) == 0 && found &&
        in->host->buf_view(buf, &v) == 0 && v.len > 0 && v.len + 8 < cap) {
        snprintf(auth, cap, "Bearer %.*s", (int)v.len, (const char *)v.ptr);
        *cached = true;
        return 0;
    }
    char url[RBM_URL_MAX];
    snprintf(url, sizeof url, "%.*s", (int)in->token_url.len, in->token_url.ptr);
    struct bw_http_header headers[] = { { { "Metadata-Flavor", 15 }, { "Google", 6 } } };
    struct bw_http_request req = {
        .struct_size = sizeof req, .method = "GET", .url = url, .headers = headers, .n_headers = 1,
    };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = in->host->http(call, &req, &resp, err);
    if (rc != 0)
        return rc == BW_E_REMOTE ? BW_E_RETRY : rc; /* nothing was sent to RBM yet */
    if ((rc = bwsdk_http_status_error(&resp, err)) != 0) {
        bwsdk_error(err, rc, NULL, "the token endpoint answered %d", (int)resp.status);
        return rc == BW_E_REMOTE ? BW_E_AUTH : rc;
    }
    cJSON *doc = NULL;
    const char *token;
    int64_t expires = 0;
    if (bwsdk_json_parse_bytes(resp.body.ptr, (size_t)resp.body.len, &doc) != 0 ||
        bwsdk_json_string(doc, "access_token", &token) != 0 || !*token ||
        strlen(token) + 8 >= cap) {
        cJSON_Delete(doc);
        return bwsdk_error(err, BW_E_AUTH, NULL, "the token endpoint gave no access_token");
    }
    bwsdk_json_int(doc, "expires_in", &expires);
    snprintf(auth, cap, "Bearer %s", token);
    if (expires > 120) /* kept until a minute before it expires */
        in->host->kv_put(call, TOKEN_KEY, token, strlen(token), (expires - 60) * 1000);
    cJSON_Delete(doc);
    return 0;
}

/* ---- errors ------------------------------------------------------------- */

static int api_error(const struct bw_http_response *resp, struct bw_error *err)
{
    cJSON *doc = NULL;
    const char *status = NULL, *message = NULL;
    if (resp->body.len && bwsdk_json_parse_bytes(resp->body.ptr, (size_t)resp->body.len, &doc) == 0) {
        status = bwsdk_json_string_or(doc, "error.status", NULL);
        message = bwsdk_json_string_or(doc, "error.message", NULL);
    }
    int rc = bwsdk_http_status_error(resp, err); /* 401/403 AUTH, 429/5xx RETRY, ... */
    if (rc == BW_E_CONFLICT)
        rc = BW_E_REMOTE;
    if (resp->status == 404)
        message = message ? message : "the phone is not reachable over RCS";
    char pcode[64];
    snprintf(pcode, sizeof pcode, "%s", status ? status : "");
    if (!status)
        snprintf(pcode, sizeof pcode, "http_%d", (int)resp->status);
    bwsdk_error(err, rc, pcode, "RBM API %d %s: %.160s", (int)resp->status, pcode,
                message ? message : "no error body");
    if (err && BW_HAS(err, http_status))
        err->http_status = resp->status;
    cJSON_Delete(doc);
    return rc;
}

/* ---- the request ------------------------------------------------------------ */

/* A message id RBM can deduplicate by: a UUID-shaped digest of the agent,
 * the host's reference and the part number. */
static int message_id(struct rbm_instance *in, const char *reference, int part, char *out,
                      size_t cap)
{
    char seed[512];
    uint8_t d[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    int len = snprintf(seed, sizeof seed, "%.*s\n%s\n%d", (int)in->agent_id.len, in->agent_id.ptr,
                       reference, part);
    if (len < 0 || (size_t)len >= sizeof seed ||
        in->host->digest(BW_HASH_SHA256, seed, (uint64_t)len, d, sizeof d, &n) != 0 || n < 16)
        return BW_E_INVAL;
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x40);
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
    snprintf(out, cap,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
             d[14], d[15]);
    return 0;
}

static int post_message(struct rbm_instance *in, struct bw_call *call, const char *to,
                        const char *mid, const cJSON *body, struct bw_error *err)
{
    char url[RBM_URL_MAX], agent[136], auth[4096];
    size_t alen = in->agent_id.len;
    const char *at = memchr(in->agent_id.ptr, '@', alen);
    if (at)
        alen = (size_t)(at - in->agent_id.ptr);
    snprintf(agent, sizeof agent, "%.*s", (int)alen, in->agent_id.ptr);
    int n = snprintf(url, sizeof url, "%.*s/v1/phones/%s/agentMessages?messageId=%s&agentId=%s",
                     (int)in->base_url.len, in->base_url.ptr, to, mid, agent);
    if (n < 0 || (size_t)n >= sizeof url)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "agentMessages URL too long");
    char *text = cJSON_PrintUnformatted(body);
    if (!text)
        return BW_E_NOMEM;
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool cached = false;
        if ((rc = bearer(in, call, auth, sizeof auth, &cached, err)) != 0)
            break;
        struct bw_http_header headers[] = {
            { { "Authorization", 13 }, { auth, strlen(auth) } },
            { { "Content-Type", 12 }, { "application/json", 16 } },
        };
        struct bw_http_request req = {
            .struct_size = sizeof req,
            .method = "POST",
            .url = url,
            .headers = headers,
            .n_headers = 2,
            .body = { (const uint8_t *)text, strlen(text) },
        };
        struct bw_http_response resp = { .struct_size = sizeof resp };
        if ((rc = in->host->http(call, &req, &resp, err)) != 0)
            break;
        if (resp.status == 401 && cached) {
            in->host->kv_delete(call, TOKEN_KEY); /* stale: fetch a new one once */
            continue;
        }
        if (resp.status == 409) { /* this messageId went out already */
            rc = 0;
            break;
        }
        rc = resp.status >= 200 && resp.status < 300 ? 0 : api_error(&resp, err);
        break;
    }
    cJSON_free(text);
    return rc;
}

static bool msisdn_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 16 || s[0] != '+')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int add_suggestions(cJSON *content, const cJSON *qr)
{
    if (!cJSON_IsArray(qr) || cJSON_GetArraySize(qr) == 0)
        return 0;
    if (cJSON_GetArraySize(qr) > RBM_MAX_SUGGESTIONS)
        return BW_E_INVAL;
    cJSON *arr = cJSON_AddArrayToObject(content, "suggestions");
    const cJSON *q;
    if (!arr)
        return BW_E_NOMEM;
    cJSON_ArrayForEach(q, qr)
    {
        const char *t = cJSON_IsString(q) ? q->valuestring : bwsdk_json_string_or(q, "text", NULL);
        const char *p = cJSON_IsString(q) ? q->valuestring : bwsdk_json_string_or(q, "payload", t);
        if (!t || !*t || strlen(t) > 25)
            return BW_E_INVAL;
        cJSON *s = cJSON_CreateObject(), *reply;
        if (!s)
            return BW_E_NOMEM;
        cJSON_AddItemToArray(arr, s);
        if (!(reply = cJSON_AddObjectToObject(s, "reply")) || !cJSON_AddStringToObject(reply, "text", t) ||
            !cJSON_AddStringToObject(reply, "postbackData", p))
            return BW_E_NOMEM;
    }
    return 0;
}

int rbm_send(void *instance, struct bw_call *call, const struct bw_json *msg, struct bw_buf *out,
             struct bw_error *err)
{
    struct rbm_instance *in = instance;
    cJSON *m = NULL, *body = NULL, *res = NULL;
    char first[48] = "", mid[48], ref[160];
    int part = 0;
    int rc = bwsdk_json_parse(msg, BW_SCHEMA_CHANNEL_MESSAGE, &m);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed message/1");
    const char *to = bwsdk_json_string_or(m, "to", NULL);
    const char *text = bwsdk_json_string_or(m, "text", NULL);
    const char *reference = bwsdk_json_string_or(m, "reference", NULL);
    const cJSON *media = bwsdk_json_path(m, "media");
    if (text && !*text)
        text = NULL;
    if (!to || !msisdn_ok(to) || (!text && cJSON_GetArraySize(media) == 0)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "message/1 needs an E.164 to and text or media");
        goto done;
    }
    if (reference && *reference)
        snprintf(ref, sizeof ref, "%.150s", reference);
    else /* no reference: unique, and then not deduplicated */
        snprintf(ref, sizeof ref, "%s@%llx/%llx", to, (unsigned long long)in->host->now_us(),
                 (unsigned long long)in->host->mono_us()); /* hex: no long digit run */
    if (text) {
        cJSON *content;
        if (!(body = cJSON_CreateObject()) || !(content = cJSON_AddObjectToObject(body, "contentMessage")) ||
            !cJSON_AddStringToObject(content, "text", text)) {
            rc = BW_E_NOMEM;
            goto done;
        }
        if ((rc = add_suggestions(content, bwsdk_json_path(m, "quick_replies"))) != 0) {
            rc = bwsdk_error(err, rc, NULL, "quick_replies: at most 11, each 1 to 25 bytes");
            goto done;
        }
        if ((rc = message_id(in, ref, part++, first, sizeof first)) != 0 ||
            (rc = post_message(in, call, to, first, body, err)) != 0)
            goto done;
        cJSON_Delete(body);
        body = NULL;
    }
    const cJSON *u;
    cJSON_ArrayForEach(u, media)
    {
        cJSON *content, *info;
        if (!cJSON_IsString(u))
            continue;
        if (!(body = cJSON_CreateObject()) || !(content = cJSON_AddObjectToObject(body, "contentMessage")) ||
            !(info = cJSON_AddObjectToObject(content, "contentInfo")) ||
            !cJSON_AddStringToObject(info, "fileUrl", u->valuestring)) {
            rc = BW_E_NOMEM;
            goto done;
        }
        if ((rc = message_id(in, ref, part++, mid, sizeof mid)) != 0 ||
            (rc = post_message(in, call, to, mid, body, err)) != 0)
            goto done;
        if (!first[0])
            snprintf(first, sizeof first, "%s", mid);
        cJSON_Delete(body);
        body = NULL;
    }
    rc = BW_E_NOMEM;
    if ((res = cJSON_CreateObject()) && cJSON_AddStringToObject(res, "message_id", first) &&
        cJSON_AddStringToObject(res, "status", "sent"))
        rc = bwsdk_json_emit(in->host, out, res);
    if (rc == 0)
        in->host->counter_add(call, "rbm_sends", 1);
done:
    /* Without a reference the message id is not stable across attempts:
     * after a 5xx the message may have gone, and a retry would repeat it. */
    if (rc == BW_E_RETRY && !(reference && *reference) && err && BW_HAS(err, http_status) &&
        err->http_status >= 500)
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "RBM failed and the send cannot be deduplicated");
    cJSON_Delete(m);
    cJSON_Delete(body);
    cJSON_Delete(res);
    return rc;
}
