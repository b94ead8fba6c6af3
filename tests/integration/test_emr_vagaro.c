/*
 * emr.vagaro in the real daemon against the Vagaro simulator
 * (tests/sim/vagaro_sim.py loaded with the Glow clinic). With write access
 * on the clinic's plan: availability from the openings search (the
 * clinic's seeded appointments are not offered) under one access token
 * sent in the accessToken header, the token fetched again before it
 * expires and after the server expired it, customers found by phone and
 * created, a held slot booked by the booking writer, listed and cancelled
 * (twice: the second answers it unchanged), a slot taken in Vagaro behind
 * the daemon's back turning into a conflict (HTTP 409), client
 * credentials Vagaro refuses (BW_E_AUTH), the rate limit (a short
 * Retry-After waited out, a long one reported as retryable) and an outage
 * (503s) recovered from. Without write access (a second suite): the
 * instance is link_only, still answers availability, and writes reach
 * nothing in Vagaro.
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

static void write_secret(const char *name, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", value);
    fclose(f);
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
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "requests"), key);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(s);
    return n;
}

/* The daemon with emr.vagaro bound for Glow; writes: the plan's write access. */
static void start_world(bool writes)
{
    char path[512], clinic[512], tenant[2048], conf[256], dst[256];
    conninfo = testdb_create();
    snprintf(dir, sizeof dir, "/tmp/bw-vagaro-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(path, sizeof path, "%s/plugins/emr.vagaro-1.0.0.so", b);
    snprintf(dst, sizeof dst, "%s/plugins", dir);
    cr_assert_eq(mkdir(dst, 0755), 0);
    snprintf(dst, sizeof dst, "%s/plugins/emr.vagaro-1.0.0.so", dir);
    copy_file(path, dst);
    write_secret("client_secret", "vg-sim-secret-key");

    glow_path(clinic, sizeof clinic);
    const char *args[] = { "--clinic", clinic, "--rate-limit", "50", writes ? NULL : "--no-writes",
                           NULL };
    test_sim_start(&sim, "vagaro", args);
    sim_started = true;

    snprintf(conf, sizeof conf, "plugins = { dir = \"%s/plugins\"; };\n", dir);
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = ( { plugin = \"emr.vagaro\"; base_url = \"%s\"; config = {\n"
             "  client_id = \"vg-sim-client\"; client_secret = \"file:%s/client_secret\";\n"
             "  business_id = \"glow-business-1\"; write_access = %s;\n"
             "  booking_url = \"https://www.vagaro.com/glowaesthetics/book-now\"; }; } );\n",
             sim.base_url, dir, writes ? "true" : "false");
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

static void setup(void)
{
    start_world(true);
}

static void setup_link_only(void)
{
    start_world(false);
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
    if (strncmp(dir, "/tmp/bw-vagaro-", 15) == 0)
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(emr_vagaro, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(emr_vagaro_link_only, .init = setup_link_only, .fini = teardown, .timeout = 120);

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

/* The plugin op through the test route: {"rc", "result"?} (caller frees). */
static char *plugin_call(const char *op, const char *input, long *status)
{
    char body[1024];
    struct test_http_resp r;
    snprintf(body, sizeof body,
             "{\"tenant\":\"glow\",\"plugin\":\"emr\",\"op\":\"%s\",\"input\":%s,"
             "\"timeout_ms\":30000}",
             op, input);
    cr_assert_eq(test_admin(&d, "POST", "/admin/test/plugin-call", body, &r), 0);
    *status = r.status;
    char *b = r.body;
    r.body = NULL;
    test_http_resp_free(&r);
    return b;
}

/* Holds a slot and hands it to the booking writer; the final state and the
 * EMR's appointment id. */
static void hold_and_book(const char *start, char *state, size_t cap, char *appt, size_t acap)
{
    char body[512], *b = NULL;
    snprintf(body, sizeof body,
             "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"%s\","
             "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
             start);
    long st = call("POST", "/holds", body, &b);
    cr_assert_eq(st, 201, "hold: %ld %s", st, b);
    long long hold = strtoll(strstr(b, "\"id\":") + 5, NULL, 10);
    free(b);
    snprintf(body, sizeof body, "{\"hold_id\":%lld}", hold);
    st = call("POST", "/bookings", body, &b);
    cr_assert(st == 202 || st == 200 || st == 201, "booking: %ld %s", st, b);
    long long id = strtoll(strstr(b, "\"id\":") + 5, NULL, 10);
    free(b);
    char path[64];
    snprintf(path, sizeof path, "/bookings/%lld", id);
    state[0] = appt[0] = 0;
    for (int i = 0; i < 300; i++) {
        call("GET", path, NULL, &b);
        cJSON *g = cJSON_Parse(b);
        free(b);
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "state"));
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "emr_appointment_id"));
        snprintf(state, cap, "%s", s ? s : "");
        snprintf(appt, acap, "%s", a ? a : "");
        cJSON_Delete(g);
        if (strcmp(state, "booked") == 0 || strcmp(state, "conflict") == 0 ||
            strcmp(state, "failed") == 0)
            return;
        usleep(100000);
    }
}

static int sim_appointments(const char *start, const char *status)
{
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(s, "appointments")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "startTime"));
        const char *stt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "bookingStatus"));
        if (st && stt && strcmp(st, start) == 0 && strcmp(stt, status) == 0)
            n++;
    }
    cJSON_Delete(s);
    return n;
}

Test(emr_vagaro, availability_under_one_token)
{
    char *b = availability("service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* The clinic's appointments in Vagaro: lip filler 14:00-15:00, botox 15:00. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    b = availability("service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "the closed date: %s", b);
    free(b);
    cr_expect_gt(sim_requests("GET appointments/availability"), 1);
    cr_expect_eq(sim_state_int("tokens_granted"), 1, "one token served every request");
    cr_expect_eq(sim_state_int("unauthorized"), 0, "every request carried it");
}

Test(emr_vagaro, token_fetched_again_when_expired_at_the_server)
{
    free(availability("service=botox&from=2027-03-06&to=2027-03-07", 200));
    int granted = sim_state_int("tokens_granted");
    cJSON_Delete(sim_call("POST", "/_sim/expire-tokens", 200));
    free(availability("service=dysport&from=2027-03-06&to=2027-03-07", 200));
    cr_expect_eq(sim_state_int("tokens_granted"), granted + 1, "a 401 fetched one new token");
}

Test(emr_vagaro, token_refreshed_before_it_expires)
{
    /* Tokens of 2 s: the plugin asks for the next one before the server
     * would refuse the old, so no request meets a 401. */
    cJSON_Delete(sim_call("POST", "/_sim/config?token_ttl=2", 200));
    cJSON_Delete(sim_call("POST", "/_sim/expire-tokens", 200));
    long st;
    char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    free(b);
    int granted = sim_state_int("tokens_granted"), refused = sim_state_int("unauthorized");
    sleep(2);
    b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
    cr_expect_eq(sim_state_int("tokens_granted"), granted + 1, "a fresh token");
    cr_expect_eq(sim_state_int("unauthorized"), refused, "fetched before the old one was refused");
}

Test(emr_vagaro, customers_found_and_created)
{
    long st;
    char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL && strstr(b, "\"c3001\"") != NULL,
              "the seeded customer: %s", b);
    free(b);
    const char *emily = "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}";
    for (int i = 0; i < 2; i++) {
        st = call("POST", "/patients", emily, &b);
        cr_assert(st == 200 || st == 201, "%ld %s", st, b);
        free(b);
    }
    cJSON *s = sim_call("GET", "/_sim/state", 200);
    int found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "customers")) {
        char *text = cJSON_PrintUnformatted(p);
        if (strstr(text, "\"Chen\"") && strstr(text, "+14155550101"))
            found++;
        free(text);
    }
    cJSON_Delete(s);
    cr_expect_eq(found, 1, "one customer Emily Chen in Vagaro, not two");
}

Test(emr_vagaro, book_list_then_cancel)
{
    char state[32], appt[64], input[200];
    hold_and_book("2027-03-05T16:00:00-08:00", state, sizeof state, appt, sizeof appt);
    cr_assert_str_eq(state, "booked");
    cr_assert(appt[0], "the booking names Vagaro's appointment");
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Confirmed"), 1,
                 "one appointment in Vagaro");
    cr_expect_eq(sim_requests("POST appointments"), 1);
    long st;
    char *b = plugin_call("appointment_list",
                          "{\"from\":\"2027-03-05T00:00:00Z\",\"to\":\"2027-03-07T00:00:00Z\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, appt) != NULL, "%s not listed: %s", appt, b);
    free(b);
    snprintf(input, sizeof input, "{\"appointment_id\":\"%s\",\"reason\":\"patient asked\"}", appt);
    for (int i = 0; i < 2; i++) {
        b = plugin_call("cancel", input, &st);
        cr_expect_eq(st, 200, "cancel %d: %s", i, b);
        cr_expect(strstr(b, "\"status\":\"cancelled\"") != NULL, "%s", b);
        free(b);
    }
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Cancelled"), 1);
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Confirmed"), 0);
}

Test(emr_vagaro, slot_taken_in_vagaro_is_a_conflict)
{
    char *b = NULL;
    long st = call("POST", "/holds",
                   "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"2027-03-05T16:30:00-08:00\","
                   "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
                   &b);
    cr_assert_eq(st, 201, "%ld %s", st, b);
    long long hold = strtoll(strstr(b, "\"id\":") + 5, NULL, 10);
    free(b);
    /* The front desk books 16:30 in Vagaro directly, under a token of its own. */
    struct test_http_resp r;
    const char *cred = "{\"clientId\":\"vg-sim-client\",\"clientSecretKey\":\"vg-sim-secret-key\","
                       "\"scope\":\"appointments\"}";
    const char *jh[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(test_http("POST", sim.port, "/us/api/v2/merchants/generate-access-token", jh, cred,
                           strlen(cred), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *t = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    char token[200];
    snprintf(token, sizeof token, "accessToken: %s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "accessToken")));
    cJSON_Delete(t);
    const char *ah[] = { token, "Content-Type: application/json", NULL };
    const char *appt = "{\"businessId\":\"glow-business-1\",\"customerId\":\"c3001\","
                       "\"serviceProviderId\":\"dr-smith\",\"serviceId\":\"botox\","
                       "\"startTime\":\"2027-03-05T16:30:00-08:00\",\"endTime\":\"2027-03-05T17:00:00-08:00\"}";
    cr_assert_eq(test_http("POST", sim.port, "/us/api/v2/appointments", ah, appt, strlen(appt), &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    char body[64];
    snprintf(body, sizeof body, "{\"hold_id\":%lld}", hold);
    st = call("POST", "/bookings", body, &b);
    cr_assert(st == 202 || st == 200 || st == 201, "%ld %s", st, b);
    long long id = strtoll(strstr(b, "\"id\":") + 5, NULL, 10);
    free(b);
    char path[64], state[32] = "";
    snprintf(path, sizeof path, "/bookings/%lld", id);
    for (int i = 0; i < 300 && strcmp(state, "conflict") != 0; i++) {
        usleep(100000);
        call("GET", path, NULL, &b);
        cJSON *g = cJSON_Parse(b);
        free(b);
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "state"));
        snprintf(state, sizeof state, "%s", s ? s : "");
        cJSON_Delete(g);
    }
    cr_expect_str_eq(state, "conflict", "Vagaro's 409 is a conflict");
    cr_expect_eq(sim_appointments("2027-03-05T16:30:00-08:00", "Confirmed"), 1, "no double booking");
}

Test(emr_vagaro, refused_client_credentials)
{
    /* The client secret was regenerated in Vagaro and the old token is gone. */
    cJSON_Delete(sim_call("POST", "/_sim/credentials?client_secret=regenerated", 200));
    cJSON_Delete(sim_call("POST", "/_sim/expire-tokens", 200));
    long st;
    char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_AUTH\"") != NULL, "%s", b);
    cr_expect(strstr(b, "vg-sim-secret-key") == NULL, "no secret in the error: %s", b);
    free(b);
    cr_expect_gt(sim_state_int("unauthorized"), 0);
    cJSON_Delete(sim_call("POST", "/_sim/credentials?client_secret=vg-sim-secret-key", 200));
    b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
}

Test(emr_vagaro, rate_limit_waited_out_or_retryable)
{
    long st;
    /* One request a second: back-to-back reads meet a 429 with a short
     * Retry-After, waited out. */
    cJSON_Delete(sim_call("POST", "/_sim/config?rate_limit=1", 200));
    for (int i = 0; i < 3; i++) {
        char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
        cr_expect_eq(st, 200, "%d: %s", i, b);
        free(b);
    }
    cr_expect_gt(sim_state_int("rate_limited"), 0, "Vagaro throttled at least once");
    /* A Retry-After far longer than a call may wait: retryable, no wait. */
    cJSON_Delete(sim_call("POST", "/_sim/config?retry_after=60", 200));
    char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    if (strstr(b, "\"rc\":\"BW_E_RETRY\"") == NULL) { /* the window had room: once more */
        free(b);
        b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    }
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "%s", b);
    free(b);
    cJSON_Delete(sim_call("POST", "/_sim/config?rate_limit=50&retry_after=0", 200));
}

Test(emr_vagaro, outage_then_recovered)
{
    cJSON_Delete(sim_call("POST", "/_sim/down", 200));
    long st;
    char *b = plugin_call("patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "a 503 is retryable: %s", b);
    free(b);
    free(availability("service=botox&from=2027-03-10&to=2027-03-11", 503));
    cJSON_Delete(sim_call("POST", "/_sim/up", 200));
    b = availability("service=botox&from=2027-03-10&to=2027-03-11", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-10T09:00:00-08:00\"") != NULL, "%s", b);
    free(b);
}

Test(emr_vagaro_link_only, reads_availability_and_names_the_booking_link)
{
    long st;
    char *b = plugin_call("capabilities", "{}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"link_only\"") != NULL && strstr(b, "\"availability\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"book\"") == NULL && strstr(b, "\"cancel\"") == NULL, "%s", b);
    free(b);
    b = availability("service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    free(b);
    /* A write is not the API's to make on this plan: refused, and nothing
     * reaches Vagaro. */
    int before = sim_requests("PUT appointments/{id}/cancel");
    b = plugin_call("cancel", "{\"appointment_id\":\"a8001\"}", &st);
    cr_expect_neq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_NOTSUP\"") != NULL, "%s", b);
    free(b);
    cr_expect_eq(sim_requests("PUT appointments/{id}/cancel"), before);
    cr_expect_eq(sim_appointments("2027-03-05T15:00:00-08:00", "Confirmed"), 2,
                 "the seeded appointments stand");
}
