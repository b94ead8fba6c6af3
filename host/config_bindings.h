/*
 * A tenant file's plugin bindings: the "plugins" list of
 * conf.d/tenants/<id>.conf, read into struct plugin_binding (config.h). Only
 * the shape is checked here (a list of groups, known keys, a well-formed
 * plugin id and version, string lists, one binding per plugin id); the
 * values of each binding's config group are typed later against the
 * plugin's own schema (plugin_config.h), once the plugin is loaded.
 */
#ifndef BW_HOST_CONFIG_BINDINGS_H
#define BW_HOST_CONFIG_BINDINGS_H

#include <libconfig.h>

#include "config.h"
#include "confmap.h"

/* Most bindings a tenant may have, and keys in one config group. */
#define CONFIG_MAX_BINDINGS 32
#define CONFIG_MAX_BINDING_VALUES 128
#define CONFIG_MAX_LIST_ITEMS 256

/*
 * Reads list (the tenant file's "plugins" setting, or NULL when absent)
 * into t->bindings; t->file names the file in messages. Returns 0, or -1
 * with every problem in errs (file:line). t is safe to free either way.
 */
int config_bindings_read(const config_setting_t *list, struct tenant_config *t,
                         struct confmap_errors *errs);

/* Frees t->bindings. */
void config_bindings_free(struct tenant_config *t);

/* The binding of plugin id in t, or NULL. Borrowed from t. */
const struct plugin_binding *config_binding_find(const struct tenant_config *t,
                                                 const char *plugin);

#endif
