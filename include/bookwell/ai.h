/*
 * AI plugins: an optional language model (any OpenAI-compatible endpoint)
 * that proposes intents, entities and wording for a conversation. The host's
 * policy checks everything it proposes; prices, slots and promises come only
 * from the host.
 *
 * The op: instance is the plugin's own; call, the request and the output are
 * borrowed from the host for the call; a failure returns a BW_E_* code with
 * err filled. Runs on worker threads, concurrently, within the deadline.
 */
#ifndef BOOKWELL_AI_H
#define BOOKWELL_AI_H

#include <bookwell/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Payload schemas (UTF-8 JSON; docs/ABI.md shows full examples):
 *  request/1:  {"messages":[{"role":"system"|"user"|"assistant"|"tool","content",
 *               "tool_call_id"?, "tool_calls"? (assistant: as in response/1)}],"tools":[{"name","description","parameters":
 *               JSON Schema}],"max_tokens","temperature"}
 *  response/1: {"message":{"role":"assistant","content"}?,"tool_calls":[{"id","name",
 *               "arguments":object}],"usage":{"input_tokens","output_tokens"},
 *               "model"}
 */
#define BW_SCHEMA_AI_REQUEST  "bookwell.ai.request/1"
#define BW_SCHEMA_AI_RESPONSE "bookwell.ai.response/1"

/* The ops of an ai plugin. Static const in the plugin. Mandatory in 1.0:
 * complete. */
struct bw_ai_ops {
    uint32_t struct_size;      /* sizeof(struct bw_ai_ops) */
    uint32_t _reserved;

    /* req: request/1. Appends response/1 (a message or tool calls, and the
     * usage the provider reported). */
    int (*complete)(void *instance, struct bw_call *call, const struct bw_json *req,
                    struct bw_buf *out, struct bw_error *err);
};

#ifdef __cplusplus
}
#endif

#endif
