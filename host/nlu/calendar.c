/*
 * Calendar arithmetic for dates and times. Local calendar days are counted
 * as days since 1970-01-01 (proleptic Gregorian, pure integer arithmetic,
 * no zone involved), so "next Tuesday" is day arithmetic; only the two
 * crossings between an instant and the clinic's wall clock go through ICU,
 * with one UCalendar opened per understanding call and closed after it.
 * The process time zone (TZ) is never read or changed.
 *
 * A wall time that does not exist (02:30 on the day clocks spring forward)
 * maps to the first instant after the gap; one that happens twice (01:30 on
 * the day they fall back) maps to its first occurrence.
 */
#include "internal.h"

#include <string.h>

#include <unicode/ustring.h>

int32_t nlu_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void nlu_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int nlu_weekday(int32_t days)
{
    int w = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    return w < 0 ? w + 7 : w;
}

static int zone_uchars(const char *zone, UChar *out, int cap)
{
    size_t n = strlen(zone);
    if (n == 0 || n >= (size_t)cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = zone[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return -1;
    }
    u_charsToUChars(zone, out, (int32_t)n);
    return (int)n;
}

bool nlu_zone_valid(const char *zone)
{
    UChar uz[64], canon[128];
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    int n = zone ? zone_uchars(zone, uz, 64) : -1;
    if (n < 0)
        return false;
    ucal_getCanonicalTimeZoneID(uz, n, canon, 128, &system, &st);
    return U_SUCCESS(st) && system;
}

int nlu_cal_open(struct nlu_cal *c, const char *zone)
{
    UChar uz[64];
    UErrorCode st = U_ZERO_ERROR;
    int n = zone_uchars(zone, uz, 64);
    c->cal = NULL;
    if (n < 0)
        return NLU_E_ZONE;
    c->cal = ucal_open(uz, n, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        c->cal = NULL;
        return NLU_E_ICU;
    }
    ucal_setAttribute(c->cal, UCAL_LENIENT, 1);
    ucal_setAttribute(c->cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(c->cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    return 0;
}

void nlu_cal_close(struct nlu_cal *c)
{
    if (c->cal)
        ucal_close(c->cal);
    c->cal = NULL;
}

int nlu_cal_local(struct nlu_cal *c, int64_t utc_us, int32_t *day, int *minute)
{
    UErrorCode st = U_ZERO_ERROR;
    int64_t ms = utc_us >= 0 ? utc_us / 1000 : -((-utc_us + 999) / 1000);
    ucal_setMillis(c->cal, (UDate)ms, &st);
    int y = ucal_get(c->cal, UCAL_EXTENDED_YEAR, &st);
    int m = ucal_get(c->cal, UCAL_MONTH, &st) + 1;
    int d = ucal_get(c->cal, UCAL_DATE, &st);
    int h = ucal_get(c->cal, UCAL_HOUR_OF_DAY, &st);
    int mi = ucal_get(c->cal, UCAL_MINUTE, &st);
    if (U_FAILURE(st))
        return NLU_E_ICU;
    *day = nlu_days_from_civil(y, m, d);
    *minute = h * 60 + mi;
    return 0;
}

int nlu_cal_instant(struct nlu_cal *c, int32_t day, int minute, int64_t *utc_us)
{
    UErrorCode st = U_ZERO_ERROR;
    int y, m, d;
    if (minute >= 1440) {
        day += minute / 1440;
        minute %= 1440;
    }
    nlu_civil_from_days(day, &y, &m, &d);
    ucal_clear(c->cal);
    ucal_setDateTime(c->cal, y, m - 1, d, minute / 60, minute % 60, 0, &st);
    UDate ms = ucal_getMillis(c->cal, &st);
    if (U_FAILURE(st))
        return NLU_E_ICU;
    *utc_us = (int64_t)ms * 1000;
    return 0;
}
