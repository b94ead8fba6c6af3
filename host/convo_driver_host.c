/*
 * The conversation driver's adapters over the host catalog, holds and
 * availability (convo_driver_host.h).
 */
#include "convo_driver_host.h"

#include <stdlib.h>
#include <string.h>

#include "availability.h"
#include "daemon.h"
#include "holds.h"
#include "knowledge.h"

const void *cdh_knowledge_get(struct db_conn *tx, const char *tenant, const cJSON **doc,
                              const char **currency, const char **deposit_policy, int *rc)
{
    const struct knowledge *k = NULL;
    *rc = knowledge_get(tx, tenant, &k);
    if (*rc != 0)
        return NULL;
    *doc = k->doc;
    *currency = k->currency;
    /* The deposit's own policy, else the cancellation policy (which says
     * what happens to the deposit): shown with the link, kept as evidence. */
    *deposit_policy = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k->policies, "deposit"));
    if (!*deposit_policy)
        *deposit_policy =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k->policies, "cancellation"));
    return k;
}

void cdh_knowledge_release(const void *hk)
{
    if (hk)
        knowledge_release(hk);
}

int64_t cdh_knowledge_version(const void *hk)
{
    return ((const struct knowledge *)hk)->version;
}

int cdh_hold(struct db_conn *tx, const void *hk, const char *service_id, const char *provider_id,
             int64_t start_us, int64_t contact_id, const char *patient_json, int64_t *id)
{
    struct hold_request rq = { .service_id = service_id, .provider_id = provider_id, .start_us = start_us,
                               .contact_id = contact_id, .patient_json = patient_json };
    struct hold h;
    int rc = holds_acquire(tx, hk, &rq, &h);
    if (rc == HOLDS_E_CONFLICT || rc == HOLDS_E_INVAL)
        return 1;
    if (rc != 0)
        return -1;
    *id = h.id;
    return 0;
}

int cdh_release(struct db_conn *tx, const char *tenant, int64_t id)
{
    return holds_release(tx, tenant, id) == HOLDS_E_DB ? -1 : 0;
}

int cdh_hold_expires(struct db_conn *tx, const char *tenant, int64_t id, int64_t *expires_us)
{
    struct hold h;
    if (holds_get(tx, tenant, id, &h) != 0)
        return -1;
    *expires_us = h.expires_us;
    return 0;
}

int cdh_availability(struct daemon *d, struct db_conn *tx, const char *tenant, const char *service_id,
                     const char *provider_id, int64_t from_us, int64_t to_us, struct cdh_slot **out,
                     size_t *n)
{
    struct avail_query q = { service_id, provider_id, from_us, to_us };
    struct avail_slots s = { 0 };
    *out = NULL;
    *n = 0;
    int rc = availability_query(d->pool, tx, d->registry, tenant, &q, &s);
    if (rc != 0) {
        avail_slots_free(&s);
        return rc == AVAIL_E_EMR ? 1 : -1;
    }
    if (s.n) {
        *out = calloc(s.n, sizeof **out);
        if (!*out) {
            avail_slots_free(&s);
            return -1;
        }
    }
    for (size_t i = 0; i < s.n; i++) {
        (*out)[i].start_us = s.v[i].start_us;
        memcpy((*out)[i].provider_id, s.v[i].provider_id, sizeof (*out)[i].provider_id);
    }
    *n = s.n;
    avail_slots_free(&s);
    return 0;
}

void cdh_invalidate(const char *tenant)
{
    availability_invalidate(tenant);
}
