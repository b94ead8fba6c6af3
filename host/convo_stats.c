/*
 * Turn cost histograms (convo_stats.h).
 */
#include "convo_stats.h"

#include <stdatomic.h>
#include <stdio.h>

#include "metrics.h"

#define FINE_N   2000 /* 1 us buckets: [0, 2000) */
#define MID_N    1800 /* 10 us buckets: [2000, 20000) */
#define COARSE_N 1800 /* 100 us buckets: [20000, 200000) */
#define WIDE_N   1800 /* 1 ms buckets: [200000, 2000000) */
#define BUCKETS  (FINE_N + MID_N + COARSE_N + WIDE_N + 1) /* the last: 2 s and more */

struct hist {
    atomic_uint_fast64_t b[BUCKETS];
    atomic_uint_fast64_t count, sum_us;
};

static struct hist hists[CONVO_STAT_COUNT];

static size_t bucket_of(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us < 2000)
        return (size_t)us;
    if (us < 20000)
        return FINE_N + (size_t)((us - 2000) / 10);
    if (us < 200000)
        return FINE_N + MID_N + (size_t)((us - 20000) / 100);
    if (us < 2000000)
        return FINE_N + MID_N + COARSE_N + (size_t)((us - 200000) / 1000);
    return BUCKETS - 1;
}

/* The exclusive upper bound of bucket i, in us. */
static int64_t bucket_top(size_t i)
{
    if (i < FINE_N)
        return (int64_t)i + 1;
    if (i < FINE_N + MID_N)
        return 2000 + (int64_t)(i - FINE_N + 1) * 10;
    if (i < FINE_N + MID_N + COARSE_N)
        return 20000 + (int64_t)(i - FINE_N - MID_N + 1) * 100;
    if (i < BUCKETS - 1)
        return 200000 + (int64_t)(i - FINE_N - MID_N - COARSE_N + 1) * 1000;
    return 2000000;
}

void convo_stats_record(enum convo_stat s, int64_t us)
{
    if ((unsigned)s >= CONVO_STAT_COUNT)
        return;
    struct hist *h = &hists[s];
    atomic_fetch_add_explicit(&h->b[bucket_of(us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(us > 0 ? us : 0), memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

int64_t convo_stats_quantile(enum convo_stat s, double q, uint64_t *count)
{
    uint64_t n = 0;
    if ((unsigned)s >= CONVO_STAT_COUNT) {
        if (count)
            *count = 0;
        return 0;
    }
    struct hist *h = &hists[s];
    for (size_t i = 0; i < BUCKETS; i++)
        n += atomic_load_explicit(&h->b[i], memory_order_relaxed);
    if (count)
        *count = n;
    if (n == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        seen += atomic_load_explicit(&h->b[i], memory_order_relaxed);
        if (seen >= rank)
            return bucket_top(i);
    }
    return bucket_top(BUCKETS - 1);
}

static size_t collect(char *out, size_t cap, void *arg)
{
    (void)arg;
    static const char *const names[CONVO_STAT_COUNT] = { "bookwell_convo_turn_us", "bookwell_convo_understand_us" };
    static const char *const help[CONVO_STAT_COUNT] = {
        "Real time of a conversation turn in the driver (state, understanding, policy, writes), microseconds.",
        "Real time of understanding one message, microseconds.",
    };
    static const double qs[] = { 0.5, 0.9, 0.99 };
    size_t o = 0;
    for (int s = 0; s < CONVO_STAT_COUNT; s++) {
        int n = snprintf(out + o, cap - o, "# HELP %s %s\n# TYPE %s summary\n", names[s], help[s], names[s]);
        if (n < 0 || (size_t)n >= cap - o)
            return 0;
        o += (size_t)n;
        uint64_t count = 0;
        for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
            int64_t v = convo_stats_quantile((enum convo_stat)s, qs[i], &count);
            n = snprintf(out + o, cap - o, "%s{quantile=\"%g\"} %lld\n", names[s], qs[i], (long long)v);
            if (n < 0 || (size_t)n >= cap - o)
                return 0;
            o += (size_t)n;
        }
        n = snprintf(out + o, cap - o, "%s_sum %llu\n%s_count %llu\n", names[s],
                     (unsigned long long)atomic_load(&hists[s].sum_us), names[s],
                     (unsigned long long)atomic_load(&hists[s].count));
        if (n < 0 || (size_t)n >= cap - o)
            return 0;
        o += (size_t)n;
    }
    return o;
}

void convo_stats_register(void)
{
    metrics_add_collector(collect, NULL);
}

void convo_stats_reset(void)
{
    for (int s = 0; s < CONVO_STAT_COUNT; s++) {
        for (size_t i = 0; i < BUCKETS; i++)
            atomic_store(&hists[s].b[i], 0);
        atomic_store(&hists[s].count, 0);
        atomic_store(&hists[s].sum_us, 0);
    }
}
