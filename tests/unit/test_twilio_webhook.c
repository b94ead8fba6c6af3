/*
 * The Twilio plugin's pure parts, compiled into this suite from
 * plugins/channel-twilio/ and run against the host's real services table:
 * the form parser (repeated keys, empty values, '+' and %20, malformed
 * escapes, oversized bodies), X-Twilio-Signature against every "twilio"
 * vector of the shared webhook-signatures.json (with and without the
 * default port, behind a proxy), the events each endpoint produces with
 * their dedupe ids, the TwiML answers, the Messages API error mapping and
 * the per-number token bucket.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_call.h"
#include "twilio.h"

static const struct bw_host *H;

static void init(void) { H = plugin_services(); }

TestSuite(twilio, .init = init, .timeout = 30);

/* ---- form parser ------------------------------------------------------- */

static const char *form_body_get(const char *body, const char *key, struct bwsdk_form *f)
{
    bwsdk_form_free(f);
    cr_assert_eq(tw_form_parse(f, body, strlen(body)), 0, "%s", body);
    return bwsdk_form_get(f, key);
}

Test(twilio, form_parser_decodes_plus_and_percent20_as_space)
{
    struct bwsdk_form f = { 0 };
    cr_assert_str_eq(form_body_get("Body=see+you%20at+3%3A30", "Body", &f), "see you at 3:30");
    cr_assert_str_eq(form_body_get("From=%2B14155550100", "From", &f), "+14155550100");
    cr_assert_str_eq(form_body_get("Body=%E2%9C%93+ok", "Body", &f), "\xe2\x9c\x93 ok");
    bwsdk_form_free(&f);
}

Test(twilio, form_parser_keeps_repeated_keys_and_empty_values)
{
    struct bwsdk_form f = { 0 };
    const char *b = "MediaUrl=a&Body=&MediaUrl=b&Flag&=x&&Empty=";
    cr_assert_eq(tw_form_parse(&f, b, strlen(b)), 0);
    int media = 0;
    for (size_t i = 0; i < f.n; i++)
        if (strcmp(f.pairs[i].key, "MediaUrl") == 0)
            media++;
    cr_assert_eq(media, 2, "both values of a repeated key are kept");
    cr_assert_str_eq(f.pairs[0].value, "a");
    cr_assert_str_eq(bwsdk_form_get(&f, "Body"), "");
    cr_assert_str_eq(bwsdk_form_get(&f, "Flag"), "", "a key without '=' has an empty value");
    cr_assert_str_eq(bwsdk_form_get(&f, "Empty"), "");
    bwsdk_form_free(&f);
}

Test(twilio, form_parser_refuses_malformed_escapes)
{
    const char *bad[] = { "Body=%", "Body=%4", "Body=%zz", "Body=%G1", "Bo%dy=1", "Body=%00x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bwsdk_form f = { 0 };
        cr_assert_eq(tw_form_parse(&f, bad[i], strlen(bad[i])), BW_E_INVAL, "%s", bad[i]);
        bwsdk_form_free(&f);
    }
    struct bwsdk_form f = { 0 };
    const char nul[] = "Body=a\0b";
    cr_assert_eq(tw_form_parse(&f, nul, sizeof nul - 1), BW_E_INVAL, "a raw NUL byte");
    bwsdk_form_free(&f);
}

Test(twilio, form_parser_refuses_oversized_bodies)
{
    size_t n = TW_MAX_BODY + 1;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    memcpy(big, "Body=", 5);
    memset(big + 5, 'a', n - 5);
    big[n] = '\0';
    struct bwsdk_form f = { 0 };
    cr_assert_eq(tw_form_parse(&f, big, n), BW_E_INVAL);
    cr_assert_eq(f.n, 0);
    cr_assert_eq(tw_form_parse(&f, big, n - 1), 0, "the limit itself is fine");
    bwsdk_form_free(&f);
    /* More pairs than the SDK holds. */
    char *many = malloc(8 * 2000 + 1);
    size_t o = 0;
    for (int i = 0; i < 2000; i++)
        o += (size_t)snprintf(many + o, 9, "k%04d=v&", i);
    struct bwsdk_form g = { 0 };
    cr_assert_neq(tw_form_parse(&g, many, o), 0);
    bwsdk_form_free(&g);
    free(many);
    free(big);
}

/* ---- signatures ------------------------------------------------------------ */

static cJSON *load_vectors(void)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/vectors/webhook-signatures.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/vectors/webhook-signatures.json", src ? src : ".");
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot read %s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j);
    return j;
}

/* A vector's params as a form body, percent-encoded as Twilio posts them. */
static char *vector_body(const cJSON *c)
{
    struct bwsdk_form f = { 0 };
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "params"))
        bwsdk_form_add(&f, p->string, p->valuestring);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "params_list"))
        bwsdk_form_add(&f, cJSON_GetArrayItem(p, 0)->valuestring, cJSON_GetArrayItem(p, 1)->valuestring);
    char *body;
    cr_assert_eq(bwsdk_form_encode(&f, &body, NULL), 0);
    bwsdk_form_free(&f);
    return body;
}

static int check_vector(const cJSON *c, const char *url)
{
    char *body = vector_body(c);
    struct bwsdk_form f = { 0 };
    cr_assert_eq(tw_form_parse(&f, body, strlen(body)), 0);
    const char *token = cJSON_GetObjectItem(c, "auth_token")->valuestring;
    int ok = tw_signature_check(H, token, strlen(token), url, &f,
                                cJSON_GetObjectItem(c, "signature")->valuestring);
    bwsdk_form_free(&f);
    free(body);
    return ok;
}

Test(twilio, every_twilio_signature_vector)
{
    cJSON *j = load_vectors();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "twilio"), "cases"))
    {
        const char *url = cJSON_GetObjectItem(c, "url")->valuestring;
        int want = cJSON_IsTrue(cJSON_GetObjectItem(c, "valid"));
        cr_assert_eq(check_vector(c, url), want, "vector '%s'",
                     cJSON_GetObjectItem(c, "name")->valuestring);
        n++;
    }
    cr_assert_geq(n, 5);
    cJSON_Delete(j);
}

Test(twilio, signature_covers_url_with_and_without_default_port)
{
    cJSON *j = load_vectors();
    const cJSON *c;
    int seen = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "twilio"), "cases"))
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(c, "valid")))
            continue;
        /* Every valid vector also verifies when the host saw the URL with
         * ":443" (the variant without the port is tried). */
        cr_assert_eq(check_vector(c, "https://mycompany.com:443/myapp.php?foo=1&bar=2"), 1,
                     "'%s' with :443", cJSON_GetObjectItem(c, "name")->valuestring);
        cr_assert_eq(check_vector(c, "https://mycompany.com:8443/myapp.php?foo=1&bar=2"), 0,
                     "another port is another URL");
        cr_assert_eq(check_vector(c, "https://mycompany.com/myapp.php?foo=1&bar=3"), 0,
                     "the query is signed");
        seen++;
    }
    cr_assert_geq(seen, 4);
    cJSON_Delete(j);
}

Test(twilio, public_url_replaces_the_origin_behind_a_proxy)
{
    char out[256];
    cr_assert_eq(tw_public_url("https://clinic.example.com", "http://127.0.0.1:8080/webhooks/twilio/sms?x=1",
                               out, sizeof out), 0);
    cr_assert_str_eq(out, "https://clinic.example.com/webhooks/twilio/sms?x=1");
    cr_assert_eq(tw_public_url("https://clinic.example.com/", "/webhooks/twilio/voice", out, sizeof out), 0);
    cr_assert_str_eq(out, "https://clinic.example.com/webhooks/twilio/voice");
    cr_assert_eq(tw_public_url("", "http://a/b", out, sizeof out), 0);
    cr_assert_str_eq(out, "http://a/b");
    cr_assert_eq(tw_public_url("https://x", "/p", out, 4), BW_E_NOMEM);
}

Test(twilio, missing_or_garbage_signature_does_not_verify)
{
    struct bwsdk_form f = { 0 };
    bwsdk_form_add(&f, "To", "+14155550100");
    cr_assert_eq(tw_signature_check(H, "t", 1, "https://a/b", &f, NULL), 0);
    cr_assert_eq(tw_signature_check(H, "t", 1, "https://a/b", &f, ""), 0);
    cr_assert_eq(tw_signature_check(H, "t", 1, "https://a/b", &f, "!!!"), 0);
    char sig[64];
    cr_assert_eq(tw_signature(H, "t", 1, "https://a/b", &f, sig, sizeof sig), 0);
    cr_assert_eq(tw_signature_check(H, "t", 1, "https://a/b", &f, sig), 1);
    cr_assert_eq(tw_signature_check(H, "u", 1, "https://a/b", &f, sig), 0, "another token");
    sig[3] ^= 1;
    cr_assert_eq(tw_signature_check(H, "t", 1, "https://a/b", &f, sig), 0);
    bwsdk_form_free(&f);
}

Test(twilio, endpoints_by_last_path_segment)
{
    cr_assert_eq(tw_endpoint_of("https://x/webhooks/twilio/voice"), TW_EP_VOICE);
    cr_assert_eq(tw_endpoint_of("/webhooks/twilio/dial?a=b"), TW_EP_DIAL);
    cr_assert_eq(tw_endpoint_of("/webhooks/twilio/sms/"), TW_EP_SMS);
    cr_assert_eq(tw_endpoint_of("/webhooks/twilio/status#x"), TW_EP_STATUS);
    cr_assert_eq(tw_endpoint_of("/webhooks/twilio/voices"), TW_EP_UNKNOWN);
    cr_assert_eq(tw_endpoint_of(""), TW_EP_UNKNOWN);
}

/* ---- events and TwiML ------------------------------------------------------ */

static struct tw_instance *instance(const char *forward, enum tw_missed_action a)
{
    static struct tw_instance in;
    memset(&in, 0, sizeof in);
    in.host = H;
    snprintf(in.forward_number, sizeof in.forward_number, "%s", forward ? forward : "");
    snprintf(in.public_base_url, sizeof in.public_base_url, "https://clinic.example.com");
    snprintf(in.missed_message, sizeof in.missed_message, "Sorry we missed you & we'll text <now>.");
    in.missed_action = a;
    in.dial_timeout_s = 20;
    in.voicemail_max_s = 90;
    return &in;
}

struct parsed {
    cJSON *events;
    char twiml[2048];
    char content_type[64];
    int rc;
};

static struct parsed run(struct tw_instance *in, enum tw_endpoint ep, const char *body, const char *idem)
{
    struct parsed p = { 0 };
    struct bwsdk_form f = { 0 };
    struct bw_buf *ev = plugin_buf_new(0), *xml = plugin_buf_new(0);
    struct bw_webhook_reply reply = { sizeof reply, 200, xml, "text/plain" };
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(tw_form_parse(&f, body, strlen(body)), 0);
    p.rc = tw_webhook_events(in, ep, &f, idem, ev, &reply, &err);
    uint64_t n;
    if (p.rc == 0) {
        p.events = cJSON_Parse(plugin_buf_data(ev, &n));
        cr_assert_not_null(p.events);
    }
    snprintf(p.twiml, sizeof p.twiml, "%s", plugin_buf_data(xml, &n));
    snprintf(p.content_type, sizeof p.content_type, "%s", reply.content_type);
    plugin_buf_free(ev);
    plugin_buf_free(xml);
    bwsdk_form_free(&f);
    return p;
}

static const char *ev_str(const struct parsed *p, int i, const char *key)
{
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(p->events, "events"), i);
    cr_assert_not_null(e, "event %d", i);
    const cJSON *v = cJSON_GetObjectItem(e, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int ev_count(const struct parsed *p)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(p->events, "events"));
}

#define CALL "CallSid=CA0001&From=%2B14155550123&To=%2B14155550100&AccountSid=AC1"

Test(twilio, voice_with_forward_number_dials_the_clinic)
{
    struct parsed p = run(instance("+14155559999", TW_MISSED_MESSAGE), TW_EP_VOICE, CALL "&CallStatus=ringing", NULL);
    cr_assert_eq(p.rc, 0);
    cr_assert_eq(ev_count(&p), 0, "nothing happened yet");
    cr_assert_str_eq(p.content_type, "text/xml");
    cr_assert_str_eq(p.twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                              "<Dial timeout=\"20\" action=\"https://clinic.example.com/webhooks/twilio/dial\" "
                              "method=\"POST\"><Number>+14155559999</Number></Dial></Response>");
    cJSON_Delete(p.events);
}

Test(twilio, voice_without_forward_number_is_a_missed_call_at_once)
{
    struct parsed p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_VOICE, CALL, NULL);
    cr_assert_eq(p.rc, 0);
    cr_assert_eq(ev_count(&p), 1);
    cr_assert_str_eq(ev_str(&p, 0, "type"), "call_missed");
    cr_assert_str_eq(ev_str(&p, 0, "id"), "voice:CA0001");
    cr_assert_str_eq(ev_str(&p, 0, "from"), "+14155550123");
    cr_assert_str_eq(ev_str(&p, 0, "to"), "+14155550100");
    cr_assert_str_eq(ev_str(&p, 0, "message_id"), "CA0001");
    cr_assert_str_eq(p.twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                              "<Say>Sorry we missed you &amp; we&apos;ll text &lt;now&gt;.</Say>"
                              "<Hangup/></Response>");
    cJSON_Delete(p.events);
}

Test(twilio, dial_action_no_answer_busy_failed_canceled_are_missed)
{
    const char *missed[] = { "no-answer", "busy", "failed", "canceled" };
    for (int i = 0; i < 4; i++) {
        char body[256];
        snprintf(body, sizeof body, "%s&DialCallStatus=%s", CALL, missed[i]);
        struct parsed p = run(instance("+14155559999", TW_MISSED_VOICEMAIL), TW_EP_DIAL, body, NULL);
        cr_assert_eq(p.rc, 0);
        cr_assert_str_eq(ev_str(&p, 0, "type"), "call_missed", "%s", missed[i]);
        cr_assert_str_eq(ev_str(&p, 0, "id"), "dial:CA0001", "the voice and dial ids differ");
        cr_assert_str_eq(ev_str(&p, 0, "status"), missed[i]);
        cr_assert(strstr(p.twiml, "<Record maxLength=\"90\" playBeep=\"true\"/>") != NULL, "%s", p.twiml);
        cJSON_Delete(p.events);
    }
    struct parsed p = run(instance("+14155559999", TW_MISSED_MESSAGE), TW_EP_DIAL,
                          CALL "&DialCallStatus=completed&DialCallDuration=42", NULL);
    cr_assert_str_eq(ev_str(&p, 0, "type"), "call_ended");
    cr_assert_str_eq(p.twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>");
    cJSON_Delete(p.events);
    p = run(instance("+14155559999", TW_MISSED_MESSAGE), TW_EP_DIAL, CALL, NULL);
    cr_assert_eq(p.rc, BW_E_INVAL, "an action callback without DialCallStatus");
}

Test(twilio, sms_with_media_and_idempotency_token)
{
    const char *body = "MessageSid=MM0002&From=%2B14155550123&To=%2B14155550100&Body=Can+I+book%20botox%3F"
                       "&NumMedia=2&MediaUrl0=https%3A%2F%2Fm.example%2Fa.jpg&MediaUrl1=https%3A%2F%2Fm.example%2Fb.jpg";
    struct parsed p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS, body, NULL);
    cr_assert_eq(p.rc, 0);
    cr_assert_str_eq(ev_str(&p, 0, "type"), "message");
    cr_assert_str_eq(ev_str(&p, 0, "id"), "sms:MM0002");
    cr_assert_str_eq(ev_str(&p, 0, "text"), "Can I book botox?");
    cJSON *media = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(p.events, "events"), 0), "media");
    cr_assert_eq(cJSON_GetArraySize(media), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(media, 1)->valuestring, "https://m.example/b.jpg");
    cr_assert_str_eq(p.twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
                     "replies go through the Messages API, not TwiML");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS, body, "idem-42");
    cr_assert_str_eq(ev_str(&p, 0, "id"), "sms:it:idem-42");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS, "MessageSid=SM1&From=%2B1&To=%2B2&NumMedia=99", NULL);
    cr_assert_eq(p.rc, BW_E_INVAL);
}

Test(twilio, sms_opt_out_and_opt_in)
{
    struct parsed p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS,
                          "MessageSid=SM3&From=%2B14155550123&To=%2B14155550100&Body=STOP&OptOutType=STOP", NULL);
    cr_assert_eq(ev_count(&p), 2);
    cr_assert_str_eq(ev_str(&p, 1, "type"), "opt_out");
    cr_assert_str_eq(ev_str(&p, 1, "id"), "sms:SM3:opt_out");
    cr_assert_str_eq(ev_str(&p, 1, "from"), "+14155550123");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS,
            "MessageSid=SM4&From=%2B14155550123&To=%2B14155550100&Body=start&OptOutType=START", NULL);
    cr_assert_str_eq(ev_str(&p, 1, "type"), "opt_in");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_SMS,
            "MessageSid=SM5&From=%2B14155550123&To=%2B14155550100&Body=HELP&OptOutType=HELP", NULL);
    cr_assert_eq(ev_count(&p), 1, "HELP is only a message");
    cJSON_Delete(p.events);
}

Test(twilio, status_callbacks_are_distinct_per_status_and_21610_opts_out)
{
    struct parsed p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_STATUS,
                          "MessageSid=SM9&MessageStatus=sent&From=%2B14155550100&To=%2B14155550123", NULL);
    cr_assert_str_eq(ev_str(&p, 0, "id"), "status:SM9:sent");
    cr_assert_str_eq(ev_str(&p, 0, "status"), "sent");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_STATUS,
            "MessageSid=SM9&MessageStatus=delivered&From=%2B14155550100&To=%2B14155550123", NULL);
    cr_assert_str_eq(ev_str(&p, 0, "id"), "status:SM9:delivered");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_STATUS,
            "MessageSid=SM9&MessageStatus=failed&ErrorCode=21610&From=%2B14155550100&To=%2B14155550123", NULL);
    cr_assert_eq(ev_count(&p), 2);
    cr_assert_str_eq(ev_str(&p, 0, "error_code"), "21610");
    cr_assert_str_eq(ev_str(&p, 1, "type"), "opt_out");
    cr_assert_str_eq(ev_str(&p, 1, "from"), "+14155550123", "the recipient opted out");
    cJSON_Delete(p.events);
    p = run(instance(NULL, TW_MISSED_MESSAGE), TW_EP_STATUS, "MessageSid=SM9", NULL);
    cr_assert_eq(p.rc, BW_E_INVAL);
}

/* ---- error mapping -------------------------------------------------------- */

static int map(int status, const char *body, const char *retry_after, struct bw_error *err)
{
    struct bw_http_header h[1] = { { { "Retry-After", 11 }, { retry_after, retry_after ? strlen(retry_after) : 0 } } };
    struct bw_http_response r = { sizeof r, status, retry_after ? h : NULL, retry_after ? 1 : 0,
                                  { (const uint8_t *)body, strlen(body) } };
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
    return tw_map_error(&r, err);
}

#define TWERR(code, st) "{\"code\":" #code ",\"message\":\"m\",\"more_info\":\"https://www.twilio.com/docs/errors/" #code "\",\"status\":" #st "}"

Test(twilio, error_mapping)
{
    struct bw_error e;
    cr_assert_eq(map(201, "{}", NULL, &e), 0);
    cr_assert_eq(map(429, TWERR(20429, 429), "3", &e), BW_E_RETRY);
    cr_assert_str_eq(e.provider_code, "20429");
    cr_assert_eq(e.retry_after_ms, 3000);
    cr_assert_eq(e.http_status, 429);
    cr_assert_eq(map(429, TWERR(20429, 429), NULL, &e), BW_E_RETRY);
    cr_assert_eq(e.retry_after_ms, 1000, "a second without Retry-After");
    cr_assert_eq(map(503, "<html>busy</html>", NULL, &e), BW_E_RETRY);
    cr_assert_eq(map(500, TWERR(20500, 500), NULL, &e), BW_E_RETRY);
    cr_assert_eq(map(400, TWERR(21211, 400), NULL, &e), BW_E_INVAL, "refused: final and certain");
    cr_assert_str_eq(e.provider_code, "21211");
    cr_assert_eq(map(400, TWERR(21610, 400), NULL, &e), BW_E_INVAL);
    cr_assert_str_eq(e.provider_code, "21610");
    cr_assert_eq(map(401, TWERR(20003, 401), NULL, &e), BW_E_AUTH);
    cr_assert_eq(map(400, TWERR(21602, 400), NULL, &e), BW_E_INVAL);
    cr_assert_str_eq(e.provider_code, "21602");
    cr_assert_eq(map(404, "not json", NULL, &e), BW_E_INVAL);
    cr_assert_str_eq(e.provider_code, "");
    cr_assert_eq(map(302, "", NULL, &e), BW_E_REMOTE, "an answer that is neither");
}

/* ---- pacing --------------------------------------------------------------- */

Test(twilio, token_bucket_per_sending_number)
{
    struct tw_instance *in = instance(NULL, TW_MISSED_MESSAGE);
    pthread_mutex_init(&in->lock, NULL);
    in->rate_per_s = 2;
    in->burst = 3;
    int64_t t = 1000000000;
    for (int i = 0; i < 3; i++)
        cr_assert_eq(tw_pace_take(in, "+14155550100", t), 0, "burst %d", i);
    int64_t w = tw_pace_take(in, "+14155550100", t);
    cr_assert(w > 490000 && w <= 500001, "half a second at 2/s, got %lld", (long long)w);
    cr_assert_eq(tw_pace_take(in, "+14155550101", t), 0, "another number has its own bucket");
    cr_assert_eq(tw_pace_take(in, "+14155550100", t + 500001), 0, "refilled");
    cr_assert_neq(tw_pace_take(in, "+14155550100", t + 500002), 0);
    cr_assert_eq(tw_pace_take(in, "+14155550100", t + 10000000), 0);
    pthread_mutex_destroy(&in->lock);
}

Test(twilio, pacing_rate_from_the_campaign_class)
{
    cr_assert_eq(tw_a2p_rate(0, 3), 0, "no class: the configured rate");
    cr_assert_eq(tw_a2p_rate(4, 0), 4, "the class's rate for a service without numbers read");
    cr_assert_eq(tw_a2p_rate(4, 1), 4);
    cr_assert_eq(tw_a2p_rate(4, 2), 2, "the campaign's AT&T rate is shared by its numbers");
    cr_assert_eq(tw_a2p_rate(1, 4), 1, "at least one a second");
    cr_assert_eq(tw_a2p_rate(600, 3), 200);
}

/* ---- TwiML escaping ----------------------------------------------------------- */

Test(twilio, twiml_escapes_text_and_attributes)
{
    struct bw_buf *b = plugin_buf_new(0);
    uint64_t n;
    cr_assert_eq(tw_twiml_dial(H, b, "+1<2>", 15, "https://x/dial?a=1&b=\"2\""), 0);
    cr_assert_str_eq(plugin_buf_data(b, &n),
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial timeout=\"15\" "
                     "action=\"https://x/dial?a=1&amp;b=&quot;2&quot;\" method=\"POST\">"
                     "<Number>+1&lt;2&gt;</Number></Dial></Response>");
    plugin_buf_reset(b);
    cr_assert_eq(tw_twiml_missed(H, b, TW_MISSED_MESSAGE, "a\x01" "b", 60), 0);
    cr_assert_str_eq(plugin_buf_data(b, &n),
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>a b</Say><Hangup/></Response>",
                     "control characters are not XML");
    plugin_buf_reset(b);
    cr_assert_eq(tw_twiml_missed(H, b, TW_MISSED_VOICEMAIL, "", 60), 0);
    cr_assert_str_eq(plugin_buf_data(b, &n),
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Record maxLength=\"60\" "
                     "playBeep=\"true\"/><Hangup/></Response>");
    plugin_buf_free(b);
}
