/*
 * SDK availability slots: the slot/1 object an EMR plugin answers for each
 * opening, and the time order of a slot list
 * (include/bookwell-sdk/slots.h).
 */
#include <bookwell-sdk/sdk.h>

int bwsdk_slot_add(cJSON *slots, const char *start, const char *end, const char *location_id,
                   const char *service_id, const char *provider_id)
{
    cJSON *s = cJSON_CreateObject();
    if (!s || !cJSON_AddStringToObject(s, "start", start) ||
        !cJSON_AddStringToObject(s, "end", end) ||
        !cJSON_AddStringToObject(s, "location_id", location_id) ||
        !cJSON_AddStringToObject(s, "service_id", service_id) ||
        !cJSON_AddStringToObject(s, "provider_id", provider_id) || !cJSON_AddItemToArray(slots, s)) {
        cJSON_Delete(s);
        return BW_E_NOMEM;
    }
    return 0;
}

int bwsdk_slot_by_start(const cJSON *a, const cJSON *b)
{
    int64_t p = 0, q = 0;
    bwsdk_time_parse(bwsdk_json_string_or(a, "start", ""), &p, NULL);
    bwsdk_time_parse(bwsdk_json_string_or(b, "start", ""), &q, NULL);
    return p < q ? -1 : p > q;
}

int bwsdk_slots_sort(cJSON *slots)
{
    return bwsdk_json_array_sort(slots, bwsdk_slot_by_start);
}
