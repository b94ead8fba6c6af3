/*
 * Phone numbers to E.164 ("+14155550123"), as clinics and patients write
 * them: "(415) 555-0123", "415.555.0123", "1-415-555-0123", "+1 415 555
 * 0123". National numbers are read as North American (US and CA) numbers
 * and checked against the NANP rules; numbers written with '+', "00" or
 * "011" are international and kept when they are plausible E.164.
 */
#ifndef BOOKWELL_SDK_PHONE_H
#define BOOKWELL_SDK_PHONE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for '+', 15 digits and the NUL. */
#define BWSDK_E164_MAX 17

/*
 * Normalises in into out. region is the ISO 3166 country the number is
 * written in when it has no country code: "US" or "CA" (NULL means "US").
 * Returns 0; BW_E_INVAL when in is not a valid number (letters, extensions,
 * wrong length, impossible NANP area code or exchange); BW_E_NOTSUP for a
 * national number of a region other than US and CA.
 */
int bwsdk_phone_e164(const char *in, const char *region, char out[BWSDK_E164_MAX]);

/* True when e164 is a North American number ("+1" and ten digits). */
bool bwsdk_phone_is_nanp(const char *e164);

#ifdef __cplusplus
}
#endif

#endif
