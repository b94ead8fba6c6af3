/*
 * SDK availability slots: a slot object carries its five members in
 * availability/1's order, and a slot list sorts by the instant it starts
 * (offsets taken into account), slots starting together keeping their
 * order.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

Test(sdk_slots, a_slot_has_its_five_members)
{
    cJSON *slots = cJSON_CreateArray();
    cr_assert_eq(bwsdk_slot_add(slots, "2026-05-01T09:00:00-07:00", "2026-05-01T09:30:00-07:00",
                                "main", "botox", "dr-lee"),
                 0);
    char *text = cJSON_PrintUnformatted(slots);
    cr_expect_str_eq(text, "[{\"start\":\"2026-05-01T09:00:00-07:00\","
                           "\"end\":\"2026-05-01T09:30:00-07:00\",\"location_id\":\"main\","
                           "\"service_id\":\"botox\",\"provider_id\":\"dr-lee\"}]");
    cJSON_free(text);
    cJSON_Delete(slots);
}

Test(sdk_slots, slots_sort_by_start_and_ties_keep_their_order)
{
    const char *starts[] = { "2026-05-01T10:00:00-07:00", "2026-05-01T09:00:00-07:00",
                             "2026-05-01T16:00:00Z", "2026-05-01T15:30:00Z" };
    const char *providers[] = { "a", "b", "c", "d" };
    cJSON *slots = cJSON_CreateArray();
    for (int i = 0; i < 4; i++)
        cr_assert_eq(bwsdk_slot_add(slots, starts[i], starts[i], "main", "s", providers[i]), 0);
    cr_assert_eq(bwsdk_slots_sort(slots), 0);
    char got[8] = "";
    const cJSON *it;
    cJSON_ArrayForEach(it, slots) {
        strncat(got, bwsdk_json_string_or(it, "provider_id", "?"), 1);
    }
    /* 15:30Z; 09:00-07 is 16:00Z, as c, and came first; 10:00-07 is 17:00Z. */
    cr_expect_str_eq(got, "dbca");
    cJSON_Delete(slots);
}

static int by_provider_desc(const cJSON *a, const cJSON *b)
{
    return -strcmp(bwsdk_json_string_or(a, "provider_id", ""),
                   bwsdk_json_string_or(b, "provider_id", ""));
}

Test(sdk_slots, any_order_through_json_array_sort)
{
    cJSON *slots = cJSON_CreateArray();
    cr_assert_eq(bwsdk_json_array_sort(slots, by_provider_desc), 0, "an empty list");
    cr_assert_eq(bwsdk_slot_add(slots, "x", "y", "main", "s", "a"), 0);
    cr_assert_eq(bwsdk_slot_add(slots, "x", "y", "main", "s", "c"), 0);
    cr_assert_eq(bwsdk_slot_add(slots, "x", "y", "main", "s", "b"), 0);
    cr_assert_eq(bwsdk_json_array_sort(slots, by_provider_desc), 0);
    cr_expect_str_eq(bwsdk_json_string_or(cJSON_GetArrayItem(slots, 0), "provider_id", ""), "c");
    cr_expect_str_eq(bwsdk_json_string_or(cJSON_GetArrayItem(slots, 2), "provider_id", ""), "a");
    cr_expect_eq(cJSON_GetArraySize(slots), 3);
    cJSON_Delete(slots);
}
