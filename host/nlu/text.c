/*
 * Cutting a message into tokens. Words are lower-cased (ASCII and Latin-1
 * letters), apostrophes dropped ("I'll" is "ill", "what's" is "whats"),
 * numbers read with their minutes ("3:30"), dates ("3/15"), ordinal and
 * am/pm suffixes ("11th", "4pm", "10 a.m."); punctuation becomes flags on
 * the token before it (clause ends, question marks) or after it ('@', '~',
 * '#', '-'); emails and links are whole tokens; emoji are noted, and a
 * thumbs-up or a check mark reads as "ok". Slang is mapped to its word
 * ("tmrw" to "tomorrow") by the lexicon afterwards. Nothing is allocated:
 * the words live in the struct nlu_text the caller owns.
 */
#include "internal.h"

#include <string.h>

#define EMAILS_MAX 4
#define WORD_MAX 63

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

/* Decodes one UTF-8 sequence at s[0..n); sets *len (at least 1) and
 * returns the code point, or 0xFFFD for a malformed one. */
static uint32_t utf8_decode(const unsigned char *s, size_t n, int *len)
{
    unsigned char c = s[0];
    int need;
    uint32_t cp;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3;
        cp = c & 0x07;
    } else {
        *len = 1;
        return 0xFFFD;
    }
    if ((size_t)need >= n) {
        *len = 1;
        return 0xFFFD;
    }
    for (int k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *len = need + 1;
    return cp;
}

static bool cp_letter(uint32_t cp)
{
    if (cp < 0x80)
        return is_alpha((unsigned char)cp);
    return cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7;
}

static bool cp_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    return cp >= 0xC0 && cp <= 0xDE && cp != 0xD7;
}

static bool cp_apostrophe(uint32_t cp)
{
    return cp == '\'' || cp == '`' || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC;
}

static bool cp_dash(uint32_t cp) { return cp == '-' || (cp >= 0x2010 && cp <= 0x2015); }

static bool cp_emoji(uint32_t cp)
{
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
           (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x2764;
}

/* Thumbs up, OK hand, check marks: a reply of "ok". */
static bool cp_ok_emoji(uint32_t cp)
{
    return cp == 0x1F44D || cp == 0x1F44C || cp == 0x2705 || cp == 0x2714 || cp == 0x2611;
}

/* Appends the lower-case form of cp to out (cap bytes, *o in use). */
static void put_folded(uint32_t cp, char *out, size_t cap, size_t *o)
{
    if (cp_upper(cp))
        cp += 0x20;
    if (cp < 0x80) {
        if (*o + 1 < cap)
            out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        if (*o + 2 < cap) {
            out[(*o)++] = (char)(0xC0 | (cp >> 6));
            out[(*o)++] = (char)(0x80 | (cp & 0x3F));
        }
    }
}

size_t nlu_fold(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n;) {
        int len;
        uint32_t cp = utf8_decode(u + i, n - i, &len);
        if (cp_apostrophe(cp)) {
            i += (size_t)len;
            continue;
        }
        if (cp_letter(cp))
            put_folded(cp, out, cap, &o);
        else if (o + (size_t)len < cap) {
            memcpy(out + o, s + i, (size_t)len);
            o += (size_t)len;
        }
        i += (size_t)len;
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------------ emails */

static bool email_local_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool email_domain_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '-';
}

/* Finds up to EMAILS_MAX addresses: spans [from, to) in s. */
static int find_emails(const char *s, size_t n, size_t from[], size_t to[])
{
    int k = 0;
    for (size_t i = 0; i < n && k < EMAILS_MAX; i++) {
        if (s[i] != '@')
            continue;
        size_t a = i, b = i + 1;
        while (a > 0 && email_local_char((unsigned char)s[a - 1]))
            a--;
        while (b < n && email_domain_char((unsigned char)s[b]))
            b++;
        while (b > i + 1 && (s[b - 1] == '.' || s[b - 1] == '-'))
            b--;
        while (a < i && s[a] == '.')
            a++;
        if (a == i)
            continue;
        size_t dot = b;
        for (size_t j = i + 1; j < b; j++)
            if (s[j] == '.')
                dot = j;
        if (dot == b || dot == i + 1 || b - dot < 3)
            continue;
        bool tld_alpha = true;
        for (size_t j = dot + 1; j < b; j++)
            tld_alpha = tld_alpha && is_alpha((unsigned char)s[j]);
        if (!tld_alpha)
            continue;
        if (k > 0 && a < to[k - 1])
            continue;
        from[k] = a;
        to[k] = b;
        k++;
        i = b;
    }
    return k;
}

/* ------------------------------------------------------------------ cutting */

struct cutter {
    struct nlu_text *tx;
    const unsigned char *s;
    size_t n;
    uint32_t pend;  /* flags for the next token */
    bool gap;       /* whitespace or punctuation since the last token */
};

static struct nlu_token *new_tok(struct cutter *c, size_t off)
{
    struct nlu_text *tx = c->tx;
    if (tx->n >= NLU_TOKENS_MAX) {
        tx->flags |= NLU_F_TRUNCATED;
        return NULL;
    }
    struct nlu_token *t = &tx->t[tx->n++];
    memset(t, 0, sizeof *t);
    t->flags = c->pend | (c->gap || tx->n == 1 ? 0 : TF_JOIN);
    t->id = -1;
    t->num = -1;
    t->num2 = -1;
    t->num3 = -1;
    t->ooff = (uint16_t)off;
    c->pend = 0;
    c->gap = false;
    return t;
}

static struct nlu_token *last_tok(struct cutter *c)
{
    return c->tx->n > 0 ? &c->tx->t[c->tx->n - 1] : NULL;
}

static void synthetic(struct cutter *c, size_t off, size_t len, const char *word)
{
    struct nlu_token *t = new_tok(c, off);
    if (!t)
        return;
    t->kind = TK_WORD;
    t->w = t->raw = word;
    t->wlen = t->rawlen = (uint8_t)strlen(word);
    t->olen = (uint16_t)len;
    c->gap = true;
}

/* "a.m." / "p.m." / "a.m" at s[i] (the letter); returns bytes, 0 when not. */
static size_t meridiem_dots(const unsigned char *s, size_t n, size_t i)
{
    if (i + 2 >= n)
        return 0;
    unsigned char a = s[i] | 0x20;
    if ((a != 'a' && a != 'p') || s[i + 1] != '.' || (s[i + 2] | 0x20) != 'm')
        return 0;
    size_t len = 3;
    if (i + 3 < n && s[i + 3] == '.')
        len = 4;
    if (i + len < n && is_alpha(s[i + len]))
        return 0;
    return len;
}

/* Words that a '.' follows without ending the clause: titles and initials. */
static bool dot_continues(const struct nlu_token *t)
{
    static const char *const abbr[] = { "dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "approx",
                                        "appt", "apt", "no", NULL };
    if (!t || t->kind != TK_WORD)
        return false;
    if (t->rawlen == 1)
        return true;
    for (int i = 0; abbr[i]; i++)
        if (t->rawlen == strlen(abbr[i]) && memcmp(t->raw, abbr[i], t->rawlen) == 0)
            return true;
    return false;
}

static size_t cut_word(struct cutter *c, size_t i)
{
    struct nlu_text *tx = c->tx;
    const unsigned char *s = c->s;
    struct nlu_token *t = new_tok(c, i);
    size_t start = i, o0 = tx->lowlen, o = tx->lowlen;
    size_t cap = sizeof tx->low;
    int letters = 0, uppers = 0;
    bool first_cap = false;

    if (!t) {
        while (i < c->n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] >= 0x80))
            i++;
        return i > start ? i : i + 1;
    }
    size_t md = meridiem_dots(s, c->n, i);
    if (md) {
        tx->low[o++] = (char)(s[i] | 0x20);
        tx->low[o++] = 'm';
        letters = 2;
        i += md;
    } else {
        while (i < c->n) {
            int len;
            uint32_t cp = utf8_decode(s + i, c->n - i, &len);
            if (cp_letter(cp)) {
                if (letters == 0)
                    first_cap = cp_upper(cp);
                letters++;
                uppers += cp_upper(cp);
                if (o - o0 < WORD_MAX)
                    put_folded(cp, tx->low, cap, &o);
            } else if (cp < 0x80 && is_digit((unsigned char)cp)) {
                if (o - o0 < WORD_MAX && o + 1 < cap)
                    tx->low[o++] = (char)cp;
            } else if (cp_apostrophe(cp) && i + (size_t)len < c->n) {
                int l2;
                uint32_t nx = utf8_decode(s + i + len, c->n - i - (size_t)len, &l2);
                if (!cp_letter(nx))
                    break;
            } else {
                break;
            }
            i += (size_t)len;
        }
    }
    t->kind = TK_WORD;
    t->raw = t->w = tx->low + o0;
    t->rawlen = t->wlen = (uint8_t)(o - o0);
    t->olen = (uint16_t)(i - start);
    if (first_cap)
        t->flags |= TF_CAP;
    if (letters > 1 && uppers == letters)
        t->flags |= TF_UPPER;
    if (t->wlen == 2 && t->w[1] == 'm' && (t->w[0] == 'a' || t->w[0] == 'p'))
        t->flags |= t->w[0] == 'a' ? TF_AM : TF_PM;
    tx->lowlen = o;
    return i;
}

/* Counts up to max digits at s[i]; the value saturates at 99999. */
static size_t digits(const unsigned char *s, size_t n, size_t i, size_t max, int *v)
{
    size_t k = 0;
    int val = 0;
    while (i + k < n && is_digit(s[i + k]) && k < max) {
        if (val < 99999)
            val = val * 10 + (s[i + k] - '0');
        k++;
    }
    *v = val > 99999 ? 99999 : val;
    return k;
}

/* Reads a letter suffix right after a number: am/pm/a/p/st/nd/rd/th/ish and
 * their combinations. Returns bytes used, 0 when the letters are not one. */
static size_t num_suffix(const unsigned char *s, size_t n, size_t i, uint32_t *fl)
{
    size_t k = 0;
    char w[8];
    size_t md = meridiem_dots(s, n, i);
    if (md) {
        *fl |= (s[i] | 0x20) == 'a' ? TF_AM : TF_PM;
        return md;
    }
    while (i + k < n && is_alpha(s[i + k]) && k < sizeof w - 1) {
        w[k] = (char)(s[i + k] | 0x20);
        k++;
    }
    if (i + k < n && (is_alpha(s[i + k]) || is_digit(s[i + k])))
        return 0;
    w[k] = '\0';
    if (!strcmp(w, "am") || !strcmp(w, "a"))
        *fl |= TF_AM;
    else if (!strcmp(w, "pm") || !strcmp(w, "p"))
        *fl |= TF_PM;
    else if (!strcmp(w, "amish"))
        *fl |= TF_AM | TF_ISH;
    else if (!strcmp(w, "pmish"))
        *fl |= TF_PM | TF_ISH;
    else if (!strcmp(w, "st") || !strcmp(w, "nd") || !strcmp(w, "rd") || !strcmp(w, "th"))
        *fl |= TF_ORD;
    else if (!strcmp(w, "ish") || !strcmp(w, "ishh"))
        *fl |= TF_ISH;
    else
        return 0;
    return k;
}

static size_t cut_number(struct cutter *c, size_t i, bool money)
{
    const unsigned char *s = c->s;
    size_t n = c->n, start = money ? i - 1 : i;
    int v, v2;
    size_t k = digits(s, n, i, 12, &v);
    uint32_t fl = 0;
    size_t j = i + k;
    bool big = k > 4;

    /* thousands: 1,200 */
    while (j < n && s[j] == ',' && digits(s, n, j + 1, 4, &v2) == 3) {
        big = big || v > 9;
        v = big ? 99999 : v * 1000 + v2;
        j += 4;
        fl |= TF_GROUPED;
    }
    /* letters right after the digits: "11s", "2day" are words */
    if (!money && j < n && is_alpha(s[j])) {
        uint32_t sf = 0;
        size_t used = num_suffix(s, n, j, &sf);
        if (!used)
            return cut_word(c, i);
    }
    struct nlu_token *t = new_tok(c, start);
    if (!t)
        return j > i ? j : i + 1;
    t->kind = money ? TK_MONEY : TK_NUM;
    t->ndig = (uint8_t)k;
    t->num = (int16_t)(big || v > 9999 ? -1 : v);
    t->flags |= fl;
    if (money) {
        if (j < n && s[j] == '.' && digits(s, n, j + 1, 3, &v2) == 2)
            j += 3;
    } else if (j < n && s[j] == ':' && digits(s, n, j + 1, 3, &v2) == 2) {
        t->num2 = (int16_t)v2;
        t->flags |= TF_MINUTES;
        j += 3;
    } else if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        /* 3.30pm: minutes only when am/pm follows; else a decimal (2.5) */
        size_t k2 = digits(s, n, j + 1, 4, &v2);
        size_t p = j + 1 + k2;
        while (p < n && is_space(s[p]))
            p++;
        uint32_t sf = 0;
        if (k <= 2 && k2 == 2 && p < n && is_alpha(s[p]) && num_suffix(s, n, p, &sf) &&
            (sf & (TF_AM | TF_PM))) {
            t->num2 = (int16_t)v2;
            t->flags |= TF_MINUTES;
        } else {
            t->flags |= TF_GROUPED;
        }
        j += 1 + k2;
    } else if (j + 1 < n && s[j] == '/' && k <= 2) {
        size_t k2 = digits(s, n, j + 1, 3, &v2);
        if (k2 >= 1 && k2 <= 2) {
            t->num2 = (int16_t)v2;
            t->flags |= TF_SLASH;
            j += 1 + k2;
            int v3;
            size_t k3 = (j + 1 < n && s[j] == '/') ? digits(s, n, j + 1, 5, &v3) : 0;
            if (k3 == 2 || k3 == 4) {
                t->num3 = (int16_t)(k3 == 2 ? 2000 + v3 : v3);
                j += 1 + k3;
            }
        }
    }
    if (!money && j < n && is_alpha(s[j])) {
        uint32_t sf = 0;
        size_t used = num_suffix(s, n, j, &sf);
        t->flags |= sf;
        j += used;
    } else if (!money && j + 3 < n && s[j] == '-' && !strncmp((const char *)s + j + 1, "ish", 3) &&
               (j + 4 >= n || !is_alpha(s[j + 4]))) {
        t->flags |= TF_ISH;
        j += 4;
    }
    t->olen = (uint16_t)(j - start);
    t->raw = t->w = (const char *)s + start;
    t->rawlen = t->wlen = (uint8_t)(j - start > 255 ? 255 : j - start);
    return j;
}

/* Marks runs of numbers that look like a card or phone number: never times. */
static void mark_digit_runs(struct nlu_text *tx)
{
    int i = 0;
    while (i < tx->n) {
        if (tx->t[i].kind != TK_NUM) {
            i++;
            continue;
        }
        int j = i, total = 0;
        while (j < tx->n && tx->t[j].kind == TK_NUM && !(tx->t[j].flags & (TF_MINUTES | TF_SLASH)) &&
               (j == i || !(tx->t[j - 1].flags & TF_BOUNDARY))) {
            total += tx->t[j].ndig;
            j++;
        }
        if (j - i >= 2 && total >= 7) {
            for (int k = i; k < j; k++)
                tx->t[k].flags |= TF_GROUPED;
        }
        if (total >= 13)
            tx->flags |= NLU_F_CARD_DIGITS;
        i = j > i ? j : i + 1;
    }
}

/* True when text holds a card number as the host's redaction leaves it
 * ("**** **** **** 1111", "************1111"): nine or more '*' in groups
 * joined by single spaces or dashes, then digits. Inbound text is masked
 * before it is understood, and such a message still asks for the "never
 * send card details by text" answer. */
static bool masked_card(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t stars = 0, j = i;
        if (text[i] != '*' || (i > 0 && text[i - 1] == '*'))
            continue;
        while (j < n) {
            while (j < n && text[j] == '*') {
                stars++;
                j++;
            }
            if (j + 1 < n && (text[j] == ' ' || text[j] == '-') && text[j + 1] == '*')
                j++;
            else
                break;
        }
        if (j + 1 < n && (text[j] == ' ' || text[j] == '-'))
            j++;
        if (stars >= 9 && j < n && is_digit(text[j]))
            return true;
    }
    return false;
}

static void mark_clauses(struct nlu_text *tx)
{
    uint8_t clause = 0;
    for (int i = 0; i < tx->n; i++) {
        tx->t[i].clause = clause;
        if ((tx->t[i].flags & TF_BOUNDARY) && clause < 255)
            clause++;
    }
}

static void punct(struct cutter *c, unsigned char ch)
{
    struct nlu_token *lt = last_tok(c);
    switch (ch) {
    case ',':
        if (lt)
            lt->flags |= TF_COMMA;
        break;
    case '?':
        if (lt)
            lt->flags |= TF_QMARK;
        c->tx->flags |= NLU_F_QUESTION;
        break;
    case '.':
        if (lt && !dot_continues(lt))
            lt->flags |= TF_STOP;
        break;
    case '!':
    case ';':
    case ':':
    case '\n':
    case '\r':
        if (lt)
            lt->flags |= TF_STOP;
        break;
    case '@':
        c->pend |= TF_ATSIGN;
        break;
    case '~':
        c->pend |= TF_TILDE;
        break;
    case '#':
        c->pend |= TF_HASH;
        break;
    default:
        break;
    }
    c->gap = true;
}

void nlu_text_cut(struct nlu_text *tx, const char *text)
{
    size_t n = strnlen(text, NLU_TEXT_MAX + 1);
    size_t efrom[EMAILS_MAX], eto[EMAILS_MAX];
    int ne, e = 0;

    tx->orig = text;
    tx->lowlen = 0;
    tx->n = 0;
    tx->flags = 0;
    tx->email_tok = -1;
    if (n > NLU_TEXT_MAX) {
        n = NLU_TEXT_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        tx->flags |= NLU_F_TRUNCATED;
    }
    tx->origlen = n;
    ne = find_emails(text, n, efrom, eto);

    struct cutter c = { .tx = tx, .s = (const unsigned char *)text, .n = n, .pend = 0, .gap = true };
    const unsigned char *s = c.s;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = s[i];
        if (e < ne && i == efrom[e]) {
            struct nlu_token *t = new_tok(&c, i);
            if (t) {
                t->kind = TK_EMAIL;
                t->w = t->raw = text + i;
                t->wlen = t->rawlen = (uint8_t)(eto[e] - i > 255 ? 255 : eto[e] - i);
                t->olen = (uint16_t)(eto[e] - i);
                if (tx->email_tok < 0)
                    tx->email_tok = tx->n - 1;
            }
            i = eto[e++];
            continue;
        }
        if (is_space(ch)) {
            c.gap = true;
            i++;
            continue;
        }
        if ((ch == 'h' || ch == 'w' || ch == 'H' || ch == 'W') &&
            (!strncmp(text + i, "http://", 7) || !strncmp(text + i, "https://", 8) ||
             !strncmp(text + i, "www.", 4))) {
            struct nlu_token *t = new_tok(&c, i);
            size_t j = i;
            while (j < n && !is_space(s[j]) && s[j] != '\n')
                j++;
            if (t) {
                t->kind = TK_URL;
                t->w = t->raw = text + i;
                t->wlen = t->rawlen = (uint8_t)(j - i > 255 ? 255 : j - i);
                t->olen = (uint16_t)(j - i);
            }
            c.gap = true;
            i = j;
            continue;
        }
        if (is_digit(ch)) {
            i = cut_number(&c, i, false);
            continue;
        }
        if (ch == '$' && i + 1 < n && is_digit(s[i + 1])) {
            i = cut_number(&c, i + 1, true);
            continue;
        }
        if (ch == '#' && !(i + 1 < n && is_digit(s[i + 1]))) {
            synthetic(&c, i, 1, "number"); /* "wrong #" */
            i++;
            continue;
        }
        if (ch == '&' || ch == '+') {
            synthetic(&c, i, 1, "and");
            i++;
            continue;
        }
        if (ch == '-') {
            struct nlu_token *lt = last_tok(&c);
            bool tight = !c.gap && lt && i + 1 < n &&
                         (is_alpha(s[i + 1]) || is_digit(s[i + 1]) || s[i + 1] >= 0x80);
            size_t j = i + 1;
            while (j < n && is_space(s[j]))
                j++;
            if (tight) {
                c.pend |= TF_HYPHEN;
            } else {
                if (lt && lt->kind == TK_NUM && j < n && is_digit(s[j]))
                    c.pend |= TF_HYPHEN;
                c.gap = true;
            }
            i++;
            continue;
        }
        if (ch < 0x80) {
            if (is_alpha(ch)) {
                i = cut_word(&c, i);
                continue;
            }
            if (ch == '\'' || ch == '`') {
                i++;
                continue;
            }
            punct(&c, ch);
            i++;
            continue;
        }
        int len;
        uint32_t cp = utf8_decode(s + i, n - i, &len);
        if (cp_letter(cp)) {
            i = cut_word(&c, i);
            continue;
        }
        if (cp_ok_emoji(cp)) {
            tx->flags |= NLU_F_EMOJI;
            synthetic(&c, i, (size_t)len, "ok");
        } else if (cp_emoji(cp)) {
            tx->flags |= NLU_F_EMOJI;
            c.gap = true;
        } else if (cp_dash(cp)) {
            struct nlu_token *lt = last_tok(&c);
            size_t j = i + (size_t)len;
            while (j < n && is_space(s[j]))
                j++;
            if (lt && lt->kind == TK_NUM && j < n && is_digit(s[j]))
                c.pend |= TF_HYPHEN;
            c.gap = true;
        } else if (cp == 0x2026) {
            punct(&c, '.');
        } else if (cp == 0xFE0F || cp == 0x200D || (cp >= 0x1F3FB && cp <= 0x1F3FF)) {
            /* variation selectors, joiners, skin tones: part of an emoji */
        } else if (!cp_apostrophe(cp)) {
            c.gap = true;
        }
        i += (size_t)len;
    }
    mark_digit_runs(tx);
    if (masked_card(text, n))
        tx->flags |= NLU_F_CARD_DIGITS;
    mark_clauses(tx);
}
