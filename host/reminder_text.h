/*
 * What confirmations and reminders say, the add-to-calendar document, and
 * how a patient's answer to a reminder is read. The wording names the
 * clinic, the service, the provider and the local time in the clinic's
 * zone; never health details. Pure: no I/O.
 */
#ifndef BW_HOST_REMINDER_TEXT_H
#define BW_HOST_REMINDER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct knowledge;

#define REMINDER_SMS_MAX 159          /* a reminder fits one SMS segment: under 160 */
#define REMINDER_CONFIRMATION_MAX 480 /* the longest message the assistant sends */

/* What is being confirmed or reminded of. Borrowed. */
struct reminder_appt {
    const char *service_id;
    const char *provider_id;
    int64_t start_us, end_us;
};

/* The confirmation right after a booking: date, time, provider, address,
 * the cancellation policy (shortened when it would not fit) and the
 * calendar link. At most REMINDER_CONFIRMATION_MAX bytes. */
void reminder_text_confirmation(const struct knowledge *k, const struct reminder_appt *a,
                                const char *calendar_url, char *out, size_t cap);

/* A reminder of fewer than 160 characters naming the clinic and how to
 * answer and opt out; the service is left out when it would not fit. One
 * the patient has already confirmed does not ask for it again. */
void reminder_text_reminder(const struct knowledge *k, const struct reminder_appt *a,
                            bool confirmed, char *out, size_t cap);

/* The iCalendar (RFC 5545) document of the appointment, lines folded at 75
 * octets, CRLF line ends. uid names the event; now_us is its DTSTAMP.
 * Returns a malloc'd string (caller frees) or NULL. */
char *reminder_ics(const struct knowledge *k, const struct reminder_appt *a, const char *uid,
                   int64_t now_us);

enum reminder_reply {
    REMINDER_REPLY_OTHER = 0,
    REMINDER_REPLY_CONFIRM,      /* yes, C, confirm, a thumbs up... */
    REMINDER_REPLY_RESCHEDULE,   /* R, reschedule, another time... */
    REMINDER_REPLY_CANCEL,       /* cancel, X, can't make it... */
};

/* Reads the patient's answer to a reminder. */
enum reminder_reply reminder_reply_classify(const char *text);

#endif
