/*
 * The date range of an analytics request (analytics.h): local dates in a
 * time zone turned into a half-open UTC interval with the zone's own
 * midnights, DST days included.
 */
#include <stdio.h>
#include <string.h>

#include "analytics.h"
#include "clock.h"

static int parse_date(const char *s, struct tz_local *out)
{
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > tz_days_in_month(y, m))
        return -1;
    memset(out, 0, sizeof *out);
    out->year = y;
    out->month = m;
    out->day = d;
    return 0;
}

static void format_date(const struct tz_local *l, char out[11])
{
    unsigned y = (unsigned)l->year % 10000u, m = (unsigned)l->month % 13u, d = (unsigned)l->day % 32u;
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02u", y, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

static int64_t day_number(const struct tz_local *l)
{
    /* Days since 1970-01-01 (proleptic Gregorian). */
    int y = l->year - (l->month <= 2), m = l->month;
    int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + l->day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

int analytics_range_parse(const char *from, const char *to, const char *tz,
                          const char *tenant_tz, int64_t now_us, struct analytics_range *out,
                          char *err, size_t cap)
{
    struct tz_local lf, lt, today;
    memset(out, 0, sizeof *out);
    const char *zone = tz && *tz ? tz : tenant_tz;
    if (!zone || strlen(zone) > TZ_ZONE_MAX || !tz_valid(zone)) {
        snprintf(err, cap, "'tz' must be an IANA time zone such as America/Los_Angeles");
        return -1;
    }
    snprintf(out->tz, sizeof out->tz, "%s", zone);
    if (tz_to_local(zone, now_us, &today) != 0) {
        snprintf(err, cap, "the business clock is outside the time zone's range");
        return -1;
    }
    today.hour = today.minute = today.second = today.usec = 0;
    if ((from && parse_date(from, &lf) != 0) || (to && parse_date(to, &lt) != 0)) {
        snprintf(err, cap, "'from' and 'to' are dates, YYYY-MM-DD");
        return -1;
    }
    if (!to)
        lt = from ? lf : today;
    if (!from) {
        lf = lt;
        tz_date_add_days(&lf, -29);
    }
    if (!to && from) {
        lt = lf;
        tz_date_add_days(&lt, 29);
    }
    int64_t days = day_number(&lt) - day_number(&lf) + 1;
    if (days < 1 || days > ANALYTICS_MAX_DAYS) {
        snprintf(err, cap, "'from' must not be after 'to', and the range is at most %d days",
                 ANALYTICS_MAX_DAYS);
        return -1;
    }
    struct tz_local end = lt;
    tz_date_add_days(&end, 1);
    if (tz_from_local(zone, &lf, TZ_REPEATED_FIRST, &out->start_us) != 0 ||
        tz_from_local(zone, &end, TZ_REPEATED_FIRST, &out->end_us) != 0) {
        snprintf(err, cap, "the dates are outside the time zone's range");
        return -1;
    }
    format_date(&lf, out->from);
    format_date(&lt, out->to);
    out->days = (int)days;
    return 0;
}

void analytics_range_json(cJSON *o, const struct analytics_range *r)
{
    char s[32], e[32];
    cJSON *g = cJSON_AddObjectToObject(o, "range");
    if (!g)
        return;
    cJSON_AddStringToObject(g, "from", r->from);
    cJSON_AddStringToObject(g, "to", r->to);
    cJSON_AddStringToObject(g, "tz", r->tz);
    cJSON_AddNumberToObject(g, "days", r->days);
    cJSON_AddStringToObject(g, "start", clock_format_utc(r->start_us, s));
    cJSON_AddStringToObject(g, "end", clock_format_utc(r->end_us, e));
}
