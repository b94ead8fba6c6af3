/*
 * A language model in the daemon's conversation turns: before the built-in
 * decision runs on a patient's message, the tenant's ai plugin (when one is
 * bound and allowed) gets the redacted conversation and may call a tool,
 * which becomes the message's understanding (convo/ai_turn.h), and then
 * words what the tools did; when it only writes, its text is a draft. A
 * draft replaces the built-in reply only if it passes the guard's checks
 * (ai_policy.h). On a timeout, an error, a refused tool
 * call or a refused draft the built-in understanding and wording stand, and
 * /metrics counts it per tenant, with the tokens and their cost.
 */
#ifndef BW_HOST_CONVO_AI_H
#define BW_HOST_CONVO_AI_H

#include <stdbool.h>
#include <stdint.h>

#include "ai_policy.h"
#include "convo/ai_turn.h"
#include "convo/convo.h"
#include "db.h"

struct daemon;

/* One turn's use of the model. Zeroed by convo_ai_understand. */
struct convo_ai_turn {
    bool used;                    /* the model answered and its answer is in use */
    bool acted;                   /* the turn fetched slots or ran an action before its reply */
    struct ai_turn_outcome out;
    int times[AI_POLICY_TIMES_MAX];
    size_t ntimes;
    int64_t extra_cents;
    bool opted_out, quiet;
    const char *tenant;           /* borrowed for the turn */
    const struct convo_knowledge *k;
    struct daemon *d;             /* borrowed */
    char names[4][NLU_PERSON_MAX]; /* the patient's names, redacted from what the model sees */
    cJSON *rq;                    /* after a tool call: the request sent (owned) */
    cJSON *calls;                 /* ... and the tool calls applied (owned) */
    bool worded;                  /* the wording round ran */
};

/* Asks the tenant's model about the message that *nr understands (the
 * conversation's stored messages up to message_id are its history) and
 * applies its answer to *nr. contact is the consent key (phone or address;
 * "" none). Never fails the turn: without a model, or on any failure, *nr
 * and t->used stay as they were (false). */
void convo_ai_understand(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                         int64_t message_id, const char *contact, const struct convo_knowledge *k,
                         const struct convo_state *st, int64_t now_us, struct nlu_result *nr,
                         struct convo_ai_turn *t);

/* The text to send for reply action a of the turn, else a->text (borrowed
 * from t or a). After a valid tool call, the turn's first reply (the host's
 * account of what the tools did) goes back to the model as their result, and
 * its wording replaces the reply when it passes the checks and keeps every
 * time and amount. Without a tool call, the model's text replaces the turn's
 * first reply when the turn fetched no slots and ran no action before it and
 * the text passes the checks. Never a deposit-link reply, a text-back or a
 * proactive message. Counts refused drafts. */
const char *convo_ai_reply_text(struct convo_ai_turn *t, const struct convo_action *a);

/* Frees what the turn kept. */
void convo_ai_turn_end(struct convo_ai_turn *t);

#endif
