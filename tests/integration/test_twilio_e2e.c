/*
 * Missed call to text-back end to end: the Twilio simulator places a call
 * that nobody answers (signed voice webhook, then the signed <Dial> action
 * callback with DialCallStatus=no-answer) to the real daemon, which routes
 * it by the To number to the channel.twilio plugin (the built .so), stores
 * the missed call in PostgreSQL, and the conversation hook's text-back goes
 * out through the plugin to the simulator's Messages API. The simulator
 * stands behind a proxy: it signs https://clinic.example.com URLs (the
 * binding's public_base_url) and delivers to the daemon's own address.
 * Also: delivery statuses come back through signed status callbacks; a
 * second missed call within 24 hours gets no second text; a forged call is
 * refused with 403 and leaves nothing; an unknown number is 404; repeated
 * webhooks (same CallSid on one endpoint, same MessageSid, same
 * I-Twilio-Idempotency-Token) have one effect; a caller who texted STOP
 * gets no text-back.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/daemon_proc.h"
#include "support/sim_state.h"
#include "support/testdb.h"
#include "support/twilio_world.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define TOKEN "simulated-auth-token-0123456789"
#define CLINIC "+14155550100"
#define FORWARD "+14155559999"
#define PATIENT "+14155550123"
#define PUBLIC "https://clinic.example.com"


static struct twilio_world tw;

static void setup(void)
{
    twilio_world_prepare(&tw, TOKEN);
    char tenant[2048];
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
             " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
             "messaging = { phone = \"" CLINIC "\"; };\n"
             "plugins = ( { plugin = \"channel.twilio\"; base_url = \"%s\"; config = {\n"
             "    account_sid = \"" ACCOUNT "\"; auth_token = \"file:%s\";\n"
             "    numbers = [ \"" CLINIC "\" ]; forward_number = \"" FORWARD "\";\n"
             "    public_base_url = \"" PUBLIC "\"; send_rate = 100; send_burst = 100; }; } );\n",
             tw.base.sim.base_url, tw.token_path);
    twilio_world_start_daemon(&tw, tenant, PUBLIC);
}

static void teardown(void)
{
    twilio_world_stop(&tw);
}

TestSuite(twilio_e2e, .init = setup, .fini = teardown, .timeout = 120);

/* Form-encodes a value ('+' for space); malloc'd. */
static char *curl_escape_plus(const char *v)
{
    size_t n = strlen(v);
    char *out = malloc(n * 3 + 1);
    cr_assert_not_null(out);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~", ch))
            out[o++] = (char)ch;
        else if (ch == ' ')
            out[o++] = '+';
        else
            o += (size_t)snprintf(out + o, 4, "%%%02X", ch);
    }
    out[o] = '\0';
    return out;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The simulator's messages, waiting up to 10 s for at least n. */
static cJSON *messages(int n)
{
    for (int i = 0; i < 200; i++) {
        cJSON *j = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
        if (cJSON_GetArraySize(cJSON_GetObjectItem(j, "messages")) >= n)
            return j;
        cJSON_Delete(j);
        usleep(50000);
    }
    return test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
}

static cJSON *state(void)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&tw.base.daemon, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_not_null(j, "%s", r.body);
    test_http_resp_free(&r);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static char *daemon_log(void)
{
    char *l = test_daemon_log(&tw.base.daemon);
    return l ? l : strdup("");
}

Test(twilio_e2e, unanswered_call_gets_one_text_back)
{
    double t0 = now_s();
    cJSON *c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
                                              "\"dial_status\":\"no-answer\"}");
    cJSON *voice = cJSON_GetObjectItem(c, "voice");
    cJSON *dial = cJSON_GetObjectItem(c, "dial_action");
    char *log = daemon_log();
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(voice, "status")), 200, "%s\n%s",
                 cJSON_PrintUnformatted(c), log);
    cr_assert(strstr(str(voice, "twiml"), "<Number>" FORWARD "</Number>") != NULL, "rings the clinic");
    cr_assert_not_null(dial, "the TwiML named an action");
    cr_assert_str_eq(str(dial, "url"), PUBLIC "/webhooks/twilio/dial");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(dial, "status")), 200, "%s", log);
    cr_assert(strstr(str(dial, "twiml"), "<Say>") != NULL, "%s", str(dial, "twiml"));
    free(log);
    cJSON_Delete(c);

    cJSON *m = messages(1);
    cJSON *list = cJSON_GetObjectItem(m, "messages");
    cr_assert_eq(cJSON_GetArraySize(list), 1, "one text-back");
    cJSON *msg = cJSON_GetArrayItem(list, 0);
    cr_assert_str_eq(str(msg, "to"), PATIENT);
    cr_assert_str_eq(str(msg, "from"), CLINIC);
    cr_assert_str_eq(str(msg, "body"), "Sorry we missed your call! How can we help?");
    cr_assert_str_eq(str(msg, "_callback"), PUBLIC "/webhooks/twilio/status");
    cJSON *reqs = test_sim_send_json(&tw.base.sim, "GET", "/_sim/requests", NULL);
    double sent_at = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(reqs, "requests"), 0), "at"));
    double latency = sent_at - t0;
    fprintf(stderr, "missed call to Messages API request: %.0f ms (both webhooks included)\n",
            latency * 1000);
    cr_expect_lt(latency, 2.0, "text-back took %.3f s", latency);
    cJSON_Delete(reqs);
    const char *sid = str(msg, "sid");

    /* queued, sent, delivered come back signed; the outbox row follows. */
    int delivered = 0;
    for (int i = 0; i < 200 && !delivered; i++) {
        cJSON *s = state();
        char *text = cJSON_PrintUnformatted(s);
        delivered = strstr(text, "\"delivered\"") != NULL;
        free(text);
        cJSON_Delete(s);
        if (!delivered)
            usleep(50000);
    }
    cJSON *cb = test_sim_send_json(&tw.base.sim, "GET", "/_sim/callbacks", NULL);
    char *cbt = cJSON_PrintUnformatted(cb);
    cr_assert(delivered, "the status callbacks reached the outbox: %s", cbt);
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(cb, "callbacks"))
    {
        cr_assert_str_eq(str(e, "sid"), sid);
        cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "answer")), 200, "%s", cbt);
        n++;
    }
    cr_assert_eq(n, 3, "%s", cbt);
    free(cbt);
    cJSON_Delete(cb);
    cJSON_Delete(m);

    /* A second unanswered call the same day: no second text. */
    c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
                                       "\"dial_status\":\"busy\"}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "dial_action"), "status")), 200);
    cJSON_Delete(c);
    sleep(2);
    m = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 1, "one text-back per 24 hours");
    cJSON_Delete(m);
    cJSON *s = state();
    char *text = cJSON_PrintUnformatted(s);
    cr_assert(strstr(text, "\"missed_calls\":2") != NULL, "both calls are recorded: %s", text);
    free(text);
    cJSON_Delete(s);
}

Test(twilio_e2e, forged_and_unknown_calls_store_nothing)
{
    cJSON *c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
                                              "\"bad_signature\":true}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "voice"), "status")), 403);
    cr_assert_null(cJSON_GetObjectItem(c, "dial_action"));
    cJSON_Delete(c);
    c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"+14155550999\"}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "voice"), "status")), 404,
                 "a number no tenant serves");
    cJSON_Delete(c);
    cJSON *s = state();
    char *text = cJSON_PrintUnformatted(s);
    cr_assert_null(strstr(text, PATIENT), "nothing stored: %s", text);
    free(text);
    cJSON_Delete(s);
    sleep(1);
    cJSON *m = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 0);
    cJSON_Delete(m);
}

/* Waits up to 10 s for the test state to contain needle. */
static bool state_wait(const char *needle)
{
    for (int i = 0; i < 200; i++) {
        cJSON *s = state();
        char *text = cJSON_PrintUnformatted(s);
        bool found = strstr(text, needle) != NULL;
        free(text);
        cJSON_Delete(s);
        if (found)
            return true;
        usleep(50000);
    }
    return false;
}

/* POSTs a webhook to the daemon as Twilio would: params signed (by the
 * simulator, for the public URL) with an optional idempotency token.
 * Returns the HTTP status. */
static long post_signed(const char *endpoint, const char *const params[][2], size_t n,
                        const char *idem)
{
    cJSON *sign = cJSON_CreateObject();
    char url[256], path[128];
    snprintf(path, sizeof path, "/webhooks/twilio/%s", endpoint);
    snprintf(url, sizeof url, PUBLIC "%s", path);
    cJSON_AddStringToObject(sign, "url", url);
    cJSON *arr = cJSON_AddArrayToObject(sign, "params");
    char body[2048] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(params[i][0]));
        cJSON_AddItemToArray(pair, cJSON_CreateString(params[i][1]));
        cJSON_AddItemToArray(arr, pair);
        char *v = curl_escape_plus(params[i][1]);
        used += (size_t)snprintf(body + used, sizeof body - used, "%s%s=%s", i ? "&" : "",
                                 params[i][0], v);
        free(v);
        cr_assert_lt(used, sizeof body);
    }
    char *text = cJSON_PrintUnformatted(sign);
    cJSON *s = test_sim_send_json(&tw.base.sim, "POST", "/_sim/sign", text);
    free(text);
    cJSON_Delete(sign);
    char sig[128], it[128];
    snprintf(sig, sizeof sig, "X-Twilio-Signature: %s", str(s, "signature"));
    snprintf(it, sizeof it, "I-Twilio-Idempotency-Token: %s", idem ? idem : "");
    cJSON_Delete(s);
    const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded", sig,
                          idem ? it : NULL, NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", tw.base.daemon.public_port, path, hdr, body, strlen(body), &r), 0);
    long st = r.status;
    test_http_resp_free(&r);
    return st;
}

Test(twilio_e2e, duplicate_webhooks_have_one_effect)
{
    const char *voice[][2] = {
        { "AccountSid", ACCOUNT }, { "CallSid", "CA00000000000000000000000000000001" },
        { "CallStatus", "ringing" }, { "From", PATIENT }, { "To", CLINIC },
    };
    const char *dial[][2] = {
        { "AccountSid", ACCOUNT }, { "CallSid", "CA00000000000000000000000000000001" },
        { "CallStatus", "in-progress" }, { "DialCallStatus", "no-answer" },
        { "From", PATIENT }, { "To", CLINIC },
    };
    /* The voice webhook and the <Dial> action share the CallSid: both are
     * taken; each repeated (Twilio retries) counts once. */
    cr_assert_eq(post_signed("voice", voice, 5, NULL), 200);
    cr_assert_eq(post_signed("voice", voice, 5, NULL), 200);
    /* Twilio's retry of a webhook carries the same idempotency token. */
    cr_assert_eq(post_signed("dial", dial, 6, "it-0001"), 200);
    cr_assert_eq(post_signed("dial", dial, 6, "it-0001"), 200);
    cJSON *m = messages(1);
    sleep(1);
    cJSON_Delete(m);
    m = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 1, "one text-back");
    cJSON_Delete(m);
    cJSON *s = state();
    char *text = cJSON_PrintUnformatted(s);
    cr_assert(strstr(text, "\"missed_calls\":1") != NULL, "one missed call stored: %s", text);
    free(text);
    cJSON_Delete(s);

    /* An inbound SMS delivered twice is one message. */
    const char *sms[][2] = {
        { "AccountSid", ACCOUNT }, { "Body", "Do you have Botox openings?" },
        { "From", PATIENT }, { "MessageSid", "SM00000000000000000000000000000001" },
        { "NumMedia", "0" }, { "To", CLINIC },
    };
    cr_assert_eq(post_signed("sms", sms, 6, NULL), 200);
    cr_assert_eq(post_signed("sms", sms, 6, NULL), 200);
    cr_assert(state_wait("Do you have Botox openings?"));
    sleep(1);
    s = state();
    text = cJSON_PrintUnformatted(s);
    const char *first = strstr(text, "Do you have Botox openings?");
    cr_assert_not_null(first, "%s", text);
    cr_assert_null(strstr(first + 1, "\"Do you have Botox openings?\""), "stored once: %s", text);
    free(text);
    cJSON_Delete(s);
}

Test(twilio_e2e, no_text_back_to_an_opted_out_caller)
{
    /* The patient texted STOP earlier; then calls and nobody answers. */
    cJSON *r = test_sim_send_json(&tw.base.sim, "POST", "/_sim/sms", "{\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
                                             "\"body\":\"STOP\"}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(r, "status")), 200);
    cJSON_Delete(r);
    sleep(1);
    cJSON *before = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    int n0 = cJSON_GetArraySize(cJSON_GetObjectItem(before, "messages"));
    cJSON_Delete(before);
    cJSON *c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
                                              "\"dial_status\":\"no-answer\"}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "dial_action"), "status")), 200);
    cJSON_Delete(c);
    cr_assert(state_wait("\"missed_calls\":1"), "the call is recorded");
    sleep(1);
    cJSON *m = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    const cJSON *e;
    int textbacks = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(m, "messages"))
    {
        textbacks += strstr(str(e, "body"), "missed your call") != NULL;
    }
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), n0,
                 "nothing after the call");
    cr_assert_eq(textbacks, 0);
    cJSON_Delete(m);
}
