/*
 * An appointment of ours that the patient cancelled or moved in the
 * conversation, once the EMR has taken the change: the booking row follows,
 * so reconciliation finds nothing to tell staff about, reminders go to the
 * new time (or nowhere), and the deposit of a cancellation is settled by
 * the clinic's policy (refunded inside the allowed window, else as the
 * policy says). An appointment that is not one of our bookings (made at the
 * front desk) changes nothing here.
 */
#ifndef BW_HOST_BOOKING_CHANGE_H
#define BW_HOST_BOOKING_CHANGE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"

/* Cancelled: the booking is 'cancelled' and its paid deposit settled as a
 * patient cancellation under clinic's policy (the catalog document, may be
 * NULL for the defaults). On tx. 0 or -1. */
int booking_cancelled_by_patient(struct db_conn *tx, const char *tenant,
                                 const char *emr_appointment_id, const cJSON *clinic);

/* Moved to [start_us, end_us) with provider_id (NULL: the same one): the
 * booking's time and the reminders of the new time, on tx. 0 or -1. */
int booking_moved_by_patient(struct db_conn *tx, const char *tenant, const char *emr_appointment_id,
                             int64_t start_us, int64_t end_us, const char *provider_id);

#endif
