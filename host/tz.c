/*
 * IANA zone arithmetic over ICU's C calendar API. ICU calendars are not
 * thread-safe and opening one (the zone's rules read from ICU's resource
 * data, the zone id checked) costs tens of microseconds, far more than the
 * arithmetic, so each thread keeps the few calendars it used last, per zone
 * and wall-time rule, and every call sets all the fields it reads. ICU does
 * the zone work; the proleptic Gregorian
 * date arithmetic (adding days, days in a month) is plain integer code here,
 * so field validation never depends on ICU's lenient normalisation.
 */
#include "tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define US_PER_MS 1000
#define US_PER_S 1000000
#define YEAR_MIN 1800
#define YEAR_MAX 9999
/* Instants a little wider than years 1800-9999 UTC; the year is checked
 * again in local terms. */
#define US_MIN (-5364662400LL * US_PER_S - 2LL * 86400 * US_PER_S)
#define US_MAX (253402300800LL * US_PER_S + 2LL * 86400 * US_PER_S)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int weekday_of(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

int tz_days_in_month(int year, int month)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return len[month - 1];
}

void tz_date_add_days(struct tz_local *l, int days)
{
    int64_t z = days_from_civil(l->year, l->month, l->day) + days;
    civil_from_days(z, &l->year, &l->month, &l->day);
    l->weekday = weekday_of(z);
}

/* Zone names are ASCII by IANA's rules; anything else is refused before ICU. */
static bool zone_to_uchars(const char *zone, UChar out[TZ_ZONE_MAX + 1], int32_t *len)
{
    size_t n = zone ? strlen(zone) : 0;
    if (n == 0 || n > TZ_ZONE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)zone[i] <= 0x20 || (unsigned char)zone[i] >= 0x7f)
            return false;
    u_uastrncpy(out, zone, (int32_t)n);
    out[n] = 0;
    *len = (int32_t)n;
    return true;
}

bool tz_valid(const char *zone)
{
    UChar id[TZ_ZONE_MAX + 1], canon[TZ_ZONE_MAX * 2];
    int32_t len;
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (!zone_to_uchars(zone, id, &len))
        return false;
    ucal_getCanonicalTimeZoneID(id, len, canon, (int32_t)(sizeof canon / sizeof canon[0]), &system,
                                &st);
    return U_SUCCESS(st) && system && strcmp(zone, "Etc/Unknown") != 0;
}

/* Opens a calendar in zone with the gap and overlap rules set; NULL and *rc
 * set on failure. The caller closes it. */
static UCalendar *cal_open(const char *zone, int flags, int *rc)
{
    UChar id[TZ_ZONE_MAX + 1];
    int32_t len;
    UErrorCode st = U_ZERO_ERROR;
    if (!tz_valid(zone) || !zone_to_uchars(zone, id, &len)) {
        *rc = TZ_E_ZONE;
        return NULL;
    }
    UCalendar *cal = ucal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || !cal) {
        if (cal)
            ucal_close(cal);
        *rc = TZ_E_ICU;
        return NULL;
    }
    ucal_setAttribute(cal, UCAL_LENIENT, 1); /* the wall-time rules need a lenient calendar */
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME,
                      (flags & TZ_REPEATED_LAST) ? UCAL_WALLTIME_LAST : UCAL_WALLTIME_FIRST);
    return cal;
}

/* ---- the per-thread calendars ------------------------------------------ */

#define CAL_SLOTS 4

struct cal_cache {
    struct {
        char zone[TZ_ZONE_MAX + 1];
        int flags;
        UCalendar *cal;          /* owned; NULL: a free slot */
        unsigned long used;
    } slot[CAL_SLOTS];
    unsigned long tick;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static bool cache_ok;

static void cache_free(void *p)
{
    struct cal_cache *c = p;
    for (int i = 0; i < CAL_SLOTS; i++)
        if (c->slot[i].cal)
            ucal_close(c->slot[i].cal);
    free(c);
}

static void cache_init(void) { cache_ok = pthread_key_create(&cache_key, cache_free) == 0; }

/* This thread's calendar for zone and flags, opened on first use and kept
 * (the least recently used one makes room). Borrowed until the thread's
 * next call here; NULL and *rc set on failure. */
static UCalendar *cal_get(const char *zone, int flags, int *rc)
{
    pthread_once(&cache_once, cache_init);
    struct cal_cache *c = cache_ok ? pthread_getspecific(cache_key) : NULL;
    if (!c) {
        if (!cache_ok || !(c = calloc(1, sizeof *c)) || pthread_setspecific(cache_key, c) != 0) {
            free(c);
            *rc = TZ_E_ICU;
            return NULL;
        }
    }
    flags &= TZ_REPEATED_LAST;
    int victim = 0;
    for (int i = 0; i < CAL_SLOTS; i++) {
        if (c->slot[i].cal && c->slot[i].flags == flags && zone && strcmp(c->slot[i].zone, zone) == 0) {
            c->slot[i].used = ++c->tick;
            return c->slot[i].cal;
        }
        if (!c->slot[i].cal || (c->slot[victim].cal && c->slot[i].used < c->slot[victim].used))
            victim = i;
    }
    UCalendar *cal = cal_open(zone, flags, rc);
    if (!cal)
        return NULL;
    if (c->slot[victim].cal)
        ucal_close(c->slot[victim].cal);
    snprintf(c->slot[victim].zone, sizeof c->slot[victim].zone, "%s", zone);
    c->slot[victim].flags = flags;
    c->slot[victim].cal = cal;
    c->slot[victim].used = ++c->tick;
    return cal;
}

int tz_to_local(const char *zone, int64_t utc_us, struct tz_local *out)
{
    int rc = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (utc_us < US_MIN || utc_us > US_MAX)
        return TZ_E_INVAL;
    UCalendar *cal = cal_get(zone, 0, &rc);
    if (!cal)
        return rc;
    int64_t ms = floor_div(utc_us, US_PER_MS);
    ucal_setMillis(cal, (UDate)ms, &st);
    struct tz_local l = { 0 };
    l.year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
    l.month = ucal_get(cal, UCAL_MONTH, &st) + 1;
    l.day = ucal_get(cal, UCAL_DATE, &st);
    l.hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st);
    l.minute = ucal_get(cal, UCAL_MINUTE, &st);
    l.second = ucal_get(cal, UCAL_SECOND, &st);
    l.weekday = ucal_get(cal, UCAL_DAY_OF_WEEK, &st) - UCAL_SUNDAY;
    int32_t off_ms = ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return TZ_E_ICU;
    l.usec = (int)(utc_us - floor_div(utc_us, US_PER_S) * US_PER_S);
    l.utc_offset_min = off_ms / 60000;
    if (l.year < YEAR_MIN || l.year > YEAR_MAX)
        return TZ_E_INVAL;
    *out = l;
    return 0;
}

static bool local_ok(const struct tz_local *l)
{
    return l->year >= YEAR_MIN && l->year <= YEAR_MAX && l->month >= 1 && l->month <= 12 &&
           l->day >= 1 && l->day <= tz_days_in_month(l->year, l->month) && l->hour >= 0 &&
           l->hour <= 23 && l->minute >= 0 && l->minute <= 59 && l->second >= 0 &&
           l->second <= 59 && l->usec >= 0 && l->usec <= 999999;
}

int tz_from_local(const char *zone, const struct tz_local *in, int flags, int64_t *utc_us)
{
    int rc = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (!local_ok(in) || (flags & ~TZ_REPEATED_LAST))
        return TZ_E_INVAL;
    UCalendar *cal = cal_get(zone, flags, &rc);
    if (!cal)
        return rc;
    ucal_clear(cal);
    ucal_setDateTime(cal, in->year, in->month - 1, in->day, in->hour, in->minute, in->second, &st);
    ucal_set(cal, UCAL_MILLISECOND, in->usec / US_PER_MS);
    UDate ms = ucal_getMillis(cal, &st);
    if (U_FAILURE(st))
        return TZ_E_ICU;
    *utc_us = (int64_t)ms * US_PER_MS + in->usec % US_PER_MS;
    return 0;
}

int tz_start_of_day(const char *zone, int64_t utc_us, int64_t *out)
{
    struct tz_local l;
    int rc = tz_to_local(zone, utc_us, &l);
    if (rc != 0)
        return rc;
    l.hour = l.minute = l.second = l.usec = 0;
    return tz_from_local(zone, &l, TZ_REPEATED_FIRST, out);
}

int tz_add_days(const char *zone, int64_t utc_us, int days, int64_t *out)
{
    struct tz_local l;
    int rc = tz_to_local(zone, utc_us, &l);
    if (rc != 0)
        return rc;
    if (days > 3660000 || days < -3660000) /* beyond the year range either way */
        return TZ_E_INVAL;
    tz_date_add_days(&l, days);
    return tz_from_local(zone, &l, TZ_REPEATED_FIRST, out);
}

int tz_next_transition(const char *zone, int64_t after_us, int64_t limit_us, int64_t *out)
{
    int rc = 0;
    UErrorCode st = U_ZERO_ERROR;
    UDate when = 0;
    if (after_us < US_MIN || after_us > US_MAX)
        return TZ_E_INVAL;
    UCalendar *cal = cal_get(zone, 0, &rc);
    if (!cal)
        return rc;
    /* Transitions fall on whole seconds, so the floor in milliseconds finds
     * exactly those strictly after after_us. */
    ucal_setMillis(cal, (UDate)floor_div(after_us, US_PER_MS), &st);
    UBool found = ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &when, &st);
    if (U_FAILURE(st))
        return TZ_E_ICU;
    if (!found)
        return 0;
    int64_t t = (int64_t)when * US_PER_MS;
    if (t <= after_us || t > limit_us)
        return 0;
    *out = t;
    return 1;
}
