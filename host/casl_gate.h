/*
 * CASL in the send path. casl_gate_rule is a send gate rule
 * (send_gate_add_rule): for a Canadian tenant, a commercial message
 * (casl_kind_commercial) to a contact without express consent, or whose
 * implied consent has lapsed, is dropped with the reason "casl_<why>"
 * ("casl_lapsed", "casl_no_consent"); everything else passes as the gate
 * decided it. casl_gate_footer runs in the send worker once a commercial
 * message to a Canadian tenant's contact may go: it appends the clinic's
 * identification and unsubscribe footer when missing and stores the text as
 * it will be sent.
 */
#ifndef BW_HOST_CASL_GATE_H
#define BW_HOST_CASL_GATE_H

#include <stdint.h>

#include "send_gate.h"

/* The rule itself (ctx unused). */
int casl_gate_rule(struct db_conn *c, const struct send_gate_input *in,
                   struct send_gate_decision *d, void *ctx);

/* Adds the rule to the gate. Returns 0 or SEND_GATE_E_FULL. */
int casl_gate_install(void);

/*
 * For message message_id of tenant_id (country, clinic_name) of the given
 * kind, whose text *body (malloc'd) is about to be sent: when CASL asks for
 * the footer and it is missing, replaces *body by the text with it and
 * updates messages.body on c. Returns 0 (also when nothing was needed),
 * CASL_E_TOOLONG (the message cannot carry the footer: the caller drops
 * it), CASL_E_NOMEM or CASL_E_DB.
 */
int casl_gate_footer(struct db_conn *c, const char *tenant_id, const char *country,
                     const char *clinic_name, int64_t message_id, const char *kind, char **body);

#endif
