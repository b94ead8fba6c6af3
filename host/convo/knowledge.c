/*
 * Reading a clinic's JSON into struct convo_knowledge (see knowledge.h):
 * strict about shapes (a wrong type is an error, not a default), bounded by
 * the KN_* limits, and without any allocation past the struct itself.
 */
#include "convo/knowledge.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nlu/nlu.h"

static const char *const wdays[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int copy_str(const cJSON *obj, const char *key, char *dst, size_t cap, bool required)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (!it)
        return required ? KN_E_INVAL : 0;
    if (!cJSON_IsString(it) || !it->valuestring)
        return KN_E_INVAL;
    size_t n = strlen(it->valuestring);
    if (n >= cap)
        return KN_E_INVAL;
    memcpy(dst, it->valuestring, n + 1);
    return 0;
}

static int get_int(const cJSON *obj, const char *key, int dflt, int lo, int hi, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(it) || it->valuedouble < lo || it->valuedouble > hi)
        return KN_E_INVAL;
    *out = (int)it->valuedouble;
    return 0;
}

/* "09:30" -> 570; -1 when malformed. */
static int hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || h * 60 + m > 1440)
        return -1;
    return h * 60 + m;
}

/* "2027-03-12" -> local days; -1 with *ok false when malformed. */
static int32_t ymd(const char *s, bool *ok)
{
    int y = 0, m = 0, d = 0;
    char tail = 0;
    *ok = s && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
    return *ok ? nlu_days_from_civil(y, m, d) : -1;
}

static int weekday_index(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (!strcmp(s, wdays[i]))
            return i;
    return -1;
}

static int load_hours(const cJSON *hours, struct convo_knowledge *k)
{
    for (int i = 0; i < 7; i++)
        k->open_min[i] = k->close_min[i] = -1;
    if (!hours)
        return 0;
    if (!cJSON_IsObject(hours))
        return KN_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, hours)
    {
        int d = weekday_index(it->string);
        if (d < 0 || !cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2)
            return KN_E_INVAL;
        const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
        int o = hhmm(cJSON_GetStringValue(a)), c = hhmm(cJSON_GetStringValue(b));
        if (o < 0 || c < 0 || o >= c)
            return KN_E_INVAL;
        k->open_min[d] = (int16_t)o;
        k->close_min[d] = (int16_t)c;
    }
    return 0;
}

static int load_price(const cJSON *price, struct kn_service *s)
{
    if (!cJSON_IsObject(price))
        return KN_E_INVAL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(price, "kind");
    const cJSON *cents = cJSON_GetObjectItemCaseSensitive(price, "cents");
    const char *kn = cJSON_GetStringValue(kind);
    if (!kn || !cJSON_IsNumber(cents) || cents->valuedouble < 0 || cents->valuedouble > 1e10)
        return KN_E_INVAL;
    if (!strcmp(kn, "fixed"))
        s->price_kind = KN_PRICE_FIXED;
    else if (!strcmp(kn, "per_unit"))
        s->price_kind = KN_PRICE_PER_UNIT;
    else if (!strcmp(kn, "per_syringe"))
        s->price_kind = KN_PRICE_PER_SYRINGE;
    else if (!strcmp(kn, "from"))
        s->price_kind = KN_PRICE_FROM;
    else
        return KN_E_INVAL;
    s->cents = (int64_t)cents->valuedouble;
    return copy_str(price, "note", s->note, sizeof s->note, false);
}

static int load_services(const cJSON *arr, struct convo_knowledge *k)
{
    if (!cJSON_IsArray(arr))
        return KN_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (k->nservices >= KN_SERVICES_MAX || !cJSON_IsObject(it))
            return KN_E_INVAL;
        struct kn_service *s = &k->services[k->nservices];
        if (copy_str(it, "id", s->id, sizeof s->id, true) || copy_str(it, "name", s->name, sizeof s->name, true))
            return KN_E_INVAL;
        if (get_int(it, "duration_min", 30, 5, 600, &s->dur_min))
            return KN_E_INVAL;
        if (load_price(cJSON_GetObjectItemCaseSensitive(it, "price"), s))
            return KN_E_INVAL;
        k->nservices++;
    }
    return 0;
}

static int load_providers(const cJSON *arr, struct convo_knowledge *k)
{
    if (!cJSON_IsArray(arr))
        return KN_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (k->nproviders >= KN_PROVIDERS_MAX || !cJSON_IsObject(it))
            return KN_E_INVAL;
        struct kn_provider *p = &k->providers[k->nproviders];
        if (copy_str(it, "id", p->id, sizeof p->id, true) || copy_str(it, "name", p->name, sizeof p->name, true) ||
            copy_str(it, "title", p->title, sizeof p->title, false))
            return KN_E_INVAL;
        const cJSON *svc = cJSON_GetObjectItemCaseSensitive(it, "services"), *x;
        if (!cJSON_IsArray(svc))
            return KN_E_INVAL;
        cJSON_ArrayForEach(x, svc)
        {
            int i = convo_knowledge_service(k, cJSON_GetStringValue(x));
            if (i < 0)
                return KN_E_INVAL;
            p->services |= 1ull << i;
        }
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(it, "days");
        if (!days) {
            p->days = 0x7f;
        } else {
            if (!cJSON_IsArray(days))
                return KN_E_INVAL;
            cJSON_ArrayForEach(x, days)
            {
                const char *d = cJSON_GetStringValue(x);
                int w = d ? weekday_index(d) : -1;
                if (w < 0)
                    return KN_E_INVAL;
                p->days |= (uint8_t)(1u << w);
            }
        }
        k->nproviders++;
    }
    return 0;
}

static int load_rules(const cJSON *arr, struct convo_knowledge *k)
{
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return KN_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (k->nrules >= KN_RULES_MAX || !cJSON_IsObject(it))
            return KN_E_INVAL;
        struct kn_rule *r = &k->rules[k->nrules];
        r->new_client = -1;
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(it, "when");
        const cJSON *cents = cJSON_GetObjectItemCaseSensitive(it, "cents");
        if (!cJSON_IsObject(when) || !cJSON_IsNumber(cents) || cents->valuedouble < 0)
            return KN_E_INVAL;
        r->cents = (int64_t)cents->valuedouble;
        const cJSON *svc = cJSON_GetObjectItemCaseSensitive(when, "service"), *x;
        if (svc) {
            if (!cJSON_IsArray(svc))
                return KN_E_INVAL;
            cJSON_ArrayForEach(x, svc)
            {
                int i = convo_knowledge_service(k, cJSON_GetStringValue(x));
                if (i < 0)
                    return KN_E_INVAL;
                r->services |= 1ull << i;
            }
        }
        const cJSON *nc = cJSON_GetObjectItemCaseSensitive(when, "new_client");
        if (nc) {
            if (!cJSON_IsBool(nc))
                return KN_E_INVAL;
            r->new_client = cJSON_IsTrue(nc) ? 1 : 0;
        }
        k->nrules++;
    }
    return 0;
}

static int load_closed(const cJSON *arr, struct convo_knowledge *k)
{
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return KN_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        bool ok;
        int32_t d = ymd(cJSON_GetStringValue(it), &ok);
        if (!ok || k->nclosed >= KN_CLOSED_MAX)
            return KN_E_INVAL;
        k->closed[k->nclosed++] = d;
    }
    return 0;
}

int convo_knowledge_from_json(const cJSON *clinic, struct convo_knowledge *k)
{
    if (!clinic || !k || !cJSON_IsObject(clinic))
        return KN_E_INVAL;
    memset(k, 0, sizeof *k);
    if (copy_str(clinic, "id", k->id, sizeof k->id, false) ||
        copy_str(clinic, "name", k->name, sizeof k->name, true) ||
        copy_str(clinic, "phone", k->phone, sizeof k->phone, false) ||
        copy_str(clinic, "address", k->address, sizeof k->address, false) ||
        copy_str(clinic, "timezone", k->zone, sizeof k->zone, true))
        return KN_E_INVAL;
    if (get_int(clinic, "slot_step_min", 15, 5, 240, &k->slot_step_min) ||
        get_int(clinic, "booking_horizon_days", 30, 1, 365, &k->horizon_days) ||
        get_int(clinic, "min_notice_min", 0, 0, 10080, &k->min_notice_min) ||
        get_int(clinic, "hold_minutes", 30, 1, 1440, &k->hold_minutes))
        return KN_E_INVAL;
    if (load_hours(cJSON_GetObjectItemCaseSensitive(clinic, "hours"), k) ||
        load_closed(cJSON_GetObjectItemCaseSensitive(clinic, "closed_dates"), k) ||
        load_services(cJSON_GetObjectItemCaseSensitive(clinic, "services"), k) ||
        load_providers(cJSON_GetObjectItemCaseSensitive(clinic, "providers"), k) ||
        load_rules(cJSON_GetObjectItemCaseSensitive(clinic, "deposit_rules"), k))
        return KN_E_INVAL;
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(clinic, "policies");
    if (pol) {
        if (!cJSON_IsObject(pol) || copy_str(pol, "cancellation", k->cancellation, sizeof k->cancellation, false) ||
            copy_str(pol, "parking", k->parking, sizeof k->parking, false) ||
            copy_str(pol, "numbing", k->numbing, sizeof k->numbing, false))
            return KN_E_INVAL;
    }
    k->cancel_notice_min = convo_knowledge_notice_min(k->cancellation);
    return 0;
}

/* Whether s starts with word w (ASCII, any case) not followed by a letter. */
static bool word_at(const char *s, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0)
        return false;
    char c = s[n];
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

int convo_knowledge_notice_min(const char *policy)
{
    for (const char *p = policy; p && *p; p++) {
        if (*p < '0' || *p > '9' || (p > policy && p[-1] >= '0' && p[-1] <= '9'))
            continue;
        long v = 0;
        const char *q = p;
        while (*q >= '0' && *q <= '9' && v < 100000)
            v = v * 10 + (*q++ - '0');
        if (*q >= '0' && *q <= '9')
            continue; /* too long to be a notice */
        if (*q == ' ' || *q == '-')
            q++;
        if (v > 0 && v <= 24 * 30 &&
            (word_at(q, "hours") || word_at(q, "hour") || word_at(q, "hrs") || word_at(q, "hr") || word_at(q, "h")))
            return (int)v * 60;
        if (v > 0 && v <= 30 && (word_at(q, "days") || word_at(q, "day")))
            return (int)v * 24 * 60;
    }
    return 0;
}

int convo_knowledge_service(const struct convo_knowledge *k, const char *id)
{
    if (!id)
        return -1;
    for (size_t i = 0; i < k->nservices; i++)
        if (!strcmp(k->services[i].id, id))
            return (int)i;
    return -1;
}

int convo_knowledge_provider(const struct convo_knowledge *k, const char *id)
{
    if (!id)
        return -1;
    for (size_t i = 0; i < k->nproviders; i++)
        if (!strcmp(k->providers[i].id, id))
            return (int)i;
    return -1;
}

bool convo_knowledge_offers(const struct convo_knowledge *k, int p, int s)
{
    return p >= 0 && (size_t)p < k->nproviders && s >= 0 && s < 64 && (k->providers[p].services >> s) & 1u;
}

bool convo_knowledge_works(const struct convo_knowledge *k, int p, int wd)
{
    return p >= 0 && (size_t)p < k->nproviders && wd >= 0 && wd < 7 && (k->providers[p].days >> wd) & 1u;
}

bool convo_knowledge_closed_day(const struct convo_knowledge *k, int32_t day)
{
    if (k->open_min[nlu_weekday(day)] < 0)
        return true;
    for (size_t i = 0; i < k->nclosed; i++)
        if (k->closed[i] == day)
            return true;
    return false;
}
