/*
 * CASL. Lapse dates on the clinic's local calendar (month ends, leap days,
 * a DST change between the consent and its lapse) and the boundary instants
 * on either side of them; the decision for each basis, an opt-out, no
 * consent, non-Canadian tenants and non-commercial kinds; the footer (added
 * once, kept when present, the short form near the limit, refused past it,
 * counted in characters); and the facts read from a real consent ledger,
 * where only what follows the last opt-out counts.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casl.h"
#include "clock.h"
#include "consent.h"
#include "support/testdb.h"

#define TOR "America/Toronto"
#define VAN "America/Vancouver"
#define US1 1LL

static int64_t utc(const char *s)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(s, &us), 0, "%s", s);
    return us;
}

static void expect_lapse(const char *zone, const char *given, int months, const char *want)
{
    int64_t at;
    char a[32], b[32];
    cr_assert_eq(casl_lapse_at(zone, utc(given), months, &at), 0);
    cr_expect_eq(at, utc(want), "%s + %d months in %s: got %s, want %s", given, months, zone,
                 clock_format_utc(at, a), clock_format_utc(utc(want), b));
}

Test(casl, lapse_dates_on_the_local_calendar)
{
    /* Mid-month, EST both ends: local midnight of the anniversary day. */
    expect_lapse(TOR, "2027-01-15T15:00:00Z", 6, "2027-07-15T04:00:00Z"); /* EDT then */
    expect_lapse(TOR, "2027-01-15T15:00:00Z", 24, "2029-01-15T05:00:00Z");
    /* Month end clamps: Aug 31 + 6 months is Feb 28 (29 in a leap year). */
    expect_lapse(TOR, "2027-08-31T16:00:00Z", 6, "2028-02-29T05:00:00Z");
    expect_lapse(TOR, "2026-08-31T16:00:00Z", 6, "2027-02-28T05:00:00Z");
    /* A purchase on a leap day lapses on Feb 28 two years later. */
    expect_lapse(VAN, "2028-02-29T20:00:00Z", 24, "2030-02-28T08:00:00Z");
    /* The local date decides, not the UTC one: 23:30 in Vancouver on
     * Jan 31 is Feb 1 in UTC; the lapse is local Jul 31. */
    expect_lapse(VAN, "2027-02-01T07:30:00Z", 6, "2027-07-31T07:00:00Z");
    /* Across the year end. */
    expect_lapse(TOR, "2027-11-20T14:00:00Z", 6, "2028-05-20T04:00:00Z");
    int64_t at;
    cr_expect_eq(casl_lapse_at("Mars/Olympus", 0, 6, &at), CASL_E_TZ);
    cr_expect_eq(casl_lapse_at(TOR, 0, -1, &at), CASL_E_INVAL);
}

static struct casl_decision decide(const struct casl_facts *f, const char *now)
{
    struct casl_decision d;
    cr_assert_eq(casl_decide("CA", TOR, true, f, utc(now), &d), 0);
    cr_assert(d.needs_footer);
    return d;
}

Test(casl, implied_consent_boundaries)
{
    /* Inquiry at 10:00 local on 2027-01-15: good through 2027-07-14. */
    struct casl_facts inq = { .inquiry_us = utc("2027-01-15T15:00:00Z") };
    struct casl_decision d = decide(&inq, "2027-07-15T03:59:59.999999Z"); /* 23:59:59 Jul 14 */
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_INQUIRY);
    cr_expect_eq(d.lapses_us, utc("2027-07-15T04:00:00Z"));
    d = decide(&inq, "2027-07-15T04:00:00Z");
    cr_expect_not(d.allowed, "lapsed at local midnight of the anniversary");
    cr_expect_eq(d.reason, CASL_NO_LAPSED);
    cr_expect_eq(d.lapses_us, 0);
    d = decide(&inq, "2027-01-15T15:00:00Z");
    cr_expect(d.allowed, "from the moment of the inquiry");

    /* Purchase: two years. */
    struct casl_facts buy = { .purchase_us = utc("2027-03-10T17:00:00Z") };
    d = decide(&buy, "2029-03-10T04:59:59Z");
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_PURCHASE);
    d = decide(&buy, "2029-03-10T05:00:00Z");
    cr_expect_not(d.allowed);
    cr_expect_eq(d.reason, CASL_NO_LAPSED);

    /* Both: the one lasting longer is relied on, whichever came first. */
    struct casl_facts both = { .inquiry_us = utc("2028-12-01T15:00:00Z"),
                               .purchase_us = utc("2027-03-10T17:00:00Z") };
    d = decide(&both, "2029-04-01T12:00:00Z");
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_INQUIRY, "the purchase lapsed, the newer inquiry did not");
    d = decide(&both, "2028-12-02T12:00:00Z");
    cr_expect_eq(d.reason, CASL_OK_INQUIRY, "the inquiry lasts to 2029-06-01, past the purchase");
    cr_expect_eq(d.lapses_us, utc("2029-06-01T04:00:00Z"));
    struct casl_facts both2 = { .inquiry_us = utc("2027-04-01T15:00:00Z"),
                                .purchase_us = utc("2027-03-10T17:00:00Z") };
    d = decide(&both2, "2027-05-01T12:00:00Z");
    cr_expect_eq(d.reason, CASL_OK_PURCHASE);

    /* Express never lapses; an opt-out beats everything. */
    struct casl_facts ex = { .express_us = utc("2020-01-01T00:00:00Z") };
    d = decide(&ex, "2035-01-01T00:00:00Z");
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_EXPRESS);
    cr_expect_eq(d.lapses_us, 0);
    ex.opted_out = true;
    d = decide(&ex, "2027-01-01T00:00:00Z");
    cr_expect_not(d.allowed);
    cr_expect_eq(d.reason, CASL_NO_OPTED_OUT);

    struct casl_facts none = { 0 };
    d = decide(&none, "2027-01-01T00:00:00Z");
    cr_expect_not(d.allowed);
    cr_expect_eq(d.reason, CASL_NO_CONSENT);
    cr_expect_str_eq(casl_reason_name(d.reason), "no_consent");
}

Test(casl, only_canadian_commercial_messages_are_judged)
{
    struct casl_facts none = { 0 };
    struct casl_decision d;
    int64_t now = utc("2027-06-01T12:00:00Z");
    cr_assert_eq(casl_decide("US", "America/New_York", true, &none, now, &d), 0);
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_NOT_CA);
    cr_expect_not(d.needs_footer);
    cr_assert_eq(casl_decide("CA", TOR, false, &none, now, &d), 0);
    cr_expect(d.allowed);
    cr_expect_eq(d.reason, CASL_OK_NOT_COMMERCIAL);
    cr_expect_not(d.needs_footer);
    cr_assert_eq(casl_decide("CA", "Nowhere/Zone", true, &none, now, &d), CASL_E_TZ);
    cr_assert_eq(casl_decide(NULL, TOR, true, &none, now, &d), CASL_E_INVAL);

    cr_expect(casl_kind_commercial("proactive"));
    cr_expect_not(casl_kind_commercial("notice"), "a booking reminder");
    cr_expect_not(casl_kind_commercial("reply"));
    cr_expect_not(casl_kind_commercial("textback"));
    cr_expect_not(casl_kind_commercial("optout_confirmation"));
    cr_expect_not(casl_kind_commercial(NULL));
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

Test(casl, footer)
{
    char out[2048];
    bool added;
    cr_assert_eq(casl_footer_apply("Spring special: 20% off HydraFacial this week!  ",
                                   "Glow Med Spa", out, sizeof out, &added), 0);
    cr_expect(added);
    cr_expect_str_eq(out, "Spring special: 20% off HydraFacial this week! - Glow Med Spa. "
                          "Reply STOP to unsubscribe.");
    cr_expect(casl_footer_present(out, "Glow Med Spa"));

    /* Applying twice adds nothing. */
    char again[2048];
    cr_assert_eq(casl_footer_apply(out, "Glow Med Spa", again, sizeof again, &added), 0);
    cr_expect_not(added);
    cr_expect_str_eq(again, out);

    /* Both parts must be present: the name alone or STOP alone is not enough. */
    cr_assert_eq(casl_footer_apply("glow med spa misses you!", "Glow Med Spa", out, sizeof out,
                                   &added), 0);
    cr_expect(added);
    cr_assert_eq(casl_footer_apply("Reply STOP to opt out. 10% off Botox", "Glow Med Spa", out,
                                   sizeof out, &added), 0);
    cr_expect(added);
    /* "nonstop" and "stopped" are not the word STOP. */
    cr_expect_not(casl_footer_present("Glow Med Spa: nonstop deals", "Glow Med Spa"));
    cr_expect_not(casl_footer_present("Glow Med Spa stopped by", "Glow Med Spa"));
    cr_expect(casl_footer_present("Glow Med Spa. Text stop to end", "glow med spa"));

    /* Near the limit the short form is used; past it nothing is cut. */
    const char *name = "Glow Med Spa";
    const char *long_form = " - Glow Med Spa. Reply STOP to unsubscribe.";
    const char *short_form = " Glow Med Spa: STOP to opt out";
    char body[1024];
    size_t room_long = CASL_MAX_CHARS - strlen(long_form);
    memset(body, 'a', room_long);
    body[room_long] = '\0';
    cr_assert_eq(casl_footer_apply(body, name, out, sizeof out, &added), 0);
    cr_expect_eq(chars(out), CASL_MAX_CHARS);
    cr_expect(strstr(out, "Reply STOP to unsubscribe.") != NULL);
    body[room_long] = 'a';
    body[room_long + 1] = '\0';
    cr_assert_eq(casl_footer_apply(body, name, out, sizeof out, &added), 0);
    cr_expect(strstr(out, short_form) != NULL, "%s", out);
    cr_expect_leq(chars(out), CASL_MAX_CHARS);
    size_t room_short = CASL_MAX_CHARS - strlen(short_form);
    memset(body, 'a', room_short + 1);
    body[room_short + 1] = '\0';
    cr_expect_eq(casl_footer_apply(body, name, out, sizeof out, &added), CASL_E_TOOLONG);
    cr_expect_not(added);
    cr_expect_str_eq(out, "");

    /* Characters, not bytes: 437 "é" (874 bytes) and the long footer fit. */
    size_t o = 0;
    for (int i = 0; i < 437; i++) {
        body[o++] = (char)0xC3;
        body[o++] = (char)0xA9;
    }
    body[o] = '\0';
    cr_assert_eq(casl_footer_apply(body, name, out, sizeof out, &added), 0);
    cr_expect(strstr(out, long_form) != NULL);
    cr_expect_eq(chars(out), 437 + strlen(long_form));

    /* A text that has both parts but is too long is refused, not cut. */
    memset(body, 'b', 600);
    memcpy(body, "Glow Med Spa STOP ", 18);
    body[600] = '\0';
    cr_expect_eq(casl_footer_apply(body, name, out, sizeof out, &added), CASL_E_TOOLONG);
    cr_expect_eq(casl_footer_apply("hi", name, out, 10, &added), CASL_E_INVAL, "small buffer");
    cr_expect_eq(casl_footer_apply("hi", "", out, sizeof out, &added), CASL_E_INVAL);
}

/* ---- facts from a real ledger ------------------------------------------- */

static char *conninfo;

static void db_setup(void) { conninfo = testdb_create(); }
static void db_teardown(void)
{
    testdb_drop(conninfo);
    free(conninfo);
}

static struct consent_entry ce(int source, int scope, int basis, const char *at)
{
    return (struct consent_entry){ .tenant_id = "maple", .contact = "+14165550134",
                                   .source = source, .scope = scope, .basis = basis,
                                   .channel = "sms", .at_us = utc(at) };
}

Test(casl, facts_from_the_ledger, .init = db_setup, .fini = db_teardown, .timeout = 60)
{
    struct db_conn conn = { .pg = testdb_connect(conninfo) };
    struct db_conn *c = &conn;
    struct casl_facts f;
    cr_assert_eq(casl_facts_load(c, "maple", "+14165550134", &f), 0);
    cr_expect(!f.opted_out && !f.express_us && !f.inquiry_us && !f.purchase_us);

    struct consent_entry e = ce(CONSENT_SRC_INBOUND_TEXT, CONSENT_SCOPE_CONVERSATIONAL, 0,
                                "2027-01-10T15:00:00Z");
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    e = ce(CONSENT_SRC_INBOUND_CALL, CONSENT_SCOPE_CONVERSATIONAL, 0, "2027-02-10T15:00:00Z");
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    e = ce(CONSENT_SRC_STAFF, CONSENT_SCOPE_ALL, CONSENT_BASIS_IMPLIED_PURCHASE,
           "2027-02-11T15:00:00Z");
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    /* Express consent to conversational messages only is not consent to marketing. */
    e = ce(CONSENT_SRC_WEB_FORM, CONSENT_SCOPE_CONVERSATIONAL, CONSENT_BASIS_EXPRESS,
           "2027-02-12T15:00:00Z");
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    /* Another tenant's consent does not count. */
    e = ce(CONSENT_SRC_WEB_FORM, CONSENT_SCOPE_MARKETING, CONSENT_BASIS_EXPRESS,
           "2027-02-12T15:00:00Z");
    e.tenant_id = "other";
    cr_assert_eq(consent_record(c, &e, NULL), 0);

    cr_assert_eq(casl_facts_load(c, "maple", "+14165550134", &f), 0);
    cr_expect_not(f.opted_out);
    cr_expect_eq(f.express_us, 0);
    cr_expect_eq(f.inquiry_us, utc("2027-02-10T15:00:00Z"), "the latest inquiry");
    cr_expect_eq(f.purchase_us, utc("2027-02-11T15:00:00Z"));

    struct casl_decision d;
    cr_assert_eq(casl_decide("CA", "America/Toronto", true, &f, utc("2028-06-01T12:00:00Z"), &d), 0);
    cr_expect_eq(d.reason, CASL_OK_PURCHASE);

    /* An opt-out wipes the slate: earlier consents no longer count. */
    e = ce(CONSENT_SRC_INBOUND_TEXT, CONSENT_SCOPE_ALL, 0, "2027-03-01T15:00:00Z");
    e.message = "STOP";
    cr_assert_eq(consent_opt_out(c, &e, NULL, NULL), 0);
    cr_assert_eq(casl_facts_load(c, "maple", "+14165550134", &f), 0);
    cr_expect(f.opted_out);
    cr_expect(!f.express_us && !f.inquiry_us && !f.purchase_us);
    cr_assert_eq(casl_decide("CA", "America/Toronto", true, &f, utc("2027-03-02T12:00:00Z"), &d), 0);
    cr_expect_eq(d.reason, CASL_NO_OPTED_OUT);

    /* Texting again does not undo it; START does, and is express consent. */
    e = ce(CONSENT_SRC_INBOUND_TEXT, CONSENT_SCOPE_CONVERSATIONAL, 0, "2027-03-05T15:00:00Z");
    cr_assert_eq(consent_record(c, &e, NULL), 0);
    cr_assert_eq(casl_facts_load(c, "maple", "+14165550134", &f), 0);
    cr_expect(f.opted_out);
    cr_expect_eq(f.inquiry_us, utc("2027-03-05T15:00:00Z"));
    e = ce(CONSENT_SRC_INBOUND_TEXT, CONSENT_SCOPE_ALL, 0, "2027-03-06T15:00:00Z");
    e.message = "START";
    cr_assert_eq(consent_opt_in(c, &e, NULL, NULL), 0);
    cr_assert_eq(casl_facts_load(c, "maple", "+14165550134", &f), 0);
    cr_expect_not(f.opted_out);
    cr_expect_eq(f.express_us, utc("2027-03-06T15:00:00Z"));
    cr_assert_eq(casl_decide("CA", "America/Toronto", true, &f, utc("2031-01-01T00:00:00Z"), &d), 0);
    cr_expect_eq(d.reason, CASL_OK_EXPRESS);
    PQfinish(conn.pg);
}
