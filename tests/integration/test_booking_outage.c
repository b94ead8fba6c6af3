/*
 * The booking writer through an EMR outage, end to end in the real daemon
 * (the evaluation's world: Twilio and Square simulators, emr.local, a real
 * PostgreSQL), over the shared case emr-outage-after-payment: the patient
 * asks for a Hydrafacial, gives a name, the EMR goes down (the test fault
 * switch: every EMR call fails as unavailable), the deposit is paid. The
 * patient is told at once that the booking is being confirmed; after ten
 * minutes of outage the staff number configured for the tenant has a text
 * alert; when the EMR is back the appointment is written exactly once and
 * the patient is told it is confirmed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_world.h"

#define STAFF_PHONE "+14155550199"

static struct eval_world *w;
static struct eval_case c;
static cJSON *clinic;

static size_t count_matching(const struct eval_patient_obs *o, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_sent; i++)
        if (strstr(o->sent[i].text, needle))
            n++;
    return n;
}

static void step(int i)
{
    char err[512];
    const cJSON *s = cJSON_GetArrayItem(c.script, i);
    cr_assert_not_null(s, "step %d", i + 1);
    cr_assert_eq(eval_world_step(w, s, &c.patients[0], err, sizeof err), 0, "step %d: %s", i + 1,
                 err);
}

static void observe(const struct eval_patient_def *p, struct eval_patient_obs *obs)
{
    char err[512];
    cr_assert_eq(eval_world_observe(w, p, obs, err, sizeof err), 0, "%s", err);
    for (size_t k = 0; getenv("BW_DRIVER_TRACE") && k < obs->n_sent; k++)
        fprintf(stderr, "%s sent[%zu]: %s\n", p->phone, k, obs->sent[k].text);
}

Test(booking_outage, emr_down_ten_minutes_written_once_patient_and_staff_told, .timeout = 240)
{
    char err[512], path[512], cpath[512];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    snprintf(cpath, sizeof cpath, "%s/eval/cases/emr-outage-after-payment.json",
             shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    /* The script this test walks through, step by step. */
    const char *expect_steps[] = { "say", "say", "emr", "pay_deposit", "wait", "emr", "wait" };
    for (int i = 0; i < 7; i++)
        cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(c.script, i),
                                                            expect_steps[i]),
                           "step %d is not %s", i + 1, expect_steps[i]);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".",
                                 .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic,
                                 .staff_phone = STAFF_PHONE };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);
    struct eval_patient_def staff = { .id = "staff", .channel = "sms", .phone = STAFF_PHONE };

    struct eval_patient_obs obs;
    for (int i = 0; i < 4; i++) /* asked, named, EMR down, deposit paid */
        step(i);
    observe(&c.patients[0], &obs);
    cr_expect_eq(obs.n_appts, 0u, "nothing is written while the EMR is down");
    cr_expect_eq(count_matching(&obs, "is being confirmed"), 1u,
                 "the patient is told once that the booking is being confirmed");
    cr_expect_eq(count_matching(&obs, "is confirmed"), 0u);
    observe(&staff, &obs);
    cr_expect_eq(obs.n_sent, 0u, "staff are not alerted at the first failure");

    step(4); /* ten minutes of outage */
    observe(&c.patients[0], &obs);
    cr_expect_eq(obs.n_appts, 0u, "still nothing written during the outage");
    cr_expect_eq(count_matching(&obs, "is being confirmed"), 1u, "told once, not per retry");
    observe(&staff, &obs);
    cr_expect_eq(obs.n_sent, 1u, "one staff alert past the threshold, got %zu", obs.n_sent);
    cr_expect_eq(count_matching(&obs, "has not reached the EMR"), 1u);
    struct eval_stored st = { 0 };
    cr_assert_eq(eval_world_stored(w, &st, err, sizeof err), 0, "%s", err);
    cr_expect_not_null(eval_stored_find(&st, "booking.delayed"), "a staff_alerts row");
    cr_expect_not_null(eval_stored_find(&st, "staff alert"), "a log line");
    eval_stored_free(&st);

    step(5); /* the EMR is back */
    step(6); /* ten more minutes */
    observe(&c.patients[0], &obs);
    cr_expect_eq(obs.n_appts, 1u, "written exactly once, got %zu", obs.n_appts);
    cr_expect(obs.n_appts == 1 && obs.appts[0].created && !obs.appts[0].cancelled);
    cr_expect_eq(count_matching(&obs, "is confirmed"), 1u, "the patient is told it is confirmed");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c.expect, "p1");
    char why[256] = "";
    cr_expect_eq(eval_check_patient(expect, &obs, why, sizeof why), 0, "%s", why);
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);
    observe(&staff, &obs);
    cr_expect_eq(obs.n_sent, 1u, "no further staff text");
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&c);
    cJSON_Delete(clinic);
}
