/*
 * Reconciliation of our bookings with the EMR's calendar: a job per tenant
 * (kind "booking.reconcile"), due every BOOKING_RECONCILE_EVERY_US on the
 * host clock while the tenant has upcoming booked appointments (the booking
 * writer queues the first one when it writes a booking), lists the EMR's
 * appointments over the span of our upcoming bookings (appointment_list) and
 * compares each booking with the appointment it was written as:
 *  - found and live: recorded as reconciled;
 *  - missing from the EMR: written again once (the booking goes back to
 *    'pending' with a new idempotency key, "-r1"), staff alerted; missing
 *    again after that: staff alerted, not rewritten;
 *  - cancelled in the EMR: our booking becomes 'cancelled', staff alerted.
 * An EMR that cannot answer is tried again at the next run.
 */
#ifndef BW_HOST_BOOKING_RECONCILE_H
#define BW_HOST_BOOKING_RECONCILE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"

#define BOOKING_RECONCILE_KIND "booking.reconcile"
#define BOOKING_RECONCILE_EVERY_US (60 * 60 * INT64_C(1000000))
#define BOOKING_RECONCILE_MAX 500    /* bookings compared per run */

enum reconcile_verdict {
    RECONCILE_OK,
    RECONCILE_MISSING,
    RECONCILE_CANCELLED,
};

/* What appointments/1 (the parsed appointment_list output) says of the
 * appointment with id appointment_id. */
enum reconcile_verdict booking_reconcile_verdict(const cJSON *appointments,
                                                 const char *appointment_id);

/* Queues the tenant's next run (at the next BOOKING_RECONCILE_EVERY_US
 * boundary after now_us; once per boundary) on tx. 0 or -1. */
int booking_reconcile_schedule(struct db_conn *tx, const char *tenant, int64_t now_us);

struct jobs;
struct daemon;
/* Registers the job kind; d is borrowed for the daemon's life. */
int booking_reconcile_register(struct jobs *j, struct daemon *d);

#endif
