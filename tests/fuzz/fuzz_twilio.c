/*
 * libFuzzer target for the Twilio plugin's webhook parsing: the input is a
 * webhook as the plugin receives it (first line: the request URL; second
 * line: X-Twilio-Signature; the rest: the form body). It runs the plugin's
 * own code on it (endpoint, form parser, public URL, signature check, and
 * every endpoint's events and TwiML, as for a verified request) under
 * AddressSanitizer and UndefinedBehaviorSanitizer. The services table is a
 * small stand-in (buffers, a keyed digest in place of HMAC-SHA1, base64,
 * constant-time compare): the fuzzer aims at the plugin, not at OpenSSL.
 * Built and run by tests/fuzz/fuzz_twilio.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twilio.h"

struct bw_buf {
    uint8_t *data;
    uint64_t len, cap, max;
};

static int fz_append(struct bw_buf *b, const void *data, uint64_t len)
{
    if (!b || (!data && len))
        return BW_E_INVAL;
    if (b->len + len + 1 > b->max)
        return BW_E_NOMEM;
    if (b->len + len + 1 > b->cap) {
        uint64_t cap = (b->len + len + 1) * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return BW_E_NOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

static int fz_truncate(struct bw_buf *b, uint64_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = 0;
    }
    return 0;
}

static int fz_view(const struct bw_buf *b, struct bw_bytes *out)
{
    out->ptr = b->data ? b->data : (const uint8_t *)"";
    out->len = b->len;
    return 0;
}

/* A keyed digest standing in for HMAC-SHA1 (20 bytes, depends on every
 * byte of key and message). */
static int fz_hmac(uint32_t alg, const void *key, uint64_t key_len, const void *msg,
                   uint64_t msg_len, uint8_t *out, uint32_t out_cap, uint32_t *out_len)
{
    if (alg != BW_HASH_SHA1)
        return BW_E_INVAL;
    if (out_cap < 20)
        return BW_E_NOMEM;
    uint64_t h[3] = { 1469598103934665603ull, 1099511628211ull, 7ull };
    const uint8_t *k = key, *m = msg;
    for (uint64_t i = 0; i < key_len; i++)
        h[i % 3] = (h[i % 3] ^ k[i]) * 1099511628211ull;
    for (uint64_t i = 0; i < msg_len; i++)
        h[i % 3] = (h[i % 3] ^ m[i]) * 1099511628211ull;
    memcpy(out, h, 20);
    *out_len = 20;
    return 0;
}

static int fz_b64(uint32_t flags, const void *data, uint64_t len, char *out, uint64_t cap,
                  uint64_t *out_len)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (void)flags;
    const uint8_t *d = data;
    uint64_t need = (len + 2) / 3 * 4;
    if (need + 1 > cap)
        return BW_E_NOMEM;
    uint64_t o = 0;
    for (uint64_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < len ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < len ? d[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = i + 1 < len ? a[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? a[v & 63] : '=';
    }
    out[o] = 0;
    *out_len = o;
    return 0;
}

static int fz_ct_equal(const void *a, const void *b, uint64_t len)
{
    const uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (uint64_t i = 0; i < len; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

static int64_t fz_now(void) { return 1804000000000000LL; }

static const struct bw_host fz_host = {
    .struct_size = sizeof(struct bw_host),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .buf_append = fz_append,
    .buf_truncate = fz_truncate,
    .buf_view = fz_view,
    .now_us = fz_now,
    .mono_us = fz_now,
    .hmac = fz_hmac,
    .base64_encode = fz_b64,
    .ct_equal = fz_ct_equal,
};

/* The next line of data (up to '\n') as a NUL-terminated copy. */
static char *fz_line(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, *data, n);
    s[n] = 0;
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fz_line(&data, &size);
    char *sig = fz_line(&data, &size);
    char *body = malloc(size + 1);
    if (!url || !sig || !body)
        goto done;
    memcpy(body, data, size);
    body[size] = 0;

    struct tw_instance in;
    memset(&in, 0, sizeof in);
    in.host = &fz_host;
    in.auth_token = (char *)"fuzz-token";
    in.auth_token_len = 10;
    memcpy(in.public_base_url, "https://clinic.example.com", 27);
    memcpy(in.missed_message, "We missed you <&>", 18);
    in.dial_timeout_s = 20;
    in.voicemail_max_s = 60;
    if (size & 1)
        memcpy(in.forward_number, "+14155559999", 13);
    in.missed_action = (size & 2) ? TW_MISSED_VOICEMAIL : TW_MISSED_MESSAGE;

    struct bwsdk_form f = { 0 };
    enum tw_endpoint ep = tw_endpoint_of(url);
    if (tw_form_parse(&f, body, size) == 0) {
        char pub[1024];
        if (tw_public_url(in.public_base_url, url, pub, sizeof pub) == 0)
            (void)tw_signature_check(&fz_host, in.auth_token, in.auth_token_len, pub, &f, sig);
        /* Every endpoint, as if the signature had verified. */
        for (int e = TW_EP_UNKNOWN; e <= TW_EP_STATUS; e++) {
            struct bw_buf events = { NULL, 0, 0, 1 << 20 }, xml = { NULL, 0, 0, 1 << 20 };
            struct bw_webhook_reply reply = { sizeof reply, 200, &xml, "text/plain" };
            struct bw_error err = { .struct_size = sizeof err };
            (void)tw_webhook_events(&in, e == TW_EP_UNKNOWN ? ep : (enum tw_endpoint)e, &f,
                                    (size & 4) ? sig : NULL, &events, &reply, &err);
            free(events.data);
            free(xml.data);
        }
    }
    bwsdk_form_free(&f);
done:
    free(url);
    free(sig);
    free(body);
    return 0;
}
