/*
 * Understanding: every date and time phrase of issue 9, with its
 * neighbours, read in two clinics' zones (Glow in Los Angeles, a New York
 * clinic) on days either side of the 2027-03-14 change to summer time. Each
 * row gives the wall-clock reading (the same in both zones) and, for a
 * dated reading, the local start it must resolve to; the suite checks the
 * absolute instant against that zone's offset on that date (PST/PDT,
 * EST/EDT), so a phrase resolved with the offset of "now" instead of the
 * offset of the day named fails here.
 */
#include "test_nlu_fixture.h"

TestSuite(nlu_dst, .init = fixture_setup, .fini = fixture_teardown);

struct zone {
    struct nlu_catalog *const *cat;
    const char *name;
    const char *winter, *summer; /* UTC offsets before and after 2027-03-14 02:00 local */
};

static const struct zone zones[] = {
    { &glow, "Los Angeles", "-08:00", "-07:00" },
    { &nyc, "New York", "-05:00", "-04:00" },
};

struct row {
    const char *text;
    const char *expect;   /* nlu_when_format of the items, " | " between them */
    const char *start;    /* local "YYYY-MM-DDTHH:MM" of the first item's start; NULL: no instant */
    const char *end;      /* local end of the first item (exclusive); NULL: not checked */
};

/* The UTC offset of local wall time (whole hours outside the gap) in z. */
static const char *offset_of(const struct zone *z, const char *local)
{
    return strcmp(local, "2027-03-14T02:00") < 0 ? z->winter : z->summer;
}

static void check(const struct zone *z, const char *now_local, const struct nlu_context *ctx,
                  const struct row *rows, size_t n)
{
    char now[64], buf[512], iso[64];
    snprintf(now, sizeof now, "%s:00%s", now_local, offset_of(z, now_local));
    for (size_t i = 0; i < n; i++) {
        struct nlu_result r = understand(*z->cat, now, ctx, rows[i].text);
        whens(&r, buf, sizeof buf);
        cr_expect_str_eq(buf, rows[i].expect, "%s, now %s: \"%s\" read as \"%s\"", z->name, now, rows[i].text,
                         buf);
        if (!rows[i].start || r.when.n < 1)
            continue;
        snprintf(iso, sizeof iso, "%s:00%s", rows[i].start, offset_of(z, rows[i].start));
        cr_expect_eq(r.when.item[0].from_us, at(iso), "%s, now %s: \"%s\" starts at %s", z->name, now,
                     rows[i].text, iso);
        if (rows[i].end) {
            snprintf(iso, sizeof iso, "%s:00%s", rows[i].end, offset_of(z, rows[i].end));
            cr_expect_eq(r.when.item[0].to_us, at(iso), "%s, now %s: \"%s\" ends at %s", z->name, now,
                         rows[i].text, iso);
        }
    }
}

#define CHECK_BOTH(now, ctx, rows)                                                        \
    for (size_t z_ = 0; z_ < sizeof zones / sizeof zones[0]; z_++)                        \
    check(&zones[z_], now, ctx, rows, sizeof rows / sizeof rows[0])

/* Tuesday 9 March, 10:00 local: winter time, the change on Sunday. */
Test(nlu_dst, the_week_before_the_change)
{
    static const struct row rows[] = {
        { "tmrw after 5", "2027-03-10 >=17:00 ?", "2027-03-10T17:00", NULL },
        { "tmrw after 5pm", "2027-03-10 >=17:00", "2027-03-10T17:00", NULL },
        { "tmrw", "2027-03-10", "2027-03-10T00:00", "2027-03-11T00:00" },
        { "fri afternoon", "2027-03-12 12:00-17:00", "2027-03-12T12:00", "2027-03-12T17:00" },
        { "friday", "2027-03-12", "2027-03-12T00:00", "2027-03-13T00:00" },
        { "thursday the 11th", "2027-03-11", "2027-03-11T00:00", "2027-03-12T00:00" },
        { "friday the 11th", "2027-03-11 mismatch", NULL, NULL },
        { "next week tuesday at 10am", "2027-03-16 10:00", "2027-03-16T10:00", NULL },
        { "tuesday next week", "2027-03-16", "2027-03-16T00:00", "2027-03-17T00:00" },
        { "next week", "2027-03-15..2027-03-21", "2027-03-15T00:00", "2027-03-22T00:00" },
        { "sunday at 10am", "2027-03-14 10:00", "2027-03-14T10:00", NULL },
        { "sunday at 3am", "2027-03-14 03:00", "2027-03-14T03:00", NULL },
        { "this weekend", "2027-03-13..2027-03-14", "2027-03-13T00:00", "2027-03-15T00:00" },
        { "next weekend", "2027-03-20..2027-03-21 !", "2027-03-20T00:00", "2027-03-22T00:00" },
        { "April 1st", "2027-04-01", "2027-04-01T00:00", "2027-04-02T00:00" },
        { "april 1st at 10am", "2027-04-01 10:00", "2027-04-01T10:00", NULL },
        { "1st of April", "2027-04-01", "2027-04-01T00:00", NULL },
        { "March 1", "2027-03-01 past", "2027-03-01T00:00", NULL },
        { "yesterday", "2027-03-08 past", "2027-03-08T00:00", NULL },
        { "today at 8am", "2027-03-09 08:00 past", "2027-03-09T08:00", NULL },
        { "4ish", "* 16:00 ~ ?", NULL, NULL },
        { "noon", "* 12:00", NULL, NULL },
        { "saturday at noon", "2027-03-13 12:00", "2027-03-13T12:00", NULL },
        { "6:30pm", "* 18:30", NULL, NULL },
        /* neighbours that are no dates or times */
        { "sun damage", "", NULL, NULL },
        { "I sat down", "", NULL, NULL },
        { "wed like botox", "", NULL, NULL },
        { "may I come in", "", NULL, NULL },
        { "20 units", "", NULL, NULL },
        { "good afternoon", "", NULL, NULL },
        { "exp 12/29", "", NULL, NULL },
        { "2/30", "", NULL, NULL },
        { "I'm free afternoons", "* 12:00-17:00", NULL, NULL },
        { "afternoon", "* 12:00-17:00", NULL, NULL },
        { "my name is April Jones", "", NULL, NULL },
        { "this is April", "", NULL, NULL },
        { "hi it's April, can I come in april 1st", "2027-04-01", "2027-04-01T00:00", NULL },
        { "Im June", "", NULL, NULL },
        { "I'm June, call me back", "", NULL, NULL },
        { "call me August", "", NULL, NULL },
        { "is April ok?", "2027-04-01..2027-04-30", NULL, NULL },
        { "sorry I meant April", "2027-04-01..2027-04-30", NULL, NULL },
        { "4 units", "", NULL, NULL },
        { "I'm 4ft 11", "", NULL, NULL },
        { "the 11th", "2027-03-11", "2027-03-11T00:00", NULL },
    };
    CHECK_BOTH("2027-03-09T10:00", NULL, rows);
}

/* Saturday 13 March, 10:00 local: the change is tonight. */
Test(nlu_dst, the_day_before_the_change)
{
    static const struct row rows[] = {
        { "tmrw after 5", "2027-03-14 >=17:00 ?", "2027-03-14T17:00", NULL },
        { "tomorrow", "2027-03-14", "2027-03-14T00:00", "2027-03-15T00:00" },
        { "tomorrow at 10am", "2027-03-14 10:00", "2027-03-14T10:00", NULL },
        { "tomorrow at 1:30am", "2027-03-14 01:30", "2027-03-14T01:30", NULL },
        { "fri afternoon", "2027-03-19 12:00-17:00", "2027-03-19T12:00", "2027-03-19T17:00" },
        { "thursday the 18th", "2027-03-18", "2027-03-18T00:00", NULL },
        { "thursday the 11th", "2027-03-11 past", "2027-03-11T00:00", NULL },
        { "next week tuesday at 10am", "2027-03-16 10:00", "2027-03-16T10:00", NULL },
        { "this weekend", "2027-03-13..2027-03-14", "2027-03-13T00:00", "2027-03-15T00:00" },
        { "today at 9am", "2027-03-13 09:00 past", "2027-03-13T09:00", NULL },
        { "today at 4pm", "2027-03-13 16:00", "2027-03-13T16:00", NULL },
        { "monday at 11am", "2027-03-15 11:00", "2027-03-15T11:00", NULL },
        { "April 1st", "2027-04-01", "2027-04-01T00:00", NULL },
        { "March 12", "2027-03-12 past", "2027-03-12T00:00", NULL },
        { "in 3 days", "2027-03-16", "2027-03-16T00:00", "2027-03-17T00:00" },
        { "wed like botox", "", NULL, NULL },
        { "sun damage", "", NULL, NULL },
    };
    CHECK_BOTH("2027-03-13T10:00", NULL, rows);
}

/* Sunday 14 March, 09:00 local: the first morning of summer time. */
Test(nlu_dst, the_morning_after_the_change)
{
    static const struct row rows[] = {
        { "today", "2027-03-14", "2027-03-14T00:00", "2027-03-15T00:00" },
        { "today at 4pm", "2027-03-14 16:00", "2027-03-14T16:00", NULL },
        { "yesterday", "2027-03-13 past", "2027-03-13T00:00", "2027-03-14T00:00" },
        { "this weekend", "2027-03-14", "2027-03-14T00:00", NULL },
        { "tmrw after 5", "2027-03-15 >=17:00 ?", "2027-03-15T17:00", NULL },
        { "fri afternoon", "2027-03-19 12:00-17:00", "2027-03-19T12:00", NULL },
        { "last friday", "2027-03-12 past", "2027-03-12T00:00", NULL },
        { "last friday at 2pm", "2027-03-12 14:00 past", "2027-03-12T14:00", NULL },
    };
    CHECK_BOTH("2027-03-14T09:00", NULL, rows);
}

/* "6:30" after "evening", in both zones, read on the day of the change. */
Test(nlu_dst, a_time_after_a_part_of_day)
{
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        char now[64], buf[128];
        snprintf(now, sizeof now, "2027-03-13T11:00:00%s", zones[z].winter);
        struct nlu_context note = { 0 };
        struct nlu_result r = understand(*zones[z].cat, now, NULL, "tomorrow evening");
        nlu_context_note(&note, &r);
        cr_assert_eq(note.part, NLU_PART_EVENING, "%s", zones[z].name);
        r = understand(*zones[z].cat, now, &note, "6:30");
        cr_expect_str_eq(whens(&r, buf, sizeof buf), "* 18:30 ? ctx", "%s: got %s", zones[z].name, buf);
        r = understand(*zones[z].cat, now, &note, "6:30am");
        cr_expect_str_eq(whens(&r, buf, sizeof buf), "* 06:30", "%s: got %s", zones[z].name, buf);
        /* without the evening before it, "6:30" is still the afternoon's (no clinic opens at 6:30) */
        r = understand(*zones[z].cat, now, NULL, "6:30");
        cr_expect_str_eq(whens(&r, buf, sizeof buf), "* 18:30 ?", "%s: got %s", zones[z].name, buf);
    }
}
