/*
 * The evaluation runner's expectation check (tests/eval/eval_expect.h)
 * against hand-made observations: outcomes in the README's order,
 * appointments (exact, date-only, windows, several services), deposits,
 * EMR clients, reply regexes, replies after an opt-out, first-reply time.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "eval/eval_expect.h"

static struct eval_patient_obs blank(void)
{
    struct eval_patient_obs o;
    memset(&o, 0, sizeof o);
    o.last_deposit_cents = -1;
    o.first_reply_ms = -1;
    return o;
}

static int check(const char *expect_json, const struct eval_patient_obs *o, char *why)
{
    cJSON *e = cJSON_Parse(expect_json);
    cr_assert_not_null(e, "%s", expect_json);
    int rc = eval_check_patient(e, o, why, 256);
    cJSON_Delete(e);
    return rc;
}

Test(eval_expect, outcomes_in_order)
{
    struct eval_patient_obs o = blank();
    cr_expect_str_eq(eval_outcome(&o), "no_booking");
    o.hold_expired = true;
    cr_expect_str_eq(eval_outcome(&o), "expired");
    o.hold_active_unpaid = true;
    cr_expect_str_eq(eval_outcome(&o), "held");
    o.handoff = true;
    cr_expect_str_eq(eval_outcome(&o), "handoff");
    o.appts[o.n_appts++] = (struct eval_appt){ "botox", "jenna", "2027-03-05T15:30", true, false, false };
    o.deposit_due_unpaid = true;
    cr_expect_str_eq(eval_outcome(&o), "handoff", "not booked while its deposit is unpaid");
    o.deposit_due_unpaid = false;
    cr_expect_str_eq(eval_outcome(&o), "booked");
    o.opted_out = true;
    cr_expect_str_eq(eval_outcome(&o), "opted_out");
}

Test(eval_expect, appointments_and_deposits)
{
    char why[256];
    struct eval_patient_obs o = blank();
    o.appts[o.n_appts++] = (struct eval_appt){ "botox", "dr-smith", "2027-03-05T15:30", true, false, false };
    o.appts[o.n_appts++] = (struct eval_appt){ "hydrafacial", "ashley", "2027-03-05T16:00", true, false, false };
    o.last_deposit_cents = 5000;
    cr_expect_eq(check("{\"outcome\":\"booked\",\"appointment\":{\"service\":\"botox\",\"start\":\"2027-03-05T15:30\"},\"deposit_cents\":5000}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"appointment\":{\"start\":\"2027-03-05\"}}", &o, why), 0, "date only");
    cr_expect_eq(check("{\"appointment\":{\"start_window\":[\"2027-03-05T15:00\",\"2027-03-05T15:30\"]}}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"appointment\":{\"start_window\":[\"2027-03-05T16:15\",\"2027-03-05T17:00\"]}}", &o, why), -1);
    cr_expect_eq(check("{\"appointment\":{\"service\":\"botox\",\"start\":\"2027-03-05T15:45\"}}", &o, why), -1);
    cr_expect(strstr(why, "botox/dr-smith@2027-03-05T15:30") != NULL, "%s", why);
    cr_expect_eq(check("{\"appointments\":[{\"service\":\"hydrafacial\"},{\"service\":\"botox\"}]}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"appointments\":[{\"service\":\"botox\"},{\"service\":\"botox\"}]}", &o, why), -1, "each matches a different one");
    cr_expect_eq(check("{\"deposit_cents\":10000}", &o, why), -1);
    cr_expect_eq(check("{\"deposit_cents\":0}", &o, why), -1, "0: no link may be sent");
    o.last_deposit_cents = -1;
    cr_expect_eq(check("{\"deposit_cents\":0}", &o, why), 0, "%s", why);
}

Test(eval_expect, clients_replies_optout_and_timing)
{
    char why[256];
    struct eval_patient_obs o = blank();
    cr_expect_eq(check("{\"client_created\":false}", &o, why), 0);
    o.client_created = true;
    o.client_first_name = "Emily";
    o.client_last_name = "Chen";
    cr_expect_eq(check("{\"client_created\":false}", &o, why), -1);
    cr_expect_eq(check("{\"client_created\":{\"first_name\":\"emily\",\"last_name\":\"Chen\"}}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"client_created\":{\"first_name\":\"Emma\"}}", &o, why), -1);

    o.sent[o.n_sent++] = (struct eval_sent){ "Hi! Sorry we MISSED your call. Botox is $12/unit.", false };
    o.sent[o.n_sent++] = (struct eval_sent){ "You're unsubscribed.", true };
    cr_expect_eq(check("{\"replies_include\":[\"missed\",\"\\\\$12\\\\b\"]}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"replies_include\":[\"\\\\$50\\\\b\"]}", &o, why), -1);
    cr_expect_eq(check("{\"replies_exclude\":[\"discount|% off\"]}", &o, why), 0, "%s", why);
    cr_expect_eq(check("{\"replies_exclude\":[\"unsubscribed\"]}", &o, why), -1);
    cr_expect_eq(check("{\"replies_include\":[\"(unclosed\"]}", &o, why), -1);
    cr_expect(strstr(why, "does not compile") != NULL);
    cr_expect_eq(check("{\"max_replies_after_optout\":1}", &o, why), 0);
    cr_expect_eq(check("{\"max_replies_after_optout\":0}", &o, why), -1);
    cr_expect_eq(check("{\"first_reply_max_ms\":1000}", &o, why), -1, "not measured fails");
    o.first_reply_ms = 120;
    cr_expect_eq(check("{\"first_reply_max_ms\":1000}", &o, why), 0);
    o.first_reply_ms = 1500;
    cr_expect_eq(check("{\"first_reply_max_ms\":1000}", &o, why), -1);
    cr_expect_eq(eval_regex_match("caf\xc3\xa9", "CAF\xc3\x89 au lait"), 1, "UTF-8 caseless");
}
