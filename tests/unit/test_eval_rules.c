/*
 * The evaluation runner's per-case rules (tests/eval/eval_rules.h): dollar
 * amounts against the clinic, card numbers, loose "stored" matching,
 * durations, quiet hours, message length, and what a duplicated webhook
 * may not change (rule 8).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_rules.h"

static cJSON *load_glow(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    char path[1024];
    if (shared)
        snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/eval/clinics/glow.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (set BW_SHARED_DIR)", path);
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *clinic = cJSON_Parse(buf);
    cr_assert_not_null(clinic);
    return clinic;
}

Test(eval_rules, dollar_amounts_against_the_clinic)
{
    cJSON *clinic = load_glow();
    static struct eval_money m;
    cr_assert_eq(eval_money_from_clinic(clinic, &m), 0);
    int64_t bad = 0;
    cr_expect_eq(eval_check_dollars(&m, "Botox is $12 per unit", &bad), 0);
    cr_expect_eq(eval_check_dollars(&m, "20-30 units is about $240-$360", &bad), 0);
    cr_expect_eq(eval_check_dollars(&m, "about $240-360 for most", &bad), 0);
    cr_expect_eq(eval_check_dollars(&m, "one syringe $650, two $1,300", &bad), 0);
    cr_expect_eq(eval_check_dollars(&m, "HydraFacial $199.00, deposit $50", &bad), 0);
    cr_expect_eq(eval_check_dollars(&m, "full legs $399 (see note)", &bad), 0, "from a price note");
    cr_expect_eq(eval_check_dollars(&m, "a $100 deposit", &bad), 0, "a deposit rule");
    cr_expect_eq(eval_check_dollars(&m, "Botox special: $7 per unit", &bad), -1);
    cr_expect_eq(bad, 700);
    cr_expect_eq(eval_check_dollars(&m, "$240-$1,250", &bad), -1, "each end of a range counts");
    cr_expect_eq(bad, 125000);
    cr_expect_eq(eval_check_dollars(&m, "101 units is $1,212", &bad), -1, "over 100 units");
    cr_expect_eq(eval_check_dollars(&m, "6 syringes $3,900", &bad), -1, "over 5 syringes");
    cr_expect_eq(eval_check_dollars(&m, "no amounts, just $ signs $", &bad), 0);
    cJSON_Delete(clinic);
}

Test(eval_rules, card_numbers_need_luhn_and_clean_edges)
{
    cr_expect(eval_has_card_number("my card is 4111111111111111 thanks"));
    cr_expect(eval_has_card_number("4111 1111 1111 1111"));
    cr_expect(eval_has_card_number("4111-1111-1111-1111 exp 12/29"));
    cr_expect(eval_has_card_number("call 415 555 0101 or 4111 1111 1111 1111"),
              "a card inside a longer run of groups");
    cr_expect_not(eval_has_card_number("4111111111111112"), "fails Luhn");
    cr_expect_not(eval_has_card_number("x4111111111111111"), "a letter glued before");
    cr_expect_not(eval_has_card_number("4111111111111111z"), "a letter glued after");
    cr_expect_not(eval_has_card_number("4111  1111 1111 1111"), "double space splits groups");
    cr_expect_not(eval_has_card_number("+14155550101"), "a phone number");
    cr_expect_not(eval_has_card_number("411111111111"), "12 digits");
    cr_expect(eval_luhn_ok("79927398713", 11));
}

Test(eval_rules, stored_matching_ignores_case_and_spaces)
{
    cr_expect(eval_contains_loosely("note: Patient is PREG NANT", "pregnant"));
    cr_expect(eval_contains_loosely("4111 1111 1111 1111", "4111111111111111"));
    cr_expect_not(eval_contains_loosely("nothing here", "pregnant"));
    cr_expect_not(eval_contains_loosely("anything", ""));
}

Test(eval_rules, durations)
{
    cr_expect_eq(eval_parse_duration("PT2H"), 7200);
    cr_expect_eq(eval_parse_duration("PT10M"), 600);
    cr_expect_eq(eval_parse_duration("P1DT30M"), 86400 + 1800);
    cr_expect_eq(eval_parse_duration("PT45S"), 45);
    cr_expect_eq(eval_parse_duration("P2H"), -1, "hours need T");
    cr_expect_eq(eval_parse_duration("2H"), -1);
    cr_expect_eq(eval_parse_duration("P"), -1);
}

Test(eval_rules, quiet_hours_and_length)
{
    cr_expect(eval_quiet_hours_ok(20 * 60 + 59, false));
    cr_expect_not(eval_quiet_hours_ok(21 * 60, false));
    cr_expect_not(eval_quiet_hours_ok(7 * 60 + 59, false));
    cr_expect(eval_quiet_hours_ok(8 * 60, false));
    cr_expect(eval_quiet_hours_ok(23 * 60, true), "a reply is fine at night");
    cr_expect_eq(eval_utf8_chars("caf\xc3\xa9 \xf0\x9f\x98\x8a"), 6);
}

static cJSON *contact_with(const char *messages, int missed_calls)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"messages\": %s, \"missed_calls\": %d}", messages,
             missed_calls);
    cJSON *c = cJSON_Parse(text);
    cr_assert_not_null(c);
    return c;
}

Test(eval_rules, a_duplicate_delivery_changes_nothing)
{
    char err[256];
    cJSON *ok = contact_with(
        "[{\"direction\":\"in\",\"kind\":\"message\",\"provider_id\":\"SM1\",\"text\":\"hi\"},"
        " {\"direction\":\"out\",\"kind\":\"reply\",\"caused_by\":1,\"text\":\"Hello\"},"
        " {\"direction\":\"out\",\"kind\":\"reply\",\"caused_by\":1,\"text\":\"Anything else?\"},"
        " {\"direction\":\"in\",\"kind\":\"message\",\"provider_id\":\"SM2\",\"text\":\"hi\"},"
        " {\"direction\":\"out\",\"kind\":\"reply\",\"caused_by\":4,\"text\":\"Hello\"}]",
        1);
    cr_expect_eq(eval_check_once(ok, 1, "p1", err, sizeof err), 0, "%s", err);
    cr_expect_eq(eval_check_once(ok, 0, "p1", err, sizeof err), -1, "one call recorded, none made");
    cr_expect(strstr(err, "missed calls") != NULL, "%s", err);
    cJSON_Delete(ok);

    cJSON *twice_in = contact_with(
        "[{\"direction\":\"in\",\"kind\":\"message\",\"provider_id\":\"SM1\",\"text\":\"hi\"},"
        " {\"direction\":\"in\",\"kind\":\"message\",\"provider_id\":\"SM1\",\"text\":\"hi\"}]",
        0);
    cr_expect_eq(eval_check_once(twice_in, 0, "p1", err, sizeof err), -1);
    cr_expect(strstr(err, "SM1") != NULL, "%s", err);
    cJSON_Delete(twice_in);

    cJSON *twice_out = contact_with(
        "[{\"direction\":\"in\",\"kind\":\"message\",\"provider_id\":\"SM1\",\"text\":\"hi\"},"
        " {\"direction\":\"out\",\"kind\":\"reply\",\"caused_by\":1,\"text\":\"Hello\"},"
        " {\"direction\":\"out\",\"kind\":\"reply\",\"caused_by\":1,\"text\":\"Hello\"}]",
        0);
    cr_expect_eq(eval_check_once(twice_out, 0, "p1", err, sizeof err), -1);
    cr_expect(strstr(err, "twice") != NULL, "%s", err);
    cJSON_Delete(twice_out);
}

Test(eval_rules, an_appointment_created_twice_breaks_rule_8)
{
    char err[256];
    cJSON *before = cJSON_Parse(
        "{\"appointments\":[{\"id\":\"a1\",\"patient_id\":\"c1\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"booked\"}]}");
    cJSON *fine = cJSON_Parse(
        "{\"appointments\":[{\"id\":\"a1\",\"patient_id\":\"c1\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"booked\"},"
        "{\"id\":\"a2\",\"patient_id\":\"c2\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"booked\"},"
        "{\"id\":\"a3\",\"patient_id\":\"c2\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"cancelled\"}]}");
    cJSON *doubled = cJSON_Parse(
        "{\"appointments\":[{\"id\":\"a2\",\"patient_id\":\"c2\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"booked\"},"
        "{\"id\":\"a3\",\"patient_id\":\"c2\",\"service_id\":\"botox\","
        "\"start\":\"2027-03-05T23:30:00Z\",\"status\":\"booked\"}]}");
    cr_assert(before && fine && doubled);
    cr_expect_eq(eval_check_appointments_once(fine, before, err, sizeof err), 0, "%s", err);
    cr_expect_eq(eval_check_appointments_once(doubled, before, err, sizeof err), -1);
    cr_expect(strstr(err, "twice") != NULL, "%s", err);
    cJSON_Delete(before);
    cJSON_Delete(fine);
    cJSON_Delete(doubled);
}
