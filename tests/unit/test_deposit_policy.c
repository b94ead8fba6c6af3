/*
 * The deposit policy: the window read from the cancellation text a clinic
 * shows (Glow's own, and other wordings), the structured "deposit_policy"
 * object overriding it, malformed objects refused; and every fate: shown
 * applies, no-show and late cancellation forfeit, an in-window cancellation
 * refunds or credits, a clinic cancellation and a lost slot refund.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deposit_policy.h"

#define HOUR (3600LL * 1000000)

static struct deposit_policy parse(const char *json, int want_rc)
{
    struct deposit_policy p;
    cJSON *doc = cJSON_Parse(json);
    cr_assert_not_null(doc, "%s", json);
    cr_assert_eq(deposit_policy_from_doc(doc, &p), want_rc, "%s", json);
    cJSON_Delete(doc);
    return p;
}

Test(deposit_policy, window_from_the_policy_text)
{
    struct deposit_policy p = parse(
        "{\"policies\":{\"cancellation\":\"Deposits are applied to your treatment. Cancel or "
        "reschedule at least 24 hours ahead to keep your deposit; later cancellations and "
        "no-shows forfeit it.\"}}",
        0);
    cr_assert_eq(p.cancel_window_min, 24 * 60);
    cr_assert_not(p.in_window_credit);
    cr_assert_str_eq(p.source, "text");
    cr_assert_eq(p.lost_slot_refund_min, DEPOSIT_POLICY_LOST_SLOT_DEFAULT_MIN);

    p = parse("{\"policies\":{\"cancellation\":\"We need 48-hour notice; deposits become a credit.\"}}", 0);
    cr_assert_eq(p.cancel_window_min, 48 * 60);
    cr_assert(p.in_window_credit);
    p = parse("{\"policies\":{\"cancellation\":\"Cancel 2 days ahead.\"}}", 0);
    cr_assert_eq(p.cancel_window_min, 2 * 24 * 60);
    p = parse("{\"policies\":{\"cancellation\":\"12 hrs notice please\"}}", 0);
    cr_assert_eq(p.cancel_window_min, 12 * 60);
    /* No window in the text: the default. */
    p = parse("{\"policies\":{\"cancellation\":\"Please call us to cancel.\"}}", 0);
    cr_assert_eq(p.cancel_window_min, DEPOSIT_POLICY_WINDOW_DEFAULT_MIN);
    p = parse("{}", 0);
    cr_assert_str_eq(p.source, "default");
    cr_assert_eq(deposit_policy_from_doc(NULL, &p), 0);
    cr_assert_eq(p.cancel_window_min, DEPOSIT_POLICY_WINDOW_DEFAULT_MIN);
}

Test(deposit_policy, structured_policy_overrides_and_is_checked)
{
    struct deposit_policy p = parse(
        "{\"policies\":{\"cancellation\":\"24 hours\"},"
        "\"deposit_policy\":{\"cancel_window_hours\":72,\"in_window\":\"credit\","
        "\"lost_slot_refund_hours\":6}}",
        0);
    cr_assert_eq(p.cancel_window_min, 72 * 60);
    cr_assert(p.in_window_credit);
    cr_assert_eq(p.lost_slot_refund_min, 6 * 60);
    cr_assert_str_eq(p.source, "deposit_policy");

    const char *bad[] = {
        "{\"deposit_policy\":[]}",
        "{\"deposit_policy\":{\"cancel_window_hours\":-1}}",
        "{\"deposit_policy\":{\"cancel_window_hours\":\"24\"}}",
        "{\"deposit_policy\":{\"in_window\":\"keep\"}}",
        "{\"deposit_policy\":{\"lost_slot_refund_hours\":100000}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = parse(bad[i], -1);
        cr_assert_eq(p.cancel_window_min, DEPOSIT_POLICY_WINDOW_DEFAULT_MIN, "%s", bad[i]);
        cr_assert_not(p.in_window_credit, "%s", bad[i]);
    }
}

Test(deposit_policy, fates)
{
    struct deposit_policy refund = parse("{\"deposit_policy\":{\"cancel_window_hours\":24}}", 0);
    struct deposit_policy credit =
        parse("{\"deposit_policy\":{\"cancel_window_hours\":24,\"in_window\":\"credit\"}}", 0);
    int64_t start = 1000 * HOUR;
    cr_assert_eq(deposit_policy_fate(&refund, DEPOSIT_OCC_SHOWED, start, start), DEPOSIT_FATE_APPLIED);
    cr_assert_eq(deposit_policy_fate(&refund, DEPOSIT_OCC_NO_SHOW, start + HOUR, start),
                 DEPOSIT_FATE_FORFEITED);
    /* Exactly at the window's edge is still inside it; a second later is not. */
    cr_assert_eq(deposit_policy_fate(&refund, DEPOSIT_OCC_PATIENT_CANCEL, start - 24 * HOUR, start),
                 DEPOSIT_FATE_REFUNDED);
    cr_assert_eq(deposit_policy_fate(&refund, DEPOSIT_OCC_PATIENT_CANCEL, start - 24 * HOUR + 1, start),
                 DEPOSIT_FATE_FORFEITED);
    cr_assert_eq(deposit_policy_fate(&credit, DEPOSIT_OCC_PATIENT_CANCEL, start - 30 * HOUR, start),
                 DEPOSIT_FATE_CREDIT);
    cr_assert_eq(deposit_policy_fate(&credit, DEPOSIT_OCC_PATIENT_CANCEL, start - HOUR, start),
                 DEPOSIT_FATE_FORFEITED);
    /* The clinic cancelling refunds in full, even at the last minute. */
    cr_assert_eq(deposit_policy_fate(&credit, DEPOSIT_OCC_CLINIC_CANCEL, start - 1, start),
                 DEPOSIT_FATE_REFUNDED);
    cr_assert_eq(deposit_policy_fate(&credit, DEPOSIT_OCC_LOST_SLOT, start + HOUR, start),
                 DEPOSIT_FATE_REFUNDED);
}

Test(deposit_policy, names)
{
    for (int i = 0; i < DEPOSIT_OCC_COUNT; i++)
        cr_assert_eq(deposit_occasion_parse(deposit_occasion_name(i)), i);
    cr_assert_eq(deposit_occasion_parse("walked_in"), -1);
    cr_assert_eq(deposit_occasion_parse(NULL), -1);
    cr_assert_str_eq(deposit_fate_name(DEPOSIT_FATE_CREDIT), "credit");
    cr_assert_str_eq(deposit_fate_name(DEPOSIT_FATE_FORFEITED), "forfeited");
}
