/*
 * application/x-www-form-urlencoded bodies, as providers post their webhooks
 * (Twilio): the pairs in their order, percent-decoded, '+' as space. Repeated
 * keys are kept (their order can matter to a signature check). Malformed
 * encoding is refused rather than guessed at: a bad or truncated %-escape, an
 * encoded NUL, an empty key, text that is not UTF-8, or too many pairs.
 */
#ifndef BW_HOST_HTTP_FORM_H
#define BW_HOST_HTTP_FORM_H

#include <stddef.h>

#include "http_server.h"

#define HTTP_FORM_MAX_PAIRS 256

struct http_form_pair {
    const char *key;   /* decoded, NUL-terminated; owned by the form */
    const char *value; /* decoded, NUL-terminated (possibly ""); owned by the form */
};

struct http_form {
    struct http_form_pair *pairs; /* in body order */
    size_t n;
    char *storage;                /* every key and value, NUL-separated */
};

/* Parses body (len bytes; need not be NUL-terminated) into form, which the
 * caller frees with http_form_free() whatever the result. Returns 0, -1 when
 * the body is malformed (form left empty), -2 when out of memory. */
int http_form_parse(const char *body, size_t len, struct http_form *form);

/* The first value for key, or NULL. Borrowed from form. */
const char *http_form_get(const struct http_form *form, const char *key);

void http_form_free(struct http_form *form);

/* Parses req's body into form; on failure replies 400 invalid_form (or 503
 * when out of memory) and returns -1. The caller frees form either way. */
int http_form_body(struct http_request *req, struct http_response *resp,
                   struct http_form *form);

#endif
