/*
 * Confirmations and reminders of booked appointments, as jobs on the host
 * clock. When the booking writer has a booking in the EMR it calls
 * reminders_on_booked(), which queues "reminders.confirm": the patient gets
 * a confirmation (date, time, provider, address, cancellation policy and an
 * add-to-calendar link behind an unguessable token, served by
 * routes_calendar.c), and one "reminders.send" job is queued per offset of
 * the tenant's schedule (reminder_policy.h; default 48 and 2 hours before)
 * plus a "reminders.unconfirmed" job for the staff alert. A reminder asks
 * the send gate (send_gate.h: opt-out, quiet hours and state rules, caps,
 * CASL) before it is written: held by quiet hours it is tried again at the
 * window's opening, or dropped when that is later than min_lead_minutes
 * before the start; a patient gets at most one reminder a day and three a
 * week (REMINDER_DAILY_MAX, REMINDER_WEEKLY_MAX). Each decision is a
 * reminder_sends row. Answers to a reminder are read by reminder_replies.h.
 */
#ifndef BW_HOST_REMINDERS_H
#define BW_HOST_REMINDERS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define REMINDERS_CONFIRM_KIND "reminders.confirm"
#define REMINDERS_SEND_KIND "reminders.send"
#define REMINDERS_UNCONFIRMED_KIND "reminders.unconfirmed"
#define REMINDER_DAILY_MAX 1
#define REMINDER_WEEKLY_MAX 3
#define REMINDER_TOKEN_LEN 64           /* hex characters of a calendar token */

struct booking;
struct daemon;

/* Queues the confirmation of booking b on tx (once per booking), and the
 * check of its attendance (attendance.h). Returns 0 or -1 (tx aborted). */
int reminders_on_booked(struct db_conn *tx, const char *tenant, const struct booking *b);

/* Booking booking_id moved to a new time (its row already says so): the
 * reminders and the unconfirmed check of the new time are queued on tx;
 * those of the old time find the move and do nothing. 0 or -1. */
int reminders_on_moved(struct db_conn *tx, const char *tenant, int64_t booking_id);

/* The public URL of the calendar file of token, for tenant (its
 * links_base_url, else the daemon's public listener). */
void reminders_calendar_url(struct daemon *d, const char *links_base_url, const char *token,
                            char *out, size_t cap);

/* Registers the job kinds; d is borrowed for the daemon's life. */
int reminders_register(struct daemon *d);

#endif
