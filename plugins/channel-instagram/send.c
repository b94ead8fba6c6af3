/*
 * channel.instagram sends: the Send API (POST {base}/{version}/{ig-id}/
 * messages, Bearer token, {"recipient":{"id"},"message":{"text"}}), one
 * request for the text (with quick replies when given) and one per media
 * URL (image attachments). Meta's messaging windows are enforced before
 * anything is sent, from the user's last inbound time the webhook records:
 * automated messages within 24 hours; staff replies (message/1 "staff":
 * true) up to 7 days with the HUMAN_AGENT tag; anything later is refused
 * with a reason staff can read. Graph errors map to BW_E_* codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instagram.h"

#define IG_MAX_QUICK_REPLIES 13

int ig_graph_error(const struct bw_http_response *resp, struct bw_error *err)
{
    cJSON *doc = NULL;
    int64_t code = 0, sub = 0;
    char pcode[64];
    const char *type = NULL, *message = NULL;
    if (resp->body.len && bwsdk_json_parse_bytes(resp->body.ptr, (size_t)resp->body.len, &doc) == 0 &&
        bwsdk_json_int(doc, "error.code", &code) == 0) {
        bwsdk_json_int(doc, "error.error_subcode", &sub);
        type = bwsdk_json_string_or(doc, "error.type", NULL);
        message = bwsdk_json_string_or(doc, "error.message", NULL);
    }
    int rc;
    if (code == 4 || code == 17 || code == 32 || code == 613 || resp->status >= 500 ||
        resp->status == 429)
        rc = BW_E_RETRY;
    else if (code == 190 || (code == 0 && resp->status == 401))
        rc = BW_E_AUTH;
    else
        rc = BW_E_REMOTE; /* 10, 200-299 permissions, 551 user unavailable, 100 ... */
    if (code && sub)
        snprintf(pcode, sizeof pcode, "%lld/%lld", (long long)code, (long long)sub);
    else if (code)
        snprintf(pcode, sizeof pcode, "%lld", (long long)code);
    else
        snprintf(pcode, sizeof pcode, "http_%d", (int)resp->status);
    bwsdk_error(err, rc, pcode, "Graph API %d %s: %.160s", (int)resp->status, type ? type : "error",
                message ? message : "no error body");
    if (err && BW_HAS(err, http_status))
        err->http_status = resp->status;
    if (rc == BW_E_RETRY) {
        struct bw_error tmp = { .struct_size = sizeof tmp };
        bwsdk_http_status_error(resp, &tmp); /* Retry-After, when given */
        if (err && BW_HAS(err, retry_after_ms) && tmp.retry_after_ms > 0)
            err->retry_after_ms = tmp.retry_after_ms;
    }
    cJSON_Delete(doc);
    return rc;
}

/* POSTs body to the account's messages edge; *mid gets the message id
 * (malloc'd). */
static int post_message(struct ig_instance *in, struct bw_call *call, const char *account,
                        const cJSON *body, char **mid, struct bw_error *err)
{
    char url[IG_URL_MAX];
    int n = snprintf(url, sizeof url, "%.*s/%.*s/%s/messages", (int)in->base_url.len,
                     in->base_url.ptr, (int)in->graph_version.len, in->graph_version.ptr, account);
    if (n < 0 || (size_t)n >= sizeof url)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "Send API URL too long");
    size_t alen = in->access_token.len + 8;
    char *auth = malloc(alen);
    char *text = cJSON_PrintUnformatted(body);
    cJSON *doc = NULL;
    int rc = BW_E_NOMEM;
    if (!auth || !text)
        goto done;
    snprintf(auth, alen, "Bearer %.*s", (int)in->access_token.len, in->access_token.ptr);
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
        goto done;
    if (resp.status < 200 || resp.status >= 300) {
        rc = ig_graph_error(&resp, err);
        goto done;
    }
    const char *id;
    if (bwsdk_json_parse_bytes(resp.body.ptr, (size_t)resp.body.len, &doc) != 0 ||
        bwsdk_json_string(doc, "message_id", &id) != 0) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the Send API answered without a message_id");
        goto done;
    }
    rc = (*mid = strdup(id)) ? 0 : BW_E_NOMEM;
done:
    free(auth);
    cJSON_free(text);
    cJSON_Delete(doc);
    return rc;
}

/* A Send API body for recipient with message (ownership taken). */
static cJSON *send_body(const char *to, cJSON *message, bool human_agent)
{
    cJSON *b = cJSON_CreateObject();
    cJSON *r = b ? cJSON_AddObjectToObject(b, "recipient") : NULL;
    if (!r || !cJSON_AddStringToObject(r, "id", to)) {
        cJSON_Delete(message);
        cJSON_Delete(b);
        return NULL;
    }
    cJSON_AddItemToObject(b, "message", message);
    if (human_agent && (!cJSON_AddStringToObject(b, "messaging_type", "MESSAGE_TAG") ||
                        !cJSON_AddStringToObject(b, "tag", "HUMAN_AGENT"))) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

/* message/1 quick_replies: ["Yes", ...] or [{"text","payload"}, ...]. */
static int add_quick_replies(cJSON *message, const cJSON *qr)
{
    if (!cJSON_IsArray(qr) || cJSON_GetArraySize(qr) == 0)
        return 0;
    if (cJSON_GetArraySize(qr) > IG_MAX_QUICK_REPLIES)
        return BW_E_INVAL;
    cJSON *arr = cJSON_AddArrayToObject(message, "quick_replies");
    const cJSON *q;
    if (!arr)
        return BW_E_NOMEM;
    cJSON_ArrayForEach(q, qr)
    {
        const char *title = cJSON_IsString(q) ? q->valuestring : bwsdk_json_string_or(q, "text", NULL);
        const char *payload = cJSON_IsString(q) ? q->valuestring
                                                : bwsdk_json_string_or(q, "payload", title);
        if (!title || !*title)
            return BW_E_INVAL;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return BW_E_NOMEM;
        cJSON_AddItemToArray(arr, o);
        if (!cJSON_AddStringToObject(o, "content_type", "text") ||
            !cJSON_AddStringToObject(o, "title", title) ||
            !cJSON_AddStringToObject(o, "payload", payload))
            return BW_E_NOMEM;
    }
    return 0;
}

/* Whether a message may go now and whether it needs the HUMAN_AGENT tag. */
static int check_window(struct ig_instance *in, struct bw_call *call, const char *account,
                        const char *to, bool staff, bool *human_agent, struct bw_error *err)
{
    int64_t last = 0;
    bool found = false;
    int rc = ig_last_in_get(in, call, account, to, &last, &found, NULL, 0);
    *human_agent = false;
    if (rc == BW_E_INVAL)
        return bwsdk_error(err, BW_E_INVAL, NULL, "recipient or account id is malformed");
    if (rc != 0)
        return bwsdk_error(err, BW_E_RETRY, NULL, "cannot read the messaging window");
    if (!found)
        return bwsdk_error(err, BW_E_REMOTE, "outside_window",
                           "Instagram allows messages only after the user writes: no message "
                           "from this user is on record");
    int64_t age = in->host->now_us() - last;
    if (age <= IG_WINDOW_AUTOMATED_US)
        return 0;
    if (!staff)
        return bwsdk_error(err, BW_E_REMOTE, "window_24h",
                           "more than 24 hours since the user's last message: only a staff "
                           "reply may be sent (up to 7 days after it)");
    if (age <= IG_WINDOW_HUMAN_US) {
        *human_agent = true;
        return 0;
    }
    return bwsdk_error(err, BW_E_REMOTE, "window_7d",
                       "more than 7 days since the user's last message: Instagram accepts no "
                       "reply until the user writes again");
}

int ig_send(void *instance, struct bw_call *call, const struct bw_json *msg, struct bw_buf *out,
            struct bw_error *err)
{
    struct ig_instance *in = instance;
    cJSON *m = NULL, *body = NULL, *res = NULL;
    char *first = NULL, *mid = NULL;
    char account[72];
    int sent = 0;
    int rc = bwsdk_json_parse(msg, BW_SCHEMA_CHANNEL_MESSAGE, &m);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed message/1");
    const char *to = bwsdk_json_string_or(m, "to", NULL);
    const char *from = bwsdk_json_string_or(m, "from", NULL);
    const char *text = bwsdk_json_string_or(m, "text", NULL);
    const cJSON *media = bwsdk_json_path(m, "media");
    bool staff = false;
    bwsdk_json_bool(m, "staff", &staff);
    if (text && !*text)
        text = NULL;
    if (!to || !*to || (!text && cJSON_GetArraySize(media) == 0)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "message/1 needs to and text or media");
        goto done;
    }
    if (from && *from) {
        if (!ig_account_known(in, from, strlen(from))) {
            rc = bwsdk_error(err, BW_E_INVAL, NULL, "from is not one of this binding's accounts");
            goto done;
        }
        snprintf(account, sizeof account, "%s", from);
    } else {
        snprintf(account, sizeof account, "%.*s", (int)in->accounts[0].len, in->accounts[0].ptr);
    }
    bool human_agent = false;
    if ((rc = check_window(in, call, account, to, staff, &human_agent, err)) != 0)
        goto done;

    if (text) {
        cJSON *message = cJSON_CreateObject();
        if (!message || !cJSON_AddStringToObject(message, "text", text)) {
            cJSON_Delete(message);
            rc = BW_E_NOMEM;
            goto done;
        }
        if ((rc = add_quick_replies(message, bwsdk_json_path(m, "quick_replies"))) != 0) {
            cJSON_Delete(message);
            rc = bwsdk_error(err, rc, NULL, "quick_replies: at most 13, each with text");
            goto done;
        }
        if (!(body = send_body(to, message, human_agent))) {
            rc = BW_E_NOMEM;
            goto done;
        }
        if ((rc = post_message(in, call, account, body, &first, err)) != 0)
            goto done;
        sent++;
        cJSON_Delete(body);
        body = NULL;
    }
    const cJSON *u;
    cJSON_ArrayForEach(u, media)
    {
        if (!cJSON_IsString(u))
            continue;
        cJSON *message = cJSON_CreateObject();
        cJSON *att = message ? cJSON_AddObjectToObject(message, "attachment") : NULL;
        cJSON *payload = att ? cJSON_AddObjectToObject(att, "payload") : NULL;
        if (!payload || !cJSON_AddStringToObject(att, "type", "image") ||
            !cJSON_AddStringToObject(payload, "url", u->valuestring)) {
            cJSON_Delete(message);
            rc = BW_E_NOMEM;
            goto done;
        }
        if (!(body = send_body(to, message, human_agent))) {
            rc = BW_E_NOMEM;
            goto done;
        }
        rc = post_message(in, call, account, body, first ? &mid : &first, err);
        cJSON_Delete(body);
        body = NULL;
        free(mid);
        mid = NULL;
        if (rc != 0)
            goto done;
        sent++;
    }
    rc = BW_E_NOMEM;
    if ((res = cJSON_CreateObject()) && cJSON_AddStringToObject(res, "message_id", first) &&
        cJSON_AddStringToObject(res, "status", "sent"))
        rc = bwsdk_json_emit(in->host, out, res);
    if (rc == 0)
        in->host->counter_add(call, human_agent ? "instagram_human_agent_sends" : "instagram_sends", 1);
done:
    /* Part of a message went out: a blind retry would repeat it. */
    if (rc == BW_E_RETRY && sent > 0)
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "only part of the message was sent");
    cJSON_Delete(m);
    cJSON_Delete(body);
    cJSON_Delete(res);
    free(first);
    return rc;
}
