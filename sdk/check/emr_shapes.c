/*
 * Checks EMR payloads against the /1 schemas of include/bookwell/emr.h, as
 * docs/ABI.md shows them: what must be there, of which JSON type, and that
 * ids reference what the catalog lists. Extra members are allowed (a minor
 * may add them); missing or mistyped ones are not.
 */
#include "emr_shapes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static int bad(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

const char *shape_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int shape_time(const cJSON *o, const char *key, int64_t *us)
{
    const char *s = shape_str(o, key);
    return s && clock_parse_rfc3339(s, us) == 0 ? 0 : -1;
}

bool shape_has_id(const cJSON *o, const char *key, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, key))
    {
        const char *s = cJSON_IsString(it) ? it->valuestring : shape_str(it, "id");
        if (s && strcmp(s, id) == 0)
            return true;
    }
    return false;
}

/* Requires non-empty string members keys[] of o (what names o in messages). */
static int need_strs(const cJSON *o, const char *what, const char *const *keys, char *why,
                     size_t cap)
{
    if (!cJSON_IsObject(o))
        return bad(why, cap, "%s is not an object", what);
    for (size_t i = 0; keys[i]; i++) {
        const char *s = shape_str(o, keys[i]);
        if (!s || !s[0])
            return bad(why, cap, "%s lacks a non-empty string \"%s\"", what, keys[i]);
    }
    return 0;
}

static int need_int(const cJSON *o, const char *what, const char *key, int64_t min, char *why,
                    size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble < (double)min)
        return bad(why, cap, "%s: \"%s\" must be an integer >= %lld", what, key, (long long)min);
    return 0;
}

/* An array member of strings, each one of catalog[list]'s ids. */
static int need_refs(const cJSON *o, const char *what, const char *key, const cJSON *catalog,
                     const char *list, char *why, size_t cap)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *it;
    if (!cJSON_IsArray(a))
        return bad(why, cap, "%s: \"%s\" must be an array of ids", what, key);
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            return bad(why, cap, "%s: \"%s\" holds a non-string", what, key);
        if (!shape_has_id(catalog, list, it->valuestring))
            return bad(why, cap, "%s: \"%s\" names %s, which the catalog's %s lack", what, key,
                       it->valuestring, list);
    }
    return 0;
}

/* The array member key of c, with unique non-empty ids. */
static int need_list(const cJSON *c, const char *key, char *why, size_t cap)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, key), *x, *y;
    if (!cJSON_IsArray(a))
        return bad(why, cap, "\"%s\" must be an array", key);
    cJSON_ArrayForEach(x, a)
    {
        const char *id = shape_str(x, "id");
        if (!id || !id[0])
            return bad(why, cap, "an item of \"%s\" lacks a non-empty string \"id\"", key);
        for (y = x->next; y; y = y->next) {
            const char *other = shape_str(y, "id");
            if (other && strcmp(id, other) == 0)
                return bad(why, cap, "\"%s\" lists id %s twice", key, id);
        }
    }
    return 0;
}

int shape_catalog(const cJSON *c, char *why, size_t cap)
{
    static const char *const loc_keys[] = { "id", "name", "timezone", NULL };
    static const char *const named[] = { "id", "name", NULL };
    const cJSON *it;
    char what[160];
    if (!cJSON_IsObject(c))
        return bad(why, cap, "catalog/1 must be an object");
    if (need_list(c, "locations", why, cap) || need_list(c, "services", why, cap) ||
        need_list(c, "providers", why, cap))
        return -1;
    if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "locations")))
        return bad(why, cap, "no location");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "locations"))
    {
        snprintf(what, sizeof what, "location %s", shape_str(it, "id"));
        if (need_strs(it, what, loc_keys, why, cap))
            return -1;
        /* An IANA name: Area/City, or UTC. */
        const char *tz = shape_str(it, "timezone");
        if (strcmp(tz, "UTC") != 0 && !strchr(tz, '/'))
            return bad(why, cap, "%s: timezone \"%s\" is not an IANA name", what, tz);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "services"))
    {
        snprintf(what, sizeof what, "service %s", shape_str(it, "id"));
        const char *cur = shape_str(it, "currency");
        if (need_strs(it, what, named, why, cap) ||
            need_int(it, what, "duration_min", 1, why, cap) ||
            need_int(it, what, "price_minor", 0, why, cap) ||
            need_refs(it, what, "location_ids", c, "locations", why, cap))
            return -1;
        if (!cur || strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
            return bad(why, cap, "%s: \"currency\" must be an ISO 4217 code such as USD", what);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "providers"))
    {
        snprintf(what, sizeof what, "provider %s", shape_str(it, "id"));
        if (need_strs(it, what, named, why, cap) ||
            need_refs(it, what, "location_ids", c, "locations", why, cap) ||
            need_refs(it, what, "service_ids", c, "services", why, cap))
            return -1;
    }
    return 0;
}

int shape_slot(const cJSON *s, const cJSON *catalog, char *why, size_t cap)
{
    static const char *const keys[] = { "location_id", "service_id", NULL };
    int64_t start, end;
    if (need_strs(s, "a slot", keys, why, cap))
        return -1;
    if (!shape_str(s, "provider_id"))
        return bad(why, cap, "a slot lacks a string \"provider_id\"");
    if (shape_time(s, "start", &start) || shape_time(s, "end", &end))
        return bad(why, cap, "a slot's start or end is not RFC 3339 with an offset");
    if (end <= start)
        return bad(why, cap, "a slot ends (%s) before it starts (%s)", shape_str(s, "end"),
                   shape_str(s, "start"));
    if (catalog) {
        const char *p = shape_str(s, "provider_id");
        if (!shape_has_id(catalog, "locations", shape_str(s, "location_id")) ||
            !shape_has_id(catalog, "services", shape_str(s, "service_id")) ||
            (p[0] && !shape_has_id(catalog, "providers", p)))
            return bad(why, cap, "a slot names a location, service or provider the catalog lacks");
    }
    return 0;
}

int shape_slots(const cJSON *j, const cJSON *catalog, char *why, size_t cap)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "slots"), *it;
    if (!cJSON_IsObject(j) || !cJSON_IsArray(a))
        return bad(why, cap, "slots/1 must be {\"slots\":[...]}");
    cJSON_ArrayForEach(it, a)
        if (shape_slot(it, catalog, why, cap))
            return -1;
    return 0;
}

int shape_patient(const cJSON *p, bool need_id, char *why, size_t cap)
{
    static const char *const keys[] = { "first_name", "last_name", "phone", NULL };
    if (need_strs(p, "a patient", keys, why, cap))
        return -1;
    const char *id = shape_str(p, "id");
    if (need_id && (!id || !id[0]))
        return bad(why, cap, "a patient lacks the EMR's \"id\"");
    const char *phone = shape_str(p, "phone");
    if (phone[0] != '+' || strlen(phone) < 8 || strspn(phone + 1, "0123456789") != strlen(phone + 1))
        return bad(why, cap, "a patient's phone %s is not E.164", phone);
    const cJSON *email = cJSON_GetObjectItemCaseSensitive(p, "email");
    if (email && !cJSON_IsString(email) && !cJSON_IsNull(email))
        return bad(why, cap, "a patient's email is not a string");
    return 0;
}

int shape_patients(const cJSON *j, char *why, size_t cap)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "patients"), *it;
    if (!cJSON_IsObject(j) || !cJSON_IsArray(a))
        return bad(why, cap, "patients/1 must be {\"patients\":[...]}");
    cJSON_ArrayForEach(it, a)
        if (shape_patient(it, true, why, cap))
            return -1;
    return 0;
}

int shape_appointment(const cJSON *a, char *why, size_t cap)
{
    static const char *const keys[] = { "id", "patient_id", "location_id", "service_id",
                                        "status", NULL };
    int64_t start, end;
    if (need_strs(a, "an appointment", keys, why, cap))
        return -1;
    if (!shape_str(a, "provider_id"))
        return bad(why, cap, "an appointment lacks a string \"provider_id\"");
    if (shape_time(a, "start", &start) || shape_time(a, "end", &end) || end <= start)
        return bad(why, cap, "an appointment's start and end are not RFC 3339 times, end after start");
    const char *st = shape_str(a, "status");
    if (strcmp(st, "booked") != 0 && strcmp(st, "cancelled") != 0)
        return bad(why, cap, "an appointment's status \"%s\" is neither booked nor cancelled", st);
    return 0;
}

int shape_appointments(const cJSON *j, char *why, size_t cap)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "appointments"), *it;
    if (!cJSON_IsObject(j) || !cJSON_IsArray(a))
        return bad(why, cap, "appointments/1 must be {\"appointments\":[...]}");
    cJSON_ArrayForEach(it, a)
        if (shape_appointment(it, why, cap))
            return -1;
    return 0;
}

int shape_deposit_result(const cJSON *j, char *why, size_t cap)
{
    static const char *const keys[] = { "logged_as", "id", NULL };
    if (need_strs(j, "deposit_result/1", keys, why, cap))
        return -1;
    const char *as = shape_str(j, "logged_as");
    if (strcmp(as, "payment") != 0 && strcmp(as, "note") != 0)
        return bad(why, cap, "logged_as \"%s\" is neither payment nor note", as);
    return 0;
}
