/*
 * The analytics date range (host/analytics_range.c): local dates become the
 * zone's own midnights in UTC, DST days included; defaults are the 30 days
 * ending today on the given clock; bad dates, zones and ranges are refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "analytics.h"
#include "clock.h"

static int64_t at(const char *rfc3339)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(rfc3339, &us), 0, "%s", rfc3339);
    return us;
}

Test(analytics_range, local_midnights_in_utc)
{
    struct analytics_range r;
    char err[160];
    cr_assert_eq(analytics_range_parse("2027-03-01", "2027-03-07", NULL, "America/Los_Angeles",
                                       at("2027-03-10T12:00:00Z"), &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.start_us, at("2027-03-01T08:00:00Z"));
    cr_assert_eq(r.end_us, at("2027-03-08T08:00:00Z"));
    cr_assert_eq(r.days, 7);
    cr_assert_str_eq(r.tz, "America/Los_Angeles");
}

Test(analytics_range, a_dst_change_inside_the_range)
{
    struct analytics_range r;
    char err[160];
    /* US clocks go forward on 2027-03-14: that local day has 23 hours. */
    cr_assert_eq(analytics_range_parse("2027-03-14", "2027-03-14", "America/New_York", "UTC",
                                       at("2027-03-20T00:00:00Z"), &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.start_us, at("2027-03-14T05:00:00Z"));
    cr_assert_eq(r.end_us, at("2027-03-15T04:00:00Z"));
}

Test(analytics_range, defaults_to_the_30_days_ending_today_in_the_zone)
{
    struct analytics_range r;
    char err[160];
    /* 2027-03-03T04:15Z is still March 2 in Los Angeles. */
    cr_assert_eq(analytics_range_parse(NULL, NULL, NULL, "America/Los_Angeles",
                                       at("2027-03-03T04:15:00Z"), &r, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(r.to, "2027-03-02");
    cr_assert_str_eq(r.from, "2027-02-01");
    cr_assert_eq(r.days, 30);
}

Test(analytics_range, refuses_bad_input)
{
    struct analytics_range r;
    char err[160];
    int64_t now = at("2027-03-03T04:15:00Z");
    cr_assert_neq(analytics_range_parse("2027-02-30", "2027-03-01", NULL, "UTC", now, &r, err, sizeof err), 0);
    cr_assert_neq(analytics_range_parse("2027-3-01", "2027-03-01", NULL, "UTC", now, &r, err, sizeof err), 0);
    cr_assert_neq(analytics_range_parse("2027-03-02", "2027-03-01", NULL, "UTC", now, &r, err, sizeof err), 0);
    cr_assert_neq(analytics_range_parse("2025-01-01", "2027-03-01", NULL, "UTC", now, &r, err, sizeof err), 0);
    cr_assert_neq(analytics_range_parse(NULL, NULL, "Mars/Olympus", "UTC", now, &r, err, sizeof err), 0);
    cr_assert(strstr(err, "tz") != NULL);
}
