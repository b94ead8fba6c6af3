/*
 * Reading a request to join the waitlist from a text, on the evaluation's
 * clinic (Glow): the service by name or alias, a provider by a word of
 * their name, weekdays and a part of the day; a text without the word
 * waitlist is not one; and how the request is said back.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "knowledge.h"
#include "waitlist_text.h"

static struct knowledge *glow(void)
{
    const char *shared = getenv("BW_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *doc = cJSON_Parse(buf);
    struct knowledge *k = NULL;
    char err[256];
    cr_assert_eq(knowledge_parse(doc, "glow", 1, &k, err, sizeof err), 0, "%s", err);
    cJSON_Delete(doc);
    return k;
}

Test(waitlist_text, saturday_mornings)
{
    struct knowledge *k = glow();
    struct waitlist_request r;
    cr_assert(waitlist_text_parse(k, "Can you put me on the waitlist for a hydrafacial, any "
                                     "Saturday morning?",
                                  &r));
    cr_assert_str_eq(r.service_id, "hydrafacial");
    cr_assert_null(r.provider_id);
    cr_assert_eq(r.weekdays, 1u << 6);
    cr_assert_eq(r.day_from_min, 0);
    cr_assert_eq(r.day_to_min, 12 * 60);
    char d[120];
    waitlist_text_describe(&r, d, sizeof d);
    cr_assert_str_eq(d, " on Saturdays in the morning");
    knowledge_free(k);
}

Test(waitlist_text, provider_weekdays_evenings_and_longest_service_name)
{
    struct knowledge *k = glow();
    struct waitlist_request r;
    cr_assert(waitlist_text_parse(k, "wait list for lip filler with Dr. Smith, weekday evenings",
                                  &r));
    cr_assert_str_eq(r.service_id, "lip-filler");
    cr_assert_str_eq(r.provider_id, "dr-smith");
    cr_assert_eq(r.weekdays, 0x3Eu);
    cr_assert_eq(r.day_from_min, 17 * 60);
    cr_assert_eq(r.day_to_min, 1440);
    cr_assert(waitlist_text_parse(k, "Add me to the waiting list for a CoolSculpting consultation "
                                     "on tuesdays or thursdays",
                                  &r));
    cr_assert_str_eq(r.service_id, "coolsculpting-consult");
    cr_assert_eq(r.weekdays, (1u << 2) | (1u << 4));
    cr_assert_eq(r.day_to_min, 1440, "any time of day");
    char d[120];
    waitlist_text_describe(&r, d, sizeof d);
    cr_assert_str_eq(d, " on Tuesdays, Thursdays");
    knowledge_free(k);
}

Test(waitlist_text, not_a_waitlist_request_or_no_service)
{
    struct knowledge *k = glow();
    struct waitlist_request r;
    cr_assert_not(waitlist_text_parse(k, "I'd like Botox on Saturday morning", &r));
    cr_assert_not(waitlist_text_parse(k, "what's the wait like?", &r));
    cr_assert(waitlist_text_parse(k, "put me on the waitlist please", &r));
    cr_assert_null(r.service_id, "the service is asked for");
    knowledge_free(k);
}
