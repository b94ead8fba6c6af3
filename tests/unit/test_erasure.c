/*
 * Contact erasure and message-text retention against a real database.
 * Erasure: names, email, phone, message bodies, conversation state and the
 * contact's inbox text go; queued messages are cancelled; the contact row,
 * message metadata and calls stay; the consent ledger keeps its facts under
 * a salted hash (no number in clear, no message) and the opt-out still
 * holds for the same number, also for a new contact created afterwards,
 * until an opt-in; the ledger still refuses every other change; another
 * tenant is untouched; erasing twice is harmless. Retention: bodies and
 * inbox text older than the cut-off go, newer ones and pending messages
 * stay, batches are bounded.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "consent.h"
#include "contact_erase.h"
#include "retention.h"
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

TestSuite(erasure, .init = setup, .fini = teardown, .timeout = 60);

static int64_t utc(const char *s)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(s, &us), 0, "%s", s);
    return us;
}

static long scalar(const char *sql) { return testdb_scalar(conn.pg, sql); }
static void exec(const char *sql) { testdb_exec(conn.pg, sql); }

/* A contact with a conversation, three messages (one queued), a call and
 * an inbox event, in tenant t. */
static void seed(const char *t, long id, const char *phone)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO contacts (tenant_id, id, channel, address, phone, email, first_name, "
             " last_name, emr_patient_id, created_at) VALUES ('%s', %ld, 'sms', '%s', '%s', "
             " 'maria@example.com', 'Maria', 'Lopez', 'emr-77', '2027-01-05T10:00:00Z');"
             "INSERT INTO conversations (tenant_id, id, contact_id, binding, state, created_at, "
             " updated_at) VALUES ('%s', %ld, %ld, 'sms', '{\"stage\":\"offered\",\"name\":\"Maria\"}',"
             " '2027-01-05T10:00:00Z', '2027-01-05T10:00:00Z');"
             "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, binding,"
             " body, status, created_at) VALUES "
             "('%s', %ld, %ld, 'in', 'message', 'sms', 'Hi this is Maria, Botox Friday?', 'received',"
             "  '2027-01-05T10:00:00Z'),"
             "('%s', %ld, %ld, 'out', 'reply', 'sms', 'Hi Maria! Friday 3pm works.', 'delivered',"
             "  '2027-01-05T10:00:05Z'),"
             "('%s', %ld, %ld, 'out', 'proactive', 'sms', 'Maria, still want Friday?', 'held',"
             "  '2027-03-05T10:00:00Z');"
             "INSERT INTO calls (tenant_id, contact_id, binding, provider_id, outcome, at) VALUES "
             "('%s', %ld, 'sms', 'CA%ld', 'missed', '2027-01-05T09:59:00Z');"
             "INSERT INTO inbox (tenant_id, provider, provider_event_id, kind, event, received_at) "
             "VALUES ('%s', 'twilio/sms', 'SM%ld', 'channel.message', "
             " '{\"from\":\"%s\",\"to\":\"+14165550100\",\"text\":\"Hi this is Maria\"}', "
             " '2027-01-05T10:00:00Z')",
             t, id, phone, phone, t, id, id, t, id, id, t, id, id, t, id, id, t, id, id, t, id,
             phone);
    exec(sql);
}

static struct consent_entry entry(const char *t, const char *contact, const char *at)
{
    return (struct consent_entry){ .tenant_id = t, .contact = contact,
                                   .source = CONSENT_SRC_INBOUND_TEXT,
                                   .scope = CONSENT_SCOPE_CONVERSATIONAL, .channel = "sms",
                                   .at_us = utc(at) };
}

Test(erasure, erase_keeps_facts_and_the_opt_out)
{
    const char *phone = "+14165550134";
    seed("maple", 1, phone);
    seed("other", 1, phone);
    struct consent_entry e = entry("maple", phone, "2027-01-05T10:00:00Z");
    cr_assert_eq(consent_record(&conn, &e, NULL), 0);
    e = entry("maple", phone, "2027-02-01T10:00:00Z");
    e.message = "Maria here, please stop texting me";
    bool changed;
    cr_assert_eq(consent_opt_out(&conn, &e, &changed, NULL), 0);
    e = entry("other", phone, "2027-02-01T10:00:00Z");
    e.message = "STOP";
    cr_assert_eq(consent_opt_out(&conn, &e, &changed, NULL), 0);

    struct erase_result r;
    cr_assert_eq(contact_erase(&conn, "maple", "1", utc("2027-04-01T00:00:00Z"), &r), 0);
    cr_expect_eq(r.contacts, 1);
    cr_expect_eq(r.already, 0);
    cr_expect_eq(r.ids[0], 1);
    cr_expect_eq(r.messages, 3);
    cr_expect_eq(r.cancelled, 1);
    cr_expect_eq(r.consent_events, 2);
    cr_expect_eq(r.inbox_events, 1);

    /* Personal data gone, the row and the EMR link kept. */
    cr_expect_eq(scalar("SELECT count(*) FROM contacts WHERE tenant_id = 'maple' AND id = 1 AND "
                        "first_name IS NULL AND last_name IS NULL AND email IS NULL AND phone IS NULL "
                        "AND address = 'erased:1' AND erased_key LIKE 'erased:%' AND "
                        "emr_patient_id = 'emr-77' AND erased_at = '2027-04-01T00:00:00Z'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple' AND body IS NOT NULL"), 0);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple'"), 3, "metadata stays");
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple' AND status = 'cancelled' "
                        "AND error_code = 'contact_erased'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM conversations WHERE tenant_id = 'maple' AND state = '{}' "
                        "AND status = 'closed'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM calls WHERE tenant_id = 'maple'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM inbox WHERE tenant_id = 'maple' AND "
                        "event::text LIKE '%5550134%'"), 0);
    /* The ledger: nothing in clear, the facts all there. */
    cr_expect_eq(scalar("SELECT count(*) FROM consent_events WHERE contact = '+14165550134' "
                        "AND tenant_id = 'maple'"), 0);
    cr_expect_eq(scalar("SELECT count(*) FROM consent_events WHERE tenant_id = 'maple' AND "
                        "contact = (SELECT erased_key FROM contacts WHERE tenant_id = 'maple') AND "
                        "message IS NULL"), 2);
    cr_expect_eq(scalar("SELECT count(*) FROM consent_events WHERE tenant_id = 'maple' AND "
                        "kind = 'opt_out' AND at = '2027-02-01T10:00:00Z'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM consent_state WHERE tenant_id = 'maple' AND "
                        "contact = '+14165550134'"), 0);
    /* The other tenant is untouched. */
    cr_expect_eq(scalar("SELECT count(*) FROM contacts WHERE tenant_id = 'other' AND "
                        "first_name = 'Maria' AND phone = '+14165550134'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'other' AND body IS NOT NULL"), 3);
    cr_expect_eq(scalar("SELECT count(*) FROM consent_events WHERE tenant_id = 'other' AND "
                        "contact = '+14165550134' AND message = 'STOP'"), 1);

    /* The opt-out still blocks the number, for a new contact too. */
    bool out;
    cr_assert_eq(consent_is_opted_out(&conn, "maple", phone, &out), 0);
    cr_expect(out, "the erased contact's opt-out still holds");
    seed("maple", 2, phone);
    e = entry("maple", phone, "2027-05-01T10:00:00Z");
    cr_assert_eq(consent_record(&conn, &e, NULL), 0);
    cr_assert_eq(consent_is_opted_out(&conn, "maple", phone, &out), 0);
    cr_expect(out, "texting again is no opt-in");
    e.message = "STOP";
    cr_assert_eq(consent_opt_out(&conn, &e, &changed, NULL), 0);
    cr_expect_not(changed, "already opted out: no second confirmation");
    e.message = "START";
    cr_assert_eq(consent_opt_in(&conn, &e, &changed, NULL), 0);
    cr_expect(changed);
    cr_assert_eq(consent_is_opted_out(&conn, "maple", phone, &out), 0);
    cr_expect_not(out, "START clears it");
    cr_assert_eq(consent_is_opted_out(&conn, "maple", "+14165550199", &out), 0);
    cr_expect_not(out);

    /* The ledger still refuses any other change. */
    const char *refused[] = {
        "UPDATE consent_events SET message = NULL WHERE tenant_id = 'other'",
        "UPDATE consent_events SET contact = 'x' WHERE tenant_id = 'other'",
        "UPDATE consent_events SET contact = consent_erased_key(tenant_id, contact), "
        " message = NULL, kind = 'opt_in' WHERE tenant_id = 'maple' AND contact = '+14165550134'",
        "UPDATE consent_events SET at = at + interval '1 day' WHERE tenant_id = 'maple'",
        "DELETE FROM consent_events WHERE tenant_id = 'maple'",
        NULL,
    };
    for (int i = 0; refused[i]; i++) {
        PGresult *res = PQexec(conn.pg, refused[i]);
        cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "%s", refused[i]);
        cr_expect_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "BWC01", "%s", refused[i]);
        PQclear(res);
    }

    /* Erasing again, and erasing by phone, are harmless. */
    cr_assert_eq(contact_erase(&conn, "maple", "1", utc("2027-06-01T00:00:00Z"), &r), 0);
    cr_expect_eq(r.contacts, 0);
    cr_expect_eq(r.already, 1);
    cr_assert_eq(contact_erase(&conn, "maple", phone, utc("2027-06-01T00:00:00Z"), &r), 0);
    cr_expect_eq(r.contacts, 1, "the new contact with the number");
    cr_expect_eq(r.ids[0], 2);
    cr_expect_eq(scalar("SELECT count(DISTINCT erased_key) FROM contacts WHERE tenant_id = 'maple'"), 1,
                 "the same number, the same hashed key");
    cr_assert_eq(consent_is_opted_out(&conn, "maple", phone, &out), 0);
    cr_expect_not(out, "the opt-in survives the second erasure");
    cr_expect_eq(contact_erase(&conn, "maple", "99", 0, &r), ERASE_E_NOTFOUND);
    cr_expect_eq(contact_erase(&conn, "maple", "+19995550000", 0, &r), ERASE_E_NOTFOUND);
    cr_expect_eq(contact_erase(&conn, "nobody", "1", 0, &r), ERASE_E_NOTFOUND);
    cr_expect_eq(contact_erase(&conn, "maple", "", 0, &r), ERASE_E_INVAL);
    cr_expect_eq(PQtransactionStatus(conn.pg), PQTRANS_IDLE);
}

Test(erasure, rolled_back_with_the_callers_transaction)
{
    seed("maple", 5, "+14165550155");
    exec("BEGIN");
    struct erase_result r;
    cr_assert_eq(contact_erase(&conn, "maple", "5", utc("2027-04-01T00:00:00Z"), &r), 0);
    exec("ROLLBACK");
    cr_expect_eq(scalar("SELECT count(*) FROM contacts WHERE first_name = 'Maria' AND id = 5"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE contact_id = 5 AND body IS NOT NULL"), 3);
}

Test(erasure, retention_purges_old_text_only)
{
    seed("maple", 1, "+14165550134");
    seed("other", 1, "+14165550134");
    /* Newer messages of the same conversation. */
    exec("INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, binding, "
         " body, status, created_at) SELECT 'maple', 1, 1, 'in', 'message', 'sms', 'msg ' || g, "
         " 'received', '2027-06-01T00:00:00Z'::timestamptz + g * interval '1 minute' "
         " FROM generate_series(1, 7) g");
    exec("INSERT INTO inbox (tenant_id, provider, provider_event_id, kind, event, received_at) "
         "VALUES ('maple', 'twilio/sms', 'SMnew', 'channel.message', '{\"from\":\"+1\",\"text\":\"new\"}',"
         " '2027-06-01T00:00:00Z'), ('maple', 'square', 'PAY1', 'payment.event', "
         " '{\"text\":\"kept\"}', '2027-01-01T00:00:00Z')");
    long m, i;
    /* Cut-off 2027-04-01: the two old settled messages go, the held one stays. */
    cr_assert_eq(retention_purge(&conn, "maple", utc("2027-04-01T00:00:00Z"), 1, &m, &i), 0);
    cr_expect_eq(m, 1, "bounded by the batch");
    cr_expect_eq(i, 1);
    cr_assert_eq(retention_purge(&conn, "maple", utc("2027-04-01T00:00:00Z"), 100, &m, &i), 0);
    cr_expect_eq(m, 1);
    cr_expect_eq(i, 0);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple' AND body IS NULL"), 2);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple' AND status = 'held' "
                        "AND body IS NOT NULL"), 1, "waiting messages keep their text");
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple' AND body LIKE 'msg %'"), 7);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'maple'"), 10, "rows stay");
    cr_expect_eq(scalar("SELECT count(*) FROM inbox WHERE tenant_id = 'maple' AND event ? 'text'"), 2,
                 "newer and non-channel events keep theirs");
    cr_expect_eq(scalar("SELECT count(*) FROM inbox WHERE tenant_id = 'maple' AND provider_event_id = 'SM1' "
                        "AND event->>'from' = '+14165550134' AND NOT event ? 'text'"), 1);
    cr_expect_eq(scalar("SELECT count(*) FROM messages WHERE tenant_id = 'other' AND body IS NOT NULL"), 3);
    cr_expect_eq(retention_purge(&conn, "maple", 0, 0, &m, &i), RETENTION_E_INVAL);

    /* Scheduling is once per UTC day. */
    cr_assert_eq(retention_schedule(&conn, "maple", utc("2027-06-02T03:00:00Z")), 0);
    cr_assert_eq(retention_schedule(&conn, "maple", utc("2027-06-02T23:00:00Z")), 0);
    cr_assert_eq(retention_schedule(&conn, "maple", utc("2027-06-03T03:00:00Z")), 0);
    cr_expect_eq(scalar("SELECT count(*) FROM jobs WHERE kind = 'retention.purge'"), 2);
}
