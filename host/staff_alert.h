/*
 * Staff alerts: something a person at the clinic must look at (a booking
 * the EMR has refused or not taken for a while, an appointment cancelled in
 * the EMR under a booking of ours, a slot lost after payment, a patient who
 * reports something urgent or asks for a person). An alert is a
 * staff_alerts row, raised once per (kind, subject), a log line, and, when
 * the tenant configures messaging.staff_phone, a text to that number
 * through the outbox: the staff number gets its own contact and
 * conversation on the tenant's SMS binding, created handed off (status
 * 'handoff', the conversation engine's stage "handoff", where it stays
 * silent), so a reply from staff is never answered by the engine. Everything is written on the caller's
 * transaction, so an alert commits with the decision that raised it.
 * The text names the booking and the time, never health details.
 */
#ifndef BW_HOST_STAFF_ALERT_H
#define BW_HOST_STAFF_ALERT_H

#include <stdint.h>

#include "db.h"

#define STAFF_ALERT_TEXT_MAX 480

struct staff_alert {
    const char *tenant_id;
    const char *kind;          /* "booking.delayed", "booking.failed", "booking.conflict",
                                  "booking.cancelled_in_emr", "booking.rewritten",
                                  "conversation.<reason>" (urgent_symptoms, asked_for_person...) */
    const char *subject;       /* what it is about, e.g. "booking:12" */
    const char *text;          /* for staff: no health details */
    const char *staff_phone;   /* E.164, or NULL/"" for no text */
    int64_t conversation_id;   /* the patient's conversation (its binding sends the text); 0: any */
};

/*
 * Raises the alert on tx. Returns 1 when it is new (row written, logged,
 * text queued when a staff phone and an SMS binding exist), 0 when it was
 * raised before, or -1 on a database failure (tx aborted).
 */
int staff_alert_raise(struct db_conn *tx, const struct staff_alert *a);

#endif
