/*
 * Reading a request to join the waitlist from a patient's text ("put me on
 * the waitlist for botox, any saturday morning", "waitlist for lip filler
 * with Dr. Smith weekday evenings"): the word waitlist (or wait list /
 * waiting list), a service named by its catalog name or an alias, a
 * provider by any word of their name, weekdays ("saturday", "weekends",
 * "weekdays") and a time of day (morning: before noon; afternoon: noon to
 * 5 pm; evening: from 5 pm). Pure.
 */
#ifndef BW_HOST_WAITLIST_TEXT_H
#define BW_HOST_WAITLIST_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct knowledge;

struct waitlist_request {
    const char *service_id;   /* borrowed from the knowledge; NULL: not named */
    const char *provider_id;  /* NULL: any */
    unsigned weekdays;        /* bit w: weekday w (0 = Sunday); 0: any */
    int day_from_min, day_to_min; /* 0 and 1440: any time */
};

/* True when text asks to join the waitlist (*out filled). */
bool waitlist_text_parse(const struct knowledge *k, const char *text,
                         struct waitlist_request *out);

/* " on Saturdays in the morning", "" for any time, into out. */
void waitlist_text_describe(const struct waitlist_request *r, char *out, size_t cap);

#endif
