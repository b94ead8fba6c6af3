/*
 * Instagram and RBM end to end: the real daemon with the built
 * channel.instagram and channel.rbm plugins, PostgreSQL, and the
 * providers' simulators, which sign and deliver webhooks the way Meta and
 * Google do and receive the sends. A signed inbound message becomes one
 * conversation message on its channel; a redelivery and a forgery add
 * none; the (echo) engine's reply reaches the simulator on the same
 * channel, inside Instagram's messaging window.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/sim_proc.h"
#include "support/testdb.h"

#define ACCOUNT "17841400000000000"
#define IGSID "6183049392837465"
#define AGENT "glow-spa@rbm.goog"
#define PHONE "+14155550123"
#define START "2026-11-24T20:00:00Z"
#define START_MS "1795550400000"

static char *conninfo;
static struct test_daemon d;
static struct test_sim ig, rbm;
static bool started;

static void setup(void)
{
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    conninfo = testdb_create();
    test_sim_start(&ig, "instagram", NULL);
    test_sim_start(&rbm, "rbm", NULL);
    setenv("IG_APP_SECRET", "appsecret", 1);
    setenv("IG_VERIFY_TOKEN", "verify-me", 1);
    setenv("IG_ACCESS_TOKEN", "ig-test-token", 1);
    setenv("RBM_CLIENT_TOKEN", "SJENCPGJESMGUFPY", 1);
    setenv("RBM_ACCESS_TOKEN", "ya29.static-test-token", 1);
    char conf[1200], tenant[2048];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s/plugins\"; };\n", b);
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
             " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
             "messaging = { phone = \"+14155550100\"; };\n"
             "plugins = (\n"
             "  { plugin = \"channel.instagram\"; base_url = \"%s\";\n"
             "    config = { app_secret = \"env:IG_APP_SECRET\"; verify_token = \"env:IG_VERIFY_TOKEN\";\n"
             "               access_token = \"env:IG_ACCESS_TOKEN\"; account_ids = [ \"" ACCOUNT "\" ]; }; },\n"
             "  { plugin = \"channel.rbm\"; base_url = \"%s\";\n"
             "    config = { client_token = \"env:RBM_CLIENT_TOKEN\"; agent_id = \"" AGENT "\";\n"
             "               access_token = \"env:RBM_ACCESS_TOKEN\"; }; }\n"
             ");\n",
             ig.base_url, rbm.base_url);
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .test_clock_start = START, .extra_conf = conf,
                                  .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    started = true;
    char body[128];
    struct test_http_resp r;
    const char *h[] = { "Content-Type: application/json", NULL };
    snprintf(body, sizeof body, "{\"base\":\"http://127.0.0.1:%u\"}", d.public_port);
    cr_assert_eq(test_http("POST", ig.port, "/_sim/callback", h, body, strlen(body), &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("POST", rbm.port, "/_sim/callback", h, body, strlen(body), &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("POST", ig.port, "/_sim/clock", h, "{\"now_ms\":" START_MS "}",
                           strlen("{\"now_ms\":" START_MS "}"), &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/engine", "{\"engine\":\"echo\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
}

static void teardown(void)
{
    if (started) {
        test_daemon_stop_clean(&d);
        started = false;
    }
    test_sim_stop(&ig);
    test_sim_stop(&rbm);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(channels_e2e, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *sim(const struct test_sim *s, const char *method, const char *path, const char *body)
{
    struct test_http_resp r;
    const char *h[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(test_http(method, s->port, path, h, body, body ? strlen(body) : 0, &r), 0);
    cJSON *j = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    cr_assert_not_null(j, "%s %s", method, path);
    return j;
}

static int delivery_status(cJSON *j)
{
    int st = cJSON_GetObjectItem(j, "status")->valueint;
    cJSON_Delete(j);
    return st;
}

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

/* The messages of the contact on channel with address, in direction. */
static int count_messages(const char *channel, const char *address, const char *direction,
                          char *last_text, size_t cap)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *root = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    int n = 0;
    cJSON *k, *m;
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(root, "contacts"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(k, "channel")), channel) != 0 ||
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(k, "address")), address) != 0)
            continue;
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(k, "messages"))
        {
            if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "direction")), direction) != 0)
                continue;
            n++;
            if (last_text)
                snprintf(last_text, cap, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(m, "text")));
        }
    }
    cJSON_Delete(root);
    return n;
}

Test(channels_e2e, instagram_inbound_once_reply_reaches_instagram)
{
    char text[256];
    const char *msg = "{\"account\":\"" ACCOUNT "\",\"sender\":\"" IGSID "\",\"mid\":\"aWdf_e2e_1\","
                      "\"text\":\"Do you have Botox on Friday?\",\"timestamp_ms\":" START_MS "}";
    cr_assert_eq(delivery_status(sim(&ig, "POST", "/_sim/inbound", msg)), 200);
    wait_idle();
    cr_assert_eq(count_messages("instagram", IGSID, "in", text, sizeof text), 1);
    cr_assert_str_eq(text, "Do you have Botox on Friday?");

    /* Meta redelivers the same message: acknowledged, nothing new. */
    cr_assert_eq(delivery_status(sim(&ig, "POST", "/_sim/inbound", msg)), 200);
    /* A forgery (signed with another secret) is refused and stores nothing. */
    cr_assert_eq(delivery_status(sim(&ig, "POST", "/_sim/inbound",
                                     "{\"account\":\"" ACCOUNT "\",\"sender\":\"" IGSID "\","
                                     "\"mid\":\"aWdf_forged\",\"text\":\"forged\",\"forge\":true}")),
                 403);
    /* An echo of the clinic's own message is acknowledged and ignored. */
    cr_assert_eq(delivery_status(sim(&ig, "POST", "/_sim/inbound",
                                     "{\"account\":\"" ACCOUNT "\",\"sender\":\"" IGSID "\","
                                     "\"mid\":\"aWdf_echo\",\"text\":\"hello\",\"echo\":true}")),
                 200);
    wait_idle();
    cr_assert_eq(count_messages("instagram", IGSID, "in", NULL, 0), 1);

    /* The engine's reply went to Instagram's Send API for this user. */
    cJSON *sent = sim(&ig, "GET", "/_sim/sent", NULL);
    cJSON *arr = cJSON_GetObjectItem(sent, "sent");
    cr_assert_eq(cJSON_GetArraySize(arr), 1, "%s", cJSON_PrintUnformatted(sent));
    cJSON *body = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "body");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "recipient"), "id")),
                     IGSID);
    cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "message"), "text")),
                     "Botox") != NULL);
    cJSON_Delete(sent);
    /* What the plugin keeps (the user's last message time) holds no run of
     * 13 or more digits, which a scan for card numbers would flag. */
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_gt(testdb_scalar(pg, "SELECT count(*) FROM plugin_kv WHERE plugin_id = 'channel.instagram'"), 0);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM plugin_kv WHERE plugin_id = 'channel.instagram'"
                                   " AND convert_from(value, 'UTF8') ~ '[0-9]{13,}'"),
                 0);
    PQfinish(pg);
}

Test(channels_e2e, rbm_inbound_once_reply_reaches_rbm)
{
    const char *msg = "{\"phone\":\"" PHONE "\",\"message_id\":\"MxE2E1\",\"text\":\"Can I book filler?\"}";
    cr_assert_eq(delivery_status(sim(&rbm, "POST", "/_sim/inbound", msg)), 200);
    cr_assert_eq(delivery_status(sim(&rbm, "POST", "/_sim/inbound", msg)), 200, "redelivery");
    cr_assert_eq(delivery_status(sim(&rbm, "POST", "/_sim/inbound",
                                     "{\"phone\":\"" PHONE "\",\"text\":\"forged\",\"forge\":true}")),
                 403);
    wait_idle();
    cr_assert_eq(count_messages("rbm", PHONE, "in", NULL, 0), 1);
    cJSON *sent = sim(&rbm, "GET", "/_sim/sent", NULL);
    cJSON *arr = cJSON_GetObjectItem(sent, "sent");
    cr_assert_eq(cJSON_GetArraySize(arr), 1, "%s", cJSON_PrintUnformatted(sent));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "phone")), PHONE);
    cJSON_Delete(sent);
}

Test(channels_e2e, instagram_subscription_handshake_through_the_daemon)
{
    cJSON *r = sim(&ig, "POST", "/_sim/verify",
                   "{\"path\":\"/webhooks/instagram/main/glow\",\"challenge\":\"1158201444\"}");
    cr_assert_eq(cJSON_GetObjectItem(r, "status")->valueint, 200, "%s", cJSON_PrintUnformatted(r));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "body")), "1158201444");
    cJSON_Delete(r);
    r = sim(&ig, "POST", "/_sim/verify",
            "{\"path\":\"/webhooks/instagram/main/glow\",\"token\":\"guess\"}");
    cr_assert_eq(cJSON_GetObjectItem(r, "status")->valueint, 403);
    cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(r, "body")), "1158201444") == NULL);
    cJSON_Delete(r);
}

/* The app-wide URLs clinics configure at Meta and Google: /webhooks/instagram
 * and /webhooks/google-business (served by channel.rbm) reach the same
 * plugins as their main endpoints, routed to the tenant by the body. */
Test(channels_e2e, app_wide_webhook_urls)
{
    cr_assert_eq(delivery_status(sim(&ig, "POST", "/_sim/inbound",
                                     "{\"path\":\"/webhooks/instagram\",\"account\":\"" ACCOUNT "\","
                                     "\"sender\":\"" IGSID "\",\"mid\":\"aWdf_app_1\","
                                     "\"text\":\"Hi there\",\"timestamp_ms\":" START_MS "}")),
                 200);
    cr_assert_eq(delivery_status(sim(&rbm, "POST", "/_sim/inbound",
                                     "{\"path\":\"/webhooks/google-business\",\"phone\":\"" PHONE "\","
                                     "\"message_id\":\"MxApp1\",\"text\":\"Hello\"}")),
                 200);
    cr_assert_eq(delivery_status(sim(&rbm, "POST", "/_sim/inbound",
                                     "{\"path\":\"/webhooks/google-business\",\"phone\":\"" PHONE "\","
                                     "\"text\":\"forged\",\"forge\":true}")),
                 403, "the signature is still checked");
    wait_idle();
    cr_assert_eq(count_messages("instagram", IGSID, "in", NULL, 0), 1);
    cr_assert_eq(count_messages("rbm", PHONE, "in", NULL, 0), 1);
}
