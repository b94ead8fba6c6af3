/*
 * Test-only admin routes of the simulated business clock, registered (from
 * routes_test.c) only when the daemon runs with --test-clock: read and move
 * the clock, walking it through every due job in order, and ask whether the
 * jobs queue is idle.
 *
 * POST /admin/test/clock takes one of
 *   {"set": T}              jump to T (RFC 3339); jobs then due run at T
 *   {"advance": "PT2H"}     walk forward by an ISO 8601 duration (or "2h", "90s")
 *   {"advance_seconds": N}  the same in seconds
 *   {"until": T}            walk forward to T
 * and optionally "timeout_ms" (default 25000) for the whole walk. A walk
 * stops the clock at each queued job's run_at in turn (so a job due at 20:45
 * runs with the clock at 20:45), waits there until no job is running and
 * none this daemon handles is due, and finally rests at the target.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "confmap.h"
#include "daemon.h"
#include "jobs.h"
#include "json_util.h"
#include "log.h"
#include "routes.h"

#define WALK_TIMEOUT_DEFAULT_MS 25000
#define WALK_TIMEOUT_MAX_MS 600000
#define IDLE_POLL_US 3000

struct walk {
    int stops;                 /* clock positions visited */
    int64_t running, due;      /* at the last idle check */
};

/* An ISO 8601 duration, or one as the configuration writes them ("2h"). */
static int parse_advance(const char *s, int64_t *us)
{
    int64_t ms;
    if (s[0] == 'P')
        return clock_parse_duration(s, us);
    if (confmap_parse_duration_ms(s, &ms) != 0 || ms < 0 || ms > INT64_C(3650) * 86400000)
        return -1; /* at most ten years, as for ISO durations */
    *us = ms * 1000;
    return 0;
}

static void clock_reply(struct http_response *resp, const struct walk *w)
{
    char now[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "now", clock_format_utc(clock_now_us(), now));
    if (w) {
        cJSON_AddNumberToObject(o, "stops", w->stops);
        cJSON_AddBoolToObject(o, "idle", true);
    }
    json_reply(resp, 200, o);
}

static void get_clock(struct http_request *req, struct http_response *resp, void *ctx)
{
    clock_reply(resp, NULL);
}

/* Waits until the queue is idle at the current clock. 0 idle, 1 timed out,
 * -1 database error. */
static int wait_idle(struct daemon *d, struct db_conn *c, int64_t deadline_ms, struct walk *w)
{
    for (;;) {
        bool idle = false;
        if (jobs_idle(d->jobs, c, clock_now_us(), &idle, &w->running, &w->due) != 0)
            return -1;
        if (idle)
            return 0;
        if (clock_mono_ms() >= deadline_ms)
            return 1;
        usleep(IDLE_POLL_US);
    }
}

/* Walks the clock to target through every queued job's run_at. */
static int walk_to(struct daemon *d, int64_t target, int64_t deadline_ms, struct walk *w)
{
    struct db_conn *c = daemon_db(d);
    int rc = -1;
    if (!c)
        return -1;
    jobs_wake(d->jobs);
    for (;;) {
        if ((rc = wait_idle(d, c, deadline_ms, w)) != 0)
            goto out;
        int64_t next;
        int found = jobs_next_run_at(d->jobs, c, clock_now_us(), target, &next);
        if (found < 0) {
            rc = -1;
            goto out;
        }
        if (found == 0)
            break;
        clock_set_us(next);
        w->stops++;
        jobs_wake(d->jobs);
    }
    if (clock_now_us() < target) {
        clock_set_us(target);
        w->stops++;
        jobs_wake(d->jobs);
        rc = wait_idle(d, c, deadline_ms, w);
    }
out:
    daemon_db_release(d, c);
    return rc;
}

static void post_clock(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(body, "set");
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(body, "advance");
    const cJSON *adv_s = cJSON_GetObjectItemCaseSensitive(body, "advance_seconds");
    const cJSON *until = cJSON_GetObjectItemCaseSensitive(body, "until");
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(body, "timeout_ms");
    int64_t now = clock_now_us(), target = 0, us;
    int64_t timeout_ms = WALK_TIMEOUT_DEFAULT_MS;
    const char *bad = NULL;

    if (!!set + !!adv + !!adv_s + !!until != 1)
        bad = "give exactly one of 'set', 'advance', 'advance_seconds' or 'until'";
    else if (set && (!cJSON_IsString(set) || clock_parse_rfc3339(set->valuestring, &target) != 0))
        bad = "'set' must be an RFC 3339 time";
    else if (until && (!cJSON_IsString(until) || clock_parse_rfc3339(until->valuestring, &target) != 0))
        bad = "'until' must be an RFC 3339 time";
    else if (adv && (!cJSON_IsString(adv) || parse_advance(adv->valuestring, &us) != 0))
        bad = "'advance' must be a duration such as PT2H or 2h";
    else if (adv_s && (!cJSON_IsNumber(adv_s) || adv_s->valuedouble < 0 ||
                       adv_s->valuedouble > 10 * 365 * 86400.0))
        bad = "'advance_seconds' must be a number of seconds, at most ten years";
    else if (tmo && (!cJSON_IsNumber(tmo) || tmo->valuedouble < 1 ||
                     tmo->valuedouble > WALK_TIMEOUT_MAX_MS))
        bad = "'timeout_ms' must be 1 to 600000";
    if (bad) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_time", bad);
        return;
    }
    if (adv)
        target = now + us;
    else if (adv_s)
        target = now + (int64_t)(adv_s->valuedouble * 1e6);
    if (tmo)
        timeout_ms = (int64_t)tmo->valuedouble;
    bool jump = set != NULL;
    cJSON_Delete(body);

    if (target < now) {
        http_reply_error(req, resp, 409, "clock_backwards", "the simulated clock cannot move backwards");
        return;
    }
    if (jump) {
        if (clock_set_us(target) != 0) {
            http_reply_error(req, resp, 409, "clock_backwards", "the simulated clock cannot move backwards");
            return;
        }
        jobs_wake(d->jobs);
        clock_reply(resp, NULL);
        return;
    }
    struct walk w = { 0 };
    int rc = walk_to(d, target, clock_mono_ms() + timeout_ms, &w);
    if (rc < 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database did not answer");
        return;
    }
    if (rc > 0) {
        char msg[160], now_s[32];
        snprintf(msg, sizeof msg, "jobs still running or due at %s (running %lld, due %lld)",
                 clock_format_utc(clock_now_us(), now_s), (long long)w.running, (long long)w.due);
        http_reply_error(req, resp, 504, "not_idle", msg);
        return;
    }
    clock_reply(resp, &w);
}

static void get_idle(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    bool idle = false;
    int64_t running = 0, due = 0, now = clock_now_us();
    char now_s[32];
    struct db_conn *c = daemon_db(d);
    int rc = c ? jobs_idle(d->jobs, c, now, &idle, &running, &due) : -1;
    if (c)
        daemon_db_release(d, c);
    if (rc != 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database did not answer");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "idle", idle);
    cJSON_AddNumberToObject(o, "running", (double)running);
    cJSON_AddNumberToObject(o, "due", (double)due);
    cJSON_AddStringToObject(o, "now", clock_format_utc(now, now_s));
    json_reply(resp, 200, o);
}

int routes_test_clock_register(struct daemon *d)
{
    return daemon_add_route(d, true, "GET", "/admin/test/clock", get_clock, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/test/clock", post_clock, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "GET", "/admin/test/idle", get_idle, HTTP_AUTH_ADMIN);
}
