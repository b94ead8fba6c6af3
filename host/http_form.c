/*
 * The form-body decoder. One pass splits on '&' and '='; each piece is
 * decoded into a single storage block sized by the body (decoding never
 * grows text), so a form costs two allocations however many pairs it has.
 */
#include "http_form.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t more;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            more = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= more)
            return false;
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
            (more == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += more + 1;
    }
    return true;
}

/* Decodes in[0..n) to out (NUL-terminated). Returns the decoded length, or
 * -1 when the encoding is malformed. */
static long decode(const char *in, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            out[w++] = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) /* truncated escape */
                return -1;
            hi = hexval(in[i + 1]);
            lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            out[w++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '\0') {
            return -1;
        } else {
            out[w++] = c;
        }
    }
    out[w] = '\0';
    if (!utf8_valid((const unsigned char *)out, w))
        return -1;
    return (long)w;
}

void http_form_free(struct http_form *form)
{
    if (!form)
        return;
    free(form->pairs);
    free(form->storage);
    form->pairs = NULL;
    form->storage = NULL;
    form->n = 0;
}

int http_form_parse(const char *body, size_t len, struct http_form *form)
{
    size_t max_pairs = 1, used = 0;
    memset(form, 0, sizeof *form);
    for (size_t i = 0; i < len; i++)
        if (body[i] == '&')
            max_pairs++;
    if (max_pairs > HTTP_FORM_MAX_PAIRS) {
        /* Empty segments ("a=1&&b=2") count here; a form that close to the
         * bound is refused anyway. */
        return -1;
    }
    /* Each pair needs at most its own bytes plus two terminators. */
    form->storage = malloc(len + 2 * max_pairs + 1);
    form->pairs = calloc(max_pairs, sizeof *form->pairs);
    if (!form->storage || !form->pairs) {
        http_form_free(form);
        return -2;
    }
    size_t pos = 0;
    while (pos < len) {
        size_t seg = pos;
        while (seg < len && body[seg] != '&')
            seg++;
        if (seg > pos) { /* skip empty segments */
            const char *p = body + pos;
            size_t n = seg - pos;
            const char *eq = memchr(p, '=', n);
            size_t klen = eq ? (size_t)(eq - p) : n;
            char *k = form->storage + used;
            long kl = decode(p, klen, k);
            if (kl <= 0)
                goto malformed;
            used += (size_t)kl + 1;
            char *v = form->storage + used;
            long vl = eq ? decode(eq + 1, n - klen - 1, v) : (v[0] = '\0', 0);
            if (vl < 0)
                goto malformed;
            used += (size_t)vl + 1;
            form->pairs[form->n].key = k;
            form->pairs[form->n].value = v;
            form->n++;
        }
        pos = seg + 1;
    }
    return 0;
malformed:
    http_form_free(form);
    return -1;
}

const char *http_form_get(const struct http_form *form, const char *key)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->pairs[i].key, key) == 0)
            return form->pairs[i].value;
    return NULL;
}

int http_form_body(struct http_request *req, struct http_response *resp,
                   struct http_form *form)
{
    int rc = http_form_parse(req->body, req->body_len, form);
    if (rc == -2) {
        http_reply_error(req, resp, 503, "unavailable", "out of memory");
        return -1;
    }
    if (rc != 0) {
        http_reply_error(req, resp, 400, "invalid_form",
                         "the body is not a well-formed application/x-www-form-urlencoded form");
        return -1;
    }
    return 0;
}
