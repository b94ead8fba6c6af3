/*
 * The availability engine: the free slots of a service (optionally one
 * provider) in a date range, as the tenant's EMR reports them, kept only
 * where the tenant's knowledge allows a booking and no hold of ours blocks
 * them. Rules, all in the clinic's time zone (ICU, DST-correct): the
 * provider offers the service and works that weekday; the date is not
 * closed; the appointment starts at or after opening and ends by closing
 * (a duration that would cross closing time is refused); the start is at
 * least min_notice_min after now and on or before the local date
 * booking_horizon_days after today; the blocked range (buffer
 * minutes before and after included) overlaps no active hold of the same
 * provider; a service that needs a resource leaves a unit of it free.
 * Results are cached per tenant for AVAILABILITY_CACHE_MS of real time,
 * dropped at once by availability_invalidate (holds and bookings call it).
 */
#ifndef BW_HOST_AVAILABILITY_H
#define BW_HOST_AVAILABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "knowledge.h"

#define AVAILABILITY_CACHE_MS 5000
#define AVAILABILITY_MAX_RANGE_DAYS 62
#define AVAILABILITY_MAX_SLOTS 20000

#define AVAIL_E_INVAL  (-1)  /* unknown service or provider, bad range */
#define AVAIL_E_NOMEM  (-2)
#define AVAIL_E_DB     (-3)
#define AVAIL_E_EMR    (-4)  /* the EMR failed: see the result's emr_rc */

struct avail_slot {
    int64_t start_us;
    int64_t end_us;
    char provider_id[64];
};

struct avail_slots {
    struct avail_slot *v;   /* malloc'd, n entries, by start then provider */
    size_t n, cap;
    int emr_rc;             /* BW_E_* of the EMR call when AVAIL_E_EMR */
    char message[256];
};

/* What holds take: the blocked range of an active hold (or booking). */
struct avail_block {
    int64_t start_us;       /* block_start: start minus buffer */
    int64_t end_us;
    char provider_id[64];
    char resource_id[64];   /* "" when the service needs none */
};

struct avail_query {
    const char *service_id;
    const char *provider_id; /* NULL: any eligible provider */
    int64_t from_us;
    int64_t to_us;
};

void avail_slots_free(struct avail_slots *s);
int avail_slots_add(struct avail_slots *s, int64_t start_us, int64_t end_us,
                    const char *provider_id);

/*
 * 0 when a booking of service with provider starting at start_us is allowed
 * by k's rules at now_us (hours, closed dates, days, eligibility, notice,
 * horizon), else AVAIL_E_INVAL. The end is start + the service's duration.
 */
int availability_allowed(const struct knowledge *k, const struct kn_service *svc,
                         const struct kn_provider *prov, int64_t start_us, int64_t now_us);

/*
 * Every slot k's own calendar rules give for q (a step of slot_step_min from
 * each day's opening), minus blocks; the frame the built-in calendar's
 * answers must fit. out is appended to.
 */
int availability_generate(const struct knowledge *k, const struct avail_query *q, int64_t now_us,
                          const struct avail_block *blocks, size_t n_blocks,
                          struct avail_slots *out);

/* Keeps the slots of in that are allowed and not blocked, appending them to
 * out (in may come from any EMR). */
int availability_filter(const struct knowledge *k, const struct avail_query *q, int64_t now_us,
                        const struct avail_slots *in, const struct avail_block *blocks,
                        size_t n_blocks, struct avail_slots *out);

/* True when the [start, end) of service (buffers added) is blocked for
 * provider by blocks (same provider, or all units of its resource). */
bool availability_blocked(const struct knowledge *k, const struct kn_service *svc,
                          const char *provider_id, int64_t start_us, int64_t end_us,
                          const struct avail_block *blocks, size_t n_blocks);

/* The active holds of tenant overlapping [from, to) as blocks (malloc'd). */
int availability_load_blocks(struct db_conn *c, const struct knowledge *k, int64_t from_us,
                             int64_t to_us, struct avail_block **out, size_t *n);

struct registry;

/*
 * The engine: asks the tenant's EMR (registry binding "emr") for slots of
 * q, filters them as above against our holds, and caches the answer.
 * Runs on a worker thread (it calls a plugin). The catalog and the holds
 * are read on c when it is not NULL (a job's own connection), else on a
 * connection of pool taken only for those reads: never held across the
 * plugin call, whose key-value storage uses the same pool.
 * Returns 0 or AVAIL_E_*.
 */
int availability_query(struct db_pool *pool, struct db_conn *c, struct registry *reg,
                       const char *tenant_id, const struct avail_query *q,
                       struct avail_slots *out);

/* Drops the tenant's cached answers (holds and bookings call this). */
void availability_invalidate(const char *tenant_id);

#endif
