/*
 * Erasing a contact on request ("bookwell contact erase TENANT CONTACT").
 * What goes: first and last name, email, phone (the consent ledger keeps a
 * salted hash of the contact's key instead), every message body in and out,
 * the conversation's engine state, the text, number and identity in the
 * contact's inbox events. Queued and held messages to the contact are
 * cancelled. What stays is what the evidence of a paid booking needs: the
 * contact row itself (its id, channel, created_at, erased_at and the EMR
 * patient id that links the booking to the clinic's own record), the
 * messages' metadata (when, which kind, delivery status), calls, bookings,
 * deposits and evidence rows, and the consent ledger's facts under the
 * hashed key, so an erased contact's opt-out still blocks every send (see
 * sql/0011_erasure_retention.sql). Runs inside the caller's transaction or
 * in one of its own; erasing twice is harmless.
 */
#ifndef BW_HOST_CONTACT_ERASE_H
#define BW_HOST_CONTACT_ERASE_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

#define ERASE_E_INVAL    (-1) /* a malformed tenant or contact */
#define ERASE_E_NOTFOUND (-2) /* no such contact in the tenant */
#define ERASE_E_DB       (-3)

#define ERASE_MAX_CONTACTS 16 /* contacts one identity may match (one per channel) */

struct erase_result {
    int contacts;          /* contacts erased now */
    int already;           /* contacts that were erased before */
    int64_t ids[ERASE_MAX_CONTACTS];
    long messages;         /* bodies removed */
    long cancelled;        /* queued or held messages cancelled */
    long consent_events;   /* ledger rows moved to the hashed key */
    long inbox_events;     /* inbox events emptied */
};

/*
 * Erases the contacts of tenant_id that contact names: a contact id
 * (digits), or an address or E.164 phone (every contact of the tenant with
 * that address or phone, one per channel). now_us is the host clock.
 * Returns 0 and fills out, or ERASE_E_*.
 */
int contact_erase(struct db_conn *c, const char *tenant_id, const char *contact, int64_t now_us,
                  struct erase_result *out);

#endif
