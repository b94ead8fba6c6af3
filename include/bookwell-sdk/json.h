/*
 * JSON for plugins, over cJSON: parse what the host passes in (checking its
 * schema id) and what providers answer, read members by dotted path with
 * type checks, and hand a built document to the host as an op's result.
 * Parsed documents are the caller's (cJSON_Delete).
 */
#ifndef BOOKWELL_SDK_JSON_H
#define BOOKWELL_SDK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <bookwell/abi.h>
#include <bookwell/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Deepest nesting accepted by the parsers. */
#define BWSDK_JSON_MAX_DEPTH 64

/*
 * Parses a payload from the host. When schema is not NULL, in->schema must
 * equal it. Returns 0 with *out set, or BW_E_INVAL (wrong schema, not JSON,
 * too deep) / BW_E_NOMEM.
 */
int bwsdk_json_parse(const struct bw_json *in, const char *schema, cJSON **out);

/* Parses len bytes of JSON text (an HTTP body, say). As bwsdk_json_parse. */
int bwsdk_json_parse_bytes(const void *data, size_t len, cJSON **out);

/*
 * The member at path: keys separated by '.', with decimal array indexes
 * ("data.items.0.id"). NULL when any step is missing. Borrowed from root.
 */
const cJSON *bwsdk_json_path(const cJSON *root, const char *path);

/* Typed reads at path. 0, or BW_E_INVAL when missing or of another type. */
int bwsdk_json_string(const cJSON *root, const char *path, const char **out);
/* A number with no fraction, below 2^53 in magnitude (where doubles are
 * exact), or a string of decimal digits within int64. */
int bwsdk_json_int(const cJSON *root, const char *path, int64_t *out);
int bwsdk_json_bool(const cJSON *root, const char *path, bool *out);
/* The string at path, or def when missing or not a string. */
const char *bwsdk_json_string_or(const cJSON *root, const char *path, const char *def);

/* Adds an integer member; BW_E_INVAL from 2^53 in magnitude, where a JSON
 * number stops being exact. */
int bwsdk_json_add_int(cJSON *obj, const char *key, int64_t value);
/* Adds a string member copied from len bytes (need not be NUL-terminated). */
int bwsdk_json_add_strn(cJSON *obj, const char *key, const char *s, size_t len);

/* Serialises root compactly and appends it to out through the host. */
int bwsdk_json_emit(const struct bw_host *host, struct bw_buf *out, const cJSON *root);

/* Orders the items of array by cmp (negative, zero, positive as strcmp);
 * items that compare equal keep their order. BW_E_NOMEM (array unchanged)
 * when out of memory. */
int bwsdk_json_array_sort(cJSON *array, int (*cmp)(const cJSON *a, const cJSON *b));

/* An op's answer: emits root into out as bwsdk_json_emit and deletes it.
 * root may be NULL (a build that ran out of memory). Returns 0, or
 * BW_E_NOMEM with err filled ("out of memory"). */
int bwsdk_json_answer(const struct bw_host *host, struct bw_buf *out, cJSON *root,
                      struct bw_error *err);

/* The member name of obj as text into buf (capacity cap): a string as it
 * is, a number in integer form (ids some providers send as numbers), ""
 * for anything else. Returns buf. */
const char *bwsdk_json_text(const cJSON *obj, const char *name, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
