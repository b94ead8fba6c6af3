/*
 * Booking with a link-only EMR (state.link_only: the practice system has no
 * booking API). There are no slots to offer, so the assistant qualifies the
 * patient instead (the services, a preferred day or time, the name), asks
 * for the deposit the clinic's rules set, and once it is paid makes a staff
 * task: staff enter the booking by hand and the patient is confirmed when
 * they mark it done. With no deposit due it hands out the clinic's own
 * booking page when one is configured, else makes the task at once.
 */
#include <string.h>

#include "convo/internal.h"

/* "Botox and Lip Filler" into out. */
static void services_text(struct dctx *c, const struct convo_want *w, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < w->nservices && n < cap; i++) {
        int r = snprintf(out + n, cap - n, "%s%s", i == 0 ? "" : i == w->nservices - 1 ? " and " : ", ",
                         c->k->services[w->services[i]].name);
        if (r < 0)
            return;
        n += (size_t)r;
    }
}

/* The preferred time in words ("Friday, March 5 around 3:00 PM", "in the
 * afternoon") into out; "" when none was given. */
static void when_text(const struct convo_want *w, char *out, size_t cap)
{
    char day[128] = "", a[16], b[16], tm[64] = "";
    if (w->day_from != NLU_DAY_NONE) {
        char d1[48], d2[48];
        replies_day(w->day_from, d1, sizeof d1);
        if (w->day_to != w->day_from && w->day_to != NLU_DAY_NONE) {
            replies_day(w->day_to, d2, sizeof d2);
            snprintf(day, sizeof day, "between %s and %s", d1, d2);
        } else {
            snprintf(day, sizeof day, "on %s", d1);
        }
    }
    switch (w->time_kind) {
    case NLU_TIME_EXACT:
        replies_clock(w->min_from, a, sizeof a);
        snprintf(tm, sizeof tm, "%s %s", w->approx ? "around" : "at", a);
        break;
    case NLU_TIME_WINDOW:
        replies_clock(w->min_from, a, sizeof a);
        replies_clock(w->min_to, b, sizeof b);
        snprintf(tm, sizeof tm, "between %s and %s", a, b);
        break;
    case NLU_TIME_AFTER:
        replies_clock(w->min_from, a, sizeof a);
        snprintf(tm, sizeof tm, "after %s", a);
        break;
    case NLU_TIME_BEFORE:
        replies_clock(w->min_to, b, sizeof b);
        snprintf(tm, sizeof tm, "before %s", b);
        break;
    default:
        switch (w->part) {
        case NLU_PART_MORNING: snprintf(tm, sizeof tm, "in the morning"); break;
        case NLU_PART_AFTERNOON: snprintf(tm, sizeof tm, "in the afternoon"); break;
        case NLU_PART_EVENING: snprintf(tm, sizeof tm, "in the evening"); break;
        case NLU_PART_NIGHT: snprintf(tm, sizeof tm, "at night"); break;
        default: break;
        }
    }
    snprintf(out, cap, "%s%s%s", day, day[0] && tm[0] ? " " : "", tm);
}

static bool has_when(const struct convo_want *w)
{
    return w->day_from != NLU_DAY_NONE || w->time_kind != NLU_TIME_NONE || w->part != NLU_PART_NONE;
}

/* The task action: the services asked for, the preferred time, the name. */
static void task_action(struct dctx *c, int64_t cents)
{
    const struct convo_state *st = c->st;
    struct convo_action *a = cv_action(c, CONVO_ACT_STAFF_TASK);
    if (!a)
        return;
    for (int i = 0; i < st->want.nservices; i++) {
        struct convo_part *p = &a->visit.part[a->visit.n++];
        p->service = st->want.services[i];
        p->provider = st->want.provider;
        p->dur_min = c->k->services[p->service].dur_min;
    }
    when_text(&st->want, a->text, sizeof a->text);
    a->cents = cents;
    a->new_client = st->client != CONVO_CLIENT_EXISTING;
    snprintf(a->first, sizeof a->first, "%s", st->first);
    snprintf(a->last, sizeof a->last, "%s", st->last);
    snprintf(a->email, sizeof a->email, "%s", st->email);
}

void link_continue(struct dctx *c)
{
    struct convo_state *st = c->st;
    struct convo_want *w = &st->want;
    char svc[200], when[200], money[32];
    if (!w->nservices) {
        book_ask_service(c);
        return;
    }
    services_text(c, w, svc, sizeof svc);
    if (w->day_to != NLU_DAY_NONE && w->day_to < c->today) {
        char d[48];
        replies_day(w->day_to, d, sizeof d);
        replies_add(&c->reply, "%s has already passed. What other day works for you?", d);
        book_forget_when(w);
        st->stage = CONVO_ST_CHAT;
        return;
    }
    if (!has_when(w)) {
        replies_add(&c->reply, "What day and time would you prefer for %s?", svc);
        st->stage = CONVO_ST_CHAT;
        return;
    }
    if (st->client != CONVO_CLIENT_EXISTING && (!st->first[0] || !st->last[0])) {
        st->stage = CONVO_ST_ACCEPTED;
        st->expecting_name = true;
        if (st->first[0])
            replies_add(&c->reply, "Thanks, %s! Could I also get your last name?", st->first);
        else
            replies_add(&c->reply, "Great! To request %s for you, could I get your first and last name?", svc);
        return;
    }
    st->expecting_name = false;
    st->has_chosen = false;
    when_text(w, when, sizeof when);
    struct convo_visit v = { 0 };
    for (int i = 0; i < w->nservices; i++)
        v.part[v.n++] = (struct convo_part){ .service = w->services[i], .provider = w->provider };
    int64_t dep = convo_deposit_cents(c->k, &v, st->client != CONVO_CLIENT_EXISTING);
    if (dep > 0) {
        struct convo_action *a = cv_action(c, CONVO_ACT_DEPOSIT_LINK);
        if (!a)
            return;
        a->cents = dep;
        replies_money(dep, money, sizeof money);
        c->reply.reserve = CONVO_LINK_BUDGET;
        replies_add(&c->reply, "Thanks%s%s! To request %s %s, please pay the %s deposit (applied to your "
                               "treatment) here:",
                    st->first[0] ? ", " : "", st->first, svc, when, money);
        c->reply.reserve = 0;
        replies_add(&c->reply, "%s", CONVO_LINK_MARK);
        replies_add(&c->reply, "Once it's paid, our team will enter your booking and text you to confirm.");
        c->link_in_reply = true;
        st->deposit_cents = (int32_t)dep;
        st->stage = CONVO_ST_HELD;
        return;
    }
    if (st->booking_link) {
        c->reply.reserve = CONVO_BOOKING_BUDGET;
        replies_add(&c->reply, "Thanks%s%s! You can book %s %s on our booking page:", st->first[0] ? ", " : "",
                    st->first, svc, when);
        c->reply.reserve = 0;
        replies_add(&c->reply, "%s", CONVO_BOOKING_MARK);
        st->stage = CONVO_ST_CHAT;
        return;
    }
    task_action(c, 0);
    replies_add(&c->reply, "Thanks%s%s! I've passed your request for %s %s to our team. They'll enter your "
                           "booking and text you to confirm.",
                st->first[0] ? ", " : "", st->first, svc, when);
    st->stage = CONVO_ST_REQUESTED;
}

void link_paid(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (st->stage != CONVO_ST_HELD || !st->want.nservices)
        return; /* a repeat, or nothing asked for: nothing changes */
    char svc[200], when[200];
    services_text(c, &st->want, svc, sizeof svc);
    when_text(&st->want, when, sizeof when);
    task_action(c, c->ev->amount_cents);
    replies_add(&c->reply, "Thank you, your deposit came through! Our team will enter your booking for %s %s and "
                           "text you to confirm.",
                svc, when);
    st->stage = CONVO_ST_REQUESTED;
}
