/*
 * SDK phone numbers: US and Canadian numbers in the forms people write them
 * become E.164; international numbers written with +, 00 or 011 are kept
 * when plausible; anything ambiguous (letters, extensions, wrong lengths,
 * impossible area codes or exchanges) is refused rather than guessed.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell-sdk/sdk.h>

static void expect_e164(const char *in, const char *region, const char *want)
{
    char out[BWSDK_E164_MAX];
    int rc = bwsdk_phone_e164(in, region, out);
    cr_expect_eq(rc, 0, "\"%s\" (%s) refused with %s", in, region ? region : "NULL",
                 bw_strerror(rc));
    if (rc == 0)
        cr_expect_str_eq(out, want, "\"%s\" -> %s, expected %s", in, out, want);
}

static void expect_refused(const char *in, const char *region, int code)
{
    char out[BWSDK_E164_MAX] = "unchanged";
    int rc = bwsdk_phone_e164(in, region, out);
    cr_expect_eq(rc, code, "\"%s\": %s, expected %s (got %s)", in, bw_strerror(rc),
                 bw_strerror(code), out);
    cr_expect_str_eq(out, "", "output is emptied on failure");
}

Test(sdk_phone, north_american_written_forms)
{
    const char *forms[] = { "(415) 555-0123", "415-555-0123", "415.555.0123", "415 555 0123",
                            "4155550123", "1-415-555-0123", "1 (415) 555-0123", "14155550123",
                            "+1 415 555 0123", "+1 (415) 555-0123", "+14155550123",
                            "  415/555-0123 ", "\t+1.415.555.0123" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        expect_e164(forms[i], "US", "+14155550123");
    expect_e164("(604) 555-0199", "CA", "+16045550199");
    expect_e164("416 555 0100", NULL, "+14165550100");
}

Test(sdk_phone, international_numbers)
{
    expect_e164("+44 20 7946 0958", "US", "+442079460958");
    expect_e164("011 44 20 7946 0958", "US", "+442079460958");
    expect_e164("0044 20 7946 0958", "US", "+442079460958");
    expect_e164("+61 2 9374 4000", "US", "+61293744000");
    expect_e164("+52 55 1234 5678", "CA", "+525512345678");
}

Test(sdk_phone, refusals)
{
    expect_refused("", "US", BW_E_INVAL);
    expect_refused("call me", "US", BW_E_INVAL);
    expect_refused("1-800-FLOWERS", "US", BW_E_INVAL);
    expect_refused("415-555-0123 x12", "US", BW_E_INVAL);
    expect_refused("415-555-0123 ext 12", "US", BW_E_INVAL);
    expect_refused("555-0123", "US", BW_E_INVAL);           /* no area code */
    expect_refused("415-555-01234", "US", BW_E_INVAL);      /* 11 digits, no trunk 1 */
    expect_refused("2-415-555-0123", "US", BW_E_INVAL);
    expect_refused("(115) 555-0123", "US", BW_E_INVAL);     /* area code starts with 1 */
    expect_refused("(015) 555-0123", "US", BW_E_INVAL);
    expect_refused("(911) 555-0123", "US", BW_E_INVAL);     /* N11 area code */
    expect_refused("(495) 555-0123", "US", BW_E_INVAL);     /* 9 in the middle: reserved */
    expect_refused("(415) 155-0123", "US", BW_E_INVAL);     /* exchange starts with 1 */
    expect_refused("(415) 411-0123", "US", BW_E_INVAL);     /* N11 exchange */
    expect_refused("+1 115 555 0123", "US", BW_E_INVAL);    /* +1 is still NANP */
    expect_refused("+1 415 555 012", "US", BW_E_INVAL);
    expect_refused("+0 123 456 7890", "US", BW_E_INVAL);
    expect_refused("+44 20", "US", BW_E_INVAL);             /* too short */
    expect_refused("+1234567890123456", "US", BW_E_INVAL);  /* 16 digits */
    expect_refused("415+555+0123", "US", BW_E_INVAL);
    expect_refused("++14155550123", "US", BW_E_INVAL);
    expect_refused("4155550123", "GB", BW_E_NOTSUP);        /* national numbers: NANP only */
    char longer[80];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    expect_refused(longer, "US", BW_E_INVAL);
}

Test(sdk_phone, is_nanp)
{
    cr_expect(bwsdk_phone_is_nanp("+14155550123"));
    cr_expect_not(bwsdk_phone_is_nanp("+442079460958"));
    cr_expect_not(bwsdk_phone_is_nanp("+1415555012"));
    cr_expect_not(bwsdk_phone_is_nanp("+11155550123"));
    cr_expect_not(bwsdk_phone_is_nanp("+1415555012a"));
    cr_expect_not(bwsdk_phone_is_nanp(NULL));
}
