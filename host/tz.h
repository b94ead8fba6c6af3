/*
 * Local wall-clock time in IANA zones ("America/Los_Angeles"), for business
 * rules that speak in local terms: quiet hours, "tomorrow", a clinic's day.
 * Every call opens its own ICU UCalendar and closes it before returning, so
 * the functions are thread-safe and keep no state; the process time zone
 * (TZ) is never read or changed.
 *
 * Rules for wall times that do not map to exactly one instant:
 * - a gap (spring forward: 02:30 on 2027-03-14 in Los Angeles never happens)
 *   maps to the first instant after the gap, 03:00 PDT: the earliest real
 *   instant not before the wall time asked for. So a rule "not before 02:30"
 *   is met as soon as the clock jumps past it, and the mapping never moves
 *   backwards as the wall time moves forwards.
 * - an overlap (fall back: 01:30 on 2027-11-07 happens twice) maps to the
 *   first occurrence, unless TZ_REPEATED_LAST asks for the second.
 */
#ifndef BW_HOST_TZ_H
#define BW_HOST_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define TZ_E_ZONE  (-1) /* not an IANA zone ICU knows */
#define TZ_E_INVAL (-2) /* a field out of range, or an instant outside years 1800-9999 */
#define TZ_E_ICU   (-3) /* ICU failed (out of memory) */

#define TZ_ZONE_MAX 64 /* longest zone name accepted, in bytes */

/* Flags for tz_from_local. */
#define TZ_REPEATED_FIRST 0 /* an ambiguous wall time is its first occurrence */
#define TZ_REPEATED_LAST  1 /* ... or its second */

/* A wall-clock time in some zone. */
struct tz_local {
    int year;           /* 1800-9999 */
    int month;          /* 1-12 */
    int day;            /* 1-31 */
    int hour;           /* 0-23 */
    int minute;         /* 0-59 */
    int second;         /* 0-59 */
    int usec;           /* 0-999999 */
    int weekday;        /* 0 = Sunday ... 6 = Saturday; output only */
    int utc_offset_min; /* local minus UTC, DST included; output only */
};

/* True when zone names a zone ICU knows (canonical or alias, not a custom
 * "GMT+3" id). */
bool tz_valid(const char *zone);

/* The wall-clock time in zone at utc_us (microseconds since the epoch). */
int tz_to_local(const char *zone, int64_t utc_us, struct tz_local *out);

/* The instant of the wall-clock time in (weekday and utc_offset_min are
 * ignored) under the gap and overlap rules above; flags is
 * TZ_REPEATED_FIRST or TZ_REPEATED_LAST. */
int tz_from_local(const char *zone, const struct tz_local *in, int flags, int64_t *utc_us);

/* The first instant of the local day that contains utc_us (local midnight,
 * or the end of the gap on a day whose midnight is skipped). */
int tz_start_of_day(const char *zone, int64_t utc_us, int64_t *out);

/* The same wall-clock time (to the microsecond) days local days later (days
 * may be negative), mapped back under the rules above. Across a DST change
 * the result is 23 or 25 hours away per day, not 24. */
int tz_add_days(const char *zone, int64_t utc_us, int days, int64_t *out);

/* The first UTC offset change of zone strictly after after_us and not after
 * limit_us. Returns 1 and sets *out, 0 when there is none, or TZ_E_*. */
int tz_next_transition(const char *zone, int64_t after_us, int64_t limit_us, int64_t *out);

/* Moves the calendar date in l by days (proleptic Gregorian) and sets its
 * weekday; the time of day is untouched. */
void tz_date_add_days(struct tz_local *l, int days);

/* Days in month (1-12) of year, 0 for a bad month. */
int tz_days_in_month(int year, int month);

#endif
