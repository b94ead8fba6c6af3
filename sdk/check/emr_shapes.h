/*
 * The shapes of the EMR payloads (include/bookwell/emr.h, examples in
 * docs/ABI.md) as the kit checks a plugin's outputs against them: required
 * members and their types, RFC 3339 times with an offset, ids that are
 * non-empty strings, references that point into the catalog. Each returns
 * 0, or -1 with a sentence in why.
 */
#ifndef BW_KIT_EMR_SHAPES_H
#define BW_KIT_EMR_SHAPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

int shape_catalog(const cJSON *c, char *why, size_t cap);
/* A slot/1; when catalog is not NULL its ids must be the catalog's. */
int shape_slot(const cJSON *s, const cJSON *catalog, char *why, size_t cap);
int shape_slots(const cJSON *j, const cJSON *catalog, char *why, size_t cap);
/* patient/1; need_id: the EMR's id must be there (an output). */
int shape_patient(const cJSON *p, bool need_id, char *why, size_t cap);
int shape_patients(const cJSON *j, char *why, size_t cap);
int shape_appointment(const cJSON *a, char *why, size_t cap);
int shape_appointments(const cJSON *j, char *why, size_t cap);
int shape_deposit_result(const cJSON *j, char *why, size_t cap);

/* A member's string, or NULL when absent or not a string. */
const char *shape_str(const cJSON *o, const char *key);
/* A member's RFC 3339 time in microseconds; -1 when absent or malformed. */
int shape_time(const cJSON *o, const char *key, int64_t *us);
/* True when the array member key of o holds the string id. */
bool shape_has_id(const cJSON *o, const char *key, const char *id);

#endif
