/*
 * The jobs that process normalized channel events (events/1) after the
 * webhook committed them to the inbox, one contact's events at a time and
 * in order: inbound messages (contact, conversation, the redacted message,
 * implied consent, then opt-out / opt-in / HELP before anything else, and
 * the rest to the conversation engine through convo_hook.h), missed calls
 * (the call, then the engine for the text-back), delivery statuses (never
 * back from delivered to sent; Twilio's 21610 opts the contact out), and
 * the provider's own opt-out and opt-in reports. A delivery status can also
 * be applied by the webhook that brings it (messaging_status_quick).
 */
#ifndef BW_HOST_MESSAGING_EVENTS_H
#define BW_HOST_MESSAGING_EVENTS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"

struct daemon;
struct jobs;

#define MESSAGING_EVENT_KIND "channel.event"
/* Payment events are routed here by the webhook and handled by the
 * deposits worker, which registers this kind. Payload as below. */
#define MESSAGING_PAYMENT_EVENT_KIND "payment.event"
#define MESSAGING_EVENT_MAX_ATTEMPTS 6

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

/* The ordering key of one channel event (per contact; a status per
 * message): writes at most cap bytes into key. */
void messaging_event_ordering_key(const char *type, const char *from, const char *message_id,
                                  char *key, size_t cap);

#endif
