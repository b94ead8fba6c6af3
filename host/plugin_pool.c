/*
 * Worker threads over a bounded FIFO of tasks (see plugin_pool.h). One
 * mutex guards the ring; workers sleep on a condition variable. Stopping
 * lets the workers empty the queue first, so every deferred HTTP response
 * that was handed a task gets its answer.
 */
#include "plugin_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct task {
    plugin_pool_fn fn;
    void *arg;
};

struct plugin_pool {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct task *ring;
    size_t cap, head, n, running;
    bool stopping;
    pthread_t *threads;
    unsigned n_threads;
};

static void *worker(void *arg)
{
    struct plugin_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->n == 0 && !p->stopping)
            pthread_cond_wait(&p->cond, &p->mu);
        if (p->n == 0)
            break;
        struct task t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        p->running++;
        pthread_mutex_unlock(&p->mu);
        t.fn(t.arg);
        pthread_mutex_lock(&p->mu);
        p->running--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int plugin_pool_start(struct plugin_pool **out, unsigned threads, size_t queue_max)
{
    struct plugin_pool *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p || threads == 0 || queue_max == 0)
        goto fail_alloc;
    p->cap = queue_max;
    p->ring = calloc(queue_max, sizeof *p->ring);
    p->threads = calloc(threads, sizeof *p->threads);
    if (!p->ring || !p->threads)
        goto fail_alloc;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (; p->n_threads < threads; p->n_threads++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0) {
            plugin_pool_stop(p);
            return -1;
        }
    }
    *out = p;
    return 0;
fail_alloc:
    if (p) {
        free(p->ring);
        free(p->threads);
    }
    free(p);
    return -1;
}

int plugin_pool_submit(struct plugin_pool *p, plugin_pool_fn fn, void *arg)
{
    int rc = -1;
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->n < p->cap) {
        p->ring[(p->head + p->n) % p->cap] = (struct task){ fn, arg };
        p->n++;
        pthread_cond_signal(&p->cond);
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

size_t plugin_pool_busy(struct plugin_pool *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->n + p->running;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void plugin_pool_stop(struct plugin_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->ring);
    free(p);
}
