/*
 * Retention of message text: a tenant's retention period (tenant.retention
 * in its configuration; 0 keeps text forever) bounds how long the text of
 * its messages is kept. Older bodies become NULL, and so does the "text" of
 * older inbound channel events in the inbox; everything else stays: the
 * message rows with their kind, times and delivery status, the
 * conversation's facts, calls, bookings, deposits, evidence and the consent
 * ledger (the record of consent, see sql/0011_erasure_retention.sql).
 * Messages still waiting to be sent keep their text until they are sent or
 * cancelled. The purge is a daily job per tenant (retention_job.c).
 */
#ifndef BW_HOST_RETENTION_H
#define BW_HOST_RETENTION_H

#include <stdint.h>

#include "db.h"

#define RETENTION_E_INVAL (-1)
#define RETENTION_E_DB    (-2)

#define RETENTION_JOB_KIND "retention.purge"
#define RETENTION_BATCH 5000          /* rows per table per run; more comes in a follow-up */
#define RETENTION_INTERVAL_US (24LL * 3600 * 1000000)
#define RETENTION_MIN_MS (86400000LL) /* a configured period is 0 or at least a day */

/* Purges, on c, at most limit message bodies and limit inbox texts of
 * tenant_id created before before_us (host clock). *messages and *inbox
 * (optional) get how many. Returns 0 or RETENTION_E_*. */
int retention_purge(struct db_conn *c, const char *tenant_id, int64_t before_us, int limit,
                    long *messages, long *inbox);

/* Enqueues the tenant's purge at run_at_us, deduplicated per UTC day of
 * run_at_us (a second enqueue for the same day is a no-op). Returns 0 or
 * RETENTION_E_DB. */
int retention_schedule(struct db_conn *c, const char *tenant_id, int64_t run_at_us);

#endif
