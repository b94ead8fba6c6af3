/*
 * The staff inbox and the access log on seeded conversations of two clinics
 * (glow and spruce), through the real daemon: the dashboard lists a
 * clinic's conversations with an open staff alert at a glance, shows a
 * transcript, and its Take over, Reply and Hand back forms need the
 * session's CSRF token; the owner reads the access log, staff may not.
 * Tenant isolation: every inbox route tried with the other clinic's API
 * key or session cookie on glow's conversation id answers 404 (or 403 for
 * a form without the session's token) and changes nothing. The clinic's
 * own staff number's conversation cannot be handed back to the engine.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon d;
static bool started;

static void iso_setup(void)
{
    cr_assert_not_null(getenv("BW_BUILDDIR"), "BW_BUILDDIR is not set (run through make check)");
    conninfo = testdb_create();
    struct test_daemon_opts o = {
        .conninfo = conninfo, .test_clock = true, .test_clock_start = "2027-03-10T12:00:00Z",
        /* Contact 102 is the clinic's own staff number. */
        .tenant_conf = "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
                       " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
                       "messaging = { staff_phone = \"+14155550402\"; };\n",
        .spruce_conf = "tenant = { id = \"spruce\"; name = \"Spruce Skin\";"
                       " timezone = \"America/New_York\"; country = \"US\"; };\n"
    };
    test_daemon_start(&d, &o);
    started = true;
    PGconn *pg = testdb_connect(conninfo);
    testdb_exec(pg,
                "INSERT INTO contacts (tenant_id, id, channel, address, phone, first_name, created_at) VALUES"
                " ('glow', 101, 'sms', '+14155550401', '+14155550401', 'Avery', '2027-03-10T11:00:00Z'),"
                " ('glow', 102, 'sms', '+14155550402', '+14155550402', 'Blake', '2027-03-01T11:00:00Z'),"
                " ('spruce', 201, 'sms', '+12125550401', '+12125550401', 'Casey', '2027-03-10T11:00:00Z');"
                "INSERT INTO conversations (tenant_id, id, contact_id, binding, created_at, updated_at)"
                " SELECT tenant_id, id, id, 'channel.twilio', created_at, created_at FROM contacts;"
                "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind,"
                " binding, body, status, created_at) VALUES"
                " ('glow', 101, 101, 'in', 'message', 'channel.twilio', 'I have [health info] after my "
                "treatment', 'received', '2027-03-10T11:00:00Z'),"
                " ('glow', 102, 102, 'in', 'message', 'channel.twilio', 'hello', 'received',"
                "  '2027-03-01T11:00:00Z'),"
                " ('spruce', 201, 201, 'in', 'message', 'channel.twilio', 'hi there', 'received',"
                "  '2027-03-10T11:00:00Z');"
                "INSERT INTO staff_alerts (tenant_id, kind, subject, text, created_at) VALUES"
                " ('glow', 'conversation.urgent_symptoms', 'conversation:101:message:1',"
                "  'Conversation 101 reports something urgent.', '2027-03-10T11:00:01Z');");
    PQfinish(pg);
}

static void iso_teardown(void)
{
    if (started) {
        test_daemon_stop_clean(&d);
        started = false;
    }
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(inbox_isolation, .init = iso_setup, .fini = iso_teardown, .timeout = 60);

/* The answer's status; *body (optional) gets the body, malloc'd. */
static long call(const char *method, const char *path, const char *h1, const char *h2,
                 const char *body, char **out)
{
    struct test_http_resp r;
    const char *h[] = { h1 ? h1 : h2, h1 ? h2 : NULL, NULL };
    cr_assert_eq(test_http(method, d.public_port, path, h1 || h2 ? h : NULL, body,
                           body ? strlen(body) : 0, &r), 0);
    long status = r.status;
    if (out)
        *out = strdup(r.body ? r.body : "");
    test_http_resp_free(&r);
    return status;
}

static char *sql1(const char *q)
{
    PGconn *pg = testdb_connect(conninfo);
    PGresult *r = PQexec(pg, q);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(pg));
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(pg);
    return v;
}

static void expect_sql(const char *q, const char *want)
{
    char *v = sql1(q);
    cr_assert_str_eq(v, want, "%s", q);
    free(v);
}

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

/* A user of tenant signs in: the Cookie header of the session. */
static void sign_in(const char *tenant, const char *email, const char *role, char *cookie_h, size_t cap)
{
    struct test_http_resp r;
    char path[96], body[512], login[128], lh[200], session[128];
    snprintf(path, sizeof path, "/admin/tenants/%s/users", tenant);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"inbox-password-1\",\"role\":\"%s\"}",
             email, role);
    cr_assert_eq(test_admin(&d, "POST", path, body, &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("GET", d.public_port, "/dashboard/login", NULL, NULL, 0, &r), 0);
    set_cookie_value(r.headers, "bw_login", login, sizeof login);
    test_http_resp_free(&r);
    snprintf(lh, sizeof lh, "Cookie: bw_login=%s", login);
    snprintf(body, sizeof body, "csrf=%s&clinic=%s&email=%s&password=inbox-password-1", login, tenant,
             email);
    const char *h[] = { lh, "Content-Type: application/x-www-form-urlencoded", NULL };
    cr_assert_eq(test_http("POST", d.public_port, "/dashboard/login", h, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    set_cookie_value(r.headers, "bw_session", session, sizeof session);
    test_http_resp_free(&r);
    cr_assert_neq(session[0], '\0');
    snprintf(cookie_h, cap, "Cookie: bw_session=%s", session);
}

/* The CSRF token the page's forms carry. */
static void csrf_of(const char *page, char *out, size_t cap)
{
    const char *p = strstr(page, "name=\"csrf\" value=\"");
    cr_assert_not_null(p, "no form on the page");
    p += strlen("name=\"csrf\" value=\"");
    size_t n = strcspn(p, "\"");
    cr_assert_lt(n, cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static long post_form(const char *path, const char *cookie_h, const char *body)
{
    return call("POST", path, cookie_h, "Content-Type: application/x-www-form-urlencoded", body, NULL);
}

Test(inbox_isolation, api_keys_reach_only_their_clinics_conversations)
{
    char glow[256], spruce[256];
    test_daemon_api_key(&d, "glow", "{\"label\":\"inbox\"}", glow, sizeof glow);
    test_daemon_api_key(&d, "spruce", "{\"label\":\"inbox\"}", spruce, sizeof spruce);
    char *body = NULL;
    cr_assert_eq(call("GET", "/conversations", spruce, NULL, NULL, &body), 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "conversations");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "id")), 201);
    cJSON_Delete(j);

    cr_assert_eq(call("GET", "/conversations", glow, NULL, NULL, &body), 200);
    j = cJSON_Parse(body);
    free(body);
    list = cJSON_GetObjectItemCaseSensitive(j, "conversations");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "id")), 101);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "group")), "needs_attention");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "open_alerts")), 1);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 1), "group")),
                     "open");
    cJSON_Delete(j);

    /* spruce's key on glow's conversation: 404 everywhere, nothing changed. */
    cr_assert_eq(call("GET", "/conversations/101", spruce, NULL, NULL, NULL), 404);
    cr_assert_eq(call("POST", "/conversations/101/takeover", spruce, NULL, NULL, NULL), 404);
    cr_assert_eq(call("POST", "/conversations/101/reply", spruce, "Content-Type: application/json",
                      "{\"text\":\"hello\"}", NULL), 404);
    cr_assert_eq(call("POST", "/conversations/101/handback", spruce, NULL, NULL, NULL), 404);
    cr_assert_eq(call("GET", "/conversations/9999", glow, NULL, NULL, NULL), 404);
    cr_assert_eq(call("GET", "/conversations/abc", glow, NULL, NULL, NULL), 404);
    cr_assert_eq(call("GET", "/conversations/101", NULL, NULL, NULL, NULL), 401);
    /* A lead for glow's patient through spruce's key: spruce has no SMS
     * line, and nothing of glow's is touched either way. */
    cr_assert_eq(call("POST", "/conversations/start", spruce, "Content-Type: application/json",
                      "{\"phone\":\"+14155550401\",\"message\":\"hello\"}", NULL), 409);
    expect_sql("SELECT count(*) FROM contacts WHERE address = '+14155550401'", "1");
    expect_sql("SELECT status FROM conversations WHERE id = 101", "open");
    expect_sql("SELECT count(*) FROM messages WHERE tenant_id = 'glow' AND direction = 'out'", "0");
    expect_sql("SELECT count(*) FROM audit_log", "0");
    expect_sql("SELECT count(*) FROM staff_alerts WHERE resolved_at IS NULL", "1");

    /* The staff number's conversation is never handed to the engine. */
    cr_assert_eq(call("POST", "/conversations/102/handback", glow, NULL, NULL, NULL), 409);

    /* glow's own key reads it, and that read is logged. */
    cr_assert_eq(call("GET", "/conversations/101", glow, NULL, NULL, &body), 200);
    cr_assert(strstr(body, "I have [health info] after my treatment") != NULL, "%s", body);
    free(body);
    expect_sql("SELECT count(*) FROM audit_log WHERE tenant_id = 'glow' AND actor LIKE 'api_key:%'"
               " AND action = 'view' AND subject = 'conversation:101'", "1");
}

Test(inbox_isolation, dashboard_inbox_forms_and_access_log_per_clinic)
{
    char glow[256], spruce[256], staff[256], csrf[64], spruce_csrf[64], form[256];
    sign_in("glow", "owner@glow.example", "owner", glow, sizeof glow);
    sign_in("glow", "desk@glow.example", "staff", staff, sizeof staff);
    sign_in("spruce", "owner@spruce.example", "owner", spruce, sizeof spruce);

    /* Without a session: to the sign-in form. */
    cr_assert_eq(call("GET", "/dashboard/inbox", NULL, NULL, NULL, NULL), 303);
    cr_assert_eq(call("GET", "/dashboard/inbox/101", NULL, NULL, NULL, NULL), 303);

    char *page = NULL;
    cr_assert_eq(call("GET", "/dashboard/inbox", glow, NULL, NULL, &page), 200);
    cr_assert(strstr(page, "Needs attention (1)") != NULL, "%s", page);
    cr_assert(strstr(page, "Conversation 101 reports something urgent.") != NULL, "the alert at a glance");
    cr_assert(strstr(page, "href=\"/dashboard/inbox/101\">Avery") != NULL, "%s", page);
    cr_assert(strstr(page, "With the assistant (1)") != NULL, "%s", page);
    cr_assert_null(strstr(page, "Casey"), "no other clinic's patient");
    free(page);
    cr_assert_eq(call("GET", "/dashboard/inbox", spruce, NULL, NULL, &page), 200);
    cr_assert_null(strstr(page, "Avery"));
    cr_assert_null(strstr(page, "urgent"));
    csrf_of(page, spruce_csrf, sizeof spruce_csrf);
    free(page);

    cr_assert_eq(call("GET", "/dashboard/inbox/101", glow, NULL, NULL, &page), 200);
    cr_assert(strstr(page, "I have [health info] after my treatment") != NULL, "%s", page);
    cr_assert(strstr(page, "<label for=\"text\">") != NULL, "the reply box is labelled");
    cr_assert(strstr(page, "/dashboard/inbox/101/takeover") != NULL, "%s", page);
    csrf_of(page, csrf, sizeof csrf);
    free(page);

    /* spruce's session on glow's conversation: 404, nothing changed. */
    snprintf(form, sizeof form, "csrf=%s&text=hello", spruce_csrf);
    cr_assert_eq(call("GET", "/dashboard/inbox/101", spruce, NULL, NULL, NULL), 404);
    cr_assert_eq(post_form("/dashboard/inbox/101/takeover", spruce, form), 404);
    cr_assert_eq(post_form("/dashboard/inbox/101/reply", spruce, form), 404);
    cr_assert_eq(post_form("/dashboard/inbox/101/handback", spruce, form), 404);
    /* glow's session with spruce's token (or none): 403. */
    cr_assert_eq(post_form("/dashboard/inbox/101/takeover", glow, form), 403);
    cr_assert_eq(post_form("/dashboard/inbox/101/takeover", glow, "text=x"), 403);
    expect_sql("SELECT status FROM conversations WHERE id = 101", "open");
    expect_sql("SELECT count(*) FROM messages WHERE direction = 'out'", "0");

    /* Take over, reply, hand back with the session's token. */
    snprintf(form, sizeof form, "csrf=%s", csrf);
    cr_assert_eq(post_form("/dashboard/inbox/101/takeover", glow, form), 303);
    expect_sql("SELECT status FROM conversations WHERE id = 101", "handoff");
    cr_assert_eq(call("GET", "/dashboard/inbox/101?done=takeover", glow, NULL, NULL, &page), 200);
    cr_assert(strstr(page, "/dashboard/inbox/101/handback") != NULL, "%s", page);
    free(page);
    snprintf(form, sizeof form, "csrf=%s&text=We+will+call+you+in+five+minutes.", csrf);
    cr_assert_eq(post_form("/dashboard/inbox/101/reply", glow, form), 303);
    expect_sql("SELECT body || '|' || kind || '|' || binding FROM messages WHERE direction = 'out'",
               "We will call you in five minutes.|staff|channel.twilio");
    snprintf(form, sizeof form, "csrf=%s&text=", csrf);
    cr_assert_eq(post_form("/dashboard/inbox/101/reply", glow, form), 400);
    snprintf(form, sizeof form, "csrf=%s", csrf);
    cr_assert_eq(post_form("/dashboard/inbox/101/handback", glow, form), 303);
    expect_sql("SELECT status FROM conversations WHERE id = 101", "open");
    expect_sql("SELECT count(*) FROM staff_alerts WHERE resolved_at IS NULL", "0");

    /* The access log: the owner's two reads; staff may not read it; spruce's is its own. */
    expect_sql("SELECT count(*) FROM audit_log WHERE tenant_id = 'glow' AND actor = 'user:owner@glow.example'"
               " AND action = 'view' AND subject = 'conversation:101'", "2");
    cr_assert_eq(call("GET", "/dashboard/audit", glow, NULL, NULL, &page), 200);
    cr_assert(strstr(page, "user:owner@glow.example") != NULL, "%s", page);
    cr_assert(strstr(page, "conversation:101") != NULL, "%s", page);
    free(page);
    cr_assert_eq(call("GET", "/dashboard/audit", staff, NULL, NULL, NULL), 403);
    cr_assert_eq(call("GET", "/dashboard/audit", spruce, NULL, NULL, &page), 200);
    cr_assert_null(strstr(page, "conversation:101"), "%s", page);
    free(page);
}

/* Every route of the clinic API that takes an id (openapi.yaml's operations
 * under tenantApiKey), tried with spruce's key on glow's ids, answers 404
 * and changes nothing; the lists answer with spruce's own (empty) data.
 * Glow's key on the same ids is answered, so the 404s are not vacuous. */
Test(inbox_isolation, every_clinic_route_refuses_another_clinics_ids)
{
    PGconn *pg = testdb_connect(conninfo);
    testdb_exec(pg,
                "INSERT INTO holds (tenant_id, id, provider_id, service_id, start_at, end_at, block_start,"
                " block_end, expires_at, state, contact_id, created_at, updated_at) VALUES"
                " ('glow', 501, 'jenna', 'botox', '2027-03-12T19:00:00Z', '2027-03-12T19:30:00Z',"
                "  '2027-03-12T19:00:00Z', '2027-03-12T19:30:00Z', '2027-03-10T12:15:00Z', 'booked', 101,"
                "  '2027-03-10T11:00:00Z', '2027-03-10T11:00:00Z');"
                "INSERT INTO bookings (tenant_id, id, hold_id, idempotency_key, state, service_id,"
                " provider_id, start_at, end_at, emr_patient_id, emr_appointment_id, created_at, updated_at)"
                " VALUES ('glow', 601, 501, 'iso-601', 'booked', 'botox', 'jenna', '2027-03-12T19:00:00Z',"
                "  '2027-03-12T19:30:00Z', 'p1', 'a1', '2027-03-10T11:00:00Z', '2027-03-10T11:00:00Z');"
                "INSERT INTO deposits (tenant_id, id, hold_ref, conversation_id, binding, amount_minor,"
                " currency, status, idempotency_key, payment_id, created_at, updated_at, paid_at) VALUES"
                " ('glow', 701, 'hold-501', 101, 'payment.square', 5000, 'USD', 'paid', 'iso-701', 'pay-1',"
                "  '2027-03-10T11:00:00Z', '2027-03-10T11:00:00Z', '2027-03-10T11:05:00Z');"
                "INSERT INTO staff_tasks (tenant_id, id, conversation_id, contact_id, details, created_at)"
                " VALUES ('glow', 801, 101, 101, '{\"service\":\"botox\"}', '2027-03-10T11:10:00Z');");
    PQfinish(pg);
    char glow[200], spruce[200];
    test_daemon_api_key(&d, "glow", "{\"label\":\"inbox\"}", glow, sizeof glow);
    test_daemon_api_key(&d, "spruce", "{\"label\":\"inbox\"}", spruce, sizeof spruce);
    const char *json = "Content-Type: application/json";
    static const struct { const char *method, *path, *body; } by_id[] = {
        { "GET", "/bookings/601", NULL },
        { "GET", "/bookings/601/evidence", NULL },
        { "POST", "/bookings/601/outcome", "{\"event\":\"patient_cancelled\"}" },
        { "POST", "/deposits/701/refund", "{}" },
        { "GET", "/contacts/101/consent", NULL },
        { "POST", "/staff-tasks/801/done", "{\"appointment\":\"Fri 11am\"}" },
        { "GET", "/conversations/101", NULL },
        { "POST", "/conversations/101/takeover", "{}" },
        { "POST", "/conversations/101/reply", "{\"text\":\"hello\"}" },
        { "POST", "/conversations/101/handback", "{}" },
        { "GET", "/conversations/101/state", NULL },
        { "POST", "/conversations/message", "{\"conversation_id\":101,\"message\":\"hello\"}" },
    };
    for (size_t i = 0; i < sizeof by_id / sizeof by_id[0]; i++) {
        char *body = NULL;
        long st = call(by_id[i].method, by_id[i].path, spruce, by_id[i].body ? json : NULL,
                       by_id[i].body, &body);
        cr_expect_eq(st, 404, "%s %s with another clinic's key: %ld %s", by_id[i].method,
                     by_id[i].path, st, body);
        cr_expect(strstr(body, "Avery") == NULL && strstr(body, "+14155550401") == NULL,
                  "%s leaks glow's patient: %s", by_id[i].path, body);
        free(body);
    }
    cr_expect_eq(call("GET", "/bookings/601", glow, NULL, NULL, NULL), 200, "glow reads its own");
    cr_expect_eq(call("GET", "/contacts/101/consent", glow, NULL, NULL, NULL), 200);
    /* Lists and the key's own things: spruce's, never glow's. */
    static const char *const lists[] = { "/tenant", "/staff-tasks", "/metrics/missed-calls",
                                          "/metrics/conversion-funnel", "/metrics/revenue-impact",
                                          "/metrics/no-shows" };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        char *body = NULL;
        long st = call("GET", lists[i], spruce, NULL, NULL, &body);
        cr_expect_eq(st, 200, "%s: %ld %s", lists[i], st, body);
        cr_expect(strstr(body, "glow") == NULL && strstr(body, "Glow") == NULL &&
                      strstr(body, "801") == NULL,
                  "%s shows glow's data: %s", lists[i], body);
        free(body);
    }
    /* Nothing of glow's changed. */
    expect_sql("SELECT state FROM bookings WHERE tenant_id = 'glow' AND id = 601", "booked");
    expect_sql("SELECT status FROM deposits WHERE tenant_id = 'glow' AND id = 701", "paid");
    expect_sql("SELECT status FROM staff_tasks WHERE tenant_id = 'glow' AND id = 801", "open");
    expect_sql("SELECT count(*) FROM jobs WHERE kind LIKE 'deposits.%'", "0");
    expect_sql("SELECT count(*) FROM messages WHERE tenant_id = 'glow' AND direction = 'out'", "0");
    expect_sql("SELECT count(*) FROM jobs WHERE kind = 'channel.event'", "0");
}
