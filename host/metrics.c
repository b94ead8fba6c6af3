/*
 * A small fixed-capacity metrics registry. Series are found by linear scan
 * (there are a few dozen routes), which keeps the code obvious; capacity is
 * bounded so a flood of distinct labels cannot grow memory.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HTTP_SERIES 256
#define MAX_COUNTERS 128
#define MAX_COLLECTORS 16
#define RENDER_CAP (256 * 1024)

static const double bucket_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct http_series {
    char listener[16];
    char route[96];
    int status;
    uint64_t count;
};

struct http_hist {
    char listener[16];
    char route[96];
    uint64_t buckets[N_BUCKETS];
    uint64_t count;
    double sum;
};

struct counter {
    char name[64];
    char label[32];
    char value[64];
    uint64_t count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_series series[MAX_HTTP_SERIES];
static size_t n_series;
static struct http_hist hists[MAX_HTTP_SERIES];
static size_t n_hists;
static struct counter counters[MAX_COUNTERS];
static size_t n_counters;
static struct { metrics_collector_fn fn; void *arg; } collectors[MAX_COLLECTORS];
static size_t n_collectors;

void metrics_http_observe(const char *listener, const char *route, int status, int64_t micros)
{
    double secs = (double)micros / 1e6;
    pthread_mutex_lock(&lock);
    size_t i;
    for (i = 0; i < n_series; i++)
        if (series[i].status == status && !strcmp(series[i].route, route) &&
            !strcmp(series[i].listener, listener))
            break;
    if (i == n_series && n_series < MAX_HTTP_SERIES) {
        snprintf(series[i].listener, sizeof series[i].listener, "%s", listener);
        snprintf(series[i].route, sizeof series[i].route, "%s", route);
        series[i].status = status;
        n_series++;
    }
    if (i < n_series)
        series[i].count++;

    for (i = 0; i < n_hists; i++)
        if (!strcmp(hists[i].route, route) && !strcmp(hists[i].listener, listener))
            break;
    if (i == n_hists && n_hists < MAX_HTTP_SERIES) {
        snprintf(hists[i].listener, sizeof hists[i].listener, "%s", listener);
        snprintf(hists[i].route, sizeof hists[i].route, "%s", route);
        n_hists++;
    }
    if (i < n_hists) {
        for (size_t b = 0; b < N_BUCKETS; b++)
            if (secs <= bucket_bounds[b])
                hists[i].buckets[b]++;
        hists[i].count++;
        hists[i].sum += secs;
    }
    pthread_mutex_unlock(&lock);
}

void metrics_counter_add(const char *name, const char *label, const char *value, uint64_t delta)
{
    pthread_mutex_lock(&lock);
    size_t i;
    for (i = 0; i < n_counters; i++)
        if (!strcmp(counters[i].name, name) && !strcmp(counters[i].label, label ? label : "") &&
            !strcmp(counters[i].value, value ? value : ""))
            break;
    if (i == n_counters && n_counters < MAX_COUNTERS) {
        snprintf(counters[i].name, sizeof counters[i].name, "%s", name);
        snprintf(counters[i].label, sizeof counters[i].label, "%s", label ? label : "");
        snprintf(counters[i].value, sizeof counters[i].value, "%s", value ? value : "");
        n_counters++;
    }
    if (i < n_counters)
        counters[i].count += delta;
    pthread_mutex_unlock(&lock);
}

uint64_t metrics_counter_get(const char *name, const char *label, const char *value)
{
    uint64_t out = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_counters; i++)
        if (!strcmp(counters[i].name, name) && !strcmp(counters[i].label, label ? label : "") &&
            !strcmp(counters[i].value, value ? value : ""))
            out = counters[i].count;
    pthread_mutex_unlock(&lock);
    return out;
}

void metrics_add_collector(metrics_collector_fn fn, void *arg)
{
    pthread_mutex_lock(&lock);
    if (n_collectors < MAX_COLLECTORS) {
        collectors[n_collectors].fn = fn;
        collectors[n_collectors].arg = arg;
        n_collectors++;
    }
    pthread_mutex_unlock(&lock);
}

/* Appends formatted text at *n, never past RENDER_CAP - 1. */
static void __attribute__((format(printf, 3, 4))) appendf(char *out, size_t *n, const char *fmt, ...)
{
    va_list ap;
    if (*n >= RENDER_CAP - 1)
        return;
    va_start(ap, fmt);
    int w = vsnprintf(out + *n, RENDER_CAP - *n, fmt, ap);
    va_end(ap);
    if (w > 0)
        *n = (size_t)w < RENDER_CAP - *n ? *n + (size_t)w : RENDER_CAP - 1;
}
#define APPEND(...) appendf(out, &n, __VA_ARGS__)

/* A label value as the text format wants it: backslash, quote and newline
 * escaped. Truncates to cap. */
static const char *label_escape(char *out, size_t cap, const char *s)
{
    size_t w = 0;
    for (; *s && w + 2 < cap; s++) {
        if (*s == '\\' || *s == '"') {
            out[w++] = '\\';
            out[w++] = *s;
        } else if (*s == '\n') {
            out[w++] = '\\';
            out[w++] = 'n';
        } else {
            out[w++] = *s;
        }
    }
    out[w] = '\0';
    return out;
}

char *metrics_render(size_t *len)
{
    char *out = malloc(RENDER_CAP);
    size_t n = 0;
    if (!out)
        return NULL;
    out[0] = '\0';
    pthread_mutex_lock(&lock);
    char lis[40], route[200], value[140];
    APPEND("# HELP bookwell_http_requests_total HTTP requests by listener, route and status.\n"
           "# TYPE bookwell_http_requests_total counter\n");
    for (size_t i = 0; i < n_series; i++)
        APPEND("bookwell_http_requests_total{listener=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
               label_escape(lis, sizeof lis, series[i].listener),
               label_escape(route, sizeof route, series[i].route), series[i].status,
               (unsigned long long)series[i].count);
    APPEND("# HELP bookwell_http_request_duration_seconds HTTP request latency by listener and route.\n"
           "# TYPE bookwell_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < n_hists; i++) {
        label_escape(lis, sizeof lis, hists[i].listener);
        label_escape(route, sizeof route, hists[i].route);
        for (size_t b = 0; b < N_BUCKETS; b++)
            APPEND("bookwell_http_request_duration_seconds_bucket{listener=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                   lis, route, bucket_bounds[b], (unsigned long long)hists[i].buckets[b]);
        APPEND("bookwell_http_request_duration_seconds_bucket{listener=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
               lis, route, (unsigned long long)hists[i].count);
        APPEND("bookwell_http_request_duration_seconds_sum{listener=\"%s\",route=\"%s\"} %.6f\n",
               lis, route, hists[i].sum);
        APPEND("bookwell_http_request_duration_seconds_count{listener=\"%s\",route=\"%s\"} %llu\n",
               lis, route, (unsigned long long)hists[i].count);
    }
    /* One family per counter name, whatever order its series were made in. */
    for (size_t i = 0; i < n_counters; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(counters[j].name, counters[i].name);
        if (seen)
            continue;
        APPEND("# TYPE %s counter\n", counters[i].name);
        for (size_t j = i; j < n_counters; j++) {
            if (strcmp(counters[j].name, counters[i].name) != 0)
                continue;
            if (counters[j].label[0])
                APPEND("%s{%s=\"%s\"} %llu\n", counters[j].name, counters[j].label,
                       label_escape(value, sizeof value, counters[j].value),
                       (unsigned long long)counters[j].count);
            else
                APPEND("%s %llu\n", counters[j].name, (unsigned long long)counters[j].count);
        }
    }
    size_t ncol = n_collectors;
    metrics_collector_fn fns[MAX_COLLECTORS];
    void *args[MAX_COLLECTORS];
    for (size_t i = 0; i < ncol; i++) {
        fns[i] = collectors[i].fn;
        args[i] = collectors[i].arg;
    }
    pthread_mutex_unlock(&lock);
    /* Collectors may query the database: run them outside the lock. */
    for (size_t i = 0; i < ncol && n < RENDER_CAP - 1; i++)
        n += fns[i](out + n, RENDER_CAP - n, args[i]);
    out[n] = '\0';
    if (len)
        *len = n;
    return out;
}

void metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    n_series = n_hists = n_counters = n_collectors = 0;
    memset(series, 0, sizeof series);
    memset(hists, 0, sizeof hists);
    memset(counters, 0, sizeof counters);
    pthread_mutex_unlock(&lock);
}
