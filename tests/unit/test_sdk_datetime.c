/*
 * SDK date-times: RFC 3339 / ISO 8601 parsing with every offset form,
 * fractions, leap days and the calendar's edges; refusal of impossible
 * dates and times without an offset; local times at a given offset; and
 * formatting that round-trips.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include <bookwell-sdk/sdk.h>

#define S INT64_C(1000000)

static void expect_time(const char *s, int64_t want_us, int32_t want_off)
{
    int64_t us = 0;
    int32_t off = -1;
    int rc = bwsdk_time_parse(s, &us, &off);
    cr_expect_eq(rc, 0, "\"%s\" refused", s);
    cr_expect_eq(us, want_us, "\"%s\" -> %lld, expected %lld", s, (long long)us,
                 (long long)want_us);
    cr_expect_eq(off, want_off, "\"%s\" offset %d, expected %d", s, off, want_off);
}

Test(sdk_datetime, parses_offsets_and_fractions)
{
    /* 2027-03-03T04:15:00Z */
    const int64_t t = INT64_C(1804047300) * S;
    expect_time("2027-03-03T04:15:00Z", t, 0);
    expect_time("2027-03-03t04:15:00z", t, 0);
    expect_time("2027-03-03 04:15:00Z", t, 0);
    expect_time("2027-03-02T20:15:00-08:00", t, -8 * 3600);
    expect_time("2027-03-02T20:15:00-0800", t, -8 * 3600);
    expect_time("2027-03-02T20:15:00-08", t, -8 * 3600);
    expect_time("2027-03-03T09:45:00+05:30", t, 5 * 3600 + 30 * 60);
    expect_time("2027-03-03T04:15Z", t, 0);
    expect_time("2027-03-03T04:15:00.5Z", t + 500000, 0);
    expect_time("2027-03-03T04:15:00,25Z", t + 250000, 0);
    expect_time("2027-03-03T04:15:00.123456789Z", t + 123456, 0);
    expect_time("1970-01-01T00:00:00Z", 0, 0);
    expect_time("1969-12-31T23:59:59Z", -S, 0);
    expect_time("2024-02-29T12:00:00Z", INT64_C(1709208000) * S, 0);
    expect_time("2000-02-29T00:00:00Z", INT64_C(951782400) * S, 0);
    expect_time("9999-12-31T23:59:59Z", INT64_C(253402300799) * S, 0);
}

Test(sdk_datetime, refuses_what_is_not_a_time)
{
    const char *bad[] = { "", "2027-03-03", "2027-03-03T04:15:00", "2027-03-03T04:15:00 Z",
                          "2027-3-03T04:15:00Z", "2027-03-03T4:15:00Z", "2027-13-01T00:00:00Z",
                          "2027-00-01T00:00:00Z", "2027-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z", "2027-04-31T00:00:00Z", "2027-03-03T24:00:00Z",
                          "2027-03-03T23:60:00Z", "2027-03-03T23:59:60Z", "2027-03-03T04:15:00.Z",
                          "2027-03-03T04:15:00.1234567890Z", "2027-03-03T04:15:00+19:00",
                          "2027-03-03T04:15:00+05:60", "2027-03-03T04:15:00+5", "2027-03-03T04:15:00Zjunk",
                          "tomorrow at 3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 42;
        cr_expect_eq(bwsdk_time_parse(bad[i], &us, NULL), BW_E_INVAL, "\"%s\" accepted",
                     bad[i]);
    }
    int64_t us;
    cr_expect_eq(bwsdk_time_parse(NULL, &us, NULL), BW_E_INVAL);
}

Test(sdk_datetime, local_times_and_dates)
{
    int64_t us;
    cr_assert_eq(bwsdk_time_parse_local("2027-03-02T20:15:00", -8 * 3600, &us), 0);
    cr_expect_eq(us, INT64_C(1804047300) * S);
    cr_expect_eq(bwsdk_time_parse_local("2027-03-02T20:15:00Z", 0, &us), BW_E_INVAL);
    cr_expect_eq(bwsdk_time_parse_local("2027-03-02T20:15:00", 19 * 3600, &us), BW_E_INVAL);
    int32_t y, m, d;
    cr_assert_eq(bwsdk_date_parse("2028-02-29", &y, &m, &d), 0);
    cr_expect(y == 2028 && m == 2 && d == 29);
    cr_expect_eq(bwsdk_date_parse("2027-02-29", &y, &m, &d), BW_E_INVAL);
    cr_expect_eq(bwsdk_date_parse("2027-02-28T", &y, &m, &d), BW_E_INVAL);
}

Test(sdk_datetime, civil_days_round_trip)
{
    cr_expect_eq(bwsdk_days_from_civil(1970, 1, 1), 0);
    cr_expect_eq(bwsdk_days_from_civil(2000, 3, 1), 11017);
    cr_expect_eq(bwsdk_days_from_civil(1969, 12, 31), -1);
    for (int64_t days = -800000; days <= 2932896; days += 997) {
        int32_t y, m, d;
        bwsdk_civil_from_days(days, &y, &m, &d);
        cr_assert_eq(bwsdk_days_from_civil(y, m, d), days, "day %lld -> %d-%d-%d",
                     (long long)days, y, m, d);
    }
}

static void expect_format(int64_t us, int32_t off, const char *want)
{
    char out[BWSDK_TIME_MAX];
    cr_expect_eq(bwsdk_time_format(us, off, out, sizeof out), 0);
    cr_expect_str_eq(out, want);
    int64_t back;
    int32_t boff;
    cr_expect_eq(bwsdk_time_parse(out, &back, &boff), 0, "%s does not parse back", out);
    cr_expect_eq(back, us, "%s round trip", out);
    cr_expect_eq(boff, off);
}

Test(sdk_datetime, formats_and_round_trips)
{
    const int64_t t = INT64_C(1804047300) * S;
    expect_format(t, 0, "2027-03-03T04:15:00Z");
    expect_format(t, -8 * 3600, "2027-03-02T20:15:00-08:00");
    expect_format(t, 5 * 3600 + 1800, "2027-03-03T09:45:00+05:30");
    expect_format(t + 500000, 0, "2027-03-03T04:15:00.500Z");
    expect_format(t + 123456, -3600, "2027-03-03T03:15:00.123456-01:00");
    expect_format(-1, 0, "1969-12-31T23:59:59.999999Z");
    expect_format(0, 0, "1970-01-01T00:00:00Z");

    char out[BWSDK_TIME_MAX], small[10];
    cr_expect_eq(bwsdk_time_format(t, 19 * 3600, out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_time_format(t, 30, out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_time_format(INT64_MAX, 0, out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_time_format(INT64_MIN, 0, out, sizeof out), BW_E_INVAL);
    cr_expect_eq(bwsdk_time_format(t, 0, small, sizeof small), BW_E_NOMEM);
    cr_expect_str_eq(small, "");
}
