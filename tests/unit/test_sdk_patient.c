/*
 * SDK patients: a patient_find query needs a phone or an email (each a
 * string or null), a patient_create input needs both names and a valid
 * phone when it has one (normalised to E.164), and a patient/1 answer
 * normalises the provider's phone or keeps what it cannot read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

static struct bw_json payload(const char *schema, const char *text)
{
    return (struct bw_json){ schema, (const uint8_t *)text, strlen(text) };
}

static int query(const char *text, const char **phone, const char **email)
{
    struct bw_json in = payload(BW_SCHEMA_EMR_PATIENT_QUERY, text);
    struct bw_error err = { .struct_size = sizeof err };
    cJSON *doc = NULL;
    int rc = bwsdk_patient_query(&in, &doc, phone, email, &err);
    cr_expect_eq(rc == 0, doc != NULL, "a document exactly when the query is good");
    if (rc == 0) {
        static char kept[2][64];
        snprintf(kept[0], sizeof kept[0], "%s", *phone ? *phone : "(null)");
        snprintf(kept[1], sizeof kept[1], "%s", *email ? *email : "(null)");
        *phone = kept[0];
        *email = kept[1];
    }
    cJSON_Delete(doc);
    return rc;
}

Test(sdk_patient, a_query_needs_a_phone_or_an_email)
{
    const char *phone, *email;
    cr_expect_eq(query("{\"phone\":\"+14155550142\"}", &phone, &email), 0);
    cr_expect_str_eq(phone, "+14155550142");
    cr_expect_str_eq(email, "(null)");
    cr_expect_eq(query("{\"phone\":null,\"email\":\"dana@example.com\"}", &phone, &email), 0);
    cr_expect_str_eq(phone, "(null)");
    cr_expect_str_eq(email, "dana@example.com");
    cr_expect_eq(query("{\"phone\":\"\",\"email\":\"\"}", &phone, &email), BW_E_INVAL);
    cr_expect_eq(query("{\"phone\":4155550142}", &phone, &email), BW_E_INVAL);
    cr_expect_eq(query("[]", &phone, &email), BW_E_INVAL);
    struct bw_json wrong = payload(BW_SCHEMA_EMR_PATIENT, "{\"phone\":\"+14155550142\"}");
    cJSON *doc = NULL;
    cr_expect_eq(bwsdk_patient_query(&wrong, &doc, &phone, &email, NULL), BW_E_INVAL,
                 "another schema");
    cr_expect_null(doc);
}

Test(sdk_patient, an_input_needs_names_and_a_valid_phone_when_given)
{
    struct bw_json in = payload(BW_SCHEMA_EMR_PATIENT, "{\"first_name\":\"Dana\",\"last_name\":"
                                                       "\"Reyes\",\"phone\":\"(415) 555-0142\"}");
    struct bw_error err = { .struct_size = sizeof err };
    const char *first, *last, *email;
    char e164[BWSDK_E164_MAX];
    cJSON *doc = NULL;
    cr_assert_eq(bwsdk_patient_input(&in, &doc, &first, &last, e164, &email, &err), 0);
    cr_expect_str_eq(first, "Dana");
    cr_expect_str_eq(last, "Reyes");
    cr_expect_str_eq(e164, "+14155550142");
    cr_expect_str_eq(email, "");
    cJSON_Delete(doc);

    in = payload(BW_SCHEMA_EMR_PATIENT, "{\"first_name\":\"Dana\",\"last_name\":\"Reyes\"}");
    cr_assert_eq(bwsdk_patient_input(&in, &doc, &first, &last, e164, &email, &err), 0);
    cr_expect_str_eq(e164, "", "neither phone nor email is fine");
    cJSON_Delete(doc);

    in = payload(BW_SCHEMA_EMR_PATIENT, "{\"first_name\":\"Dana\",\"last_name\":\"Reyes\","
                                        "\"phone\":\"555-01\"}");
    cr_expect_eq(bwsdk_patient_input(&in, &doc, &first, &last, e164, &email, &err), BW_E_INVAL);
    cr_expect_null(doc);
    cr_expect_eq(err.code, BW_E_INVAL);
    in = payload(BW_SCHEMA_EMR_PATIENT, "{\"first_name\":\"\",\"last_name\":\"Reyes\"}");
    cr_expect_eq(bwsdk_patient_input(&in, &doc, &first, &last, e164, &email, &err), BW_E_INVAL);
}

Test(sdk_patient, an_answer_normalises_the_phone_or_keeps_it)
{
    cJSON *p = bwsdk_patient_new("p-1", "Dana", "Reyes", "415.555.0142", "dana@example.com");
    char *text = cJSON_PrintUnformatted(p);
    cr_expect_str_eq(text, "{\"id\":\"p-1\",\"first_name\":\"Dana\",\"last_name\":\"Reyes\","
                           "\"phone\":\"+14155550142\",\"email\":\"dana@example.com\"}");
    cJSON_free(text);
    cJSON_Delete(p);
    p = bwsdk_patient_new("p-2", "A", "B", "call the front desk please", "");
    cr_expect_str_eq(bwsdk_json_string_or(p, "phone", ""), "call the front d");
    cJSON_Delete(p);
}
