/*
 * Pieces of the HTTP server that need no socket: path patterns and their
 * captures, the constant-time token comparison, and the JSON error shape.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"

Test(http_server, patterns_match_literally_and_capture_segments)
{
    char *p[HTTP_MAX_PATH_PARAMS];
    cr_assert_eq(http_match("/healthz", "/healthz", p, HTTP_MAX_PATH_PARAMS), 0);
    cr_assert_eq(http_match("/healthz", "/healthz/", p, HTTP_MAX_PATH_PARAMS), -1);
    cr_assert_eq(http_match("/healthz", "/health", p, HTTP_MAX_PATH_PARAMS), -1);
    cr_assert_eq(http_match("/healthz", "/HEALTHZ", p, HTTP_MAX_PATH_PARAMS), -1);

    const char *pat = "/admin/tenants/{tenant}/api-keys/{key_id}";
    cr_assert_eq(http_match(pat, "/admin/tenants/glow/api-keys/k_12", p, HTTP_MAX_PATH_PARAMS), 2);
    cr_assert_str_eq(p[0], "glow");
    cr_assert_str_eq(p[1], "k_12");
    free(p[0]);
    free(p[1]);
    cr_assert_eq(http_match(pat, "/admin/tenants//api-keys/k", p, HTTP_MAX_PATH_PARAMS), -1,
                 "a capture is never empty");
    cr_assert_eq(http_match(pat, "/admin/tenants/a/b/api-keys/k", p, HTTP_MAX_PATH_PARAMS), -1,
                 "a capture is one segment");
    cr_assert_eq(http_match(pat, "/admin/tenants/glow/api-keys", p, HTTP_MAX_PATH_PARAMS), -1);
    cr_assert_eq(http_match(pat, "/admin/tenants/glow/api-keys/k", p, 1), -1,
                 "more captures than room fails");
}

Test(http_server, token_comparison)
{
    cr_assert(http_token_equal("abc", "abc"));
    cr_assert_not(http_token_equal("abc", "abd"));
    cr_assert_not(http_token_equal("abc", "abcd"));
    cr_assert_not(http_token_equal("abcd", "abc"));
    cr_assert_not(http_token_equal("", "abc"));
}

Test(http_server, errors_are_json_with_code_and_request_id)
{
    struct http_request req = { 0 };
    struct http_response resp = { 0 };
    snprintf(req.request_id, sizeof req.request_id, "rid-1");
    http_reply_error(&req, &resp, 413, "body_too_large", "quote \" and\nnewline");
    cr_assert_eq(resp.status, 413);
    cr_assert_str_eq(resp.content_type, "application/json");
    cr_assert_str_eq(resp.body, "{\"error\":{\"code\":\"body_too_large\",\"message\":\"quote \\\" "
                                "and\\nnewline\"},\"request_id\":\"rid-1\"}");
    cr_assert_str_eq(resp.error_code, "body_too_large");
    free(resp.body);
}
