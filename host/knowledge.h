/*
 * A tenant's knowledge (catalog): services with aliases, durations and
 * prices, providers with their services and working days, opening hours,
 * closed dates, slot step, minimum notice, booking horizon, hold length,
 * deposit rules, policies, address, phone, time zone and country. It is
 * imported from the clinic format (docs/catalog.md; the evaluation corpus's
 * clinics directory), validated with a path in every error, stored in
 * PostgreSQL (table catalogs, one document per tenant and a version), and
 * read by the conversation engine, availability, holds, deposits and the
 * booking writer through knowledge_get(), which caches the parsed catalog
 * per tenant and version: an import in this process invalidates at once,
 * one in another process is noticed within KNOWLEDGE_RECHECK_MS.
 *
 * A struct knowledge is immutable and shared between threads; hold it from
 * knowledge_get() to knowledge_release(). Library code: it does not log.
 */
#ifndef BW_HOST_KNOWLEDGE_H
#define BW_HOST_KNOWLEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"

#define KNOWLEDGE_E_INVAL    (-1) /* the document is not a valid catalog (err says where) */
#define KNOWLEDGE_E_DB       (-2)
#define KNOWLEDGE_E_NOMEM    (-3)
#define KNOWLEDGE_E_NOTFOUND (-4) /* no catalog imported for the tenant, or no such tenant */

#define KNOWLEDGE_RECHECK_MS 2000 /* real time between version checks of a cached catalog */
#define KNOWLEDGE_MAX_BYTES (1024 * 1024)

/* Price kinds. */
enum kn_price_kind { KN_PRICE_FIXED, KN_PRICE_FROM, KN_PRICE_PER_UNIT, KN_PRICE_PER_SYRINGE };

struct kn_service {
    const char *id;             /* [a-z0-9-], unique */
    const char *name;
    const char *const *aliases; /* n_aliases */
    size_t n_aliases;
    int duration_min;           /* 5..720 */
    enum kn_price_kind price_kind;
    const char *price_kind_name;/* "fixed", "from", "per_unit", "per_syringe" */
    int64_t price_cents;
    const char *price_note;     /* NULL when none */
    int buffer_before_min;      /* optional "buffer_before_min", default 0 */
    int buffer_after_min;       /* optional "buffer_after_min", default 0 */
    const char *resource;       /* optional "resource": a resources[].id, or NULL */
};

struct kn_provider {
    const char *id;
    const char *name;
    const char *title;          /* may be "" */
    const char *const *services;/* service ids, n_services */
    size_t n_services;
    unsigned days;              /* bit w set: works on weekday w (0 = Sunday) */
};

/* A resource several services share (a room, a laser), count units of it. */
struct kn_resource {
    const char *id;
    int count;                  /* 1..100 */
};

/* Opening hours of one weekday, minutes from local midnight; open < 0: closed. */
struct kn_hours {
    int open_min;
    int close_min;
};

struct kn_deposit_rule {
    const char *const *services;/* the rule's "when.service", n_services (0: any) */
    size_t n_services;
    int new_client;             /* -1: not named; 0 or 1: must equal */
    int64_t cents;
};

struct knowledge {
    char tenant_id[64];
    int64_t version;
    const char *id;             /* the clinic's own "id" */
    const char *name;
    const char *timezone;       /* an IANA zone ICU knows */
    const char *country;        /* ISO 3166 alpha-2 */
    const char *phone;          /* E.164: the clinic's texting number */
    const char *address;
    const char *currency;       /* "currency", default "USD" */
    struct kn_hours hours[7];   /* by weekday, 0 = Sunday */
    const char *const *closed_dates; /* "YYYY-MM-DD", sorted, n_closed */
    size_t n_closed;
    int slot_step_min;          /* 5..120, default 15 */
    int booking_horizon_days;   /* 1..730, default 60 */
    int min_notice_min;         /* 0..20160, default 0 */
    int hold_minutes;           /* 1..1440, default 15 */
    const struct kn_service *services;
    size_t n_services;
    const struct kn_provider *providers;
    size_t n_providers;
    const struct kn_resource *resources;
    size_t n_resources;
    const struct kn_deposit_rule *deposit_rules;
    size_t n_deposit_rules;
    const cJSON *policies;      /* object of name -> text (may be empty) */
    /* The whole clinic document as imported (the clinic format), e.g. for
     * nlu_catalog_from_json(). Read-only. */
    const cJSON *doc;
};

/*
 * Parses and validates a clinic document into *out (caller frees with
 * knowledge_free). tenant_id/version are copied in (may be "" / 0). On
 * KNOWLEDGE_E_INVAL err gets "<path>: <what is wrong>", e.g.
 * "services[2].duration_min: must be an integer from 5 to 720".
 */
int knowledge_parse(const cJSON *clinic, const char *tenant_id, int64_t version,
                    struct knowledge **out, char *err, size_t errcap);
void knowledge_free(struct knowledge *k);

/*
 * Validates json (len bytes) and stores it as tenant_id's catalog, replacing
 * the previous one, in the caller's transaction if one is open. Also hands
 * the catalog to the built-in calendar's storage (plugin emr.local, kv key
 * "catalog"), and to the link-only EMRs' (emr.mangomint,
 * emr.aesthetic_record), so that a tenant bound to one works from the same
 * knowledge.
 * The tenant must exist; the document's "id" need not equal tenant_id.
 * Sets *version (may be NULL). Invalidates this process's cache.
 */
int knowledge_import(struct db_conn *c, const char *tenant_id, const char *json, size_t len,
                     int64_t *version, char *err, size_t errcap);

/*
 * The tenant's current catalog, from the cache or the database (c is used
 * only when the cache must check or load). Returns 0 with *out held (call
 * knowledge_release), KNOWLEDGE_E_NOTFOUND, or another KNOWLEDGE_E_*.
 */
int knowledge_get(struct db_conn *c, const char *tenant_id, const struct knowledge **out);
void knowledge_release(const struct knowledge *k);

/* Drops the tenant's cached catalog (NULL: every tenant's). */
void knowledge_invalidate(const char *tenant_id);

/* Lookups by id; NULL when absent. Borrowed from k. */
const struct kn_service *knowledge_service(const struct knowledge *k, const char *id);
const struct kn_provider *knowledge_provider(const struct knowledge *k, const char *id);
const struct kn_resource *knowledge_resource(const struct knowledge *k, const char *id);
bool knowledge_provider_offers(const struct kn_provider *p, const char *service_id);

/* True when date ("YYYY-MM-DD", local) is one of the closed dates. */
bool knowledge_closed_on(const struct knowledge *k, const char *date);

/*
 * The deposit for a visit of n services (ids) for a new or known client: the
 * first matching rule per service, the largest over the services. 0 when no
 * rule matches.
 */
int64_t knowledge_deposit_cents(const struct knowledge *k, const char *const *service_ids,
                                size_t n, bool new_client);

#endif
