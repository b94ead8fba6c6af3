/*
 * Outbound HTTP for the host and, through the services table, for plugins:
 * libcurl with a reused handle per thread (connection reuse), a hard timeout,
 * cooperative cancellation, a bound on the response size, and parsed
 * response headers. Nothing here logs; callers decide what to report.
 */
#ifndef BW_HOST_HTTP_CLIENT_H
#define BW_HOST_HTTP_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct http_client_header {
    const char *name;          /* borrowed from the owner of the array */
    const char *value;
};

struct http_client_request {
    const char *method;        /* "GET", "POST", ... */
    const char *url;
    const struct http_client_header *headers;
    size_t n_headers;
    const void *body;          /* NULL or body_len bytes */
    size_t body_len;
    int64_t timeout_ms;        /* > 0 */
    const atomic_bool *cancelled; /* NULL: never */
    size_t max_response;       /* 0: 8 MiB */
};

/* Filled by http_client_perform; free with http_client_response_free. */
struct http_client_response {
    long status;
    char *body;                /* malloc'd, NUL-terminated */
    size_t body_len;
    struct http_client_header *headers; /* malloc'd array into header_block */
    size_t n_headers;
    char *header_block;        /* malloc'd storage of the header strings */
};

enum http_client_result {
    HTTP_CLIENT_OK = 0,        /* a response arrived (any status) */
    HTTP_CLIENT_TIMEOUT = -1,
    HTTP_CLIENT_CANCELLED = -2,
    HTTP_CLIENT_FAILED = -3,   /* could not connect, TLS, protocol, too large */
    HTTP_CLIENT_INVALID = -4,  /* bad URL or arguments */
};

/* Performs the request. On any result resp is safe to free. why (may be
 * NULL) receives a short reason without URLs' query strings or bodies. */
int http_client_perform(const struct http_client_request *req,
                        struct http_client_response *resp, char *why, size_t whycap);
void http_client_response_free(struct http_client_response *resp);

/* Extracts the host of an absolute http(s) URL into out. 0 or -1. */
int http_client_url_host(const char *url, char *out, size_t cap);

/* Rewrites url so that its scheme://host[:port] is base's (tests point
 * plugins at simulators this way). Returns a malloc'd URL or NULL. */
char *http_client_rebase(const char *url, const char *base);

#endif
