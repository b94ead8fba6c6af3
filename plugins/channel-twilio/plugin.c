/*
 * channel.twilio: SMS/MMS and voice call events through Twilio. The
 * descriptor and configuration schema, the instance (read once from the
 * binding at instance_open), and the channel ops: capabilities, route_keys
 * (the tenant's Twilio numbers), webhook_route (the To number of voice, dial
 * and SMS webhooks; the From number, ours, of status callbacks), webhook
 * (signature check, then webhook.c), send (send.c) and health, which also
 * advances A2P registration when the binding asks for it (a2p.c).
 */
#include "twilio.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The services table, for webhook_route, which is called without an
 * instance: set by init (one host per process). */
static _Atomic(const struct bw_host *) tw_host;

static int tw_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    *state = NULL;
    atomic_store(&tw_host, host);
    return 0;
}

#define F(type, flags, key, def, desc, min, max) \
    { sizeof(struct bw_config_field), type, flags, 0, key, def, desc, min, max }

static const struct bw_config_field tw_config[] = {
    F(BW_CFG_STRING, BW_CFG_F_REQUIRED, "account_sid", NULL, "Twilio Account SID (AC...)", 0, 0),
    F(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "auth_token", NULL,
      "the account's auth token: signs webhooks and authenticates API calls", 0, 0),
    F(BW_CFG_LIST, BW_CFG_F_REQUIRED, "numbers", NULL,
      "the clinic's Twilio numbers (E.164); the first sends when no service is set", 1,
      TW_MAX_NUMBERS),
    F(BW_CFG_STRING, 0, "messaging_service_sid", NULL, "Messaging Service SID (MG...) to send from",
      0, 0),
    F(BW_CFG_STRING, 0, "forward_number", NULL,
      "the clinic's phone rung by incoming calls; unset: every call is a missed call", 0, 0),
    F(BW_CFG_STRING, BW_CFG_F_REQUIRED, "public_base_url", NULL,
      "https://host[:port] Twilio calls; signatures cover it (behind a proxy)", 0, 0),
    F(BW_CFG_STRING, 0, "status_callback_url", NULL,
      "StatusCallback of sent messages (default public_base_url/webhooks/twilio/status)", 0, 0),
    F(BW_CFG_DURATION, 0, "dial_timeout", "20s", "how long the clinic's phone rings", 5000, 600000),
    F(BW_CFG_STRING, 0, "missed_call_action", "message",
      "after a missed call: message (say and hang up) or voicemail", 0, 0),
    F(BW_CFG_STRING, 0, "missed_call_message",
      "Sorry we missed your call. We will text you right away.",
      "what the caller hears after a missed call", 0, 0),
    F(BW_CFG_DURATION, 0, "voicemail_max", "120s", "longest voicemail", 5000, 3600000),
    F(BW_CFG_STRING, 0, "api_base_url", "https://api.twilio.com", "Twilio REST API", 0, 0),
    F(BW_CFG_STRING, 0, "messaging_base_url", "https://messaging.twilio.com",
      "Twilio Messaging API (services, A2P)", 0, 0),
    F(BW_CFG_INT, 0, "send_rate", "1", "messages per second per sending number (token bucket)", 1,
      1000),
    F(BW_CFG_INT, 0, "send_burst", "10", "messages a sending number may send at once", 1, 10000),
    F(BW_CFG_BOOL, 0, "a2p_register", "false", "register the A2P brand and campaign", 0, 0),
    F(BW_CFG_BOOL, 0, "a2p_required", "false", "send only once the A2P campaign is verified", 0, 0),
    F(BW_CFG_STRING, 0, "a2p_customer_profile_sid", NULL, "Trust Hub customer profile bundle (BU...)",
      0, 0),
    F(BW_CFG_STRING, 0, "a2p_profile_bundle_sid", NULL, "Trust Hub A2P profile bundle (BU...)", 0,
      0),
    F(BW_CFG_STRING, 0, "a2p_use_case", "MIXED", "campaign use case (MIXED, CUSTOMER_CARE, ...)", 0,
      0),
    F(BW_CFG_STRING, 0, "a2p_description", NULL, "campaign description", 0, 0),
    F(BW_CFG_STRING, 0, "a2p_message_flow", NULL, "how patients opt in", 0, 0),
    F(BW_CFG_LIST, 0, "a2p_samples", NULL, "two to five sample messages", 0, 0),
    F(BW_CFG_BOOL, 0, "a2p_has_embedded_links", "false", "messages contain links", 0, 0),
    F(BW_CFG_BOOL, 0, "a2p_has_embedded_phone", "false", "messages contain phone numbers", 0, 0),
};

int tw_cfg_str(const struct bw_host *h, struct bw_call *call, const char *key, char *out,
               size_t cap, bool required)
{
    struct bw_str s;
    int rc = h->config_string(call, key, &s);
    if (rc == BW_E_CONFIG && !required) {
        out[0] = '\0';
        return 0;
    }
    if (rc != 0)
        return rc;
    return bwsdk_strlcpy(out, cap, s.ptr, s.len) == 0 ? 0 : BW_E_CONFIG;
}

static bool tw_prefixed_sid(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, 2) != 0 || strlen(s) != 34)
        return false;
    for (const char *p = s + 2; *p; p++)
        if (!strchr("0123456789abcdefABCDEF", *p))
            return false;
    return true;
}

static void tw_instance_free(struct tw_instance *in)
{
    if (!in)
        return;
    if (in->auth_token) {
        memset(in->auth_token, 0, in->auth_token_len);
        free(in->auth_token);
    }
    pthread_mutex_destroy(&in->lock);
    free(in);
}

static int tw_open(const struct bw_host *host, void *state, struct bw_call *call, void **instance,
                   struct bw_error *err)
{
    (void)state;
    struct tw_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    atomic_store(&tw_host, host);
    in->host = host;
    in->a2p_approved_cache = -1;
    if (pthread_mutex_init(&in->lock, NULL) != 0) {
        free(in);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "cannot create a lock");
    }
    char action[32];
    struct bw_str tok;
    int64_t i64;
    int32_t b;
    uint32_t n = 0;
    if (tw_cfg_str(host, call, "account_sid", in->account_sid, sizeof in->account_sid, true) != 0 ||
        !tw_prefixed_sid(in->account_sid, "AC")) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "account_sid is not an Account SID (AC...)");
    }
    if (host->secret(call, "auth_token", &tok) != 0 || tok.len == 0 || tok.len > 128) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "auth_token is missing");
    }
    in->auth_token = malloc(tok.len + 1);
    if (!in->auth_token) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    memcpy(in->auth_token, tok.ptr, tok.len);
    in->auth_token[tok.len] = '\0';
    in->auth_token_len = tok.len;
    if (host->config_list_count(call, "numbers", &n) != 0 || n == 0 || n > TW_MAX_NUMBERS) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "numbers must list the clinic's Twilio numbers");
    }
    for (uint32_t i = 0; i < n; i++) {
        struct bw_str s;
        char raw[64];
        if (host->config_list_item(call, "numbers", i, &s) != 0 ||
            bwsdk_strlcpy(raw, sizeof raw, s.ptr, s.len) != 0 ||
            bwsdk_phone_e164(raw, "US", in->numbers[i]) != 0) {
            tw_instance_free(in);
            return bwsdk_error(err, BW_E_CONFIG, NULL, "numbers[%u] is not a phone number", i);
        }
    }
    in->n_numbers = n;
    char fwd[64];
    if (tw_cfg_str(host, call, "messaging_service_sid", in->messaging_service_sid,
                   sizeof in->messaging_service_sid, false) != 0 ||
        (in->messaging_service_sid[0] && !tw_prefixed_sid(in->messaging_service_sid, "MG"))) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "messaging_service_sid is not MG...");
    }
    if (tw_cfg_str(host, call, "forward_number", fwd, sizeof fwd, false) != 0 ||
        (fwd[0] && bwsdk_phone_e164(fwd, "US", in->forward_number) != 0)) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "forward_number is not a phone number");
    }
    if (tw_cfg_str(host, call, "public_base_url", in->public_base_url, sizeof in->public_base_url,
                   true) != 0 ||
        (strncmp(in->public_base_url, "https://", 8) != 0 &&
         strncmp(in->public_base_url, "http://", 7) != 0)) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "public_base_url must be an http(s) URL");
    }
    size_t bl = strlen(in->public_base_url);
    while (bl > 0 && in->public_base_url[bl - 1] == '/')
        in->public_base_url[--bl] = '\0';
    if (tw_cfg_str(host, call, "status_callback_url", in->status_callback,
                   sizeof in->status_callback, false) != 0 ||
        tw_cfg_str(host, call, "missed_call_message", in->missed_message,
                   sizeof in->missed_message, false) != 0 ||
        tw_cfg_str(host, call, "missed_call_action", action, sizeof action, false) != 0 ||
        tw_cfg_str(host, call, "api_base_url", in->api_base, sizeof in->api_base, true) != 0 ||
        tw_cfg_str(host, call, "messaging_base_url", in->messaging_base, sizeof in->messaging_base,
                   true) != 0) {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "a setting is too long");
    }
    if (strcmp(action, "voicemail") == 0) {
        in->missed_action = TW_MISSED_VOICEMAIL;
    } else if (strcmp(action, "message") == 0 || !action[0]) {
        in->missed_action = TW_MISSED_MESSAGE;
    } else {
        tw_instance_free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "missed_call_action is message or voicemail");
    }
    host->config_duration_ms(call, "dial_timeout", &i64);
    in->dial_timeout_s = i64 / 1000;
    host->config_duration_ms(call, "voicemail_max", &i64);
    in->voicemail_max_s = i64 / 1000;
    host->config_int(call, "send_rate", &i64);
    in->rate_per_s = in->cfg_rate_per_s = (double)i64;
    host->config_int(call, "send_burst", &i64);
    in->burst = in->cfg_burst = (double)i64;
    if (host->config_bool(call, "a2p_register", &b) == 0)
        in->a2p_register = b != 0;
    if (host->config_bool(call, "a2p_required", &b) == 0)
        in->a2p_required = b != 0;
    *instance = in;
    return 0;
}

static void tw_close(void *state, void *instance)
{
    (void)state;
    tw_instance_free(instance);
}

static int tw_health(void *instance, struct bw_call *call, struct bw_buf *out, struct bw_error *err)
{
    struct tw_instance *in = instance;
    int rc = bwsdk_buf_puts(in->host, out, "{\"ok\":true,\"a2p\":");
    if (rc == 0)
        rc = tw_a2p_step(in, call, out, err);
    if (rc == 0)
        rc = bwsdk_buf_puts(in->host, out, "}");
    return rc;
}

static int tw_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_CHANNEL_CAP_SMS | BW_CHANNEL_CAP_MMS | BW_CHANNEL_CAP_VOICE;
    return 0;
}

static int tw_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    struct tw_instance *in = instance;
    (void)call;
    cJSON *root = cJSON_CreateObject();
    cJSON *keys = root ? cJSON_AddArrayToObject(root, "keys") : NULL;
    int rc = keys ? 0 : BW_E_NOMEM;
    for (uint32_t i = 0; rc == 0 && i < in->n_numbers; i++) {
        cJSON *k = cJSON_CreateObject();
        if (!k || !cJSON_AddStringToObject(k, "type", "phone") ||
            !cJSON_AddStringToObject(k, "value", in->numbers[i]) ||
            !cJSON_AddItemToArray(keys, k)) {
            cJSON_Delete(k);
            rc = BW_E_NOMEM;
        }
    }
    if (rc == 0)
        rc = bwsdk_json_emit(in->host, out, root);
    cJSON_Delete(root);
    return rc ? bwsdk_error(err, rc, NULL, "cannot list route keys") : 0;
}

static const char *tw_header(const struct bw_webhook_request *req, const char *name, char *out,
                             size_t cap)
{
    const struct bw_http_header *h = bwsdk_http_header(req->headers, req->n_headers, name);
    if (!h || bwsdk_strlcpy(out, cap, h->value.ptr, h->value.len) != 0)
        return NULL;
    return out;
}

static int tw_webhook(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                      struct bw_webhook_reply *reply, struct bw_buf *events, struct bw_error *err)
{
    struct tw_instance *in = instance;
    const struct bw_host *h = in->host;
    struct bwsdk_form f = { 0 };
    char sig[128], idem[128];
    char *url = NULL;
    int rc;
    enum tw_endpoint ep = tw_endpoint_of(req->url);
    if (ep == TW_EP_UNKNOWN)
        return bwsdk_error(err, BW_E_INVAL, NULL, "unknown Twilio webhook endpoint");
    if (!req->method || strcmp(req->method, "POST") != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "Twilio webhooks are POSTed");
    if ((rc = tw_form_parse(&f, (const char *)req->body.ptr, req->body.len)) != 0) {
        bwsdk_form_free(&f);
        return bwsdk_error(err, BW_E_INVAL, NULL, "malformed or oversized form body");
    }
    size_t cap = strlen(in->public_base_url) + strlen(req->url) + 2;
    url = malloc(cap);
    if (!url || tw_public_url(in->public_base_url, req->url, url, cap) != 0) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    const char *s = tw_header(req, "X-Twilio-Signature", sig, sizeof sig);
    rc = tw_signature_check(h, in->auth_token, in->auth_token_len, url, &f, s);
    if (rc < 0) {
        rc = bwsdk_error(err, rc, NULL, "cannot compute the signature");
        goto done;
    }
    if (rc != 1) {
        h->counter_add(call, "twilio_bad_signature", 1);
        rc = bwsdk_error(err, BW_E_AUTH, NULL, "%s X-Twilio-Signature",
                         s ? "invalid" : "missing");
        goto done;
    }
    const char *it = tw_header(req, "I-Twilio-Idempotency-Token", idem, sizeof idem);
    rc = tw_webhook_events(in, ep, &f, it, events, reply, err);
done:
    free(url);
    bwsdk_form_free(&f);
    return rc;
}

static int tw_send_op(void *instance, struct bw_call *call, const struct bw_json *msg,
                      struct bw_buf *out, struct bw_error *err)
{
    return tw_send(instance, call, msg, out, err);
}

/* The To number (From for status callbacks, which report our own sends). */
static int tw_webhook_route(struct bw_call *call, const struct bw_webhook_request *req,
                            struct bw_buf *out, struct bw_error *err)
{
    (void)call;
    enum tw_endpoint ep = tw_endpoint_of(req->url);
    if (ep == TW_EP_UNKNOWN)
        return bwsdk_error(err, BW_E_INVAL, NULL, "unknown Twilio webhook endpoint");
    struct bwsdk_form f = { 0 };
    if (tw_form_parse(&f, (const char *)req->body.ptr, req->body.len) != 0) {
        bwsdk_form_free(&f);
        return bwsdk_error(err, BW_E_INVAL, NULL, "malformed or oversized form body");
    }
    const char *num = bwsdk_form_get(&f, ep == TW_EP_STATUS ? "From" : "To");
    char e164[BWSDK_E164_MAX];
    int rc;
    if (!num || bwsdk_phone_e164(num, "US", e164) != 0) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "webhook without a routable number");
    } else {
        /* Small and fixed in shape (e164 is '+' and digits). */
        char text[96];
        snprintf(text, sizeof text, "{\"type\":\"phone\",\"value\":\"%s\"}", e164);
        const struct bw_host *h = atomic_load(&tw_host);
        rc = h ? bwsdk_buf_puts(h, out, text)
               : bwsdk_error(err, BW_E_INVAL, NULL, "plugin not initialised");
    }
    bwsdk_form_free(&f);
    return rc;
}

static const struct bw_channel_ops tw_ops = {
    .struct_size = sizeof(struct bw_channel_ops),
    .capabilities = tw_capabilities,
    .route_keys = tw_route_keys,
    .webhook = tw_webhook,
    .send = tw_send_op,
    .webhook_route = tw_webhook_route,
};

static const struct bw_plugin_descriptor tw_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_CHANNEL,
    .flags = 0,
    .n_config = sizeof tw_config / sizeof tw_config[0],
    .id = TW_PLUGIN_ID,
    .version = TW_VERSION,
    .description = "Twilio SMS/MMS and missed-call text-back",
    .config = tw_config,
    .init = tw_init,
    .fini = NULL,
    .instance_open = tw_open,
    .instance_close = tw_close,
    .health = tw_health,
    .ops = &tw_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    if (host_major != BW_ABI_MAJOR)
        return NULL;
    return &tw_descriptor;
}
