/*
 * The plugin call pool: a fixed set of worker threads on which plugin ops
 * run when a request needs one (DESIGN rule 8: never on libmicrohttpd's
 * threads). A handler defers its HTTP response, submits a task here, and the
 * task completes the response. The queue is bounded: a full queue refuses
 * the task at once (the caller answers 503) instead of growing.
 */
#ifndef BW_HOST_PLUGIN_POOL_H
#define BW_HOST_PLUGIN_POOL_H

#include <stddef.h>

struct plugin_pool;

typedef void (*plugin_pool_fn)(void *arg);

/* Starts threads workers with room for queue_max waiting tasks. Returns 0,
 * or -1 (nothing started). */
int plugin_pool_start(struct plugin_pool **out, unsigned threads, size_t queue_max);

/* Queues fn(arg). Returns 0, or -1 when the queue is full or the pool is
 * stopping (fn is then not called; arg stays the caller's). */
int plugin_pool_submit(struct plugin_pool *p, plugin_pool_fn fn, void *arg);

/* Tasks queued or running. */
size_t plugin_pool_busy(struct plugin_pool *p);

/* Runs every queued task, joins the threads and frees the pool. NULL is a
 * no-op. */
void plugin_pool_stop(struct plugin_pool *p);

#endif
