/*
 * Schema migrations: numbered SQL files under host/sql/, embedded into the
 * binary at build time and applied at start, each in its own transaction,
 * under a PostgreSQL advisory lock so that daemons starting together apply
 * each migration exactly once.
 */
#ifndef BW_HOST_MIGRATIONS_H
#define BW_HOST_MIGRATIONS_H

#include <libpq-fe.h>
#include <stddef.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations_embedded[];
extern const int migrations_embedded_count;

/* Applies list[0..n) (ascending versions) that are not yet recorded. Returns
 * the number applied (>= 0), or -1 with the reason in err. */
int migrations_apply(PGconn *pg, const struct migration *list, int n, char *err, size_t errcap);

/* The highest applied version, 0 when none, -1 on error. */
int migrations_current(PGconn *pg);

/* The highest version this binary carries. */
int migrations_latest(void);

#endif
