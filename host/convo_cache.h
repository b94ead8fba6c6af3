/*
 * The conversation engine's tables per tenant, built once per catalog
 * version: the decision core's knowledge (convo/knowledge.h) and the
 * understanding's catalog (nlu/nlu.h), both derived from the clinic document
 * knowledge_get() holds. A turn takes them with convo_cache_get() instead of
 * rebuilding them from the document each time. Entries are keyed by tenant
 * and catalog version: a newer version replaces the entry on first use, and
 * convo_cache_invalidate() (called when a catalog is imported) drops it at
 * once. A held entry is immutable and shared between threads (reference
 * counted); the cache itself is guarded by a mutex held only for lookups,
 * never while building. Library code: it does not log.
 */
#ifndef BW_HOST_CONVO_CACHE_H
#define BW_HOST_CONVO_CACHE_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct convo_knowledge;
struct nlu_catalog;

struct convo_tables {
    const struct convo_knowledge *ck;
    const struct nlu_catalog *nlu;
};

#define CONVO_CACHE_E_INVAL (-1) /* the document does not fit the engine or the understanding */
#define CONVO_CACHE_E_NOMEM (-2)

/* The tables of tenant's catalog version (built from doc when not cached
 * at that version). Returns 0 with *out held (convo_cache_release), or a
 * CONVO_CACHE_E_*. */
int convo_cache_get(const char *tenant, int64_t version, const cJSON *doc, const struct convo_tables **out);
void convo_cache_release(const struct convo_tables *t);

/* Drops tenant's entry (NULL: every tenant's); held entries stay valid. */
void convo_cache_invalidate(const char *tenant);

/* Tables built so far by this process (for tests and the benchmark). */
uint64_t convo_cache_builds(void);

#endif
