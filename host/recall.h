/*
 * Recall: one message, a set time after a visit, offering to book the next
 * one ("Botox lasts 3-4 months"). The interval is per service, in the
 * catalog's optional "recall" object (service id -> days: {"botox": 105}).
 * When attendance records that a patient came (attendance.h), a
 * "recall.send" job is queued for the visit's start plus the interval. It
 * sends nothing when the patient has booked another visit since, has no
 * marketing consent on record (a consent of scope marketing or all in the
 * ledger after their last opt-out), or is opted out; quiet hours hold it to
 * the window's opening and, for a Canadian clinic, CASL's rules apply (the
 * send gate). One recall per visit at most (recall_sends).
 */
#ifndef BW_HOST_RECALL_H
#define BW_HOST_RECALL_H

#include <stdint.h>

#include "db.h"

#define RECALL_JOB_KIND "recall.send"

struct booking;
struct daemon;
struct knowledge;

/* Queues the recall of visit b on tx when k gives its service an interval.
 * 0 or -1. */
int recall_schedule(struct db_conn *tx, const char *tenant, const struct knowledge *k,
                    const struct booking *b);

/* The recall interval of service_id in days, 0 when none. */
int recall_days(const struct knowledge *k, const char *service_id);

int recall_register(struct daemon *d);

#endif
