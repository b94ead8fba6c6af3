/*
 * Prometheus text format checker for tests. Lines are checked one at a time
 * against the grammar; per-family state (HELP/TYPE seen, samples seen, run
 * closed) lives in a small table.
 */
#include "support/promtext.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 256
#define MAX_SERIES 4096

struct family {
    char name[128];
    char type[16];
    bool help, typed, sampled, closed, has_inf;
};

struct state {
    struct family fam[MAX_FAMILIES];
    size_t n_fam;
    char **series;
    size_t n_series;
    struct family *current;  /* the family whose samples are being read */
    char *err;
    size_t errcap;
    int line;
};

static int fail(struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct state *s, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->err, s->errcap, "line %d: ", s->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < s->errcap)
        vsnprintf(s->err + n, s->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t name_len(const char *p, bool metric)
{
    size_t n = 0;
    while (isalpha((unsigned char)p[n]) || p[n] == '_' || (metric && p[n] == ':') ||
           (n > 0 && isdigit((unsigned char)p[n])))
        n++;
    return n;
}

static struct family *family(struct state *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n_fam; i++)
        if (strlen(s->fam[i].name) == len && !strncmp(s->fam[i].name, name, len))
            return &s->fam[i];
    if (s->n_fam == MAX_FAMILIES || len >= sizeof s->fam[0].name)
        return NULL;
    struct family *f = &s->fam[s->n_fam++];
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, len);
    return f;
}

static bool ends_with(const char *name, size_t len, const char *suffix, size_t *base)
{
    size_t sl = strlen(suffix);
    if (len > sl && !strncmp(name + len - sl, suffix, sl)) {
        *base = len - sl;
        return true;
    }
    return false;
}

/* The family a sample name belongs to: its own TYPE, or a histogram's or
 * summary's base name. */
static struct family *sample_family(struct state *s, const char *name, size_t len,
                                    bool *is_bucket)
{
    size_t base;
    *is_bucket = false;
    for (size_t i = 0; i < s->n_fam; i++)
        if (strlen(s->fam[i].name) == len && !strncmp(s->fam[i].name, name, len) &&
            s->fam[i].typed)
            return &s->fam[i];
    const char *suffixes[] = { "_bucket", "_sum", "_count", NULL };
    for (int k = 0; suffixes[k]; k++) {
        if (!ends_with(name, len, suffixes[k], &base))
            continue;
        for (size_t i = 0; i < s->n_fam; i++)
            if (strlen(s->fam[i].name) == base && !strncmp(s->fam[i].name, name, base) &&
                (!strcmp(s->fam[i].type, "histogram") || !strcmp(s->fam[i].type, "summary"))) {
                *is_bucket = k == 0;
                return &s->fam[i];
            }
    }
    return family(s, name, len); /* untyped */
}

static int check_value(struct state *s, const char *v)
{
    if (!strcmp(v, "+Inf") || !strcmp(v, "-Inf") || !strcmp(v, "NaN"))
        return 0;
    char *end;
    strtod(v, &end);
    if (end == v)
        return fail(s, "'%s' is not a number", v);
    if (*end == ' ') { /* optional timestamp */
        const char *t = end + 1;
        strtoll(t, &end, 10);
        if (end == t)
            return fail(s, "bad timestamp");
    }
    if (*end)
        return fail(s, "trailing text after the value");
    return 0;
}

static int check_comment(struct state *s, const char *l)
{
    bool help = !strncmp(l, "# HELP ", 7), type = !strncmp(l, "# TYPE ", 7);
    if (!help && !type)
        return 0; /* a plain comment */
    const char *name = l + 7;
    size_t n = name_len(name, true);
    if (n == 0 || (name[n] != ' ' && name[n] != '\0'))
        return fail(s, "bad metric name in %s", help ? "HELP" : "TYPE");
    struct family *f = family(s, name, n);
    if (!f)
        return fail(s, "too many families");
    if (f->sampled)
        return fail(s, "%s for %s after its samples", help ? "HELP" : "TYPE", f->name);
    if (help) {
        if (f->help)
            return fail(s, "HELP for %s given twice", f->name);
        f->help = true;
        for (const char *p = name + n; *p; p++)
            if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
                return fail(s, "bad escape in HELP");
            else if (*p == '\\')
                p++;
        return 0;
    }
    if (f->typed)
        return fail(s, "TYPE for %s given twice", f->name);
    const char *t = name + n + (name[n] == ' ');
    const char *types[] = { "counter", "gauge", "histogram", "summary", "untyped", NULL };
    for (int k = 0; types[k]; k++)
        if (!strcmp(t, types[k])) {
            f->typed = true;
            snprintf(f->type, sizeof f->type, "%s", t);
            return 0;
        }
    return fail(s, "unknown TYPE '%s'", t);
}

static int check_sample(struct state *s, const char *l)
{
    size_t n = name_len(l, true);
    if (n == 0)
        return fail(s, "bad metric name");
    bool is_bucket, saw_le = false, le_inf = false;
    struct family *f = sample_family(s, l, n, &is_bucket);
    if (!f)
        return fail(s, "too many families");
    if (f->closed)
        return fail(s, "samples of %s are split into two runs", f->name);
    if (s->current && s->current != f)
        s->current->closed = true;
    s->current = f;
    f->sampled = true;

    const char *p = l + n;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            size_t ln = name_len(p, false);
            if (ln == 0 || p[ln] != '=' || p[ln + 1] != '"')
                return fail(s, "bad label");
            bool le = ln == 2 && !strncmp(p, "le", 2);
            p += ln + 2;
            const char *v = p;
            while (*p && *p != '"') {
                if (*p == '\n')
                    return fail(s, "raw newline in a label value");
                if (*p == '\\') {
                    if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                        return fail(s, "bad escape in a label value");
                    p++;
                }
                p++;
            }
            if (*p != '"')
                return fail(s, "unterminated label value");
            if (le) {
                saw_le = true;
                le_inf = p - v == 4 && !strncmp(v, "+Inf", 4);
            }
            p++;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return fail(s, "expected ',' or '}' after a label");
        }
        p++;
    }
    if (*p != ' ')
        return fail(s, "expected a space before the value");
    if (is_bucket && !saw_le)
        return fail(s, "a bucket without le");
    if (le_inf)
        f->has_inf = true;

    /* Series identity: everything before the value. */
    size_t id_len = (size_t)(p - l);
    for (size_t i = 0; i < s->n_series; i++)
        if (strlen(s->series[i]) == id_len && !strncmp(s->series[i], l, id_len))
            return fail(s, "duplicate series %.*s", (int)id_len, l);
    if (s->n_series < MAX_SERIES)
        s->series[s->n_series++] = strndup(l, id_len);
    return check_value(s, p + 1);
}

int promtext_check(const char *text, char *err, size_t errcap)
{
    struct state *s = calloc(1, sizeof *s);
    int rc = 0;
    if (!s)
        return -1;
    s->series = calloc(MAX_SERIES, sizeof *s->series);
    s->err = err;
    s->errcap = errcap;
    err[0] = '\0';
    size_t len = strlen(text);
    if (len > 0 && text[len - 1] != '\n') {
        snprintf(err, errcap, "the text does not end with a newline");
        rc = -1;
    }
    for (const char *l = text; rc == 0 && *l;) {
        const char *eol = strchr(l, '\n');
        size_t n = eol ? (size_t)(eol - l) : strlen(l);
        char *line = strndup(l, n);
        s->line++;
        if (!line)
            rc = -1;
        else if (n == 0)
            rc = 0;
        else if (line[0] == '#')
            rc = check_comment(s, line);
        else
            rc = check_sample(s, line);
        free(line);
        l = eol ? eol + 1 : l + n;
    }
    for (size_t i = 0; rc == 0 && i < s->n_fam; i++)
        if (!strcmp(s->fam[i].type, "histogram") && s->fam[i].sampled && !s->fam[i].has_inf) {
            snprintf(err, errcap, "histogram %s has no +Inf bucket", s->fam[i].name);
            rc = -1;
        }
    for (size_t i = 0; i < s->n_series; i++)
        free(s->series[i]);
    free(s->series);
    free(s);
    return rc;
}

bool promtext_value(const char *text, const char *series, double *value)
{
    size_t n = strlen(series);
    for (const char *l = text; *l;) {
        if (!strncmp(l, series, n) && l[n] == ' ') {
            *value = strtod(l + n + 1, NULL);
            return true;
        }
        const char *eol = strchr(l, '\n');
        if (!eol)
            break;
        l = eol + 1;
    }
    return false;
}
