/*
 * Metrics rendering: valid Prometheus text (HELP and TYPE once per family,
 * each family in one run, label values escaped), request counts by route and
 * status, a cumulative latency histogram, counters grouped by name whatever
 * order their series appeared in, and collectors' text appended.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "support/promtext.h"

static void render_and_check(char **out)
{
    char err[256];
    size_t len;
    char *text = metrics_render(&len);
    cr_assert_not_null(text);
    cr_assert_eq(strlen(text), len);
    cr_assert_eq(promtext_check(text, err, sizeof err), 0, "%s\n----\n%s", err, text);
    *out = text;
}

static size_t collect_gauge(char *out, size_t cap, void *arg)
{
    int n = snprintf(out, cap, "# HELP test_gauge A gauge.\n# TYPE test_gauge gauge\ntest_gauge %d\n",
                     *(int *)arg);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

Test(metrics, requests_by_route_and_status_with_histogram)
{
    char *text;
    double v;
    metrics_reset();
    metrics_http_observe("public", "/healthz", 200, 300);      /* 0.3 ms */
    metrics_http_observe("public", "/healthz", 200, 2000);     /* 2 ms */
    metrics_http_observe("public", "/healthz", 503, 700000);   /* 0.7 s */
    metrics_http_observe("admin", "/healthz", 200, 100);
    metrics_http_observe("public", "unmatched", 404, 50);
    render_and_check(&text);

    cr_assert(promtext_value(text, "bookwell_http_requests_total{listener=\"public\",route=\"/healthz\",status=\"200\"}", &v));
    cr_assert_eq(v, 2);
    cr_assert(promtext_value(text, "bookwell_http_requests_total{listener=\"public\",route=\"/healthz\",status=\"503\"}", &v));
    cr_assert_eq(v, 1);
    cr_assert(promtext_value(text, "bookwell_http_requests_total{listener=\"admin\",route=\"/healthz\",status=\"200\"}", &v));
    cr_assert_eq(v, 1);
    cr_assert(promtext_value(text, "bookwell_http_requests_total{listener=\"public\",route=\"unmatched\",status=\"404\"}", &v));
    cr_assert_eq(v, 1);

    /* Cumulative buckets: 0.001 holds the 0.3 ms one, 0.0025 both fast
     * ones, 1 all three, +Inf the count. */
    const char *h = "bookwell_http_request_duration_seconds";
    char series[256];
    snprintf(series, sizeof series, "%s_bucket{listener=\"public\",route=\"/healthz\",le=\"0.001\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 1);
    snprintf(series, sizeof series, "%s_bucket{listener=\"public\",route=\"/healthz\",le=\"0.0025\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 2);
    snprintf(series, sizeof series, "%s_bucket{listener=\"public\",route=\"/healthz\",le=\"0.5\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 2);
    snprintf(series, sizeof series, "%s_bucket{listener=\"public\",route=\"/healthz\",le=\"1\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 3);
    snprintf(series, sizeof series, "%s_bucket{listener=\"public\",route=\"/healthz\",le=\"+Inf\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 3);
    snprintf(series, sizeof series, "%s_count{listener=\"public\",route=\"/healthz\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_eq(v, 3);
    snprintf(series, sizeof series, "%s_sum{listener=\"public\",route=\"/healthz\"}", h);
    cr_assert(promtext_value(text, series, &v));
    cr_assert_float_eq(v, 0.7023, 1e-6);
    free(text);
}

Test(metrics, label_values_are_escaped)
{
    char *text;
    double v;
    metrics_reset();
    metrics_http_observe("public", "/odd\"route\\with\nnewline", 200, 10);
    metrics_counter_add("bookwell_test_total", "kind", "a\"b", 2);
    render_and_check(&text);
    cr_assert(promtext_value(text, "bookwell_http_requests_total{listener=\"public\",route=\"/odd\\\"route\\\\with\\nnewline\",status=\"200\"}", &v),
              "%s", text);
    cr_assert(promtext_value(text, "bookwell_test_total{kind=\"a\\\"b\"}", &v), "%s", text);
    cr_assert_eq(v, 2);
    free(text);
}

Test(metrics, counters_are_grouped_by_family)
{
    char *text;
    double v;
    metrics_reset();
    metrics_counter_add("bookwell_a_total", "kind", "x", 1);
    metrics_counter_add("bookwell_b_total", NULL, NULL, 5);
    metrics_counter_add("bookwell_a_total", "kind", "y", 3); /* after b: must join a's run */
    metrics_counter_add("bookwell_a_total", "kind", "x", 1);
    render_and_check(&text);
    const char *first = strstr(text, "# TYPE bookwell_a_total counter");
    cr_assert_not_null(first);
    cr_assert_null(strstr(first + 1, "# TYPE bookwell_a_total"), "TYPE once per family");
    cr_assert(promtext_value(text, "bookwell_a_total{kind=\"x\"}", &v));
    cr_assert_eq(v, 2);
    cr_assert(promtext_value(text, "bookwell_a_total{kind=\"y\"}", &v));
    cr_assert_eq(v, 3);
    cr_assert(promtext_value(text, "bookwell_b_total", &v));
    cr_assert_eq(v, 5);
    free(text);
}

Test(metrics, collectors_append_their_families)
{
    static int gauge = 42;
    char *text;
    double v;
    metrics_reset();
    metrics_add_collector(collect_gauge, &gauge);
    render_and_check(&text);
    cr_assert(promtext_value(text, "test_gauge", &v));
    cr_assert_eq(v, 42);
    free(text);
}

/* The checker the tests above rely on refuses what a scraper would. */
Test(metrics, checker_refuses_malformed_text)
{
    static const char *const bad[] = {
        "# TYPE a counter\n# TYPE a counter\na 1\n",
        "# HELP a x\n# HELP a y\na 1\n",
        "a 1\n# TYPE a counter\n",
        "# TYPE a counter\na{k=\"1\"} 1\n# TYPE b gauge\nb 2\na{k=\"2\"} 1\n",
        "# TYPE a counter\na{k=\"1\"} 1\na{k=\"1\"} 2\n",
        "a{k=\"x\\q\"} 1\n",
        "a{k=\"x} 1\n",
        "a{1k=\"x\"} 1\n",
        "a one\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket 1\n",
        "a 1",
        NULL,
    };
    char err[256];
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(promtext_check(bad[i], err, sizeof err), -1, "accepted: %s", bad[i]);
    cr_assert_eq(promtext_check("# HELP a A.\n# TYPE a counter\na{k=\"\\\"\\\\\\n\"} 1\n"
                                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n",
                                err, sizeof err),
                 0, "%s", err);
}
