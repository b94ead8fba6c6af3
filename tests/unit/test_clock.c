/*
 * The host clock: simulated time moves only forward and only when told,
 * RFC 3339 parsing and formatting round-trip, and the real clock is used
 * unless the simulated one was switched on.
 */
#include <criterion/criterion.h>

#include "clock.h"

Test(clock, real_clock_by_default_and_refuses_set)
{
    cr_assert_not(clock_is_simulated());
    cr_assert_eq(clock_set_us(0), -1);
    int64_t a = clock_now_us();
    cr_assert_gt(a, INT64_C(1700000000) * 1000000);
}

Test(clock, simulated_clock_moves_only_forward)
{
    int64_t start;
    cr_assert_eq(clock_parse_rfc3339("2027-03-02T20:15:00-08:00", &start), 0);
    clock_use_simulated(start);
    cr_assert(clock_is_simulated());
    cr_assert_eq(clock_now_us(), start);
    cr_assert_eq(clock_now_us(), start, "simulated time does not run by itself");
    cr_assert_eq(clock_set_us(start + 60000000), 0);
    cr_assert_eq(clock_now_us(), start + 60000000);
    cr_assert_eq(clock_set_us(start), -1, "moving backwards is refused");
    cr_assert_eq(clock_now_us(), start + 60000000);
}

Test(clock, rfc3339_round_trip_and_offsets)
{
    int64_t us, z;
    char out[32];
    cr_assert_eq(clock_parse_rfc3339("2027-03-03T04:15:00Z", &z), 0);
    cr_assert_eq(clock_parse_rfc3339("2027-03-02T20:15:00-08:00", &us), 0);
    cr_assert_eq(us, z, "an offset is applied");
    cr_assert_str_eq(clock_format_utc(z, out), "2027-03-03T04:15:00.000000Z");
    cr_assert_eq(clock_parse_rfc3339("2027-03-03T04:15:00.250Z", &us), 0);
    cr_assert_eq(us, z + 250000);
    cr_assert_eq(clock_parse_rfc3339(out, &us), 0);
    cr_assert_eq(us, z);
}

Test(clock, rfc3339_rejects_malformed)
{
    int64_t us;
    const char *bad[] = { "", "2027-03-03", "2027-03-03T04:15:00", "2027-13-03T04:15:00Z",
                          "2027-03-03T25:15:00Z", "2027-03-03T04:15:00Zjunk",
                          "2027-03-03T04:15:00+0800", "2027-03-03T04:15:00.Z", NULL };
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(clock_parse_rfc3339(bad[i], &us), -1, "accepted '%s'", bad[i]);
}

Test(clock, monotonic_clock_is_monotonic)
{
    int64_t a = clock_mono_ms(), b = clock_mono_ms();
    cr_assert_geq(b, a);
}

Test(clock, iso8601_durations)
{
    int64_t us;
    const int64_t s = 1000000;
    cr_assert_eq(clock_parse_duration("PT2H", &us), 0);
    cr_assert_eq(us, 2 * 3600 * s);
    cr_assert_eq(clock_parse_duration("P1DT30M", &us), 0);
    cr_assert_eq(us, 86400 * s + 30 * 60 * s);
    cr_assert_eq(clock_parse_duration("PT1M", &us), 0, "M after T is minutes");
    cr_assert_eq(us, 60 * s);
    cr_assert_eq(clock_parse_duration("PT0.5S", &us), 0);
    cr_assert_eq(us, s / 2);
    cr_assert_eq(clock_parse_duration("P2W", &us), 0);
    cr_assert_eq(us, 14 * 86400 * s);
    cr_assert_eq(clock_parse_duration("PT1H2M3S", &us), 0);
    cr_assert_eq(us, 3723 * s);
    const char *bad[] = { "", "P", "PT", "2H", "PT2", "P1M", "P1Y", "PT1H1H", "PT1M1H",
                          "P1DT", "PT1.5H", "PT-1H", "P99999999999999D", "pt1h", NULL };
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(clock_parse_duration(bad[i], &us), -1, "'%s' must be refused", bad[i]);
}
