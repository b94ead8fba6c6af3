/*
 * Message-text retention (see retention.h): two batched UPDATEs, oldest
 * first, that skip rows another transaction holds, and the daily job's
 * enqueue with its per-day dedupe key.
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jobs.h"

DB_STMT(st_messages,
        "UPDATE messages m SET body = NULL FROM (SELECT tenant_id, id FROM messages "
        "  WHERE tenant_id = $1 AND body IS NOT NULL AND created_at < $2::timestamptz "
        "  AND status NOT IN ('queued', 'held', 'sending') "
        "  ORDER BY created_at LIMIT $3::int FOR UPDATE SKIP LOCKED) old "
        "WHERE m.tenant_id = old.tenant_id AND m.id = old.id");
DB_STMT(st_inbox,
        "UPDATE inbox i SET event = i.event - 'text' FROM (SELECT tenant_id, id FROM inbox "
        "  WHERE tenant_id = $1 AND kind LIKE 'channel.%' AND received_at < $2::timestamptz "
        "  AND event ? 'text' ORDER BY received_at LIMIT $3::int FOR UPDATE SKIP LOCKED) old "
        "WHERE i.tenant_id = old.tenant_id AND i.id = old.id");

static int purge(struct db_conn *c, struct db_stmt *st, const char *const *p, long *count)
{
    PGresult *r = db_exec(c, st, 3, p);
    int rc = db_ok(r) ? 0 : RETENTION_E_DB;
    if (rc == 0 && count)
        *count = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

int retention_purge(struct db_conn *c, const char *tenant_id, int64_t before_us, int limit,
                    long *messages, long *inbox)
{
    char before[32], lim[16];
    if (messages)
        *messages = 0;
    if (inbox)
        *inbox = 0;
    if (!c || !tenant_id || !*tenant_id || limit < 1)
        return RETENTION_E_INVAL;
    clock_format_utc(before_us, before);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = { tenant_id, before, lim };
    int rc = purge(c, &st_messages, p, messages);
    if (rc == 0)
        rc = purge(c, &st_inbox, p, inbox);
    return rc;
}

int retention_schedule(struct db_conn *c, const char *tenant_id, int64_t run_at_us)
{
    char when[32], key[64];
    clock_format_utc(run_at_us, when);
    snprintf(key, sizeof key, "%s:%.10s", RETENTION_JOB_KIND, when);
    struct job_spec spec = {
        .tenant_id = tenant_id,
        .kind = RETENTION_JOB_KIND,
        .payload = "{}",
        .run_at_us = run_at_us,
        .dedupe_key = key,
    };
    int64_t id;
    return jobs_enqueue(c, &spec, &id) >= 0 ? 0 : RETENTION_E_DB;
}
