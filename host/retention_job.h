/*
 * The retention.purge job kind: once a day per tenant with a retention
 * period, purges the message text older than it (retention.h) in batches,
 * then enqueues the next day's run. The daemon registers the kind before
 * the workers start and enqueues today's run for every such tenant at
 * start (a no-op when it exists already).
 */
#ifndef BW_HOST_RETENTION_JOB_H
#define BW_HOST_RETENTION_JOB_H

struct daemon;

/* Registers the handler on d->jobs. Returns 0 or -1. */
int retention_job_register(struct daemon *d);

/* Enqueues today's run for every tenant with a retention period. Returns
 * 0, or -1 after logging why. */
int retention_job_schedule_all(struct daemon *d);

#endif
