/*
 * The connection pool: bounded, waits then times out, hands back healthy
 * connections (a broken one is reset, an abandoned transaction rolled back),
 * and prepared statements work across connections and after a reset.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "support/testdb.h"

static char *conninfo;
static struct db_pool *pool;

static void setup(void)
{
    char err[256];
    conninfo = testdb_create();
    cr_assert_eq(db_pool_open(&pool, conninfo, 2, 5000, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    db_pool_close(pool);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(db, .init = setup, .fini = teardown, .timeout = 30);

DB_STMT(st_add, "SELECT $1::int + $2::int");

Test(db, prepared_statement_with_parameters)
{
    struct db_conn *c = db_acquire(pool, 1000);
    cr_assert_not_null(c);
    const char *p[] = { "40", "2" };
    for (int i = 0; i < 3; i++) {
        PGresult *r = db_exec(c, &st_add, 2, p);
        cr_assert(db_ok(r), "%s", PQresultErrorMessage(r));
        cr_assert_str_eq(PQgetvalue(r, 0, 0), "42");
        PQclear(r);
    }
    db_release(pool, c);
}

Test(db, pool_is_bounded_and_times_out)
{
    struct db_conn *a = db_acquire(pool, 1000);
    struct db_conn *b = db_acquire(pool, 1000);
    cr_assert(a && b && a != b);
    cr_assert_null(db_acquire(pool, 100), "a third connection must not appear");
    struct db_pool_stats s;
    db_pool_get_stats(pool, &s);
    cr_assert_eq(s.in_use, 2);
    cr_assert_eq(s.acquire_timeouts, 1);
    db_release(pool, a);
    struct db_conn *again = db_acquire(pool, 100);
    cr_assert_eq(again, a);
    db_release(pool, again);
    db_release(pool, b);
}

Test(db, statements_are_counted)
{
    struct db_pool_stats before, after;
    db_pool_get_stats(pool, &before);
    struct db_conn *c = db_acquire(pool, 1000);
    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(db_exec_simple(c, "SELECT 1"), 0);
    cr_assert_eq(db_commit(c), 0);
    db_release(pool, c);
    db_pool_get_stats(pool, &after);
    cr_assert_eq(after.statements - before.statements, 3, "BEGIN, SELECT and COMMIT");
}

Test(db, abandoned_transaction_is_rolled_back)
{
    struct db_conn *c = db_acquire(pool, 1000);
    cr_assert_eq(db_exec_simple(c, "CREATE TABLE t_abandon (x int)"), 0);
    cr_assert_eq(db_begin(c), 0);
    cr_assert_eq(db_exec_simple(c, "INSERT INTO t_abandon VALUES (1)"), 0);
    db_release(pool, c); /* returned mid-transaction */
    struct db_conn *d = NULL, *e = NULL;
    d = db_acquire(pool, 1000);
    e = db_acquire(pool, 1000);
    struct db_conn *same = d == c ? d : e;
    cr_assert_eq(PQtransactionStatus(same->pg), PQTRANS_IDLE);
    PGresult *r = PQexec(same->pg, "SELECT count(*) FROM t_abandon");
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    db_release(pool, d);
    db_release(pool, e);
}

Test(db, broken_connection_is_reset_on_acquire)
{
    struct db_conn *c = db_acquire(pool, 1000);
    PGresult *r = PQexec(c->pg, "SELECT pg_backend_pid()");
    char pid[32];
    snprintf(pid, sizeof pid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    /* Prepare a statement, then kill the backend under the connection. */
    const char *p[] = { "1", "2" };
    PQclear(db_exec(c, &st_add, 2, p));
    PGconn *killer = testdb_connect(conninfo);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    testdb_exec(killer, sql);
    PQfinish(killer);
    r = PQexec(c->pg, "SELECT 1"); /* notices the dead backend */
    PQclear(r);
    db_release(pool, c);

    struct db_conn *d = db_acquire(pool, 1000);
    struct db_conn *e = db_acquire(pool, 1000);
    struct db_conn *fixed = d == c ? d : e;
    cr_assert_eq(PQstatus(fixed->pg), CONNECTION_OK);
    r = db_exec(fixed, &st_add, 2, p);
    cr_assert(db_ok(r), "statement re-prepared after reset: %s", PQresultErrorMessage(r));
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "3");
    PQclear(r);
    db_release(pool, d);
    db_release(pool, e);
}

Test(db, connect_failure_reports_without_password)
{
    char err[512];
    struct db_pool *p = NULL;
    int rc = db_pool_open(&p, "host=/nonexistent-socket-dir user=u password=hunter2-secret dbname=x",
                          1, 1000, err, sizeof err);
    cr_assert_eq(rc, -1);
    cr_assert_null(p);
    cr_assert(strstr(err, "hunter2-secret") == NULL, "the password leaked: %s", err);
    cr_assert(strlen(err) > 0);
}
