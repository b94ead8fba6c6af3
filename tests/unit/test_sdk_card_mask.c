/*
 * SDK card masking, as a plugin calls it: the Luhn check; a card number
 * with its expiry and security code loses every digit but the card's last
 * four, in place and at the same length; text without a card is left as it
 * was; masking twice gives what masking once gave. The full set of cases
 * (groupings, lengths, labels, what stays) is tests/unit/test_redact.c,
 * through the host's callers of the same code.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell-sdk/sdk.h>

Test(sdk_card_mask, luhn)
{
    cr_assert(bwsdk_luhn_ok("4111111111111111", 16));
    cr_assert(bwsdk_luhn_ok("378282246310005", 15));
    cr_assert_not(bwsdk_luhn_ok("4111111111111112", 16));
    cr_assert_not(bwsdk_luhn_ok("", 0));
    cr_assert_not(bwsdk_luhn_ok("41a1", 4));
}

Test(sdk_card_mask, a_card_with_its_expiry_and_code_in_place)
{
    char s[] = "card 4111 1111 1111 1111 exp 12/29 cvv 123";
    size_t len = strlen(s);
    cr_assert_eq(bwsdk_mask_card_numbers(s), 3);
    cr_assert_str_eq(s, "card **** **** **** 1111 exp **/** cvv ***");
    cr_assert_eq(strlen(s), len);
    cr_assert_eq(bwsdk_mask_card_numbers(s), 0);
    cr_assert_str_eq(s, "card **** **** **** 1111 exp **/** cvv ***");
}

Test(sdk_card_mask, text_without_a_card_stays)
{
    char s[] = "call me at 415-555-0123 on 12/29 at 10:30, order 4111111111111112";
    char before[sizeof s];
    memcpy(before, s, sizeof s);
    cr_assert_eq(bwsdk_mask_card_numbers(s), 0);
    cr_assert_str_eq(s, before);
    cr_assert_eq(bwsdk_mask_card_numbers(NULL), 0);
}
