/*
 * UTF-8 decoding and Latin folding for the rule-based text readers. The
 * class of a character outside ASCII and Latin-1 comes from ICU
 * (u_isalnum), so letters of every script stay inside words while emoji and
 * symbols separate them.
 */
#include "textfold.h"

#include <string.h>
#include <unicode/uchar.h>

size_t textfold_next(const char *str, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        *cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        *cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        *cp = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) { /* a NUL fails the test, so we stop at it */
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && *cp < 0x80) || (len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) ||
        *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    return len;
}

enum textfold_kind textfold_kind(uint32_t cp)
{
    if (cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == '`' || cp == 0xB4)
        return TEXTFOLD_JOIN;
    if (cp == '.' || cp == ',' || cp == '!' || cp == '?' || cp == ';' || cp == ':' ||
        cp == '\n' || cp == '\r' || cp == 0xA1 || cp == 0xBF || cp == 0x2026)
        return TEXTFOLD_BREAK;
    if (cp < 0x80)
        return ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
                   ? TEXTFOLD_LETTER
                   : TEXTFOLD_SPACE;
    if (cp == 0xFFFD || cp == 0xD7 || cp == 0xF7)
        return TEXTFOLD_SPACE;
    return u_isalnum((UChar32)cp) ? TEXTFOLD_LETTER : TEXTFOLD_SPACE;
}

/* Base letters of U+00C0..U+00FF ('.': not a letter, '*': two letters). */
static const char LATIN1[65] = "aaaaaa*ceeeeiiiidnooooo.ouuuuy**aaaaaa*ceeeeiiiidnooooo.ouuuuy*y";

size_t textfold_letter(uint32_t cp, const char *src, size_t len, char out[5])
{
    if (cp < 0x80) {
        out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        out[1] = '\0';
        return 1;
    }
    if (cp >= 0xC0 && cp <= 0xFF && LATIN1[cp - 0xC0] != '.') {
        char c = LATIN1[cp - 0xC0];
        if (c == '*') {
            const char *pair = (cp == 0xC6 || cp == 0xE6) ? "ae" : cp == 0xDF ? "ss" : "th";
            memcpy(out, pair, 3);
            return 2;
        }
        out[0] = c;
        out[1] = '\0';
        return 1;
    }
    if (cp == 0x152 || cp == 0x153) {
        memcpy(out, "oe", 3);
        return 2;
    }
    if (len > 4)
        len = 4;
    memcpy(out, src, len);
    out[len] = '\0';
    return len;
}
