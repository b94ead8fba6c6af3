/*
 * Small cJSON conveniences for route handlers: parse a request body with a
 * depth bound, and hand a built object to the response.
 */
#ifndef BW_HOST_JSON_UTIL_H
#define BW_HOST_JSON_UTIL_H

#include <cjson/cJSON.h>

#include "http_server.h"

#define JSON_MAX_DEPTH 32

/* Parses req's body (NUL-terminated, as the server delivers it) as one JSON
 * object: no trailing data, no NUL bytes, at most JSON_MAX_DEPTH levels. On
 * failure replies 400 invalid_json and returns NULL. The result is the
 * caller's (cJSON_Delete). */
cJSON *json_parse_body(struct http_request *req, struct http_response *resp);

/* Serialises obj into the response with status and deletes obj. */
void json_reply(struct http_response *resp, int status, cJSON *obj);

/* Nesting depth of a JSON text, counted without parsing it (strings skipped). */
int json_depth(const char *text, size_t len);

#endif
