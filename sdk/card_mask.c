/*
 * Card-number masking (see include/bookwell-sdk/card_mask.h). A candidate
 * run is a maximal stretch of digits joined by single spaces or dashes
 * ("4111 1111-1111 1111"). Inside it, spans that start and end on group
 * boundaries and hold 13-19 digits are tried longest first; a span passing
 * Luhn is masked. Aligning on groups finds a card written after an order
 * number ("order 12345 4111 1111 1111 1111") without turning every long
 * unbroken identifier into a 10% chance of a false match. Then the card's
 * companions: a security code or expiry date after its label ("cvv 123",
 * "exp 12/29"), and unlabelled ones right after a masked number
 * ("**** **** **** 1111 12/29 123"), lose their digits too.
 */
#include <bookwell-sdk/card_mask.h>

#define PAN_MIN 13
#define PAN_MAX 19
#define KEEP_LAST 4
#define RUN_MAX 256 /* digits examined per run; a longer run is examined in pieces */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool bwsdk_luhn_ok(const char *digits, size_t n)
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
                if ((m == n || group_start[m]) && bwsdk_luhn_ok(digits + k, m - k)) {
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

/* ---- security codes and expiry dates ------------------------------------- */

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static bool joins(char c) { return c == '/' || c == '-' || c == '.' || c == ':' || c == ','; }

/* Length of w (lowercase letters and single spaces) at s, in any letter
 * case, not followed by a letter; 0 when s does not start with it. */
static size_t word_at(const char *s, const char *w)
{
    size_t n = 0;
    for (; w[n]; n++)
        if (lower(s[n]) != w[n])
            return 0;
    return is_alpha(s[n]) ? 0 : n;
}

/* Digits in s[from, to) become '*'. */
static void star(char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (is_digit(s[i]))
            s[i] = '*';
}

/* The end of a 3 or 4 digit security code at s[i]: a number standing
 * alone (nothing glued after it, and no "-5", "/5", ".5", ":5" or ",5"
 * continuing it, so a phone number, a time or a price never is one); 0
 * when none. */
static size_t code_at(const char *s, size_t i)
{
    size_t j = i;
    while (is_digit(s[j]))
        j++;
    if (j - i < 3 || j - i > 4 || is_alpha(s[j]) || (joins(s[j]) && is_digit(s[j + 1])))
        return 0;
    return j;
}

/* The end of an expiry date at s[i]: M/YY, MM/YY, MM/YYYY (or with '-' or
 * '.' between), or MMYY, with a month from 1 to 12; 0 when none. */
static size_t expiry_at(const char *s, size_t i)
{
    size_t j = i;
    while (is_digit(s[j]))
        j++;
    size_t nm = j - i;
    if (nm == 4) {
        int m = (s[i] - '0') * 10 + (s[i + 1] - '0');
        return m >= 1 && m <= 12 && !is_alpha(s[j]) && !(joins(s[j]) && is_digit(s[j + 1])) ? j
                                                                                          : 0;
    }
    if (nm < 1 || nm > 2 || !(s[j] == '/' || s[j] == '-' || s[j] == '.'))
        return 0;
    int m = nm == 1 ? s[i] - '0' : (s[i] - '0') * 10 + (s[i + 1] - '0');
    size_t y = j + 1, k = y;
    while (is_digit(s[k]))
        k++;
    if (m < 1 || m > 12 || (k - y != 2 && k - y != 4) || is_alpha(s[k]) ||
        (joins(s[k]) && is_digit(s[k + 1])))
        return 0;
    return k;
}

/* Skips what may sit between a label and its value: spaces and ":#=-.,",
 * and the words "is", "date", "code", "number", "no", "on", "thru". */
static size_t skip_filler(const char *s, size_t i)
{
    static const char *const fill[] = { "is", "date", "code", "number", "num", "no", "on",
                                        "thru", "through", NULL };
    for (int guard = 0; guard < 8; guard++) {
        size_t k = i, w = 0;
        while (s[k] == ' ' || s[k] == ':' || s[k] == '#' || s[k] == '=' || s[k] == '-' ||
               s[k] == '.' || s[k] == ',')
            k++;
        for (const char *const *f = fill; *f && !w; f++)
            w = word_at(s + k, *f);
        if (k == i && !w)
            break;
        i = k + w;
    }
    return i;
}

/* A security code after its label ("cvv 123", "CVC: 1234", "security code
 * is 123") and an expiry after its own ("exp 12/29", "expires 1229",
 * "valid thru 12/2029"): the value's digits become '*'. Returns how many
 * values were masked. */
static int mask_labelled(char *s)
{
    static const char *const codes[] = { "cvv2", "cvc2", "cvv", "cvc", "csc", "cid",
                                         "security code", "sec code", "card code", NULL };
    static const char *const expiries[] = { "expiration", "expiry", "expires", "expire", "exp",
                                            "valid thru", "valid through", "good thru",
                                            "good through", NULL };
    int n = 0;
    for (size_t i = 0; s[i]; i++) {
        if (i > 0 && is_alpha(s[i - 1]))
            continue;
        size_t w = 0, end = 0;
        bool code = false;
        for (const char *const *c = codes; *c && !w; c++)
            code = (w = word_at(s + i, *c)) != 0;
        for (const char *const *e = expiries; *e && !w; e++)
            w = word_at(s + i, *e);
        if (!w)
            continue;
        size_t v = skip_filler(s, i + w);
        if (v == i + w && is_alpha(s[v - 1]) && !is_digit(s[v]))
            continue; /* "cvvs", or a label with nothing after it */
        end = code ? code_at(s, v) : expiry_at(s, v);
        if (!end)
            continue;
        star(s, v, end);
        n++;
        i = end - 1;
    }
    return n;
}

/* The end of a masked card number at s[i] ("**** **** **** 1111",
 * "************1111": nine or more '*' in groups joined by single spaces or
 * dashes, then one to four digits), or 0. */
static size_t masked_card_at(const char *s, size_t i)
{
    size_t stars = 0, j = i;
    if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '*'))
        return 0;
    for (;;) {
        while (s[j] == '*') {
            stars++;
            j++;
        }
        if ((s[j] == ' ' || s[j] == '-') && s[j + 1] == '*')
            j++;
        else
            break;
    }
    if ((s[j] == ' ' || s[j] == '-') && is_digit(s[j + 1]))
        j++;
    size_t d = j;
    while (is_digit(s[j]))
        j++;
    if (stars < 9 || j - d < 1 || j - d > 4 || is_alnum(s[j]))
        return 0;
    return j;
}

/* Right after a masked card number, an unlabelled expiry and security code
 * ("4111 1111 1111 1111 12/29 123", "..., 0929, 123"): up to two values,
 * separated by spaces or ",;/" and nothing else, become '*'. A word, a
 * price, a time or a phone number ends the search. Returns how many. */
static int mask_after_cards(char *s)
{
    int n = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '*')
            continue;
        size_t j = masked_card_at(s, i);
        if (!j)
            continue;
        for (int k = 0; k < 2; k++) {
            size_t v = j;
            while (s[v] == ' ' || s[v] == ',' || s[v] == ';' || s[v] == '/')
                v++;
            size_t end = expiry_at(s, v);
            if (!end)
                end = code_at(s, v);
            if (!end)
                break;
            star(s, v, end);
            n++;
            j = end;
        }
        i = j - 1;
    }
    return n;
}

int bwsdk_mask_card_numbers(char *s)
{
    int masked = 0, pass;
    if (!s)
        return 0;
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
    return masked + mask_labelled(s) + mask_after_cards(s);
}

