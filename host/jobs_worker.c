/*
 * The jobs subsystem's threads. Each worker owns a connection from a private
 * pool (so requests never starve workers, nor workers requests) and loops:
 * claim, execute, claim again; when nothing is due it waits on a condition
 * variable until woken or the poll interval passes. One listener thread holds
 * a LISTEN connection: a NOTIFY from any process wakes one worker, and every
 * poll interval it returns expired leases to the queue. This file is the
 * boundary that logs and counts outcomes; jobs.c does neither.
 */
#include "jobs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

#define DB_WAIT_MS 5000
#define RECONNECT_MIN_MS 100

struct jobs_worker {
    struct jobs *j;
    int index;
    pthread_t thread;
    bool started;
};

static void count(const char *outcome) { metrics_counter_add("bookwell_jobs_finished_total", "outcome", outcome, 1); }

static void log_job(enum log_level level, const struct job *job, const char *error, const char *msg)
{
    char id[24], attempt[16];
    snprintf(id, sizeof id, "%" PRId64, job->id);
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    struct log_ctx lc = { job->tenant_id, NULL };
    const char *fields[] = { "job_id", id, "kind", job->kind, "attempt", attempt,
                             "error", error && *error ? error : "-", NULL };
    log_write(level, &lc, fields, "%s", msg);
}

/* Wakes n idle workers (each takes one wake-up; one left over makes the
 * next worker about to sleep claim again instead). A notification of new
 * work wakes one worker, not all of them: a worker that ran a job claims
 * again at once, so more work is not left waiting, and the others do not
 * all race to claim the same row. */
static void wake_some(struct jobs *j, int n)
{
    pthread_mutex_lock(&j->lock);
    int cap = j->n_workers > 0 ? j->n_workers : 1;
    j->wake_pending = j->wake_pending + n > cap ? cap : j->wake_pending + n;
    if (n >= cap)
        pthread_cond_broadcast(&j->wake);
    else
        for (int i = 0; i < n; i++)
            pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
}

void jobs_wake(struct jobs *j) { wake_some(j, j->n_workers > 0 ? j->n_workers : 1); }

static void deadline_in(struct timespec *deadline, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, deadline);
    deadline->tv_sec += ms / 1000;
    deadline->tv_nsec += (ms % 1000) * 1000000;
    if (deadline->tv_nsec >= 1000000000) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000;
    }
}

/* Waits until a wake-up is there to take, stopping, or ms pass. */
static void wait_for_work(struct jobs *j, int64_t ms)
{
    struct timespec deadline;
    deadline_in(&deadline, ms);
    pthread_mutex_lock(&j->lock);
    while (j->wake_pending == 0 && !atomic_load(&j->stopping))
        if (pthread_cond_timedwait(&j->wake, &j->lock, &deadline) != 0)
            break;
    if (j->wake_pending > 0)
        j->wake_pending--;
    pthread_mutex_unlock(&j->lock);
}

/* Waits ms whatever wakes others (after a database error), or until stopping. */
static void back_off(struct jobs *j, int64_t ms)
{
    struct timespec deadline;
    deadline_in(&deadline, ms);
    pthread_mutex_lock(&j->lock);
    while (!atomic_load(&j->stopping))
        if (pthread_cond_timedwait(&j->wake, &j->lock, &deadline) != 0)
            break;
    pthread_mutex_unlock(&j->lock);
}

/* Claims and runs one job. Returns 1 when it ran one, 0 when none was due,
 * -1 when the database failed. */
static int work_once(struct jobs *j, struct db_conn *c)
{
    struct jobs_claim cl;
    char error[JOBS_ERROR_MAX];
    enum jobs_outcome outcome;

    int rc = jobs_claim(j, c, &cl);
    if (rc <= 0) {
        jobs_claim_free(&cl);
        return rc == 0 ? 0 : -1;
    }
    metrics_counter_add("bookwell_jobs_claimed_total", NULL, NULL, 1);
    rc = jobs_execute(j, c, &cl, &outcome, error, sizeof error);
    if (rc != 0) {
        log_job(LOG_WARN, &cl.job, "database", "job outcome unknown; its lease will decide");
        count("unknown");
    } else {
        switch (outcome) {
        case JOBS_DONE:
            count("done");
            break;
        case JOBS_RETRIED:
            log_job(LOG_WARN, &cl.job, error, "job failed; will retry");
            count("retried");
            break;
        case JOBS_PARKED:
            log_job(LOG_ERROR, &cl.job, error, "job parked");
            count("parked");
            break;
        case JOBS_LOST:
            log_job(LOG_WARN, &cl.job, NULL, "job lease was taken over; not run");
            count("lost");
            break;
        }
    }
    jobs_claim_free(&cl);
    return rc == 0 ? 1 : -1;
}

static void *worker_main(void *arg)
{
    struct jobs_worker *w = arg;
    struct jobs *j = w->j;

    while (!atomic_load(&j->stopping)) {
        struct db_conn *c = db_acquire(j->pool, DB_WAIT_MS);
        if (!c) {
            back_off(j, j->opt.poll_ms);
            continue;
        }
        int rc = work_once(j, c);
        db_release(j->pool, c);
        if (rc == 1)
            continue; /* there may be more: claim again at once */
        if (rc < 0)
            back_off(j, j->opt.poll_ms);
        else
            wait_for_work(j, j->opt.poll_ms);
    }
    return NULL;
}

/* ---------------------------------------------------------------- listener */

static PGconn *listen_connect(struct jobs *j)
{
    char err[256];
    PGconn *pg = db_connect(j->conninfo, j->opt.connect_timeout_ms, err, sizeof err);
    if (!pg) {
        log_warn("jobs: LISTEN connection failed: %s", err);
        return NULL;
    }
    PGresult *r = PQexec(pg, "LISTEN " JOBS_CHANNEL);
    bool ok = db_ok(r);
    PQclear(r);
    if (!ok || PQsetnonblocking(pg, 0) != 0) {
        log_warn("jobs: LISTEN failed");
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static void reap(struct jobs *j, struct db_conn *lc)
{
    int parked = 0;
    int n = jobs_reap(j, lc, &parked);
    if (n > 0) {
        char nn[16], np[16];
        snprintf(nn, sizeof nn, "%d", n);
        snprintf(np, sizeof np, "%d", parked);
        const char *fields[] = { "jobs", nn, "parked", np, NULL };
        log_write(LOG_WARN, NULL, fields, "jobs: expired leases returned to the queue");
        metrics_counter_add("bookwell_jobs_lease_expired_total", NULL, NULL, (uint64_t)n);
        jobs_wake(j);
    }
}

static void *listener_main(void *arg)
{
    struct jobs *j = arg;
    struct db_conn lc = { 0 };
    int64_t next_reap = 0, retry_ms = RECONNECT_MIN_MS;

    while (!atomic_load(&j->stopping)) {
        if (!lc.pg) {
            if (!(lc.pg = listen_connect(j))) {
                struct pollfd pf = { j->wake_pipe[0], POLLIN, 0 };
                poll(&pf, 1, (int)retry_ms);
                retry_ms = retry_ms * 2 < j->opt.poll_ms ? retry_ms * 2 : j->opt.poll_ms;
                continue;
            }
            memset(lc.prepared, 0, sizeof lc.prepared);
            retry_ms = RECONNECT_MIN_MS;
            jobs_wake(j); /* notifications may have been missed while away */
        }
        int64_t now = clock_mono_ms();
        if (now >= next_reap) {
            reap(j, &lc);
            next_reap = now + j->opt.poll_ms;
        }
        struct pollfd pf[2] = { { PQsocket(lc.pg), POLLIN, 0 }, { j->wake_pipe[0], POLLIN, 0 } };
        int64_t wait = next_reap - clock_mono_ms();
        int n = poll(pf, 2, wait > 0 ? (int)wait : 0);
        if (n < 0 && errno != EINTR)
            break;
        if (pf[1].revents) {
            char buf[16];
            while (read(j->wake_pipe[0], buf, sizeof buf) > 0)
                ;
        }
        if (n > 0 && pf[0].revents) {
            if (!PQconsumeInput(lc.pg)) {
                log_warn("jobs: LISTEN connection lost; reconnecting");
                PQfinish(lc.pg);
                lc.pg = NULL;
                continue;
            }
        }
        /* Notifications also arrive while the reaper's query runs. */
        int notes = 0;
        PGnotify *note;
        while ((note = PQnotifies(lc.pg)) != NULL) {
            notes++;
            PQfreemem(note);
        }
        if (notes > 0)
            wake_some(j, notes);
        if (PQstatus(lc.pg) != CONNECTION_OK) {
            PQfinish(lc.pg);
            lc.pg = NULL;
        }
    }
    if (lc.pg)
        PQfinish(lc.pg);
    return NULL;
}

/* ---------------------------------------------------------------- start, stop */

int jobs_start(struct jobs *j, char *err, size_t errcap)
{
    if (j->started)
        return JOBS_E_BUSY;
    if (!j->conninfo) {
        snprintf(err, errcap, "jobs: no database configured");
        return JOBS_E_INVAL;
    }
    atomic_store(&j->stopping, false);
    if (db_pool_open(&j->pool, j->conninfo, j->opt.workers, j->opt.connect_timeout_ms, err,
                     errcap) != 0)
        return JOBS_E_DB;
    j->started = true; /* from here jobs_stop() undoes whatever started */
    if (pipe2(j->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        snprintf(err, errcap, "jobs: pipe: %s", strerror(errno));
        goto fail;
    }
    if (!(j->workers = calloc((size_t)j->opt.workers, sizeof *j->workers))) {
        snprintf(err, errcap, "jobs: out of memory");
        goto fail;
    }
    if (pthread_create(&j->listener, NULL, listener_main, j) != 0) {
        snprintf(err, errcap, "jobs: cannot start the listener thread");
        goto fail;
    }
    j->listener_started = true;
    for (int i = 0; i < j->opt.workers; i++) {
        struct jobs_worker *w = &j->workers[i];
        w->j = j;
        w->index = i;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errcap, "jobs: cannot start worker thread %d", i);
            goto fail;
        }
        w->started = true;
        j->n_workers = i + 1;
    }
    return 0;
fail:
    jobs_stop(j);
    return JOBS_E_NOMEM;
}

void jobs_stop(struct jobs *j)
{
    if (!j || !j->started)
        return;
    atomic_store(&j->stopping, true);
    jobs_wake(j);
    if (j->wake_pipe[1] >= 0) {
        ssize_t w = write(j->wake_pipe[1], "x", 1);
        (void)w;
    }
    /* Workers finish the job in hand, then see stopping and return. */
    for (int i = 0; i < j->n_workers; i++)
        if (j->workers[i].started)
            pthread_join(j->workers[i].thread, NULL);
    if (j->listener_started)
        pthread_join(j->listener, NULL);
    j->listener_started = false;
    free(j->workers);
    j->workers = NULL;
    j->n_workers = 0;
    for (int i = 0; i < 2; i++) {
        if (j->wake_pipe[i] >= 0)
            close(j->wake_pipe[i]);
        j->wake_pipe[i] = -1;
    }
    db_pool_close(j->pool);
    j->pool = NULL;
    j->started = false;
}
