/*
 * PostgreSQL access: a fixed-size pool of libpq connections, and statements
 * prepared once per connection on first use. Every query is parameterised;
 * SQL text never carries a value. A connection found broken is reset when it
 * is next acquired. Callers hold a connection only for a unit of work and
 * return it with db_release().
 */
#ifndef BW_HOST_DB_H
#define BW_HOST_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_MAX_STATEMENTS 512

struct db_pool;

/* One pooled connection. Owned by the pool; borrowed between acquire and release. */
struct db_conn {
    PGconn *pg;
    unsigned char prepared[DB_MAX_STATEMENTS / 8];
    bool in_use;
};

/* A statement known at compile time. Declare with DB_STMT; the index is
 * assigned on first use and names the prepared statement on every connection. */
struct db_stmt {
    const char *sql;
    int index; /* -1 until first use */
};
#define DB_STMT(var, text) static struct db_stmt var = { text, -1 }

struct db_pool_stats {
    int size;
    int in_use;
    int waiting;
    uint64_t acquired_total;
    uint64_t acquire_timeouts;
    uint64_t statements;       /* round trips to the server, process-wide, since start */
};

/* Opens size connections to conninfo. Returns 0, or -1 with a reason in err
 * (libpq's message, which never contains the password). */
int db_pool_open(struct db_pool **out, const char *conninfo, int size,
                 int64_t connect_timeout_ms, char *err, size_t errcap);
void db_pool_close(struct db_pool *pool);

/* Waits up to timeout_ms for a free connection; NULL on timeout or when the
 * pool is closing. The connection is healthy (reset if it was broken). */
struct db_conn *db_acquire(struct db_pool *pool, int64_t timeout_ms);
void db_release(struct db_pool *pool, struct db_conn *conn);

void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out);

/* Runs st with n text parameters (NULL for SQL NULL). Returns the result
 * (caller PQclear()s it), never NULL: on failure a result whose status is an
 * error, or NULL-safe via db_ok(). */
PGresult *db_exec(struct db_conn *c, struct db_stmt *st, int n, const char *const *params);

/* Runs a statement with no parameters and no result rows (BEGIN, COMMIT, DDL).
 * Returns 0 or -1. */
int db_exec_simple(struct db_conn *c, const char *sql);

/* True when r is a successful command or tuples result. */
bool db_ok(const PGresult *r);

/* SQLSTATE of a failed result ("23505" for unique violation), or "" */
const char *db_sqlstate(const PGresult *r);

int db_begin(struct db_conn *c);
int db_commit(struct db_conn *c);
int db_rollback(struct db_conn *c);

/* Opens one connection outside any pool (LISTEN, migrations, tools). */
PGconn *db_connect(const char *conninfo, int64_t connect_timeout_ms, char *err, size_t errcap);

#endif
