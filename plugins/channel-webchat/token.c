/*
 * Visitor identity for channel.webchat: ids drawn from the instance's
 * secret, the clocks and a counter; tokens "v1.<visitor>.<expires>.<mac>"
 * where mac is the unpadded base64url HMAC-SHA256 of everything before it
 * under token_secret. A token names its visitor and when it stops being
 * accepted (business time, unix seconds); nothing is stored for it.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "webchat.h"

static atomic_uint_fast64_t g_counter;

int wc_visitor_new(const struct wc_instance *in, const char *salt, char *out)
{
    char msg[256];
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t mac_len = 0;
    uint64_t n = atomic_fetch_add(&g_counter, 1);
    int len = snprintf(msg, sizeof msg, "visitor|%" PRId64 "|%" PRId64 "|%" PRIu64 "|%.128s",
                       in->host->now_us(), in->host->mono_us(), n, salt ? salt : "");
    if (len < 0)
        return BW_E_INVAL;
    int rc = in->host->hmac(BW_HASH_SHA256, in->secret, in->secret_len, msg,
                            (uint64_t)(len < (int)sizeof msg ? len : (int)sizeof msg - 1), mac,
                            sizeof mac, &mac_len);
    if (rc != 0 || mac_len < 12)
        return rc ? rc : BW_E_INVAL;
    static const char hex[] = "0123456789abcdef";
    out[0] = 'v';
    for (int i = 0; i < 12; i++) {
        out[1 + 2 * i] = hex[mac[i] >> 4];
        out[2 + 2 * i] = hex[mac[i] & 15];
    }
    out[WC_VISITOR_LEN] = '\0';
    return 0;
}

/* The base64url MAC of the first len bytes of text into out[44]. */
static int token_mac(const struct wc_instance *in, const char *text, size_t len, char *out,
                     size_t cap)
{
    uint8_t mac[BW_HASH_MAX_LEN];
    uint32_t mac_len = 0;
    uint64_t out_len = 0;
    int rc = in->host->hmac(BW_HASH_SHA256, in->secret, in->secret_len, text, len, mac,
                            sizeof mac, &mac_len);
    if (rc == 0)
        rc = in->host->base64_encode(BW_BASE64_URL | BW_BASE64_NOPAD, mac, mac_len, out, cap,
                                     &out_len);
    return rc;
}

static bool visitor_ok(const char *s, size_t n)
{
    if (n != WC_VISITOR_LEN || s[0] != 'v')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int wc_token_sign(const struct wc_instance *in, const char *visitor, int64_t expires_s,
                  char *out, size_t cap)
{
    char mac[64];
    if (!visitor_ok(visitor, strlen(visitor)) || expires_s <= 0)
        return BW_E_INVAL;
    int n = snprintf(out, cap, "v1.%s.%" PRId64, visitor, expires_s);
    if (n < 0 || (size_t)n >= cap)
        return BW_E_NOMEM;
    int rc = token_mac(in, out, (size_t)n, mac, sizeof mac);
    if (rc != 0)
        return rc;
    if ((size_t)n + 1 + strlen(mac) >= cap)
        return BW_E_NOMEM;
    out[n] = '.';
    memcpy(out + n + 1, mac, strlen(mac) + 1);
    return 0;
}

int wc_token_verify(const struct wc_instance *in, const char *token, size_t len, int64_t now_s,
                    char *visitor)
{
    char mac[64];
    if (len < 3 + WC_VISITOR_LEN + 3 || len >= WC_TOKEN_MAX || memcmp(token, "v1.", 3) != 0)
        return WC_TOKEN_BAD;
    const char *dot = memchr(token + 3, '.', len - 3);
    if (!dot || !visitor_ok(token + 3, (size_t)(dot - token - 3)))
        return WC_TOKEN_BAD;
    const char *exp = dot + 1;
    const char *dot2 = memchr(exp, '.', len - (size_t)(exp - token));
    if (!dot2 || dot2 == exp || dot2 - exp > 12)
        return WC_TOKEN_BAD;
    int64_t expires = 0;
    for (const char *p = exp; p < dot2; p++) {
        if (*p < '0' || *p > '9')
            return WC_TOKEN_BAD;
        expires = expires * 10 + (*p - '0');
    }
    if (token_mac(in, token, (size_t)(dot2 - token), mac, sizeof mac) != 0)
        return WC_TOKEN_BAD;
    size_t given = len - (size_t)(dot2 + 1 - token);
    if (given != strlen(mac) || !in->host->ct_equal(mac, dot2 + 1, given))
        return WC_TOKEN_BAD;
    if (expires <= now_s)
        return WC_TOKEN_EXPIRED;
    memcpy(visitor, token + 3, WC_VISITOR_LEN);
    visitor[WC_VISITOR_LEN] = '\0';
    return WC_TOKEN_OK;
}
