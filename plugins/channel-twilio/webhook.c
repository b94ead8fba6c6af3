/*
 * Twilio webhooks: which endpoint a URL names, the form body, the
 * X-Twilio-Signature check (HMAC-SHA1 over the public URL and the sorted
 * parameters, base64, compared in constant time, with and without the
 * default port), and the normalized events/1 each endpoint produces with
 * its TwiML answer. Event ids are the endpoint with Twilio's ids (CallSid,
 * MessageSid, and the status for status callbacks), or the
 * I-Twilio-Idempotency-Token when the request carries one, so that a
 * webhook Twilio delivers twice is deduplicated by the host.
 */
#include "twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tw_endpoint tw_endpoint_of(const char *url)
{
    if (!url)
        return TW_EP_UNKNOWN;
    size_t end = strcspn(url, "?#");
    while (end > 0 && url[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && url[start - 1] != '/')
        start--;
    size_t n = end - start;
    const char *seg = url + start;
#define IS(s) (n == sizeof(s) - 1 && memcmp(seg, s, n) == 0)
    if (IS("voice"))
        return TW_EP_VOICE;
    if (IS("dial"))
        return TW_EP_DIAL;
    if (IS("sms"))
        return TW_EP_SMS;
    if (IS("status"))
        return TW_EP_STATUS;
#undef IS
    return TW_EP_UNKNOWN;
}

const char *tw_endpoint_name(enum tw_endpoint ep)
{
    switch (ep) {
    case TW_EP_VOICE: return "voice";
    case TW_EP_DIAL: return "dial";
    case TW_EP_SMS: return "sms";
    case TW_EP_STATUS: return "status";
    default: return "unknown";
    }
}

int tw_form_parse(struct bwsdk_form *f, const char *body, size_t len)
{
    if (len > TW_MAX_BODY)
        return BW_E_INVAL;
    if (memchr(body, '\0', len))
        return BW_E_INVAL;
    return bwsdk_form_parse(f, body, len);
}

int tw_signature(const struct bw_host *host, const char *token, size_t token_len,
                 const char *url, struct bwsdk_form *f, char *out, size_t cap)
{
    bwsdk_form_sort(f);
    size_t len = strlen(url);
    for (size_t i = 0; i < f->n; i++)
        len += strlen(f->pairs[i].key) + strlen(f->pairs[i].value);
    char *data = malloc(len + 1);
    if (!data)
        return BW_E_NOMEM;
    size_t o = strlen(url);
    memcpy(data, url, o);
    for (size_t i = 0; i < f->n; i++) {
        size_t k = strlen(f->pairs[i].key), v = strlen(f->pairs[i].value);
        memcpy(data + o, f->pairs[i].key, k);
        o += k;
        memcpy(data + o, f->pairs[i].value, v);
        o += v;
    }
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t mac_len = 0;
    int rc = host->hmac(BW_HASH_SHA1, token, token_len, data, o, mac, sizeof mac, &mac_len);
    free(data);
    if (rc != 0)
        return rc;
    uint64_t n = 0;
    return host->base64_encode(0, mac, mac_len, out, cap, &n);
}

/* The other form of url: with the scheme's default port when it has none,
 * without it when it has the default one. 0, or BW_E_INVAL when there is
 * no other form (another port, or not http/https). */
static int tw_url_port_variant(const char *url, char *out, size_t cap)
{
    const char *port;
    size_t scheme_len;
    if (strncmp(url, "https://", 8) == 0) {
        port = "443";
        scheme_len = 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        port = "80";
        scheme_len = 7;
    } else {
        return BW_E_INVAL;
    }
    const char *host = url + scheme_len;
    size_t host_end = strcspn(host, "/?#");
    const char *colon = memchr(host, ':', host_end);
    int n;
    if (colon) {
        size_t plen = host_end - (size_t)(colon + 1 - host);
        if (plen != strlen(port) || memcmp(colon + 1, port, plen) != 0)
            return BW_E_INVAL;
        n = snprintf(out, cap, "%.*s%s", (int)(colon - url), url, host + host_end);
    } else {
        n = snprintf(out, cap, "%.*s:%s%s", (int)(scheme_len + host_end), url, port,
                     host + host_end);
    }
    return (n < 0 || (size_t)n >= cap) ? BW_E_NOMEM : 0;
}

int tw_signature_check(const struct bw_host *host, const char *token, size_t token_len,
                       const char *url, struct bwsdk_form *f, const char *sig)
{
    if (!sig || !*sig)
        return 0;
    size_t sig_len = strlen(sig);
    char mine[64];
    int rc = tw_signature(host, token, token_len, url, f, mine, sizeof mine);
    if (rc != 0)
        return rc;
    if (sig_len == strlen(mine) && host->ct_equal(mine, sig, sig_len))
        return 1;
    size_t cap = strlen(url) + 16;
    char *alt = malloc(cap);
    if (!alt)
        return BW_E_NOMEM;
    int ok = 0;
    if (tw_url_port_variant(url, alt, cap) == 0) {
        rc = tw_signature(host, token, token_len, alt, f, mine, sizeof mine);
        if (rc == 0 && sig_len == strlen(mine) && host->ct_equal(mine, sig, sig_len))
            ok = 1;
    }
    free(alt);
    return rc < 0 ? rc : ok;
}

int tw_public_url(const char *public_base, const char *req_url, char *out, size_t cap)
{
    int n;
    if (!public_base || !*public_base) {
        n = snprintf(out, cap, "%s", req_url);
    } else {
        /* The path and query of req_url (it may be absolute or a path). */
        const char *path = req_url;
        const char *scheme = strstr(req_url, "://");
        if (scheme && scheme < req_url + strcspn(req_url, "/?")) {
            path = strchr(scheme + 3, '/');
            if (!path)
                path = "/";
        }
        size_t bl = strlen(public_base);
        while (bl > 0 && public_base[bl - 1] == '/')
            bl--;
        n = snprintf(out, cap, "%.*s%s%s", (int)bl, public_base, path[0] == '/' ? "" : "/", path);
    }
    return (n < 0 || (size_t)n >= cap) ? BW_E_NOMEM : 0;
}

/* ---- events ---------------------------------------------------------------- */

static int tw_now_rfc3339(const struct bw_host *h, char out[BWSDK_TIME_MAX])
{
    int64_t us = h->now_us();
    return bwsdk_time_format(us - us % 1000000, 0, out, BWSDK_TIME_MAX);
}

/* One event object with the common members. */
static cJSON *tw_event(const struct bw_host *h, const char *id, const char *type,
                       const char *from, const char *to)
{
    char at[BWSDK_TIME_MAX];
    cJSON *e = cJSON_CreateObject();
    if (!e || tw_now_rfc3339(h, at) != 0 || !cJSON_AddStringToObject(e, "id", id) ||
        !cJSON_AddStringToObject(e, "type", type) ||
        !cJSON_AddStringToObject(e, "from", from ? from : "") ||
        !cJSON_AddStringToObject(e, "to", to ? to : "") || !cJSON_AddStringToObject(e, "at", at)) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* The event id: "<endpoint>:<idem>" or "<endpoint>:<sid>[:<suffix>]". */
static int tw_event_id(char *out, size_t cap, enum tw_endpoint ep, const char *idem,
                       const char *sid, const char *suffix)
{
    int n;
    if (idem && *idem)
        n = snprintf(out, cap, "%s:it:%s%s%s", tw_endpoint_name(ep), idem, suffix ? ":" : "",
                     suffix ? suffix : "");
    else
        n = snprintf(out, cap, "%s:%s%s%s", tw_endpoint_name(ep), sid, suffix ? ":" : "",
                     suffix ? suffix : "");
    return (n < 0 || (size_t)n >= cap) ? BW_E_INVAL : 0;
}

static bool tw_dial_missed(const char *status)
{
    return status && (strcmp(status, "no-answer") == 0 || strcmp(status, "busy") == 0 ||
                      strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0);
}

/* Sets the reply's content type to TwiML. */
static void tw_reply_xml(struct bw_webhook_reply *reply)
{
    snprintf(reply->content_type, sizeof reply->content_type, "%s", "text/xml");
}

static int tw_add(cJSON *list, cJSON *e)
{
    if (!e)
        return BW_E_NOMEM;
    if (!cJSON_AddItemToArray(list, e)) {
        cJSON_Delete(e);
        return BW_E_NOMEM;
    }
    return 0;
}

static int tw_events_call(struct tw_instance *in, enum tw_endpoint ep, const struct bwsdk_form *f,
                          const char *idem, cJSON *list, struct bw_webhook_reply *reply,
                          struct bw_error *err)
{
    const struct bw_host *h = in->host;
    const char *sid = bwsdk_form_get(f, "CallSid");
    const char *from = bwsdk_form_get(f, "From");
    const char *to = bwsdk_form_get(f, "To");
    char id[256];
    if (!sid || !*sid || !from || !to)
        return bwsdk_error(err, BW_E_INVAL, NULL, "voice webhook without CallSid, From or To");
    tw_reply_xml(reply);
    bool missed;
    const char *dial_status = NULL;
    if (ep == TW_EP_VOICE) {
        if (in->forward_number[0]) {
            char action[TW_URL_MAX + 32];
            char base[TW_URL_MAX];
            snprintf(base, sizeof base, "%s", in->public_base_url);
            size_t bl = strlen(base);
            while (bl > 0 && base[bl - 1] == '/')
                base[--bl] = '\0';
            snprintf(action, sizeof action, "%s/webhooks/twilio/dial", base);
            return tw_twiml_dial(h, reply->body, in->forward_number, in->dial_timeout_s, action);
        }
        missed = true;
        dial_status = "no-forward";
    } else {
        dial_status = bwsdk_form_get(f, "DialCallStatus");
        if (!dial_status)
            return bwsdk_error(err, BW_E_INVAL, NULL, "dial action without DialCallStatus");
        missed = tw_dial_missed(dial_status);
    }
    int rc = tw_event_id(id, sizeof id, ep, idem, sid, NULL);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "event id too long");
    cJSON *e = tw_event(h, id, missed ? "call_missed" : "call_ended", from, to);
    if (e && (!cJSON_AddStringToObject(e, "message_id", sid) ||
              !cJSON_AddStringToObject(e, "status", dial_status))) {
        cJSON_Delete(e);
        e = NULL;
    }
    if ((rc = tw_add(list, e)) != 0)
        return bwsdk_error(err, rc, NULL, "out of memory");
    if (missed)
        return tw_twiml_missed(h, reply->body, in->missed_action, in->missed_message,
                               in->voicemail_max_s);
    return tw_twiml_hangup(h, reply->body);
}

static int tw_events_sms(struct tw_instance *in, const struct bwsdk_form *f, const char *idem,
                         cJSON *list, struct bw_webhook_reply *reply, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    const char *sid = bwsdk_form_get(f, "MessageSid");
    if (!sid)
        sid = bwsdk_form_get(f, "SmsSid");
    const char *from = bwsdk_form_get(f, "From");
    const char *to = bwsdk_form_get(f, "To");
    const char *body = bwsdk_form_get(f, "Body");
    const char *opt = bwsdk_form_get(f, "OptOutType");
    const char *nm = bwsdk_form_get(f, "NumMedia");
    char id[256];
    if (!sid || !*sid || !from || !to)
        return bwsdk_error(err, BW_E_INVAL, NULL, "SMS webhook without MessageSid, From or To");
    long num_media = 0;
    if (nm && *nm) {
        char *end;
        num_media = strtol(nm, &end, 10);
        if (*end || num_media < 0 || num_media > 10)
            return bwsdk_error(err, BW_E_INVAL, NULL, "NumMedia out of range");
    }
    int rc = tw_event_id(id, sizeof id, TW_EP_SMS, idem, sid, NULL);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "event id too long");
    cJSON *e = tw_event(h, id, "message", from, to);
    cJSON *media = e ? cJSON_AddArrayToObject(e, "media") : NULL;
    if (!e || !media || !cJSON_AddStringToObject(e, "text", body ? body : "") ||
        !cJSON_AddStringToObject(e, "message_id", sid)) {
        cJSON_Delete(e);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    for (long i = 0; i < num_media; i++) {
        char key[32];
        snprintf(key, sizeof key, "MediaUrl%ld", i);
        const char *u = bwsdk_form_get(f, key);
        if (u && *u && !cJSON_AddItemToArray(media, cJSON_CreateString(u))) {
            cJSON_Delete(e);
            return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        }
    }
    if ((rc = tw_add(list, e)) != 0)
        return bwsdk_error(err, rc, NULL, "out of memory");
    /* Twilio's Advanced Opt-Out reports the keyword it acted on. */
    const char *type = NULL;
    if (opt && strcmp(opt, "STOP") == 0)
        type = "opt_out";
    else if (opt && strcmp(opt, "START") == 0)
        type = "opt_in";
    if (type) {
        if ((rc = tw_event_id(id, sizeof id, TW_EP_SMS, idem, sid, type)) != 0)
            return bwsdk_error(err, rc, NULL, "event id too long");
        e = tw_event(h, id, type, from, to);
        if (e && !cJSON_AddStringToObject(e, "message_id", sid)) {
            cJSON_Delete(e);
            e = NULL;
        }
        if ((rc = tw_add(list, e)) != 0)
            return bwsdk_error(err, rc, NULL, "out of memory");
    }
    tw_reply_xml(reply);
    return tw_twiml_empty(h, reply->body);
}

static int tw_events_status(struct tw_instance *in, const struct bwsdk_form *f, const char *idem,
                            cJSON *list, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    const char *sid = bwsdk_form_get(f, "MessageSid");
    if (!sid)
        sid = bwsdk_form_get(f, "SmsSid");
    const char *status = bwsdk_form_get(f, "MessageStatus");
    if (!status)
        status = bwsdk_form_get(f, "SmsStatus");
    const char *from = bwsdk_form_get(f, "From");
    const char *to = bwsdk_form_get(f, "To");
    const char *code = bwsdk_form_get(f, "ErrorCode");
    char id[256];
    if (!sid || !*sid || !status || !*status)
        return bwsdk_error(err, BW_E_INVAL, NULL, "status callback without MessageSid or status");
    int rc = tw_event_id(id, sizeof id, TW_EP_STATUS, idem, sid, idem ? NULL : status);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "event id too long");
    cJSON *e = tw_event(h, id, "status", from, to);
    if (e && (!cJSON_AddStringToObject(e, "status", status) ||
              !cJSON_AddStringToObject(e, "message_id", sid) ||
              (code && *code && !cJSON_AddStringToObject(e, "error_code", code)))) {
        cJSON_Delete(e);
        e = NULL;
    }
    if ((rc = tw_add(list, e)) != 0)
        return bwsdk_error(err, rc, NULL, "out of memory");
    /* 21610: the recipient replied STOP; the contact (the message's To) is
     * opted out. */
    if (code && strcmp(code, "21610") == 0 && to && *to) {
        if ((rc = tw_event_id(id, sizeof id, TW_EP_STATUS, idem, sid, "opt_out")) != 0)
            return bwsdk_error(err, rc, NULL, "event id too long");
        e = tw_event(h, id, "opt_out", to, from);
        if (e && (!cJSON_AddStringToObject(e, "message_id", sid) ||
                  !cJSON_AddStringToObject(e, "error_code", code))) {
            cJSON_Delete(e);
            e = NULL;
        }
        if ((rc = tw_add(list, e)) != 0)
            return bwsdk_error(err, rc, NULL, "out of memory");
    }
    return 0;
}

int tw_webhook_events(struct tw_instance *in, enum tw_endpoint ep, const struct bwsdk_form *f,
                      const char *idem, struct bw_buf *events, struct bw_webhook_reply *reply,
                      struct bw_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "events") : NULL;
    int rc;
    if (!list) {
        cJSON_Delete(root);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    switch (ep) {
    case TW_EP_VOICE:
    case TW_EP_DIAL: rc = tw_events_call(in, ep, f, idem, list, reply, err); break;
    case TW_EP_SMS: rc = tw_events_sms(in, f, idem, list, reply, err); break;
    case TW_EP_STATUS: rc = tw_events_status(in, f, idem, list, err); break;
    default: rc = bwsdk_error(err, BW_E_INVAL, NULL, "unknown Twilio webhook endpoint"); break;
    }
    if (rc == 0)
        rc = bwsdk_json_emit(in->host, events, root);
    cJSON_Delete(root);
    return rc;
}
