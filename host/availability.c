/*
 * The availability engine: the knowledge's rules over EMR slots, our holds
 * subtracted, a short per-tenant cache.
 */
#include "availability.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "emr_call.h"
#include "tz.h"

#define US_PER_MIN (60 * INT64_C(1000000))

void avail_slots_free(struct avail_slots *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int avail_slots_add(struct avail_slots *s, int64_t start_us, int64_t end_us,
                    const char *provider_id)
{
    if (s->n >= AVAILABILITY_MAX_SLOTS)
        return AVAIL_E_INVAL;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        struct avail_slot *v = realloc(s->v, ncap * sizeof *v);
        if (!v)
            return AVAIL_E_NOMEM;
        s->v = v;
        s->cap = ncap;
    }
    struct avail_slot *sl = &s->v[s->n++];
    sl->start_us = start_us;
    sl->end_us = end_us;
    snprintf(sl->provider_id, sizeof sl->provider_id, "%s", provider_id);
    return 0;
}

static void date_text(const struct tz_local *l, char out[11])
{
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", l->year, l->month, l->day);
    memcpy(out, buf, 10);
    out[10] = 0;
}

/* The horizon: the end of the local day booking_horizon_days after today
 * (today 2027-03-02 and 30 days: bookable through 2027-04-01). */
static int horizon(const struct knowledge *k, int64_t now_us, int64_t *out)
{
    int64_t mid;
    if (tz_start_of_day(k->timezone, now_us, &mid) != 0 ||
        tz_add_days(k->timezone, mid, k->booking_horizon_days + 1, out) != 0)
        return AVAIL_E_INVAL;
    return 0;
}

int availability_allowed(const struct knowledge *k, const struct kn_service *svc,
                         const struct kn_provider *prov, int64_t start_us, int64_t now_us)
{
    if (!svc || !prov || !knowledge_provider_offers(prov, svc->id))
        return AVAIL_E_INVAL;
    if (start_us < now_us + (int64_t)k->min_notice_min * US_PER_MIN)
        return AVAIL_E_INVAL;
    int64_t hz;
    if (horizon(k, now_us, &hz) != 0 || start_us >= hz)
        return AVAIL_E_INVAL;
    struct tz_local l;
    if (tz_to_local(k->timezone, start_us, &l) != 0)
        return AVAIL_E_INVAL;
    if (!(prov->days & (1u << l.weekday)))
        return AVAIL_E_INVAL;
    const struct kn_hours *h = &k->hours[l.weekday];
    if (h->open_min < 0)
        return AVAIL_E_INVAL;
    char date[11];
    date_text(&l, date);
    if (knowledge_closed_on(k, date))
        return AVAIL_E_INVAL;
    /* Opening and closing as instants of that local day (DST-correct: a
     * 23- or 25-hour day moves them, not the wall-clock hours). */
    struct tz_local o = l;
    o.hour = h->open_min / 60;
    o.minute = h->open_min % 60;
    o.second = o.usec = 0;
    int64_t open_us, close_us;
    if (tz_from_local(k->timezone, &o, TZ_REPEATED_FIRST, &open_us) != 0)
        return AVAIL_E_INVAL;
    if (h->close_min == 24 * 60) {
        struct tz_local c = l;
        c.hour = c.minute = c.second = c.usec = 0;
        tz_date_add_days(&c, 1);
        if (tz_from_local(k->timezone, &c, TZ_REPEATED_FIRST, &close_us) != 0)
            return AVAIL_E_INVAL;
    } else {
        struct tz_local c = l;
        c.hour = h->close_min / 60;
        c.minute = h->close_min % 60;
        c.second = c.usec = 0;
        if (tz_from_local(k->timezone, &c, TZ_REPEATED_LAST, &close_us) != 0)
            return AVAIL_E_INVAL;
    }
    int64_t end_us = start_us + (int64_t)svc->duration_min * US_PER_MIN;
    if (start_us < open_us || end_us > close_us)
        return AVAIL_E_INVAL;
    return 0;
}

bool availability_blocked(const struct knowledge *k, const struct kn_service *svc,
                          const char *provider_id, int64_t start_us, int64_t end_us,
                          const struct avail_block *blocks, size_t n_blocks)
{
    int64_t b0 = start_us - (int64_t)svc->buffer_before_min * US_PER_MIN;
    int64_t b1 = end_us + (int64_t)svc->buffer_after_min * US_PER_MIN;
    const struct kn_resource *res = svc->resource ? knowledge_resource(k, svc->resource) : NULL;
    int used = 0;
    for (size_t i = 0; i < n_blocks; i++) {
        const struct avail_block *b = &blocks[i];
        if (!(b0 < b->end_us && b->start_us < b1))
            continue;
        if (strcmp(b->provider_id, provider_id) == 0)
            return true;
        if (res && strcmp(b->resource_id, res->id) == 0 && ++used >= res->count)
            return true;
    }
    return false;
}

static int cmp_slot(const void *a, const void *b)
{
    const struct avail_slot *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return strcmp(x->provider_id, y->provider_id);
}

static int check_query(const struct knowledge *k, const struct avail_query *q,
                       const struct kn_service **svc)
{
    *svc = knowledge_service(k, q->service_id);
    if (!*svc || (q->provider_id && !knowledge_provider(k, q->provider_id)) ||
        q->to_us <= q->from_us ||
        q->to_us - q->from_us > (int64_t)AVAILABILITY_MAX_RANGE_DAYS * 24 * 60 * US_PER_MIN)
        return AVAIL_E_INVAL;
    return 0;
}

int availability_generate(const struct knowledge *k, const struct avail_query *q, int64_t now_us,
                          const struct avail_block *blocks, size_t n_blocks,
                          struct avail_slots *out)
{
    const struct kn_service *svc;
    int rc = check_query(k, q, &svc);
    if (rc)
        return rc;
    struct tz_local day;
    if (tz_to_local(k->timezone, q->from_us, &day) != 0)
        return AVAIL_E_INVAL;
    day.hour = day.minute = day.second = day.usec = 0;
    size_t first = out->n;
    for (int d = 0; d <= AVAILABILITY_MAX_RANGE_DAYS + 1; d++) {
        struct tz_local l = day;
        tz_date_add_days(&l, d);
        int64_t midnight;
        if (tz_from_local(k->timezone, &l, TZ_REPEATED_FIRST, &midnight) != 0)
            return AVAIL_E_INVAL;
        if (midnight >= q->to_us)
            break;
        const struct kn_hours *h = &k->hours[l.weekday];
        if (h->open_min < 0)
            continue;
        for (size_t p = 0; p < k->n_providers; p++) {
            const struct kn_provider *prov = &k->providers[p];
            if (q->provider_id && strcmp(q->provider_id, prov->id) != 0)
                continue;
            for (int t = h->open_min; t + svc->duration_min <= h->close_min;
                 t += k->slot_step_min) {
                struct tz_local s = l;
                s.hour = t / 60;
                s.minute = t % 60;
                int64_t st;
                if (tz_from_local(k->timezone, &s, TZ_REPEATED_FIRST, &st) != 0)
                    return AVAIL_E_INVAL;
                struct tz_local back;
                /* A wall time inside a DST gap maps elsewhere: not a slot. */
                if (tz_to_local(k->timezone, st, &back) != 0 || back.hour != s.hour ||
                    back.minute != s.minute)
                    continue;
                int64_t en = st + (int64_t)svc->duration_min * US_PER_MIN;
                if (st < q->from_us || st >= q->to_us ||
                    availability_allowed(k, svc, prov, st, now_us) != 0 ||
                    availability_blocked(k, svc, prov->id, st, en, blocks, n_blocks))
                    continue;
                if ((rc = avail_slots_add(out, st, en, prov->id)) != 0)
                    return rc;
            }
        }
    }
    if (out->n - first > 1) /* qsort's array may not be NULL, even when empty */
        qsort(out->v + first, out->n - first, sizeof *out->v, cmp_slot);
    return 0;
}

int availability_filter(const struct knowledge *k, const struct avail_query *q, int64_t now_us,
                        const struct avail_slots *in, const struct avail_block *blocks,
                        size_t n_blocks, struct avail_slots *out)
{
    const struct kn_service *svc;
    int rc = check_query(k, q, &svc);
    if (rc)
        return rc;
    size_t first = out->n;
    for (size_t i = 0; i < in->n; i++) {
        const struct avail_slot *s = &in->v[i];
        const struct kn_provider *prov = knowledge_provider(k, s->provider_id);
        if (q->provider_id && strcmp(q->provider_id, s->provider_id) != 0)
            continue;
        if (s->start_us < q->from_us || s->start_us >= q->to_us ||
            s->end_us - s->start_us != (int64_t)svc->duration_min * US_PER_MIN ||
            availability_allowed(k, svc, prov, s->start_us, now_us) != 0 ||
            availability_blocked(k, svc, s->provider_id, s->start_us, s->end_us, blocks,
                                 n_blocks))
            continue;
        if ((rc = avail_slots_add(out, s->start_us, s->end_us, s->provider_id)) != 0)
            return rc;
    }
    if (out->n - first > 1) /* qsort's array may not be NULL, even when empty */
        qsort(out->v + first, out->n - first, sizeof *out->v, cmp_slot);
    return 0;
}

DB_STMT(st_blocks,
        "SELECT (extract(epoch FROM block_start) * 1000000)::bigint, "
        "(extract(epoch FROM block_end) * 1000000)::bigint, provider_id, service_id "
        "FROM holds WHERE tenant_id = $1 AND state IN ('active', 'booking') "
        "AND (state = 'booking' OR expires_at > to_timestamp($4::double precision / 1e6)) "
        "AND block_end > to_timestamp($2::double precision / 1e6) "
        "AND block_start < to_timestamp($3::double precision / 1e6)");

int availability_load_blocks(struct db_conn *c, const struct knowledge *k, int64_t from_us,
                             int64_t to_us, struct avail_block **out, size_t *n)
{
    char f[32], t[32], now[32];
    /* A day of margin either side covers every buffer. */
    snprintf(f, sizeof f, "%lld", (long long)(from_us - 24 * 60 * US_PER_MIN));
    snprintf(t, sizeof t, "%lld", (long long)(to_us + 24 * 60 * US_PER_MIN));
    snprintf(now, sizeof now, "%lld", (long long)clock_now_us());
    const char *p[] = { k->tenant_id, f, t, now };
    PGresult *r = db_exec(c, &st_blocks, 4, p);
    *out = NULL;
    *n = 0;
    if (!db_ok(r)) {
        PQclear(r);
        return AVAIL_E_DB;
    }
    int rows = PQntuples(r);
    struct avail_block *b = calloc((size_t)rows + 1, sizeof *b);
    if (!b) {
        PQclear(r);
        return AVAIL_E_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        b[i].start_us = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        b[i].end_us = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        snprintf(b[i].provider_id, sizeof b[i].provider_id, "%s", PQgetvalue(r, i, 2));
        const struct kn_service *s = knowledge_service(k, PQgetvalue(r, i, 3));
        snprintf(b[i].resource_id, sizeof b[i].resource_id, "%s",
                 s && s->resource ? s->resource : "");
    }
    PQclear(r);
    *out = b;
    *n = (size_t)rows;
    return 0;
}

/* ------------------------------------------------------------ cache */

#define CACHE_MAX 1024

struct cache_entry {
    char tenant[64];
    char key[200];
    int64_t version;       /* the catalog's */
    int64_t at_ms;
    struct avail_slots emr; /* the EMR's raw answer (before our rules) */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache[CACHE_MAX];

void availability_invalidate(const char *tenant_id)
{
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_MAX; i++)
        if (cache[i].tenant[0] && (!tenant_id || strcmp(cache[i].tenant, tenant_id) == 0)) {
            avail_slots_free(&cache[i].emr);
            cache[i].tenant[0] = 0;
        }
    pthread_mutex_unlock(&cache_mu);
}

static size_t cache_slot(const char *tenant, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = tenant; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (size_t)(h % CACHE_MAX);
}

static int copy_slots(struct avail_slots *dst, const struct avail_slots *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = avail_slots_add(dst, src->v[i].start_us, src->v[i].end_us,
                                 src->v[i].provider_id);
        if (rc)
            return rc;
    }
    return 0;
}

static bool cache_get(const char *tenant, const char *key, int64_t version,
                      struct avail_slots *out)
{
    bool hit = false;
    size_t i = cache_slot(tenant, key);
    pthread_mutex_lock(&cache_mu);
    struct cache_entry *e = &cache[i];
    if (e->tenant[0] && strcmp(e->tenant, tenant) == 0 && strcmp(e->key, key) == 0 &&
        e->version == version && clock_mono_ms() - e->at_ms < AVAILABILITY_CACHE_MS)
        hit = copy_slots(out, &e->emr) == 0;
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const char *tenant, const char *key, int64_t version,
                      const struct avail_slots *s)
{
    size_t i = cache_slot(tenant, key);
    pthread_mutex_lock(&cache_mu);
    struct cache_entry *e = &cache[i];
    avail_slots_free(&e->emr);
    e->tenant[0] = 0;
    if (copy_slots(&e->emr, s) == 0) {
        snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
        snprintf(e->key, sizeof e->key, "%s", key);
        e->version = version;
        e->at_ms = clock_mono_ms();
    }
    pthread_mutex_unlock(&cache_mu);
}

/* Parses slots/1 into out. */
static int parse_slots(const char *json, size_t len, struct avail_slots *out)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "slots"), *s;
    int rc = cJSON_IsArray(arr) ? 0 : AVAIL_E_EMR;
    cJSON_ArrayForEach(s, arr) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "start");
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "end");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(s, "provider_id");
        int64_t a, b;
        if (!cJSON_IsString(st) || !cJSON_IsString(en) || !cJSON_IsString(pr) ||
            clock_parse_rfc3339(st->valuestring, &a) != 0 ||
            clock_parse_rfc3339(en->valuestring, &b) != 0)
            continue; /* a malformed slot is not offered */
        if ((rc = avail_slots_add(out, a, b, pr->valuestring)) != 0)
            break;
    }
    cJSON_Delete(doc);
    return rc;
}

#define AVAIL_DB_WAIT_MS 5000

int availability_query(struct db_pool *pool, struct db_conn *c, struct registry *reg,
                       const char *tenant_id, const struct avail_query *q,
                       struct avail_slots *out)
{
    const struct knowledge *k = NULL;
    struct avail_slots emr = { 0 };
    struct avail_block *blocks = NULL;
    size_t n_blocks = 0;
    const struct kn_service *svc;
    struct db_conn *own = c ? NULL : db_acquire(pool, AVAIL_DB_WAIT_MS);
    if (!c && !own)
        return AVAIL_E_DB;
    int rc = knowledge_get(c ? c : own, tenant_id, &k);
    if (own) {
        db_release(pool, own);
        own = NULL;
    }
    if (rc)
        return rc == KNOWLEDGE_E_NOTFOUND ? AVAIL_E_INVAL : AVAIL_E_DB;
    if ((rc = check_query(k, q, &svc)) != 0)
        goto done;
    char key[200], f[32], t[32];
    snprintf(key, sizeof key, "%s|%s|%lld|%lld", q->service_id,
             q->provider_id ? q->provider_id : "", (long long)q->from_us, (long long)q->to_us);
    if (!cache_get(tenant_id, key, k->version, &emr)) {
        cJSON *query = cJSON_CreateObject();
        char *text = NULL;
        if (query) {
            cJSON_AddStringToObject(query, "location_id", "main");
            cJSON_AddStringToObject(query, "service_id", q->service_id);
            if (q->provider_id)
                cJSON_AddStringToObject(query, "provider_id", q->provider_id);
            cJSON_AddStringToObject(query, "from", clock_format_utc(q->from_us, f));
            cJSON_AddStringToObject(query, "to", clock_format_utc(q->to_us, t));
            text = cJSON_PrintUnformatted(query);
        }
        cJSON_Delete(query);
        if (!text) {
            rc = AVAIL_E_NOMEM;
            goto done;
        }
        struct emr_result r;
        emr_call(reg, tenant_id, EMR_OP_AVAILABILITY, text, NULL, 0, &r);
        free(text);
        if (r.rc != 0) {
            out->emr_rc = r.rc;
            snprintf(out->message, sizeof out->message, "%s", r.message);
            emr_result_free(&r);
            rc = AVAIL_E_EMR;
            goto done;
        }
        rc = parse_slots(r.json, r.len, &emr);
        emr_result_free(&r);
        if (rc)
            goto done;
        cache_put(tenant_id, key, k->version, &emr);
    }
    if (!c && !(own = db_acquire(pool, AVAIL_DB_WAIT_MS))) {
        rc = AVAIL_E_DB;
        goto done;
    }
    rc = availability_load_blocks(c ? c : own, k, q->from_us, q->to_us, &blocks, &n_blocks);
    if (own)
        db_release(pool, own);
    if (rc)
        goto done;
    /* Now after the EMR call: a slow EMR must not let notice slip. */
    rc = availability_filter(k, q, clock_now_us(), &emr, blocks, n_blocks, out);
done:
    free(blocks);
    avail_slots_free(&emr);
    knowledge_release(k);
    return rc;
}
