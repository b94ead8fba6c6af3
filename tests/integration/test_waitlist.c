/*
 * The waitlist end to end in the evaluation's world (bookwelld
 * --test-clock, the Twilio and Square simulators, the built-in calendar,
 * the Glow clinic, a real PostgreSQL). A patient books Botox on Friday at
 * 3:30 PM; two more join the waitlist for exactly that time through the
 * clinic API, in order; a fourth joins by text for "any Saturday morning"
 * and is offered a free Saturday slot at once. The first patient cancels
 * at 10 PM: nothing is offered during quiet hours; at 08:00 the first
 * waitlisted patient (only) is offered the slot, answers YES and books it
 * through the usual hold, name and deposit. A clinic that offers to all
 * at once: both waiting patients are offered the slot, the first to say
 * YES books it and the second is told it was taken.
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
#include "support/daemon_proc.h"

#define STAFF_PHONE "+14155550199"

static struct case_world cw;

static size_t count_matching(const struct eval_patient_obs *o, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_sent; i++)
        if (strstr(o->sent[i].text, needle))
            n++;
    return n;
}

/* p2 and p3 wait for exactly the time p1 booked. */
static void join_both(void)
{
    char *prov = case_world_scalar(&cw, "SELECT provider_id FROM bookings WHERE state = 'booked'");
    char auth[256];
    case_world_api_key(&cw, auth, sizeof auth, NULL, 0);
    char body[512];
    for (int i = 2; i <= 3; i++) {
        snprintf(body, sizeof body,
                 "{\"phone\":\"+1415555018%d\",\"service_id\":\"botox\",\"provider_id\":\"%s\","
                 "\"weekdays\":[\"fri\"],\"from_time\":\"15:30\",\"to_time\":\"15:45\","
                 "\"to\":\"2027-03-06T00:00:00-08:00\"}",
                 i, prov);
        char *answer = NULL;
        long status = case_world_call(&cw, "POST", "/waitlist", auth, body, NULL, &answer);
        cr_assert_eq(status, 201, "p%d joins: %s", i, answer);
        free(answer);
    }
    free(prov);
}

static const char waitlist_case[] =
    "{\"id\":\"waitlist\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550181\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550182\"},"
    "{\"id\":\"p3\",\"channel\":\"sms\",\"phone\":\"+14155550183\"},"
    "{\"id\":\"p4\",\"channel\":\"sms\",\"phone\":\"+14155550184\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"I'd like Botox on Friday at 3:30pm\"},"
    "{\"as\":\"p1\",\"say\":\"Emily Chen\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p4\",\"say\":\"Can you put me on the waitlist for a hydrafacial, any "
    "Saturday morning?\"},"
    "{\"wait\":\"PT12H\"},"
    "{\"as\":\"p1\",\"say\":\"I need to cancel my appointment on Friday\"},"
    "{\"as\":\"p1\",\"say\":\"yes please cancel it\"},"
    "{\"wait\":\"PT9H50M\"},"
    "{\"wait\":\"PT30M\"},"
    "{\"as\":\"p2\",\"say\":\"YES\"},"
    "{\"as\":\"p2\",\"say\":\"Ruby Hale\"},"
    "{\"as\":\"p2\",\"pay_deposit\":true}"
    "],\"expect\":{\"p2\":{\"outcome\":\"booked\",\"appointment\":{\"service\":\"botox\","
    "\"start\":\"2027-03-05T15:30\"},\"deposit_cents\":5000}}}";

Test(waitlist, freed_slot_reaches_the_first_waitlisted_patient_who_books_it, .timeout = 300)
{
    struct eval_patient_obs obs;
    char why[256] = "";
    struct case_world_opts o = { .case_json = waitlist_case,
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 3);
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_assert_str_eq(eval_outcome(&obs), "booked");
    char *prov = case_world_scalar(&cw, "SELECT provider_id FROM bookings WHERE state = 'booked'");
    char auth[256];
    case_world_api_key(&cw, auth, sizeof auth, NULL, 0);
    char body[512];
    /* p2 then p3, for exactly the booked time. */
    for (int i = 2; i <= 3; i++) {
        snprintf(body, sizeof body,
                 "{\"phone\":\"+1415555018%d\",\"service_id\":\"botox\",\"provider_id\":\"%s\","
                 "\"weekdays\":[\"fri\"],\"from_time\":\"15:30\",\"to_time\":\"15:45\","
                 "\"to\":\"2027-03-06T00:00:00-08:00\"}",
                 i, prov);
        cr_assert_eq(case_world_call(&cw, "POST", "/waitlist", auth, body, NULL, NULL), 201, "p%d joins", i);
    }
    free(prov);
    cr_expect_eq(case_world_call(&cw, "POST", "/waitlist", auth,
                                 "{\"phone\":\"+14155550182\",\"service_id\":\"nope\"}", NULL, NULL),
                 422);
    cr_expect_eq(case_world_call(&cw, "POST", "/waitlist", NULL,
                                 "{\"phone\":\"+14155550182\",\"service_id\":\"botox\"}", NULL, NULL),
                 401);

    case_world_steps(&cw, 3, 4); /* p4 joins by text and a Saturday morning is free */
    case_world_observe(&cw, case_world_patient(&cw, "p4"), &obs);
    cr_expect_eq(count_matching(&obs, "You're on the waitlist for HydraFacial on Saturdays in the "
                                      "morning"),
                 1u);
    cr_expect_eq(count_matching(&obs, "HydraFacial on Sat, Mar 6 at 9:00 AM with Ashley Cruz just "
                                      "opened up"),
                 1u, "offered a free Saturday morning at once");

    case_world_steps(&cw, 4, 7); /* 22:00: p1 cancels */
    case_world_observe(&cw, case_world_patient(&cw, "p1"), &obs);
    cr_assert_str_eq(eval_outcome(&obs), "cancelled");
    case_world_steps(&cw, 7, 8); /* 07:50: quiet hours, nothing offered yet */
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_expect_eq(obs.n_sent, 0u, "nothing during quiet hours");
    case_world_steps(&cw, 8, 9); /* 08:20 */
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_assert_eq(count_matching(&obs, "Botox on Fri, Mar 5 at 3:30 PM"), 1u,
                 "the first waitlisted patient is offered the slot");
    char *t = case_world_scalar(&cw, "SELECT to_char(m.sent_at AT TIME ZONE 'UTC', 'HH24:MI') FROM messages m "
                     "JOIN contacts k ON k.tenant_id = m.tenant_id AND k.id = m.contact_id "
                     "WHERE k.address = '+14155550182' AND m.direction = 'out'");
    cr_expect_str_eq(t, "16:00", "at the window's opening, 08:00 PST");
    free(t);
    case_world_observe(&cw, case_world_patient(&cw, "p3"), &obs);
    cr_expect_eq(obs.n_sent, 0u, "the second in line is not offered it meanwhile");

    case_world_steps(&cw, 9, 12); /* YES, a name, the deposit */
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(cw.c.expect, "p2");
    cr_expect_eq(eval_check_patient(expect, &obs, why, sizeof why), 0, "%s", why);
    t = case_world_scalar(&cw, "SELECT string_agg(state, ',' ORDER BY id) FROM waitlist");
    cr_expect_str_eq(t, "booked,waiting,waiting");
    free(t);
    case_world_observe(&cw, case_world_patient(&cw, "p3"), &obs);
    cr_expect_eq(obs.n_sent, 0u, "the slot is gone: p3 is never offered it");
    case_world_stop(&cw, true);
}

static const char all_at_once_case[] =
    "{\"id\":\"waitlist-all\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550181\"},"
    "{\"id\":\"p2\",\"channel\":\"sms\",\"phone\":\"+14155550182\"},"
    "{\"id\":\"p3\",\"channel\":\"sms\",\"phone\":\"+14155550183\"}],"
    "\"script\":["
    "{\"as\":\"p1\",\"say\":\"I'd like Botox on Friday at 3:30pm\"},"
    "{\"as\":\"p1\",\"say\":\"Emily Chen\"},"
    "{\"as\":\"p1\",\"pay_deposit\":true},"
    "{\"as\":\"p1\",\"say\":\"I need to cancel my appointment on Friday\"},"
    "{\"as\":\"p1\",\"say\":\"yes please cancel it\"},"
    "{\"wait\":\"PT20M\"},"
    "{\"as\":\"p3\",\"say\":\"YES\"},"
    "{\"as\":\"p2\",\"say\":\"yes!\"},"
    "{\"as\":\"p3\",\"say\":\"Lee Wong\"},"
    "{\"as\":\"p3\",\"pay_deposit\":true}"
    "],\"expect\":{\"p3\":{\"outcome\":\"booked\",\"appointment\":{\"service\":\"botox\","
    "\"start\":\"2027-03-05T15:30\"},\"deposit_cents\":5000}}}";

Test(waitlist, all_at_once_first_to_accept_wins, .timeout = 300)
{
    struct eval_patient_obs obs;
    char why[256] = "";
    struct case_world_opts o = { .case_json = all_at_once_case,
                                 .catalog_json = "{\"waitlist\": {\"offer\": \"all_at_once\"}}",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_steps(&cw, 0, 3);
    join_both();
    case_world_steps(&cw, 3, 6);
    for (int i = 2; i <= 3; i++) {
        char id[4];
        snprintf(id, sizeof id, "p%d", i);
        case_world_observe(&cw, case_world_patient(&cw, id), &obs);
        cr_assert_eq(count_matching(&obs, "Botox on Fri, Mar 5 at 3:30 PM"), 1u,
                     "%s is offered the slot too", id);
    }
    case_world_steps(&cw, 6, 10);
    case_world_observe(&cw, case_world_patient(&cw, "p2"), &obs);
    cr_expect_eq(count_matching(&obs, "someone else just took that time"), 1u);
    case_world_observe(&cw, case_world_patient(&cw, "p3"), &obs);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(cw.c.expect, "p3");
    cr_expect_eq(eval_check_patient(expect, &obs, why, sizeof why), 0, "%s", why);
    char *t = case_world_scalar(&cw, "SELECT string_agg(state, ',' ORDER BY id) FROM waitlist");
    cr_expect_str_eq(t, "waiting,booked");
    free(t);
    case_world_stop(&cw, true);
}
