/*
 * Migrations: applied once, in order, recorded; re-running applies nothing;
 * several processes starting together apply each migration exactly once;
 * a failing migration leaves nothing half-applied.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migrations.h"
#include "support/testdb.h"

Test(migrations, applies_all_then_nothing)
{
    char err[512];
    char *ci = testdb_create_empty();
    PGconn *pg = testdb_connect(ci);
    int n = migrations_apply(pg, migrations_embedded, migrations_embedded_count, err, sizeof err);
    cr_assert_eq(n, migrations_embedded_count, "applied %d: %s", n, err);
    cr_assert_eq(migrations_current(pg), migrations_latest());
    cr_assert_eq(migrations_apply(pg, migrations_embedded, migrations_embedded_count, err, sizeof err), 0);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM schema_migrations"), migrations_embedded_count);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'jobs'"), 1);
    PQfinish(pg);
    testdb_drop(ci);
    free(ci);
}

Test(migrations, concurrent_starts_apply_each_once)
{
    char *ci = testdb_create_empty();
    /* A migration that fails if it ever runs twice. */
    static const struct migration list[] = {
        { 1, "first", "CREATE TABLE once_a (x int); SELECT pg_sleep(0.2);" },
        { 2, "second", "CREATE TABLE once_b (x int);" },
    };
    pid_t kids[6];
    for (int i = 0; i < 6; i++) {
        kids[i] = fork();
        cr_assert_geq(kids[i], 0);
        if (kids[i] == 0) {
            char err[512];
            PGconn *pg = PQconnectdb(ci);
            int n = migrations_apply(pg, list, 2, err, sizeof err);
            PQfinish(pg);
            _exit(n < 0 ? 1 : 0);
        }
    }
    for (int i = 0; i < 6; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a concurrent start failed");
    }
    PGconn *pg = testdb_connect(ci);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM schema_migrations"), 2);
    cr_assert_eq(migrations_current(pg), 2);
    PQfinish(pg);
    testdb_drop(ci);
    free(ci);
}

Test(migrations, failure_rolls_back_and_reports)
{
    char err[512];
    char *ci = testdb_create_empty();
    static const struct migration list[] = {
        { 1, "good", "CREATE TABLE good_t (x int);" },
        { 2, "bad", "CREATE TABLE half_t (x int); SELECT no_such_function();" },
    };
    PGconn *pg = testdb_connect(ci);
    cr_assert_eq(migrations_apply(pg, list, 2, err, sizeof err), -1);
    cr_assert(strstr(err, "migration 2_bad failed") != NULL, "reason: %s", err);
    cr_assert_eq(migrations_current(pg), 1);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_t'"), 0);
    PQfinish(pg);
    testdb_drop(ci);
    free(ci);
}
