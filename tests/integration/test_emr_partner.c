/*
 * A Mangomint clinic with partner API access (emr.mangomint with api_base:
 * tests/sim/partner_sim.py) end to end, in the world the evaluation runner
 * builds: the daemon offers the partner API's free times, holds one, takes
 * the deposit through Square and books it through the partner endpoints
 * (the client created, then the appointment), with no staff task; a time the
 * partner API reports taken is not offered.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "eval/eval_world_internal.h"
#include "support/case_world.h"


static struct case_world cw;

static const char partner_case[] =
    "{\"id\":\"partner\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"pay_deposit\":true},{\"wait\":\"PT1M\"}],\"expect\":{}}";

static long scalar_long(const char *sql)
{
    char *v = case_world_scalar(&cw, "%s", sql);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

/* The partner simulator's state (the caller deletes). */
static cJSON *sim_state(void)
{
    char url[128];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/_sim/state", cw.world->emr_sim.base_url);
    cr_assert_eq(eval_http_json("GET", url, NULL, NULL, &r, &j), 0);
    eval_resp_free(&r);
    cr_assert_not_null(j);
    return j;
}

Test(emr_partner, offers_holds_and_books_through_the_partner_endpoints, .timeout = 240)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = partner_case, .emr = "mangomint-partner" };
    case_world_start(&cw, &o);
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    cr_assert(obs.hold_active_unpaid, "the partner API's time is held with a deposit link");
    cJSON *st = sim_state();
    cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(st, "requests"), "GET availability")),
                 0, "availability came from the partner API");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "clients")), 0, "nothing written yet");
    cJSON_Delete(st);

    case_world_step_as(&cw, 2, 0, &obs); /* Square's payment */
    case_world_step_as(&cw, 3, 0, &obs);
    st = sim_state();
    const cJSON *clients = cJSON_GetObjectItemCaseSensitive(st, "clients");
    cr_assert_eq(cJSON_GetArraySize(clients), 1, "the client is created in the partner API");
    const cJSON *cl = cJSON_GetArrayItem(clients, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cl, "last_name")), "Diaz");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cl, "phone")), "+14155550114");
    int booked = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(st, "appointments")) {
        const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "client_id"));
        if (!who || strcmp(who, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cl, "id"))) != 0)
            continue;
        booked++;
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "service_id")), "chemical-peel");
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "start")),
                         "2027-03-06T12:00:00-08:00");
    }
    cr_expect_eq(booked, 1, "one appointment written through the partner API");
    cJSON_Delete(st);
    cr_expect_eq(scalar_long("SELECT count(*) FROM bookings WHERE state = 'booked'"), 1);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks"), 0, "no staff task with partner access");
    bool told = false;
    for (size_t i = 0; i < obs.n_sent; i++)
        told |= strstr(obs.sent[i].text, "You're booked") != NULL;
    cr_expect(told, "the patient is told the booking is made");
    case_world_stop(&cw, false);
}
