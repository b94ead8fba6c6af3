/*
 * The libpq connection pool and lazily prepared statements. The pool is a
 * fixed array guarded by one mutex and a condition variable; statement
 * indexes are handed out once, process-wide, so each connection keeps a
 * bitmap of what it has prepared.
 */
#include "db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Round trips to the server, every pool of the process together. */
static _Atomic uint64_t statements;

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    struct db_conn *conns;
    int size;
    int in_use;
    int waiting;
    bool closing;
    uint64_t acquired_total;
    uint64_t acquire_timeouts;
    char *conninfo;
    int64_t connect_timeout_ms;
};

static atomic_int next_stmt_index;

static void copy_err(char *err, size_t errcap, const char *msg)
{
    if (!err || !errcap)
        return;
    snprintf(err, errcap, "%s", msg ? msg : "unknown error");
    /* libpq messages end in a newline; one log line wants none. */
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
        err[--n] = '\0';
}

/* Server notices would reach stderr as raw text; the JSON log is the only output. */
static void drop_notice(void *arg, const char *message) { (void)arg; (void)message; }

PGconn *db_connect(const char *conninfo, int64_t connect_timeout_ms, char *err, size_t errcap)
{
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld", (long long)((connect_timeout_ms + 999) / 1000));
    const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
    const char *vals[] = { conninfo, timeout, "bookwelld", NULL };
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        copy_err(err, errcap, "out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        copy_err(err, errcap, PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, drop_notice, NULL);
    PGresult *r = PQexec(pg, "SET TIME ZONE 'UTC'");
    PQclear(r);
    return pg;
}

int db_pool_open(struct db_pool **out, const char *conninfo, int size,
                 int64_t connect_timeout_ms, char *err, size_t errcap)
{
    struct db_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->conns = calloc((size_t)size, sizeof *p->conns)) ||
        !(p->conninfo = strdup(conninfo))) {
        copy_err(err, errcap, "out of memory");
        goto fail;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    p->size = size;
    p->connect_timeout_ms = connect_timeout_ms;
    for (int i = 0; i < size; i++) {
        p->conns[i].pg = db_connect(conninfo, connect_timeout_ms, err, errcap);
        if (!p->conns[i].pg)
            goto fail;
    }
    *out = p;
    return 0;
fail:
    if (p && p->conns)
        db_pool_close(p);
    else if (p)
        free(p);
    *out = NULL;
    return -1;
}

void db_pool_close(struct db_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->freed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].pg)
            PQfinish(p->conns[i].pg);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    if (p->conninfo)
        memset(p->conninfo, 0, strlen(p->conninfo));
    free(p->conninfo);
    free(p->conns);
    free(p);
}

static void ensure_healthy(struct db_pool *p, struct db_conn *c)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return;
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        /* Returned mid-transaction by a failed unit of work: roll it back. */
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
        if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
            return;
    }
    if (c->pg)
        PQreset(c->pg);
    else
        c->pg = db_connect(p->conninfo, p->connect_timeout_ms, NULL, 0);
    memset(c->prepared, 0, sizeof c->prepared);
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        PGresult *r = PQexec(c->pg, "SET TIME ZONE 'UTC'");
        PQclear(r);
    }
}

struct db_conn *db_acquire(struct db_pool *p, int64_t timeout_ms)
{
    struct timespec deadline;
    struct db_conn *c = NULL;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }

    pthread_mutex_lock(&p->lock);
    p->waiting++;
    while (!p->closing) {
        for (int i = 0; i < p->size; i++) {
            if (!p->conns[i].in_use) {
                c = &p->conns[i];
                break;
            }
        }
        if (c)
            break;
        if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) != 0) {
            p->acquire_timeouts++;
            break;
        }
    }
    p->waiting--;
    if (c) {
        c->in_use = true;
        p->in_use++;
        p->acquired_total++;
    }
    pthread_mutex_unlock(&p->lock);
    if (c)
        ensure_healthy(p, c);
    return c;
}

void db_release(struct db_pool *p, struct db_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&p->lock);
    c->in_use = false;
    p->in_use--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

void db_pool_get_stats(struct db_pool *p, struct db_pool_stats *out)
{
    pthread_mutex_lock(&p->lock);
    out->size = p->size;
    out->in_use = p->in_use;
    out->waiting = p->waiting;
    out->acquired_total = p->acquired_total;
    out->acquire_timeouts = p->acquire_timeouts;
    out->statements = atomic_load(&statements);
    pthread_mutex_unlock(&p->lock);
}

static int stmt_index(struct db_stmt *st)
{
    int idx = __atomic_load_n(&st->index, __ATOMIC_ACQUIRE);
    if (idx >= 0)
        return idx;
    int fresh = atomic_fetch_add(&next_stmt_index, 1);
    int expected = -1;
    if (__atomic_compare_exchange_n(&st->index, &expected, fresh, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    return expected; /* another thread won; its index stands */
}

PGresult *db_exec(struct db_conn *c, struct db_stmt *st, int n, const char *const *params)
{
    int idx = stmt_index(st);
    char name[16];
    if (idx >= DB_MAX_STATEMENTS) { /* beyond the bitmap: run unprepared */
        atomic_fetch_add(&statements, 1);
        return PQexecParams(c->pg, st->sql, n, NULL, params, NULL, NULL, 0);
    }
    snprintf(name, sizeof name, "bw%d", idx);
    if (!(c->prepared[idx / 8] & (1u << (idx % 8)))) {
        atomic_fetch_add(&statements, 1);
        PGresult *r = PQprepare(c->pg, name, st->sql, 0, NULL);
        if (!db_ok(r))
            return r;
        PQclear(r);
        c->prepared[idx / 8] |= (unsigned char)(1u << (idx % 8));
    }
    atomic_fetch_add(&statements, 1);
    return PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
}

bool db_ok(const PGresult *r)
{
    if (!r)
        return false;
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

const char *db_sqlstate(const PGresult *r)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

int db_exec_simple(struct db_conn *c, const char *sql)
{
    atomic_fetch_add(&statements, 1);
    PGresult *r = PQexec(c->pg, sql);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

int db_begin(struct db_conn *c) { return db_exec_simple(c, "BEGIN"); }
int db_commit(struct db_conn *c) { return db_exec_simple(c, "COMMIT"); }
int db_rollback(struct db_conn *c) { return db_exec_simple(c, "ROLLBACK"); }
