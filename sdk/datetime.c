/*
 * ISO 8601 / RFC 3339 parsing and formatting (see
 * include/bookwell-sdk/datetime.h), on Howard Hinnant's days-from-civil
 * algorithms: exact for every proleptic Gregorian date, no libc time zone
 * state involved.
 */
#include <bookwell-sdk/datetime.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bookwell/abi.h>

#define US_PER_S INT64_C(1000000)
#define MAX_OFFSET_S (18 * 3600)

int64_t bwsdk_days_from_civil(int32_t y, int32_t m, int32_t d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void bwsdk_civil_from_days(int64_t z, int32_t *year, int32_t *month, int32_t *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int32_t)(yoe + era * 400 + (m <= 2));
    *month = (int32_t)m;
    *day = (int32_t)d;
}

static bool leap(int32_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int32_t y, int32_t m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, int32_t *out)
{
    int32_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool date_part(const char **p, int32_t *y, int32_t *m, int32_t *d)
{
    if (!digits(p, 4, y) || **p != '-')
        return false;
    (*p)++;
    if (!digits(p, 2, m) || **p != '-')
        return false;
    (*p)++;
    if (!digits(p, 2, d))
        return false;
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= month_days(*y, *m);
}

/* Parses date, time and fraction; leaves *p at what follows (the offset).
 * *local_us is microseconds since the epoch as if the local time were UTC. */
static bool local_part(const char **p, int64_t *local_us)
{
    int32_t y, mo, d, h, mi, s = 0;
    int64_t frac = 0;
    if (!date_part(p, &y, &mo, &d))
        return false;
    if (**p != 'T' && **p != 't' && **p != ' ')
        return false;
    (*p)++;
    if (!digits(p, 2, &h) || **p != ':')
        return false;
    (*p)++;
    if (!digits(p, 2, &mi))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!digits(p, 2, &s))
            return false;
        if (**p == '.' || **p == ',') {
            int n = 0;
            (*p)++;
            while (**p >= '0' && **p <= '9') {
                if (n < 6)
                    frac = frac * 10 + (**p - '0');
                n++;
                (*p)++;
            }
            if (n == 0 || n > 9)
                return false;
            for (; n < 6; n++)
                frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || s > 59)
        return false;
    int64_t days = bwsdk_days_from_civil(y, mo, d);
    *local_us = ((days * 24 + h) * 60 + mi) * 60 * US_PER_S + s * US_PER_S + frac;
    return true;
}

static bool offset_part(const char **p, int32_t *offset_s)
{
    int32_t h, m = 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *offset_s = 0;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (!digits(p, 2, &h))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!digits(p, 2, &m))
            return false;
    } else if (**p >= '0' && **p <= '9') {
        if (!digits(p, 2, &m))
            return false;
    }
    if (h > 18 || m > 59 || h * 3600 + m * 60 > MAX_OFFSET_S)
        return false;
    *offset_s = sign * (h * 3600 + m * 60);
    return true;
}

int bwsdk_time_parse(const char *s, int64_t *us, int32_t *offset_s)
{
    int64_t local;
    int32_t off;
    if (!s || !local_part(&s, &local) || !offset_part(&s, &off) || *s)
        return BW_E_INVAL;
    *us = local - (int64_t)off * US_PER_S;
    if (offset_s)
        *offset_s = off;
    return 0;
}

int bwsdk_time_parse_local(const char *s, int32_t offset_s, int64_t *us)
{
    int64_t local;
    if (!s || offset_s > MAX_OFFSET_S || offset_s < -MAX_OFFSET_S || !local_part(&s, &local) ||
        *s)
        return BW_E_INVAL;
    *us = local - (int64_t)offset_s * US_PER_S;
    return 0;
}

int bwsdk_date_parse(const char *s, int32_t *year, int32_t *month, int32_t *day)
{
    if (!s || !date_part(&s, year, month, day) || *s)
        return BW_E_INVAL;
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

int bwsdk_time_format(int64_t us, int32_t offset_s, char *out, size_t cap)
{
    int32_t y, mo, d;
    char frac[8] = "", off[8] = "Z";
    if (offset_s > MAX_OFFSET_S || offset_s < -MAX_OFFSET_S || offset_s % 60 != 0)
        return BW_E_INVAL;
    /* Bounds keep the arithmetic far from overflow: years 0..9999. */
    if (us < INT64_C(-62167219200) * US_PER_S || us > INT64_C(253402300799) * US_PER_S + 999999)
        return BW_E_INVAL;
    int64_t local = us + (int64_t)offset_s * US_PER_S;
    int64_t secs = floor_div(local, US_PER_S);
    int64_t sub = local - secs * US_PER_S;
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    bwsdk_civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999)
        return BW_E_INVAL;
    if (sub % 1000 == 0 && sub)
        snprintf(frac, sizeof frac, ".%03d", (int)(sub / 1000));
    else if (sub)
        snprintf(frac, sizeof frac, ".%06d", (int)sub);
    if (offset_s) {
        int32_t a = offset_s < 0 ? -offset_s : offset_s;
        snprintf(off, sizeof off, "%c%02d:%02d", offset_s < 0 ? '-' : '+', (int)(a / 3600),
                 (int)(a % 3600 / 60));
    }
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", (int)y, (int)mo, (int)d,
                     (int)(sod / 3600), (int)(sod % 3600 / 60), (int)(sod % 60), frac, off);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = 0;
        return BW_E_NOMEM;
    }
    return 0;
}
