/*
 * channel.rbm webhooks. RBM POSTs two kinds of body:
 *  - the webhook-setup handshake {"clientToken","secret"}: when the token
 *    is ours (constant-time compare), the answer is 200 with the secret as
 *    plain text; otherwise 403;
 *  - a Pub/Sub-style envelope {"message":{"data":base64(user event),
 *    "messageId","publishTime"},"subscription"}, signed in X-Goog-Signature:
 *    base64(HMAC-SHA512(clientToken, decoded message.data)). Only the
 *    envelope is read before the check (the signature covers the decoded
 *    data, so it must be taken out first); the user event is parsed after.
 * User events become events/1: text messages, suggested-reply and
 * suggested-action taps (text and postbackData), files (their URI) and
 * locations as messages; DELIVERED and READ as status events; UNSUBSCRIBE
 * and SUBSCRIBE as opt_out and opt_in; IS_TYPING is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbm.h"

#define SECRET_MAX 256

int rbm_envelope_data(const struct bw_host *host, const struct bw_bytes *body, uint8_t **data,
                      size_t *len)
{
    cJSON *doc = NULL;
    const char *b64;
    uint64_t n = 0;
    *data = NULL;
    if (bwsdk_json_parse_bytes(body->ptr, (size_t)body->len, &doc) != 0 ||
        bwsdk_json_string(doc, "message.data", &b64) != 0) {
        cJSON_Delete(doc);
        return BW_E_INVAL;
    }
    size_t cap = strlen(b64) / 4 * 3 + 4;
    uint8_t *out = malloc(cap);
    int rc = out ? host->base64_decode(0, b64, strlen(b64), out, cap - 1, &n) : BW_E_NOMEM;
    cJSON_Delete(doc);
    if (rc != 0) {
        free(out);
        return rc == BW_E_NOMEM ? rc : BW_E_INVAL;
    }
    out[n] = 0;
    *data = out;
    *len = (size_t)n;
    return 0;
}

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

static bool secret_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SECRET_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == '<' || s[i] == '>' || s[i] == '&')
            return false;
    return true;
}

/* The webhook-setup request, when body is one: 1 handled (reply set or
 * BW_E_AUTH in *rc), 0 not such a request. */
static int setup_handshake(struct rbm_instance *in, const struct bw_webhook_request *req,
                           struct bw_webhook_reply *reply, int *rc, struct bw_error *err)
{
    cJSON *doc = NULL;
    const char *token, *secret;
    if (bwsdk_json_parse_bytes(req->body.ptr, (size_t)req->body.len, &doc) != 0)
        return 0;
    if (bwsdk_json_string(doc, "clientToken", &token) != 0 ||
        bwsdk_json_string(doc, "secret", &secret) != 0) {
        cJSON_Delete(doc);
        return 0;
    }
    if (token_equal(in->host, token, strlen(token), in->client_token.ptr, in->client_token.len) &&
        secret_ok(secret)) {
        reply->status = 200;
        snprintf(reply->content_type, sizeof reply->content_type, "text/plain");
        *rc = bwsdk_buf_puts(in->host, reply->body, secret);
    } else {
        reply->status = 403;
        *rc = bwsdk_error(err, BW_E_AUTH, "client_token", "webhook setup with another clientToken");
    }
    cJSON_Delete(doc);
    return 1;
}

static int verify(struct rbm_instance *in, const struct bw_webhook_request *req,
                  const uint8_t *data, size_t len)
{
    const struct bw_http_header *h =
        bwsdk_http_header(req->headers, req->n_headers, "X-Goog-Signature");
    uint8_t mac[RBM_SHA512_LEN];
    char want[100];
    uint64_t wlen = 0;
    if (!h || h->value.len == 0 || h->value.len >= sizeof want)
        return BW_E_AUTH;
    rbm_hmac_sha512(in->client_token.ptr, in->client_token.len, data, len, mac);
    if (in->host->base64_encode(0, mac, sizeof mac, want, sizeof want, &wlen) != 0)
        return BW_E_AUTH;
    if (wlen != h->value.len)
        return BW_E_AUTH;
    return in->host->ct_equal(want, h->value.ptr, wlen) ? 0 : BW_E_AUTH;
}

static int add_str(cJSON *o, const char *key, const char *value)
{
    return cJSON_AddStringToObject(o, key, value) ? 0 : BW_E_NOMEM;
}

/* The user event as events/1 items appended to arr. */
static int parse_event(struct rbm_instance *in, const cJSON *ev, cJSON *arr)
{
    const char *phone = bwsdk_json_string_or(ev, "senderPhoneNumber", NULL);
    const char *agent = bwsdk_json_string_or(ev, "agentId", NULL);
    const char *send_time = bwsdk_json_string_or(ev, "sendTime", NULL);
    const char *event_type = bwsdk_json_string_or(ev, "eventType", NULL);
    char agent_id[136], at[BWSDK_TIME_MAX];
    int64_t at_us = 0;
    snprintf(agent_id, sizeof agent_id, "%.*s", (int)in->agent_id.len, in->agent_id.ptr);
    if (!phone)
        return BW_E_INVAL;
    if (agent && strcmp(agent, agent_id) != 0)
        return 0; /* another agent's event */
    if (!send_time || bwsdk_time_parse(send_time, &at_us, NULL) != 0)
        at_us = in->host->now_us();
    if (bwsdk_time_format(at_us, 0, at, sizeof at) != 0)
        return BW_E_INVAL;

    const char *id, *type, *status = NULL;
    if (event_type) {
        id = bwsdk_json_string_or(ev, "eventId", NULL);
        if (strcmp(event_type, "DELIVERED") == 0)
            type = "status", status = "delivered";
        else if (strcmp(event_type, "READ") == 0)
            type = "status", status = "read";
        else if (strcmp(event_type, "UNSUBSCRIBE") == 0)
            type = "opt_out";
        else if (strcmp(event_type, "SUBSCRIBE") == 0)
            type = "opt_in";
        else
            return 0; /* IS_TYPING and the rest */
    } else {
        id = bwsdk_json_string_or(ev, "messageId", NULL);
        type = "message";
    }
    if (!id || !*id || strlen(id) > 255)
        return BW_E_INVAL;
    cJSON *e = cJSON_CreateObject();
    if (!e)
        return BW_E_NOMEM;
    cJSON_AddItemToArray(arr, e);
    if (add_str(e, "id", id) || add_str(e, "type", type) || add_str(e, "from", phone) ||
        add_str(e, "to", agent_id) || add_str(e, "at", at) || add_str(e, "channel", "rbm"))
        return BW_E_NOMEM;
    if (status) {
        const char *mid = bwsdk_json_string_or(ev, "messageId", NULL);
        if (add_str(e, "status", status) || (mid && add_str(e, "message_id", mid)))
            return BW_E_NOMEM;
        return 0;
    }
    if (strcmp(type, "message") != 0)
        return 0;
    const char *text = bwsdk_json_string_or(ev, "text", NULL);
    const cJSON *sugg = bwsdk_json_path(ev, "suggestionResponse");
    const char *file = bwsdk_json_string_or(ev, "userFile.payload.fileUri", NULL);
    const cJSON *loc = bwsdk_json_path(ev, "location");
    if (sugg) {
        const char *stext = bwsdk_json_string_or(sugg, "text", NULL);
        const char *post = bwsdk_json_string_or(sugg, "postbackData", NULL);
        if ((stext && add_str(e, "text", stext)) || (post && add_str(e, "payload", post)))
            return BW_E_NOMEM;
    } else if (text) {
        if (add_str(e, "text", text))
            return BW_E_NOMEM;
    } else if (loc) {
        const cJSON *lat = bwsdk_json_path(loc, "latitude"), *lng = bwsdk_json_path(loc, "longitude");
        char geo[96];
        if (cJSON_IsNumber(lat) && cJSON_IsNumber(lng)) {
            snprintf(geo, sizeof geo, "geo:%.6f,%.6f", lat->valuedouble, lng->valuedouble);
            if (add_str(e, "text", geo))
                return BW_E_NOMEM;
        }
    }
    if (file) {
        cJSON *media = cJSON_AddArrayToObject(e, "media");
        cJSON *u = media ? cJSON_CreateString(file) : NULL;
        if (!u)
            return BW_E_NOMEM;
        cJSON_AddItemToArray(media, u);
    }
    return 0;
}

int rbm_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err)
{
    struct rbm_instance *in = instance;
    uint8_t *data = NULL;
    size_t len = 0;
    cJSON *ev = NULL, *out = NULL;
    int rc = 0;
    (void)call;
    if (strcmp(req->method, "POST") != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "method not allowed");
    if (setup_handshake(in, req, reply, &rc, err))
        return rc;
    if (rbm_envelope_data(in->host, &req->body, &data, &len) != 0 ||
        verify(in, req, data, len) != 0) {
        free(data);
        reply->status = 403;
        return bwsdk_error(err, BW_E_AUTH, "signature", "X-Goog-Signature does not verify");
    }
    rc = BW_E_NOMEM;
    cJSON *arr;
    if (!(out = cJSON_CreateObject()) || !(arr = cJSON_AddArrayToObject(out, "events")))
        goto done;
    if (bwsdk_json_parse_bytes(data, len, &ev) != 0 || !cJSON_IsObject(ev)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the user event is not a JSON object");
        goto done;
    }
    if ((rc = parse_event(in, ev, arr)) != 0) {
        bwsdk_error(err, rc, NULL, "malformed user event");
        goto done;
    }
    rc = bwsdk_json_emit(in->host, events, out);
done:
    free(data);
    cJSON_Delete(ev);
    cJSON_Delete(out);
    return rc;
}

/* The agent a webhook is for: the user event's agentId. The webhook-setup
 * handshake names none (route it by the URL's tenant segment). */
int rbm_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                      struct bw_buf *out, struct bw_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    cJSON *ev = NULL, *o = NULL;
    const char *agent;
    int rc = BW_E_INVAL;
    (void)call;
    if (!rbm_host)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "plugin not initialised");
    if (strcmp(req->method, "POST") == 0 && rbm_envelope_data(rbm_host, &req->body, &data, &len) == 0 &&
        bwsdk_json_parse_bytes(data, len, &ev) == 0 && bwsdk_json_string(ev, "agentId", &agent) == 0 &&
        *agent && strlen(agent) <= 128) {
        rc = BW_E_NOMEM;
        if ((o = cJSON_CreateObject()) && cJSON_AddStringToObject(o, "type", "account") &&
            cJSON_AddStringToObject(o, "value", agent))
            rc = bwsdk_json_emit(rbm_host, out, o);
    }
    free(data);
    cJSON_Delete(ev);
    cJSON_Delete(o);
    return rc ? bwsdk_error(err, rc, NULL, "no RBM agent id in the webhook") : 0;
}
