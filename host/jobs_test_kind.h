/*
 * test.effect: a job kind that exists only when the daemon runs with
 * --test-clock, for the jobs queue's integration tests and benchmark. Its
 * effect is one row in test_effects (a table the test creates), written in
 * the transaction that completes the job; its payload can inject failures.
 * Payload: {"seq": N, "fail": K, "sleep_ms": M, "park": true}, all optional:
 * fail the first K attempts, sleep M ms (at most 10 s) before the effect,
 * or refuse the job for good.
 */
#ifndef BW_HOST_JOBS_TEST_KIND_H
#define BW_HOST_JOBS_TEST_KIND_H

#include "jobs.h"

#define JOBS_TEST_KIND "test.effect"

/* The table test.effect writes to; tests run this before enqueueing. */
#define JOBS_TEST_EFFECTS_DDL                                                   \
    "CREATE TABLE IF NOT EXISTS test_effects ("                                 \
    " effect_id bigserial PRIMARY KEY, tenant_id text NOT NULL,"                \
    " job_id bigint NOT NULL, ordering_key text, seq integer,"                  \
    " attempt integer NOT NULL, pid integer NOT NULL,"                          \
    " ran_at timestamptz NOT NULL)"

int jobs_test_kind_register(struct jobs *j);

#endif
