/*
 * The consent ledger against a real database: consents, opt-outs and
 * opt-ins are appended with their source, scope, channel, campaign, host
 * time and redacted message; the opt-out state follows them and reports the
 * one change that may be confirmed; tenants do not see each other's
 * contacts; the functions join a caller's transaction (rolled back with it)
 * or run in their own; two concurrent opt-outs of a new contact take turns;
 * bad entries are refused before any SQL; and the ledger refuses UPDATE,
 * DELETE and TRUNCATE.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "consent.h"
#include "support/testdb.h"

static char *conninfo;

static void setup(void)
{
    conninfo = testdb_create();
    PGconn *pg = testdb_connect(conninfo);
    testdb_exec(pg, "CREATE TABLE side_effects (tenant_id text NOT NULL, what text NOT NULL)");
    PQfinish(pg);
}

static void teardown(void)
{
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(consent, .init = setup, .fini = teardown, .timeout = 60);

static struct db_conn *open_conn(void)
{
    struct db_conn *c = calloc(1, sizeof *c);
    cr_assert_not_null(c);
    c->pg = testdb_connect(conninfo);
    return c;
}

static void close_conn(struct db_conn *c)
{
    PQfinish(c->pg);
    free(c);
}

static int64_t utc(const char *s)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(s, &us), 0);
    return us;
}

static struct consent_entry entry(const char *tenant, const char *contact)
{
    return (struct consent_entry){
        .tenant_id = tenant,
        .contact = contact,
        .source = CONSENT_SRC_INBOUND_TEXT,
        .scope = CONSENT_SCOPE_CONVERSATIONAL,
        .channel = "sms",
        .at_us = utc("2027-03-02T20:15:00.123456Z"),
    };
}

static long scalar(struct db_conn *c, const char *sql)
{
    return testdb_scalar(c->pg, sql);
}

Test(consent, consent_then_opt_out_then_opt_in)
{
    struct db_conn *c = open_conn();
    bool out = true, changed = false;
    int64_t id1 = 0, id2 = 0, id3 = 0, id4 = 0;

    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550134", &out), 0);
    cr_assert_not(out, "a contact never seen is not opted out");

    struct consent_entry e = entry("glow", "+14155550134");
    e.source = CONSENT_SRC_WEB_FORM;
    e.scope = CONSENT_SCOPE_MARKETING;
    e.basis = CONSENT_BASIS_EXPRESS;
    e.channel = "webchat";
    e.campaign = "spring-botox";
    e.consent_text = "I agree to receive texts from Glow Med Spa. Reply STOP to opt out.";
    cr_assert_eq(consent_record(c, &e, &id1), 0);
    cr_assert_gt(id1, 0);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550134", &out), 0);
    cr_assert_not(out);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE kind = 'consent' AND "
                           "source = 'web_form' AND scope = 'marketing' AND basis = 'express' AND "
                           "channel = 'webchat' AND campaign = 'spring-botox' AND "
                           "consent_text LIKE 'I agree%' AND message IS NULL AND "
                           "at = '2027-03-02T20:15:00.123456Z'"), 1);

    struct consent_entry stop = entry("glow", "+14155550134");
    stop.message = "STOP";
    stop.at_us = utc("2027-03-03T09:00:00Z");
    cr_assert_eq(consent_opt_out(c, &stop, &changed, &id2), 0);
    cr_assert(changed, "the first opt-out changes the state");
    cr_assert_gt(id2, id1);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550134", &out), 0);
    cr_assert(out);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_state WHERE tenant_id = 'glow' AND "
                           "contact = '+14155550134' AND opted_out AND "
                           "changed_at = '2027-03-03T09:00:00Z'"), 1);

    /* Again: recorded, but no change, so no second confirmation. */
    stop.message = "stop texting me!!";
    stop.at_us = utc("2027-03-03T09:05:00Z");
    cr_assert_eq(consent_opt_out(c, &stop, &changed, &id3), 0);
    cr_assert_not(changed);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_state WHERE opted_out AND "
                           "changed_at = '2027-03-03T09:00:00Z'"), 1, "changed_at keeps the first opt-out");
    char buf[128];
    snprintf(buf, sizeof buf, "SELECT last_event_id FROM consent_state WHERE contact = '+14155550134'");
    cr_assert_eq(scalar(c, buf), id3);

    /* A new inbound text is a consent of its own but does not opt back in. */
    struct consent_entry hi = entry("glow", "+14155550134");
    hi.message = "hi, do you have time Friday?";
    cr_assert_eq(consent_record(c, &hi, NULL), 0);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550134", &out), 0);
    cr_assert(out);

    struct consent_entry start = entry("glow", "+14155550134");
    start.message = "START";
    start.scope = CONSENT_SCOPE_MARKETING; /* ignored: an opt-in covers everything */
    cr_assert_eq(consent_opt_in(c, &start, &changed, &id4), 0);
    cr_assert(changed);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550134", &out), 0);
    cr_assert_not(out);
    cr_assert_eq(consent_opt_in(c, &start, &changed, NULL), 0);
    cr_assert_not(changed);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE kind IN ('opt_out', 'opt_in') "
                           "AND scope <> 'all'"), 0);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE contact = '+14155550134'"), 6);

    char *json = NULL;
    cr_assert_eq(consent_history_json(c, "glow", "+14155550134", 100, &json), 0);
    cJSON *arr = cJSON_Parse(json);
    cr_assert(cJSON_IsArray(arr), "%s", json);
    cr_assert_eq(cJSON_GetArraySize(arr), 6);
    cJSON *first = cJSON_GetArrayItem(arr, 0), *second = cJSON_GetArrayItem(arr, 1);
    cr_assert_eq((int64_t)cJSON_GetObjectItem(first, "id")->valuedouble, id1);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "source")->valuestring, "web_form");
    cr_assert_str_eq(cJSON_GetObjectItem(first, "at")->valuestring, "2027-03-02T20:15:00.123456Z");
    cr_assert_str_eq(cJSON_GetObjectItem(second, "kind")->valuestring, "opt_out");
    cr_assert_str_eq(cJSON_GetObjectItem(second, "message")->valuestring, "STOP");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(second, "campaign")));
    cJSON_Delete(arr);
    free(json);
    cr_assert_eq(consent_history_json(c, "glow", "+14155550134", 2, &json), 0);
    arr = cJSON_Parse(json);
    cr_assert_eq(cJSON_GetArraySize(arr), 2, "the newest two, oldest first");
    cr_assert_eq((int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "id")->valuedouble >
                     (int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "id")->valuedouble, 1);
    cJSON_Delete(arr);
    free(json);
    cr_assert_eq(consent_history_json(c, "glow", "+19999999999", 10, &json), 0);
    cr_assert_str_eq(json, "[]");
    free(json);
    close_conn(c);
}

Test(consent, messages_are_redacted_and_cleaned)
{
    struct db_conn *c = open_conn();
    struct consent_entry e = entry("glow", "+14155550135");
    e.message = "STOP. I'm pregnant, and my card is 4111 1111 1111 1111";
    cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE message = "
                           "'STOP. I''m [health info], and my card is **** **** **** 1111'"), 1);
    /* Bad bytes become '?'; a long message is cut between characters. */
    e.message = "stop \xff\xfe now";
    cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE message = 'stop ?? now'"), 1);
    char *big = malloc(CONSENT_TEXT_MAX * 2);
    cr_assert_not_null(big);
    size_t n = 0;
    while (n + 2 < CONSENT_TEXT_MAX * 2 - 1) {
        memcpy(big + n, "\xc3\xa9", 2); /* é */
        n += 2;
    }
    big[n - 1] = '\0'; /* an odd length: the last character is cut in half */
    e.message = big;
    e.consent_text = big;
    e.source = CONSENT_SRC_STAFF;
    cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0);
    cr_assert_eq(scalar(c, "SELECT max(octet_length(message)) FROM consent_events"), CONSENT_TEXT_MAX);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE source = 'staff_entry' AND "
                           "message ~ '^é+$' AND consent_text ~ '^é+$'"), 1);
    free(big);
    close_conn(c);
}

Test(consent, tenants_are_separate)
{
    struct db_conn *c = open_conn();
    struct consent_entry e = entry("glow", "+14155550136");
    bool out, changed;
    cr_assert_eq(consent_opt_out(c, &e, &changed, NULL), 0);
    cr_assert(changed);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550136", &out), 0);
    cr_assert(out);
    cr_assert_eq(consent_is_opted_out(c, "lumen", "+14155550136", &out), 0);
    cr_assert_not(out, "the same number at another clinic is not opted out");
    e.tenant_id = "lumen";
    cr_assert_eq(consent_opt_out(c, &e, &changed, NULL), 0);
    cr_assert(changed, "its first opt-out there changes its state there");
    close_conn(c);
}

Test(consent, joins_the_callers_transaction)
{
    struct db_conn *c = open_conn();
    struct consent_entry e = entry("glow", "+14155550137");
    bool out, changed;

    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(consent_opt_out(c, &e, &changed, NULL), 0);
    cr_assert(changed);
    cr_assert_eq(PQtransactionStatus(c->pg), PQTRANS_INTRANS, "still the caller's transaction");
    cr_assert_eq(db_rollback(c), 0);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550137", &out), 0);
    cr_assert_not(out, "rolled back with the caller");
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE contact = '+14155550137'"), 0);

    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(consent_opt_out(c, &e, &changed, NULL), 0);
    cr_assert(changed);
    cr_assert_eq(db_exec_simple(c, "INSERT INTO side_effects VALUES ('glow', 'outbox cancelled')"), 0);
    /* A refused entry is refused before SQL: the transaction goes on. */
    struct consent_entry bad = e;
    bad.channel = "SMS!";
    cr_assert_eq(consent_opt_out(c, &bad, &changed, NULL), CONSENT_E_INVAL);
    cr_assert_eq(db_commit(c), 0);
    cr_assert_eq(consent_is_opted_out(c, "glow", "+14155550137", &out), 0);
    cr_assert(out);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM side_effects WHERE what = 'outbox cancelled'"), 1);

    /* Outside a transaction, each call commits on its own. */
    cr_assert_eq(PQtransactionStatus(c->pg), PQTRANS_IDLE);
    cr_assert_eq(consent_opt_in(c, &e, &changed, NULL), 0);
    cr_assert_eq(PQtransactionStatus(c->pg), PQTRANS_IDLE);
    struct db_conn *other = open_conn();
    cr_assert_eq(consent_is_opted_out(other, "glow", "+14155550137", &out), 0);
    cr_assert_not(out, "committed: another connection sees it");
    close_conn(other);

    /* In an aborted transaction the database refuses, and says so. */
    cr_assert_eq(db_begin(c), 0);
    cr_assert_neq(db_exec_simple(c, "SELECT no_such_column FROM side_effects"), 0);
    cr_assert_eq(consent_opt_out(c, &e, &changed, NULL), CONSENT_E_DB);
    cr_assert_not(changed);
    cr_assert_eq(db_rollback(c), 0);
    close_conn(c);
}

struct racer {
    struct consent_entry e;
    bool changed;
    int rc;
    atomic_bool done;
};

static void *second_opt_out(void *p)
{
    struct racer *r = p;
    struct db_conn *c = open_conn();
    r->rc = db_begin(c);
    if (r->rc == 0)
        r->rc = consent_opt_out(c, &r->e, &r->changed, NULL);
    if (r->rc == 0)
        r->rc = db_commit(c);
    atomic_store(&r->done, true);
    close_conn(c);
    return NULL;
}

Test(consent, concurrent_opt_outs_take_turns)
{
    struct db_conn *a = open_conn();
    struct racer r = { .e = entry("glow", "+14155550138") };
    bool changed = false;
    cr_assert_eq(db_begin(a), 0);
    cr_assert_eq(consent_opt_out(a, &r.e, &changed, NULL), 0);
    cr_assert(changed);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, second_opt_out, &r), 0);
    usleep(300 * 1000);
    cr_assert_not(atomic_load(&r.done), "the second opt-out waits for the first to commit");
    cr_assert_eq(db_commit(a), 0);
    pthread_join(th, NULL);
    cr_assert_eq(r.rc, 0);
    cr_assert_not(r.changed, "exactly one of the two sees the change");
    cr_assert_eq(testdb_scalar(a->pg, "SELECT count(*) FROM consent_events WHERE contact = '+14155550138'"), 2);
    close_conn(a);
}

Test(consent, bad_entries_are_refused)
{
    struct db_conn *c = open_conn();
    struct consent_entry good = entry("glow", "+14155550139"), e;
    char longc[300];
    memset(longc, '1', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    struct consent_entry bad[12];
    for (int i = 0; i < 12; i++)
        bad[i] = good;
    bad[0].tenant_id = NULL;
    bad[1].tenant_id = "";
    bad[2].contact = "";
    bad[3].contact = longc;
    bad[4].source = 0;
    bad[5].source = 99;
    bad[6].channel = NULL;
    bad[7].channel = "Sms";
    bad[8].channel = "a-channel-name-longer-than-32-bytes";
    bad[9].campaign = "";
    bad[10].scope = 0;   /* only consents need a scope */
    bad[11].basis = 9;   /* only consents carry a basis */
    for (int i = 0; i < 12; i++) {
        e = bad[i];
        cr_assert_eq(consent_record(c, &e, NULL), CONSENT_E_INVAL, "case %d", i);
        if (i < 10)
            cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), CONSENT_E_INVAL, "case %d", i);
        else
            cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0, "case %d: opt-outs ignore it", i);
    }
    bool out;
    char *json;
    cr_assert_eq(consent_is_opted_out(c, "", "+1", &out), CONSENT_E_INVAL);
    cr_assert_eq(consent_history_json(c, "glow", "+1", 0, &json), CONSENT_E_INVAL);
    cr_assert_eq(consent_history_json(c, "glow", "+1", 1001, &json), CONSENT_E_INVAL);
    cr_assert_null(json);
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE kind = 'consent' AND contact = '+14155550139'"), 0);
    cr_assert_str_eq(consent_source_name(CONSENT_SRC_PROVIDER), "provider_report");
    cr_assert_null(consent_basis_name(CONSENT_BASIS_NONE));
    cr_assert_str_eq(consent_scope_name(CONSENT_SCOPE_ALL), "all");
    close_conn(c);
}

Test(consent, host_clock_when_no_time_given)
{
    struct db_conn *c = open_conn();
    struct consent_entry e = entry("glow", "+14155550140");
    e.at_us = 0;
    int64_t before = clock_now_us();
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    int64_t after = clock_now_us();
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM consent_events WHERE contact = '+14155550140' AND "
             "at BETWEEN to_timestamp(%lld / 1e6) AND to_timestamp(%lld / 1e6)",
             (long long)before - 1, (long long)after + 1);
    cr_assert_eq(scalar(c, sql), 1);
    close_conn(c);
}

Test(consent, the_ledger_is_append_only)
{
    struct db_conn *c = open_conn();
    struct consent_entry e = entry("glow", "+14155550141");
    e.message = "STOP";
    cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0);
    const char *attempts[] = {
        "UPDATE consent_events SET message = 'START' WHERE contact = '+14155550141'",
        "UPDATE consent_events SET kind = 'opt_in'",
        "DELETE FROM consent_events WHERE contact = '+14155550141'",
        "DELETE FROM consent_events",
        "TRUNCATE consent_events",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        PGresult *r = PQexec(c->pg, attempts[i]);
        cr_assert_eq(PQresultStatus(r), PGRES_FATAL_ERROR, "%s was allowed", attempts[i]);
        cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "BWC01", "%s", attempts[i]);
        cr_assert(strstr(PQresultErrorMessage(r), "append-only") != NULL);
        PQclear(r);
    }
    cr_assert_eq(scalar(c, "SELECT count(*) FROM consent_events WHERE contact = '+14155550141' "
                           "AND kind = 'opt_out' AND message = 'STOP'"), 1, "unchanged");
    close_conn(c);
}
