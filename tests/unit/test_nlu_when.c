/*
 * Understanding: dates and times in the clinic's zone relative to now. Each
 * phrase of issue 9 and its neighbours; am/pm read from the clinic's hours
 * and from the part of day named earlier; past dates; cues that make a bare
 * number a time and the ones that do not (units, prices, card numbers);
 * reschedule roles; and the 2027 DST changes in Los Angeles and New York.
 */
#include "test_nlu_fixture.h"

TestSuite(nlu_when, .init = fixture_setup, .fini = fixture_teardown);

/* Tuesday 2 March 2027, 20:15 in Los Angeles. */
#define TUE "2027-03-02T20:15:00-08:00"

struct w {
    const char *text;
    const char *expect;
};

static void check_at(const struct nlu_catalog *cat, const char *now, const struct nlu_context *ctx,
                     const struct w *cases, size_t n)
{
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        struct nlu_result r = understand(cat, now, ctx, cases[i].text);
        whens(&r, buf, sizeof buf);
        cr_expect_str_eq(buf, cases[i].expect, "\"%s\" at %s: got \"%s\"", cases[i].text, now, buf);
    }
}

#define CHECK(cat, now, ctx, cases) check_at(cat, now, ctx, cases, sizeof cases / sizeof cases[0])

Test(nlu_when, relative_days_and_parts_of_day)
{
    static const struct w cases[] = {
        { "tmrw after 5", "2027-03-03 >=17:00 ?" },
        { "tomorrow after 5pm", "2027-03-03 >=17:00" },
        { "tomorrow", "2027-03-03" },
        { "tomorow", "2027-03-03" },
        { "2moro", "2027-03-03" },
        { "today", "2027-03-02" },
        { "tonight", "2027-03-02 17:00-24:00" },
        { "tonite", "2027-03-02 17:00-24:00" },
        { "the day after tomorrow", "2027-03-04" },
        { "in the morning", "* 06:00-12:00" },
        { "tomorrow in the morning", "2027-03-03 06:00-12:00" },
        { "tomorrow morning", "2027-03-03 06:00-12:00" },
        { "late morning", "* 10:00-12:00" },
        { "early afternoon", "* 12:00-14:00" },
        { "late afternoon", "* 15:00-17:00" },
        { "fri afternoon", "2027-03-05 12:00-17:00" },
        { "friday evening", "2027-03-05 17:00-21:00" },
        { "after work", "* >=17:00" },
        { "before work", "* <09:00" },
        { "after lunch", "* >=13:00" },
        { "lunchtime", "* 11:30-13:30" },
        { "noon", "* 12:00" },
        { "midday", "* 12:00" },
        { "12 noon", "* 12:00" },
        { "saturday at noon", "2027-03-06 12:00" },
        { "thursday evening after work", "2027-03-04 17:00-21:00" },
        { "this afternoon", "2027-03-02 12:00-17:00 past" },
        { "first thing in the morning", "* 06:00-12:00" },
        { "good morning", "" },
        { "good afternoon, do you have botox", "" },
    };
    CHECK(glow, TUE, NULL, cases);
}

Test(nlu_when, weekdays)
{
    static const struct w cases[] = {
        { "friday", "2027-03-05" },
        { "fri", "2027-03-05" },
        { "Friday 3:30", "2027-03-05 15:30 ?" },
        { "friday at 3:30pm", "2027-03-05 15:30" },
        { "thurs", "2027-03-04" },
        { "thrusday", "2027-03-04" },
        { "wendsday", "2027-03-03" },
        { "wed at 12", "2027-03-03 12:00 ?" },
        { "Sat 9", "2027-03-06 09:00 ?" },
        { "sat 9am", "2027-03-06 09:00" },
        { "Sat?", "2027-03-06" },
        { "on sat", "2027-03-06" },
        { "this friday", "2027-03-05" },
        { "next friday", "2027-03-12 !" },
        { "friday after next", "2027-03-12" },
        { "tuesday", "2027-03-09 !" },
        { "this tuesday", "2027-03-02" },
        { "last Monday", "2027-03-01 past" },
        { "last friday", "2027-02-26 past" },
        { "next week tuesday at 10am", "2027-03-09 10:00" },
        { "tuesday next week", "2027-03-09" },
        { "next week on thursday", "2027-03-11" },
        { "thursday the 11th", "2027-03-11" },
        { "friday the 11th", "2027-03-11 mismatch" },
        { "Wednesday March 17 at 10am", "2027-03-17 10:00" },
        { "friday, march 5", "2027-03-05" },
        { "friday or saturday at 10", "2027-03-05 10:00 ? | 2027-03-06 10:00 ?" },
        { "friday at 2 or saturday morning", "2027-03-05 14:00 ? | 2027-03-06 06:00-12:00" },
        { "tuesdays", "2027-03-02..2027-05-30 wd=0x04" },
        { "any thursday", "2027-03-02..2027-05-30 wd=0x10" },
        { "weekends", "2027-03-02..2027-05-30 wd=0x41" },
        { "weekdays", "2027-03-02..2027-05-30 wd=0x3e" },
        /* words that only look like weekdays */
        { "I sat down", "" },
        { "sun damage", "" },
        { "wed like botox", "" },
    };
    CHECK(glow, TUE, NULL, cases);
}

Test(nlu_when, weeks_months_and_calendar_dates)
{
    static const struct w cases[] = {
        { "this weekend", "2027-03-06..2027-03-07" },
        { "the weekend", "2027-03-06..2027-03-07" },
        { "next weekend", "2027-03-13..2027-03-14 !" },
        { "next week", "2027-03-08..2027-03-14" },
        { "this week", "2027-03-02..2027-03-07" },
        { "later this week", "2027-03-04..2027-03-07" },
        { "early next week", "2027-03-08..2027-03-10" },
        { "end of next week", "2027-03-11..2027-03-14" },
        { "in 2 weeks", "2027-03-15..2027-03-21 ~" },
        { "in two weeks", "2027-03-15..2027-03-21 ~" },
        { "a couple of weeks from now", "2027-03-15..2027-03-21 ~" },
        { "in 3 days", "2027-03-05" },
        { "end of the month", "2027-03-25..2027-03-31" },
        { "next month", "2027-04-01..2027-04-30" },
        { "in April", "2027-04-01..2027-04-30" },
        { "late april", "2027-04-21..2027-04-30" },
        { "sorry, I meant April", "2027-04-01..2027-04-30" },
        { "April 1st", "2027-04-01" },
        { "april 1", "2027-04-01" },
        { "1st of April", "2027-04-01" },
        { "the first of april", "2027-04-01" },
        { "April the 1st at 10am", "2027-04-01 10:00" },
        { "march 17th, 2027", "2027-03-17" },
        { "3/15", "2027-03-15" },
        { "3/15/2028", "2028-03-15" },
        { "3/15/28", "2028-03-15" },
        { "on the 15th", "2027-03-15" },
        { "the 1st", "2027-04-01" },
        { "in may", "2027-05-01..2027-05-31" },
        { "2/30", "" },
        { "may I come in", "" },
        { "exp 12/29", "" },
    };
    CHECK(glow, TUE, NULL, cases);
}

Test(nlu_when, past_dates_are_flagged_not_moved)
{
    static const struct w cases[] = {
        { "March 1", "2027-03-01 past" },
        { "march 2", "2027-03-02" },
        { "yesterday", "2027-03-01 past" },
        { "Feb 28", "2027-02-28 past" },
        { "2/14", "2027-02-14 past" },
        { "last week", "2027-02-22..2027-02-28 past" },
        { "last month", "2027-02-01..2027-02-28 past" },
        { "2 weeks ago", "2027-02-13..2027-02-19 ~ past" },
        { "3 days ago", "2027-02-27 past" },
        /* far enough back, a date without a year is next year's */
        { "December 20", "2027-12-20" },
        { "january 10th", "2027-01-10 past" },
        { "november 3rd", "2027-11-03" },
        /* a year written is kept */
        { "March 1 2027", "2027-03-01 past" },
        /* a time earlier today has passed */
        { "at 10 today", "2027-03-02 10:00 ? past" },
        { "today at 8pm", "2027-03-02 20:00 past" },
        { "today at 9pm", "2027-03-02 21:00" },
    };
    CHECK(glow, TUE, NULL, cases);
    /* the eval case: "march 1?" when now is 3 March */
    struct nlu_result r = understand(glow, "2027-03-03T10:00:00-08:00", NULL, "can I book botox for march 1?");
    cr_assert_eq(r.when.n, 1);
    cr_assert(r.when.item[0].flags & NLU_W_PAST);
    r = understand(glow, "2027-03-03T10:00:00-08:00", NULL, "sorry, I meant April 1st at 10am");
    cr_assert_not(r.when.item[0].flags & NLU_W_PAST);
}

Test(nlu_when, clock_times_and_modifiers)
{
    static const struct w cases[] = {
        { "4ish", "* 16:00 ~ ?" },
        { "4 ish", "* 16:00 ~ ?" },
        { "4-ish", "* 16:00 ~ ?" },
        { "around 4", "* 16:00 ~ ?" },
        { "around 1pm", "* 13:00 ~" },
        { "about 2", "* 14:00 ~ ?" },
        { "what about 4?", "* 16:00 ?" },
        { "how about 11", "* 11:00 ?" },
        { "~3pm", "* 15:00 ~" },
        { "@4", "* 16:00 ?" },
        { "at 4", "* 16:00 ?" },
        { "6:30", "* 18:30 ?" },
        { "at 10:30am", "* 10:30" },
        { "at 930am", "* 09:30" },
        { "9:30 a.m.", "* 09:30" },
        { "10 a.m.", "* 10:00" },
        { "3.30pm", "* 15:30" },
        { "at 14:00", "* 14:00" },
        { "at two", "* 14:00 ?" },
        { "at two thirty", "* 14:30 ?" },
        { "half past three", "* 15:30 ?" },
        { "quarter past 4", "* 16:15 ?" },
        { "quarter to 5", "* 16:45 ?" },
        { "3 oclock", "* 15:00 ?" },
        { "3 o'clock", "* 15:00 ?" },
        { "2pm or later", "* >=14:00" },
        { "2pm or after", "* >=14:00" },
        { "3 or later", "* >=15:00 ?" },
        { "after 5", "* >=17:00 ?" },
        { "anytime after 3", "* >=15:00 ?" },
        { "no earlier than 11", "* >=11:00 ?" },
        { "before 11", "* <11:00 ?" },
        { "by 3", "* <15:00 ?" },
        { "no later than 3pm", "* <15:00" },
        { "5 at the latest", "* <17:00 ?" },
        { "between 2 and 4", "* 14:00-16:00 ?" },
        { "2-4pm", "* 14:00-16:00 ?" },
        { "2 - 4", "* 14:00-16:00 ?" },
        { "10-2", "* 10:00-14:00 ?" },
        { "from 10 to 12", "* 10:00-12:00 ?" },
        { "10am-1pm", "* 10:00-13:00" },
        { "11 works", "* 11:00 ?" },
        { "10 works", "* 10:00 ?" },
        { "1pm then", "* 13:00" },
        { "ok 4:30 then", "* 16:30 ?" },
        { "3", "* 15:00 ?" },
        { "9?", "* 09:00 ?" },
        { "saturday morning at 10", "2027-03-06 10:00 ?" },
        { "tomorrow afternoon at 3", "2027-03-03 15:00 ?" },
        { "3pm tmrw", "2027-03-03 15:00" },
    };
    CHECK(glow, TUE, NULL, cases);
}

Test(nlu_when, numbers_that_are_no_times)
{
    static const struct w cases[] = {
        { "I'm 12 weeks along", "" },
        { "20 units", "" },
        { "about 20 units", "" },
        { "2 syringes", "" },
        { "$400", "" },
        { "$12 a unit is kind of a lot", "" },
        { "for 2 people", "" },
        { "I have 3 kids", "" },
        { "2.5 units", "" },
        { "option 2", "" },
        { "#2", "" },
        { "card 4111 1111 1111 1111 exp 12/29 cvv 123", "" },
        { "call me at 415 555 0101", "" },
        { "I'm 34 years old", "" },
        { "botox for 3 areas", "" },
        { "in 2 minutes", "" },
        { "I want 2", "" },
    };
    CHECK(glow, TUE, NULL, cases);
}

Test(nlu_when, order_words)
{
    struct {
        const char *text;
        uint8_t order;
    } cases[] = {
        { "earliest", NLU_ORDER_EARLIEST },
        { "what's your soonest botox appointment?", NLU_ORDER_EARLIEST },
        { "asap", NLU_ORDER_EARLIEST },
        { "as soon as possible", NLU_ORDER_EARLIEST },
        { "first available", NLU_ORDER_EARLIEST },
        { "next available appointment", NLU_ORDER_EARLIEST },
        { "first thing in the morning", NLU_ORDER_EARLIEST },
        { "the latest you have", NLU_ORDER_LATEST },
        { "last appointment of the day", NLU_ORDER_LATEST },
        { "as late as possible", NLU_ORDER_LATEST },
        { "by 5 at the latest", NLU_ORDER_NONE },
        { "friday", NLU_ORDER_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nlu_result r = understand(glow, TUE, NULL, cases[i].text);
        cr_expect_eq(r.when.order, cases[i].order, "order of \"%s\"", cases[i].text);
    }
    struct nlu_result r = understand(glow, TUE, NULL, "are you open right now?");
    cr_assert(r.when.flags & NLU_WHEN_NOW);
    r = understand(glow, TUE, NULL, "whenever works, I'm flexible");
    cr_assert(r.when.flags & NLU_WHEN_ANY);
}

Test(nlu_when, am_pm_from_hours_and_ambiguity)
{
    /* Glow opens at 9: "8:30" is morning by habit; with "evening" named
     * earlier it is 20:30, with "morning" 08:30 again */
    struct nlu_context eve = { .part = NLU_PART_EVENING }, morn = { .part = NLU_PART_MORNING };
    static const struct w plain[] = { { "8:30", "* 08:30 ?" }, { "6:30", "* 18:30 ?" } };
    static const struct w evening[] = { { "8:30", "* 20:30 ? ctx" }, { "6:30", "* 18:30 ? ctx" },
                                        { "6:30pm", "* 18:30" } };
    static const struct w morning[] = { { "8:30", "* 08:30 ? ctx" }, { "11", "* 11:00 ? ctx" } };
    CHECK(glow, TUE, NULL, plain);
    CHECK(glow, TUE, &eve, evening);
    CHECK(glow, TUE, &morn, morning);

    /* open 07:00-21:00 every day: "7" could be either */
    int err;
    struct nlu_catalog *wide = nlu_catalog_new("America/Chicago", &err);
    cr_assert_not_null(wide);
    for (int d = 0; d < 7; d++)
        nlu_catalog_set_hours(wide, d, 420, 1260);
    static const struct w amb[] = { { "at 7", "* 07:00 ? !" }, { "at 3", "* 15:00 ?" },
                                     { "at 7pm", "* 19:00" }, { "at 7 in the evening", "* 19:00 ?" } };
    CHECK(wide, "2027-03-02T12:00:00-06:00", NULL, amb);
    /* with no hours at all: 7-11 are morning, 12-6 afternoon */
    struct nlu_catalog *none = nlu_catalog_new("America/Chicago", &err);
    static const struct w bare[] = { { "at 7", "* 07:00 ?" }, { "at 6", "* 18:00 ?" },
                                     { "at 12", "* 12:00 ?" } };
    CHECK(none, "2027-03-02T12:00:00-06:00", NULL, bare);
    nlu_catalog_free(wide);
    nlu_catalog_free(none);
    /* the day's own hours decide: Thursday is open until 8 pm */
    static const struct w thu[] = { { "thursday at 7", "2027-03-04 19:00 ?" },
                                    { "friday at 7", "2027-03-05 07:00 ?" } };
    CHECK(glow, TUE, NULL, thu);
}

Test(nlu_when, context_dates)
{
    /* "next week" earlier: "Tuesday" is next week's */
    struct nlu_context next_week = { .day_from = nlu_days_from_civil(2027, 3, 8),
                                      .day_to = nlu_days_from_civil(2027, 3, 14) };
    static const struct w in_range[] = { { "Tuesday at 10am", "2027-03-09 10:00 ctx" },
                                         { "thursday", "2027-03-11 ctx" } };
    CHECK(glow, "2027-03-02T11:00:00-08:00", &next_week, in_range);
    static const struct w alone[] = { { "Tuesday at 10am", "2027-03-09 10:00 !" } };
    CHECK(glow, "2027-03-02T11:00:00-08:00", NULL, alone);
    /* a weekday outside the earlier range is simply the next one */
    struct nlu_context fri = { .day_from = nlu_days_from_civil(2027, 3, 12),
                               .day_to = nlu_days_from_civil(2027, 3, 12) };
    static const struct w other[] = { { "ok thursday at 5 then", "2027-03-11 17:00 ?" } };
    CHECK(glow, "2027-03-08T10:00:00-08:00", &fri, other);
    /* offered slots: "the 2nd" is a choice, not a date */
    struct nlu_context offers = { .offered = 3 };
    static const struct w pick[] = { { "the 2nd", "" }, { "on the 2nd", "2027-04-02" } };
    CHECK(glow, "2027-03-03T10:00:00-08:00", &offers, pick);

    struct nlu_context note = { 0 };
    struct nlu_result r = understand(glow, TUE, NULL, "thursday evening after work");
    nlu_context_note(&note, &r);
    cr_assert_eq(note.part, NLU_PART_EVENING);
    cr_assert_eq(note.day_from, nlu_days_from_civil(2027, 3, 4));
    r = understand(glow, TUE, &note, "6:30");
    char buf[128];
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "* 18:30 ? ctx");
}

Test(nlu_when, reschedule_and_cancel_roles)
{
    static const struct w cases[] = {
        { "Hi, I need to move my lip filler on Friday to Saturday morning if possible",
          "2027-03-05 from | 2027-03-06 06:00-12:00 to" },
        { "I need to cancel my appointment on Friday", "2027-03-05 from" },
        { "can we push it to next week?", "2027-03-08..2027-03-14 to" },
        { "can I reschedule for thursday at 2", "2027-03-04 14:00 ? to" },
        { "Can my appointment be moved from Thursday to Friday?", "2027-03-04 from | 2027-03-05 to" },
        { "botox friday at 2", "2027-03-05 14:00 ?" },
    };
    CHECK(glow, "2027-03-02T15:00:00-08:00", NULL, cases);
}

Test(nlu_when, spring_forward_los_angeles)
{
    /* Saturday 13 March, 20:00 PST; clocks go to PDT at 02:00 on the 14th */
    const char *sat = "2027-03-13T20:00:00-08:00";
    struct nlu_result r = understand(glow, sat, NULL, "tomorrow at 10am");
    cr_assert_eq(r.when.n, 1);
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T10:00:00-07:00"));
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T17:00:00Z"));
    r = understand(glow, sat, NULL, "tomorrow");
    cr_assert_eq(r.when.item[0].to_us - r.when.item[0].from_us, INT64_C(23) * 3600 * 1000000, "a 23-hour day");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T00:00:00-08:00"));
    r = understand(glow, sat, NULL, "tomorrow at 2:30am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T03:00:00-07:00"), "a time in the gap is the gap's end");
    r = understand(glow, sat, NULL, "this weekend");
    cr_assert_eq(r.when.item[0].to_us - r.when.item[0].from_us, INT64_C(47) * 3600 * 1000000);
    r = understand(glow, sat, NULL, "today at 10am");
    cr_assert(r.when.item[0].flags & NLU_W_PAST);
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-13T18:00:00Z"));

    /* the same wall time either side of the change */
    const char *wed = "2027-03-10T12:00:00-08:00";
    r = understand(glow, wed, NULL, "friday at 9am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-12T17:00:00Z"));
    r = understand(glow, wed, NULL, "next week tuesday at 10am");
    char buf[128];
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-16 10:00");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-16T17:00:00Z"));
    r = understand(glow, "2027-03-09T19:00:00-08:00", NULL, "I'd like a hydrafacial on Wednesday March 17 at 10am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-17T17:00:00Z"));

    /* just before midnight PST, "tomorrow" is the 14th */
    r = understand(glow, "2027-03-14T07:30:00Z", NULL, "tomorrow");
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-14");
    r = understand(glow, "2027-03-14T07:30:00Z", NULL, "today");
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-13");
}

Test(nlu_when, spring_forward_new_york)
{
    /* the same instant as above is already 03:30 EDT on the 14th in New York */
    char buf[128];
    struct nlu_result r = understand(nyc, "2027-03-14T07:30:00Z", NULL, "tomorrow");
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-15");
    r = understand(nyc, "2027-03-14T07:30:00Z", NULL, "today at 10am");
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-14 10:00");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T14:00:00Z"));

    const char *sat = "2027-03-13T20:00:00-05:00";
    r = understand(nyc, sat, NULL, "tomorrow at 10am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T10:00:00-04:00"));
    r = understand(nyc, sat, NULL, "tomorrow at 2:30am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-14T07:00:00Z"));
    r = understand(nyc, sat, NULL, "tomorrow");
    cr_assert_eq(r.when.item[0].to_us - r.when.item[0].from_us, INT64_C(23) * 3600 * 1000000);
    r = understand(nyc, sat, NULL, "monday at 11");
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-03-15 11:00 ?");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-15T15:00:00Z"));
    r = understand(nyc, "2027-03-12T09:00:00-05:00", NULL, "today at 2pm");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-12T19:00:00Z"), "before the change");
    r = understand(nyc, "2027-03-12T09:00:00-05:00", NULL, "next week");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-15T04:00:00Z"));
}

Test(nlu_when, fall_back_both_zones)
{
    /* 7 November 2027: 01:00-02:00 happens twice */
    struct nlu_result r = understand(glow, "2027-11-06T12:00:00-07:00", NULL, "tomorrow");
    cr_assert_eq(r.when.item[0].to_us - r.when.item[0].from_us, INT64_C(25) * 3600 * 1000000);
    r = understand(glow, "2027-11-06T12:00:00-07:00", NULL, "tomorrow at 1:30am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-11-07T01:30:00-07:00"), "the first of the two");
    r = understand(nyc, "2027-11-06T12:00:00-04:00", NULL, "tomorrow at 1:30am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-11-07T01:30:00-04:00"));
    r = understand(nyc, "2027-11-06T12:00:00-04:00", NULL, "monday at 10am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-11-08T15:00:00Z"));
}

Test(nlu_when, day_arithmetic)
{
    int y, m, d;
    cr_assert_eq(nlu_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(nlu_weekday(0), 4);
    int32_t x = nlu_days_from_civil(2027, 3, 14);
    cr_assert_eq(nlu_weekday(x), 0);
    nlu_civil_from_days(x, &y, &m, &d);
    cr_assert(y == 2027 && m == 3 && d == 14);
    nlu_civil_from_days(nlu_days_from_civil(2028, 2, 29) + 1, &y, &m, &d);
    cr_assert(y == 2028 && m == 3 && d == 1);
    nlu_civil_from_days(-1, &y, &m, &d);
    cr_assert(y == 1969 && m == 12 && d == 31);
    char buf[64];
    struct nlu_when_item it = { .day_from = x, .day_to = x, .time_kind = NLU_TIME_BEFORE, .min_to = 720,
                                .flags = NLU_W_APPROX | NLU_W_PAST, .role = NLU_ROLE_TO };
    cr_assert_str_eq(nlu_when_format(&it, buf, sizeof buf), "2027-03-14 <12:00 ~ past to");
}
