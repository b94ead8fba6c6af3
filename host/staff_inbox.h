/*
 * The staff inbox over the messaging tables: a tenant's conversations with
 * their open staff alerts, one conversation's transcript (the stored,
 * redacted bodies), and what staff do with it: take over (the engine goes
 * silent), reply (a "staff" message through the outbox, on the
 * conversation's channel) and hand back (the engine's STAFF_HANDBACK
 * event; the conversation's open alerts are resolved). Every call is
 * scoped by tenant: another tenant's conversation id is "not found".
 */
#ifndef BW_HOST_STAFF_INBOX_H
#define BW_HOST_STAFF_INBOX_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"

struct daemon;

#define STAFF_INBOX_LIST_MAX 200
#define STAFF_INBOX_NOTFOUND 1
#define STAFF_INBOX_STAFF_NUMBER 2 /* the clinic's own staff number (messaging.staff_phone):
                                      its conversation stays with staff */

/* The tenant's conversations, newest activity first, as an array of
 * {"id", "contact", "channel", "status", "group", "last_at", "messages",
 * "open_alerts", "alerts": [text...]} where group is "needs_attention"
 * (an open staff alert), "handed_off" (status handoff), "new" (begun in the
 * last 24 hours) or "open". NULL on failure; the caller owns it. */
cJSON *staff_inbox_list(struct db_conn *c, const char *tenant, int64_t now_us);

/* One conversation's head: {"id", "contact" (the contact's name, else
 * phone, else address), "channel", "status"} into *out (the caller owns
 * it). An erased contact's conversation is not found. Returns 0,
 * STAFF_INBOX_NOTFOUND, or -1. */
int staff_inbox_head(struct db_conn *c, const char *tenant, int64_t conv_id, cJSON **out);

/* One conversation: {"id", "contact", "channel", "status", "messages":
 * [{"id", "direction", "kind", "body", "status", "at"}], "alerts": [{"id",
 * "kind", "text", "at"}]} into *out (the caller owns it). Returns 0,
 * STAFF_INBOX_NOTFOUND, or -1. */
int staff_inbox_get(struct db_conn *c, const char *tenant, int64_t conv_id, cJSON **out);

/* On tx (the caller begins and commits). Each returns 0,
 * STAFF_INBOX_NOTFOUND, or -1 (tx aborted); hand back also
 * STAFF_INBOX_STAFF_NUMBER (nothing changed). */
int staff_inbox_take_over(struct daemon *d, struct db_conn *tx, const char *tenant,
                          int64_t conv_id);
int staff_inbox_hand_back(struct daemon *d, struct db_conn *tx, const char *tenant,
                          int64_t conv_id, int64_t now_us);
/* text: 1..OUTBOUND_TEXT_MAX bytes (else -2); *message_id gets the
 * outbox row. */
int staff_inbox_reply(struct db_conn *tx, const char *tenant, int64_t conv_id, const char *text,
                      int64_t *message_id);

#endif
