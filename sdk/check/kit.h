/*
 * The plugin conformance kit (bookwell-plugin-check): shared state of one
 * run and the helpers every kind's checks use. main.c loads the plugin and
 * opens one instance through the host's own loader, configuration and
 * registry; the kind files (emr_checks.c, kind_checks.c) run the contract
 * checks through kit_call_* and report each with kit_pass/kit_fail/kit_skip,
 * which print one line per check and count them.
 */
#ifndef BW_KIT_H
#define BW_KIT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <bookwell/plugin.h>

#include "plugin_call.h"
#include "plugin_registry.h"

/* Bound on one op call made by the kit. */
#define KIT_CALL_TIMEOUT_MS 30000

struct kit {
    const struct bw_plugin_descriptor *desc;
    struct registry_handle h;  /* the instance under test, pinned for the run */
    const char *tenant;        /* the run's own tenant id (kv scope) */
    int64_t days;              /* availability window, in days from now */
    const char *location;      /* --location, or NULL: the catalog's first */
    const char *service;       /* --service, or NULL: the first offered there */
    unsigned seq;              /* request ids and idempotency keys */
    char rid[48];              /* the current call's request id */
    char run_id[16];           /* random, so repeated runs never collide */
    int passed, failed, skipped;
    /* Every non-zero code an op returned, and whether err was filled: the
     * errors check looks at them at the end. */
    int bad_codes;
    char bad_code_what[200];
};

/* One check's outcome; fmt explains a failure or skip. */
void kit_pass(struct kit *k, const char *name);
void kit_fail(struct kit *k, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kit_skip(struct kit *k, const char *name, const char *why);

/*
 * The result of one op call: rc, the host-owned error the plugin filled,
 * and what it appended to the output buffer parsed as JSON (NULL when the
 * op failed, appended nothing, or appended something that is not JSON:
 * then parse_error is set). Free with kit_result_free.
 */
struct kit_result {
    int rc;
    struct bw_error err;
    char *text;                /* the output as appended (owned), or NULL */
    cJSON *json;               /* owned */
    bool parse_error;
};
void kit_result_free(struct kit_result *r);

/* Prepares a call on the instance under test (registry_call_begin) and
 * ends it; the bw_call is the caller's stack. */
void kit_call_begin(struct kit *k, struct bw_call *call, struct bw_buf **out);
void kit_call_end(struct kit *k, struct bw_call *call, struct bw_buf *out,
                  struct kit_result *r, const char *op);

/* A bw_json over a NUL-terminated text (borrowed). */
struct bw_json kit_json(const char *schema, const char *text);

/* A fresh idempotency key for this run ("kit-<run>-<n>"), in out[64]. */
void kit_key(struct kit *k, char out[64]);

/* "BW_E_CONFLICT: message" (or "BW_OK") for failure lines, in out. */
const char *kit_rc_text(const struct kit_result *r, char *out, size_t cap);

/* The kinds' checks. Each reports its own lines. */
void kit_check_emr(struct kit *k);
void kit_check_channel(struct kit *k);
void kit_check_payment(struct kit *k);
void kit_check_ai(struct kit *k);

/* Checks common to every kind: the descriptor and its config schema. */
void kit_check_descriptor(struct kit *k, uint32_t want_kind);
void kit_check_schema(struct kit *k);
/* The health op, when there is one. */
void kit_check_health(struct kit *k);
/* Every failure code seen during the run was a BW_E_* with err filled. */
void kit_check_error_codes(struct kit *k);

#endif
