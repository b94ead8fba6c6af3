/*
 * SDK conveniences shared by every plugin: filling a host-owned struct
 * bw_error, mapping provider HTTP statuses to BW_E_* codes, finding response
 * headers, appending text to result buffers.
 */
#include <bookwell-sdk/sdk.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The SDK is built against the pinned ABI layout, like the host. */
#include <bookwell/abi_layout.h>

int bwsdk_strlcpy(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0)
        return BW_E_NOMEM;
    if (len >= cap) {
        dst[0] = 0;
        return BW_E_NOMEM;
    }
    memcpy(dst, src, len);
    dst[len] = 0;
    return 0;
}

int bwsdk_error(struct bw_error *err, int code, const char *provider_code, const char *fmt, ...)
{
    if (!err)
        return code;
    if (BW_HAS(err, code))
        err->code = code;
    if (provider_code && BW_HAS(err, provider_code))
        snprintf(err->provider_code, sizeof err->provider_code, "%s", provider_code);
    if (fmt && BW_HAS(err, message)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const struct bw_http_header *bwsdk_http_header(const struct bw_http_header *headers, uint64_t n,
                                               const char *name)
{
    size_t nl = strlen(name);
    for (uint64_t i = 0; headers && i < n; i++)
        if (headers[i].name.len == nl && strncasecmp(headers[i].name.ptr, name, nl) == 0)
            return &headers[i];
    return NULL;
}

/* Retry-After in seconds (the HTTP-date form is left to the host's backoff). */
static int64_t retry_after_ms(const struct bw_http_response *resp)
{
    const struct bw_http_header *h = bwsdk_http_header(resp->headers, resp->n_headers,
                                                       "Retry-After");
    int64_t s = 0;
    if (!h || h->value.len == 0 || h->value.len > 9)
        return 0;
    for (uint64_t i = 0; i < h->value.len; i++) {
        char c = h->value.ptr[i];
        if (c < '0' || c > '9')
            return 0;
        s = s * 10 + (c - '0');
    }
    return s * 1000;
}

int bwsdk_http_status_error(const struct bw_http_response *resp, struct bw_error *err)
{
    int32_t st = resp->status;
    int code;
    if (st >= 200 && st < 400)
        return 0;
    if (st == 401 || st == 403)
        code = BW_E_AUTH;
    else if (st == 408)
        code = BW_E_TIMEOUT;
    else if (st == 409 || st == 410)
        code = BW_E_CONFLICT;
    else if (st == 429 || st >= 500)
        code = BW_E_RETRY;
    else
        code = BW_E_REMOTE;
    if (err && BW_HAS(err, http_status)) {
        err->http_status = st;
        if (code == BW_E_RETRY)
            err->retry_after_ms = retry_after_ms(resp);
    }
    return bwsdk_error(err, code, NULL, "provider answered HTTP %d", (int)st);
}

int bwsdk_buf_puts(const struct bw_host *host, struct bw_buf *buf, const char *s)
{
    return host->buf_append(buf, s, strlen(s));
}
