/*
 * The Chat Completions wire format of ai.openai, with no I/O: request/1 to
 * the body of POST /chat/completions, and a chat.completion answer to
 * response/1. Used by openai.c and tests/unit/test_openai_wire.c.
 */
#ifndef BW_PLUGIN_OPENAI_WIRE_H
#define BW_PLUGIN_OPENAI_WIRE_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* The instance's settings, used where request/1 leaves them out. */
struct oa_defaults {
    const char *model;
    int64_t max_tokens;
    double temperature;
};

/* The chat request for rq (request/1) into *out (a new object the caller
 * deletes). Returns 0, BW_E_INVAL (rq out of shape) or BW_E_NOMEM. */
int oa_chat_body(const cJSON *rq, const struct oa_defaults *def, cJSON **out);

/* response/1 for a chat.completion answer into *out (a new object the
 * caller deletes). Returns 0, BW_E_REMOTE (no choice, no message) or
 * BW_E_NOMEM. */
int oa_response(const cJSON *answer, cJSON **out);

#endif
