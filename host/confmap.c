/*
 * Applies a config map to a libconfig group: validates every key against the
 * schema, fills the target struct, resolves secret references, and reports
 * each problem with the file and line libconfig recorded for it.
 */
#include "confmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX_BYTES 65536

void confmap_error(struct confmap_errors *errs, const char *file, int line,
                   const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    if (errs->count >= (int)(sizeof errs->lines / sizeof errs->lines[0])) {
        errs->count++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Line 0 means "the file as a whole" (a missing top-level group). */
    if (line > 0)
        snprintf(errs->lines[errs->count], sizeof errs->lines[0], "%s:%d: %s",
                 file ? file : "(config)", line, msg);
    else
        snprintf(errs->lines[errs->count], sizeof errs->lines[0], "%s: %s",
                 file ? file : "(config)", msg);
    errs->count++;
}

static int parse_scaled(const char *s, const char *const *units,
                        const int64_t *scales, int64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    long long v = strtoll(s, &end, 10);
    if (errno || v < 0)
        return -1;
    for (int i = 0; units[i]; i++) {
        if (strcmp(end, units[i]) == 0) {
            if (v > INT64_MAX / scales[i])
                return -1;
            *out = (int64_t)v * scales[i];
            return 0;
        }
    }
    return -1;
}

int confmap_parse_duration_ms(const char *s, int64_t *ms)
{
    static const char *const units[] = { "ms", "s", "m", "h", "d", NULL };
    static const int64_t scales[] = { 1, 1000, 60000, 3600000, 86400000 };
    return parse_scaled(s, units, scales, ms);
}

int confmap_parse_size(const char *s, int64_t *bytes)
{
    static const char *const units[] = { "", "k", "K", "m", "M", "g", "G", NULL };
    static const int64_t scales[] = { 1, 1024, 1024, 1048576, 1048576,
                                      1073741824, 1073741824 };
    return parse_scaled(s, units, scales, bytes);
}

int confmap_resolve_secret(const char *ref, char **out, char *why, size_t whycap)
{
    *out = NULL;
    if (strncmp(ref, "env:", 4) == 0) {
        const char *name = ref + 4;
        if (!*name) {
            snprintf(why, whycap, "empty environment variable name");
            return -1;
        }
        const char *v = getenv(name);
        if (!v || !*v) {
            snprintf(why, whycap, "environment variable %s is not set", name);
            return -1;
        }
        *out = strdup(v);
        if (!*out) {
            snprintf(why, whycap, "out of memory");
            return -1;
        }
        return 0;
    }
    if (strncmp(ref, "file:", 5) == 0) {
        const char *path = ref + 5;
        FILE *f = fopen(path, "rb");
        if (!f) {
            snprintf(why, whycap, "cannot read secret file %s: %s", path, strerror(errno));
            return -1;
        }
        char *buf = malloc(SECRET_MAX_BYTES + 1);
        size_t n = buf ? fread(buf, 1, SECRET_MAX_BYTES + 1, f) : 0;
        fclose(f);
        if (!buf || n > SECRET_MAX_BYTES) {
            free(buf);
            snprintf(why, whycap, "secret file %s is too large", path);
            return -1;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        buf[n] = '\0';
        if (n == 0) {
            free(buf);
            snprintf(why, whycap, "secret file %s is empty", path);
            return -1;
        }
        *out = buf;
        return 0;
    }
    snprintf(why, whycap, "secrets must be references (env:NAME or file:PATH), not literals");
    return -1;
}

static const char *type_name(enum confmap_type t)
{
    switch (t) {
    case CONFMAP_STRING: return "a string";
    case CONFMAP_INT: return "an integer";
    case CONFMAP_BOOL: return "a boolean";
    case CONFMAP_DURATION: return "a duration (\"30s\", \"5m\", \"250ms\")";
    case CONFMAP_SECRET: return "a secret reference (\"env:NAME\" or \"file:PATH\")";
    case CONFMAP_SIZE: return "a size (\"64k\", \"1m\" or bytes)";
    case CONFMAP_GROUP: return "a group";
    case CONFMAP_SKIP: return "a value";
    }
    return "?";
}

static int64_t *int_field(void *base, const struct confmap_entry *e)
{
    return (int64_t *)((char *)base + e->offset);
}

static char **str_field(void *base, const struct confmap_entry *e)
{
    return (char **)((char *)base + e->offset);
}

static bool *bool_field(void *base, const struct confmap_entry *e)
{
    return (bool *)((char *)base + e->offset);
}

/* Stores a value given as text (a default, or a string setting). */
static int set_from_text(const struct confmap_entry *e, const char *text, void *base,
                         char *why, size_t whycap)
{
    int64_t v;
    switch (e->type) {
    case CONFMAP_STRING: {
        char *copy = strdup(text);
        if (!copy) {
            snprintf(why, whycap, "out of memory");
            return -1;
        }
        free(*str_field(base, e));
        *str_field(base, e) = copy;
        return 0;
    }
    case CONFMAP_SECRET: {
        char *secret;
        if (confmap_resolve_secret(text, &secret, why, whycap) != 0)
            return -1;
        free(*str_field(base, e));
        *str_field(base, e) = secret;
        return 0;
    }
    case CONFMAP_DURATION:
        if (confmap_parse_duration_ms(text, &v) != 0)
            goto bad_type;
        break;
    case CONFMAP_SIZE:
        if (confmap_parse_size(text, &v) != 0)
            goto bad_type;
        break;
    case CONFMAP_INT: {
        char *end;
        errno = 0;
        long long ll = strtoll(text, &end, 10);
        if (errno || *end || end == text)
            goto bad_type;
        v = ll;
        break;
    }
    case CONFMAP_BOOL:
        if (strcmp(text, "true") == 0)
            *bool_field(base, e) = true;
        else if (strcmp(text, "false") == 0)
            *bool_field(base, e) = false;
        else
            goto bad_type;
        return 0;
    default:
        goto bad_type;
    }
    if (e->min < e->max && (v < e->min || v > e->max)) {
        snprintf(why, whycap, "'%s' must be between %lld and %lld", e->key,
                 (long long)e->min, (long long)e->max);
        return -1;
    }
    *int_field(base, e) = v;
    return 0;
bad_type:
    snprintf(why, whycap, "'%s' must be %s", e->key, type_name(e->type));
    return -1;
}

static int set_from_setting(const struct confmap_entry *e, const config_setting_t *s,
                            void *base, char *why, size_t whycap)
{
    int t = config_setting_type(s);
    char num[32];
    switch (e->type) {
    case CONFMAP_STRING:
    case CONFMAP_SECRET:
        if (t != CONFIG_TYPE_STRING)
            break;
        return set_from_text(e, config_setting_get_string(s), base, why, whycap);
    case CONFMAP_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            break;
        *bool_field(base, e) = config_setting_get_bool(s) != 0;
        return 0;
    case CONFMAP_INT:
    case CONFMAP_DURATION:
    case CONFMAP_SIZE:
        if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
            long long v = config_setting_get_int64(s);
            if (e->type == CONFMAP_DURATION)
                snprintf(num, sizeof num, "%llds", v);
            else
                snprintf(num, sizeof num, "%lld", v);
            return set_from_text(e, num, base, why, whycap);
        }
        if (t == CONFIG_TYPE_STRING && e->type != CONFMAP_INT)
            return set_from_text(e, config_setting_get_string(s), base, why, whycap);
        break;
    case CONFMAP_GROUP:
    case CONFMAP_SKIP:
        break;
    }
    snprintf(why, whycap, "'%s' must be %s", e->key, type_name(e->type));
    return -1;
}

static const char *source_file(const config_setting_t *s, const char *fallback)
{
    const char *f = config_setting_source_file(s);
    return f ? f : fallback;
}

int confmap_apply(const struct confmap_entry *map, const config_setting_t *group,
                  const char *file, void *base, struct confmap_errors *errs)
{
    int before = errs->count;
    char why[200];

    /* Unknown keys first, so a typo is reported even when defaults cover it. */
    if (group) {
        int n = config_setting_length(group);
        for (int i = 0; i < n; i++) {
            const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
            const char *name = config_setting_name(s);
            const struct confmap_entry *e = map;
            while (e->key && (!name || strcmp(e->key, name) != 0))
                e++;
            if (!e->key)
                confmap_error(errs, source_file(s, file), config_setting_source_line(s),
                              "unknown key '%s'", name ? name : "(unnamed)");
        }
    }

    for (const struct confmap_entry *e = map; e->key; e++) {
        const config_setting_t *s = group ? config_setting_get_member(group, e->key) : NULL;
        int line = group ? config_setting_source_line(group) : 0;
        const char *where = group ? source_file(group, file) : file;

        if (e->type == CONFMAP_SKIP)
            continue;
        if (e->type == CONFMAP_GROUP) {
            if (s && !config_setting_is_group(s)) {
                confmap_error(errs, source_file(s, file), config_setting_source_line(s),
                              "'%s' must be a group { ... }", e->key);
                continue;
            }
            if (!s && e->required) {
                confmap_error(errs, where, line, "missing required group '%s'", e->key);
                continue;
            }
            confmap_apply(e->children, s, file, base, errs);
            continue;
        }
        if (s) {
            if (set_from_setting(e, s, base, why, sizeof why) != 0)
                confmap_error(errs, source_file(s, file), config_setting_source_line(s),
                              "%s", why);
        } else if (e->required) {
            confmap_error(errs, where, line, "missing required key '%s'", e->key);
        } else if (e->def) {
            if (set_from_text(e, e->def, base, why, sizeof why) != 0)
                confmap_error(errs, where, line, "default of %s", why);
        }
    }
    return errs->count - before;
}

void confmap_free(const struct confmap_entry *map, void *base)
{
    for (const struct confmap_entry *e = map; e->key; e++) {
        if (e->type == CONFMAP_GROUP) {
            confmap_free(e->children, base);
        } else if (e->type == CONFMAP_STRING || e->type == CONFMAP_SECRET) {
            char **p = str_field(base, e);
            if (e->type == CONFMAP_SECRET && *p)
                memset(*p, 0, strlen(*p));
            free(*p);
            *p = NULL;
        }
    }
}
