/*
 * The services table (struct bw_host) every plugin receives: the plugin's
 * only way into the host. Each entry checks its arguments, honours the
 * call's deadline and cancellation, and keeps to the ABI's memory rule:
 * results go into plugin-owned fixed buffers or host-owned struct bw_buf,
 * and host memory handed out lives until the call ends.
 */
#include "plugin_call.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "db.h"
#include "http_client.h"
#include "log.h"
#include "metrics.h"

#define KV_KEY_MAX 200
#define KV_VALUE_MAX (64u << 10)
#define KV_ACQUIRE_MS 2000
#define HTTP_DEFAULT_TIMEOUT_MS 30000

/* ---- logging ---------------------------------------------------------- */

static void svc_log(struct bw_call *call, uint32_t level, const char *fmt, ...)
{
    static const enum log_level map[] = { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt ? fmt : "", ap);
    va_end(ap);
    struct log_ctx ctx = { call ? call->tenant_id : NULL, call ? call->request_id : NULL };
    const char *fields[] = { "plugin", call && call->plugin_id ? call->plugin_id : "", NULL };
    log_write(map[level <= BW_LOG_ERROR ? level : BW_LOG_ERROR], &ctx, fields, "%s", msg);
}

/* ---- clocks, deadline, cancellation ----------------------------------- */

static int64_t svc_now_us(void) { return clock_now_us(); }
static int64_t svc_mono_us(void) { return clock_mono_us(); }

static int64_t svc_deadline_ms(const struct bw_call *call)
{
    if (!call || call->deadline_mono_ms == 0)
        return INT64_MAX;
    return call->deadline_mono_ms - clock_mono_ms();
}

static int svc_check(const struct bw_call *call)
{
    if (!call)
        return 0;
    if (call->cancelled && atomic_load(call->cancelled))
        return BW_E_CANCELLED;
    if (call->deadline_mono_ms && clock_mono_ms() >= call->deadline_mono_ms)
        return BW_E_TIMEOUT;
    return 0;
}

static void set_error(struct bw_error *err, int code, int http_status, const char *msg)
{
    if (!err)
        return;
    err->code = code;
    if (BW_HAS(err, http_status))
        err->http_status = http_status;
    if (BW_HAS(err, message))
        snprintf(err->message, sizeof err->message, "%s", msg);
}

/* ---- outbound HTTP ---------------------------------------------------- */

static bool host_allowed(const struct bw_call *call, const char *url)
{
    char host[256];
    if (!call || !call->allow_hosts)
        return true;
    if (http_client_url_host(url, host, sizeof host) != 0)
        return false;
    for (const char *const *h = call->allow_hosts; *h; h++)
        if (strcasecmp(*h, host) == 0)
            return true;
    return false;
}

static int svc_http(struct bw_call *call, const struct bw_http_request *req,
                    struct bw_http_response *resp, struct bw_error *err)
{
    struct http_client_header hdrs[64];
    struct http_client_response r;
    char why[160];
    int rc = svc_check(call);

    if (rc != 0) {
        set_error(err, rc, 0, rc == BW_E_CANCELLED ? "cancelled" : "deadline passed");
        return rc;
    }
    if (!call || !req || !resp || !BW_HAS(req, timeout_ms) || !req->method || !req->url ||
        req->n_headers > 64 || resp->struct_size < sizeof(uint32_t) * 2) {
        set_error(err, BW_E_INVAL, 0, "invalid HTTP request");
        return BW_E_INVAL;
    }
    if (!host_allowed(call, req->url)) {
        set_error(err, BW_E_INVAL, 0, "host not in this instance's allowlist");
        return BW_E_INVAL;
    }
    char *rebased = NULL;
    const char *url = req->url;
    if (call->base_url) {
        rebased = http_client_rebase(req->url, call->base_url);
        if (!rebased) {
            set_error(err, BW_E_INVAL, 0, "URL cannot be redirected");
            return BW_E_INVAL;
        }
        url = rebased;
    }
    for (uint64_t i = 0; i < req->n_headers; i++) {
        /* Header strings are length-delimited; libcurl wants C strings. */
        char *name = strndup((const char *)req->headers[i].name.ptr, req->headers[i].name.len);
        char *value = strndup((const char *)req->headers[i].value.ptr, req->headers[i].value.len);
        hdrs[i].name = plugin_call_own(call, name);
        hdrs[i].value = plugin_call_own(call, value);
        if (!hdrs[i].name || !hdrs[i].value) {
            free(rebased);
            set_error(err, BW_E_NOMEM, 0, "too many headers for one call");
            return BW_E_NOMEM;
        }
    }
    int64_t left = svc_deadline_ms(call);
    int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    if (left < timeout)
        timeout = left > 0 ? left : 1;
    struct http_client_request hr = {
        .method = req->method,
        .url = url,
        .headers = hdrs,
        .n_headers = (size_t)req->n_headers,
        .body = req->body.len ? req->body.ptr : NULL,
        .body_len = (size_t)req->body.len,
        .timeout_ms = timeout,
        .cancelled = call->cancelled,
    };
    rc = http_client_perform(&hr, &r, why, sizeof why);
    free(rebased);
    if (rc == HTTP_CLIENT_TIMEOUT || rc == HTTP_CLIENT_CANCELLED || rc == HTTP_CLIENT_FAILED ||
        rc == HTTP_CLIENT_INVALID) {
        int code = rc == HTTP_CLIENT_TIMEOUT ? BW_E_TIMEOUT
                   : rc == HTTP_CLIENT_CANCELLED ? BW_E_CANCELLED
                   : rc == HTTP_CLIENT_INVALID ? BW_E_INVAL : BW_E_REMOTE;
        set_error(err, code, 0, why);
        return code;
    }
    /* Hand the response's memory to the call; it is freed when the call ends. */
    struct bw_http_header *out = calloc(r.n_headers ? r.n_headers : 1, sizeof *out);
    if (!out || !plugin_call_own(call, r.body) || !plugin_call_own(call, r.header_block) ||
        !plugin_call_own(call, out)) {
        free(r.headers);
        set_error(err, BW_E_NOMEM, 0, "out of memory");
        return BW_E_NOMEM;
    }
    for (size_t i = 0; i < r.n_headers; i++) {
        out[i].name.ptr = r.headers[i].name;
        out[i].name.len = strlen(r.headers[i].name);
        out[i].value.ptr = r.headers[i].value;
        out[i].value.len = strlen(r.headers[i].value);
    }
    free(r.headers);
    resp->status = (int32_t)r.status;
    if (BW_HAS(resp, n_headers)) {
        resp->headers = out;
        resp->n_headers = r.n_headers;
    }
    if (BW_HAS(resp, body)) {
        resp->body.ptr = (const uint8_t *)r.body;
        resp->body.len = r.body_len;
    }
    return 0;
}

/* ---- hashes and encodings --------------------------------------------- */

static const EVP_MD *md_for(uint32_t alg)
{
    return alg == BW_HASH_SHA1 ? EVP_sha1() : alg == BW_HASH_SHA256 ? EVP_sha256() : NULL;
}

static int svc_hmac(uint32_t alg, const void *key, uint64_t key_len, const void *msg,
                    uint64_t msg_len, uint8_t *out, uint32_t out_cap, uint32_t *out_len)
{
    const EVP_MD *md = md_for(alg);
    unsigned int n = 0;
    if (!md || !out || !out_len || (!key && key_len) || (!msg && msg_len) || key_len > INT32_MAX)
        return BW_E_INVAL;
    if (out_cap < (uint32_t)EVP_MD_size(md))
        return BW_E_NOMEM;
    if (!HMAC(md, key ? key : "", (int)key_len, msg ? msg : (const void *)"", (size_t)msg_len,
              out, &n))
        return BW_E_INTERNAL;
    *out_len = n;
    return 0;
}

static int svc_digest(uint32_t alg, const void *data, uint64_t len, uint8_t *out,
                      uint32_t out_cap, uint32_t *out_len)
{
    const EVP_MD *md = md_for(alg);
    unsigned int n = 0;
    if (!md || !out || !out_len || (!data && len))
        return BW_E_INVAL;
    if (out_cap < (uint32_t)EVP_MD_size(md))
        return BW_E_NOMEM;
    if (!EVP_Digest(data ? data : "", (size_t)len, out, &n, md, NULL))
        return BW_E_INTERNAL;
    *out_len = n;
    return 0;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int svc_b64_encode(uint32_t flags, const void *data, uint64_t len, char *out,
                          uint64_t out_cap, uint64_t *out_len)
{
    const char *abc = (flags & BW_BASE64_URL) ? b64_url : b64_std;
    const uint8_t *in = data;
    uint64_t need = (len + 2) / 3 * 4;
    if ((!data && len) || !out || !out_len)
        return BW_E_INVAL;
    if (need + 1 > out_cap)
        return BW_E_NOMEM;
    uint64_t o = 0;
    for (uint64_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = abc[(v >> 6) & 63];
        else if (!(flags & BW_BASE64_NOPAD))
            out[o++] = '=';
        if (i + 2 < len)
            out[o++] = abc[v & 63];
        else if (!(flags & BW_BASE64_NOPAD))
            out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

static int b64_value(const char *abc, char c)
{
    const char *p = c ? strchr(abc, c) : NULL;
    return p ? (int)(p - abc) : -1;
}

static int svc_b64_decode(uint32_t flags, const char *text, uint64_t len, uint8_t *out,
                          uint64_t out_cap, uint64_t *out_len)
{
    const char *abc = (flags & BW_BASE64_URL) ? b64_url : b64_std;
    if ((!text && len) || !out_len || (!out && len))
        return BW_E_INVAL;
    uint64_t pad = 0;
    while (len > 0 && text[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (pad && (len + pad) % 4 != 0)
        return BW_E_INVAL;
    if (!pad && !(flags & BW_BASE64_NOPAD) && len % 4 != 0)
        return BW_E_INVAL;
    if (len % 4 == 1)
        return BW_E_INVAL;
    uint64_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > out_cap)
        return BW_E_NOMEM;
    uint64_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (uint64_t i = 0; i < len; i++) {
        int v = b64_value(abc, text[i]);
        if (v < 0)
            return BW_E_INVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Unused trailing bits must be zero (canonical encoding). */
    if (bits && (acc & ((1u << bits) - 1)))
        return BW_E_INVAL;
    *out_len = o;
    return 0;
}

static int svc_ct_equal(const void *a, const void *b, uint64_t len)
{
    if (!a || !b)
        return 0;
    return CRYPTO_memcmp(a, b, (size_t)len) == 0;
}

/* ---- configuration and secrets ---------------------------------------- */

static const struct plugin_config_value *config_value(struct bw_call *call, const char *key,
                                                      uint32_t type, int *rc)
{
    const struct plugin_config_value *v = call ? plugin_config_get(call->config, key) : NULL;
    if (!v || v->field->type != type) {
        *rc = BW_E_INVAL;
        return NULL;
    }
    if (!v->set) {
        *rc = BW_E_CONFIG;
        return NULL;
    }
    *rc = 0;
    return v;
}

static int svc_config_string(struct bw_call *call, const char *key, struct bw_str *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_STRING, &rc);
    if (v && out) {
        out->ptr = v->text;
        out->len = strlen(v->text);
    }
    return out ? rc : BW_E_INVAL;
}

static int svc_config_int(struct bw_call *call, const char *key, int64_t *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_INT, &rc);
    if (v && out)
        *out = v->num;
    return out ? rc : BW_E_INVAL;
}

static int svc_config_bool(struct bw_call *call, const char *key, int32_t *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_BOOL, &rc);
    if (v && out)
        *out = v->num ? 1 : 0;
    return out ? rc : BW_E_INVAL;
}

static int svc_config_duration(struct bw_call *call, const char *key, int64_t *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_DURATION, &rc);
    if (v && out)
        *out = v->num;
    return out ? rc : BW_E_INVAL;
}

static int svc_config_list_count(struct bw_call *call, const char *key, uint32_t *count)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_LIST, &rc);
    if (v && count)
        *count = v->n_items;
    return count ? rc : BW_E_INVAL;
}

static int svc_config_list_item(struct bw_call *call, const char *key, uint32_t index,
                                struct bw_str *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_LIST, &rc);
    if (!v || !out)
        return out ? rc : BW_E_INVAL;
    if (index >= v->n_items)
        return BW_E_INVAL;
    out->ptr = v->items[index];
    out->len = strlen(v->items[index]);
    return 0;
}

static int svc_secret(struct bw_call *call, const char *key, struct bw_str *out)
{
    int rc;
    const struct plugin_config_value *v = config_value(call, key, BW_CFG_SECRET, &rc);
    if (v && out) {
        out->ptr = v->text;
        out->len = strlen(v->text);
    }
    return out ? rc : BW_E_INVAL;
}

/* ---- key-value storage ------------------------------------------------ */

DB_STMT(st_kv_get,
        "SELECT value FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3 "
        "AND (expires_at IS NULL OR expires_at > $4::timestamptz)");
DB_STMT(st_kv_put,
        "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, expires_at) "
        "VALUES ($1, $2, $3, decode($4, 'base64'), $5::timestamptz) "
        "ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = EXCLUDED.value, "
        "expires_at = EXCLUDED.expires_at, updated_at = now()");
DB_STMT(st_kv_delete,
        "DELETE FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3");

static bool kv_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > KV_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isprint((unsigned char)key[i]))
            return false;
    return true;
}

/* Runs a kv statement with the call's pool; *res receives the result. */
static int kv_exec(struct bw_call *call, struct db_stmt *st, int n, const char *const *params,
                   PGresult **res)
{
    int rc = svc_check(call);
    if (rc != 0)
        return rc;
    if (!call->pool || !call->tenant_id)
        return BW_E_INTERNAL;
    struct db_conn *c = db_acquire(call->pool, KV_ACQUIRE_MS);
    if (!c)
        return BW_E_RETRY;
    *res = db_exec(c, st, n, params);
    db_release(call->pool, c);
    return db_ok(*res) ? 0 : BW_E_RETRY;
}

static int svc_kv_get(struct bw_call *call, const char *key, struct bw_buf *out, int32_t *found)
{
    char now[32];
    PGresult *r = NULL;
    if (!call || !kv_key_ok(key) || !out || !found)
        return BW_E_INVAL;
    const char *p[] = { call->tenant_id, call->plugin_id, key, clock_format_utc(clock_now_us(), now) };
    int rc = kv_exec(call, &st_kv_get, 4, p, &r);
    if (rc == 0) {
        *found = PQntuples(r) == 1;
        if (*found) {
            size_t len = 0;
            unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
            rc = raw ? plugin_buf_append(out, raw, len) : BW_E_NOMEM;
            PQfreemem(raw);
        }
    }
    PQclear(r);
    return rc;
}

static int svc_kv_put(struct bw_call *call, const char *key, const void *value, uint64_t len,
                      int64_t ttl_ms)
{
    char expires[32];
    uint64_t enc_len;
    PGresult *r = NULL;
    if (!call || !kv_key_ok(key) || (!value && len) || len > KV_VALUE_MAX || ttl_ms < 0)
        return BW_E_INVAL;
    char *encoded = malloc((size_t)((len + 2) / 3 * 4 + 1));
    if (!encoded)
        return BW_E_NOMEM;
    svc_b64_encode(0, value, len, encoded, (len + 2) / 3 * 4 + 1, &enc_len);
    const char *p[] = { call->tenant_id, call->plugin_id, key, encoded,
                        ttl_ms > 0 ? clock_format_utc(clock_now_us() + ttl_ms * 1000, expires) : NULL };
    int rc = kv_exec(call, &st_kv_put, 5, p, &r);
    PQclear(r);
    free(encoded);
    return rc;
}

static int svc_kv_delete(struct bw_call *call, const char *key)
{
    PGresult *r = NULL;
    if (!call || !kv_key_ok(key))
        return BW_E_INVAL;
    const char *p[] = { call->tenant_id, call->plugin_id, key };
    int rc = kv_exec(call, &st_kv_delete, 3, p, &r);
    PQclear(r);
    return rc;
}

/* Compare-and-set (1.1). Each statement is one atomic row operation, so
 * two processes holding the same expected value cannot both store: the
 * second waits on the row lock and then sees the first one's value. */
DB_STMT(st_kv_put_if_absent,
        "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, expires_at) "
        "VALUES ($1, $2, $3, decode($4, 'base64'), $5::timestamptz) "
        "ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = EXCLUDED.value, "
        "expires_at = EXCLUDED.expires_at, updated_at = now() "
        "WHERE plugin_kv.expires_at IS NOT NULL AND plugin_kv.expires_at <= $6::timestamptz "
        "RETURNING 1");
DB_STMT(st_kv_put_if_equal,
        "UPDATE plugin_kv SET value = decode($4, 'base64'), expires_at = $5::timestamptz, "
        "updated_at = now() WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3 "
        "AND value = decode($7, 'base64') "
        "AND (expires_at IS NULL OR expires_at > $6::timestamptz) RETURNING 1");
DB_STMT(st_kv_keys,
        "SELECT key FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 "
        "AND starts_with(key, $3) AND ($4::text IS NULL OR key COLLATE \"C\" > $4::text) "
        "AND (expires_at IS NULL OR expires_at > $5::timestamptz) "
        "ORDER BY key COLLATE \"C\" LIMIT $6::int");

/* A base64 copy of len bytes of data (malloc'd), or NULL. */
static char *kv_b64(const void *data, uint64_t len)
{
    uint64_t cap = (len + 2) / 3 * 4 + 1, n;
    char *out = malloc((size_t)cap);
    if (out && svc_b64_encode(0, data, len, out, cap, &n) != 0) {
        free(out);
        out = NULL;
    }
    return out;
}

static int svc_kv_put_if(struct bw_call *call, const char *key, const void *expected,
                         uint64_t expected_len, int32_t expect_absent, const void *value,
                         uint64_t len, int64_t ttl_ms, int32_t *stored)
{
    char expires[32], now[32];
    PGresult *r = NULL;
    int rc = BW_E_NOMEM;
    if (!call || !kv_key_ok(key) || (!value && len) || len > KV_VALUE_MAX || ttl_ms < 0 ||
        !stored || (!expect_absent && !expected && expected_len) || expected_len > KV_VALUE_MAX)
        return BW_E_INVAL;
    *stored = 0;
    int64_t now_us = clock_now_us();
    char *enc = kv_b64(value, len);
    char *enc_expected = expect_absent ? NULL : kv_b64(expected, expected_len);
    if (!enc || (!expect_absent && !enc_expected))
        goto out;
    const char *p[] = { call->tenant_id, call->plugin_id, key, enc,
                        ttl_ms > 0 ? clock_format_utc(now_us + ttl_ms * 1000, expires) : NULL,
                        clock_format_utc(now_us, now), enc_expected };
    rc = kv_exec(call, expect_absent ? &st_kv_put_if_absent : &st_kv_put_if_equal,
                 expect_absent ? 6 : 7, p, &r);
    if (rc == 0)
        *stored = PQntuples(r) == 1;
out:
    PQclear(r);
    free(enc);
    free(enc_expected);
    return rc;
}

static int svc_kv_keys(struct bw_call *call, const char *prefix, const char *after,
                       uint32_t limit, struct bw_buf *out)
{
    char now[32], lim[16];
    PGresult *r = NULL;
    if (!call || !prefix || strlen(prefix) > KV_KEY_MAX || (after && !kv_key_ok(after)) ||
        limit < 1 || limit > 1000 || !out)
        return BW_E_INVAL;
    snprintf(lim, sizeof lim, "%u", limit);
    const char *p[] = { call->tenant_id, call->plugin_id, prefix, after,
                        clock_format_utc(clock_now_us(), now), lim };
    int rc = kv_exec(call, &st_kv_keys, 6, p, &r);
    if (rc != 0)
        goto out;
    cJSON *doc = cJSON_CreateObject();
    cJSON *keys = doc ? cJSON_AddArrayToObject(doc, "keys") : NULL;
    rc = keys ? 0 : BW_E_NOMEM;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        if (!cJSON_AddItemToArray(keys, cJSON_CreateString(PQgetvalue(r, i, 0))))
            rc = BW_E_NOMEM;
    char *text = rc == 0 ? cJSON_PrintUnformatted(doc) : NULL;
    if (rc == 0)
        rc = text ? plugin_buf_append(out, text, strlen(text)) : BW_E_NOMEM;
    cJSON_free(text);
    cJSON_Delete(doc);
out:
    PQclear(r);
    return rc;
}

/* ---- counters --------------------------------------------------------- */

static int svc_counter_add(struct bw_call *call, const char *name, int64_t delta)
{
    char metric[96];
    size_t n = name ? strlen(name) : 0;
    if (!call || n == 0 || n > 63 || delta < 0 || !(name[0] >= 'a' && name[0] <= 'z'))
        return BW_E_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return BW_E_INVAL;
    snprintf(metric, sizeof metric, "bookwell_plugin_%s_total", name);
    metrics_counter_add(metric, "plugin", call->plugin_id, (uint64_t)delta);
    return 0;
}

/* ---- the table -------------------------------------------------------- */

static const struct bw_host services = {
    .struct_size = sizeof(struct bw_host),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .log = svc_log,
    .buf_append = plugin_buf_append,
    .buf_truncate = plugin_buf_truncate,
    .buf_view = plugin_buf_view,
    .buf_scratch = plugin_buf_scratch,
    .now_us = svc_now_us,
    .mono_us = svc_mono_us,
    .deadline_ms = svc_deadline_ms,
    .check = svc_check,
    .http = svc_http,
    .hmac = svc_hmac,
    .digest = svc_digest,
    .base64_encode = svc_b64_encode,
    .base64_decode = svc_b64_decode,
    .ct_equal = svc_ct_equal,
    .config_string = svc_config_string,
    .config_int = svc_config_int,
    .config_bool = svc_config_bool,
    .config_duration_ms = svc_config_duration,
    .config_list_count = svc_config_list_count,
    .config_list_item = svc_config_list_item,
    .secret = svc_secret,
    .kv_get = svc_kv_get,
    .kv_put = svc_kv_put,
    .kv_delete = svc_kv_delete,
    .counter_add = svc_counter_add,
    .kv_put_if = svc_kv_put_if,
    .kv_keys = svc_kv_keys,
};

const struct bw_host *plugin_services(void) { return &services; }
