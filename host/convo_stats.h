/*
 * What conversation turns cost in this process: real (monotonic) time of
 * each turn the driver runs (loading and locking the conversation, the
 * tenant's tables, understanding, the decision core with its availability,
 * hold and outbox writes, storing the state; not the job's commit), and of
 * the understanding part alone. Recorded lock-free into fixed histograms
 * (1 us buckets to 2 ms, 10 us to 20 ms, 100 us to 200 ms, 1 ms to 2 s) and
 * exported on /metrics as Prometheus summaries (quantiles 0.5, 0.9, 0.99,
 * sum, count).
 */
#ifndef BW_HOST_CONVO_STATS_H
#define BW_HOST_CONVO_STATS_H

#include <stddef.h>
#include <stdint.h>

enum convo_stat { CONVO_STAT_TURN, CONVO_STAT_UNDERSTAND, CONVO_STAT_COUNT };

void convo_stats_record(enum convo_stat s, int64_t us);

/* The q-quantile (0 < q <= 1) of what was recorded, in us (a bucket's
 * upper bound), and how many; 0 when nothing was. */
int64_t convo_stats_quantile(enum convo_stat s, double q, uint64_t *count);

/* Adds the /metrics collector (at each daemon start, like the other
 * collectors: metrics_reset() drops them). */
void convo_stats_register(void);

/* Forgets everything recorded (tests). */
void convo_stats_reset(void);

#endif
