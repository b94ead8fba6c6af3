/*
 * libmicrohttpd glue for one listener. A request's state lives from the first
 * access-handler call (headers) until the completion notification. On that
 * first call the headers are bounded, the route is found and the caller
 * authenticated; the body is then collected into a buffer bounded by
 * max_body and the handler runs once. Every response is JSON unless a
 * handler says otherwise and carries X-Request-Id; every request is counted
 * and logged by route pattern, never with its body.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_options opt;
    char name[16];
    const struct http_route *routes;
    size_t n_routes;
    atomic_uint in_flight;
    atomic_bool quiesced;
    unsigned port;
};

struct span {
    const char *p;
    size_t len;
};

struct req_state {
    struct http_request req;
    const struct http_route *matched;  /* decided when the headers are in */
    struct http_response early;        /* a refusal decided then, sent at the end */
    char *buf;                         /* the body, bounded by max_body */
    size_t len, cap;
    char *param_buf;                   /* the path captures, NUL-separated */
    uint64_t discarded;                /* bytes of an oversized body thrown away */
    bool too_large;
    bool answered;                     /* a response has been queued */
    int64_t start_us;
    /* Deferred responses (http_defer): the handler's thread and the
     * completing thread meet under mu, so the connection is resumed only
     * after it was suspended. */
    bool deferred;
    bool suspended;                    /* under mu */
    bool completed;                    /* under mu */
    pthread_mutex_t mu;                /* initialised by http_defer */
    struct http_response later;        /* the deferred response, under mu */
};

/* How much of an oversized (chunked) body is drained so that the client can
 * read its 413; past this the connection is simply dropped. */
#define DRAIN_MAX (1024 * 1024)

bool http_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Compare over the expected length regardless, so timing shows nothing. */
    int diff = CRYPTO_memcmp(a, b, la < lb ? la : lb);
    return la == lb && diff == 0;
}

/* Matches without allocating: captures point into path. */
static int match_spans(const char *pattern, const char *path, struct span *params,
                       int max_params)
{
    int n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t len = strcspn(s, "/");
            if (!close || len == 0 || n >= max_params)
                return -1;
            params[n].p = s;
            params[n].len = len;
            n++;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return -1;
        p++;
        s++;
    }
    return *p || *s ? -1 : n;
}

int http_match(const char *pattern, const char *path, char **params, int max_params)
{
    struct span sp[HTTP_MAX_PATH_PARAMS];
    int n = match_spans(pattern, path, sp, max_params < HTTP_MAX_PATH_PARAMS ? max_params
                                                                               : HTTP_MAX_PATH_PARAMS);
    for (int i = 0; i < n; i++) {
        params[i] = strndup(sp[i].p, sp[i].len);
        if (!params[i]) {
            while (i-- > 0) {
                free(params[i]);
                params[i] = NULL;
            }
            return -1;
        }
    }
    return n;
}

void http_reply_json(struct http_response *resp, int status, const char *json)
{
    free(resp->body);
    resp->status = status;
    resp->body = strdup(json);
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    resp->content_type = "application/json";
}

void http_reply_text(struct http_response *resp, int status, const char *content_type,
                     const char *text)
{
    http_reply_json(resp, status, text);
    resp->content_type = content_type;
}

void http_reply_error(struct http_request *req, struct http_response *resp, int status,
                      const char *code, const char *message)
{
    char c[sizeof resp->error_code], msg[512], buf[1024];
    log_json_escape(c, sizeof c, code);
    log_json_escape(msg, sizeof msg, message);
    snprintf(buf, sizeof buf,
             "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"},\"request_id\":\"%s\"}", c, msg,
             req ? req->request_id : "");
    http_reply_json(resp, status, buf);
    memcpy(resp->error_code, c, sizeof c);
}

const char *http_header(const struct http_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

void http_peer_addr(const struct http_request *req, char *buf, size_t cap)
{
    if (cap)
        buf[0] = '\0';
    if (!req->conn || cap < INET6_ADDRSTRLEN)
        return;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        (struct MHD_Connection *)req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)cap);
}

const char *http_query(const struct http_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                       MHD_GET_ARGUMENT_KIND, name);
}

struct pair_walk {
    http_pair_fn fn;
    void *ctx;
    int n;
};

static enum MHD_Result visit_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct pair_walk *w = cls;
    w->fn(key, value, w->ctx);
    w->n++;
    return MHD_YES;
}

int http_each_pair(const struct http_request *req, int kind, http_pair_fn fn, void *ctx)
{
    struct pair_walk w = { fn, ctx, 0 };
    if (!req->conn)
        return 0;
    MHD_get_connection_values((struct MHD_Connection *)req->conn,
                              kind ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND, visit_pair, &w);
    return w.n;
}

static bool request_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Request ids: a random per-process prefix and a counter, so they are
 * unique across processes without a random draw per request (OpenSSL's
 * RAND_bytes costs a getpid() and a lock each time). They correlate log
 * lines; they are not secrets. */
static char id_prefix[13];
static atomic_uint_fast64_t id_counter;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void hex_bytes(char *out, const unsigned char *raw, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * n] = '\0';
}

static void id_init(void)
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        int64_t t = clock_mono_us();
        pid_t pid = getpid();
        memcpy(raw, &t, 4);
        memcpy(raw + 4, &pid, 4);
    }
    hex_bytes(id_prefix, raw, 6);
    uint64_t start;
    memcpy(&start, raw, sizeof start);
    atomic_store(&id_counter, start & 0xffffff); /* restarts do not begin at 0 */
}

static void new_request_id(char out[40])
{
    uint64_t n = atomic_fetch_add(&id_counter, 1);
    unsigned char raw[6];
    for (int i = 5; i >= 0; i--) {
        raw[i] = (unsigned char)(n & 0xff);
        n >>= 8;
    }
    memcpy(out, id_prefix, 12);
    hex_bytes(out + 12, raw, 6);
}

static void log_request(struct http_server *srv, const struct req_state *st,
                        const struct http_response *resp, int64_t micros, const char *msg)
{
    enum log_level level = resp->status >= 500 ? LOG_WARN
                         : resp->status >= 400 ? LOG_INFO
                                               : LOG_DEBUG;
    /* The success line is debug: skip building it when nobody reads it. */
    if (level < log_get_level())
        return;
    struct log_ctx ctx = { st->req.tenant_id[0] ? st->req.tenant_id : NULL, st->req.request_id };
    char status[8], ms[24];
    snprintf(status, sizeof status, "%d", resp->status);
    snprintf(ms, sizeof ms, "%.3f", (double)micros / 1000.0);
    /* Never the body, the query string or the raw path: they may carry
     * personal data. The route is the pattern, not the path. */
    const char *fields[] = { "listener", srv->name, "method", st->req.method, "route",
                             st->req.route, "status", status, "duration_ms", ms,
                             resp->error_code[0] ? "error" : NULL, resp->error_code, NULL };
    log_write(level, &ctx, fields, "%s", msg);
}

static enum MHD_Result send_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_state *st, struct http_response *resp)
{
    struct MHD_Response *r;
    st->answered = true;
    if (!resp->body)
        http_reply_error(&st->req, resp, resp->status ? resp->status : 500, "internal",
                         "no response");
    if (!resp->body)
        return MHD_NO;
    r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(resp->body);
        resp->body = NULL;
        return MHD_NO;
    }
    resp->body = NULL; /* now libmicrohttpd's */
    MHD_add_response_header(r, "Content-Type",
                            resp->content_type ? resp->content_type : "application/json");
    MHD_add_response_header(r, "X-Request-Id", st->req.request_id);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (resp->extra_header_name[0])
        MHD_add_response_header(r, resp->extra_header_name, resp->extra_header_value);
    if (resp->status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    if (resp->cors_origin[0]) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", resp->cors_origin);
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, Last-Event-ID");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
        MHD_add_response_header(r, "Vary", "Origin");
    }
    if (atomic_load(&srv->quiesced))
        MHD_add_response_header(r, "Connection", "close"); /* shutting down: go elsewhere */
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);

    int64_t micros = clock_mono_us() - st->start_us;
    metrics_http_observe(srv->name, st->req.route, resp->status, micros);
    log_request(srv, st, resp, micros, "request");
    return ok;
}

static int authenticate(struct http_server *srv, const struct http_route *route,
                        struct http_request *req, struct http_response *resp)
{
    if (route->auth == HTTP_AUTH_NONE)
        return 0;
    const char *h = http_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        http_reply_error(req, resp, 401, "unauthorized",
                         "an Authorization: Bearer token is required");
        return -1;
    }
    const char *token = h + 7;
    if (route->auth == HTTP_AUTH_ADMIN) {
        if (!srv->opt.admin_token || !srv->opt.admin_token[0] ||
            !http_token_equal(token, srv->opt.admin_token)) {
            http_reply_error(req, resp, 401, "unauthorized", "the operator token is not valid");
            return -1;
        }
        return 0;
    }
    if (!srv->opt.tenant_auth ||
        srv->opt.tenant_auth(token, req->tenant_id, srv->opt.tenant_auth_ctx) != 0) {
        req->tenant_id[0] = '\0';
        http_reply_error(req, resp, 401, "unauthorized", "the API key is not valid");
        return -1;
    }
    return 0;
}

static bool method_matches(const char *route_method, const char *method)
{
    /* HEAD is GET without the body (libmicrohttpd drops it). */
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* Appends m to the comma-separated list allow unless already there. */
static void allow_add(char *allow, size_t cap, const char *m)
{
    size_t ml = strlen(m);
    for (const char *p = allow; *p;) {
        size_t l = strcspn(p, ",");
        if (l == ml && strncmp(p, m, l) == 0)
            return;
        p += l;
        while (*p == ',' || *p == ' ')
            p++;
    }
    size_t n = strlen(allow);
    snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
}

/* Finds the route for the request and copies its captures, or fills
 * st->early with 404, or 405 and its Allow header. */
static void route_request(struct http_server *srv, struct req_state *st)
{
    struct http_request *req = &st->req;
    struct span sp[HTTP_MAX_PATH_PARAMS];
    char allow[96] = "";

    for (size_t i = 0; i < srv->n_routes; i++) {
        const struct http_route *r = &srv->routes[i];
        int n = match_spans(r->pattern, req->path, sp, HTTP_MAX_PATH_PARAMS);
        if (n < 0)
            continue;
        if (!method_matches(r->method, req->method)) {
            allow_add(allow, sizeof allow, r->method);
            if (strcmp(r->method, "GET") == 0)
                allow_add(allow, sizeof allow, "HEAD");
            continue;
        }
        if (n > 0) {
            size_t total = 0;
            for (int k = 0; k < n; k++)
                total += sp[k].len + 1;
            st->param_buf = malloc(total);
            if (!st->param_buf) {
                http_reply_error(req, &st->early, 503, "unavailable", "out of memory");
                return;
            }
            char *w = st->param_buf;
            for (int k = 0; k < n; k++) {
                memcpy(w, sp[k].p, sp[k].len);
                w[sp[k].len] = '\0';
                req->params[k] = w;
                w += sp[k].len + 1;
            }
        }
        req->n_params = n;
        req->route = r->pattern;
        st->matched = r;
        return;
    }
    if (allow[0]) {
        http_reply_error(req, &st->early, 405, "method_not_allowed",
                         "this route does not accept that method");
        snprintf(st->early.extra_header_name, sizeof st->early.extra_header_name, "Allow");
        snprintf(st->early.extra_header_value, sizeof st->early.extra_header_value, "%s", allow);
    } else {
        http_reply_error(req, &st->early, 404, "not_found", "no such route");
    }
}

struct header_tally {
    unsigned count;
    size_t bytes;
};

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_tally *t = cls;
    t->count++;
    t->bytes += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4; /* ": " CRLF */
    return MHD_YES;
}

/* True when the request announces a body (a length or chunked encoding). */
static bool announces_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > 0)
        return true;
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
}

/* Everything that can be decided from the request line and headers alone.
 * Returns true when the refusal must go out now and close the connection
 * (the headers themselves are unacceptable, or reading a body would be a
 * waste); otherwise a refusal waits in st->early for the end of the request,
 * so a keep-alive connection survives a 404. */
static bool check_headers(struct http_server *srv, struct req_state *st,
                          struct MHD_Connection *conn)
{
    struct http_request *req = &st->req;
    struct header_tally t = { 0, 0 };
    size_t max_header_bytes = srv->opt.max_header_bytes ? srv->opt.max_header_bytes
                                                        : HTTP_DEFAULT_MAX_HEADER_BYTES;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, tally_header, &t);
    if (t.count > srv->opt.max_headers) {
        http_reply_error(req, &st->early, 431, "too_many_headers",
                         "the request has too many headers");
        return true;
    }
    if (t.bytes > max_header_bytes) {
        http_reply_error(req, &st->early, 431, "headers_too_large",
                         "the request headers are too large");
        return true;
    }
    if (strlen(req->path) > HTTP_MAX_PATH_BYTES) {
        http_reply_error(req, &st->early, 414, "uri_too_long", "the request path is too long");
        return true;
    }
    route_request(srv, st);
    if (st->early.status)
        return announces_body(conn);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > srv->opt.max_body) {
        http_reply_error(req, &st->early, 413, "body_too_large", "the request body is too large");
        return true;
    }
    authenticate(srv, st->matched, req, &st->early);
    return st->early.status && announces_body(conn);
}

struct http_deferred *http_defer(struct http_request *req)
{
    /* req is the first member of its req_state. */
    struct req_state *st = (struct req_state *)req;
    if (st->deferred || pthread_mutex_init(&st->mu, NULL) != 0)
        return NULL;
    st->deferred = true;
    return (struct http_deferred *)st;
}

struct http_request *http_deferred_request(struct http_deferred *d)
{
    return &((struct req_state *)d)->req;
}

void http_deferred_complete(struct http_deferred *d, struct http_response *resp)
{
    struct req_state *st = (struct req_state *)d;
    pthread_mutex_lock(&st->mu);
    st->later = *resp;
    memset(resp, 0, sizeof *resp);
    st->completed = true;
    /* Not yet suspended: the handler's thread sends it when it looks. */
    if (st->suspended)
        MHD_resume_connection((struct MHD_Connection *)st->req.conn);
    pthread_mutex_unlock(&st->mu);
}

/* After the handler deferred, or when a resumed connection comes back:
 * sends the response if it is there, else suspends the connection. */
static enum MHD_Result deferred_step(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_state *st)
{
    struct http_response resp;
    pthread_mutex_lock(&st->mu);
    if (!st->completed) {
        if (!st->suspended) {
            st->suspended = true;
            MHD_suspend_connection(conn);
        }
        pthread_mutex_unlock(&st->mu);
        return MHD_YES;
    }
    resp = st->later;
    memset(&st->later, 0, sizeof st->later);
    st->suspended = false;
    pthread_mutex_unlock(&st->mu);
    if (!resp.status || !resp.body)
        http_reply_error(&st->req, &resp, 500, "internal", "the handler gave no response");
    return send_response(srv, conn, st, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct req_state *st = *con_cls;

    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        *con_cls = st;
        atomic_fetch_add(&srv->in_flight, 1);
        st->start_us = clock_mono_us();
        st->req.method = method;
        st->req.path = url;
        st->req.route = "unmatched";
        st->req.conn = conn;
        const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
        if (request_id_ok(rid))
            snprintf(st->req.request_id, sizeof st->req.request_id, "%s", rid);
        else
            new_request_id(st->req.request_id);
        if (check_headers(srv, st, conn))
            return send_response(srv, conn, st, &st->early);
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->early.status || st->too_large) {
            st->discarded += n;
            if (st->discarded <= DRAIN_MAX)
                return MHD_YES;
            /* Past the drain allowance the client is not listening: drop
             * the connection, counted and logged as the 413 it earned. */
            struct http_response resp = { .status = 413 };
            snprintf(resp.error_code, sizeof resp.error_code, "body_too_large");
            st->answered = true;
            int64_t micros = clock_mono_us() - st->start_us;
            metrics_http_observe(srv->name, st->req.route, 413, micros);
            log_request(srv, st, &resp, micros, "request dropped");
            return MHD_NO;
        }
        if (st->len + n > srv->opt.max_body) {
            /* A chunked body grew past the limit: libmicrohttpd cannot answer
             * mid-body, so drain (bounded) and answer 413 at the end. */
            st->too_large = true;
            st->discarded = st->len + n;
            free(st->buf);
            st->buf = NULL;
            st->len = st->cap = 0;
            return MHD_YES;
        }
        if (st->len + n + 1 > st->cap) {
            size_t cap = st->cap ? st->cap : 4096;
            while (cap < st->len + n + 1)
                cap *= 2;
            char *grown = realloc(st->buf, cap);
            if (!grown)
                return MHD_NO;
            st->buf = grown;
            st->cap = cap;
        }
        memcpy(st->buf + st->len, upload_data, n);
        st->len += n;
        st->buf[st->len] = '\0';
        return MHD_YES;
    }

    if (st->deferred)
        return deferred_step(srv, conn, st);
    if (st->too_large) {
        struct http_response resp = { 0 };
        http_reply_error(&st->req, &resp, 413, "body_too_large", "the request body is too large");
        return send_response(srv, conn, st, &resp);
    }
    if (st->early.status)
        return send_response(srv, conn, st, &st->early);
    st->req.body = st->buf ? st->buf : "";
    st->req.body_len = st->len;
    struct http_response resp = { 0 };
    st->matched->handler(&st->req, &resp, st->matched->ctx);
    if (st->deferred) {
        free(resp.body);
        return deferred_step(srv, conn, st);
    }
    if (!resp.status || !resp.body)
        http_reply_error(&st->req, &resp, 500, "internal", "the handler gave no response");
    return send_response(srv, conn, st, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct req_state *st = *con_cls;
    if (!st)
        return;
    if (st->deferred) {
        /* Lock once so a completing thread has fully left the mutex. */
        pthread_mutex_lock(&st->mu);
        pthread_mutex_unlock(&st->mu);
        pthread_mutex_destroy(&st->mu);
        free(st->later.body);
    }
    free(st->early.body);
    free(st->param_buf);
    free(st->buf);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

static int parse_address(const char *addr, struct sockaddr_storage *ss, char *err, size_t errcap)
{
    char host[128];
    const char *colon;
    memset(ss, 0, sizeof *ss);
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(close - addr - 1), addr + 1);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1)
        goto bad;
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return 0;
    }
bad:
    snprintf(err, errcap, "listen address '%s' must be IP:PORT or [IPv6]:PORT", addr);
    return -1;
}

struct http_server *http_server_start(const struct http_server_options *opt,
                                      const struct http_route *routes, size_t n_routes,
                                      char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    struct http_server *srv;
    pthread_once(&id_once, id_init);
    if (parse_address(opt->address, &ss, err, errcap) != 0)
        return NULL;
    srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    srv->opt = *opt;
    snprintf(srv->name, sizeof srv->name, "%s", opt->name ? opt->name : "http");
    srv->routes = routes;
    srv->n_routes = n_routes;

    /* ITC lets quiesce wake the pool threads; no error log: we log ourselves. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opt->threads ? opt->threads : 4),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(opt->timeout_s ? opt->timeout_s : 30),
        /* Per connection: headers plus read buffer. libmicrohttpd zeroes it
         * for every request on a kept-alive connection, so bigger costs
         * throughput; headers past it get libmicrohttpd's own 431. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errcap, "cannot listen on %s (address in use or not available)",
                 opt->address);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    return srv;
}

unsigned http_server_port(const struct http_server *s) { return s->port; }

unsigned http_server_in_flight(const struct http_server *s) { return atomic_load(&s->in_flight); }

void http_server_quiesce(struct http_server *s)
{
    if (!s || atomic_exchange(&s->quiesced, true))
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int http_server_stop(struct http_server *s, int64_t grace_ms)
{
    if (!s)
        return 0;
    http_server_quiesce(s);
    int64_t deadline = clock_mono_ms() + grace_ms;
    while (atomic_load(&s->in_flight) > 0 && clock_mono_ms() < deadline)
        usleep(10000);
    /* MHD_stop_daemon would wait for a stuck handler forever, and freeing
     * the server under it would be worse: leave it to the process exit. */
    if (atomic_load(&s->in_flight) > 0)
        return -1;
    MHD_stop_daemon(s->daemon);
    free(s);
    return 0;
}
