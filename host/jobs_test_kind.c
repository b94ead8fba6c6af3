/*
 * The test-only job kind test.effect (see jobs_test_kind.h). It records the
 * host clock at which it ran and the process that ran it, so tests can prove
 * that every job ran exactly once, in order per key, at its due time.
 */
#include "jobs_test_kind.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define SLEEP_MAX_MS 10000

DB_STMT(st_effect,
        "INSERT INTO test_effects (tenant_id, job_id, ordering_key, seq, attempt, pid, ran_at)"
        " VALUES ($1, $2::bigint, $3, $4::integer, $5::integer, $6::integer, $7::timestamptz)");

static int effect(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    char id[24], seq[16], attempt[16], pid[16], now[32];
    bool has_seq = false, park = false;
    int fail = 0, sleep_ms = 0;

    cJSON *p = cJSON_Parse(job->payload);
    if (!p || !cJSON_IsObject(p)) {
        cJSON_Delete(p);
        snprintf(res->error, sizeof res->error, "payload is not an object");
        return JOB_PARK;
    }
    const cJSON *v;
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(p, "seq"))) {
        snprintf(seq, sizeof seq, "%d", v->valueint);
        has_seq = true;
    }
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(p, "fail")))
        fail = v->valueint;
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(p, "sleep_ms")))
        sleep_ms = v->valueint;
    park = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "park"));
    cJSON_Delete(p);

    if (park) {
        snprintf(res->error, sizeof res->error, "test: refused");
        return JOB_PARK;
    }
    if (sleep_ms > 0)
        usleep((useconds_t)(sleep_ms < SLEEP_MAX_MS ? sleep_ms : SLEEP_MAX_MS) * 1000);
    if (job->attempt <= fail) {
        snprintf(res->error, sizeof res->error, "test: injected failure %d of %d", job->attempt, fail);
        return JOB_RETRY;
    }

    snprintf(id, sizeof id, "%" PRId64, job->id);
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    clock_format_utc(clock_now_us(), now);
    const char *params[] = { job->tenant_id, id, job->ordering_key, has_seq ? seq : NULL,
                             attempt, pid, now };
    PGresult *r = db_exec(c, &st_effect, 7, params);
    int rc = 0;
    if (!db_ok(r)) {
        snprintf(res->error, sizeof res->error, "test: effect insert failed (SQLSTATE %s)",
                 db_sqlstate(r));
        rc = JOB_RETRY;
    }
    PQclear(r);
    return rc;
}

int jobs_test_kind_register(struct jobs *j)
{
    return jobs_register(j, JOBS_TEST_KIND, effect, NULL);
}
