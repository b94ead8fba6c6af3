/*
 * Joining date and time pieces into the items of struct nlu_when. Pieces
 * next to each other combine ("next week" + "tuesday", "thursday" + "the
 * 11th", "Wednesday" + "March 17", flagged when the weekday does not fit
 * the date); a weekday, a day of the month or a month alone is placed on
 * the calendar (a bare weekday is the next one from today, or the one inside
 * the range the conversation already named; "next friday" in the same week
 * is flagged ambiguous). Time pieces next to each other form one group
 * ("evening" + "after work"), "or" starts another, and each group belongs
 * to the nearest date. A clock time without am/pm is read through the part
 * of the day the message or the conversation named, else the clinic's hours
 * (3 is 3 pm when only that is open), and flagged inferred. Each item then
 * gets its UTC span through the clinic's calendar.
 */
#include "when_internal.h"

#include <stdio.h>
#include <string.h>

static int monday_of(int32_t d) { return d - (nlu_weekday(d) + 6) % 7; }

static bool is_date(const struct piece *p) { return p->kind != P_TIME; }

/* First day >= from with weekday wd. */
static int32_t next_wday(int32_t from, int wd) { return from + (wd - nlu_weekday(from) + 7) % 7; }

static int32_t place_wday(const struct wctx *w, const struct piece *p, uint16_t *flags)
{
    int32_t t = w->today;
    switch (p->mod) {
    case M_LAST: {
        int32_t d = next_wday(t - 7, p->wday);
        if (d >= t)
            d -= 7;
        *flags |= NLU_W_PAST;
        return d;
    }
    case M_THIS:
        return next_wday(t, p->wday);
    case M_COMING:
        return next_wday(t + 1, p->wday);
    case M_NEXT: {
        int32_t d = next_wday(t + 1, p->wday);
        if (monday_of(d) == monday_of(t)) {
            *flags |= NLU_W_AMBIGUOUS;
            d += 7;
        }
        return d;
    }
    case M_AFTER_NEXT:
        return next_wday(t + 1, p->wday) + 7;
    default:
        break;
    }
    const struct nlu_context *c = w->ctx;
    if (c && (c->day_from || c->day_to) && c->day_to >= c->day_from && c->day_to >= t) {
        int32_t from = c->day_from > t ? c->day_from : t;
        int32_t d = next_wday(from, p->wday);
        if (d <= c->day_to) {
            *flags |= NLU_W_CONTEXT;
            return d;
        }
    }
    int32_t d = next_wday(t, p->wday);
    if (d == t) {
        /* "Tuesday" said on a Tuesday: rather a week from today */
        *flags |= NLU_W_AMBIGUOUS;
        d += 7;
    }
    return d;
}

/* The next day >= today (this month or later) with day of month dom. */
static int32_t place_dom(const struct wctx *w, int dom)
{
    int y, m, d;
    nlu_civil_from_days(w->today, &y, &m, &d);
    for (int k = 0; k < 13; k++) {
        if (dom <= nlu_month_days(y, m)) {
            int32_t day = nlu_days_from_civil(y, m, dom);
            if (day >= w->today)
                return day;
        }
        if (++m > 12)
            m = 1, y++;
    }
    return w->today;
}

/* The last day of the month dom before today (today itself excluded), or -1. */
static int32_t previous_dom(const struct wctx *w, int dom)
{
    int y, m, d;
    nlu_civil_from_days(w->today, &y, &m, &d);
    for (int k = 0; k < 2; k++) {
        if (dom <= nlu_month_days(y, m)) {
            int32_t day = nlu_days_from_civil(y, m, dom);
            if (day < w->today)
                return day;
        }
        if (--m < 1)
            m = 12, y--;
    }
    return -1;
}

/* Day dom named with weekday wday ("thursday the 11th"): the coming one
 * when its weekday agrees, else the one just past when its weekday agrees
 * (a past date, flagged so later), else the coming one (a mismatch). */
static int32_t place_dom_wday(const struct wctx *w, int dom, int wday)
{
    int32_t next = place_dom(w, dom);
    if (nlu_weekday(next) == wday)
        return next;
    int32_t prev = previous_dom(w, dom);
    if (prev >= 0 && nlu_weekday(prev) == wday)
        return prev;
    return next;
}

static void place_month(const struct wctx *w, struct piece *p)
{
    int y, m, d;
    nlu_civil_from_days(w->today, &y, &m, &d);
    int yy = p->year ? p->year : y;
    if (!p->year && p->month < m && m - p->month > 2)
        yy = y + 1;
    int last = nlu_month_days(yy, p->month);
    int a = 1, b = last;
    if (p->mpart == 1)
        b = 10;
    else if (p->mpart == 2)
        a = 11, b = 20;
    else if (p->mpart == 3)
        a = 21;
    p->kind = P_RANGE;
    p->dfrom = nlu_days_from_civil(yy, p->month, a);
    p->dto = nlu_days_from_civil(yy, p->month, b);
    if (p->dto >= w->today && p->dfrom < w->today)
        p->dfrom = w->today;
}

static void to_day(struct piece *p, int32_t d)
{
    p->kind = P_DAY;
    p->dfrom = p->dto = d;
}

/* Combines two neighbouring date pieces into a (b is dropped); false when
 * they do not combine. */
static bool combine(const struct wctx *w, struct piece *a, const struct piece *b)
{
    const struct piece *wd = a->kind == P_WDAY ? a : b->kind == P_WDAY ? b : NULL;
    const struct piece *other = wd == a ? b : a;
    struct piece res = *a;
    res.from = a->from < b->from ? a->from : b->from;
    res.to = a->to > b->to ? a->to : b->to;
    res.flags = a->flags | b->flags;
    if (wd && other->kind != P_WDAY) {
        int32_t d;
        switch (other->kind) {
        case P_DAY:
            d = other->dfrom;
            break;
        case P_DOM:
            d = place_dom_wday(w, other->dom, wd->wday);
            break;
        case P_RANGE: {
            int32_t from = other->dfrom > w->today ? other->dfrom : w->today;
            if (other->dto < w->today)
                from = other->dfrom;
            d = next_wday(from, wd->wday);
            if (d > other->dto) {
                res.flags |= NLU_W_MISMATCH;
                d = other->dfrom;
            }
            to_day(&res, d);
            res.flags &= (uint16_t)~NLU_W_APPROX;
            *a = res;
            return true;
        }
        case P_MONTH: {
            struct piece m = *other;
            place_month(w, &m);
            res.kind = P_RANGE;
            res.dfrom = m.dfrom;
            res.dto = m.dto;
            res.mask = (uint8_t)(1u << wd->wday);
            *a = res;
            return true;
        }
        default:
            return false;
        }
        if (nlu_weekday(d) != wd->wday)
            res.flags |= NLU_W_MISMATCH;
        to_day(&res, d);
        *a = res;
        return true;
    }
    if ((a->kind == P_MONTH && b->kind == P_DOM) || (a->kind == P_DOM && b->kind == P_MONTH)) {
        const struct piece *mo = a->kind == P_MONTH ? a : b, *dm = a->kind == P_DOM ? a : b;
        int y, m, d;
        nlu_civil_from_days(w->today, &y, &m, &d);
        int yy = mo->year ? mo->year : y;
        if (dm->dom > nlu_month_days(yy, mo->month))
            return false;
        int32_t day = nlu_days_from_civil(yy, mo->month, dm->dom);
        if (!mo->year && day < w->today && w->today - day > 62)
            day = nlu_days_from_civil(yy + 1, mo->month, dm->dom);
        to_day(&res, day);
        *a = res;
        return true;
    }
    if (a->kind == P_RANGE && b->kind == P_RANGE && (a->mask || b->mask)) {
        res.kind = P_RANGE;
        res.dfrom = a->dfrom > b->dfrom ? a->dfrom : b->dfrom;
        res.dto = a->dto < b->dto ? a->dto : b->dto;
        res.mask = a->mask ? a->mask : b->mask;
        if (res.dfrom > res.dto)
            return false;
        *a = res;
        return true;
    }
    return false;
}

/* Whether only filler words lie between token a and token b. */
static bool filler_gap(const struct wctx *w, int a, int b)
{
    if (b - a > 2)
        return false;
    for (int i = a; i < b; i++) {
        const struct nlu_token *t = &w->tx->t[i];
        if (t->kind != TK_WORD || !(tok_is(t, "the") || tok_is(t, "on") || tok_is(t, "of") ||
                                    tok_is(t, "at") || tok_is(t, "in")))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ times */

static bool fits(const struct nlu_catalog *cat, int min, int wday)
{
    if (!cat)
        return false;
    if (wday >= 0 && cat->open_min[wday] >= 0)
        return min >= cat->open_min[wday] && min < cat->close_min[wday];
    for (int d = 0; d < 7; d++)
        if (cat->open_min[d] >= 0 && min >= cat->open_min[d] && min < cat->close_min[d])
            return true;
    return false;
}

static int fixed_min(struct tval v)
{
    int h = v.h;
    if (v.mer == MER_AM)
        h = h % 12;
    else if (v.mer == MER_PM)
        h = h % 12 + 12;
    return h * 60 + v.m;
}

/* Minutes of a clock value, am/pm read from the part of the day or the
 * clinic's hours when not written. */
static int infer(const struct wctx *w, struct tval v, uint8_t part, int wday, uint16_t *flags)
{
    if (v.mer != MER_NONE)
        return fixed_min(v);
    int am = (v.h % 12) * 60 + v.m, pm = (v.h % 12 + 12) * 60 + v.m;
    if (v.h == 12)
        am = pm; /* a bare 12 is noon */
    *flags |= NLU_W_INFERRED;
    if (part == NLU_PART_MORNING)
        return am;
    if (part == NLU_PART_AFTERNOON || part == NLU_PART_EVENING || part == NLU_PART_NIGHT)
        return pm;
    bool fa = fits(w->cat, am, wday), fp = fits(w->cat, pm, wday);
    if (fa && !fp)
        return am;
    if (fp && !fa)
        return pm;
    if (fa && fp && am != pm)
        *flags |= NLU_W_AMBIGUOUS;
    return v.h >= 7 && v.h <= 11 ? am : pm;
}

struct cons {
    uint8_t kind;
    int lo, hi; /* [lo, hi); EXACT: lo == hi */
};

static struct cons merge(struct cons cur, struct cons c)
{
    if (cur.kind == NLU_TIME_NONE)
        return c;
    if (c.kind == NLU_TIME_EXACT)
        return c;
    if (cur.kind == NLU_TIME_EXACT)
        return cur;
    struct cons r;
    r.lo = cur.lo > c.lo ? cur.lo : c.lo;
    r.hi = cur.hi < c.hi ? cur.hi : c.hi;
    if (r.lo >= r.hi)
        return c;
    if (cur.kind == NLU_TIME_WINDOW || c.kind == NLU_TIME_WINDOW || cur.kind != c.kind)
        r.kind = NLU_TIME_WINDOW;
    else
        r.kind = c.kind;
    return r;
}

/* Builds the time constraint of group g for a day (wday -1: unknown) into it. */
static void group_time(const struct wctx *w, const int *members, int nm, int wday,
                       struct nlu_when_item *it)
{
    uint8_t part = NLU_PART_NONE;
    uint16_t fl = 0;
    for (int k = 0; k < nm; k++)
        if (w->p[members[k]].part && !part)
            part = w->p[members[k]].part;
    uint8_t hint = part;
    if (!hint && w->ctx && w->ctx->part) {
        hint = w->ctx->part;
        for (int k = 0; k < nm; k++) {
            const struct piece *p = &w->p[members[k]];
            if ((p->tkind == NLU_TIME_EXACT || p->tkind == NLU_TIME_AFTER) && p->a.mer == MER_NONE && !p->part)
                part = hint, fl |= NLU_W_CONTEXT;
        }
    }
    struct cons cur = { NLU_TIME_NONE, 0, 0 };
    for (int k = 0; k < nm; k++) {
        const struct piece *p = &w->p[members[k]];
        struct cons c = { p->tkind, 0, 1440 };
        fl |= p->flags & (NLU_W_APPROX);
        if (p->tkind == NLU_TIME_WINDOW && p->wb > p->wa) {
            c.lo = p->wa;
            c.hi = p->wb;
        } else if (p->tkind == NLU_TIME_EXACT) {
            c.lo = c.hi = infer(w, p->a, hint, wday, &fl);
        } else if (p->tkind == NLU_TIME_AFTER) {
            c.lo = infer(w, p->a, hint, wday, &fl);
        } else if (p->tkind == NLU_TIME_BEFORE) {
            c.hi = infer(w, p->b, hint, wday, &fl);
            if (c.hi == 0)
                c.hi = 1440;
        } else {
            struct tval a = p->a, b = p->b;
            if (a.mer == MER_NONE && (b.mer == MER_AM || b.mer == MER_PM)) {
                a.mer = b.mer;
                c.lo = fixed_min(a);
                c.hi = fixed_min(b);
                if (c.lo >= c.hi) {
                    a.mer = b.mer == MER_PM ? MER_AM : MER_PM;
                    c.lo = fixed_min(a);
                }
                fl |= NLU_W_INFERRED;
            } else {
                c.lo = infer(w, a, hint, wday, &fl);
                if (b.mer == MER_NONE) {
                    c.hi = (b.h % 12) * 60 + b.m;
                    while (c.hi <= c.lo && c.hi < 1440)
                        c.hi += 720;
                    fl |= NLU_W_INFERRED;
                } else {
                    c.hi = fixed_min(b);
                }
            }
            if (c.hi > 1440 || c.hi <= c.lo)
                c.hi = 1440;
        }
        cur = merge(cur, c);
    }
    it->time_kind = cur.kind;
    it->min_from = (int16_t)(cur.kind == NLU_TIME_BEFORE ? 0 : cur.lo);
    it->min_to = (int16_t)(cur.kind == NLU_TIME_AFTER ? 1440 : cur.kind == NLU_TIME_EXACT ? cur.lo : cur.hi);
    it->part = part;
    it->flags |= fl;
}

/* ------------------------------------------------------------------ items */

static void span(struct nlu_cal *cal, struct nlu_when_item *it)
{
    if (it->day_from == NLU_DAY_NONE) {
        it->from_us = it->to_us = 0;
        return;
    }
    int s = 0, e = 1440;
    switch (it->time_kind) {
    case NLU_TIME_EXACT:
        s = e = it->min_from;
        break;
    case NLU_TIME_WINDOW:
        s = it->min_from;
        e = it->min_to;
        break;
    case NLU_TIME_AFTER:
        s = it->min_from;
        break;
    case NLU_TIME_BEFORE:
        e = it->min_to;
        break;
    default:
        break;
    }
    if (nlu_cal_instant(cal, it->day_from, s, &it->from_us) ||
        nlu_cal_instant(cal, it->day_to, e, &it->to_us))
        it->from_us = it->to_us = 0;
}

static void mark_past(const struct wctx *w, struct nlu_when_item *it)
{
    if (it->day_from == NLU_DAY_NONE)
        return;
    if (it->day_to < w->today) {
        it->flags |= NLU_W_PAST;
        return;
    }
    if (it->day_to == w->today && it->time_kind != NLU_TIME_NONE) {
        int end = it->time_kind == NLU_TIME_EXACT ? it->min_from : it->min_to;
        if (end < w->now_min || (it->time_kind != NLU_TIME_EXACT && end <= w->now_min))
            it->flags |= NLU_W_PAST;
    }
}

static int dist(const struct piece *d, int gfrom, int gto)
{
    return gfrom >= d->to ? gfrom - d->to : d->from >= gto ? d->from - gto : 0;
}

void nlu_when_resolve(struct wctx *w, struct nlu_cal *cal, struct nlu_when *out)
{
    bool dead[PIECES_MAX] = { false };
    int np = w->np;

    /* pieces in token order (insertion sort: few and nearly sorted) */
    for (int i = 1; i < np; i++) {
        struct piece x = w->p[i];
        int j = i - 1;
        while (j >= 0 && w->p[j].from > x.from) {
            w->p[j + 1] = w->p[j];
            j--;
        }
        w->p[j + 1] = x;
    }
    /* combine neighbouring dates */
    int last = -1;
    for (int i = 0; i < np; i++) {
        if (!is_date(&w->p[i]))
            continue;
        if (last >= 0 && !w->p[i].alt && filler_gap(w, w->p[last].to, w->p[i].from) &&
            combine(w, &w->p[last], &w->p[i])) {
            dead[i] = true;
            continue;
        }
        last = i;
    }
    /* place what is left */
    for (int i = 0; i < np; i++) {
        struct piece *p = &w->p[i];
        if (dead[i])
            continue;
        if (p->kind == P_WDAY)
            to_day(p, place_wday(w, p, &p->flags));
        else if (p->kind == P_DOM)
            to_day(p, place_dom(w, p->dom));
        else if (p->kind == P_MONTH)
            place_month(w, p);
        if (is_date(p) && p->dto < w->today)
            p->flags |= NLU_W_PAST;
    }

    /* time groups */
    int group[PIECES_MAX], ng = 0, gfirst[PIECES_MAX], glast[PIECES_MAX];
    int prev = -1;
    for (int i = 0; i < np; i++) {
        group[i] = -1;
        if (dead[i] || is_date(&w->p[i]))
            continue;
        bool fresh = prev < 0 || w->p[i].alt || w->p[i].clause != w->p[prev].clause;
        for (int d = prev + 1; d < i && !fresh; d++)
            fresh = !dead[d] && is_date(&w->p[d]) && w->p[d].from >= w->p[prev].to &&
                    w->p[d].from != w->p[i].from;
        if (fresh && ng < PIECES_MAX) {
            gfirst[ng] = i;
            ng++;
        }
        group[i] = ng - 1;
        glast[ng - 1] = i;
        prev = i;
    }
    /* each group to its nearest date, preferring its own clause and the date before it */
    int attach[PIECES_MAX];
    for (int g = 0; g < ng; g++) {
        int best = -1, bestd = 1 << 20;
        int gf = w->p[gfirst[g]].from, gt = w->p[glast[g]].to;
        for (int d = 0; d < np; d++) {
            if (dead[d] || !is_date(&w->p[d]))
                continue;
            int dd = dist(&w->p[d], gf, gt) * 2 + (w->p[d].from > gf ? 1 : 0);
            if (w->p[d].clause != w->p[gfirst[g]].clause)
                dd += 1000;
            if (dd < bestd) {
                bestd = dd;
                best = d;
            }
        }
        attach[g] = best;
    }

    out->n = 0;
    int ndates = 0;
    for (int d = 0; d < np; d++) {
        if (dead[d] || !is_date(&w->p[d]))
            continue;
        ndates++;
        int mine[PIECES_MAX], nmine = 0;
        for (int g = 0; g < ng; g++)
            if (attach[g] == d)
                mine[nmine++] = g;
        if (nmine == 0) {
            /* "friday or saturday at 10": borrow the times of a date joined by "or" */
            for (int e = d + 1; e < np && nmine == 0; e++) {
                if (dead[e] || !is_date(&w->p[e]))
                    continue;
                if (w->p[e].alt && w->p[e].from - w->p[d].to <= 2)
                    for (int g = 0; g < ng; g++)
                        if (attach[g] == e)
                            mine[nmine++] = g;
                break;
            }
        }
        for (int k = 0; k < (nmine ? nmine : 1) && out->n < NLU_WHEN_MAX; k++) {
            struct nlu_when_item *it = &out->item[out->n++];
            memset(it, 0, sizeof *it);
            it->day_from = w->p[d].dfrom;
            it->day_to = w->p[d].dto;
            it->wday_mask = w->p[d].mask;
            it->flags = w->p[d].flags;
            it->tok = w->p[d].from;
            if (nmine) {
                int members[PIECES_MAX], nm = 0, g = mine[k];
                for (int i = 0; i < np; i++)
                    if (group[i] == g)
                        members[nm++] = i;
                int wday = it->day_from == it->day_to ? nlu_weekday(it->day_from) : -1;
                group_time(w, members, nm, wday, it);
            }
        }
    }
    if (ndates == 0) {
        int wday = -1;
        if (w->ctx && w->ctx->day_from && w->ctx->day_from == w->ctx->day_to)
            wday = nlu_weekday(w->ctx->day_from);
        for (int g = 0; g < ng && out->n < NLU_WHEN_MAX; g++) {
            struct nlu_when_item *it = &out->item[out->n++];
            memset(it, 0, sizeof *it);
            it->day_from = it->day_to = NLU_DAY_NONE;
            it->tok = w->p[gfirst[g]].from;
            int members[PIECES_MAX], nm = 0;
            for (int i = 0; i < np; i++)
                if (group[i] == g)
                    members[nm++] = i;
            group_time(w, members, nm, wday, it);
        }
    }
    for (int i = 0; i < out->n; i++) {
        mark_past(w, &out->item[i]);
        span(cal, &out->item[i]);
    }
}

/* ------------------------------------------------------------------ format */

static void put_day(char *buf, size_t cap, int32_t d)
{
    int y, m, dd;
    nlu_civil_from_days(d, &y, &m, &dd);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, dd);
}

char *nlu_when_format(const struct nlu_when_item *it, char *out, size_t cap)
{
    char a[16], b[16], t[32] = "";
    size_t o;
    if (!out || cap == 0)
        return out;
    if (it->day_from == NLU_DAY_NONE) {
        snprintf(out, cap, "*");
    } else if (it->day_from == it->day_to) {
        put_day(a, sizeof a, it->day_from);
        snprintf(out, cap, "%s", a);
    } else {
        put_day(a, sizeof a, it->day_from);
        put_day(b, sizeof b, it->day_to);
        snprintf(out, cap, "%s..%s", a, b);
    }
    int f = it->min_from, e = it->min_to;
    switch (it->time_kind) {
    case NLU_TIME_EXACT:
        snprintf(t, sizeof t, " %02d:%02d", f / 60, f % 60);
        break;
    case NLU_TIME_WINDOW:
        snprintf(t, sizeof t, " %02d:%02d-%02d:%02d", f / 60, f % 60, e / 60, e % 60);
        break;
    case NLU_TIME_AFTER:
        snprintf(t, sizeof t, " >=%02d:%02d", f / 60, f % 60);
        break;
    case NLU_TIME_BEFORE:
        snprintf(t, sizeof t, " <%02d:%02d", e / 60, e % 60);
        break;
    default:
        break;
    }
    o = strlen(out);
    /* out is large enough for every part in practice; a short one is cut */
    snprintf(out + o, cap - o, "%s%s%s%s%s%s%s%s", t, it->flags & NLU_W_APPROX ? " ~" : "",
             it->flags & NLU_W_INFERRED ? " ?" : "", it->flags & NLU_W_AMBIGUOUS ? " !" : "",
             it->flags & NLU_W_PAST ? " past" : "", it->flags & NLU_W_MISMATCH ? " mismatch" : "",
             it->flags & NLU_W_CONTEXT ? " ctx" : "",
             it->role == NLU_ROLE_FROM ? " from" : it->role == NLU_ROLE_TO ? " to" : "");
    if (it->wday_mask) {
        o = strlen(out);
        snprintf(out + o, cap - o, " wd=0x%02x", it->wday_mask);
    }
    return out;
}
