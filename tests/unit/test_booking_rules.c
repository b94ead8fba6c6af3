/*
 * The booking writer's and the reconciliation job's rules without a
 * database or an EMR: the retry backoff (30 s doubling to 5 min, so a
 * 10-minute outage is retried a handful of times and the first attempt after
 * recovery comes within five minutes), the rewrite idempotency keys, the
 * verdict on a booking from the EMR's appointment list, and the wording's
 * local times across a DST change.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "booking.h"
#include "booking_notify.h"
#include "booking_reconcile.h"
#include "clock.h"
#include "knowledge.h"

#define S (INT64_C(1000000))

Test(booking_rules, retry_delay_doubles_up_to_five_minutes)
{
    cr_expect_eq(booking_retry_delay_us(1), 30 * S);
    cr_expect_eq(booking_retry_delay_us(2), 60 * S);
    cr_expect_eq(booking_retry_delay_us(3), 120 * S);
    cr_expect_eq(booking_retry_delay_us(4), 240 * S);
    cr_expect_eq(booking_retry_delay_us(5), 300 * S);
    cr_expect_eq(booking_retry_delay_us(39), 300 * S);
    /* A ten-minute outage: attempts at 0, 30, 90, 210 and 450 s fail; the
     * next is at 750 s, under five minutes after recovery. */
    int64_t t = 0;
    int failures = 0;
    while (t < 600 * S)
        t += booking_retry_delay_us(++failures);
    cr_expect_eq(failures, 5);
    cr_expect_eq(t, 750 * S);
    cr_expect_leq(t - 600 * S, BOOKING_RETRY_MAX_US);
    /* The budget covers hours of outage before the booking fails. */
    int64_t total = 0;
    for (int i = 1; i < BOOKING_MAX_ATTEMPTS; i++)
        total += booking_retry_delay_us(i);
    cr_expect_gt(total, 2 * 3600 * S);
}

Test(booking_rules, rewrite_keys_differ_from_the_first_write)
{
    char k[80];
    booking_book_key("hold-42", 0, k, sizeof k);
    cr_expect_str_eq(k, "hold-42");
    booking_book_key("hold-42", 1, k, sizeof k);
    cr_expect_str_eq(k, "hold-42-r1");
    char longkey[65];
    memset(longkey, 'x', 64);
    longkey[64] = 0;
    booking_book_key(longkey, 1, k, sizeof k);
    cr_expect_leq(strlen(k), 64u, "an EMR key stays within 64 bytes");
    cr_expect(strstr(k, "-r1") != NULL);
}

Test(booking_rules, reconcile_verdicts)
{
    cJSON *list = cJSON_Parse(
        "{\"appointments\":[{\"id\":\"a1\",\"status\":\"booked\"},"
        "{\"id\":\"a2\",\"status\":\"cancelled\"},{\"id\":\"a3\"},"
        "{\"id\":\"a4\",\"status\":\"canceled\"}]}");
    cr_assert_not_null(list);
    cr_expect_eq(booking_reconcile_verdict(list, "a1"), RECONCILE_OK);
    cr_expect_eq(booking_reconcile_verdict(list, "a2"), RECONCILE_CANCELLED);
    cr_expect_eq(booking_reconcile_verdict(list, "a3"), RECONCILE_OK, "no status: live");
    cr_expect_eq(booking_reconcile_verdict(list, "a4"), RECONCILE_CANCELLED);
    cr_expect_eq(booking_reconcile_verdict(list, "a5"), RECONCILE_MISSING);
    cr_expect_eq(booking_reconcile_verdict(list, ""), RECONCILE_MISSING);
    cJSON *empty = cJSON_Parse("{\"appointments\":[]}");
    cr_expect_eq(booking_reconcile_verdict(empty, "a1"), RECONCILE_MISSING);
    cr_expect_eq(booking_reconcile_verdict(NULL, "a1"), RECONCILE_MISSING);
    cJSON_Delete(empty);
    cJSON_Delete(list);
}

Test(booking_rules, messages_name_the_local_time_across_dst)
{
    const char *doc =
        "{\"id\":\"c\",\"name\":\"C\",\"timezone\":\"America/Los_Angeles\",\"country\":\"US\","
        "\"hours\":{\"mon\":[\"09:00\",\"17:00\"]},"
        "\"providers\":[{\"id\":\"ann\",\"name\":\"Ann\",\"services\":[\"hf\"],\"days\":[\"mon\"]}],"
        "\"services\":[{\"id\":\"hf\",\"name\":\"Hydrafacial\",\"duration_min\":60,"
        "\"price\":{\"kind\":\"fixed\",\"cents\":100}}]}";
    cJSON *j = cJSON_Parse(doc);
    struct knowledge *k = NULL;
    char err[200];
    cr_assert_eq(knowledge_parse(j, "t", 1, &k, err, sizeof err), 0, "%s", err);
    cJSON_Delete(j);
    int64_t us;
    char out[160];
    cr_assert_eq(clock_parse_rfc3339("2027-03-04T23:00:00Z", &us), 0); /* PST */
    booking_describe_slot(k, "hf", us, out, sizeof out);
    cr_expect_str_eq(out, "Hydrafacial on Thu, Mar 4 at 3:00 PM");
    cr_assert_eq(clock_parse_rfc3339("2027-03-15T16:30:00Z", &us), 0); /* PDT */
    booking_describe_slot(k, "hf", us, out, sizeof out);
    cr_expect_str_eq(out, "Hydrafacial on Mon, Mar 15 at 9:30 AM");
    booking_describe_slot(k, "unknown", us, out, sizeof out);
    cr_expect_str_eq(out, "your appointment on Mon, Mar 15 at 9:30 AM");
    booking_describe_slot(NULL, "hf", us, out, sizeof out);
    cr_expect_str_eq(out, "your appointment");
    knowledge_free(k);
}
