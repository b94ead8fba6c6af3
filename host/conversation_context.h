/*
 * A conversation's context as an integrator reads it (GET
 * /conversations/{id}/state): who and where (contact shown as the staff
 * inbox shows it, channel, status), the engine's stage and what it knows
 * (services asked about, provider, the slots offered, the slot chosen),
 * and the contact's latest hold, its booking and the conversation's latest
 * deposit. Never message text, health details, names beyond the contact
 * line, e-mail or card data.
 */
#ifndef BW_HOST_CONVERSATION_CONTEXT_H
#define BW_HOST_CONVERSATION_CONTEXT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"

#define CONVERSATION_CONTEXT_NOTFOUND 1

/* The context of the tenant's conversation id into *out (the caller's).
 * Returns 0, CONVERSATION_CONTEXT_NOTFOUND (none of the tenant's, or its
 * contact was erased) or -1. */
int conversation_context(struct db_conn *c, const char *tenant, int64_t id, cJSON **out);

#endif
