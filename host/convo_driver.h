/*
 * The conversation engine in the daemon: the convo_hook engine that runs a
 * turn of the decision core (convo/turn.h) for each inbound message or
 * missed call, inside the messaging job's transaction, with the ports
 * implemented over availability, the EMR (patient_find), holds, deposits,
 * the booking writer and the outbox. It also handles the jobs that come
 * back into a conversation: a deposit link made (the held reply goes out
 * with the URL), a deposit paid (the booking is written), and timers.
 * Each turn loads and locks the conversation (FOR UPDATE) and stores its
 * state and status in the same transaction.
 */
#ifndef BW_HOST_CONVO_DRIVER_H
#define BW_HOST_CONVO_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;

#define CONVO_DRIVER_TIMER_KIND "convo.timer"

struct db_conn;

/* Staff take conversation conv_id over (take_over: stage "handoff", status
 * 'handoff', the engine silent) or hand it back (the core's STAFF_HANDBACK
 * event: the engine resumes where it was), on tx. Returns 0, 1 when the
 * tenant has no catalog, -1 on failure (err says why; no such conversation
 * included). */
int convo_driver_staff(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                       bool take_over, char *err, size_t errcap);

/* Registers the hook and the job kinds (link made, paid, timer) on
 * d->jobs; d is borrowed for the daemon's life. Returns 0 or -1. */
int convo_driver_register(struct daemon *d);

#endif
