/*
 * The availability engine's rules, without a database or an EMR: slots the
 * catalog gives (availability_generate) and EMR slots filtered by the same
 * rules and our holds (availability_filter), in the clinic's zone across
 * both DST changes, with minimum notice, closed dates, provider days,
 * durations that would cross closing time, eligibility, holds and buffers
 * (before and after), and shared resources (a laser, a room) by unit count.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "availability.h"
#include "clock.h"
#include "knowledge.h"
#include "tz.h"

#define ZONE "America/Los_Angeles"

static struct knowledge *from_text(const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    cr_assert_not_null(doc);
    struct knowledge *k = NULL;
    char err[300] = "";
    int rc = knowledge_parse(doc, "t1", 1, &k, err, sizeof err);
    cJSON_Delete(doc);
    cr_assert_eq(rc, 0, "catalog refused: %s", err);
    return k;
}

/* A small clinic open overnight on Sundays, to cross the DST changes. */
static const char *night_clinic =
    "{\"id\":\"night\",\"name\":\"Night\",\"timezone\":\"" ZONE "\",\"country\":\"US\","
    "\"hours\":{\"sun\":[\"00:00\",\"06:00\"],\"mon\":[\"09:00\",\"17:00\"]},"
    "\"slot_step_min\":30,\"booking_horizon_days\":400,\"min_notice_min\":0,"
    "\"providers\":[{\"id\":\"ann\",\"name\":\"Ann\",\"services\":[\"hour\",\"buffered\"],"
    "\"days\":[\"sun\",\"mon\"]}],"
    "\"services\":[{\"id\":\"hour\",\"name\":\"Hour\",\"duration_min\":60,"
    "\"price\":{\"kind\":\"fixed\",\"cents\":100}},"
    "{\"id\":\"buffered\",\"name\":\"Buffered\",\"duration_min\":30,\"buffer_after_min\":15,"
    "\"price\":{\"kind\":\"fixed\",\"cents\":100}}]}";

static struct knowledge *glow(void)
{
    const char *dir = getenv("BW_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", dir ? dir : "../../shared");
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(path, sizeof path, "/work/shared/eval/clinics/glow.json");
        f = fopen(path, "rb");
    }
    cr_assert_not_null(f, "glow.json not found (set BW_SHARED_DIR)");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return from_text(buf);
}

static int64_t at(const char *local) /* "2027-03-14T01:00" in ZONE */
{
    struct tz_local l = { 0 };
    cr_assert_eq(sscanf(local, "%4d-%2d-%2dT%2d:%2d", &l.year, &l.month, &l.day, &l.hour,
                        &l.minute), 5);
    int64_t us;
    cr_assert_eq(tz_from_local(ZONE, &l, TZ_REPEATED_FIRST, &us), 0);
    return us;
}

static void hhmm(int64_t us, char out[6])
{
    struct tz_local l;
    cr_assert_eq(tz_to_local(ZONE, us, &l), 0);
    char buf[32];
    snprintf(buf, sizeof buf, "%02d:%02d", l.hour, l.minute);
    memcpy(out, buf, 5);
    out[5] = 0;
}

static void gen(const struct knowledge *k, const char *svc, const char *prov, const char *from,
                const char *to, const char *now, struct avail_slots *out)
{
    struct avail_query q = { .service_id = svc, .provider_id = prov, .from_us = at(from),
                             .to_us = at(to) };
    cr_assert_eq(availability_generate(k, &q, at(now), NULL, 0, out), 0);
}

static void expect_times(const struct avail_slots *s, const char *const *want, size_t n)
{
    cr_assert_eq(s->n, n, "got %zu slots, want %zu", s->n, n);
    for (size_t i = 0; i < n; i++) {
        char t[6];
        hhmm(s->v[i].start_us, t);
        cr_expect_str_eq(t, want[i], "slot %zu", i);
    }
}

Test(availability, spring_forward_skips_the_missing_hour)
{
    struct knowledge *k = from_text(night_clinic);
    struct avail_slots s = { 0 };
    gen(k, "hour", NULL, "2027-03-14T00:00", "2027-03-15T00:00", "2027-03-01T00:00", &s);
    static const char *const want[] = { "00:00", "00:30", "01:00", "01:30", "03:00",
                                        "03:30", "04:00", "04:30", "05:00" };
    expect_times(&s, want, 9);
    for (size_t i = 0; i < s.n; i++)
        cr_expect_eq(s.v[i].end_us - s.v[i].start_us, 3600 * INT64_C(1000000));
    /* 01:30 PST to 03:00 PDT is half an hour of real time. */
    cr_expect_eq(s.v[4].start_us - s.v[3].start_us, 1800 * INT64_C(1000000));
    /* The last slot ends at closing, 06:00 PDT = 13:00Z. */
    int64_t close;
    cr_assert_eq(clock_parse_rfc3339("2027-03-14T13:00:00Z", &close), 0);
    cr_expect_eq(s.v[8].end_us, close);
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, fall_back_offers_each_wall_time_once_on_a_25_hour_day)
{
    struct knowledge *k = from_text(night_clinic);
    struct avail_slots s = { 0 };
    gen(k, "hour", NULL, "2027-11-07T00:00", "2027-11-08T00:00", "2027-03-01T00:00", &s);
    static const char *const want[] = { "00:00", "00:30", "01:00", "01:30", "02:00",
                                        "02:30", "03:00", "03:30", "04:00", "04:30", "05:00" };
    expect_times(&s, want, 11);
    /* 00:00 PDT (07:00Z) to 05:00 PST (13:00Z): six real hours for five wall hours. */
    cr_expect_eq(s.v[10].start_us - s.v[0].start_us, 6 * 3600 * INT64_C(1000000));
    /* 01:00 is the first (PDT) occurrence: 08:00Z. */
    int64_t first;
    cr_assert_eq(clock_parse_rfc3339("2027-11-07T08:00:00Z", &first), 0);
    cr_expect_eq(s.v[2].start_us, first);
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, minimum_notice)
{
    struct knowledge *k = glow(); /* min_notice_min 120 */
    struct avail_slots s = { 0 };
    gen(k, "botox", "jenna", "2027-03-03T00:00", "2027-03-04T00:00", "2027-03-03T10:05", &s);
    cr_assert_gt(s.n, 0);
    char t[6];
    hhmm(s.v[0].start_us, t);
    cr_expect_str_eq(t, "12:15", "the first slot is the first step after now + 2 h");
    avail_slots_free(&s);
    /* The same query a day earlier starts at opening. */
    gen(k, "botox", "jenna", "2027-03-03T00:00", "2027-03-04T00:00", "2027-03-02T10:05", &s);
    hhmm(s.v[0].start_us, t);
    cr_expect_str_eq(t, "09:00");
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, closed_dates_have_no_slots)
{
    struct knowledge *k = glow(); /* 2027-03-12 (a Friday) is closed */
    struct avail_slots s = { 0 };
    gen(k, "botox", NULL, "2027-03-12T00:00", "2027-03-13T00:00", "2027-03-02T12:00", &s);
    cr_expect_eq(s.n, 0);
    gen(k, "botox", NULL, "2027-03-05T00:00", "2027-03-06T00:00", "2027-03-02T12:00", &s);
    cr_expect_gt(s.n, 0, "the Friday before is open");
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, provider_days)
{
    struct knowledge *k = glow(); /* Jenna: tue-fri; Dr. Smith: tue, thu, fri, sat */
    struct avail_slots s = { 0 };
    gen(k, "botox", "jenna", "2027-03-06T00:00", "2027-03-07T00:00", "2027-03-02T12:00", &s);
    cr_expect_eq(s.n, 0, "Jenna does not work Saturdays");
    gen(k, "botox", "dr-smith", "2027-03-06T00:00", "2027-03-07T00:00", "2027-03-02T12:00", &s);
    cr_expect_gt(s.n, 0);
    avail_slots_free(&s);
    s = (struct avail_slots){ 0 };
    gen(k, "botox", NULL, "2027-03-03T00:00", "2027-03-04T00:00", "2027-03-02T12:00", &s);
    for (size_t i = 0; i < s.n; i++)
        cr_expect_str_eq(s.v[i].provider_id, "jenna", "only Jenna works Wednesdays");
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, duration_does_not_cross_closing_time)
{
    struct knowledge *k = glow(); /* Saturday 09:00-15:00; microneedling 75 min */
    struct avail_slots s = { 0 };
    gen(k, "microneedling", "ashley", "2027-03-06T00:00", "2027-03-07T00:00",
        "2027-03-02T12:00", &s);
    cr_assert_gt(s.n, 0);
    char t[6];
    hhmm(s.v[s.n - 1].start_us, t);
    cr_expect_str_eq(t, "13:45", "13:45 + 75 min ends at 15:00; 14:00 would cross closing");
    cr_expect_eq(s.v[s.n - 1].end_us, at("2027-03-06T15:00"));
    avail_slots_free(&s);
    /* An EMR slot that crosses closing is filtered out too. */
    struct avail_slots emr = { 0 }, out = { 0 };
    avail_slots_add(&emr, at("2027-03-06T14:00"), at("2027-03-06T15:15"), "ashley");
    avail_slots_add(&emr, at("2027-03-06T13:45"), at("2027-03-06T15:00"), "ashley");
    struct avail_query q = { .service_id = "microneedling", .from_us = at("2027-03-06T00:00"),
                             .to_us = at("2027-03-07T00:00") };
    cr_assert_eq(availability_filter(k, &q, at("2027-03-02T12:00"), &emr, NULL, 0, &out), 0);
    cr_expect_eq(out.n, 1);
    cr_expect_eq(out.v[0].start_us, at("2027-03-06T13:45"));
    avail_slots_free(&emr);
    avail_slots_free(&out);
    knowledge_free(k);
}

Test(availability, provider_who_does_not_offer_the_service)
{
    struct knowledge *k = glow(); /* Dr. Smith offers no HydraFacial */
    struct avail_slots s = { 0 };
    gen(k, "hydrafacial", "dr-smith", "2027-03-05T00:00", "2027-03-06T00:00",
        "2027-03-02T12:00", &s);
    cr_expect_eq(s.n, 0);
    gen(k, "hydrafacial", NULL, "2027-03-05T00:00", "2027-03-06T00:00", "2027-03-02T12:00", &s);
    cr_assert_gt(s.n, 0);
    for (size_t i = 0; i < s.n; i++)
        cr_expect_str_eq(s.v[i].provider_id, "ashley");
    avail_slots_free(&s);
    struct avail_slots emr = { 0 }, out = { 0 };
    avail_slots_add(&emr, at("2027-03-05T10:00"), at("2027-03-05T11:00"), "dr-smith");
    struct avail_query q = { .service_id = "hydrafacial", .from_us = at("2027-03-05T00:00"),
                             .to_us = at("2027-03-06T00:00") };
    cr_assert_eq(availability_filter(k, &q, at("2027-03-02T12:00"), &emr, NULL, 0, &out), 0);
    cr_expect_eq(out.n, 0, "an EMR slot of an ineligible provider is dropped");
    avail_slots_free(&emr);
    avail_slots_free(&out);
    knowledge_free(k);
}

Test(availability, holds_and_buffers_block)
{
    struct knowledge *k = from_text(night_clinic);
    struct avail_block b = { .start_us = at("2027-03-15T10:30"), .end_us = at("2027-03-15T11:00") };
    snprintf(b.provider_id, sizeof b.provider_id, "ann");
    struct avail_query q = { .service_id = "buffered", .from_us = at("2027-03-15T09:00"),
                             .to_us = at("2027-03-15T12:00") };
    struct avail_slots s = { 0 };
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    static const char *const want[] = { "09:00", "09:30", "11:00", "11:30" };
    /* 10:00 would end 10:30 but its 15-minute buffer reaches into the hold. */
    expect_times(&s, want, 4);
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, horizon)
{
    struct knowledge *k = glow(); /* 30 days */
    struct avail_slots s = { 0 };
    gen(k, "botox", NULL, "2027-04-01T00:00", "2027-04-02T00:00", "2027-03-02T12:00", &s);
    cr_expect_gt(s.n, 0, "day 30 is inside");
    avail_slots_free(&s);
    gen(k, "botox", NULL, "2027-04-01T00:00", "2027-04-02T00:00", "2027-03-01T12:00", &s);
    cr_expect_eq(s.n, 0, "day 31 is beyond the horizon");
    avail_slots_free(&s);
    knowledge_free(k);
}

/* Two providers sharing one laser (count given), a service with buffers on
 * both sides that needs it, and one that needs nothing. */
static struct knowledge *laser_clinic(int count)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"id\":\"laser\",\"name\":\"Laser\",\"timezone\":\"" ZONE "\",\"country\":\"US\","
             "\"hours\":{\"mon\":[\"09:00\",\"13:00\"]},\"slot_step_min\":30,"
             "\"booking_horizon_days\":400,\"min_notice_min\":0,"
             "\"resources\":[{\"id\":\"laser\",\"count\":%d}],"
             "\"providers\":[{\"id\":\"ann\",\"name\":\"Ann\",\"services\":[\"lhr\",\"talk\"],"
             "\"days\":[\"mon\"]},{\"id\":\"bea\",\"name\":\"Bea\","
             "\"services\":[\"lhr\",\"talk\"],\"days\":[\"mon\"]}],"
             "\"services\":[{\"id\":\"lhr\",\"name\":\"Laser hair removal\",\"duration_min\":30,"
             "\"buffer_before_min\":15,\"buffer_after_min\":15,\"resource\":\"laser\","
             "\"price\":{\"kind\":\"fixed\",\"cents\":100}},"
             "{\"id\":\"talk\",\"name\":\"Talk\",\"duration_min\":30,"
             "\"price\":{\"kind\":\"fixed\",\"cents\":100}}]}",
             count);
    return from_text(json);
}

/* Ann's laser appointment 10:00-10:30 as a hold blocks 09:45-10:45. */
static struct avail_block laser_hold(void)
{
    struct avail_block b = { .start_us = at("2027-03-15T09:45"), .end_us = at("2027-03-15T10:45") };
    snprintf(b.provider_id, sizeof b.provider_id, "ann");
    snprintf(b.resource_id, sizeof b.resource_id, "laser");
    return b;
}

Test(availability, a_resource_in_use_blocks_other_providers)
{
    struct knowledge *k = laser_clinic(1);
    struct avail_block b = laser_hold();
    struct avail_query q = { .service_id = "lhr", .provider_id = "bea",
                             .from_us = at("2027-03-15T09:00"), .to_us = at("2027-03-15T13:00") };
    struct avail_slots s = { 0 };
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    /* Bea is free, but the only laser is Ann's until 10:45: with 15 minutes
     * before and after, 09:00 (to 09:45) and from 11:00 on fit; 09:30 ends
     * its buffer at 10:15, 10:30 starts its buffer at 10:15. The last,
     * 12:30, ends at closing (its after-buffer is clean-up after hours). */
    static const char *const want[] = { "09:00", "11:00", "11:30", "12:00", "12:30" };
    expect_times(&s, want, 5);
    avail_slots_free(&s);
    /* A service that needs no laser is not held up by it. */
    q.service_id = "talk";
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    cr_expect_eq(s.n, 8u, "every half hour 09:00-12:30 for Bea, got %zu", s.n);
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, a_second_unit_of_the_resource_keeps_the_slot_free)
{
    struct knowledge *k = laser_clinic(2);
    struct avail_block b = laser_hold();
    struct avail_query q = { .service_id = "lhr", .provider_id = "bea",
                             .from_us = at("2027-03-15T09:00"), .to_us = at("2027-03-15T13:00") };
    struct avail_slots s = { 0 };
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    /* 12:30 would end 13:00 and its after-buffer is outside hours, which the
     * closing rule does not count: the appointment itself fits. */
    cr_expect_eq(s.n, 8u, "the second laser leaves Bea every slot, got %zu", s.n);
    avail_slots_free(&s);
    /* Two holds on the laser at once use both units. */
    struct avail_block two[2] = { laser_hold(), laser_hold() };
    snprintf(two[1].provider_id, sizeof two[1].provider_id, "cat");
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), two, 2, &s), 0);
    static const char *const want[] = { "09:00", "11:00", "11:30", "12:00", "12:30" };
    expect_times(&s, want, 5);
    avail_slots_free(&s);
    knowledge_free(k);
}

Test(availability, buffer_before_keeps_a_gap_after_a_hold)
{
    struct knowledge *k = laser_clinic(1);
    /* Ann's own hold 09:00-09:30 (a talk: no buffers of its own). */
    struct avail_block b = { .start_us = at("2027-03-15T09:00"), .end_us = at("2027-03-15T09:30") };
    snprintf(b.provider_id, sizeof b.provider_id, "ann");
    struct avail_query q = { .service_id = "lhr", .provider_id = "ann",
                             .from_us = at("2027-03-15T09:00"), .to_us = at("2027-03-15T11:00") };
    struct avail_slots s = { 0 };
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    /* 09:30 needs 15 minutes before it: the first laser slot is 10:00. */
    static const char *const want[] = { "10:00", "10:30" };
    expect_times(&s, want, 2);
    avail_slots_free(&s);
    q.service_id = "talk";
    cr_assert_eq(availability_generate(k, &q, at("2027-03-01T00:00"), &b, 1, &s), 0);
    static const char *const want_talk[] = { "09:30", "10:00", "10:30" };
    expect_times(&s, want_talk, 3);
    avail_slots_free(&s);
    knowledge_free(k);
}
