/*
 * The form-body decoder: pairs in order, percent and '+' decoding, repeated
 * keys kept, empty segments skipped; malformed escapes, encoded NULs, empty
 * keys, invalid UTF-8 and too many pairs refused; and the route helper's
 * 400 invalid_form reply.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_form.h"

static int parse(const char *body, struct http_form *f)
{
    return http_form_parse(body, strlen(body), f);
}

Test(http_form, pairs_in_order_decoded)
{
    struct http_form f;
    const char *body = "From=%2B14155550100&Body=Can+I+book+Botox%3F+%C3%A9t%C3%A9&To=%2b1415"
                       "5550199&Body=second";
    cr_assert_eq(parse(body, &f), 0);
    cr_assert_eq(f.n, 4);
    cr_assert_str_eq(f.pairs[0].key, "From");
    cr_assert_str_eq(f.pairs[0].value, "+14155550100");
    cr_assert_str_eq(f.pairs[1].key, "Body");
    cr_assert_str_eq(f.pairs[1].value, "Can I book Botox? \xc3\xa9t\xc3\xa9");
    cr_assert_str_eq(f.pairs[2].value, "+14155550199", "lower-case hex is fine");
    cr_assert_str_eq(f.pairs[3].key, "Body", "repeated keys are kept, in order");
    cr_assert_str_eq(http_form_get(&f, "Body"), "Can I book Botox? \xc3\xa9t\xc3\xa9",
                     "get returns the first");
    cr_assert_null(http_form_get(&f, "body"), "keys are case-sensitive");
    http_form_free(&f);
}

Test(http_form, empty_values_and_segments)
{
    struct http_form f;
    cr_assert_eq(parse("a=&b&&c=3&", &f), 0);
    cr_assert_eq(f.n, 3);
    cr_assert_str_eq(f.pairs[0].key, "a");
    cr_assert_str_eq(f.pairs[0].value, "");
    cr_assert_str_eq(f.pairs[1].key, "b");
    cr_assert_str_eq(f.pairs[1].value, "", "a key without '=' has an empty value");
    cr_assert_str_eq(f.pairs[2].value, "3");
    http_form_free(&f);

    cr_assert_eq(parse("", &f), 0);
    cr_assert_eq(f.n, 0);
    http_form_free(&f);

    cr_assert_eq(parse("k=a%3Db%26c", &f), 0, "encoded = and & stay in the value");
    cr_assert_eq(f.n, 1);
    cr_assert_str_eq(f.pairs[0].value, "a=b&c");
    http_form_free(&f);

    cr_assert_eq(parse("k=a=b", &f), 0, "only the first '=' splits");
    cr_assert_str_eq(f.pairs[0].value, "a=b");
    http_form_free(&f);
}

Test(http_form, body_need_not_be_terminated)
{
    struct http_form f;
    const char raw[] = { 'a', '=', '1', '&', 'b', '=', '2' };
    cr_assert_eq(http_form_parse(raw, sizeof raw, &f), 0);
    cr_assert_eq(f.n, 2);
    cr_assert_str_eq(f.pairs[1].value, "2");
    http_form_free(&f);
}

Test(http_form, malformed_encodings_are_refused)
{
    static const char *const bad[] = {
        "a=%",          /* truncated escape */
        "a=%4",         /* truncated escape */
        "a=%G1",        /* not hex */
        "a=%1Z&b=2",    /* not hex */
        "a=1&%zz=2",    /* bad escape in a key */
        "a=x%00y",      /* encoded NUL */
        "=value",       /* empty key */
        "a=1&=2",       /* empty key later on */
        "a=%FF",        /* not UTF-8 */
        "a=%C3",        /* truncated UTF-8 sequence */
        "a=%C0%AF",     /* overlong encoding of '/' */
        "a=%ED%A0%80",  /* a UTF-16 surrogate */
        "a=%F4%90%80%80", /* past U+10FFFF */
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        struct http_form f;
        cr_assert_eq(parse(bad[i], &f), -1, "'%s' is refused", bad[i]);
        cr_assert_eq(f.n, 0);
        cr_assert_null(f.pairs);
        http_form_free(&f);
    }
    struct http_form f;
    const char raw[] = { 'a', '=', 'x', '\0', 'y' };
    cr_assert_eq(http_form_parse(raw, sizeof raw, &f), -1, "a raw NUL is refused");
    http_form_free(&f);
}

Test(http_form, too_many_pairs_are_refused)
{
    size_t cap = (HTTP_FORM_MAX_PAIRS + 1) * 8 + 1;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    size_t n = 0;
    for (int i = 0; i < HTTP_FORM_MAX_PAIRS; i++)
        n += (size_t)snprintf(body + n, cap - n, "%sk%d=v", i ? "&" : "", i % 100);
    struct http_form f;
    cr_assert_eq(http_form_parse(body, n, &f), 0, "exactly the maximum is fine");
    cr_assert_eq(f.n, HTTP_FORM_MAX_PAIRS);
    http_form_free(&f);
    n += (size_t)snprintf(body + n, cap - n, "&x=y");
    cr_assert_eq(http_form_parse(body, n, &f), -1, "one more is refused");
    http_form_free(&f);
    free(body);
}

Test(http_form, route_helper_replies_invalid_form)
{
    struct http_request req = { 0 };
    struct http_response resp = { 0 };
    struct http_form f;
    snprintf(req.request_id, sizeof req.request_id, "req-form-1");
    req.body = "Body=SECRET%zzMARKER";
    req.body_len = strlen(req.body);
    cr_assert_eq(http_form_body(&req, &resp, &f), -1);
    cr_assert_eq(resp.status, 400);
    cr_assert_not_null(strstr(resp.body, "\"code\":\"invalid_form\""), "%s", resp.body);
    cr_assert_not_null(strstr(resp.body, "\"request_id\":\"req-form-1\""));
    cr_assert_null(strstr(resp.body, "MARKER"), "the reply does not echo the body");
    cr_assert_str_eq(resp.error_code, "invalid_form");
    http_form_free(&f);
    free(resp.body);

    memset(&resp, 0, sizeof resp);
    req.body = "Body=hello";
    req.body_len = strlen(req.body);
    cr_assert_eq(http_form_body(&req, &resp, &f), 0);
    cr_assert_eq(resp.status, 0, "no reply on success");
    cr_assert_str_eq(http_form_get(&f, "Body"), "hello");
    http_form_free(&f);
}
