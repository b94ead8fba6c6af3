/*
 * The services table as a plugin sees it: buffers, deadline and
 * cancellation, outbound HTTP against a real local server (redirection,
 * allowlist, timeout, cancellation, headers), HMAC against the providers'
 * published signature vectors, base64, configuration readers, key-value
 * storage in PostgreSQL with business-time expiry, and counters.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "metrics.h"
#include "plugin_call.h"
#include "support/testdb.h"

static const struct bw_host *H;

static void init_services(void) { H = plugin_services(); }

TestSuite(services, .init = init_services, .timeout = 30);

/* ---- buffers ---------------------------------------------------------- */

Test(services, buffers_append_truncate_bound)
{
    struct bw_buf *b = plugin_buf_new(8);
    struct bw_bytes v;
    cr_assert_eq(H->buf_append(b, "abcd", 4), 0);
    cr_assert_eq(H->buf_append(b, "efgh", 4), 0);
    cr_assert_eq(H->buf_append(b, "i", 1), BW_E_NOMEM, "the bound holds");
    cr_assert_eq(H->buf_view(b, &v), 0);
    cr_assert_eq(v.len, 8);
    cr_assert_eq(memcmp(v.ptr, "abcdefgh", 9), 0, "NUL-terminated");
    cr_assert_eq(H->buf_truncate(b, 3), 0);
    cr_assert_eq(H->buf_view(b, &v), 0);
    cr_assert_str_eq((const char *)v.ptr, "abc");
    cr_assert_eq(H->buf_append(NULL, "x", 1), BW_E_INVAL);
    plugin_buf_free(b);
}

Test(services, scratch_buffers_are_freed_with_the_call)
{
    struct bw_call call;
    plugin_call_begin(&call, "glow", "emr.test", NULL);
    for (int i = 0; i < PLUGIN_CALL_MAX_SCRATCH; i++) {
        struct bw_buf *s = H->buf_scratch(&call);
        cr_assert_not_null(s);
        cr_assert_eq(H->buf_append(s, "data", 4), 0);
    }
    cr_assert_null(H->buf_scratch(&call), "scratch buffers are bounded per call");
    plugin_call_end(&call); /* ASan's leak check proves they are freed */
}

/* ---- deadline and cancellation ----------------------------------------- */

Test(services, check_reports_cancel_and_deadline)
{
    struct bw_call call;
    atomic_bool cancel = false;
    plugin_call_begin(&call, "glow", "emr.test", NULL);
    cr_assert_eq(H->check(&call), 0);
    cr_assert_eq(H->deadline_ms(&call), INT64_MAX);
    call.deadline_mono_ms = clock_mono_ms() + 10000;
    cr_assert(H->deadline_ms(&call) > 9000);
    call.cancelled = &cancel;
    atomic_store(&cancel, true);
    cr_assert_eq(H->check(&call), BW_E_CANCELLED);
    atomic_store(&cancel, false);
    call.deadline_mono_ms = clock_mono_ms() - 1;
    cr_assert_eq(H->check(&call), BW_E_TIMEOUT);
    cr_assert(H->deadline_ms(&call) <= 0);
    plugin_call_end(&call);
}

/* ---- HMAC against the providers' vectors ------------------------------- */

static cJSON *load_vectors(void)
{
    /* The shared vectors sit beside the checkout; BW_SHARED_DIR overrides. */
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/vectors/webhook-signatures.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/vectors/webhook-signatures.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j);
    return j;
}

static int cmp_pairs(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    int c = strcmp(x[0], y[0]);
    return c ? c : strcmp(x[1], y[1]);
}

Test(services, hmac_sha1_matches_twilio_vectors)
{
    cJSON *j = load_vectors();
    cJSON *c;
    int checked = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "twilio"), "cases"))
    {
        const char *pairs[64][2];
        int n = 0;
        cJSON *p;
        cJSON *params = cJSON_GetObjectItem(c, "params");
        cJSON *list = cJSON_GetObjectItem(c, "params_list");
        if (params)
            cJSON_ArrayForEach(p, params) { pairs[n][0] = p->string; pairs[n][1] = p->valuestring; n++; }
        if (list)
            cJSON_ArrayForEach(p, list) { pairs[n][0] = cJSON_GetArrayItem(p, 0)->valuestring; pairs[n][1] = cJSON_GetArrayItem(p, 1)->valuestring; n++; }
        qsort(pairs, (size_t)n, sizeof pairs[0], cmp_pairs);
        char data[4096];
        size_t len = (size_t)snprintf(data, sizeof data, "%s", cJSON_GetObjectItem(c, "url")->valuestring);
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(data + len, sizeof data - len, "%s%s", pairs[i][0], pairs[i][1]);
        const char *token = cJSON_GetObjectItem(c, "auth_token")->valuestring;
        uint8_t mac[BW_HASH_MAX_LEN];
        uint32_t mac_len = 0;
        char b64[64];
        uint64_t b64_len;
        cr_assert_eq(H->hmac(BW_HASH_SHA1, token, strlen(token), data, len, mac, sizeof mac, &mac_len), 0);
        cr_assert_eq(mac_len, 20);
        cr_assert_eq(H->base64_encode(0, mac, mac_len, b64, sizeof b64, &b64_len), 0);
        const char *expected = cJSON_GetObjectItem(c, "signature")->valuestring;
        int valid = cJSON_IsTrue(cJSON_GetObjectItem(c, "valid"));
        int same = strlen(expected) == b64_len && H->ct_equal(b64, expected, b64_len);
        /* The ":443" case signs a URL with the port; validators try both forms. */
        if (!same && valid && strstr(cJSON_GetObjectItem(c, "name")->valuestring, ":443")) {
            char with_port[4096];
            const char *url = cJSON_GetObjectItem(c, "url")->valuestring;
            const char *slash = strchr(url + 8, '/');
            size_t wl = (size_t)snprintf(with_port, sizeof with_port, "%.*s:443%s",
                                         (int)(slash - url), url, slash);
            for (int i = 0; i < n; i++)
                wl += (size_t)snprintf(with_port + wl, sizeof with_port - wl, "%s%s", pairs[i][0], pairs[i][1]);
            H->hmac(BW_HASH_SHA1, token, strlen(token), with_port, wl, mac, sizeof mac, &mac_len);
            H->base64_encode(0, mac, mac_len, b64, sizeof b64, &b64_len);
            same = strlen(expected) == b64_len && H->ct_equal(b64, expected, b64_len);
        }
        cr_assert_eq(same, valid, "vector '%s'", cJSON_GetObjectItem(c, "name")->valuestring);
        checked++;
    }
    cr_assert_geq(checked, 5);
    cJSON_Delete(j);
}

Test(services, hmac_sha256_matches_square_vectors)
{
    cJSON *j = load_vectors();
    cJSON *c;
    int checked = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "square"), "cases"))
    {
        const char *key = cJSON_GetObjectItem(c, "signature_key")->valuestring;
        const char *url = cJSON_GetObjectItem(c, "url")->valuestring;
        const char *body = cJSON_GetObjectItem(c, "body")->valuestring;
        size_t n = strlen(url) + strlen(body) + 1;
        char *data = malloc(n);
        snprintf(data, n, "%s%s", url, body);
        uint8_t mac[BW_HASH_MAX_LEN];
        uint32_t mac_len;
        char b64[64];
        uint64_t b64_len;
        cr_assert_eq(H->hmac(BW_HASH_SHA256, key, strlen(key), data, n - 1, mac, sizeof mac, &mac_len), 0);
        cr_assert_eq(mac_len, 32);
        H->base64_encode(0, mac, mac_len, b64, sizeof b64, &b64_len);
        const char *expected = cJSON_GetObjectItem(c, "signature")->valuestring;
        int same = strlen(expected) == b64_len && H->ct_equal(b64, expected, b64_len);
        cr_assert_eq(same, cJSON_IsTrue(cJSON_GetObjectItem(c, "valid")), "vector '%s'",
                     cJSON_GetObjectItem(c, "name")->valuestring);
        free(data);
        checked++;
    }
    cr_assert_geq(checked, 1);
    cJSON_Delete(j);
}

Test(services, hmac_and_digest_refuse_bad_arguments)
{
    uint8_t out[BW_HASH_MAX_LEN];
    uint32_t n;
    cr_assert_eq(H->hmac(99, "k", 1, "m", 1, out, sizeof out, &n), BW_E_INVAL);
    cr_assert_eq(H->hmac(BW_HASH_SHA256, "k", 1, "m", 1, out, 16, &n), BW_E_NOMEM);
    cr_assert_eq(H->digest(BW_HASH_SHA256, "abc", 3, out, sizeof out, &n), 0);
    cr_assert_eq(n, 32);
    cr_assert_eq(out[0], 0xba, "SHA-256('abc') starts ba7816bf");
    cr_assert_eq(out[1], 0x78);
}

/* ---- base64 ------------------------------------------------------------ */

Test(services, base64_rfc4648_vectors_and_variants)
{
    static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    char out[64];
    uint8_t back[64];
    uint64_t n;
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(H->base64_encode(0, plain[i], strlen(plain[i]), out, sizeof out, &n), 0);
        cr_assert_str_eq(out, coded[i]);
        cr_assert_eq(H->base64_decode(0, coded[i], strlen(coded[i]), back, sizeof back, &n), 0);
        cr_assert_eq(n, strlen(plain[i]));
        cr_assert_eq(memcmp(back, plain[i], n), 0);
    }
    const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
    cr_assert_eq(H->base64_encode(BW_BASE64_URL | BW_BASE64_NOPAD, raw, 3, out, sizeof out, &n), 0);
    cr_assert_str_eq(out, "-_-_");
    cr_assert_eq(H->base64_encode(0, raw, 3, out, sizeof out, &n), 0);
    cr_assert_str_eq(out, "+/+/");
    cr_assert_eq(H->base64_decode(BW_BASE64_NOPAD, "Zg", 2, back, sizeof back, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(H->base64_decode(0, "Zg", 2, back, sizeof back, &n), BW_E_INVAL, "padding required");
    cr_assert_eq(H->base64_decode(0, "Z!==", 4, back, sizeof back, &n), BW_E_INVAL);
    cr_assert_eq(H->base64_decode(0, "-_-_", 4, back, sizeof back, &n), BW_E_INVAL, "wrong alphabet");
    cr_assert_eq(H->base64_decode(0, "Zh==", 4, back, sizeof back, &n), BW_E_INVAL, "non-canonical");
    cr_assert_eq(H->base64_encode(0, "foobar", 6, out, 8, &n), BW_E_NOMEM);
}

Test(services, ct_equal)
{
    cr_assert_eq(H->ct_equal("abcdef", "abcdef", 6), 1);
    cr_assert_eq(H->ct_equal("abcdef", "abcdeg", 6), 0);
    cr_assert_eq(H->ct_equal("abc", NULL, 3), 0);
}

/* ---- configuration ----------------------------------------------------- */

static const struct bw_config_field fields[] = {
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "base_url", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_INT, 0, 0, "page_size", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_BOOL, 0, 0, "sandbox", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_DURATION, 0, 0, "timeout", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_SECRET, 0, 0, "api_key", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_LIST, 0, 0, "locations", NULL, NULL, 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "unset", NULL, NULL, 0, 0 },
};

Test(services, config_readers_are_typed)
{
    struct plugin_config_value v[7] = { 0 };
    char *items[] = { strdup("sf"), strdup("la") };
    for (int i = 0; i < 7; i++) {
        v[i].field = &fields[i];
        v[i].set = i != 6;
    }
    v[0].text = strdup("https://api.example.com");
    v[1].num = 50;
    v[2].num = 1;
    v[3].num = 30000;
    v[4].text = strdup("s3cret");
    v[5].items = malloc(sizeof items);
    memcpy(v[5].items, items, sizeof items);
    v[5].n_items = 2;
    struct plugin_config cfg = { malloc(sizeof v), 7 };
    memcpy(cfg.values, v, sizeof v);

    struct bw_call call;
    plugin_call_begin(&call, "glow", "emr.test", NULL);
    call.config = &cfg;
    struct bw_str s;
    int64_t i64;
    int32_t b;
    uint32_t count;
    cr_assert_eq(H->config_string(&call, "base_url", &s), 0);
    cr_assert_eq(s.len, strlen("https://api.example.com"));
    cr_assert_eq(H->config_int(&call, "page_size", &i64), 0);
    cr_assert_eq(i64, 50);
    cr_assert_eq(H->config_bool(&call, "sandbox", &b), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(H->config_duration_ms(&call, "timeout", &i64), 0);
    cr_assert_eq(i64, 30000);
    cr_assert_eq(H->secret(&call, "api_key", &s), 0);
    cr_assert_eq(memcmp(s.ptr, "s3cret", 6), 0);
    cr_assert_eq(H->config_list_count(&call, "locations", &count), 0);
    cr_assert_eq(count, 2);
    cr_assert_eq(H->config_list_item(&call, "locations", 1, &s), 0);
    cr_assert_eq(memcmp(s.ptr, "la", 2), 0);
    cr_assert_eq(H->config_list_item(&call, "locations", 2, &s), BW_E_INVAL);
    cr_assert_eq(H->config_int(&call, "base_url", &i64), BW_E_INVAL, "wrong type");
    cr_assert_eq(H->secret(&call, "base_url", &s), BW_E_INVAL, "a string is not a secret");
    cr_assert_eq(H->config_string(&call, "nope", &s), BW_E_INVAL);
    cr_assert_eq(H->config_string(&call, "unset", &s), BW_E_CONFIG);
    plugin_call_end(&call);
    plugin_config_free(&cfg);
}

/* ---- counters ---------------------------------------------------------- */

Test(services, counters_export_with_plugin_label)
{
    struct bw_call call;
    plugin_call_begin(&call, "glow", "emr.test", NULL);
    cr_assert_eq(H->counter_add(&call, "slots_read", 3), 0);
    cr_assert_eq(H->counter_add(&call, "slots_read", 2), 0);
    cr_assert_eq(H->counter_add(&call, "Bad-Name", 1), BW_E_INVAL);
    cr_assert_eq(H->counter_add(&call, "neg", -1), BW_E_INVAL);
    char *text = metrics_render(NULL);
    cr_assert(strstr(text, "bookwell_plugin_slots_read_total{plugin=\"emr.test\"} 5") != NULL, "%s", text);
    free(text);
    plugin_call_end(&call);
}

/* ---- key-value storage --------------------------------------------------- */

Test(services, kv_round_trip_scoped_and_expiring)
{
    char err[256];
    char *ci = testdb_create();
    struct db_pool *pool;
    cr_assert_eq(db_pool_open(&pool, ci, 2, 5000, err, sizeof err), 0, "%s", err);
    int64_t t0;
    clock_parse_rfc3339("2027-03-02T20:15:00Z", &t0);
    clock_use_simulated(t0);

    struct bw_call a, b;
    plugin_call_begin(&a, "glow", "emr.test", NULL);
    plugin_call_begin(&b, "other", "emr.test", NULL);
    a.pool = b.pool = pool;
    const uint8_t value[] = { 0, 1, 2, 0xff, 'x' };
    struct bw_buf *out = plugin_buf_new(0);
    int32_t found = -1;
    cr_assert_eq(H->kv_put(&a, "cursor", value, sizeof value, 0), 0);
    cr_assert_eq(H->kv_get(&a, "cursor", out, &found), 0);
    cr_assert_eq(found, 1);
    uint64_t len;
    const char *data = plugin_buf_data(out, &len);
    cr_assert_eq(len, sizeof value);
    cr_assert_eq(memcmp(data, value, sizeof value), 0, "binary-safe");
    plugin_buf_reset(out);
    cr_assert_eq(H->kv_get(&b, "cursor", out, &found), 0);
    cr_assert_eq(found, 0, "another tenant does not see it");

    cr_assert_eq(H->kv_put(&a, "token", "t", 1, 60000), 0);
    cr_assert_eq(H->kv_get(&a, "token", out, &found), 0);
    cr_assert_eq(found, 1);
    clock_set_us(t0 + 61 * 1000000LL);
    cr_assert_eq(H->kv_get(&a, "token", out, &found), 0);
    cr_assert_eq(found, 0, "expired on business time");

    cr_assert_eq(H->kv_delete(&a, "cursor"), 0);
    cr_assert_eq(H->kv_get(&a, "cursor", out, &found), 0);
    cr_assert_eq(found, 0);
    cr_assert_eq(H->kv_delete(&a, "cursor"), 0, "deleting an absent key is fine");
    cr_assert_eq(H->kv_put(&a, "", "x", 1, 0), BW_E_INVAL);
    cr_assert_eq(H->kv_put(&a, "bad\nkey", "x", 1, 0), BW_E_INVAL);
    static char big[(64 << 10) + 1];
    cr_assert_eq(H->kv_put(&a, "big", big, sizeof big, 0), BW_E_INVAL);

    plugin_buf_free(out);
    plugin_call_end(&a);
    plugin_call_end(&b);
    db_pool_close(pool);
    testdb_drop(ci);
    free(ci);
}

/* ---- outbound HTTP against a local server -------------------------------- */

struct echo_state {
    char body[4096];
    size_t len;
};

static enum MHD_Result echo(void *cls, struct MHD_Connection *conn, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls)
{
    struct echo_state *st = *con_cls;
    if (!st) {
        *con_cls = calloc(1, sizeof *st);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size < sizeof st->body - st->len - 1 ? *upload_size : sizeof st->body - st->len - 1;
        memcpy(st->body + st->len, upload, n);
        st->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/slow") == 0)
        usleep(1500000);
    char reply[8192];
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    snprintf(reply, sizeof reply, "%s %s auth=%s body=%.*s", method, url, auth ? auth : "-",
             (int)st->len, st->body);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(reply), reply, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "X-Echo", "yes");
    enum MHD_Result ok = MHD_queue_response(conn, strcmp(url, "/missing") == 0 ? 404 : 200, r);
    MHD_destroy_response(r);
    free(st);
    *con_cls = NULL;
    return ok;
}

static struct MHD_Daemon *server;
static unsigned server_port;

static void start_server(void)
{
    H = plugin_services();
    server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                              NULL, NULL, echo, NULL, MHD_OPTION_END);
    cr_assert_not_null(server);
    server_port = MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void stop_server(void) { MHD_stop_daemon(server); }

TestSuite(services_http, .init = start_server, .fini = stop_server, .timeout = 30);

static void local_call(struct bw_call *call, char *base, size_t cap)
{
    plugin_call_begin(call, "glow", "emr.test", "req-1");
    snprintf(base, cap, "http://127.0.0.1:%u", server_port);
    call->base_url = base;
}

Test(services_http, request_is_redirected_to_the_base_url)
{
    struct bw_call call;
    char base[64];
    local_call(&call, base, sizeof base);
    struct bw_http_header h[] = { { { "Authorization", 13 }, { "Bearer xyz", 10 } } };
    struct bw_http_request req = { sizeof req, 0, "POST", "https://api.provider.example/v1/items?x=1",
                                   h, 1, { (const uint8_t *)"hello", 5 }, 5000 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(H->http(&call, &req, &resp, &err), 0, "%s", err.message);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq((const char *)resp.body.ptr, "POST /v1/items auth=Bearer xyz body=hello");
    int seen = 0;
    for (uint64_t i = 0; i < resp.n_headers; i++)
        if (resp.headers[i].name.len == 6 && strncasecmp((const char *)resp.headers[i].name.ptr, "X-Echo", 6) == 0)
            seen = resp.headers[i].value.len == 3;
    cr_assert(seen, "response headers are parsed");
    plugin_call_end(&call);
}

Test(services_http, status_is_returned_not_an_error)
{
    struct bw_call call;
    char base[64];
    local_call(&call, base, sizeof base);
    struct bw_http_request req = { sizeof req, 0, "GET", "https://x.example/missing", NULL, 0, { NULL, 0 }, 5000 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(H->http(&call, &req, &resp, &err), 0);
    cr_assert_eq(resp.status, 404);
    plugin_call_end(&call);
}

Test(services_http, allowlist_refuses_other_hosts)
{
    struct bw_call call;
    char base[64];
    local_call(&call, base, sizeof base);
    const char *allow[] = { "api.provider.example", NULL };
    call.allow_hosts = allow;
    struct bw_http_request req = { sizeof req, 0, "GET", "https://evil.example/steal", NULL, 0, { NULL, 0 }, 5000 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(H->http(&call, &req, &resp, &err), BW_E_INVAL);
    req.url = "https://api.provider.example/ok";
    cr_assert_eq(H->http(&call, &req, &resp, &err), 0);
    plugin_call_end(&call);
}

Test(services_http, deadline_bounds_the_request)
{
    struct bw_call call;
    char base[64];
    local_call(&call, base, sizeof base);
    call.deadline_mono_ms = clock_mono_ms() + 300;
    struct bw_http_request req = { sizeof req, 0, "GET", "https://x.example/slow", NULL, 0, { NULL, 0 }, 0 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    int64_t t = clock_mono_ms();
    cr_assert_eq(H->http(&call, &req, &resp, &err), BW_E_TIMEOUT);
    cr_assert_lt(clock_mono_ms() - t, 1400, "gave up at the deadline, not the server's pace");
    cr_assert_eq(err.code, BW_E_TIMEOUT);
    plugin_call_end(&call);
}

static void *cancel_soon(void *arg)
{
    usleep(200000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

Test(services_http, cancellation_aborts_the_request)
{
    struct bw_call call;
    char base[64];
    atomic_bool cancel = false;
    pthread_t t;
    local_call(&call, base, sizeof base);
    call.cancelled = &cancel;
    struct bw_http_request req = { sizeof req, 0, "GET", "https://x.example/slow", NULL, 0, { NULL, 0 }, 5000 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    pthread_create(&t, NULL, cancel_soon, &cancel);
    cr_assert_eq(H->http(&call, &req, &resp, &err), BW_E_CANCELLED);
    pthread_join(t, NULL);
    cr_assert_eq(H->http(&call, &req, &resp, &err), BW_E_CANCELLED, "a cancelled call sends nothing more");
    plugin_call_end(&call);
}

Test(services_http, unreachable_is_remote_error)
{
    struct bw_call call;
    plugin_call_begin(&call, "glow", "emr.test", NULL);
    call.base_url = "http://127.0.0.1:1";
    struct bw_http_request req = { sizeof req, 0, "GET", "https://x.example/", NULL, 0, { NULL, 0 }, 2000 };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(H->http(&call, &req, &resp, &err), BW_E_REMOTE);
    cr_assert(strlen(err.message) > 0);
    plugin_call_end(&call);
}

/* Reads the buffer as a NUL-terminated string into dst. */
static const char *buf_text(struct bw_buf *b, char *dst, size_t cap)
{
    uint64_t len;
    const char *data = plugin_buf_data(b, &len);
    snprintf(dst, cap, "%.*s", (int)len, data ? data : "");
    return dst;
}

Test(services, kv_put_if_is_compare_and_set_and_kv_keys_pages)
{
    char err[256], text[512];
    char *ci = testdb_create();
    struct db_pool *pool;
    cr_assert_eq(db_pool_open(&pool, ci, 2, 5000, err, sizeof err), 0, "%s", err);
    int64_t t0;
    clock_parse_rfc3339("2027-03-02T20:15:00Z", &t0);
    clock_use_simulated(t0);
    cr_assert(BW_HAS(H, kv_put_if) && BW_HAS(H, kv_keys), "a 1.1 host offers both");

    struct bw_call a, b;
    plugin_call_begin(&a, "glow", "emr.local", NULL);
    plugin_call_begin(&b, "other", "emr.local", NULL);
    a.pool = b.pool = pool;
    struct bw_buf *out = plugin_buf_new(0);
    int32_t stored = -1, found;

    cr_assert_eq(H->kv_put_if(&a, "slot/1", NULL, 0, 1, "v1", 2, 0, &stored), 0);
    cr_expect_eq(stored, 1, "absent: stored");
    cr_assert_eq(H->kv_put_if(&a, "slot/1", NULL, 0, 1, "v2", 2, 0, &stored), 0);
    cr_expect_eq(stored, 0, "present: not stored");
    cr_assert_eq(H->kv_put_if(&a, "slot/1", "v0", 2, 0, "v3", 2, 0, &stored), 0);
    cr_expect_eq(stored, 0, "a stale expected value changes nothing");
    cr_assert_eq(H->kv_put_if(&a, "slot/1", "v1", 2, 0, "v3", 2, 0, &stored), 0);
    cr_expect_eq(stored, 1, "the current value swaps");
    cr_assert_eq(H->kv_get(&a, "slot/1", out, &found), 0);
    cr_expect_str_eq(buf_text(out, text, sizeof text), "v3");
    cr_assert_eq(H->kv_put_if(&b, "slot/1", NULL, 0, 1, "b", 1, 0, &stored), 0);
    cr_expect_eq(stored, 1, "another tenant's key is its own");

    /* An expired key counts as absent, and a missing key never equals. */
    cr_assert_eq(H->kv_put(&a, "lease", "x", 1, 1000), 0);
    cr_assert_eq(H->kv_put_if(&a, "lease", NULL, 0, 1, "y", 1, 0, &stored), 0);
    cr_expect_eq(stored, 0);
    clock_set_us(t0 + 2 * 1000000LL);
    cr_assert_eq(H->kv_put_if(&a, "lease", "x", 1, 0, "z", 1, 0, &stored), 0);
    cr_expect_eq(stored, 0, "an expired value is not the expected one");
    cr_assert_eq(H->kv_put_if(&a, "lease", NULL, 0, 1, "y", 1, 0, &stored), 0);
    cr_expect_eq(stored, 1, "an expired key is taken over");
    cr_assert_eq(H->kv_put_if(&a, "nothing", "x", 1, 0, "y", 1, 0, &stored), 0);
    cr_expect_eq(stored, 0);

    cr_assert_eq(H->kv_put(&a, "appt/2027-03-05/b", "1", 1, 0), 0);
    cr_assert_eq(H->kv_put(&a, "appt/2027-03-05/a", "1", 1, 0), 0);
    cr_assert_eq(H->kv_put(&a, "appt/2027-03-06/c", "1", 1, 0), 0);
    plugin_buf_reset(out);
    cr_assert_eq(H->kv_keys(&a, "appt/2027-03-05/", NULL, 10, out), 0);
    cr_expect_str_eq(buf_text(out, text, sizeof text),
                     "{\"keys\":[\"appt/2027-03-05/a\",\"appt/2027-03-05/b\"]}");
    plugin_buf_reset(out);
    cr_assert_eq(H->kv_keys(&a, "appt/", "appt/2027-03-05/a", 2, out), 0);
    cr_expect_str_eq(buf_text(out, text, sizeof text),
                     "{\"keys\":[\"appt/2027-03-05/b\",\"appt/2027-03-06/c\"]}");
    plugin_buf_reset(out);
    cr_assert_eq(H->kv_keys(&b, "appt/", NULL, 10, out), 0);
    cr_expect_str_eq(buf_text(out, text, sizeof text), "{\"keys\":[]}");
    cr_expect_eq(H->kv_keys(&a, "appt/", NULL, 0, out), BW_E_INVAL);

    plugin_buf_free(out);
    plugin_call_end(&a);
    plugin_call_end(&b);
    db_pool_close(pool);
    testdb_drop(ci);
    free(ci);
}
