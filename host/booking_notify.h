/*
 * What the booking writer and the reconciliation job tell people: the
 * patient (through the outbox, on the conversation of the contact the hold
 * was made for; a booking made by staff tools without a contact tells no
 * patient) and staff (staff_alert.h). The wording names the service and the
 * local time in the clinic's zone; it never carries health details.
 */
#ifndef BW_HOST_BOOKING_NOTIFY_H
#define BW_HOST_BOOKING_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct booking;
struct knowledge;

/* "Hydrafacial on Thu, Mar 4 at 3:00 PM" (the clinic's zone) into out. */
void booking_describe_slot(const struct knowledge *k, const char *service_id, int64_t start_us,
                           char *out, size_t cap);

/* The patient's conversation for hold_id: 1 and *conv set, 0 when there is
 * none, -1 on a database failure. */
int booking_conversation(struct db_conn *tx, const char *tenant, int64_t hold_id, int64_t *conv);

/* Queues text to the patient of hold_id on tx, of kind (outbound.h):
 * "notice" for news of the booking itself, "proactive" for an invitation
 * (to rebook, say). 1 queued, 0 no conversation, -1 failure (tx aborted). */
int booking_tell_patient(struct db_conn *tx, const char *tenant, int64_t hold_id,
                         const char *kind, const char *text);

/* Raises a staff alert about booking b (subject "booking:<id>"), texted to
 * staff_phone when given. 1 new, 0 raised before, -1 failure. */
int booking_tell_staff(struct db_conn *tx, const char *tenant, const struct booking *b,
                       const char *kind, const char *text, const char *staff_phone);

#endif
