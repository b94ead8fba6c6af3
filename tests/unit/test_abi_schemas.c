/*
 * The payload examples of docs/ABI.md ("Payload schemas"): every schema id
 * the kind headers define has exactly one example, each is a JSON object
 * with the members its header comment lists, and the EMR examples pass the
 * conformance kit's own shape checks (sdk/check/emr_shapes.c), which in
 * turn refuse an example with a member taken away or mistyped.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/emr.h>
#include <bookwell/payment.h>

#include "../../sdk/check/emr_shapes.h"

/* Each schema id with the members its header comment marks as present. */
static const struct {
    const char *id;
    const char *members[10];
} schemas[] = {
    { BW_SCHEMA_EMR_CATALOG, { "locations", "services", "providers" } },
    { BW_SCHEMA_EMR_AVAILABILITY_QUERY, { "location_id", "service_id", "from", "to" } },
    { BW_SCHEMA_EMR_SLOTS, { "slots" } },
    { BW_SCHEMA_EMR_SLOT, { "start", "end", "location_id", "service_id", "provider_id" } },
    { BW_SCHEMA_EMR_PATIENT_QUERY, { NULL } },
    { BW_SCHEMA_EMR_PATIENTS, { "patients" } },
    { BW_SCHEMA_EMR_PATIENT, { "first_name", "last_name", "phone" } },
    { BW_SCHEMA_EMR_APPOINTMENT_QUERY, { "from", "to" } },
    { BW_SCHEMA_EMR_BOOKING_REQUEST,
      { "patient_id", "location_id", "service_id", "start", "end" } },
    { BW_SCHEMA_EMR_RESCHEDULE_REQUEST, { "appointment_id", "start", "end" } },
    { BW_SCHEMA_EMR_CANCEL_REQUEST, { "appointment_id" } },
    { BW_SCHEMA_EMR_APPOINTMENT,
      { "id", "patient_id", "location_id", "service_id", "provider_id", "start", "end",
        "status" } },
    { BW_SCHEMA_EMR_APPOINTMENTS, { "appointments" } },
    { BW_SCHEMA_EMR_DEPOSIT,
      { "appointment_id", "patient_id", "amount_minor", "currency", "payment_reference",
        "paid_at" } },
    { BW_SCHEMA_EMR_DEPOSIT_RESULT, { "logged_as", "id" } },
    { BW_SCHEMA_CHANNEL_ROUTE_KEYS, { "keys" } },
    { BW_SCHEMA_CHANNEL_EVENTS, { "events" } },
    { BW_SCHEMA_CHANNEL_MESSAGE, { "to", "from", "text", "media", "reference" } },
    { BW_SCHEMA_CHANNEL_SEND_RESULT, { "message_id", "status" } },
    { BW_SCHEMA_CHANNEL_ROUTE_KEY, { "type", "value" } },
    { BW_SCHEMA_PAYMENT_LINK_REQUEST,
      { "amount_minor", "currency", "reference", "description", "expires_at" } },
    { BW_SCHEMA_PAYMENT_LINK, { "id", "url", "expires_at" } },
    { BW_SCHEMA_PAYMENT_EVENTS, { "events" } },
    { BW_SCHEMA_PAYMENT_REFUND_REQUEST, { "payment_id", "amount_minor", "currency" } },
    { BW_SCHEMA_PAYMENT_REFUND, { "id", "status" } },
    { BW_SCHEMA_PAYMENT_LINK_CANCEL, { "link_id" } },
    { BW_SCHEMA_AI_REQUEST, { "messages", "tools", "max_tokens", "temperature" } },
    { BW_SCHEMA_AI_RESPONSE, { "tool_calls", "usage", "model" } },
};
#define N_SCHEMAS (sizeof schemas / sizeof schemas[0])

static char *doc;

static void load_doc(void)
{
    char path[1024];
    const char *src = getenv("BW_SRCDIR");
    snprintf(path, sizeof path, "%s/docs/ABI.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s (BW_SRCDIR=%s)", path, src ? src : "unset");
    doc = calloc(1, 1 << 20);
    size_t n = fread(doc, 1, (1 << 20) - 1, f);
    fclose(f);
    cr_assert(n > 0);
}

static void free_doc(void) { free(doc); }

TestSuite(abi_schemas, .init = load_doc, .fini = free_doc);

/* The example under "#### <id>": parsed, or NULL (with *count of headings). */
static cJSON *example(const char *id, int *count)
{
    char heading[128];
    snprintf(heading, sizeof heading, "\n#### %s\n", id);
    *count = 0;
    const char *at = NULL;
    for (const char *p = doc; (p = strstr(p, heading)) != NULL; p++) {
        (*count)++;
        at = p;
    }
    if (!at)
        return NULL;
    const char *start = strstr(at + 1, "```json\n"), *next = strstr(at + 1, "\n#### ");
    if (!start || (next && start > next))
        return NULL;
    start += 8;
    const char *end = strstr(start, "```");
    char *text = end ? strndup(start, (size_t)(end - start)) : NULL;
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    return j;
}

Test(abi_schemas, every_schema_has_one_example_with_its_members)
{
    for (size_t i = 0; i < N_SCHEMAS; i++) {
        int count;
        cJSON *j = example(schemas[i].id, &count);
        cr_expect_eq(count, 1, "%s: %d examples in docs/ABI.md, want 1", schemas[i].id, count);
        cr_expect(cJSON_IsObject(j), "%s: the example is not a JSON object", schemas[i].id);
        for (size_t m = 0; j && schemas[i].members[m]; m++)
            cr_expect_not_null(cJSON_GetObjectItemCaseSensitive(j, schemas[i].members[m]),
                               "%s: the example lacks \"%s\"", schemas[i].id,
                               schemas[i].members[m]);
        cJSON_Delete(j);
    }
}

Test(abi_schemas, emr_examples_pass_the_kits_shape_checks)
{
    char why[300];
    int n;
    cJSON *cat = example(BW_SCHEMA_EMR_CATALOG, &n);
    cr_assert_not_null(cat);
    cr_expect_eq(shape_catalog(cat, why, sizeof why), 0, "catalog: %s", why);
    struct {
        const char *id;
        int (*check)(const cJSON *, char *, size_t);
    } plain[] = {
        { BW_SCHEMA_EMR_PATIENTS, shape_patients },
        { BW_SCHEMA_EMR_APPOINTMENTS, shape_appointments },
        { BW_SCHEMA_EMR_APPOINTMENT, shape_appointment },
        { BW_SCHEMA_EMR_DEPOSIT_RESULT, shape_deposit_result },
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        cJSON *j = example(plain[i].id, &n);
        cr_expect_eq(plain[i].check(j, why, sizeof why), 0, "%s: %s", plain[i].id, why);
        cJSON_Delete(j);
    }
    cJSON *slots = example(BW_SCHEMA_EMR_SLOTS, &n), *slot = example(BW_SCHEMA_EMR_SLOT, &n);
    cJSON *patient = example(BW_SCHEMA_EMR_PATIENT, &n);
    cr_expect_eq(shape_slots(slots, cat, why, sizeof why), 0, "slots: %s", why);
    cr_expect_eq(shape_slot(slot, cat, why, sizeof why), 0, "slot: %s", why);
    cr_expect_eq(shape_patient(patient, true, why, sizeof why), 0, "patient: %s", why);
    cJSON_Delete(slots);
    cJSON_Delete(slot);
    cJSON_Delete(patient);
    cJSON_Delete(cat);
}

/* The checks bite: each example broken in one way is refused. */
Test(abi_schemas, broken_examples_are_refused)
{
    char why[300];
    int n;
    cJSON *cat = example(BW_SCHEMA_EMR_CATALOG, &n), *j;

    j = example(BW_SCHEMA_EMR_SLOT, &n);
    cJSON_DeleteItemFromObject(j, "end");
    cr_expect_neq(shape_slot(j, cat, why, sizeof why), 0, "a slot without end passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_SLOT, &n);
    cJSON_ReplaceItemInObject(j, "end", cJSON_CreateString("2027-03-02T08:00:00-08:00"));
    cr_expect_neq(shape_slot(j, cat, why, sizeof why), 0, "a slot ending before it starts passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_SLOT, &n);
    cJSON_ReplaceItemInObject(j, "start", cJSON_CreateString("2027-03-02 09:00"));
    cr_expect_neq(shape_slot(j, cat, why, sizeof why), 0, "a time without an offset passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_SLOT, &n);
    cJSON_ReplaceItemInObject(j, "provider_id", cJSON_CreateString("prv_unknown"));
    cr_expect_neq(shape_slot(j, cat, why, sizeof why), 0, "a provider not in the catalog passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_APPOINTMENT, &n);
    cJSON_ReplaceItemInObject(j, "status", cJSON_CreateString("confirmed"));
    cr_expect_neq(shape_appointment(j, why, sizeof why), 0, "an unknown status passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_PATIENT, &n);
    cJSON_ReplaceItemInObject(j, "phone", cJSON_CreateString("(415) 555-0142"));
    cr_expect_neq(shape_patient(j, true, why, sizeof why), 0, "a phone not in E.164 passed");
    cJSON_Delete(j);

    j = cJSON_Duplicate(cat, 1);
    cJSON *svc = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "services"), 0);
    cJSON_ReplaceItemInObject(svc, "price_minor", cJSON_CreateNumber(450.5));
    cr_expect_neq(shape_catalog(j, why, sizeof why), 0, "a fractional price passed");
    cJSON_Delete(j);

    j = cJSON_Duplicate(cat, 1);
    cJSON *prov = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "providers"), 0);
    cJSON_AddItemToArray(cJSON_GetObjectItem(prov, "service_ids"), cJSON_CreateString("svc_none"));
    cr_expect_neq(shape_catalog(j, why, sizeof why), 0, "a dangling service id passed");
    cJSON_Delete(j);

    j = example(BW_SCHEMA_EMR_DEPOSIT_RESULT, &n);
    cJSON_ReplaceItemInObject(j, "logged_as", cJSON_CreateString("refund"));
    cr_expect_neq(shape_deposit_result(j, why, sizeof why), 0, "logged_as refund passed");
    cJSON_Delete(j);
    cJSON_Delete(cat);
}
