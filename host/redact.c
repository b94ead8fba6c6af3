/*
 * Card-number masking. A candidate run is a maximal stretch of digits joined
 * by single spaces or dashes ("4111 1111-1111 1111"). Inside it, spans that
 * start and end on group boundaries and hold 13-19 digits are tried longest
 * first; a span passing Luhn is masked. Aligning on groups finds a card
 * written after an order number ("order 12345 4111 1111 1111 1111") without
 * turning every long unbroken identifier into a 10% chance of a false match.
 * A card's security code named as such ("cvv 123") is masked as well.
 */
#include "redact.h"

#include <string.h>

#define PAN_MIN 13
#define PAN_MAX 19
#define KEEP_LAST 4
#define RUN_MAX 256 /* digits examined per run; a longer run is examined in pieces */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool redact_luhn_ok(const char *digits, size_t n)
{
    int sum = 0;
    bool dbl = false;
    for (size_t i = n; i-- > 0;) {
        int d = digits[i] - '0';
        if (d < 0 || d > 9)
            return false;
        if (dbl && (d *= 2) > 9)
            d -= 9;
        sum += d;
        dbl = !dbl;
    }
    return n > 0 && sum % 10 == 0;
}

/* Examines one run of digits starting at s[start]; returns the index just
 * past it and adds the masked spans to *masked. */
static size_t scan_run(char *s, size_t start, int *masked)
{
    size_t pos[RUN_MAX];       /* where each digit of the run sits in s */
    bool group_start[RUN_MAX]; /* a separator (or the run's start) precedes it */
    char digits[RUN_MAX];
    size_t n = 0, i = start;

    while (n < RUN_MAX && is_digit(s[i])) {
        group_start[n] = (n == 0) || !is_digit(s[i - 1]);
        digits[n] = s[i];
        pos[n++] = i++;
        if ((s[i] == ' ' || s[i] == '-') && is_digit(s[i + 1]) && n < RUN_MAX)
            i++;
    }

    for (size_t k = 0; k < n;) {
        bool found = false;
        if (group_start[k]) {
            size_t hi = k + PAN_MAX < n ? k + PAN_MAX : n;
            for (size_t m = hi; m >= k + PAN_MIN; m--) {
                if ((m == n || group_start[m]) && redact_luhn_ok(digits + k, m - k)) {
                    for (size_t j = k; j < m - KEEP_LAST; j++)
                        s[pos[j]] = '*';
                    (*masked)++;
                    k = m;
                    found = true;
                    break;
                }
            }
        }
        if (!found)
            k++;
    }
    return i;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Whether the word w (lower case) starts at s[i], not inside another word. */
static bool word_at(const char *s, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (i > 0 && ((lower(s[i - 1]) >= 'a' && lower(s[i - 1]) <= 'z') || is_digit(s[i - 1])))
        return false;
    for (size_t k = 0; k < n; k++)
        if (lower(s[i + k]) != w[k])
            return false;
    return true;
}

/* Masks a card's security code: 3 or 4 digits written after "cvv", "cvv2",
 * "cvc", "cvc2", "cid", "csc" or "security code" (then optional ':', '#',
 * '=', '-' or spaces). Keeps the length. */
static void mask_security_codes(char *s)
{
    static const char *const words[] = { "security code", "cvv2", "cvc2", "cvv", "cvc", "cid",
                                         "csc" };
    for (size_t i = 0; s[i]; i++) {
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
            if (!word_at(s, i, words[w]))
                continue;
            size_t j = i + strlen(words[w]), d = 0;
            while (s[j] == ' ' || s[j] == ':' || s[j] == '#' || s[j] == '=' || s[j] == '-')
                j++;
            while (is_digit(s[j + d]))
                d++;
            if (d >= 3 && d <= 4)
                memset(s + j, '*', d);
            break;
        }
    }
}

int redact_card_numbers(char *s)
{
    int masked = 0, pass;
    if (!s)
        return 0;
    mask_security_codes(s);
    /* Again until nothing changes: the four digits a mask keeps can start a
     * card with the digits after them ("4111...1111" glued to "1111 1111
     * 1111"). Each pass masks at least nine digits or ends the loop. */
    do {
        pass = 0;
        for (size_t i = 0; s[i];) {
            if (is_digit(s[i]))
                i = scan_run(s, i, &pass);
            else
                i++;
        }
        masked += pass;
    } while (pass > 0);
    return masked;
}

int redact_json_card_numbers(cJSON *node)
{
    int masked = 0;
    if (!node)
        return 0;
    if (cJSON_IsString(node))
        return redact_card_numbers(node->valuestring);
    if (cJSON_IsArray(node) || cJSON_IsObject(node))
        for (cJSON *child = node->child; child; child = child->next)
            masked += redact_json_card_numbers(child);
    return masked;
}
