/*
 * Payment card numbers (PAN) masked out of text before anything keeps it:
 * a plugin that stores what a person typed (a transcript, a note) masks it
 * with this first, and the host masks its own copies with the same code.
 *
 * A card number is a run of 13 to 19 digits, optionally grouped by single
 * spaces or dashes ("4111 1111-1111 1111"), that passes the Luhn check: all
 * but its last four digits become '*'. So do the digits of a card's
 * security code and expiry date: after their label anywhere ("cvv 123",
 * "CVC: 1234", "security code is 123", "exp 12/29", "expires 0929"), and
 * unlabelled right after a masked card number ("... 1111 12/29 123"); times,
 * prices, dates and phone numbers elsewhere stay. Masking twice gives what
 * masking once gave.
 */
#ifndef BOOKWELL_SDK_CARD_MASK_H
#define BOOKWELL_SDK_CARD_MASK_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when the n ASCII digits at digits pass the Luhn check (false for
 * n == 0 or any non-digit). */
bool bwsdk_luhn_ok(const char *digits, size_t n);

/*
 * Masks card numbers, security codes and expiry dates in s as above. s is a
 * NUL-terminated string edited in place; its length never changes (digits
 * become '*'), so UTF-8 stays valid. NULL is allowed and masks nothing.
 * Returns how many numbers and values were masked.
 */
int bwsdk_mask_card_numbers(char *s);

#ifdef __cplusplus
}
#endif

#endif
