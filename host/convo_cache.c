/*
 * Per-tenant cache of the conversation engine's tables (convo_cache.h).
 */
#include "convo_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo/knowledge.h"
#include "nlu/nlu.h"

struct tables_owned {
    struct convo_tables t;      /* first: a held pointer is one of these */
    struct convo_knowledge *ck;
    struct nlu_catalog *nlu;
    atomic_int refs;
};

struct entry {
    char tenant[64];
    int64_t version;
    struct tables_owned *o;     /* one reference held by the cache */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *entries;
static size_t n_entries, cap_entries;
static atomic_uint_fast64_t builds;

static void owned_free(struct tables_owned *o)
{
    nlu_catalog_free(o->nlu);
    free(o->ck);
    free(o);
}

void convo_cache_release(const struct convo_tables *t)
{
    if (!t)
        return;
    struct tables_owned *o = (struct tables_owned *)t;
    if (atomic_fetch_sub(&o->refs, 1) == 1)
        owned_free(o);
}

static struct entry *find(const char *tenant)
{
    for (size_t i = 0; i < n_entries; i++)
        if (strcmp(entries[i].tenant, tenant) == 0)
            return &entries[i];
    return NULL;
}

static int build(const cJSON *doc, struct tables_owned **out)
{
    struct tables_owned *o = calloc(1, sizeof *o);
    if (!o)
        return CONVO_CACHE_E_NOMEM;
    o->ck = malloc(sizeof *o->ck);
    if (!o->ck) {
        free(o);
        return CONVO_CACHE_E_NOMEM;
    }
    if (convo_knowledge_from_json(doc, o->ck) != 0 || nlu_catalog_from_json(doc, &o->nlu) != 0) {
        owned_free(o);
        return CONVO_CACHE_E_INVAL;
    }
    o->t.ck = o->ck;
    o->t.nlu = o->nlu;
    atomic_init(&o->refs, 1);
    atomic_fetch_add(&builds, 1);
    *out = o;
    return 0;
}

/* Keeps o as tenant's entry at version unless one of that version or newer
 * is there; returns the entry's tables held once more for the caller (o or
 * the one already there; o's own reference passes to the cache or is
 * dropped). */
static struct tables_owned *put(const char *tenant, int64_t version, struct tables_owned *o)
{
    struct tables_owned *drop = NULL, *ret = o;
    pthread_mutex_lock(&mu);
    struct entry *e = find(tenant);
    if (e && e->version >= version) {
        if (e->version == version) {
            ret = e->o;         /* another thread built the same version first */
            atomic_fetch_add(&ret->refs, 1);
            drop = o;
        } else {
            /* The entry is newer: use ours for this turn, keep the entry. */
            drop = NULL;
        }
        pthread_mutex_unlock(&mu);
        if (drop)
            convo_cache_release(&drop->t);
        return ret;
    }
    if (!e && n_entries == cap_entries) {
        size_t ncap = cap_entries ? cap_entries * 2 : 16;
        struct entry *n = realloc(entries, ncap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&mu);
            return o;           /* not cached: the caller holds o's only reference */
        }
        entries = n;
        cap_entries = ncap;
    }
    if (!e) {
        e = &entries[n_entries++];
        snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
        e->o = NULL;
    }
    drop = e->o;
    e->version = version;
    e->o = o;
    atomic_fetch_add(&o->refs, 1);
    pthread_mutex_unlock(&mu);
    if (drop)
        convo_cache_release(&drop->t);
    return o;
}

int convo_cache_get(const char *tenant, int64_t version, const cJSON *doc, const struct convo_tables **out)
{
    *out = NULL;
    pthread_mutex_lock(&mu);
    struct entry *e = find(tenant);
    if (e && e->version == version) {
        atomic_fetch_add(&e->o->refs, 1);
        *out = &e->o->t;
        pthread_mutex_unlock(&mu);
        return 0;
    }
    pthread_mutex_unlock(&mu);
    struct tables_owned *o = NULL;
    int rc = build(doc, &o);
    if (rc != 0)
        return rc;
    *out = &put(tenant, version, o)->t;
    return 0;
}

void convo_cache_invalidate(const char *tenant)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_entries;) {
        if (!tenant || strcmp(entries[i].tenant, tenant) == 0) {
            convo_cache_release(&entries[i].o->t); /* frees memory only: no lock taken */
            entries[i] = entries[--n_entries];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&mu);
}

uint64_t convo_cache_builds(void)
{
    return atomic_load(&builds);
}
