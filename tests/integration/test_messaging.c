/*
 * The messaging path end to end: the real daemon, PostgreSQL and the
 * fixture channel plugin (tests/fixtures/fx_channel.c, signed JSON
 * webhooks, sends appended to a file). Inbound messages are stored
 * redacted and once; forged webhooks are refused and store nothing; STOP
 * cancels what is queued and gets one confirmation, then nothing; START
 * restores; HELP is answered; a proactive message at 22:00 waits for 08:00
 * and goes out in order while a reply within the minute goes at once;
 * delivery statuses only move forward; 21610 opts the contact out; send
 * failures end as failed or uncertain, never resent.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"
#include "support/testfiles.h"

#define KEY "fx-signing-key-0123"
#define CLINIC "+14155550100"
#define PATIENT "+14155550123"

static char *conninfo;
static char plugins[64];
static char send_log[128];
static struct test_daemon d;
static bool started;

static void setup(void)
{
    conninfo = testdb_create();
    test_scratch_dir(plugins, sizeof plugins, "bw-msg");
    snprintf(send_log, sizeof send_log, "%s/sends.log", plugins);
    char fixture[1024], installed[256];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/.libs/fx_channel.so", b);
    snprintf(installed, sizeof installed, "%s/channel.fx-1.0.0.so", plugins);
    test_copy_file(fixture, installed, 0644);
    setenv("FX_KEY", KEY, 1);
    char conf[256], tenant[1024];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", plugins);
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
             " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
             "messaging = { phone = \"" CLINIC "\"; };\n"
             "plugins = ( { plugin = \"channel.fx\"; config = { signing_key = \"env:FX_KEY\";"
             " numbers = [ \"" CLINIC "\" ]; send_log = \"%s\"; }; } );\n",
             send_log);
    /* 12:00 in Los Angeles. */
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .test_clock_start = "2026-11-24T20:00:00Z",
                                  .extra_conf = conf, .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    started = true;
}

static void teardown(void)
{
    if (started) {
        test_daemon_stop_clean(&d);
    }
    test_scratch_remove(plugins, "bw-msg");
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(messaging, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ helpers */

static void sign(const char *body, char hex[65])
{
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), KEY, (int)strlen(KEY), (const unsigned char *)body, strlen(body), mac, &len);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

/* Posts events (a JSON array text) signed, or with a given bad signature. */
static long post_events(const char *path, const char *to, const char *events, const char *bad_sig,
                        char **reply)
{
    char body[4096], hex[65], sig[128];
    snprintf(body, sizeof body, "{\"to\":\"%s\",\"events\":%s}", to, events);
    sign(body, hex);
    snprintf(sig, sizeof sig, "X-Fx-Signature: %s", bad_sig ? bad_sig : hex);
    const char *headers[] = { "Content-Type: application/json", sig, NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", d.public_port, path, headers, body, strlen(body), &r), 0);
    long status = r.status;
    if (reply)
        *reply = strdup(r.body);
    test_http_resp_free(&r);
    return status;
}

static long message_from(const char *from, const char *id, const char *text)
{
    char ev[2048];
    snprintf(ev, sizeof ev,
             "[{\"id\":\"%s\",\"type\":\"message\",\"from\":\"%s\",\"to\":\"" CLINIC "\","
             "\"text\":\"%s\"}]",
             id, from, text);
    return post_events("/webhooks/fx/sms", CLINIC, ev, NULL, NULL);
}

static long message(const char *id, const char *text) { return message_from(PATIENT, id, text); }

static void wait_idle(void)
{
    for (int i = 0; i < 1000; i++) {
        struct test_http_resp r;
        cr_assert_eq(test_admin(&d, "GET", "/admin/test/idle", NULL, &r), 0);
        bool idle = strstr(r.body, "\"idle\":true") != NULL;
        test_http_resp_free(&r);
        if (idle)
            return;
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("the jobs never went idle");
}

static void clock_to(const char *how, const char *when)
{
    char body[128];
    snprintf(body, sizeof body, "{\"%s\":\"%s\"}", how, when);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/clock", body, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    wait_idle();
}

/* The contact with address, from the test route (caller deletes root). */
static cJSON *contact(const char *address, cJSON **root)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    *root = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    cr_assert_not_null(*root);
    cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(*root, "contacts"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(k, "address")), address) == 0)
            return k;
    return NULL;
}

static int n_contacts(void)
{
    cJSON *root;
    contact("", &root);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "contacts"));
    cJSON_Delete(root);
    return n;
}

/* Messages of the contact in direction ("in", "out"), as a new array. */
static cJSON *messages(const char *address, const char *direction)
{
    cJSON *root, *out = cJSON_CreateArray(), *m;
    cJSON *k = contact(address, &root);
    cr_assert_not_null(k, "no contact %s", address);
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(k, "messages"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "direction")), direction) == 0)
            cJSON_AddItemToArray(out, cJSON_Duplicate(m, 1));
    cJSON_Delete(root);
    return out;
}

static bool opted_out(const char *address)
{
    cJSON *root;
    cJSON *k = contact(address, &root);
    cr_assert_not_null(k);
    bool v = cJSON_IsTrue(cJSON_GetObjectItem(k, "opted_out"));
    cJSON_Delete(root);
    return v;
}

static const char *field(const cJSON *m, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(m, k));
    return s ? s : "";
}

static int64_t enqueue_to(const char *to, const char *kind, const char *text)
{
    char body[512];
    snprintf(body, sizeof body, "{\"contact\":\"%s\",\"kind\":\"%s\",\"text\":\"%s\"}", to,
             kind, text);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/tenants/glow/outbound", body, &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cJSON *o = cJSON_Parse(r.body);
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "message_id"));
    cJSON_Delete(o);
    test_http_resp_free(&r);
    return id;
}

static int64_t enqueue(const char *kind, const char *text) { return enqueue_to(PATIENT, kind, text); }

/* The sends the fixture made, one JSON object per line, as an array. */
static cJSON *sends(void)
{
    cJSON *arr = cJSON_CreateArray();
    FILE *f = fopen(send_log, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        cJSON_AddItemToArray(arr, cJSON_Parse(line));
    if (f)
        fclose(f);
    return arr;
}

static int n_sends(void)
{
    cJSON *s = sends();
    int n = cJSON_GetArraySize(s);
    cJSON_Delete(s);
    return n;
}

/* ------------------------------------------------------------ tests */

Test(messaging, inbound_stored_redacted_once)
{
    const char *text = "My card is 4111 1111 1111 1111 and I am pregnant, can I get botox Friday?";
    char *reply = NULL;
    char ev[1024];
    snprintf(ev, sizeof ev,
             "[{\"id\":\"M1\",\"type\":\"message\",\"from\":\"" PATIENT "\",\"to\":\"" CLINIC "\","
             "\"text\":\"%s\"}]", text);
    cr_assert_eq(post_events("/webhooks/fx/sms", CLINIC, ev, NULL, &reply), 200);
    cr_expect_str_eq(reply, "{\"ok\":true}", "the plugin's reply reaches the provider");
    free(reply);
    cr_assert_eq(post_events("/webhooks/fx/sms", CLINIC, ev, NULL, NULL), 200);
    wait_idle();
    cJSON *in = messages(PATIENT, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 1, "a redelivery stores nothing");
    const char *body = field(cJSON_GetArrayItem(in, 0), "text");
    cr_expect_null(strstr(body, "4111 1111 1111 1111"), "card number stored: %s", body);
    cr_expect_not_null(strstr(body, "1111"));
    cr_expect_null(strstr(body, "pregnant"), "health detail stored: %s", body);
    cr_expect_not_null(strstr(body, "[health info]"));
    cr_expect_not_null(strstr(body, "botox Friday"));
    cr_expect_str_eq(field(cJSON_GetArrayItem(in, 0), "status"), "received");
    cJSON_Delete(in);
    /* No engine registered: nothing is sent. */
    cr_expect_eq(n_sends(), 0);
    /* The daemon's log never carries the body. */
    char *log = test_daemon_log(&d);
    cr_expect_null(strstr(log, "botox"), "the message body reached the log");
    free(log);

    /* The tenant segment routes too. */
    cr_assert_eq(message("M2", "hello") , 200);
    char ev2[512];
    snprintf(ev2, sizeof ev2,
             "[{\"id\":\"M3\",\"type\":\"message\",\"from\":\"" PATIENT "\",\"text\":\"again\"}]");
    cr_assert_eq(post_events("/webhooks/fx/sms/glow", "", ev2, NULL, NULL), 200);
    wait_idle();
    in = messages(PATIENT, "in");
    cr_expect_eq(cJSON_GetArraySize(in), 3);
    cJSON_Delete(in);
}

Test(messaging, forged_and_unrouted_webhooks_store_nothing)
{
    const char *ev = "[{\"id\":\"F1\",\"type\":\"message\",\"from\":\"" PATIENT "\","
                     "\"text\":\"hello\"}]";
    char bad[65];
    memset(bad, 'a', 64);
    bad[64] = '\0';
    cr_expect_eq(post_events("/webhooks/fx/sms", CLINIC, ev, bad, NULL), 403);
    cr_expect_eq(post_events("/webhooks/fx/sms", CLINIC, ev, "", NULL), 403);
    cr_expect_eq(post_events("/webhooks/fx/sms/glow", CLINIC, ev, bad, NULL), 403);
    cr_expect_eq(post_events("/webhooks/fx/sms", "+19995550000", ev, NULL, NULL), 404);
    cr_expect_eq(post_events("/webhooks/nope/sms", CLINIC, ev, NULL, NULL), 404);
    cr_expect_eq(post_events("/webhooks/fx/sms/other", CLINIC, ev, NULL, NULL), 404);
    wait_idle();
    cr_expect_eq(n_contacts(), 0);
    char *log = test_daemon_log(&d);
    cr_expect_not_null(strstr(log, "webhook for an unknown route key"));
    cr_expect_not_null(strstr(log, "webhook signature refused"));
    free(log);
}

Test(messaging, stop_confirms_once_cancels_and_start_restores)
{
    cr_assert_eq(message("S0", "hi, do you do lip filler?"), 200);
    wait_idle();
    /* 22:00 in Los Angeles: proactive messages wait for the morning. */
    clock_to("set", "2026-11-25T06:00:00Z");
    enqueue("proactive", "Reminder: we have openings tomorrow");
    wait_idle();
    cJSON *out = messages(PATIENT, "out");
    cr_assert_eq(cJSON_GetArraySize(out), 1);
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "held");
    cJSON_Delete(out);

    cr_assert_eq(message("S1", "STOP"), 200);
    wait_idle();
    cr_expect(opted_out(PATIENT));
    out = messages(PATIENT, "out");
    cr_assert_eq(cJSON_GetArraySize(out), 2);
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "cancelled");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "kind"), "optout_confirmation");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "status"), "sent");
    cJSON_Delete(out);
    cr_expect_eq(n_sends(), 1, "one confirmation, even at night");
    /* The ledger's opt-out points at the STOP message. */
    cJSON *root;
    cJSON *k = contact(PATIENT, &root);
    cJSON *ins = messages(PATIENT, "in");
    cJSON *optout = cJSON_GetArrayItem(cJSON_GetObjectItem(k, "consent"), 0);
    cr_assert_not_null(optout);
    cr_expect_str_eq(field(optout, "kind"), "opt_out");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(optout, "message_id")),
                 cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ins, 1), "id")));
    cJSON_Delete(ins);
    cJSON_Delete(root);

    /* Again STOP, a plain-words revocation, a proactive message: nothing more. */
    cr_assert_eq(message("S2", "stop"), 200);
    cr_assert_eq(message("S3", "please stop texting me"), 200);
    enqueue("proactive", "Last chance for our offer");
    enqueue("reply", "Sure, we can help");
    /* The morning comes; the held message stays cancelled. */
    clock_to("until", "2026-11-25T17:00:00Z");
    cr_expect_eq(n_sends(), 1, "nothing after the confirmation");
    out = messages(PATIENT, "out");
    cJSON *m;
    int cancelled = 0;
    cJSON_ArrayForEach(m, out)
        cancelled += strcmp(field(m, "status"), "cancelled") == 0;
    cr_expect_eq(cancelled, cJSON_GetArraySize(out) - 1);
    cJSON_Delete(out);

    cr_assert_eq(message("S4", "START"), 200);
    wait_idle();
    cr_expect_not(opted_out(PATIENT));
    cr_expect_eq(n_sends(), 2, "START is confirmed");
    enqueue("proactive", "Welcome back");
    wait_idle();
    cr_expect_eq(n_sends(), 3);
}

Test(messaging, help_is_answered)
{
    cr_assert_eq(message("H1", "HELP"), 200);
    wait_idle();
    cJSON *s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 1);
    const char *text = field(cJSON_GetArrayItem(s, 0), "text");
    cr_expect_not_null(strstr(text, "Glow Aesthetics"), "%s", text);
    cr_expect_not_null(strstr(text, CLINIC), "%s", text);
    cr_expect_not_null(strstr(text, "STOP"), "%s", text);
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 0), "to"), PATIENT);
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 0), "from"), CLINIC);
    cJSON_Delete(s);
    cJSON *out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "kind"), "help");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "sent");
    cJSON_Delete(out);
}

Test(messaging, quiet_hours_hold_until_morning_in_order)
{
    cr_assert_eq(message("Q0", "hello"), 200);
    wait_idle();
    clock_to("set", "2026-11-25T06:00:00Z"); /* 22:00 in Los Angeles */
    enqueue("proactive", "first");
    enqueue("proactive", "second");
    wait_idle();
    cr_expect_eq(n_sends(), 0);
    /* A reply to the contact's own message of a moment ago goes at once. */
    cr_assert_eq(message("Q1", "are you open tomorrow?"), 200);
    wait_idle();
    enqueue("reply", "Yes, from 9");
    wait_idle();
    cr_assert_eq(n_sends(), 1);
    /* Two minutes later, a "reply" is no longer an answer: it waits. */
    clock_to("advance", "PT2M");
    enqueue("reply", "late");
    wait_idle();
    cr_assert_eq(n_sends(), 1);

    clock_to("until", "2026-11-25T15:59:00Z");
    cr_expect_eq(n_sends(), 1, "nothing before 08:00");
    clock_to("until", "2026-11-25T16:30:00Z");
    cJSON *s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 4);
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 0), "text"), "Yes, from 9");
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 1), "text"), "first");
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 2), "text"), "second");
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 3), "text"), "late");
    cJSON_Delete(s);
    cJSON *out = messages(PATIENT, "out");
    cJSON *m;
    cJSON_ArrayForEach(m, out) {
        if (strcmp(field(m, "text"), "first") == 0)
            cr_expect_not_null(strstr(field(m, "sent_at"), "2026-11-25T16:00:00"), "%s",
                               field(m, "sent_at"));
    }
    cJSON_Delete(out);
}

/* Florida's rule (FL 08:00-20:00, at most 3 proactive messages in 24
 * hours): the fourth waits until the first is a day old. */
Test(messaging, florida_caps_proactive_messages_at_three_a_day)
{
    const char *fl = "+13055550123";
    cr_assert_eq(message_from(fl, "F0", "hello"), 200);
    wait_idle();
    clock_to("advance", "PT2M");
    for (int i = 0; i < 4; i++) {
        char text[16];
        snprintf(text, sizeof text, "note %d", i + 1);
        enqueue_to(fl, "proactive", text);
        wait_idle();
        clock_to("advance", "PT1M");
    }
    int to_fl = 0;
    cJSON *s = sends(), *m;
    cJSON_ArrayForEach(m, s) to_fl += strstr(field(m, "to"), "3055550123") != NULL;
    cJSON_Delete(s);
    cr_expect_eq(to_fl, 3, "three proactive texts in 24 hours");
    cJSON *out = messages(fl, "out");
    bool held = false;
    cJSON_ArrayForEach(m, out) held |= strcmp(field(m, "text"), "note 4") == 0 &&
                                        strcmp(field(m, "status"), "held") == 0;
    cJSON_Delete(out);
    cr_expect(held, "the fourth is held");
}

static long status_event(const char *id, const char *sid, const char *status, const char *code)
{
    char ev[512];
    snprintf(ev, sizeof ev,
             "[{\"id\":\"%s\",\"type\":\"status\",\"message_id\":\"%s\",\"status\":\"%s\"%s%s%s}]",
             id, sid, status, code ? ",\"error_code\":\"" : "", code ? code : "",
             code ? "\"" : "");
    return post_events("/webhooks/fx/status", CLINIC, ev, NULL, NULL);
}

Test(messaging, statuses_move_forward_and_21610_opts_out)
{
    cr_assert_eq(message("T0", "hello"), 200);
    wait_idle();
    enqueue("reply", "Hi there");
    wait_idle();
    cJSON *s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 1);
    char sid[96];
    snprintf(sid, sizeof sid, "%s", field(cJSON_GetArrayItem(s, 0), "sid"));
    cJSON_Delete(s);
    cJSON *out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "provider_id"), sid);
    cJSON_Delete(out);

    cr_assert_eq(status_event("st1", sid, "delivered", NULL), 200);
    /* A status is applied by the webhook itself: no job to wait for. */
    out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "delivered");
    cJSON_Delete(out);
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'channel.event' "
                                   "AND payload->'event'->>'type' = 'status'"),
                 0, "no job queued for a status of a known message");
    /* "sent" for a message not known yet says nothing its send will not
     * record: done, no job. A final status for one (its send may not be
     * committed) is queued, and its job tries again. */
    cr_assert_eq(status_event("st8", "SMnot-yet-sent", "sent", NULL), 200);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'channel.event' "
                                   "AND payload->'event'->>'message_id' = 'SMnot-yet-sent'"),
                 0);
    cr_assert_eq(status_event("st9", "SMnot-yet-known", "delivered", NULL), 200);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'channel.event' "
                                   "AND payload->'event'->>'message_id' = 'SMnot-yet-known'"),
                 1);
    PQfinish(pg);
    cr_assert_eq(status_event("st2", sid, "sent", NULL), 200);
    cr_assert_eq(status_event("st1", sid, "delivered", NULL), 200);
    wait_idle();
    out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "delivered");
    cJSON_Delete(out);

    /* The provider reports the recipient unsubscribed. */
    enqueue("reply", "Another one");
    wait_idle();
    s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 2);
    snprintf(sid, sizeof sid, "%s", field(cJSON_GetArrayItem(s, 1), "sid"));
    cJSON_Delete(s);
    cr_assert_eq(status_event("st3", sid, "failed", "21610"), 200);
    wait_idle();
    cr_expect(opted_out(PATIENT));
    out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "status"), "failed");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "error_code"), "21610");
    cJSON_Delete(out);
    enqueue("reply", "Anything");
    wait_idle();
    cr_expect_eq(n_sends(), 2);
}

Test(messaging, send_failures_are_final_or_uncertain)
{
    cr_assert_eq(message("U0", "hello"), 200);
    wait_idle();
    enqueue("reply", "[fx:21211] bad number");
    enqueue("reply", "[fx:remote] maybe sent");
    wait_idle();
    cJSON *out = messages(PATIENT, "out");
    cr_assert_eq(cJSON_GetArraySize(out), 2);
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "failed");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "error_code"), "21211");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "status"), "uncertain");
    cJSON_Delete(out);
    /* Sends provider-side failure 21610 opt the contact out too. */
    enqueue("reply", "[fx:21610] unsubscribed");
    wait_idle();
    cr_expect(opted_out(PATIENT));
    cr_expect_eq(n_sends(), 0);
}

Test(messaging, missed_call_is_recorded)
{
    const char *ev = "[{\"id\":\"CA1\",\"type\":\"call_missed\",\"from\":\"" PATIENT "\","
                     "\"to\":\"" CLINIC "\"}]";
    cr_assert_eq(post_events("/webhooks/fx/voice", CLINIC, ev, NULL, NULL), 200);
    cr_assert_eq(post_events("/webhooks/fx/voice", CLINIC, ev, NULL, NULL), 200);
    wait_idle();
    cJSON *root;
    cJSON *k = contact(PATIENT, &root);
    cr_assert_not_null(k);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(k, "missed_calls")), 1);
    cJSON_Delete(root);
    /* The text-back (the engine writes it; here through the test route)
     * goes at once, at most one per caller per 24 hours. */
    clock_to("set", "2026-11-25T06:00:00Z");
    cr_assert_eq(post_events("/webhooks/fx/voice", CLINIC,
                             "[{\"id\":\"CA2\",\"type\":\"call_missed\",\"from\":\"" PATIENT "\"}]",
                             NULL, NULL), 200);
    wait_idle();
    enqueue("textback", "Sorry we missed you!");
    enqueue("textback", "Sorry we missed you again!");
    wait_idle();
    cJSON *s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 1);
    cr_expect_str_eq(field(cJSON_GetArrayItem(s, 0), "text"), "Sorry we missed you!");
    cJSON_Delete(s);
    cJSON *out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "error_code"), "textback_limit");
    cJSON_Delete(out);
}

Test(messaging, engine_hook_gets_redacted_events_and_answers)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/engine", "{\"engine\":\"echo\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    /* 21:30 in Los Angeles: the text-back answers the call at once. */
    clock_to("set", "2026-11-25T05:30:00Z");
    cr_assert_eq(post_events("/webhooks/fx/voice", CLINIC,
                             "[{\"id\":\"CB1\",\"type\":\"call_missed\",\"from\":\"" PATIENT "\"}]",
                             NULL, NULL), 200);
    wait_idle();
    cr_assert_eq(n_sends(), 1);
    /* A second missed call within 24 hours: no second text-back. */
    clock_to("advance", "PT3H");
    cr_assert_eq(post_events("/webhooks/fx/voice", CLINIC,
                             "[{\"id\":\"CB2\",\"type\":\"call_missed\",\"from\":\"" PATIENT "\"}]",
                             NULL, NULL), 200);
    wait_idle();
    cr_expect_eq(n_sends(), 1);
    /* A message: the engine sees it redacted and replies at once. */
    cr_assert_eq(message("E1", "I have diabetes, is botox ok?"), 200);
    wait_idle();
    cJSON *s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 2);
    const char *text = field(cJSON_GetArrayItem(s, 1), "text");
    cr_expect_null(strstr(text, "diabetes"), "%s", text);
    cr_expect_not_null(strstr(text, "echo: I have [health info]"), "%s", text);
    cJSON_Delete(s);
    cJSON *out = messages(PATIENT, "out");
    cr_assert_eq(cJSON_GetArraySize(out), 3);
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "kind"), "textback");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 1), "error_code"), "textback_limit");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 2), "kind"), "reply");
    cJSON_Delete(out);
    /* STOP is compliance's, never the engine's. */
    cr_assert_eq(message("E2", "STOP"), 200);
    wait_idle();
    s = sends();
    cr_assert_eq(cJSON_GetArraySize(s), 3);
    cr_expect_null(strstr(field(cJSON_GetArrayItem(s, 2), "text"), "echo:"));
    cJSON_Delete(s);
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/engine", "{\"engine\":\"none\"}", &r), 0);
    test_http_resp_free(&r);
}

Test(messaging, busy_provider_is_retried_with_backoff_then_failed)
{
    cr_assert_eq(message("R0", "hello"), 200);
    wait_idle();
    enqueue("reply", "[fx:retry] later");
    wait_idle();
    cJSON *out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "queued");
    cJSON_Delete(out);
    /* Every retry fails again; after the last attempt the message fails
     * with the provider's code, and nothing was ever sent. */
    clock_to("advance", "PT2H");
    out = messages(PATIENT, "out");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "status"), "failed");
    cr_expect_str_eq(field(cJSON_GetArrayItem(out, 0), "error_code"), "503");
    cJSON_Delete(out);
    cr_expect_eq(n_sends(), 0);
}
