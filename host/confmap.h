/*
 * Config maps: a typed schema for one libconfig group, applied to fill a C
 * struct by field offset (the idea of Fluent Bit's config maps). Unknown keys,
 * wrong types, values out of range and missing required keys become errors
 * naming file and line. Secrets are written as references (env:NAME or
 * file:PATH) and resolved here; a literal where a secret belongs is an error.
 */
#ifndef BW_HOST_CONFMAP_H
#define BW_HOST_CONFMAP_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum confmap_type {
    CONFMAP_STRING,   /* char * (owned by the struct, free with confmap_free) */
    CONFMAP_INT,      /* int64_t */
    CONFMAP_BOOL,     /* bool */
    CONFMAP_DURATION, /* int64_t milliseconds; "250ms", "30s", "5m", "2h", or an int of seconds */
    CONFMAP_SECRET,   /* char *: the resolved secret value (owned) */
    CONFMAP_SIZE,     /* int64_t bytes; "64k", "1m", or an int */
    CONFMAP_GROUP,    /* nested group described by .children, filled at the same base */
    CONFMAP_SKIP,     /* accepted here and read by the caller (lists of groups) */
};

struct confmap_entry {
    const char *key;
    enum confmap_type type;
    bool required;
    const char *def;        /* default as text (NULL: none); parsed like a value */
    size_t offset;          /* offsetof the target field in the struct */
    int64_t min, max;       /* for INT/DURATION/SIZE when min < max */
    const struct confmap_entry *children; /* for GROUP; terminated by key NULL */
};

/* Collects error lines ("file:line: message", or "file: message" when the
 * problem has no line, such as a missing top-level group). Owned by the caller. */
struct confmap_errors {
    char lines[32][256];
    int count;
};

void confmap_error(struct confmap_errors *errs, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Applies map (terminated by key NULL) to group and fills base. file names
 * the source for messages when libconfig knows none. Returns the number of
 * errors added (0: all good). Strings already set in base are freed first.
 */
int confmap_apply(const struct confmap_entry *map, const config_setting_t *group,
                  const char *file, void *base, struct confmap_errors *errs);

/* Frees the strings and secrets the map filled in base. */
void confmap_free(const struct confmap_entry *map, void *base);

/* Resolves "env:NAME" or "file:PATH" into a new string (caller frees).
 * Returns 0, or -1 with a reason in why (never the secret itself). */
int confmap_resolve_secret(const char *ref, char **out, char *why, size_t whycap);

/* Parses durations and sizes as the config accepts them. 0 or -1. */
int confmap_parse_duration_ms(const char *s, int64_t *ms);
int confmap_parse_size(const char *s, int64_t *bytes);

#endif
