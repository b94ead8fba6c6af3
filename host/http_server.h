/*
 * One HTTP listener on libmicrohttpd: a route table matched by method and
 * path pattern ("/conversations/{id}/state"), bounded bodies, header counts
 * and header sizes, request ids, JSON errors, authentication hooks, per-route
 * metrics, and graceful shutdown (stop accepting, finish what is in flight).
 * The route and the credentials are checked as soon as the headers are in,
 * so an unknown route or a bad token never costs reading the body.
 * Handlers run on libmicrohttpd's pool threads and must not block for long:
 * plugin calls and other slow work go to jobs, or to another thread behind a
 * deferred response (http_defer).
 */
#ifndef BW_HOST_HTTP_SERVER_H
#define BW_HOST_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_PATH_PARAMS 4
#define HTTP_DEFAULT_MAX_HEADER_BYTES (8 * 1024) /* names + values, all headers */
#define HTTP_CONNECTION_MEMORY (32 * 1024)       /* libmicrohttpd's per-connection pool */
#define HTTP_MAX_PATH_BYTES 2048

enum http_auth {
    HTTP_AUTH_NONE,   /* open: health, webhooks (which verify their own signatures) */
    HTTP_AUTH_ADMIN,  /* Authorization: Bearer <operator token> */
    HTTP_AUTH_TENANT, /* Authorization: Bearer <tenant API key>; sets req->tenant_id */
};

struct http_request {
    const char *method;           /* borrowed from libmicrohttpd for the request */
    const char *path;             /* without the query string */
    const char *route;            /* the matched pattern, or "unmatched" */
    const char *body;             /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    char request_id[40];
    char tenant_id[64];           /* set by tenant authentication */
    const char *params[HTTP_MAX_PATH_PARAMS]; /* {name} captures, owned by the request */
    int n_params;
    void *conn;                   /* struct MHD_Connection *, for header lookups */
};

struct http_response {
    int status;
    char *body;                   /* malloc'd, owned by the response until sent */
    size_t body_len;
    const char *content_type;     /* static string; default application/json */
    char extra_header_name[32];   /* one optional extra header (e.g. Retry-After) */
    char extra_header_value[128];
    char error_code[32];          /* set by http_reply_error; logged with the request */
};

typedef void (*http_handler_fn)(struct http_request *req, struct http_response *resp, void *ctx);

struct http_route {
    const char *method;           /* "GET", "POST", ... */
    const char *pattern;          /* literal segments and {name} captures */
    http_handler_fn handler;
    enum http_auth auth;
    void *ctx;                    /* borrowed; outlives the server */
};

/* Decides HTTP_AUTH_TENANT: given the bearer token, fills tenant_id (cap 64)
 * and returns 0, or returns -1 to refuse. */
typedef int (*http_tenant_auth_fn)(const char *token, char *tenant_id, void *ctx);

struct http_server_options {
    const char *name;             /* "public" or "admin": metrics and logs */
    const char *address;          /* "127.0.0.1:8080", "[::1]:0", "0.0.0.0:80" */
    size_t max_body;              /* larger bodies get 413 */
    unsigned max_headers;         /* more header lines get 431 */
    size_t max_header_bytes;      /* larger headers get 431; 0: the default above */
    unsigned threads;
    unsigned timeout_s;           /* idle connection timeout */
    const char *admin_token;      /* for HTTP_AUTH_ADMIN; borrowed, outlives the server */
    http_tenant_auth_fn tenant_auth;
    void *tenant_auth_ctx;
};

struct http_server;

/* Starts listening. routes is borrowed and must outlive the server. Returns
 * NULL with a reason in err. */
struct http_server *http_server_start(const struct http_server_options *opt,
                                      const struct http_route *routes, size_t n_routes,
                                      char *err, size_t errcap);

/* The bound port (useful when the address asked for port 0). */
unsigned http_server_port(const struct http_server *s);

/* Stops accepting new connections; requests in flight go on. */
void http_server_quiesce(struct http_server *s);

/* Waits up to grace_ms for in-flight requests, then stops and frees, and
 * returns 0. Responses sent meanwhile carry Connection: close. Returns -1
 * when requests are still in flight after the grace period: the server is
 * then left running (closed to new connections) for the process to exit. */
int http_server_stop(struct http_server *s, int64_t grace_ms);

/* Requests being handled right now. */
unsigned http_server_in_flight(const struct http_server *s);

/*
 * Deferred responses, for handlers whose work runs on another thread (plugin
 * calls go to a call pool, never run on libmicrohttpd's threads). The
 * handler calls http_defer() and returns without filling resp; the
 * connection is suspended (its thread serves other connections) until
 * http_deferred_complete() hands over the response, from any thread,
 * exactly once. req, its body and its params stay valid until then. Every
 * deferred request must be completed: graceful shutdown waits for it.
 */
struct http_deferred;

/* Returns the handle, or NULL when out of memory (the handler then answers
 * as usual). */
struct http_deferred *http_defer(struct http_request *req);

/* Sends resp (its body is taken over, resp is zeroed) and resumes the
 * connection. d is invalid afterwards. */
void http_deferred_complete(struct http_deferred *d, struct http_response *resp);

/* The request a deferred handle belongs to (valid until completion). */
struct http_request *http_deferred_request(struct http_deferred *d);

/* Response helpers. json is copied. */
void http_reply_json(struct http_response *resp, int status, const char *json);
/* Replies {"error":{"code":code,"message":message},"request_id":...}.
 * code is a short snake_case identifier; message never carries request data. */
void http_reply_error(struct http_request *req, struct http_response *resp, int status,
                      const char *code, const char *message);
void http_reply_text(struct http_response *resp, int status, const char *content_type,
                     const char *text);

/* A request header by name (case-insensitive), or NULL. Borrowed for the request. */
const char *http_header(const struct http_request *req, const char *name);
/* A query argument by name, or NULL. Borrowed for the request. */
const char *http_query(const struct http_request *req, const char *name);

/* Calls fn for every request header (kind 0) or query argument (kind 1),
 * in arrival order, with borrowed name and value (value may be NULL for a
 * query argument without one). Returns how many were visited. */
typedef void (*http_pair_fn)(const char *name, const char *value, void *ctx);
int http_each_pair(const struct http_request *req, int kind, http_pair_fn fn, void *ctx);

/* Matches path against pattern; on success fills params (malloc'd copies the
 * caller frees) and returns their count, else -1. Exposed for tests. */
int http_match(const char *pattern, const char *path, char **params, int max_params);

/* Constant-time comparison of two NUL-terminated strings. */
bool http_token_equal(const char *a, const char *b);

#endif
