/*
 * The operator's view of the jobs queue on the admin listener: GET
 * /admin/jobs (counts by kind and state, and a bounded page of jobs in one
 * state, parked by default, with attempts and last error), POST
 * /admin/jobs/{tenant}/{id}/retry (queue a parked job again), and the
 * Prometheus gauges of queued, running and parked jobs. Payloads are never
 * shown: they may carry conversation data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "jobs.h"
#include "jobs_admin.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "routes.h"

#define PAGE_DEFAULT 50

static size_t collect_jobs(char *out, size_t cap, void *arg)
{
    struct daemon *d = arg;
    struct jobs_gauges g;
    if (!d->pool || !d->jobs)
        return 0;
    struct db_conn *c = daemon_db(d);
    int rc = c ? jobs_gauges(c, &g) : -1;
    if (c)
        daemon_db_release(d, c);
    if (rc != 0)
        return 0;
    int n = snprintf(out, cap,
                     "# HELP bookwell_jobs Jobs in the shared queue by state (all processes).\n"
                     "# TYPE bookwell_jobs gauge\n"
                     "bookwell_jobs{state=\"queued\"} %" PRId64 "\n"
                     "bookwell_jobs{state=\"running\"} %" PRId64 "\n"
                     "bookwell_jobs{state=\"parked\"} %" PRId64 "\n"
                     "# HELP bookwell_jobs_workers Job worker threads in this process.\n"
                     "# TYPE bookwell_jobs_workers gauge\n"
                     "bookwell_jobs_workers %d\n",
                     g.queued, g.running, g.parked, jobs_options(d->jobs)->workers);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Parses a decimal in [min, max]; -1 when it is not one. */
static int parse_bounded(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static bool state_valid(const char *s)
{
    return !strcmp(s, "queued") || !strcmp(s, "running") || !strcmp(s, "parked") ||
           !strcmp(s, "done");
}

static cJSON *counts_json(struct jobs_kind_count *k, int n)
{
    cJSON *o = cJSON_CreateObject();
    int64_t q = 0, r = 0, p = 0, dn = 0;
    cJSON *kinds = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "kind", k[i].kind);
        cJSON_AddNumberToObject(item, "queued", (double)k[i].queued);
        cJSON_AddNumberToObject(item, "running", (double)k[i].running);
        cJSON_AddNumberToObject(item, "parked", (double)k[i].parked);
        cJSON_AddNumberToObject(item, "done", (double)k[i].done);
        cJSON_AddItemToArray(kinds, item);
        q += k[i].queued;
        r += k[i].running;
        p += k[i].parked;
        dn += k[i].done;
    }
    cJSON *totals = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(totals, "queued", (double)q);
    cJSON_AddNumberToObject(totals, "running", (double)r);
    cJSON_AddNumberToObject(totals, "parked", (double)p);
    cJSON_AddNumberToObject(totals, "done", (double)dn);
    cJSON_AddItemToObject(o, "kinds", kinds);
    return o;
}

static cJSON *row_json(const struct jobs_row *w)
{
    char t[32];
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "tenant_id", w->tenant_id);
    cJSON_AddNumberToObject(item, "id", (double)w->id);
    cJSON_AddStringToObject(item, "kind", w->kind);
    cJSON_AddStringToObject(item, "state", w->state);
    cJSON_AddNumberToObject(item, "attempts", w->attempts);
    cJSON_AddNumberToObject(item, "max_attempts", w->max_attempts);
    cJSON_AddStringToObject(item, "run_at", clock_format_utc(w->run_at_us, t));
    if (w->ordering_key[0])
        cJSON_AddStringToObject(item, "ordering_key", w->ordering_key);
    else
        cJSON_AddNullToObject(item, "ordering_key");
    if (w->last_error[0])
        cJSON_AddStringToObject(item, "last_error", w->last_error);
    else
        cJSON_AddNullToObject(item, "last_error");
    if (w->lease_owner[0])
        cJSON_AddStringToObject(item, "lease_owner", w->lease_owner);
    cJSON_AddStringToObject(item, "created_at", clock_format_utc(w->created_us, t));
    if (w->finished_us)
        cJSON_AddStringToObject(item, "finished_at", clock_format_utc(w->finished_us, t));
    else
        cJSON_AddNullToObject(item, "finished_at");
    return item;
}

static void list_jobs(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct jobs_filter f = { .state = "parked", .limit = PAGE_DEFAULT,
                             .default_max_attempts = (int)d->cfg.jobs_max_attempts };
    const char *s;
    int64_t v;

    if ((s = http_query(req, "state")) != NULL) {
        if (!state_valid(s)) {
            http_reply_error(req, resp, 400, "invalid_state",
                             "state must be queued, running, parked or done");
            return;
        }
        f.state = s;
    }
    if ((s = http_query(req, "limit")) != NULL) {
        if (parse_bounded(s, 1, JOBS_ADMIN_PAGE_MAX, &v) != 0) {
            http_reply_error(req, resp, 400, "invalid_limit", "limit must be 1 to 500");
            return;
        }
        f.limit = (int)v;
    }
    if ((s = http_query(req, "after")) != NULL) {
        if (parse_bounded(s, 0, INT64_MAX, &v) != 0) {
            http_reply_error(req, resp, 400, "invalid_after", "after must be a job id");
            return;
        }
        f.after_id = v;
    }
    f.tenant_id = http_query(req, "tenant");
    f.kind = http_query(req, "kind");
    if ((f.tenant_id && strlen(f.tenant_id) > JOBS_TENANT_MAX) ||
        (f.kind && strlen(f.kind) > JOBS_KIND_MAX)) {
        http_reply_error(req, resp, 400, "invalid_filter", "tenant or kind is too long");
        return;
    }

    struct jobs_kind_count *kinds = calloc(JOBS_ADMIN_MAX_KINDS, sizeof *kinds);
    struct jobs_row *rows = calloc((size_t)f.limit, sizeof *rows);
    struct db_conn *c = (kinds && rows) ? daemon_db(d) : NULL;
    int nk = -1, nr = -1;
    if (c) {
        nk = jobs_admin_counts(c, kinds, JOBS_ADMIN_MAX_KINDS);
        nr = nk >= 0 ? jobs_admin_list(c, &f, rows) : -1;
        daemon_db_release(d, c);
    }
    if (nk < 0 || nr < 0) {
        free(kinds);
        free(rows);
        http_reply_error(req, resp, 503, "unavailable", "could not read the jobs; try again");
        return;
    }
    cJSON *o = counts_json(kinds, nk);
    cJSON_AddStringToObject(o, "state", f.state);
    cJSON *arr = cJSON_AddArrayToObject(o, "jobs");
    for (int i = 0; i < nr; i++)
        cJSON_AddItemToArray(arr, row_json(&rows[i]));
    if (nr == f.limit)
        cJSON_AddNumberToObject(o, "next_after", (double)rows[nr - 1].id);
    else
        cJSON_AddNullToObject(o, "next_after");
    free(kinds);
    free(rows);
    json_reply(resp, 200, o);
}

static void retry_job(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    int64_t id;
    if (parse_bounded(req->params[1], 1, INT64_MAX, &id) != 0) {
        http_reply_error(req, resp, 404, "unknown_job", "no parked job with that id");
        return;
    }
    struct db_conn *c = daemon_db(d);
    int rc = c ? jobs_admin_requeue(c, req->params[0], id) : -1;
    if (c)
        daemon_db_release(d, c);
    if (rc < 0) {
        http_reply_error(req, resp, 503, "unavailable", "could not requeue the job; try again");
        return;
    }
    if (rc > 0) {
        http_reply_error(req, resp, 404, "unknown_job", "no parked job with that id");
        return;
    }
    struct log_ctx lc = { req->params[0], req->request_id };
    const char *fields[] = { "job_id", req->params[1], NULL };
    log_write(LOG_INFO, &lc, fields, "parked job requeued by the operator");
    http_reply_json(resp, 200, "{\"requeued\":true}");
}

int routes_jobs_register(struct daemon *d)
{
    /* Counters start at zero so the series exist before the first job. */
    const char *outcomes[] = { "done", "retried", "parked", "lost", "unknown" };
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
        metrics_counter_add("bookwell_jobs_finished_total", "outcome", outcomes[i], 0);
    metrics_counter_add("bookwell_jobs_claimed_total", NULL, NULL, 0);
    metrics_counter_add("bookwell_jobs_lease_expired_total", NULL, NULL, 0);
    metrics_add_collector(collect_jobs, d);
    return daemon_add_route(d, true, "GET", "/admin/jobs", list_jobs, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/jobs/{tenant}/{id}/retry", retry_job,
                            HTTP_AUTH_ADMIN);
}
