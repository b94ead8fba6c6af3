/*
 * Creates and drops per-suite databases on the test cluster. Names carry the
 * pid and a counter, so concurrent suites never collide.
 */
#include "support/testdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "migrations.h"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "testdb: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static const char *base_conninfo(void)
{
    const char *base = getenv("BW_TEST_PG");
    if (!base || !*base)
        die("BW_TEST_PG is not set; run the suites through scripts/test, which starts PostgreSQL", NULL);
    return base;
}

PGconn *testdb_connect(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        die("cannot connect", PQerrorMessage(pg));
    PGresult *r = PQexec(pg, "SET client_min_messages = warning");
    PQclear(r);
    return pg;
}

void testdb_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fprintf(stderr, "testdb: failed SQL: %s\n", sql);
        die("query failed", PQresultErrorMessage(r));
    }
    PQclear(r);
}

long testdb_scalar(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        fprintf(stderr, "testdb: failed SQL: %s\n", sql);
        die("scalar query failed", PQresultErrorMessage(r));
    }
    long v = PQgetisnull(r, 0, 0) ? 0 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

char *testdb_create_empty(void)
{
    static int counter;
    char name[64], sql[128];
    const char *base = base_conninfo();
    /* Random, not just the pid: a database left by an earlier process of
     * the same pid (a crash, BW_EVAL_KEEP) must not be met again. */
    uint32_t salt = 0;
    if (getrandom(&salt, sizeof salt, 0) != (ssize_t)sizeof salt)
        salt = (uint32_t)time(NULL);
    snprintf(name, sizeof name, "bw_t_%ld_%d_%08x", (long)getpid(), ++counter, (unsigned)salt);
    PGconn *pg = testdb_connect(base);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    testdb_exec(pg, sql);
    PQfinish(pg);
    size_t n = strlen(base) + strlen(name) + 16;
    char *conninfo = malloc(n);
    if (!conninfo)
        die("out of memory", NULL);
    snprintf(conninfo, n, "%s dbname=%s", base, name);
    return conninfo;
}

char *testdb_create(void)
{
    char err[512];
    char *conninfo = testdb_create_empty();
    PGconn *pg = testdb_connect(conninfo);
    if (migrations_apply(pg, migrations_embedded, migrations_embedded_count, err, sizeof err) < 0)
        die("migrations failed", err);
    PQfinish(pg);
    return conninfo;
}

void testdb_drop(const char *conninfo)
{
    /* The last dbname= is the one this file appended. */
    const char *name = NULL;
    for (const char *p = conninfo; (p = strstr(p, " dbname=")) != NULL; p++)
        name = p;
    char sql[160];
    if (!name)
        return;
    PGconn *pg = testdb_connect(base_conninfo());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name + 8);
    testdb_exec(pg, sql);
    PQfinish(pg);
}
