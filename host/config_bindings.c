/*
 * Reads the "plugins" list of a tenant file into plugin bindings (see
 * config_bindings.h). Every problem is reported with the file and the line
 * libconfig recorded for the setting, and reading goes on after one, so a
 * file with three mistakes shows all three.
 */
#include "config_bindings.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"

static int line_of(const config_setting_t *s) { return s ? config_setting_source_line(s) : 0; }

static bool plugin_id_any_kind(const char *id)
{
    for (uint32_t kind = BW_KIND_CHANNEL; kind <= BW_KIND_AI; kind++)
        if (plugin_id_valid(id, kind))
            return true;
    return false;
}

/* http(s)://host[:port] with nothing after it. */
static bool base_url_valid(const char *u)
{
    const char *rest;
    if (strncmp(u, "http://", 7) == 0)
        rest = u + 7;
    else if (strncmp(u, "https://", 8) == 0)
        rest = u + 8;
    else
        return false;
    size_t n = strlen(rest);
    return n > 0 && n < 256 && strcspn(rest, "/?#@ \t") == n;
}

static void free_strings(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* Reads an array or list of strings into a NULL-terminated vector. Returns
 * 0, 1 when an item is not a string (nothing allocated), or -1 on OOM. */
static int read_strings(const config_setting_t *s, char ***out, size_t *n_out)
{
    int n = config_setting_length(s);
    *out = NULL;
    *n_out = 0;
    for (int i = 0; i < n; i++)
        if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) != CONFIG_TYPE_STRING)
            return 1;
    char **items = calloc((size_t)n + 1, sizeof *items);
    if (!items)
        return -1;
    for (int i = 0; i < n; i++) {
        items[i] = strdup(config_setting_get_string(config_setting_get_elem(s, (unsigned)i)));
        if (!items[i]) {
            free_strings(items, (size_t)i);
            return -1;
        }
    }
    *out = items;
    *n_out = (size_t)n;
    return 0;
}

static bool is_sequence(const config_setting_t *s)
{
    return config_setting_is_array(s) || config_setting_is_list(s);
}

/* Copies one member of a config group as written. */
static int read_value(const config_setting_t *s, struct binding_value *v, const char *file,
                      struct confmap_errors *errs)
{
    v->line = line_of(s);
    if (!(v->key = strdup(config_setting_name(s))))
        return -1;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        v->kind = BINDING_VALUE_STRING;
        return (v->text = strdup(config_setting_get_string(s))) ? 0 : -1;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v->kind = BINDING_VALUE_INT;
        v->num = config_setting_get_int64(s);
        return 0;
    case CONFIG_TYPE_BOOL:
        v->kind = BINDING_VALUE_BOOL;
        v->num = config_setting_get_bool(s) ? 1 : 0;
        return 0;
    case CONFIG_TYPE_FLOAT:
        v->kind = BINDING_VALUE_FLOAT;
        return 0;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: {
        if (config_setting_length(s) > CONFIG_MAX_LIST_ITEMS) {
            confmap_error(errs, file, v->line, "'%s' has more than %d items", v->key,
                          CONFIG_MAX_LIST_ITEMS);
            v->kind = BINDING_VALUE_OTHER;
            return 1;
        }
        int rc = read_strings(s, &v->items, &v->n_items);
        v->kind = rc == 0 ? BINDING_VALUE_LIST : BINDING_VALUE_OTHER;
        if (rc == 1)
            confmap_error(errs, file, v->line, "the items of '%s' must be strings", v->key);
        return rc;
    }
    default:
        v->kind = BINDING_VALUE_OTHER;
        return 0;
    }
}

static int read_config_group(const config_setting_t *g, struct plugin_binding *b,
                             const char *file, struct confmap_errors *errs)
{
    int n = config_setting_length(g), bad = 0;
    b->config_line = line_of(g);
    if (n > CONFIG_MAX_BINDING_VALUES) {
        confmap_error(errs, file, b->config_line, "config has more than %d keys",
                      CONFIG_MAX_BINDING_VALUES);
        return 1;
    }
    if (n == 0)
        return 0;
    if (!(b->values = calloc((size_t)n, sizeof *b->values)))
        return -1;
    for (int i = 0; i < n; i++) {
        int rc = read_value(config_setting_get_elem(g, (unsigned)i), &b->values[i], file, errs);
        b->n_values++;
        if (rc < 0)
            return -1;
        bad |= rc;
    }
    return bad;
}

/* The string member key of group g into *out; 1 when it is not a string. */
static int member_string(const config_setting_t *g, const char *key, char **out,
                         const char *file, struct confmap_errors *errs)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        confmap_error(errs, file, line_of(s), "'%s' must be a string", key);
        return 1;
    }
    return (*out = strdup(config_setting_get_string(s))) ? 0 : -1;
}

static const char *const binding_keys[] = { "plugin", "version", "config", "base_url",
                                            "allow_hosts", NULL };

/* Reads one element of the list; returns 0, 1 (reported problems) or -1. */
static int read_binding(const config_setting_t *g, struct plugin_binding *b,
                        const char *file, struct confmap_errors *errs)
{
    int bad = 0, rc;
    b->file = file;
    b->line = b->config_line = line_of(g);
    if (!config_setting_is_group(g)) {
        confmap_error(errs, file, b->line,
                      "each plugin binding must be a group { plugin = \"...\"; ... }");
        return 1;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k = 0;
        while (binding_keys[k] && strcmp(binding_keys[k], name) != 0)
            k++;
        if (!binding_keys[k]) {
            confmap_error(errs, file, line_of(s), "unknown key '%s' in a plugin binding", name);
            bad = 1;
        }
    }
    const char *const str_keys[] = { "plugin", "version", "base_url" };
    char **str_dst[] = { &b->plugin, &b->version, &b->base_url };
    for (size_t k = 0; k < 3; k++) {
        if ((rc = member_string(g, str_keys[k], str_dst[k], file, errs)) < 0)
            return -1;
        bad |= rc;
    }
    if (!config_setting_get_member(g, "plugin")) {
        confmap_error(errs, file, b->line, "missing required key 'plugin' in a plugin binding");
        bad = 1;
    } else if (b->plugin && !plugin_id_any_kind(b->plugin)) {
        confmap_error(errs, file, line_of(config_setting_get_member(g, "plugin")),
                      "plugin '%s' is not an id such as \"emr.boulevard\" (<kind>.<name>)",
                      b->plugin);
        bad = 1;
    }
    if (b->version && !plugin_version_valid(b->version)) {
        confmap_error(errs, file, line_of(config_setting_get_member(g, "version")),
                      "version '%s' is not a semantic version such as \"1.4.2\"", b->version);
        bad = 1;
    }
    if (b->base_url && !base_url_valid(b->base_url)) {
        confmap_error(errs, file, line_of(config_setting_get_member(g, "base_url")),
                      "base_url must be http(s)://host[:port] with nothing after it");
        bad = 1;
    }
    const config_setting_t *hosts = config_setting_get_member(g, "allow_hosts");
    if (hosts) {
        rc = is_sequence(hosts) ? read_strings(hosts, &b->allow_hosts, &b->n_allow_hosts) : 1;
        if (rc < 0)
            return -1;
        if (rc == 1) {
            confmap_error(errs, file, line_of(hosts),
                          "allow_hosts must be a list of host names [\"api.example.com\", ...]");
            bad = 1;
        }
    }
    const config_setting_t *cfg = config_setting_get_member(g, "config");
    if (cfg && !config_setting_is_group(cfg)) {
        confmap_error(errs, file, line_of(cfg), "'config' must be a group { ... }");
        bad = 1;
    } else if (cfg) {
        if ((rc = read_config_group(cfg, b, file, errs)) < 0)
            return -1;
        bad |= rc;
    }
    return bad;
}

int config_bindings_read(const config_setting_t *list, struct tenant_config *t,
                         struct confmap_errors *errs)
{
    const char *file = t->file;
    int bad = 0;
    if (!list)
        return 0;
    if (!config_setting_is_list(list)) {
        confmap_error(errs, file, line_of(list),
                      "'plugins' must be a list ( { plugin = \"...\"; ... }, ... )");
        return -1;
    }
    int n = config_setting_length(list);
    if (n > CONFIG_MAX_BINDINGS) {
        confmap_error(errs, file, line_of(list), "more than %d plugin bindings",
                      CONFIG_MAX_BINDINGS);
        return -1;
    }
    if (n == 0)
        return 0;
    if (!(t->bindings = calloc((size_t)n, sizeof *t->bindings)))
        goto nomem;
    for (int i = 0; i < n; i++) {
        struct plugin_binding *b = &t->bindings[t->n_bindings++];
        int rc = read_binding(config_setting_get_elem(list, (unsigned)i), b, file, errs);
        if (rc < 0)
            goto nomem;
        bad |= rc;
        for (size_t j = 0; b->plugin && j + 1 < t->n_bindings; j++) {
            if (t->bindings[j].plugin && strcmp(t->bindings[j].plugin, b->plugin) == 0) {
                confmap_error(errs, file, b->line,
                              "plugin '%s' is bound twice (first at line %d)", b->plugin,
                              t->bindings[j].line);
                bad = 1;
                break;
            }
        }
    }
    return bad ? -1 : 0;
nomem:
    confmap_error(errs, file, 0, "out of memory");
    return -1;
}

void config_bindings_free(struct tenant_config *t)
{
    for (size_t i = 0; i < t->n_bindings; i++) {
        struct plugin_binding *b = &t->bindings[i];
        for (size_t k = 0; k < b->n_values; k++) {
            struct binding_value *v = &b->values[k];
            free(v->key);
            /* A config group may hold a secret's text: wipe it. */
            if (v->text)
                memset(v->text, 0, strlen(v->text));
            free(v->text);
            free_strings(v->items, v->n_items);
        }
        free(b->values);
        free(b->plugin);
        free(b->version);
        free(b->base_url);
        free_strings(b->allow_hosts, b->n_allow_hosts);
    }
    free(t->bindings);
    t->bindings = NULL;
    t->n_bindings = 0;
}

const struct plugin_binding *config_binding_find(const struct tenant_config *t,
                                                 const char *plugin)
{
    for (size_t i = 0; i < t->n_bindings; i++)
        if (t->bindings[i].plugin && strcmp(t->bindings[i].plugin, plugin) == 0)
            return &t->bindings[i];
    return NULL;
}
