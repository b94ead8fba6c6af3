/*
 * Redaction of what must never be stored or logged.
 * - Payment card numbers (PAN), found as runs of 13 to 19 digits, optionally
 *   grouped by single spaces or dashes, that pass the Luhn check: all but the
 *   last four digits become '*'. So do the digits of a card's security code
 *   and expiry date: after their label anywhere ("cvv 123", "CVC: 1234",
 *   "security code is 123", "exp 12/29", "expires 0929"), and unlabelled
 *   right after a masked card number ("... 1111 12/29 123"); times, prices,
 *   dates and phone numbers elsewhere stay. This edits text in place and
 *   never changes its length. The masking is the SDK's
 *   (bookwell-sdk/card_mask.h), which plugins use on what they keep.
 * - Health details (conditions, symptoms, medications, pregnancy and
 *   breastfeeding, allergies, mental health): each phrase becomes the marker
 *   "[health info]", or "[urgent health info]" for signs that need a
 *   provider now (vision changes after filler, trouble breathing, chest
 *   pain), so that what reads the stored text can still deflect or alert.
 *   Names, dates, times, prices, phone numbers and service names (Botox,
 *   filler, HydraFacial) stay; so do cosmetic concerns that clinics sell
 *   treatments for (wrinkles, acne scars, sun spots). This returns a new
 *   string: the text may grow, within redact_health_bound().
 * Redacting twice gives what redacting once gave.
 */
#ifndef BW_HOST_REDACT_H
#define BW_HOST_REDACT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Masks card-number-like runs in s (NUL-terminated, edited in place), and
 * security codes and expiry dates as above. Returns how many runs and
 * values were masked. */
int redact_card_numbers(char *s);

/* Applies redact_card_numbers to every string value in the tree under node
 * (object keys are the normalizer's own names and are left alone; numbers
 * are left alone). Returns how many runs were masked. */
int redact_json_card_numbers(cJSON *node);

#define REDACT_MARKER "[health info]"
#define REDACT_MARKER_URGENT "[urgent health info]"
#define REDACT_MIN_SPAN 3 /* bytes: no shorter phrase is ever replaced by a marker */

/* The longest output redact_health can produce from n bytes: every marker
 * replaces at least REDACT_MIN_SPAN bytes, and two markers are at least one
 * byte apart. */
size_t redact_health_bound(size_t n);

/*
 * Returns a malloc'd copy of s (UTF-8; NULL means "") with health details
 * replaced by markers, or NULL when out of memory. *markers (optional) is
 * set to the number of markers inserted, *urgent (optional) to whether any
 * is the urgent one. Markers already in s are left as they are.
 */
char *redact_health(const char *s, int *markers, bool *urgent);

/* Card numbers, then health details: the message as it may be stored.
 * malloc'd; NULL when out of memory. */
char *redact_message(const char *s);

/* Applies redact_health to every string value under node (not to object
 * keys). Returns the number of markers inserted, or -1 when out of memory
 * (some strings may then be redacted and others not). */
int redact_json_health(cJSON *node);

#endif
