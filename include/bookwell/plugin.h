/*
 * The plugin descriptor: what a plugin is (kind, id, version, the ABI it was
 * built against and needs), the configuration it accepts (a typed schema the
 * host checks each tenant binding against), its lifecycle functions, and its
 * kind's ops table. A plugin exports exactly one symbol, bw_plugin_entry_v1,
 * which returns its descriptor.
 *
 * Threading: bw_plugin_entry_v1 and the lifecycle functions (init, fini,
 * instance_open, instance_close) are called on the host's one control
 * thread; health and the kind's ops run concurrently on worker threads, also
 * for the same instance, unless the descriptor sets BW_PLUGIN_F_SERIAL.
 * A plugin creates no threads, installs no signal handlers, has no
 * constructors and calls no library's global initialisation.
 */
#ifndef BOOKWELL_PLUGIN_H
#define BOOKWELL_PLUGIN_H

#include <bookwell/abi.h>
#include <bookwell/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "BWPL" in little-endian byte order. */
#define BW_PLUGIN_MAGIC 0x4c505742u

/* Kinds (bw_plugin_descriptor.kind). The id of a plugin starts with its
 * kind's name and a dot: "channel.twilio", "emr.boulevard". */
#define BW_KIND_CHANNEL 1u
#define BW_KIND_EMR     2u
#define BW_KIND_PAYMENT 3u
#define BW_KIND_AI      4u

/*
 * Descriptor flags. A flag is a request the host may honour or ignore; a
 * plugin that cannot work unless the host honours a flag added in minor N
 * sets abi_minor_required to at least N.
 */
/* Never call ops of one instance concurrently (the host serialises them). */
#define BW_PLUGIN_F_SERIAL 0x1u

/* Config schema field types (bw_config_field.type). */
#define BW_CFG_STRING   1u  /* UTF-8 text */
#define BW_CFG_INT      2u  /* 64-bit signed integer */
#define BW_CFG_BOOL     3u  /* true or false */
#define BW_CFG_DURATION 4u  /* "250ms", "30s", "5m", "2h", or an integer of seconds */
#define BW_CFG_SECRET   5u  /* a reference "env:NAME" or "file:PATH"; never a literal */
#define BW_CFG_LIST     6u  /* a list of strings */

/* Config field flags (bw_config_field.flags). */
#define BW_CFG_F_REQUIRED 0x1u  /* the binding must set it; no default allowed */

/*
 * One key of a plugin's configuration. Plugins declare an array of these
 * (usually static const); every element has the same struct_size. Keys are
 * [a-z][a-z0-9_]{0,62}, unique within the schema. The default is text parsed
 * like a value written in the binding ("30s", "true", "42"; for a list,
 * items separated by commas); SECRET fields and required fields have none.
 */
struct bw_config_field {
    uint32_t struct_size;      /* sizeof(struct bw_config_field) */
    uint32_t type;             /* BW_CFG_* */
    uint32_t flags;            /* BW_CFG_F_* */
    uint32_t _reserved;        /* zero */
    const char *key;
    const char *default_value; /* NULL: none */
    const char *description;   /* one line for --describe-plugin, or NULL */
    int64_t min;               /* INT: value range; DURATION: range in ms; */
    int64_t max;               /* LIST: item count range. Checked when min < max. */
};

/*
 * A webhook the host received for a plugin instance (channel and payment
 * kinds). Owned by the host, borrowed for the call.
 */
struct bw_webhook_request {
    uint32_t struct_size;
    uint32_t _reserved;
    const char *method;        /* NUL-terminated */
    const char *url;           /* the public URL the provider called, with its query
                                  string, as signatures cover it; NUL-terminated */
    const struct bw_http_header *headers;
    uint64_t n_headers;
    struct bw_bytes body;      /* the raw body; body.ptr[body.len] is a NUL byte */
    const char *remote_addr;   /* peer address as text, NUL-terminated */
};

/*
 * The answer the provider gets. Owned by the host, which sets status 200,
 * content_type "text/plain" and an empty body before the call; the plugin
 * changes what it needs (body through bw_host.buf_append).
 */
struct bw_webhook_reply {
    uint32_t struct_size;
    int32_t status;            /* HTTP status */
    struct bw_buf *body;       /* host-owned */
    char content_type[64];     /* NUL-terminated */
};

/*
 * The descriptor. Owned by the plugin (static const), read by the host from
 * bw_plugin_entry_v1 until the file is unloaded after fini().
 */
struct bw_plugin_descriptor {
    uint32_t magic;            /* BW_PLUGIN_MAGIC */
    uint32_t struct_size;      /* sizeof(struct bw_plugin_descriptor) */
    uint32_t abi_major;        /* BW_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;        /* BW_ABI_MINOR the plugin was built against */
    uint32_t abi_minor_required; /* the oldest host minor it works with (<= abi_minor) */
    uint32_t kind;             /* BW_KIND_* */
    uint32_t flags;            /* BW_PLUGIN_F_* */
    uint32_t n_config;         /* entries in config */
    const char *id;            /* "<kind>.<name>", name [a-z0-9][a-z0-9_-]{0,47} */
    const char *version;       /* semantic version 2.0.0, e.g. "1.4.2" or "2.0.0-rc.1" */
    const char *description;   /* one line, or NULL */
    const struct bw_config_field *config; /* n_config entries; NULL when none */

    /*
     * Once per loaded file, before any instance: may set *state to the
     * plugin's own global state (plugin-owned; NULL is fine). host is valid
     * until fini() returns. call carries no tenant. NULL: nothing to do.
     */
    int (*init)(const struct bw_host *host, struct bw_call *call, void **state);
    /* Once per loaded file, after its last instance closed. May be NULL. */
    void (*fini)(void *state);

    /*
     * Opens an instance for one tenant binding. The binding's configuration
     * is read through the host's config_* and secret functions with this
     * call; *instance receives the plugin-owned instance (never freed by the
     * host; handed back to instance_close). Must not keep call. Fails with
     * BW_E_CONFIG for unusable settings, BW_E_AUTH for refused credentials.
     * Either both of instance_open and instance_close are set, or neither.
     */
    int (*instance_open)(const struct bw_host *host, void *state, struct bw_call *call,
                         void **instance, struct bw_error *err);
    /* Closes an instance once no call uses it any more; frees what it owns. */
    void (*instance_close)(void *state, void *instance);

    /*
     * Health of an instance, called periodically on a worker thread: 0 when
     * it can serve, or the code of the failure; may write a short JSON
     * object (schema "bookwell.health/1") to out. May be NULL.
     */
    int (*health)(void *instance, struct bw_call *call, struct bw_buf *out,
                  struct bw_error *err);

    /* The kind's ops table (struct bw_channel_ops, bw_emr_ops, bw_payment_ops
     * or bw_ai_ops), static const in the plugin. */
    const void *ops;
};

/*
 * The one exported symbol. The host calls it once after loading the file,
 * with its own ABI version; the plugin returns its descriptor (static,
 * plugin-owned), or NULL to decline to load into this host.
 */
#define BW_PLUGIN_ENTRY_SYMBOL "bw_plugin_entry_v1"
typedef const struct bw_plugin_descriptor *(*bw_plugin_entry_fn)(uint32_t host_major,
                                                                 uint32_t host_minor);

#if defined(__GNUC__)
#define BW_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BW_PLUGIN_EXPORT
#endif

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor);

#ifdef __cplusplus
}
#endif

#endif
