/*
 * channel.rbm through the host's loader and services: HMAC-SHA512 against
 * RFC 4231, X-Goog-Signature on webhooks the RBM simulator signs
 * (independently, with Python's hmac), the webhook-setup handshake, user
 * messages, suggested replies, files and events into events/1, routing by
 * agent, the agentMessages request shape, deduplication by messageId, the
 * token endpoint flow with caching and renewal, and error mapping.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/channel-rbm/rbm.h"
#include "channel_fixture.h"
#include "clock.h"
#include "support/sim_proc.h"

#define AGENT "glow-spa@rbm.goog"
#define PHONE "+14155550123"
#define CLIENT_TOKEN "SJENCPGJESMGUFPY"

static struct chan_fx fx;
static struct test_sim sim;

static const char *const with_token[] = {
    "client_token", CLIENT_TOKEN, "agent_id", AGENT, "access_token", "ya29.static-test-token", NULL,
};
static const char *const with_token_url[] = {
    "client_token", CLIENT_TOKEN, "agent_id", AGENT, "token_url",
    "http://metadata.google.internal/token", NULL,
};

static void open_with(const char *const *settings)
{
    struct bw_error err = { .struct_size = sizeof err };
    if (fx.inst)
        fx.desc->instance_close(fx.state, fx.inst);
    fx.inst = NULL;
    cr_assert_eq(chan_fx_open(&fx, settings, &err), 0, "%s", err.message);
}

static void setup(void)
{
    chan_fx_load(&fx, "channel.rbm-1.0.0.so");
    open_with(with_token);
    test_sim_start(&sim, "rbm", NULL);
    fx.base_url = sim.base_url;
}

static void teardown(void)
{
    test_sim_stop(&sim);
    chan_fx_close(&fx);
}

TestSuite(rbm, .init = setup, .fini = teardown, .timeout = 60);

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- HMAC-SHA512 ----------------------------------------------------------- */

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

Test(rbm, hmac_sha512_matches_rfc4231)
{
    uint8_t k1[20], k3[20], d3[50], k6[131], mac[RBM_SHA512_LEN];
    char h[2 * RBM_SHA512_LEN + 1];
    memset(k1, 0x0b, sizeof k1);
    memset(k3, 0xaa, sizeof k3);
    memset(d3, 0xdd, sizeof d3);
    memset(k6, 0xaa, sizeof k6);
    rbm_hmac_sha512(k1, sizeof k1, "Hi There", 8, mac);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    rbm_hmac_sha512("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    rbm_hmac_sha512(k3, sizeof k3, d3, sizeof d3, mac);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
                        "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb");
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    rbm_hmac_sha512(k6, sizeof k6, m6, strlen(m6), mac);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

/* ---- webhooks ------------------------------------------------------------------ */

/* A user event signed by the simulator; returns the op's code, events in
 * *events. */
static int inbound(const char *request, cJSON **events, int *status)
{
    cJSON *r = chan_fx_sim(sim.port, "POST", "/_sim/inbound", request);
    cr_assert_not_null(r);
    const char *h[] = { "Content-Type", "application/json", "X-Goog-Signature", str(r, "signature"), NULL };
    struct bw_error err = { .struct_size = sizeof err };
    int rc = chan_fx_webhook(&fx, "POST", "https://bookwell.example/webhooks/rbm/main", h,
                             str(r, "body"), status, NULL, events, &err);
    cJSON_Delete(r);
    return rc;
}

static const cJSON *event0(const cJSON *events)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(events, "events"), 0);
}

Test(rbm, text_suggestion_file_and_events_parse)
{
    cJSON *ev = NULL;
    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"text\":\"Can I book lip filler?\",\"message_id\":\"MxA1\","
                         "\"send_time\":\"2027-03-02T20:15:01.123456789Z\",\"deliver\":false}", &ev, NULL), 0);
    const cJSON *e = event0(ev);
    cr_assert_str_eq(str(e, "type"), "message");
    cr_assert_str_eq(str(e, "id"), "MxA1");
    cr_assert_str_eq(str(e, "channel"), "rbm");
    cr_assert_str_eq(str(e, "from"), PHONE);
    cr_assert_str_eq(str(e, "to"), AGENT);
    cr_assert_str_eq(str(e, "text"), "Can I book lip filler?");
    cr_assert_str_eq(str(e, "at"), "2027-03-02T20:15:01.123456Z");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"suggestion\":{\"text\":\"Friday 3pm\","
                         "\"postbackData\":\"slot:2027-03-05T15:00\"},\"deliver\":false}", &ev, NULL), 0);
    e = event0(ev);
    cr_assert_str_eq(str(e, "text"), "Friday 3pm");
    cr_assert_str_eq(str(e, "payload"), "slot:2027-03-05T15:00");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"file_uri\":\"https://rcs-copper-us.googleapis.com/f/1\","
                         "\"deliver\":false}", &ev, NULL), 0);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(event0(ev), "media"), 0)->valuestring,
                     "https://rcs-copper-us.googleapis.com/f/1");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"event\":\"READ\",\"event_id\":\"Ms9\","
                         "\"message_id\":\"0c9c-our-id\",\"deliver\":false}", &ev, NULL), 0);
    e = event0(ev);
    cr_assert_str_eq(str(e, "type"), "status");
    cr_assert_str_eq(str(e, "status"), "read");
    cr_assert_str_eq(str(e, "id"), "Ms9");
    cr_assert_str_eq(str(e, "message_id"), "0c9c-our-id");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"event\":\"UNSUBSCRIBE\",\"deliver\":false}", &ev, NULL), 0);
    cr_assert_str_eq(str(event0(ev), "type"), "opt_out");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"event\":\"IS_TYPING\",\"deliver\":false}", &ev, NULL), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "events")), 0, "typing is ignored");
    cJSON_Delete(ev);

    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"agent\":\"other@rbm.goog\",\"text\":\"x\",\"deliver\":false}",
                         &ev, NULL), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "events")), 0, "another agent's event");
    cJSON_Delete(ev);
}

Test(rbm, forged_tampered_or_unsigned_webhooks_are_refused)
{
    int status = 0;
    cr_assert_eq(inbound("{\"phone\":\"" PHONE "\",\"text\":\"hi\",\"forge\":true,\"deliver\":false}", NULL,
                         &status), BW_E_AUTH);
    cr_assert_eq(status, 403);

    cJSON *r = chan_fx_sim(sim.port, "POST", "/_sim/inbound",
                           "{\"phone\":\"" PHONE "\",\"text\":\"hi\",\"deliver\":false}");
    struct bw_error err = { .struct_size = sizeof err };
    const char *good = str(r, "signature");
    /* Another event under the same signature. */
    cJSON *r2 = chan_fx_sim(sim.port, "POST", "/_sim/inbound",
                            "{\"phone\":\"" PHONE "\",\"text\":\"ho\",\"deliver\":false}");
    const char *h[] = { "X-Goog-Signature", good, NULL };
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main", h, str(r2, "body"),
                                 &status, NULL, NULL, &err), BW_E_AUTH);
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main", NULL, str(r, "body"),
                                 &status, NULL, NULL, &err), BW_E_AUTH, "no header");
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main", h,
                                 "{\"message\":{\"data\":\"!!!\"}}", &status, NULL, NULL, &err), BW_E_AUTH,
                 "not base64");
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main", h, str(r, "body"),
                                 &status, NULL, NULL, &err), 0, "%s", err.message);
    cJSON_Delete(r);
    cJSON_Delete(r2);
}

Test(rbm, webhook_setup_handshake_returns_the_secret_for_our_token)
{
    int status = 0;
    char *body = NULL;
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main/glow", NULL,
                                 "{\"clientToken\":\"" CLIENT_TOKEN "\",\"secret\":\"1234567890\"}", &status,
                                 &body, NULL, &err), 0);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(body, "1234567890");
    free(body);
    cr_assert_eq(chan_fx_webhook(&fx, "POST", "https://b.example/webhooks/rbm/main/glow", NULL,
                                 "{\"clientToken\":\"SOMEONE-ELSE\",\"secret\":\"1234567890\"}", &status,
                                 &body, NULL, &err), BW_E_AUTH);
    cr_assert_eq(status, 403);
    cr_assert_str_eq(body, "");
    free(body);
}

Test(rbm, webhook_route_is_the_agent)
{
    cJSON *r = chan_fx_sim(sim.port, "POST", "/_sim/inbound",
                           "{\"phone\":\"" PHONE "\",\"text\":\"hi\",\"deliver\":false}");
    cJSON *key = NULL;
    cr_assert_eq(chan_fx_route(&fx, "POST", str(r, "body"), &key), 0);
    cr_assert_str_eq(str(key, "type"), "account");
    cr_assert_str_eq(str(key, "value"), AGENT);
    cJSON_Delete(key);
    cJSON_Delete(r);
    cr_assert_eq(chan_fx_route(&fx, "POST", "{\"clientToken\":\"x\",\"secret\":\"1\"}", &key), BW_E_INVAL);

    struct bw_buf *out = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    chan_fx_call(&fx, &call);
    cr_assert_eq(fx.ops->route_keys(fx.inst, &call, out, &err), 0);
    uint64_t len;
    cr_assert_str_eq(plugin_buf_data(out, &len), "{\"keys\":[{\"type\":\"account\",\"value\":\"" AGENT "\"}]}");
    uint64_t caps = 0;
    cr_assert_eq(fx.ops->capabilities(fx.inst, &call, &caps), 0);
    cr_assert_eq(caps, BW_CHANNEL_CAP_RBM);
    plugin_call_end(&call);
    plugin_buf_free(out);
}

Test(rbm, open_needs_exactly_one_credential)
{
    static const char *const neither[] = { "client_token", "t", "agent_id", AGENT, NULL };
    static const char *const both[] = { "client_token", "t", "agent_id", AGENT, "access_token", "a",
                                        "token_url", "http://x/token", NULL };
    struct bw_error err = { .struct_size = sizeof err };
    void *keep = fx.inst;
    cr_assert_eq(chan_fx_open(&fx, neither, &err), BW_E_CONFIG);
    cr_assert_eq(chan_fx_open(&fx, both, &err), BW_E_CONFIG);
    fx.inst = keep;
    open_with(with_token);
}

/* ---- sending --------------------------------------------------------------------- */

static cJSON *sent_list(void)
{
    cJSON *r = chan_fx_sim(sim.port, "GET", "/_sim/sent", NULL);
    cJSON *arr = cJSON_DetachItemFromObject(r, "sent");
    cJSON_Delete(r);
    return arr;
}

Test(rbm, send_request_shape_and_dedup_by_reference)
{
    cJSON *res = NULL;
    struct bw_error err;
    const char *msg = "{\"to\":\"" PHONE "\",\"text\":\"Friday works. Which time?\","
                      "\"quick_replies\":[\"10am\",{\"text\":\"3pm\",\"payload\":\"slot:15\"}],"
                      "\"reference\":\"msg-42\"}";
    cr_assert_eq(chan_fx_send(&fx, msg, &res, &err), 0, "%s", err.message);
    cr_assert_str_eq(str(res, "status"), "sent");
    char first_id[64];
    snprintf(first_id, sizeof first_id, "%s", str(res, "message_id"));
    cr_assert_eq(strlen(first_id), 36, "UUID-shaped: %s", first_id);
    cJSON_Delete(res);

    cJSON *sent = sent_list();
    cr_assert_eq(cJSON_GetArraySize(sent), 1);
    const cJSON *s = cJSON_GetArrayItem(sent, 0);
    cr_assert_str_eq(str(s, "phone"), PHONE);
    cr_assert_str_eq(str(s, "agent"), "glow-spa");
    cr_assert_str_eq(str(s, "message_id"), first_id);
    cr_assert_str_eq(str(s, "authorization"), "Bearer ya29.static-test-token");
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "body"), "contentMessage");
    cr_assert_str_eq(str(c, "text"), "Friday works. Which time?");
    const cJSON *sg = cJSON_GetObjectItem(c, "suggestions");
    cr_assert_eq(cJSON_GetArraySize(sg), 2);
    cr_assert_str_eq(str(cJSON_GetObjectItem(cJSON_GetArrayItem(sg, 1), "reply"), "postbackData"), "slot:15");
    cJSON_Delete(sent);

    /* The same reference again (a retried job): RBM answers 409, which is
     * the message having gone; nothing is sent twice. */
    cr_assert_eq(chan_fx_send(&fx, msg, &res, &err), 0, "%s", err.message);
    cr_assert_str_eq(str(res, "message_id"), first_id);
    cJSON_Delete(res);
    sent = sent_list();
    cr_assert_eq(cJSON_GetArraySize(sent), 1);
    cJSON_Delete(sent);

    /* Media go as contentInfo messages of their own. */
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" PHONE "\",\"media\":[\"https://glow.example/a.jpg\"],"
                                   "\"reference\":\"msg-43\"}", &res, &err), 0, "%s", err.message);
    cJSON_Delete(res);
    sent = sent_list();
    c = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(sent, 1), "body"), "contentMessage");
    cr_assert_str_eq(str(cJSON_GetObjectItem(c, "contentInfo"), "fileUrl"), "https://glow.example/a.jpg");
    cJSON_Delete(sent);

    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"4155550123\",\"text\":\"x\"}", &res, &err), BW_E_INVAL, "E.164");
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" PHONE "\",\"text\":\"x\",\"quick_replies\":"
                                   "[\"a suggestion far longer than RBM allows\"]}", &res, &err), BW_E_INVAL);
}

static int send_with_fault(const char *fault, struct bw_error *err)
{
    cJSON *res = NULL;
    if (fault)
        cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/fault", fault));
    int rc = chan_fx_send(&fx, "{\"to\":\"" PHONE "\",\"text\":\"hello\",\"reference\":\"r\"}", &res, err);
    cJSON_Delete(res);
    return rc;
}

Test(rbm, api_errors_map_to_codes)
{
    struct bw_error err;
    cr_assert_eq(send_with_fault("{\"status\":503}", &err), BW_E_RETRY);
    cr_assert_str_eq(err.provider_code, "UNAVAILABLE");
    cr_assert_eq(send_with_fault("{\"status\":429,\"error\":{\"error\":{\"code\":429,\"message\":"
                                 "\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}}", &err), BW_E_RETRY);
    cr_assert_str_eq(err.provider_code, "RESOURCE_EXHAUSTED");
    cr_assert_eq(send_with_fault("{\"status\":400,\"error\":{\"error\":{\"code\":400,\"message\":"
                                 "\"Invalid\",\"status\":\"INVALID_ARGUMENT\"}}}", &err), BW_E_REMOTE);
    cr_assert_eq(send_with_fault("{\"status\":403,\"error\":{\"error\":{\"code\":403,\"message\":"
                                 "\"denied\",\"status\":\"PERMISSION_DENIED\"}}}", &err), BW_E_AUTH);
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/unreachable", "{\"phone\":\"" PHONE "\"}"));
    cr_assert_eq(send_with_fault(NULL, &err), BW_E_REMOTE, "no RCS on that phone");
    cr_assert_str_eq(err.provider_code, "NOT_FOUND");
    cr_assert_eq(err.http_status, 404);
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/revoke", "{}"));
    cr_assert_eq(send_with_fault(NULL, &err), BW_E_AUTH, "a configured token that is refused");
    cr_assert_str_eq(err.provider_code, "UNAUTHENTICATED");
}

Test(rbm, token_endpoint_flow_caches_and_renews)
{
    open_with(with_token_url);
    struct bw_error err;
    cr_assert_eq(send_with_fault(NULL, &err), 0, "%s", err.message);
    cJSON *res = NULL;
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" PHONE "\",\"text\":\"again\",\"reference\":\"r2\"}", &res, &err),
                 0);
    cJSON_Delete(res);
    cJSON *stats = chan_fx_sim(sim.port, "GET", "/_sim/stats", NULL);
    cr_assert_eq(cJSON_GetObjectItem(stats, "token_fetches")->valueint, 1, "cached in kv");
    cJSON_Delete(stats);
    cJSON *sent = sent_list();
    cr_assert(strncmp(str(cJSON_GetArrayItem(sent, 0), "authorization"), "Bearer ya29.sim-", 16) == 0);
    cJSON_Delete(sent);

    /* The cached token stops working: dropped, fetched again, sent. */
    cJSON_Delete(chan_fx_sim(sim.port, "POST", "/_sim/revoke", "{}"));
    cr_assert_eq(chan_fx_send(&fx, "{\"to\":\"" PHONE "\",\"text\":\"third\",\"reference\":\"r3\"}", &res, &err),
                 0, "%s", err.message);
    cJSON_Delete(res);
    stats = chan_fx_sim(sim.port, "GET", "/_sim/stats", NULL);
    cr_assert_eq(cJSON_GetObjectItem(stats, "token_fetches")->valueint, 2);
    cJSON_Delete(stats);
}
