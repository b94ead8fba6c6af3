/*
 * The host side of a call into a plugin: the definition of the ABI's opaque
 * struct bw_call (tenant, instance configuration, request id, deadline,
 * cancellation, scratch buffers), of struct bw_buf (bounded, host-owned
 * result buffers), and of an instance's validated configuration, which the
 * services table reads for the plugin. plugin_services() returns the one
 * services table (struct bw_host) every plugin receives.
 */
#ifndef BW_HOST_PLUGIN_CALL_H
#define BW_HOST_PLUGIN_CALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/host.h>
#include <bookwell/plugin.h>

struct db_pool;

/* One configured key of an instance, typed by the plugin's schema. */
struct plugin_config_value {
    const struct bw_config_field *field; /* borrowed from the plugin's descriptor */
    bool set;                  /* the binding set it, or a default applied */
    char *text;                /* STRING: the text; SECRET: the resolved secret (owned) */
    int64_t num;               /* INT; BOOL (0/1); DURATION in ms */
    char **items;              /* LIST: owned strings */
    uint32_t n_items;
};

/* An instance's whole configuration, owned by whoever opened the instance. */
struct plugin_config {
    struct plugin_config_value *values; /* owned array of n entries */
    uint32_t n;
};

/* Frees the values (secrets are wiped first). */
void plugin_config_free(struct plugin_config *cfg);

/* A value by key, or NULL. Borrowed from cfg. */
const struct plugin_config_value *plugin_config_get(const struct plugin_config *cfg,
                                                    const char *key);

/* Scratch buffers and other host memory handed out during a call (HTTP
 * response headers, ...), freed by plugin_call_end. */
#define PLUGIN_CALL_MAX_SCRATCH 16
#define PLUGIN_CALL_MAX_OWNED 1024 /* an HTTP request owns 3 blocks and 2 per header; a
                                    * paged FHIR search makes dozens of requests in one call */

/*
 * The ABI's struct bw_call. Stack-allocated by the caller around one call
 * into a plugin (plugin_call_begin ... plugin_call_end). Every pointer is
 * borrowed from the caller and must outlive the call.
 */
struct bw_call {
    const char *tenant_id;          /* NULL in init and fini */
    const char *plugin_id;          /* the descriptor's id */
    const char *request_id;         /* for log lines; may be NULL */
    const struct plugin_config *config; /* NULL in init and fini */
    struct db_pool *pool;           /* key-value storage; NULL: kv_* fail */
    int64_t deadline_mono_ms;       /* clock_mono_ms() deadline; 0: none */
    const atomic_bool *cancelled;   /* set by the host to cancel; NULL: never */
    const char *base_url;           /* tests: replaces scheme://host[:port] of
                                       every outbound URL; NULL: as requested */
    const char *const *allow_hosts; /* NULL-terminated host allowlist; NULL: any */
    struct bw_buf *scratch[PLUGIN_CALL_MAX_SCRATCH];
    uint32_t n_scratch;
    void *owned[PLUGIN_CALL_MAX_OWNED]; /* malloc'd blocks freed at the end */
    uint32_t n_owned;
};

/* Zeroes call and sets its identity; the caller fills the rest it needs. */
void plugin_call_begin(struct bw_call *call, const char *tenant_id, const char *plugin_id,
                       const char *request_id);
/* Frees the call's scratch buffers and owned memory. */
void plugin_call_end(struct bw_call *call);

/* Hands a malloc'd block to the call, to be freed at its end. Returns block,
 * or NULL (and frees block) when the call holds too many already. */
void *plugin_call_own(struct bw_call *call, void *block);

/* A host-owned result buffer of at most max bytes (0: 16 MiB). NULL on OOM. */
struct bw_buf *plugin_buf_new(uint64_t max);
void plugin_buf_free(struct bw_buf *buf);
/* The content (NUL-terminated) and its length; borrowed from buf. */
const char *plugin_buf_data(const struct bw_buf *buf, uint64_t *len);
void plugin_buf_reset(struct bw_buf *buf);

/* The buffer operations of the services table, for host code too. */
int plugin_buf_append(struct bw_buf *buf, const void *data, uint64_t len);
int plugin_buf_truncate(struct bw_buf *buf, uint64_t len);
int plugin_buf_view(const struct bw_buf *buf, struct bw_bytes *out);
struct bw_buf *plugin_buf_scratch(struct bw_call *call);

/* The services table handed to every plugin (static, lives forever). */
const struct bw_host *plugin_services(void);

#endif
