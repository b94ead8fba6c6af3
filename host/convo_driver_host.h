/*
 * The conversation driver's view of the host's catalog, holds and
 * availability (convo_driver.c cannot include host/knowledge.h next to the
 * core's convo/knowledge.h: both name their types kn_*). Plain types only.
 */
#ifndef BW_HOST_CONVO_DRIVER_HOST_H
#define BW_HOST_CONVO_DRIVER_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"

struct daemon;

/* The tenant's catalog held (release with cdh_knowledge_release), with its
 * document, currency and deposit policy text (NULL: none). NULL when there
 * is none (*rc: the KNOWLEDGE_E_*). */
const void *cdh_knowledge_get(struct db_conn *tx, const char *tenant, const cJSON **doc,
                              const char **currency, const char **deposit_policy, int *rc);
void cdh_knowledge_release(const void *hk);
/* The held catalog's version. */
int64_t cdh_knowledge_version(const void *hk);

/* Holds one slot: 0 (*id set), 1 taken or no longer allowed, -1 failure. */
int cdh_hold(struct db_conn *tx, const void *hk, const char *service_id, const char *provider_id,
             int64_t start_us, int64_t contact_id, const char *patient_json, int64_t *id);
/* Releases an active hold: 0 (or it was not active), -1 failure. */
int cdh_release(struct db_conn *tx, const char *tenant, int64_t id);
/* When a hold lapses: 0 or -1. */
int cdh_hold_expires(struct db_conn *tx, const char *tenant, int64_t id, int64_t *expires_us);

struct cdh_slot {
    int64_t start_us;
    char provider_id[64];
};

/* Free starts of service (provider NULL: any) in [from, to): 0 with *out
 * (malloc'd, *n entries), 1 the EMR is unavailable, -1 failure. */
int cdh_availability(struct daemon *d, struct db_conn *tx, const char *tenant, const char *service_id,
                     const char *provider_id, int64_t from_us, int64_t to_us, struct cdh_slot **out,
                     size_t *n);
void cdh_invalidate(const char *tenant);

#endif
