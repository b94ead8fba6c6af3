/*
 * channel.instagram through the host's loader and services: the webhook
 * signature against the shared vector, the subscription handshake,
 * parsing real-shaped webhooks (text, attachments, echoes, deletions,
 * quick replies, postbacks, reads, other accounts), routing, the Send API
 * request shape against the Instagram simulator, the 24-hour and 7-day
 * windows on both sides, and the mapping of Graph errors.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_fixture.h"
#include "clock.h"
#include "support/sim_proc.h"

#define ACCOUNT "17841400000000000"
#define USER "1234567890"
#define HOUR_US (3600LL * 1000000)

static struct chan_fx fx;
static struct test_sim sim;
static int64_t t0;

static const char *const settings[] = {
    "app_secret", "appsecret", "verify_token", "verify-me", "access_token", "ig-test-token",
    "account_ids", ACCOUNT ",17841400000000001", NULL,
};

static void setup(void)
{
    clock_parse_rfc3339("2027-03-02T20:15:00Z", &t0);
    clock_use_simulated(t0);
    chan_fx_load(&fx, "channel.instagram-1.0.0.so");
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(chan_fx_open(&fx, settings, &err), 0, "%s", err.message);
}

static void teardown(void) { chan_fx_close(&fx); }

static void setup_sim(void)
{
    setup();
    test_sim_start(&sim, "instagram", NULL);
    fx.base_url = sim.base_url;
    char body[64];
    snprintf(body, sizeof body, "{\"now_ms\":%lld}", (long long)(t0 / 1000));
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/clock", body));
}

static void teardown_sim(void)
{
    test_sim_stop(&sim);
    teardown();
}

TestSuite(instagram, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(instagram_sim, .init = setup_sim, .fini = teardown_sim, .timeout = 60);

/* "sha256=" + hex HMAC-SHA256 of body under secret, through the host. */
static void sign(const char *secret, const char *body, char *out, size_t cap)
{
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    cr_assert_eq(fx.host->hmac(BW_HASH_SHA256, secret, strlen(secret), body, strlen(body), mac,
                               sizeof mac, &n), 0);
    size_t o = (size_t)snprintf(out, cap, "sha256=");
    for (uint32_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", mac[i]);
}

static int post(const char *body, const char *sig, int *status, cJSON **events, struct bw_error *err)
{
    const char *h[] = { "Content-Type", "application/json", "X-Hub-Signature-256", sig, NULL };
    return chan_fx_webhook(&fx, "POST", "https://bookwell.example/webhooks/instagram/main",
                           sig ? h : h + 2 + 2, body, status, NULL, events, err);
}

static int post_signed(const char *body, cJSON **events)
{
    char sig[128];
    struct bw_error err = { .struct_size = sizeof err };
    sign("appsecret", body, sig, sizeof sig);
    return post(body, sig, NULL, events, &err);
}

static const cJSON *event(const cJSON *events, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(events, "events"), i);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- descriptor, capabilities, route keys ------------------------------- */

Test(instagram, capabilities_and_route_keys)
{
    uint64_t caps = 0;
    struct bw_call call;
    chan_fx_call(&fx, &call);
    cr_assert_eq(fx.ops->capabilities(fx.inst, &call, &caps), 0);
    cr_assert_eq(caps, BW_CHANNEL_CAP_INSTAGRAM);
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(fx.ops->route_keys(fx.inst, &call, out, &err), 0);
    uint64_t len;
    cr_assert_str_eq(plugin_buf_data(out, &len),
                     "{\"keys\":[{\"type\":\"account\",\"value\":\"" ACCOUNT "\"},"
                     "{\"type\":\"account\",\"value\":\"17841400000000001\"}]}");
    plugin_buf_free(out);
    plugin_call_end(&call);
}

Test(instagram, open_refuses_unusable_config)
{
    static const char *const bad[] = { "app_secret", "s", "verify_token", "v", "access_token", "t",
                                       "account_ids", "not-a-number", NULL };
    struct bw_error err = { .struct_size = sizeof err };
    void *keep = fx.inst;
    cr_assert_eq(chan_fx_open(&fx, bad, &err), BW_E_CONFIG);
    fx.inst = keep;
}

/* ---- signature ------------------------------------------------------------ */

static cJSON *load_vectors(void)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/vectors/webhook-signatures.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/vectors/webhook-signatures.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j);
    return j;
}

Test(instagram, shared_signature_vector_verifies)
{
    cJSON *j = load_vectors();
    const cJSON *c;
    int checked = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "instagram"), "cases"))
    {
        /* The vector's secret is the one configured in setup. */
        cr_assert_str_eq(str(c, "app_secret"), "appsecret");
        cJSON *events = NULL;
        int status = 0;
        struct bw_error err = { .struct_size = sizeof err };
        int rc = post(str(c, "body"), str(c, "signature"), &status, &events, &err);
        cr_assert_eq(rc == 0, cJSON_IsTrue(cJSON_GetObjectItem(c, "valid")), "vector '%s': %s",
                     str(c, "name"), err.message);
        if (rc == 0) {
            const cJSON *e = event(events, 0);
            cr_assert_str_eq(str(e, "type"), "message");
            cr_assert_str_eq(str(e, "id"), "m_abc");
            cr_assert_str_eq(str(e, "from"), USER);
            cr_assert_str_eq(str(e, "to"), ACCOUNT);
            cr_assert_str_eq(str(e, "text"), "hi");
            cr_assert_str_eq(str(e, "at"), "2023-11-14T22:13:20Z");
        }
        cJSON_Delete(events);
        checked++;
    }
    cr_assert_geq(checked, 1);
    cJSON_Delete(j);
}

Test(instagram, forged_tampered_or_unsigned_bodies_are_refused)
{
    const char *body = "{\"object\":\"instagram\",\"entry\":[{\"id\":\"" ACCOUNT "\",\"messaging\":"
                       "[{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
                       "\"timestamp\":1700000000000,\"message\":{\"mid\":\"m_1\",\"text\":\"hi\"}}]}]}";
    char sig[128], upper[128];
    int status = 0;
    struct bw_error err = { .struct_size = sizeof err };
    sign("appsecret", body, sig, sizeof sig);
    cJSON *ev = NULL;
    cr_assert_eq(post(body, sig, &status, &ev, &err), 0, "%s", err.message);
    cJSON_Delete(ev);

    snprintf(upper, sizeof upper, "sha256=");
    for (size_t i = 7; sig[i]; i++)
        upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
    upper[strlen(sig)] = 0;
    cr_assert_eq(post(body, upper, &status, NULL, &err), 0, "hex case does not matter");

    char forged[128];
    sign("another-secret", body, forged, sizeof forged);
    cr_assert_eq(post(body, forged, &status, NULL, &err), BW_E_AUTH);
    cr_assert_eq(status, 403);
    char *tampered = strdup(body);
    tampered[strlen(tampered) - 8] = 'X';
    cr_assert_eq(post(tampered, sig, &status, NULL, &err), BW_E_AUTH, "tampered body");
    free(tampered);
    cr_assert_eq(post(body, NULL, &status, NULL, &err), BW_E_AUTH, "no signature header");
    cr_assert_eq(post(body, "sha1=0123", &status, NULL, &err), BW_E_AUTH, "wrong scheme");
    cr_assert_eq(post("not json", "sha256=00", &status, NULL, &err), BW_E_AUTH,
                 "checked before parsing");
}

/* ---- GET handshake ----------------------------------------------------------- */

static int handshake(const char *query, int *status, char **body)
{
    char url[512];
    struct bw_error err = { .struct_size = sizeof err };
    snprintf(url, sizeof url, "https://bookwell.example/webhooks/instagram/main?%s", query);
    return chan_fx_webhook(&fx, "GET", url, NULL, NULL, status, body, NULL, &err);
}

Test(instagram, subscription_handshake_echoes_the_challenge_only_for_the_token)
{
    int status = 0;
    char *body = NULL;
    cr_assert_eq(handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me",
                           &status, &body), 0);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(body, "1158201444");
    free(body);
    cr_assert_eq(handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-mf",
                           &status, &body), BW_E_AUTH);
    cr_assert_eq(status, 403);
    cr_assert_str_eq(body, "", "nothing echoed");
    free(body);
    cr_assert_eq(handshake("hub.mode=subscribe&hub.challenge=1&hub.verify_token=verify-me-too",
                           &status, &body), BW_E_AUTH, "a longer token");
    free(body);
    cr_assert_eq(handshake("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me",
                           &status, &body), BW_E_AUTH, "mode");
    free(body);
    cr_assert_eq(handshake("hub.mode=subscribe&hub.verify_token=verify-me", &status, &body),
                 BW_E_AUTH, "no challenge");
    free(body);
    cr_assert_eq(handshake("hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=verify-me",
                           &status, &body), BW_E_AUTH, "nothing but a token-like challenge is echoed");
    free(body);
}

/* ---- parsing ------------------------------------------------------------------ */

Test(instagram, parses_text_attachments_quick_replies_deletions_and_skips_echoes)
{
    const char *body =
        "{\"object\":\"instagram\",\"entry\":[{\"time\":1803100000000,\"id\":\"" ACCOUNT "\","
        "\"messaging\":["
        /* text with an attachment */
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100000000,\"message\":{\"mid\":\"aWdfm1\",\"text\":\"Do you have Botox on Friday?\","
        "\"attachments\":[{\"type\":\"image\",\"payload\":{\"url\":\"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1\"}}]}},"
        /* an echo of the clinic's own reply */
        "{\"sender\":{\"id\":\"" ACCOUNT "\"},\"recipient\":{\"id\":\"" USER "\"},"
        "\"timestamp\":1803100001000,\"message\":{\"mid\":\"aWdfm2\",\"text\":\"Yes!\",\"is_echo\":true}},"
        /* a quick reply */
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100002000,\"message\":{\"mid\":\"aWdfm3\",\"text\":\"3pm\","
        "\"quick_reply\":{\"payload\":\"SLOT_2027-02-26T15:00\"}}},"
        /* the user unsends their first message */
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100003000,\"message\":{\"mid\":\"aWdfm1\",\"is_deleted\":true}},"
        /* an ice-breaker postback, a read, a reaction */
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100004000,\"postback\":{\"mid\":\"aWdfm4\",\"title\":\"Book a visit\",\"payload\":\"BOOK\"}},"
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100005000,\"read\":{\"mid\":\"aWdfm2\"}},"
        "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
        "\"timestamp\":1803100006000,\"reaction\":{\"mid\":\"aWdfm2\",\"action\":\"react\",\"reaction\":\"love\"}}"
        "]},"
        /* another business's account: not this binding's */
        "{\"time\":1803100000000,\"id\":\"999\",\"messaging\":[{\"sender\":{\"id\":\"5\"},"
        "\"recipient\":{\"id\":\"999\"},\"timestamp\":1803100000000,\"message\":{\"mid\":\"other\",\"text\":\"x\"}}]}"
        "]}";
    cJSON *events = NULL;
    cr_assert_eq(post_signed(body, &events), 0);
    const cJSON *arr = cJSON_GetObjectItem(events, "events");
    cr_assert_eq(cJSON_GetArraySize(arr), 5, "%s", cJSON_PrintUnformatted(events));

    const cJSON *e = event(events, 0);
    cr_assert_str_eq(str(e, "type"), "message");
    cr_assert_str_eq(str(e, "channel"), "instagram");
    cr_assert_str_eq(str(e, "id"), "aWdfm1");
    cr_assert_str_eq(str(e, "text"), "Do you have Botox on Friday?");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "media"), 0)->valuestring,
                     "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1");
    cr_assert_str_eq(str(e, "at"), "2027-02-20T05:06:40Z");

    e = event(events, 1);
    cr_assert_str_eq(str(e, "id"), "aWdfm3");
    cr_assert_str_eq(str(e, "text"), "3pm");
    cr_assert_str_eq(str(e, "payload"), "SLOT_2027-02-26T15:00");
    cr_assert_null(cJSON_GetObjectItem(e, "media"));

    e = event(events, 2);
    cr_assert_str_eq(str(e, "type"), "status");
    cr_assert_str_eq(str(e, "status"), "deleted");
    cr_assert_str_eq(str(e, "message_id"), "aWdfm1");
    cr_assert_str_eq(str(e, "id"), "aWdfm1#deleted", "not the message's own id");

    e = event(events, 3);
    cr_assert_str_eq(str(e, "type"), "message");
    cr_assert_str_eq(str(e, "text"), "Book a visit");
    cr_assert_str_eq(str(e, "payload"), "BOOK");

    e = event(events, 4);
    cr_assert_str_eq(str(e, "status"), "read");
    cr_assert_str_eq(str(e, "message_id"), "aWdfm2");
    cJSON_Delete(events);
}

Test(instagram, malformed_items_are_skipped_and_other_objects_refused)
{
    cJSON *events = NULL;
    cr_assert_eq(post_signed("{\"object\":\"instagram\",\"entry\":[{\"id\":\"" ACCOUNT "\",\"messaging\":["
                             "{\"sender\":{},\"message\":{\"mid\":\"x\"}},"
                             "{\"sender\":{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},"
                             "\"timestamp\":1803100000000,\"message\":{\"mid\":\"ok\",\"text\":\"hi\"}}]}]}",
                             &events), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(events, "events")), 1);
    cJSON_Delete(events);
    cr_assert_eq(post_signed("{\"object\":\"whatsapp_business_account\",\"entry\":[]}", &events),
                 BW_E_INVAL);
    cr_assert_eq(post_signed("[1,2", &events), BW_E_INVAL);
}

/* ---- routing ------------------------------------------------------------------- */

Test(instagram, webhook_route_reads_the_account)
{
    cJSON *key = NULL;
    cr_assert_eq(chan_fx_route(&fx, "POST",
                               "{\"object\":\"instagram\",\"entry\":[{\"id\":\"111\",\"messaging\":[{\"sender\":"
                               "{\"id\":\"9\"},\"recipient\":{\"id\":\"222\"},\"message\":{\"mid\":\"m\"}}]}]}",
                               &key), 0);
    cr_assert_str_eq(str(key, "type"), "account");
    cr_assert_str_eq(str(key, "value"), "222", "the recipient of the first item");
    cJSON_Delete(key);
    cr_assert_eq(chan_fx_route(&fx, "POST",
                               "{\"object\":\"instagram\",\"entry\":[{\"id\":\"111\",\"messaging\":[{\"sender\":"
                               "{\"id\":\"222\"},\"recipient\":{\"id\":\"9\"},\"message\":{\"mid\":\"m\",\"is_echo\":true}}]}]}",
                               &key), 0);
    cr_assert_str_eq(str(key, "value"), "222", "an echo's sender is the account");
    cJSON_Delete(key);
    cr_assert_eq(chan_fx_route(&fx, "POST", "{\"object\":\"instagram\",\"entry\":[{\"id\":\"333\",\"changes\":[]}]}",
                               &key), 0);
    cr_assert_str_eq(str(key, "value"), "333", "else the entry's id");
    cJSON_Delete(key);
    cr_assert_eq(chan_fx_route(&fx, "POST", "{\"object\":\"instagram\",\"entry\":[]}", &key), BW_E_INVAL);
    cr_assert_eq(chan_fx_route(&fx, "GET", NULL, &key), BW_E_INVAL);
}

/* ---- sending through the simulator ----------------------------------------------- */

/* The user writes (through the simulator, which signs it as Meta does) and
 * the webhook records it. */
static void user_writes(const char *text, int64_t at_us)
{
    char req[512];
    snprintf(req, sizeof req,
             "{\"account\":\"" ACCOUNT "\",\"sender\":\"" USER "\",\"text\":\"%s\","
             "\"timestamp_ms\":%lld,\"deliver\":false}", text, (long long)(at_us / 1000));
    cJSON *r = chan_fx_sim(sim.port, "POST", "/_sim/inbound", req);
    cr_assert_not_null(r);
    cJSON *events = NULL;
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(post(str(r, "body"), str(r, "signature"), NULL, &events, &err), 0,
                 "the simulator signs as the plugin verifies: %s", err.message);
    cr_assert_str_eq(str(event(events, 0), "text"), text);
    cJSON_Delete(events);
    cJSON_Delete(r);
}

static void set_clock(int64_t us)
{
    char body[64];
    clock_set_us(us);
    snprintf(body, sizeof body, "{\"now_ms\":%lld}", (long long)(us / 1000));
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/clock", body));
}

static cJSON *last_sent(void)
{
    cJSON *r = chan_fx_sim(sim.port, "GET", "/_sim/sent", NULL);
    cJSON *arr = cJSON_DetachItemFromObject(r, "sent");
    cJSON_Delete(r);
    return arr;
}

Test(instagram_sim, send_request_shape)
{
    user_writes("hi", t0 - 60 * 1000000LL);
    cJSON *res = NULL;
    struct bw_error err;
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"Hello from Glow\","
                                   "\"quick_replies\":[\"Yes\",{\"text\":\"No\",\"payload\":\"NO\"}],"
                                   "\"reference\":\"msg-1\"}", &res, &err), 0, "%s", err.message);
    cr_assert_str_eq(str(res, "status"), "sent");
    cJSON *sent = last_sent();
    cr_assert_eq(cJSON_GetArraySize(sent), 1);
    const cJSON *s = cJSON_GetArrayItem(sent, 0);
    cr_assert_str_eq(str(res, "message_id"), str(s, "message_id"));
    cr_assert_str_eq(str(s, "path"), "/v21.0/" ACCOUNT "/messages");
    cr_assert_str_eq(str(s, "authorization"), "Bearer ig-test-token");
    const cJSON *b = cJSON_GetObjectItem(s, "body");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "recipient"), "id")->valuestring, USER);
    const cJSON *m = cJSON_GetObjectItem(b, "message");
    cr_assert_str_eq(str(m, "text"), "Hello from Glow");
    const cJSON *qr = cJSON_GetObjectItem(m, "quick_replies");
    cr_assert_eq(cJSON_GetArraySize(qr), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(qr, 0), "title"), "Yes");
    cr_assert_str_eq(str(cJSON_GetArrayItem(qr, 1), "payload"), "NO");
    cr_assert_str_eq(str(cJSON_GetArrayItem(qr, 1), "content_type"), "text");
    cr_assert_null(cJSON_GetObjectItem(b, "tag"), "no tag inside the 24 hours");
    cJSON_Delete(sent);
    cJSON_Delete(res);

    /* Media go as image attachments, one request each, after the text. */
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"from\":\"" ACCOUNT "\",\"text\":\"Our menu\","
                                   "\"media\":[\"https://glow.example/menu.jpg\",\"https://glow.example/map.jpg\"]}", &res, &err), 0,
                 "%s", err.message);
    sent = last_sent();
    cr_assert_eq(cJSON_GetArraySize(sent), 4, "text and two images");
    m = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(sent, 2), "body"), "message");
    cr_assert_str_eq(str(cJSON_GetObjectItem(m, "attachment"), "type"), "image");
    cr_assert_str_eq(str(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "attachment"), "payload"), "url"),
                     "https://glow.example/menu.jpg");
    cr_assert_str_eq(str(res, "message_id"),
                     str(cJSON_GetArrayItem(sent, 1), "message_id"), "the text's id");
    cJSON_Delete(sent);
    cJSON_Delete(res);

    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"from\":\"42\",\"text\":\"x\"}", &res, &err),
                 BW_E_INVAL, "from must be the binding's account");
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\"}", &res, &err), BW_E_INVAL);
}

Test(instagram_sim, messaging_windows)
{
    cJSON *res = NULL;
    struct bw_error err;
    /* Nobody wrote: nothing may go. */
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"Hi!\"}", &res, &err), BW_E_REMOTE);
    cr_assert_str_eq(err.provider_code, "outside_window");

    user_writes("hi", t0);
    set_clock(t0 + 23 * HOUR_US);
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"within a day\"}", &res, &err), 0,
                 "%s", err.message);
    cJSON_Delete(res);

    set_clock(t0 + 25 * HOUR_US);
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"automated, too late\"}", &res, &err),
                 BW_E_REMOTE);
    cr_assert_str_eq(err.provider_code, "window_24h");
    cr_assert(strstr(err.message, "24 hours") != NULL, "%s", err.message);

    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"staff here\",\"staff\":true}", &res, &err),
                 0, "a staff reply within 7 days: %s", err.message);
    cJSON_Delete(res);
    cJSON *sent = last_sent();
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetArrayItem(sent, 1), "body");
    cr_assert_str_eq(str(b, "tag"), "HUMAN_AGENT");
    cr_assert_str_eq(str(b, "messaging_type"), "MESSAGE_TAG");
    cJSON_Delete(sent);

    set_clock(t0 + 8 * 24 * HOUR_US);
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"staff, too late\",\"staff\":true}", &res,
                              &err), BW_E_REMOTE);
    cr_assert_str_eq(err.provider_code, "window_7d");

    /* A new message from the user reopens the window; an old redelivery
     * does not move it back. */
    user_writes("me again", t0 + 8 * 24 * HOUR_US - 1000000);
    user_writes("hi", t0);
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"welcome back\"}", &res, &err), 0,
                 "%s", err.message);
    cJSON_Delete(res);
}

Test(instagram_sim, the_simulator_enforces_the_window_too)
{
    /* The plugin's record says the user wrote, Meta's does not: Meta's
     * answer (code 10, outside the window) is a permanent error. */
    char body[512];
    snprintf(body, sizeof body,
             "{\"object\":\"instagram\",\"entry\":[{\"id\":\"" ACCOUNT "\",\"messaging\":[{\"sender\":"
             "{\"id\":\"" USER "\"},\"recipient\":{\"id\":\"" ACCOUNT "\"},\"timestamp\":%lld,"
             "\"message\":{\"mid\":\"m_local\",\"text\":\"hi\"}}]}]}",
             (long long)(t0 / 1000));
    cJSON *events = NULL;
    cr_assert_eq(post_signed(body, &events), 0);
    cJSON_Delete(events);
    cJSON *res = NULL;
    struct bw_error err;
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"x\"}", &res, &err), BW_E_REMOTE);
    cr_assert_str_eq(err.provider_code, "551/1545041", "the simulator has no inbound from this user");

    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/inbound",
                             "{\"account\":\"" ACCOUNT "\",\"sender\":\"" USER "\",\"text\":\"hi\","
                             "\"deliver\":false,\"timestamp_ms\":1}"));
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"x\"}", &res, &err), BW_E_REMOTE);
    cr_assert_str_eq(err.provider_code, "10/2018278");
    cr_assert_eq(err.http_status, 400);
}

/* ---- error mapping ------------------------------------------------------------------ */

static int send_with_fault(const char *fault, struct bw_error *err)
{
    cJSON *res = NULL;
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/fault", fault));
    int rc = chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"hello\"}", &res, err);
    cJSON_Delete(res);
    return rc;
}

Test(instagram_sim, graph_errors_map_to_codes)
{
    struct bw_error err;
    user_writes("hi", t0);
    static const struct {
        const char *fault;
        int rc;
        const char *provider_code;
    } cases[] = {
        { "{\"status\":400,\"error\":{\"error\":{\"message\":\"(#4) Application request limit reached\","
          "\"type\":\"OAuthException\",\"code\":4,\"fbtrace_id\":\"Ax\"}}}", BW_E_RETRY, "4" },
        { "{\"status\":400,\"error\":{\"error\":{\"message\":\"(#17) User request limit reached\","
          "\"type\":\"OAuthException\",\"code\":17,\"error_subcode\":2446079,\"fbtrace_id\":\"Ax\"}}}",
          BW_E_RETRY, "17/2446079" },
        { "{\"status\":400,\"error\":{\"error\":{\"message\":\"(#32) Page request limit reached\","
          "\"type\":\"OAuthException\",\"code\":32}}}", BW_E_RETRY, "32" },
        { "{\"status\":400,\"error\":{\"error\":{\"message\":\"(#613) Calls to this api have exceeded the rate limit.\","
          "\"type\":\"OAuthException\",\"code\":613}}}", BW_E_RETRY, "613" },
        { "{\"status\":401,\"error\":{\"error\":{\"message\":\"Error validating access token: Session has expired\","
          "\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463}}}", BW_E_AUTH, "190/463" },
        { "{\"status\":403,\"error\":{\"error\":{\"message\":\"(#10) Application does not have permission for this action\","
          "\"type\":\"OAuthException\",\"code\":10}}}", BW_E_REMOTE, "10" },
        { "{\"status\":403,\"error\":{\"error\":{\"message\":\"(#200) Requires instagram_manage_messages permission\","
          "\"type\":\"OAuthException\",\"code\":200}}}", BW_E_REMOTE, "200" },
        { "{\"status\":400,\"error\":{\"error\":{\"message\":\"(#551) This person isn't available right now.\","
          "\"type\":\"OAuthException\",\"code\":551,\"error_subcode\":1545041}}}", BW_E_REMOTE, "551/1545041" },
        { "{\"status\":503}", BW_E_RETRY, "2" },
        { "{\"status\":502,\"error\":{}}", BW_E_RETRY, "http_502" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = send_with_fault(cases[i].fault, &err);
        cr_expect_eq(rc, cases[i].rc, "case %zu: %s, got %s (%s)", i, cases[i].fault, bw_strerror(rc),
                     err.message);
        cr_expect_str_eq(err.provider_code, cases[i].provider_code, "case %zu", i);
    }
    /* The fault queue is empty again: the next send goes. */
    cJSON *res = NULL;
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"hello\"}", &res, &err), 0);
    cJSON_Delete(res);
}

Test(instagram_sim, a_wrong_token_is_an_auth_error)
{
    static const char *const wrong[] = {
        "app_secret", "appsecret", "verify_token", "verify-me", "access_token", "expired",
        "account_ids", ACCOUNT, NULL,
    };
    struct bw_error err = { .struct_size = sizeof err };
    fx.desc->instance_close(fx.state, fx.inst);
    fx.inst = NULL;
    cr_assert_eq(chan_fx_open(&fx, wrong, &err), 0);
    user_writes("hi", t0);
    cJSON *res = NULL;
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" USER "\",\"text\":\"hello\"}", &res, &err), BW_E_AUTH);
    cr_assert_str_eq(err.provider_code, "190");
}
