/*
 * Finding dates and times in a message. Recognizers are tried at each token
 * not claimed by a service or provider, in a fixed order, and each one that
 * matches claims its tokens and adds a piece: order words ("soonest", "the
 * latest you have"), relative days ("today", "tmrw", "tonight"), periods
 * ("next week", "this weekend", "in 2 weeks"), weekdays ("fri", "next
 * thursday", "tuesdays"; "sat", "sun" and "wed" only where they cannot be
 * the words), calendar dates ("April 1st", "the 11th", "3/15", a date a
 * little in the past kept and flagged), parts of the day ("late morning",
 * "after work", "noon") and, last, clock times (when_clock.c). Placing the
 * pieces on the calendar and joining them is when_resolve.c's job.
 */
#include "when_internal.h"

#include <string.h>

static const char *const when_words =
    "today tonight tomorrow yesterday day after before week weekend weekends weekday weekdays "
    "month this next last coming every any early late later mid middle end beginning start of "
    "the in a couple from now sunday monday tuesday wednesday thursday friday saturday sundays "
    "mondays tuesdays wednesdays thursdays fridays saturdays sun sat wed january february march "
    "april may june july august september october november december jan feb mar apr jun jul aug "
    "sep sept oct nov dec morning mornings afternoon afternoons evening evenings night nights "
    "midmorning midafternoon lunch lunchtime work school noon midday midnight at around about "
    "approximately approx roughly ish sometime between and to until till by no not than earlier "
    "or onwards onward so half quarter past oclock o clock thirty fifteen forty five am pm "
    "earliest soonest asap first available opening openings slot spot latest appointment as "
    "soon possible right currently moment anytime whenever flexible one two three four five six "
    "seven eight nine ten eleven twelve second third fourth fifth sixth seventh eighth ninth "
    "tenth eleventh twelfth exp expires expiry expiration cvv cvc card dob born birthday units "
    "unit syringe syringes ml cc weeks days months years year yrs hours hour minutes people times "
    "percent dollars bucks areas area sessions session treatments along old works work good ok "
    "fine then please perfect sounds would could what how for option number x is post since on ago";

void nlu_when_add_words(void (*add)(const char *w, size_t n))
{
    const char *s = when_words;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *b = s;
        while (*s && *s != ' ')
            s++;
        if (s > b)
            add(b, (size_t)(s - b));
    }
}

static int monday_of(int32_t d) { return d - (nlu_weekday(d) + 6) % 7; }

int nlu_month_days(int y, int m)
{
    static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return md[m - 1];
}

/* ------------------------------------------------------------------ order, now */

static int rec_order(struct wctx *w, int i)
{
    int k;
    if ((k = seq(w, i, "as soon as possible")) || (k = seq(w, i, "soon as possible")) ||
        (k = seq(w, i, "earliest|soonest|asap ?possible|available")) ||
        (k = seq(w, i, "first|next available|opening|openings|slot|spot ?one")) ||
        (k = seq(w, i, "first|next available appointment|slot|spot|opening"))) {
        w->order = NLU_ORDER_EARLIEST;
        claim(w, i, i + k);
        return k;
    }
    if ((k = seq(w, i, "first thing ?in ?the ?morning"))) {
        w->order = NLU_ORDER_EARLIEST;
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_WINDOW;
            p->part = NLU_PART_MORNING;
            p->wa = 360;
            p->wb = 720;
        }
        return k;
    }
    if (W(w, i, "latest") && !(W(w, i - 1, "the") && W(w, i - 2, "at"))) {
        w->order = NLU_ORDER_LATEST;
        claim(w, i, i + 1);
        return 1;
    }
    if ((k = seq(w, i, "as late as possible")) ||
        (k = seq(w, i, "last|latest appointment|slot|spot|opening|available|time"))) {
        w->order = NLU_ORDER_LATEST;
        claim(w, i, i + k);
        return k;
    }
    return 0;
}

static int rec_now_any(struct wctx *w, int i)
{
    int k;
    if ((k = seq(w, i, "right now")) || (k = seq(w, i, "at the moment")) ||
        (k = seq(w, i, "currently")) || (k = seq(w, i, "now"))) {
        w->flags |= NLU_WHEN_NOW;
        claim(w, i, i + k);
        return k;
    }
    if ((k = seq(w, i, "anytime|whenever|flexible")) || (k = seq(w, i, "any time|day"))) {
        if (k == 2 && (W(w, i + 2, "after") || W(w, i + 2, "before")))
            return 0; /* "any time after 3": the clock time reads it */
        w->flags |= NLU_WHEN_ANY;
        claim(w, i, i + k);
        return k;
    }
    return 0;
}

/* ------------------------------------------------------------------ days */

static struct piece *add_day(struct wctx *w, int from, int to, int32_t d)
{
    struct piece *p = add_piece(w, P_DAY, from, to);
    if (p)
        p->dfrom = p->dto = d;
    return p;
}

static struct piece *add_range(struct wctx *w, int from, int to, int32_t a, int32_t b, uint8_t mask)
{
    struct piece *p = add_piece(w, P_RANGE, from, to);
    if (p) {
        p->dfrom = a;
        p->dto = b;
        p->mask = mask;
    }
    return p;
}

static void add_window(struct wctx *w, int from, int to, uint8_t part, int a, int b)
{
    struct piece *p = add_piece(w, P_TIME, from, to);
    if (p) {
        p->tkind = NLU_TIME_WINDOW;
        p->part = part;
        p->wa = (int16_t)a;
        p->wb = (int16_t)b;
    }
}

static int rec_relday(struct wctx *w, int i)
{
    int k;
    if ((k = seq(w, i, "?the day after tomorrow"))) {
        add_day(w, i, i + k, w->today + 2);
        return k;
    }
    if (W(w, i, "today")) {
        add_day(w, i, i + 1, w->today);
        return 1;
    }
    if (W(w, i, "tomorrow")) {
        add_day(w, i, i + 1, w->today + 1);
        return 1;
    }
    if (W(w, i, "yesterday")) {
        struct piece *p = add_day(w, i, i + 1, w->today - 1);
        if (p)
            p->flags |= NLU_W_PAST;
        return 1;
    }
    if (W(w, i, "tonight")) {
        add_day(w, i, i + 1, w->today);
        add_window(w, i, i + 1, NLU_PART_EVENING, 1020, 1440);
        return 1;
    }
    return 0;
}

/* Periods: weeks, weekends, months, "in N days/weeks". */
static int rec_period(struct wctx *w, int i)
{
    int32_t t = w->today, mon = monday_of(t);
    int y, m, d, k, n;
    nlu_civil_from_days(t, &y, &m, &d);

    if ((k = seq(w, i, "early|beginning|start ?of ?the next week"))) {
        add_range(w, i, i + k, mon + 7, mon + 9, 0);
        return k;
    }
    if ((k = seq(w, i, "mid|middle ?of next week"))) {
        add_range(w, i, i + k, mon + 8, mon + 10, 0);
        return k;
    }
    if ((k = seq(w, i, "later|late next week")) || (k = seq(w, i, "end of next week"))) {
        add_range(w, i, i + k, mon + 10, mon + 13, 0);
        return k;
    }
    if ((k = seq(w, i, "later|late this week")) || (k = seq(w, i, "end of ?the|this week"))) {
        int32_t a = mon + 3 > t + 1 ? mon + 3 : t + 1;
        if (a <= mon + 6)
            add_range(w, i, i + k, a, mon + 6, 0);
        else
            claim(w, i, i + k);
        return k;
    }
    if ((k = seq(w, i, "?the week after next"))) {
        add_range(w, i, i + k, mon + 14, mon + 20, 0);
        return k;
    }
    if ((k = seq(w, i, "next week"))) {
        add_range(w, i, i + k, mon + 7, mon + 13, 0);
        return k;
    }
    if ((k = seq(w, i, "this week"))) {
        add_range(w, i, i + k, t, mon + 6, 0);
        return k;
    }
    if ((k = seq(w, i, "last week"))) {
        struct piece *p = add_range(w, i, i + k, mon - 7, mon - 1, 0);
        if (p)
            p->flags |= NLU_W_PAST;
        return k;
    }
    if ((k = seq(w, i, "next weekend"))) {
        bool wkend = nlu_weekday(t) == 0 || nlu_weekday(t) == 6;
        struct piece *p = add_range(w, i, i + k, mon + 12, mon + 13, 0);
        if (p && !wkend)
            p->flags |= NLU_W_AMBIGUOUS;
        return k;
    }
    if ((k = seq(w, i, "last weekend"))) {
        struct piece *p = add_range(w, i, i + k, mon - 2, mon - 1, 0);
        if (p)
            p->flags |= NLU_W_PAST;
        return k;
    }
    if ((k = seq(w, i, "this|the|coming weekend")) || (k = seq(w, i, "weekend"))) {
        int32_t a = mon + 5 > t ? mon + 5 : t;
        add_range(w, i, i + k, a, mon + 6, 0);
        return k;
    }
    if ((k = seq(w, i, "weekends"))) {
        add_range(w, i, i + k, t, t + OPEN_DAYS - 1, 0x41);
        return k;
    }
    if ((k = seq(w, i, "?a weekday|weekdays"))) {
        add_range(w, i, i + k, t, t + OPEN_DAYS - 1, 0x3E);
        return k;
    }
    if ((k = seq(w, i, "end of ?the|this month")) || (k = seq(w, i, "later|late this month"))) {
        int last = nlu_days_from_civil(y, m, nlu_month_days(y, m));
        add_range(w, i, i + k, last - 6 > t ? last - 6 : t, last, 0);
        return k;
    }
    if ((k = seq(w, i, "last month"))) {
        int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
        struct piece *p = add_range(w, i, i + k, nlu_days_from_civil(py, pm, 1),
                                    nlu_days_from_civil(py, pm, nlu_month_days(py, pm)), 0);
        if (p)
            p->flags |= NLU_W_PAST;
        return k;
    }
    if ((k = seq(w, i, "this month"))) {
        add_range(w, i, i + k, t, nlu_days_from_civil(y, m, nlu_month_days(y, m)), 0);
        return k;
    }
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    if ((k = seq(w, i, "early|beginning|start ?of next month"))) {
        add_range(w, i, i + k, nlu_days_from_civil(ny, nm, 1), nlu_days_from_civil(ny, nm, 10), 0);
        return k;
    }
    if ((k = seq(w, i, "next month"))) {
        add_range(w, i, i + k, nlu_days_from_civil(ny, nm, 1),
                  nlu_days_from_civil(ny, nm, nlu_month_days(ny, nm)), 0);
        return k;
    }
    /* in N days|weeks, in a week, in a couple of weeks, N weeks from now */
    bool lead_in = W(w, i, "in");
    int s = i + (lead_in ? 1 : 0);
    n = -1;
    k = 0;
    if ((n = small_num(w, s)) >= 0 || (n = number_word(w, s)) >= 0)
        k = 1;
    else if ((k = seq(w, s, "a couple ?of")))
        n = 2;
    else if (W(w, s, "a"))
        n = 1, k = 1;
    if (n < 0 || k == 0)
        return 0;
    int u = s + k;
    bool days = Wx(w, u, "day|days"), weeks = Wx(w, u, "week|weeks");
    if (!days && !weeks)
        return 0;
    int end = u + 1;
    if (!lead_in && W(w, end, "ago")) {
        /* "2 weeks ago": in the past, about then */
        int32_t back = t - n * (days ? 1 : 7);
        struct piece *p = days ? add_day(w, i, end + 1, back) : add_range(w, i, end + 1, back - 3, back + 3, 0);
        if (p)
            p->flags |= NLU_W_PAST | (days ? 0 : NLU_W_APPROX);
        return end + 1 - i;
    }
    int extra = seq(w, end, "from now|today");
    if (!lead_in && !extra)
        return 0;
    end += extra;
    if (days && n <= 60) {
        add_day(w, i, end, t + n);
        return end - i;
    }
    if (weeks && n <= 12) {
        int32_t c = monday_of(t + 7 * n);
        struct piece *p = add_range(w, i, end, c, c + 6, 0);
        if (p)
            p->flags |= NLU_W_APPROX;
        return end - i;
    }
    return 0;
}

struct wname {
    const char *w;
    int8_t wday;
    bool weak, plural;
};

static const struct wname wnames[] = {
    { "sunday", 0, false, false },    { "monday", 1, false, false },   { "tuesday", 2, false, false },
    { "wednesday", 3, false, false }, { "thursday", 4, false, false }, { "friday", 5, false, false },
    { "saturday", 6, false, false },  { "sundays", 0, false, true },   { "mondays", 1, false, true },
    { "tuesdays", 2, false, true },   { "wednesdays", 3, false, true }, { "thursdays", 4, false, true },
    { "fridays", 5, false, true },    { "saturdays", 6, false, true },  { "sun", 0, true, false },
    { "wed", 3, true, false },        { "sat", 6, true, false },
};

static bool timeish_after(const struct wctx *w, int i)
{
    if (i >= w->tx->n || !is_free(w, i))
        return false;
    const struct nlu_token *t = tk(w, i);
    if (t->kind == TK_NUM)
        return !(t->flags & TF_GROUPED);
    return Wx(w, i, "at|morning|afternoon|evening|night|noon|or|and|works|the|before|after|"
                    "around|between|by|is|next|this|mornings|afternoons|evenings");
}

static int rec_weekday(struct wctx *w, int i)
{
    int j = i;
    int8_t mod = M_NONE;
    bool every = false;
    if (Wx(w, i, "this|next|last|coming|on|every|any|until|till|by")) {
        if (W(w, i, "this"))
            mod = M_THIS;
        else if (W(w, i, "next"))
            mod = M_NEXT;
        else if (W(w, i, "last"))
            mod = M_LAST;
        else if (W(w, i, "coming"))
            mod = M_COMING;
        else if (Wx(w, i, "every|any"))
            every = true;
        j = i + 1;
        if (W(w, j, "coming") && mod == M_THIS)
            mod = M_COMING, j++;
    }
    if (!is_free(w, j) || tk(w, j)->kind != TK_WORD)
        return 0;
    const struct wname *wn = NULL;
    for (size_t k = 0; k < sizeof wnames / sizeof wnames[0]; k++)
        if (tok_is(tk(w, j), wnames[k].w))
            wn = &wnames[k];
    if (!wn)
        return 0;
    if (wn->weak && j == i) {
        /* "sat", "sun", "wed" are words too: "I sat", "sun damage", "we'd" */
        bool cap = tk(w, j)->flags & TF_CAP;
        bool before = j > 0 && (Wx(w, j - 1, "or|and|until|till|by|from") ||
                                tk(w, j - 1)->ent == TE_WHEN || tk(w, j - 1)->ent == TE_SERVICE);
        bool start = j == 0 || (tk(w, j - 1)->flags & TF_BOUNDARY);
        bool last = j + 1 == w->tx->n || (tk(w, j)->flags & TF_BOUNDARY);
        if (!before && !timeish_after(w, j + 1) && !(last && (cap || start)))
            return 0;
    }
    int end = j + 1;
    if (seq(w, end, "after next")) {
        mod = M_AFTER_NEXT;
        end += 2;
    }
    if (wn->plural || every) {
        add_range(w, i, end, w->today, w->today + OPEN_DAYS - 1, (uint8_t)(1u << wn->wday));
        return end - i;
    }
    struct piece *p = add_piece(w, P_WDAY, i, end);
    if (p) {
        p->wday = wn->wday;
        p->mod = mod;
    }
    return end - i;
}

/* ------------------------------------------------------------------ calendar dates */

struct mname {
    const char *w;
    int8_t month;
    bool weak;
};

static const struct mname mnames[] = {
    { "january", 1, false },  { "february", 2, false }, { "march", 3, true },    { "april", 4, false },
    { "may", 5, true },       { "june", 6, false },     { "july", 7, false },    { "august", 8, false },
    { "september", 9, false }, { "october", 10, false }, { "november", 11, false },
    { "december", 12, false }, { "jan", 1, true },       { "feb", 2, false },    { "mar", 3, true },
    { "apr", 4, false },      { "jun", 6, false },      { "jul", 7, false },     { "aug", 8, true },
    { "sep", 9, false },      { "sept", 9, false },     { "oct", 10, false },    { "nov", 11, false },
    { "dec", 12, true },
};

static int month_at(const struct wctx *w, int i, bool *weak)
{
    if (!is_free(w, i) || tk(w, i)->kind != TK_WORD)
        return 0;
    for (size_t k = 0; k < sizeof mnames / sizeof mnames[0]; k++)
        if (tok_is(tk(w, i), mnames[k].w)) {
            *weak = mnames[k].weak;
            return mnames[k].month;
        }
    return 0;
}

static int ordinal_word(const struct wctx *w, int i)
{
    static const char *const words[] = { "first", "second", "third", "fourth", "fifth",
                                         "sixth", "seventh", "eighth", "ninth", "tenth",
                                         "eleventh", "twelfth", NULL };
    for (int k = 0; words[k]; k++)
        if (W(w, i, words[k]))
            return k + 1;
    return -1;
}

/* A day of the month at i: "11", "11th", or (words allowed) "first". */
static int dom_at(const struct wctx *w, int i, bool words)
{
    if (!is_free(w, i))
        return -1;
    const struct nlu_token *t = tk(w, i);
    if (t->kind == TK_NUM && t->ndig <= 2 && !(t->flags & (TF_MINUTES | TF_SLASH | TF_GROUPED | TF_AM | TF_PM)) &&
        t->num >= 1 && t->num <= 31)
        return t->num;
    return words ? ordinal_word(w, i) : -1;
}

static int year_at(const struct wctx *w, int i)
{
    if (!is_free(w, i))
        return -1;
    const struct nlu_token *t = tk(w, i);
    if (t->kind == TK_NUM && t->ndig == 4 && t->num >= 2000 && t->num <= 2100 &&
        !(t->flags & (TF_MINUTES | TF_SLASH | TF_AM | TF_PM)))
        return t->num;
    return -1;
}

/* Places month/day (year 0: the nearest sensible year) and adds a day. A
 * date a little in the past (up to two months) is kept and flagged past;
 * one further back is next year's. Returns false for an impossible date. */
static bool add_md(struct wctx *w, int from, int to, int year, int month, int dom)
{
    int y, m, d;
    nlu_civil_from_days(w->today, &y, &m, &d);
    int yy = year ? year : y;
    if (month < 1 || month > 12 || dom < 1 || dom > nlu_month_days(yy, month))
        return false;
    int32_t day = nlu_days_from_civil(yy, month, dom);
    uint16_t fl = 0;
    if (!year && day < w->today && w->today - day > 62) {
        if (dom > nlu_month_days(y + 1, month))
            return false;
        day = nlu_days_from_civil(y + 1, month, dom);
    }
    if (day < w->today)
        fl |= NLU_W_PAST;
    struct piece *p = add_day(w, from, to, day);
    if (p) {
        p->flags |= fl;
        p->month = (int8_t)month;
        p->dom = (int8_t)dom;
    }
    return true;
}

static int rec_month(struct wctx *w, int i)
{
    bool weak = false;
    int j = i, mon, dom, yr, k;
    int8_t mpart = 0;

    /* DOM (of) MONTH [YEAR]: "1st of April", "the 1st of April", "17 march" */
    k = W(w, i, "the") ? 1 : 0;
    if ((dom = dom_at(w, i + k, true)) > 0) {
        int of = W(w, i + k + 1, "of") ? 1 : 0;
        bool ord = tk(w, i + k)->kind == TK_WORD || (tk(w, i + k)->flags & TF_ORD);
        if ((mon = month_at(w, i + k + 1 + of, &weak)) > 0 && (ord || of || !weak)) {
            int end = i + k + 2 + of;
            yr = year_at(w, end);
            if (yr > 0)
                end++;
            if (add_md(w, i, end, yr > 0 ? yr : 0, mon, dom))
                return end - i;
            claim(w, i, end);
            return end - i;
        }
    }
    /* [early|mid|late] MONTH [the] [DOM] [,] [YEAR] */
    if (Wx(w, i, "early|beginning|start")) {
        mpart = 1;
        j = i + 1 + (W(w, i + 1, "of") ? 1 : 0);
    } else if (Wx(w, i, "mid|middle")) {
        mpart = 2;
        j = i + 1 + (W(w, i + 1, "of") ? 1 : 0);
    } else if (Wx(w, i, "late|end")) {
        mpart = 3;
        j = i + 1 + (W(w, i + 1, "of") ? 1 : 0);
    }
    if ((mon = month_at(w, j, &weak)) <= 0)
        return 0;
    int after = j + 1 + (W(w, j + 1, "the") ? 1 : 0);
    dom = (tk(w, j)->flags & TF_BOUNDARY) ? -1 : dom_at(w, after, after > j + 1);
    if (dom > 0 && mpart == 0) {
        /* "march 17", "april 1st", "april the 1st" - but not "march 3pm" */
        int end = after + 1;
        yr = year_at(w, end);
        if (yr > 0)
            end++;
        if (add_md(w, i, end, yr > 0 ? yr : 0, mon, dom))
            return end - i;
        claim(w, i, end);
        return end - i;
    }
    /* a month alone */
    bool cue = mpart != 0 || (j > 0 && Wx(w, j - 1, "in|of|until|till|by|since|for|meant|mean|"
                                                     "next|this|early|late|mid|around|during"));
    if (weak && !cue)
        return 0;
    /* a month alone where someone says who they are, or where a name was
     * asked for, is a first name: "this is April", "my name is June", "it's
     * April Jones", "call me May" */
    if (mpart == 0 && !cue && w->ctx && w->ctx->expecting_name)
        return 0;
    if (mpart == 0 && !cue && j > 0 &&
        (Wx(w, j - 1, "im|named|its") || (j > 1 && W(w, j - 1, "is") && Wx(w, j - 2, "name|this")) ||
         (j > 1 && W(w, j - 1, "me") && W(w, j - 2, "call")) ||
         (j > 1 && W(w, j - 1, "s") && W(w, j - 2, "it")) || (j > 1 && W(w, j - 1, "m") && W(w, j - 2, "i"))))
        return 0;
    int end = j + 1;
    yr = year_at(w, end);
    if (yr > 0)
        end++;
    struct piece *p = add_piece(w, P_MONTH, i, end);
    if (p) {
        p->month = (int8_t)mon;
        p->year = (int16_t)(yr > 0 ? yr : 0);
        p->mpart = mpart;
    }
    return end - i;
}

static int rec_numdate(struct wctx *w, int i)
{
    if (!is_free(w, i) || tk(w, i)->kind != TK_NUM || !(tk(w, i)->flags & TF_SLASH))
        return 0;
    /* a card's expiry or a birth date is no appointment */
    for (int b = i - 1; b >= 0 && b >= i - 2; b--)
        if (tk(w, b)->kind == TK_WORD &&
            Wx(w, b, "exp|expires|expiry|expiration|cvv|cvc|card|dob|born|birthday"))
            return 0;
    int a = tk(w, i)->num, b = tk(w, i)->num2;
    int mon = w->cat && w->cat->day_first ? b : a, dom = w->cat && w->cat->day_first ? a : b;
    int yr = tk(w, i)->num3 > 0 ? tk(w, i)->num3 : 0;
    if (!add_md(w, i, i + 1, yr, mon, dom))
        return 0;
    return 1;
}

static int rec_dom(struct wctx *w, int i)
{
    int k = 0;
    if (W(w, i, "on") && W(w, i + 1, "the"))
        k = 2;
    else if (W(w, i, "the"))
        k = 1;
    int dom = dom_at(w, i + k, false);
    if (dom <= 0 || !(tk(w, i + k)->flags & TF_ORD))
        return 0;
    /* "the 2nd" when slots were offered picks the second of them */
    if (w->ctx && w->ctx->offered >= dom && k < 2)
        return 0;
    if (Wx(w, i + k + 1, "one|option|slot|time|spot|appointment|opening|available|thing"))
        return 0;
    struct piece *p = add_piece(w, P_DOM, i, i + k + 1);
    if (p)
        p->dom = (int8_t)dom;
    return k + 1;
}

/* ------------------------------------------------------------------ parts of the day */

static int rec_part(struct wctx *w, int i)
{
    int k;
    if (Wx(w, i, "morning|afternoon|evening|night") && W(w, i - 1, "good"))
        return 0; /* a greeting */
    if ((k = seq(w, i, "after|post work"))) {
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_AFTER;
            p->a = (struct tval){ 17, 0, MER_FIXED };
            p->part = NLU_PART_EVENING;
        }
        return k;
    }
    if ((k = seq(w, i, "after school"))) {
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_AFTER;
            p->a = (struct tval){ 15, 0, MER_FIXED };
        }
        return k;
    }
    if ((k = seq(w, i, "after lunch ?time"))) {
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_AFTER;
            p->a = (struct tval){ 13, 0, MER_FIXED };
            p->part = NLU_PART_AFTERNOON;
        }
        return k;
    }
    if ((k = seq(w, i, "before work|lunch"))) {
        bool work = W(w, i + 1, "work");
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_BEFORE;
            p->b = work ? (struct tval){ 9, 0, MER_FIXED } : (struct tval){ 12, 0, MER_FIXED };
            p->part = NLU_PART_MORNING;
        }
        return k;
    }
    if ((k = seq(w, i, "end of ?the day"))) {
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_AFTER;
            p->a = (struct tval){ 16, 0, MER_FIXED };
        }
        return k;
    }
    if ((k = seq(w, i, "lunch|lunchtime ?break|time"))) {
        add_window(w, i, i + k, NLU_PART_NONE, 690, 810);
        return k;
    }
    if ((k = seq(w, i, "noon|midday"))) {
        struct piece *p = add_piece(w, P_TIME, i, i + k);
        if (p) {
            p->tkind = NLU_TIME_EXACT;
            p->a = (struct tval){ 12, 0, MER_FIXED };
        }
        return k;
    }
    static const struct {
        const char *pat;
        uint8_t part;
        int16_t a, b;
    } parts[] = {
        { "early morning|mornings", NLU_PART_MORNING, 360, 540 },
        { "mid|middle ?of ?the morning|mornings", NLU_PART_MORNING, 540, 660 },
        { "midmorning", NLU_PART_MORNING, 540, 660 },
        { "late morning|mornings", NLU_PART_MORNING, 600, 720 },
        { "morning|mornings", NLU_PART_MORNING, 360, 720 },
        { "early afternoon|afternoons", NLU_PART_AFTERNOON, 720, 840 },
        { "mid|middle ?of ?the afternoon|afternoons", NLU_PART_AFTERNOON, 840, 960 },
        { "midafternoon", NLU_PART_AFTERNOON, 840, 960 },
        { "late afternoon|afternoons", NLU_PART_AFTERNOON, 900, 1020 },
        { "afternoon|afternoons", NLU_PART_AFTERNOON, 720, 1020 },
        { "early evening|evenings", NLU_PART_EVENING, 1020, 1140 },
        { "late evening|evenings", NLU_PART_EVENING, 1140, 1320 },
        { "evening|evenings", NLU_PART_EVENING, 1020, 1260 },
        { "late night|nights", NLU_PART_NIGHT, 1200, 1440 },
        { "night|nights", NLU_PART_NIGHT, 1140, 1440 },
    };
    for (size_t n = 0; n < sizeof parts / sizeof parts[0]; n++) {
        if ((k = seq(w, i, parts[n].pat))) {
            /* "this morning" is today's morning */
            if (W(w, i - 1, "this")) {
                add_day(w, i - 1, i, w->today);
            }
            add_window(w, i, i + k, parts[n].part, parts[n].a, parts[n].b);
            return k;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ entry */

int nlu_when_parse(const struct nlu_catalog *cat, struct nlu_cal *cal, int64_t now_us,
                   const struct nlu_context *ctx, struct nlu_text *tx, struct nlu_result *r)
{
    static int (*const recs[])(struct wctx *, int) = { rec_order,  rec_now_any, rec_relday,
                                                       rec_period, rec_weekday, rec_month,
                                                       rec_numdate, rec_dom,    rec_part,
                                                       nlu_when_clock };
    struct wctx w;
    int now_min;
    memset(&w, 0, sizeof w);
    memset(&r->when, 0, sizeof r->when);
    int rc = nlu_cal_local(cal, now_us, &w.today, &now_min);
    if (rc)
        return rc;
    w.cat = cat;
    w.ctx = ctx;
    w.tx = tx;
    w.now_min = now_min;
    for (int i = 0; i < tx->n;) {
        int used = 0;
        /* only numbers and a few words can start a date or a time */
        if (is_free(&w, i) && (tx->t[i].kind == TK_NUM || nlu_vocab_when(tx->t[i].id)))
            for (size_t k = 0; k < sizeof recs / sizeof recs[0] && !used; k++)
                used = recs[k](&w, i);
        i += used > 0 ? used : 1;
    }
    nlu_when_resolve(&w, cal, &r->when);
    r->when.today = w.today;
    r->when.now_min = (int16_t)now_min;
    r->when.order = w.order;
    r->when.flags = w.flags;
    return 0;
}
