/*
 * JSON request bodies: one object, bounded depth, nothing after it, no NUL
 * bytes; every refusal is a 400 invalid_json that does not echo the body.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

static int parse(const char *body, size_t len, int *status)
{
    struct http_request req = { 0 };
    struct http_response resp = { 0 };
    snprintf(req.request_id, sizeof req.request_id, "req-json");
    req.body = body;
    req.body_len = len;
    cJSON *o = json_parse_body(&req, &resp);
    *status = resp.status;
    if (resp.body) {
        cr_assert_not_null(strstr(resp.body, "\"code\":\"invalid_json\""), "%s", resp.body);
        cr_assert_null(strstr(resp.body, "MARKER"), "the error does not echo the body");
        cr_assert_str_eq(resp.error_code, "invalid_json");
    }
    free(resp.body);
    cJSON_Delete(o);
    return o ? 0 : -1;
}

static int parse_str(const char *body, int *status) { return parse(body, strlen(body), status); }

Test(json_util, objects_parse)
{
    int st;
    cr_assert_eq(parse_str("{\"a\":[1,{\"b\":\"MARKER\"}]}", &st), 0);
    cr_assert_eq(st, 0);
    cr_assert_eq(parse_str("  {\"a\":1}\n\t ", &st), 0, "surrounding whitespace is fine");
}

Test(json_util, malformed_bodies_are_400)
{
    static const char *const bad[] = {
        "",
        "{\"a\": MARKER",
        "{\"a\":1} MARKER",      /* trailing data */
        "{\"a\":1}{\"b\":2}",    /* two values */
        "[1,2]",                 /* not an object */
        "\"MARKER\"",
        "{'a':1}",
        NULL,
    };
    int st;
    for (int i = 0; bad[i]; i++) {
        cr_assert_eq(parse_str(bad[i], &st), -1, "accepted: %s", bad[i]);
        cr_assert_eq(st, 400);
    }
    const char nul[] = "{\"a\":\"x\0MARKER\"}";
    cr_assert_eq(parse(nul, sizeof nul - 1, &st), -1, "an embedded NUL is refused");
    cr_assert_eq(st, 400);
}

/* {"a":[[...]]} nested `levels` deep; returns its length. */
static size_t nest(char *out, int levels)
{
    size_t n = 0;
    out[n++] = '{';
    memcpy(out + n, "\"a\":", 4);
    n += 4;
    for (int i = 1; i < levels; i++)
        out[n++] = '[';
    for (int i = 1; i < levels; i++)
        out[n++] = ']';
    out[n++] = '}';
    out[n] = '\0';
    return n;
}

Test(json_util, depth_is_bounded)
{
    char deep[2 * JSON_MAX_DEPTH + 16];
    int st;
    size_t n = nest(deep, JSON_MAX_DEPTH);
    cr_assert_eq(json_depth(deep, n), JSON_MAX_DEPTH);
    cr_assert_eq(parse(deep, n, &st), 0, "the maximum depth is fine");

    n = nest(deep, JSON_MAX_DEPTH + 1);
    cr_assert_eq(json_depth(deep, n), JSON_MAX_DEPTH + 1);
    cr_assert_eq(parse(deep, n, &st), -1, "one level more is refused");
    cr_assert_eq(st, 400);

    cr_assert_eq(json_depth("{\"[[[[\":\"{{{\"}", 15), 1, "brackets in strings do not count");
    cr_assert_eq(json_depth("{\"\\\"[[\":1}", 10), 1, "escaped quotes do not end strings");
}
