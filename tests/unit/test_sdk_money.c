/*
 * SDK money: minor units formatted the way a text to a patient reads
 * ("$50", "$12.50", "$1,250"), currencies with 0 and 3 decimals, negative
 * amounts and the int64 extremes, and parsing prices back exactly, refusing
 * anything ambiguous.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include <bookwell-sdk/sdk.h>

static void expect_format(int64_t minor, const char *cur, const char *want)
{
    char out[BWSDK_MONEY_MAX];
    int rc = bwsdk_money_format(minor, cur, out, sizeof out);
    cr_expect_eq(rc, 0, "%lld %s: %s", (long long)minor, cur, bw_strerror(rc));
    cr_expect_str_eq(out, want, "%lld %s -> \"%s\", expected \"%s\"", (long long)minor, cur, out,
                     want);
}

static void expect_parse(const char *s, const char *cur, int64_t want)
{
    int64_t v = -12345;
    int rc = bwsdk_money_parse(s, cur, &v);
    cr_expect_eq(rc, 0, "\"%s\" %s: %s", s, cur, bw_strerror(rc));
    cr_expect_eq(v, want, "\"%s\" %s -> %lld, expected %lld", s, cur, (long long)v,
                 (long long)want);
}

static void expect_parse_refused(const char *s, const char *cur)
{
    int64_t v = 7;
    cr_expect_eq(bwsdk_money_parse(s, cur, &v), BW_E_INVAL, "\"%s\" %s accepted as %lld", s,
                 cur, (long long)v);
    cr_expect_eq(v, 7, "output untouched on failure");
}

Test(sdk_money, formats_for_messages)
{
    expect_format(5000, "USD", "$50");
    expect_format(1250, "USD", "$12.50");
    expect_format(1205, "USD", "$12.05");
    expect_format(1, "USD", "$0.01");
    expect_format(0, "USD", "$0");
    expect_format(125000, "USD", "$1,250");
    expect_format(123456789, "USD", "$1,234,567.89");
    expect_format(-525, "USD", "-$5.25");
    expect_format(7500, "CAD", "$75");
    expect_format(1999, "EUR", "\xe2\x82\xac" "19.99");
    expect_format(800, "GBP", "\xc2\xa3" "8");
    expect_format(5000, "JPY", "\xc2\xa5" "5,000");
    expect_format(1250, "CHF", "12.50 CHF");
    expect_format(1234, "KWD", "1.234 KWD");
    expect_format(1000, "KWD", "1 KWD");
    expect_format(INT64_MAX, "USD", "$92,233,720,368,547,758.07");
    expect_format(INT64_MIN, "USD", "-$92,233,720,368,547,758.08");
}

Test(sdk_money, format_refusals)
{
    char out[BWSDK_MONEY_MAX], tiny[4];
    cr_expect_eq(bwsdk_money_format(100, "usd", out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_money_format(100, "US", out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_money_format(100, NULL, out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_money_format(123456, "USD", tiny, sizeof tiny), BW_E_NOMEM);
    cr_expect_str_eq(tiny, "");
}

Test(sdk_money, exponents)
{
    cr_expect_eq(bwsdk_money_exponent("USD"), 2);
    cr_expect_eq(bwsdk_money_exponent("JPY"), 0);
    cr_expect_eq(bwsdk_money_exponent("BHD"), 3);
    cr_expect_eq(bwsdk_money_exponent("XYZ"), 2);
    cr_expect_eq(bwsdk_money_exponent("US1"), BW_E_INVAL);
}

Test(sdk_money, parses_prices)
{
    expect_parse("50", "USD", 5000);
    expect_parse("$50", "USD", 5000);
    expect_parse("12.5", "USD", 1250);
    expect_parse("$12.50", "USD", 1250);
    expect_parse("0.01", "USD", 1);
    expect_parse("1,250", "USD", 125000);
    expect_parse("$1,234,567.89", "USD", 123456789);
    expect_parse("-5.25", "USD", -525);
    expect_parse("-$5", "USD", -500);
    expect_parse("5000", "JPY", 5000);
    expect_parse("1.234", "KWD", 1234);
    expect_parse("92233720368547758.07", "USD", INT64_MAX);
}

Test(sdk_money, parse_refusals)
{
    const char *bad[] = { "", "$", "12.", ".5", "12.505", "1,25", "1,2500", ",100", "12,50.00",
                          "1..2", "12a", "$ 12", "12 USD", "--5", "92233720368547758.08",
                          "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_parse_refused(bad[i], "USD");
    expect_parse_refused("5.5", "JPY");
    expect_parse_refused("\xe2\x82\xac" "5", "USD"); /* another currency's symbol */
    expect_parse_refused("5", "usd");
}
