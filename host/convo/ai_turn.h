/*
 * A conversation turn with a language model, on the conversation core's
 * side and without I/O: the request a model gets (request/1: a system
 * prompt from the tenant's knowledge and the conversation's state, the
 * redacted conversation, and the tools it may call), and what its answer
 * (response/1) may change. A tool call is validated (known tool, arguments
 * a JSON object, ids the tenant has, a slot among the ones the host found
 * and offered, an appointment the conversation is about) and becomes the
 * understanding of the patient's message that the built-in decision core
 * then acts on, so every action goes through the same policy as without a
 * model. The model's text is only a draft of the wording: the driver checks
 * it (ai_policy.h) before it replaces the built-in reply.
 */
#ifndef BW_HOST_CONVO_AI_TURN_H
#define BW_HOST_CONVO_AI_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "convo/convo.h"

#define AI_TURN_SLOT_PREFIX "slot-" /* slot ids the model sees: slot-1 .. slot-N */
#define AI_TURN_DRAFT_MAX 2048

/* One message of the conversation, already redacted. Borrowed. */
struct ai_turn_msg {
    bool from_patient;
    const char *text;
};

/* Why a model's answer changed nothing but the wording (or nothing). */
enum ai_tool_verdict {
    AI_TOOL_NONE = 0,        /* no tool call: the built-in understanding stands */
    AI_TOOL_APPLIED,         /* a valid tool call now drives the turn */
    AI_TOOL_UNKNOWN,         /* a tool that does not exist */
    AI_TOOL_MALFORMED,       /* arguments that are not a JSON object, or of the wrong type */
    AI_TOOL_UNKNOWN_ID,      /* a service, provider or appointment id the tenant lacks */
    AI_TOOL_UNOFFERED_SLOT,  /* a slot (or a time) that find_slots did not give */
    AI_TOOL_OUT_OF_PLACE,    /* a tool that does not fit the conversation's stage */
    AI_TOOL_VERDICT_COUNT
};

/* What the model's answer amounts to. */
struct ai_turn_outcome {
    enum ai_tool_verdict verdict;
    char tool[32];                 /* the first tool called, "" none */
    bool has_draft;
    char draft[AI_TURN_DRAFT_MAX]; /* the model's text (a draft) */
    int64_t input_tokens, output_tokens;
};

/* request/1 for a turn: now_us is the business clock, history the redacted
 * conversation oldest first (its last message is the patient's new one),
 * max_tokens and temperature the instance's (<= 0 / < 0: left to it).
 * A new object the caller deletes, or NULL when out of memory. */
cJSON *ai_turn_request(const struct convo_knowledge *k, const struct convo_state *st, int64_t now_us,
                       const struct ai_turn_msg *history, size_t n);

/* Reads response/1 for a turn on state st: fills *o and, when a valid tool
 * call is found, rewrites *nr (the built-in understanding of the message;
 * the patient's own name, email and client flags are kept) into what the
 * tool asks. A call that fails validation leaves *nr as it was and clears
 * the draft. Returns 0, or CONVO_E_INVAL when response is not response/1. */
int ai_turn_read(const struct convo_knowledge *k, const struct convo_state *st, const cJSON *response,
                 struct nlu_result *nr, struct ai_turn_outcome *o);

/* Stable lowercase names ("applied", "unoffered_slot", ...). */
const char *ai_tool_verdict_name(enum ai_tool_verdict v);

/* The local minutes since midnight of every slot st offers, holds or is
 * about (offers, the chosen visit, the appointment being changed) into
 * out[cap]. Returns how many. */
size_t ai_turn_state_times(const struct convo_knowledge *k, const struct convo_state *st, int *out, size_t cap);

#endif
