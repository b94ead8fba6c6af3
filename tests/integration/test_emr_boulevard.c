/*
 * emr.boulevard in the real daemon against the Boulevard simulator
 * (tests/sim/boulevard_sim.py, loaded with the Glow clinic): availability
 * through the booking cart as /availability serves it, a patient created
 * and then found by phone, a hold booked by the booking writer through
 * bookingCreate/AddService/Complete and cancelled, Relay pagination (the
 * simulator pages three nodes at a time), credentials Boulevard refuses,
 * 503s, and the query-cost throttle (waited out when short, reported as
 * retryable when long).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/emr_world.h"
#include "support/sim_state.h"

static struct emr_world w;

static void setup(void)
{
    const char *src = getenv("BW_SRCDIR");
    char srcdir[1024], config[4096];
    snprintf(srcdir, sizeof srcdir, "%s", src ? src : ".");
    emr_world_prepare(&w, "emr.boulevard");
    emr_world_start_sim(&w, "boulevard", NULL);
    /* The simulator's default credentials. */
    snprintf(config, sizeof config,
             "  business_id = \"5d7c9a2e-3b1f-4e8a-9c6d-0b1a2c3d4e5f\";\n"
             "  api_key = \"file:%s/tests/data/kit/boulevard_api_key\";\n"
             "  api_secret = \"file:%s/tests/data/kit/boulevard_api_secret\";",
             srcdir, srcdir);
    emr_world_start_daemon(&w, config);
}

static void teardown(void)
{
    emr_world_stop(&w);
}

TestSuite(emr_boulevard, .init = setup, .fini = teardown, .timeout = 120);

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(emr_boulevard, availability_through_the_booking_cart)
{
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* Booked in Boulevard: lip filler 14:00-15:00 and botox 15:00-15:30. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T13:45:00-08:00\"") == NULL);
    free(b);
    /* After the DST change the simulator's local times carry -07:00. */
    b = emr_world_availability(&w, "service=botox&provider=jenna&from=2027-03-16&to=2027-03-17", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-16T09:00:00-07:00\"") != NULL, "%s", b);
    free(b);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect(strstr(state, "\"CreateCart\"") != NULL);
    cr_expect(strstr(state, "\"AddCartSelectedBookableItem\"") != NULL);
    cr_expect(strstr(state, "\"CartBookableDates\"") != NULL);
    cr_expect(strstr(state, "\"CartBookableTimes\"") != NULL);
    free(state);
}

Test(emr_boulevard, pagination_reads_every_page)
{
    long st;
    /* Ten services, three staff, seven appointments: pages of three. */
    char *b = emr_world_plugin_call(&w, "catalog", "{}", &st);
    cr_assert_eq(st, 200, "%s", b);
    cr_expect_eq(count(b, "\"duration_min\""), 10, "%s", b);
    cr_expect(strstr(b, "\"id\":\"coolsculpting-consult\"") != NULL, "the last page: %s", b);
    cr_expect(strstr(b, "\"id\":\"ashley\"") != NULL, "%s", b);
    free(b);
    b = emr_world_plugin_call(&w, "appointment_list",
                    "{\"from\":\"2027-03-01T00:00:00Z\",\"to\":\"2027-04-01T00:00:00Z\"}", &st);
    cr_assert_eq(st, 200, "%s", b);
    cr_expect_eq(count(b, "\"status\":\"booked\""), 7, "%s", b);
    free(b);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect(count(state, "\"Appointments\"") >= 3, "seven appointments take three pages");
    free(state);
}

Test(emr_boulevard, patient_created_then_found)
{
    const char *body = "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}";
    struct test_http_resp r;
    cr_assert_eq(emr_world_request(&w, "POST", "/patients", body, &r), 0);
    cr_assert(r.status == 200 || r.status == 201, "%ld %s", r.status, r.body);
    test_http_resp_free(&r);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect_eq(count(state, "\"mobilePhone\": \"+14155550101\""), 1, "%s", state);
    cr_expect(strstr(state, "\"lastName\": \"Chen\"") != NULL);
    free(state);
    cr_assert_eq(emr_world_request(&w, "POST", "/patients", body, &r), 0);
    cr_assert(r.status == 200 || r.status == 201, "%ld %s", r.status, r.body);
    test_http_resp_free(&r);
    state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect_eq(count(state, "\"mobilePhone\": \"+14155550101\""), 1, "found, not made twice");
    free(state);
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550101\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Chen\"") != NULL, "%s", b);
    free(b);
}

/* A patient met on Instagram has a name and nothing else. */
Test(emr_boulevard, a_patient_without_phone_or_email_is_created)
{
    struct test_http_resp r;
    cr_assert_eq(emr_world_request(&w, "POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\"}",
                      &r), 0);
    cr_assert(r.status == 200 || r.status == 201, "%ld %s", r.status, r.body);
    test_http_resp_free(&r);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect(strstr(state, "\"lastName\": \"Alvarez\"") != NULL, "%s", state);
    free(state);
    cr_assert_eq(emr_world_request(&w, "POST", "/patients", "{\"first_name\":\"Nina\",\"last_name\":\"Alvarez\","
                                           "\"phone\":\"415-555\"}", &r), 0);
    cr_expect_eq(r.status, 422, "a phone that is not one is refused: %ld %s", r.status, r.body);
    test_http_resp_free(&r);
}

static char *booking_when_not(long long id, const char *unless)
{
    char path[64], want[64];
    snprintf(path, sizeof path, "/bookings/%lld", id);
    snprintf(want, sizeof want, "\"state\":\"%s\"", unless);
    for (int i = 0; i < 300; i++) {
        struct test_http_resp r;
        cr_assert_eq(emr_world_request(&w, "GET", path, NULL, &r), 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        if (!strstr(r.body, want) || i == 299) {
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

Test(emr_boulevard, book_a_hold_then_cancel)
{
    struct test_http_resp r;
    cr_assert_eq(emr_world_request(&w, "POST", "/holds",
                      "{\"service\":\"botox\",\"provider\":\"dr-smith\","
                      "\"start\":\"2027-03-05T16:00:00-08:00\",\"patient\":{\"first_name\":"
                      "\"Ana\",\"last_name\":\"Reyes\",\"phone\":\"+14155550123\"}}",
                      &r),
                 0);
    cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
    long long hold = strtoll(strstr(r.body, "\"id\":") + 5, NULL, 10);
    test_http_resp_free(&r);
    char body[128];
    snprintf(body, sizeof body, "{\"hold_id\":%lld}", hold);
    cr_assert_eq(emr_world_request(&w, "POST", "/bookings", body, &r), 0);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    long long id = strtoll(strstr(r.body, "\"id\":") + 5, NULL, 10);
    test_http_resp_free(&r);
    char *b = booking_when_not(id, "pending");
    cr_expect(strstr(b, "\"state\":\"booked\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"client_created\":true") != NULL, "%s", b);
    const char *ap = strstr(b, "\"emr_appointment_id\":\"");
    cr_assert_not_null(ap, "%s", b);
    char appt[128];
    ap += strlen("\"emr_appointment_id\":\"");
    snprintf(appt, sizeof appt, "%.*s", (int)(strchr(ap, '"') - ap), ap);
    free(b);

    /* In Boulevard: one appointment at 16:00 Pacific (00:00Z) for Ana. */
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect_eq(count(state, "\"startAt\": \"2027-03-06T00:00:00Z\", \"endAt\": "
                              "\"2027-03-06T00:30:00Z\", \"duration\": 30, \"cancelled\""),
                 1, "one appointment, not two");
    cr_expect(strstr(state, "\"firstName\": \"Ana\"") != NULL);
    free(state);
    long st;
    b = emr_world_plugin_call(&w, "appointment_list",
                    "{\"from\":\"2027-03-05T00:00:00Z\",\"to\":\"2027-03-07T00:00:00Z\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, appt) != NULL, "%s not listed: %s", appt, b);
    free(b);
    /* The slot is no longer offered. */
    b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T16:00:00-08:00\"") == NULL, "%s", b);
    free(b);

    char input[256];
    snprintf(input, sizeof input, "{\"appointment_id\":\"%s\",\"reason\":\"test\"}", appt);
    for (int i = 0; i < 2; i++) {
        b = emr_world_plugin_call(&w, "cancel", input, &st);
        cr_expect_eq(st, 200, "cancel %d: %s", i, b);
        cr_expect(strstr(b, "\"status\":\"cancelled\"") != NULL, "%s", b);
        free(b);
    }
    state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect_eq(count(state, "\"CancelAppointment\""), 1, "cancelled once in Boulevard");
    cr_expect(strstr(state, "\"cancelReason\": \"CLIENT_CANCEL\"") != NULL, "%s", state);
    free(state);
}

Test(emr_boulevard, unavailable_then_recovered)
{
    free(test_sim_text(&w.base.sim, "POST", "/_sim/down", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "availability",
                          "{\"location_id\":\"glow\",\"service_id\":\"botox\","
                          "\"from\":\"2027-03-05T08:00:00Z\",\"to\":\"2027-03-06T08:00:00Z\"}",
                          &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "a 503 is retryable: %s", b);
    free(b);
    free(emr_world_availability(&w, "service=botox&from=2027-03-05&to=2027-03-06", 503));
    free(test_sim_text(&w.base.sim, "POST", "/_sim/up", 200));
    b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    free(b);
}

Test(emr_boulevard, query_cost_throttle)
{
    long st;
    /* Room for one page at a time, refilled in about half a second: the
     * plugin waits for the budget and the catalog still comes whole. */
    free(test_sim_text(&w.base.sim, "POST", "/_sim/throttle?budget=120&restore=200", 200));
    char *b = emr_world_plugin_call(&w, "catalog", "{}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect_eq(count(b, "\"duration_min\""), 10, "%s", b);
    free(b);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect(strstr(state, "\"throttled\": 0") == NULL, "the budget ran out at least once: %s",
              strstr(state, "\"throttled\""));
    free(state);
    /* A budget that refills far too slowly: retryable, with no wait inside the call. */
    free(test_sim_text(&w.base.sim, "POST", "/_sim/throttle?budget=120&restore=1", 200));
    b = emr_world_plugin_call(&w, "catalog", "{}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "%s", b);
    free(b);
    free(test_sim_text(&w.base.sim, "POST", "/_sim/throttle?budget=100000&restore=5000", 200));
}

Test(emr_boulevard, refused_credentials)
{
    /* Boulevard now knows another API key: every request is refused. */
    free(test_sim_text(&w.base.sim, "POST", "/_sim/credentials?api_key=another-app-key", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_AUTH\"") != NULL, "%s", b);
    free(b);
    char *state = test_sim_text(&w.base.sim, "GET", "/_sim/state", 200);
    cr_expect(strstr(state, "\"unauthorized\": 0") == NULL, "the simulator refused it");
    free(state);
    free(test_sim_text(&w.base.sim, "POST", "/_sim/credentials?api_key=blvd-sim-api-key", 200));
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
}
