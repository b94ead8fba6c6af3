/*
 * In-process metrics rendered as Prometheus text at GET /metrics: HTTP
 * requests by route and status, an HTTP latency histogram, and gauges that
 * subsystems fill at scrape time through collectors (jobs, database pool).
 * Counters are updated under one mutex; the request path touches it once.
 */
#ifndef BW_HOST_METRICS_H
#define BW_HOST_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Records one HTTP request: listener ("public"/"admin"), route name (the
 * pattern, never the raw path), status and duration in microseconds. */
void metrics_http_observe(const char *listener, const char *route, int status, int64_t micros);

/* Adds delta to a named counter with an optional label pair ("name", NULL,
 * NULL for none). Names and labels are copied on first use. */
void metrics_counter_add(const char *name, const char *label, const char *value, uint64_t delta);

/* A collector appends Prometheus text for gauges read at scrape time.
 * It writes into out (capacity cap) and returns the bytes written. */
/* A counter's value since start (0 when it was never added to). */
uint64_t metrics_counter_get(const char *name, const char *label, const char *value);

typedef size_t (*metrics_collector_fn)(char *out, size_t cap, void *arg);
void metrics_add_collector(metrics_collector_fn fn, void *arg);

/* Renders everything. Returns a malloc'd NUL-terminated string (caller frees). */
char *metrics_render(size_t *len);

/* Forgets everything (tests). */
void metrics_reset(void);

#endif
