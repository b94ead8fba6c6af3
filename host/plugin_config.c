/*
 * Types a binding's config group against a plugin's schema (see
 * plugin_config.h). Every key written in the binding is matched to a schema
 * field or reported as unknown; then every field is checked for presence,
 * filled from the binding or its default, and range-checked. Messages carry
 * the tenant file and the line of the key (or of the config group when a
 * required key is missing), and never a secret's value.
 */
#include "plugin_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"

#define STRING_MAX (64 * 1024)

static const char *const type_names[] = { "?", "string", "int", "bool", "duration",
                                          "secret", "list" };

static const char *type_name(uint32_t t)
{
    return t >= 1 && t <= BW_CFG_LIST ? type_names[t] : "?";
}

static const char *type_phrase(uint32_t t)
{
    switch (t) {
    case BW_CFG_STRING: return "a string";
    case BW_CFG_INT: return "an integer";
    case BW_CFG_BOOL: return "true or false";
    case BW_CFG_DURATION: return "a duration (\"30s\", \"5m\", \"250ms\", or seconds)";
    case BW_CFG_SECRET: return "a secret reference (\"env:NAME\" or \"file:PATH\")";
    case BW_CFG_LIST: return "a list of strings [\"a\", \"b\"]";
    default: return "a value of an unknown type";
    }
}

const struct bw_config_field *plugin_schema_field(const struct bw_plugin_descriptor *d,
                                                  uint32_t i)
{
    if (!d->config || i >= d->n_config)
        return NULL;
    size_t stride = d->config[0].struct_size;
    return (const void *)((const char *)d->config + stride * i);
}

/* Splits a default list ("a, b,c") at commas, trimming spaces. */
static int split_list(const char *text, struct plugin_config_value *v)
{
    uint32_t n = *text ? 1 : 0;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    v->items = calloc(n + 1, sizeof *v->items);
    if (!v->items)
        return -1;
    const char *p = text;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if (!(v->items[i] = strndup(s, (size_t)(e - s))))
            return -1;
        v->n_items = i + 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int range_check(const struct bw_config_field *f, int64_t v, const char *unit,
                       char *why, size_t cap)
{
    if (f->min < f->max && (v < f->min || v > f->max)) {
        if (f->type == BW_CFG_LIST)
            snprintf(why, cap, "'%s' must have %lld to %lld items", f->key, (long long)f->min,
                     (long long)f->max);
        else
            snprintf(why, cap, "'%s' must be between %lld%s and %lld%s", f->key,
                     (long long)f->min, unit, (long long)f->max, unit);
        return -1;
    }
    return 0;
}

/* Fills v from the default text of f. */
static int from_default(const struct bw_config_field *f, struct plugin_config_value *v,
                        char *why, size_t cap)
{
    const char *d = f->default_value;
    char *end;
    v->set = true;
    switch (f->type) {
    case BW_CFG_STRING:
        if (!(v->text = strdup(d)))
            goto nomem;
        return 0;
    case BW_CFG_INT:
        errno = 0;
        v->num = strtoll(d, &end, 10);
        if (errno || *end || end == d)
            goto bad;
        return 0;
    case BW_CFG_BOOL:
        v->num = strcmp(d, "true") == 0;
        return 0;
    case BW_CFG_DURATION:
        if (confmap_parse_duration_ms(d, &v->num) != 0) {
            errno = 0;
            long long s = strtoll(d, &end, 10);
            if (errno || *end || end == d || s < 0 || s > INT64_MAX / 1000)
                goto bad;
            v->num = s * 1000;
        }
        return 0;
    case BW_CFG_LIST:
        if (split_list(d, v) != 0)
            goto nomem;
        return 0;
    default:
        goto bad;
    }
nomem:
    snprintf(why, cap, "out of memory");
    return -1;
bad:
    snprintf(why, cap, "the plugin's default for '%s' is not a valid %s", f->key,
             type_name(f->type));
    return -1;
}

/* Fills v from what the binding wrote for f. */
static int from_binding(const struct bw_config_field *f, const struct binding_value *b,
                        struct plugin_config_value *v, char *why, size_t cap)
{
    v->set = true;
    switch (f->type) {
    case BW_CFG_STRING:
        if (b->kind != BINDING_VALUE_STRING)
            goto bad_type;
        if (strlen(b->text) > STRING_MAX) {
            snprintf(why, cap, "'%s' is longer than %d bytes", f->key, STRING_MAX);
            return -1;
        }
        if (!(v->text = strdup(b->text)))
            goto nomem;
        return 0;
    case BW_CFG_SECRET: {
        char reason[160];
        if (b->kind != BINDING_VALUE_STRING)
            goto bad_type;
        if (confmap_resolve_secret(b->text, &v->text, reason, sizeof reason) != 0) {
            snprintf(why, cap, "'%s': %s", f->key, reason);
            return -1;
        }
        return 0;
    }
    case BW_CFG_INT:
        if (b->kind != BINDING_VALUE_INT)
            goto bad_type;
        v->num = b->num;
        return range_check(f, v->num, "", why, cap);
    case BW_CFG_BOOL:
        if (b->kind != BINDING_VALUE_BOOL)
            goto bad_type;
        v->num = b->num;
        return 0;
    case BW_CFG_DURATION:
        if (b->kind == BINDING_VALUE_INT) {
            if (b->num < 0 || b->num > INT64_MAX / 1000)
                goto bad_type;
            v->num = b->num * 1000;
        } else if (b->kind != BINDING_VALUE_STRING ||
                   confmap_parse_duration_ms(b->text, &v->num) != 0) {
            goto bad_type;
        }
        return range_check(f, v->num, "ms", why, cap);
    case BW_CFG_LIST:
        if (b->kind != BINDING_VALUE_LIST)
            goto bad_type;
        if (range_check(f, (int64_t)b->n_items, "", why, cap) != 0)
            return -1;
        if (!(v->items = calloc(b->n_items + 1, sizeof *v->items)))
            goto nomem;
        for (size_t i = 0; i < b->n_items; i++) {
            if (!(v->items[i] = strdup(b->items[i])))
                goto nomem;
            v->n_items = (uint32_t)i + 1;
        }
        return 0;
    default:
        goto bad_type;
    }
nomem:
    snprintf(why, cap, "out of memory");
    return -1;
bad_type:
    snprintf(why, cap, "'%s' must be %s", f->key, type_phrase(f->type));
    return -1;
}

static const struct binding_value *binding_value(const struct plugin_binding *b,
                                                 const char *key)
{
    for (size_t i = 0; i < b->n_values; i++)
        if (strcmp(b->values[i].key, key) == 0)
            return &b->values[i];
    return NULL;
}

int plugin_config_parse(const struct bw_plugin_descriptor *d, const struct plugin_binding *b,
                        struct plugin_config *out, struct confmap_errors *errs)
{
    int before = errs->count;
    char why[200];
    memset(out, 0, sizeof *out);

    /* Keys of the binding that the schema does not know. */
    for (size_t i = 0; i < b->n_values; i++) {
        uint32_t k = 0;
        while (k < d->n_config && strcmp(plugin_schema_field(d, k)->key, b->values[i].key) != 0)
            k++;
        if (k == d->n_config)
            confmap_error(errs, b->file, b->values[i].line,
                          "unknown key '%s' for plugin %s %s", b->values[i].key, d->id,
                          d->version);
    }
    if (d->n_config > 0 && !(out->values = calloc(d->n_config, sizeof *out->values))) {
        confmap_error(errs, b->file, b->line, "out of memory");
        return -1;
    }
    out->n = d->n_config;
    for (uint32_t k = 0; k < d->n_config; k++) {
        const struct bw_config_field *f = plugin_schema_field(d, k);
        struct plugin_config_value *v = &out->values[k];
        const struct binding_value *bv = binding_value(b, f->key);
        v->field = f;
        if (bv) {
            if (from_binding(f, bv, v, why, sizeof why) != 0)
                confmap_error(errs, b->file, bv->line, "%s", why);
        } else if (f->flags & BW_CFG_F_REQUIRED) {
            confmap_error(errs, b->file, b->config_line,
                          "missing required key '%s' for plugin %s (%s)", f->key, d->id,
                          type_name(f->type));
        } else if (f->default_value) {
            if (from_default(f, v, why, sizeof why) != 0)
                confmap_error(errs, b->file, b->config_line, "%s", why);
        }
    }
    if (errs->count == before)
        return 0;
    plugin_config_free(out);
    return -1;
}

static bool str_equal(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool plugin_config_equal(const struct plugin_config *a, const struct plugin_config *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++) {
        const struct plugin_config_value *x = &a->values[i], *y = &b->values[i];
        if (x->set != y->set || x->num != y->num || !str_equal(x->text, y->text) ||
            x->n_items != y->n_items)
            return false;
        if (!x->field || !y->field || strcmp(x->field->key, y->field->key) != 0)
            return false;
        for (uint32_t k = 0; k < x->n_items; k++)
            if (strcmp(x->items[k], y->items[k]) != 0)
                return false;
    }
    return true;
}

/* Compares dot-separated pre-release identifiers (semver 2.0.0, 11.4). */
static int prerelease_compare(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, ".+"), lb = strcspn(b, ".+");
        bool na = strspn(a, "0123456789") == la, nb = strspn(b, "0123456789") == lb;
        int c;
        if (na && nb)
            c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
        else if (na != nb)
            c = na ? -1 : 1;
        else {
            c = strncmp(a, b, la < lb ? la : lb);
            if (c == 0 && la != lb)
                c = la < lb ? -1 : 1;
        }
        if (c)
            return c;
        bool ea = a[la] != '.', eb = b[lb] != '.';
        if (ea || eb)
            return ea && eb ? 0 : ea ? -1 : 1;
        a += la + 1;
        b += lb + 1;
    }
}

int plugin_version_compare(const char *a, const char *b)
{
    for (int part = 0; part < 3; part++) {
        char *ea, *eb;
        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
    }
    bool pa = *a == '-', pb = *b == '-';
    if (!pa || !pb)
        return pa == pb ? 0 : pa ? -1 : 1;
    return prerelease_compare(a + 1, b + 1);
}

const struct plugin *plugin_resolve(const struct plugin_set *set, const char *id,
                                    const char *version,
                                    bool (*usable)(const struct plugin *p, void *ctx),
                                    void *ctx)
{
    const struct plugin *best = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const struct plugin *p = set->items[i];
        if (strcmp(p->desc->id, id) != 0 || (usable && !usable(p, ctx)))
            continue;
        if (version) {
            if (strcmp(p->desc->version, version) == 0)
                return p;
        } else if (!best || plugin_version_compare(p->desc->version, best->desc->version) > 0) {
            best = p;
        }
    }
    return best;
}

int plugin_bindings_check(const struct host_config *cfg, const struct plugin_set *set,
                          struct confmap_errors *errs)
{
    int before = errs->count;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct tenant_config *t = &cfg->tenants[i];
        for (size_t k = 0; k < t->n_bindings; k++) {
            const struct plugin_binding *b = &t->bindings[k];
            const struct plugin *p = plugin_resolve(set, b->plugin, b->version, NULL, NULL);
            if (!p) {
                confmap_error(errs, b->file, b->line, "plugin %s%s%s is not loaded from %s",
                              b->plugin, b->version ? " " : "", b->version ? b->version : "",
                              cfg->plugins_dir);
                continue;
            }
            struct plugin_config pc;
            if (plugin_config_parse(p->desc, b, &pc, errs) == 0)
                plugin_config_free(&pc);
        }
    }
    return errs->count == before ? 0 : -1;
}

void plugin_schema_print(FILE *out, const struct bw_plugin_descriptor *d)
{
    fprintf(out, "%s %s (%s plugin, ABI %u.%u, requires host 1.%u or later)\n", d->id,
            d->version, plugin_kind_name(d->kind), d->abi_major, d->abi_minor,
            d->abi_minor_required);
    if (d->description)
        fprintf(out, "  %s\n", d->description);
    if (d->n_config == 0) {
        fputs("\nconfig: none\n", out);
        return;
    }
    fputs("\nconfig = {\n", out);
    for (uint32_t k = 0; k < d->n_config; k++) {
        const struct bw_config_field *f = plugin_schema_field(d, k);
        fprintf(out, "  %-24s %-8s", f->key, type_name(f->type));
        if (f->flags & BW_CFG_F_REQUIRED)
            fputs("  required", out);
        else if (f->default_value)
            fprintf(out, "  default \"%s\"", f->default_value);
        else
            fputs("  optional", out);
        if (f->min < f->max) {
            const char *what = f->type == BW_CFG_LIST ? " items" : f->type == BW_CFG_DURATION
                                                                     ? " ms" : "";
            fprintf(out, "  range %lld..%lld%s", (long long)f->min, (long long)f->max, what);
        }
        fputc('\n', out);
        if (f->description)
            fprintf(out, "      %s\n", f->description);
    }
    fputs("};\n", out);
}
