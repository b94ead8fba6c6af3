/*
 * channel.webchat through the real daemon, PostgreSQL and the plugin's .so:
 * visitor tokens (issued, renewed, forged, expired on the business clock),
 * the per-visitor rate limit (and its refill), a retried client message id
 * recorded once, the event stream resumed after Last-Event-ID, CORS for
 * allowed origins, the widget script, and end to end: a visitor message
 * becomes one conversation message and the echo engine's reply comes back
 * on the visitor's event stream; a card number a visitor types is kept in
 * the transcript only masked.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <bookwell-sdk/card_mask.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"
#include "support/testfiles.h"

#define KEY "glow-widget"
#define ORIGIN "http://clinic.test"

static char *conninfo;
static char plugins[64];
static struct test_daemon d;
static bool started;

static void setup(void)
{
    conninfo = testdb_create();
    test_scratch_dir(plugins, sizeof plugins, "bw-wc");
    test_install_plugin(plugins, "channel.webchat-1.0.0.so");
    setenv("WC_SECRET", "webchat-token-secret-0123456789", 1);
    char conf[256];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", plugins);
    const char *tenant =
        "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
        " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
        "messaging = { phone = \"+14155550100\"; };\n"
        "plugins = ( { plugin = \"channel.webchat\"; config = { widget_key = \"" KEY "\";"
        " token_secret = \"env:WC_SECRET\"; clinic_name = \"Glow Aesthetics\";"
        " colour = \"#aa3366\"; allowed_origins = [ \"" ORIGIN "\" ]; token_ttl = \"1h\";"
        " retry = \"500ms\"; visitor_burst = 3; visitor_per_minute = 1; }; } );\n";
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
    test_scratch_remove(plugins, "bw-wc");
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(webchat, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ helpers */

struct session {
    char token[200];
    char visitor[40];
};

static void new_session(const char *old_token, struct session *s)
{
    char body[300];
    snprintf(body, sizeof body, old_token ? "{\"token\":\"%s\"}" : "{}", old_token);
    const char *headers[] = { "Content-Type: application/json", NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", d.public_port, "/webhooks/webchat/session?key=" KEY, headers,
                           body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *o = cJSON_Parse(r.body);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(o, "token"));
    const char *vis = cJSON_GetStringValue(cJSON_GetObjectItem(o, "visitor"));
    cr_assert(tok && vis, "%s", r.body);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "clinic_name")),
                     "Glow Aesthetics");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "colour")), "#aa3366");
    snprintf(s->token, sizeof s->token, "%s", tok);
    snprintf(s->visitor, sizeof s->visitor, "%s", vis);
    cJSON_Delete(o);
    test_http_resp_free(&r);
}

/* Posts a visitor message; returns the status (body into *reply if set). */
static long post_message(const char *token, const char *id, const char *text, char **reply)
{
    char body[1024], auth[300];
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"text\":\"%s\"}", id, text);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = { "Content-Type: application/json", auth, NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", d.public_port, "/webhooks/webchat/messages?key=" KEY,
                           headers, body, strlen(body), &r), 0);
    long status = r.status;
    if (reply)
        *reply = strdup(r.body);
    test_http_resp_free(&r);
    return status;
}

/* The event stream after last (NULL: from the start), as text. */
static char *events(const char *token, const char *last_header, const char *last_query,
                    long *status)
{
    char path[600], hdr[64];
    snprintf(path, sizeof path, "/webhooks/webchat/events?key=" KEY "&token=%s%s%s", token,
             last_query ? "&lastEventId=" : "", last_query ? last_query : "");
    snprintf(hdr, sizeof hdr, "Last-Event-ID: %s", last_header ? last_header : "");
    const char *headers[] = { last_header ? hdr : NULL, NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", d.public_port, path, headers, NULL, 0, &r), 0);
    *status = r.status;
    if (r.status == 200)
        cr_assert(strstr(r.headers, "text/event-stream") != NULL, "%s", r.headers);
    char *out = strdup(r.body);
    test_http_resp_free(&r);
    return out;
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

static void advance(const char *how_long)
{
    char body[128];
    snprintf(body, sizeof body, "{\"advance\":\"%s\"}", how_long);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/clock", body, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    wait_idle();
}

/* The messages of the contact with address in direction, as a new array. */
static cJSON *messages(const char *address, const char *direction)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *root = cJSON_Parse(r.body), *k, *m, *out = cJSON_CreateArray();
    test_http_resp_free(&r);
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(root, "contacts")) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(k, "address")), address) != 0)
            continue;
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(k, "messages")) {
            const char *dir = cJSON_GetStringValue(cJSON_GetObjectItem(m, "direction"));
            if (dir && strcmp(dir, direction) == 0)
                cJSON_AddItemToArray(out, cJSON_Duplicate(m, 1));
        }
    }
    cJSON_Delete(root);
    return out;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* True when s holds a run of 13 to 19 digits (single spaces or dashes
 * between them allowed) that passes Luhn: any such run, not only the ones
 * aligned on groups that the masking looks for. */
static bool has_card_number(const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        char digits[20];
        size_t n = 0;
        for (size_t j = i; n < 19 && s[j] >= '0' && s[j] <= '9';) {
            digits[n++] = s[j++];
            if (n >= 13 && bwsdk_luhn_ok(digits, n))
                return true;
            if ((s[j] == ' ' || s[j] == '-') && s[j + 1] >= '0' && s[j + 1] <= '9')
                j++;
        }
    }
    return false;
}

/* ------------------------------------------------------------ tests */

Test(webchat, widget_script_and_cors)
{
    struct test_http_resp r;
    const char *allowed[] = { "Origin: " ORIGIN, NULL };
    cr_assert_eq(test_http("GET", d.public_port, "/webhooks/webchat/widget.js?key=" KEY, allowed,
                           NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.headers, "application/javascript") != NULL, "%s", r.headers);
    cr_assert(strstr(r.body, "attachShadow") != NULL);
    cr_assert(strstr(r.headers, "Access-Control-Allow-Origin: " ORIGIN) != NULL, "%s",
              r.headers);
    test_http_resp_free(&r);

    /* A preflight from the clinic's site is allowed; one from elsewhere
     * gets no CORS headers, so the browser refuses it. */
    const char *pre[] = { "Origin: " ORIGIN, "Access-Control-Request-Method: POST",
                          "Access-Control-Request-Headers: authorization, content-type", NULL };
    cr_assert_eq(test_http("OPTIONS", d.public_port, "/webhooks/webchat/messages?key=" KEY, pre,
                           NULL, 0, &r), 0);
    cr_assert_eq(r.status, 204);
    cr_assert(strstr(r.headers, "Access-Control-Allow-Origin: " ORIGIN) != NULL, "%s",
              r.headers);
    cr_assert(strstr(r.headers, "Authorization") != NULL, "%s", r.headers);
    test_http_resp_free(&r);
    const char *other[] = { "Origin: http://evil.test", NULL };
    cr_assert_eq(test_http("OPTIONS", d.public_port, "/webhooks/webchat/messages?key=" KEY,
                           other, NULL, 0, &r), 0);
    cr_assert(strstr(r.headers, "Access-Control-Allow-Origin") == NULL, "%s", r.headers);
    test_http_resp_free(&r);

    /* An unknown widget key reaches no tenant. */
    cr_assert_eq(test_http("GET", d.public_port, "/webhooks/webchat/widget.js?key=nobody", NULL,
                           NULL, 0, &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
}

Test(webchat, tokens_forged_and_expired)
{
    struct session s, again;
    new_session(NULL, &s);
    cr_assert_eq(strlen(s.visitor), 25);
    cr_assert_eq(strncmp(s.token, "v1.", 3), 0);

    /* Renewing a valid token keeps the visitor. */
    new_session(s.token, &again);
    cr_assert_str_eq(again.visitor, s.visitor);

    /* Forged: another visitor's id under the same signature, and a changed
     * signature. Refused, nothing recorded. */
    struct session other;
    new_session(NULL, &other);
    cr_assert_str_neq(other.visitor, s.visitor);
    char forged[200];
    snprintf(forged, sizeof forged, "%s", s.token);
    memcpy(forged + 3, other.visitor, strlen(other.visitor));
    char *reply = NULL;
    cr_assert_eq(post_message(forged, "forged-0001", "hello", &reply), 401);
    cr_assert(strstr(reply, "invalid_token") != NULL, "%s", reply);
    free(reply);
    snprintf(forged, sizeof forged, "%s", s.token);
    size_t n = strlen(forged);
    forged[n - 1] = forged[n - 1] == 'A' ? 'B' : 'A';
    cr_assert_eq(post_message(forged, "forged-0002", "hello", NULL), 401);
    cr_assert_eq(post_message("v1.nonsense", "forged-0003", "hello", NULL), 401);
    long st;
    free(events(forged, NULL, NULL, &st));
    cr_assert_eq(st, 401);
    wait_idle();
    cJSON *in = messages(other.visitor, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 0);
    cJSON_Delete(in);
    in = messages(s.visitor, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 0);
    cJSON_Delete(in);

    /* Expired after token_ttl (1h) of business time; a renewal with it
     * makes a new visitor. */
    cr_assert_eq(post_message(s.token, "valid-0001", "hello", NULL), 202);
    advance("2h");
    reply = NULL;
    cr_assert_eq(post_message(s.token, "late-00001", "hello again", &reply), 401);
    cr_assert(strstr(reply, "token_expired") != NULL, "%s", reply);
    free(reply);
    new_session(s.token, &again);
    cr_assert_str_neq(again.visitor, s.visitor);
    cr_assert_eq(post_message(again.token, "late-00001", "hello again", NULL), 202);
}

Test(webchat, rate_limit_per_visitor)
{
    struct session s;
    new_session(NULL, &s);
    cr_assert_eq(post_message(s.token, "rate-0001", "one", NULL), 202);
    cr_assert_eq(post_message(s.token, "rate-0002", "two", NULL), 202);
    cr_assert_eq(post_message(s.token, "rate-0003", "three", NULL), 202);
    char *reply = NULL;
    cr_assert_eq(post_message(s.token, "rate-0004", "four", &reply), 429);
    cr_assert(strstr(reply, "rate_limited") != NULL, "%s", reply);
    free(reply);
    /* A retry of a taken message is no new message: still answered. */
    cr_assert_eq(post_message(s.token, "rate-0003", "three", NULL), 202);
    /* Another visitor has a bucket of its own. */
    struct session t;
    new_session(NULL, &t);
    cr_assert_eq(post_message(t.token, "rate-0001", "one", NULL), 202);
    /* One message a minute comes back. */
    advance("61s");
    cr_assert_eq(post_message(s.token, "rate-0004", "four", NULL), 202);
    cr_assert_eq(post_message(s.token, "rate-0005", "five", NULL), 429);
    wait_idle();
    cJSON *in = messages(s.visitor, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 4);
    cJSON_Delete(in);
}

Test(webchat, retried_message_id_recorded_once)
{
    struct session s;
    new_session(NULL, &s);
    char *reply = NULL;
    cr_assert_eq(post_message(s.token, "dup-00001", "Do you do lip filler?", &reply), 202);
    cr_assert(strstr(reply, "\"duplicate\":false") != NULL, "%s", reply);
    free(reply);
    cr_assert_eq(post_message(s.token, "dup-00001", "Do you do lip filler?", &reply), 202);
    cr_assert(strstr(reply, "\"duplicate\":true") != NULL, "%s", reply);
    free(reply);
    wait_idle();
    cJSON *in = messages(s.visitor, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 1);
    cJSON_Delete(in);
    long st;
    char *ev = events(s.token, NULL, NULL, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(count(ev, "\"id\":\"dup-00001\""), 1, "%s", ev);
    free(ev);
}

Test(webchat, event_stream_resumes_after_last_event_id)
{
    struct session s;
    new_session(NULL, &s);
    cr_assert_eq(post_message(s.token, "sse-00001", "first", NULL), 202);
    cr_assert_eq(post_message(s.token, "sse-00002", "second", NULL), 202);
    cr_assert_eq(post_message(s.token, "sse-00003", "third", NULL), 202);
    long st;
    char *ev = events(s.token, NULL, NULL, &st);
    cr_assert_eq(st, 200);
    cr_assert(strncmp(ev, "retry: 500\n\n", 12) == 0, "%s", ev);
    cr_assert(strstr(ev, "id: 1\nevent: message\ndata: {") != NULL, "%s", ev);
    cr_assert(strstr(ev, "id: 3\n") != NULL, "%s", ev);
    cr_assert(strstr(ev, "first") < strstr(ev, "second") && strstr(ev, "second") < strstr(ev, "third"));
    free(ev);
    /* Reconnection with Last-Event-ID: only what came after. */
    ev = events(s.token, "2", NULL, &st);
    cr_assert(strstr(ev, "id: 1\n") == NULL && strstr(ev, "id: 2\n") == NULL, "%s", ev);
    cr_assert(strstr(ev, "id: 3\n") != NULL && strstr(ev, "third") != NULL, "%s", ev);
    free(ev);
    ev = events(s.token, NULL, "1", &st);
    cr_assert(strstr(ev, "id: 1\n") == NULL && strstr(ev, "id: 2\n") != NULL, "%s", ev);
    free(ev);
    ev = events(s.token, "3", NULL, &st);
    cr_assert_str_eq(ev, "retry: 500\n\n");
    free(ev);
    /* Another visitor's stream is not this one's. */
    struct session t;
    new_session(NULL, &t);
    ev = events(t.token, NULL, NULL, &st);
    cr_assert(strstr(ev, "first") == NULL, "%s", ev);
    free(ev);
}

Test(webchat, visitor_message_gets_the_engines_reply_on_the_stream)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/engine", "{\"engine\":\"echo\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    struct session s;
    new_session(NULL, &s);
    cr_assert_eq(post_message(s.token, "e2e-00001", "Are you open Saturday?", NULL), 202);
    cr_assert_eq(post_message(s.token, "e2e-00001", "Are you open Saturday?", NULL), 202);
    wait_idle();
    cJSON *in = messages(s.visitor, "in"), *out = messages(s.visitor, "out");
    cr_assert_eq(cJSON_GetArraySize(in), 1);
    cr_assert_eq(cJSON_GetArraySize(out), 1);
    cJSON_Delete(in);
    cJSON_Delete(out);
    long st;
    char *ev = NULL;
    for (int i = 0; i < 200; i++) {
        free(ev);
        ev = events(s.token, "1", NULL, &st);
        if (strstr(ev, "\"from\":\"clinic\""))
            break;
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    cr_assert(strstr(ev, "id: 2\nevent: message\ndata: {\"from\":\"clinic\"") != NULL, "%s", ev);
    cr_assert(strstr(ev, "echo: Are you open Saturday?") != NULL, "%s", ev);
    cr_assert_eq(count(ev, "\"from\":\"clinic\""), 1, "%s", ev);
    free(ev);
}

Test(webchat, phone_number_left_with_consent_is_recorded)
{
    struct session s;
    new_session(NULL, &s);
    char body[512], auth[300];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", s.token);
    const char *headers[] = { "Content-Type: application/json", auth, NULL };
    struct test_http_resp r;
    /* Without the consent box ticked the number is refused. */
    snprintf(body, sizeof body,
             "{\"id\":\"tel-00001\",\"text\":\"Text me\",\"phone\":\"+14155550177\"}");
    cr_assert_eq(test_http("POST", d.public_port, "/webhooks/webchat/messages?key=" KEY,
                           headers, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 400, "%s", r.body);
    test_http_resp_free(&r);
    snprintf(body, sizeof body,
             "{\"id\":\"tel-00002\",\"text\":\"Text me\",\"phone\":\"+14155550177\","
             "\"consent\":true}");
    cr_assert_eq(test_http("POST", d.public_port, "/webhooks/webchat/messages?key=" KEY,
                           headers, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    test_http_resp_free(&r);
    wait_idle();

    cr_assert_eq(test_admin(&d, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cJSON *root = cJSON_Parse(r.body), *k, *found = NULL;
    test_http_resp_free(&r);
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(root, "contacts"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(k, "address")), s.visitor) == 0)
            found = k;
    cr_assert_not_null(found);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(found, "channel")), "webchat");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(found, "phone")), "+14155550177");
    cJSON_Delete(root);

    /* The ledger holds express web-form consent for the number, with the
     * wording the widget showed. */
    PGconn *pg = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK);
    PGresult *q = PQexec(pg, "SELECT source, channel, consent_text FROM consent_events"
                             " WHERE tenant_id = 'glow' AND contact = '+14155550177'");
    cr_assert_eq(PQresultStatus(q), PGRES_TUPLES_OK, "%s", PQerrorMessage(pg));
    cr_assert_eq(PQntuples(q), 1);
    cr_assert_str_eq(PQgetvalue(q, 0, 0), "web_form");
    cr_assert_str_eq(PQgetvalue(q, 0, 1), "sms");
    cr_assert(strstr(PQgetvalue(q, 0, 2), "Reply STOP") != NULL, "%s", PQgetvalue(q, 0, 2));
    PQclear(q);
    PQfinish(pg);
}

Test(webchat, card_number_is_kept_only_masked)
{
    struct session s;
    new_session(NULL, &s);
    cr_assert_eq(post_message(s.token, "pan-00001", "card 4111 1111 1111 1111 exp 12/29 cvv 123",
                              NULL),
                 202);
    wait_idle();

    /* Nothing the plugin keeps holds a card number. */
    PGconn *pg = testdb_connect(conninfo);
    PGresult *q = PQexec(pg, "SELECT key, convert_from(value, 'UTF8') FROM plugin_kv"
                             " WHERE plugin_id = 'channel.webchat'");
    cr_assert_eq(PQresultStatus(q), PGRES_TUPLES_OK, "%s", PQerrorMessage(pg));
    cr_assert_gt(PQntuples(q), 0);
    bool transcript = false;
    for (int i = 0; i < PQntuples(q); i++) {
        const char *value = PQgetvalue(q, i, 1);
        cr_expect_not(has_card_number(value), "%s: %s", PQgetvalue(q, i, 0), value);
        cr_expect(strstr(value, "12/29") == NULL && strstr(value, "cvv 123") == NULL, "%s",
                  value);
        if (strstr(value, "pan-00001"))
            transcript = true;
    }
    cr_assert(transcript, "the visitor's message is in the transcript");
    PQclear(q);
    PQfinish(pg);

    /* The transcript a reloaded page shows: the masked form. */
    long st;
    char *ev = events(s.token, NULL, NULL, &st);
    cr_assert_eq(st, 200);
    cr_assert(strstr(ev, "\"text\":\"card **** **** **** 1111 exp **/** cvv ***\"") != NULL,
              "%s", ev);
    cr_assert_not(has_card_number(ev), "%s", ev);
    free(ev);

    /* The host's copy of the message is masked as well. */
    cJSON *in = messages(s.visitor, "in");
    cr_assert_eq(cJSON_GetArraySize(in), 1);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 0), "text"));
    cr_assert(text && strstr(text, "**** **** **** 1111") && !has_card_number(text), "%s",
              text ? text : "(none)");
    cJSON_Delete(in);
}
