/*
 * A tenant binding's configuration typed against the plugin's own schema
 * (struct bw_config_field in the descriptor): strings, integers, booleans,
 * durations, secret references (env:/file:, resolved here; a literal is
 * refused) and lists, with defaults, required keys and ranges. Unknown keys
 * are errors. The result is the struct plugin_config (plugin_call.h) the
 * services table reads for the plugin. Also prints a plugin's schema for
 * bookwelld --describe-plugin.
 *
 * Library code: no logging, no side effects beyond reading secret files and
 * the environment.
 */
#ifndef BW_HOST_PLUGIN_CONFIG_H
#define BW_HOST_PLUGIN_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include <bookwell/plugin.h>

#include "config.h"
#include "confmap.h"
#include "plugin_call.h"
#include "plugin_loader.h"

/* Field i of d's schema (elements are d->config[0].struct_size apart). */
const struct bw_config_field *plugin_schema_field(const struct bw_plugin_descriptor *d,
                                                  uint32_t i);

/*
 * Types b's config values against d's schema into out (zeroed by the
 * caller): one value per schema field, in schema order, defaults applied.
 * Returns 0, or -1 with every problem in errs as "file:line: message";
 * out is then freed again. Free a parsed out with plugin_config_free().
 */
int plugin_config_parse(const struct bw_plugin_descriptor *d, const struct plugin_binding *b,
                        struct plugin_config *out, struct confmap_errors *errs);

/* True when a and b hold the same values (secrets compared as resolved). */
bool plugin_config_equal(const struct plugin_config *a, const struct plugin_config *b);

/* Semantic-version precedence of a and b (both valid): <0, 0 or >0. Build
 * metadata is ignored; a pre-release ranks below its release. */
int plugin_version_compare(const char *a, const char *b);

/*
 * The loaded plugin a binding names: that id and version, or the newest
 * version of the id when version is NULL; only among plugins for which
 * usable (NULL: every plugin) returns true. NULL when there is none.
 */
const struct plugin *plugin_resolve(const struct plugin_set *set, const char *id,
                                    const char *version,
                                    bool (*usable)(const struct plugin *p, void *ctx),
                                    void *ctx);

/*
 * bookwelld --check-config: resolves every tenant binding of cfg among set
 * and types its config (secrets resolved, nothing opened). Returns 0, or -1
 * with every problem in errs.
 */
int plugin_bindings_check(const struct host_config *cfg, const struct plugin_set *set,
                          struct confmap_errors *errs);

/* Prints d's id, version, kind, ABI and every config key with its type,
 * default, range and description. */
void plugin_schema_print(FILE *out, const struct bw_plugin_descriptor *d);

#endif
