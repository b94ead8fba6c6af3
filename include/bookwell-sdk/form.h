/*
 * URL and form encoding: percent-encoding (RFC 3986) and
 * application/x-www-form-urlencoded bodies as providers post them to
 * webhooks and accept them in API calls. A form keeps its pairs in order,
 * decoded, and can be sorted for providers that sign sorted parameters.
 */
#ifndef BOOKWELL_SDK_FORM_H
#define BOOKWELL_SDK_FORM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most pairs a parsed or built form holds. */
#define BWSDK_FORM_MAX_PAIRS 1024

/*
 * Percent-encodes len bytes of s into out (capacity cap, NUL-terminated),
 * keeping RFC 3986's unreserved characters. form: encode space as '+' (form
 * bodies) rather than "%20". *out_len (may be NULL) gets the length.
 * BW_E_NOMEM when out is too small.
 */
int bwsdk_url_encode(const char *s, size_t len, bool form, char *out, size_t cap,
                     size_t *out_len);

/*
 * Decodes percent-escapes (and, with form, '+' as space) into out.
 * BW_E_INVAL for a broken escape or an encoded NUL; BW_E_NOMEM when out is
 * too small. out may equal s (decoding never lengthens).
 */
int bwsdk_url_decode(const char *s, size_t len, bool form, char *out, size_t cap,
                     size_t *out_len);

/*
 * Appends "key=<percent-encoded value>" to the URL query q (capacity cap,
 * NUL-terminated, "" to start), after a '&' when q is not empty. key is
 * written as it is. BW_E_NOMEM when q is too small.
 */
int bwsdk_query_add(char *q, size_t cap, const char *key, const char *value);

struct bwsdk_form_pair {
    char *key;                 /* decoded, NUL-terminated, owned by the form */
    char *value;
};

/* Zero-initialise; release with bwsdk_form_free. */
struct bwsdk_form {
    struct bwsdk_form_pair *pairs;
    size_t n, cap;
};

/* Parses a form body (pairs separated by '&', key=value, a key without '='
 * has an empty value) and appends its pairs to f. 0, BW_E_INVAL, BW_E_NOMEM. */
int bwsdk_form_parse(struct bwsdk_form *f, const char *body, size_t len);

/* Appends a pair (copied). */
int bwsdk_form_add(struct bwsdk_form *f, const char *key, const char *value);

/* The value of the first pair called key, or NULL. Borrowed from f. */
const char *bwsdk_form_get(const struct bwsdk_form *f, const char *key);

/* Sorts pairs by key, then value, in byte order (stable for equal pairs). */
void bwsdk_form_sort(struct bwsdk_form *f);

/* Encodes f as a form body into *out (malloc'd, NUL-terminated; the caller
 * frees it), length in *out_len (may be NULL). */
int bwsdk_form_encode(const struct bwsdk_form *f, char **out, size_t *out_len);

void bwsdk_form_free(struct bwsdk_form *f);

#ifdef __cplusplus
}
#endif

#endif
