/*
 * The webhook inbox: a provider's event, once verified and normalized, is
 * recorded here before the provider gets its 2xx. A redelivery of the same
 * event (same tenant, provider and provider event id) is recognised and not
 * stored again. The raw body is never passed in; the normalized event goes
 * through the redaction hook first, so card numbers and health details never
 * reach the table.
 */
#ifndef BW_HOST_INBOX_H
#define BW_HOST_INBOX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

#define INBOX_E_INVALID (-1) /* bad event: empty or too long ids, not a JSON object */
#define INBOX_E_REDACT  (-2) /* the redactor refused the event; nothing stored */
#define INBOX_E_DB      (-3) /* the database failed; the caller's transaction is aborted */

#define INBOX_MAX_EVENT_BYTES (256 * 1024)
#define INBOX_MAX_ID_BYTES 255

/* Borrowed for the call. */
struct inbox_event {
    const char *tenant_id;
    const char *provider;          /* "twilio", "square": the plugin's provider name */
    const char *provider_event_id; /* the provider's id for the event (MessageSid, event_id) */
    const char *kind;              /* normalized kind: "message.inbound", "payment.completed" */
    const char *event_json;        /* the normalized event, a JSON object; never the raw body */
    int64_t received_at_us;        /* business time; 0 means clock_now_us() */
};

/*
 * Masks what must not be stored, editing event in place. Returns 0, or -1 to
 * refuse the event (inbox_record then stores nothing). Runs on the calling
 * thread: it must be thread-safe and must not block.
 */
typedef int (*inbox_redactor_fn)(cJSON *event);

/* Replaces the redactor (NULL restores the default). Set it at start-up,
 * before requests arrive. */
void inbox_set_redactor(inbox_redactor_fn fn);

/* The default redactor: masks card numbers and replaces health details with
 * markers in every string value (redact.h); refuses the event only when out
 * of memory. */
int inbox_redact_default(cJSON *event);

/*
 * Records ev. On success returns 0, sets *duplicate (true when this event was
 * already recorded, in which case nothing is written) and *id (the row's id;
 * for a duplicate the first delivery's id, or 0 if that row is not visible to
 * this connection). Runs no BEGIN or COMMIT of its own, so it joins the
 * caller's transaction (READ COMMITTED): a concurrent delivery of the same
 * event waits for the first to commit or roll back. Returns INBOX_E_*.
 */
int inbox_record(struct db_conn *c, const struct inbox_event *ev, bool *duplicate, int64_t *id);

#endif
