/*
 * Carrying out a deposit's fate (deposit_policy.h) on the database: the
 * fate, the occasion and the policy it came from join the deposit's
 * evidence trail ("deposit.fate"), and a refund is asked for through
 * deposits_refund() when the fate is one. A payment for a slot that was
 * lost (paid after its hold lapsed, the time taken meanwhile) is refunded
 * by a job at the policy's grace period unless a booking applied it first
 * (a booking whose deposit names the payment as its payment_reference),
 * or earlier when someone asks (deposits_refund()).
 *
 * A link stays payable after its hold lapses, and is deleted once its slot
 * can no longer be honoured: booked by someone else, or closer than the
 * clinic's minimum notice.
 *
 * Also where a booking's trail lives: the subject of the deposit the
 * booking's payment came from, else "hold-<the booking's hold>".
 * Library code: no logging.
 */
#ifndef BW_HOST_DEPOSIT_FATE_H
#define BW_HOST_DEPOSIT_FATE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "deposit_policy.h"

struct jobs;

#define DEPOSIT_FATE_LOST_SLOT_KIND "deposits.lost_slot"

/*
 * Settles paid deposit id of tenant on occasion for an appointment starting
 * at start_us, by policy p, at the host clock's now, on tx. Returns 0 with
 * *fate set, 1 when the deposit is not paid (nothing recorded), or -1.
 */
int deposit_fate_settle(struct db_conn *tx, const char *tenant, int64_t id,
                        enum deposit_occasion occ, int64_t start_us,
                        const struct deposit_policy *p, enum deposit_fate *fate);

/*
 * The newest paid deposit of conversation conv was paid for a slot that is
 * gone: records it and queues the refund at now + p->lost_slot_refund_min.
 * Returns 0 (also when the conversation has no paid deposit), or -1.
 */
int deposit_fate_lost_slot(struct db_conn *tx, const char *tenant, int64_t conv,
                           const struct deposit_policy *p);

/*
 * The patient of conversation conv asks for the deposit they paid for a lost
 * slot back: records the fate and refunds it now. Returns 0 (also when
 * there is no paid deposit), or -1.
 */
int deposit_fate_refund_on_request(struct db_conn *tx, const char *tenant, int64_t conv);

/*
 * Hold hold_id of tenant is being booked: every unpaid deposit whose own
 * (lapsed) hold overlaps it with the same provider can no longer be
 * honoured, and expires (deposits_expire: its link is deleted at the
 * provider). Returns how many expired, or -1.
 */
int deposit_fate_expire_overlapping(struct db_conn *tx, const char *tenant, int64_t hold_id);

/* Deposit id, for hold hold_id, expires when the hold's start is closer
 * than min_notice_min minutes, unless paid by then: a job at that time.
 * Returns 0 or -1. */
int deposit_fate_expire_at_notice(struct db_conn *tx, const char *tenant, int64_t id,
                                  int64_t hold_id, int min_notice_min);

#define DEPOSIT_FATE_NOTICE_KIND "deposits.notice_expire"

/* Registers the lost-slot refund and the notice expiry jobs. */
int deposit_fate_register(struct jobs *j);

/*
 * The evidence subject of booking id: 1 found (subject filled), 0 no such
 * booking (or one with neither a deposit nor a hold), -1 database failure.
 * *deposit_id (may be NULL) gets the deposit it was paid with, 0 none.
 */
int deposit_fate_booking_subject(struct db_conn *c, const char *tenant, int64_t id,
                                 char *subject, size_t cap, int64_t *deposit_id);

#endif
