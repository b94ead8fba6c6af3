/*
 * Patients as the EMR ops take and answer them: the patient_find query
 * (patient_query/1), the patient_create input (patient/1) checked the way
 * every EMR plugin checks it, and a patient/1 answer built from a
 * provider's record. Which provider members hold the name, phone and email
 * stays in the plugin.
 */
#ifndef BOOKWELL_SDK_PATIENT_H
#define BOOKWELL_SDK_PATIENT_H

#include <cjson/cJSON.h>

#include <bookwell/abi.h>
#include <bookwell-sdk/phone.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parses a patient_find query: *doc the parsed query (caller frees; the
 * strings point into it), *phone and *email its members (NULL when absent
 * or null). BW_E_INVAL with err filled when it is malformed, a member is
 * neither a string nor null, or neither a phone nor an email is given.
 */
int bwsdk_patient_query(const struct bw_json *query, cJSON **doc, const char **phone,
                        const char **email, struct bw_error *err);

/*
 * Parses a patient_create input: *doc the parsed patient (caller frees;
 * the strings point into it), *first and *last its names (required, not
 * empty), e164 its phone normalised to E.164 ("" when none is given; a
 * patient met on Instagram or web chat may have neither phone nor email),
 * *email its email ("" when none). BW_E_INVAL with err filled otherwise.
 */
int bwsdk_patient_input(const struct bw_json *patient, cJSON **doc, const char **first,
                        const char **last, char e164[BWSDK_E164_MAX], const char **email,
                        struct bw_error *err);

/*
 * patient/1 {"id","first_name","last_name","phone","email"} of a
 * provider's record; phone is normalised to E.164 (a number without a
 * country code read as a US one), or kept as written (its first 16
 * characters) when it is not a valid number. NULL when out of memory.
 */
cJSON *bwsdk_patient_new(const char *id, const char *first_name, const char *last_name,
                         const char *phone, const char *email);

#ifdef __cplusplus
}
#endif

#endif
