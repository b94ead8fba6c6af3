/*
 * Catalog import, the built-in calendar, availability and holds against the
 * real daemon: the Glow clinic imported through the admin route seeds
 * emr.local (a real .so loaded by the daemon) with its clients and
 * appointments; /availability answers in the clinic's zone without the
 * seeded appointments and without our holds; /holds takes a slot once and
 * answers 409 with alternatives after; the test fault switch makes the EMR
 * unavailable; and 50 concurrent holds of one slot sent to two daemons on
 * one database yield exactly one hold.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"
#include "support/testfiles.h"

#define N_RACERS 50

static char *conninfo;
static char plugins[64];
static struct test_daemon d1, d2;
static bool started1, started2;
static char auth[200];

static char *read_glow(size_t *len)
{
    const char *dir = getenv("BW_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", dir ? dir : "/work/shared");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 65536);
    cr_assert_not_null(buf);
    *len = fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

static void start(struct test_daemon *d)
{
    char conf[512];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", plugins);
    const char *tenant =
        "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = \"America/Los_Angeles\"; };\n"
        "plugins = ( { plugin = \"emr.local\"; } );\n";
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .test_clock_start = "2027-03-02T20:15:00-08:00",
                                  .extra_conf = conf, .tenant_conf = tenant,
                                  /* 25 racers each: a hold holds one connection while
                                   * emr.local's storage takes another */
                                  .db_pool_size = 16 };
    test_daemon_start(d, &o);
}

static void setup(void)
{
    conninfo = testdb_create();
    test_scratch_dir(plugins, sizeof plugins, "bw-booking");
    test_install_plugin(plugins, "emr.local-1.0.0.so");
    start(&d1);
    started1 = true;
    struct test_http_resp r;
    size_t len;
    char *glow = read_glow(&len);
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/glow/catalog", glow, &r), 0);
    cr_assert_eq(r.status, 200, "import: %ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"clients\":2") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "\"appointments\":7") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "\"failed\":0") != NULL, "%s", r.body);
    test_http_resp_free(&r);
    free(glow);
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/glow/api-keys", "{}", &r), 0);
    cr_assert_eq(r.status, 201);
    const char *k = strstr(r.body, "\"api_key\":\"");
    cr_assert_not_null(k);
    k += strlen("\"api_key\":\"");
    const char *e = strchr(k, '"');
    snprintf(auth, sizeof auth, "Authorization: Bearer %.*s", (int)(e - k), k);
    test_http_resp_free(&r);
}

static void teardown(void)
{
    if (started2) {
        test_daemon_stop(&d2, SIGTERM);
        test_daemon_cleanup(&d2);
        started2 = false;
    }
    if (started1) {
        test_daemon_stop_clean(&d1);
        started1 = false;
    }
    test_scratch_remove(plugins, "bw-booking");
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(booking, .init = setup, .fini = teardown, .timeout = 120);

static int call(unsigned port, const char *method, const char *path, const char *body,
                struct test_http_resp *r)
{
    const char *h[] = { auth, "Content-Type: application/json", NULL };
    return test_http(method, port, path, h, body, body ? strlen(body) : 0, r);
}

static char *availability(unsigned port, const char *query, long want_status)
{
    struct test_http_resp r;
    char path[512];
    snprintf(path, sizeof path, "/availability?%s", query);
    cr_assert_eq(call(port, "GET", path, NULL, &r), 0);
    cr_assert_eq(r.status, want_status, "%s: %ld %s", query, r.status, r.body);
    char *body = r.body;
    r.body = NULL;
    test_http_resp_free(&r);
    return body;
}

Test(booking, availability_from_the_built_in_calendar)
{
    char *b = availability(d1.public_port,
                           "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"timezone\":\"America/Los_Angeles\"") != NULL);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL);
    /* Seeded: lip filler 14:00-15:00 and botox 15:00-15:30 with Dr. Smith. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL);
    /* 13:45 would run into the 14:00 appointment. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T13:45:00-08:00\"") == NULL);
    cr_expect(strstr(b, "\"provider\":\"jenna\"") == NULL);
    free(b);
    /* A closed date. */
    b = availability(d1.public_port, "service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "%s", b);
    free(b);
    /* After the DST change (2027-03-14) the offset is -07:00. */
    b = availability(d1.public_port, "service=botox&provider=jenna&from=2027-03-16&to=2027-03-17",
                     200);
    cr_expect(strstr(b, "\"start\":\"2027-03-16T09:00:00-07:00\"") != NULL, "%s", b);
    free(b);
    /* Unknown service; bad range. */
    free(availability(d1.public_port, "service=nope&from=2027-03-05&to=2027-03-06", 400));
    free(availability(d1.public_port, "service=botox&from=2027-03-05", 400));
    /* Importing again seeds nothing twice. */
    size_t len;
    char *glow = read_glow(&len);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/glow/catalog", glow, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    free(glow);
    b = availability(d1.public_port,
                     "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    free(b);
}

Test(booking, the_test_plugin_call_lists_the_emr_capabilities)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/plugin-call",
                            "{\"tenant\":\"glow\",\"plugin\":\"emr\",\"op\":\"capabilities\"}", &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\"capabilities\":[\"availability\",\"book\",\"reschedule\",\"cancel\","
                             "\"patient_find\",\"patient_create\",\"deposit_payment\","
                             "\"appointment_list\"]") != NULL,
              "%s", r.body);
    cr_expect(strstr(r.body, "link_only") == NULL && strstr(r.body, "deposit_note") == NULL, "%s",
              r.body);
    test_http_resp_free(&r);
}

Test(booking, catalog_errors_name_the_path)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/glow/catalog",
                            "{\"id\":\"glow\",\"name\":\"G\",\"timezone\":\"Nowhere/Else\"}", &r),
                 0);
    cr_expect_eq(r.status, 422);
    cr_expect(strstr(r.body, "timezone") != NULL, "%s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/nobody/catalog", "{}", &r), 0);
    cr_expect(r.status == 404 || r.status == 422, "%ld", r.status);
    test_http_resp_free(&r);
}

Test(booking, hold_once_then_conflict_with_alternatives)
{
    const char *body = "{\"service\":\"botox\",\"provider\":\"dr-smith\","
                       "\"start\":\"2027-03-05T15:30:00-08:00\","
                       "\"patient\":{\"first_name\":\"Emily\",\"last_name\":\"Chen\"}}";
    struct test_http_resp r;
    cr_assert_eq(call(d1.public_port, "POST", "/holds", body, &r), 0);
    cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"expires_at\":\"2027-03-03T04:45:00") != NULL,
              "30 minutes on the host clock: %s", r.body);
    test_http_resp_free(&r);
    cr_assert_eq(call(d1.public_port, "POST", "/holds", body, &r), 0);
    cr_assert_eq(r.status, 409, "%ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"slot_unavailable\"") != NULL);
    cr_expect(strstr(r.body, "\"alternatives\":[{") != NULL, "%s", r.body);
    test_http_resp_free(&r);
    char *b = availability(d1.public_port,
                           "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") == NULL, "the hold removes the slot");
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:45:00-08:00\"") == NULL, "15:45 overlaps the hold");
    cr_expect(strstr(b, "\"start\":\"2027-03-05T16:00:00-08:00\"") != NULL);
    free(b);
    /* A slot the rules refuse (Sunday) is a 409 too. */
    cr_assert_eq(call(d1.public_port, "POST", "/holds",
                      "{\"service\":\"botox\",\"provider\":\"dr-smith\","
                      "\"start\":\"2027-03-07T10:00:00-08:00\"}",
                      &r),
                 0);
    cr_expect_eq(r.status, 409, "%s", r.body);
    test_http_resp_free(&r);
    /* The hold expires after 30 minutes of host time. */
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/clock", "{\"advance\":\"PT31M\"}", &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(call(d1.public_port, "POST", "/holds", body, &r), 0);
    cr_expect_eq(r.status, 201, "the expired hold freed the slot: %ld %s", r.status, r.body);
    test_http_resp_free(&r);
}

Test(booking, emr_down_switch)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/emr", "{\"tenant\":\"glow\",\"down\":true}",
                            &r),
                 0);
    cr_assert_eq(r.status, 200);
    test_http_resp_free(&r);
    free(availability(d1.public_port, "service=botox&from=2027-03-05&to=2027-03-06", 503));
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/emr",
                            "{\"tenant\":\"glow\",\"down\":false}", &r),
                 0);
    test_http_resp_free(&r);
    free(availability(d1.public_port, "service=botox&from=2027-03-05&to=2027-03-06", 200));
}

struct racer {
    unsigned port;
    long status;
    char error[160]; /* the start of an unexpected answer's body */
    pthread_barrier_t *go;
};

/* One racer: POST /holds, retried like a client would while the daemon
 * answers 503 (a machine too loaded to answer in time says "try again";
 * the race is about what a hold decides, not about load). */
static void *race(void *arg)
{
    struct racer *rc = arg;
    struct test_http_resp r;
    pthread_barrier_wait(rc->go);
    for (int attempt = 0; attempt < 10; attempt++) {
        if (attempt > 0)
            usleep(200000);
        rc->status = call(rc->port, "POST", "/holds",
                          "{\"service\":\"botox\",\"provider\":\"jenna\","
                          "\"start\":\"2027-03-10T11:00:00-08:00\"}",
                          &r) == 0
                         ? r.status
                         : -1;
        if (rc->status == 409 && !strstr(r.body, "\"alternatives\":[{"))
            rc->status = -409; /* a conflict without alternatives */
        if (rc->status != 201 && rc->status != 409)
            snprintf(rc->error, sizeof rc->error, "%s", r.body ? r.body : "");
        test_http_resp_free(&r);
        if (rc->status != 503)
            break;
    }
    return NULL;
}

Test(booking, fifty_concurrent_holds_on_two_daemons_yield_one)
{
    start(&d2);
    started2 = true;
    /* Both daemons must answer for the slot before the race. */
    free(availability(d2.public_port, "service=botox&from=2027-03-10&to=2027-03-11", 200));
    pthread_t th[N_RACERS];
    struct racer rs[N_RACERS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N_RACERS);
    for (int i = 0; i < N_RACERS; i++) {
        rs[i] = (struct racer){ .port = i % 2 ? d2.public_port : d1.public_port, .go = &go };
        cr_assert_eq(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    int created = 0, conflicts = 0;
    for (int i = 0; i < N_RACERS; i++) {
        pthread_join(th[i], NULL);
        if (rs[i].status == 201)
            created++;
        else if (rs[i].status == 409)
            conflicts++;
        else
            cr_expect_fail("racer %d got %ld: %s", i, rs[i].status, rs[i].error);
    }
    pthread_barrier_destroy(&go);
    cr_expect_eq(created, 1);
    cr_expect_eq(conflicts, N_RACERS - 1);
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM holds WHERE provider_id = 'jenna' "
                                   "AND state = 'active'"),
                 1);
    PQfinish(pg);
}

/* ---------------------------------------------------------------- booking */

static long long hold(const char *provider, const char *start)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"service\":\"botox\",\"provider\":\"%s\",\"start\":\"%s\",\"patient\":"
             "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}}",
             provider, start);
    struct test_http_resp r;
    cr_assert_eq(call(d1.public_port, "POST", "/holds", body, &r), 0);
    cr_assert_eq(r.status, 201, "hold %s: %ld %s", start, r.status, r.body);
    const char *p = strstr(r.body, "\"id\":");
    cr_assert_not_null(p);
    long long id = strtoll(p + 5, NULL, 10);
    test_http_resp_free(&r);
    return id;
}

static long long book(long long hold_id)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"hold_id\":%lld,\"deposit\":{\"amount_minor\":5000,\"currency\":\"USD\","
             "\"payment_reference\":\"pay-%lld\",\"paid_at\":\"2027-03-03T04:20:00Z\"}}",
             hold_id, hold_id);
    struct test_http_resp r;
    cr_assert_eq(call(d1.public_port, "POST", "/bookings", body, &r), 0);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    long long id = strtoll(strstr(r.body, "\"id\":") + 5, NULL, 10);
    test_http_resp_free(&r);
    return id;
}

/* The booking once its state is not `unless` (or after 60 s). Caller frees. */
static char *booking_when_not(long long id, const char *unless)
{
    char path[64], want[64];
    snprintf(path, sizeof path, "/bookings/%lld", id);
    snprintf(want, sizeof want, "\"state\":\"%s\"", unless);
    for (int i = 0; i < 1200; i++) {
        struct test_http_resp r;
        cr_assert_eq(call(d1.public_port, "GET", path, NULL, &r), 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        if (!strstr(r.body, want) || i == 1199) {
            char *b = r.body;
            r.body = NULL;
            test_http_resp_free(&r);
            return b;
        }
        test_http_resp_free(&r);
        usleep(50000);
    }
    return NULL;
}

static int appointments_at(const char *start_utc_prefix)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/plugin-call",
                            "{\"tenant\":\"glow\",\"plugin\":\"emr\",\"op\":\"appointment_list\","
                            "\"input\":{\"from\":\"2027-03-01T00:00:00Z\","
                            "\"to\":\"2027-04-01T00:00:00Z\"}}",
                            &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    int n = 0;
    for (const char *p = r.body; (p = strstr(p, start_utc_prefix)); p++)
        n++;
    test_http_resp_free(&r);
    return n;
}

static void advance(const char *dur)
{
    char body[64];
    struct test_http_resp r;
    snprintf(body, sizeof body, "{\"advance\":\"%s\"}", dur);
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/clock", body, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
}

Test(booking, a_paid_hold_is_written_once_with_a_new_client_and_the_deposit)
{
    long long h = hold("dr-smith", "2027-03-05T16:00:00-08:00");
    long long id = book(h);
    char *b = booking_when_not(id, "pending");
    cr_expect(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"client_created\":true") != NULL, "%s", b);
    cr_expect(strstr(b, "\"deposit_logged_as\":\"payment\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"emr_appointment_id\":\"a") != NULL, "%s", b);
    free(b);
    cr_expect_eq(book(h), id, "the same hold gives the same booking");
    cr_expect_eq(appointments_at("\"start\":\"2027-03-05T16:00:00-08:00\""), 1);
    /* Found by phone the second time: no new client. */
    long long h2 = hold("jenna", "2027-03-05T16:15:00-08:00"); /* her microneedling ends 16:15 */
    long long id2 = book(h2);
    b = booking_when_not(id2, "pending");
    cr_expect(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"client_created\":false") != NULL, "%s", b);
    free(b);
    /* The booked slot is no longer offered. */
    b = availability(d1.public_port,
                     "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T16:00:00-08:00\"") == NULL, "%s", b);
    free(b);
}

Test(booking, emr_down_is_retried_and_written_once_when_it_recovers)
{
    long long h = hold("dr-smith", "2027-03-05T16:30:00-08:00");
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/emr", "{\"tenant\":\"glow\",\"down\":true}",
                            &r),
                 0);
    test_http_resp_free(&r);
    long long id = book(h);
    advance("PT10M"); /* retries inside the outage, each failing */
    char *b = booking_when_not(id, "booked");
    cr_expect(strstr(b, "\"state\":\"pending\"") != NULL, "still pending while down: %s", b);
    cr_expect(strstr(b, "\"staff_alerted\":true") != NULL, "staff alerted past 5 min: %s", b);
    const char *att = strstr(b, "\"attempts\":");
    cr_expect(att && strtol(att + 11, NULL, 10) >= 4 && strtol(att + 11, NULL, 10) <= 8,
              "retried with backoff (30 s doubling) over ten minutes: %s", b);
    free(b);
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.delayed' AND resolved_at IS NULL"),
                 1);
    cr_expect_eq(appointments_at("\"start\":\"2027-03-05T16:30:00-08:00\""), 0);
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/emr",
                            "{\"tenant\":\"glow\",\"down\":false}", &r),
                 0);
    test_http_resp_free(&r);
    advance("PT30M");
    b = booking_when_not(id, "pending");
    cr_expect(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    free(b);
    cr_expect_eq(appointments_at("\"start\":\"2027-03-05T16:30:00-08:00\""), 1);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.delayed' AND resolved_at IS NOT NULL"),
                 1, "the alert is resolved once written");
    PQfinish(pg);
}

/* The value of "name":"..." in body (static buffer). */
static const char *field(const char *body, const char *name)
{
    static char v[160];
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = strstr(body, pat);
    v[0] = 0;
    if (p) {
        p += strlen(pat);
        const char *e = strchr(p, '"');
        if (e)
            snprintf(v, sizeof v, "%.*s", (int)(e - p), p);
    }
    return v;
}

Test(booking, reconciliation_marks_an_appointment_cancelled_in_the_emr)
{
    long long id = book(hold("dr-smith", "2027-03-11T11:00:00-08:00"));
    char *b = booking_when_not(id, "pending");
    cr_assert(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    char body[256];
    snprintf(body, sizeof body,
             "{\"tenant\":\"glow\",\"plugin\":\"emr\",\"op\":\"cancel\",\"input\":"
             "{\"appointment_id\":\"%s\",\"reason\":\"clinic closed\"}}",
             field(b, "emr_appointment_id"));
    free(b);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/test/plugin-call", body, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    advance("PT1H"); /* the hourly reconciliation */
    b = booking_when_not(id, "booked");
    cr_expect(strstr(b, "\"state\":\"cancelled\"") != NULL, "%s", b);
    free(b);
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.cancelled_in_emr'"),
                 1);
    PQfinish(pg);
}

Test(booking, reconciliation_rewrites_an_appointment_missing_from_the_emr_once)
{
    long long id = book(hold("dr-smith", "2027-03-09T11:00:00-08:00"));
    char *b = booking_when_not(id, "pending");
    cr_assert(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    char first[160];
    snprintf(first, sizeof first, "%s", field(b, "emr_appointment_id"));
    free(b);
    cr_assert_eq(appointments_at("\"start\":\"2027-03-09T11:00:00-08:00\""), 1);
    /* The calendar loses the day (a restore from an old backup, say). */
    PGconn *pg = testdb_connect(conninfo);
    cr_assert_eq(testdb_scalar(pg, "WITH d AS (DELETE FROM plugin_kv WHERE tenant_id = 'glow' "
                                   "AND key LIKE 'cal/2027-03-09/%' RETURNING 1) "
                                   "SELECT count(*) FROM d"),
                 1);
    cr_assert_eq(appointments_at("\"start\":\"2027-03-09T11:00:00-08:00\""), 0);
    advance("PT1H");
    b = booking_when_not(id, "pending");
    cr_expect(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"rewrites\":1") != NULL, "%s", b);
    cr_expect(strcmp(field(b, "emr_appointment_id"), first) != 0, "a new appointment: %s", b);
    free(b);
    cr_expect_eq(appointments_at("\"start\":\"2027-03-09T11:00:00-08:00\""), 1);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.rewritten'"),
                 1);
    /* Gone again: staff are told, it is not written a third time. */
    cr_assert_eq(testdb_scalar(pg, "WITH d AS (DELETE FROM plugin_kv WHERE tenant_id = 'glow' "
                                   "AND key LIKE 'cal/2027-03-09/%' RETURNING 1) "
                                   "SELECT count(*) FROM d"),
                 1);
    advance("PT1H");
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.missing'"),
                 1);
    cr_expect_eq(appointments_at("\"start\":\"2027-03-09T11:00:00-08:00\""), 0);
    PQfinish(pg);
}

Test(booking, a_slot_taken_in_the_emr_meanwhile_is_a_conflict_with_alternatives)
{
    long long h = hold("jenna", "2027-03-10T13:00:00-08:00");
    /* Staff book the same time in the calendar: a new import adds it. */
    size_t len;
    char *glow = read_glow(&len);
    char *at = strstr(glow, "\"appointments\": [");
    cr_assert_not_null(at);
    at += strlen("\"appointments\": [");
    const char *extra =
        "{\"provider\":\"jenna\",\"service\":\"botox\",\"start\":\"2027-03-10T13:00\"},";
    char *doc = calloc(1, len + strlen(extra) + 1);
    cr_assert_not_null(doc);
    memcpy(doc, glow, (size_t)(at - glow));
    strcat(doc, extra);
    strcat(doc, at);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&d1, "POST", "/admin/tenants/glow/catalog", doc, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    free(doc);
    free(glow);
    long long id = book(h);
    char *b = booking_when_not(id, "pending");
    cr_expect(strstr(b, "\"state\":\"conflict\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"alternatives\":[{") != NULL, "%s", b);
    free(b);
    PGconn *pg = testdb_connect(conninfo);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM staff_alerts WHERE tenant_id = 'glow' "
                                   "AND kind = 'booking.conflict'"),
                 1, "staff are told the slot was lost");
    PQfinish(pg);
    cr_expect_eq(appointments_at("\"start\":\"2027-03-10T13:00:00-08:00\""), 1);
}
