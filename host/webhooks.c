/*
 * Provider webhooks on the public listener:
 *   POST /webhooks/{provider}/{endpoint}           (routed by the plugin's webhook_route)
 *   POST /webhooks/{provider}/{endpoint}/{tenant}  (routed by the URL)
 *   GET  /webhooks/{provider}/{endpoint}/{tenant}  (subscription handshakes)
 *   GET|OPTIONS /webhooks/{provider}/{endpoint}    (browser widgets: scripts,
 *                                                   event streams, preflights)
 * The plugin is channel.{provider}, else payment.{provider}. Without a
 * tenant segment, the plugin's webhook_route reads the request's route key
 * (Twilio: the To number) and the tenant is the one whose instance reports
 * that key through route_keys (cached per registry generation). The
 * instance's webhook op verifies the signature (BW_E_AUTH: 403, nothing
 * stored) and normalizes the request into events; each event is redacted,
 * recorded in the inbox (a redelivery changes nothing) and, when new,
 * queued as a job, all in one transaction; only after the commit does the
 * provider get the reply the plugin set. Plugin calls run on the plugin
 * call pool, never on the listener's threads. Bodies are never logged.
 * A request with an Origin listed in the instance's `allowed_origins`
 * (a LIST key of the plugin's schema, "*" for any) is answered with CORS
 * headers for that origin.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bookwell/channel.h>
#include <bookwell/payment.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "messaging_events.h"
#include "plugin_pool.h"
#include "plugin_registry.h"
#include "routes.h"

#define WEBHOOK_CALL_TIMEOUT_MS 10000
#define WEBHOOK_MAX_HEADERS 128
#define WEBHOOK_MAX_EVENTS 100
#define WEBHOOK_URL_MAX 4096
#define ROUTE_VALUE_MAX 256

/* ---------------------------------------------------------- route keys */

struct route_entry {
    char plugin[72];
    char type[16];
    char value[ROUTE_VALUE_MAX];
    char tenant[64];
};

/* The route keys of every instance of the plugins asked about so far, valid
 * for one registry generation. */
static struct {
    pthread_mutex_t mu;
    uint64_t generation;
    struct route_entry *entries;
    size_t n, cap;
    char (*loaded)[72];
    size_t n_loaded;
} cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int cache_add(const char *plugin, const char *type, const char *value, const char *tenant)
{
    if (strlen(value) >= ROUTE_VALUE_MAX || strlen(type) >= 16)
        return 0;
    if (cache.n == cache.cap) {
        size_t cap = cache.cap ? cache.cap * 2 : 64;
        struct route_entry *grown = realloc(cache.entries, cap * sizeof *grown);
        if (!grown)
            return -1;
        cache.entries = grown;
        cache.cap = cap;
    }
    struct route_entry *e = &cache.entries[cache.n++];
    snprintf(e->plugin, sizeof e->plugin, "%s", plugin);
    snprintf(e->type, sizeof e->type, "%s", type);
    snprintf(e->value, sizeof e->value, "%s", value);
    snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
    return 0;
}

static int call_route_keys(const struct registry_handle *h, struct bw_call *call,
                           struct bw_buf *out, struct bw_error *err)
{
    if (h->desc->kind == BW_KIND_CHANNEL) {
        const struct bw_channel_ops *ops = h->desc->ops;
        return ops->route_keys ? ops->route_keys(h->instance, call, out, err) : BW_E_NOTSUP;
    }
    const struct bw_payment_ops *ops = h->desc->ops;
    if (!BW_HAS(ops, route_keys) || !ops->route_keys)
        return BW_E_NOTSUP;
    return ops->route_keys(h->instance, call, out, err);
}

/* Asks every tenant's instance of plugin for its keys. cache.mu held. */
static int cache_load(struct registry *reg, const char *plugin, char **tenants, size_t n,
                      const char *request_id)
{
    for (size_t i = 0; i < n; i++) {
        struct registry_handle h;
        if (registry_acquire(reg, tenants[i], plugin, &h) != 0)
            continue;
        struct bw_buf *out = plugin_buf_new(256 * 1024);
        struct bw_error err = { .struct_size = sizeof err };
        struct bw_call call;
        int rc = BW_E_NOMEM;
        if (out) {
            registry_call_begin(&h, &call, request_id, WEBHOOK_CALL_TIMEOUT_MS);
            rc = call_route_keys(&h, &call, out, &err);
            registry_call_end(&h, &call);
        }
        if (rc == 0) {
            uint64_t len;
            const char *text = plugin_buf_data(out, &len);
            cJSON *o = cJSON_ParseWithLength(text, (size_t)len);
            const cJSON *keys = cJSON_GetObjectItemCaseSensitive(o, "keys"), *k;
            cJSON_ArrayForEach(k, keys) {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(k, "type");
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(k, "value");
                if (cJSON_IsString(t) && cJSON_IsString(v) &&
                    cache_add(plugin, t->valuestring, v->valuestring, tenants[i]) != 0)
                    rc = BW_E_NOMEM;
            }
            cJSON_Delete(o);
        } else if (rc != BW_E_NOTSUP) {
            struct log_ctx lc = { tenants[i], request_id };
            const char *fields[] = { "plugin", plugin, "error", bw_strerror(rc), NULL };
            log_write(LOG_WARN, &lc, fields, "route_keys failed; webhooks for it are not routed");
        }
        plugin_buf_free(out);
        registry_release(&h);
        if (rc == BW_E_NOMEM)
            return -1;
    }
    return 0;
}

/* The tenant of (plugin, type, value), or -1 when no instance reports it. */
static int route_lookup(struct registry *reg, const char *plugin, const char *type,
                        const char *value, char *tenant, size_t cap, const char *request_id)
{
    char **tenants = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    if (registry_tenants_with(reg, plugin, &tenants, &n, &gen) != 0)
        return -1;
    int found = -1;
    pthread_mutex_lock(&cache.mu);
    if (cache.generation != gen) {
        cache.n = 0;
        cache.n_loaded = 0;
        cache.generation = gen;
    }
    bool loaded = false;
    for (size_t i = 0; i < cache.n_loaded && !loaded; i++)
        loaded = strcmp(cache.loaded[i], plugin) == 0;
    if (!loaded) {
        char(*grown)[72] = realloc(cache.loaded, (cache.n_loaded + 1) * sizeof *grown);
        if (grown && cache_load(reg, plugin, tenants, n, request_id) == 0) {
            cache.loaded = grown;
            snprintf(cache.loaded[cache.n_loaded++], 72, "%s", plugin);
        } else if (grown) {
            cache.loaded = grown;
        }
    }
    for (size_t i = 0; i < cache.n && found < 0; i++) {
        const struct route_entry *e = &cache.entries[i];
        if (strcmp(e->plugin, plugin) == 0 && strcmp(e->type, type) == 0 &&
            strcmp(e->value, value) == 0) {
            snprintf(tenant, cap, "%s", e->tenant);
            found = 0;
        }
    }
    pthread_mutex_unlock(&cache.mu);
    for (size_t i = 0; i < n; i++)
        free(tenants[i]);
    free(tenants);
    return found;
}

/* ---------------------------------------------------------- the request */

struct hook_task {
    struct daemon *d;
    struct http_deferred *deferred;
    char provider[48], endpoint[48], tenant[64];
    char url[WEBHOOK_URL_MAX];
    size_t url_len;
    struct bw_http_header headers[WEBHOOK_MAX_HEADERS];
    uint64_t n_headers;
    char *names[WEBHOOK_MAX_HEADERS], *values[WEBHOOK_MAX_HEADERS];
    char remote[64];
    char cors_origin[256];
};

static void task_free(struct hook_task *t)
{
    for (uint64_t i = 0; i < t->n_headers; i++) {
        free(t->names[i]);
        free(t->values[i]);
    }
    free(t);
}

static void copy_header(const char *name, const char *value, void *ctx)
{
    struct hook_task *t = ctx;
    if (t->n_headers >= WEBHOOK_MAX_HEADERS || !name)
        return;
    char *n = strdup(name), *v = strdup(value ? value : "");
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    uint64_t i = t->n_headers++;
    t->names[i] = n;
    t->values[i] = v;
    t->headers[i] = (struct bw_http_header){ { n, strlen(n) }, { v, strlen(v) } };
}

static void url_append(struct hook_task *t, const char *s, bool encode)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = !encode || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (t->url_len + 4 >= sizeof t->url)
            return;
        if (plain) {
            t->url[t->url_len++] = (char)c;
        } else {
            t->url[t->url_len++] = '%';
            t->url[t->url_len++] = hex[c >> 4];
            t->url[t->url_len++] = hex[c & 15];
        }
    }
    t->url[t->url_len] = '\0';
}

static void copy_query(const char *name, const char *value, void *ctx)
{
    struct hook_task *t = ctx;
    url_append(t, strchr(t->url, '?') ? "&" : "?", false);
    url_append(t, name, true);
    if (value) {
        url_append(t, "=", false);
        url_append(t, value, true);
    }
}

/* The URL the provider called, as far as the request shows it: scheme from
 * X-Forwarded-Proto, the Host header, the path and the query string. */
static void build_url(struct hook_task *t, struct http_request *req)
{
    const char *proto = http_header(req, "X-Forwarded-Proto");
    const char *host = http_header(req, "Host");
    t->url_len = 0;
    t->url[0] = '\0';
    url_append(t, proto && strcmp(proto, "https") == 0 ? "https://" : "http://", false);
    url_append(t, host ? host : "localhost", false);
    url_append(t, req->path, false);
    http_each_pair(req, 1, copy_query, t);
}

static void reply_error(struct hook_task *t, int status, const char *code, const char *message)
{
    struct http_request *req = http_deferred_request(t->deferred);
    struct http_response resp = { 0 };
    http_reply_error(req, &resp, status, code, message);
    http_deferred_complete(t->deferred, &resp);
}

static void hook_log(const struct hook_task *t, const char *tenant, enum log_level lvl,
                     const char *plugin, const char *msg, const char *detail)
{
    struct http_request *req = http_deferred_request(t->deferred);
    struct log_ctx lc = { tenant && tenant[0] ? tenant : NULL, req->request_id };
    const char *fields[] = { "provider", t->provider, "endpoint", t->endpoint, "plugin",
                             plugin ? plugin : "", "detail", detail ? detail : "", NULL };
    log_write(lvl, &lc, fields, "%s", msg);
}

/* The content types a provider may be answered with (static strings, as
 * the response needs). */
static const char *content_type_of(const char *ct)
{
    static const char *const known[] = { "application/json", "text/xml", "application/xml",
                                         "text/html", "text/plain", "application/javascript",
                                         "text/event-stream" };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(ct, known[i], strlen(known[i])) == 0)
            return known[i];
    return "text/plain";
}

/* The plugin serving provider: channel.{provider}, else payment.{provider}.
 * Fills plugin and tenants. */
static int find_plugin(struct hook_task *t, char *plugin, size_t cap, char ***tenants, size_t *n)
{
    static const char *const kinds[] = { "channel", "payment" };
    for (size_t k = 0; k < 2; k++) {
        uint64_t gen;
        snprintf(plugin, cap, "%s.%s", kinds[k], t->provider);
        if (registry_tenants_with(t->d->registry, plugin, tenants, n, &gen) != 0)
            return -1;
        if (*n > 0)
            return 0;
        free(*tenants);
        *tenants = NULL;
    }
    return -1;
}

/* The tenant of a request without a tenant segment, through webhook_route.
 * Returns 0, or replies and returns -1. */
static int route_tenant(struct hook_task *t, const char *plugin, const char *first_tenant,
                        const struct bw_webhook_request *wr)
{
    struct http_request *req = http_deferred_request(t->deferred);
    struct registry_handle h;
    if (registry_acquire(t->d->registry, first_tenant, plugin, &h) != 0) {
        reply_error(t, 404, "unknown_route", "no tenant serves this webhook");
        return -1;
    }
    int (*route)(struct bw_call *, const struct bw_webhook_request *, struct bw_buf *,
                 struct bw_error *) = NULL;
    if (h.desc->kind == BW_KIND_CHANNEL) {
        const struct bw_channel_ops *ops = h.desc->ops;
        route = BW_HAS(ops, webhook_route) ? ops->webhook_route : NULL;
    } else {
        const struct bw_payment_ops *ops = h.desc->ops;
        route = BW_HAS(ops, webhook_route) ? ops->webhook_route : NULL;
    }
    int rc = BW_E_NOTSUP;
    struct bw_buf *out = plugin_buf_new(4096);
    struct bw_error err = { .struct_size = sizeof err };
    if (route && out) {
        /* Bound to no instance: no tenant, configuration or storage. */
        struct bw_call call;
        plugin_call_begin(&call, NULL, h.desc->id, req->request_id);
        call.deadline_mono_ms = clock_mono_ms() + WEBHOOK_CALL_TIMEOUT_MS;
        rc = route(&call, wr, out, &err);
        plugin_call_end(&call);
    }
    registry_release(&h);
    cJSON *o = NULL;
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        o = cJSON_ParseWithLength(text, (size_t)len);
    }
    plugin_buf_free(out);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(o, "value");
    int found = -1;
    if (cJSON_IsString(type) && cJSON_IsString(value))
        found = route_lookup(t->d->registry, plugin, type->valuestring, value->valuestring,
                             t->tenant, sizeof t->tenant, req->request_id);
    if (found != 0) {
        char detail[300];
        snprintf(detail, sizeof detail, "%s %s",
                 cJSON_IsString(type) ? type->valuestring : bw_strerror(rc),
                 cJSON_IsString(value) ? value->valuestring : "");
        hook_log(t, NULL, LOG_WARN, plugin, "webhook for an unknown route key", detail);
        reply_error(t, 404, "unknown_route", "no tenant serves this webhook");
    }
    cJSON_Delete(o);
    return found;
}

/* Records the events and their jobs in one transaction. Returns 0, or -1
 * (nothing recorded). *n_new gets how many were new. A plain delivery
 * status takes a shorter path (messaging_status_quick). */
static int record_events(struct hook_task *t, const char *plugin, bool payment, cJSON *events,
                         int *n_new)
{
    struct db_conn *c = daemon_db(t->d);
    if (!c)
        return -1;
    const cJSON *only = cJSON_GetArraySize(events) == 1 ? cJSON_GetArrayItem(events, 0) : NULL;
    if (!payment && only) {
        /* A plain delivery status is one statement: no inbox row (the
         * message row is its record, and a repeat changes nothing), no job. */
        int q = messaging_status_quick(c, t->tenant, plugin, only);
        if (q != 0) {
            *n_new = q > 0;
            daemon_db_release(t->d, c);
            return q > 0 ? 0 : -1;
        }
    }
    int rc = db_begin(c);
    cJSON *ev;
    *n_new = 0;
    cJSON_ArrayForEach(ev, events) {
        if (rc != 0)
            break;
        bool is_new = false;
        int q = messaging_event_queue(c, t->tenant, plugin, t->provider, t->endpoint, payment, ev,
                                      &is_new);
        if (q < 0)
            rc = -1;
        else if (is_new)
            (*n_new)++;
    }
    if (rc == 0)
        rc = db_commit(c);
    if (rc != 0)
        db_rollback(c);
    daemon_db_release(t->d, c);
    return rc;
}

/* Sets t->cors_origin when the request's Origin is one of the instance's
 * allowed_origins. call is the instance's. */
static void cors_check(struct hook_task *t, struct bw_call *call)
{
    const char *origin = NULL;
    for (uint64_t i = 0; i < t->n_headers && !origin; i++)
        if (strcasecmp(t->names[i], "Origin") == 0)
            origin = t->values[i];
    const struct bw_host *host = plugin_services();
    uint32_t n = 0;
    if (!origin || !origin[0] || strlen(origin) >= sizeof t->cors_origin ||
        host->config_list_count(call, "allowed_origins", &n) != 0)
        return;
    for (uint32_t i = 0; i < n; i++) {
        struct bw_str s;
        if (host->config_list_item(call, "allowed_origins", i, &s) != 0)
            continue;
        if ((s.len == 1 && s.ptr[0] == '*') ||
            (s.len == strlen(origin) && strncmp(s.ptr, origin, s.len) == 0)) {
            snprintf(t->cors_origin, sizeof t->cors_origin, "%s", origin);
            return;
        }
    }
}

static void run_webhook(void *arg)
{
    struct hook_task *t = arg;
    struct http_request *req = http_deferred_request(t->deferred);
    char plugin[72];
    char **tenants = NULL;
    size_t n = 0;
    struct bw_buf *events = NULL, *body = NULL;
    cJSON *doc = NULL;
    bool have_handle = false;
    struct registry_handle h;

    if (!t->d->registry || find_plugin(t, plugin, sizeof plugin, &tenants, &n) != 0) {
        hook_log(t, NULL, LOG_WARN, NULL, "webhook for an unknown provider", NULL);
        reply_error(t, 404, "unknown_provider", "no plugin serves this provider");
        goto out;
    }
    struct bw_webhook_request wr = {
        .struct_size = sizeof wr,
        .method = req->method,
        .url = t->url,
        .headers = t->headers,
        .n_headers = t->n_headers,
        .body = { (const uint8_t *)req->body, req->body_len },
        .remote_addr = t->remote,
    };
    if (t->tenant[0]) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(tenants[i], t->tenant) == 0;
        if (!known) {
            hook_log(t, t->tenant, LOG_WARN, plugin, "webhook for a tenant without this plugin",
                     NULL);
            reply_error(t, 404, "unknown_route", "no tenant serves this webhook");
            goto out;
        }
    } else if (route_tenant(t, plugin, tenants[0], &wr) != 0) {
        goto out;
    }
    if (registry_acquire(t->d->registry, t->tenant, plugin, &h) != 0) {
        reply_error(t, 404, "unknown_route", "no tenant serves this webhook");
        goto out;
    }
    have_handle = true;
    events = plugin_buf_new(1024 * 1024);
    body = plugin_buf_new(64 * 1024);
    if (!events || !body) {
        reply_error(t, 503, "unavailable", "out of memory");
        goto out;
    }
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200, .body = body };
    snprintf(reply.content_type, sizeof reply.content_type, "text/plain");
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    bool payment = h.desc->kind == BW_KIND_PAYMENT;
    registry_call_begin(&h, &call, req->request_id, WEBHOOK_CALL_TIMEOUT_MS);
    int rc = payment ? ((const struct bw_payment_ops *)h.desc->ops)
                           ->webhook(h.instance, &call, &wr, &reply, events, &err)
                     : ((const struct bw_channel_ops *)h.desc->ops)
                           ->webhook(h.instance, &call, &wr, &reply, events, &err);
    cors_check(t, &call);
    registry_call_end(&h, &call);
    if (rc == BW_E_AUTH) {
        hook_log(t, t->tenant, LOG_WARN, plugin, "webhook signature refused", NULL);
        reply_error(t, 403, "forbidden", "the webhook's signature does not verify");
        goto out;
    }
    if (rc != 0) {
        hook_log(t, t->tenant, LOG_WARN, plugin, "webhook refused by the plugin", bw_strerror(rc));
        if (rc == BW_E_INVAL)
            reply_error(t, 400, "invalid_webhook", "the plugin could not read the webhook");
        else
            reply_error(t, 503, "unavailable", "the webhook could not be processed now");
        goto out;
    }
    uint64_t len;
    const char *text = plugin_buf_data(events, &len);
    doc = len ? cJSON_ParseWithLength(text, (size_t)len) : cJSON_CreateObject();
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "events");
    if (!doc || (list && !cJSON_IsArray(list)) ||
        (list && cJSON_GetArraySize(list) > WEBHOOK_MAX_EVENTS)) {
        hook_log(t, t->tenant, LOG_ERROR, plugin, "plugin returned malformed events", NULL);
        reply_error(t, 502, "bad_plugin_output", "the plugin's events are malformed");
        goto out;
    }
    int n_new = 0;
    if (list && record_events(t, plugin, payment, list, &n_new) != 0) {
        hook_log(t, t->tenant, LOG_ERROR, plugin, "cannot record webhook events", NULL);
        reply_error(t, 503, "unavailable", "the webhook could not be recorded; retry");
        goto out;
    }
    char nn[16], nt[16];
    snprintf(nn, sizeof nn, "%d", n_new);
    snprintf(nt, sizeof nt, "%d", list ? cJSON_GetArraySize(list) : 0);
    {
        struct log_ctx lc = { t->tenant, req->request_id };
        const char *fields[] = { "provider", t->provider, "endpoint", t->endpoint, "plugin",
                                 plugin, "events", nt, "new", nn, NULL };
        log_write(LOG_INFO, &lc, fields, "webhook recorded");
    }
    struct http_response resp = { 0 };
    const char *btext = plugin_buf_data(body, &len);
    http_reply_text(&resp, reply.status >= 200 && reply.status < 600 ? reply.status : 200,
                    content_type_of(reply.content_type), btext);
    snprintf(resp.cors_origin, sizeof resp.cors_origin, "%s", t->cors_origin);
    http_deferred_complete(t->deferred, &resp);
out:
    if (have_handle)
        registry_release(&h);
    cJSON_Delete(doc);
    plugin_buf_free(events);
    plugin_buf_free(body);
    for (size_t i = 0; i < n; i++)
        free(tenants[i]);
    free(tenants);
    task_free(t);
}

/* [a-z0-9_-]+; with dot, also '.' after the first character (widget.js). */
static bool segment_ok(const char *s, size_t cap, bool dot)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              (dot && c == '.' && i > 0)))
            return false;
    }
    return true;
}

/* The plugin name behind a provider segment: Google's Business Messages
 * URL (/webhooks/google-business) is served by RCS Business Messaging. */
static const char *provider_of(const char *segment)
{
    return strcmp(segment, "google-business") == 0 ? "rbm" : segment;
}

static void post_webhook(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct hook_task *t = calloc(1, sizeof *t);
    if (!t) {
        http_reply_error(req, resp, 503, "unavailable", "out of memory");
        return;
    }
    /* /webhooks/{provider} alone is its "main" endpoint (one app-wide URL,
     * as Meta and Google configure it), routed by the body. */
    const char *endpoint = req->n_params > 1 ? req->params[1] : "main";
    if (!segment_ok(req->params[0], sizeof t->provider, false) ||
        !segment_ok(endpoint, sizeof t->endpoint, true) ||
        (req->n_params > 2 && !config_tenant_id_valid(req->params[2]))) {
        free(t);
        http_reply_error(req, resp, 404, "unknown_route", "no tenant serves this webhook");
        return;
    }
    t->d = d;
    snprintf(t->provider, sizeof t->provider, "%s", provider_of(req->params[0]));
    snprintf(t->endpoint, sizeof t->endpoint, "%s", endpoint);
    if (req->n_params > 2)
        snprintf(t->tenant, sizeof t->tenant, "%s", req->params[2]);
    const char *remote = http_header(req, "X-Forwarded-For");
    if (remote)
        snprintf(t->remote, sizeof t->remote, "%s", remote);
    else
        http_peer_addr(req, t->remote, sizeof t->remote);
    http_each_pair(req, 0, copy_header, t);
    build_url(t, req);
    if (!d->plugin_pool || !(t->deferred = http_defer(req))) {
        task_free(t);
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        return;
    }
    if (plugin_pool_submit(d->plugin_pool, run_webhook, t) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(t->deferred, &now);
        task_free(t);
    }
}

int routes_webhooks_register(struct daemon *d)
{
    return daemon_add_route(d, false, "POST", "/webhooks/{provider}", post_webhook,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/webhooks/{provider}/{endpoint}", post_webhook,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/webhooks/{provider}/{endpoint}/{tenant}",
                            post_webhook, HTTP_AUTH_NONE) ||
           /* Subscription handshakes (Meta's hub.challenge) are GETs with
            * no body to read a route key from: the URL names the tenant. */
           daemon_add_route(d, false, "GET", "/webhooks/{provider}/{endpoint}/{tenant}",
                            post_webhook, HTTP_AUTH_NONE) ||
           /* Browser widgets (web chat): the script, the event stream and
            * CORS preflights, routed by webhook_route like a POST. */
           daemon_add_route(d, false, "GET", "/webhooks/{provider}/{endpoint}", post_webhook,
                            HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "OPTIONS", "/webhooks/{provider}/{endpoint}",
                            post_webhook, HTTP_AUTH_NONE);
}
