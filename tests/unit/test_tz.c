/*
 * Local time in IANA zones: the 2027 US spring-forward (2027-03-14) and
 * fall-back (2027-11-07) in Los Angeles and New York, Berlin's and Sydney's
 * changes, zones without DST, the gap and overlap rules, start of day and
 * adding local days across the changes, exact round trips for random
 * instants, bad zones and fields, and concurrent use from several threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "tz.h"

#define LA "America/Los_Angeles"
#define NY "America/New_York"
#define HOUR_US (3600LL * 1000000)

static int64_t utc(const char *rfc3339)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(rfc3339, &us), 0, "%s", rfc3339);
    return us;
}

static struct tz_local wall(int y, int mo, int d, int h, int mi)
{
    return (struct tz_local){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi };
}

static void expect_local(const char *zone, const char *at, int y, int mo, int d, int h, int mi,
                         int wd, int off)
{
    struct tz_local l;
    cr_assert_eq(tz_to_local(zone, utc(at), &l), 0, "%s %s", zone, at);
    cr_assert(l.year == y && l.month == mo && l.day == d && l.hour == h && l.minute == mi,
              "%s %s: got %04d-%02d-%02d %02d:%02d", zone, at, l.year, l.month, l.day, l.hour,
              l.minute);
    cr_assert_eq(l.weekday, wd, "%s %s weekday %d", zone, at, l.weekday);
    cr_assert_eq(l.utc_offset_min, off, "%s %s offset %d", zone, at, l.utc_offset_min);
}

static void expect_utc(const char *zone, struct tz_local l, int flags, const char *want)
{
    int64_t got;
    char buf[32];
    cr_assert_eq(tz_from_local(zone, &l, flags, &got), 0);
    cr_assert_eq(got, utc(want), "%s %04d-%02d-%02d %02d:%02d -> %s, want %s", zone, l.year,
                 l.month, l.day, l.hour, l.minute, clock_format_utc(got, buf), want);
}

Test(tz, spring_forward_los_angeles)
{
    expect_local(LA, "2027-03-14T09:59:00Z", 2027, 3, 14, 1, 59, 0, -480);
    expect_local(LA, "2027-03-14T10:00:00Z", 2027, 3, 14, 3, 0, 0, -420);
    /* The gap 02:00-03:00 maps to its end. */
    expect_utc(LA, wall(2027, 3, 14, 2, 0), 0, "2027-03-14T10:00:00Z");
    expect_utc(LA, wall(2027, 3, 14, 2, 30), 0, "2027-03-14T10:00:00Z");
    expect_utc(LA, wall(2027, 3, 14, 2, 59), TZ_REPEATED_LAST, "2027-03-14T10:00:00Z");
    expect_utc(LA, wall(2027, 3, 14, 3, 0), 0, "2027-03-14T10:00:00Z");
    expect_utc(LA, wall(2027, 3, 14, 3, 30), 0, "2027-03-14T10:30:00Z");
    expect_utc(LA, wall(2027, 3, 14, 1, 59), 0, "2027-03-14T09:59:00Z");
    struct tz_local l = wall(2027, 3, 14, 1, 59);
    l.second = 59;
    l.usec = 999999;
    expect_utc(LA, l, 0, "2027-03-14T09:59:59.999999Z");
}

Test(tz, fall_back_los_angeles)
{
    expect_local(LA, "2027-11-07T08:30:00Z", 2027, 11, 7, 1, 30, 0, -420);
    expect_local(LA, "2027-11-07T09:30:00Z", 2027, 11, 7, 1, 30, 0, -480);
    expect_local(LA, "2027-11-07T09:00:00Z", 2027, 11, 7, 1, 0, 0, -480);
    /* 01:00-02:00 happens twice: first occurrence unless asked for the last. */
    expect_utc(LA, wall(2027, 11, 7, 1, 30), TZ_REPEATED_FIRST, "2027-11-07T08:30:00Z");
    expect_utc(LA, wall(2027, 11, 7, 1, 30), TZ_REPEATED_LAST, "2027-11-07T09:30:00Z");
    expect_utc(LA, wall(2027, 11, 7, 1, 0), TZ_REPEATED_FIRST, "2027-11-07T08:00:00Z");
    expect_utc(LA, wall(2027, 11, 7, 0, 59), TZ_REPEATED_LAST, "2027-11-07T07:59:00Z");
    expect_utc(LA, wall(2027, 11, 7, 2, 0), TZ_REPEATED_FIRST, "2027-11-07T10:00:00Z");
    expect_utc(LA, wall(2027, 11, 7, 2, 0), TZ_REPEATED_LAST, "2027-11-07T10:00:00Z");
}

Test(tz, both_changes_new_york)
{
    expect_local(NY, "2027-03-14T06:59:00Z", 2027, 3, 14, 1, 59, 0, -300);
    expect_local(NY, "2027-03-14T07:00:00Z", 2027, 3, 14, 3, 0, 0, -240);
    expect_utc(NY, wall(2027, 3, 14, 2, 30), 0, "2027-03-14T07:00:00Z");
    expect_utc(NY, wall(2027, 3, 14, 8, 0), 0, "2027-03-14T12:00:00Z");
    expect_utc(NY, wall(2027, 3, 13, 8, 0), 0, "2027-03-13T13:00:00Z");
    expect_local(NY, "2027-11-07T05:59:00Z", 2027, 11, 7, 1, 59, 0, -240);
    expect_local(NY, "2027-11-07T06:00:00Z", 2027, 11, 7, 1, 0, 0, -300);
    expect_utc(NY, wall(2027, 11, 7, 1, 15), TZ_REPEATED_FIRST, "2027-11-07T05:15:00Z");
    expect_utc(NY, wall(2027, 11, 7, 1, 15), TZ_REPEATED_LAST, "2027-11-07T06:15:00Z");
    expect_utc(NY, wall(2027, 11, 7, 21, 0), 0, "2027-11-08T02:00:00Z");
}

Test(tz, europe_and_southern_hemisphere)
{
    /* Berlin: 2027-03-28 02:00 CET -> 03:00 CEST, 2027-10-31 03:00 -> 02:00. */
    expect_utc("Europe/Berlin", wall(2027, 3, 28, 2, 30), 0, "2027-03-28T01:00:00Z");
    expect_local("Europe/Berlin", "2027-03-28T01:00:00Z", 2027, 3, 28, 3, 0, 0, 120);
    expect_utc("Europe/Berlin", wall(2027, 10, 31, 2, 30), TZ_REPEATED_FIRST, "2027-10-31T00:30:00Z");
    expect_utc("Europe/Berlin", wall(2027, 10, 31, 2, 30), TZ_REPEATED_LAST, "2027-10-31T01:30:00Z");
    /* Sydney: DST ends 2027-04-04 03:00 -> 02:00, starts 2027-10-03 02:00 -> 03:00. */
    expect_utc("Australia/Sydney", wall(2027, 4, 4, 2, 30), TZ_REPEATED_FIRST, "2027-04-03T15:30:00Z");
    expect_utc("Australia/Sydney", wall(2027, 4, 4, 2, 30), TZ_REPEATED_LAST, "2027-04-03T16:30:00Z");
    expect_utc("Australia/Sydney", wall(2027, 10, 3, 2, 30), 0, "2027-10-02T16:00:00Z");
    expect_local("Australia/Sydney", "2027-10-02T16:00:00Z", 2027, 10, 3, 3, 0, 0, 660);
    /* No DST, and a half-hour offset. */
    expect_local("America/Phoenix", "2027-07-01T15:00:00Z", 2027, 7, 1, 8, 0, 4, -420);
    expect_local("Asia/Kolkata", "2027-03-14T02:30:00Z", 2027, 3, 14, 8, 0, 0, 330);
}

Test(tz, start_of_day)
{
    int64_t out;
    cr_assert_eq(tz_start_of_day(LA, utc("2027-03-14T19:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-03-14T08:00:00Z"), "midnight PST before the change");
    cr_assert_eq(tz_start_of_day(LA, utc("2027-03-15T19:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-03-15T07:00:00Z"));
    cr_assert_eq(tz_start_of_day(LA, utc("2027-11-07T23:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-11-07T07:00:00Z"), "midnight PDT on the 25-hour day");
    cr_assert_eq(tz_start_of_day(LA, utc("2027-11-08T07:59:59Z"), &out), 0);
    cr_assert_eq(out, utc("2027-11-07T07:00:00Z"), "23:59:59 PST is still Nov 7");
    cr_assert_eq(tz_start_of_day(LA, utc("2027-11-08T08:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-11-08T08:00:00Z"));
    cr_assert_eq(tz_start_of_day(NY, utc("2027-03-14T04:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-03-13T05:00:00Z"), "23:00 EST on the 13th");
    /* Havana skips midnight on 2027-03-14 (00:00 -> 01:00): the day starts at 01:00. */
    cr_assert_eq(tz_start_of_day("America/Havana", utc("2027-03-14T17:00:00Z"), &out), 0);
    cr_assert_eq(out, utc("2027-03-14T05:00:00Z"));
}

Test(tz, add_days_keeps_the_wall_time)
{
    int64_t out;
    cr_assert_eq(tz_add_days(LA, utc("2027-03-13T20:00:00Z"), 1, &out), 0); /* 12:00 PST */
    cr_assert_eq(out, utc("2027-03-14T19:00:00Z"), "12:00 PDT, 23 hours later");
    cr_assert_eq(tz_add_days(LA, utc("2027-11-06T19:00:00Z"), 1, &out), 0); /* 12:00 PDT */
    cr_assert_eq(out, utc("2027-11-07T20:00:00Z"), "12:00 PST, 25 hours later");
    cr_assert_eq(tz_add_days(LA, utc("2027-03-13T10:30:00Z"), 1, &out), 0); /* 02:30 PST */
    cr_assert_eq(out, utc("2027-03-14T10:00:00Z"), "into the gap: its end");
    cr_assert_eq(tz_add_days(LA, utc("2027-03-15T09:30:00Z"), -1, &out), 0); /* 02:30 PDT */
    cr_assert_eq(out, utc("2027-03-14T10:00:00Z"));
    cr_assert_eq(tz_add_days(LA, utc("2027-11-07T09:30:00Z"), 0, &out), 0); /* second 01:30 */
    cr_assert_eq(out, utc("2027-11-07T08:30:00Z"), "an ambiguous result is the first occurrence");
    cr_assert_eq(tz_add_days(NY, utc("2027-01-31T17:00:00.250000Z"), 30, &out), 0);
    cr_assert_eq(out, utc("2027-03-02T17:00:00.250000Z"), "microseconds kept");
    cr_assert_eq(tz_add_days(NY, utc("2027-01-31T17:00:00Z"), 365, &out), 0);
    cr_assert_eq(out, utc("2028-01-31T17:00:00Z"));
    cr_assert_eq(tz_add_days(NY, utc("2027-03-13T17:00:00Z"), 7, &out), 0);
    cr_assert_eq(out - utc("2027-03-13T17:00:00Z"), 7 * 24 * HOUR_US - HOUR_US);
}

Test(tz, transitions)
{
    int64_t out;
    cr_assert_eq(tz_next_transition(LA, utc("2027-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z"), &out), 1);
    cr_assert_eq(out, utc("2027-03-14T10:00:00Z"));
    cr_assert_eq(tz_next_transition(LA, out, utc("2028-01-01T00:00:00Z"), &out), 1);
    cr_assert_eq(out, utc("2027-11-07T09:00:00Z"));
    cr_assert_eq(tz_next_transition(LA, utc("2027-11-07T08:59:59.999Z"), utc("2027-11-07T09:00:00Z"), &out), 1);
    cr_assert_eq(tz_next_transition(LA, utc("2027-03-14T10:00:00Z"), utc("2027-11-07T08:59:59Z"), &out), 0,
                 "none before the limit");
    cr_assert_eq(tz_next_transition("Asia/Kolkata", utc("2027-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z"), &out), 0);
    cr_assert_eq(tz_next_transition("Nowhere/Town", 0, 1, &out), TZ_E_ZONE);
}

Test(tz, bad_zones_and_fields)
{
    struct tz_local l;
    int64_t out;
    cr_assert(tz_valid(LA));
    cr_assert(tz_valid("UTC"));
    cr_assert(tz_valid("US/Pacific"), "aliases are zones too");
    cr_assert_not(tz_valid("Mars/Olympus_Mons"));
    cr_assert_not(tz_valid("America/Los Angeles"));
    cr_assert_not(tz_valid("GMT+03:00"), "custom ids are not IANA zones");
    cr_assert_not(tz_valid(""));
    cr_assert_not(tz_valid(NULL));
    cr_assert_not(tz_valid("Etc/Unknown"));
    cr_assert_not(tz_valid("America/\xc3\xa9"));
    char longname[200];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_not(tz_valid(longname));
    cr_assert_eq(tz_to_local("Mars/Olympus_Mons", 0, &l), TZ_E_ZONE);
    cr_assert_eq(tz_from_local("Mars/Olympus_Mons", &(struct tz_local){ .year = 2027, .month = 1, .day = 1 }, 0, &out), TZ_E_ZONE);

    struct tz_local bad[] = {
        wall(2027, 2, 29, 8, 0), wall(2027, 13, 1, 8, 0), wall(2027, 0, 1, 8, 0),
        wall(2027, 4, 31, 8, 0), wall(2027, 1, 1, 24, 0), wall(2027, 1, 1, 8, 60),
        wall(1700, 1, 1, 8, 0), wall(10000, 1, 1, 0, 0), wall(2027, 1, 0, 8, 0),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(tz_from_local(LA, &bad[i], 0, &out), TZ_E_INVAL, "case %zu", i);
    struct tz_local leap = wall(2028, 2, 29, 8, 0);
    cr_assert_eq(tz_from_local(LA, &leap, 0, &out), 0);
    cr_assert_eq(out, utc("2028-02-29T16:00:00Z"));
    cr_assert_eq(tz_from_local(LA, &leap, 7, &out), TZ_E_INVAL, "unknown flags");
    cr_assert_eq(tz_to_local(LA, INT64_MAX, &l), TZ_E_INVAL);
    cr_assert_eq(tz_to_local(LA, INT64_MIN, &l), TZ_E_INVAL);
}

Test(tz, before_the_epoch)
{
    struct tz_local l;
    cr_assert_eq(tz_to_local("UTC", -500000, &l), 0);
    cr_assert(l.year == 1969 && l.month == 12 && l.day == 31 && l.hour == 23 && l.minute == 59 &&
              l.second == 59 && l.usec == 500000 && l.weekday == 3);
    int64_t out;
    cr_assert_eq(tz_from_local("UTC", &l, 0, &out), 0);
    cr_assert_eq(out, -500000);
}

Test(tz, civil_dates)
{
    struct tz_local l = wall(2028, 2, 28, 0, 0);
    tz_date_add_days(&l, 1);
    cr_assert(l.month == 2 && l.day == 29 && l.weekday == 2);
    tz_date_add_days(&l, 1);
    cr_assert(l.month == 3 && l.day == 1);
    l = wall(2027, 12, 31, 0, 0);
    tz_date_add_days(&l, 1);
    cr_assert(l.year == 2028 && l.month == 1 && l.day == 1 && l.weekday == 6);
    l = wall(2027, 1, 1, 0, 0);
    tz_date_add_days(&l, 0);
    cr_assert_eq(l.weekday, 5, "2027-01-01 is a Friday");
    tz_date_add_days(&l, -366);
    cr_assert(l.year == 2025 && l.month == 12 && l.day == 31);
    cr_assert_eq(tz_days_in_month(2100, 2), 28);
    cr_assert_eq(tz_days_in_month(2000, 2), 29);
    cr_assert_eq(tz_days_in_month(2027, 13), 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Every instant of 2027 reads back exactly from its wall time: by the first
 * occurrence, or (inside the repeated hour) by the last; the offset always
 * matches the difference between wall time and UTC. */
Test(tz, random_round_trips)
{
    const char *zones[] = { LA, NY, "Europe/Berlin", "Australia/Sydney", "America/St_Johns" };
    int64_t start = utc("2027-01-01T00:00:00Z"), span = 365LL * 24 * HOUR_US;
    for (int i = 0; i < 4000; i++) {
        const char *zone = zones[i % 5];
        int64_t t = start + (int64_t)(rng() % (uint64_t)span);
        struct tz_local l;
        int64_t first, last;
        cr_assert_eq(tz_to_local(zone, t, &l), 0);
        cr_assert_eq(tz_from_local(zone, &l, TZ_REPEATED_FIRST, &first), 0);
        cr_assert_eq(tz_from_local(zone, &l, TZ_REPEATED_LAST, &last), 0);
        cr_assert(first == t || last == t, "%s %lld", zone, (long long)t);
        cr_assert(last - first == 0 || last - first == HOUR_US);
        struct tz_local u;
        cr_assert_eq(tz_to_local("UTC", t + (int64_t)l.utc_offset_min * 60000000, &u), 0);
        cr_assert(u.year == l.year && u.month == l.month && u.day == l.day && u.hour == l.hour &&
                  u.minute == l.minute && u.second == l.second && u.usec == l.usec);
    }
}

struct thread_arg {
    const char *zone;
    int64_t at;
    int hour;
    int failures;
};

static void *convert_often(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        struct tz_local l;
        int64_t back;
        if (tz_to_local(a->zone, a->at, &l) != 0 || l.hour != a->hour ||
            tz_from_local(a->zone, &l, 0, &back) != 0 || back != a->at)
            a->failures++;
    }
    return NULL;
}

Test(tz, concurrent_threads)
{
    int64_t at = utc("2027-06-01T12:00:00Z");
    struct thread_arg args[4] = {
        { LA, at, 5, 0 }, { NY, at, 8, 0 }, { "Europe/Berlin", at, 14, 0 }, { "Asia/Tokyo", at, 21, 0 },
    };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, convert_often, &args[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(args[i].failures, 0, "%s", args[i].zone);
    }
}

/* Each thread keeps a few calendars: more zones than it keeps, both
 * wall-time rules, and several threads at once give the same answers as
 * the first call of each. */
static const char *const many_zones[] = { "America/Los_Angeles", "America/New_York", "America/Toronto",
                                          "Europe/London", "Australia/Sydney", "Asia/Kolkata" };
static const int many_offsets[] = { -480, -300, -300, 0, 660, 330 }; /* on 2027-01-15 */

static void *offsets_round(void *arg)
{
    int64_t t = 0;
    int *bad = arg;
    if (clock_parse_rfc3339("2027-01-15T12:00:00Z", &t) != 0)
        (*bad)++;
    for (int round = 0; round < 50; round++)
        for (int i = 0; i < 6; i++) {
            int k = (i * 5 + round) % 6;
            struct tz_local l;
            if (tz_to_local(many_zones[k], t, &l) != 0 || l.utc_offset_min != many_offsets[k])
                (*bad)++;
            struct tz_local back = l;
            int64_t again;
            if (tz_from_local(many_zones[k], &back, round % 2 ? TZ_REPEATED_LAST : TZ_REPEATED_FIRST,
                              &again) != 0 || again != t)
                (*bad)++;
        }
    return NULL;
}

Test(tz, kept_calendars_answer_like_fresh_ones_across_zones_and_threads)
{
    int bad[4] = { 0 };
    pthread_t th[4];
    offsets_round(&bad[0]);
    cr_assert_eq(bad[0], 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, offsets_round, &bad[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(bad[i], 0, "thread %d: %d wrong answers", i, bad[i]);
    }
    struct tz_local l;
    cr_expect_eq(tz_to_local("Not/AZone", 0, &l), TZ_E_ZONE, "an unknown zone is still refused");
}
