/*
 * Attendance: what became of a booked appointment, read back from the EMR
 * (appointment_list) by a job due ATTENDANCE_FIRST_CHECK_US after the
 * appointment ends. The EMR's status decides: "arrived" or "completed"
 * (showed), "no_show", "cancelled"; one still "booked" is checked again
 * every ATTENDANCE_RECHECK_US until ATTENDANCE_GIVE_UP_US after the end,
 * then left unrecorded. A recorded state is one attendance row per booking
 * (the no-show rate by month and provider is counted from it); the
 * deposit the booking was paid with follows (deposit_fate.h: applied when
 * the patient showed, forfeited on a no-show, by the tenant's policy); a
 * visit that took place starts its recall (recall.h); and a no-show gets
 * one message offering to rebook.
 */
#ifndef BW_HOST_ATTENDANCE_H
#define BW_HOST_ATTENDANCE_H

#include <stdint.h>

#include "db.h"

#define ATTENDANCE_JOB_KIND "attendance.check"
#define ATTENDANCE_FIRST_CHECK_US (60 * 60 * INT64_C(1000000))      /* an hour after the end */
#define ATTENDANCE_RECHECK_US (6 * 60 * 60 * INT64_C(1000000))      /* then every 6 hours */
#define ATTENDANCE_GIVE_UP_US (3 * 24 * 60 * 60 * INT64_C(1000000)) /* for 3 days */

struct booking;
struct daemon;

/* Queues the first check of booking b on tx (once per booking). 0 or -1. */
int attendance_schedule(struct db_conn *tx, const char *tenant, const struct booking *b);

/* Maps an EMR appointment status to an attendance state ("arrived",
 * "completed", "no_show", "cancelled"), or NULL when none is known yet. */
const char *attendance_state_of(const char *emr_status);

/* Registers the job kind; d is borrowed for the daemon's life. */
int attendance_register(struct daemon *d);

#endif
