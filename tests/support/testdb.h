/*
 * Test databases on the private PostgreSQL cluster that scripts/test starts.
 * BW_TEST_PG holds the cluster's conninfo (a maintenance database); each
 * suite creates its own fresh database with the schema applied, so suites
 * run in parallel and share nothing.
 */
#ifndef BW_TESTS_TESTDB_H
#define BW_TESTS_TESTDB_H

#include <libpq-fe.h>

/* Creates an empty database, applies the embedded migrations, and returns
 * its conninfo (malloc'd; caller frees). Aborts the test run with a clear
 * message when BW_TEST_PG is unset or the cluster is unreachable. */
char *testdb_create(void);

/* Creates an empty database without migrations (for migration tests). */
char *testdb_create_empty(void);

/* Drops a database made by testdb_create (forcing off its connections). */
void testdb_drop(const char *conninfo);

/* Connects or aborts the run. */
PGconn *testdb_connect(const char *conninfo);

/* Runs sql (no parameters) and returns the first column of the first row as
 * a long, or aborts. For assertions in tests. */
long testdb_scalar(PGconn *pg, const char *sql);

/* Runs sql and aborts on failure. */
void testdb_exec(PGconn *pg, const char *sql);

#endif
