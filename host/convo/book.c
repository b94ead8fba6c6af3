/*
 * The booking flow: what a message adds to the conversation's wish (services,
 * provider, dates, times, name), and the next step from there: ask for what
 * is missing, offer 2-3 concrete slots near what was asked (with the
 * provider's name), accept a named free time, hold it and send the deposit
 * link once booking has what it needs. Candidate visits are built from the
 * availability facts; a visit of several services is back-to-back
 * appointments, each with an eligible provider.
 */
#include <stdlib.h>
#include <string.h>

#include "convo/internal.h"

#define CANDS_MAX 768

static const char *const wday_names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday" };

struct cand {
    int64_t start_us;
    int32_t day;
    int16_t min;
    struct convo_visit v;
};

/* ------------------------------------------------------------------ describe */

void book_describe(struct dctx *c, const struct convo_visit *v, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < v->n; i++) {
        const struct convo_part *p = &v->part[i];
        char when[64];
        if (i == 0) {
            if (replies_when(c->k, p->start_us, when, sizeof when))
                c->err = CONVO_E_TZ;
        } else {
            int32_t day;
            int min;
            cv_local(c, p->start_us, &day, &min);
            char clock[16];
            replies_clock(min, clock, sizeof clock);
            snprintf(when, sizeof when, "%s", clock);
        }
        int w = snprintf(out + n, cap - n, "%s%s with %s %s %s", i ? ", then " : "", c->k->services[p->service].name,
                         replies_provider(c->k, p->provider), i ? "at" : "on", when);
        if (w < 0 || (size_t)w >= cap - n)
            return;
        n += (size_t)w;
    }
}

/* "Friday, March 5 at 3:30 PM with Jenna Park" (or, after an offer on the
 * same day, "3:30 PM with Jenna Park"); a visit of several services says
 * each part. */
static void offer_text(struct dctx *c, const struct convo_visit *v, int32_t prev_day, char *out, size_t cap)
{
    int32_t day;
    int min;
    cv_local(c, v->part[0].start_us, &day, &min);
    char d[48] = "", clock[16];
    if (day != prev_day) {
        replies_day(day, d, sizeof d);
        snprintf(d + strlen(d), sizeof d - strlen(d), " at ");
    }
    replies_clock(min, clock, sizeof clock);
    if (v->n == 1) {
        snprintf(out, cap, "%s%s with %s", d, clock, replies_provider(c->k, v->part[0].provider));
        return;
    }
    size_t n = (size_t)snprintf(out, cap, "%s%s (", d, clock);
    for (int i = 0; i < v->n && n < cap; i++) {
        int pm;
        int32_t pd;
        cv_local(c, v->part[i].start_us, &pd, &pm);
        replies_clock(pm, clock, sizeof clock);
        int w = snprintf(out + n, cap - n, "%s%s with %s at %s", i ? ", then " : "",
                         c->k->services[v->part[i].service].name, replies_provider(c->k, v->part[i].provider), clock);
        if (w < 0)
            return;
        n += (size_t)w;
    }
    if (n + 2 <= cap)
        snprintf(out + n, cap - n, ")");
}

/* ------------------------------------------------------------------ merge */

void book_merge(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    struct convo_state *st = c->st;
    struct convo_want *w = &st->want;
    bool book = cv_has(r, NLU_INTENT_BOOK) || cv_has(r, NLU_INTENT_AVAILABILITY);

    if (r->nservices > 0 && !c->moving &&
        (r->nservices == 1 || book || (r->flags & (NLU_F_SAME_DAY | NLU_F_CORRECTION)))) {
        w->nservices = 0;
        for (int i = 0; i < r->nservices && w->nservices < CONVO_VISIT_MAX; i++) {
            int16_t s = (int16_t)r->services[i].index;
            bool dup = false;
            for (int j = 0; j < w->nservices; j++)
                dup |= w->services[j] == s;
            if (!dup)
                w->services[w->nservices++] = s;
        }
    }
    if (r->nproviders > 0)
        w->provider = (int16_t)r->providers[0].index;

    const struct nlu_when_item *it = NULL;
    for (int i = 0; i < r->when.n && !it; i++)
        if (r->when.item[i].role != NLU_ROLE_FROM)
            it = &r->when.item[i];
    if (it) {
        if (it->day_from != NLU_DAY_NONE) {
            w->day_from = it->day_from;
            w->day_to = it->day_to;
            if (it->time_kind == NLU_TIME_NONE)
                w->time_kind = NLU_TIME_NONE;
            w->part = it->part;
        }
        if (it->time_kind != NLU_TIME_NONE) {
            w->time_kind = it->time_kind;
            w->min_from = it->min_from;
            w->min_to = it->min_to;
            w->approx = (it->flags & NLU_W_APPROX) != 0;
            if (it->part)
                w->part = it->part;
        } else if (it->part) {
            w->part = it->part;
            w->time_kind = NLU_TIME_NONE;
        }
        w->order = r->when.order;
    } else if (r->when.order) {
        w->order = r->when.order;
    }
    if ((r->flags & NLU_F_SAME_TIME) && st->has_chosen) {
        int32_t day;
        int min;
        cv_local(c, st->chosen.part[0].start_us, &day, &min);
        w->day_from = w->day_to = day;
        w->time_kind = NLU_TIME_EXACT;
        w->min_from = w->min_to = (int16_t)min;
        w->approx = false;
    }
    if (r->flags & NLU_F_NEW_CLIENT)
        st->said_new = true;
    if (r->person.score && r->person.first[0] && (cv_has(r, NLU_INTENT_NAME) || st->expecting_name) &&
        st->client != CONVO_CLIENT_EXISTING) {
        snprintf(st->first, sizeof st->first, "%s", r->person.first);
        if (r->person.last[0])
            snprintf(st->last, sizeof st->last, "%s", r->person.last);
    }
    if (r->email[0])
        snprintf(st->email, sizeof st->email, "%s", r->email);
}

/* ------------------------------------------------------------------ candidates */

static bool time_ok(const struct convo_want *w, int min)
{
    switch (w->time_kind) {
    case NLU_TIME_EXACT: return min == w->min_from;
    case NLU_TIME_WINDOW: return min >= w->min_from && min < w->min_to;
    case NLU_TIME_AFTER: return min >= w->min_from;
    case NLU_TIME_BEFORE: return min < w->min_to;
    default: break;
    }
    switch (w->part) {
    case NLU_PART_MORNING: return min < 12 * 60;
    case NLU_PART_AFTERNOON: return min >= 12 * 60 && min < 17 * 60;
    case NLU_PART_EVENING: return min >= 17 * 60;
    case NLU_PART_NIGHT: return min >= 19 * 60;
    default: return true;
    }
}

/* The provider of service s free at start in a, preferring pref; -1 if none. */
static int free_provider(const struct convo_avail *a, int64_t start, int pref)
{
    int best = -1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->slots[i].start_us != start)
            continue;
        if (a->slots[i].provider == pref)
            return pref;
        if (best < 0 || a->slots[i].provider < best)
            best = a->slots[i].provider;
    }
    return best;
}

/* Candidate visits from the availability answers av[0..n) (one per service,
 * in want order): one per distinct start; several services in the order
 * asked, else the reverse. */
static size_t build(struct dctx *c, const struct convo_avail *const *av, int n, int pref, struct cand *out,
                    size_t cap)
{
    size_t m = 0;
    int orders[2][CONVO_VISIT_MAX] = { { 0, 1, 2 }, { 1, 0, 2 } };
    int norders = n == 2 ? 2 : 1;
    for (int o = 0; o < norders; o++) {
        const int *ord = orders[o];
        const struct convo_avail *first = av[ord[0]];
        for (size_t i = 0; i < first->n && m < cap; i++) {
            int64_t start = first->slots[i].start_us;
            if (i > 0 && first->slots[i - 1].start_us == start)
                continue;
            struct cand cd = { .start_us = start };
            int64_t t = start;
            bool ok = true;
            for (int k = 0; k < n && ok; k++) {
                const struct convo_avail *a = av[ord[k]];
                int p = free_provider(a, t, pref);
                if (p < 0) {
                    ok = false;
                    break;
                }
                struct convo_part *part = &cd.v.part[cd.v.n++];
                part->service = a->q.service;
                part->provider = (int16_t)p;
                part->dur_min = c->k->services[a->q.service].dur_min;
                part->start_us = t;
                t += (int64_t)part->dur_min * 60 * 1000000;
            }
            if (!ok || start < c->now_us + (int64_t)c->k->min_notice_min * 60 * 1000000)
                continue;
            int min;
            cv_local(c, start, &cd.day, &min);
            cd.min = (int16_t)min;
            bool dup = false;
            for (size_t j = 0; j < m && !dup; j++)
                dup = out[j].start_us == start;
            if (!dup)
                out[m++] = cd;
        }
    }
    /* Chronological (the reversed order may interleave). */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && out[j].start_us < out[j - 1].start_us; j--) {
            struct cand tmp = out[j];
            out[j] = out[j - 1];
            out[j - 1] = tmp;
        }
    return m;
}

static bool provider_ok(const struct cand *cd, int pref)
{
    return pref < 0 || cd->v.part[0].provider == pref;
}

/* ------------------------------------------------------------------ offering */

static const char *which(struct dctx *c)
{
    static const char *const v[] = { "Which works best?", "Which would you like?", "Do any of those work?" };
    return replies_pick(&c->reply, v, 3);
}

static void offer(struct dctx *c, const struct cand *const *list, size_t n, bool soonest)
{
    struct convo_state *st = c->st;
    st->noffers = 0;
    char parts[CONVO_OFFERS_MAX][200];
    int32_t prev = NLU_DAY_NONE;
    for (size_t i = 0; i < n && i < CONVO_OFFERS_MAX; i++) {
        st->offers[st->noffers++] = list[i]->v;
        offer_text(c, &list[i]->v, prev, parts[i], sizeof parts[i]);
        prev = list[i]->day;
    }
    /* The same people and services in every offer: say them once. */
    bool same = st->noffers > 1;
    for (int i = 1; i < st->noffers && same; i++) {
        same = st->offers[i].n == st->offers[0].n;
        for (int j = 0; j < st->offers[0].n && same; j++)
            same = st->offers[i].part[j].provider == st->offers[0].part[j].provider &&
                   st->offers[i].part[j].service == st->offers[0].part[j].service &&
                   st->offers[i].part[j].start_us - st->offers[i].part[0].start_us ==
                       st->offers[0].part[j].start_us - st->offers[0].part[0].start_us;
    }
    if (same) {
        char who[256];
        size_t wn = 0;
        const struct convo_visit *v0 = &st->offers[0];
        if (v0->n == 1)
            wn = (size_t)snprintf(who, sizeof who, ", with %s", replies_provider(c->k, v0->part[0].provider));
        for (int j = 0; v0->n > 1 && j < v0->n && wn < sizeof who; j++) {
            int w = snprintf(who + wn, sizeof who - wn, "%s%s with %s", j ? ", then " : " for ",
                             c->k->services[v0->part[j].service].name, replies_provider(c->k, v0->part[j].provider));
            if (w < 0)
                break;
            wn += (size_t)w;
        }
        if (v0->n > 1 && wn + 12 < sizeof who)
            snprintf(who + wn, sizeof who - wn, " right after");
        char times[CONVO_OFFERS_MAX][80];
        int32_t last_day = NLU_DAY_NONE;
        for (int i = 0; i < st->noffers; i++) {
            int32_t day;
            int min;
            cv_local(c, st->offers[i].part[0].start_us, &day, &min);
            char d[48] = "", clock[16];
            if (day != last_day)
                replies_day(day, d, sizeof d);
            replies_clock(min, clock, sizeof clock);
            snprintf(times[i], sizeof times[i], "%s%s%s", d, d[0] ? " at " : "", clock);
            last_day = day;
        }
        if (st->noffers == 2)
            replies_add(&c->reply, "I have %s or %s%s. %s", times[0], times[1], who, which(c));
        else
            replies_add(&c->reply, "I have %s, %s, or %s%s. %s", times[0], times[1], times[2], who, which(c));
        st->stage = c->moving ? CONVO_ST_MOVE_OFFERED : CONVO_ST_OFFERED;
        st->has_chosen = c->moving ? st->has_chosen : false;
        return;
    }
    st->stage = c->moving ? CONVO_ST_MOVE_OFFERED : CONVO_ST_OFFERED;
    st->has_chosen = c->moving ? st->has_chosen : false;
    if (st->noffers == 1) {
        if (soonest)
            replies_add(&c->reply, "The soonest I have is %s. Would you like it?", parts[0]);
        else
            replies_add(&c->reply, "I have %s. Would that work?", parts[0]);
    } else if (st->noffers == 2) {
        replies_add(&c->reply, "I have %s or %s. %s", parts[0], parts[1], which(c));
    } else {
        replies_add(&c->reply, "I have %s, %s, or %s. %s", parts[0], parts[1], parts[2], which(c));
    }
}

/* Up to 3 from a chronological list: on one day spaced out through it, over
 * several days the first of each of the first days. */
static size_t spread(const struct cand *const *in, size_t n, const struct cand **out)
{
    if (!n)
        return 0;
    bool one_day = in[0]->day == in[n - 1]->day;
    size_t m = 0;
    out[m++] = in[0];
    if (one_day) {
        int64_t span = in[n - 1]->start_us - in[0]->start_us;
        int64_t gap = (span > 150LL * 60 * 1000000 ? 60LL : 30LL) * 60 * 1000000;
        for (size_t i = 1; i < n && m < CONVO_OFFERS_MAX; i++)
            if (in[i]->start_us >= out[m - 1]->start_us + gap)
                out[m++] = in[i];
    } else {
        /* A different day each, and a different part of the day: the first
         * opening, then early afternoon, then late afternoon. */
        static const int target[CONVO_OFFERS_MAX] = { 0, 13 * 60, 16 * 60 };
        for (size_t i = 1; i < n && m < CONVO_OFFERS_MAX; i++) {
            if (in[i]->day == out[m - 1]->day)
                continue;
            size_t pick = i;
            for (size_t j = i; j < n && in[j]->day == in[i]->day; j++)
                if (in[j]->min >= target[m]) {
                    pick = j;
                    break;
                }
            out[m++] = in[pick];
            while (i + 1 < n && in[i + 1]->day == in[i]->day)
                i++;
        }
    }
    return m;
}

/* Up to 3 nearest to target (same day first), then chronological. */
static size_t nearest(const struct cand *const *in, size_t n, int32_t day, int64_t target, size_t want,
                      const struct cand **out)
{
    size_t m = 0;
    bool used[CANDS_MAX] = { false };
    while (m < want && m < n) {
        int best = -1;
        int64_t bd = 0;
        for (size_t i = 0; i < n; i++) {
            if (used[i])
                continue;
            bool close = false;
            for (size_t j = 0; j < m && !close; j++)
                close = llabs(out[j]->start_us - in[i]->start_us) < 30LL * 60 * 1000000;
            if (close)
                continue;
            int64_t d = llabs(in[i]->start_us - target) + (in[i]->day == day ? 0 : (int64_t)1 << 50);
            if (best < 0 || d < bd) {
                best = (int)i;
                bd = d;
            }
        }
        if (best < 0)
            break;
        used[best] = true;
        out[m++] = in[best];
    }
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && out[j]->start_us < out[j - 1]->start_us; j--) {
            const struct cand *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return m;
}

/* First of each of the days nearest to day (for a closed or full day). */
static size_t nearest_days(const struct cand *const *in, size_t n, int32_t day, const struct cand **out)
{
    size_t m = 0;
    for (int dist = 1; dist < 40 && m < CONVO_OFFERS_MAX; dist++) {
        for (int sgn = -1; sgn <= 1 && m < CONVO_OFFERS_MAX; sgn += 2) {
            int32_t d = day + sgn * dist;
            for (size_t i = 0; i < n; i++)
                if (in[i]->day == d) {
                    out[m++] = in[i];
                    break;
                }
        }
    }
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && out[j]->start_us < out[j - 1]->start_us; j--) {
            const struct cand *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return m;
}

/* ------------------------------------------------------------------ the next step */

static void choose(struct dctx *c, struct cand *cands, const struct convo_avail *const *av, bool closed_said,
                   bool provider_note);

void book_ask_service(struct dctx *c)
{
    replies_add(&c->reply, "Which treatment would you like to book?");
    c->st->stage = CONVO_ST_CHAT;
}

void book_forget_when(struct convo_want *w)
{
    w->day_from = w->day_to = NLU_DAY_NONE;
    w->time_kind = NLU_TIME_NONE;
    w->part = NLU_PART_NONE;
    w->order = NLU_ORDER_NONE;
    w->approx = false;
}

/* The reason a named time is not free, said before alternatives. */
static void explain_unavailable(struct dctx *c, int32_t day, int min, bool closed_said)
{
    const struct convo_want *w = &c->st->want;
    char d[48], clock[16];
    replies_clock(min, clock, sizeof clock);
    if (day == NLU_DAY_NONE) {
        replies_add(&c->reply, "%s isn't available.", clock);
        return;
    }
    replies_day(day, d, sizeof d);
    int64_t at = cv_local_us(c, day, min);
    int wd = nlu_weekday(day);
    int dur = 0;
    for (int i = 0; i < w->nservices; i++)
        dur += c->k->services[w->services[i]].dur_min;
    if (closed_said)
        return;
    if (at < c->now_us) {
        replies_add(&c->reply, "%s on %s has already passed.", clock, d);
    } else if (at < c->now_us + (int64_t)c->k->min_notice_min * 60 * 1000000) {
        int h = c->k->min_notice_min / 60, m = c->k->min_notice_min % 60;
        if (m)
            replies_add(&c->reply, "%s today is a little too soon: we need at least %d minutes' notice.", clock,
                        c->k->min_notice_min);
        else
            replies_add(&c->reply, "%s today is a little too soon: we need at least %d hour%s notice.", clock, h,
                        h == 1 ? "'s" : "s'");
    } else if (c->k->open_min[wd] >= 0 && (min < c->k->open_min[wd] || min + dur > c->k->close_min[wd])) {
        char a[16], b[16];
        replies_clock(c->k->open_min[wd], a, sizeof a);
        replies_clock(c->k->close_min[wd], b, sizeof b);
        replies_add(&c->reply, "We're open %s to %s on %ss, so %s doesn't fit.", a, b, wday_names[wd], clock);
    } else {
        replies_add(&c->reply, "Sorry, %s at %s isn't available.", d, clock);
    }
}

void book_continue(struct dctx *c)
{
    struct convo_state *st = c->st;
    struct convo_want *w = &st->want;
    if (st->link_only) {
        link_continue(c);
        return;
    }
    if (!w->nservices) {
        book_ask_service(c);
        return;
    }
    /* A provider who does not do what was asked: say so, offer the others. */
    bool provider_note = false;
    if (w->provider >= 0) {
        for (int i = 0; i < w->nservices && !provider_note; i++)
            if (!convo_knowledge_offers(c->k, w->provider, w->services[i])) {
                int other = -1;
                for (size_t p = 0; p < c->k->nproviders && other < 0; p++)
                    if (convo_knowledge_offers(c->k, (int)p, w->services[i]))
                        other = (int)p;
                if (other >= 0)
                    replies_add(&c->reply, "%s doesn't do %s, but %s does.", replies_provider(c->k, w->provider),
                                c->k->services[w->services[i]].name, replies_provider(c->k, other));
                else
                    replies_add(&c->reply, "%s doesn't do %s.", replies_provider(c->k, w->provider),
                                c->k->services[w->services[i]].name);
                provider_note = true;
            }
        if (provider_note)
            w->provider = -1;
    }
    bool has_day = w->day_from != NLU_DAY_NONE;
    if (has_day && w->day_to < c->today) {
        char d[48];
        replies_day(w->day_to, d, sizeof d);
        replies_add(&c->reply, "%s has already passed. What other day works for you?", d);
        book_forget_when(w);
        st->stage = CONVO_ST_CHAT;
        return;
    }
    int32_t last = c->today + c->k->horizon_days;
    if (has_day && w->day_from > last) {
        char d[48];
        replies_day(last, d, sizeof d);
        replies_add(&c->reply, "I can book up to %d days ahead. Could you pick a day on or before %s?",
                    c->k->horizon_days, d);
        book_forget_when(w);
        st->stage = CONVO_ST_CHAT;
        return;
    }
    bool closed_said = false;
    if (has_day && w->day_from == w->day_to && convo_knowledge_closed_day(c->k, w->day_from)) {
        char d[48];
        replies_day(w->day_from, d, sizeof d);
        replies_add(&c->reply, "We're closed on %s.", d);
        closed_said = true;
    }

    /* The days to look at: what was asked and a few days around it. */
    int32_t d1 = has_day ? w->day_from : c->today, d2 = has_day ? w->day_to : c->today + 7;
    if (has_day && d2 - d1 <= 10) {
        d1 -= 3;
        d2 += 3;
    }
    if (d1 < c->today)
        d1 = c->today;
    if (d2 > last)
        d2 = last;
    const struct convo_avail *av[CONVO_VISIT_MAX];
    bool missing = false;
    for (int i = 0; i < w->nservices; i++) {
        struct convo_query q = { w->services[i], -1, cv_local_us(c, d1, 0), cv_local_us(c, d2 + 1, 0) };
        av[i] = cv_avail(c, &q);
        missing |= !av[i];
    }
    if (missing || c->err)
        return;
    for (int i = 0; i < w->nservices; i++)
        if (av[i]->failed) {
            char ph[32];
            replies_phone(c->k, ph, sizeof ph);
            replies_add(&c->reply, "Sorry, I can't reach our calendar right now. Please try me again in a few "
                                   "minutes, or call us at %s.", ph);
            return;
        }

    /* Scratch for this call only (owned here, freed below). */
    struct cand *cands = malloc(sizeof *cands * CANDS_MAX);
    if (!cands) {
        c->err = CONVO_E_NOMEM;
        return;
    }
    choose(c, cands, av, closed_said, provider_note);
    free(cands);
}

static void choose(struct dctx *c, struct cand *cands, const struct convo_avail *const *av, bool closed_said,
                   bool provider_note)
{
    struct convo_state *st = c->st;
    struct convo_want *w = &st->want;
    bool has_day = w->day_from != NLU_DAY_NONE;
    const struct cand *all[CANDS_MAX], *match[CANDS_MAX], *pick[CONVO_OFFERS_MAX];
    int pref = w->provider;
    size_t n = build(c, av, w->nservices, pref, cands, CANDS_MAX);
    size_t na = 0, nm = 0;
    for (size_t i = 0; i < n; i++) {
        all[na++] = &cands[i];
        bool day_ok = !has_day || (cands[i].day >= w->day_from && cands[i].day <= w->day_to);
        if (day_ok && time_ok(w, cands[i].min) && provider_ok(&cands[i], pref))
            match[nm++] = &cands[i];
    }
    if (pref >= 0 && nm == 0) {
        /* Nobody free with that provider then: say so, look at everyone. */
        for (size_t i = 0; i < n; i++) {
            bool day_ok = !has_day || (cands[i].day >= w->day_from && cands[i].day <= w->day_to);
            if (day_ok && time_ok(w, cands[i].min))
                match[nm++] = &cands[i];
        }
        if (nm)
            replies_add(&c->reply, "%s isn't free then, but others are.", replies_provider(c->k, pref));
    }

    bool exact = w->time_kind == NLU_TIME_EXACT;
    int32_t tday = has_day && w->day_from == w->day_to ? w->day_from : (nm ? match[0]->day : NLU_DAY_NONE);
    if (exact && !w->approx) {
        if (nm > 0) {
            if (provider_note) {
                offer(c, match, 1, false);
                return;
            }
            book_accept(c, &match[0]->v);
            return;
        }
        explain_unavailable(c, tday, w->min_from, closed_said);
        if (!na) {
            replies_add(&c->reply, "I don't see any openings around then. Is there another day that works?");
            st->stage = CONVO_ST_CHAT;
            return;
        }
        int64_t target = tday != NLU_DAY_NONE ? cv_local_us(c, tday, w->min_from) : c->now_us;
        size_t m = closed_said ? nearest_days(all, na, tday, pick) : nearest(all, na, tday, target, 3, pick);
        offer(c, pick, m, false);
        return;
    }
    if (exact && w->approx) {
        const struct cand *const *pool = nm ? match : all;
        size_t pn = nm ? nm : na;
        if (!nm) {
            /* "around 1": the nearest on that day */
            pool = all;
            pn = na;
        }
        size_t m = 0;
        if (pn) {
            int32_t day = tday != NLU_DAY_NONE ? tday : pool[0]->day;
            m = nearest(pool, pn, day, cv_local_us(c, day, w->min_from), 1, pick);
        }
        if (!m) {
            replies_add(&c->reply, "I don't see any openings around then. Is there another day that works?");
            st->stage = CONVO_ST_CHAT;
            return;
        }
        offer(c, pick, m, false);
        return;
    }
    if (!nm) {
        if (!na) {
            replies_add(&c->reply, "I don't see any openings then. Is there another day or time that works?");
            st->stage = CONVO_ST_CHAT;
            return;
        }
        if (!closed_said)
            replies_add(&c->reply, "I don't have anything open then.");
        size_t m = has_day ? nearest_days(all, na, w->day_from, pick) : spread(all, na, pick);
        offer(c, pick, m, false);
        return;
    }
    if (w->order == NLU_ORDER_EARLIEST) {
        offer(c, match, 1, true);
        return;
    }
    if (w->order == NLU_ORDER_LATEST) {
        offer(c, &match[nm - 1], 1, false);
        return;
    }
    size_t m = spread(match, nm, pick);
    offer(c, pick, m, false);
}

/* ------------------------------------------------------------------ accept, hold */

void book_accept(struct dctx *c, const struct convo_visit *v)
{
    struct convo_state *st = c->st;
    char desc[256];
    if (c->moving) {
        struct convo_action *a = cv_action(c, CONVO_ACT_RESCHEDULE);
        if (!a)
            return;
        snprintf(a->ref, sizeof a->ref, "%s", st->appt_ref);
        a->visit = *v;
        st->appt = v->part[0];
        book_describe(c, v, desc, sizeof desc);
        replies_add(&c->reply, "Done! Your appointment is moved to %s. See you then!", desc);
        st->noffers = 0;
        st->appt_ref[0] = '\0';
        st->stage = CONVO_ST_CHAT;
        return;
    }
    st->chosen = *v;
    st->has_chosen = true;
    st->noffers = 0;
    if (st->client != CONVO_CLIENT_EXISTING && (!st->first[0] || !st->last[0])) {
        book_describe(c, v, desc, sizeof desc);
        st->stage = CONVO_ST_ACCEPTED;
        st->expecting_name = true;
        if (st->first[0])
            replies_add(&c->reply, "Great, %s! %s is open. Could I also get your last name?", st->first, desc);
        else {
            switch (c->reply.seed % 3) {
            case 0: replies_add(&c->reply, "Great news: %s is open!", desc); break;
            case 1: replies_add(&c->reply, "Good news, %s is available!", desc); break;
            default: replies_add(&c->reply, "Perfect, %s is open.", desc); break;
            }
            replies_add(&c->reply, "To hold it for you, could I get your first and last name?");
        }
        return;
    }
    book_hold(c);
}

void book_hold(struct dctx *c)
{
    struct convo_state *st = c->st;
    bool new_client = st->client != CONVO_CLIENT_EXISTING;
    int64_t dep = convo_deposit_cents(c->k, &st->chosen, new_client);
    char desc[256], money[32];
    book_describe(c, &st->chosen, desc, sizeof desc);
    struct convo_action *a = cv_action(c, CONVO_ACT_HOLD);
    if (!a)
        return;
    a->visit = st->chosen;
    st->expecting_name = false;
    if (st->credit_cents > 0) {
        /* A deposit paid for a time that was lost meanwhile goes toward this one. */
        a = cv_action(c, CONVO_ACT_BOOK);
        if (!a)
            return;
        a->visit = st->chosen;
        a->cents = st->credit_cents;
        a->new_client = new_client;
        snprintf(a->first, sizeof a->first, "%s", st->first);
        snprintf(a->last, sizeof a->last, "%s", st->last);
        snprintf(a->email, sizeof a->email, "%s", st->email);
        replies_money(st->credit_cents, money, sizeof money);
        replies_add(&c->reply, "You're all set%s%s! %s is booked, and your %s deposit goes toward it. "
                               "See you then!", st->first[0] ? ", " : "", st->first, desc, money);
        st->deposit_cents = st->credit_cents;
        st->credit_cents = 0;
        st->stage = CONVO_ST_BOOKED;
        return;
    }
    if (dep > 0) {
        a = cv_action(c, CONVO_ACT_DEPOSIT_LINK);
        if (!a)
            return;
        a->cents = dep;
        replies_money(dep, money, sizeof money);
        c->reply.reserve = CONVO_LINK_BUDGET;
        replies_add(&c->reply, "Thanks%s%s! I'm holding %s for %d minutes. Please secure it with a %s deposit "
                               "(applied to your treatment) here:",
                    st->first[0] ? ", " : "", st->first, desc, c->k->hold_minutes, money);
        c->reply.reserve = 0;
        replies_add(&c->reply, "%s", CONVO_LINK_MARK);
        c->link_in_reply = true;
        st->deposit_cents = (int32_t)dep;
        st->followed_up = false;
        st->stage = CONVO_ST_HELD;
        return;
    }
    a = cv_action(c, CONVO_ACT_BOOK);
    if (!a)
        return;
    a->visit = st->chosen;
    a->new_client = new_client;
    snprintf(a->first, sizeof a->first, "%s", st->first);
    snprintf(a->last, sizeof a->last, "%s", st->last);
    snprintf(a->email, sizeof a->email, "%s", st->email);
    replies_add(&c->reply, "You're all set%s%s! %s is booked, and no deposit is needed. See you then!",
                st->first[0] ? ", " : "", st->first, desc);
    st->stage = CONVO_ST_BOOKED;
}

bool book_pick(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    struct convo_state *st = c->st;
    int n = st->noffers, idx = -1;
    if (!n)
        return false;
    switch (r->pick.kind) {
    case NLU_PICK_ORDINAL: {
        int o = r->pick.ordinal;
        idx = o > 0 ? o - 1 : n + o;
        if (idx < 0 || idx >= n)
            idx = -1;
        break;
    }
    case NLU_PICK_EARLIEST: idx = 0; break;
    case NLU_PICK_LATEST: idx = n - 1; break;
    case NLU_PICK_THIS:
        idx = 0;
        for (int i = 0; i < n && r->nproviders; i++)
            if (st->offers[i].part[0].provider == r->providers[0].index) {
                idx = i;
                break;
            }
        break;
    default: break;
    }
    if (idx < 0 && r->when.n > 0 && r->when.item[0].time_kind == NLU_TIME_EXACT) {
        const struct nlu_when_item *it = &r->when.item[0];
        for (int i = 0; i < n && idx < 0; i++) {
            int32_t day;
            int min;
            cv_local(c, st->offers[i].part[0].start_us, &day, &min);
            bool day_ok = it->day_from == NLU_DAY_NONE || (day >= it->day_from && day <= it->day_to);
            if (min == it->min_from && day_ok)
                idx = i;
        }
    }
    if (idx < 0 && n == 1 && cv_has(r, NLU_INTENT_YES) && !r->when.n)
        idx = 0;
    if (idx < 0)
        return false;
    struct convo_visit v = st->offers[idx];
    book_accept(c, &v);
    return true;
}

/* Looks again around the chosen time, which someone else took. */
static void reoffer_around_chosen(struct dctx *c)
{
    struct convo_state *st = c->st;
    int32_t day;
    int min;
    cv_local(c, st->chosen.part[0].start_us, &day, &min);
    if (st->want.nservices == 0) { /* the services of the visit that was lost */
        for (int i = 0; i < st->chosen.n && i < CONVO_VISIT_MAX; i++)
            st->want.services[i] = st->chosen.part[i].service;
        st->want.nservices = (uint8_t)st->chosen.n;
    }
    st->want.day_from = st->want.day_to = day;
    st->want.time_kind = NLU_TIME_EXACT;
    st->want.min_from = st->want.min_to = (int16_t)min;
    st->want.approx = false;
    st->has_chosen = false;
    st->expecting_name = false;
}

void book_credit_after_loss(struct dctx *c, int64_t cents)
{
    struct convo_state *st = c->st;
    char money[32];
    struct convo_action *a = cv_action(c, CONVO_ACT_STAFF_ALERT);
    if (a)
        snprintf(a->reason, sizeof a->reason, "paid_for_lost_slot");
    st->credit_cents = (int32_t)cents;
    st->deposit_cents = -1;
    replies_money(cents, money, sizeof money);
    replies_add(&c->reply, "Thank you, your %s deposit came through, but that time was taken after the hold "
                           "lapsed. It's safe: it goes toward another time, or reply REFUND to get it back.",
                money);
    reoffer_around_chosen(c);
    st->stage = CONVO_ST_CHAT;
    book_continue(c);
}

void book_refund_credit(struct dctx *c)
{
    struct convo_state *st = c->st;
    char money[32];
    struct convo_action *a = cv_action(c, CONVO_ACT_REFUND);
    if (!a)
        return;
    a->cents = st->credit_cents;
    replies_money(st->credit_cents, money, sizeof money);
    replies_add(&c->reply, "Done: your %s deposit is on its way back to your card (banks take 5-10 business "
                           "days). We'd love to see you another time!", money);
    st->credit_cents = 0;
    st->noffers = 0;
    st->stage = CONVO_ST_CHAT;
}

void book_reoffer_after_loss(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (!st->has_chosen)
        return;
    if (st->stage == CONVO_ST_BOOKED || st->stage == CONVO_ST_PAID) {
        book_credit_after_loss(c, st->deposit_cents > 0 ? st->deposit_cents : 0);
        return;
    }
    reoffer_around_chosen(c);
    if (st->stage == CONVO_ST_HELD) {
        st->deposit_cents = -1; /* the link was never made */
        st->stage = CONVO_ST_CHAT;
    }
    replies_add(&c->reply, "So sorry, someone just took that time.");
    book_continue(c);
}
