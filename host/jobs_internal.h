/*
 * The jobs subsystem's private state, shared by jobs.c (the queue's
 * statements and the handler registry) and jobs_worker.c (threads, LISTEN,
 * start and stop). Nothing outside host/jobs*.c includes this.
 */
#ifndef BW_HOST_JOBS_INTERNAL_H
#define BW_HOST_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "jobs.h"

struct jobs_handler {
    char kind[JOBS_KIND_MAX + 1];
    jobs_handler_fn fn;
    void *ctx;
};

struct jobs_worker;

struct jobs {
    struct jobs_options opt;      /* conninfo and owner point into the copies below */
    char *conninfo;               /* owned */
    char owner[JOBS_OWNER_MAX];

    struct jobs_handler handlers[JOBS_MAX_KINDS];
    int n_handlers;
    char *kinds_array;            /* owned: the handled kinds as a text[] literal */

    /* Running state, set up by jobs_start(). */
    bool started;
    atomic_bool stopping;
    struct db_pool *pool;         /* one connection per worker */
    struct jobs_worker *workers;
    int n_workers;
    pthread_t listener;
    bool listener_started;
    int wake_pipe[2];             /* interrupts the listener's poll() at stop */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int wake_pending;             /* wake-ups not yet taken by a worker (at most
                                     n_workers), under lock */
};

const struct jobs_handler *jobs_find_handler(const struct jobs *j, const char *kind);

#endif
