/*
 * Attendance read back from the EMR, end to end in the evaluation's world
 * (bookwelld --test-clock, the Twilio and Square simulators, the built-in
 * calendar, the Glow clinic, a real PostgreSQL). Three patients book and
 * pay; the clinic then marks one appointment completed and one a no-show
 * in its calendar, and leaves the third as booked. An hour after each
 * appointment ends the attendance job reads the calendar: the completed
 * one is recorded and its deposit applied, the no-show recorded, its
 * deposit forfeited under the clinic's 24-hour policy and the patient
 * offered a rebooking once; the unmarked one is looked at again and stays
 * unrecorded.
 *
 * Recall follows a visit that took place, for a service with a recall
 * interval: one message, only to a patient with marketing consent on
 * record, none to one without, none to one who opted out since.
 *
 * The built-in calendar has no screen of its own for attendance: the test
 * marks the appointments in its storage (plugin_kv, cal/<date>/<provider>),
 * as a clinic's EMR would hold them.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The clinic marks the appointment of the patient with phone as status. */
static void mark(const char *phone, const char *status)
{
    char *aid = case_world_scalar(&cw, "SELECT b.emr_appointment_id FROM bookings b JOIN holds h "
                       "ON h.tenant_id = b.tenant_id AND h.id = b.hold_id JOIN contacts k "
                       "ON k.tenant_id = h.tenant_id AND k.id = h.contact_id "
                       "WHERE k.address = '%s' AND b.state = 'booked'",
                       phone);
    cr_assert(aid[0], "a booked appointment for %s", phone);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "UPDATE plugin_kv SET value = convert_to(jsonb_set(convert_from(value, 'UTF8')::jsonb, "
             "'{appts}', (SELECT jsonb_agg(CASE WHEN e->>'id' = '%s' THEN e || "
             "jsonb_build_object('status', '%s') ELSE e END) FROM jsonb_array_elements("
             "convert_from(value, 'UTF8')::jsonb->'appts') e))::text, 'UTF8') "
             "WHERE key LIKE 'cal/%%' AND position('%s' in convert_from(value, 'UTF8')) > 0",
             aid, status, aid);
    PGresult *r = PQexec(cw.db, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cw.db));
    cr_assert_str_eq(PQcmdTuples(r), "1", "one calendar day holds %s", aid);
    PQclear(r);
    free(aid);
}

static const char attendance_case[] =
    "{\"id\":\"attendance\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550171\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550172\"},"
    "{\"id\":\"p3\",\"channel\":\"sms\",\"phone\":\"+14155550173\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"Can I get a hydrafacial Friday at 11am?\"},"
    "{\"as\":\"p1\",\"say\":\"Noah Park\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"Chemical peel on Friday at 2pm please\"},"
    "{\"as\":\"p2\",\"say\":\"Ava Stone\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true},"
    "{\"as\":\"p3\",\"say\":\"I'd like Botox on Friday at 4pm\"},"
    "{\"as\":\"p3\",\"say\":\"Mia Ford\"},"
    "{\"as\":\"p3\",\"pay_deposit\":true},"
    /* 9: to Fri 17:00, after the appointments, before the last check */
    "{\"wait\":\"P3DT7H\"},"
    /* 10: Fri 17:00 to Sun 17:00 */
    "{\"wait\":\"P2D\"}"
    "],\"expect\":{}}";

Test(attendance, read_back_deposit_fate_and_one_rebook_offer, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = attendance_case,
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 9);
    const char *ids[] = { "p1", "p2", "p3" };
    for (int i = 0; i < 3; i++) {
        case_world_observe(&cw, case_world_patient(&cw, ids[i]), &obs);
        cr_assert_str_eq(eval_outcome(&obs), "booked", "%s", ids[i]);
    }
    mark("+14155550171", "completed");
    mark("+14155550172", "no_show");
    case_world_steps(&cw, 9, 11);
    char *t = case_world_scalar(&cw, "SELECT string_agg(k.address || ':' || a.state || ':' || a.provider_id || ':' "
                     "|| to_char(a.appointment_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI'), ',' "
                     "ORDER BY k.address) FROM attendance a JOIN bookings b ON b.tenant_id = "
                     "a.tenant_id AND b.id = a.booking_id JOIN holds h ON h.tenant_id = "
                     "b.tenant_id AND h.id = b.hold_id JOIN contacts k ON k.tenant_id = "
                     "h.tenant_id AND k.id = h.contact_id");
    cr_expect_str_eq(t, "+14155550171:completed:ashley:2027-03-05T19:00,"
                        "+14155550172:no_show:ashley:2027-03-05T22:00",
                     "the unmarked appointment stays unrecorded");
    free(t);
    /* The deposits follow: applied for the one who came, forfeited for the
     * no-show (within 24 hours of the start, by the clinic's policy). */
    t = case_world_scalar(&cw, "SELECT string_agg(body::jsonb->>'occasion' || ':' || (body::jsonb->>'fate'), ',' "
               "ORDER BY body::jsonb->>'occasion') FROM evidence WHERE kind = 'deposit.fate'");
    cr_expect_str_eq(t, "no_show:forfeited,showed:applied");
    free(t);
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    size_t offers = 0;
    for (size_t i = 0; i < obs.n_sent; i++)
        if (strstr(obs.sent[i].text, "we missed you"))
            offers++;
    cr_expect_eq(offers, 1u, "one rebook offer to the no-show, got %zu", offers);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    for (size_t i = 0; i < obs.n_sent; i++)
        cr_expect_null(strstr(obs.sent[i].text, "we missed you"), "not to who came");
    /* The unmarked one is looked at again: one check still queued. */
    t = case_world_scalar(&cw, "SELECT count(*) FROM jobs WHERE kind = 'attendance.check' AND state = 'queued'");
    cr_expect_str_eq(t, "1");
    free(t);
    t = case_world_scalar(&cw, "SELECT count(*) FROM jobs WHERE kind = 'attendance.check' AND state = 'done'");
    cr_expect_gt(atoi(t), 3, "the first checks and the rechecks ran, got %s", t);
    free(t);
    case_world_stop(&cw, true);
}

static const char recall_case[] =
    "{\"id\":\"recall\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550174\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550175\"},"
    "{\"id\":\"p3\",\"channel\":\"sms\",\"phone\":\"+14155550176\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"Can I get a hydrafacial Friday at 11am?\"},"
    "{\"as\":\"p1\",\"say\":\"Noah Park\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p2\",\"say\":\"Can I get a hydrafacial Friday at 1pm?\"},"
    "{\"as\":\"p2\",\"say\":\"Ava Stone\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true},"
    "{\"as\":\"p3\",\"say\":\"Can I get a hydrafacial Friday at 3pm?\"},"
    "{\"as\":\"p3\",\"say\":\"Mia Ford\"},"
    "{\"as\":\"p3\",\"pay_deposit\":true},"
    /* 9: Fri 17:00 */
    "{\"wait\":\"P3DT7H\"},"
    "{\"as\":\"p3\",\"say\":\"STOP\"},"
    /* 11: past 30 days after the visits */
    "{\"wait\":\"P31D\"}"
    "],\"expect\":{}}";

static void marketing_consent(const char *phone)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO consent_events (tenant_id, contact, kind, source, scope, basis, channel, "
             "consent_text, at) VALUES ('glow', '%s', 'consent', 'web_form', 'marketing', "
             "'express', 'sms', 'Text me about offers and rebooking', now())",
             phone);
    PGresult *r = PQexec(cw.db, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cw.db));
    PQclear(r);
}

Test(attendance, recall_only_with_marketing_consent, .timeout = 300)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = recall_case,
                                 .catalog_json = "{\"recall\": {\"hydrafacial\": 30}}",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    /* Recall after 30 days, set on the catalog. */
    case_world_steps(&cw, 0, 9);
    marketing_consent("+14155550174");
    marketing_consent("+14155550176");
    mark("+14155550174", "completed");
    mark("+14155550175", "completed");
    mark("+14155550176", "completed");
    case_world_steps(&cw, 9, 12);
    const char *ids[] = { "p1", "p2", "p3" };
    size_t want[] = { 1, 0, 0 };
    for (int i = 0; i < 3; i++) {
        case_world_observe(&cw, case_world_patient(&cw, ids[i]), &obs);
        size_t n = 0;
        for (size_t k = 0; k < obs.n_sent; k++)
            if (strstr(obs.sent[k].text, "book your next visit"))
                n++;
        cr_expect_eq(n, want[i], "%s: %zu recall messages", ids[i], n);
    }
    char *t = case_world_scalar(&cw, "SELECT string_agg(outcome, ',' ORDER BY booking_id) FROM recall_sends");
    cr_expect_str_eq(t, "sent,no_marketing_consent,no_marketing_consent",
                     "p3's consent came before the opt-out");
    free(t);
    /* 30 days after Fri Mar 5 11:00 PST: Sun Apr 4 19:00 UTC (12:00 PDT). */
    t = case_world_scalar(&cw, "SELECT to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI') FROM messages m "
               "WHERE m.body LIKE '%%book your next visit%%'");
    cr_expect_str_eq(t, "2027-04-04T19:00");
    free(t);
    case_world_stop(&cw, true);
}
