/*
 * Confirmations, reminders and the answers to them, end to end in the world
 * the evaluation runner builds (bookwelld --test-clock, the Twilio and
 * Square simulators, the built-in calendar, the Glow clinic in Los Angeles,
 * a real PostgreSQL). Patients book by text and pay; the simulated clock
 * then moves through the reminder schedule:
 *  - the confirmation names the date, time, provider, address and policy,
 *    and its calendar link serves the appointment as iCalendar (a wrong
 *    token is 404); reminders go 48 and 2 hours before, under 160
 *    characters, naming the clinic and STOP; "C" confirms; a patient who
 *    does not answer raises the unconfirmed alert for staff a day before,
 *    and a question in answer to a reminder goes to staff;
 *  - "R" enters the reschedule flow and "I can't make it" the cancel flow,
 *    which cancels the appointment in the EMR (a bare "cancel" is an
 *    opt-out keyword and is answered as one before any of this);
 *  - quiet hours: a reminder due at 07:00 goes at 08:00; for a Florida
 *    number (FL 08:00-20:00) one due at 20:30 Eastern goes at 08:00 Eastern
 *    the next day, and one whose next window opens after the appointment is
 *    dropped; a Californian's goes on time;
 *  - across the DST change a reminder 99 hours before lands at the window's
 *    opening in standard time; an opted-out patient gets no reminder;
 *  - a patient with two visits on one day gets one reminder a day.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "eval/eval_world_internal.h"
#include "support/case_world.h"

#define STAFF_PHONE "+14155550199"

static struct case_world cw;
static const struct eval_patient_def staff = { .id = "staff", .channel = "sms",
                                               .phone = STAFF_PHONE };

static size_t count_matching(const struct eval_patient_obs *o, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_sent; i++)
        if (strstr(o->sent[i].text, needle))
            n++;
    return n;
}

static const char *find_sent(const struct eval_patient_obs *o, const char *needle)
{
    for (size_t i = 0; i < o->n_sent; i++)
        if (strstr(o->sent[i].text, needle))
            return o->sent[i].text;
    return NULL;
}

/* When the reminders of the patient with phone were sent (UTC, ISO 8601,
 * comma-separated in order), from the messages table. */
static char *reminder_times(const char *phone)
{
    return case_world_scalar(&cw, "SELECT coalesce(string_agg(to_char(m.sent_at AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI'), ',' ORDER BY m.sent_at), '') FROM messages m "
                  "JOIN contacts k ON k.tenant_id = m.tenant_id AND k.id = m.contact_id "
                  "WHERE k.address = '%s' AND m.direction = 'out' AND m.body LIKE "
                  "'%%: reminder of your %%' AND m.sent_at IS NOT NULL",
                  phone);
}

/* The outcomes of the reminders of the patient's booking, "offset:outcome"
 * in offset order, descending. */
static char *reminder_outcomes(const char *phone)
{
    return case_world_scalar(&cw, "SELECT coalesce(string_agg(s.offset_min || ':' || s.outcome, ',' "
                  "ORDER BY s.offset_min DESC), '') FROM reminder_sends s "
                  "JOIN bookings b ON b.tenant_id = s.tenant_id AND b.id = s.booking_id "
                  "JOIN holds h ON h.tenant_id = b.tenant_id AND h.id = b.hold_id "
                  "JOIN contacts k ON k.tenant_id = h.tenant_id AND k.id = h.contact_id "
                  "WHERE k.address = '%s'",
                  phone);
}

/* ---- confirmation, calendar, reminders, C, the unconfirmed alert ------- */

static const char confirm_case[] =
    "{\"id\":\"reminders-confirm\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550121\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550122\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"I'd like Botox on Friday at 3:30pm\"},"
    "{\"as\":\"p1\",\"say\":\"Emily Chen\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"Can I get a hydrafacial Friday at 11am?\"},"
    "{\"as\":\"p2\",\"say\":\"Noah Park\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true},"
    /* 6: to Wed 15:45, past both 48-hour reminders */
    "{\"wait\":\"PT29H45M\"},"
    "{\"as\":\"p1\",\"say\":\"C\"},"
    /* 8: to Thu 15:45, past both unconfirmed alerts (24 hours before) */
    "{\"wait\":\"P1D\"},"
    "{\"as\":\"p2\",\"say\":\"Is there parking nearby?\"},"
    /* 10: to Fri 15:45, past both 2-hour reminders */
    "{\"wait\":\"P1D\"}"
    "],\"expect\":{}}";

Test(reminders, confirmation_calendar_reminders_confirm_and_unconfirmed_alert, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = confirm_case,
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 6);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_assert_str_eq(eval_outcome(&obs), "booked");
    const char *conf = find_sent(&obs, "you're booked for");
    cr_assert_not_null(conf, "a confirmation after the booking");
    cr_expect(strstr(conf, "Glow Aesthetics") && strstr(conf, "Fri, Mar 5 at 3:30 PM") &&
                  strstr(conf, "210 Market St") && strstr(conf, "24 hours") &&
                  (strstr(conf, "Dr. Sarah Smith") || strstr(conf, "Jenna Park")),
              "date, time, provider, address, policy: %s", conf);
    const char *cal = strstr(conf, "/calendar/");
    cr_assert_not_null(cal, "a calendar link: %s", conf);
    char path[128], url[256];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(cal, " \n"), cal);
    cr_assert_eq(strlen(path), strlen("/calendar/") + 64 + 4, "%s", path);
    snprintf(url, sizeof url, "%s%s", cw.world->public_url, path);
    struct eval_resp r;
    cr_assert_eq(eval_http("GET", url, NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect(r.body && strstr(r.body, "BEGIN:VEVENT\r\n") &&
                  strstr(r.body, "DTSTART:20270305T233000Z\r\n") &&
                  strstr(r.body, "SUMMARY:Botox at Glow Aesthetics"),
              "%s", r.body ? r.body : "");
    eval_resp_free(&r);
    /* One changed character is another token: nothing. */
    size_t last = strlen(url) - 5;
    url[last] = url[last] == '0' ? '1' : '0';
    cr_assert_eq(eval_http("GET", url, NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 404);
    eval_resp_free(&r);

    case_world_steps(&cw, 6, 7);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    const char *rem = find_sent(&obs, ": reminder of your");
    cr_assert_not_null(rem, "the 48-hour reminder");
    cr_expect_lt(strlen(rem), 160u, "%s", rem);
    cr_expect(strstr(rem, "Glow Aesthetics") && strstr(rem, "STOP") && strstr(rem, "Reply C"),
              "%s", rem);
    char *t = reminder_times("+14155550121");
    cr_expect_str_eq(t, "2027-03-03T23:30", "48 hours before 15:30 PST Friday");
    free(t);
    t = reminder_times("+14155550122");
    cr_expect_str_eq(t, "2027-03-03T19:00", "48 hours before 11:00 PST Friday");
    free(t);

    case_world_steps(&cw, 7, 8); /* p1: C */
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_expect_not_null(find_sent(&obs, "you're confirmed for Botox"), "confirmed");
    t = case_world_scalar(&cw, "SELECT count(*) FROM appointment_reminders WHERE confirmed_by = 'reply'");
    cr_expect_str_eq(t, "1");
    free(t);

    case_world_steps(&cw, 8, 9); /* a day later: p2 never answered */
    case_world_observe(&cw, &staff, &obs);
    cr_expect_eq(count_matching(&obs, "is not confirmed by the patient"), 1u,
                 "one unconfirmed alert (p2's), got %zu of %zu", count_matching(&obs, "is not confirmed"), obs.n_sent);
    t = case_world_scalar(&cw, "SELECT count(*) FROM staff_alerts WHERE kind = 'booking.unconfirmed'");
    cr_expect_str_eq(t, "1");
    free(t);

    case_world_steps(&cw, 9, 10); /* p2 asks something in answer to the reminder */
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_expect_not_null(find_sent(&obs, "passed your message to the team"), "told staff will answer");
    t = case_world_scalar(&cw, "SELECT count(*) FROM staff_alerts WHERE kind = 'reminder.reply'");
    cr_expect_str_eq(t, "1", "staff are alerted of the answer");
    free(t);

    case_world_steps(&cw, 10, 11);
    t = reminder_times("+14155550121");
    cr_expect_str_eq(t, "2027-03-03T23:30,2027-03-05T21:30", "and 2 hours before");
    free(t);
    t = reminder_times("+14155550122");
    cr_expect_str_eq(t, "2027-03-03T19:00,2027-03-05T17:00");
    free(t);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_expect_str_eq(eval_outcome(&obs), "booked");
    cr_expect_eq(count_matching(&obs, "See you soon! Reply R to reschedule"), 1u,
                 "the 2-hour reminder does not ask a confirmed patient to confirm");
    case_world_stop(&cw, true);
}

/* ---- quiet hours, Florida's stricter window, too late ------------------- */

static const char quiet_case[] =
    "{\"id\":\"reminders-quiet\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"fl1\",\"channel\":\"sms\",\"phone\":\"+13055550131\"},"
    "{\"id\":\"fl2\",\"channel\":\"sms\",\"phone\":\"+13055550132\"},"
    "{\"id\":\"ca1\",\"channel\":\"sms\",\"phone\":\"+14155550133\"},"
    "{\"id\":\"ca2\",\"channel\":\"sms\",\"phone\":\"+14155550134\"}],"
    "\"script\":["
    "{\"as\":\"fl1\",\"say\":\"I'd like Botox on Thursday at 5:30pm\"},"
    "{\"as\":\"fl1\",\"say\":\"Ava Stone\"},"
    "{\"as\":\"fl1\",\"pay_deposit\":true},"
    "{\"as\":\"fl2\",\"say\":\"Lip filler on Thursday at 7pm please\"},"
    "{\"as\":\"fl2\",\"say\":\"Mia Ford\"},"
    "{\"as\":\"fl2\",\"pay_deposit\":true},"
    "{\"as\":\"ca1\",\"say\":\"Botox Thursday at 5pm?\"},"
    "{\"as\":\"ca1\",\"say\":\"Liam Wood\"},"
    "{\"as\":\"ca1\",\"pay_deposit\":true},"
    "{\"as\":\"ca2\",\"say\":\"Hydrafacial on Friday at 9am\"},"
    "{\"as\":\"ca2\",\"say\":\"Zoe Hart\"},"
    "{\"as\":\"ca2\",\"pay_deposit\":true},"
    "{\"wait\":\"P3DT2H\"}"
    "],\"expect\":{}}";

Test(reminders, quiet_hours_florida_and_too_late, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = quiet_case,
                                 .staff_phone = STAFF_PHONE,
                                 .state_rules = "FL 08:00-20:00 3" };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 12);
    const char *ids[] = { "fl1", "fl2", "ca1", "ca2" };
    for (int i = 0; i < 4; i++) {
        case_world_observe(&cw, case_world_patient(&cw, ids[i]), &obs);
        cr_assert_str_eq(eval_outcome(&obs), "booked", "%s", ids[i]);
    }
    case_world_steps(&cw, 12, 13);
    /* Thu 17:30 PST is 20:30 in Miami: 48 hours before is past Florida's
     * 20:00, so it goes at 08:00 Eastern on Wednesday (13:00 UTC); 2 hours
     * before is 18:30 Eastern, on time. */
    char *t = reminder_times("+13055550131");
    cr_expect_str_eq(t, "2027-03-03T13:00,2027-03-04T23:30", "fl1");
    free(t);
    /* Thu 19:00 PST (22:00 Eastern): the 2-hour reminder would be 20:00
     * Eastern, and Florida's next window opens after the appointment. */
    t = reminder_times("+13055550132");
    cr_expect_str_eq(t, "2027-03-03T13:00", "fl2");
    free(t);
    t = reminder_outcomes("+13055550132");
    cr_expect_str_eq(t, "2880:sent,120:too_late");
    free(t);
    /* A Californian's reminders are on time (17:00 PST is inside 08-21). */
    t = reminder_times("+14155550133");
    cr_expect_str_eq(t, "2027-03-03T01:00,2027-03-04T23:00", "ca1");
    free(t);
    /* Fri 09:00: 2 hours before is 07:00, held to the 08:00 opening. */
    t = reminder_times("+14155550134");
    cr_expect_str_eq(t, "2027-03-03T17:00,2027-03-05T16:00", "ca2");
    free(t);
    case_world_stop(&cw, false);
}

/* ---- across the DST change; an opted-out patient ----------------------- */

static const char dst_case[] =
    "{\"id\":\"reminders-dst\",\"clinic\":\"glow\",\"now\":\"2027-03-09T19:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550141\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550143\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"I'd like a hydrafacial on Wednesday March 17 at 10am\"},"
    "{\"as\":\"p1\",\"say\":\"Harper Quinn\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"I'd like a chemical peel on Wednesday March 17 at 2pm\"},"
    "{\"as\":\"p2\",\"say\":\"Ezra Cole\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"STOP\"},"
    "{\"wait\":\"P8D\"}"
    "],\"expect\":{}}";

Test(reminders, across_dst_and_not_to_an_opted_out_patient, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = dst_case,
                                 .catalog_json = "{\"reminders\": {\"hours_before\": [99, 2]}}",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 6);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_assert_str_eq(eval_outcome(&obs), "booked");
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_assert_str_eq(eval_outcome(&obs), "booked");
    case_world_steps(&cw, 6, 8);
    /* Wed Mar 17 10:00 PDT is 17:00 UTC; 99 hours before is Sat Mar 13
     * 14:00 UTC, 06:00 PST: held to the 08:00 PST opening (16:00 UTC, not
     * 15:00 as daylight time would give). 2 hours before: 08:00 PDT. */
    char *t = reminder_times("+14155550141");
    cr_expect_str_eq(t, "2027-03-13T16:00,2027-03-17T15:00");
    free(t);
    t = reminder_times("+14155550143");
    cr_expect_str_eq(t, "", "no reminder after STOP");
    free(t);
    t = reminder_outcomes("+14155550143");
    cr_expect_str_eq(t, "5940:opted_out,120:opted_out");
    free(t);
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    for (size_t i = 0; i < obs.n_sent; i++)
        cr_expect_not(obs.sent[i].after_optout && !strstr(obs.sent[i].text, "unsubscribed"),
                      "nothing after the opt-out but its confirmation: %s", obs.sent[i].text);
    case_world_stop(&cw, true);
}

/* ---- R and cancel -------------------------------------------------------- */

static const char change_case[] =
    "{\"id\":\"reminders-change\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550151\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550152\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"I'd like a hydrafacial on Friday at 1pm\"},"
    "{\"as\":\"p1\",\"say\":\"Ivy Lane\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"Chemical peel on Friday at 4pm\"},"
    "{\"as\":\"p2\",\"say\":\"Owen Reed\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true},"
    "{\"wait\":\"PT30H30M\"},"
    "{\"as\":\"p1\",\"say\":\"R\"},"
    "{\"as\":\"p2\",\"say\":\"I can't make it\"},"
    "{\"as\":\"p2\",\"say\":\"yes\"},"
    "{\"as\":\"p1\",\"say\":\"saturday at 11am\"},"
    "{\"wait\":\"PT43H\"}"
    "],\"expect\":{}}";

Test(reminders, reschedule_and_cancel_answers, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = change_case,
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 7);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_assert_not_null(find_sent(&obs, ": reminder of your"), "p1 was reminded");
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_assert_not_null(find_sent(&obs, ": reminder of your"), "p2 was reminded");
    case_world_steps(&cw, 7, 8);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    const char *last = obs.n_sent ? obs.sent[obs.n_sent - 1].text : "";
    cr_expect_eq(eval_regex_match("reschedul|move|what (day|time)|which (day|time)|"
                                  "works better|instead",
                                  last),
                 1, "the reschedule flow answers: %s", last);
    cr_expect_null(strstr(last, "confirmed for"), "R is not a confirmation: %s", last);
    case_world_steps(&cw, 8, 10);
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_expect_str_eq(eval_outcome(&obs), "cancelled");
    cr_expect(find_sent(&obs, "24 hours") != NULL || find_sent(&obs, "deposit") != NULL,
              "the cancellation says the policy");
    char *t = case_world_scalar(&cw, "SELECT count(*) FROM appointment_reminders WHERE reply_open");
    cr_expect_str_eq(t, "0", "both reminders are answered");
    free(t);
    /* The booking follows the cancel: cancelled, and a deposit given 47 hours
     * ahead (the policy asks 24) goes back. */
    t = case_world_scalar(&cw, "SELECT state FROM bookings WHERE patient->>'last_name' = 'Reed'");
    cr_expect_str_eq(t, "cancelled");
    free(t);
    t = case_world_scalar(&cw, "SELECT count(*) FROM evidence WHERE kind = 'deposit.fate' "
               "AND body LIKE '%%patient_cancelled%%' AND body LIKE '%%refund%%'");
    cr_expect_str_eq(t, "1", "the deposit is refunded by the policy");
    free(t);
    /* And the move: the booking's new time, reminded for it, not the old. */
    case_world_steps(&cw, 10, 11);
    t = case_world_scalar(&cw, "SELECT to_char(start_at AT TIME ZONE 'America/Los_Angeles', 'YYYY-MM-DD HH24:MI') "
               "FROM bookings WHERE patient->>'last_name' = 'Lane'");
    cr_expect_str_eq(t, "2027-03-06 11:00", "the booking moved with the appointment");
    free(t);
    case_world_steps(&cw, 11, 12); /* to Friday 11:30, past the old time's 2-hour reminder */
    t = case_world_scalar(&cw, "SELECT count(*) FROM reminder_sends s JOIN bookings b ON b.tenant_id = s.tenant_id "
               "AND b.id = s.booking_id WHERE b.patient->>'last_name' = 'Lane' AND s.offset_min = 120");
    cr_expect_str_eq(t, "0", "no 2-hour reminder for the old time");
    free(t);
    t = case_world_scalar(&cw, "SELECT count(*) FROM staff_alerts WHERE kind = 'booking.cancelled_in_emr'");
    cr_expect_str_eq(t, "0", "no false alert from reconciliation");
    free(t);
    case_world_stop(&cw, true);
}

/* ---- at most one reminder a day ----------------------------------------- */

static const char cap_case[] =
    "{\"id\":\"reminders-cap\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550191\"}],"
    "\"script\":["
    "{\"say\":\"Can I get a hydrafacial Friday at 11am?\"},"
    "{\"say\":\"Noah Park\"},"
    "{\"pay_deposit\":true},"
    "{\"say\":\"Can I also book a chemical peel on Friday at 3pm?\"},"
    "{\"pay_deposit\":true},"
    "{\"wait\":\"P3DT6H\"}"
    "],\"expect\":{}}";

Test(reminders, at_most_one_a_day_per_patient, .timeout = 300)
{
    struct case_world_opts o = { .case_json = cap_case,
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 5);
    char *t = case_world_scalar(&cw, "SELECT count(*) FROM bookings WHERE state = 'booked'");
    cr_assert_str_eq(t, "2", "two visits on Friday");
    free(t);
    case_world_steps(&cw, 5, 6);
    /* Wed 11:00 and Fri 09:00 go; Wed 15:00 and Fri 13:00 are the same
     * day's second. */
    t = case_world_scalar(&cw, "SELECT string_agg(s.offset_min || ':' || s.outcome, ',' ORDER BY s.decided_at, "
               "s.booking_id) FROM reminder_sends s");
    cr_expect_str_eq(t, "2880:sent,2880:daily_cap,120:sent,120:daily_cap");
    free(t);
    t = reminder_times("+14155550191");
    cr_expect_str_eq(t, "2027-03-03T19:00,2027-03-05T17:00");
    free(t);
    case_world_stop(&cw, true);
}
