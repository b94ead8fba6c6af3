/*
 * emr.local: the built-in calendar, for clinics whose EMR has no API. Every
 * capability. Its knowledge (providers, their services and days, opening
 * hours, closed dates, slot step, service durations and buffers, time zone)
 * is the tenant's catalog: the host writes it under the kv key "catalog" at
 * every catalog import (host/knowledge.c), or the binding's clinic_file
 * names a clinic JSON file read at open. Patients and appointments live in
 * the host's per-instance kv storage (PostgreSQL), so every daemon sharing
 * the database sees one calendar:
 *
 *   pt/<id>               patient/1
 *   ph/<E.164>            the id of the patient with that phone (unique)
 *   em/<email>            the id of the patient with that email
 *   cal/<date>/<provider> {"appts":[...]} the provider's appointments of one
 *                         local date, the unit of compare-and-set: a book
 *                         reads the day, checks overlaps (buffers included),
 *                         and stores it with kv_put_if against what it read,
 *                         retrying when another writer won; a slot that is
 *                         taken meanwhile gives BW_E_CONFLICT.
 *   ap/<id>               {"date","provider"}: where appointment id lives
 *   idem/<op>/<key>       the result of a write under an idempotency key
 *   dep/<id>              a logged deposit
 *
 * Appointment ids are derived from the idempotency key, and each entry of a
 * day carries its key, so a retried book finds its own earlier write even
 * when the process died between the day's store and the idempotency record.
 * Times are local to the catalog's zone, read from the system's TZif files
 * (zone.c). The host's test fault switch (EMR down) sits in front of every
 * op on the host side; nothing here knows about it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>
#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#include "zone.h"

#define LOCAL_CAS_TRIES 64
#define KEY_MAX 201
#define DAY_MAX_APPTS 400
#define US 1000000LL

struct local_instance {
    const struct bw_host *host;
    char zoneinfo[256];
    cJSON *file_catalog;       /* clinic_file's document, or NULL: kv "catalog" */
};

/* What one op needs of the catalog. */
struct ctx {
    struct local_instance *in;
    struct bw_call *call;
    struct bw_error *err;
    cJSON *cat;                /* owned */
    struct zone zone;
    int step_min;
    struct bw_buf *scratch;    /* the call's, reused by every read (a call owns few blocks) */
};

/* The call's scratch buffer for this operation, emptied. */
static struct bw_buf *ctx_scratch(struct ctx *c)
{
    const struct bw_host *h = c->in->host;
    if (!c->scratch)
        c->scratch = h->buf_scratch(c->call);
    if (c->scratch && h->buf_truncate(c->scratch, 0) != 0)
        return NULL;
    return c->scratch;
}

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* ------------------------------------------------------------ helpers */

static int kv_read(struct ctx *c, const char *key, cJSON **out, char **raw, size_t *raw_len)
{
    const struct bw_host *h = c->in->host;
    struct bw_buf *b = ctx_scratch(c);
    int32_t found = 0;
    *out = NULL;
    if (!b)
        return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
    int rc = h->kv_get(c->call, key, b, &found);
    if (rc)
        return bwsdk_error(c->err, rc == BW_E_NOMEM ? BW_E_NOMEM : BW_E_RETRY, NULL,
                           "calendar storage failed");
    if (!found)
        return 0;
    struct bw_bytes v;
    h->buf_view(b, &v);
    if (raw) {
        *raw = malloc(v.len + 1);
        if (!*raw)
            return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
        memcpy(*raw, v.ptr, v.len);
        (*raw)[v.len] = 0;
        *raw_len = v.len;
    }
    if (bwsdk_json_parse_bytes(v.ptr, v.len, out) != 0) {
        if (raw) {
            free(*raw);
            *raw = NULL;
        }
        return bwsdk_error(c->err, BW_E_INTERNAL, NULL, "calendar record %s is damaged", key);
    }
    return 0;
}

static int kv_write(struct ctx *c, const char *key, const cJSON *v)
{
    char *text = cJSON_PrintUnformatted(v);
    if (!text)
        return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
    int rc = c->in->host->kv_put(c->call, key, text, strlen(text), 0);
    free(text);
    return rc ? bwsdk_error(c->err, BW_E_RETRY, NULL, "calendar storage failed") : 0;
}

static int kv_write_str(struct ctx *c, const char *key, const char *s)
{
    int rc = c->in->host->kv_put(c->call, key, s, strlen(s), 0);
    return rc ? bwsdk_error(c->err, BW_E_RETRY, NULL, "calendar storage failed") : 0;
}

/* prefix + a (+ "/" + b): "pt/" "p1" -> "pt/p1". */
static int key_fmt(struct ctx *c, char *out, const char *prefix, const char *a, const char *b)
{
    int n = b ? snprintf(out, KEY_MAX, "%s%s/%s", prefix, a, b)
              : snprintf(out, KEY_MAX, "%s%s", prefix, a);
    if (n < 0 || n >= KEY_MAX)
        return bwsdk_error(c->err, BW_E_INVAL, NULL, "an identifier is too long");
    for (int i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x21 || (unsigned char)out[i] > 0x7e)
            return bwsdk_error(c->err, BW_E_INVAL, NULL, "an identifier is not printable ASCII");
    return 0;
}

/* A short hex id from a digest of text. */
static void derive_id(struct ctx *c, const char *prefix, const char *text, char *out, size_t cap)
{
    uint8_t d[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    c->in->host->digest(BW_HASH_SHA256, text, strlen(text), d, sizeof d, &n);
    size_t p = (size_t)snprintf(out, cap, "%s", prefix);
    for (uint32_t i = 0; i < 8 && p + 2 < cap; i++)
        p += (size_t)snprintf(out + p, cap - p, "%02x", d[i]);
}

/* A fresh id when there is no idempotency key: the clocks and a counter. */
static void fresh_id(struct ctx *c, const char *prefix, char *out, size_t cap)
{
    static _Atomic unsigned long counter;
    char seed[96];
    snprintf(seed, sizeof seed, "%lld/%lld/%lu/%p", (long long)c->in->host->now_us(),
             (long long)c->in->host->mono_us(), (unsigned long)++counter, (void *)c);
    derive_id(c, prefix, seed, out, cap);
}

static int load(struct ctx *c, struct local_instance *in, struct bw_call *call,
                struct bw_error *err)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->call = call;
    c->err = err;
    if (in->file_catalog) {
        c->cat = cJSON_Duplicate(in->file_catalog, 1);
        if (!c->cat)
            return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    } else {
        int rc = kv_read(c, "catalog", &c->cat, NULL, NULL);
        if (rc)
            return rc;
        if (!c->cat)
            return bwsdk_error(err, BW_E_CONFIG, NULL,
                               "no catalog: import one (bookwell tenant import) or set clinic_file");
    }
    const char *tz = bwsdk_json_string_or(c->cat, "timezone", "");
    if (zone_load(in->zoneinfo, tz, &c->zone) != 0) {
        cJSON_Delete(c->cat);
        c->cat = NULL;
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the catalog's time zone cannot be read");
    }
    int64_t step = 15;
    bwsdk_json_int(c->cat, "slot_step_min", &step);
    c->step_min = step >= 5 && step <= 120 ? (int)step : 15;
    return 0;
}

static void unload(struct ctx *c)
{
    cJSON_Delete(c->cat);
    zone_free(&c->zone);
}

static const cJSON *find_by_id(const cJSON *arr, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return it;
    }
    return NULL;
}

static bool str_in(const cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return true;
    }
    return false;
}

static const cJSON *service(struct ctx *c, const char *id)
{
    return find_by_id(cJSON_GetObjectItemCaseSensitive(c->cat, "services"), id);
}

static const cJSON *provider(struct ctx *c, const char *id)
{
    return find_by_id(cJSON_GetObjectItemCaseSensitive(c->cat, "providers"), id);
}

static int64_t svc_int(const cJSON *s, const char *key, int64_t def)
{
    int64_t v;
    return bwsdk_json_int(s, key, &v) == 0 ? v : def;
}

/* Local date text of an instant. */
static void local_date(struct ctx *c, int64_t us, char out[11])
{
    int64_t s = us >= 0 ? us / US : (us - US + 1) / US;
    int64_t l = s + zone_offset(&c->zone, s);
    int32_t y, m, d;
    bwsdk_civil_from_days(l >= 0 ? l / 86400 : (l - 86399) / 86400, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

static int fmt_time(struct ctx *c, int64_t us, char out[BWSDK_TIME_MAX])
{
    return bwsdk_time_format(us, zone_offset(&c->zone, us / US), out, BWSDK_TIME_MAX);
}

static int parse_time(struct ctx *c, const cJSON *o, const char *key, int64_t *us)
{
    const char *s;
    if (bwsdk_json_string(o, key, &s) != 0 || bwsdk_time_parse(s, us, NULL) != 0)
        return bwsdk_error(c->err, BW_E_INVAL, NULL, "'%s' must be an RFC 3339 time", key);
    return 0;
}

/* ------------------------------------------------------------ lifecycle */

static int local_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                      struct bw_error *err)
{
    (void)state;
    struct local_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    if (!BW_HAS(host, kv_put_if) || !BW_HAS(host, kv_keys)) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the host lacks kv_put_if and kv_keys (ABI 1.1)");
    }
    struct bw_str s;
    if (host->config_string(call, "zoneinfo_dir", &s) == 0)
        bwsdk_strlcpy(in->zoneinfo, sizeof in->zoneinfo, s.ptr, s.len);
    else
        snprintf(in->zoneinfo, sizeof in->zoneinfo, "/usr/share/zoneinfo");
    if (host->config_string(call, "clinic_file", &s) == 0 && s.len > 0) {
        char path[1024];
        FILE *f = NULL;
        char *text = NULL;
        if (bwsdk_strlcpy(path, sizeof path, s.ptr, s.len) == 0 && (f = fopen(path, "rb"))) {
            text = malloc(1024 * 1024 + 1);
            size_t n = text ? fread(text, 1, 1024 * 1024, f) : 0;
            if (text && bwsdk_json_parse_bytes(text, n, &in->file_catalog) != 0)
                in->file_catalog = NULL;
        }
        if (f)
            fclose(f);
        free(text);
        if (!in->file_catalog) {
            free(in);
            return bwsdk_error(err, BW_E_CONFIG, NULL, "clinic_file cannot be read as JSON");
        }
    }
    *out = in;
    return 0;
}

static void local_close(void *state, void *instance)
{
    (void)state;
    struct local_instance *in = instance;
    if (in)
        cJSON_Delete(in->file_catalog);
    free(in);
}

static int local_health(void *instance, struct bw_call *call, struct bw_buf *out,
                        struct bw_error *err)
{
    (void)instance;
    (void)call;
    (void)out;
    (void)err;
    return 0;
}

static int local_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_RESCHEDULE |
            BW_EMR_CAP_CANCEL | BW_EMR_CAP_PATIENT_FIND | BW_EMR_CAP_PATIENT_CREATE |
            BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_APPOINTMENT_LIST;
    return 0;
}

/* ------------------------------------------------------------ catalog */

static int local_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    struct ctx c;
    int rc = load(&c, instance, call, err);
    if (rc)
        return rc;
    rc = BW_E_NOMEM;
    const char *currency = bwsdk_json_string_or(c.cat, "currency", "USD");
    cJSON *res = cJSON_CreateObject();
    cJSON *locs = cJSON_AddArrayToObject(res, "locations");
    cJSON *svcs = cJSON_AddArrayToObject(res, "services");
    cJSON *provs = cJSON_AddArrayToObject(res, "providers");
    cJSON *loc = cJSON_CreateObject();
    if (!res || !locs || !svcs || !provs || !loc)
        goto done;
    cJSON_AddItemToArray(locs, loc);
    cJSON_AddStringToObject(loc, "id", "main");
    cJSON_AddStringToObject(loc, "name", bwsdk_json_string_or(c.cat, "name", ""));
    cJSON_AddStringToObject(loc, "timezone", c.zone.name);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c.cat, "services")) {
        cJSON *s = cJSON_CreateObject();
        if (!s)
            goto done;
        cJSON_AddItemToArray(svcs, s);
        cJSON_AddStringToObject(s, "id", bwsdk_json_string_or(it, "id", ""));
        cJSON_AddStringToObject(s, "name", bwsdk_json_string_or(it, "name", ""));
        bwsdk_json_add_int(s, "duration_min", svc_int(it, "duration_min", 30));
        bwsdk_json_add_int(s, "price_minor", svc_int(it, "price.cents", 0));
        cJSON_AddStringToObject(s, "currency", currency);
        cJSON *l = cJSON_AddArrayToObject(s, "location_ids");
        cJSON_AddItemToArray(l, cJSON_CreateString("main"));
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c.cat, "providers")) {
        cJSON *p = cJSON_CreateObject();
        if (!p)
            goto done;
        cJSON_AddItemToArray(provs, p);
        cJSON_AddStringToObject(p, "id", bwsdk_json_string_or(it, "id", ""));
        cJSON_AddStringToObject(p, "name", bwsdk_json_string_or(it, "name", ""));
        cJSON *l = cJSON_AddArrayToObject(p, "location_ids");
        cJSON_AddItemToArray(l, cJSON_CreateString("main"));
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(it, "services");
        cJSON *dup = cJSON_Duplicate(sv, 1);
        cJSON_AddItemToObject(p, "service_ids", dup ? dup : cJSON_CreateArray());
    }
    rc = bwsdk_json_emit(c.in->host, out, res);
done:
    cJSON_Delete(res);
    unload(&c);
    return rc ? bwsdk_error(err, rc, NULL, "catalog failed") : 0;
}

/* ------------------------------------------------------------ days */

/* The blocked interval of an appointment entry (buffers included). */
static void entry_block(const cJSON *e, int64_t *b0, int64_t *b1)
{
    int64_t s = svc_int(e, "s", 0), en = svc_int(e, "e", 0);
    *b0 = s - svc_int(e, "bb", 0) * 60 * US;
    *b1 = en + svc_int(e, "ba", 0) * 60 * US;
}

static bool entry_live(const cJSON *e)
{
    return strcmp(bwsdk_json_string_or(e, "status", "booked"), "booked") == 0;
}

/* True when [b0, b1) overlaps a live entry of day (other than skip_id). */
static bool day_overlaps(const cJSON *day, int64_t b0, int64_t b1, const char *skip_id)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(day, "appts")) {
        if (!entry_live(e))
            continue;
        if (skip_id && strcmp(bwsdk_json_string_or(e, "id", ""), skip_id) == 0)
            continue;
        int64_t e0, e1;
        entry_block(e, &e0, &e1);
        if (b0 < e1 && e0 < b1)
            return true;
    }
    return false;
}

static const cJSON *day_find(const cJSON *day, const char *field, const char *value)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(day, "appts")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, field);
        if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)
            return e;
    }
    return NULL;
}

/* appointment/1 of a day entry. */
static cJSON *entry_appointment(struct ctx *c, const cJSON *e, const char *provider_id)
{
    char s[BWSDK_TIME_MAX], en[BWSDK_TIME_MAX];
    cJSON *a = cJSON_CreateObject();
    if (!a || fmt_time(c, svc_int(e, "s", 0), s) || fmt_time(c, svc_int(e, "e", 0), en)) {
        cJSON_Delete(a);
        return NULL;
    }
    cJSON_AddStringToObject(a, "id", bwsdk_json_string_or(e, "id", ""));
    cJSON_AddStringToObject(a, "patient_id", bwsdk_json_string_or(e, "patient_id", ""));
    cJSON_AddStringToObject(a, "location_id", "main");
    cJSON_AddStringToObject(a, "service_id", bwsdk_json_string_or(e, "service_id", ""));
    cJSON_AddStringToObject(a, "provider_id", provider_id);
    cJSON_AddStringToObject(a, "start", s);
    cJSON_AddStringToObject(a, "end", en);
    cJSON_AddStringToObject(a, "status", bwsdk_json_string_or(e, "status", "booked"));
    return a;
}

/*
 * A compare-and-set step on one day: mutate() changes the parsed day (or
 * returns non-zero to stop: BW_E_CONFLICT, or 1 for "nothing to write");
 * the day is stored only if nobody changed it since it was read.
 */
typedef int (*day_mutate_fn)(struct ctx *c, cJSON *day, void *arg);

static int day_cas(struct ctx *c, const char *key, day_mutate_fn mutate, void *arg)
{
    const struct bw_host *h = c->in->host;
    for (int attempt = 0; attempt < LOCAL_CAS_TRIES; attempt++) {
        cJSON *day = NULL;
        char *raw = NULL;
        size_t raw_len = 0;
        int rc = kv_read(c, key, &day, &raw, &raw_len);
        if (rc)
            return rc;
        bool absent = day == NULL;
        if (absent) {
            day = cJSON_CreateObject();
            if (!day || !cJSON_AddArrayToObject(day, "appts")) {
                cJSON_Delete(day);
                return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
            }
        }
        rc = mutate(c, day, arg);
        if (rc) {
            cJSON_Delete(day);
            free(raw);
            return rc;
        }
        char *text = cJSON_PrintUnformatted(day);
        cJSON_Delete(day);
        if (!text) {
            free(raw);
            return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
        }
        int32_t stored = 0;
        rc = h->kv_put_if(c->call, key, raw, raw_len, absent, text, strlen(text), 0, &stored);
        free(text);
        free(raw);
        if (rc)
            return bwsdk_error(c->err, rc == BW_E_INVAL ? BW_E_INVAL : BW_E_RETRY, NULL,
                               "calendar storage failed");
        if (stored)
            return 0;
        if ((rc = h->check(c->call)) != 0)
            return bwsdk_error(c->err, rc, NULL, "gave up waiting for the calendar");
    }
    return bwsdk_error(c->err, BW_E_RETRY, NULL, "the calendar is busy");
}

/* ------------------------------------------------------------ availability */

static bool works_on(const cJSON *prov, int wday)
{
    return str_in(cJSON_GetObjectItemCaseSensitive(prov, "days"), day_names[wday]);
}

static int hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

static int local_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                              struct bw_buf *out, struct bw_error *err)
{
    struct ctx c;
    cJSON *q = NULL, *res = NULL;
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc)
        return bwsdk_error(err, BW_E_INVAL, NULL, "availability_query/1 expected");
    if ((rc = load(&c, instance, call, err)) != 0) {
        cJSON_Delete(q);
        return rc;
    }
    int64_t from, to;
    const char *sid = bwsdk_json_string_or(q, "service_id", "");
    const char *pid = bwsdk_json_string_or(q, "provider_id", NULL);
    const cJSON *svc = service(&c, sid);
    if ((rc = parse_time(&c, q, "from", &from)) || (rc = parse_time(&c, q, "to", &to)))
        goto done;
    if (!svc) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "unknown service");
        goto done;
    }
    if (to - from > 62LL * 86400 * US) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the range is longer than 62 days");
        goto done;
    }
    int64_t dur = svc_int(svc, "duration_min", 30) * 60 * US;
    int64_t bb = svc_int(svc, "buffer_before_min", 0) * 60 * US;
    int64_t ba = svc_int(svc, "buffer_after_min", 0) * 60 * US;
    int64_t now = c.in->host->now_us();
    rc = BW_E_NOMEM;
    res = cJSON_CreateObject();
    cJSON *slots = cJSON_AddArrayToObject(res, "slots");
    if (!res || !slots)
        goto done;
    const cJSON *closed = cJSON_GetObjectItemCaseSensitive(c.cat, "closed_dates");
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(c.cat, "hours");
    char first[11];
    local_date(&c, from, first);
    int32_t y, m, d;
    bwsdk_date_parse(first, &y, &m, &d);
    int64_t day0 = bwsdk_days_from_civil(y, m, d);
    for (int64_t dn = day0;; dn++) {
        if ((rc = c.in->host->check(call)) != 0)
            goto done;
        bwsdk_civil_from_days(dn, &y, &m, &d);
        char date[11];
        snprintf(date, sizeof date, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
        int64_t midnight;
        zone_from_local(&c.zone, dn * 86400, &midnight);
        if (midnight * US >= to)
            break;
        int wday = (int)(((dn % 7) + 11) % 7);
        const cJSON *hrs = cJSON_GetObjectItemCaseSensitive(hours, day_names[wday]);
        if (str_in(closed, date) || !cJSON_IsArray(hrs))
            continue;
        int open = hhmm(bwsdk_json_string_or(hrs, "0", NULL));
        int close = hhmm(bwsdk_json_string_or(hrs, "1", NULL));
        if (open < 0 || close <= open)
            continue;
        const cJSON *prov;
        cJSON_ArrayForEach(prov, cJSON_GetObjectItemCaseSensitive(c.cat, "providers")) {
            const char *prid = bwsdk_json_string_or(prov, "id", "");
            if ((pid && strcmp(pid, prid) != 0) || !works_on(prov, wday) ||
                !str_in(cJSON_GetObjectItemCaseSensitive(prov, "services"), sid))
                continue;
            char key[KEY_MAX];
            cJSON *day = NULL;
            if ((rc = key_fmt(&c, key, "cal/", date, prid)) ||
                (rc = kv_read(&c, key, &day, NULL, NULL)))
                goto done;
            int64_t close_us;
            zone_from_local(&c.zone, dn * 86400 + (int64_t)close * 60, &close_us);
            close_us *= US;
            for (int t = open; t + (int)(dur / (60 * US)) <= close; t += c.step_min) {
                int64_t st;
                if (zone_from_local(&c.zone, dn * 86400 + (int64_t)t * 60, &st) != 0)
                    continue; /* a wall time the DST change skipped */
                st *= US;
                int64_t en = st + dur;
                if (st < from || st >= to || st < now || en > close_us)
                    continue;
                if (day && day_overlaps(day, st - bb, en + ba, NULL))
                    continue;
                char s1[BWSDK_TIME_MAX], s2[BWSDK_TIME_MAX];
                cJSON *sl = cJSON_CreateObject();
                if (!sl || fmt_time(&c, st, s1) || fmt_time(&c, en, s2)) {
                    cJSON_Delete(sl);
                    cJSON_Delete(day);
                    rc = BW_E_NOMEM;
                    goto done;
                }
                cJSON_AddItemToArray(slots, sl);
                cJSON_AddStringToObject(sl, "start", s1);
                cJSON_AddStringToObject(sl, "end", s2);
                cJSON_AddStringToObject(sl, "location_id", "main");
                cJSON_AddStringToObject(sl, "service_id", sid);
                cJSON_AddStringToObject(sl, "provider_id", prid);
            }
            cJSON_Delete(day);
        }
    }
    rc = bwsdk_json_emit(c.in->host, out, res);
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    unload(&c);
    return rc;
}

/* ------------------------------------------------------------ patients */

static int patient_by_id(struct ctx *c, const char *id, cJSON *list)
{
    char key[KEY_MAX];
    cJSON *p = NULL;
    int rc = key_fmt(c, key, "pt/", id, NULL);
    if (rc || (rc = kv_read(c, key, &p, NULL, NULL)))
        return rc;
    if (p)
        cJSON_AddItemToArray(list, p);
    return 0;
}

static void lower_copy(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    dst[i] = 0;
}

static int index_lookup(struct ctx *c, const char *fmt, const char *v, char *id, size_t cap)
{
    char key[KEY_MAX];
    const struct bw_host *h = c->in->host;
    int rc = key_fmt(c, key, fmt, v, NULL);
    if (rc)
        return rc;
    struct bw_buf *b = ctx_scratch(c);
    int32_t found = 0;
    id[0] = 0;
    if (!b || h->kv_get(c->call, key, b, &found) != 0)
        return bwsdk_error(c->err, BW_E_RETRY, NULL, "calendar storage failed");
    if (found) {
        struct bw_bytes by;
        h->buf_view(b, &by);
        bwsdk_strlcpy(id, cap, (const char *)by.ptr, by.len);
    }
    return 0;
}

static int local_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                              struct bw_buf *out, struct bw_error *err)
{
    struct ctx c = { .in = instance, .call = call, .err = err };
    cJSON *q = NULL;
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_PATIENT_QUERY, &q) != 0 || !cJSON_IsObject(q)) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "patient_query/1 expected");
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(res, "patients");
    int rc = BW_E_NOMEM;
    if (!res || !list)
        goto done;
    const char *phone = bwsdk_json_string_or(q, "phone", NULL);
    const char *email = bwsdk_json_string_or(q, "email", NULL);
    char id[128];
    if (phone && phone[0]) {
        if ((rc = index_lookup(&c, "ph/", phone, id, sizeof id)))
            goto done;
        if (id[0] && (rc = patient_by_id(&c, id, list)))
            goto done;
    }
    if (cJSON_GetArraySize(list) == 0 && email && email[0]) {
        char low[256];
        lower_copy(low, sizeof low, email);
        if ((rc = index_lookup(&c, "em/", low, id, sizeof id)))
            goto done;
        if (id[0] && (rc = patient_by_id(&c, id, list)))
            goto done;
    }
    rc = bwsdk_json_emit(c.in->host, out, res);
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

static int local_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                                const char *idempotency_key, struct bw_buf *out,
                                struct bw_error *err)
{
    struct ctx c = { .in = instance, .call = call, .err = err };
    const struct bw_host *h = c.in->host;
    cJSON *p = NULL;
    char idem_key[KEY_MAX], key[KEY_MAX], id[64];
    if (bwsdk_json_parse(patient, BW_SCHEMA_EMR_PATIENT, &p) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "patient/1 expected");
    int rc;
    const char *first = bwsdk_json_string_or(p, "first_name", "");
    const char *last = bwsdk_json_string_or(p, "last_name", "");
    const char *phone = bwsdk_json_string_or(p, "phone", "");
    const char *email = bwsdk_json_string_or(p, "email", "");
    if (!cJSON_IsObject(p) || !first[0] || !last[0] || strlen(first) > 100 || strlen(last) > 100 ||
        strlen(phone) > 16 || strlen(email) > 254) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "a patient needs a first and a last name (each at most 100 bytes)");
        goto done;
    }
    if (idempotency_key && idempotency_key[0]) {
        if ((rc = key_fmt(&c, idem_key, "idem/pc/", idempotency_key, NULL)))
            goto done;
        cJSON *prev = NULL;
        if ((rc = kv_read(&c, idem_key, &prev, NULL, NULL)))
            goto done;
        if (prev) {
            rc = bwsdk_json_emit(h, out, prev);
            cJSON_Delete(prev);
            goto done;
        }
        char seed[KEY_MAX + 8];
        snprintf(seed, sizeof seed, "pc:%s", idempotency_key);
        derive_id(&c, "p", seed, id, sizeof id);
    } else {
        idem_key[0] = 0;
        fresh_id(&c, "p", id, sizeof id);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(p, "id");
    cJSON_AddStringToObject(p, "id", id);
    if (!cJSON_GetObjectItemCaseSensitive(p, "last_name"))
        cJSON_AddStringToObject(p, "last_name", "");
    if (!cJSON_GetObjectItemCaseSensitive(p, "phone"))
        cJSON_AddStringToObject(p, "phone", "");
    if ((rc = key_fmt(&c, key, "pt/", id, NULL)) || (rc = kv_write(&c, key, p)))
        goto done;
    if (phone[0]) {
        int32_t stored = 0;
        if ((rc = key_fmt(&c, key, "ph/", phone, NULL)))
            goto done;
        if (h->kv_put_if(call, key, NULL, 0, 1, id, strlen(id), 0, &stored) != 0) {
            rc = bwsdk_error(err, BW_E_RETRY, NULL, "calendar storage failed");
            goto done;
        }
        if (!stored) {
            char other[128];
            if ((rc = index_lookup(&c, "ph/", phone, other, sizeof other)))
                goto done;
            if (strcmp(other, id) != 0) {
                rc = bwsdk_error(err, BW_E_CONFLICT, "phone_taken",
                                 "another patient has this phone");
                goto done;
            }
        }
    }
    if (email[0]) {
        char low[256];
        lower_copy(low, sizeof low, email);
        if ((rc = key_fmt(&c, key, "em/", low, NULL)) || (rc = kv_write_str(&c, key, id)))
            goto done;
    }
    if (idem_key[0] && (rc = kv_write(&c, idem_key, p)))
        goto done;
    rc = bwsdk_json_emit(h, out, p);
done:
    cJSON_Delete(p);
    return rc;
}

/* ------------------------------------------------------------ appointments */

struct book_arg {
    cJSON *entry;              /* the new entry (owned by the caller) */
    const char *idem;          /* may be "" */
    const cJSON *existing;     /* set when the key already booked (borrowed from a copy) */
    cJSON *found;              /* a copy of the entry found by its key */
    const char *skip_id;       /* reschedule: the appointment being moved */
};

static int book_mutate(struct ctx *c, cJSON *day, void *arg)
{
    struct book_arg *a = arg;
    if (a->idem[0]) {
        const cJSON *e = day_find(day, "idem", a->idem);
        if (e) {
            cJSON_Delete(a->found);
            a->found = cJSON_Duplicate(e, 1);
            return 1; /* already written */
        }
    }
    int64_t b0, b1;
    entry_block(a->entry, &b0, &b1);
    if (day_overlaps(day, b0, b1, a->skip_id))
        return bwsdk_error(c->err, BW_E_CONFLICT, "slot_taken", "the slot is no longer free");
    cJSON *appts = cJSON_GetObjectItemCaseSensitive(day, "appts");
    if (cJSON_GetArraySize(appts) >= DAY_MAX_APPTS)
        return bwsdk_error(c->err, BW_E_CONFLICT, "day_full", "the day is full");
    cJSON *dup = cJSON_Duplicate(a->entry, 1);
    if (!dup)
        return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
    cJSON_AddItemToArray(appts, dup);
    return 0;
}

/* Adds entry to the day of its start for provider; *found set when the
 * idempotency key had written it already. */
static int day_insert(struct ctx *c, const char *provider_id, cJSON *entry, const char *idem,
                      const char *skip_id, cJSON **found)
{
    char date[11], key[KEY_MAX];
    local_date(c, svc_int(entry, "s", 0), date);
    int rc = key_fmt(c, key, "cal/", date, provider_id);
    if (rc)
        return rc;
    struct book_arg a = { .entry = entry, .idem = idem ? idem : "", .skip_id = skip_id };
    rc = day_cas(c, key, book_mutate, &a);
    *found = a.found;
    if (rc == 1)
        rc = 0;
    if (rc == 0) {
        cJSON *ptr = cJSON_CreateObject();
        if (!ptr)
            return bwsdk_error(c->err, BW_E_NOMEM, NULL, "out of memory");
        cJSON_AddStringToObject(ptr, "date", date);
        cJSON_AddStringToObject(ptr, "provider", provider_id);
        char apkey[KEY_MAX];
        const char *id = bwsdk_json_string_or(a.found ? a.found : entry, "id", "");
        if ((rc = key_fmt(c, apkey, "ap/", id, NULL)) == 0)
            rc = kv_write(c, apkey, ptr);
        cJSON_Delete(ptr);
    }
    return rc;
}

static int local_book(void *instance, struct bw_call *call, const struct bw_json *req,
                      const char *idempotency_key, struct bw_buf *out, struct bw_error *err)
{
    struct ctx c;
    cJSON *q = NULL, *entry = NULL, *found = NULL, *appt = NULL;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_BOOKING_REQUEST, &q) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "booking_request/1 expected");
    int rc = load(&c, instance, call, err);
    if (rc) {
        cJSON_Delete(q);
        return rc;
    }
    const char *idem = idempotency_key ? idempotency_key : "";
    const char *sid = bwsdk_json_string_or(q, "service_id", "");
    const char *pid = bwsdk_json_string_or(q, "provider_id", "");
    const char *patient = bwsdk_json_string_or(q, "patient_id", "");
    const cJSON *svc = service(&c, sid), *prov = provider(&c, pid);
    int64_t st, en;
    if ((rc = parse_time(&c, q, "start", &st)) || (rc = parse_time(&c, q, "end", &en)))
        goto done;
    if (!svc || !prov || !str_in(cJSON_GetObjectItemCaseSensitive(prov, "services"), sid)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "the provider (required here) must exist and offer the service");
        goto done;
    }
    if (en <= st || en - st > 24LL * 3600 * US || strlen(idem) > 64) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "end must follow start within a day");
        goto done;
    }
    char id[64];
    if (idem[0]) {
        char seed[80];
        snprintf(seed, sizeof seed, "book:%s", idem);
        derive_id(&c, "a", seed, id, sizeof id);
    } else {
        fresh_id(&c, "a", id, sizeof id);
    }
    rc = BW_E_NOMEM;
    entry = cJSON_CreateObject();
    if (!entry)
        goto done;
    cJSON_AddStringToObject(entry, "id", id);
    cJSON_AddStringToObject(entry, "patient_id", patient);
    cJSON_AddStringToObject(entry, "service_id", sid);
    bwsdk_json_add_int(entry, "s", st);
    bwsdk_json_add_int(entry, "e", en);
    bwsdk_json_add_int(entry, "bb", svc_int(svc, "buffer_before_min", 0));
    bwsdk_json_add_int(entry, "ba", svc_int(svc, "buffer_after_min", 0));
    cJSON_AddStringToObject(entry, "status", "booked");
    cJSON_AddStringToObject(entry, "idem", idem);
    const char *notes = bwsdk_json_string_or(q, "notes", NULL);
    if (notes)
        cJSON_AddStringToObject(entry, "notes", notes);
    if ((rc = day_insert(&c, pid, entry, idem, NULL, &found)))
        goto done;
    appt = entry_appointment(&c, found ? found : entry, pid);
    rc = appt ? bwsdk_json_emit(c.in->host, out, appt) : BW_E_NOMEM;
done:
    cJSON_Delete(q);
    cJSON_Delete(entry);
    cJSON_Delete(found);
    cJSON_Delete(appt);
    unload(&c);
    return rc;
}

/* Reads ap/<id>: the date and provider of an appointment. */
static int locate(struct ctx *c, const char *id, char *date, char *prov, size_t pcap)
{
    char key[KEY_MAX];
    cJSON *ptr = NULL;
    int rc = key_fmt(c, key, "ap/", id, NULL);
    if (rc || (rc = kv_read(c, key, &ptr, NULL, NULL)))
        return rc;
    if (!ptr)
        return bwsdk_error(c->err, BW_E_INVAL, "not_found", "no such appointment");
    bwsdk_strlcpy(date, 11, bwsdk_json_string_or(ptr, "date", ""), 10);
    bwsdk_strlcpy(prov, pcap, bwsdk_json_string_or(ptr, "provider", ""),
                  strlen(bwsdk_json_string_or(ptr, "provider", "")));
    cJSON_Delete(ptr);
    return 0;
}

struct status_arg {
    const char *id;
    const char *status;        /* the new status */
    cJSON *entry;              /* a copy of the entry after the change */
};

static int status_mutate(struct ctx *c, cJSON *day, void *arg)
{
    struct status_arg *a = arg;
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(day, "appts")) {
        if (strcmp(bwsdk_json_string_or(e, "id", ""), a->id) != 0)
            continue;
        bool same = strcmp(bwsdk_json_string_or(e, "status", ""), a->status) == 0;
        if (!same) {
            cJSON_DeleteItemFromObjectCaseSensitive(e, "status");
            cJSON_AddStringToObject(e, "status", a->status);
        }
        cJSON_Delete(a->entry);
        a->entry = cJSON_Duplicate(e, 1);
        return same ? 1 : 0;
    }
    return bwsdk_error(c->err, BW_E_INVAL, "not_found", "no such appointment");
}

static int set_status(struct ctx *c, const char *id, const char *status, cJSON **entry,
                      char *prov, size_t pcap)
{
    char date[11], key[KEY_MAX];
    int rc = locate(c, id, date, prov, pcap);
    if (rc || (rc = key_fmt(c, key, "cal/", date, prov)))
        return rc;
    struct status_arg a = { .id = id, .status = status };
    rc = day_cas(c, key, status_mutate, &a);
    *entry = a.entry;
    return rc == 1 ? 0 : rc;
}

static int local_cancel(void *instance, struct bw_call *call, const struct bw_json *req,
                        const char *idempotency_key, struct bw_buf *out, struct bw_error *err)
{
    struct ctx c;
    cJSON *q = NULL, *entry = NULL, *appt = NULL;
    (void)idempotency_key; /* cancelling twice is the same as once */
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &q) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "cancel_request/1 expected");
    int rc = load(&c, instance, call, err);
    if (rc) {
        cJSON_Delete(q);
        return rc;
    }
    char prov[128];
    rc = set_status(&c, bwsdk_json_string_or(q, "appointment_id", ""), "cancelled", &entry, prov,
                    sizeof prov);
    if (rc == 0) {
        appt = entry ? entry_appointment(&c, entry, prov) : NULL;
        rc = appt ? bwsdk_json_emit(c.in->host, out, appt) : BW_E_NOMEM;
    }
    cJSON_Delete(q);
    cJSON_Delete(entry);
    cJSON_Delete(appt);
    unload(&c);
    return rc;
}

/*
 * Reschedule: the moved appointment is written first at its new place
 * (under a new id derived from the key, so a retry finds it), then the old
 * one is marked "rescheduled". The answer carries the new id.
 */
static int local_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                            const char *idempotency_key, struct bw_buf *out, struct bw_error *err)
{
    struct ctx c;
    cJSON *q = NULL, *old = NULL, *entry = NULL, *found = NULL, *appt = NULL;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_RESCHEDULE_REQUEST, &q) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "reschedule_request/1 expected");
    int rc = load(&c, instance, call, err);
    if (rc) {
        cJSON_Delete(q);
        return rc;
    }
    const char *id = bwsdk_json_string_or(q, "appointment_id", "");
    const char *idem = idempotency_key ? idempotency_key : "";
    char date[11], prov[128], key[KEY_MAX];
    int64_t st, en;
    if ((rc = parse_time(&c, q, "start", &st)) || (rc = parse_time(&c, q, "end", &en)) ||
        (rc = locate(&c, id, date, prov, sizeof prov)) ||
        (rc = key_fmt(&c, key, "cal/", date, prov)) ||
        (rc = kv_read(&c, key, &old, NULL, NULL)))
        goto done;
    const cJSON *cur = old ? day_find(old, "id", id) : NULL;
    if (!cur || en <= st) {
        rc = bwsdk_error(err, BW_E_INVAL, "not_found", "no such appointment, or end before start");
        goto done;
    }
    const char *newprov = bwsdk_json_string_or(q, "provider_id", prov);
    const cJSON *p = provider(&c, newprov);
    if (!p || !str_in(cJSON_GetObjectItemCaseSensitive(p, "services"),
                      bwsdk_json_string_or(cur, "service_id", ""))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the provider does not offer the service");
        goto done;
    }
    entry = cJSON_Duplicate(cur, 1);
    if (!entry) {
        rc = BW_E_NOMEM;
        goto done;
    }
    char nid[64], seed[96];
    if (idem[0]) {
        snprintf(seed, sizeof seed, "move:%s", idem);
        derive_id(&c, "a", seed, nid, sizeof nid);
    } else {
        fresh_id(&c, "a", nid, sizeof nid);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(entry, "id", cJSON_CreateString(nid));
    cJSON_ReplaceItemInObjectCaseSensitive(entry, "s", cJSON_CreateNumber((double)st));
    cJSON_ReplaceItemInObjectCaseSensitive(entry, "e", cJSON_CreateNumber((double)en));
    cJSON_ReplaceItemInObjectCaseSensitive(entry, "idem", cJSON_CreateString(idem));
    cJSON_ReplaceItemInObjectCaseSensitive(entry, "status", cJSON_CreateString("booked"));
    /* The old appointment does not block its own move (same provider). */
    if ((rc = day_insert(&c, newprov, entry, idem, strcmp(newprov, prov) == 0 ? id : NULL,
                         &found)))
        goto done;
    cJSON *oldentry = NULL;
    char p2[128];
    if ((rc = set_status(&c, id, "rescheduled", &oldentry, p2, sizeof p2)))
        goto done;
    cJSON_Delete(oldentry);
    appt = entry_appointment(&c, found ? found : entry, newprov);
    rc = appt ? bwsdk_json_emit(c.in->host, out, appt) : BW_E_NOMEM;
done:
    cJSON_Delete(q);
    cJSON_Delete(old);
    cJSON_Delete(entry);
    cJSON_Delete(found);
    cJSON_Delete(appt);
    unload(&c);
    return rc;
}

static int local_appointment_list(void *instance, struct bw_call *call,
                                  const struct bw_json *query, struct bw_buf *out,
                                  struct bw_error *err)
{
    struct ctx c;
    cJSON *q = NULL, *res = NULL, *keys = NULL;
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_APPOINTMENT_QUERY, &q) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "appointment_query/1 expected");
    int rc = load(&c, instance, call, err);
    if (rc) {
        cJSON_Delete(q);
        return rc;
    }
    const struct bw_host *h = c.in->host;
    int64_t from, to;
    const char *patient = bwsdk_json_string_or(q, "patient_id", NULL);
    if ((rc = parse_time(&c, q, "from", &from)) || (rc = parse_time(&c, q, "to", &to)))
        goto done;
    char first[11], last[11], after[KEY_MAX], lastkey[KEY_MAX];
    local_date(&c, from - 86400 * US, first);
    local_date(&c, to + 86400 * US, last);
    snprintf(after, sizeof after, "cal/%s", first);
    snprintf(lastkey, sizeof lastkey, "cal/%s/~", last);
    rc = BW_E_NOMEM;
    res = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(res, "appointments");
    if (!res || !list)
        goto done;
    for (int page = 0; page < 1000; page++) {
        struct bw_buf *b = h->buf_scratch(call);
        if (!b || h->kv_keys(call, "cal/", after, 200, b) != 0) {
            rc = bwsdk_error(err, BW_E_RETRY, NULL, "calendar storage failed");
            goto done;
        }
        struct bw_bytes v;
        h->buf_view(b, &v);
        cJSON_Delete(keys);
        keys = NULL;
        if (bwsdk_json_parse_bytes(v.ptr, v.len, &keys) != 0) {
            rc = BW_E_INTERNAL;
            goto done;
        }
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(keys, "keys"), *k;
        int n = 0;
        bool past = false;
        cJSON_ArrayForEach(k, arr) {
            n++;
            if (!cJSON_IsString(k))
                continue;
            if (strcmp(k->valuestring, lastkey) > 0) {
                past = true;
                break;
            }
            snprintf(after, sizeof after, "%s", k->valuestring);
            cJSON *day = NULL;
            if ((rc = kv_read(&c, k->valuestring, &day, NULL, NULL)))
                goto done;
            const char *prov = k->valuestring + 15; /* "cal/YYYY-MM-DD/" */
            if (strlen(k->valuestring) <= 15)
                prov = "";
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(day, "appts")) {
                int64_t s = svc_int(e, "s", 0);
                if (s < from || s >= to ||
                    (patient && strcmp(patient, bwsdk_json_string_or(e, "patient_id", "")) != 0))
                    continue;
                cJSON *a = entry_appointment(&c, e, prov);
                if (!a) {
                    cJSON_Delete(day);
                    rc = BW_E_NOMEM;
                    goto done;
                }
                cJSON_AddItemToArray(list, a);
            }
            cJSON_Delete(day);
        }
        if (past || n < 200)
            break;
    }
    rc = bwsdk_json_emit(h, out, res);
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    cJSON_Delete(keys);
    unload(&c);
    return rc;
}

static int local_deposit_log(void *instance, struct bw_call *call, const struct bw_json *deposit,
                             const char *idempotency_key, struct bw_buf *out,
                             struct bw_error *err)
{
    struct ctx c = { .in = instance, .call = call, .err = err };
    cJSON *dp = NULL, *res = NULL;
    if (bwsdk_json_parse(deposit, BW_SCHEMA_EMR_DEPOSIT, &dp) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "deposit/1 expected");
    char id[64], key[KEY_MAX], seed[160];
    int64_t amount;
    int rc;
    if (bwsdk_json_int(dp, "amount_minor", &amount) != 0 || amount < 0) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "amount_minor must be a whole number");
        goto done;
    }
    snprintf(seed, sizeof seed, "dep:%s:%s",
             idempotency_key && idempotency_key[0] ? idempotency_key : "",
             bwsdk_json_string_or(dp, "payment_reference", ""));
    if (idempotency_key && idempotency_key[0])
        derive_id(&c, "d", seed, id, sizeof id);
    else
        fresh_id(&c, "d", id, sizeof id);
    if ((rc = key_fmt(&c, key, "dep/", id, NULL)) || (rc = kv_write(&c, key, dp)))
        goto done;
    res = cJSON_CreateObject();
    if (!res) {
        rc = BW_E_NOMEM;
        goto done;
    }
    cJSON_AddStringToObject(res, "logged_as", "payment");
    cJSON_AddStringToObject(res, "id", id);
    rc = bwsdk_json_emit(c.in->host, out, res);
done:
    cJSON_Delete(dp);
    cJSON_Delete(res);
    return rc;
}

/* ------------------------------------------------------------ descriptor */

static const struct bw_emr_ops local_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = local_capabilities,
    .catalog = local_catalog,
    .availability = local_availability,
    .patient_find = local_patient_find,
    .patient_create = local_patient_create,
    .appointment_list = local_appointment_list,
    .book = local_book,
    .reschedule = local_reschedule,
    .cancel = local_cancel,
    .deposit_log = local_deposit_log,
};

static const struct bw_config_field local_config[] = {
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING,
      .key = "clinic_file", .default_value = "",
      .description = "a clinic JSON file to read the catalog from (default: the imported catalog)" },
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING,
      .key = "zoneinfo_dir", .default_value = "/usr/share/zoneinfo",
      .description = "where the system's compiled time zone files are" },
};

static const struct bw_plugin_descriptor local_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1,
    .kind = BW_KIND_EMR,
    .id = "emr.local",
    .version = "1.0.0",
    .description = "the built-in calendar: providers, hours and appointments kept by Bookwell",
    .config = local_config,
    .n_config = sizeof local_config / sizeof local_config[0],
    .instance_open = local_open,
    .instance_close = local_close,
    .health = local_health,
    .ops = &local_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    return host_major == BW_ABI_MAJOR && host_minor >= 1 ? &local_descriptor : NULL;
}
