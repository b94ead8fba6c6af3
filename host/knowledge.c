/*
 * The tenant's knowledge: validation of the clinic format into struct
 * knowledge (strings point into the kept cJSON document), storage in the
 * catalogs table, and a per-tenant cache of parsed catalogs keyed by
 * version, shared by reference count.
 */
#include "knowledge.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "tz.h"

/* ------------------------------------------------------------ parsing */

struct kn_owned {
    struct knowledge k;
    cJSON *doc;
    struct kn_service *services;
    struct kn_provider *providers;
    struct kn_resource *resources;
    struct kn_deposit_rule *rules;
    const char **strs;          /* every array of strings, one block */
    size_t n_strs, cap_strs;
    atomic_int refs;
};

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return KNOWLEDGE_E_INVAL;
}

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int day_index(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (strcmp(s, day_names[i]) == 0)
            return i;
    return -1;
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer member in [lo, hi]; def when absent (def < lo: required). */
static int int_member(const cJSON *o, const char *key, int64_t lo, int64_t hi, int64_t def,
                      int64_t *out, const char *path, char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && def >= lo) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return fail(err, cap, "%s%s: must be an integer from %lld to %lld", path, key,
                    (long long)lo, (long long)hi);
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* "HH:MM" -> minutes; -1 when malformed. "24:00" is allowed as a close. */
static int parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static bool date_ok(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int mo = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    return y >= 1900 && d >= 1 && d <= tz_days_in_month(y, mo);
}

/* Copies the string items of array arr into the owned string block; sets
 * items and n. Every item must be a string (and an id when ids). */
static int str_array(struct kn_owned *o, const cJSON *arr, bool ids, const char *path,
                     const char *const **items, size_t *n, char *err, size_t cap)
{
    *items = NULL;
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return fail(err, cap, "%s: must be an array of strings", path);
    int count = cJSON_GetArraySize(arr);
    if (count > 1000)
        return fail(err, cap, "%s: too many items", path);
    if (o->n_strs + (size_t)count > o->cap_strs)
        return KNOWLEDGE_E_NOMEM; /* sized up front; never happens */
    size_t start = o->n_strs;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) || (ids ? !id_ok(it->valuestring) : it->valuestring[0] == 0))
            return fail(err, cap, "%s[%d]: must be a%s string", path, i,
                        ids ? "n id ([a-z0-9._-])" : " non-empty");
        o->strs[o->n_strs++] = it->valuestring;
        i++;
    }
    *items = o->strs + start;
    *n = (size_t)count;
    return 0;
}

/* Counts every string array item in the document, to size the block. */
static size_t count_strings(const cJSON *j)
{
    size_t n = 0;
    const cJSON *c;
    if (cJSON_IsArray(j))
        n += (size_t)cJSON_GetArraySize(j);
    cJSON_ArrayForEach(c, j) n += count_strings(c);
    return n;
}

static int parse_services(struct kn_owned *o, const cJSON *arr, char *err, size_t cap)
{
    struct knowledge *k = &o->k;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(err, cap, "services: must be a non-empty array");
    int n = cJSON_GetArraySize(arr);
    if (n > 500)
        return fail(err, cap, "services: at most 500");
    o->services = calloc((size_t)n, sizeof *o->services);
    if (!o->services)
        return KNOWLEDGE_E_NOMEM;
    int i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, arr) {
        struct kn_service *sv = &o->services[i];
        char path[48];
        snprintf(path, sizeof path, "services[%d].", i);
        if (!cJSON_IsObject(s))
            return fail(err, cap, "services[%d]: must be an object", i);
        sv->id = str_member(s, "id");
        sv->name = str_member(s, "name");
        if (!sv->id || !id_ok(sv->id))
            return fail(err, cap, "%sid: must be an id ([a-z0-9._-], 1 to 63)", path);
        for (int j = 0; j < i; j++)
            if (strcmp(o->services[j].id, sv->id) == 0)
                return fail(err, cap, "%sid: '%s' appears twice", path, sv->id);
        if (!sv->name || !sv->name[0])
            return fail(err, cap, "%sname: must be a non-empty string", path);
        char ap[64];
        snprintf(ap, sizeof ap, "%saliases", path);
        int rc = str_array(o, cJSON_GetObjectItemCaseSensitive(s, "aliases"), false, ap,
                           &sv->aliases, &sv->n_aliases, err, cap);
        if (rc)
            return rc;
        int64_t v;
        if ((rc = int_member(s, "duration_min", 5, 720, -1, &v, path, err, cap)))
            return rc;
        sv->duration_min = (int)v;
        if ((rc = int_member(s, "buffer_before_min", 0, 240, 0, &v, path, err, cap)))
            return rc;
        sv->buffer_before_min = (int)v;
        if ((rc = int_member(s, "buffer_after_min", 0, 240, 0, &v, path, err, cap)))
            return rc;
        sv->buffer_after_min = (int)v;
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(s, "resource");
        if (res && !cJSON_IsString(res))
            return fail(err, cap, "%sresource: must be a resource id", path);
        sv->resource = res ? res->valuestring : NULL;
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(s, "price");
        if (!cJSON_IsObject(price))
            return fail(err, cap, "%sprice: must be an object {kind, cents, note?}", path);
        const char *kind = str_member(price, "kind");
        static const char *const kinds[] = { "fixed", "from", "per_unit", "per_syringe" };
        int kd = -1;
        for (int j = 0; kind && j < 4; j++)
            if (strcmp(kind, kinds[j]) == 0)
                kd = j;
        if (kd < 0)
            return fail(err, cap, "%sprice.kind: must be fixed, from, per_unit or per_syringe",
                        path);
        sv->price_kind = (enum kn_price_kind)kd;
        sv->price_kind_name = kinds[kd];
        char pp[64];
        snprintf(pp, sizeof pp, "%sprice.", path);
        if ((rc = int_member(price, "cents", 0, INT64_C(100000000), -1, &v, pp, err, cap)))
            return rc;
        sv->price_cents = v;
        const cJSON *note = cJSON_GetObjectItemCaseSensitive(price, "note");
        if (note && !cJSON_IsString(note))
            return fail(err, cap, "%sprice.note: must be a string", path);
        sv->price_note = note ? note->valuestring : NULL;
        i++;
    }
    k->services = o->services;
    k->n_services = (size_t)n;
    return 0;
}

static int parse_providers(struct kn_owned *o, const cJSON *arr, char *err, size_t cap)
{
    struct knowledge *k = &o->k;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(err, cap, "providers: must be a non-empty array");
    int n = cJSON_GetArraySize(arr);
    if (n > 200)
        return fail(err, cap, "providers: at most 200");
    o->providers = calloc((size_t)n, sizeof *o->providers);
    if (!o->providers)
        return KNOWLEDGE_E_NOMEM;
    int i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, arr) {
        struct kn_provider *pv = &o->providers[i];
        char path[48];
        snprintf(path, sizeof path, "providers[%d].", i);
        if (!cJSON_IsObject(p))
            return fail(err, cap, "providers[%d]: must be an object", i);
        pv->id = str_member(p, "id");
        pv->name = str_member(p, "name");
        pv->title = str_member(p, "title");
        if (!pv->title)
            pv->title = "";
        if (!pv->id || !id_ok(pv->id))
            return fail(err, cap, "%sid: must be an id ([a-z0-9._-], 1 to 63)", path);
        for (int j = 0; j < i; j++)
            if (strcmp(o->providers[j].id, pv->id) == 0)
                return fail(err, cap, "%sid: '%s' appears twice", path, pv->id);
        if (!pv->name || !pv->name[0])
            return fail(err, cap, "%sname: must be a non-empty string", path);
        char ap[64];
        snprintf(ap, sizeof ap, "%sservices", path);
        int rc = str_array(o, cJSON_GetObjectItemCaseSensitive(p, "services"), true, ap,
                           &pv->services, &pv->n_services, err, cap);
        if (rc)
            return rc;
        if (pv->n_services == 0)
            return fail(err, cap, "%sservices: must name at least one service", path);
        for (size_t j = 0; j < pv->n_services; j++)
            if (!knowledge_service(k, pv->services[j]))
                return fail(err, cap, "%sservices[%zu]: no service '%s'", path, j,
                            pv->services[j]);
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(p, "days");
        if (!cJSON_IsArray(days))
            return fail(err, cap, "%sdays: must be an array of mon..sun", path);
        int j = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, days) {
            int w = cJSON_IsString(d) ? day_index(d->valuestring) : -1;
            if (w < 0)
                return fail(err, cap, "%sdays[%d]: must be one of mon tue wed thu fri sat sun",
                            path, j);
            pv->days |= 1u << w;
            j++;
        }
        i++;
    }
    k->providers = o->providers;
    k->n_providers = (size_t)n;
    return 0;
}

static int parse_rules(struct kn_owned *o, const cJSON *arr, char *err, size_t cap)
{
    struct knowledge *k = &o->k;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return fail(err, cap, "deposit_rules: must be an array");
    int n = cJSON_GetArraySize(arr);
    if (n > 100)
        return fail(err, cap, "deposit_rules: at most 100");
    o->rules = calloc((size_t)n + 1, sizeof *o->rules);
    if (!o->rules)
        return KNOWLEDGE_E_NOMEM;
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, arr) {
        struct kn_deposit_rule *dr = &o->rules[i];
        char path[48];
        snprintf(path, sizeof path, "deposit_rules[%d].", i);
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(r, "when");
        if (!cJSON_IsObject(r) || !cJSON_IsObject(when))
            return fail(err, cap, "%swhen: must be an object", path);
        const cJSON *m;
        cJSON_ArrayForEach(m, when) {
            if (strcmp(m->string, "service") != 0 && strcmp(m->string, "new_client") != 0)
                return fail(err, cap, "%swhen.%s: unknown condition (service, new_client)",
                            path, m->string);
        }
        char ap[64];
        snprintf(ap, sizeof ap, "%swhen.service", path);
        int rc = str_array(o, cJSON_GetObjectItemCaseSensitive(when, "service"), true, ap,
                           &dr->services, &dr->n_services, err, cap);
        if (rc)
            return rc;
        for (size_t j = 0; j < dr->n_services; j++)
            if (!knowledge_service(k, dr->services[j]))
                return fail(err, cap, "%s[%zu]: no service '%s'", ap, j, dr->services[j]);
        const cJSON *nc = cJSON_GetObjectItemCaseSensitive(when, "new_client");
        if (nc && !cJSON_IsBool(nc))
            return fail(err, cap, "%swhen.new_client: must be true or false", path);
        dr->new_client = nc ? cJSON_IsTrue(nc) : -1;
        int64_t v;
        if ((rc = int_member(r, "cents", 0, INT64_C(10000000), -1, &v, path, err, cap)))
            return rc;
        dr->cents = v;
        i++;
    }
    k->deposit_rules = o->rules;
    k->n_deposit_rules = (size_t)n;
    return 0;
}

static int parse_resources(struct kn_owned *o, const cJSON *arr, char *err, size_t cap)
{
    struct knowledge *k = &o->k;
    if (arr) {
        if (!cJSON_IsArray(arr))
            return fail(err, cap, "resources: must be an array of {id, count}");
        int n = cJSON_GetArraySize(arr);
        o->resources = calloc((size_t)n + 1, sizeof *o->resources);
        if (!o->resources)
            return KNOWLEDGE_E_NOMEM;
        int i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, arr) {
            char path[48];
            snprintf(path, sizeof path, "resources[%d].", i);
            const char *id = str_member(r, "id");
            if (!id || !id_ok(id))
                return fail(err, cap, "%sid: must be an id", path);
            int64_t v;
            int rc = int_member(r, "count", 1, 100, 1, &v, path, err, cap);
            if (rc)
                return rc;
            o->resources[i].id = id;
            o->resources[i].count = (int)v;
            i++;
        }
        k->resources = o->resources;
        k->n_resources = (size_t)n;
    }
    for (size_t i = 0; i < k->n_services; i++)
        if (k->services[i].resource && !knowledge_resource(k, k->services[i].resource))
            return fail(err, cap, "services[%zu].resource: no resource '%s'", i,
                        k->services[i].resource);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int parse_top(struct kn_owned *o, char *err, size_t cap)
{
    struct knowledge *k = &o->k;
    const cJSON *d = o->doc;
    if (!cJSON_IsObject(d))
        return fail(err, cap, "the catalog must be a JSON object");
    k->doc = d;
    k->id = str_member(d, "id");
    if (!k->id || !id_ok(k->id))
        return fail(err, cap, "id: must be an id ([a-z0-9._-], 1 to 63)");
    k->name = str_member(d, "name");
    if (!k->name || !k->name[0])
        return fail(err, cap, "name: must be a non-empty string");
    k->timezone = str_member(d, "timezone");
    if (!k->timezone || strlen(k->timezone) >= TZ_ZONE_MAX || !tz_valid(k->timezone))
        return fail(err, cap, "timezone: must be an IANA time zone such as America/New_York");
    k->country = str_member(d, "country");
    if (!k->country)
        k->country = "US";
    if (strlen(k->country) != 2 || k->country[0] < 'A' || k->country[0] > 'Z' ||
        k->country[1] < 'A' || k->country[1] > 'Z')
        return fail(err, cap, "country: must be an ISO 3166 code such as US");
    k->phone = str_member(d, "phone");
    if (k->phone) {
        size_t n = strlen(k->phone);
        bool ok = n >= 8 && n <= 16 && k->phone[0] == '+' && k->phone[1] >= '1';
        for (size_t i = 1; ok && i < n; i++)
            ok = k->phone[i] >= '0' && k->phone[i] <= '9';
        if (!ok)
            return fail(err, cap, "phone: must be an E.164 number such as +14155550100");
    }
    k->address = str_member(d, "address");
    if (!k->address)
        k->address = "";
    k->currency = str_member(d, "currency");
    if (!k->currency)
        k->currency = "USD";
    if (strlen(k->currency) != 3)
        return fail(err, cap, "currency: must be an ISO 4217 code such as USD");

    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(d, "hours");
    if (!cJSON_IsObject(hours))
        return fail(err, cap, "hours: must be an object of day -> [\"HH:MM\", \"HH:MM\"]");
    for (int w = 0; w < 7; w++)
        k->hours[w].open_min = k->hours[w].close_min = -1;
    const cJSON *h;
    cJSON_ArrayForEach(h, hours) {
        int w = day_index(h->string);
        if (w < 0)
            return fail(err, cap, "hours.%s: not a day (mon tue wed thu fri sat sun)", h->string);
        const cJSON *a = cJSON_GetArrayItem(h, 0), *b = cJSON_GetArrayItem(h, 1);
        int open = cJSON_IsString(a) ? parse_hhmm(a->valuestring) : -1;
        int close = cJSON_IsString(b) ? parse_hhmm(b->valuestring) : -1;
        if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 2 || open < 0 || close < 0 ||
            open >= close)
            return fail(err, cap, "hours.%s: must be [\"HH:MM\", \"HH:MM\"], opening first",
                        h->string);
        k->hours[w].open_min = open;
        k->hours[w].close_min = close;
    }
    int rc = str_array(o, cJSON_GetObjectItemCaseSensitive(d, "closed_dates"), false,
                       "closed_dates", &k->closed_dates, &k->n_closed, err, cap);
    if (rc)
        return rc;
    for (size_t i = 0; i < k->n_closed; i++)
        if (!date_ok(k->closed_dates[i]))
            return fail(err, cap, "closed_dates[%zu]: must be a date YYYY-MM-DD", i);
    if (k->n_closed > 1) /* qsort's array may not be NULL, even when empty */
        qsort((void *)k->closed_dates, k->n_closed, sizeof *k->closed_dates, cmp_str);

    int64_t v;
    if ((rc = int_member(d, "slot_step_min", 5, 120, 15, &v, "", err, cap)))
        return rc;
    k->slot_step_min = (int)v;
    if ((rc = int_member(d, "booking_horizon_days", 1, 730, 60, &v, "", err, cap)))
        return rc;
    k->booking_horizon_days = (int)v;
    if ((rc = int_member(d, "min_notice_min", 0, 20160, 0, &v, "", err, cap)))
        return rc;
    k->min_notice_min = (int)v;
    if ((rc = int_member(d, "hold_minutes", 1, 1440, 15, &v, "", err, cap)))
        return rc;
    k->hold_minutes = (int)v;

    if ((rc = parse_services(o, cJSON_GetObjectItemCaseSensitive(d, "services"), err, cap)) ||
        (rc = parse_providers(o, cJSON_GetObjectItemCaseSensitive(d, "providers"), err, cap)) ||
        (rc = parse_resources(o, cJSON_GetObjectItemCaseSensitive(d, "resources"), err, cap)) ||
        (rc = parse_rules(o, cJSON_GetObjectItemCaseSensitive(d, "deposit_rules"), err, cap)))
        return rc;
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(d, "policies");
    if (pol) {
        if (!cJSON_IsObject(pol))
            return fail(err, cap, "policies: must be an object of name -> text");
        const cJSON *p;
        cJSON_ArrayForEach(p, pol) {
            if (!cJSON_IsString(p))
                return fail(err, cap, "policies.%s: must be a string", p->string);
        }
        k->policies = pol;
    } else {
        static cJSON empty = { .type = cJSON_Object };
        k->policies = &empty;
    }
    /* Clients and appointments belong to the EMR, which imports them
     * (emr.local seeding); only their shape is checked here. */
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(d, "clients");
    if (cl && !cJSON_IsArray(cl))
        return fail(err, cap, "clients: must be an array");
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(d, "appointments");
    if (ap && !cJSON_IsArray(ap))
        return fail(err, cap, "appointments: must be an array");
    int i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, ap) {
        const char *pr = str_member(a, "provider"), *sv = str_member(a, "service");
        if (!pr || !knowledge_provider(k, pr))
            return fail(err, cap, "appointments[%d].provider: no such provider", i);
        if (!sv || !knowledge_service(k, sv))
            return fail(err, cap, "appointments[%d].service: no such service", i);
        const char *st = str_member(a, "start");
        if (!st || strlen(st) != 16 || !date_ok((char[11]){ st[0], st[1], st[2], st[3], st[4],
                                                            st[5], st[6], st[7], st[8], st[9], 0 }) ||
            st[10] != 'T' || parse_hhmm(st + 11) < 0)
            return fail(err, cap, "appointments[%d].start: must be local YYYY-MM-DDTHH:MM", i);
        i++;
    }
    return 0;
}

void knowledge_free(struct knowledge *k)
{
    if (!k)
        return;
    struct kn_owned *o = (struct kn_owned *)k;
    cJSON_Delete(o->doc);
    free(o->services);
    free(o->providers);
    free(o->resources);
    free(o->rules);
    free(o->strs);
    free(o);
}

static int parse_owned(cJSON *doc, const char *tenant_id, int64_t version, struct knowledge **out,
                       char *err, size_t errcap)
{
    struct kn_owned *o = calloc(1, sizeof *o);
    if (!o) {
        cJSON_Delete(doc);
        return KNOWLEDGE_E_NOMEM;
    }
    o->doc = doc;
    atomic_init(&o->refs, 1);
    snprintf(o->k.tenant_id, sizeof o->k.tenant_id, "%s", tenant_id ? tenant_id : "");
    o->k.version = version;
    o->cap_strs = count_strings(doc) + 1;
    o->strs = calloc(o->cap_strs, sizeof *o->strs);
    int rc = o->strs ? parse_top(o, err, errcap) : KNOWLEDGE_E_NOMEM;
    if (rc) {
        knowledge_free(&o->k);
        return rc;
    }
    *out = &o->k;
    return 0;
}

int knowledge_parse(const cJSON *clinic, const char *tenant_id, int64_t version,
                    struct knowledge **out, char *err, size_t errcap)
{
    cJSON *doc = cJSON_Duplicate(clinic, true);
    if (!doc)
        return KNOWLEDGE_E_NOMEM;
    return parse_owned(doc, tenant_id, version, out, err, errcap);
}

/* ------------------------------------------------------------ lookups */

const struct kn_service *knowledge_service(const struct knowledge *k, const char *id)
{
    for (size_t i = 0; id && i < k->n_services; i++)
        if (k->services[i].id && strcmp(k->services[i].id, id) == 0)
            return &k->services[i];
    return NULL;
}

const struct kn_provider *knowledge_provider(const struct knowledge *k, const char *id)
{
    for (size_t i = 0; id && i < k->n_providers; i++)
        if (k->providers[i].id && strcmp(k->providers[i].id, id) == 0)
            return &k->providers[i];
    return NULL;
}

const struct kn_resource *knowledge_resource(const struct knowledge *k, const char *id)
{
    for (size_t i = 0; id && i < k->n_resources; i++)
        if (strcmp(k->resources[i].id, id) == 0)
            return &k->resources[i];
    return NULL;
}

bool knowledge_provider_offers(const struct kn_provider *p, const char *service_id)
{
    for (size_t i = 0; p && i < p->n_services; i++)
        if (strcmp(p->services[i], service_id) == 0)
            return true;
    return false;
}

bool knowledge_closed_on(const struct knowledge *k, const char *date)
{
    return k->n_closed &&
           bsearch(&date, k->closed_dates, k->n_closed, sizeof *k->closed_dates, cmp_str);
}

int64_t knowledge_deposit_cents(const struct knowledge *k, const char *const *service_ids,
                                size_t n, bool new_client)
{
    int64_t best = 0;
    for (size_t s = 0; s < n; s++) {
        for (size_t r = 0; r < k->n_deposit_rules; r++) {
            const struct kn_deposit_rule *dr = &k->deposit_rules[r];
            if (dr->new_client >= 0 && dr->new_client != (int)new_client)
                continue;
            bool named = dr->n_services == 0;
            for (size_t j = 0; !named && j < dr->n_services; j++)
                named = strcmp(dr->services[j], service_ids[s]) == 0;
            if (!named)
                continue;
            if (dr->cents > best)
                best = dr->cents;
            break;
        }
    }
    return best;
}

/* ------------------------------------------------------------ storage */

DB_STMT(st_tenant_exists, "SELECT 1 FROM tenants WHERE tenant_id = $1");
DB_STMT(st_import,
        "INSERT INTO catalogs (tenant_id, version, doc, imported_at) "
        "VALUES ($1, 1, $2::jsonb, to_timestamp($3::double precision / 1e6)) "
        "ON CONFLICT (tenant_id) DO UPDATE SET version = catalogs.version + 1, "
        "doc = EXCLUDED.doc, imported_at = EXCLUDED.imported_at RETURNING version");
DB_STMT(st_seed_local,
        "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value) "
        "SELECT $1, p, 'catalog', convert_to($2, 'UTF8') "
        "FROM unnest(ARRAY['emr.local', 'emr.mangomint', 'emr.aesthetic_record']) AS p "
        "ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = EXCLUDED.value, "
        "expires_at = NULL, updated_at = now()");
DB_STMT(st_version, "SELECT version FROM catalogs WHERE tenant_id = $1");
DB_STMT(st_load, "SELECT version, doc::text FROM catalogs WHERE tenant_id = $1");

int knowledge_import(struct db_conn *c, const char *tenant_id, const char *json, size_t len,
                     int64_t *version, char *err, size_t errcap)
{
    if (len > KNOWLEDGE_MAX_BYTES)
        return fail(err, errcap, "the catalog is larger than %d bytes", KNOWLEDGE_MAX_BYTES);
    cJSON *doc = cJSON_ParseWithLength(json, len);
    if (!doc)
        return fail(err, errcap, "the catalog is not valid JSON");
    struct knowledge *k = NULL;
    int rc = parse_owned(doc, tenant_id, 0, &k, err, errcap);
    if (rc)
        return rc;
    /* What the built-in calendar needs: the catalog without its clients and
     * appointments, which are seeded into the calendar itself. */
    cJSON *slim = cJSON_Duplicate(k->doc, true);
    char *text = NULL, *slim_text = NULL;
    if (slim) {
        cJSON_DeleteItemFromObjectCaseSensitive(slim, "clients");
        cJSON_DeleteItemFromObjectCaseSensitive(slim, "appointments");
        slim_text = cJSON_PrintUnformatted(slim);
    }
    text = cJSON_PrintUnformatted(k->doc);
    cJSON_Delete(slim);
    knowledge_free(k);
    if (!text || !slim_text) {
        free(text);
        free(slim_text);
        return KNOWLEDGE_E_NOMEM;
    }
    rc = KNOWLEDGE_E_DB;
    const char *p1[] = { tenant_id };
    PGresult *r = db_exec(c, &st_tenant_exists, 1, p1);
    if (!db_ok(r))
        goto out;
    if (PQntuples(r) != 1) {
        rc = KNOWLEDGE_E_NOTFOUND;
        fail(err, errcap, "no tenant '%s' is configured", tenant_id);
        goto out;
    }
    PQclear(r);
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)clock_now_us());
    const char *p2[] = { tenant_id, text, now };
    r = db_exec(c, &st_import, 3, p2);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto out;
    if (version)
        *version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    const char *p3[] = { tenant_id, slim_text };
    r = db_exec(c, &st_seed_local, 2, p3);
    if (!db_ok(r))
        goto out;
    rc = 0;
    knowledge_invalidate(tenant_id);
out:
    if (rc == KNOWLEDGE_E_DB)
        fail(err, errcap, "the database refused the catalog");
    PQclear(r);
    free(text);
    free(slim_text);
    return rc;
}

/* ------------------------------------------------------------ cache */

struct cache_entry {
    char tenant_id[64];
    struct kn_owned *k;         /* one reference held by the cache */
    int64_t checked_ms;         /* clock_mono_ms() of the last version check */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry *cache;
static size_t cache_n, cache_cap;

static struct cache_entry *cache_find(const char *tenant_id)
{
    for (size_t i = 0; i < cache_n; i++)
        if (strcmp(cache[i].tenant_id, tenant_id) == 0)
            return &cache[i];
    return NULL;
}

void knowledge_release(const struct knowledge *k)
{
    if (!k)
        return;
    struct kn_owned *o = (struct kn_owned *)k;
    if (atomic_fetch_sub(&o->refs, 1) == 1)
        knowledge_free(&o->k);
}

void knowledge_invalidate(const char *tenant_id)
{
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < cache_n;) {
        if (!tenant_id || strcmp(cache[i].tenant_id, tenant_id) == 0) {
            knowledge_release(&cache[i].k->k);
            cache[i] = cache[--cache_n];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&cache_mu);
}

/* Puts k in the cache (taking one more reference) unless a newer one is there. */
static void cache_put(const char *tenant_id, struct kn_owned *k)
{
    pthread_mutex_lock(&cache_mu);
    struct cache_entry *e = cache_find(tenant_id);
    if (e && e->k->k.version >= k->k.version) {
        pthread_mutex_unlock(&cache_mu);
        return;
    }
    if (!e) {
        if (cache_n == cache_cap) {
            size_t ncap = cache_cap ? cache_cap * 2 : 16;
            struct cache_entry *n = realloc(cache, ncap * sizeof *n);
            if (!n) {
                pthread_mutex_unlock(&cache_mu);
                return;
            }
            cache = n;
            cache_cap = ncap;
        }
        e = &cache[cache_n++];
        snprintf(e->tenant_id, sizeof e->tenant_id, "%s", tenant_id);
        e->k = NULL;
    }
    if (e->k)
        knowledge_release(&e->k->k);
    atomic_fetch_add(&k->refs, 1);
    e->k = k;
    e->checked_ms = clock_mono_ms();
    pthread_mutex_unlock(&cache_mu);
}

int knowledge_get(struct db_conn *c, const char *tenant_id, const struct knowledge **out)
{
    int64_t cached_version = -1;
    pthread_mutex_lock(&cache_mu);
    struct cache_entry *e = cache_find(tenant_id);
    if (e) {
        if (clock_mono_ms() - e->checked_ms < KNOWLEDGE_RECHECK_MS) {
            atomic_fetch_add(&e->k->refs, 1);
            *out = &e->k->k;
            pthread_mutex_unlock(&cache_mu);
            return 0;
        }
        cached_version = e->k->k.version;
    }
    pthread_mutex_unlock(&cache_mu);

    const char *p[] = { tenant_id };
    if (cached_version >= 0) {
        PGresult *r = db_exec(c, &st_version, 1, p);
        if (!db_ok(r)) {
            PQclear(r);
            return KNOWLEDGE_E_DB;
        }
        bool same = PQntuples(r) == 1 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) == cached_version;
        PQclear(r);
        if (same) {
            pthread_mutex_lock(&cache_mu);
            e = cache_find(tenant_id);
            if (e && e->k->k.version == cached_version) {
                e->checked_ms = clock_mono_ms();
                atomic_fetch_add(&e->k->refs, 1);
                *out = &e->k->k;
                pthread_mutex_unlock(&cache_mu);
                return 0;
            }
            pthread_mutex_unlock(&cache_mu);
        }
    }
    PGresult *r = db_exec(c, &st_load, 1, p);
    if (!db_ok(r)) {
        PQclear(r);
        return KNOWLEDGE_E_DB;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        knowledge_invalidate(tenant_id);
        return KNOWLEDGE_E_NOTFOUND;
    }
    int64_t version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    cJSON *doc = cJSON_Parse(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (!doc)
        return KNOWLEDGE_E_NOMEM;
    struct knowledge *k = NULL;
    char err[200];
    int rc = parse_owned(doc, tenant_id, version, &k, err, sizeof err);
    if (rc)
        return rc == KNOWLEDGE_E_NOMEM ? rc : KNOWLEDGE_E_DB; /* stored yet invalid */
    cache_put(tenant_id, (struct kn_owned *)k);
    *out = k; /* the reference parse_owned gave us */
    return 0;
}
