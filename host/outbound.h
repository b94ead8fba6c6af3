/*
 * Outbound messages: the outbox half of the messages table. Whoever decides
 * to send (the conversation engine, the opt-out and HELP answers, staff)
 * calls outbound_enqueue inside its own transaction: the message row and
 * the job that sends it commit with the decision, or neither does. The send
 * worker then asks the send gate (send_gate.h) whether the message may go
 * now, holds it for quiet hours, or drops it; records the attempt before it
 * calls the channel (a Twilio or Meta send cannot be made idempotent, so a
 * send interrupted midway is marked "uncertain", never resent blindly); and
 * records the provider's id and status. Jobs of one contact's sends run in
 * order; held messages go out at the window's opening, in order.
 */
#ifndef BW_HOST_OUTBOUND_H
#define BW_HOST_OUTBOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

struct daemon;
struct jobs;

#define OUTBOUND_E_INVAL (-1)
#define OUTBOUND_E_DB    (-2)
#define OUTBOUND_E_NOTFOUND (-3) /* no such conversation */

#define OUTBOUND_SEND_KIND "message.send"
#define OUTBOUND_MAX_ATTEMPTS 8
#define OUTBOUND_TEXT_MAX 1600

/* One message to send. Borrowed for the call. */
struct outbound_msg {
    const char *tenant_id;
    int64_t conversation_id;   /* the contact and the channel binding come from it */
    const char *kind;          /* "reply", "textback", "proactive", "notice" (about what
                                  the contact booked: proactive, not commercial),
                                  "optout_confirmation", "help", "staff", "staff_alert"
                                  (to the clinic's own staff number: not held by quiet
                                  hours or caps) */
    const char *text;          /* what is sent and stored, 1..1600 bytes; the caller keeps
                                  health details and card numbers out of it */
    int64_t caused_by;         /* the inbound message or call it answers; 0: none */
    int64_t run_at_us;         /* not before (host clock); 0: now */
};

/*
 * Writes the message (status "queued") and its send job on tx, inside the
 * caller's transaction. *message_id (optional) gets the row's id. Returns 0,
 * OUTBOUND_E_INVAL (nothing written), OUTBOUND_E_NOTFOUND, or
 * OUTBOUND_E_DB (the caller's transaction is aborted).
 */
int outbound_enqueue(struct db_conn *tx, const struct outbound_msg *m, int64_t *message_id);

/*
 * Cancels every queued or held outbound message of the contact (their jobs
 * find them cancelled and do nothing), recording reason as the error code.
 * *cancelled (optional) gets how many. Returns 0 or OUTBOUND_E_DB.
 */
int outbound_cancel_pending(struct db_conn *tx, const char *tenant_id, int64_t contact_id,
                            const char *reason, int *cancelled);

/* A provider reported the contact unsubscribed (Twilio 21610): an opt-out
 * from the provider in the ledger, and the contact's pending messages
 * cancelled, on tx. Returns 0 or a negative error (tx aborted). */
int outbound_provider_opt_out(struct db_conn *tx, const char *tenant, int64_t contact_id,
                              const char *address, const char *channel, const char *code);

/* Registers the send worker's job kind; d is the context it reads the
 * configuration, the registry and a second connection from. */
int outbound_register(struct jobs *j, struct daemon *d);

#endif
