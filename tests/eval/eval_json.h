/*
 * Small cJSON accessors every part of the evaluation runner uses: a
 * member's string or boolean value, NULL/false when it is absent or of
 * another type.
 */
#ifndef BW_TESTS_EVAL_JSON_H
#define BW_TESTS_EVAL_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* The string value of o[key], or NULL. */
const char *eval_str_of(const cJSON *o, const char *key);

/* Whether o[key] is true. */
bool eval_bool_of(const cJSON *o, const char *key);

#endif
