/*
 * TZif reading (version 2 and later: the 64-bit block and the footer) and
 * the POSIX TZ rule of the footer, for the built-in calendar.
 */
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/datetime.h>

#define ZONE_FILE_MAX (512 * 1024)

static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len >= 64 || n[0] == '/' || strstr(n, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ strings ---------------------------------------------------- */

static bool parse_num(const char **p, int *out, int max)
{
    int v = 0, n = 0;
    while (**p >= '0' && **p <= '9' && n < 4) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n > 0 && v <= max;
}

/* [+-]hh[:mm[:ss]] as seconds (sign as written). */
static bool parse_time(const char **p, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (**p == '+' || **p == '-') {
        sign = **p == '-' ? -1 : 1;
        (*p)++;
    }
    if (!parse_num(p, &h, 167))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!parse_num(p, &m, 59))
            return false;
        if (**p == ':') {
            (*p)++;
            if (!parse_num(p, &s, 59))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool skip_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        while (*s && *s != '>')
            s++;
        if (*s != '>')
            return false;
        *p = s + 1;
        return true;
    }
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        s++;
    if (s - *p < 3)
        return false;
    *p = s;
    return true;
}

static bool parse_date(const char **p, struct zone_rule_date *d)
{
    d->time_s = 7200;
    if (**p == 'M') {
        (*p)++;
        d->kind = 'M';
        if (!parse_num(p, &d->month, 12) || d->month < 1 || *(*p)++ != '.' ||
            !parse_num(p, &d->week, 5) || d->week < 1 || *(*p)++ != '.' ||
            !parse_num(p, &d->wday, 6))
            return false;
    } else if (**p == 'J') {
        (*p)++;
        d->kind = 'J';
        if (!parse_num(p, &d->day, 365) || d->day < 1)
            return false;
    } else {
        d->kind = 'D';
        if (!parse_num(p, &d->day, 365))
            return false;
    }
    if (**p == '/') {
        (*p)++;
        if (!parse_time(p, &d->time_s))
            return false;
    }
    return true;
}

static bool parse_rule(const char *s, struct zone *z)
{
    const char *p = s;
    int32_t off;
    if (!skip_name(&p) || !parse_time(&p, &off))
        return false;
    z->std_off = -off;
    z->dst_off = z->std_off + 3600;
    z->rule_dst = false;
    if (*p == 0) {
        z->has_rule = true;
        return true;
    }
    if (!skip_name(&p))
        return false;
    if (*p != ',' && *p != 0) {
        if (!parse_time(&p, &off))
            return false;
        z->dst_off = -off;
    }
    if (*p++ != ',' || !parse_date(&p, &z->start) || *p++ != ',' || !parse_date(&p, &z->end) ||
        *p != 0)
        return false;
    z->rule_dst = true;
    z->has_rule = true;
    return true;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local seconds since the epoch at which d happens in year. */
static int64_t rule_local(const struct zone_rule_date *d, int32_t year)
{
    int64_t days;
    if (d->kind == 'M') {
        int64_t first = bwsdk_days_from_civil(year, d->month, 1);
        int wd_first = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
        int delta = (d->wday - wd_first + 7) % 7;
        int64_t day = 1 + delta + (d->week - 1) * 7;
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int dim = mdays[d->month - 1] + (d->month == 2 && is_leap(year));
        while (day > dim)
            day -= 7;
        days = first + day - 1;
    } else if (d->kind == 'J') {
        int64_t n = d->day - 1;
        if (is_leap(year) && d->day >= 60)
            n++;
        days = bwsdk_days_from_civil(year, 1, 1) + n;
    } else {
        days = bwsdk_days_from_civil(year, 1, 1) + d->day;
    }
    return days * 86400 + d->time_s;
}

static int32_t rule_offset(const struct zone *z, int64_t t)
{
    if (!z->rule_dst)
        return z->std_off;
    int32_t y, m, d;
    int64_t local = t + z->std_off;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    bwsdk_civil_from_days(days, &y, &m, &d);
    int64_t start = rule_local(&z->start, y) - z->std_off;
    int64_t end = rule_local(&z->end, y) - z->dst_off;
    if (start < end)
        return (t >= start && t < end) ? z->dst_off : z->std_off;
    return (t >= end && t < start) ? z->std_off : z->dst_off;
}

/* ---- the file --------------------------------------------------------- */

void zone_free(struct zone *z)
{
    free(z->trans);
    free(z->trans_type);
    free(z->offs);
    memset(z, 0, sizeof *z);
}

int zone_load(const char *dir, const char *name, struct zone *z)
{
    memset(z, 0, sizeof *z);
    if (!name_ok(name))
        return -1;
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char *buf = malloc(ZONE_FILE_MAX);
    size_t len = buf ? fread(buf, 1, ZONE_FILE_MAX, f) : 0;
    fclose(f);
    int rc = -1;
    if (!buf || len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
        goto out;
    /* Skip the version 1 block. */
    const unsigned char *h = buf;
    uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
    uint32_t timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
    size_t skip = 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 +
                  isstd + isut;
    if (skip + 44 > len)
        goto out;
    h = buf + skip;
    if (memcmp(h, "TZif", 4) != 0)
        goto out;
    isut = be32(h + 20);
    isstd = be32(h + 24);
    leap = be32(h + 28);
    timecnt = be32(h + 32);
    typecnt = be32(h + 36);
    charcnt = be32(h + 40);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000)
        goto out;
    const unsigned char *d = h + 44;
    size_t need = (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 +
                  isstd + isut;
    if ((size_t)(d - buf) + need > len)
        goto out;
    z->trans = calloc(timecnt + 1, sizeof *z->trans);
    z->trans_type = calloc(timecnt + 1, 1);
    z->offs = calloc(typecnt, sizeof *z->offs);
    if (!z->trans || !z->trans_type || !z->offs)
        goto out;
    for (uint32_t i = 0; i < timecnt; i++)
        z->trans[i] = be64(d + (size_t)i * 8);
    for (uint32_t i = 0; i < timecnt; i++) {
        z->trans_type[i] = d[(size_t)timecnt * 8 + i];
        if (z->trans_type[i] >= typecnt)
            goto out;
    }
    const unsigned char *types = d + (size_t)timecnt * 9;
    for (uint32_t i = 0; i < typecnt; i++)
        z->offs[i] = (int32_t)be32(types + (size_t)i * 6);
    z->n_trans = timecnt;
    z->n_types = typecnt;
    z->first_off = z->offs[0];
    /* The footer: "\n<TZ string>\n". */
    const unsigned char *foot = d + need;
    if ((size_t)(foot - buf) < len && *foot == '\n') {
        char rule[128];
        size_t i = 0;
        foot++;
        while ((size_t)(foot - buf) < len && *foot != '\n' && i + 1 < sizeof rule)
            rule[i++] = (char)*foot++;
        rule[i] = 0;
        if (i > 0 && !parse_rule(rule, z))
            z->has_rule = false;
    }
    snprintf(z->name, sizeof z->name, "%s", name);
    rc = 0;
out:
    free(buf);
    if (rc)
        zone_free(z);
    return rc;
}

int32_t zone_offset(const struct zone *z, int64_t t)
{
    if (z->n_trans == 0)
        return z->has_rule ? rule_offset(z, t) : z->first_off;
    if (t < z->trans[0])
        return z->first_off;
    if (t >= z->trans[z->n_trans - 1] && z->has_rule)
        return rule_offset(z, t);
    uint32_t lo = 0, hi = z->n_trans; /* the last transition <= t */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offs[z->trans_type[lo]];
}

int zone_from_local(const struct zone *z, int64_t local_s, int64_t *utc_s)
{
    /* The offsets in force a day either side bound every candidate. */
    int32_t before = zone_offset(z, local_s - 86400);
    int32_t after = zone_offset(z, local_s + 86400);
    int64_t a = local_s - before, b = local_s - after;
    bool a_ok = zone_offset(z, a) == before, b_ok = zone_offset(z, b) == after;
    if (a_ok && b_ok) {
        *utc_s = a < b ? a : b;
        return 0;
    }
    if (a_ok || b_ok) {
        *utc_s = a_ok ? a : b;
        return 0;
    }
    /* A gap: the wall time never happens; the instant the clock jumps. */
    int64_t lo = local_s - before - 86400, hi = local_s - after + 86400;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (mid + zone_offset(z, mid) <= local_s)
            lo = mid;
        else
            hi = mid;
    }
    *utc_s = hi;
    return 1;
}
