/*
 * Shared by when.c (which finds date and time pieces in the tokens) and
 * when_resolve.c (which joins the pieces into the items of struct
 * nlu_when). A piece is one expression: a day, a range of days, a weekday
 * still to be placed, a day of the month, a month, or a time constraint
 * whose am/pm may still be open.
 */
#ifndef BW_HOST_NLU_WHEN_INTERNAL_H
#define BW_HOST_NLU_WHEN_INTERNAL_H

#include <string.h>

#include "internal.h"

#define PIECES_MAX 32
#define OPEN_DAYS 90 /* how far "any Tuesday" or "weekends" reach */

enum pkind {
    P_DAY = 0, /* dfrom (== dto) */
    P_RANGE,   /* dfrom..dto, with mask */
    P_WDAY,    /* wday with mod, placed later */
    P_DOM,     /* dom, placed later */
    P_MONTH,   /* month (year 0: placed later), mpart: 0 all, 1 early, 2 mid, 3 late */
    P_TIME,
};

enum wmod { M_NONE = 0, M_THIS, M_NEXT, M_LAST, M_COMING, M_AFTER_NEXT };

enum mer { MER_NONE = 0, MER_AM, MER_PM, MER_FIXED /* 24-hour or noon: as written */ };

struct tval {
    int8_t h, m;
    uint8_t mer;
};

struct piece {
    uint8_t kind;
    uint8_t from, to;  /* token span [from, to) */
    uint8_t clause;
    bool alt;          /* "or" (or "and") right before it */
    uint16_t flags;    /* NLU_W_* */
    /* dates */
    int32_t dfrom, dto;
    uint8_t mask;
    int8_t wday, mod, dom, month, mpart;
    int16_t year;      /* 0: not written */
    bool year_given;
    /* times */
    uint8_t tkind;     /* enum nlu_time_kind */
    struct tval a, b;  /* EXACT/AFTER: a; BEFORE: b; WINDOW: a..b */
    int16_t wa, wb;    /* a part of day's window, minutes, when part != 0 and no clock */
    uint8_t part;
};

struct wctx {
    const struct nlu_catalog *cat;
    const struct nlu_context *ctx;
    struct nlu_text *tx;
    int32_t today;
    int now_min;
    struct piece p[PIECES_MAX];
    int np;
    uint8_t order, flags;
};

/* Token tests and piece building shared by the recognizers. */

static inline bool is_free(const struct wctx *w, int i)
{
    return i >= 0 && i < w->tx->n && w->tx->t[i].ent == TE_NONE;
}

static inline const struct nlu_token *tk(const struct wctx *w, int i) { return &w->tx->t[i]; }

static inline bool W(const struct wctx *w, int i, const char *s)
{
    return is_free(w, i) && tk(w, i)->kind == TK_WORD && tok_is(tk(w, i), s);
}

/* Whether the token's word is one of the '|'-separated alternatives in
 * alts[0..n). */
static inline bool alt_match(const struct nlu_token *t, const char *alts, size_t n)
{
    const char *a = alts, *end = alts + n;
    while (a < end) {
        size_t k = 0;
        while (a + k < end && a[k] != '|' && k < t->wlen && a[k] == t->w[k])
            k++;
        if (k == t->wlen && (a + k == end || a[k] == '|'))
            return true;
        while (a < end && *a != '|')
            a++;
        a++;
    }
    return false;
}

/* Whether token i is one of the '|'-separated words of alts. */
static inline bool Wx(const struct wctx *w, int i, const char *alts)
{
    return is_free(w, i) && tk(w, i)->kind == TK_WORD && alt_match(tk(w, i), alts, strlen(alts));
}

/* Matches a space-separated sequence of elements at token i: an element is
 * alternatives joined by '|', optional when it starts with '?'. Returns the
 * tokens matched, 0 when the sequence is not there. */
static inline int seq(const struct wctx *w, int i, const char *pat)
{
    int k = 0;
    const char *p = pat;
    while (*p) {
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        bool opt = *p == '?';
        const char *a = p + opt;
        int t = i + k;
        if (is_free(w, t) && tk(w, t)->kind == TK_WORD && alt_match(tk(w, t), a, (size_t)(e - a))) {
            if (k > 0 && (tk(w, t - 1)->flags & TF_BOUNDARY))
                return 0;
            k++;
        } else if (!opt) {
            return 0;
        }
        p = e;
        while (*p == ' ')
            p++;
    }
    return k;
}

static inline void claim(struct wctx *w, int from, int to)
{
    for (int i = from; i < to && i < w->tx->n; i++)
        w->tx->t[i].ent = TE_WHEN;
}

static inline struct piece *add_piece(struct wctx *w, uint8_t kind, int from, int to)
{
    if (w->np >= PIECES_MAX)
        return NULL;
    struct piece *p = &w->p[w->np++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->from = (uint8_t)from;
    p->to = (uint8_t)to;
    p->clause = tk(w, from)->clause;
    p->alt = from > 0 && tk(w, from - 1)->kind == TK_WORD &&
             (tok_is(tk(w, from - 1), "or") || tok_is(tk(w, from - 1), "and"));
    claim(w, from, to);
    return p;
}

/* A plain number token: at most two digits, no minutes, date or suffix. */
static inline int small_num(const struct wctx *w, int i)
{
    if (!is_free(w, i))
        return -1;
    const struct nlu_token *t = tk(w, i);
    if (t->kind != TK_NUM || t->ndig > 2 || (t->flags & (TF_MINUTES | TF_SLASH | TF_GROUPED)))
        return -1;
    return t->num;
}

static inline int number_word(const struct wctx *w, int i)
{
    static const char *const words[] = { "one", "two", "three", "four", "five", "six", "seven",
                                         "eight", "nine", "ten", "eleven", "twelve", NULL };
    for (int k = 0; words[k]; k++)
        if (W(w, i, words[k]))
            return k + 1;
    return -1;
}

/* The clock-time recognizer at token i (when_clock.c): returns the tokens
 * it claimed, 0 when there is no clock time at i. */
int nlu_when_clock(struct wctx *w, int i);

/* Joins the pieces in w into items in out (when_resolve.c). */
void nlu_when_resolve(struct wctx *w, struct nlu_cal *cal, struct nlu_when *out);

/* Days in a month. */
int nlu_month_days(int y, int m);

#endif
