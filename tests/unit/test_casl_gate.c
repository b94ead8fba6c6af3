/*
 * CASL in the send path against a real database: the gate rule drops a
 * Canadian tenant's commercial message to a contact without consent, or
 * whose implied consent lapsed, and lets through express or current implied
 * consent, replies and text-backs, and every message of other countries'
 * tenants; it never loosens a drop. The footer hook appends the clinic's
 * identification and unsubscribe instruction to the stored text when
 * missing, leaves other messages alone, and refuses a text that cannot
 * carry it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casl.h"
#include "casl_gate.h"
#include "clock.h"
#include "consent.h"
#include "support/testdb.h"

static char *conninfo;
static struct db_conn conn;

static void setup(void)
{
    conninfo = testdb_create();
    conn.pg = testdb_connect(conninfo);
}

static void teardown(void)
{
    PQfinish(conn.pg);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(casl_gate, .init = setup, .fini = teardown, .timeout = 60);

static int64_t utc(const char *s)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(s, &us), 0);
    return us;
}

static struct send_gate_decision judge(const char *country, const char *kind, const char *contact,
                                       const char *now, int verdict)
{
    struct send_gate_input in = { .tenant_id = "maple", .kind = kind, .channel = "sms",
                                  .address = contact, .phone = contact,
                                  .clinic_zone = "America/Toronto", .country = country,
                                  .now_us = utc(now) };
    struct send_gate_decision d = { .verdict = verdict };
    if (verdict == SEND_GATE_DROP)
        snprintf(d.reason, sizeof d.reason, "opted_out");
    cr_assert_eq(casl_gate_rule(&conn, &in, &d, NULL), 0);
    return d;
}

Test(casl_gate, rule)
{
    struct consent_entry e = { .tenant_id = "maple", .contact = "+14165550101",
                               .source = CONSENT_SRC_INBOUND_TEXT,
                               .scope = CONSENT_SCOPE_CONVERSATIONAL, .channel = "sms",
                               .at_us = utc("2027-01-10T15:00:00Z") };
    cr_assert_eq(consent_record(&conn, &e, NULL), 0); /* an inquiry */
    e.contact = "+14165550102";
    e.source = CONSENT_SRC_WEB_FORM;
    e.scope = CONSENT_SCOPE_MARKETING;
    e.basis = CONSENT_BASIS_EXPRESS;
    cr_assert_eq(consent_record(&conn, &e, NULL), 0);

    struct send_gate_decision d = judge("CA", "proactive", "+14165550101", "2027-07-09T12:00:00Z",
                                        SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "within six months of the inquiry");
    d = judge("CA", "proactive", "+14165550101", "2027-07-10T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_DROP, "lapsed");
    cr_expect_str_eq(d.reason, "casl_lapsed");
    d = judge("CA", "proactive", "+14165550199", "2027-02-01T12:00:00Z", SEND_GATE_HOLD);
    cr_expect_eq(d.verdict, SEND_GATE_DROP, "no consent at all, even when held for quiet hours");
    cr_expect_str_eq(d.reason, "casl_no_consent");
    d = judge("CA", "proactive", "+14165550102", "2035-01-01T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "express consent does not lapse");
    d = judge("CA", "reply", "+14165550199", "2027-02-01T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "a reply is not commercial");
    d = judge("CA", "textback", "+14165550199", "2027-02-01T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND);
    d = judge("CA", "notice", "+14165550101", "2027-07-10T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "a reminder of a booking is not commercial");
    d = judge("US", "proactive", "+14165550199", "2027-02-01T12:00:00Z", SEND_GATE_SEND);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "CASL is for Canadian tenants");
    d = judge("CA", "proactive", "+14165550102", "2027-02-01T12:00:00Z", SEND_GATE_DROP);
    cr_expect_eq(d.verdict, SEND_GATE_DROP, "never loosens");
    cr_expect_str_eq(d.reason, "opted_out");
}

static char *body_of(long id)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT body FROM messages WHERE tenant_id = 'maple' AND id = %ld", id);
    PGresult *r = PQexec(conn.pg, sql);
    cr_assert_eq(PQntuples(r), 1);
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

Test(casl_gate, footer)
{
    testdb_exec(conn.pg,
                "INSERT INTO contacts (tenant_id, id, channel, address, created_at) VALUES "
                "('maple', 1, 'sms', '+14165550101', '2027-01-01T00:00:00Z');"
                "INSERT INTO conversations (tenant_id, id, contact_id, binding, created_at, updated_at)"
                " VALUES ('maple', 1, 1, 'sms', '2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z');"
                "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, kind,"
                " binding, body, status, created_at) VALUES "
                "('maple', 1, 1, 1, 'out', 'proactive', 'sms', 'Spring special: 20% off!', 'queued',"
                " '2027-01-01T00:00:00Z'),"
                "('maple', 2, 1, 1, 'out', 'reply', 'sms', 'See you at 3', 'queued',"
                " '2027-01-01T00:00:00Z')");
    char *body = strdup("Spring special: 20% off!");
    cr_assert_eq(casl_gate_footer(&conn, "maple", "CA", "Maple Skin Clinic", 1, "proactive", &body), 0);
    cr_expect_str_eq(body, "Spring special: 20% off! - Maple Skin Clinic. Reply STOP to unsubscribe.");
    char *stored = body_of(1);
    cr_expect_str_eq(stored, body, "stored as sent");
    free(stored);
    /* A second pass (a retried job) adds nothing. */
    cr_assert_eq(casl_gate_footer(&conn, "maple", "CA", "Maple Skin Clinic", 1, "proactive", &body), 0);
    cr_expect_str_eq(body, "Spring special: 20% off! - Maple Skin Clinic. Reply STOP to unsubscribe.");
    free(body);

    body = strdup("See you at 3");
    cr_assert_eq(casl_gate_footer(&conn, "maple", "CA", "Maple Skin Clinic", 2, "reply", &body), 0);
    cr_expect_str_eq(body, "See you at 3");
    cr_assert_eq(casl_gate_footer(&conn, "maple", "US", "Maple Skin Clinic", 2, "proactive", &body), 0);
    cr_expect_str_eq(body, "See you at 3");
    stored = body_of(2);
    cr_expect_str_eq(stored, "See you at 3");
    free(stored);
    free(body);

    body = malloc(CASL_MAX_CHARS + 1);
    cr_assert_not_null(body);
    memset(body, 'x', CASL_MAX_CHARS);
    body[CASL_MAX_CHARS] = '\0';
    cr_expect_eq(casl_gate_footer(&conn, "maple", "CA", "Maple Skin Clinic", 1, "proactive", &body),
                 CASL_E_TOOLONG);
    free(body);
}
