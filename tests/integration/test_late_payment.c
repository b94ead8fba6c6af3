/*
 * Late payments and a deposit's fate end to end, in the world the
 * evaluation runner builds (the real daemon with --test-clock, Twilio and
 * Square plugins and simulators, the built-in calendar, the Glow clinic, a
 * real PostgreSQL):
 *  - a link paid two hours after its hold lapsed, the slot still free: the
 *    appointment is booked; the booking's evidence (GET /bookings/{id}/
 *    evidence with the clinic's API key, JSON and HTML) holds the offer and
 *    policy, the link, the payment and the EMR write, chain intact, and a
 *    changed row is reported; the clinic cancelling refunds the deposit in
 *    full through Square (POST /bookings/{id}/outcome); the payment is
 *    recorded as CASL's implied consent of a purchase;
 *  - a link paid after another patient took the slot: no appointment, the
 *    patient is told and staff take over, and the deposit is refunded
 *    through Square once the policy's grace period passes;
 *  - a lapsed link stays payable until its slot can no longer be honoured:
 *    another patient books it, or it is closer than the minimum notice;
 *    then it is deleted at Square.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
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
#include "support/daemon_proc.h"


static struct case_world cw;

static char *scalar(const char *sql)
{
    return case_world_scalar(&cw, "%s", sql);
}

static long scalar_long(const char *sql)
{
    char *v = scalar(sql);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

static bool has_kind(const cJSON *doc, const char *kind)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "entries"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "kind")), kind) == 0)
            return true;
    return false;
}

/* How many refunds the Square simulator made. */
static int square_refunds(void)
{
    char url[128];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/_sim/state", cw.world->square.base_url);
    cr_assert_eq(eval_http_json("GET", url, NULL, NULL, &r, &j), 0);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "refunds"));
    cJSON_Delete(j);
    eval_resp_free(&r);
    return n;
}

static const char still_free[] =
    "{\"id\":\"late-free\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"wait\":\"PT2H\"},{\"pay_deposit\":true},{\"wait\":\"PT5M\"}],\"expect\":{}}";

Test(late_payment, slot_still_free_books_and_the_evidence_shows_it, .timeout = 240)
{
    struct eval_patient_obs obs;
    char err[512];
    case_world_start(&cw, &(struct case_world_opts){ .case_json = still_free });
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    cr_assert(obs.hold_active_unpaid, "held with a link");
    cr_assert_gt(obs.n_sent, 0);
    const char *link_msg = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(link_msg, "/checkout/") != NULL && strstr(link_msg, "at least 24 hours") != NULL,
              "the link comes with the cancellation policy: %s", link_msg);
    cr_expect_leq(strlen(link_msg), 480);
    case_world_step_as(&cw, 2, 0, &obs);
    cr_assert_not(obs.hold_active_unpaid, "the hold lapsed");
    cr_assert_eq(scalar_long("SELECT count(*) FROM deposits WHERE status = 'created'"), 1,
                 "the link stays payable after the hold lapsed");
    case_world_step_as(&cw, 3, 0, &obs);
    cr_assert_str_eq(eval_outcome(&obs), "booked");
    size_t created = 0;
    for (size_t i = 0; i < obs.n_appts; i++)
        if (obs.appts[i].created) {
            created++;
            cr_expect_str_eq(obs.appts[i].service, "chemical-peel");
            cr_expect_str_eq(obs.appts[i].start, "2027-03-06T12:00");
        }
    cr_assert_eq(created, 1);
    cr_expect_eq(eval_world_check_rules(cw.world, err, sizeof err), 0, "%s", err);

    long booking = scalar_long("SELECT id FROM bookings WHERE state = 'booked'");
    cr_assert_gt(booking, 0);
    char auth[256];
    case_world_api_key(&cw, auth, sizeof auth, NULL, 0);
    char path[128];
    cJSON *doc = NULL;
    char *html = NULL;
    snprintf(path, sizeof path, "/bookings/%ld/evidence", booking);
    cr_assert_eq(case_world_call(&cw, "GET", path, auth, NULL, &doc, NULL), 200);
    cr_expect(has_kind(doc, "deposit.offered"), "the offer and the policy shown");
    cr_expect(has_kind(doc, "deposit.link_created"), "the link sent");
    cr_expect(has_kind(doc, "deposit.payment_event"), "the payment");
    cr_expect(has_kind(doc, "booking.emr_written"), "the EMR write");
    cr_expect(has_kind(doc, "consent.implied_purchase"), "the consent the booking rests on");
    cr_expect_eq(scalar_long("SELECT count(*) FROM consent_events WHERE contact = '+14155550114'"
                             " AND basis = 'implied_purchase'"),
                 1, "the purchase is CASL's implied consent");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "verification");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "intact")));
    cr_expect_eq((long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "booking_id")), booking);
    char *text = cJSON_PrintUnformatted(doc);
    cr_expect(strstr(text, "Cancel or reschedule at least 24 hours") != NULL, "the policy text: %s", text);
    cr_expect(strstr(text, "Morgan") == NULL, "no patient name in the trail");
    free(text);
    cJSON_Delete(doc);

    snprintf(path, sizeof path, "/bookings/%ld/evidence?format=html", booking);
    cr_assert_eq(case_world_call(&cw, "GET", path, auth, NULL, NULL, &html), 200);
    cr_expect(strstr(html, "<table>") != NULL && strstr(html, "hash chain intact") != NULL, "%s", html);
    cr_expect(strstr(html, "booking.emr_written") != NULL);
    free(html);

    /* Without the key, another clinic's view, or no such booking. */
    cr_expect_eq(case_world_call(&cw, "GET", path, NULL, NULL, NULL, NULL), 401);
    snprintf(path, sizeof path, "/bookings/%ld/evidence", booking + 1000);
    cr_expect_eq(case_world_call(&cw, "GET", path, auth, NULL, NULL, NULL), 404);
    cr_expect_eq(case_world_call(&cw, "GET", "/bookings/x/evidence", auth, NULL, NULL, NULL), 404);

    /* The clinic cancels: a full refund through Square, recorded. */
    snprintf(path, sizeof path, "/bookings/%ld/outcome", booking);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, "{\"event\":\"rained\"}", NULL, NULL), 400);
    cr_assert_eq(square_refunds(), 0);
    cr_assert_eq(case_world_call(&cw, "POST", path, auth, "{\"event\":\"clinic_cancelled\"}", &doc, NULL), 200);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "fate")), "refunded");
    cJSON_Delete(doc);
    case_world_step_as(&cw, 4, 0, &obs); /* the refund job and Square's refund notifications */
    cr_expect_eq(square_refunds(), 1);
    /* Square's refund notification arrives after its answer. */
    char *st = NULL;
    for (int i = 0; i < 100; i++) {
        free(st);
        st = scalar("SELECT status FROM deposits");
        if (strcmp(st, "refunded") == 0)
            break;
        usleep(100 * 1000);
    }
    cr_expect_str_eq(st, "refunded");
    free(st);
    snprintf(path, sizeof path, "/bookings/%ld/evidence", booking);
    cr_assert_eq(case_world_call(&cw, "GET", path, auth, NULL, &doc, NULL), 200);
    cr_expect(has_kind(doc, "deposit.fate") && has_kind(doc, "deposit.refund_sent"));
    cJSON_Delete(doc);
    /* Paid no longer: nothing more to settle. */
    snprintf(path, sizeof path, "/bookings/%ld/outcome", booking);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, "{\"event\":\"no_show\"}", NULL, NULL), 409);

    /* A changed row is reported by the booking's evidence. */
    snprintf(path, sizeof path, "/bookings/%ld/evidence", booking);
    PGresult *r = PQexec(cw.db, "ALTER TABLE evidence DISABLE TRIGGER evidence_no_update_delete;"
                             "UPDATE evidence SET body = replace(body, '5000', '500') "
                             "WHERE kind = 'deposit.offered'");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cw.db));
    PQclear(r);
    cr_assert_eq(case_world_call(&cw, "GET", path, auth, NULL, &doc, NULL), 200);
    v = cJSON_GetObjectItemCaseSensitive(doc, "verification");
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "intact")));
    cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "first_bad")), 0);
    cJSON_Delete(doc);
    case_world_stop(&cw, false);
}

static const char taken[] =
    "{\"id\":\"late-taken\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550115\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"wait\":\"PT2H\"},"
    "{\"as\":\"p2\",\"say\":\"I'd like a chemical peel on Saturday at noon\"},"
    "{\"as\":\"p2\",\"say\":\"Sam Rivera\"},"
    "{\"pay_deposit\":true},{\"wait\":\"PT47H\"},{\"wait\":\"PT2H\"}],\"expect\":{}}";

Test(late_payment, slot_taken_offers_other_times_and_refunds_after_the_grace_period, .timeout = 240)
{
    struct eval_patient_obs obs, o2;
    case_world_start(&cw, &(struct case_world_opts){ .case_json = taken });
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    case_world_step_as(&cw, 2, 0, &obs);
    case_world_step_as(&cw, 3, 1, &o2);
    case_world_step_as(&cw, 4, 1, &o2);
    cr_assert(o2.hold_active_unpaid, "the second patient holds the slot");
    case_world_step_as(&cw, 5, 0, &obs);
    cr_expect_str_eq(eval_outcome(&obs), "no_booking");
    cr_assert_geq(obs.n_sent, 1);
    const char *last = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(last, "deposit came through") != NULL, "the patient is told: %s", last);
    cr_expect(strstr(last, "REFUND") != NULL, "and how to get it back: %s", last);
    cr_expect(strstr(last, "Which works") != NULL || strstr(last, "PM") != NULL,
              "and other times: %s", last);
    for (size_t i = 0; i < obs.n_appts; i++)
        cr_expect_not(obs.appts[i].created, "no appointment for the lost slot");
    cr_expect_eq(scalar_long("SELECT count(*) FROM jobs WHERE kind = 'deposits.lost_slot'"), 1);
    char *subject = scalar("SELECT hold_ref FROM deposits WHERE status = 'paid'");
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM evidence WHERE subject = '%s' AND kind = 'deposit.fate' "
             "AND body LIKE '%%refund_pending%%'", subject);
    cr_expect_eq(scalar_long(sql), 1, "the pending refund is in the evidence");
    case_world_step_as(&cw, 6, 0, &obs);
    cr_expect_eq(square_refunds(), 0, "not refunded inside the grace period");
    case_world_step_as(&cw, 7, 0, &obs);
    cr_expect_eq(square_refunds(), 1, "refunded after the grace period");
    snprintf(sql, sizeof sql,
             "SELECT status FROM deposits WHERE hold_ref = '%s'", subject);
    /* Square confirms the refund by webhook, after the refund call returns. */
    char *st = scalar(sql);
    for (int i = 0; i < 600 && st && strcmp(st, "refunded") != 0; i++) {
        free(st);
        usleep(50 * 1000);
        st = scalar(sql);
    }
    cr_expect_str_eq(st, "refunded");
    free(st);
    free(subject);
    case_world_stop(&cw, false);
}

/* Whether the Square simulator still has link id. */
static bool square_has_link(const char *id)
{
    char url[128];
    struct eval_resp r;
    cJSON *j = NULL;
    bool found = false;
    const cJSON *l;
    snprintf(url, sizeof url, "%s/_sim/state", cw.world->square.base_url);
    cr_assert_eq(eval_http_json("GET", url, NULL, NULL, &r, &j), 0);
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(j, "links"))
        found |= strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "id")), id) == 0;
    cJSON_Delete(j);
    eval_resp_free(&r);
    return found;
}

static const char booked_by_another[] =
    "{\"id\":\"late-booked\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550115\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"wait\":\"PT2H\"},"
    "{\"as\":\"p2\",\"say\":\"I'd like a chemical peel on Saturday at noon\"},"
    "{\"as\":\"p2\",\"say\":\"Sam Rivera\"},{\"as\":\"p2\",\"pay_deposit\":true}],\"expect\":{}}";

Test(late_payment, a_lapsed_link_is_deleted_once_someone_else_books_the_slot, .timeout = 240)
{
    struct eval_patient_obs obs, o2;
    case_world_start(&cw, &(struct case_world_opts){ .case_json = booked_by_another });
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    case_world_step_as(&cw, 2, 0, &obs);
    char *link = scalar("SELECT link_id FROM deposits ORDER BY id LIMIT 1");
    cr_assert(link[0]);
    cr_assert(square_has_link(link), "payable after the hold lapsed");
    case_world_step_as(&cw, 3, 1, &o2);
    case_world_step_as(&cw, 4, 1, &o2);
    cr_assert(square_has_link(link), "another patient's hold alone does not delete it");
    case_world_step_as(&cw, 5, 1, &o2);
    cr_assert_str_eq(eval_outcome(&o2), "booked");
    char *st = scalar("SELECT status FROM deposits ORDER BY id LIMIT 1");
    cr_expect_str_eq(st, "expired");
    cr_expect_not(square_has_link(link), "the link is deleted at Square");
    cr_expect_eq(scalar_long("SELECT count(*) FROM evidence WHERE subject = "
                             "(SELECT hold_ref FROM deposits ORDER BY id LIMIT 1) "
                             "AND kind IN ('deposit.expired', 'deposit.link_cancelled')"),
                 2);
    char *st2 = scalar("SELECT status FROM deposits ORDER BY id DESC LIMIT 1");
    cr_expect_str_eq(st2, "paid", "the second patient's own deposit is untouched");
    free(st2);
    free(st);
    free(link);
    case_world_stop(&cw, false);
}

static const char too_close[] =
    "{\"id\":\"late-notice\",\"clinic\":\"glow\",\"now\":\"2027-03-02T09:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel tomorrow at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"wait\":\"PT24H\"},{\"wait\":\"PT1H30M\"}],\"expect\":{}}";

Test(late_payment, a_lapsed_link_is_deleted_inside_the_minimum_notice, .timeout = 240)
{
    struct eval_patient_obs obs;
    case_world_start(&cw, &(struct case_world_opts){ .case_json = too_close });
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    cr_assert(obs.hold_active_unpaid, "held with a link");
    char *link = scalar("SELECT link_id FROM deposits");
    case_world_step_as(&cw, 2, 0, &obs); /* Wed 09:00: three hours before, past the 30-minute hold */
    char *st = scalar("SELECT status FROM deposits");
    cr_expect_str_eq(st, "created", "still payable while the notice allows it");
    cr_expect(square_has_link(link));
    free(st);
    case_world_step_as(&cw, 3, 0, &obs); /* Wed 10:30: closer than the clinic's two hours */
    st = scalar("SELECT status FROM deposits");
    cr_expect_str_eq(st, "expired");
    cr_expect_not(square_has_link(link), "the link is deleted at Square");
    free(st);
    free(link);
    case_world_stop(&cw, false);
}

static const char taken_then[] =
    "{\"id\":\"late-taken-then\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550115\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"wait\":\"PT2H\"},"
    "{\"as\":\"p2\",\"say\":\"I'd like a chemical peel on Saturday at noon\"},"
    "{\"as\":\"p2\",\"say\":\"Sam Rivera\"},"
    "{\"pay_deposit\":true},{\"say\":\"the first one works\"},{\"say\":\"refund please\"},"
    "{\"wait\":\"PT49H\"}],\"expect\":{}}";

/* The time was taken after the hold lapsed; the patient picks another of the
 * times offered: booked with the payment, no second link, and the payment is
 * applied, not refunded, after the grace period. */
Test(late_payment, a_time_picked_after_a_lost_slot_is_booked_with_the_payment, .timeout = 240)
{
    struct eval_patient_obs obs, o2;
    case_world_start(&cw, &(struct case_world_opts){ .case_json = taken_then });
    for (int i = 0; i < 3; i++)
        case_world_step_as(&cw, i, 0, &obs);
    case_world_step_as(&cw, 3, 1, &o2);
    case_world_step_as(&cw, 4, 1, &o2);
    case_world_step_as(&cw, 5, 0, &obs);
    size_t before = obs.n_sent;
    case_world_step_as(&cw, 6, 0, &obs);
    cr_assert_gt(obs.n_sent, before);
    bool toward = false;
    for (size_t i = before; i < obs.n_sent; i++) {
        toward |= strstr(obs.sent[i].text, "goes toward it") != NULL;
        cr_expect(strstr(obs.sent[i].text, "/checkout/") == NULL, "no second link: %s",
                  obs.sent[i].text);
    }
    cr_expect(toward, "the payment goes toward the time picked: %s", obs.sent[before].text);
    cr_expect_str_eq(eval_outcome(&obs), "booked");
    size_t created = 0;
    for (size_t i = 0; i < obs.n_appts; i++)
        created += obs.appts[i].created;
    cr_expect_eq(created, 1, "one appointment for the time picked");
    cr_expect_eq(scalar_long("SELECT count(*) FROM deposits WHERE status = 'created' AND "
                             "conversation_id = (SELECT conversation_id FROM deposits WHERE status = 'paid')"),
                 0, "no second deposit asked for");
    case_world_step_as(&cw, 8, 0, &obs); /* past the grace period */
    cr_expect_eq(square_refunds(), 0, "the payment went toward the visit");
    cr_expect_eq(scalar_long("SELECT count(*) FROM evidence WHERE kind = 'deposit.fate' "
                             "AND body LIKE '%\"applied\"%'"),
                 1, "the evidence shows it applied");
    case_world_stop(&cw, false);
}

/* Or the patient asks for the money back: refunded at once. */
Test(late_payment, refund_on_request_after_a_lost_slot, .timeout = 240)
{
    struct eval_patient_obs obs, o2;
    case_world_start(&cw, &(struct case_world_opts){ .case_json = taken_then });
    for (int i = 0; i < 3; i++)
        case_world_step_as(&cw, i, 0, &obs);
    case_world_step_as(&cw, 3, 1, &o2);
    case_world_step_as(&cw, 4, 1, &o2);
    case_world_step_as(&cw, 5, 0, &obs);
    case_world_step_as(&cw, 7, 0, &obs);
    const char *last = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(last, "on its way back") != NULL, "%s", last);
    int i = 0;
    while (square_refunds() == 0 && i++ < 200)
        usleep(50 * 1000);
    cr_expect_eq(square_refunds(), 1, "refunded on request");
    case_world_step_as(&cw, 8, 0, &obs);
    cr_expect_eq(square_refunds(), 1, "once");
    cr_expect_str_neq(eval_outcome(&obs), "booked");
    case_world_stop(&cw, false);
}
