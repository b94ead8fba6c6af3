/*
 * The jobs queue, which is also the outbox and the scheduler: one table of
 * work, each row a kind, a JSON payload, a due time on the host clock, an
 * optional ordering key (the jobs of one key run one at a time, in the order
 * they were enqueued) and an optional dedupe key (a second enqueue is a
 * no-op). Any number of processes share the table: a worker claims the next
 * due job with FOR UPDATE SKIP LOCKED under a lease (real time), runs its
 * kind's handler inside the transaction that marks it done, so a handler's
 * database effects commit exactly when the job completes, and a job whose
 * worker died comes back when its lease expires. Failures retry with
 * exponential backoff on the host clock and park after max_attempts with
 * their last error. Enqueueing sends NOTIFY, which wakes idle workers.
 *
 * Lifecycle: jobs_create(), jobs_register() each kind, jobs_start() (opens
 * the workers' own connections and threads), jobs_stop() (running jobs
 * finish first), jobs_destroy(). jobs_claim()/jobs_execute()/jobs_reap()
 * are the steps a worker takes, exposed so tests can drive them one by one.
 */
#ifndef BW_HOST_JOBS_H
#define BW_HOST_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define JOBS_CHANNEL "bookwell_jobs"  /* the NOTIFY channel */
#define JOBS_KIND_MAX 64              /* [a-z0-9._-], at most this many bytes */
#define JOBS_KEY_MAX 200              /* ordering and dedupe keys */
#define JOBS_TENANT_MAX 63
#define JOBS_PAYLOAD_MAX (64 * 1024)
#define JOBS_ERROR_MAX 256
#define JOBS_MAX_KINDS 64
#define JOBS_OWNER_MAX 128

/* Errors returned by this module (0 is success). */
enum {
    JOBS_E_DB = -1,     /* the database failed; the lease decides what happens next */
    JOBS_E_INVAL = -2,  /* a malformed argument */
    JOBS_E_NOMEM = -3,
    JOBS_E_BUSY = -4,   /* registry full, kind registered twice, or already started */
};

/* What a handler returns: 0 when done, else one of these. */
enum {
    JOB_RETRY = -1,     /* failed: retry with backoff, park after max_attempts */
    JOB_PARK = -2,      /* failed for good (bad payload...): park now */
};

/* A claimed job as its handler sees it. Everything is borrowed for the call. */
struct job {
    const char *tenant_id;
    int64_t id;
    const char *kind;
    const char *payload;        /* JSON text */
    const char *ordering_key;   /* NULL when none */
    int attempt;                /* 1 on the first run */
    int max_attempts;           /* the job's, or the daemon default */
    int64_t run_at_us;          /* when it was due, host clock */
    int64_t deadline_ms;        /* clock_mono_ms() by which the lease ends */
};

/* Filled by a failing handler. error is stored as last_error and logged:
 * codes and identifiers only, never message text, PHI or secrets.
 * retry_after_ms > 0 replaces the backoff for this retry. */
struct job_result {
    char error[JOBS_ERROR_MAX];
    int64_t retry_after_ms;
};

/*
 * A handler runs on a worker thread with c inside the transaction that will
 * mark the job done: what it writes through c commits if and only if it
 * returns 0 (and is rolled back when it fails). It must not COMMIT or
 * ROLLBACK itself, and must finish within the lease (job->deadline_ms): a
 * transaction left idle longer than the lease is ended by the database.
 * A handler may enqueue follow-up jobs on c (jobs_enqueue).
 */
typedef int (*jobs_handler_fn)(struct db_conn *c, const struct job *job,
                               struct job_result *res, void *ctx);

/* A job to enqueue. Strings are borrowed for the call. */
struct job_spec {
    const char *tenant_id;      /* required */
    const char *kind;           /* required */
    const char *payload;        /* a JSON value; NULL means {} */
    int64_t run_at_us;          /* host clock; 0 means now */
    const char *ordering_key;   /* NULL: no ordering */
    const char *dedupe_key;     /* NULL: no deduplication */
    int max_attempts;           /* 0: the daemon's jobs.max_attempts */
};

struct jobs_options {
    const char *conninfo;       /* copied; for the workers' connections */
    int64_t connect_timeout_ms;
    int workers;
    int64_t lease_ms;           /* real time a claim holds a job */
    int64_t poll_ms;            /* fallback wake-up when no NOTIFY comes */
    int max_attempts;           /* default for jobs that do not set theirs */
    int64_t backoff_base_ms;    /* first retry delay; doubles per attempt */
    int64_t backoff_max_ms;     /* ceiling of the delay */
    const char *owner;          /* lease owner name; NULL: host:pid:random */
};

struct jobs;

int jobs_create(struct jobs **out, const struct jobs_options *opt);
/* Stops (if started) and frees. NULL is fine. */
void jobs_destroy(struct jobs *j);

/* Registers the handler for kind; before jobs_start() only. ctx is borrowed
 * and must outlive the jobs. Returns 0, JOBS_E_INVAL or JOBS_E_BUSY. This
 * process claims only the kinds it has registered. */
int jobs_register(struct jobs *j, const char *kind, jobs_handler_fn fn, void *ctx);

/* Opens the workers' connections and the LISTEN connection and starts the
 * threads. Returns 0, or a negative error with the reason in err. */
int jobs_start(struct jobs *j, char *err, size_t errcap);

/* Wakes idle workers now (after the test clock moved, for instance). */
void jobs_wake(struct jobs *j);

/* Graceful stop: no new claims, running jobs finish, threads are joined. */
void jobs_stop(struct jobs *j);

/* The lease owner name of this process ("host:pid:nonce"). */
const char *jobs_owner(const struct jobs *j);
const struct jobs_options *jobs_options(const struct jobs *j);

/*
 * Enqueues a job on c. Inside the caller's open transaction the job commits
 * (and its NOTIFY is sent) with the caller's other writes, which is what
 * makes it an outbox; outside one it commits at once. With an ordering key,
 * enqueuers of the same key are serialised until commit, so ids follow
 * commit order within a key. Returns 0 and the new id, 1 when the dedupe key
 * already exists (id_out is the existing job), or a negative error; a
 * JOBS_E_DB failure leaves the caller's transaction aborted.
 */
int jobs_enqueue(struct db_conn *c, const struct job_spec *spec, int64_t *id_out);

/* ---- the worker's steps ------------------------------------------------ */

/* A claimed job and the storage behind its strings. */
struct jobs_claim {
    struct job job;
    char tenant_id[JOBS_TENANT_MAX + 1];
    char kind[JOBS_KIND_MAX + 1];
    char ordering_key[JOBS_KEY_MAX + 1];
    char *payload;              /* malloc'd; freed by jobs_claim_free() */
};
void jobs_claim_free(struct jobs_claim *cl);

/* Claims the next due job (run_at <= clock_now_us(), head of its ordering
 * key, a registered kind) in one statement. Returns 1 with *out filled,
 * 0 when nothing is due, or a negative error. */
int jobs_claim(struct jobs *j, struct db_conn *c, struct jobs_claim *out);

enum jobs_outcome {
    JOBS_DONE,      /* the handler succeeded and the job is done */
    JOBS_RETRIED,   /* failed; queued again at a later run_at */
    JOBS_PARKED,    /* failed for good; parked with its last error */
    JOBS_LOST,      /* the lease was taken over: nothing was run or recorded */
};

/* Runs a claimed job's handler in a transaction fenced by the claim (the
 * job must still be running under this claim's attempt and owner) and
 * records the outcome. Returns 0 with *outcome set (error gets the failure
 * text, which may be empty), or JOBS_E_DB when the database failed and the
 * outcome is unknown (the lease will bring the job back if it did not
 * commit). */
int jobs_execute(struct jobs *j, struct db_conn *c, struct jobs_claim *cl,
                 enum jobs_outcome *outcome, char *error, size_t errcap);

/* Returns jobs whose lease expired (real time) to the queue, or parks them
 * when they have used their attempts. Skips jobs whose worker still holds
 * them. Returns how many it changed (>= 0) or JOBS_E_DB; *parked (may be
 * NULL) gets how many of them were parked. */
int jobs_reap(struct jobs *j, struct db_conn *c, int *parked);

/* ---- state, for admin routes, metrics and the test clock ---------------- */

struct jobs_gauges {
    int64_t queued;
    int64_t running;
    int64_t parked;
};

/* Counts by state over the whole table (all processes). */
int jobs_gauges(struct db_conn *c, struct jobs_gauges *out);

/* Idle at now_us: no job is running and no job this process handles is
 * claimable (due, head of its key). due gets the claimable count. */
int jobs_idle(struct jobs *j, struct db_conn *c, int64_t now_us, bool *idle,
              int64_t *running, int64_t *due);

/* The earliest run_at of a queued job of a handled kind in (after_us,
 * until_us]. Returns 1 and sets *out, 0 when there is none, or an error. */
int jobs_next_run_at(struct jobs *j, struct db_conn *c, int64_t after_us, int64_t until_us,
                     int64_t *out);

/* Backoff before retrying after the attempt-th failure. */
int64_t jobs_backoff_ms(const struct jobs *j, int attempt);

#endif
