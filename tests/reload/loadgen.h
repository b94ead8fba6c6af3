/*
 * A load generator for the reload tests and the plugin benchmark: sends
 * POST requests at a fixed rate (an open loop: a slow answer does not delay
 * the next request) with libcurl's multi interface on one thread, and
 * checks every answer of POST /admin/test/plugin-call: HTTP 200, a version
 * the host names, and the same version reported by the plugin that ran.
 */
#ifndef BW_TESTS_RELOAD_LOADGEN_H
#define BW_TESTS_RELOAD_LOADGEN_H

#include <stdint.h>

struct loadgen;

struct loadgen_opts {
    unsigned port;
    const char *path;          /* "/admin/test/plugin-call" */
    const char *body;          /* the JSON body of every request */
    const char *token;         /* the operator token */
    double rate;               /* requests per second */
    unsigned max_in_flight;    /* requests waiting beyond this count as failed */
};

#define LOADGEN_MAX_VERSIONS 4

struct loadgen_stats {
    uint64_t sent;
    uint64_t ok;               /* 200, and the host and plugin named the same version */
    uint64_t failed;           /* anything else */
    uint64_t overloaded;       /* not sent: max_in_flight requests already waiting */
    char versions[LOADGEN_MAX_VERSIONS][16];
    uint64_t per_version[LOADGEN_MAX_VERSIONS];
    uint64_t max_generation;
    int64_t max_latency_ms;
    int64_t p99_latency_ms;
    char first_failure[256];
};

/* Starts sending on a thread of its own. Returns 0 or -1. */
int loadgen_start(struct loadgen **out, const struct loadgen_opts *o);

/* A snapshot of the counters so far (thread-safe). */
void loadgen_peek(struct loadgen *lg, struct loadgen_stats *st);

/* Stops sending, waits for every request in flight, fills st and frees. */
void loadgen_stop(struct loadgen *lg, struct loadgen_stats *st);

#endif
