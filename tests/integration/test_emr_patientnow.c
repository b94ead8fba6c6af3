/*
 * emr.patientnow in the real daemon against the PatientNow simulator
 * (tests/sim/patientnow_sim.py loaded with the Glow clinic, pages of 5
 * items so every list follows pageNumber to totalPages): availability from
 * the openings list (the clinic's seeded appointments are not offered),
 * patients found by phone and created, a held slot booked by the booking
 * writer and then cancelled (twice: the second answers it unchanged), a
 * slot taken in PatientNow behind the daemon's back turning into a
 * conflict (HTTP 409), credentials the gateway refuses (BW_E_AUTH), the
 * gateway's rate limit (a short Retry-After waited out, a long one
 * reported as retryable) and an outage (503s) recovered from.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "support/emr_world.h"
#include "support/sim_state.h"

static struct emr_world w;

static void setup(void)
{
    char config[512];
    emr_world_prepare(&w, "emr.patientnow");
    emr_world_write_secret(&w, "password", "pn-sim-password");
    emr_world_write_secret(&w, "api_key", "pn-sim-gateway-key");
    const char *args[] = { "--page-size", "5", "--rate-limit", "50", NULL };
    emr_world_start_sim(&w, "patientnow", args);
    snprintf(config, sizeof config,
             "  api_base = \"https://gateway.patientnow.test/api/v1\";\n"
             "  api_key = \"file:%s/api_key\"; username = \"bookwell-api@pn-sim.test\";\n"
             "  password = \"file:%s/password\"; location_id = \"1\"; page_size = 5;",
             w.base.dir, w.base.dir);
    emr_world_start_daemon(&w, config);
}

static void teardown(void)
{
    emr_world_stop(&w);
}

TestSuite(emr_patientnow, .init = setup, .fini = teardown, .timeout = 120);

/* The simulator's appointments at start with status. */
static int sim_appointments(const char *start, const char *status)
{
    return test_sim_appointments(&w.base.sim, "startTime", start, "status", status);
}

Test(emr_patientnow, availability_from_openings_with_paging)
{
    int before = test_sim_requests(&w.base.sim, "GET availability");
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* The clinic's appointments in PatientNow: lip filler 14:00-15:00, botox 15:00. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    cr_expect_gt(test_sim_requests(&w.base.sim, "GET availability") - before, 3, "every page was read");
    /* The closed date has none. */
    b = emr_world_availability(&w, "service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "%s", b);
    free(b);
    cr_expect_eq(test_sim_state_int(&w.base.sim, "unauthorized"), 0, "every request carried the key and credentials");
}

Test(emr_patientnow, patients_found_and_created)
{
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL && strstr(b, "\"2001\"") != NULL,
              "the seeded patient: %s", b);
    free(b);
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550101\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"patients\":[]") != NULL, "nobody yet: %s", b);
    free(b);
    const char *emily = "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}";
    st = emr_world_call(&w, "POST", "/patients", emily, &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    st = emr_world_call(&w, "POST", "/patients", emily, &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    cJSON *s = test_sim_json(&w.base.sim, "GET", "/_sim/state", 200);
    int found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "patients")) {
        char *text = cJSON_PrintUnformatted(p);
        if (strstr(text, "\"Chen\"") && strstr(text, "+14155550101"))
            found++;
        free(text);
    }
    cJSON_Delete(s);
    cr_expect_eq(found, 1, "one patient Emily Chen in PatientNow, not two");
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550101\"}", &st);
    cr_expect(strstr(b, "\"first_name\":\"Emily\"") != NULL, "%s", b);
    free(b);
}

Test(emr_patientnow, book_then_cancel)
{
    char state[32], appt[64], input[160];
    emr_world_hold_and_book(&w, "2027-03-05T16:00:00-08:00", state, sizeof state, appt, sizeof appt);
    cr_assert_str_eq(state, "booked");
    cr_assert(appt[0], "the booking names PatientNow's appointment");
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Scheduled"), 1,
                 "one appointment in PatientNow");
    cr_expect_eq(test_sim_requests(&w.base.sim, "POST appointments"), 1);
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T16:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    snprintf(input, sizeof input, "{\"appointment_id\":\"%s\",\"reason\":\"patient asked\"}", appt);
    for (int i = 0; i < 2; i++) {
        long st;
        b = emr_world_plugin_call(&w, "cancel", input, &st);
        cr_expect_eq(st, 200, "cancel %d: %s", i, b);
        cr_expect(strstr(b, "\"status\":\"cancelled\"") != NULL, "%s", b);
        cr_expect(strstr(b, appt) != NULL, "%s", b);
        free(b);
    }
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Cancelled"), 1);
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Scheduled"), 0);
    /* PatientNow offers the time again (the plugin's own view: the host
     * keeps its booking record until it hears of the cancellation). */
    long st;
    b = emr_world_plugin_call(&w, "availability",
                    "{\"location_id\":\"main\",\"service_id\":\"botox\",\"provider_id\":\"dr-smith\","
                    "\"from\":\"2027-03-05T08:00:00Z\",\"to\":\"2027-03-06T08:00:00Z\"}",
                    &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "2027-03-05T16:00:00-08:00") != NULL, "offered again: %s", b);
    free(b);
}

Test(emr_patientnow, slot_taken_in_patientnow_is_a_conflict)
{
    char *b = NULL;
    long st = emr_world_call(&w, "POST", "/holds",
                   "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"2027-03-05T16:30:00-08:00\","
                   "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
                   &b);
    cr_assert_eq(st, 201, "%ld %s", st, b);
    long long hold = strtoll(strstr(b, "\"id\":") + 5, NULL, 10);
    free(b);
    /* The front desk books 16:30 in PatientNow directly. */
    struct test_http_resp r;
    const char *h[] = { "Authorization: Basic Ym9va3dlbGwtYXBpQHBuLXNpbS50ZXN0OnBuLXNpbS1wYXNzd29yZA==",
                        "Content-Type: application/json", NULL };
    const char *appt = "{\"patientId\":\"2001\",\"providerId\":\"dr-smith\",\"locationId\":\"1\","
                       "\"appointmentTypeId\":\"botox\",\"startTime\":\"2027-03-05T16:30:00-08:00\","
                       "\"endTime\":\"2027-03-05T17:00:00-08:00\"}";
    cr_assert_eq(test_http("POST", w.base.sim.port, "/api/v1/appointments?apikey=pn-sim-gateway-key", h,
                           appt, strlen(appt), &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    char state[32];
    emr_world_book(&w, hold, state, sizeof state, NULL, 0);
    cr_expect_str_eq(state, "conflict", "PatientNow's 409 is a conflict");
    cr_expect_eq(sim_appointments("2027-03-05T16:30:00-08:00", "Scheduled"), 1, "no double booking");
}

Test(emr_patientnow, refused_credentials)
{
    /* The gateway key was rotated in PatientNow: every request is refused. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/credentials?api_key=rotated-key", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_AUTH\"") != NULL, "%s", b);
    cr_expect(strstr(b, "pn-sim-gateway-key") == NULL && strstr(b, "pn-sim-password") == NULL,
              "no secret in the error: %s", b);
    free(b);
    /* The key is right again but the API user's password is not. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/credentials?api_key=pn-sim-gateway-key&password=new", 200));
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect(strstr(b, "\"rc\":\"BW_E_AUTH\"") != NULL, "%s", b);
    free(b);
    cr_expect_geq(test_sim_state_int(&w.base.sim, "unauthorized"), 2);
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/credentials?password=pn-sim-password", 200));
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
}

Test(emr_patientnow, rate_limit_waited_out_or_retryable)
{
    /* Two requests a second: each page past them meets a 429 with a short
     * Retry-After, waited out, and the whole day still comes. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=2", 200));
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T17:30:00-08:00\"") != NULL, "the last page: %s", b);
    free(b);
    cr_expect_gt(test_sim_state_int(&w.base.sim, "rate_limited"), 0, "the gateway throttled at least once");
    /* A Retry-After far longer than a call may wait: retryable, no wait. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=1&retry_after=60", 200));
    long st;
    b = emr_world_plugin_call(&w, "availability",
                    "{\"location_id\":\"main\",\"service_id\":\"botox\","
                    "\"from\":\"2027-03-09T08:00:00Z\",\"to\":\"2027-03-12T08:00:00Z\"}",
                    &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "%s", b);
    free(b);
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=50&retry_after=0", 200));
}

Test(emr_patientnow, outage_then_recovered)
{
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/down", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "a 503 is retryable: %s", b);
    free(b);
    free(emr_world_availability(&w, "service=botox&from=2027-03-10&to=2027-03-11", 503));
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/up", 200));
    b = emr_world_availability(&w, "service=botox&from=2027-03-10&to=2027-03-11", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-10T09:00:00-08:00\"") != NULL, "%s", b);
    free(b);
}
