/*
 * SDK URL and form encoding: percent-encoding keeps exactly RFC 3986's
 * unreserved set, decoding refuses broken escapes and encoded NULs, form
 * bodies parse in order with '+' as space, sort for signature schemes, and
 * encode back to what they parsed from.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/sdk.h>

static const char *enc(const char *s, bool form)
{
    static char out[256];
    cr_assert_eq(bwsdk_url_encode(s, strlen(s), form, out, sizeof out, NULL), 0);
    return out;
}

Test(sdk_form, url_encode)
{
    cr_expect_str_eq(enc("AZaz09-._~", false), "AZaz09-._~");
    cr_expect_str_eq(enc("a b&c=d/e?f", false), "a%20b%26c%3Dd%2Fe%3Ff");
    cr_expect_str_eq(enc("a b+c", true), "a+b%2Bc");
    cr_expect_str_eq(enc("caf\xc3\xa9", false), "caf%C3%A9");
    cr_expect_str_eq(enc("+14155550123", true), "%2B14155550123");
    cr_expect_str_eq(enc("", false), "");
    char small[4];
    size_t n = 99;
    cr_expect_eq(bwsdk_url_encode("abcd", 4, false, small, sizeof small, &n), BW_E_NOMEM);
    cr_expect_eq(bwsdk_url_encode("a b", 3, false, small, sizeof small, &n), BW_E_NOMEM);
    cr_expect_eq(bwsdk_url_encode("abc", 3, false, small, sizeof small, &n), 0);
    cr_expect_eq(n, 3);
}

Test(sdk_form, url_decode)
{
    char out[64];
    size_t n;
    cr_assert_eq(bwsdk_url_decode("a%20b+c%2B", 10, false, out, sizeof out, &n), 0);
    cr_expect_str_eq(out, "a b+c+");
    cr_assert_eq(bwsdk_url_decode("a%20b+c%2b", 10, true, out, sizeof out, &n), 0);
    cr_expect_str_eq(out, "a b c+");
    cr_expect_eq(n, 6);
    cr_assert_eq(bwsdk_url_decode("caf%C3%a9", 9, false, out, sizeof out, NULL), 0);
    cr_expect_str_eq(out, "caf\xc3\xa9");
    const char *bad[] = { "%", "%2", "a%g1", "%%", "x%00y" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(bwsdk_url_decode(bad[i], strlen(bad[i]), false, out, sizeof out, NULL),
                     BW_E_INVAL, "\"%s\" accepted", bad[i]);
    cr_expect_eq(bwsdk_url_decode("abcdef", 6, false, out, 4, NULL), BW_E_NOMEM);
    /* In place: decoding never lengthens. */
    char in_place[] = "a%41%42c";
    cr_assert_eq(bwsdk_url_decode(in_place, strlen(in_place), false, in_place, sizeof in_place,
                                  NULL), 0);
    cr_expect_str_eq(in_place, "aABc");
}

Test(sdk_form, parse_get_sort_encode)
{
    const char *body = "To=%2B14155550100&From=%2B14155550123&Body=Hi+there%21+Can+I+book%3F"
                       "&MessageSid=SM123&&Flag&Empty=&Body=second";
    struct bwsdk_form f = { 0 };
    cr_assert_eq(bwsdk_form_parse(&f, body, strlen(body)), 0);
    cr_assert_eq(f.n, 7);
    cr_expect_str_eq(bwsdk_form_get(&f, "To"), "+14155550100");
    cr_expect_str_eq(bwsdk_form_get(&f, "Body"), "Hi there! Can I book?", "first match wins");
    cr_expect_str_eq(bwsdk_form_get(&f, "Flag"), "");
    cr_expect_str_eq(bwsdk_form_get(&f, "Empty"), "");
    cr_expect_null(bwsdk_form_get(&f, "to"), "keys are case-sensitive");

    bwsdk_form_sort(&f);
    const char *order[] = { "Body", "Body", "Empty", "Flag", "From", "MessageSid", "To" };
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(f.pairs[i].key, order[i]);
    cr_expect_str_eq(f.pairs[0].value, "Hi there! Can I book?");
    cr_expect_str_eq(f.pairs[1].value, "second");

    char *text;
    size_t len;
    cr_assert_eq(bwsdk_form_encode(&f, &text, &len), 0);
    cr_expect_str_eq(text, "Body=Hi+there%21+Can+I+book%3F&Body=second&Empty=&Flag=&"
                           "From=%2B14155550123&MessageSid=SM123&To=%2B14155550100");
    cr_expect_eq(len, strlen(text));

    struct bwsdk_form g = { 0 };
    cr_assert_eq(bwsdk_form_parse(&g, text, len), 0);
    cr_assert_eq(g.n, f.n);
    for (size_t i = 0; i < g.n; i++) {
        cr_expect_str_eq(g.pairs[i].key, f.pairs[i].key);
        cr_expect_str_eq(g.pairs[i].value, f.pairs[i].value);
    }
    free(text);
    bwsdk_form_free(&f);
    bwsdk_form_free(&g);
    cr_expect_eq(f.n, 0);
    cr_expect_null(f.pairs);
}

Test(sdk_form, build_encode_and_limits)
{
    struct bwsdk_form f = { 0 };
    char *text;
    cr_assert_eq(bwsdk_form_encode(&f, &text, NULL), 0);
    cr_expect_str_eq(text, "");
    free(text);
    cr_assert_eq(bwsdk_form_add(&f, "amount", "50.00"), 0);
    cr_assert_eq(bwsdk_form_add(&f, "note", "deposit & tip"), 0);
    cr_assert_eq(bwsdk_form_encode(&f, &text, NULL), 0);
    cr_expect_str_eq(text, "amount=50.00&note=deposit+%26+tip");
    free(text);
    bwsdk_form_free(&f);

    cr_expect_eq(bwsdk_form_parse(&f, "a=%zz", 5), BW_E_INVAL);
    bwsdk_form_free(&f);

    for (int i = 0; i < BWSDK_FORM_MAX_PAIRS; i++)
        cr_assert_eq(bwsdk_form_add(&f, "k", "v"), 0);
    cr_expect_eq(bwsdk_form_add(&f, "k", "v"), BW_E_NOMEM, "a form is bounded");
    cr_expect_eq(f.n, BWSDK_FORM_MAX_PAIRS);
    bwsdk_form_free(&f);
}

Test(sdk_form, query_parameters_are_joined_and_encoded)
{
    char q[64] = "";
    cr_assert_eq(bwsdk_query_add(q, sizeof q, "phone", "+14155550123"), 0);
    cr_assert_eq(bwsdk_query_add(q, sizeof q, "name", "Ann Lee&co"), 0);
    cr_expect_str_eq(q, "phone=%2B14155550123&name=Ann%20Lee%26co");
    char small[12] = "a=1";
    cr_expect_eq(bwsdk_query_add(small, sizeof small, "longer_key", "x"), BW_E_NOMEM);
    cr_expect_eq(bwsdk_query_add(small, sizeof small, "b", "too long a value"), BW_E_NOMEM);
}
