/*
 * emr.template's storage: patients, appointments and the calendar's busy
 * cells kept in the host's per-instance key-value store (PostgreSQL), so
 * every worker thread and every bookwelld process sharing the database
 * sees one calendar. Keys:
 *   patient/<id>                the patient's record (patient/1)
 *   phone/<e164>/<id>           index for patient_find
 *   appt/<id>                   the appointment (appointment/1)
 *   busy/<provider>/<start us>  one grid cell, held by an appointment id
 *   done/<idempotency key>      the answer of a reschedule, for its retries
 * A cell is taken with compare-and-set (kv_put_if, "only when absent"), so
 * two bookings of one time cannot both succeed, whichever process runs them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

#define KEY_MAX 200
#define MAX_CELLS 96           /* one day of 15-minute cells */
#define US_PER_MIN INT64_C(60000000)

int tpl_id_from_key(const struct tpl_instance *in, const char *prefix, const char *key,
                    char out[TPL_ID_MAX])
{
    uint8_t h[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    if (!key || !key[0] ||
        in->host->digest(BW_HASH_SHA256, key, strlen(key), h, sizeof h, &n) != 0 || n < 8)
        return BW_E_INVAL;
    int w = snprintf(out, TPL_ID_MAX, "%s_", prefix);
    for (int i = 0; i < 8; i++)
        w += snprintf(out + w, (size_t)(TPL_ID_MAX - w), "%02x", h[i]);
    return 0;
}

int tpl_get(const struct tpl_instance *in, struct bw_call *call, const char *key, cJSON **doc,
            struct bw_error *err)
{
    struct bw_buf *buf = in->host->buf_scratch(call);
    struct bw_bytes v;
    int32_t found = 0;
    *doc = NULL;
    if (!buf)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    int rc = in->host->kv_get(call, key, buf, &found);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "reading the calendar failed");
    if (!found)
        return 0;
    if (in->host->buf_view(buf, &v) != 0 || bwsdk_json_parse_bytes(v.ptr, (size_t)v.len, doc) != 0)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "a stored record is not JSON");
    return 0;
}

int tpl_put(const struct tpl_instance *in, struct bw_call *call, const char *key,
            const cJSON *doc, bool only_new, int32_t *stored, struct bw_error *err)
{
    char *text = cJSON_PrintUnformatted(doc);
    int32_t ok = 1;
    if (!text)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    int rc = only_new ? in->host->kv_put_if(call, key, NULL, 0, 1, text, strlen(text), 0, &ok)
                      : in->host->kv_put(call, key, text, strlen(text), 0);
    free(text);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "writing the calendar failed");
    if (stored)
        *stored = ok;
    return 0;
}

int tpl_keys(const struct tpl_instance *in, struct bw_call *call, const char *prefix,
             int (*fn)(const char *key, void *ctx), void *ctx, struct bw_error *err)
{
    char after[KEY_MAX + 1] = "";
    const uint32_t limit = 500;
    for (;;) {
        struct bw_buf *buf = in->host->buf_scratch(call);
        struct bw_bytes v;
        cJSON *doc = NULL;
        if (!buf)
            return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        int rc = in->host->kv_keys(call, prefix, after[0] ? after : NULL, limit, buf);
        if (rc != 0)
            return bwsdk_error(err, rc, NULL, "listing the calendar failed");
        if (in->host->buf_view(buf, &v) != 0 || bwsdk_json_parse_bytes(v.ptr, (size_t)v.len, &doc))
            return bwsdk_error(err, BW_E_INTERNAL, NULL, "kv_keys answered with malformed JSON");
        uint32_t n = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, bwsdk_json_path(doc, "keys"))
        {
            if (!cJSON_IsString(it))
                continue;
            n++;
            snprintf(after, sizeof after, "%s", it->valuestring);
            if ((rc = fn(it->valuestring, ctx)) != 0) {
                cJSON_Delete(doc);
                return rc < 0 ? rc : 0;
            }
        }
        cJSON_Delete(doc);
        if (n < limit)
            return 0;
    }
}

static int cell_key(const struct tpl_instance *in, int64_t at, char out[KEY_MAX + 1])
{
    int n = snprintf(out, KEY_MAX + 1, "busy/%s/%020" PRId64, in->provider_id, at);
    return n > 0 && n <= KEY_MAX ? 0 : BW_E_INVAL;
}

/* Whether key holds exactly id. */
static int holds(const struct tpl_instance *in, struct bw_call *call, const char *key,
                 const char *id, bool *yes)
{
    struct bw_buf *buf = in->host->buf_scratch(call);
    struct bw_bytes v;
    int32_t found = 0;
    *yes = false;
    if (!buf)
        return BW_E_NOMEM;
    int rc = in->host->kv_get(call, key, buf, &found);
    if (rc == 0 && found && in->host->buf_view(buf, &v) == 0)
        *yes = v.len == strlen(id) && memcmp(v.ptr, id, v.len) == 0;
    return rc;
}

int tpl_cells_claim(const struct tpl_instance *in, struct bw_call *call, int64_t start,
                    int64_t end, const char *id, struct bw_error *err)
{
    const int64_t step = in->step_min * US_PER_MIN;
    bool mine[MAX_CELLS] = { false };
    char key[KEY_MAX + 1];
    int n = 0, rc = 0;
    /* Cells outlive the appointment by a day of business time, then expire. */
    int64_t ttl_ms = (end - in->host->now_us()) / 1000 + 86400000;
    if (ttl_ms < 86400000)
        ttl_ms = 86400000;
    for (int64_t at = start; at < end; at += step, n++) {
        int32_t stored = 0;
        bool ours = false;
        if (n >= MAX_CELLS || (rc = cell_key(in, at, key)) != 0) {
            rc = bwsdk_error(err, BW_E_INVAL, NULL, "an appointment may last at most a day");
            break;
        }
        rc = in->host->kv_put_if(call, key, NULL, 0, 1, id, strlen(id), ttl_ms, &stored);
        if (rc == 0 && !stored)
            rc = holds(in, call, key, id, &ours);
        if (rc != 0) {
            rc = bwsdk_error(err, rc, NULL, "claiming the time failed");
            break;
        }
        mine[n] = stored;
        if (!stored && !ours) {
            rc = bwsdk_error(err, BW_E_CONFLICT, NULL, "the time is taken");
            break;
        }
    }
    if (rc == 0)
        return 0;
    /* Give back what this call took; cells held before it stay held. */
    for (int i = 0; i < n && i < MAX_CELLS; i++)
        if (mine[i] && cell_key(in, start + i * step, key) == 0)
            in->host->kv_delete(call, key);
    return rc;
}

int tpl_cells_release(const struct tpl_instance *in, struct bw_call *call, int64_t start,
                      int64_t end, const char *id, int64_t keep_start, int64_t keep_end)
{
    const int64_t step = in->step_min * US_PER_MIN;
    char key[KEY_MAX + 1];
    for (int64_t at = start; at < end; at += step) {
        bool ours = false;
        if (at >= keep_start && at < keep_end)
            continue;
        /* Read, then delete: a cell is only ever re-taken after it is free,
         * so a cell that holds id now is still id's when deleted. */
        if (cell_key(in, at, key) == 0 && holds(in, call, key, id, &ours) == 0 && ours)
            in->host->kv_delete(call, key);
    }
    return 0;
}

struct cell_list {
    int64_t *at;
    size_t n, cap;
    size_t prefix_len;
};

static int add_cell(const char *key, void *ctx)
{
    struct cell_list *l = ctx;
    char *end;
    long long at = strtoll(key + l->prefix_len, &end, 10);
    if (*end)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *p = realloc(l->at, cap * sizeof *p);
        if (!p)
            return BW_E_NOMEM;
        l->at = p;
        l->cap = cap;
    }
    l->at[l->n++] = at;
    return 0;
}

int tpl_cells_list(const struct tpl_instance *in, struct bw_call *call, int64_t **out,
                   size_t *n, struct bw_error *err)
{
    char prefix[KEY_MAX + 1];
    struct cell_list l = { 0 };
    snprintf(prefix, sizeof prefix, "busy/%s/", in->provider_id);
    l.prefix_len = strlen(prefix);
    int rc = tpl_keys(in, call, prefix, add_cell, &l, err);
    if (rc != 0) {
        free(l.at);
        return rc == BW_E_NOMEM ? bwsdk_error(err, rc, NULL, "out of memory") : rc;
    }
    *out = l.at; /* keys come in byte order; zero-padded, so also in time order */
    *n = l.n;
    return 0;
}

bool tpl_cells_busy(const int64_t *busy, size_t n, int64_t start, int64_t end)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first cell at or after start */
        size_t mid = lo + (hi - lo) / 2;
        if (busy[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && busy[lo] < end;
}
