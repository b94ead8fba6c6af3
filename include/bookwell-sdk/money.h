/*
 * Money in minor units of an ISO 4217 currency (cents for USD): the number
 * of decimals a currency has, formatting for messages patients read ("$50",
 * "$12.50", "$1,250") and parsing prices as EMRs and clinics write them.
 * Integers throughout: no floating point touches an amount.
 */
#ifndef BOOKWELL_SDK_MONEY_H
#define BOOKWELL_SDK_MONEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Enough for any formatted int64 amount with symbol and separators. */
#define BWSDK_MONEY_MAX 48

/* Decimals of currency ("USD": 2, "JPY": 0, "KWD": 3; 2 for other
 * well-formed codes), or BW_E_INVAL when it is not three capital letters. */
int bwsdk_money_exponent(const char *currency);

/*
 * Formats minor units for a message: the currency's symbol where it has a
 * common one ("$" for USD, CAD, AUD, NZD and MXN, "€", "£", "¥"), else the
 * code after the amount ("12.50 CHF"); thousands separated by ','; whole
 * amounts without decimals ("$50"), others with all of them ("$12.50").
 * Negative amounts lead with '-'. Returns 0, BW_E_INVAL or BW_E_NOMEM.
 */
int bwsdk_money_format(int64_t minor, const char *currency, char *out, size_t cap);

/*
 * Parses an amount: optional '-', optional symbol of that currency,
 * digits with optional ',' thousands separators, optional decimals (at most
 * the currency's). "$12.50", "12.5", "1,250", "50". Sets *minor. Returns 0
 * or BW_E_INVAL (malformed, too many decimals, or out of range).
 */
int bwsdk_money_parse(const char *s, const char *currency, int64_t *minor);

#ifdef __cplusplus
}
#endif

#endif
