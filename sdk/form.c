/*
 * Percent-encoding and form bodies (see include/bookwell-sdk/form.h). The
 * encoder keeps exactly RFC 3986's unreserved set, which is also what
 * signature schemes that re-encode parameters expect.
 */
#include <bookwell-sdk/form.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi.h>

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int bwsdk_url_encode(const char *s, size_t len, bool form, char *out, size_t cap,
                     size_t *out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = (unreserved(c) || (form && c == ' ')) ? 1 : 3;
        if (o + need >= cap) {
            if (cap)
                out[0] = 0;
            return BW_E_NOMEM;
        }
        if (unreserved(c)) {
            out[o++] = (char)c;
        } else if (form && c == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= cap)
        return BW_E_NOMEM;
    out[o] = 0;
    if (out_len)
        *out_len = o;
    return 0;
}

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

int bwsdk_url_decode(const char *s, size_t len, bool form, char *out, size_t cap,
                     size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (len - i < 3)
                return BW_E_INVAL;
            int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
            if (a < 0 || b < 0 || (a == 0 && b == 0))
                return BW_E_INVAL;
            c = (char)(a * 16 + b);
            i += 2;
        } else if (c == '+' && form) {
            c = ' ';
        } else if (c == 0) {
            return BW_E_INVAL;
        }
        if (o + 1 >= cap)
            return BW_E_NOMEM;
        out[o++] = c;
    }
    if (o >= cap)
        return BW_E_NOMEM;
    out[o] = 0;
    if (out_len)
        *out_len = o;
    return 0;
}

static int form_reserve(struct bwsdk_form *f)
{
    if (f->n < f->cap)
        return 0;
    if (f->n >= BWSDK_FORM_MAX_PAIRS)
        return BW_E_NOMEM;
    size_t cap = f->cap ? f->cap * 2 : 16;
    struct bwsdk_form_pair *p = realloc(f->pairs, cap * sizeof *p);
    if (!p)
        return BW_E_NOMEM;
    f->pairs = p;
    f->cap = cap;
    return 0;
}

/* Takes ownership of key and value (freed on failure). */
static int form_push(struct bwsdk_form *f, char *key, char *value)
{
    int rc = (key && value) ? form_reserve(f) : BW_E_NOMEM;
    if (rc != 0) {
        free(key);
        free(value);
        return rc;
    }
    f->pairs[f->n].key = key;
    f->pairs[f->n].value = value;
    f->n++;
    return 0;
}

static char *decoded(const char *s, size_t len, int *rc)
{
    char *out = malloc(len + 1);
    if (!out) {
        *rc = BW_E_NOMEM;
        return NULL;
    }
    *rc = bwsdk_url_decode(s, len, true, out, len + 1, NULL);
    if (*rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int bwsdk_form_parse(struct bwsdk_form *f, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            int rc = 0;
            char *k = decoded(body + i, eq - i, &rc);
            if (!k)
                return rc;
            char *v = eq < end ? decoded(body + eq + 1, end - eq - 1, &rc) : strdup("");
            if (!v) {
                free(k);
                return rc ? rc : BW_E_NOMEM;
            }
            if ((rc = form_push(f, k, v)) != 0)
                return rc;
        }
        i = end + 1;
    }
    return 0;
}

int bwsdk_form_add(struct bwsdk_form *f, const char *key, const char *value)
{
    return form_push(f, strdup(key), strdup(value));
}

const char *bwsdk_form_get(const struct bwsdk_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->pairs[i].key, key) == 0)
            return f->pairs[i].value;
    return NULL;
}

/* Insertion sort: forms are small, and it is stable. */
void bwsdk_form_sort(struct bwsdk_form *f)
{
    for (size_t i = 1; i < f->n; i++) {
        struct bwsdk_form_pair p = f->pairs[i];
        size_t j = i;
        while (j > 0) {
            int c = strcmp(f->pairs[j - 1].key, p.key);
            if (c == 0)
                c = strcmp(f->pairs[j - 1].value, p.value);
            if (c <= 0)
                break;
            f->pairs[j] = f->pairs[j - 1];
            j--;
        }
        f->pairs[j] = p;
    }
}

int bwsdk_form_encode(const struct bwsdk_form *f, char **out, size_t *out_len)
{
    size_t cap = 1, o = 0;
    *out = NULL;
    for (size_t i = 0; i < f->n; i++) {
        size_t kl = strlen(f->pairs[i].key), vl = strlen(f->pairs[i].value);
        if (kl > SIZE_MAX / 8 || vl > SIZE_MAX / 8)
            return BW_E_NOMEM;
        cap += 3 * kl + 3 * vl + 2;
    }
    char *buf = malloc(cap);
    if (!buf)
        return BW_E_NOMEM;
    for (size_t i = 0; i < f->n; i++) {
        size_t kn = 0, vn = 0;
        if (i)
            buf[o++] = '&';
        /* cap was sized for the worst case, so neither can run out. */
        if (bwsdk_url_encode(f->pairs[i].key, strlen(f->pairs[i].key), true, buf + o, cap - o,
                             &kn) != 0)
            goto fail;
        o += kn;
        buf[o++] = '=';
        if (bwsdk_url_encode(f->pairs[i].value, strlen(f->pairs[i].value), true, buf + o,
                             cap - o, &vn) != 0)
            goto fail;
        o += vn;
    }
    buf[o] = 0;
    *out = buf;
    if (out_len)
        *out_len = o;
    return 0;
fail:
    free(buf);
    return BW_E_NOMEM;
}

void bwsdk_form_free(struct bwsdk_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->pairs[i].key);
        free(f->pairs[i].value);
    }
    free(f->pairs);
    f->pairs = NULL;
    f->n = f->cap = 0;
}

int bwsdk_query_add(char *q, size_t cap, const char *key, const char *value)
{
    size_t used = strlen(q), n = 0;
    int w = snprintf(q + used, cap - used, "%s%s=", used ? "&" : "", key);
    if (w < 0 || (size_t)w >= cap - used)
        return BW_E_NOMEM;
    used += (size_t)w;
    return bwsdk_url_encode(value, strlen(value), false, q + used, cap - used, &n);
}
