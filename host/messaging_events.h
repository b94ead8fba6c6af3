/*
 * The jobs that process normalized channel events (events/1) after the
 * webhook committed them to the inbox, one contact's events at a time and
 * in order: inbound messages (contact, conversation, the redacted message,
 * implied consent, then opt-out / opt-in / HELP before anything else, and
 * the rest to the conversation engine through convo_hook.h), missed calls
 * (the call, then the engine for the text-back), delivery statuses (never
 * back from delivered to sent; Twilio's 21610 opts the contact out), and
 * the provider's own opt-out and opt-in reports. An event queued with
 * the provider MESSAGING_API_PROVIDER is a patient's message an integrator
 * handed over (routes_conversations.c): its consent and opt-out entries
 * have the web-form source. A delivery status can also
 * be applied by the webhook that brings it (messaging_status_quick).
 */
#ifndef BW_HOST_MESSAGING_EVENTS_H
#define BW_HOST_MESSAGING_EVENTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

struct daemon;
struct jobs;

#define MESSAGING_EVENT_KIND "channel.event"
/* Payment events are routed here by the webhook and handled by the
 * deposits worker, which registers this kind. Payload as below. */
#define MESSAGING_PAYMENT_EVENT_KIND "payment.event"
#define MESSAGING_EVENT_MAX_ATTEMPTS 6
/* The provider of events handed over through the API (no webhook is
 * routed to it: no plugin has that provider name). */
#define MESSAGING_API_PROVIDER "api"

/*
 * Job payload of both kinds: {"binding": plugin id, "provider": "twilio",
 * "endpoint": "sms", "inbox_id": N, "event": one redacted events/1 item}.
 */

/* Registers MESSAGING_EVENT_KIND; d gives the tenants' settings. */
int messaging_events_register(struct jobs *j, struct daemon *d);

/*
 * The common case of a delivery status, in one statement outside any
 * transaction: a status without an error code for a message of ours,
 * moved forward (or left, when it is not a step forward), or a "queued"
 * or "sent" for a message not known yet (the send records the provider's
 * answer itself). Returns 1 when
 * done, 0 when it is not that case (an error code, a message not known
 * yet, not a status: the caller takes the full path), -1 on a database
 * failure.
 */
int messaging_status_quick(struct db_conn *c, const char *tenant, const char *binding,
                           const cJSON *event);

/*
 * Records one normalized event of binding in the inbox (after the default
 * redaction, which edits ev) under provider "provider/endpoint", and, when
 * it is new, queues its job (MESSAGING_PAYMENT_EVENT_KIND when payment)
 * with the per-contact ordering key, on c inside the caller's transaction.
 * Returns 0 (*is_new says whether it was new), 1 when the inbox refuses the
 * event as malformed (nothing recorded), -1 on failure.
 */
int messaging_event_queue(struct db_conn *c, const char *tenant, const char *binding,
                          const char *provider, const char *endpoint, bool payment, cJSON *ev,
                          bool *is_new);

/*
 * Finds or creates the contact at address on channel ("sms", "instagram",
 * "webchat", "rbm"; anything else is "sms") and its conversation on
 * binding, as an inbound message does: the conversation takes binding, and
 * to (the clinic's address, may be NULL) unless it has one. Returns 0 with
 * both ids, or -1.
 */
int messaging_contact_upsert(struct db_conn *c, const char *tenant, const char *binding,
                             const char *channel, const char *address, const char *to,
                             int64_t *contact_id, int64_t *conversation_id);

/* The ordering key of one channel event (per contact; a status per
 * message): writes at most cap bytes into key. */
void messaging_event_ordering_key(const char *type, const char *from, const char *message_id,
                                  char *key, size_t cap);

#endif
