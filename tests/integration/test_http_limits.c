/*
 * Bad requests against the real daemon: oversized bodies (announced or
 * chunked), too many or too large headers, over-long paths, malformed JSON
 * and forms, deep JSON, unknown routes, wrong methods, missing and wrong
 * credentials. Each gets a clear 4xx with a JSON error, and none of the
 * bodies (each carries a marker) reaches the daemon's log.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support/daemon_proc.h"
#include "support/testdb.h"

#define MARKER "MARKER-5f3a9c-body"
#define MAX_BODY 4096

static char *conninfo;
static struct test_daemon daemon_;
static const char *const admin_json[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN,
                                          "Content-Type: application/json", NULL };
static const char *const admin_form[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN,
                                          "Content-Type: application/x-www-form-urlencoded",
                                          NULL };

static void setup(void)
{
    conninfo = testdb_create();
    struct test_daemon_opts o = {
        .conninfo = conninfo,
        .test_clock = true,
        .extra_conf = "http = { max_body = \"4k\"; max_headers = 24; };",
    };
    test_daemon_start(&daemon_, &o);
}

static void teardown(void)
{
    test_daemon_stop(&daemon_, SIGTERM);
    test_daemon_cleanup(&daemon_);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(http_limits, .init = setup, .fini = teardown, .timeout = 60);

/* A body of len bytes that carries the marker. */
static char *marked_body(size_t len)
{
    char *b = malloc(len + 1);
    cr_assert_not_null(b);
    memset(b, 'x', len);
    memcpy(b, "{\"a\":\"" MARKER, strlen("{\"a\":\"" MARKER));
    b[len] = '\0';
    return b;
}

/* Asserts status, a JSON error with code, and the request id header. */
static void expect_error(const struct test_http_resp *r, long status, const char *code)
{
    char want[96];
    snprintf(want, sizeof want, "\"code\":\"%s\"", code);
    cr_assert_eq(r->status, status, "wanted %ld %s, got %ld: %s", status, code, r->status, r->body);
    cr_assert_not_null(strstr(r->body, want), "wanted %s in %s", code, r->body);
    cr_assert_not_null(strstr(r->body, "\"request_id\":\""), "%s", r->body);
    cr_assert_not_null(strstr(r->headers, "Content-Type: application/json"), "%s", r->headers);
    cr_assert_not_null(strstr(r->headers, "X-Request-Id: "), "%s", r->headers);
    cr_assert_null(strstr(r->body, MARKER), "the error does not echo the body");
}

/* Stops the daemon and returns its whole log (caller frees). */
static char *final_log(void)
{
    int status = test_daemon_stop(&daemon_, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    char *log = test_daemon_log(&daemon_);
    cr_assert_not_null(log);
    return log;
}

static void expect_logged(const char *log, const char *status, const char *code)
{
    char want[128];
    snprintf(want, sizeof want, "\"status\":\"%s\",", status);
    const char *p = strstr(log, want);
    cr_assert_not_null(p, "no request line with status %s", status);
    snprintf(want, sizeof want, "\"error\":\"%s\"", code);
    cr_assert_not_null(strstr(log, want), "no request line with error %s", code);
}

Test(http_limits, oversized_bodies_get_413)
{
    struct test_http_resp r;
    char *big = marked_body(MAX_BODY + 1000);
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/tenants/glow/api-keys", admin_json,
                           big, strlen(big), &r), 0);
    expect_error(&r, 413, "body_too_large");
    test_http_resp_free(&r);

    /* Chunked: no length announced; the limit applies as the body arrives. */
    const char *chunked[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN,
                              "Content-Type: application/json", "Transfer-Encoding: chunked",
                              NULL };
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/tenants/glow/api-keys", chunked,
                           big, strlen(big), &r), 0);
    expect_error(&r, 413, "body_too_large");
    test_http_resp_free(&r);

    /* Exactly the limit is accepted (and then judged as JSON). */
    big[MAX_BODY] = '\0';
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/tenants/glow/api-keys", chunked,
                           big, MAX_BODY, &r), 0);
    expect_error(&r, 400, "invalid_json");
    test_http_resp_free(&r);
    free(big);

    /* A chunked body far past the limit is cut off; the daemon carries on. */
    size_t huge_len = 3 * 1024 * 1024;
    char *huge = marked_body(huge_len);
    int rc = test_http("POST", daemon_.admin_port, "/admin/tenants/glow/api-keys", chunked, huge,
                       huge_len, &r);
    cr_assert(rc != 0 || r.status == 413, "rc %d status %ld", rc, r.status);
    test_http_resp_free(&r);
    free(huge);
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/healthz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    test_http_resp_free(&r);

    char *log = final_log();
    cr_assert_null(strstr(log, MARKER), "a body reached the log");
    expect_logged(log, "413", "body_too_large");
    cr_assert_not_null(strstr(log, "\"msg\":\"request dropped\""), "the cut-off is logged");
    free(log);
}

Test(http_limits, header_count_and_size_are_bounded)
{
    struct test_http_resp r;
    const char *many[32];
    char names[30][24];
    for (int i = 0; i < 30; i++) {
        snprintf(names[i], sizeof names[i], "X-Extra-%d: v", i);
        many[i] = names[i];
    }
    many[30] = NULL;
    cr_assert_eq(test_http("GET", daemon_.public_port, "/healthz", many, NULL, 0, &r), 0);
    expect_error(&r, 431, "too_many_headers");
    test_http_resp_free(&r);

    /* 20 KiB in one header: past our 8 KiB bound, within libmicrohttpd's
     * 32 KiB connection memory. */
    size_t n = 20 * 1024;
    char *h = malloc(n + 16);
    cr_assert_not_null(h);
    memcpy(h, "X-Long: ", 8);
    memset(h + 8, 'b', n);
    h[8 + n] = '\0';
    const char *one[] = { h, NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/healthz", one, NULL, 0, &r), 0);
    expect_error(&r, 431, "headers_too_large");
    test_http_resp_free(&r);
    free(h);

    /* 100 KiB: libmicrohttpd refuses it itself, still with a 431. */
    n = 100 * 1024;
    h = malloc(n + 16);
    cr_assert_not_null(h);
    memcpy(h, "X-Long: ", 8);
    memset(h + 8, 'b', n);
    h[8 + n] = '\0';
    one[0] = h;
    cr_assert_eq(test_http("GET", daemon_.public_port, "/healthz", one, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 431, "%s", r.body);
    test_http_resp_free(&r);
    free(h);

    /* An over-long path. */
    char path[3000];
    path[0] = '/';
    memset(path + 1, 'p', sizeof path - 2);
    path[sizeof path - 1] = '\0';
    cr_assert_eq(test_http("GET", daemon_.public_port, path, NULL, NULL, 0, &r), 0);
    expect_error(&r, 414, "uri_too_long");
    test_http_resp_free(&r);

    cr_assert_eq(test_http("GET", daemon_.public_port, "/healthz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "the daemon still serves");
    test_http_resp_free(&r);
}

Test(http_limits, malformed_json_and_forms_get_400)
{
    struct test_http_resp r;
    static const char *const bad_json[] = {
        "{\"set\": " MARKER,
        "{\"set\":\"2030-01-01T00:00:00Z\"} " MARKER,
        "[\"" MARKER "\"]",
        NULL,
    };
    for (int i = 0; bad_json[i]; i++) {
        cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/test/clock", admin_json,
                               bad_json[i], strlen(bad_json[i]), &r), 0);
        expect_error(&r, 400, "invalid_json");
        test_http_resp_free(&r);
    }
    /* Nested deeper than the bound. */
    char deep[200];
    size_t n = 0;
    deep[n++] = '{';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "\"%s\":", MARKER);
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    for (int i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/test/clock", admin_json, deep, n, &r), 0);
    expect_error(&r, 400, "invalid_json");
    cr_assert_not_null(strstr(r.body, "too deeply"), "%s", r.body);
    test_http_resp_free(&r);

    const char *bad_form = "From=%2B1415&Body=" MARKER "%zz";
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/test/form", admin_form, bad_form,
                           strlen(bad_form), &r), 0);
    expect_error(&r, 400, "invalid_form");
    test_http_resp_free(&r);

    /* The decoder over HTTP: order, '+', escapes, repeated keys. */
    const char *good = "Body=hi+there%21&From=%2B14155550100&Body=again";
    cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/test/form", admin_form, good,
                           strlen(good), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.body, "{\"fields\":[{\"key\":\"Body\",\"value\":\"hi there!\"},"
                             "{\"key\":\"From\",\"value\":\"+14155550100\"},"
                             "{\"key\":\"Body\",\"value\":\"again\"}]}");
    test_http_resp_free(&r);

    char *log = final_log();
    cr_assert_null(strstr(log, MARKER), "a body reached the log");
    cr_assert_null(strstr(log, "14155550100"), "form values stay out of the log");
    expect_logged(log, "400", "invalid_json");
    expect_logged(log, "400", "invalid_form");
    free(log);
}

Test(http_limits, unknown_routes_methods_and_credentials)
{
    struct test_http_resp r;
    const char *body = "{\"label\":\"" MARKER "\"}";

    /* Unknown route, with and without a body (refused before it is read). */
    cr_assert_eq(test_http("POST", daemon_.public_port, "/no/such/route", admin_json, body,
                           strlen(body), &r), 0);
    expect_error(&r, 404, "not_found");
    test_http_resp_free(&r);
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/admin/nothing", admin_json, NULL, 0, &r), 0);
    expect_error(&r, 404, "not_found");
    test_http_resp_free(&r);

    /* Wrong method: 405 naming what is allowed. */
    cr_assert_eq(test_http("PUT", daemon_.admin_port, "/admin/test/clock", admin_json, body,
                           strlen(body), &r), 0);
    expect_error(&r, 405, "method_not_allowed");
    cr_assert_not_null(strstr(r.headers, "Allow: GET, HEAD, POST"), "%s", r.headers);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("DELETE", daemon_.public_port, "/healthz", NULL, NULL, 0, &r), 0);
    expect_error(&r, 405, "method_not_allowed");
    cr_assert_not_null(strstr(r.headers, "Allow: GET, HEAD"), "%s", r.headers);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("HEAD", daemon_.public_port, "/healthz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "HEAD is GET without the body");
    test_http_resp_free(&r);

    /* Operator token: missing, malformed, wrong (with a body to refuse). */
    const char *none[] = { "Content-Type: application/json", NULL };
    const char *basic[] = { "Authorization: Basic dXNlcjpwYXNz", NULL };
    const char *wrong[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN "x", NULL };
    const char *const *cases[] = { none, basic, wrong, NULL };
    for (int i = 0; cases[i]; i++) {
        cr_assert_eq(test_http("POST", daemon_.admin_port, "/admin/tenants/glow/api-keys",
                               cases[i], body, strlen(body), &r), 0);
        expect_error(&r, 401, "unauthorized");
        cr_assert_not_null(strstr(r.headers, "WWW-Authenticate: Bearer"), "%s", r.headers);
        test_http_resp_free(&r);
    }
    /* The operator token is not a tenant key, and a made-up key is nothing. */
    const char *op_on_public[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/tenant", op_on_public, NULL, 0, &r), 0);
    expect_error(&r, 401, "unauthorized");
    test_http_resp_free(&r);
    const char *fake[] = { "Authorization: Bearer bwk_notarealkeynotarealkeynotarealkeynotareal", NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/tenant", fake, NULL, 0, &r), 0);
    expect_error(&r, 401, "unauthorized");
    test_http_resp_free(&r);

    /* A client's own request id is used when it is well-formed. */
    const char *rid[] = { "X-Request-Id: client-req-42", NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/nowhere", rid, NULL, 0, &r), 0);
    cr_assert_not_null(strstr(r.headers, "X-Request-Id: client-req-42"), "%s", r.headers);
    cr_assert_not_null(strstr(r.body, "\"request_id\":\"client-req-42\""), "%s", r.body);
    test_http_resp_free(&r);
    const char *bad_rid[] = { "X-Request-Id: has spaces and \"quotes\"", NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/nowhere", bad_rid, NULL, 0, &r), 0);
    cr_assert_null(strstr(r.headers, "has spaces"), "a malformed id is replaced");
    test_http_resp_free(&r);

    char *log = final_log();
    cr_assert_null(strstr(log, MARKER), "a body reached the log");
    cr_assert_null(strstr(log, TEST_ADMIN_TOKEN), "a token reached the log");
    cr_assert_null(strstr(log, "notarealkey"), "a key reached the log");
    expect_logged(log, "404", "not_found");
    expect_logged(log, "405", "method_not_allowed");
    expect_logged(log, "401", "unauthorized");
    cr_assert_not_null(strstr(log, "\"request_id\":\"client-req-42\""));
    free(log);
}
