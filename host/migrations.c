/*
 * Applies embedded migrations under an advisory lock. The lock key is fixed,
 * so any number of daemons may start at once: the first applies what is
 * missing, the others wait, then find nothing left to do.
 */
#include "migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "bookwell" as a number: the advisory lock that serialises migrations. */
#define MIGRATIONS_LOCK_KEY "6651220712361469036"

static int exec_ok(PGconn *pg, const char *sql, char *err, size_t errcap)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok && err)
        snprintf(err, errcap, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int migrations_current(PGconn *pg)
{
    PGresult *r = PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    int v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

int migrations_latest(void)
{
    int v = 0;
    for (int i = 0; i < migrations_embedded_count; i++)
        if (migrations_embedded[i].version > v)
            v = migrations_embedded[i].version;
    return v;
}

int migrations_apply(PGconn *pg, const struct migration *list, int n, char *err, size_t errcap)
{
    int applied = 0;
    /* Notices ("already exists, skipping") would reach stderr unformatted. */
    exec_ok(pg, "SET client_min_messages = warning", NULL, 0);
    if (exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATIONS_LOCK_KEY ")", err, errcap) != 0)
        return -1;
    if (exec_ok(pg,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                err, errcap) != 0)
        goto fail;
    int current = migrations_current(pg);
    if (current < 0) {
        snprintf(err, errcap, "cannot read schema_migrations");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        const struct migration *m = &list[i];
        if (m->version <= current)
            continue;
        char version[16];
        snprintf(version, sizeof version, "%d", m->version);
        const char *params[] = { version, m->name };
        if (exec_ok(pg, "BEGIN", err, errcap) != 0)
            goto fail;
        if (exec_ok(pg, m->sql, err, errcap) != 0) {
            char reason[512];
            snprintf(reason, sizeof reason, "%s", err);
            exec_ok(pg, "ROLLBACK", NULL, 0);
            snprintf(err, errcap, "migration %d_%s failed: %s", m->version, m->name, reason);
            goto fail;
        }
        PGresult *r = PQexecParams(pg, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                   2, NULL, params, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok || exec_ok(pg, "COMMIT", err, errcap) != 0) {
            exec_ok(pg, "ROLLBACK", NULL, 0);
            if (!ok)
                snprintf(err, errcap, "cannot record migration %d", m->version);
            goto fail;
        }
        applied++;
    }
    exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATIONS_LOCK_KEY ")", NULL, 0);
    return applied;
fail:
    exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATIONS_LOCK_KEY ")", NULL, 0);
    return -1;
}
