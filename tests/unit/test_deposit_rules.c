/*
 * Deposit rules against the Glow clinic's own rules (eval/clinics/glow.json
 * of the shared corpus): rule order, new clients, several services in one
 * visit, zero deposits, and malformed rules refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deposit_rules.h"

static cJSON *clinic, *rules;

static void setup(void)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/eval/clinics/glow.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s (set BW_SHARED_DIR)", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    clinic = cJSON_Parse(text);
    cr_assert_not_null(clinic);
    rules = cJSON_GetObjectItem(clinic, "deposit_rules");
    cr_assert(cJSON_IsArray(rules));
}

static void teardown(void) { cJSON_Delete(clinic); }

TestSuite(deposit_rules, .init = setup, .fini = teardown);

static int64_t amount_of(const char *const *services, size_t n, bool new_client, int *rule)
{
    int64_t a = -1;
    cr_assert_eq(deposit_rules_amount(rules, services, n, new_client, &a, rule), 0);
    return a;
}

Test(deposit_rules, first_matching_rule_in_order)
{
    int rule;
    const char *botox[] = { "botox" };
    cr_expect_eq(amount_of(botox, 1, false, &rule), 10000);
    cr_expect_eq(rule, 2);
    /* new_client comes before the injectables rule: a new client's Botox
     * deposit is the new-client amount. */
    cr_expect_eq(amount_of(botox, 1, true, &rule), 5000);
    cr_expect_eq(rule, 1);
    const char *facial[] = { "hydrafacial" };
    cr_expect_eq(amount_of(facial, 1, false, &rule), 5000);
    cr_expect_eq(rule, 3, "the catch-all rule");
}

Test(deposit_rules, zero_means_no_deposit)
{
    int rule;
    const char *consult[] = { "coolsculpting-consult" };
    cr_expect_eq(amount_of(consult, 1, false, &rule), 0);
    cr_expect_eq(rule, 0);
    /* The consult rule comes first: a new client's consult is free too. */
    cr_expect_eq(amount_of(consult, 1, true, &rule), 0);
}

Test(deposit_rules, several_services_take_the_largest)
{
    int rule;
    const char *visit[] = { "hydrafacial", "lip-filler" };
    cr_expect_eq(amount_of(visit, 2, false, &rule), 10000);
    cr_expect_eq(rule, 2);
    const char *with_consult[] = { "coolsculpting-consult", "chemical-peel" };
    cr_expect_eq(amount_of(with_consult, 2, false, &rule), 5000);
    const char *reversed[] = { "lip-filler", "hydrafacial" };
    cr_expect_eq(amount_of(reversed, 2, false, NULL), 10000);
}

Test(deposit_rules, conditions_combine_and_unknown_ones_are_refused)
{
    cJSON *r = cJSON_Parse("[{\"when\":{\"service\":[\"botox\"],\"new_client\":true},"
                           "\"cents\":2500},{\"when\":{},\"cents\":1000}]");
    const char *botox[] = { "botox" };
    int64_t a;
    int rule;
    cr_assert_eq(deposit_rules_amount(r, botox, 1, true, &a, &rule), 0);
    cr_expect_eq(a, 2500);
    cr_assert_eq(deposit_rules_amount(r, botox, 1, false, &a, &rule), 0);
    cr_expect_eq(a, 1000, "both conditions must hold");
    cJSON_Delete(r);

    r = cJSON_Parse("[{\"when\":{\"service\":[\"botox\"]},\"cents\":2500}]");
    const char *other[] = { "peel" };
    cr_assert_eq(deposit_rules_amount(r, other, 1, false, &a, &rule), 0);
    cr_expect_eq(a, 0);
    cr_expect_eq(rule, -1, "no rule matched");
    cJSON_Delete(r);

    const char *bad[] = {
        "{}",
        "[{\"when\":{}}]",
        "[{\"when\":{},\"cents\":-1}]",
        "[{\"when\":{},\"cents\":12.5}]",
        "[{\"when\":{\"weekday\":\"mon\"},\"cents\":100}]",
        "[{\"when\":{\"service\":\"botox\"},\"cents\":100}]",
        "[{\"when\":[],\"cents\":100}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = cJSON_Parse(bad[i]);
        cr_expect_eq(deposit_rules_amount(r, botox, 1, false, &a, NULL), -1, "%s", bad[i]);
        cJSON_Delete(r);
    }
    cr_expect_eq(deposit_rules_amount(rules, botox, 0, false, &a, NULL), -1, "no services");
}
