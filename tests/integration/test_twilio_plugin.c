/*
 * The built channel.twilio plugin (plugins/channel.twilio-1.0.0.so), loaded
 * with the host's loader and called through the host's real services table
 * against the Twilio simulator (tests/sim/twilio_sim.py) with the
 * per-instance base URL override, and a fresh PostgreSQL database for its
 * key-value storage: descriptor, route keys and webhook routing; sends (the
 * request Twilio receives, Basic auth, MessagingServiceSid, media); error
 * mapping of the simulator's Twilio error bodies (21211, 21610, 20429, 503,
 * 20003) and of a timeout after the request was sent; per-number pacing;
 * webhooks signed by the simulator (an independent HMAC) through the
 * plugin's webhook op, forged and proxied ones; A2P registration steps;
 * and every request the plugin made validated against Twilio's OpenAPI
 * descriptions (tests/sim/openapi_check.py), with a negative control.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bookwell/channel.h>
#include <bookwell-sdk/sdk.h>

#include "clock.h"
#include "db.h"
#include "plugin_call.h"
#include "plugin_loader.h"
#include "support/daemon_proc.h"
#include "support/sim_proc.h"
#include "support/testdb.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define TOKEN "simulated-auth-token-0123456789"
#define CLINIC "+14155550100"
#define PATIENT "+14155550123"
#define PUBLIC "https://clinic.example.com"

static const struct bw_host *H;
static struct plugin_set set;
static const struct plugin *plug;
static const struct bw_channel_ops *ops;
static void *state;
static struct test_sim sim;
static char *ci;
static struct db_pool *pool;

static void suite_init(void)
{
    H = plugin_services();
    const char *b = getenv("BW_BUILDDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/channel.twilio-1.0.0.so", b ? b : ".");
    struct plugin_reject_info why;
    cr_assert_eq(plugin_loader_open(&set, path, BW_ABI_MINOR, &plug, &why), 0, "%s: %s", path,
                 why.reason);
    ops = plug->desc->ops;
    struct bw_call call;
    plugin_call_begin(&call, NULL, "channel.twilio", NULL);
    cr_assert_eq(plug->desc->init(H, &call, &state), 0);
    plugin_call_end(&call);
    test_sim_start(&sim, "twilio", NULL);
}

/* A fresh database for the tests that use key-value storage. */
static void need_db(void)
{
    char err[256];
    ci = testdb_create();
    cr_assert_eq(db_pool_open(&pool, ci, 2, 5000, err, sizeof err), 0, "%s", err);
}

static void suite_fini(void)
{
    if (plug && plug->desc->fini)
        plug->desc->fini(state);
    plugin_set_close(&set);
    test_sim_stop(&sim);
    if (ci) {
        db_pool_close(pool);
        testdb_drop(ci);
        free(ci);
    }
}

TestSuite(twilio_plugin, .init = suite_init, .fini = suite_fini, .timeout = 60);

/* ---- configuration built from the plugin's own schema ---------------------- */

struct kv {
    const char *key, *value;
};

static int64_t duration_ms(const char *s)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (strcmp(end, "ms") == 0)
        return n;
    if (strcmp(end, "m") == 0)
        return n * 60000;
    return n * 1000;
}

/* Every field of the schema, set from kv (NULL-terminated) or its default. */
static void build_config(struct plugin_config *cfg, const struct kv *kv)
{
    const struct bw_plugin_descriptor *d = plug->desc;
    cfg->n = d->n_config;
    cfg->values = calloc(d->n_config, sizeof *cfg->values);
    for (uint32_t i = 0; i < d->n_config; i++) {
        struct plugin_config_value *v = &cfg->values[i];
        v->field = &d->config[i];
        const char *text = v->field->default_value;
        for (const struct kv *p = kv; p && p->key; p++)
            if (strcmp(p->key, v->field->key) == 0) {
                text = p->value; /* the first setting wins */
                break;
            }
        if (!text)
            continue;
        v->set = true;
        switch (v->field->type) {
        case BW_CFG_INT: v->num = strtoll(text, NULL, 10); break;
        case BW_CFG_BOOL: v->num = strcmp(text, "true") == 0; break;
        case BW_CFG_DURATION: v->num = duration_ms(text); break;
        case BW_CFG_LIST: {
            char *copy = strdup(text), *save = NULL;
            v->items = calloc(16, sizeof *v->items);
            for (char *t = strtok_r(copy, ",", &save); t && v->n_items < 16; t = strtok_r(NULL, ",", &save))
                v->items[v->n_items++] = strdup(t);
            free(copy);
            break;
        }
        default: v->text = strdup(text); break;
        }
    }
}

struct inst {
    struct plugin_config cfg;
    void *in;
};

static const struct kv BASE[] = {
    { "account_sid", ACCOUNT }, { "auth_token", TOKEN }, { "numbers", CLINIC ",+14155550101" },
    { "public_base_url", PUBLIC }, { NULL, NULL },
};

static void begin(struct bw_call *call, struct inst *t)
{
    plugin_call_begin(call, "glow", "channel.twilio", "req-test");
    call->config = &t->cfg;
    call->pool = pool;
    call->base_url = sim.base_url;
    call->deadline_mono_ms = clock_mono_ms() + 10000;
}

/* Opens an instance with BASE plus extra (extra wins). */
static int open_inst(struct inst *t, const struct kv *extra, struct bw_error *err)
{
    struct kv all[64];
    int n = 0;
    for (const struct kv *p = extra; p && p->key; p++)
        all[n++] = *p;
    for (const struct kv *p = BASE; p->key; p++)
        all[n++] = *p;
    all[n] = (struct kv){ NULL, NULL };
    build_config(&t->cfg, all);
    struct bw_call call;
    begin(&call, t);
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
    int rc = plug->desc->instance_open(H, state, &call, &t->in, err);
    plugin_call_end(&call);
    return rc;
}

static void close_inst(struct inst *t)
{
    if (t->in)
        plug->desc->instance_close(state, t->in);
    plugin_config_free(&t->cfg);
}

/* ---- the simulator's control API ---------------------------------------------- */

static cJSON *sim_json(const char *method, const char *path, const char *body)
{
    struct test_http_resp r;
    const char *hdr[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(test_http(method, sim.port, path, hdr, body, body ? strlen(body) : 0, &r), 0);
    cr_assert_eq(r.status, 200, "%s %s: %ld %s", method, path, r.status, r.body);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_not_null(j);
    test_http_resp_free(&r);
    return j;
}

/* Forgets what the simulator received; no status callbacks (their URL is
 * the made-up public one). */
static void sim_reset(void)
{
    cJSON_Delete(sim_json("POST", "/_sim/reset", "{}"));
    cJSON_Delete(sim_json("POST", "/_sim/config", "{\"status_callbacks\":false}"));
}

/* The form of the last Messages API request, as [[k,v],...]. */
static cJSON *last_request(void)
{
    cJSON *j = sim_json("GET", "/_sim/requests", NULL);
    cJSON *list = cJSON_GetObjectItem(j, "requests");
    int n = cJSON_GetArraySize(list);
    cr_assert_gt(n, 0, "the simulator received nothing");
    cJSON *last = cJSON_DetachItemFromArray(list, n - 1);
    cJSON_Delete(j);
    return last;
}

static const char *form_value(const cJSON *req, const char *key, int nth)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(req, "form"))
    {
        if (strcmp(cJSON_GetArrayItem(p, 0)->valuestring, key) == 0 && nth-- == 0)
            return cJSON_GetArrayItem(p, 1)->valuestring;
    }
    return NULL;
}

/* ---- send ------------------------------------------------------------------------ */

static int send_msg(struct inst *t, const char *json, char *out, size_t cap, struct bw_error *err)
{
    struct bw_call call;
    begin(&call, t);
    struct bw_buf *b = plugin_buf_new(0);
    struct bw_json msg = { BW_SCHEMA_CHANNEL_MESSAGE, (const uint8_t *)json, strlen(json) };
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
    int rc = ops->send(t->in, &call, &msg, b, err);
    uint64_t n;
    snprintf(out, cap, "%s", plugin_buf_data(b, &n));
    plugin_buf_free(b);
    plugin_call_end(&call);
    return rc;
}

#define MSG(to, text) "{\"to\":\"" to "\",\"text\":\"" text "\",\"reference\":\"m1\"}"

Test(twilio_plugin, descriptor_capabilities_and_route_keys)
{
    cr_assert_str_eq(plug->desc->id, "channel.twilio");
    cr_assert_eq(plug->desc->kind, BW_KIND_CHANNEL);
    struct inst t = { 0 };
    struct bw_error err;
    cr_assert_eq(open_inst(&t, NULL, &err), 0, "%s", err.message);
    struct bw_call call;
    begin(&call, &t);
    uint64_t caps = 0;
    cr_assert_eq(ops->capabilities(t.in, &call, &caps), 0);
    cr_assert_eq(caps, BW_CHANNEL_CAP_SMS | BW_CHANNEL_CAP_MMS | BW_CHANNEL_CAP_VOICE);
    struct bw_buf *b = plugin_buf_new(0);
    cr_assert_eq(ops->route_keys(t.in, &call, b, &err), 0);
    uint64_t n;
    cr_assert_str_eq(plugin_buf_data(b, &n),
                     "{\"keys\":[{\"type\":\"phone\",\"value\":\"+14155550100\"},"
                     "{\"type\":\"phone\",\"value\":\"+14155550101\"}]}");
    plugin_buf_free(b);
    plugin_call_end(&call);
    close_inst(&t);
}

Test(twilio_plugin, unusable_configuration_is_refused)
{
    struct bw_error err;
    struct inst t = { 0 };
    const struct kv bad_sid[] = { { "account_sid", "AC123" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&t, bad_sid, &err), BW_E_CONFIG);
    close_inst(&t);
    struct inst u = { 0 };
    const struct kv bad_action[] = { { "missed_call_action", "sing" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&u, bad_action, &err), BW_E_CONFIG);
    close_inst(&u);
    struct inst v = { 0 };
    const struct kv bad_num[] = { { "numbers", "not-a-number" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&v, bad_num, &err), BW_E_CONFIG);
    close_inst(&v);
}

Test(twilio_plugin, send_posts_to_the_messages_api)
{
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    cr_assert_eq(open_inst(&t, NULL, &err), 0, "%s", err.message);
    char out[512];
    cr_assert_eq(send_msg(&t, "{\"to\":\"(415) 555-0123\",\"text\":\"Hi! Sorry we missed you.\","
                              "\"media\":[\"https://m.example/a.jpg\"],\"reference\":\"m1\"}",
                          out, sizeof out, &err), 0, "%s", err.message);
    cJSON *res = cJSON_Parse(out);
    cr_assert_not_null(res, "%s", out);
    const char *sid = cJSON_GetObjectItem(res, "message_id")->valuestring;
    cr_assert(strncmp(sid, "MM", 2) == 0 && strlen(sid) == 34, "%s", sid);
    cr_assert_str_eq(cJSON_GetObjectItem(res, "status")->valuestring, "queued");
    cJSON *req = last_request();
    cr_assert_str_eq(cJSON_GetObjectItem(req, "path")->valuestring,
                     "/2010-04-01/Accounts/" ACCOUNT "/Messages.json");
    cr_assert_str_eq(form_value(req, "To", 0), PATIENT, "normalised to E.164");
    cr_assert_str_eq(form_value(req, "From", 0), CLINIC, "the first number sends");
    cr_assert_str_eq(form_value(req, "Body", 0), "Hi! Sorry we missed you.");
    cr_assert_str_eq(form_value(req, "MediaUrl", 0), "https://m.example/a.jpg");
    cr_assert_str_eq(form_value(req, "StatusCallback", 0), PUBLIC "/webhooks/twilio/status");
    cr_assert_null(form_value(req, "MessagingServiceSid", 0));
    cJSON_Delete(req);
    cJSON_Delete(res);
    close_inst(&t);
}

Test(twilio_plugin, send_through_a_messaging_service)
{
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv svc[] = { { "messaging_service_sid", "MG0123456789abcdef0123456789abcdef" },
                              { "status_callback_url", "https://cb.example.com/status" },
                              { NULL, NULL } };
    cr_assert_eq(open_inst(&t, svc, &err), 0, "%s", err.message);
    char out[512];
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "hello"), out, sizeof out, &err), 0, "%s", err.message);
    cJSON *req = last_request();
    cr_assert_str_eq(form_value(req, "MessagingServiceSid", 0), "MG0123456789abcdef0123456789abcdef");
    cr_assert_null(form_value(req, "From", 0), "the service picks the sender");
    cr_assert_str_eq(form_value(req, "StatusCallback", 0), "https://cb.example.com/status");
    cJSON_Delete(req);
    close_inst(&t);
}

Test(twilio_plugin, provider_errors_are_mapped)
{
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv fast[] = { { "send_burst", "100" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&t, fast, &err), 0, "%s", err.message);
    char out[512];
    /* 21211: Twilio's invalid test number. Final. */
    cr_assert_eq(send_msg(&t, MSG("+15005550001", "x"), out, sizeof out, &err), BW_E_INVAL);
    cr_assert_str_eq(err.provider_code, "21211");
    cr_assert_eq(err.http_status, 400);
    /* 21610: the recipient opted out at Twilio. */
    cJSON_Delete(sim_json("POST", "/_sim/optout", "{\"to\":\"+14155550177\"}"));
    cr_assert_eq(send_msg(&t, MSG("+14155550177", "x"), out, sizeof out, &err), BW_E_INVAL);
    cr_assert_str_eq(err.provider_code, "21610");
    /* 20429 with Retry-After, then 503: retried with backoff. */
    cJSON_Delete(sim_json("POST", "/_sim/fault", "{\"code\":20429,\"status\":429,\"count\":1,\"retry_after\":2}"));
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), out, sizeof out, &err), BW_E_RETRY);
    cr_assert_str_eq(err.provider_code, "20429");
    cr_assert_eq(err.retry_after_ms, 2000);
    cJSON_Delete(sim_json("POST", "/_sim/fault", "{\"status\":503,\"count\":1}"));
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), out, sizeof out, &err), BW_E_RETRY);
    cr_assert_eq(err.http_status, 503);
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), out, sizeof out, &err), 0, "the fault is over");
    close_inst(&t);
    /* 20003: a wrong auth token. */
    struct inst u = { 0 };
    const struct kv wrong[] = { { "auth_token", "wrong-token" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&u, wrong, &err), 0);
    cr_assert_eq(send_msg(&u, MSG(PATIENT, "x"), out, sizeof out, &err), BW_E_AUTH);
    cr_assert_str_eq(err.provider_code, "20003");
    close_inst(&u);
}

Test(twilio_plugin, a_timeout_after_sending_is_not_retried_blindly)
{
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    cr_assert_eq(open_inst(&t, NULL, &err), 0);
    cJSON_Delete(sim_json("POST", "/_sim/fault", "{\"delay_ms\":2500,\"count\":1}"));
    struct bw_call call;
    begin(&call, &t);
    call.deadline_mono_ms = clock_mono_ms() + 800;
    struct bw_buf *b = plugin_buf_new(0);
    const char *json = MSG(PATIENT, "x");
    struct bw_json msg = { BW_SCHEMA_CHANNEL_MESSAGE, (const uint8_t *)json, strlen(json) };
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    cr_assert_eq(ops->send(t.in, &call, &msg, b, &err), BW_E_REMOTE, "not BW_E_RETRY/TIMEOUT");
    cr_assert_str_eq(err.provider_code, "unknown_outcome");
    plugin_buf_free(b);
    plugin_call_end(&call);
    cJSON *m = sim_json("GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 1,
                 "Twilio did create the message: a resend would double it");
    cJSON_Delete(m);
    close_inst(&t);
}

Test(twilio_plugin, sends_are_paced_per_number)
{
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv slow[] = { { "send_rate", "1" }, { "send_burst", "2" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&t, slow, &err), 0);
    char out[512];
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "1"), out, sizeof out, &err), 0);
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "2"), out, sizeof out, &err), 0);
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "3"), out, sizeof out, &err), BW_E_RETRY,
                 "the burst is spent: queued, not failed");
    cr_assert_str_eq(err.provider_code, "pacing");
    cr_assert(err.retry_after_ms > 500 && err.retry_after_ms <= 1001, "%lld",
              (long long)err.retry_after_ms);
    cr_assert_eq(send_msg(&t, "{\"to\":\"" PATIENT "\",\"from\":\"+14155550101\",\"text\":\"x\"}",
                          out, sizeof out, &err), 0, "another sending number is not paced");
    cJSON *m = sim_json("GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 3);
    cJSON_Delete(m);
    close_inst(&t);
}

/* ---- webhooks signed by the simulator -------------------------------------------- */

struct hook {
    int rc;
    char events[4096];
    char twiml[2048];
    char err[256];
};

/* Builds a body from pairs, has the simulator sign it for sign_url, and
 * calls the webhook op as the host would for req_url. */
static struct hook webhook(struct inst *t, const char *req_url, const char *sign_url,
                           const char *const *pairs, const char *forged_sig)
{
    struct hook h = { 0 };
    struct bwsdk_form f = { 0 };
    cJSON *sreq = cJSON_CreateObject();
    cJSON_AddStringToObject(sreq, "url", sign_url);
    cJSON *params = cJSON_AddArrayToObject(sreq, "params");
    for (int i = 0; pairs[i]; i += 2) {
        bwsdk_form_add(&f, pairs[i], pairs[i + 1]);
        const char *pv[2] = { pairs[i], pairs[i + 1] };
        cJSON_AddItemToArray(params, cJSON_CreateStringArray(pv, 2));
    }
    char *sbody = cJSON_PrintUnformatted(sreq);
    cJSON *sig = sim_json("POST", "/_sim/sign", sbody);
    char *body;
    size_t len;
    cr_assert_eq(bwsdk_form_encode(&f, &body, &len), 0);
    const char *s = forged_sig ? forged_sig : cJSON_GetObjectItem(sig, "signature")->valuestring;
    struct bw_http_header hdr[2] = { { { "X-Twilio-Signature", 18 }, { s, strlen(s) } },
                                     { { "Content-Type", 12 }, { "application/x-www-form-urlencoded", 33 } } };
    struct bw_webhook_request req = { sizeof req, 0, "POST", req_url, hdr, 2,
                                      { (const uint8_t *)body, len }, "127.0.0.1" };
    struct bw_buf *xml = plugin_buf_new(0), *ev = plugin_buf_new(0);
    struct bw_webhook_reply reply = { sizeof reply, 200, xml, "text/plain" };
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    begin(&call, t);
    h.rc = ops->webhook(t->in, &call, &req, &reply, ev, &err);
    plugin_call_end(&call);
    uint64_t n;
    snprintf(h.events, sizeof h.events, "%s", plugin_buf_data(ev, &n));
    snprintf(h.twiml, sizeof h.twiml, "%s", plugin_buf_data(xml, &n));
    snprintf(h.err, sizeof h.err, "%s", err.message);
    plugin_buf_free(xml);
    plugin_buf_free(ev);
    free(body);
    free(sbody);
    cJSON_Delete(sig);
    cJSON_Delete(sreq);
    bwsdk_form_free(&f);
    return h;
}

static const char *const MISSED_CALL[] = { "AccountSid", ACCOUNT, "CallSid", "CA42", "From", PATIENT,
                                           "To", CLINIC, "CallStatus", "in-progress",
                                           "DialCallStatus", "no-answer", NULL };

Test(twilio_plugin, signed_webhooks_parse_and_forged_ones_are_refused)
{
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv fwd[] = { { "forward_number", "+14155559999" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&t, fwd, &err), 0);
    /* Behind a proxy: the host saw a loopback URL, Twilio signed the public one. */
    struct hook h = webhook(&t, "http://127.0.0.1:8080/webhooks/twilio/dial",
                            PUBLIC "/webhooks/twilio/dial", MISSED_CALL, NULL);
    cr_assert_eq(h.rc, 0, "%s", h.err);
    cr_assert(strstr(h.events, "\"type\":\"call_missed\"") != NULL, "%s", h.events);
    cr_assert(strstr(h.events, "\"id\":\"dial:CA42\"") != NULL, "%s", h.events);
    cr_assert(strstr(h.twiml, "<Say>Sorry we missed your call.") != NULL, "%s", h.twiml);
    /* Twilio signed with the default port. */
    h = webhook(&t, "/webhooks/twilio/dial", "https://clinic.example.com:443/webhooks/twilio/dial",
                MISSED_CALL, NULL);
    cr_assert_eq(h.rc, 0, "%s", h.err);
    /* Forged: a signature of other parameters, and a missing one. */
    h = webhook(&t, "/webhooks/twilio/dial", PUBLIC "/webhooks/twilio/voice", MISSED_CALL, NULL);
    cr_assert_eq(h.rc, BW_E_AUTH, "signed for another URL");
    cr_assert_str_eq(h.events, "", "nothing parsed");
    h = webhook(&t, "/webhooks/twilio/dial", PUBLIC "/webhooks/twilio/dial", MISSED_CALL,
                "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    cr_assert_eq(h.rc, BW_E_AUTH);
    h = webhook(&t, "/webhooks/twilio/dial", PUBLIC "/webhooks/twilio/dial", MISSED_CALL, "");
    cr_assert_eq(h.rc, BW_E_AUTH);
    /* The voice webhook rings the clinic. */
    h = webhook(&t, "/webhooks/twilio/voice", PUBLIC "/webhooks/twilio/voice", MISSED_CALL, NULL);
    cr_assert_eq(h.rc, 0);
    cr_assert(strstr(h.twiml, "<Dial timeout=\"20\" action=\"" PUBLIC "/webhooks/twilio/dial\"") != NULL,
              "%s", h.twiml);
    /* SMS with '+' and %20 in one body. */
    const char *const sms[] = { "MessageSid", "SM77", "From", PATIENT, "To", CLINIC, "Body",
                                "Can I book for 3pm?", "NumMedia", "0", NULL };
    h = webhook(&t, "/webhooks/twilio/sms", PUBLIC "/webhooks/twilio/sms", sms, NULL);
    cr_assert_eq(h.rc, 0, "%s", h.err);
    cr_assert(strstr(h.events, "\"text\":\"Can I book for 3pm?\"") != NULL, "%s", h.events);
    close_inst(&t);
}

Test(twilio_plugin, webhook_route_reads_the_clinic_number)
{
    const char *cases[][3] = {
        { "/webhooks/twilio/sms", "From=%2B14155550123&To=%2B14155550100", "+14155550100" },
        { "/webhooks/twilio/voice", "From=%2B14155550123&To=(415)+555-0100", "+14155550100" },
        { "/webhooks/twilio/status", "From=%2B14155550101&To=%2B14155550123&MessageStatus=sent", "+14155550101" },
    };
    for (int i = 0; i < 3; i++) {
        struct bw_webhook_request req = { sizeof req, 0, "POST", cases[i][0], NULL, 0,
                                          { (const uint8_t *)cases[i][1], strlen(cases[i][1]) }, "127.0.0.1" };
        struct bw_buf *b = plugin_buf_new(0);
        struct bw_error err = { .struct_size = sizeof err };
        struct bw_call call;
        plugin_call_begin(&call, NULL, "channel.twilio", NULL);
        cr_assert_eq(ops->webhook_route(&call, &req, b, &err), 0, "%s", err.message);
        char want[128];
        snprintf(want, sizeof want, "{\"type\":\"phone\",\"value\":\"%s\"}", cases[i][2]);
        uint64_t n;
        cr_assert_str_eq(plugin_buf_data(b, &n), want);
        plugin_call_end(&call);
        plugin_buf_free(b);
    }
    struct bw_webhook_request req = { sizeof req, 0, "POST", "/webhooks/twilio/sms", NULL, 0,
                                      { (const uint8_t *)"From=%2B1", 9 }, "127.0.0.1" };
    struct bw_buf *b = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(ops->webhook_route(NULL, &req, b, &err), BW_E_INVAL, "no To: the host answers 404");
    plugin_buf_free(b);
}

/* ---- A2P ------------------------------------------------------------------------- */

static cJSON *health(struct inst *t, int *rc)
{
    struct bw_call call;
    begin(&call, t);
    struct bw_buf *b = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    *rc = plug->desc->health(t->in, &call, b, &err);
    if (*rc != 0)
        fprintf(stderr, "health: %s (%s)\n", err.message, err.provider_code);
    uint64_t n;
    cJSON *j = cJSON_Parse(plugin_buf_data(b, &n));
    plugin_buf_free(b);
    plugin_call_end(&call);
    return j;
}

static const char *a2p(const cJSON *h, const char *path)
{
    return bwsdk_json_string_or(cJSON_GetObjectItem(h, "a2p"), path, "");
}

Test(twilio_plugin, a2p_registration_and_required_campaign)
{
    need_db();
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv reg[] = {
        { "a2p_register", "true" }, { "a2p_required", "true" }, { "send_burst", "50" },
        { "a2p_customer_profile_sid", "BU0123456789abcdef0123456789abcdef" },
        { "a2p_profile_bundle_sid", "BUfedcba9876543210fedcba9876543210" },
        { "a2p_description", "Appointment reminders and replies to patients of Glow Med Spa" },
        { "a2p_message_flow", "Patients call or text the clinic and agree to receive texts at booking" },
        { "a2p_samples", "Hi Ana - your Botox visit is Tue 3pm. Reply C to confirm,Sorry we missed your call! How can we help?" },
        { NULL, NULL },
    };
    cr_assert_eq(open_inst(&t, reg, &err), 0, "%s", err.message);
    char out[512];
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), out, sizeof out, &err), BW_E_INVAL,
                 "no verified campaign yet");
    cr_assert_str_eq(err.provider_code, "a2p_not_approved");
    /* One step per call: brand, its approval, the service, each of the two
     * numbers attached, the campaign, its verification. */
    static const char *const want[][4] = {
        { "PENDING", "", "", "0" },           { "APPROVED", "", "", "0" },
        { "APPROVED", "MG", "", "0" },        { "APPROVED", "MG", "", "1" },
        { "APPROVED", "MG", "", "2" },        { "APPROVED", "MG", "IN_PROGRESS", "2" },
        { "APPROVED", "MG", "VERIFIED", "2" },
    };
    cJSON *h = NULL;
    for (int i = 0; i < 7; i++) {
        int rc;
        cJSON_Delete(h);
        h = health(&t, &rc);
        cr_assert_eq(rc, 0, "step %d", i);
        cr_assert_str_eq(a2p(h, "brand.status"), want[i][0], "step %d", i);
        cr_assert_eq(strncmp(a2p(h, "service.sid"), want[i][1], 2), 0, "step %d", i);
        cr_assert_str_eq(a2p(h, "campaign.status"), want[i][2], "step %d", i);
        int attached = 0;
        const cJSON *n;
        cJSON_ArrayForEach(n, bwsdk_json_path(cJSON_GetObjectItem(h, "a2p"), "numbers"))
        {
            attached += cJSON_IsTrue(cJSON_GetObjectItem(n, "attached"));
        }
        cr_assert_eq(attached, want[i][3][0] - '0', "step %d", i);
        if (i < 6) {
            char o2[512];
            cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), o2, sizeof o2, &err), BW_E_INVAL);
        }
    }
    cr_assert_not_null(bwsdk_json_path(cJSON_GetObjectItem(h, "a2p"), "campaign.rate_limits.att"));
    cr_assert_str_eq(a2p(h, "send_rate_from"), "campaign", "pacing follows the campaign's class");
    cJSON_Delete(h);
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "x"), out, sizeof out, &err), 0, "%s", err.message);
    close_inst(&t);
    /* The state is durable: a new instance of the binding sees it in kv. */
    struct inst u = { 0 };
    cr_assert_eq(open_inst(&u, reg, &err), 0);
    cr_assert_eq(send_msg(&u, MSG(PATIENT, "y"), out, sizeof out, &err), 0, "%s", err.message);
    close_inst(&u);
}

/* ---- every request against Twilio's OpenAPI descriptions --------------------------- */

static int run_check(const char *arg, char *out, size_t cap)
{
    const char *src = getenv("BW_SRCDIR");
    const char *shared = getenv("BW_SHARED_DIR");
    char specs[1024], cmd[3072];
    if (shared && *shared)
        snprintf(specs, sizeof specs, "%s/specs", shared);
    else
        snprintf(specs, sizeof specs, "%s/../shared/specs", src ? src : ".");
    snprintf(cmd, sizeof cmd, "python3 %s/tests/sim/openapi_check.py --specs %s %s 2>&1",
             src ? src : ".", specs, arg);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(twilio_plugin, every_request_matches_the_openapi_descriptions)
{
    need_db();
    sim_reset();
    struct inst t = { 0 };
    struct bw_error err;
    const struct kv reg[] = {
        { "a2p_register", "true" }, { "send_burst", "50" },
        { "a2p_customer_profile_sid", "BU0123456789abcdef0123456789abcdef" },
        { "a2p_profile_bundle_sid", "BUfedcba9876543210fedcba9876543210" },
        { "a2p_description", "Appointment reminders and replies to patients of Glow Med Spa" },
        { "a2p_message_flow", "Patients call or text the clinic and agree to receive texts at booking" },
        { "a2p_samples", "Hi Ana - your Botox visit is Tue 3pm. Reply C to confirm,Sorry we missed your call! How can we help?" },
        { "a2p_has_embedded_links", "true" },
        { NULL, NULL },
    };
    cr_assert_eq(open_inst(&t, reg, &err), 0, "%s", err.message);
    char out[8192];
    cr_assert_eq(send_msg(&t, MSG(PATIENT, "Text back"), out, sizeof out, &err), 0);
    cr_assert_eq(send_msg(&t, "{\"to\":\"" PATIENT "\",\"text\":\"\",\"media\":[\"https://m.example/1.jpg\","
                              "\"https://m.example/2.jpg\"]}", out, sizeof out, &err), 0);
    cr_assert_eq(send_msg(&t, MSG("+15005550001", "x"), out, sizeof out, &err), BW_E_INVAL);
    for (int i = 0; i < 8; i++) {
        int rc;
        cJSON_Delete(health(&t, &rc));
        cr_assert_eq(rc, 0);
    }
    close_inst(&t);
    struct inst u = { 0 };
    const struct kv svc[] = { { "messaging_service_sid", "MG0123456789abcdef0123456789abcdef" }, { NULL, NULL } };
    cr_assert_eq(open_inst(&u, svc, &err), 0);
    cr_assert_eq(send_msg(&u, MSG(PATIENT, "via service"), out, sizeof out, &err), 0);
    close_inst(&u);

    char arg[128];
    snprintf(arg, sizeof arg, "--sim %s", sim.base_url);
    int st = run_check(arg, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    /* 4 sends; 8 health calls: brand, brand poll, service, two numbers
     * attached (each a number lookup and an attach), campaign, campaign
     * poll, nothing; from the service on, each also reads the service, its
     * campaigns and its numbers (3 x 6). */
    cr_assert(strstr(out, "checked 31 requests, 0 problems") != NULL, "%s", out);

    /* Negative control: the checker notices a request that breaks the schema. */
    char path[] = "/tmp/bw-twilio-reqs-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *bad = "{\"requests\":[{\"method\":\"POST\",\"path\":\"/2010-04-01/Accounts/" ACCOUNT
                      "/Messages.json\",\"query\":\"\",\"content_type\":\"application/x-www-form-urlencoded\","
                      "\"form\":[[\"Body\",\"x\"],[\"MessagingServiceSid\",\"MGnope\"],[\"Sender\",\"me\"]]}]}";
    cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    st = run_check(path, out, sizeof out);
    unlink(path);
    cr_assert_eq(st, 1, "%s", out);
    cr_assert(strstr(out, "required field To is missing") != NULL, "%s", out);
    cr_assert(strstr(out, "MessagingServiceSid='MGnope' does not match") != NULL, "%s", out);
    cr_assert(strstr(out, "field Sender is not in the operation's schema") != NULL, "%s", out);
}
