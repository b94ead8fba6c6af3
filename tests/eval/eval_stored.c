/*
 * Collecting what the product stored, and searching it (eval_stored.h).
 */
#include "eval/eval_stored.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_rules.h"

int eval_stored_add(struct eval_stored *s, const char *text, const char *where)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        char **t = realloc(s->texts, cap * sizeof *t);
        if (!t)
            return -1;
        s->texts = t;
        char **w = realloc(s->where, cap * sizeof *w);
        if (!w)
            return -1;
        s->where = w;
        s->cap = cap;
    }
    s->texts[s->n] = strdup(text);
    s->where[s->n] = strdup(where);
    if (!s->texts[s->n] || !s->where[s->n]) {
        free(s->texts[s->n]);
        free(s->where[s->n]);
        return -1;
    }
    s->n++;
    return 0;
}

int eval_stored_add_file(struct eval_stored *s, const char *path, const char *where)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = -1;
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            buf[len] = '\0';
            rc = eval_stored_add(s, buf, where);
            break;
        }
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    free(buf);
    fclose(f);
    return rc;
}

int eval_stored_read_db(struct eval_stored *s, const char *conninfo, char *err, size_t cap)
{
    int rc = -1;
    PGconn *c = PQconnectdb(conninfo);
    PGresult *tables = NULL;
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, cap, "cannot connect: %s", PQerrorMessage(c));
        goto out;
    }
    tables = PQexec(c, "SELECT quote_ident(table_name), table_name FROM information_schema.tables "
                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 2");
    if (PQresultStatus(tables) != PGRES_TUPLES_OK) {
        snprintf(err, cap, "cannot list tables: %s", PQerrorMessage(c));
        goto out;
    }
    for (int i = 0; i < PQntuples(tables); i++) {
        char sql[512], where[128];
        /* The whole row in PostgreSQL's text form; byte columns are read
         * again below, decoded. */
        snprintf(sql, sizeof sql, "SELECT t::text FROM %s t", PQgetvalue(tables, i, 0));
        PGresult *rows = PQexec(c, sql);
        if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
            snprintf(err, cap, "cannot read %s: %s", PQgetvalue(tables, i, 1), PQerrorMessage(c));
            PQclear(rows);
            goto out;
        }
        snprintf(where, sizeof where, "table %s", PQgetvalue(tables, i, 1));
        for (int r = 0; r < PQntuples(rows); r++)
            if (eval_stored_add(s, PQgetvalue(rows, r, 0), where) != 0) {
                snprintf(err, cap, "out of memory");
                PQclear(rows);
                goto out;
            }
        PQclear(rows);
    }
    /* Byte columns: decoded as text (escape form keeps printable bytes). */
    PQclear(tables);
    tables = PQexec(c, "SELECT quote_ident(table_name), quote_ident(column_name), table_name "
                       "FROM information_schema.columns WHERE table_schema = 'public' "
                       "AND data_type = 'bytea'");
    for (int i = 0; PQresultStatus(tables) == PGRES_TUPLES_OK && i < PQntuples(tables); i++) {
        char sql[512], where[128];
        snprintf(sql, sizeof sql, "SELECT encode(%s, 'escape') FROM %s WHERE %s IS NOT NULL",
                 PQgetvalue(tables, i, 1), PQgetvalue(tables, i, 0), PQgetvalue(tables, i, 1));
        PGresult *rows = PQexec(c, sql);
        snprintf(where, sizeof where, "table %s (bytes)", PQgetvalue(tables, i, 2));
        for (int r = 0; PQresultStatus(rows) == PGRES_TUPLES_OK && r < PQntuples(rows); r++)
            eval_stored_add(s, PQgetvalue(rows, r, 0), where);
        PQclear(rows);
    }
    rc = 0;
out:
    PQclear(tables);
    PQfinish(c);
    return rc;
}

const char *eval_stored_find(const struct eval_stored *s, const char *needle)
{
    for (size_t i = 0; i < s->n; i++)
        if (eval_contains_loosely(s->texts[i], needle))
            return s->where[i];
    return NULL;
}

const char *eval_stored_find_card(const struct eval_stored *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (eval_has_card_number(s->texts[i]))
            return s->where[i];
    return NULL;
}

void eval_stored_free(struct eval_stored *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->texts[i]);
        free(s->where[i]);
    }
    free(s->texts);
    free(s->where);
    memset(s, 0, sizeof *s);
}
