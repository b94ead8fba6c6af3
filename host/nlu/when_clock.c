/*
 * Clock times: "at 4", "4ish", "3:30", "10 a.m.", "half past three", "two
 * thirty", with their modifiers ("around", "after", "before", "no later
 * than", "or later", "at the latest") and ranges ("2-4pm", "between 2 and
 * 4", "from 10 to 12"). A bare number is a time only with a cue: a
 * preposition, am/pm, a weekday right before it ("Sat 9"), a word such as
 * "works" or "then" after it, or nothing else in the message; never before
 * "units", "weeks" or a service, after "in", "for" or "#", or inside a card
 * or phone number. am/pm is settled later, in when_resolve.c.
 */
#include "when_internal.h"


static bool unit_after(const struct wctx *w, int i)
{
    if (i >= w->tx->n)
        return false;
    const struct nlu_token *t = tk(w, i);
    return t->kind == TK_WORD &&
           (tok_is(t, "units") || tok_is(t, "unit") || tok_is(t, "syringe") ||
            tok_is(t, "syringes") || tok_is(t, "ml") || tok_is(t, "cc") || tok_is(t, "weeks") ||
            tok_is(t, "week") || tok_is(t, "days") || tok_is(t, "day") || tok_is(t, "months") ||
            tok_is(t, "month") || tok_is(t, "years") || tok_is(t, "year") || tok_is(t, "yrs") ||
            tok_is(t, "hours") || tok_is(t, "hour") || tok_is(t, "minutes") ||
            tok_is(t, "people") || tok_is(t, "times") || tok_is(t, "x") ||
            tok_is(t, "percent") || tok_is(t, "dollars") || tok_is(t, "bucks") ||
            tok_is(t, "areas") || tok_is(t, "area") || tok_is(t, "sessions") ||
            tok_is(t, "session") || tok_is(t, "treatments") || tok_is(t, "old") ||
            tok_is(t, "along") || t->ent == TE_SERVICE);
}

/* Reads a clock value at i. Sets *tv and returns the tokens used, 0 when
 * there is none. *strong says it carries its own cue (minutes, am/pm,
 * "o'clock", "half past"), so it needs no preposition. */
static int clock_at(const struct wctx *w, int i, struct tval *tv, bool *strong, bool *approx)
{
    int h = -1, m = 0, used = 0;
    *strong = false;
    if (!is_free(w, i))
        return 0;
    const struct nlu_token *t = tk(w, i);
    int k;
    if ((k = seq(w, i, "half past")) || (k = seq(w, i, "quarter past|after")) ||
        (k = seq(w, i, "quarter to|till|til|of"))) {
        int hh = small_num(w, i + k);
        if (hh < 0)
            hh = number_word(w, i + k);
        if (hh < 1 || hh > 12)
            return 0;
        if (W(w, i, "half"))
            h = hh, m = 30;
        else if (Wx(w, i + 1, "past|after"))
            h = hh, m = 15;
        else
            h = hh - 1 == 0 ? 12 : hh - 1, m = 45;
        used = k + 1;
        *strong = true;
        t = tk(w, i + k);
    } else if (t->kind == TK_NUM && !(t->flags & (TF_GROUPED | TF_SLASH | TF_ORD))) {
        if (t->flags & TF_MINUTES) {
            h = t->num;
            m = t->num2;
            *strong = true;
        } else if (t->ndig >= 3 && t->ndig <= 4 && (t->flags & (TF_AM | TF_PM))) {
            h = t->num / 100;
            m = t->num % 100;
        } else if (t->ndig <= 2) {
            h = t->num;
        } else {
            return 0;
        }
        used = 1;
    } else if ((h = number_word(w, i)) > 0) {
        used = 1;
    } else {
        return 0;
    }
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return 0;
    tv->h = (int8_t)h;
    tv->m = (int8_t)m;
    tv->mer = MER_NONE;
    if (t->flags & TF_AM)
        tv->mer = MER_AM;
    else if (t->flags & TF_PM)
        tv->mer = MER_PM;
    if (t->flags & TF_ISH)
        *approx = true;
    /* minutes as words: "two thirty", "4 fifteen", "3 forty five" */
    if (!(t->flags & TF_MINUTES) && m == 0 && !(t->flags & TF_BOUNDARY)) {
        if (W(w, i + used, "thirty"))
            tv->m = 30, used++, *strong = true;
        else if (W(w, i + used, "fifteen"))
            tv->m = 15, used++, *strong = true;
        else if (seq(w, i + used, "forty five"))
            tv->m = 45, used += 2, *strong = true;
    }
    const struct nlu_token *lt = tk(w, i + used - 1);
    if (!(lt->flags & TF_BOUNDARY)) {
        if (W(w, i + used, "am") || W(w, i + used, "pm")) {
            tv->mer = W(w, i + used, "am") ? MER_AM : MER_PM;
            used++;
        } else if ((k = seq(w, i + used, "oclock|o ?clock"))) {
            if (k == 1 && W(w, i + used, "o"))
                k = 0;
            used += k;
            *strong = *strong || k > 0;
        } else if (W(w, i + used, "noon") && h == 12) {
            tv->mer = MER_FIXED;
            used++;
        }
    }
    if (!(tk(w, i + used - 1)->flags & TF_BOUNDARY) && W(w, i + used, "ish")) {
        *approx = true;
        used++;
    }
    if (tv->mer == MER_AM || tv->mer == MER_PM) {
        if (h < 1 || h > 12)
            return 0;
        *strong = true;
    } else if (h >= 13 || h == 0) {
        tv->mer = MER_FIXED;
    }
    return used;
}

/* Words after a bare number that make it a time: "11 works", "4:30 then". */
static bool time_word_after(const struct wctx *w, int i)
{
    return Wx(w, i, "works|work|is|good|ok|fine|then|please|perfect|sounds|would|could|"
                    "today|tomorrow|tonight|instead|on|this|next|for|if|maybe|or");
}

/* Whether the whole message is this clock value with at most a few
 * filler words ("10?", "ok 3 then", "maybe 4"). */
static bool alone(const struct wctx *w, int from, int to)
{
    for (int i = 0; i < w->tx->n; i++) {
        if (i >= from && i < to)
            continue;
        if (!Wx(w, i, "ok|yes|sure|then|please|maybe|how|what|about|or|and|so|hmm|um|lets|do|"
                      "say|can|we|i|come|in|at|would|be|great|perfect|works|good|fine"))
            return false;
    }
    return true;
}

int nlu_when_clock(struct wctx *w, int i)
{
    int j = i;
    uint8_t kind = NLU_TIME_EXACT;
    bool approx = false, cue = false, between = false, from = false;
    int k;

    /* prefixes, in any sensible combination: "at around", "anytime after" */
    for (int guard = 0; guard < 4; guard++) {
        if ((k = seq(w, j, "no|not later than")) || (k = seq(w, j, "not after"))) {
            kind = NLU_TIME_BEFORE;
        } else if ((k = seq(w, j, "no|not earlier than")) || (k = seq(w, j, "not before"))) {
            kind = NLU_TIME_AFTER;
        } else if ((k = seq(w, j, "any ?time|anytime after")) || (k = seq(w, j, "after|since"))) {
            kind = NLU_TIME_AFTER;
        } else if ((k = seq(w, j, "any ?time|anytime before")) ||
                   (k = seq(w, j, "before|by|until|till|til"))) {
            kind = NLU_TIME_BEFORE;
        } else if ((k = seq(w, j, "between"))) {
            between = true;
        } else if ((k = seq(w, j, "from"))) {
            from = true;
        } else if ((k = seq(w, j, "?sometime around|about|approximately|approx|roughly"))) {
            if (!(W(w, j, "about") && (W(w, j - 1, "what") || W(w, j - 1, "how"))))
                approx = true;
        } else if ((k = seq(w, j, "at"))) {
        } else {
            break;
        }
        cue = true;
        j += k;
    }
    if (is_free(w, j) && (tk(w, j)->flags & (TF_ATSIGN)))
        cue = true;
    if (is_free(w, j) && (tk(w, j)->flags & TF_TILDE))
        cue = approx = true;

    struct tval a, b;
    bool strong, strong_b = false;
    int used = clock_at(w, j, &a, &strong, &approx);
    if (!used)
        return 0;
    int end = j + used;
    const struct nlu_token *vt = tk(w, j);

    /* money, counts and options are not times */
    if (j > 0 && tk(w, j - 1)->kind == TK_WORD &&
        Wx(w, j - 1, "in|for|number|option|x|the|than|of") && !cue && !strong)
        return 0;
    if ((vt->flags & TF_HASH) || unit_after(w, end))
        return 0;

    /* a range: "2-4", "2 to 4", "from 2 to 4", "between 2 and 4" */
    int rk = 0;
    if (is_free(w, end) && (tk(w, end)->flags & TF_HYPHEN) && tk(w, end)->kind == TK_NUM)
        rk = 0;
    else if (between && W(w, end, "and"))
        rk = 1;
    else if (Wx(w, end, "to|until|till|til") && !(tk(w, end - 1)->flags & TF_BOUNDARY))
        rk = 1;
    else
        rk = -1;
    if (rk >= 0 && !(tk(w, end - 1)->flags & TF_BOUNDARY)) {
        bool ap2 = false;
        int used2 = clock_at(w, end + rk, &b, &strong_b, &ap2);
        if (used2 && !unit_after(w, end + rk + used2) &&
            (between || from || cue || strong || strong_b || rk == 0)) {
            struct piece *p = add_piece(w, P_TIME, i, end + rk + used2);
            if (p) {
                p->tkind = NLU_TIME_WINDOW;
                p->a = a;
                p->b = b;
                if (approx || ap2)
                    p->flags |= NLU_W_APPROX;
            }
            return end + rk + used2 - i;
        }
    }
    if (between)
        return 0;

    /* suffixes: "or later", "and after", "onwards", "at the latest" */
    if (!(tk(w, end - 1)->flags & TF_BOUNDARY)) {
        if ((k = seq(w, end, "or|and later|after|afterwards|onwards|up")) ||
            (k = seq(w, end, "onwards|onward|plus")) || (k = seq(w, end, "at the earliest"))) {
            kind = NLU_TIME_AFTER;
            end += k;
            cue = true;
        } else if ((k = seq(w, end, "or earlier|before|sooner")) || (k = seq(w, end, "at the latest"))) {
            kind = NLU_TIME_BEFORE;
            end += k;
            cue = true;
        } else if ((k = seq(w, end, "or so"))) {
            approx = true;
            end += k;
            cue = true;
        }
    }
    if (from && kind == NLU_TIME_EXACT)
        kind = NLU_TIME_AFTER;

    if (!strong && !cue && !approx) {
        /* a bare number needs a cue around it */
        bool date_before = j > 0 && tk(w, j - 1)->ent == TE_WHEN && w->np > 0 &&
                           w->p[w->np - 1].kind != P_TIME && w->p[w->np - 1].to == j;
        bool word_after = time_word_after(w, end) && !(tk(w, end - 1)->flags & TF_BOUNDARY);
        bool about = W(w, j - 1, "about") || W(w, j - 1, "say");
        bool only = alone(w, j, end);
        if (vt->kind != TK_NUM && !only)
            return 0;
        if (!date_before && !word_after && !about && !only)
            return 0;
        if (a.h > 12 && !(date_before))
            return 0;
    }
    struct piece *p = add_piece(w, P_TIME, i, end);
    if (p) {
        p->tkind = kind;
        if (kind == NLU_TIME_BEFORE)
            p->b = a;
        else
            p->a = a;
        if (approx)
            p->flags |= NLU_W_APPROX;
    }
    return end - i;
}

