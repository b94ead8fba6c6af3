/*
 * Idempotency records in the instance's key-value store, for providers that
 * take no idempotency keys of their own: a write under a key records the id
 * it created under "idem/<op>/<SHA-256 of the key, hex>" (the host's
 * key-value service, kept BWSDK_IDEM_TTL_MS), and a retry under the same
 * key finds that id and answers the record instead of writing again.
 *
 *     char rec[BWSDK_IDEM_RECORD_MAX], id[96];
 *     if ((rc = bwsdk_idem_record(host, "book", key, rec)) != 0 ||
 *         (rc = bwsdk_idem_get(host, call, rec, id, sizeof id, err)) != 0)
 *         return rc;
 *     if (!id[0]) { ...create, then bwsdk_idem_put(host, call, rec, new_id); }
 *
 * A write without a key has an empty record name, which every function
 * takes as "no record": nothing is read or written.
 */
#ifndef BOOKWELL_SDK_IDEMPOTENCY_H
#define BOOKWELL_SDK_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include <bookwell/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for a record name: "idem/", an op name and 64 hex digits. */
#define BWSDK_IDEM_RECORD_MAX 128
/* How long a record is kept: 90 days. */
#define BWSDK_IDEM_TTL_MS (INT64_C(90) * 86400 * 1000)

/* The record name for op and key into out (empty when key is NULL or
 * empty). BW_E_INTERNAL when the host cannot hash. */
int bwsdk_idem_record(const struct bw_host *host, const char *op, const char *key,
                      char out[BWSDK_IDEM_RECORD_MAX]);

/* The id stored under record into id (capacity cap; empty when there is
 * none, or it does not fit). BW_E_RETRY with err filled when the store
 * fails. */
int bwsdk_idem_get(const struct bw_host *host, struct bw_call *call, const char *record,
                   char *id, size_t cap, struct bw_error *err);

/* Stores id under record; a store that fails is logged as a warning (the
 * write itself succeeded; only a retry's shortcut is lost). */
void bwsdk_idem_put(const struct bw_host *host, struct bw_call *call, const char *record,
                    const char *id);

#ifdef __cplusplus
}
#endif

#endif
