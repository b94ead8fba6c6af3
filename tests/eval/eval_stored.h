/*
 * Everything the product stored during a case, as text, for the checks that
 * look at storage: stored_exclude strings and card numbers (rule 5). Reads
 * every row of every table of the case's database (each row as PostgreSQL's
 * text form of the whole row, byte columns also decoded as text) and every
 * line bookwelld logged.
 */
#ifndef BW_TESTS_EVAL_STORED_H
#define BW_TESTS_EVAL_STORED_H

#include <stddef.h>

/* A growing collection of stored texts, one per row or log file. */
struct eval_stored {
    char **texts;   /* owned */
    char **where;   /* owned: "table messages", "bookwelld log" */
    size_t n, cap;
};

/* Reads every table of the database at conninfo. Returns 0, or -1 with err. */
int eval_stored_read_db(struct eval_stored *s, const char *conninfo, char *err, size_t cap);

/* Adds a file's content (the daemon's log). Returns 0, or -1. */
int eval_stored_add_file(struct eval_stored *s, const char *path, const char *where);

/* Adds text (copied). */
int eval_stored_add(struct eval_stored *s, const char *text, const char *where);

/* The first place needle occurs loosely (any case, spaces ignored), or NULL. */
const char *eval_stored_find(const struct eval_stored *s, const char *needle);

/* The first place holding a card number, or NULL. */
const char *eval_stored_find_card(const struct eval_stored *s);

void eval_stored_free(struct eval_stored *s);

#endif
