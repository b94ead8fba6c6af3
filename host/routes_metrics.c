/*
 * The clinic's analytics on the public listener (the clinic's API key; the
 * key's tenant only; analytics.h):
 *   GET /metrics/missed-calls       missed calls, texted back, time to first response
 *   GET /metrics/conversion-funnel  lead -> responded -> qualified -> held -> paid ->
 *                                   booked -> showed, per channel
 *   GET /metrics/revenue-impact     the revenue impact calculator on measured numbers
 *   GET /metrics/no-shows           the no-show rate by month and by provider
 * Each takes from=YYYY-MM-DD, to=YYYY-MM-DD (inclusive local dates) and
 * tz=Area/City (default the tenant's). The revenue impact also takes
 * average_ticket, platform_fee, current_capture_rate and no_show_rate.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "json_util.h"
#include "routes.h"

enum metric { METRIC_MISSED, METRIC_FUNNEL, METRIC_REVENUE, METRIC_NO_SHOWS };

/* A non-negative number no larger than max from the query, or -1 when
 * absent; -2 when malformed. */
static double query_amount(const struct http_request *req, const char *name, double max)
{
    const char *s = http_query(req, name);
    if (!s)
        return -1;
    char *end = NULL;
    double v = strtod(s, &end);
    if (!*s || !end || *end || !isfinite(v) || v < 0 || v > max)
        return -2;
    return v;
}

static void serve(struct http_request *req, struct http_response *resp, struct daemon *d,
                  enum metric which)
{
    const struct tenant_config *t = config_tenant(&d->cfg, req->tenant_id);
    if (!t) {
        http_reply_error(req, resp, 404, "unknown_tenant", "this key's tenant is not configured");
        return;
    }
    struct analytics_range range;
    char err[160];
    if (analytics_range_parse(http_query(req, "from"), http_query(req, "to"),
                              http_query(req, "tz"), t->timezone, clock_now_us(), &range, err,
                              sizeof err) != 0) {
        http_reply_error(req, resp, 400, "invalid_range", err);
        return;
    }
    struct analytics_revenue_given given = {
        query_amount(req, "average_ticket", 1e6), query_amount(req, "platform_fee", 1e7),
        query_amount(req, "current_capture_rate", 1), query_amount(req, "no_show_rate", 1)
    };
    if (which == METRIC_REVENUE &&
        (given.average_ticket < -1 || given.platform_fee < -1 ||
         given.current_capture_rate < -1 || given.baseline_no_show_rate < -1)) {
        http_reply_error(req, resp, 400, "invalid_input",
                         "average_ticket and platform_fee are dollars; current_capture_rate and "
                         "no_show_rate are fractions from 0 to 1");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    cJSON *o = which == METRIC_MISSED     ? analytics_missed_calls(c, req->tenant_id, &range)
               : which == METRIC_FUNNEL   ? analytics_conversion_funnel(c, req->tenant_id, &range)
               : which == METRIC_NO_SHOWS ? analytics_no_shows(c, req->tenant_id, &range)
                                          : analytics_revenue_impact(c, req->tenant_id, &range, &given);
    daemon_db_release(d, c);
    if (!o) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    json_reply(resp, 200, o);
}

static void get_missed(struct http_request *req, struct http_response *resp, void *ctx)
{
    serve(req, resp, ctx, METRIC_MISSED);
}

static void get_funnel(struct http_request *req, struct http_response *resp, void *ctx)
{
    serve(req, resp, ctx, METRIC_FUNNEL);
}

static void get_revenue(struct http_request *req, struct http_response *resp, void *ctx)
{
    serve(req, resp, ctx, METRIC_REVENUE);
}

static void get_no_shows(struct http_request *req, struct http_response *resp, void *ctx)
{
    serve(req, resp, ctx, METRIC_NO_SHOWS);
}

int routes_metrics_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/metrics/missed-calls", get_missed,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "GET", "/metrics/conversion-funnel", get_funnel,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "GET", "/metrics/revenue-impact", get_revenue,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "GET", "/metrics/no-shows", get_no_shows, HTTP_AUTH_TENANT);
}
