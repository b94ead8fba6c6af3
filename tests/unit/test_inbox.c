/*
 * The inbox against a real database: a first delivery is recorded, a
 * redelivery is recognised and not stored again (also when two connections
 * deliver at once, and inside an open transaction), the same provider id
 * under two tenants is two events, card numbers are masked before the row is
 * written while other digits are kept, health details are replaced by
 * markers, the redaction hook can be replaced or refuse an event, and bad
 * events are refused before any SQL runs.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "inbox.h"
#include "support/testdb.h"

static char *conninfo;

/* Stands for the caller's own writes in the webhook's transaction. */
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

TestSuite(inbox, .init = setup, .fini = teardown, .timeout = 60);

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

static struct inbox_event event(const char *tenant, const char *provider_id, const char *json)
{
    return (struct inbox_event){
        .tenant_id = tenant,
        .provider = "twilio",
        .provider_event_id = provider_id,
        .kind = "message.inbound",
        .event_json = json,
    };
}

static long count_rows(PGconn *pg)
{
    return testdb_scalar(pg, "SELECT count(*) FROM inbox");
}

/* The stored event text for one row (malloc'd). */
static char *stored_event(PGconn *pg, int64_t id)
{
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%lld", (long long)id);
    const char *p[] = { idtxt };
    PGresult *r = PQexecParams(pg, "SELECT event::text FROM inbox WHERE id = $1", 1, NULL, p,
                               NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    cr_assert_eq(PQntuples(r), 1);
    char *text = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return text;
}

Test(inbox, first_delivery_recorded_then_duplicate_ignored)
{
    struct db_conn *c = open_conn();
    int64_t start;
    cr_assert_eq(clock_parse_rfc3339("2027-03-02T20:15:00.123456Z", &start), 0);
    struct inbox_event ev = event("glow", "SM0001", "{\"from\":\"+14155550134\",\"body\":\"hi\"}");
    ev.received_at_us = start;
    bool dup = true;
    int64_t id = 0, id2 = 0;
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert_not(dup);
    cr_assert_gt(id, 0);
    cr_assert_eq(count_rows(c->pg), 1);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE tenant_id = 'glow' AND "
                                      "provider = 'twilio' AND provider_event_id = 'SM0001' AND "
                                      "kind = 'message.inbound' AND event->>'body' = 'hi' AND "
                                      "received_at = '2027-03-02T20:15:00.123456Z'"),
                 1, "row holds the event with its business time");

    /* A redelivery, even with a different body, is acknowledged and ignored. */
    ev.event_json = "{\"from\":\"+14155550134\",\"body\":\"changed\"}";
    cr_assert_eq(inbox_record(c, &ev, &dup, &id2), 0);
    cr_assert(dup);
    cr_assert_eq(id2, id, "a duplicate reports the first delivery's id");
    cr_assert_eq(count_rows(c->pg), 1);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event->>'body' = 'hi'"), 1);

    /* Another provider with the same event id is a different event. */
    ev.provider = "square";
    cr_assert_eq(inbox_record(c, &ev, &dup, &id2), 0);
    cr_assert_not(dup);
    cr_assert_neq(id2, id);
    cr_assert_eq(count_rows(c->pg), 2);
    close_conn(c);
}

Test(inbox, received_at_defaults_to_the_business_clock)
{
    int64_t start;
    cr_assert_eq(clock_parse_rfc3339("2031-01-01T00:00:00Z", &start), 0);
    clock_use_simulated(start);
    struct db_conn *c = open_conn();
    struct inbox_event ev = event("glow", "SM-clock", "{}");
    bool dup;
    int64_t id;
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE received_at = "
                                      "'2031-01-01T00:00:00Z'"),
                 1);
    close_conn(c);
}

Test(inbox, same_provider_id_under_two_tenants_is_two_events)
{
    struct db_conn *c = open_conn();
    struct inbox_event a = event("glow", "evt-42", "{\"n\":1}");
    struct inbox_event b = event("luxe", "evt-42", "{\"n\":2}");
    bool dup;
    int64_t ida, idb;
    cr_assert_eq(inbox_record(c, &a, &dup, &ida), 0);
    cr_assert_not(dup);
    cr_assert_eq(inbox_record(c, &b, &dup, &idb), 0);
    cr_assert_not(dup, "luxe's event is not glow's");
    cr_assert_eq(count_rows(c->pg), 2);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT (event->>'n')::int FROM inbox WHERE tenant_id = 'luxe'"), 2);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT (event->>'n')::int FROM inbox WHERE tenant_id = 'glow'"), 1);
    close_conn(c);
}

struct racer {
    struct db_conn *c;
    pthread_barrier_t *barrier;
    int n;
    int firsts;   /* how many it recorded first */
    int failures;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    char id[32];
    for (int i = 0; i < r->n; i++) {
        snprintf(id, sizeof id, "race-%d", i);
        struct inbox_event ev = event("glow", id, "{\"body\":\"same\"}");
        bool dup;
        int64_t row;
        pthread_barrier_wait(r->barrier);
        if (inbox_record(r->c, &ev, &dup, &row) != 0 || row <= 0)
            r->failures++;
        else if (!dup)
            r->firsts++;
    }
    return NULL;
}

Test(inbox, two_connections_delivering_at_once_store_each_event_once)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    struct racer r[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (struct racer){ open_conn(), &barrier, 40, 0, 0 };
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(r[0].failures + r[1].failures, 0);
    cr_assert_eq(r[0].firsts + r[1].firsts, 40, "each event recorded exactly once (%d + %d)",
                 r[0].firsts, r[1].firsts);
    cr_assert_eq(count_rows(r[0].c->pg), 40);
    for (int i = 0; i < 2; i++)
        close_conn(r[i].c);
    pthread_barrier_destroy(&barrier);
}

struct waiter {
    struct db_conn *c;
    atomic_bool done;
    int rc;
    bool dup;
    int64_t id;
};

static void *deliver_in_transaction(void *arg)
{
    struct waiter *w = arg;
    struct inbox_event ev = event("glow", "SM-tx", "{\"body\":\"second\"}");
    db_begin(w->c);
    w->rc = inbox_record(w->c, &ev, &w->dup, &w->id);
    db_commit(w->c);
    atomic_store(&w->done, true);
    return NULL;
}

/* Runs the first delivery in an open transaction on a, starts the second on
 * b, then ends a's transaction with finish ("COMMIT" or "ROLLBACK"). */
static void overlapping_deliveries(const char *finish, struct waiter *w, int64_t *first_id)
{
    struct db_conn *a = open_conn();
    w->c = open_conn();
    atomic_store(&w->done, false);
    struct inbox_event ev = event("glow", "SM-tx", "{\"body\":\"first\"}");
    bool dup;
    cr_assert_eq(db_begin(a), 0);
    cr_assert_eq(inbox_record(a, &ev, &dup, first_id), 0);
    cr_assert_not(dup);
    /* Work the caller does in the same transaction (the webhook enqueues a job). */
    cr_assert_eq(db_exec_simple(a, "INSERT INTO side_effects VALUES ('glow', 'inbound')"),
                 0);

    pthread_t t;
    pthread_create(&t, NULL, deliver_in_transaction, w);
    usleep(300000);
    cr_assert_not(atomic_load(&w->done), "the second delivery waits for the first to finish");
    cr_assert_eq(db_exec_simple(a, finish), 0);
    pthread_join(t, NULL);
    cr_assert_eq(w->rc, 0);
    close_conn(a);
}

Test(inbox, redelivery_during_an_open_transaction_waits_then_is_a_duplicate)
{
    struct waiter w;
    int64_t first;
    overlapping_deliveries("COMMIT", &w, &first);
    cr_assert(w.dup);
    cr_assert_eq(w.id, first);
    cr_assert_eq(count_rows(w.c->pg), 1);
    cr_assert_eq(testdb_scalar(w.c->pg, "SELECT count(*) FROM inbox WHERE event->>'body' = 'first'"), 1);
    cr_assert_eq(testdb_scalar(w.c->pg, "SELECT count(*) FROM side_effects"), 1);
    close_conn(w.c);
}

Test(inbox, redelivery_after_the_first_rolled_back_is_recorded)
{
    struct waiter w;
    int64_t first;
    overlapping_deliveries("ROLLBACK", &w, &first);
    cr_assert_not(w.dup, "nothing was committed, so the redelivery is the event");
    cr_assert_gt(w.id, 0);
    cr_assert_eq(count_rows(w.c->pg), 1);
    cr_assert_eq(testdb_scalar(w.c->pg, "SELECT count(*) FROM inbox WHERE event->>'body' = 'second'"), 1);
    cr_assert_eq(testdb_scalar(w.c->pg, "SELECT count(*) FROM side_effects"), 0,
                 "the caller's other writes went with it");
    close_conn(w.c);
}

Test(inbox, duplicate_inside_a_transaction_leaves_it_usable)
{
    struct db_conn *c = open_conn();
    struct inbox_event ev = event("glow", "SM-dup-tx", "{}");
    bool dup;
    int64_t id;
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert(dup);
    cr_assert_eq(db_exec_simple(c, "INSERT INTO side_effects VALUES ('glow', 'after-dup')"),
                 0, "the transaction was not aborted by the conflict");
    cr_assert_eq(db_commit(c), 0);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM side_effects WHERE what = 'after-dup'"), 1);
    close_conn(c);
}

Test(inbox, card_numbers_are_masked_before_storage)
{
    struct db_conn *c = open_conn();
    struct inbox_event ev = event("glow", "SM-card",
                                  "{\"from\":\"+14155550134\","
                                  "\"body\":\"my card is 4111 1111 1111 1111 exp 12/29, call 415-555-0134\","
                                  "\"media\":[{\"caption\":\"5555-5555-5555-4444\"}],"
                                  "\"order\":\"ORD-1234567890123\"}");
    bool dup;
    int64_t id;
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    char *text = stored_event(c->pg, id);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE "
                                      "regexp_replace(event::text, '[ -]', '', 'g') ~ "
                                      "'(4111111111111111|5555555555554444|411111111111|555555555555)'"),
                 0, "no card digits stored: %s", text);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event->>'body' = "
                                      "'my card is **** **** **** 1111 exp **/**, call 415-555-0134'"),
                 1, "stored: %s", text);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE "
                                      "event->'media'->0->>'caption' = '****-****-****-4444'"),
                 1, "stored: %s", text);
    /* Phone numbers and an order id that fails Luhn are kept as they were. */
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event->>'from' = '+14155550134' "
                                      "AND event->>'order' = 'ORD-1234567890123'"),
                 1, "stored: %s", text);
    free(text);
    close_conn(c);
}

Test(inbox, health_details_are_redacted_before_storage)
{
    struct db_conn *c = open_conn();
    struct inbox_event ev = event("glow", "SM-health",
                                  "{\"from\":\"+14155550134\","
                                  "\"body\":\"I'm pregnant and allergic to lidocaine, can I get Botox on Friday at 3pm?\","
                                  "\"media\":[{\"caption\":\"my lip is swollen, card 4111111111111111\"}]}");
    bool dup;
    int64_t id;
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    char *text = stored_event(c->pg, id);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event->>'body' = "
                                      "'I''m [health info] and [health info], can I get Botox on Friday at 3pm?'"),
                 1, "stored: %s", text);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE "
                                      "event->'media'->0->>'caption' = 'my lip is [health info], card ************1111'"),
                 1, "stored: %s", text);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event::text ~* '(pregnan|lidocaine|swollen)'"),
                 0, "stored: %s", text);
    free(text);
    close_conn(c);
}

static int drop_body(cJSON *event)
{
    cJSON_DeleteItemFromObjectCaseSensitive(event, "body");
    cJSON_AddBoolToObject(event, "body_redacted", true);
    return inbox_redact_default(event);
}

static int refuse_all(cJSON *event)
{
    (void)event;
    return -1;
}

Test(inbox, the_redaction_hook_can_be_replaced_and_can_refuse)
{
    struct db_conn *c = open_conn();
    bool dup;
    int64_t id;
    inbox_set_redactor(drop_body);
    struct inbox_event ev = event("glow", "SM-hook", "{\"body\":\"my botox follow-up\",\"card\":\"4111111111111111\"}");
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event ? 'body'"), 0);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE event->>'card' = '************1111' "
                                      "AND (event->>'body_redacted')::bool"),
                 1);

    inbox_set_redactor(refuse_all);
    ev.provider_event_id = "SM-refused";
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), INBOX_E_REDACT);
    cr_assert_eq(count_rows(c->pg), 1, "a refused event is not stored");

    inbox_set_redactor(NULL);
    ev.provider_event_id = "SM-default";
    cr_assert_eq(inbox_record(c, &ev, &dup, &id), 0);
    cr_assert_eq(testdb_scalar(c->pg, "SELECT count(*) FROM inbox WHERE provider_event_id = 'SM-default' "
                                      "AND event->>'body' = 'my botox follow-up'"),
                 1, "NULL restores the default, which keeps the body");
    close_conn(c);
}

Test(inbox, bad_events_are_refused_before_any_sql)
{
    struct db_conn *c = open_conn();
    bool dup;
    int64_t id;
    char long_id[INBOX_MAX_ID_BYTES + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    char deep[64];
    snprintf(deep, sizeof deep, "{\"a\":");
    memset(deep + 5, '[', 40);
    deep[45] = '\0';
    struct inbox_event bad[] = {
        event("glow", "SM1", "not json"),
        event("glow", "SM1", "[1,2]"),
        event("glow", "SM1", NULL),
        event("glow", "", "{}"),
        event("", "SM1", "{}"),
        event("glow", long_id, "{}"),
        event("glow", "SM1", "{\"body\":\"\xff\xfe\"}"),
        event("glow", "SM1", deep),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(inbox_record(c, &bad[i], &dup, &id), INBOX_E_INVALID, "case %zu", i);
    }
    struct inbox_event nokind = event("glow", "SM1", "{}");
    nokind.kind = NULL;
    cr_assert_eq(inbox_record(c, &nokind, &dup, &id), INBOX_E_INVALID);
    cr_assert_eq(count_rows(c->pg), 0);

    /* Refusals happen before SQL, so an open transaction stays usable. */
    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(inbox_record(c, &bad[6], &dup, &id), INBOX_E_INVALID);
    cr_assert_eq(db_exec_simple(c, "SELECT 1"), 0);
    cr_assert_eq(db_commit(c), 0);
    close_conn(c);
}
