/*
 * The retention.purge job (see retention_job.h). A run purges one batch per
 * table in the job's transaction; when a batch was full it enqueues an
 * immediate follow-up, otherwise the next day's run. A tenant that no
 * longer has a retention period (or no longer exists) ends its chain.
 */
#include "retention_job.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "jobs.h"
#include "log.h"
#include "retention.h"

static int purge_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    const struct tenant_config *t = config_tenant(&d->cfg, job->tenant_id);
    if (!t || t->retention_ms <= 0)
        return 0;
    int64_t now = clock_now_us();
    long messages = 0, inbox = 0;
    int rc = retention_purge(c, t->id, now - t->retention_ms * 1000, RETENTION_BATCH, &messages,
                             &inbox);
    if (rc != 0) {
        snprintf(res->error, sizeof res->error, "retention: purge failed");
        return JOB_RETRY;
    }
    if (messages >= RETENTION_BATCH || inbox >= RETENTION_BATCH) {
        struct job_spec more = { .tenant_id = t->id, .kind = RETENTION_JOB_KIND, .payload = "{}",
                                 .run_at_us = now };
        int64_t id;
        rc = jobs_enqueue(c, &more, &id) >= 0 ? 0 : -1;
    } else {
        rc = retention_schedule(c, t->id, now + RETENTION_INTERVAL_US);
    }
    if (rc != 0) {
        snprintf(res->error, sizeof res->error, "retention: cannot enqueue the next run");
        return JOB_RETRY;
    }
    char nm[24], ni[24];
    snprintf(nm, sizeof nm, "%ld", messages);
    snprintf(ni, sizeof ni, "%ld", inbox);
    struct log_ctx lc = { t->id, NULL };
    const char *fields[] = { "messages", nm, "inbox_events", ni, NULL };
    log_write(LOG_INFO, &lc, fields, "message text past retention purged");
    return 0;
}

int retention_job_register(struct daemon *d)
{
    return jobs_register(d->jobs, RETENTION_JOB_KIND, purge_job, d) == 0 ? 0 : -1;
}

int retention_job_schedule_all(struct daemon *d)
{
    struct db_conn *c = NULL;
    int rc = 0;
    for (size_t i = 0; i < d->cfg.n_tenants && rc == 0; i++) {
        const struct tenant_config *t = &d->cfg.tenants[i];
        if (t->retention_ms <= 0)
            continue;
        if (!c && !(c = daemon_db(d))) {
            log_error("retention: no database connection to schedule the purge");
            return -1;
        }
        if (retention_schedule(c, t->id, clock_now_us()) != 0) {
            log_error("retention: cannot schedule the purge of tenant %s", t->id);
            rc = -1;
        }
    }
    if (c)
        daemon_db_release(d, c);
    return rc;
}
