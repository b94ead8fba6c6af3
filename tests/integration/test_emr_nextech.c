/*
 * emr.nextech in the real daemon against the Nextech simulator
 * (tests/sim/nextech_sim.py loaded with the Glow clinic, pages of 5 entries
 * so every search follows Bundle "next" links): availability from Slots
 * (the clinic's seeded appointments are not offered), patients found by
 * phone and created through POST /patients, a held slot booked through
 * the booking writer into an Appointment, a slot taken in the EMR behind
 * the daemon's back turning into a conflict (HTTP 409 from Nextech), a
 * token expired at the server fetched again, 503s answered as the EMR
 * being unavailable and recovered from, and the per-endpoint rate limit
 * kept by spacing requests (and the simulator's 429 reported as
 * retryable when the server's limit is lower than the plugin's).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "support/daemon_proc.h"
#include "support/sim_proc.h"
#include "support/testdb.h"

static char *conninfo;
static char dir[64];
static struct test_daemon d;
static struct test_sim sim;
static bool started, sim_started;
static char auth[200];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void copy_file(const char *src, const char *dst)
{
    char buf[65536];
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", src);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 65536);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void glow_path(char *out, size_t cap)
{
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(out, cap, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
}

/* A control or API request to the simulator; the parsed JSON answer. */
static cJSON *sim_call(const char *method, const char *path, long want)
{
    struct test_http_resp r;
    cr_assert_eq(test_http(method, sim.port, path, NULL, "", 0, &r), 0, "%s", path);
    cr_assert_eq(r.status, want, "%s: %ld %s", path, r.status, r.body);
    cJSON *doc = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    return doc;
}

static int sim_state_int(const char *member)
{
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, member);
    int n = cJSON_IsNumber(v) ? v->valueint : -1;
    cJSON_Delete(s);
    return n;
}

static int sim_requests(const char *key)
{
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "requests"), key);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(s);
    return n;
}

static void setup(void)
{
    char path[512], clinic[512], tenant[2048], conf[256];
    conninfo = testdb_create();
    snprintf(dir, sizeof dir, "/tmp/bw-nextech-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(path, sizeof path, "%s/plugins/emr.nextech-1.0.0.so", b);
    char dst[256];
    snprintf(dst, sizeof dst, "%s/plugins", dir);
    cr_assert_eq(mkdir(dst, 0755), 0);
    snprintf(dst, sizeof dst, "%s/plugins/emr.nextech-1.0.0.so", dir);
    copy_file(path, dst);
    snprintf(path, sizeof path, "%s/password", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("nx-sim-password\n", f);
    fclose(f);

    glow_path(clinic, sizeof clinic);
    const char *args[] = { "--clinic", clinic, "--page-size", "5", NULL };
    test_sim_start(&sim, "nextech", args);
    sim_started = true;

    snprintf(conf, sizeof conf, "plugins = { dir = \"%s/plugins\"; };\n", dir);
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = ( { plugin = \"emr.nextech\"; base_url = \"%s\"; config = {\n"
             "  client_id = \"nx-sim-client\"; username = \"bookwell@nx-sim.test\";\n"
             "  password = \"file:%s/password\"; practice_id = \"nx-sim-practice\";\n"
             "  location_id = \"1\"; page_size = 5; rate_limit = 20; }; } );\n",
             sim.base_url, dir);
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .test_clock_start = "2027-03-02T20:15:00-08:00",
                                  .extra_conf = conf, .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    started = true;

    struct test_http_resp r;
    char *glow = read_file(clinic);
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/glow/catalog", glow, &r), 0);
    cr_assert_eq(r.status, 200, "import: %ld %s", r.status, r.body);
    test_http_resp_free(&r);
    free(glow);
    cr_assert_eq(test_admin(&d, "POST", "/admin/tenants/glow/api-keys", "{}", &r), 0);
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
    if (started) {
        int status = test_daemon_stop(&d, SIGTERM);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
        test_daemon_cleanup(&d);
        started = false;
    }
    if (sim_started) {
        test_sim_stop(&sim);
        sim_started = false;
    }
    if (strncmp(dir, "/tmp/bw-nextech-", 16) == 0)
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(emr_nextech, .init = setup, .fini = teardown, .timeout = 120);

static long call(const char *method, const char *path, const char *body, char **out)
{
    struct test_http_resp r;
    const char *h[] = { auth, "Content-Type: application/json", NULL };
    cr_assert_eq(test_http(method, d.public_port, path, h, body, body ? strlen(body) : 0, &r), 0);
    long st = r.status;
    if (out) {
        *out = r.body;
        r.body = NULL;
    }
    test_http_resp_free(&r);
    return st;
}

static char *availability(const char *query, long want)
{
    char path[512], *b = NULL;
    snprintf(path, sizeof path, "/availability?%s", query);
    long st = call("GET", path, NULL, &b);
    cr_assert_eq(st, want, "%s: %ld %s", query, st, b);
    return b;
}

Test(emr_nextech, availability_from_slots_with_paging)
{
    int before = sim_requests("GET Slot");
    char *b = availability("service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* The clinic's appointments in Nextech: lip filler 14:00-15:00, botox 15:00. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    /* A day of one provider's 30-minute slots is several pages of 5. */
    cr_expect_gt(sim_requests("GET Slot") - before, 3, "the Bundle's next links were followed");
    /* The closed date has none. */
    b = availability("service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "%s", b);
    free(b);
    /* Every request carried a token and the practice id (the simulator
     * answers 401/400 otherwise): one token served them all. */
    cr_expect_eq(sim_state_int("tokens_granted"), 1);
}

Test(emr_nextech, patients_by_phone_and_created)
{
    char *b = NULL;
    /* A client of the clinic is found in Nextech by phone. */
    long st = call("POST", "/patients",
                   "{\"first_name\":\"Maria\",\"last_name\":\"Lopez\",\"phone\":\"+14155550142\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    cr_expect(strstr(b, "\"1001\"") != NULL, "the seeded patient: %s", b);
    free(b);
    /* A new one is created as a FHIR Patient. */
    st = call("POST", "/patients",
              "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    cJSON *s = sim_call("GET", "/api/Patient?phone=1", 401);
    cJSON_Delete(s);
    s = sim_call("GET", "/_sim/state", 200);
    int found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "patients")) {
        char *text = cJSON_PrintUnformatted(p);
        if (strstr(text, "\"Chen\"") && strstr(text, "+14155550101"))
            found++;
        free(text);
    }
    cJSON_Delete(s);
    cr_expect_eq(found, 1, "one Patient Emily Chen with that phone");
    /* Asking again finds her rather than creating another. */
    st = call("POST", "/patients",
              "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    s = sim_call("GET", "/_sim/state", 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "patients")), 3);
    cJSON_Delete(s);
}

/* A patient met on Instagram has a name and nothing else: a FHIR Patient
 * with no telecom at all (FHIR allows no empty arrays). */
Test(emr_nextech, a_patient_without_phone_or_email_is_created)
{
    char *b = NULL;
    long st = call("POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    int found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "patients")) {
        char *text = cJSON_PrintUnformatted(p);
        if (strstr(text, "\"Alvarez\""))
            found++;
        free(text);
    }
    cJSON_Delete(s);
    cr_expect_eq(found, 1, "one Patient Nina Alvarez");
    st = call("POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\","
                                   "\"phone\":\"415-555\"}", &b);
    cr_expect_eq(st, 422, "a phone that is not one is refused: %ld %s", st, b);
    free(b);
}

/* Holds a slot and hands it to the booking writer; the booking's final
 * state ("booked", "conflict", ...). */
static void hold_and_book(const char *start, char *state, size_t cap)
{
    char body[512], *b = NULL;
    snprintf(body, sizeof body,
             "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"%s\","
             "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
             start);
    long st = call("POST", "/holds", body, &b);
    cr_assert_eq(st, 201, "hold: %ld %s", st, b);
    cJSON *h = cJSON_Parse(b);
    free(b);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "id");
    if (!cJSON_IsNumber(id))
        id = cJSON_GetObjectItemCaseSensitive(h, "hold_id");
    cr_assert(cJSON_IsNumber(id), "hold id");
    snprintf(body, sizeof body, "{\"hold_id\":%d}", id->valueint);
    cJSON_Delete(h);
    st = call("POST", "/bookings", body, &b);
    cr_assert(st == 202 || st == 200 || st == 201, "booking: %ld %s", st, b);
    cJSON *bk = cJSON_Parse(b);
    free(b);
    const cJSON *bid = cJSON_GetObjectItemCaseSensitive(bk, "id");
    if (!cJSON_IsNumber(bid))
        bid = cJSON_GetObjectItemCaseSensitive(bk, "booking_id");
    cr_assert(cJSON_IsNumber(bid), "booking id");
    char path[64];
    snprintf(path, sizeof path, "/bookings/%d", bid->valueint);
    cJSON_Delete(bk);
    state[0] = 0;
    for (int i = 0; i < 300; i++) {
        st = call("GET", path, NULL, &b);
        cJSON *g = cJSON_Parse(b);
        free(b);
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "state"));
        snprintf(state, cap, "%s", s ? s : "");
        cJSON_Delete(g);
        if (strcmp(state, "booked") == 0 || strcmp(state, "conflict") == 0 ||
            strcmp(state, "failed") == 0)
            return;
        usleep(100000);
    }
}

static int sim_appointments_at(const char *start, const char *status)
{
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(s, "appointments")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "start"));
        const char *stt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "status"));
        if (st && stt && strcmp(st, start) == 0 && strcmp(stt, status) == 0)
            n++;
    }
    cJSON_Delete(s);
    return n;
}

Test(emr_nextech, book_then_conflict)
{
    char state[32];
    hold_and_book("2027-03-05T16:00:00-08:00", state, sizeof state);
    cr_assert_str_eq(state, "booked");
    cr_expect_eq(sim_appointments_at("2027-03-05T16:00:00-08:00", "booked"), 1,
                 "one Appointment in Nextech");
    cr_expect_eq(sim_requests("POST Appointment"), 1);
    /* Someone books 16:30 in Nextech directly after our hold: 409. */
    char *b = NULL;
    long st = call("POST", "/holds",
                   "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"2027-03-05T16:30:00-08:00\","
                   "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
                   &b);
    cr_assert_eq(st, 201, "%ld %s", st, b);
    cJSON *h = cJSON_Parse(b);
    free(b);
    int hold = cJSON_GetObjectItemCaseSensitive(h, "id")->valueint;
    cJSON_Delete(h);
    /* The other booking: a token of our own and an Appointment POST. */
    struct test_http_resp r;
    const char *form = "grant_type=password&client_id=nx-sim-client&username=bookwell%40nx-sim.test"
                       "&password=nx-sim-password&resource=x";
    const char *fh[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
    cr_assert_eq(test_http("POST", sim.port, "/nextech-api.com/oauth2/token", fh, form,
                           strlen(form), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *t = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    char bearer[200];
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "access_token")));
    cJSON_Delete(t);
    const char *ah[] = { bearer, "nx-practice-id: nx-sim-practice",
                         "Content-Type: application/fhir+json", NULL };
    const char *appt =
        "{\"resourceType\":\"Appointment\",\"status\":\"booked\",\"start\":\"2027-03-05T16:30:00-08:00\","
        "\"end\":\"2027-03-05T17:00:00-08:00\",\"appointmentType\":{\"coding\":[{\"code\":\"botox\"}]},"
        "\"participant\":[{\"actor\":{\"reference\":\"Patient/1001\"}},"
        "{\"actor\":{\"reference\":\"Practitioner/dr-smith\"}},{\"actor\":{\"reference\":\"Location/1\"}}]}";
    cr_assert_eq(test_http("POST", sim.port, "/api/Appointment", ah, appt, strlen(appt), &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    char body[64];
    snprintf(body, sizeof body, "{\"hold_id\":%d}", hold);
    st = call("POST", "/bookings", body, &b);
    cr_assert(st == 202 || st == 200 || st == 201, "%ld %s", st, b);
    cJSON *bk = cJSON_Parse(b);
    free(b);
    char path[64];
    snprintf(path, sizeof path, "/bookings/%d", cJSON_GetObjectItemCaseSensitive(bk, "id")->valueint);
    cJSON_Delete(bk);
    state[0] = 0;
    for (int i = 0; i < 300 && strcmp(state, "conflict") != 0; i++) {
        usleep(100000);
        call("GET", path, NULL, &b);
        cJSON *g = cJSON_Parse(b);
        free(b);
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "state"));
        snprintf(state, sizeof state, "%s", s ? s : "");
        cJSON_Delete(g);
    }
    cr_expect_str_eq(state, "conflict", "Nextech's 409 is a conflict");
    cr_expect_eq(sim_appointments_at("2027-03-05T16:30:00-08:00", "booked"), 1,
                 "no double booking");
}

Test(emr_nextech, token_refreshed_after_expiry)
{
    free(availability("service=botox&from=2027-03-06&to=2027-03-07", 200));
    int granted = sim_state_int("tokens_granted");
    cJSON_Delete(sim_call("POST", "/_sim/expire-tokens", 200));
    char *b = availability("service=dysport&from=2027-03-06&to=2027-03-07", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-06T09:00:00-08:00\"") != NULL ||
                  strstr(b, "\"start\":\"2027-03-06T") != NULL,
              "%s", b);
    free(b);
    cr_expect_eq(sim_state_int("tokens_granted"), granted + 1, "a 401 fetched one new token");
}

Test(emr_nextech, unavailable_then_recovered)
{
    cJSON_Delete(sim_call("POST", "/_sim/fail?status=503&seconds=2", 200));
    free(availability("service=botox&from=2027-03-10&to=2027-03-11", 503));
    sleep(3);
    char *b = availability("service=botox&from=2027-03-10&to=2027-03-11", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-10T09:00:00-08:00\"") != NULL, "%s", b);
    free(b);
}

Test(emr_nextech, rate_limit_kept_by_spacing, .timeout = 120)
{
    /* Each page is a request to the Slot endpoint: a week of every botox
     * provider's slots in pages of 5 is far more than 20 requests, which
     * the plugin spreads over several seconds. */
    int before = sim_requests("GET Slot");
    char *b = availability("service=botox&from=2027-03-16&to=2027-03-23", 200);
    free(b);
    cr_expect_gt(sim_requests("GET Slot") - before, 40, "many pages");
    cr_expect_eq(sim_state_int("rate_limited"), 0, "no 429: the plugin kept to 20 per second");
}

Test(emr_nextech, rate_limit_reported_as_retryable)
{
    /* A server stricter than the plugin's setting: its 429 (after one wait
     * of Retry-After) is a retryable failure, the EMR unavailable for now. */
    cJSON_Delete(sim_call("POST", "/_sim/config?rate_limit=2", 200));
    free(availability("service=botox&from=2027-03-17&to=2027-03-24", 503));
    cr_expect_gt(sim_state_int("rate_limited"), 0);
    cJSON_Delete(sim_call("POST", "/_sim/config?rate_limit=20", 200));
}
