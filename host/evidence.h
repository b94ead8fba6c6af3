/*
 * The evidence trail a clinic needs to win a chargeback: per subject (a
 * hold, and so the booking it becomes), an append-only list of entries
 * (the offer and the policy shown, the link sent, the payment event, the
 * EMR write, ...), each hash-chained to the previous one:
 *   hash = SHA-256(prev_hash "\n" tenant "\n" subject "\n" seq "\n" kind
 *                  "\n" at_us "\n" body), hex; the first prev_hash is 64 zeros.
 * The table refuses UPDATE, DELETE and TRUNCATE; evidence_verify()
 * recomputes the chain and names the first entry that does not match, so
 * tampering by someone who gets around the triggers is still detected.
 * Bodies hold identifiers, amounts and redacted text only: never card
 * data, never health details.
 *
 * Library code: no logging.
 */
#ifndef BW_HOST_EVIDENCE_H
#define BW_HOST_EVIDENCE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"

#define EVIDENCE_HASH_HEX 64

/*
 * Appends an entry (kind [a-z][a-z0-9_.]*, body a JSON value) at host time
 * at_us, on tx, serialised per subject by a transaction advisory lock.
 * Returns 0 with *seq (may be NULL) set, or -1 (the transaction is then
 * aborted).
 */
int evidence_append(struct db_conn *tx, const char *tenant_id, const char *subject,
                     const char *kind, const cJSON *body, int64_t at_us, int *seq);

struct evidence_report {
    int entries;           /* how many entries the subject has */
    int first_bad;         /* 0 when the chain holds; else the first seq that does not */
    char reason[128];      /* why first_bad is bad */
};

/* Recomputes the chain of one subject. Returns 0 (see report), or -1 when
 * the database failed. */
int evidence_verify(struct db_conn *c, const char *tenant_id, const char *subject,
                    struct evidence_report *report);

/* The subject's entries as {"subject","entries":[{"seq","kind","at","body",
 * "hash"}]} (body parsed), or NULL on failure. Caller frees. */
cJSON *evidence_list(struct db_conn *c, const char *tenant_id, const char *subject);

/* The hash of one entry, as the chain defines it (out: 65 bytes). */
void evidence_hash(const char *prev_hash, const char *tenant_id, const char *subject, int seq,
                   const char *kind, int64_t at_us, const char *body,
                   char out[EVIDENCE_HASH_HEX + 1]);

#endif
