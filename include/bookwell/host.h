/*
 * The services table: everything a plugin may ask of the host. bookwelld
 * exports no symbols, so this table, handed to init() and instance_open(), is
 * a plugin's only way into the host: logging bound to the tenant and
 * request, outbound HTTP, hashes and encodings, its configuration and
 * secrets, key-value storage, counters, the clocks, and the result buffers.
 *
 * Threading: every function here is thread-safe. Functions that take a
 * struct bw_call use it only on the thread of the call it was passed to.
 * Memory: arguments are borrowed for the duration of the function; results
 * go into plugin-owned fixed buffers or host-owned struct bw_buf, as written
 * at each member. Nothing the host returns is freed by the plugin, and the
 * host frees nothing the plugin allocated.
 */
#ifndef BOOKWELL_HOST_H
#define BOOKWELL_HOST_H

#include <bookwell/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels for bw_host.log. */
#define BW_LOG_DEBUG 0u
#define BW_LOG_INFO  1u
#define BW_LOG_WARN  2u
#define BW_LOG_ERROR 3u

/* Algorithms for bw_host.hmac and bw_host.digest. */
#define BW_HASH_SHA1   1u  /* 20-byte output; HMAC-SHA1 for providers that sign with it */
#define BW_HASH_SHA256 2u  /* 32-byte output */
#define BW_HASH_MAX_LEN 32u

/* Flags for bw_host.base64_encode / base64_decode. */
#define BW_BASE64_URL      0x1u  /* the URL-safe alphabet (RFC 4648 section 5) */
#define BW_BASE64_NOPAD    0x2u  /* encode: omit '='; decode: padding optional */

/* A header by name and value (both borrowed as the struct that holds them
 * says). Names compare case-insensitively. Frozen. */
struct bw_http_header {
    struct bw_str name;
    struct bw_str value;
};

/*
 * An outbound HTTP request. Owned by the plugin (usually on its stack),
 * borrowed by the host for the duration of bw_host.http.
 */
struct bw_http_request {
    uint32_t struct_size;      /* sizeof(struct bw_http_request) as the plugin was built */
    uint32_t flags;            /* none defined in 1.0; zero */
    const char *method;        /* "GET", "POST", ...; NUL-terminated */
    const char *url;           /* absolute http(s) URL, NUL-terminated. The host may
                                  redirect it (per-instance base URL override in tests)
                                  and refuses hosts outside the instance's allowlist. */
    const struct bw_http_header *headers; /* n_headers entries, or NULL */
    uint64_t n_headers;
    struct bw_bytes body;      /* empty for none */
    int64_t timeout_ms;        /* 0: the rest of the call's deadline; never beyond it */
};

/*
 * The response. The plugin owns the struct and sets struct_size; the host
 * fills the members that fit. headers and body point into memory the host
 * owns and frees when the plugin's call returns.
 */
struct bw_http_response {
    uint32_t struct_size;      /* set by the plugin before the call */
    int32_t status;            /* HTTP status */
    const struct bw_http_header *headers;
    uint64_t n_headers;
    struct bw_bytes body;      /* body.ptr[body.len] is a NUL byte */
};

/*
 * The host's services, version 1.0. Owned by the host and valid from init()
 * until fini() returns (const: never written by a plugin). Members added in
 * later minors are reached through BW_FN(host, member).
 */
struct bw_host {
    uint32_t struct_size;      /* sizeof(struct bw_host) in the host */
    uint32_t abi_major;        /* the host's BW_ABI_MAJOR */
    uint32_t abi_minor;        /* the host's BW_ABI_MINOR */
    uint32_t _reserved;

    /* ---- logging ------------------------------------------------------ */

    /*
     * Writes one log line bound to the call's tenant, plugin instance and
     * request id (call may be NULL in init and fini). Never pass message
     * bodies, secrets, card numbers or health details.
     */
    void (*log)(struct bw_call *call, uint32_t level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* ---- result buffers (struct bw_buf is owned by the host) ---------- */

    /* Appends len bytes. 0, BW_E_NOMEM past the buffer's bound, BW_E_INVAL. */
    int (*buf_append)(struct bw_buf *buf, const void *data, uint64_t len);
    /* Shortens to len bytes (no-op when already shorter). */
    int (*buf_truncate)(struct bw_buf *buf, uint64_t len);
    /* The current content, valid until the next append or truncate; always
     * followed by a NUL byte. */
    int (*buf_view)(const struct bw_buf *buf, struct bw_bytes *out);
    /* A fresh empty buffer for the plugin's own use, freed by the host when
     * the call returns. NULL when out of memory. */
    struct bw_buf *(*buf_scratch)(struct bw_call *call);

    /* ---- clocks, deadline and cancellation ----------------------------- */

    /* Business time: microseconds since the Unix epoch, UTC. Simulated in
     * tests; use it for every date a user sees. */
    int64_t (*now_us)(void);
    /* Real monotonic microseconds, for measuring elapsed time only. */
    int64_t (*mono_us)(void);
    /* Milliseconds left before the call's deadline (<= 0: passed), or
     * INT64_MAX when the call has none. */
    int64_t (*deadline_ms)(const struct bw_call *call);
    /* 0 while the call may continue; BW_E_TIMEOUT after its deadline;
     * BW_E_CANCELLED once the host cancelled it. Check between steps. */
    int (*check)(const struct bw_call *call);

    /* ---- outbound HTTP -------------------------------------------------- */

    /*
     * Performs req within the call's deadline, honouring cancellation; the
     * host owns connection reuse, TLS, timeouts, retry budget, allowlists and
     * metrics. Returns 0 when a response arrived (whatever its status) and
     * fills resp; BW_E_TIMEOUT, BW_E_CANCELLED, BW_E_REMOTE (could not
     * connect or the exchange failed), BW_E_INVAL (URL refused) with err
     * filled.
     */
    int (*http)(struct bw_call *call, const struct bw_http_request *req,
                struct bw_http_response *resp, struct bw_error *err);

    /* ---- hashes and encodings (plugin-owned output buffers) ------------ */

    /* HMAC of msg under key with alg (BW_HASH_*): writes *out_len bytes to
     * out. BW_E_INVAL for an unknown alg, BW_E_NOMEM when out_cap is short. */
    int (*hmac)(uint32_t alg, const void *key, uint64_t key_len, const void *msg,
                uint64_t msg_len, uint8_t *out, uint32_t out_cap, uint32_t *out_len);
    /* Digest of data with alg (SHA-1 or SHA-256), as for hmac. */
    int (*digest)(uint32_t alg, const void *data, uint64_t len, uint8_t *out,
                  uint32_t out_cap, uint32_t *out_len);
    /* Base64 of data into out (NUL-terminated; *out_len excludes the NUL). */
    int (*base64_encode)(uint32_t flags, const void *data, uint64_t len, char *out,
                         uint64_t out_cap, uint64_t *out_len);
    /* Decodes text; BW_E_INVAL when it is not base64 in the chosen alphabet. */
    int (*base64_decode)(uint32_t flags, const char *text, uint64_t len, uint8_t *out,
                         uint64_t out_cap, uint64_t *out_len);
    /* 1 when the len bytes at a and b are equal, else 0, in time that does
     * not depend on where they differ. For signatures and tokens. */
    int (*ct_equal)(const void *a, const void *b, uint64_t len);

    /* ---- the instance's configuration and secrets ---------------------- */

    /*
     * The value of a key of the plugin's config schema for the call's
     * instance, validated and defaulted by the host. out values are owned by
     * the host and valid until instance_close() for that instance.
     * BW_E_INVAL: no such key, or not of that type; BW_E_CONFIG: optional
     * key without default that the binding left unset.
     */
    int (*config_string)(struct bw_call *call, const char *key, struct bw_str *out);
    int (*config_int)(struct bw_call *call, const char *key, int64_t *out);
    int (*config_bool)(struct bw_call *call, const char *key, int32_t *out);
    int (*config_duration_ms)(struct bw_call *call, const char *key, int64_t *out);
    /* Lists: the number of items, and item i (0-based). */
    int (*config_list_count)(struct bw_call *call, const char *key, uint32_t *count);
    int (*config_list_item)(struct bw_call *call, const char *key, uint32_t index,
                            struct bw_str *out);
    /* The resolved value of a secret-reference key (env:NAME or file:PATH in
     * the binding). Owned by the host, valid until instance_close(). Never
     * log it. */
    int (*secret)(struct bw_call *call, const char *key, struct bw_str *out);

    /* ---- per-instance key-value storage (PostgreSQL, durable) ---------- */

    /*
     * Keys are NUL-terminated, 1..200 bytes of printable ASCII, scoped to the
     * tenant and plugin id (shared by versions of the plugin, so state survives
     * a reload). Values are at most 64 KiB.
     */
    /* Appends the value to out and sets *found to 1, or sets *found to 0. */
    int (*kv_get)(struct bw_call *call, const char *key, struct bw_buf *out, int32_t *found);
    /* Stores the value; ttl_ms > 0 expires it after that much business time. */
    int (*kv_put)(struct bw_call *call, const char *key, const void *value, uint64_t len,
                  int64_t ttl_ms);
    /* Deletes the key; 0 also when it was absent. */
    int (*kv_delete)(struct bw_call *call, const char *key);

    /* ---- counters ------------------------------------------------------- */

    /*
     * Adds delta to the counter name ([a-z][a-z0-9_]{0,62}) of the call's
     * instance; exported as bookwell_plugin_<name>_total with a plugin label
     * (summed over tenants, so the number of series stays bounded).
     */
    int (*counter_add)(struct bw_call *call, const char *name, int64_t delta);

    /* ---- since 1.1 (check with BW_HAS before use) ------------------------ */

    /*
     * Compare-and-set: stores value (ttl_ms as kv_put) only when the key's
     * current value is byte for byte expected (expected_len bytes), or, with
     * expect_absent set, only when the key is absent or expired. *stored is
     * 1 when it stored, 0 when the current value differed (nothing changed).
     * Atomic across every process sharing the database: two callers with
     * the same expected value cannot both store.
     */
    int (*kv_put_if)(struct bw_call *call, const char *key, const void *expected,
                     uint64_t expected_len, int32_t expect_absent, const void *value,
                     uint64_t len, int64_t ttl_ms, int32_t *stored);
    /*
     * Appends kv_keys/1, {"keys":["...",...]}: the live keys that start
     * with prefix (may be empty), in byte order, at most limit of them
     * (1..1000), after the key `after` when it is not NULL (paging).
     */
    int (*kv_keys)(struct bw_call *call, const char *prefix, const char *after,
                   uint32_t limit, struct bw_buf *out);
};

#ifdef __cplusplus
}
#endif

#endif
