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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "support/emr_world.h"
#include "support/sim_state.h"

static struct emr_world w;

/* The daemon with emr.vagaro bound for Glow; writes: the plan's write access. */
static void start_world(bool writes)
{
    char config[512];
    emr_world_prepare(&w, "emr.vagaro");
    emr_world_write_secret(&w, "client_secret", "vg-sim-secret-key");
    const char *args[] = { "--rate-limit", "50", writes ? NULL : "--no-writes", NULL };
    emr_world_start_sim(&w, "vagaro", args);
    snprintf(config, sizeof config,
             "  client_id = \"vg-sim-client\"; client_secret = \"file:%s/client_secret\";\n"
             "  business_id = \"glow-business-1\"; write_access = %s;\n"
             "  booking_url = \"https://www.vagaro.com/glowaesthetics/book-now\";",
             w.base.dir, writes ? "true" : "false");
    emr_world_start_daemon(&w, config);
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
    emr_world_stop(&w);
}

TestSuite(emr_vagaro, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(emr_vagaro_link_only, .init = setup_link_only, .fini = teardown, .timeout = 120);

/* The simulator's appointments at start with status. */
static int sim_appointments(const char *start, const char *status)
{
    return test_sim_appointments(&w.base.sim, "startTime", start, "bookingStatus", status);
}

Test(emr_vagaro, availability_under_one_token)
{
    char *b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T09:00:00-08:00\"") != NULL, "%s", b);
    /* The clinic's appointments in Vagaro: lip filler 14:00-15:00, botox 15:00. */
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:00:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T14:30:00-08:00\"") == NULL, "%s", b);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:00:00-08:00\"") == NULL, "%s", b);
    free(b);
    b = emr_world_availability(&w, "service=botox&from=2027-03-12&to=2027-03-13", 200);
    cr_expect(strstr(b, "\"slots\":[]") != NULL, "the closed date: %s", b);
    free(b);
    cr_expect_gt(test_sim_requests(&w.base.sim, "GET appointments/availability"), 1);
    cr_expect_eq(test_sim_state_int(&w.base.sim, "tokens_granted"), 1, "one token served every request");
    cr_expect_eq(test_sim_state_int(&w.base.sim, "unauthorized"), 0, "every request carried it");
}

Test(emr_vagaro, token_fetched_again_when_expired_at_the_server)
{
    free(emr_world_availability(&w, "service=botox&from=2027-03-06&to=2027-03-07", 200));
    int granted = test_sim_state_int(&w.base.sim, "tokens_granted");
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/expire-tokens", 200));
    free(emr_world_availability(&w, "service=dysport&from=2027-03-06&to=2027-03-07", 200));
    cr_expect_eq(test_sim_state_int(&w.base.sim, "tokens_granted"), granted + 1, "a 401 fetched one new token");
}

Test(emr_vagaro, token_refreshed_before_it_expires)
{
    /* Tokens of 2 s: the plugin asks for the next one before the server
     * would refuse the old, so no request meets a 401. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?token_ttl=2", 200));
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/expire-tokens", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    free(b);
    int granted = test_sim_state_int(&w.base.sim, "tokens_granted"), refused = test_sim_state_int(&w.base.sim, "unauthorized");
    sleep(2);
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
    cr_expect_eq(test_sim_state_int(&w.base.sim, "tokens_granted"), granted + 1, "a fresh token");
    cr_expect_eq(test_sim_state_int(&w.base.sim, "unauthorized"), refused, "fetched before the old one was refused");
}

Test(emr_vagaro, customers_found_and_created)
{
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL && strstr(b, "\"c3001\"") != NULL,
              "the seeded customer: %s", b);
    free(b);
    const char *emily = "{\"first_name\":\"Emily\",\"last_name\":\"Chen\",\"phone\":\"+14155550101\"}";
    for (int i = 0; i < 2; i++) {
        st = emr_world_call(&w, "POST", "/patients", emily, &b);
        cr_assert(st == 200 || st == 201, "%ld %s", st, b);
        free(b);
    }
    cJSON *s = test_sim_json(&w.base.sim, "GET", "/_sim/state", 200);
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
    emr_world_hold_and_book(&w, "2027-03-05T16:00:00-08:00", state, sizeof state, appt, sizeof appt);
    cr_assert_str_eq(state, "booked");
    cr_assert(appt[0], "the booking names Vagaro's appointment");
    cr_expect_eq(sim_appointments("2027-03-05T16:00:00-08:00", "Confirmed"), 1,
                 "one appointment in Vagaro");
    cr_expect_eq(test_sim_requests(&w.base.sim, "POST appointments"), 1);
    long st;
    char *b = emr_world_plugin_call(&w, "appointment_list",
                          "{\"from\":\"2027-03-05T00:00:00Z\",\"to\":\"2027-03-07T00:00:00Z\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, appt) != NULL, "%s not listed: %s", appt, b);
    free(b);
    snprintf(input, sizeof input, "{\"appointment_id\":\"%s\",\"reason\":\"patient asked\"}", appt);
    for (int i = 0; i < 2; i++) {
        b = emr_world_plugin_call(&w, "cancel", input, &st);
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
    long st = emr_world_call(&w, "POST", "/holds",
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
    cr_assert_eq(test_http("POST", w.base.sim.port, "/us/api/v2/merchants/generate-access-token", jh, cred,
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
    cr_assert_eq(test_http("POST", w.base.sim.port, "/us/api/v2/appointments", ah, appt, strlen(appt), &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    test_http_resp_free(&r);
    char state[32];
    emr_world_book(&w, hold, state, sizeof state, NULL, 0);
    cr_expect_str_eq(state, "conflict", "Vagaro's 409 is a conflict");
    cr_expect_eq(sim_appointments("2027-03-05T16:30:00-08:00", "Confirmed"), 1, "no double booking");
}

Test(emr_vagaro, refused_client_credentials)
{
    /* The client secret was regenerated in Vagaro and the old token is gone. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/credentials?client_secret=regenerated", 200));
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/expire-tokens", 200));
    long st;
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_AUTH\"") != NULL, "%s", b);
    cr_expect(strstr(b, "vg-sim-secret-key") == NULL, "no secret in the error: %s", b);
    free(b);
    cr_expect_gt(test_sim_state_int(&w.base.sim, "unauthorized"), 0);
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/credentials?client_secret=vg-sim-secret-key", 200));
    b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"last_name\":\"Lopez\"") != NULL, "%s", b);
    free(b);
}

Test(emr_vagaro, rate_limit_waited_out_or_retryable)
{
    long st;
    /* One request a second: back-to-back reads meet a 429 with a short
     * Retry-After, waited out. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=1", 200));
    for (int i = 0; i < 3; i++) {
        char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
        cr_expect_eq(st, 200, "%d: %s", i, b);
        free(b);
    }
    cr_expect_gt(test_sim_state_int(&w.base.sim, "rate_limited"), 0, "Vagaro throttled at least once");
    /* A Retry-After far longer than a call may wait: retryable, no wait. */
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?retry_after=60", 200));
    char *b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    if (strstr(b, "\"rc\":\"BW_E_RETRY\"") == NULL) { /* the window had room: once more */
        free(b);
        b = emr_world_plugin_call(&w, "patient_find", "{\"phone\":\"+14155550142\"}", &st);
    }
    cr_expect_eq(st, 502, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_RETRY\"") != NULL, "%s", b);
    free(b);
    cJSON_Delete(test_sim_json(&w.base.sim, "POST", "/_sim/config?rate_limit=50&retry_after=0", 200));
}

Test(emr_vagaro, outage_then_recovered)
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

Test(emr_vagaro_link_only, reads_availability_and_names_the_booking_link)
{
    long st;
    char *b = emr_world_plugin_call(&w, "capabilities", "{}", &st);
    cr_expect_eq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"link_only\"") != NULL && strstr(b, "\"availability\"") != NULL, "%s", b);
    cr_expect(strstr(b, "\"book\"") == NULL && strstr(b, "\"cancel\"") == NULL, "%s", b);
    free(b);
    b = emr_world_availability(&w, "service=botox&provider=dr-smith&from=2027-03-05&to=2027-03-06", 200);
    cr_expect(strstr(b, "\"start\":\"2027-03-05T15:30:00-08:00\"") != NULL, "%s", b);
    free(b);
    /* A write is not the API's to make on this plan: refused, and nothing
     * reaches Vagaro. */
    int before = test_sim_requests(&w.base.sim, "PUT appointments/{id}/cancel");
    b = emr_world_plugin_call(&w, "cancel", "{\"appointment_id\":\"a8001\"}", &st);
    cr_expect_neq(st, 200, "%s", b);
    cr_expect(strstr(b, "\"rc\":\"BW_E_NOTSUP\"") != NULL, "%s", b);
    free(b);
    cr_expect_eq(test_sim_requests(&w.base.sim, "PUT appointments/{id}/cancel"), before);
    cr_expect_eq(sim_appointments("2027-03-05T15:00:00-08:00", "Confirmed"), 2,
                 "the seeded appointments stand");
}
