/*
 * Real and simulated business clock, and the monotonic clock for everything
 * that measures real elapsed time. The simulated value is one atomic, so any
 * thread may read it while the admin route moves it forward.
 */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_bool simulated;
static _Atomic int64_t simulated_us;

void clock_use_simulated(int64_t start_us)
{
    atomic_store(&simulated_us, start_us);
    atomic_store(&simulated, true);
}

bool clock_is_simulated(void) { return atomic_load(&simulated); }

int64_t clock_now_us(void)
{
    if (atomic_load(&simulated))
        return atomic_load(&simulated_us);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int clock_set_us(int64_t us)
{
    if (!atomic_load(&simulated))
        return -1;
    int64_t cur = atomic_load(&simulated_us);
    while (us >= cur) {
        if (atomic_compare_exchange_weak(&simulated_us, &cur, us))
            return 0;
    }
    return -1;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *clock_format_utc(int64_t us, char out[32])
{
    time_t secs = (time_t)(us / 1000000);
    long frac = (long)(us % 1000000);
    struct tm tm;
    char buf[64];
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    memcpy(out, buf, 31);
    out[31] = '\0';
    return out;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int clock_parse_rfc3339(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, sec;
    long frac = 0;
    int offset_min = 0;

    if (!s || strlen(s) < 20)
        return -1;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
        s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        long scale = 100000;
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;

    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = sec };
    time_t t = timegm(&tm);
    *us = ((int64_t)t - (int64_t)offset_min * 60) * 1000000 + frac;
    return 0;
}

int clock_parse_duration(const char *s, int64_t *us)
{
    /* Designators in the order they may appear, and their size. */
    static const struct { char unit; bool time_part; int64_t us; } units[] = {
        { 'W', false, INT64_C(604800000000) }, { 'D', false, INT64_C(86400000000) },
        { 'H', true, INT64_C(3600000000) },    { 'M', true, INT64_C(60000000) },
        { 'S', true, INT64_C(1000000) },
    };
    const int64_t limit = INT64_C(3650) * 86400000000; /* ten years */
    int64_t total = 0;
    size_t next = 0;
    bool in_time = false, any = false;

    if (!s || *s != 'P')
        return -1;
    for (const char *p = s + 1; *p;) {
        if (*p == 'T') {
            if (in_time || !p[1])
                return -1;
            in_time = true;
            p++;
            continue;
        }
        int64_t whole = 0, frac = 0, scale = 1;
        const char *start = p;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (whole > limit)
                return -1;
            whole = whole * 10 + (*p - '0');
        }
        if (p == start)
            return -1;
        if (*p == '.' || *p == ',') {
            p++;
            for (; *p >= '0' && *p <= '9'; p++)
                if (scale < 1000000) {
                    frac = frac * 10 + (*p - '0');
                    scale *= 10;
                }
            if (*p != 'S')
                return -1; /* fractions only on the last (seconds) part */
        }
        size_t u = next;
        while (u < sizeof units / sizeof units[0] &&
               (units[u].unit != *p || units[u].time_part != in_time))
            u++;
        if (u == sizeof units / sizeof units[0] || whole > limit / units[u].us)
            return -1;
        total += whole * units[u].us + frac * (units[u].us / scale);
        if (total > limit)
            return -1;
        next = u + 1;
        any = true;
        p++;
    }
    if (!any)
        return -1;
    *us = total;
    return 0;
}
