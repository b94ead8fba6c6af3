/*
 * A tenant's reminder settings, read from the catalog's optional
 * "reminders" object (docs/catalog.md):
 *   {"hours_before": [48, 2], "unconfirmed_alert_hours": 24,
 *    "min_lead_minutes": 30, "links_base_url": "https://book.example.com"}
 * hours_before: when reminders go, before the appointment's start (default
 * 48 and 2); unconfirmed_alert_hours: staff are alerted about a booking the
 * patient has not confirmed this long before it (0: never; default 24);
 * min_lead_minutes: a reminder held by quiet hours past this long before the
 * start is dropped as too late (default 30); links_base_url: the public
 * base of the add-to-calendar links (default: the daemon's public
 * listener). Values out of range fall back to the defaults. Pure.
 */
#ifndef BW_HOST_REMINDER_POLICY_H
#define BW_HOST_REMINDER_POLICY_H

#include <cjson/cJSON.h>

#define REMINDER_MAX_OFFSETS 4
#define REMINDER_URL_MAX 200

struct reminder_policy {
    int n_offsets;
    int offsets_min[REMINDER_MAX_OFFSETS]; /* minutes before the start, largest first */
    int unconfirmed_alert_min;             /* 0: no alert */
    int min_lead_min;
    char links_base_url[REMINDER_URL_MAX + 1]; /* "" when not set */
};

/* Reads doc's "reminders" (doc may be NULL: every default). */
void reminder_policy_from_doc(const cJSON *doc, struct reminder_policy *p);

#endif
