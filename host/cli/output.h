/*
 * How the operator CLI prints the daemon's JSON replies for people: scalar
 * members as aligned "name value" lines (nested objects flattened as
 * "db_pool.size"), arrays of objects as tables. Control characters in values
 * are printed as spaces, so a value cannot move the terminal's cursor.
 */
#ifndef BW_CLI_OUTPUT_H
#define BW_CLI_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* Prints the scalar members of obj (flattening nested objects), one per line. */
void output_fields(FILE *out, const cJSON *obj);

/* Prints an array of objects as a table: the given columns (NULL-terminated)
 * that some row has, or every scalar member when columns is NULL. Prints
 * empty_text instead when the array is empty. */
void output_table(FILE *out, const cJSON *rows, const char *const *columns, const char *empty_text);

/* Writes s with control characters replaced by spaces. */
void output_clean(FILE *out, const char *s);

#endif
