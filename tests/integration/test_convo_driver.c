/*
 * The conversation driver end to end in the real daemon: bookwelld with the
 * Twilio plugin and its simulator, the built-in calendar (emr.local) and the
 * Square plugin and its simulator, a real PostgreSQL, set up the way the
 * evaluation runner does it (tests/eval/eval_world.c) with the Glow clinic.
 * A missed call gets the text-back; "new client, want Botox" gets slots offered,
 * "Friday 3:30" that slot, asking for a name; the name gets the deposit
 * link (the Square simulator's checkout URL, the clinic's deposit amount);
 * the simulator's payment books the appointment in emr.local with a new
 * client of that name, after the payment. An existing client's appointment,
 * found by their phone in emr.local, is cancelled after the policy is said
 * and the patient confirms, and moved to the time they name. The same
 * booking on Instagram (Meta's signed webhooks, the Instagram simulator's
 * Send API) for a patient with no phone, who becomes a new client without
 * one, and on the web chat widget's endpoints.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_world.h"

static const char case_json[] =
    "{\"id\":\"driver-e2e\",\"clinic\":\"glow\",\"now\":\"2027-03-02T20:15:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550101\"}],"
    "\"script\":[{\"missed_call\":true},{\"say\":\"Yes, new client, want Botox\"},"
    "{\"say\":\"Friday 3:30 works\"},{\"say\":\"Emily Chen\"},{\"pay_deposit\":true}],\"expect\":{}}";

static struct eval_world *w;
static struct eval_case c;
static cJSON *clinic;

static bool sent_matches(const struct eval_patient_obs *o, const char *needle)
{
    for (size_t i = 0; i < o->n_sent; i++)
        if (strstr(o->sent[i].text, needle))
            return true;
    return false;
}

static void step(int i, struct eval_patient_obs *obs)
{
    char err[512];
    const cJSON *s = cJSON_GetArrayItem(c.script, i);
    cr_assert_eq(eval_world_step(w, s, &c.patients[0], err, sizeof err), 0, "step %d: %s", i + 1, err);
    cr_assert_eq(eval_world_observe(w, &c.patients[0], obs, err, sizeof err), 0, "%s", err);
    for (size_t k = 0; getenv("BW_DRIVER_TRACE") && k < obs->n_sent; k++)
        fprintf(stderr, "step %d sent[%zu]: %s\n", i + 1, k, obs->sent[k].text);
}

/* Starts the world (daemon, simulators, emr.local with the Glow clinic)
 * for the case text json. */
static void start(const char *json)
{
    char err[512], path[512];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    char cpath[] = "/tmp/bw-driver-case-XXXXXX";
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);
}

static void stop(void)
{
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&c);
    cJSON_Delete(clinic);
}

Test(convo_driver, missed_call_to_booked_appointment, .timeout = 180)
{
    char err[512];
    start(case_json);
    struct eval_patient_obs obs;
    step(0, &obs);
    cr_assert_eq(obs.n_sent, 1, "one text-back, got %zu messages", obs.n_sent);
    cr_expect(sent_matches(&obs, "Glow Aesthetics"), "the text-back names the clinic: %s", obs.sent[0].text);
    cr_expect(sent_matches(&obs, "missed your call"), "%s", obs.sent[0].text);

    step(1, &obs);
    cr_assert_eq(obs.n_sent, 2);
    cr_expect(strstr(obs.sent[1].text, "Which would you like") != NULL, "slots offered: %s", obs.sent[1].text);

    step(2, &obs);
    cr_assert_eq(obs.n_sent, 3);
    cr_expect(strstr(obs.sent[2].text, "3:30 PM") != NULL, "the asked-for slot: %s", obs.sent[2].text);
    cr_expect(strstr(obs.sent[2].text, "/checkout/") == NULL, "no link before the name");

    step(3, &obs);
    cr_assert_eq(obs.n_sent, 4, "the deposit link, got %zu messages", obs.n_sent);
    cr_expect(strstr(obs.sent[3].text, "/checkout/") != NULL, "a checkout link: %s", obs.sent[3].text);
    cr_expect(strstr(obs.sent[3].text, "{link}") == NULL, "the mark is replaced: %s", obs.sent[3].text);
    cr_expect_eq(obs.last_deposit_cents, 5000, "the clinic's new-client Botox deposit");
    cr_expect(obs.hold_active_unpaid, "the slot is held until payment");
    cr_expect_eq(obs.n_appts, 0, "nothing written in the EMR before payment");

    step(4, &obs);
    /* The assistant's answer to the payment, then the booking's confirmation
     * with its calendar link once the EMR has it (host/reminders.h). */
    cr_assert_eq(obs.n_sent, 6, "the confirmations, got %zu messages", obs.n_sent);
    cr_expect(strstr(obs.sent[4].text, "booked") != NULL, "%s", obs.sent[4].text);
    cr_expect(strstr(obs.sent[5].text, "/calendar/") != NULL, "%s", obs.sent[5].text);
    cr_expect_not(obs.hold_active_unpaid);
    cr_expect_not(obs.deposit_due_unpaid);
    size_t created = 0;
    for (size_t i = 0; i < obs.n_appts; i++)
        if (obs.appts[i].created) {
            created++;
            cr_expect_str_eq(obs.appts[i].service, "botox");
            cr_expect_str_eq(obs.appts[i].start, "2027-03-05T15:30");
        }
    cr_expect_eq(created, 1, "one appointment in emr.local, got %zu", created);
    cr_expect(obs.client_created, "a new client in emr.local");
    cr_expect_str_eq(obs.client_first_name ? obs.client_first_name : "", "Emily");
    cr_expect_str_eq(obs.client_last_name ? obs.client_last_name : "", "Chen");
    cr_expect_str_eq(eval_outcome(&obs), "booked");
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);
    stop();
}

/* Dana (+14155550177) has a Lip Filler with Dr. Smith on Friday March 5 at
 * 14:00 in the clinic file. */
Test(convo_driver, existing_client_cancels_through_the_emr, .timeout = 180)
{
    char err[512];
    start("{\"id\":\"driver-cancel\",\"clinic\":\"glow\",\"now\":\"2027-03-02T15:00:00\","
          "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
          "\"script\":[{\"say\":\"I need to cancel my appointment\"},{\"say\":\"yes\"}],\"expect\":{}}");
    struct eval_patient_obs obs;
    step(0, &obs);
    cr_assert_eq(obs.n_sent, 1);
    cr_expect(strstr(obs.sent[0].text, "Dana") != NULL, "greets the known client: %s", obs.sent[0].text);
    cr_expect(strstr(obs.sent[0].text, "Lip Filler") != NULL, "names the EMR's appointment: %s",
              obs.sent[0].text);
    cr_expect(strstr(obs.sent[0].text, "24 hours") != NULL, "says the clinic's policy: %s", obs.sent[0].text);
    cr_expect_eq(obs.n_appts, 0, "nothing cancelled before the patient confirms");

    step(1, &obs);
    cr_assert_eq(obs.n_sent, 2);
    cr_expect(strstr(obs.sent[1].text, "cancelled") != NULL, "%s", obs.sent[1].text);
    cr_assert_eq(obs.n_appts, 1, "one appointment changed in emr.local, got %zu", obs.n_appts);
    cr_expect(obs.appts[0].cancelled);
    cr_expect_str_eq(obs.appts[0].start, "2027-03-05T14:00");
    cr_expect_not(obs.client_created);
    cr_expect_not(obs.handoff, "no handoff: the assistant did it");
    cr_expect_str_eq(eval_outcome(&obs), "cancelled");
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);
    stop();
}

Test(convo_driver, existing_client_moves_an_appointment_through_the_emr, .timeout = 180)
{
    char err[512];
    start("{\"id\":\"driver-move\",\"clinic\":\"glow\",\"now\":\"2027-03-02T15:00:00\","
          "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
          "\"script\":[{\"say\":\"can I move my lip filler on friday to saturday at 11?\"}],\"expect\":{}}");
    struct eval_patient_obs obs;
    step(0, &obs);
    cr_assert_eq(obs.n_sent, 1);
    cr_expect(strstr(obs.sent[0].text, "moved") != NULL, "%s", obs.sent[0].text);
    size_t moved = 0;
    for (size_t i = 0; i < obs.n_appts; i++)
        if (obs.appts[i].moved) {
            moved++;
            cr_expect_str_eq(obs.appts[i].service, "lip-filler");
            cr_expect_str_eq(obs.appts[i].provider, "dr-smith");
            cr_expect_str_eq(obs.appts[i].start, "2027-03-06T11:00");
        }
    cr_expect_eq(moved, 1, "one appointment moved in emr.local, got %zu", moved);
    cr_expect_not(obs.client_created);
    cr_expect_str_eq(eval_outcome(&obs), "rescheduled");
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);
    stop();
}

static const char other_channels_json[] =
    "{\"id\":\"driver-channels\",\"clinic\":\"glow\",\"now\":\"2027-03-03T13:00:00\","
    "\"patients\":[{\"id\":\"ig\",\"channel\":\"instagram\",\"ig_user\":\"17841400000000077\"},"
    "{\"id\":\"wc\",\"channel\":\"webchat\",\"visitor\":\"v-0077\"}],"
    "\"script\":[{\"say\":\"can I get botox thursday at 11\"},{\"say\":\"Nina Alvarez\"},"
    "{\"pay_deposit\":true},{\"as\":\"wc\",\"say\":\"what are your hours on saturday?\"}],"
    "\"expect\":{}}";

Test(convo_driver, instagram_without_a_phone_and_web_chat, .timeout = 180)
{
    char err[512], path[512];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    char cpath[] = "/tmp/bw-driver-case-XXXXXX";
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, other_channels_json, sizeof other_channels_json - 1),
                 (ssize_t)(sizeof other_channels_json - 1));
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);

    struct eval_patient_obs obs;
    const struct eval_patient_def *ig = &c.patients[0], *wc = &c.patients[1];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(eval_world_step(w, cJSON_GetArrayItem(c.script, i), ig, err, sizeof err), 0,
                     "step %d: %s", i + 1, err);
    cr_assert_eq(eval_world_observe(w, ig, &obs, err, sizeof err), 0, "%s", err);
    cr_assert_geq(obs.n_sent, 3, "replies on Instagram, got %zu", obs.n_sent);
    cr_expect(sent_matches(&obs, "/checkout/"), "the deposit link reached Instagram");
    cr_expect_str_eq(eval_outcome(&obs), "booked");
    cr_expect(obs.client_created, "a new client without a phone in emr.local");
    cr_assert_eq(obs.n_appts, 1);
    cr_expect_str_eq(obs.appts[0].service, "botox");
    cr_expect_str_eq(obs.appts[0].start, "2027-03-04T11:00");

    cr_assert_eq(eval_world_step(w, cJSON_GetArrayItem(c.script, 3), wc, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(eval_world_observe(w, wc, &obs, err, sizeof err), 0, "%s", err);
    cr_assert_geq(obs.n_sent, 1, "a reply on the widget's event stream");
    cr_expect(sent_matches(&obs, "9"), "Saturday's hours: %s", obs.sent[0].text);
    cr_expect_str_eq(eval_outcome(&obs), "no_booking");
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);

    eval_world_stop(w);
    w = NULL;
    eval_case_free(&c);
    cJSON_Delete(clinic);
}

/* An urgent medical message at 10 PM: the patient is told to call 911 or the
 * clinic's line, the conversation goes to staff, and the clinic's staff
 * number gets one text that says it is urgent without the patient's words;
 * a redelivered webhook alerts no one twice. */
static const char urgent_json[] =
    "{\"id\":\"driver-urgent\",\"clinic\":\"glow\",\"now\":\"2027-03-05T22:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550108\"}],"
    "\"script\":[{\"say\":\"I had filler last month and my lip is swollen and hard, is that "
    "normal??\"}],\"expect\":{}}";

Test(convo_driver, an_urgent_message_alerts_the_staff_number_once, .timeout = 180)
{
    char err[512], path[512];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    char cpath[] = "/tmp/bw-driver-case-XXXXXX";
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, urgent_json, sizeof urgent_json - 1), (ssize_t)(sizeof urgent_json - 1));
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic,
                                 .staff_phone = "+14155550199" };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);

    struct eval_patient_obs obs;
    step(0, &obs);
    cr_assert_geq(obs.n_sent, 1);
    cr_expect(sent_matches(&obs, "911"), "the patient is told what to do now: %s", obs.sent[0].text);
    cr_expect_str_eq(eval_outcome(&obs), "handoff");

    struct eval_patient_def staff = { .id = "staff", .channel = "sms", .phone = "+14155550199" };
    cr_assert_eq(eval_world_observe(w, &staff, &obs, err, sizeof err), 0, "%s", err);
    cr_assert_eq(obs.n_sent, 1, "one text to the staff number, got %zu", obs.n_sent);
    cr_expect(strstr(obs.sent[0].text, "urgent") != NULL, "%s", obs.sent[0].text);
    cr_expect(strstr(obs.sent[0].text, "swollen") == NULL, "no patient words: %s", obs.sent[0].text);
    cr_expect(strstr(obs.sent[0].text, "filler") == NULL, "no health details: %s", obs.sent[0].text);

    /* Rule 8 redelivers every webhook: still one alert. */
    cr_expect_eq(eval_world_check_rules(w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(eval_world_observe(w, &staff, &obs, err, sizeof err), 0, "%s", err);
    cr_expect_eq(obs.n_sent, 1, "a redelivery alerts no one twice, got %zu", obs.n_sent);
    stop();
}
