/*
 * libmicrohttpd glue for one listener. A request's state lives from the first
 * access-handler call (headers) until the completion notification; the body
 * is collected into a buffer bounded by max_body, then the route table is
 * consulted once. Every response is JSON unless a handler says otherwise and
 * carries X-Request-Id.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
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

struct req_state {
    struct http_request req;
    char *buf;
    size_t len, cap;
    bool too_large;
    bool answered;          /* a response was queued before the body was read */
    int64_t start_us;
};

bool http_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Compare over the expected length regardless, so timing shows nothing. */
    int diff = CRYPTO_memcmp(a, b, la < lb ? la : lb);
    return la == lb && diff == 0;
}

int http_match(const char *pattern, const char *path, char **params, int max_params)
{
    int n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(s, '/');
            size_t len = seg_end ? (size_t)(seg_end - s) : strlen(s);
            if (!close || len == 0 || n >= max_params)
                goto fail;
            params[n] = strndup(s, len);
            if (!params[n])
                goto fail;
            n++;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            goto fail;
        p++;
        s++;
    }
    if (*p || *s)
        goto fail;
    return n;
fail:
    for (int i = 0; i < n; i++) {
        free(params[i]);
        params[i] = NULL;
    }
    return -1;
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
    char msg[512], buf[1024];
    log_json_escape(msg, sizeof msg, message);
    snprintf(buf, sizeof buf,
             "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"},\"request_id\":\"%s\"}", code, msg,
             req ? req->request_id : "");
    http_reply_json(resp, status, buf);
}

const char *http_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                       MHD_GET_ARGUMENT_KIND, name);
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

static void new_request_id(char out[40])
{
    unsigned char raw[12];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        /* Uniqueness is all that matters here; fall back to time and address. */
        int64_t t = clock_mono_ms();
        memcpy(raw, &t, sizeof t);
        memcpy(raw + 8, &out, 4);
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static enum MHD_Result send_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_state *st, struct http_response *resp)
{
    struct MHD_Response *r;
    if (!resp->body)
        http_reply_error(&st->req, resp, resp->status ? resp->status : 500, "internal",
                         "no response");
    r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(resp->body);
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
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);

    int64_t micros = clock_mono_us() - st->start_us;
    metrics_http_observe(srv->name, st->req.route, resp->status, micros);
    struct log_ctx ctx = { st->req.tenant_id[0] ? st->req.tenant_id : NULL, st->req.request_id };
    char status[8], ms[24];
    snprintf(status, sizeof status, "%d", resp->status);
    snprintf(ms, sizeof ms, "%.3f", (double)micros / 1000.0);
    const char *fields[] = { "listener", srv->name, "method", st->req.method, "route",
                             st->req.route, "status", status, "duration_ms", ms, NULL };
    log_write(resp->status >= 500 ? LOG_WARN : resp->status >= 400 ? LOG_INFO : LOG_DEBUG, &ctx,
              fields, "request");
    return ok;
}

/* Early refusal, before the body has been read; the connection then closes. */
static enum MHD_Result refuse(struct http_server *srv, struct MHD_Connection *conn,
                              struct req_state *st, int status, const char *code,
                              const char *message)
{
    struct http_response resp = { 0 };
    http_reply_error(&st->req, &resp, status, code, message);
    st->answered = true;
    return send_response(srv, conn, st, &resp);
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
        if (!srv->opt.admin_token || !http_token_equal(token, srv->opt.admin_token)) {
            http_reply_error(req, resp, 401, "unauthorized", "the operator token is not valid");
            return -1;
        }
        return 0;
    }
    if (!srv->opt.tenant_auth ||
        srv->opt.tenant_auth(token, req->tenant_id, srv->opt.tenant_auth_ctx) != 0) {
        http_reply_error(req, resp, 401, "unauthorized", "the API key is not valid");
        return -1;
    }
    return 0;
}

static void dispatch(struct http_server *srv, struct req_state *st, struct http_response *resp)
{
    struct http_request *req = &st->req;
    char *params[HTTP_MAX_PATH_PARAMS];
    bool path_known = false;

    for (size_t i = 0; i < srv->n_routes; i++) {
        const struct http_route *r = &srv->routes[i];
        int n = http_match(r->pattern, req->path, params, HTTP_MAX_PATH_PARAMS);
        if (n < 0)
            continue;
        if (strcmp(r->method, req->method) != 0) {
            path_known = true;
            for (int k = 0; k < n; k++)
                free(params[k]);
            continue;
        }
        req->route = r->pattern;
        req->n_params = n;
        for (int k = 0; k < n; k++)
            req->params[k] = params[k];
        if (authenticate(srv, r, req, resp) != 0)
            return;
        r->handler(req, resp, r->ctx);
        if (!resp->status)
            http_reply_error(req, resp, 500, "internal", "the handler gave no response");
        return;
    }
    if (path_known)
        http_reply_error(req, resp, 405, "method_not_allowed",
                         "this route does not accept that method");
    else
        http_reply_error(req, resp, 404, "not_found", "no such route");
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

        int n_headers = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
        if (n_headers > (int)srv->opt.max_headers)
            return refuse(srv, conn, st, 431, "too_many_headers", "the request has too many headers");
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > srv->opt.max_body)
            return refuse(srv, conn, st, 413, "body_too_large", "the request body is too large");
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0; /* discard the rest of a refused body */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->too_large || st->len + n > srv->opt.max_body) {
            st->too_large = true;
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

    if (st->too_large)
        return refuse(srv, conn, st, 413, "body_too_large", "the request body is too large");
    st->req.body = st->buf ? st->buf : "";
    st->req.body_len = st->len;
    struct http_response resp = { 0 };
    dispatch(srv, st, &resp);
    st->answered = true;
    return send_response(srv, conn, st, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct req_state *st = *con_cls;
    if (!st)
        return;
    for (int i = 0; i < st->req.n_params; i++)
        free((char *)st->req.params[i]);
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opt->threads ? opt->threads : 4),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(opt->timeout_s ? opt->timeout_s : 30),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
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

void http_server_stop(struct http_server *s, int64_t grace_ms)
{
    if (!s)
        return;
    http_server_quiesce(s);
    int64_t deadline = clock_mono_ms() + grace_ms;
    while (atomic_load(&s->in_flight) > 0 && clock_mono_ms() < deadline)
        usleep(10000);
    MHD_stop_daemon(s->daemon);
    free(s);
}
