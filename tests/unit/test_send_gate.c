/*
 * The send gate's decisions on given facts (send_gate_decide) and the
 * tenant policy parser: opted-out contacts get only the confirmation, one
 * text-back per 24 hours, replies within a minute go out at night while
 * proactive messages wait for the window, Florida numbers get the state
 * rule and its cap, a staff alert goes to the clinic's own line at once,
 * and added rules can only make a decision stricter.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "clock.h"
#include "send_gate.h"

/* 2026-11-24 22:00 in Los Angeles (PST, UTC-8) = 2026-11-25 06:00Z. */
static int64_t at(const char *rfc3339)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(rfc3339, &us), 0);
    return us;
}

static struct tenant_config tenant(const char *rules)
{
    struct tenant_config t = { 0 };
    t.timezone = "America/Los_Angeles";
    t.country = "US";
    t.quiet_start = "08:00";
    t.quiet_end = "21:00";
    t.state_rules = (char *)rules;
    return t;
}

static struct send_gate_input input(const char *kind, const char *phone, int64_t now)
{
    struct send_gate_input in = { 0 };
    in.tenant_id = "glow";
    in.message_id = 10;
    in.kind = kind;
    in.channel = "sms";
    in.address = phone;
    in.phone = phone;
    in.clinic_zone = "America/Los_Angeles";
    in.country = "US";
    in.now_us = now;
    in.created_us = now;
    return in;
}

Test(send_gate, opted_out_drops_all_but_confirmation)
{
    struct tenant_config t = tenant("");
    struct qh_policy p;
    char why[128];
    cr_assert_eq(send_gate_policy_parse(&t, &p, why, sizeof why), 0, "%s", why);
    int64_t now = at("2026-11-24T20:00:00Z"); /* 12:00 in LA */
    struct send_gate_input in = input("reply", "+14155550123", now);
    in.opted_out = true;
    in.last_inbound_us = now - 1000000;
    struct send_gate_decision d;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_DROP);
    cr_expect_str_eq(d.reason, "opted_out");
    in.kind = "optout_confirmation";
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_SEND);
}

Test(send_gate, proactive_at_night_held_until_eight)
{
    struct tenant_config t = tenant("");
    struct qh_policy p;
    char why[128];
    cr_assert_eq(send_gate_policy_parse(&t, &p, why, sizeof why), 0);
    int64_t now = at("2026-11-25T06:00:00Z"); /* 22:00 in LA */
    struct send_gate_input in = input("proactive", "+14155550123", now);
    struct send_gate_decision d;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_HOLD);
    cr_expect_str_eq(d.reason, "quiet_hours");
    cr_expect_eq(d.hold_until_us, at("2026-11-25T16:00:00Z")); /* 08:00 in LA */

    /* A reply to a message of 30 s ago goes now; one of 2 minutes ago waits. */
    in.kind = "reply";
    in.last_inbound_us = now - 30 * 1000000LL;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_SEND);
    cr_expect_not(d.proactive);
    in.last_inbound_us = now - 120 * 1000000LL;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_HOLD);
    /* The text-back answers the call. */
    in.kind = "textback";
    in.last_inbound_us = now - 2 * 1000000LL;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_SEND);
    in.other_textbacks = 1;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_DROP);
    cr_expect_str_eq(d.reason, "textback_limit");
}

Test(send_gate, florida_rule_and_cap)
{
    struct tenant_config t = tenant("FL 08:00-20:00 3");
    struct qh_policy p;
    char why[128];
    cr_assert_eq(send_gate_policy_parse(&t, &p, why, sizeof why), 0, "%s", why);
    /* 20:30 in Miami (EST, UTC-5) = 01:30Z next day. */
    int64_t now = at("2026-11-25T01:30:00Z");
    struct send_gate_input in = input("proactive", "+13055550123", now);
    struct send_gate_decision d;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_HOLD);
    cr_expect_str_eq(d.qh.region, "FL");
    /* At noon in Miami with three sends in the last hours: the cap. */
    now = at("2026-11-24T17:00:00Z");
    in = input("proactive", "+13055550123", now);
    in.n_recent = 3;
    in.recent_proactive_us[0] = now - 3600 * 1000000LL;
    in.recent_proactive_us[1] = now - 2 * 3600 * 1000000LL;
    in.recent_proactive_us[2] = now - 3 * 3600 * 1000000LL;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_HOLD);
    cr_expect_str_eq(d.reason, "frequency_cap");
    cr_expect_gt(d.hold_until_us, now);
    /* A reminder of the patient's booking is no solicitation: the cap does
     * not stop it, but it waits for the window like anything proactive. */
    in.kind = "notice";
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "%s", d.reason);
    in.now_us = in.created_us = at("2026-11-25T01:30:00Z");
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_HOLD, "a notice at 20:30 in Miami waits");
    cr_expect_str_eq(d.reason, "quiet_hours");
}

Test(send_gate, policy_errors)
{
    struct qh_policy p;
    char why[128];
    struct tenant_config t = tenant("FL 8-20");
    cr_expect_neq(send_gate_policy_parse(&t, &p, why, sizeof why), 0);
    t = tenant("FL 08:00-20:00 3; FL 09:00-20:00");
    cr_expect_neq(send_gate_policy_parse(&t, &p, why, sizeof why), 0);
    t = tenant("FL 08:00-20:00 3; TX 09:00-21:00");
    cr_expect_eq(send_gate_policy_parse(&t, &p, why, sizeof why), 0, "%s", why);
    cr_expect_eq(p.n_rules, 2);
    t = tenant("");
    t.quiet_start = "22:00";
    cr_expect_neq(send_gate_policy_parse(&t, &p, why, sizeof why), 0);
}

Test(send_gate, a_staff_alert_goes_at_night_but_not_after_a_stop)
{
    struct tenant_config t = tenant("");
    struct qh_policy p;
    char why[128];
    cr_assert_eq(send_gate_policy_parse(&t, &p, why, sizeof why), 0);
    int64_t now = at("2026-11-25T06:00:00Z"); /* 22:00 in LA */
    struct send_gate_input in = input("staff_alert", "+14155550199", now);
    struct send_gate_decision d;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_SEND, "the clinic's own line is alerted at once");
    cr_expect_not(d.proactive);
    in.opted_out = true;
    cr_assert_eq(send_gate_decide(&p, &in, &d), 0);
    cr_expect_eq(d.verdict, SEND_GATE_DROP, "a staff line that texted STOP is not texted");
}
