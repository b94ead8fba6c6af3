/*
 * Money formatting and parsing in minor units (see
 * include/bookwell-sdk/money.h). Amounts are int64 throughout; the
 * magnitude is taken as uint64 so INT64_MIN formats correctly.
 */
#include <bookwell-sdk/money.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bookwell/abi.h>

struct currency {
    const char code[4];
    int exponent;
    const char *symbol;        /* NULL: the code follows the amount */
};

static const struct currency currencies[] = {
    { "USD", 2, "$" }, { "CAD", 2, "$" }, { "AUD", 2, "$" }, { "NZD", 2, "$" },
    { "MXN", 2, "$" }, { "EUR", 2, "\xe2\x82\xac" }, { "GBP", 2, "\xc2\xa3" },
    { "JPY", 0, "\xc2\xa5" }, { "KRW", 0, NULL }, { "ISK", 0, NULL }, { "CLP", 0, NULL },
    { "VND", 0, NULL }, { "BHD", 3, NULL }, { "KWD", 3, NULL }, { "OMR", 3, NULL },
    { "JOD", 3, NULL }, { "TND", 3, NULL }, { "IQD", 3, NULL }, { "LYD", 3, NULL },
};

static bool code_valid(const char *c)
{
    return c && strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
           c[2] >= 'A' && c[2] <= 'Z';
}

static const struct currency *lookup(const char *code)
{
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
        if (strcmp(currencies[i].code, code) == 0)
            return &currencies[i];
    return NULL;
}

int bwsdk_money_exponent(const char *currency)
{
    if (!code_valid(currency))
        return BW_E_INVAL;
    const struct currency *c = lookup(currency);
    return c ? c->exponent : 2;
}

/* Writes v with ',' every three digits into out; returns the length. */
static size_t grouped(uint64_t v, char *out)
{
    char rev[32];
    size_t n = 0, o = 0;
    do {
        if (n && n % 3 == 0)
            rev[o++] = ',';
        rev[o++] = (char)('0' + v % 10);
        v /= 10;
        n++;
    } while (v);
    for (size_t i = 0; i < o; i++)
        out[i] = rev[o - 1 - i];
    out[o] = 0;
    return o;
}

int bwsdk_money_format(int64_t minor, const char *currency, char *out, size_t cap)
{
    int exp = bwsdk_money_exponent(currency);
    if (cap)
        out[0] = 0;
    if (exp < 0)
        return BW_E_INVAL;
    const struct currency *c = lookup(currency);
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t scale = 1;
    for (int i = 0; i < exp; i++)
        scale *= 10;
    char whole[40], frac[8] = "";
    grouped(mag / scale, whole);
    if (exp > 0 && mag % scale != 0) {
        uint64_t f = mag % scale;
        frac[0] = '.';
        for (int i = exp; i > 0; i--, f /= 10)
            frac[i] = (char)('0' + f % 10);
        frac[exp + 1] = 0;
    }
    int n;
    if (c && c->symbol)
        n = snprintf(out, cap, "%s%s%s%s", minor < 0 ? "-" : "", c->symbol, whole, frac);
    else
        n = snprintf(out, cap, "%s%s%s %s", minor < 0 ? "-" : "", whole, frac, currency);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = 0;
        return BW_E_NOMEM;
    }
    return 0;
}

int bwsdk_money_parse(const char *s, const char *currency, int64_t *minor)
{
    int exp = bwsdk_money_exponent(currency);
    if (exp < 0 || !s)
        return BW_E_INVAL;
    const struct currency *c = lookup(currency);
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (c && c->symbol && strncmp(s, c->symbol, strlen(c->symbol)) == 0)
        s += strlen(c->symbol);
    uint64_t v = 0;
    int ndigits = 0, group = -1; /* digits since the last ',' (-1: none seen) */
    const uint64_t limit = (uint64_t)INT64_MAX;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++) {
        if (*s == ',') {
            if (ndigits == 0 || (group >= 0 && group != 3) || (group < 0 && ndigits > 3))
                return BW_E_INVAL;
            group = 0;
            continue;
        }
        uint64_t digit = (uint64_t)(*s - '0');
        if (v > (limit - digit) / 10)
            return BW_E_INVAL;
        v = v * 10 + digit;
        ndigits++;
        if (group >= 0)
            group++;
    }
    if (ndigits == 0 || (group >= 0 && group != 3))
        return BW_E_INVAL;
    int decimals = 0;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            uint64_t digit = (uint64_t)(*s - '0');
            if (++decimals > exp || v > (limit - digit) / 10)
                return BW_E_INVAL;
            v = v * 10 + digit;
            s++;
        }
        if (decimals == 0)
            return BW_E_INVAL;
    }
    if (*s)
        return BW_E_INVAL;
    for (; decimals < exp; decimals++) {
        if (v > limit / 10)
            return BW_E_INVAL;
        v *= 10;
    }
    *minor = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}
