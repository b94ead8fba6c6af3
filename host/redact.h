/*
 * Redaction of what must never be stored or logged. For now: payment card
 * numbers (PAN), found as runs of 13 to 19 digits, optionally grouped by
 * single spaces or dashes, that pass the Luhn check; all but the last four
 * digits become '*'. The compliance work adds health details on top of this.
 * Everything here edits text in place and never changes its length.
 */
#ifndef BW_HOST_REDACT_H
#define BW_HOST_REDACT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* True when the n ASCII digits at digits pass the Luhn check. */
bool redact_luhn_ok(const char *digits, size_t n);

/* Masks card-number-like runs in s (NUL-terminated, edited in place).
 * Returns how many runs were masked. */
int redact_card_numbers(char *s);

/* Applies redact_card_numbers to every string value in the tree under node
 * (object keys are the normalizer's own names and are left alone; numbers
 * are left alone). Returns how many runs were masked. */
int redact_json_card_numbers(cJSON *node);

#endif
