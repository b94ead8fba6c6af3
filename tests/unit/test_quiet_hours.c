/*
 * Quiet hours. Explicit cases: the default window in Los Angeles and New
 * York around the 2027 DST changes, a window opening inside the spring gap
 * or the repeated hour, a transition jumping into the window, Florida's
 * stricter window and 3-per-24-hours cap, an area code spanning two zones,
 * numbers without an area code (the clinic's zone). Then properties, checked
 * against an independent oracle (a minute-by-minute walk on a UCalendar of
 * the test's own) for thousands of seeded random instants across 2027 and
 * around every change: the answer is inside every window with the cap clear,
 * no earlier instant is, and its wall time exists (never inside a gap). And
 * every area code of the table, plus clinics in zones with half-hour
 * offsets, no DST or southern DST, over 2026-2031 with the Florida rule: a
 * held message goes at a window opening or when the cap clears.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "area_codes.h"
#include "clock.h"
#include "quiet_hours.h"
#include "tz.h"

#define LA "America/Los_Angeles"
#define NY "America/New_York"
#define MIN_US (60LL * 1000000)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

static int64_t utc(const char *rfc3339)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(rfc3339, &us), 0, "%s", rfc3339);
    return us;
}

static struct qh_decision decide(const struct qh_policy *p, const char *phone, const char *clinic,
                                 const int64_t *sends, size_t n, const char *now)
{
    struct qh_recipient r = { .phone = phone, .clinic_zone = clinic, .recent_sends_us = sends, .n_recent = n };
    struct qh_decision d;
    int rc = quiet_hours_decide(p, &r, utc(now), &d);
    cr_assert_eq(rc, 0, "decide %s at %s: %d", phone ? phone : "(none)", now, rc);
    return d;
}

static void expect_wait(struct qh_decision d, const char *want, int reasons)
{
    char got[32];
    cr_assert_not(d.send_now, "expected a wait until %s", want);
    cr_assert_eq(d.earliest_us, utc(want), "earliest %s, want %s", clock_format_utc(d.earliest_us, got), want);
    cr_assert_eq(d.reasons, reasons, "reasons %d, want %d", d.reasons, reasons);
}

static void expect_now(struct qh_decision d, const char *now)
{
    cr_assert(d.send_now, "expected to send at %s", now);
    cr_assert_eq(d.earliest_us, utc(now));
    cr_assert_eq(d.reasons, 0);
}

Test(quiet_hours, default_window_around_dst_changes)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    const char *la = "+12135550134", *ny = "+12125550134";
    /* 07:00 PST, then the night before spring forward, then before fall back. */
    expect_wait(decide(&p, la, NY, NULL, 0, "2027-03-13T15:00:00Z"), "2027-03-13T16:00:00Z", QH_REASON_WINDOW);
    expect_wait(decide(&p, la, NY, NULL, 0, "2027-03-14T05:30:00Z"), "2027-03-14T15:00:00Z", QH_REASON_WINDOW);
    expect_wait(decide(&p, la, NY, NULL, 0, "2027-11-07T05:00:00Z"), "2027-11-07T16:00:00Z", QH_REASON_WINDOW);
    expect_wait(decide(&p, ny, LA, NULL, 0, "2027-03-14T04:00:00Z"), "2027-03-14T12:00:00Z", QH_REASON_WINDOW);
    expect_wait(decide(&p, ny, LA, NULL, 0, "2027-11-07T10:00:00Z"), "2027-11-07T13:00:00Z", QH_REASON_WINDOW);
    /* Inside; the end is exclusive. */
    expect_now(decide(&p, la, NY, NULL, 0, "2027-06-01T20:00:00Z"), "2027-06-01T20:00:00Z");
    expect_now(decide(&p, la, NY, NULL, 0, "2027-06-02T03:59:59.999999Z"), "2027-06-02T03:59:59.999999Z");
    expect_wait(decide(&p, la, NY, NULL, 0, "2027-06-02T04:00:00Z"), "2027-06-02T15:00:00Z", QH_REASON_WINDOW);
    expect_now(decide(&p, la, NY, NULL, 0, "2027-06-02T15:00:00Z"), "2027-06-02T15:00:00Z");
    struct qh_decision d = decide(&p, la, NY, NULL, 0, "2027-06-02T15:00:00Z");
    cr_assert_str_eq(d.region, "CA");
    cr_assert_eq(d.n_zones, 1);
    cr_assert_str_eq(d.zones[0], LA);
}

Test(quiet_hours, window_opening_inside_a_gap_or_the_repeated_hour)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    p.start_min = 2 * 60 + 30; /* 02:30 does not exist on 2027-03-14 in Los Angeles */
    expect_wait(decide(&p, NULL, LA, NULL, 0, "2027-03-14T09:00:00Z"), "2027-03-14T10:00:00Z", QH_REASON_WINDOW);
    p.start_min = 90; /* 01:30 happens twice on 2027-11-07 */
    expect_now(decide(&p, NULL, LA, NULL, 0, "2027-11-07T08:45:00Z"), "2027-11-07T08:45:00Z");
    expect_wait(decide(&p, NULL, LA, NULL, 0, "2027-11-07T09:10:00Z"), "2027-11-07T09:30:00Z", QH_REASON_WINDOW);
    /* 00:00-01:30: at 01:40 PDT the clock falls back to 01:00 PST, inside again. */
    p.start_min = 0;
    p.end_min = 90;
    expect_wait(decide(&p, NULL, LA, NULL, 0, "2027-11-07T08:40:00Z"), "2027-11-07T09:00:00Z", QH_REASON_WINDOW);
}

Test(quiet_hours, florida_window_and_cap)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    const char *miami = "+13055550134";
    /* 20:30 EDT: fine by the default, not in Florida once the rule is set. */
    expect_now(decide(&p, miami, NY, NULL, 0, "2027-06-01T00:30:00Z"), "2027-06-01T00:30:00Z");
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 8 * 60, 20 * 60, 3), 0);
    expect_wait(decide(&p, miami, NY, NULL, 0, "2027-06-01T00:30:00Z"), "2027-06-01T12:00:00Z", QH_REASON_WINDOW);
    struct qh_decision d = decide(&p, miami, NY, NULL, 0, "2027-06-01T12:00:00Z");
    cr_assert(d.send_now);
    cr_assert_str_eq(d.region, "FL");
    cr_assert(d.start_min == 480 && d.end_min == 1200 && d.max_per_24h == 3);

    /* Three sends at 10:00, 11:00, 12:00 EDT: the fourth waits for 10:00 tomorrow. */
    int64_t s1[] = { utc("2027-06-01T15:00:00Z"), utc("2027-06-01T14:00:00Z"), utc("2027-06-01T16:00:00Z") };
    expect_wait(decide(&p, miami, NY, s1, 3, "2027-06-01T17:00:00Z"), "2027-06-02T14:00:00Z", QH_REASON_CAP);
    expect_now(decide(&p, miami, NY, s1, 2, "2027-06-01T17:00:00Z"), "2027-06-01T17:00:00Z");
    /* Sends late in the evening: the cap lifts at 19:00 EDT, still inside. */
    int64_t s2[] = { utc("2027-06-01T23:00:00Z"), utc("2027-06-01T23:30:00Z"), utc("2027-06-01T23:45:00Z") };
    expect_wait(decide(&p, miami, NY, s2, 3, "2027-06-01T23:50:00Z"), "2027-06-02T23:00:00Z", QH_REASON_CAP);
    /* Lifting after 20:00 means the next morning; both reasons hold at night. */
    int64_t s3[] = { utc("2027-06-02T00:01:00Z"), utc("2027-06-02T00:02:00Z"), utc("2027-06-02T00:10:00Z") };
    expect_wait(decide(&p, miami, NY, s3, 3, "2027-06-02T11:00:00Z"), "2027-06-03T12:00:00Z",
                QH_REASON_CAP | QH_REASON_WINDOW);
    /* Four sends: the two oldest must age out. Old and future sends. */
    int64_t s4[] = { utc("2027-06-01T13:00:00Z"), utc("2027-06-01T13:30:00Z"), utc("2027-06-01T14:00:00Z"),
                     utc("2027-06-01T14:30:00Z"), utc("2027-05-20T14:00:00Z") };
    expect_wait(decide(&p, miami, NY, s4, 5, "2027-06-01T15:00:00Z"), "2027-06-02T13:30:00Z", QH_REASON_CAP);
    int64_t s5[] = { utc("2027-06-01T18:00:00Z"), utc("2027-06-01T18:00:00Z"), utc("2027-06-09T00:00:00Z") };
    expect_wait(decide(&p, miami, NY, s5, 3, "2027-06-01T19:00:00Z"), "2027-06-02T18:00:00Z", QH_REASON_CAP);

    /* The tenant's own cap applies to everyone; the stricter one wins. */
    p.max_per_24h = 2;
    expect_wait(decide(&p, miami, NY, s1, 2, "2027-06-01T17:00:00Z"), "2027-06-02T14:00:00Z", QH_REASON_CAP);
    expect_wait(decide(&p, "+12125550134", NY, s1, 2, "2027-06-01T17:00:00Z"), "2027-06-02T14:00:00Z", QH_REASON_CAP);
}

Test(quiet_hours, area_code_spanning_two_zones)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    const char *panhandle = "+18505550134"; /* Tallahassee (Eastern) and Pensacola (Central) */
    struct qh_decision d = decide(&p, panhandle, NY, NULL, 0, "2027-06-01T12:30:00Z");
    cr_assert_eq(d.n_zones, 2);
    expect_wait(d, "2027-06-01T13:00:00Z", QH_REASON_WINDOW); /* 08:00 CDT */
    expect_now(decide(&p, panhandle, NY, NULL, 0, "2027-06-02T00:59:00Z"), "2027-06-02T00:59:00Z");
    expect_wait(decide(&p, panhandle, NY, NULL, 0, "2027-06-02T01:00:00Z"), "2027-06-02T13:00:00Z", QH_REASON_WINDOW);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 8 * 60, 20 * 60, 0), 0);
    expect_wait(decide(&p, panhandle, NY, NULL, 0, "2027-06-02T00:10:00Z"), "2027-06-02T13:00:00Z", QH_REASON_WINDOW);
    /* Four zones under 867; an hour-long window they never share. */
    d = decide(&p, "+18675550134", NY, NULL, 0, "2027-06-02T18:00:00Z");
    cr_assert_eq(d.n_zones, 4);
    cr_assert_str_eq(d.region, "");
    p.start_min = 8 * 60;
    p.end_min = 9 * 60;
    struct qh_recipient r = { .phone = "+18675550134", .clinic_zone = NY };
    cr_assert_eq(quiet_hours_decide(&p, &r, utc("2027-06-02T18:00:00Z"), &d), QH_E_NEVER);
}

Test(quiet_hours, numbers_without_an_area_code_use_the_clinic_zone)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    const char *others[] = { "+447700900123", "+18005550134", "+18765550134", NULL, "", "2135550134" };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        /* Berlin changed to CEST at 01:00Z: 07:30 CEST, opening at 08:00 CEST. */
        struct qh_decision d = decide(&p, others[i], "Europe/Berlin", NULL, 0, "2027-03-28T05:30:00Z");
        expect_wait(d, "2027-03-28T06:00:00Z", QH_REASON_WINDOW);
        cr_assert_eq(d.n_zones, 1);
        cr_assert_str_eq(d.zones[0], "Europe/Berlin");
        cr_assert_str_eq(d.region, "");
    }
    expect_wait(decide(&p, "+16025550134", LA, NULL, 0, "2027-01-15T14:30:00Z"), "2027-01-15T15:00:00Z",
                QH_REASON_WINDOW); /* Phoenix, no DST */
}

Test(quiet_hours, replies_policies_and_errors)
{
    int64_t now = utc("2027-06-01T12:00:00Z");
    cr_assert(quiet_hours_is_reply(now, now - 60 * 1000000));
    cr_assert(quiet_hours_is_reply(now, now));
    cr_assert_not(quiet_hours_is_reply(now, now - 60 * 1000000 - 1));
    cr_assert_not(quiet_hours_is_reply(now, now + 1));
    cr_assert_not(quiet_hours_is_reply(now, 0));

    int m = -1;
    cr_assert(quiet_hours_parse_hhmm("08:00", &m) == 0 && m == 480);
    cr_assert(quiet_hours_parse_hhmm("24:00", &m) == 0 && m == 1440);
    cr_assert(quiet_hours_parse_hhmm("20:59", &m) == 0 && m == 1259);
    const char *bad[] = { "8:00", "24:01", "25:00", "08:60", "08-00", "0800", "", "08:00 ", "ab:cd" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(quiet_hours_parse_hhmm(bad[i], &m), QH_E_INVAL, "%s", bad[i]);
    cr_assert_eq(quiet_hours_parse_hhmm(NULL, &m), QH_E_INVAL);

    struct qh_policy p;
    quiet_hours_policy_init(&p);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "fl", 480, 1200, 3), QH_E_INVAL);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FLA", 480, 1200, 3), QH_E_INVAL);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 1200, 480, 3), QH_E_INVAL);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 480, 1441, 3), QH_E_INVAL);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 480, 1200, -1), QH_E_INVAL);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 480, 1200, 3), 0);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 480, 1200, 3), QH_E_INVAL, "duplicate");
    char region[3] = "AA";
    for (int i = 1; i < QH_MAX_STATE_RULES; i++, region[1]++)
        cr_assert_eq(quiet_hours_policy_add_state(&p, region, 480, 1200, 0), 0);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "ZZ", 480, 1200, 0), QH_E_INVAL, "table full");

    struct qh_decision d;
    struct qh_recipient r = { .phone = "+12135550134", .clinic_zone = "Nowhere/Town" };
    cr_assert_eq(quiet_hours_decide(&p, &r, now, &d), QH_E_ZONE);
    r.clinic_zone = LA;
    int64_t many[QH_MAX_RECENT + 1] = { 0 };
    r.recent_sends_us = many;
    r.n_recent = QH_MAX_RECENT + 1;
    cr_assert_eq(quiet_hours_decide(&p, &r, now, &d), QH_E_INVAL);
    r.n_recent = 0;
    cr_assert_eq(quiet_hours_decide(&p, &r, INT64_MAX, &d), QH_E_INVAL);
    struct qh_policy bad_p = p;
    bad_p.end_min = bad_p.start_min;
    cr_assert_eq(quiet_hours_decide(&bad_p, &r, now, &d), QH_E_INVAL);
    /* A state window that misses the tenant's entirely never opens. */
    struct qh_policy late;
    quiet_hours_policy_init(&late);
    cr_assert_eq(quiet_hours_policy_add_state(&late, "CA", 21 * 60, 23 * 60, 0), 0);
    cr_assert_eq(quiet_hours_decide(&late, &r, now, &d), QH_E_NEVER);
}

Test(quiet_hours, area_code_table)
{
    int n = area_codes_count();
    cr_assert_geq(n, 400);
    int prev = 0;
    for (int i = 0; i < n; i++) {
        struct area_code_info a;
        cr_assert_eq(area_codes_entry(i, &a), 0, "entry %d", i);
        cr_assert_gt(a.npa, prev, "sorted and unique at %d", a.npa);
        prev = a.npa;
        cr_assert(a.npa >= 200 && a.npa <= 999);
        cr_assert(a.region[0] == '\0' || (strlen(a.region) == 2 && a.region[0] >= 'A' && a.region[0] <= 'Z'));
        cr_assert(a.n_zones >= 1 && a.n_zones <= AREA_CODES_MAX_ZONES);
        for (int z = 0; z < a.n_zones; z++)
            cr_assert(tz_valid(a.zones[z]), "%d: %s", a.npa, a.zones[z]);
    }
    cr_assert_eq(area_codes_entry(n, &(struct area_code_info){ 0 }), -1);

    struct { const char *phone; const char *region; const char *zone; } known[] = {
        { "+12125550134", "NY", NY }, { "+13105550134", "CA", LA }, { "+13125550134", "IL", "America/Chicago" },
        { "+17205550134", "CO", "America/Denver" }, { "+16025550134", "AZ", "America/Phoenix" },
        { "+19075550134", "AK", "America/Anchorage" }, { "+18085550134", "HI", "Pacific/Honolulu" },
        { "+17875550134", "PR", "America/Puerto_Rico" }, { "+14165550134", "ON", "America/Toronto" },
        { "+15145550134", "QC", "America/Toronto" }, { "+16045550134", "BC", "America/Vancouver" },
        { "+14035550134", "AB", "America/Edmonton" }, { "+13065550134", "SK", "America/Regina" },
        { "+17095550134", "NL", "America/St_Johns" }, { "+19025550134", "NS", "America/Halifax" },
        { "+19155550134", "TX", "America/Denver" }, { "+17865550134", "FL", NY },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        struct area_code_info a;
        cr_assert_eq(area_codes_lookup(known[i].phone, &a), 1, "%s", known[i].phone);
        cr_assert_str_eq(a.region, known[i].region, "%s", known[i].phone);
        cr_assert_str_eq(a.zones[0], known[i].zone, "%s", known[i].phone);
    }
    const char *unknown[] = { "+18005550134", "+18885550134", "+18765550134", "+442071234567",
                              "+1212555013", "+121255501345", "+1 2125550134", "12125550134",
                              "+11235550134", "+12121550134", "+1212555013x", "", NULL };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        struct area_code_info a;
        cr_assert_eq(area_codes_lookup(unknown[i], &a), 0, "%s", unknown[i] ? unknown[i] : "NULL");
    }
}

/* ---- the property tests and their oracle ------------------------------- */

static uint64_t rng_state = 20270314;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int64_t rng_range(int64_t lo, int64_t hi) /* [lo, hi) */
{
    return lo + (int64_t)(rng() % (uint64_t)(hi - lo));
}

/* The oracle reads local minutes from its own calendars, nothing from tz.c. */
struct oracle {
    int n_zones;
    UCalendar *cal[AREA_CODES_MAX_ZONES];
    int start, end, cap;
    const int64_t *sends;
    size_t n_sends;
    int64_t now;
};

static UCalendar *open_cal(const char *zone)
{
    UChar id[64];
    UErrorCode st = U_ZERO_ERROR;
    u_uastrncpy(id, zone, 63);
    id[63] = 0;
    UCalendar *c = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    cr_assert(U_SUCCESS(st) && c, "%s", zone);
    return c;
}

static int local_minute(UCalendar *c, int64_t t)
{
    UErrorCode st = U_ZERO_ERROR;
    int64_t ms = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
    ucal_setMillis(c, (UDate)ms, &st);
    int m = ucal_get(c, UCAL_HOUR_OF_DAY, &st) * 60 + ucal_get(c, UCAL_MINUTE, &st);
    cr_assert(U_SUCCESS(st));
    return m;
}

static bool oracle_allowed(const struct oracle *o, int64_t t)
{
    for (int i = 0; i < o->n_zones; i++) {
        int m = local_minute(o->cal[i], t);
        if (m < o->start || m >= o->end)
            return false;
    }
    if (o->cap > 0) {
        int count = 0;
        for (size_t i = 0; i < o->n_sends; i++)
            if (o->sends[i] > t - DAY_US && o->sends[i] <= t)
                count++;
        if (count >= o->cap)
            return false;
    }
    return true;
}

/* The first allowed instant at or after now: allowed stretches begin at now,
 * on a minute boundary, or where a send ages out. Returns false when none
 * within five days. */
static bool oracle_earliest(const struct oracle *o, int64_t *out)
{
    if (oracle_allowed(o, o->now)) {
        *out = o->now;
        return true;
    }
    int64_t lifts[64];
    size_t nl = 0;
    for (size_t i = 0; i < o->n_sends && nl < 64; i++)
        if (o->sends[i] + DAY_US > o->now)
            lifts[nl++] = o->sends[i] + DAY_US;
    for (size_t i = 1; i < nl; i++) /* insertion sort: a handful */
        for (size_t j = i; j > 0 && lifts[j - 1] > lifts[j]; j--) {
            int64_t x = lifts[j];
            lifts[j] = lifts[j - 1];
            lifts[j - 1] = x;
        }
    int64_t minute = (o->now / MIN_US) * MIN_US + MIN_US, limit = o->now + 5 * DAY_US;
    size_t li = 0;
    while (minute <= limit) {
        int64_t c = minute;
        if (li < nl && lifts[li] <= minute)
            c = lifts[li++];
        if (oracle_allowed(o, c)) {
            *out = c;
            return true;
        }
        if (c == minute)
            minute += MIN_US;
    }
    return false;
}

struct scenario {
    const char *name;
    const char *phone;
    const char *clinic;
    bool florida_rule;
    bool random_window;
    const char *changes[4]; /* DST changes to sample densely around */
};

static void run_scenario(const struct scenario *sc, int samples)
{
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    if (sc->florida_rule)
        cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 8 * 60, 20 * 60, 3), 0);
    struct area_code_info ac;
    struct oracle o = { 0 };
    bool have_ac = area_codes_lookup(sc->phone, &ac) == 1;
    if (have_ac) {
        o.n_zones = ac.n_zones;
        for (int i = 0; i < ac.n_zones; i++)
            o.cal[i] = open_cal(ac.zones[i]);
    } else {
        o.n_zones = 1;
        o.cal[0] = open_cal(sc->clinic);
    }
    int64_t year = utc("2027-01-01T00:00:00Z");
    int checked = 0, waited = 0;
    for (int k = 0; k < samples; k++) {
        if (sc->random_window) {
            /* Two samples in three put an edge of the window in the small
             * hours, where the clocks change. */
            int width = o.n_zones > 1 ? 300 : 30;
            switch (rng() % 3) {
            case 0:
                p.start_min = (int)rng_range(0, 1440 - width);
                p.end_min = (int)rng_range(p.start_min + width, 1441);
                break;
            case 1:
                p.start_min = (int)rng_range(0, 240);
                p.end_min = (int)rng_range(p.start_min + width, 1441);
                break;
            default:
                p.end_min = (int)rng_range(width + 1, width + 240);
                p.start_min = (int)rng_range(0, p.end_min - width + 1);
                break;
            }
        }
        int64_t now;
        if (k % 2 == 0 || !sc->changes[0]) {
            now = rng_range(year, year + 365 * DAY_US);
        } else {
            int nc = 0;
            while (nc < 4 && sc->changes[nc])
                nc++;
            int64_t spread = (rng() % 2 ? 36 : 3) * HOUR_US;
            now = utc(sc->changes[rng() % (uint64_t)nc]) + rng_range(-spread, spread);
            if (rng() % 3 == 0)
                now = (now / MIN_US) * MIN_US; /* exactly on a minute, too */
        }
        int64_t sends[6];
        size_t n = sc->florida_rule ? (size_t)(rng() % 6) : 0;
        for (size_t i = 0; i < n; i++) {
            sends[i] = now - rng_range(0, 30 * HOUR_US);
            if (rng() % 2)
                sends[i] = (sends[i] / MIN_US) * MIN_US;
        }
        struct qh_recipient r = { .phone = sc->phone, .clinic_zone = sc->clinic, .recent_sends_us = sends, .n_recent = n };
        struct qh_decision d;
        int rc = quiet_hours_decide(&p, &r, now, &d);

        o.start = p.start_min;
        o.end = p.end_min;
        o.cap = 0;
        if (sc->florida_rule && have_ac && strcmp(ac.region, "FL") == 0) {
            o.start = p.start_min > 480 ? p.start_min : 480;
            o.end = p.end_min < 1200 ? p.end_min : 1200;
            o.cap = 3;
        }
        o.sends = sends;
        o.n_sends = n;
        o.now = now;
        int64_t want;
        char a[32], b[32];
        if (!oracle_earliest(&o, &want)) {
            cr_assert_eq(rc, QH_E_NEVER, "%s: oracle found nothing at %s, decide %d", sc->name,
                         clock_format_utc(now, a), rc);
            continue;
        }
        cr_assert_eq(rc, 0, "%s at %s: %d", sc->name, clock_format_utc(now, a), rc);
        cr_assert_eq(d.earliest_us, want, "%s, window %d-%d, now %s: got %s, want %s", sc->name,
                     p.start_min, p.end_min, clock_format_utc(now, a),
                     clock_format_utc(d.earliest_us, b), clock_format_utc(want, a));
        cr_assert_eq(d.send_now, want == now);
        cr_assert_eq(d.send_now, d.reasons == 0);
        /* Its wall time exists in every zone: not inside a gap. */
        for (int i = 0; i < d.n_zones; i++) {
            struct tz_local l;
            int64_t first, last;
            cr_assert_eq(tz_to_local(d.zones[i], d.earliest_us, &l), 0);
            cr_assert_eq(tz_from_local(d.zones[i], &l, TZ_REPEATED_FIRST, &first), 0);
            cr_assert_eq(tz_from_local(d.zones[i], &l, TZ_REPEATED_LAST, &last), 0);
            cr_assert(first == d.earliest_us || last == d.earliest_us, "%s: %s", sc->name,
                      clock_format_utc(d.earliest_us, a));
        }
        checked++;
        waited += !d.send_now;
    }
    cr_assert_gt(checked, samples * 9 / 10, "%s: most samples have an answer", sc->name);
    cr_assert_gt(waited, samples / 10, "%s: the samples exercise waiting", sc->name);
    for (int i = 0; i < o.n_zones; i++)
        ucal_close(o.cal[i]);
}

#define US_CHANGES { "2027-03-14T10:00:00Z", "2027-11-07T09:00:00Z", NULL }

Test(quiet_hours, property_los_angeles)
{
    struct scenario sc = { "LA recipient", "+13105550134", NY, false, false, US_CHANGES };
    run_scenario(&sc, 800);
}

Test(quiet_hours, property_new_york_random_windows)
{
    struct scenario sc = { "NY recipient, random windows", "+16465550134", LA, false, true,
                           { "2027-03-14T07:00:00Z", "2027-11-07T06:00:00Z", NULL } };
    run_scenario(&sc, 800);
}

Test(quiet_hours, property_clinic_zone_random_windows)
{
    struct scenario sc = { "no number, LA clinic, random windows", NULL, LA, false, true, US_CHANGES };
    run_scenario(&sc, 800);
}

Test(quiet_hours, property_florida_cap)
{
    struct scenario sc = { "Miami with the Florida rule", "+13055550134", LA, true, false,
                           { "2027-03-14T07:00:00Z", "2027-11-07T06:00:00Z", NULL } };
    run_scenario(&sc, 800);
}

Test(quiet_hours, property_two_zones)
{
    struct scenario sc = { "Florida panhandle, two zones, random windows", "+18505550134", NY, false, true,
                           { "2027-03-14T07:00:00Z", "2027-03-14T08:00:00Z", "2027-11-07T06:00:00Z", "2027-11-07T07:00:00Z" } };
    run_scenario(&sc, 600);
    struct scenario fl = { "Florida panhandle, two zones, Florida rule", "+14485550134", LA, true, false,
                           { "2027-03-14T07:00:00Z", "2027-03-14T08:00:00Z", "2027-11-07T06:00:00Z", "2027-11-07T07:00:00Z" } };
    run_scenario(&fl, 400);
}

Test(quiet_hours, property_berlin_and_sydney)
{
    struct scenario b = { "Berlin clinic, foreign number", "+4915112345678", "Europe/Berlin", false, true,
                          { "2027-03-28T01:00:00Z", "2027-10-31T01:00:00Z", NULL } };
    run_scenario(&b, 600);
    struct scenario s = { "Sydney clinic", NULL, "Australia/Sydney", false, true,
                          { "2027-04-03T16:00:00Z", "2027-10-02T16:00:00Z", NULL } };
    run_scenario(&s, 600);
}

/* Every area code of the table (so every North American zone it names), and
 * clinics in zones with odd rules (half-hour offsets, no DST, the southern
 * hemisphere), at random instants over six years, 2026-2031, under the
 * default 08:00-21:00 window with the Florida rule (08:00-20:00, 3 per 24
 * hours): the answer is inside the window in every zone of the recipient,
 * no earlier instant is (the oracle), and a held message goes at a window
 * opening, the local start time to the second in the zone that opens last,
 * never later than a day after now. With recent sends a Florida number
 * waits for the cap to clear; a fourth send in 24 hours never goes early. */
Test(quiet_hours, property_every_area_code_over_six_years)
{
    static const char *const clinics[] = { "America/St_Johns", "America/Phoenix", "Pacific/Honolulu",
                                           "America/Halifax",  "America/Anchorage", "Australia/Adelaide",
                                           "Asia/Kolkata",     "America/Santiago", NULL };
    struct qh_policy p;
    quiet_hours_policy_init(&p);
    cr_assert_eq(quiet_hours_policy_add_state(&p, "FL", 8 * 60, 20 * 60, 3), 0);
    int64_t from = utc("2026-01-01T00:00:00Z"), span = utc("2032-01-01T00:00:00Z") - from;
    int n_codes = area_codes_count();
    cr_assert_gt(n_codes, 300);
    int held = 0, florida = 0, capped = 0, samples = 0;
    int n_clinics = 0;
    while (clinics[n_clinics])
        n_clinics++;

    for (int k = 0; k < 2 * n_codes + 400; k++) {
        struct area_code_info ac;
        char phone[16];
        const char *ph = NULL, *clinic = LA;
        struct oracle o = { 0 };
        if (k < 2 * n_codes) {
            cr_assert_eq(area_codes_entry(k / 2, &ac), 0);
            snprintf(phone, sizeof phone, "+1%d5550134", ac.npa);
            ph = phone;
            o.n_zones = ac.n_zones;
            for (int i = 0; i < ac.n_zones; i++)
                o.cal[i] = open_cal(ac.zones[i]);
        } else {
            ac.region[0] = '\0';
            clinic = clinics[rng() % (uint64_t)n_clinics];
            o.n_zones = 1;
            o.cal[0] = open_cal(clinic);
        }
        bool fl = ph && strcmp(ac.region, "FL") == 0;
        o.start = 8 * 60;
        o.end = fl ? 20 * 60 : 21 * 60;
        o.cap = fl ? 3 : 0;
        int64_t now = from + rng_range(0, span);
        if (rng() % 4 == 0)
            now = (now / HOUR_US) * HOUR_US; /* on the hour: exactly at openings and closings */
        int64_t sends[4];
        size_t n = fl ? (size_t)(rng() % 5) : 0;
        for (size_t i = 0; i < n; i++)
            sends[i] = now - rng_range(0, 26 * HOUR_US);
        o.sends = sends;
        o.n_sends = n;
        o.now = now;

        struct qh_recipient r = { .phone = ph, .clinic_zone = clinic, .recent_sends_us = sends,
                                  .n_recent = n };
        struct qh_decision d;
        char a[32], b[32], w[32];
        int rc = quiet_hours_decide(&p, &r, now, &d);
        int64_t want;
        cr_assert(oracle_earliest(&o, &want), "%s at %s: the oracle finds no instant", ph ? ph : clinic,
                  clock_format_utc(now, a));
        cr_assert_eq(rc, 0, "%s at %s: %d", ph ? ph : clinic, clock_format_utc(now, a), rc);
        cr_assert_eq(d.earliest_us, want, "%s at %s: got %s, want %s", ph ? ph : clinic,
                     clock_format_utc(now, a), clock_format_utc(d.earliest_us, b),
                     clock_format_utc(want, w));
        cr_assert(oracle_allowed(&o, d.earliest_us));
        cr_assert_eq(d.send_now, d.earliest_us == now);
        if (fl) {
            florida++;
            cr_assert_eq(d.end_min, 20 * 60, "%s: the Florida window", ph);
            cr_assert_eq(d.max_per_24h, 3);
        }
        if (!d.send_now) {
            held++;
            cr_assert_lt(d.earliest_us - now, (fl && n >= 3 ? 2 : 1) * DAY_US + 2 * HOUR_US,
                         "%s at %s: held past the next opening", ph ? ph : clinic,
                         clock_format_utc(now, a));
            if (d.reasons & QH_REASON_CAP) {
                capped++;
            } else {
                /* A window opening: the start time to the second in some zone. */
                bool opening = false;
                for (int i = 0; i < d.n_zones; i++) {
                    struct tz_local l;
                    cr_assert_eq(tz_to_local(d.zones[i], d.earliest_us, &l), 0);
                    opening |= l.hour * 60 + l.minute == d.start_min && l.second == 0 && l.usec == 0;
                }
                cr_assert(opening, "%s at %s: held until %s, not a window opening", ph ? ph : clinic,
                          clock_format_utc(now, a), clock_format_utc(d.earliest_us, b));
            }
        }
        for (int i = 0; i < o.n_zones; i++)
            ucal_close(o.cal[i]);
        samples++;
    }
    cr_assert_gt(held, samples / 4, "the samples exercise waiting (%d of %d)", held, samples);
    cr_assert_gt(florida, 20, "Florida numbers: %d", florida);
    cr_assert_gt(capped, 3, "capped Florida sends: %d", capped);
}
