/*
 * Answers to an appointment reminder. A conversation filter
 * (convo_hook_add_filter) that looks at a patient's message while a
 * reminder of theirs awaits an answer (appointment_reminders.reply_open):
 * a yes ("C", "confirm", "yes", a thumbs up...) confirms the appointment
 * (recorded on the booking's reminder row; the EMR plugin ABI has no
 * operation that takes a confirmation) and is thanked; "R" or a reschedule
 * request goes to the conversation engine's reschedule flow, a
 * cancellation to its cancel flow (which says the tenant's policy and
 * settles the deposit by it); anything else raises a staff alert and the
 * patient is told the team will answer. Either way the reminder is
 * answered: later messages go to the engine as usual.
 */
#ifndef BW_HOST_REMINDER_REPLIES_H
#define BW_HOST_REMINDER_REPLIES_H

struct daemon;

/* Adds the filter; d is borrowed for the daemon's life. 0 or -1. */
int reminder_replies_install(struct daemon *d);

#endif
