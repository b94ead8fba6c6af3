/*
 * Bookwell plugin ABI: versions, error codes and the plain data types every
 * other header of the ABI builds on. This directory (include/bookwell/) is
 * the whole contract between bookwelld and its plugins; nothing else crosses
 * it. Rules (docs/ABI.md has them in full): fixed-width types only, no enums
 * or bitfields in structs, no third-party types; a struct that may grow
 * starts with uint32_t struct_size and only ever gains fields at its end
 * within a major version; a frozen struct (marked so) never changes.
 */
#ifndef BOOKWELL_ABI_H
#define BOOKWELL_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of the ABI this header describes. A plugin records the version
 * it was built against and the oldest host minor it needs in its descriptor;
 * the host refuses a different major, or a required minor above its own.
 * Minor versions only append (fields, ops, host services, flags, constants).
 */
#define BW_ABI_MAJOR 1
#define BW_ABI_MINOR 1

/*
 * Result codes. Every function of the ABI that can fail returns int: 0 on
 * success or one of these negative codes, never another value.
 */
#define BW_OK           0
#define BW_E_INVAL     (-1)  /* bad argument or malformed payload */
#define BW_E_NOMEM     (-2)  /* out of memory, or a bounded buffer is full */
#define BW_E_NOTSUP    (-3)  /* the operation or option is not supported */
#define BW_E_CONFIG    (-4)  /* the instance's configuration is unusable */
#define BW_E_AUTH      (-5)  /* credentials refused, or a signature did not verify */
#define BW_E_RETRY     (-6)  /* transient: the host retries with backoff */
#define BW_E_TIMEOUT   (-7)  /* the deadline passed: retried with backoff */
#define BW_E_CANCELLED (-8)  /* the host cancelled the call */
#define BW_E_REMOTE    (-9)  /* the provider answered with an error that retrying will not fix */
#define BW_E_CONFLICT  (-10) /* the slot, hold or resource is taken or gone */
#define BW_E_INTERNAL  (-11) /* a bug or broken invariant: the host quarantines the instance */

/* The lowest code defined in this minor; codes below it are unknown to the
 * host and treated as BW_E_INTERNAL. */
#define BW_E_MIN BW_E_INTERNAL

/* The name of a result code ("BW_E_AUTH"), or "BW_E_UNKNOWN". A static
 * string; inline so that neither side exports it. */
static inline const char *bw_strerror(int code)
{
    switch (code) {
    case BW_OK: return "BW_OK";
    case BW_E_INVAL: return "BW_E_INVAL";
    case BW_E_NOMEM: return "BW_E_NOMEM";
    case BW_E_NOTSUP: return "BW_E_NOTSUP";
    case BW_E_CONFIG: return "BW_E_CONFIG";
    case BW_E_AUTH: return "BW_E_AUTH";
    case BW_E_RETRY: return "BW_E_RETRY";
    case BW_E_TIMEOUT: return "BW_E_TIMEOUT";
    case BW_E_CANCELLED: return "BW_E_CANCELLED";
    case BW_E_REMOTE: return "BW_E_REMOTE";
    case BW_E_CONFLICT: return "BW_E_CONFLICT";
    case BW_E_INTERNAL: return "BW_E_INTERNAL";
    default: return "BW_E_UNKNOWN";
    }
}

/*
 * True when the struct p points to is large enough to hold member, that is
 * when whoever filled it was built against a minor that has the member. Read
 * or write a member added after 1.0 only when BW_HAS says it is there.
 */
#define BW_HAS(p, member) \
    ((p)->struct_size >= offsetof(__typeof__(*(p)), member) + sizeof((p)->member))

/* A member of an ops or services table, or NULL when the table predates it. */
#define BW_FN(p, member) (BW_HAS(p, member) ? (p)->member : NULL)

/*
 * A string by pointer and length: UTF-8, not necessarily NUL-terminated.
 * Frozen. Who owns ptr, and for how long, is written where it is used.
 */
struct bw_str {
    const char *ptr;
    uint64_t len;
};

/* Bytes by pointer and length. Frozen; ownership as for bw_str. */
struct bw_bytes {
    const uint8_t *ptr;
    uint64_t len;
};

/*
 * A structured payload: UTF-8 JSON whose shape is named by a schema id such
 * as "bookwell.emr.slot/1" (the kind headers list them). The host validates
 * what it receives against the schema the op names. Frozen. When the host
 * passes one in, schema and data are borrowed for the call and data[len] is
 * a NUL byte, so the text may also be read as a C string.
 */
struct bw_json {
    const char *schema;
    const uint8_t *data;
    uint64_t len;
};

/*
 * A result buffer. Opaque: the host allocates it, grows it and frees it;
 * a plugin only appends to it, truncates or reads it through the services
 * table (host.h). This is how results cross the ABI without memory
 * allocated on one side being freed on the other.
 */
struct bw_buf;

/*
 * The host's context for one call into a plugin: the tenant binding and
 * instance it is for, the request it serves (for logs), its deadline and
 * cancellation, and the scratch memory the host frees when the call returns.
 * Opaque and owned by the host; valid only during the call it was passed to,
 * and only on the thread that call runs on.
 */
struct bw_call;

/*
 * What went wrong, filled by a plugin when an op returns a negative code.
 * Owned by the host (zeroed and sized before each call); the plugin writes
 * only members that BW_HAS finds. Safe for logs: no message bodies, no
 * secrets, no card numbers, no health details.
 */
struct bw_error {
    uint32_t struct_size;
    int32_t code;              /* the BW_E_* code returned */
    int64_t retry_after_ms;    /* > 0: earliest retry the provider asked for; 0: unknown */
    int32_t http_status;       /* the provider's HTTP status, 0 when none */
    uint32_t _reserved;        /* zero */
    char provider_code[64];    /* the provider's own error code, NUL-terminated */
    char message[256];         /* a short explanation, NUL-terminated */
};

#ifdef __cplusplus
}
#endif

#endif
