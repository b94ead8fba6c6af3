/*
 * channel.webchat state in the host's key-value store (ABI 1.1):
 *   ev/<visitor>/<seq, 10 digits>  one event of the visitor's stream (JSON)
 *   seq/<visitor>                  the last seq claimed (a hint)
 *   rl/<kind>/<who>                a token bucket "<milli-tokens> <at_us>"
 * A stream event's id is claimed with kv_put_if(expect_absent) on its key,
 * one past the hint and upwards, with its content in the same write, so
 * ids are dense and increasing: a reader that saw id n has seen every id
 * below it (or it lapsed after history_ttl). Buckets refill on business
 * time and change by compare-and-set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/json.h>
#include <bookwell-sdk/sdk.h>

#include "webchat.h"

#define CAS_TRIES 16

static int64_t parse_i64(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9' && v < INT64_MAX / 10 - 10; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* An instant stored as "seconds.micros": a bare microsecond count is 16
 * digits, which a scan of stored data for card numbers rightly flags. A
 * bare count (written before) still reads. */
static int64_t parse_instant(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    if (!dot)
        return parse_i64(s, n);
    size_t frac = n - (size_t)(dot + 1 - s);
    int64_t us = parse_i64(dot + 1, frac);
    for (size_t i = frac; i < 6; i++)
        us *= 10;
    return parse_i64(s, (size_t)(dot - s)) * 1000000 + us;
}

int wc_stream_append(const struct wc_instance *in, struct bw_call *call, const char *visitor,
                     const char *json, int64_t *seq)
{
    const struct bw_host *h = in->host;
    char key[96], hint_key[64];
    struct bw_buf *b = h->buf_scratch(call);
    struct bw_bytes v;
    int32_t found = 0;
    if (!b)
        return BW_E_NOMEM;
    snprintf(hint_key, sizeof hint_key, "seq/%s", visitor);
    int rc = h->kv_get(call, hint_key, b, &found);
    if (rc != 0)
        return rc;
    h->buf_view(b, &v);
    int64_t n = found ? parse_i64((const char *)v.ptr, v.len) : 0;
    for (int i = 0; i < 1000; i++) {
        int32_t stored = 0;
        n++;
        snprintf(key, sizeof key, "ev/%s/%010" PRId64, visitor, n);
        rc = h->kv_put_if(call, key, NULL, 0, 1, json, strlen(json), in->history_ttl_ms,
                          &stored);
        if (rc != 0)
            return rc;
        if (stored) {
            char num[24];
            int len = snprintf(num, sizeof num, "%" PRId64, n);
            *seq = n;
            /* A stale hint only costs the next writer a few tries. */
            return h->kv_put(call, hint_key, num, (uint64_t)len, in->history_ttl_ms);
        }
    }
    return BW_E_RETRY;
}

int wc_stream_write_sse(const struct wc_instance *in, struct bw_call *call, const char *visitor,
                        int64_t after, struct bw_buf *out)
{
    const struct bw_host *h = in->host;
    char prefix[64], from[96], line[64];
    struct bw_buf *keys = h->buf_scratch(call), *val = h->buf_scratch(call);
    if (!keys || !val)
        return BW_E_NOMEM;
    snprintf(prefix, sizeof prefix, "ev/%s/", visitor);
    snprintf(from, sizeof from, "ev/%s/%010" PRId64, visitor, after < 0 ? 0 : after);
    int rc = h->kv_keys(call, prefix, from, WC_STREAM_BATCH, keys);
    if (rc != 0)
        return rc;
    struct bw_bytes kv;
    h->buf_view(keys, &kv);
    cJSON *doc = NULL;
    if (bwsdk_json_parse_bytes(kv.ptr, kv.len, &doc) != 0)
        return BW_E_RETRY;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "keys"), *k;
    cJSON_ArrayForEach(k, list) {
        if (!cJSON_IsString(k))
            continue;
        const char *name = k->valuestring;
        int64_t id = parse_i64(name + strlen(prefix), strlen(name) - strlen(prefix));
        int32_t found = 0;
        h->buf_truncate(val, 0);
        rc = h->kv_get(call, name, val, &found);
        if (rc != 0)
            break;
        if (!found)
            continue;
        struct bw_bytes ev;
        h->buf_view(val, &ev);
        int n = snprintf(line, sizeof line, "id: %" PRId64 "\nevent: message\ndata: ", id);
        if ((rc = h->buf_append(out, line, (uint64_t)n)) != 0 ||
            (rc = h->buf_append(out, ev.ptr, ev.len)) != 0 ||
            (rc = h->buf_append(out, "\n\n", 2)) != 0)
            break;
    }
    cJSON_Delete(doc);
    return rc;
}

int wc_bucket_take(const struct wc_instance *in, struct bw_call *call, const char *key,
                   int64_t burst, int64_t per_min, bool *ok)
{
    const struct bw_host *h = in->host;
    struct bw_buf *b = h->buf_scratch(call);
    if (!b)
        return BW_E_NOMEM;
    const int64_t cap = burst * 1000;
    const int64_t ttl_ms = per_min > 0 ? (burst * 60000) / per_min + 60000 : 3600000;
    for (int i = 0; i < CAS_TRIES; i++) {
        int32_t found = 0, stored = 0;
        h->buf_truncate(b, 0);
        int rc = h->kv_get(call, key, b, &found);
        if (rc != 0)
            return rc;
        struct bw_bytes cur;
        h->buf_view(b, &cur);
        char old[64] = "";
        size_t old_len = cur.len < sizeof old - 1 ? cur.len : sizeof old - 1;
        memcpy(old, cur.ptr, old_len);
        old[old_len] = '\0';
        int64_t now = h->now_us(), tokens = cap, at = now;
        if (found) {
            char *sp = strpbrk(old, "; ");
            tokens = parse_i64(old, old_len);
            at = sp ? parse_instant(sp + 1, strlen(sp + 1)) : now;
            if (now > at && per_min > 0) {
                /* per_min tokens a minute: 1000 milli-tokens each. */
                int64_t add = (now - at) / 1000 * per_min / 60;
                tokens = tokens + add > cap ? cap : tokens + add;
            }
            if (tokens > cap)
                tokens = cap;
        }
        *ok = tokens >= 1000;
        if (*ok)
            tokens -= 1000;
        char val[64];
        int n = snprintf(val, sizeof val, "%" PRId64 ";%" PRId64 ".%06" PRId64, tokens,
                         now / 1000000, now % 1000000);
        rc = h->kv_put_if(call, key, old, old_len, found ? 0 : 1, val, (uint64_t)n, ttl_ms,
                          &stored);
        if (rc != 0)
            return rc;
        if (stored)
            return 0;
    }
    return BW_E_RETRY;
}
