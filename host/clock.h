/*
 * The host clock. Business time (holds, schedules, quiet hours, what
 * "tomorrow" means) is read from clock_now_us(): the real wall clock in
 * production, a simulated one when the daemon runs with --test-clock, where
 * only clock_set_us() moves it. Leases, deadlines, timeouts and rate limits
 * never use it: they use clock_mono_ms(), the real monotonic clock.
 */
#ifndef BW_HOST_CLOCK_H
#define BW_HOST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Switches to the simulated clock, starting at start_us (microseconds since
 * the Unix epoch, UTC). Call once at start, before any thread reads it. */
void clock_use_simulated(int64_t start_us);
bool clock_is_simulated(void);

/* Business time, microseconds since the Unix epoch (UTC). */
int64_t clock_now_us(void);

/* Sets the simulated clock. Returns 0, or -1 when the clock is real or when
 * us would move it backwards (simulated time never runs back). */
int clock_set_us(int64_t us);

/* Real monotonic milliseconds, for leases, deadlines and timeouts. */
int64_t clock_mono_ms(void);
/* Real monotonic microseconds, for latency measurements. */
int64_t clock_mono_us(void);

/* Formats us as RFC 3339 UTC with microseconds ("2027-03-02T20:15:00.000000Z").
 * out must hold 32 bytes. Returns out. */
char *clock_format_utc(int64_t us, char out[32]);

/* Parses RFC 3339 with a Z or numeric offset, fractional seconds optional.
 * Returns 0 and sets *us, or -1 when s is not such a time. */
int clock_parse_rfc3339(const char *s, int64_t *us);

/* Parses an ISO 8601 duration of weeks, days, hours, minutes and seconds
 * ("PT2H", "P1DT30M", "PT0.5S", "P2W"); years and months are refused, their
 * length depends on the date. Returns 0 and sets *us, or -1. */
int clock_parse_duration(const char *s, int64_t *us);

#endif
