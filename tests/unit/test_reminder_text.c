/*
 * Confirmation and reminder wording on the evaluation's clinic (Glow):
 * a confirmation names the date, time, provider, address, the cancellation
 * policy and the calendar link within 480 characters; a reminder is under
 * 160 characters, names the clinic and how to opt out, even for a long
 * clinic and service name; the .ics document is valid iCalendar (CRLF,
 * folded lines, escaped text, UTC times); answers to a reminder are read as
 * confirm, reschedule, cancel or other; the tenant's reminder settings.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "knowledge.h"
#include "reminder_policy.h"
#include "reminder_text.h"

static struct knowledge *load_glow(const char *name_override, const char *service_name)
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
    cr_assert_not_null(doc);
    if (name_override)
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "name", cJSON_CreateString(name_override));
    if (service_name) {
        cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "services"), 0);
        cJSON_ReplaceItemInObjectCaseSensitive(s0, "name", cJSON_CreateString(service_name));
    }
    struct knowledge *k = NULL;
    char err[256];
    cr_assert_eq(knowledge_parse(doc, "glow", 1, &k, err, sizeof err), 0, "%s", err);
    cJSON_Delete(doc);
    return k;
}

/* 2027-03-05T15:30 in Los Angeles (PST, UTC-8). */
#define START_US (INT64_C(1804289400) * 1000000)

static struct reminder_appt appt(const struct knowledge *k)
{
    struct reminder_appt a = { k->services[0].id, k->providers[0].id, START_US,
                               START_US + INT64_C(1800) * 1000000 };
    for (size_t i = 0; i < k->n_providers; i++)
        if (knowledge_provider_offers(&k->providers[i], k->services[0].id))
            a.provider_id = k->providers[i].id;
    return a;
}

Test(reminder_text, confirmation_has_everything)
{
    struct knowledge *k = load_glow(NULL, NULL);
    struct reminder_appt a = appt(k);
    char text[600];
    reminder_text_confirmation(k, &a, "https://book.example.com/calendar/abc.ics", text,
                               sizeof text);
    cr_assert_leq(strlen(text), 480u, "%zu: %s", strlen(text), text);
    cr_assert(strstr(text, "Glow"), "%s", text);
    cr_assert(strstr(text, "Fri, Mar 5 at 3:30 PM"), "%s", text);
    cr_assert(strstr(text, knowledge_provider(k, a.provider_id)->name), "%s", text);
    cr_assert(strstr(text, "210 Market St"), "%s", text);
    cr_assert(strstr(text, "at least 24 hours ahead"), "the cancellation policy: %s", text);
    cr_assert(strstr(text, "https://book.example.com/calendar/abc.ics"), "%s", text);
    knowledge_free(k);
}

Test(reminder_text, confirmation_shortens_a_long_policy_by_sentences)
{
    struct knowledge *k = load_glow(NULL, NULL);
    struct reminder_appt a = appt(k);
    char url[400], text[600];
    memset(url, 'u', 200);
    memcpy(url, "https://", 8);
    url[200] = '\0';
    reminder_text_confirmation(k, &a, url, text, sizeof text);
    cr_assert_leq(strlen(text), 480u, "%zu", strlen(text));
    cr_assert(strstr(text, url), "the link is never cut");
    /* The policy is whole sentences or absent, never cut mid-word. */
    const char *pol = strstr(text, "Deposits are applied");
    if (pol)
        cr_assert(strstr(pol, "treatment.") != NULL);
    knowledge_free(k);
}

Test(reminder_text, reminder_is_one_segment_naming_clinic_and_opt_out)
{
    struct knowledge *k = load_glow(NULL, NULL);
    struct reminder_appt a = appt(k);
    char text[200];
    reminder_text_reminder(k, &a, false, text, sizeof text);
    cr_assert_lt(strlen(text), 160u, "%zu: %s", strlen(text), text);
    cr_assert(strstr(text, "Glow Aesthetics"), "%s", text);
    cr_assert(strstr(text, "STOP"), "%s", text);
    cr_assert(strstr(text, "Reply C"), "%s", text);
    cr_assert(strstr(text, "Mar 5 at 3:30 PM"), "%s", text);
    /* Confirmed already: not asked again. */
    reminder_text_reminder(k, &a, true, text, sizeof text);
    cr_assert_lt(strlen(text), 160u, "%zu: %s", strlen(text), text);
    cr_assert_null(strstr(text, "Reply C"), "%s", text);
    cr_assert(strstr(text, "STOP") && strstr(text, "Glow Aesthetics"), "%s", text);
    knowledge_free(k);

    k = load_glow("The Very Long Name Aesthetic Medicine and Wellness Center of Greater "
                  "San Francisco",
                  "Full-face Hydrafacial Deluxe with LED Therapy and Lymphatic Drainage Add-on");
    a = appt(k);
    reminder_text_reminder(k, &a, false, text, sizeof text);
    cr_assert_lt(strlen(text), 160u, "%zu: %s", strlen(text), text);
    cr_assert(strstr(text, "STOP"), "still says how to opt out: %s", text);
    cr_assert(strstr(text, "The Very Long Name"), "%s", text);
    cr_assert(strstr(text, "Mar 5 at 3:30 PM"), "%s", text);
    knowledge_free(k);
}

Test(reminder_text, ics_is_valid_icalendar)
{
    struct knowledge *k = load_glow(NULL, NULL);
    struct reminder_appt a = appt(k);
    char *ics = reminder_ics(k, &a, "booking-7-glow@bookwell", START_US - 1000000);
    cr_assert_not_null(ics);
    cr_assert(strncmp(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0, "%s", ics);
    cr_assert(strstr(ics, "\r\nDTSTART:20270305T233000Z\r\n"), "%s", ics);
    cr_assert(strstr(ics, "\r\nDTEND:20270306T000000Z\r\n"), "%s", ics);
    cr_assert(strstr(ics, "\r\nDTSTAMP:20270305T232959Z\r\n"), "%s", ics);
    /* The address's commas are escaped; lines are at most 75 octets. */
    cr_assert(strstr(ics, "LOCATION:210 Market St\\, Suite 4\\,"), "%s", ics);
    size_t len = strlen(ics);
    cr_assert(len > 2 && strcmp(ics + len - 2, "\r\n") == 0);
    for (char *line = ics, *end; (end = strstr(line, "\r\n")); line = end + 2) {
        cr_assert_leq((size_t)(end - line), 75u, "line too long: %.*s", (int)(end - line), line);
        cr_assert_null(memchr(line, '\n', (size_t)(end - line)), "bare LF");
    }
    cr_assert(strstr(ics, "END:VEVENT\r\nEND:VCALENDAR\r\n"));
    free(ics);
    knowledge_free(k);
}

Test(reminder_text, answers_are_read)
{
    const char *confirm[] = { "C", "c", "Yes", "yes!", "YES please", "Confirm", "confirmed",
                              "ok", "\xF0\x9F\x91\x8D", "\xE2\x9C\x85", "Yes I'll be there",
                              "sounds good", "See you then!", "\xF0\x9F\x91\x8D see you", NULL };
    for (int i = 0; confirm[i]; i++)
        cr_expect_eq(reminder_reply_classify(confirm[i]), REMINDER_REPLY_CONFIRM, "%s",
                     confirm[i]);
    const char *resched[] = { "R", "r", "reschedule", "Can I reschedule?",
                              "yes but can we move it to another day", "need a different time",
                              NULL };
    for (int i = 0; resched[i]; i++)
        cr_expect_eq(reminder_reply_classify(resched[i]), REMINDER_REPLY_RESCHEDULE, "%s",
                     resched[i]);
    const char *cancel[] = { "cancel", "Please cancel", "I can't make it", "X", "no", NULL };
    for (int i = 0; cancel[i]; i++)
        cr_expect_eq(reminder_reply_classify(cancel[i]), REMINDER_REPLY_CANCEL, "%s", cancel[i]);
    const char *other[] = { "Is there parking?", "who is this", "", "\xF0\x9F\x98\xA2",
                            "I'm not sure I'll be there", "what should I wear", NULL };
    for (int i = 0; other[i]; i++)
        cr_expect_eq(reminder_reply_classify(other[i]), REMINDER_REPLY_OTHER, "%s", other[i]);
}

Test(reminder_policy, defaults_and_overrides)
{
    struct reminder_policy p;
    reminder_policy_from_doc(NULL, &p);
    cr_assert_eq(p.n_offsets, 2);
    cr_assert_eq(p.offsets_min[0], 48 * 60);
    cr_assert_eq(p.offsets_min[1], 120);
    cr_assert_eq(p.unconfirmed_alert_min, 24 * 60);
    cr_assert_eq(p.min_lead_min, 30);
    cr_assert_str_eq(p.links_base_url, "");
    cJSON *doc = cJSON_Parse("{\"reminders\":{\"hours_before\":[3,24,72],"
                             "\"unconfirmed_alert_hours\":0,\"min_lead_minutes\":60,"
                             "\"links_base_url\":\"https://book.example.com/\"}}");
    reminder_policy_from_doc(doc, &p);
    cJSON_Delete(doc);
    cr_assert_eq(p.n_offsets, 3);
    cr_assert_eq(p.offsets_min[0], 72 * 60);
    cr_assert_eq(p.offsets_min[1], 24 * 60);
    cr_assert_eq(p.offsets_min[2], 180);
    cr_assert_eq(p.unconfirmed_alert_min, 0);
    cr_assert_eq(p.min_lead_min, 60);
    cr_assert_str_eq(p.links_base_url, "https://book.example.com");
    /* Malformed schedules keep the default. */
    doc = cJSON_Parse("{\"reminders\":{\"hours_before\":[2,2],\"links_base_url\":\"ftp://x\"}}");
    reminder_policy_from_doc(doc, &p);
    cJSON_Delete(doc);
    cr_assert_eq(p.n_offsets, 2);
    cr_assert_eq(p.offsets_min[0], 48 * 60);
    cr_assert_str_eq(p.links_base_url, "");
}
