/*
 * SDK patients: the patient_find query and the patient_create input as the
 * EMR ops check them, and the patient/1 answer of a provider's record
 * (include/bookwell-sdk/patient.h).
 */
#include <bookwell-sdk/sdk.h>

#include <stdio.h>

#include <bookwell/emr.h>

int bwsdk_patient_query(const struct bw_json *query, cJSON **doc, const char **phone,
                        const char **email, struct bw_error *err)
{
    cJSON *q = NULL;
    *doc = NULL;
    *phone = *email = NULL;
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_PATIENT_QUERY, &q) != 0 || !cJSON_IsObject(q)) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "malformed patient query");
    }
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(q, "phone");
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(q, "email");
    const char *p = cJSON_GetStringValue(ph), *e = cJSON_GetStringValue(em);
    if ((ph && !cJSON_IsNull(ph) && !p) || (em && !cJSON_IsNull(em) && !e) ||
        !((p && p[0]) || (e && e[0]))) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "a patient query needs a phone or an email");
    }
    *doc = q;
    *phone = p;
    *email = e;
    return 0;
}

int bwsdk_patient_input(const struct bw_json *patient, cJSON **doc, const char **first,
                        const char **last, char e164[BWSDK_E164_MAX], const char **email,
                        struct bw_error *err)
{
    cJSON *q = NULL;
    const char *phone;
    *doc = NULL;
    e164[0] = 0;
    if (bwsdk_json_parse(patient, BW_SCHEMA_EMR_PATIENT, &q) != 0 ||
        bwsdk_json_string(q, "first_name", first) || bwsdk_json_string(q, "last_name", last) ||
        !(*first)[0] || !(*last)[0] ||
        ((phone = bwsdk_json_string_or(q, "phone", ""))[0] &&
         bwsdk_phone_e164(phone, "US", e164) != 0)) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL,
                           "a patient needs first_name and last_name, and a phone in E.164 when given");
    }
    *doc = q;
    *email = bwsdk_json_string_or(q, "email", "");
    return 0;
}

cJSON *bwsdk_patient_new(const char *id, const char *first_name, const char *last_name,
                         const char *phone, const char *email)
{
    char e164[BWSDK_E164_MAX];
    if (bwsdk_phone_e164(phone, "US", e164) != 0)
        snprintf(e164, sizeof e164, "%.16s", phone);
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddStringToObject(p, "id", id) ||
        !cJSON_AddStringToObject(p, "first_name", first_name) ||
        !cJSON_AddStringToObject(p, "last_name", last_name) ||
        !cJSON_AddStringToObject(p, "phone", e164) || !cJSON_AddStringToObject(p, "email", email)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}
