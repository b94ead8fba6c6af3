/*
 * ISO 8601 date-times as APIs exchange them (the RFC 3339 profile):
 * parsing into microseconds since the Unix epoch (UTC) with the offset the
 * text carried, and formatting back at a chosen offset. Pure arithmetic on
 * the proleptic Gregorian calendar: no time zone database, no global state.
 * Converting to a clinic's local time is the host's job (it passes times
 * with their offsets).
 */
#ifndef BOOKWELL_SDK_DATETIME_H
#define BOOKWELL_SDK_DATETIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Enough for "9999-12-31T23:59:59.999999+14:00" and the NUL. */
#define BWSDK_TIME_MAX 40

/*
 * Parses "YYYY-MM-DDThh:mm[:ss[.fraction]]<offset>" where the separator is
 * 'T', 't' or a space, the fraction has 1 to 9 digits (kept to the
 * microsecond), and offset is 'Z', 'z', "+hh:mm", "+hhmm" or "+hh". Sets
 * *us and, when not NULL, *offset_s (seconds east of UTC). Returns 0 or
 * BW_E_INVAL (also for a time without offset, a field out of range, or a
 * day the month does not have).
 */
int bwsdk_time_parse(const char *s, int64_t *us, int32_t *offset_s);

/* Parses the same form without an offset ("2027-03-02T12:15:00"), as a
 * local time offset_s seconds east of UTC. An offset in s is BW_E_INVAL. */
int bwsdk_time_parse_local(const char *s, int32_t offset_s, int64_t *us);

/* Parses a calendar date "YYYY-MM-DD". 0 or BW_E_INVAL. */
int bwsdk_date_parse(const char *s, int32_t *year, int32_t *month, int32_t *day);

/*
 * Formats us as local time at offset_s: "2027-03-02T12:15:00-08:00", 'Z' for
 * offset 0, seconds always, and a fraction only when there is one (3 digits
 * when whole milliseconds, else 6). out needs BWSDK_TIME_MAX bytes. Returns
 * 0, BW_E_INVAL (offset beyond +-18h or not in whole minutes, year outside
 * 0..9999) or BW_E_NOMEM.
 */
int bwsdk_time_format(int64_t us, int32_t offset_s, char *out, size_t cap);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t bwsdk_days_from_civil(int32_t year, int32_t month, int32_t day);
void bwsdk_civil_from_days(int64_t days, int32_t *year, int32_t *month, int32_t *day);

#ifdef __cplusplus
}
#endif

#endif
