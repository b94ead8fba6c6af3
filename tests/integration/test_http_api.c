/*
 * The daemon over real HTTP: health and readiness on both listeners, JSON
 * errors for unknown routes and wrong methods, operator-token and tenant-key
 * authentication, API keys scoped to their tenant, and /metrics counting
 * what was served in valid Prometheus text.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support/daemon_proc.h"
#include "support/promtext.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon daemon_;

static void setup(void)
{
    conninfo = testdb_create();
    struct test_daemon_opts o = { .conninfo = conninfo };
    test_daemon_start(&daemon_, &o);
}

static void teardown(void)
{
    test_daemon_stop(&daemon_, SIGTERM);
    test_daemon_cleanup(&daemon_);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(http_api, .init = setup, .fini = teardown, .timeout = 60);

Test(http_api, health_and_readiness_on_both_listeners)
{
    struct test_http_resp r;
    unsigned ports[] = { daemon_.public_port, daemon_.admin_port };
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(test_http("GET", ports[i], "/healthz", NULL, NULL, 0, &r), 0);
        cr_assert_eq(r.status, 200);
        test_http_resp_free(&r);
        cr_assert_eq(test_http("GET", ports[i], "/readyz", NULL, NULL, 0, &r), 0);
        cr_assert_eq(r.status, 200, "readyz: %s", r.body);
        cr_assert(strstr(r.body, "\"ready\"") != NULL);
        test_http_resp_free(&r);
    }
}

Test(http_api, unknown_route_and_wrong_method_are_json_errors)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", daemon_.public_port, "/no/such/route", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 404);
    cr_assert(strstr(r.body, "\"not_found\"") != NULL, "%s", r.body);
    cr_assert(strstr(r.headers, "X-Request-Id:") != NULL);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("DELETE", daemon_.public_port, "/healthz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 405);
    test_http_resp_free(&r);
}

Test(http_api, admin_routes_need_the_operator_token)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/admin/status", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 401);
    test_http_resp_free(&r);
    const char *wrong[] = { "Authorization: Bearer not-the-token", NULL };
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/admin/status", wrong, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 401);
    cr_assert(strstr(r.body, "\"unauthorized\"") != NULL);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&daemon_, "GET", "/admin/status", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    /* Admin routes do not exist on the public listener. */
    const char *right[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/admin/status", right, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
}

Test(http_api, tenant_keys_authenticate_and_can_be_revoked)
{
    struct test_http_resp r;
    char key[128], key_id[64], auth[200], path[200];
    cr_assert_eq(test_admin(&daemon_, "POST", "/admin/tenants/glow/api-keys", "{\"label\":\"front desk\"}", &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    const char *k = strstr(r.body, "\"api_key\":\"");
    const char *id = strstr(r.body, "\"key_id\":\"");
    cr_assert(k && id);
    sscanf(k + 11, "%127[^\"]", key);
    sscanf(id + 10, "%63[^\"]", key_id);
    test_http_resp_free(&r);

    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *h[] = { auth, NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/tenant", h, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"id\":\"glow\"") != NULL);
    test_http_resp_free(&r);

    PGconn *pg = testdb_connect(conninfo);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM api_keys WHERE key_hash::text LIKE '%%%s%%'", key + 4);
    cr_assert_eq(testdb_scalar(pg, sql), 0, "the key itself is not stored");
    PQfinish(pg);

    snprintf(path, sizeof path, "/admin/tenants/glow/api-keys/%s", key_id);
    cr_assert_eq(test_admin(&daemon_, "DELETE", path, NULL, &r), 0);
    cr_assert_eq(r.status, 200);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("GET", daemon_.public_port, "/tenant", h, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 401);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&daemon_, "POST", "/admin/tenants/nobody/api-keys", NULL, &r), 0);
    cr_assert_eq(r.status, 404);
    test_http_resp_free(&r);
}

static double metric(const char *text, const char *series)
{
    double v = -1;
    cr_assert(promtext_value(text, series, &v), "no series %s in\n%s", series, text);
    return v;
}

Test(http_api, metrics_count_requests_in_valid_prometheus_text)
{
    struct test_http_resp r;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(test_http("GET", daemon_.public_port, "/healthz", NULL, NULL, 0, &r), 0);
        test_http_resp_free(&r);
    }
    cr_assert_eq(test_http("GET", daemon_.public_port, "/nope", NULL, NULL, 0, &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("GET", daemon_.public_port, "/nope/either", NULL, NULL, 0, &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_admin(&daemon_, "GET", "/admin/status", NULL, &r), 0);
    test_http_resp_free(&r);
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/admin/status", NULL, NULL, 0, &r), 0);
    test_http_resp_free(&r);

    cr_assert_eq(test_http("GET", daemon_.admin_port, "/metrics", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.headers, "Content-Type: text/plain; version=0.0.4"), "%s", r.headers);
    char err[256];
    cr_assert_eq(promtext_check(r.body, err, sizeof err), 0, "%s\n----\n%s", err, r.body);

    const char *t = r.body;
    cr_assert_eq(metric(t, "bookwell_http_requests_total{listener=\"public\",route=\"/healthz\",status=\"200\"}"), 3);
    cr_assert_eq(metric(t, "bookwell_http_requests_total{listener=\"public\",route=\"unmatched\",status=\"404\"}"), 2,
                 "unknown paths share one series");
    cr_assert_eq(metric(t, "bookwell_http_requests_total{listener=\"admin\",route=\"/admin/status\",status=\"200\"}"), 1);
    cr_assert_eq(metric(t, "bookwell_http_requests_total{listener=\"admin\",route=\"/admin/status\",status=\"401\"}"), 1);
    cr_assert_eq(metric(t, "bookwell_http_request_duration_seconds_count{listener=\"public\",route=\"/healthz\"}"), 3);
    cr_assert_eq(metric(t, "bookwell_http_request_duration_seconds_bucket{listener=\"public\",route=\"/healthz\",le=\"+Inf\"}"), 3);
    cr_assert_eq(metric(t, "bookwell_db_pool_connections{state=\"total\"}"), 4, "pool_size in the test config");
    cr_assert_geq(metric(t, "bookwell_db_pool_connections{state=\"in_use\"}"), 0);
    cr_assert_null(strstr(t, "/nope"), "raw paths never become labels");
    test_http_resp_free(&r);

    /* The scrape itself is counted by the next one. */
    cr_assert_eq(test_http("GET", daemon_.admin_port, "/metrics", NULL, NULL, 0, &r), 0);
    cr_assert_eq(metric(r.body, "bookwell_http_requests_total{listener=\"admin\",route=\"/metrics\",status=\"200\"}"), 1);
    test_http_resp_free(&r);
}

Test(http_api, sigterm_exits_zero)
{
    int status = test_daemon_stop(&daemon_, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}
