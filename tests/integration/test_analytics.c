/*
 * The clinic's analytics API and dashboard against rows inserted with known
 * values for two clinics, glow (Los Angeles) and spruce (New York): the
 * percentiles of the time to first response, the range read in the
 * tenant's or the asked time zone, each clinic's API key seeing only its
 * own numbers on every analytics route, and the dashboard showing each
 * clinic's user only that clinic, refusing a sign-in without its CSRF token
 * or with another clinic's id, and locking a user out for a while after
 * five wrong passwords in a row.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "integration/analytics_json.h"
#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon d;
static bool started;

static void seeded_setup(void)
{
    cr_assert_not_null(getenv("BW_BUILDDIR"), "BW_BUILDDIR is not set (run through make check)");
    conninfo = testdb_create();
    struct test_daemon_opts o = {
        .conninfo = conninfo, .test_clock = true, .test_clock_start = "2027-03-10T12:00:00Z",
        .spruce_conf = "tenant = { id = \"spruce\"; name = \"Spruce Skin\";"
                       " timezone = \"America/New_York\"; country = \"US\"; };\n"
    };
    test_daemon_start(&d, &o);
    started = true;
    PGconn *pg = testdb_connect(conninfo);
    /* glow: three calls on Feb 10 UTC and one late that evening in Los
     * Angeles (Feb 11 in UTC); first replies after 2, 10, 100 and 1 s; the
     * third caller got no text-back (one per caller a day) but wrote and got
     * a reply; and a web chat visitor who wrote. spruce: one call, texted
     * back after 5 s. */
    testdb_exec(pg,
                "INSERT INTO contacts (tenant_id, id, channel, address, phone, created_at) VALUES"
                " ('glow', 101, 'sms', '+14155550401', '+14155550401', '2027-02-10T20:00:00Z'),"
                " ('glow', 102, 'sms', '+14155550402', '+14155550402', '2027-02-10T21:00:00Z'),"
                " ('glow', 103, 'sms', '+14155550403', '+14155550403', '2027-02-10T22:00:00Z'),"
                " ('glow', 104, 'sms', '+14155550404', '+14155550404', '2027-02-11T07:30:00Z'),"
                " ('spruce', 201, 'sms', '+12125550401', '+12125550401', '2027-02-10T15:00:00Z'),"
                " ('glow', 105, 'webchat', 'visitor-105', NULL, '2027-02-10T19:00:00Z');"
                "INSERT INTO conversations (tenant_id, id, contact_id, binding, created_at, updated_at)"
                " SELECT tenant_id, id, id, CASE channel WHEN 'webchat' THEN 'channel.webchat'"
                " ELSE 'channel.twilio' END, created_at, created_at FROM contacts"
                " WHERE id IN (101, 102, 103, 104, 105, 201);"
                "INSERT INTO calls (tenant_id, id, contact_id, binding, provider_id, outcome, at)"
                " SELECT tenant_id, id, id, 'channel.twilio', 'CA' || id, 'missed', created_at"
                " FROM contacts WHERE id IN (101, 102, 103, 104, 201);"
                "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind,"
                " binding, body, status, caused_by, created_at, sent_at) VALUES"
                " ('glow', 101, 101, 'out', 'textback', 'channel.twilio', 'hi', 'delivered', 101,"
                "  '2027-02-10T20:00:00Z', '2027-02-10T20:00:02Z'),"
                " ('glow', 102, 102, 'out', 'textback', 'channel.twilio', 'hi', 'sent', 102,"
                "  '2027-02-10T21:00:00Z', '2027-02-10T21:00:10Z'),"
                " ('glow', 103, 103, 'in', 'message', 'channel.twilio', 'hello', 'received', NULL,"
                "  '2027-02-10T22:01:00Z', NULL),"
                " ('glow', 103, 103, 'out', 'reply', 'channel.twilio', 'hi', 'delivered', NULL,"
                "  '2027-02-10T22:01:40Z', '2027-02-10T22:01:40Z'),"
                " ('glow', 104, 104, 'out', 'textback', 'channel.twilio', 'hi', 'delivered', 104,"
                "  '2027-02-11T07:30:00Z', '2027-02-11T07:30:01Z'),"
                " ('spruce', 201, 201, 'out', 'textback', 'channel.twilio', 'hi', 'delivered', 201,"
                "  '2027-02-10T15:00:00Z', '2027-02-10T15:00:05Z'),"
                " ('glow', 105, 105, 'in', 'message', 'channel.webchat', 'hello', 'received', NULL,"
                "  '2027-02-10T19:00:00Z', NULL);");
    PQfinish(pg);
}

static void seeded_teardown(void)
{
    if (started) {
        test_daemon_stop_clean(&d);
        started = false;
    }
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(analytics_seeded, .init = seeded_setup, .fini = seeded_teardown, .timeout = 60);

static long get(const char *path, const char *auth, cJSON **json)
{
    struct test_http_resp r;
    const char *h[] = { auth, NULL };
    cr_assert_eq(test_http("GET", d.public_port, path, auth ? h : NULL, NULL, 0, &r), 0);
    long status = r.status;
    if (json) {
        *json = cJSON_Parse(r.body);
        cr_assert_not_null(*json, "%s: %s", path, r.body);
    }
    test_http_resp_free(&r);
    return status;
}

Test(analytics_seeded, percentiles_of_the_first_response_in_the_clinics_day)
{
    char glow[256];
    test_daemon_api_key(&d, "glow", "{\"label\":\"analytics\"}", glow, sizeof glow);
    cJSON *m = NULL;
    /* Feb 10 in Los Angeles holds all four glow calls: 1, 2, 10, 100 s. */
    cr_assert_eq(get("/metrics/missed-calls?from=2027-02-10&to=2027-02-10", glow, &m), 200);
    cr_assert_eq(number(m, "missed_calls"), 4);
    cr_assert_eq(number(m, "texted_back"), 3);
    assert_near(number(m, "time_to_first_response_s.p50"), 6);
    assert_near(number(m, "time_to_first_response_s.p90"), 73);
    assert_near(number(m, "time_to_first_response_s.p99"), 97.3);
    assert_near(number(m, "time_to_first_response_s.max"), 100);
    cr_assert_eq(number(m, "first_response_within_60s"), 3);
    cJSON_Delete(m);
    /* Feb 10 in UTC leaves out the call at 23:30 Los Angeles time: 2, 10, 100 s. */
    cr_assert_eq(get("/metrics/missed-calls?from=2027-02-10&to=2027-02-10&tz=UTC", glow, &m), 200);
    cr_assert_eq(number(m, "missed_calls"), 3);
    cr_assert_eq(number(m, "texted_back"), 2);
    assert_near(number(m, "time_to_first_response_s.p50"), 10);
    assert_near(number(m, "time_to_first_response_s.p90"), 82);
    assert_near(number(m, "time_to_first_response_s.p99"), 98.2);
    cr_assert_str_eq(cJSON_GetStringValue(item(m, "range.tz")), "UTC");
    cJSON_Delete(m);
    /* A day with no call: counts are zero and percentiles null. */
    cr_assert_eq(get("/metrics/missed-calls?from=2027-02-12&to=2027-02-12", glow, &m), 200);
    cr_assert_eq(number(m, "missed_calls"), 0);
    cr_assert(cJSON_IsNull(item(m, "time_to_first_response_s.p50")));
    cJSON_Delete(m);
}

Test(analytics_seeded, each_clinic_sees_only_its_own_numbers)
{
    char glow[256], spruce[256];
    test_daemon_api_key(&d, "glow", "{\"label\":\"analytics\"}", glow, sizeof glow);
    test_daemon_api_key(&d, "spruce", "{\"label\":\"analytics\"}", spruce, sizeof spruce);
    const char *routes[] = { "/metrics/missed-calls", "/metrics/conversion-funnel",
                             "/metrics/revenue-impact" };
    char path[256];
    cJSON *m = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s?from=2027-02-10&to=2027-02-10", routes[i]);
        cr_assert_eq(get(path, NULL, NULL), 401, "%s without a key", routes[i]);
        cr_assert_eq(get(path, "Authorization: Bearer bwk_not-a-key", NULL), 401, "%s", routes[i]);
        cr_assert_eq(get(path, spruce, &m), 200, "%s", routes[i]);
        /* spruce's one call (Feb 10 in New York), never glow's four. */
        if (i == 0) {
            cr_assert_eq(number(m, "missed_calls"), 1);
            assert_near(number(m, "time_to_first_response_s.p50"), 5);
        } else if (i == 1) {
            cr_assert_eq(stage_count(item(m, "all"), "lead"), 1);
            cr_assert_eq(number(channel_row(m, "sms"), "leads"), 1);
            cr_assert_eq(cJSON_GetArraySize(item(m, "channels")), 1, "glow's web chat is not spruce's");
        } else {
            assert_near(number(m, "inputs.missed_calls_per_week.value"), 7);
        }
        cr_assert_str_eq(cJSON_GetStringValue(item(m, "range.tz")), "America/New_York");
        cJSON_Delete(m);
        cr_assert_eq(get(path, glow, &m), 200, "%s", routes[i]);
        if (i == 0)
            cr_assert_eq(number(m, "missed_calls"), 4);
        else if (i == 1) {
            /* Four callers by SMS (one wrote) and a web chat visitor (who wrote). */
            cr_assert_eq(stage_count(item(m, "all"), "lead"), 5);
            cr_assert_eq(stage_count(item(m, "all"), "responded"), 2);
            cr_assert_eq(number(item(m, "all"), "from_missed_calls"), 4);
            cr_assert_eq(stage_count(channel_row(m, "sms"), "lead"), 4);
            cr_assert_eq(stage_count(channel_row(m, "sms"), "responded"), 1);
            cr_assert_eq(stage_count(channel_row(m, "webchat"), "lead"), 1);
            cr_assert_eq(stage_count(channel_row(m, "webchat"), "responded"), 1);
            cr_assert_eq(number(channel_row(m, "webchat"), "from_missed_calls"), 0);
        }
        else
            assert_near(number(m, "inputs.missed_calls_per_week.value"), 28);
        cJSON_Delete(m);
    }
    /* The admin listener does not serve the clinic API. */
    struct test_http_resp r;
    const char *h[] = { spruce, NULL };
    cr_assert_eq(test_http("GET", d.admin_port, "/metrics/missed-calls", h, NULL, 0, &r), 0);
    cr_assert_neq(r.status, 200);
    test_http_resp_free(&r);
}

Test(analytics_seeded, bad_parameters_are_refused)
{
    char glow[256];
    test_daemon_api_key(&d, "glow", "{\"label\":\"analytics\"}", glow, sizeof glow);
    cJSON *m = NULL;
    cr_assert_eq(get("/metrics/missed-calls?from=2027-02-30", glow, &m), 400);
    cJSON_Delete(m);
    cr_assert_eq(get("/metrics/conversion-funnel?tz=Nowhere/City", glow, &m), 400);
    cJSON_Delete(m);
    cr_assert_eq(get("/metrics/revenue-impact?average_ticket=-5", glow, &m), 400);
    cJSON_Delete(m);
    cr_assert_eq(get("/metrics/revenue-impact?current_capture_rate=1.5", glow, &m), 400);
    cJSON_Delete(m);
    /* Without dates: the 30 days that end today on the business clock. */
    cr_assert_eq(get("/metrics/revenue-impact", glow, &m), 200);
    cr_assert_str_eq(cJSON_GetStringValue(item(m, "range.to")), "2027-03-10");
    cr_assert_str_eq(cJSON_GetStringValue(item(m, "range.from")), "2027-02-09");
    cJSON_Delete(m);
}

/* ---- the dashboard, per clinic user ---- */

/* The value of cookie name in raw response headers ("" when absent). */
static void set_cookie_value(const char *headers, const char *name, char *out, size_t cap)
{
    char needle[64];
    snprintf(needle, sizeof needle, "Set-Cookie: %s=", name);
    const char *p = headers ? strstr(headers, needle) : NULL;
    out[0] = '\0';
    if (p) {
        p += strlen(needle);
        size_t n = strcspn(p, ";\r\n");
        if (n < cap) {
            memcpy(out, p, n);
            out[n] = '\0';
        }
    }
}

/* Signs in through the form; returns the status and the session cookie. */
static long sign_in(const char *tenant, const char *email, const char *password, bool with_csrf,
                    char *session, size_t cap)
{
    struct test_http_resp r;
    char login[128], cookie_h[200], body[512];
    cr_assert_eq(test_http("GET", d.public_port, "/dashboard/login", NULL, NULL, 0, &r), 0);
    set_cookie_value(r.headers, "bw_login", login, sizeof login);
    cr_assert_neq(login[0], '\0', "no login cookie: %s", r.headers);
    cr_assert(strstr(r.body, login) != NULL, "the form carries the token of the cookie");
    test_http_resp_free(&r);
    snprintf(cookie_h, sizeof cookie_h, "Cookie: bw_login=%s", login);
    snprintf(body, sizeof body, "csrf=%s&clinic=%s&email=%s&password=%s", with_csrf ? login : "x",
             tenant, email, password);
    const char *h[] = { cookie_h, "Content-Type: application/x-www-form-urlencoded", NULL };
    cr_assert_eq(test_http("POST", d.public_port, "/dashboard/login", h, body, strlen(body), &r), 0);
    long status = r.status;
    set_cookie_value(r.headers, "bw_session", session, cap);
    test_http_resp_free(&r);
    return status;
}

/* The count in the dashboard's cell for stage, or -1 when not shown. */
static long shown_stage(const char *session, const char *stage)
{
    struct test_http_resp r;
    char cookie_h[200], needle[64];
    snprintf(cookie_h, sizeof cookie_h, "Cookie: bw_session=%s", session);
    const char *h[] = { cookie_h, NULL };
    cr_assert_eq(test_http("GET", d.public_port, "/dashboard?from=2027-02-10&to=2027-02-10", h,
                           NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    snprintf(needle, sizeof needle, "data-stage=\"%s\">", stage);
    const char *at = strstr(r.body, needle);
    long v = at ? strtol(at + strlen(needle), NULL, 10) : -1;
    test_http_resp_free(&r);
    return v;
}

Test(analytics_seeded, the_dashboard_shows_each_clinic_only_its_own)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/glow/users",
                            "{\"email\":\"owner@glow.example\",\"password\":\"glow-password-1\"}", &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/spruce/users",
                            "{\"email\":\"owner@spruce.example\",\"password\":\"spruce-password\"}", &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/spruce/users",
                            "{\"email\":\"owner@spruce.example\",\"password\":\"another-password\"}", &r), 0);
    cr_assert_eq(r.status, 409, "the same email twice");
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/nobody/users",
                            "{\"email\":\"a@b.example\",\"password\":\"long-enough-1\"}", &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);

    char glow[64], spruce[64], none[64];
    cr_assert_eq(sign_in("glow", "owner@glow.example", "glow-password-1", true, glow, sizeof glow), 200);
    cr_assert_eq(sign_in("spruce", "owner%40spruce.example", "spruce-password", true, spruce, sizeof spruce), 200);
    cr_assert_neq(glow[0], '\0');
    cr_assert_neq(spruce[0], '\0');
    /* Each session shows its own clinic's leads of Feb 10. */
    cr_assert_eq(shown_stage(glow, "lead"), 5);
    cr_assert_eq(shown_stage(spruce, "lead"), 1);
    /* Refused: spruce's user at glow, a wrong password, a form without its token. */
    cr_assert_eq(sign_in("glow", "owner%40spruce.example", "spruce-password", true, none, sizeof none), 401);
    cr_assert_eq(none[0], '\0');
    cr_assert_eq(sign_in("glow", "owner%40glow.example", "wrong-password", true, none, sizeof none), 401);
    cr_assert_eq(sign_in("glow", "owner%40glow.example", "glow-password-1", false, none, sizeof none), 403);
    cr_assert_eq(none[0], '\0');
    /* A made-up session cookie gets the sign-in form. */
    cr_assert_eq(shown_stage("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "lead"), -1);
    /* Passwords are stored only as PBKDF2 hashes. */
    PGconn *pg = testdb_connect(conninfo);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM dashboard_users WHERE password_hash"
                                   " ~ '^pbkdf2_sha256\\$210000\\$[0-9a-f]{32}\\$[0-9a-f]{64}$'"
                                   " AND position('password' IN password_hash) = 0"), 2);
    PQfinish(pg);
}

Test(analytics_seeded, five_wrong_passwords_lock_the_user_for_a_while)
{
    struct test_http_resp r;
    char session[64];
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/glow/users",
                            "{\"email\":\"desk@glow.example\",\"password\":\"desk-password-1\"}", &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    /* Four wrong, then right: the count starts again. */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(sign_in("glow", "desk%40glow.example", "wrong-password", true, session, sizeof session), 401);
    cr_assert_eq(sign_in("glow", "desk%40glow.example", "desk-password-1", true, session, sizeof session), 200);
    /* Five wrong in a row: even the right password is refused... */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sign_in("glow", "desk%40glow.example", "wrong-password", true, session, sizeof session), 401);
    cr_assert_eq(sign_in("glow", "desk%40glow.example", "desk-password-1", true, session, sizeof session), 401);
    cr_assert_eq(session[0], '\0');
    /* ... until a quarter of an hour has passed on the business clock. */
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/clock", "{\"advance\":\"PT16M\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(sign_in("glow", "desk%40glow.example", "desk-password-1", true, session, sizeof session), 200);
    cr_assert_neq(session[0], '\0');
}
