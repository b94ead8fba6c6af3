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
    emr_world_prepare(&w, "emr.nextech");
    emr_world_write_secret(&w, "password", "nx-sim-password");
    const char *args[] = { "--page-size", "5", NULL };
    emr_world_start_sim(&w, "nextech", args);
    snprintf(config, sizeof config,
             "  client_id = \"nx-sim-client\"; username = \"bookwell@nx-sim.test\";\n"
             "  password = \"file:%s/password\"; practice_id = \"nx-sim-practice\";\n"
             "  location_id = \"1\"; page_size = 5; rate_limit = 20;",
             w.base.dir);
    emr_world_start_daemon(&w, config);
}

static void teardown(void)
{
    emr_world_stop(&w);
}

TestSuite(emr_nextech, .init = setup, .fini = teardown, .timeout = 120);

/* Nextech's Appointments at start with status. */
static int sim_appointments_at(const char *start, const char *status)
{
    return test_sim_appointments(&w.base.sim, "start", start, "status", status);
}

Test(emr_nextech, availability_from_slots_with_paging)
{
    int before = test_sim_requests(&w.base.sim, "GET Slot");
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* The clinic's appointments in Nextech: lip filler 14:00-15:00, botox 15:00. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    /* A day of one provider's 30-minute slots is several pages of 5. */
    cr_expect_gt(test_sim_requests(&w.base.sim, "GET Slot") - before, 3, "the Bundle's next links were followed");
    /* The closed date has none. */
    b = emr_world_availability(&w, "service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "%s", b);
    free(b);
    /* Every request carried a token and the practice id (the simulator
     * answers 401/400 otherwise): one token served them all. */
    cr_expect_eq(test_sim_state_int(&w.base.sim, "tokens_granted"), 1);
}

Test(emr_nextech, patients_by_phone_and_created)
{
    char *b = NULL;
    /* A client of the clinic is found in Nextech by phone. */
    long st = emr_world_call(&w, "POST", "/patients",
                   "{\"first_name\":\"Maria\",\"last_name\":\"Lopez\",\"phone\":\"+14155550142\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    cr_expect(strstr(b, "\"1001\"") != NULL, "the seeded patient: %s", b);
    free(b);
    /* A new one is created as a FHIR Patient. */
    st = emr_world_call(&w, "POST", "/patients",
              "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    cJSON *s = test_sim_json(&w.base.sim, "GET", "/api/Patient?phone=1", 401);
    cJSON_Delete(s);
    s = test_sim_json(&w.base.sim, "GET", "/_sim/state", 200);
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
    st = emr_world_call(&w, "POST", "/patients",
              "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    s = test_sim_json(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "patients")), 3);
    cJSON_Delete(s);
}

/* A patient met on Instagram has a name and nothing else: a FHIR Patient
 * with no telecom at all (FHIR allows no empty arrays). */
Test(emr_nextech, a_patient_without_phone_or_email_is_created)
{
    char *b = NULL;
    long st = emr_world_call(&w, "POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\"}", &b);
    cr_assert(st == 200 || st == 201, "%ld %s", st, b);
    free(b);
    cJSON *s = test_sim_json(&w.base.sim, "GET", "/_sim/state", 200);
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
    st = emr_world_call(&w, "POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\","
                                   "\"phone\":\"415-555\"}", &b);
    cr_expect_eq(st, 422, "a phone that is not one is refused: %ld %s", st, b);
    free(b);
}

Test(emr_nextech, book_then_conflict)
{
    char state[32];
    emr_world_hold_and_book(&w, "2027-03-05T16:00:00-08:00", state, sizeof state, NULL, 0);
    cr_assert_str_eq(state, "booked");
    cr_expect_eq(sim_appointments_at("2027-03-05T16:00:00-08:00", "booked"), 1,
                 "one Appointment in Nextech");
    cr_expect_eq(test_sim_requests(&w.base.sim, "POST Appointment"), 1);
    /* Someone books 16:30 in Nextech directly after our hold: 409. */
    char *b = NULL;
    long st = emr_world_call(&w, "POST", "/holds",
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
    cr_assert_eq(test_http("POST", w.base.sim.port, "/nextech-api.com/oauth2/token", fh, form,
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
    cr_assert_eq(test_http("POST", w.base.sim.port, "/api/Appointment", ah, appt, strlen(appt), &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    emr_world_book(&w, hold, state, sizeof state, NULL, 0);
    cr_expect_str_eq(state, "conflict", "Nextech's 409 is a conflict");
    cr_expect_eq(sim_appointments_at("2027-03-05T16:30:00-08:00", "booked"), 1,
                 "no double booking");
}

Test(emr_nextech, token_refreshed_after_expiry)
{
    free(emr_world_availability(&w, "service=botox&from=2027-03-06&to=2027-03-07", 200));
    int granted = test_sim_state_int(&w.base.sim, "tokens_granted");
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/expire-tokens", 200));
    char *b = emr_world_availability(&w, "service=dysport&from=2027-03-06&to=2027-03-07", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-06T09:00:00-08:00\"") != NULL ||
                  strstr(b, "\"start\":\"2027-03-06T") != NULL,
              "%s", b);
    free(b);
    cr_expect_eq(test_sim_state_int(&w.base.sim, "tokens_granted"), granted + 1, "a 401 fetched one new token");
}

Test(emr_nextech, unavailable_then_recovered)
{
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/fail?status=503&seconds=2", 200));
    free(emr_world_availability(&w, "service=botox&from=2027-03-10&to=2027-03-11", 503));
    sleep(3);
    char *b = emr_world_availability(&w, "service=botox&from=2027-03-10&to=2027-03-11", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-10T09:00:00-08:00\"") != NULL, "%s", b);
    free(b);
}

Test(emr_nextech, rate_limit_kept_by_spacing, .timeout = 120)
{
    /* Each page is a request to the Slot endpoint: a week of every botox
     * provider's slots in pages of 5 is far more than 20 requests, which
     * the plugin spreads over several seconds. */
    int before = test_sim_requests(&w.base.sim, "GET Slot");
    char *b = emr_world_availability(&w, "service=botox&from=2027-03-16&to=2027-03-23", 200);
    free(b);
    cr_expect_gt(test_sim_requests(&w.base.sim, "GET Slot") - before, 40, "many pages");
    cr_expect_eq(test_sim_state_int(&w.base.sim, "rate_limited"), 0, "no 429: the plugin kept to 20 per second");
}

Test(emr_nextech, rate_limit_reported_as_retryable)
{
    /* A server stricter than the plugin's setting: its 429 (after one wait
     * of Retry-After) is a retryable failure, the EMR unavailable for now. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=2", 200));
    free(emr_world_availability(&w, "service=botox&from=2027-03-17&to=2027-03-24", 503));
    cr_expect_gt(test_sim_state_int(&w.base.sim, "rate_limited"), 0);
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=20", 200));
}
