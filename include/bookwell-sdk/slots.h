/*
 * Availability answers (availability/1's "slots"): building a slot object
 * and putting a list in time order, as every EMR plugin answers them. How
 * a provider names its openings' members stays in the plugin.
 */
#ifndef BOOKWELL_SDK_SLOTS_H
#define BOOKWELL_SDK_SLOTS_H

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Appends {"start","end","location_id","service_id","provider_id"} to
 * slots, in that order. BW_E_NOMEM (slots unchanged) when out of memory. */
int bwsdk_slot_add(cJSON *slots, const char *start, const char *end, const char *location_id,
                   const char *service_id, const char *provider_id);

/* Orders slot objects by the instant of their "start" (bwsdk_time_parse;
 * one that does not parse counts as 0) as a cmp for bwsdk_json_array_sort. */
int bwsdk_slot_by_start(const cJSON *a, const cJSON *b);

/* Puts slots in time order (a provider may answer its pages in another
 * order); slots starting together keep theirs. BW_E_NOMEM when out of
 * memory (slots unchanged). */
int bwsdk_slots_sort(cJSON *slots);

#ifdef __cplusplus
}
#endif

#endif
