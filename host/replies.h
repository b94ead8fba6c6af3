/*
 * The assistant's wording: short, receptionist-like messages built only from
 * the tenant's knowledge. Prices come from the catalog exactly as listed
 * (per unit, per syringe, fixed, "from", the catalog's own notes) and from
 * the deposit rules; hours from the opening hours and closed dates. Nothing
 * here writes a discount, a guarantee or medical advice, and nothing echoes
 * what a patient wrote. Variants are picked by a turn counter so that the
 * same question twice is not answered word for word the same.
 *
 * Every function appends to a struct reply (at most 480 bytes; an append
 * that does not fit is dropped whole, never cut mid-sentence).
 */
#ifndef BW_HOST_REPLIES_H
#define BW_HOST_REPLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convo/knowledge.h"

#define REPLY_MAX 480

struct reply {
    char s[REPLY_MAX + 1];
    size_t n;
    unsigned seed;    /* picks among variants */
    size_t reserve;   /* bytes kept free (for a link the driver adds) */
};

void replies_init(struct reply *r, unsigned seed);
/* Appends a sentence (a space before it when r is not empty). Returns 0, or
 * -1 when it does not fit (r is unchanged). */
int replies_add(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One of n variants, chosen by the seed. */
const char *replies_pick(const struct reply *r, const char *const *variants, size_t n);

/* "$12", "$650", "$12.50" into out. */
void replies_money(int64_t cents, char *out, size_t cap);
/* "3:30 PM" / "9:00 AM" from minutes since midnight. */
void replies_clock(int min, char *out, size_t cap);
/* "Friday, March 5" of a local day. */
void replies_day(int32_t day, char *out, size_t cap);
/* "Friday, March 5 at 3:30 PM" of an instant in the clinic's zone; returns
 * 0 or -1 when the zone fails. */
int replies_when(const struct convo_knowledge *k, int64_t utc_us, char *out, size_t cap);

/* The opening of a conversation: names the clinic, says it is automated. */
int replies_greeting(struct reply *r, const struct convo_knowledge *k, bool missed_call);
/* The price of service s: "Botox is $12 per unit (most areas need 20-30 units)." */
int replies_price(struct reply *r, const struct convo_knowledge *k, int s);
/* Opening hours of one weekday, or of the whole week when wd < 0. */
int replies_hours(struct reply *r, const struct convo_knowledge *k, int wd);
/* Open now or not at local day/minute; when closed, when it opens next. */
int replies_open_now(struct reply *r, const struct convo_knowledge *k, int32_t day, int min);
/* The day after `day` (or day itself when not past its opening) the clinic opens. */
int32_t replies_next_open_day(const struct convo_knowledge *k, int32_t day);
/* A medical question: no advice, a provider will answer; never echoes it. */
int replies_medical(struct reply *r, const struct convo_knowledge *k);
/* Urgent symptoms: call the clinic now, 911 for an emergency; staff alerted. */
int replies_urgent(struct reply *r, const struct convo_knowledge *k);
/* "Is it painful?": what most people feel, and the numbing policy. */
int replies_pain(struct reply *r, const struct convo_knowledge *k);
/* A price objection or a request for a deal: no discount is ever offered. */
int replies_objection(struct reply *r, const struct convo_knowledge *k, bool price, int service);
/* A human is wanted: staff will take over. */
int replies_handoff(struct reply *r);
/* The phone number written for people: "(415) 555-0100". */
void replies_phone(const struct convo_knowledge *k, char *out, size_t cap);
/* The provider's display name with title: "Ashley Cruz". */
const char *replies_provider(const struct convo_knowledge *k, int p);

#endif
