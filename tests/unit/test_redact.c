/*
 * Card-number masking: every common card length and grouping is masked down
 * to its last four digits; phone numbers, dates, order ids that fail Luhn,
 * too-short and too-long runs are left exactly as they were; JSON trees are
 * walked into every nested string.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

static void expect(const char *in, const char *want, int n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", in);
    int got = redact_card_numbers(buf);
    cr_assert_str_eq(buf, want, "input: %s, got: %s", in, buf);
    cr_assert_eq(got, n, "input: %s: masked %d, want %d", in, got, n);
}

Test(redact, luhn)
{
    cr_assert(redact_luhn_ok("4111111111111111", 16));
    cr_assert(redact_luhn_ok("378282246310005", 15));
    cr_assert_not(redact_luhn_ok("4111111111111112", 16));
    cr_assert_not(redact_luhn_ok("", 0));
    cr_assert_not(redact_luhn_ok("41a1", 4));
}

Test(redact, cards_of_every_length_and_grouping)
{
    expect("4111111111111111", "************1111", 1);
    expect("card 4111 1111 1111 1111 exp 12/29", "card **** **** **** 1111 exp 12/29", 1);
    expect("5555-5555-5555-4444.", "****-****-****-4444.", 1);
    expect("amex 3782 822463 10005", "amex **** ****** *0005", 1);
    expect("visa13: 4222222222222", "visa13: *********2222", 1);
    expect("diners 3056 9309 0259 04", "diners **** **** **59 04", 1);
    expect("19 digits 4000000000000000006!", "19 digits ***************0006!", 1);
    expect("mixed 4242-4242 4242-4242", "mixed ****-**** ****-4242", 1);
    expect("digit by digit 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
           "digit by digit * * * * * * * * * * * * 1 1 1 1", 1);
    expect("x4111111111111111y", "x************1111y", 1);
}

Test(redact, two_cards_and_a_card_after_an_order_number)
{
    expect("4111111111111111 and 5555555555554444", "************1111 and ************4444", 2);
    expect("order 12345 4111 1111 1111 1111", "order 12345 **** **** **** 1111", 1);
    expect("4111 1111 1111 1111 5555 5555 5555 4444", "**** **** **** 1111 **** **** **** 4444", 2);
}

Test(redact, other_digit_runs_are_untouched)
{
    const char *same[] = {
        "call me at +1 (415) 555-0134",
        "415-555-0134 or 4155550134 or +14155550134",
        "order ORD-1234567890123 ref 1234567890123456", /* 13 and 16 digits, fail Luhn */
        "short 411111111117",                           /* Luhn-valid but 12 digits */
        "long 41111111111111111115",                    /* Luhn-valid but 20 digits */
        "ts 2024061500012340",                          /* 16 digits unbroken, fails Luhn */
        "4111  1111  1111  1111",                       /* double spaces do not group */
        "4111.1111.1111.1111",                          /* dots do not group */
        "appointment 2027-03-02 at 10:30, $250.00",
        "",
        "no digits at all",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        expect(same[i], same[i], 0);
}

Test(redact, very_long_runs_do_not_overflow)
{
    char buf[4096], want[4096];
    memset(buf, '7', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    memcpy(want, buf, sizeof want);
    cr_assert_eq(redact_card_numbers(buf), 0);
    cr_assert_str_eq(buf, want);
    for (size_t i = 1; i < sizeof buf - 1; i += 2)
        buf[i] = ' ';
    redact_card_numbers(buf); /* digit-by-digit groups: must stay in bounds */
    cr_assert_eq(strlen(buf), sizeof buf - 1);
}

Test(redact, json_strings_at_every_depth)
{
    cJSON *o = cJSON_Parse("{\"body\":\"pay with 4111 1111 1111 1111\","
                           "\"from\":\"+14155550134\","
                           "\"amount\":4111111111111111,"
                           "\"meta\":{\"notes\":[\"5555555555554444\",\"ok\",{\"deep\":\"378282246310005\"}]},"
                           "\"4111111111111111\":\"key stays\"}");
    cr_assert_not_null(o);
    cr_assert_eq(redact_json_card_numbers(o), 3);
    char *text = cJSON_PrintUnformatted(o);
    cr_assert(strstr(text, "\"body\":\"pay with **** **** **** 1111\"") != NULL, "%s", text);
    cr_assert(strstr(text, "\"from\":\"+14155550134\"") != NULL, "%s", text);
    cr_assert(strstr(text, "\"************4444\"") != NULL, "%s", text);
    cr_assert(strstr(text, "\"deep\":\"***********0005\"") != NULL, "%s", text);
    cr_assert_null(strstr(text, "5555555555554444"));
    cr_assert_null(strstr(text, "378282246310005"));
    free(text);
    cJSON_Delete(o);
    cr_assert_eq(redact_json_card_numbers(NULL), 0);
}
