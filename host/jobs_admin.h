/*
 * The operator's view of the jobs table: counts by kind and state, a page of
 * jobs in one state (parked ones with their last error), and putting a parked
 * job back in the queue. Read by GET /admin/jobs; payloads are never shown.
 */
#ifndef BW_HOST_JOBS_ADMIN_H
#define BW_HOST_JOBS_ADMIN_H

#include <stdint.h>

#include "db.h"
#include "jobs.h"

#define JOBS_ADMIN_MAX_KINDS 256
#define JOBS_ADMIN_PAGE_MAX 500

struct jobs_kind_count {
    char kind[JOBS_KIND_MAX + 1];
    int64_t queued, running, parked, done;
};

struct jobs_row {
    char tenant_id[JOBS_TENANT_MAX + 1];
    int64_t id;
    char kind[JOBS_KIND_MAX + 1];
    char state[8];
    int attempts;
    int max_attempts;           /* the job's, or the default passed in */
    int64_t run_at_us;          /* host clock */
    char ordering_key[JOBS_KEY_MAX + 1];   /* "" when none */
    char last_error[JOBS_ERROR_MAX];       /* "" when none */
    char lease_owner[JOBS_OWNER_MAX];      /* "" unless running */
    int64_t created_us;         /* real time */
    int64_t finished_us;        /* 0 unless done or parked */
};

struct jobs_filter {
    const char *state;          /* queued, running, parked or done (required) */
    const char *tenant_id;      /* NULL: all tenants */
    const char *kind;           /* NULL: all kinds */
    int64_t after_id;           /* page: ids greater than this */
    int limit;                  /* 1..JOBS_ADMIN_PAGE_MAX */
    int default_max_attempts;
};

/* Counts per kind (at most cap kinds, sorted by kind). Returns the number
 * filled, or JOBS_E_DB. */
int jobs_admin_counts(struct db_conn *c, struct jobs_kind_count *out, int cap);

/* One page of jobs in ascending id order. Returns the rows filled or an error. */
int jobs_admin_list(struct db_conn *c, const struct jobs_filter *f, struct jobs_row *rows);

/* Queues a parked job again now (host clock) with a fresh set of attempts.
 * Returns 0, 1 when no such parked job, or JOBS_E_DB. */
int jobs_admin_requeue(struct db_conn *c, const char *tenant_id, int64_t id);

#endif
