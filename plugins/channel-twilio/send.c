/*
 * Outbound messages through Twilio's Messages API: POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, Basic auth,
 * MessagingServiceSid or From, Body, MediaUrl, StatusCallback. Twilio
 * answers errors as {code, message, more_info, status}; tw_map_error turns
 * them into the ABI's codes: 20429 and 5xx are retried; a refusal (4xx:
 * 21211, 21610, ...) is final and certain, BW_E_INVAL with Twilio's code,
 * which the host records as failed (21610 also opts the contact out). A
 * request that timed out may have been sent, so it is BW_E_REMOTE, which the
 * host records as uncertain and never resends. Sends are paced per sending number
 * by a token bucket in the instance (rate and burst from its
 * configuration): a short wait is slept off within the call's deadline, a
 * longer one is answered with BW_E_RETRY and retry_after_ms, so a burst
 * queues in the host's outbox instead of failing.
 */
#include "twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest pacing wait slept inside a call; longer waits go back to the host. */
#define TW_PACE_SLEEP_MAX_US 250000

int tw_basic_auth(const struct tw_instance *in, char *out, size_t cap)
{
    char plain[256];
    int n = snprintf(plain, sizeof plain, "%s:%.*s", in->account_sid, (int)in->auth_token_len,
                     in->auth_token);
    if (n < 0 || (size_t)n >= sizeof plain)
        return BW_E_NOMEM;
    if (cap < 7)
        return BW_E_NOMEM;
    memcpy(out, "Basic ", 6);
    uint64_t len = 0;
    int rc = in->host->base64_encode(0, plain, (uint64_t)n, out + 6, cap - 6, &len);
    memset(plain, 0, sizeof plain);
    return rc;
}

int tw_http_form(struct tw_instance *in, struct bw_call *call, const char *method,
                 const char *url, const struct bwsdk_form *form, struct bw_http_response *resp,
                 struct bw_error *err)
{
    char auth[384];
    char *body = NULL;
    size_t body_len = 0;
    int rc = tw_basic_auth(in, auth, sizeof auth);
    if (rc != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "account sid or auth token too long");
    if (form && (rc = bwsdk_form_encode(form, &body, &body_len)) != 0)
        return bwsdk_error(err, rc, NULL, "cannot encode the request");
    /* Two headers at most: the host keeps each header's copy for the
     * whole call. */
    struct bw_http_header h[2] = {
        { { "Authorization", 13 }, { auth, strlen(auth) } },
        { { "Content-Type", 12 }, { "application/x-www-form-urlencoded", 33 } },
    };
    struct bw_http_request req = { sizeof req, 0, method, url, h, form ? 2 : 1,
                                   { (const uint8_t *)body, body_len }, 0 };
    resp->struct_size = sizeof *resp;
    rc = in->host->http(call, &req, resp, err);
    memset(auth, 0, sizeof auth);
    free(body);
    return rc;
}

int tw_map_error(const struct bw_http_response *resp, struct bw_error *err)
{
    int32_t st = resp->status;
    if (st >= 200 && st < 300)
        return 0;
    cJSON *j = NULL;
    int64_t code = 0;
    const char *message = NULL;
    if (resp->body.len && bwsdk_json_parse_bytes(resp->body.ptr, resp->body.len, &j) == 0) {
        if (bwsdk_json_int(j, "code", &code) != 0)
            code = 0;
        message = bwsdk_json_string_or(j, "message", NULL);
    }
    char pcode[32] = "";
    if (code > 0)
        snprintf(pcode, sizeof pcode, "%lld", (long long)code);
    int rc;
    if (code == 20429 || st == 429 || st >= 500) {
        rc = bwsdk_error(err, BW_E_RETRY, pcode[0] ? pcode : NULL, "Twilio answered %d (%s)", st,
                         code == 20429 || st == 429 ? "rate limited" : "server error");
        if (err && BW_HAS(err, retry_after_ms)) {
            /* Retry-After in seconds when Twilio sent one, else a second. */
            const struct bw_http_header *ra = bwsdk_http_header(resp->headers, resp->n_headers,
                                                                "Retry-After");
            int64_t ms = 1000;
            char tmp[16];
            if (ra && bwsdk_strlcpy(tmp, sizeof tmp, ra->value.ptr, ra->value.len) == 0) {
                char *end;
                long s = strtol(tmp, &end, 10);
                if (end != tmp && !*end && s > 0 && s < 86400)
                    ms = (int64_t)s * 1000;
            }
            err->retry_after_ms = ms;
        }
    } else if (code == 20003 || st == 401 || st == 403) {
        rc = bwsdk_error(err, BW_E_AUTH, pcode[0] ? pcode : NULL, "Twilio refused the credentials");
    } else if (code == 21211) {
        rc = bwsdk_error(err, BW_E_INVAL, pcode, "invalid 'To' number");
    } else if (code == 21610) {
        rc = bwsdk_error(err, BW_E_INVAL, pcode, "recipient unsubscribed (replied STOP)");
    } else if (st >= 400 && st < 500) {
        rc = bwsdk_error(err, BW_E_INVAL, pcode[0] ? pcode : NULL, "Twilio refused the message (%d)",
                         st);
    } else {
        rc = bwsdk_error(err, BW_E_REMOTE, pcode[0] ? pcode : NULL, "Twilio answered %d", st);
    }
    (void)message; /* may quote the recipient's number: not logged */
    if (err && BW_HAS(err, http_status))
        err->http_status = st;
    cJSON_Delete(j);
    return rc;
}

int64_t tw_pace_take(struct tw_instance *in, const char *key, int64_t now_us)
{
    int64_t wait = 0;
    pthread_mutex_lock(&in->lock);
    struct tw_bucket *b = NULL;
    for (uint32_t i = 0; i < in->n_buckets; i++)
        if (strcmp(in->buckets[i].key, key) == 0)
            b = &in->buckets[i];
    if (!b) {
        /* Unknown senders share the last bucket. */
        b = in->n_buckets < TW_MAX_NUMBERS + 1 ? &in->buckets[in->n_buckets++]
                                               : &in->buckets[TW_MAX_NUMBERS];
        if (b->key[0] == '\0' || strcmp(b->key, key) != 0) {
            snprintf(b->key, sizeof b->key, "%s", key);
            b->tokens = in->burst;
            b->last_us = now_us;
        }
    }
    double add = (double)(now_us - b->last_us) / 1e6 * in->rate_per_s;
    if (add > 0) {
        b->tokens += add;
        if (b->tokens > in->burst)
            b->tokens = in->burst;
        b->last_us = now_us;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        wait = (int64_t)((1.0 - b->tokens) / in->rate_per_s * 1e6) + 1;
    }
    pthread_mutex_unlock(&in->lock);
    return wait;
}

/* Takes a token, sleeping off a short wait; BW_E_RETRY for a long one. */
static int tw_pace(struct tw_instance *in, struct bw_call *call, const char *key,
                   struct bw_error *err)
{
    for (int tries = 0; tries < 4; tries++) {
        int64_t wait = tw_pace_take(in, key, in->host->mono_us());
        if (wait == 0)
            return 0;
        int64_t left = in->host->deadline_ms(call);
        if (wait > TW_PACE_SLEEP_MAX_US || wait / 1000 + 50 >= left) {
            int rc = bwsdk_error(err, BW_E_RETRY, "pacing", "sending number paced");
            if (err && BW_HAS(err, retry_after_ms))
                err->retry_after_ms = wait / 1000 + 1;
            return rc;
        }
        struct timespec ts = { (time_t)(wait / 1000000), (long)(wait % 1000000) * 1000 };
        nanosleep(&ts, NULL);
        int c = in->host->check(call);
        if (c != 0)
            return bwsdk_error(err, c, NULL, "cancelled while paced");
    }
    return bwsdk_error(err, BW_E_RETRY, "pacing", "sending number paced");
}

static const char *tw_send_status(const char *s)
{
    if (s && (strcmp(s, "sent") == 0 || strcmp(s, "delivered") == 0))
        return s;
    return "queued";
}

int tw_send(struct tw_instance *in, struct bw_call *call, const struct bw_json *msg,
            struct bw_buf *out, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    cJSON *m = NULL;
    struct bwsdk_form form = { 0 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = bwsdk_json_parse(msg, BW_SCHEMA_CHANNEL_MESSAGE, &m);
    if (rc != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "message is not %s", BW_SCHEMA_CHANNEL_MESSAGE);
    const char *to = bwsdk_json_string_or(m, "to", NULL);
    const char *from = bwsdk_json_string_or(m, "from", NULL);
    const char *text = bwsdk_json_string_or(m, "text", NULL);
    const cJSON *media = bwsdk_json_path(m, "media");
    char to164[BWSDK_E164_MAX];
    if (!to || bwsdk_phone_e164(to, "US", to164) != 0) {
        rc = bwsdk_error(err, BW_E_INVAL, "21211", "the recipient is not a phone number");
        goto done;
    }
    if ((!text || !*text) && (!cJSON_IsArray(media) || cJSON_GetArraySize(media) == 0)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "a message needs text or media");
        goto done;
    }
    if (from && !*from)
        from = NULL;
    if (!from && !in->messaging_service_sid[0])
        from = in->numbers[0];

    bool on_campaign = true;
    if ((rc = tw_a2p_allows(in, call, from, &on_campaign)) != 0) {
        rc = bwsdk_error(err, BW_E_RETRY, NULL, "cannot read the A2P state");
        goto done;
    }
    if (!on_campaign && in->a2p_required) {
        h->counter_add(call, "twilio_a2p_blocked", 1);
        rc = bwsdk_error(err, BW_E_INVAL, "a2p_not_approved",
                         "the sending number is not on an approved A2P campaign");
        goto done;
    }
    if (!on_campaign) {
        /* Carriers filter unregistered 10DLC traffic: sent, but said. */
        h->counter_add(call, "twilio_a2p_unregistered_sends", 1);
    }
    if ((rc = tw_pace(in, call, from ? from : in->messaging_service_sid, err)) != 0)
        goto done;

    char status_cb[TW_URL_MAX + 32];
    if (in->status_callback[0])
        snprintf(status_cb, sizeof status_cb, "%s", in->status_callback);
    else
        snprintf(status_cb, sizeof status_cb, "%s/webhooks/twilio/status", in->public_base_url);
    rc = bwsdk_form_add(&form, "To", to164);
    if (rc == 0 && from)
        rc = bwsdk_form_add(&form, "From", from);
    if (rc == 0 && in->messaging_service_sid[0])
        rc = bwsdk_form_add(&form, "MessagingServiceSid", in->messaging_service_sid);
    if (rc == 0 && text && *text)
        rc = bwsdk_form_add(&form, "Body", text);
    const cJSON *u;
    if (cJSON_IsArray(media))
        cJSON_ArrayForEach(u, media)
        {
            if (rc == 0 && cJSON_IsString(u))
                rc = bwsdk_form_add(&form, "MediaUrl", u->valuestring);
        }
    if (rc == 0 && in->public_base_url[0])
        rc = bwsdk_form_add(&form, "StatusCallback", status_cb);
    if (rc != 0) {
        rc = bwsdk_error(err, rc, NULL, "cannot build the request");
        goto done;
    }
    char url[TW_URL_MAX];
    snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/Messages.json", in->api_base,
             in->account_sid);
    rc = tw_http_form(in, call, "POST", url, &form, &resp, err);
    if (rc == BW_E_TIMEOUT || rc == BW_E_REMOTE) {
        /* The request may have reached Twilio: the host must not resend it
         * blindly. */
        rc = bwsdk_error(err, BW_E_REMOTE, "unknown_outcome",
                         "no answer from Twilio; the message may have been sent");
        goto done;
    }
    if (rc != 0)
        goto done;
    if ((rc = tw_map_error(&resp, err)) != 0) {
        h->counter_add(call, "twilio_send_errors", 1);
        goto done;
    }
    cJSON *r = NULL;
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, &r) != 0) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Twilio's answer is not JSON");
        goto done;
    }
    const char *sid = bwsdk_json_string_or(r, "sid", NULL);
    if (!sid) {
        cJSON_Delete(r);
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Twilio's answer has no sid");
        goto done;
    }
    cJSON *res = cJSON_CreateObject();
    if (!res || !cJSON_AddStringToObject(res, "message_id", sid) ||
        !cJSON_AddStringToObject(res, "status",
                                 tw_send_status(bwsdk_json_string_or(r, "status", NULL))))
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    else
        rc = bwsdk_json_emit(h, out, res);
    cJSON_Delete(res);
    cJSON_Delete(r);
    if (rc == 0)
        h->counter_add(call, "twilio_sent", 1);
done:
    bwsdk_form_free(&form);
    cJSON_Delete(m);
    return rc;
}
