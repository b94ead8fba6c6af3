/*
 * The plugin loader: opens plugins.dir/<id>-<version>.so with
 * dlopen(RTLD_NOW | RTLD_LOCAL), resolves bw_plugin_entry_v1, and validates
 * the descriptor it returns against the ABI (include/bookwell/) before
 * anything of the plugin runs beyond its entry function. A file that fails
 * any check is unloaded again and reported with a reason code and a
 * sentence; the caller logs it. Loading calls no lifecycle function: init,
 * instances and reload belong to the registry.
 *
 * Library code: it does not log. Not thread-safe: the control thread owns a
 * plugin_set.
 */
#ifndef BW_HOST_PLUGIN_LOADER_H
#define BW_HOST_PLUGIN_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/plugin.h>

/* Why a file was refused. Stable names for logs: plugin_reject_name(). */
enum plugin_reject {
    PLUGIN_OK = 0,
    PLUGIN_REJECT_FILE,        /* "file": missing, unreadable, or not a regular file */
    PLUGIN_REJECT_WRITABLE,    /* "writable": group- or world-writable */
    PLUGIN_REJECT_DLOPEN,      /* "dlopen": the dynamic loader refused it */
    PLUGIN_REJECT_NO_ENTRY,    /* "no_entry": bw_plugin_entry_v1 not exported */
    PLUGIN_REJECT_DECLINED,    /* "declined": the entry returned NULL */
    PLUGIN_REJECT_MAGIC,       /* "bad_magic" */
    PLUGIN_REJECT_TOO_SHORT,   /* "too_short": struct_size below ABI 1.0's descriptor */
    PLUGIN_REJECT_MAJOR,       /* "abi_major": built against another major */
    PLUGIN_REJECT_MINOR,       /* "abi_minor": requires a newer host minor */
    PLUGIN_REJECT_KIND,        /* "kind": unknown kind */
    PLUGIN_REJECT_ID,          /* "id": malformed id */
    PLUGIN_REJECT_VERSION,     /* "version": not a semantic version */
    PLUGIN_REJECT_LIFECYCLE,   /* "lifecycle": instance_open without instance_close, or reverse */
    PLUGIN_REJECT_OPS,         /* "ops": ops table missing, short, or without a mandatory op */
    PLUGIN_REJECT_SCHEMA,      /* "schema": malformed config schema */
    PLUGIN_REJECT_DUPLICATE,   /* "duplicate": that id and version is already loaded */
    PLUGIN_REJECT_FILE_NAME,   /* "file_name": file not named <id>-<version>.so */
};

struct plugin_reject_info {
    enum plugin_reject code;
    char reason[256];          /* one sentence, safe to log */
};

/* One loaded file. desc and the strings it points to live in the plugin's
 * memory: valid until plugin_set_close() unloads the file. */
struct plugin {
    char *path;                /* owned */
    void *handle;              /* from dlopen */
    const struct bw_plugin_descriptor *desc;
};

/* The loaded plugins; zero-initialise before use. Owns its plugins. */
struct plugin_set {
    struct plugin **items;
    size_t n, cap;
};

/* Largest config schema the host accepts. */
#define PLUGIN_MAX_CONFIG_FIELDS 128

const char *plugin_reject_name(enum plugin_reject code);

/* "channel", "emr", "payment", "ai", or NULL for an unknown kind. */
const char *plugin_kind_name(uint32_t kind);

/* The checks on their own (no file involved): "<kind>.<name>" for that
 * kind, and semantic versioning 2.0.0 (at most 64 bytes). */
bool plugin_id_valid(const char *id, uint32_t kind);
bool plugin_version_valid(const char *version);

/*
 * Validates a descriptor as a host of ABI 1.host_minor would: magic, size,
 * major and minor, kind, id, version, lifecycle, the kind's mandatory ops
 * and the config schema. Returns 0, or -1 with why filled.
 */
int plugin_descriptor_check(const struct bw_plugin_descriptor *d, uint32_t host_minor,
                            struct plugin_reject_info *why);

/*
 * Loads path into set. host_minor is the minor the host announces to the
 * entry function and checks against (BW_ABI_MINOR in the daemon; tests
 * simulate other hosts). Returns 0 with *out (borrowed from set) set, or -1
 * with why filled and nothing of the file left loaded.
 */
int plugin_loader_open(struct plugin_set *set, const char *path, uint32_t host_minor,
                       const struct plugin **out, struct plugin_reject_info *why);

/* Called once per candidate file by plugin_loader_load_dir: p on success,
 * else why. Everything is borrowed for the call. */
typedef void (*plugin_loader_report_fn)(const char *path, const struct plugin *p,
                                        const struct plugin_reject_info *why, void *ctx);

/*
 * Loads every "*.so" in dir (in name order; names starting with '.' are
 * skipped), reporting each file. A refused file does not stop the others.
 * Returns the number loaded, or -1 when dir cannot be read (err filled).
 */
int plugin_loader_load_dir(struct plugin_set *set, const char *dir, uint32_t host_minor,
                           plugin_loader_report_fn report, void *ctx, char *err,
                           size_t errcap);

/* The loaded plugin with that id and version, or NULL. Borrowed from set. */
const struct plugin *plugin_set_find(const struct plugin_set *set, const char *id,
                                     const char *version);

/* Unloads one plugin of the set (dlclose) and removes it, keeping the
 * others in order; p is invalid afterwards. */
void plugin_set_unload(struct plugin_set *set, const struct plugin *p);

/* Unloads every plugin and frees the set's memory (set is zeroed). */
void plugin_set_close(struct plugin_set *set);

#endif
