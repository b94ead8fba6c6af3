/*
 * convo_decide(): the event dispatcher of the conversation core. It sets up
 * the decision context, routes each event (message, missed call, payment,
 * lapsed hold, failed action, timer, staff handing back) to its policy,
 * answers the informational part of a message (prices, hours, location,
 * policies, fears, objections) from the knowledge, and leaves booking to
 * book.c and existing appointments to manage.c. Safety comes first: urgent
 * symptoms and medical questions are answered before anything else and
 * never with advice.
 */
#include <string.h>

#include "convo/internal.h"

/* ------------------------------------------------------------------ info */

/* The services a question is about: the message's, else the conversation's. */
static int about_services(struct dctx *c, int16_t *out, int cap)
{
    int n = 0;
    for (int i = 0; c->r && i < c->r->nservices && n < cap; i++)
        out[n++] = (int16_t)c->r->services[i].index;
    for (int i = 0; !n && i < c->st->want.nservices && n < cap; i++)
        out[n++] = c->st->want.services[i];
    return n;
}

static void answer_price(struct dctx *c, bool info)
{
    int16_t s[NLU_HITS_MAX];
    int n = about_services(c, s, NLU_HITS_MAX);
    if (!n) {
        replies_add(&c->reply, "Happy to help with pricing! Which treatment are you asking about?");
        return;
    }
    if (info)
        replies_add(&c->reply, "Yes, we do!");
    for (int i = 0; i < n; i++)
        replies_price(&c->reply, c->k, s[i]);
}

static void answer_hours(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    if (r->when.flags & NLU_WHEN_NOW) {
        replies_open_now(&c->reply, c->k, c->today, c->now_min);
        return;
    }
    if (r->when.n > 0 && r->when.item[0].day_from != NLU_DAY_NONE &&
        r->when.item[0].day_from == r->when.item[0].day_to) {
        int32_t d = r->when.item[0].day_from;
        int wd = nlu_weekday(d);
        bool closed_date = convo_knowledge_closed_day(c->k, d) && c->k->open_min[wd] >= 0;
        if (closed_date) {
            char day[48];
            replies_day(d, day, sizeof day);
            replies_add(&c->reply, "We're closed on %s.", day);
        }
        replies_hours(&c->reply, c->k, wd);
        return;
    }
    if (r->when.n > 0 && r->when.item[0].wday_mask && !(r->when.item[0].wday_mask & (r->when.item[0].wday_mask - 1))) {
        int wd = 0;
        while (!((r->when.item[0].wday_mask >> wd) & 1))
            wd++;
        replies_hours(&c->reply, c->k, wd);
        return;
    }
    replies_hours(&c->reply, c->k, -1);
}

static void answer_policy(struct dctx *c)
{
    uint8_t t = c->r->topics;
    if ((t & (NLU_TOPIC_CANCELLATION | NLU_TOPIC_DEPOSIT | NLU_TOPIC_REFUND | NLU_TOPIC_LATE) || !t) &&
        c->k->cancellation[0])
        replies_add(&c->reply, "%s", c->k->cancellation);
    if (t & NLU_TOPIC_PARKING && c->k->parking[0])
        replies_add(&c->reply, "%s", c->k->parking);
    if (t & NLU_TOPIC_NUMBING && c->k->numbing[0])
        replies_add(&c->reply, "%s", c->k->numbing);
}

static void answer_location(struct dctx *c)
{
    if (c->k->address[0])
        replies_add(&c->reply, "We're at %s.", c->k->address);
    if (c->k->parking[0])
        replies_add(&c->reply, "%s", c->k->parking);
}

/* Answers what the message asks; true when something was answered. */
static bool answer_questions(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    size_t before = c->reply.n;
    bool booking = cv_has(r, NLU_INTENT_BOOK) || cv_has(r, NLU_INTENT_AVAILABILITY);
    bool objection = cv_has(r, NLU_INTENT_OBJECTION);
    int16_t any[1];
    if (cv_has(r, NLU_INTENT_PRICE) && !(objection && !about_services(c, any, 1)))
        answer_price(c, cv_has(r, NLU_INTENT_SERVICE_INFO) && r->nservices == 1 && !booking);
    else if (cv_has(r, NLU_INTENT_SERVICE_INFO) && r->nservices > 0 && !booking)
        answer_price(c, r->nservices == 1);
    if (cv_has(r, NLU_INTENT_HOURS))
        answer_hours(c);
    if (cv_has(r, NLU_INTENT_LOCATION))
        answer_location(c);
    if (cv_has(r, NLU_INTENT_POLICY))
        answer_policy(c);
    if (cv_has(r, NLU_INTENT_PAIN))
        replies_pain(&c->reply, c->k);
    if (cv_has(r, NLU_INTENT_OBJECTION)) {
        int16_t s[1];
        replies_objection(&c->reply, c->k, (r->flags & NLU_F_OBJ_PRICE) || !(r->flags & NLU_F_OBJ_THINK),
                          about_services(c, s, 1) ? s[0] : -1);
    }
    return c->reply.n > before;
}

/* ------------------------------------------------------------------ message */

static void go_handoff(struct dctx *c, const char *reason, bool alert)
{
    struct convo_action *a;
    if (alert && (a = cv_action(c, CONVO_ACT_STAFF_ALERT)))
        snprintf(a->reason, sizeof a->reason, "%s", reason);
    if ((a = cv_action(c, CONVO_ACT_HANDOFF)))
        snprintf(a->reason, sizeof a->reason, "%s", reason);
    if (c->st->stage != CONVO_ST_HANDOFF)
        c->st->resume_stage = c->st->stage;
    c->st->stage = CONVO_ST_HANDOFF;
}

static void release_pending(struct dctx *c)
{
    if (c->st->stage == CONVO_ST_HELD)
        cv_action(c, CONVO_ACT_RELEASE_HOLD);
    c->st->has_chosen = false;
    c->st->noffers = 0;
    c->st->expecting_name = false;
    c->st->stage = CONVO_ST_CHAT;
}

static void resend_link(struct dctx *c)
{
    c->reply.reserve = CONVO_LINK_BUDGET;
    replies_add(&c->reply, "You can pay the deposit securely here:");
    c->reply.reserve = 0;
    replies_add(&c->reply, "%s", CONVO_LINK_MARK);
    c->link_in_reply = true;
}

/* Whether the message moves a booking forward. */
static bool wants_booking(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    const struct convo_state *st = c->st;
    if (cv_has(r, NLU_INTENT_BOOK) || cv_has(r, NLU_INTENT_AVAILABILITY))
        return true;
    if (st->stage == CONVO_ST_OFFERED || st->stage == CONVO_ST_ACCEPTED)
        return true;
    if (st->want.nservices && (cv_has(r, NLU_INTENT_YES) || r->when.n > 0 || cv_has(r, NLU_INTENT_PICK)))
        return true;
    return false;
}

/* A message with nothing to act on: yes, no, thanks, hello, "wrong
 * number" again, or nothing understood. */
static bool small_talk(const struct nlu_result *r)
{
    static const uint8_t chat[] = { NLU_INTENT_WRONG_NUMBER, NLU_INTENT_GREETING, NLU_INTENT_THANKS,
                                    NLU_INTENT_YES, NLU_INTENT_NO };
    if (r->nservices || r->when.n || r->nproviders || (r->flags & NLU_F_CARD_DIGITS))
        return false;
    for (int i = 0; i < NLU_INTENT_COUNT; i++) {
        bool allowed = false;
        for (size_t j = 0; j < sizeof chat; j++)
            allowed |= chat[j] == i;
        if (!allowed && cv_has(r, (enum nlu_intent)i))
            return false;
    }
    return true;
}

static void on_message(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    struct convo_state *st = c->st;
    if (!r) {
        c->err = CONVO_E_INVAL;
        return;
    }
    if (st->stage == CONVO_ST_HANDOFF)
        return; /* staff have it: stay silent */

    /* Who this is decides greetings, deposits and what booking needs. */
    if (st->client == CONVO_CLIENT_UNKNOWN || cv_has(r, NLU_INTENT_CANCEL) || cv_has(r, NLU_INTENT_RESCHEDULE)) {
        const struct convo_client *cl = cv_client(c);
        if (!cl)
            return;
        if (st->client == CONVO_CLIENT_UNKNOWN) {
            st->client = cl->known ? CONVO_CLIENT_EXISTING : CONVO_CLIENT_NEW;
            if (cl->known) {
                snprintf(st->first, sizeof st->first, "%s", cl->first);
                snprintf(st->last, sizeof st->last, "%s", cl->last);
            }
        }
    }
    if (!st->greeted) {
        if (st->client == CONVO_CLIENT_EXISTING && st->first[0])
            replies_add(&c->reply, "Hi %s! I'm the automated assistant for %s.", st->first, c->k->name);
        else
            replies_greeting(&c->reply, c->k, false);
        st->greeted = true;
    }

    if (cv_has(r, NLU_INTENT_URGENT)) {
        replies_urgent(&c->reply, c->k);
        go_handoff(c, "urgent_symptoms", true);
        return;
    }
    if (cv_has(r, NLU_INTENT_MEDICAL)) {
        replies_medical(&c->reply, c->k);
        return;
    }
    if (cv_has(r, NLU_INTENT_HUMAN)) {
        replies_handoff(&c->reply);
        go_handoff(c, "asked_for_person", false);
        return;
    }
    if (st->stage == CONVO_ST_CLOSED) {
        if (small_talk(r))
            return; /* after "wrong number": answered once, nothing more to say */
        st->stage = CONVO_ST_CHAT; /* they do want something after all */
    }
    if (cv_has(r, NLU_INTENT_WRONG_NUMBER) && !cv_has(r, NLU_INTENT_BOOK)) {
        release_pending(c);
        replies_add(&c->reply, "No problem, sorry for the mix-up! Have a great day.");
        st->stage = CONVO_ST_CLOSED;
        return;
    }
    if (st->credit_cents > 0 && (r->flags & NLU_F_REFUND) && !(r->flags & NLU_F_NEGATED)) {
        book_refund_credit(c);
        return;
    }
    if (cv_has(r, NLU_INTENT_PAYMENT) || (r->flags & NLU_F_CARD_DIGITS)) {
        if (r->flags & NLU_F_CARD_DIGITS)
            replies_add(&c->reply, "For your security, please don't send card details by text.");
        if (st->stage == CONVO_ST_HELD) {
            replies_add(&c->reply, "Payment only goes through our secure checkout page.");
            resend_link(c);
        } else {
            replies_add(&c->reply, "Once your time is held I'll send a secure payment link for the deposit.");
        }
        return;
    }
    if (st->stage == CONVO_ST_CANCEL_ASK || cv_has(r, NLU_INTENT_CANCEL)) {
        manage_cancel(c);
        return;
    }
    if (st->stage == CONVO_ST_MOVE_OFFERED && manage_pick(c))
        return;
    if (cv_has(r, NLU_INTENT_RESCHEDULE)) {
        manage_reschedule(c);
        return;
    }

    if (cv_has(r, NLU_INTENT_NO) && !cv_has(r, NLU_INTENT_BOOK) && !cv_has(r, NLU_INTENT_YES) && !r->when.n &&
        !r->nservices) {
        if (st->stage == CONVO_ST_OFFERED) {
            replies_add(&c->reply, "No problem. Is there another day or time that works better?");
            return;
        }
        if (st->stage == CONVO_ST_ACCEPTED || st->stage == CONVO_ST_HELD) {
            release_pending(c);
            replies_add(&c->reply, "No problem, I've let that time go. Text me anytime if you'd like to book.");
            return;
        }
    }
    bool answered = answer_questions(c);
    book_merge(c);
    if (c->err || c->out->need_facts)
        return;
    if (wants_booking(c) && !(answered && !cv_has(r, NLU_INTENT_BOOK) && !cv_has(r, NLU_INTENT_AVAILABILITY) &&
                              r->when.n == 0 && !cv_has(r, NLU_INTENT_PICK))) {
        if (st->stage == CONVO_ST_HELD && !(r->flags & NLU_F_CORRECTION) && r->when.n == 0 && !r->nservices) {
            if (!answered)
                resend_link(c);
            return;
        }
        if (st->stage == CONVO_ST_HELD)
            release_pending(c);
        if (st->stage == CONVO_ST_OFFERED && book_pick(c))
            return;
        if (st->stage == CONVO_ST_ACCEPTED && st->has_chosen && !r->when.n && !r->nservices) {
            book_accept(c, &st->chosen);
            return;
        }
        book_continue(c);
        return;
    }
    if (answered) {
        if (st->want.nservices && st->stage != CONVO_ST_BOOKED && !cv_has(r, NLU_INTENT_OBJECTION) &&
            (cv_has(r, NLU_INTENT_PRICE) || cv_has(r, NLU_INTENT_SERVICE_INFO)))
            replies_add(&c->reply, "Would you like me to find you a time?");
        return;
    }
    if (cv_has(r, NLU_INTENT_THANKS)) {
        replies_add(&c->reply, st->stage == CONVO_ST_BOOKED ? "You're welcome! See you soon." : "You're welcome!");
        return;
    }
    if (cv_has(r, NLU_INTENT_NO)) {
        replies_add(&c->reply, "No problem! Text me anytime if you'd like to book.");
        return;
    }
    if (cv_has(r, NLU_INTENT_GREETING) || cv_has(r, NLU_INTENT_YES)) {
        if (c->reply.n == 0 || st->turns == 0)
            replies_add(&c->reply, "How can I help you today?");
        return;
    }
    if (r->flags & NLU_F_GIBBERISH)
        replies_add(&c->reply, "Sorry, I didn't quite catch that.");
    replies_add(&c->reply, "I can help you book, or answer questions about our treatments, prices and hours. "
                           "What are you looking for?");
}

/* ------------------------------------------------------------------ other events */

static void confirm_booked(struct dctx *c)
{
    char desc[256];
    book_describe(c, &c->st->chosen, desc, sizeof desc);
    replies_add(&c->reply, "All set%s%s! You're booked for %s.", c->st->first[0] ? ", " : "", c->st->first, desc);
    if (c->k->address[0])
        replies_add(&c->reply, "We're at %s.", c->k->address);
    replies_add(&c->reply, "See you then!");
}

static void book_action(struct dctx *c, int64_t cents)
{
    struct convo_action *a = cv_action(c, CONVO_ACT_BOOK);
    if (!a)
        return;
    a->visit = c->st->chosen;
    a->cents = cents;
    a->new_client = c->st->client != CONVO_CLIENT_EXISTING;
    snprintf(a->first, sizeof a->first, "%s", c->st->first);
    snprintf(a->last, sizeof a->last, "%s", c->st->last);
    snprintf(a->email, sizeof a->email, "%s", c->st->email);
}

static void on_payment(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (st->link_only) {
        link_paid(c);
        return;
    }
    if (!st->has_chosen || (st->stage != CONVO_ST_HELD && st->stage != CONVO_ST_EXPIRED))
        return; /* already booked, or nothing to pay for: a repeat changes nothing */
    if (st->stage == CONVO_ST_EXPIRED) {
        /* The hold lapsed: book only if every part is still free. */
        bool all = true;
        for (int i = 0; i < st->chosen.n; i++) {
            const struct convo_part *p = &st->chosen.part[i];
            struct convo_query q = { p->service, p->provider, p->start_us, p->start_us + 1 };
            const struct convo_avail *a = cv_avail(c, &q);
            if (!a) {
                all = false;
                continue;
            }
            bool free_ = false;
            for (size_t j = 0; j < a->n; j++)
                if (a->slots[j].start_us == p->start_us && a->slots[j].provider == p->provider)
                    free_ = true;
            if (!free_ || a->failed)
                all = false;
        }
        if (c->out->need_facts)
            return;
        if (!all) {
            book_credit_after_loss(c, c->ev->amount_cents);
            return;
        }
        struct convo_action *h = cv_action(c, CONVO_ACT_HOLD);
        if (h)
            h->visit = st->chosen;
    }
    book_action(c, c->ev->amount_cents);
    confirm_booked(c);
    st->stage = CONVO_ST_BOOKED;
}

static void on_booking_failed(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (!st->has_chosen)
        return;
    if (!c->ev->retryable) {
        replies_add(&c->reply, "Thank you! Your deposit is received; our team will confirm your appointment "
                               "with you shortly.");
        go_handoff(c, "booking_failed", true);
        return;
    }
    if (st->stage == CONVO_ST_HELD || st->stage == CONVO_ST_EXPIRED || st->stage == CONVO_ST_BOOKED)
        st->stage = CONVO_ST_PAID;
    if (!st->delay_told) {
        replies_add(&c->reply, "Thank you, your deposit came through! Our calendar is slow to respond right now, "
                               "so I'll text you the moment your appointment is confirmed.");
        st->delay_told = true;
    }
    struct convo_action *a = cv_action(c, CONVO_ACT_SCHEDULE);
    if (a) {
        a->timer = CONVO_TIMER_RETRY_BOOK;
        a->at_us = c->now_us + 2LL * 60 * 1000000;
    }
}

static void on_hold_expired(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (st->stage != CONVO_ST_HELD)
        return;
    st->stage = CONVO_ST_EXPIRED;
    if (st->followed_up)
        return;
    if (cv_quiet(c, c->now_us)) {
        /* Follow up once, at the start of the next allowed window. */
        int32_t day;
        int min;
        cv_local(c, c->now_us, &day, &min);
        struct convo_action *a = cv_action(c, CONVO_ACT_SCHEDULE);
        if (a) {
            a->timer = CONVO_TIMER_FOLLOWUP;
            a->at_us = cv_local_us(c, min < 8 * 60 ? day : day + 1, 8 * 60);
        }
        return;
    }
    c->proactive = true;
    char desc[256];
    book_describe(c, &st->chosen, desc, sizeof desc);
    replies_add(&c->reply, "Just checking in: the hold on %s has lapsed. If you'd still like it, reply here and "
                           "I'll check it's still open.", desc);
    st->followed_up = true;
}

static void on_timer(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (c->ev->timer == CONVO_TIMER_RETRY_BOOK && st->stage == CONVO_ST_PAID && st->has_chosen) {
        c->proactive = true;
        book_action(c, st->deposit_cents > 0 ? st->deposit_cents : 0);
        confirm_booked(c);
        st->stage = CONVO_ST_BOOKED;
        return;
    }
    if (c->ev->timer == CONVO_TIMER_FOLLOWUP && st->stage == CONVO_ST_EXPIRED && !st->followed_up &&
        !cv_quiet(c, c->now_us)) {
        c->proactive = true;
        char desc[256];
        book_describe(c, &st->chosen, desc, sizeof desc);
        replies_add(&c->reply, "Hi! The hold on %s lapsed overnight. Reply here if you'd still like a time and "
                               "I'll find you one.", desc);
        st->followed_up = true;
    }
}

static void on_missed_call(struct dctx *c)
{
    struct convo_state *st = c->st;
    if (st->stage == CONVO_ST_HANDOFF)
        return;
    replies_greeting(&c->reply, c->k, true);
    c->textback = true;
    st->greeted = true;
    if (st->stage == CONVO_ST_CLOSED || st->stage == CONVO_ST_NEW)
        st->stage = CONVO_ST_CHAT;
}

/* ------------------------------------------------------------------ entry */

int convo_decide(const struct convo_knowledge *k, const struct convo_state *st, const struct convo_ev *ev,
                 const struct convo_facts *facts, int64_t now_us, struct convo_result *out)
{
    if (!k || !st || !ev || !out)
        return CONVO_E_INVAL;
    memset(out, 0, sizeof *out);
    out->state = *st;
    struct dctx c = { .k = k, .in = st, .st = &out->state, .ev = ev, .f = facts, .now_us = now_us, .out = out };
    c.r = ev->kind == CONVO_EV_MESSAGE ? ev->nlu : NULL;
    cv_local(&c, now_us, &c.today, &c.now_min);
    replies_init(&c.reply, st->turns);
    if (c.err)
        return c.err;
    if (c.st->stage == CONVO_ST_NEW)
        c.st->stage = CONVO_ST_CHAT;

    switch (ev->kind) {
    case CONVO_EV_MESSAGE: on_message(&c); break;
    case CONVO_EV_MISSED_CALL: on_missed_call(&c); break;
    case CONVO_EV_PAYMENT: on_payment(&c); break;
    case CONVO_EV_HOLD_EXPIRED: on_hold_expired(&c); break;
    case CONVO_EV_HOLD_FAILED: book_reoffer_after_loss(&c); break;
    case CONVO_EV_BOOKING_FAILED: on_booking_failed(&c); break;
    case CONVO_EV_ACTION_FAILED:
        replies_add(&c.reply, "Sorry, I'm having trouble reaching our calendar right now. Our team will follow up "
                              "with you shortly.");
        go_handoff(&c, "action_failed", true);
        break;
    case CONVO_EV_TIMER: on_timer(&c); break;
    case CONVO_EV_STAFF_HANDBACK:
        if (c.st->stage == CONVO_ST_HANDOFF)
            c.st->stage = c.st->resume_stage == CONVO_ST_HANDOFF ? CONVO_ST_CHAT : c.st->resume_stage;
        break;
    default: return CONVO_E_INVAL;
    }
    if (c.err)
        return c.err;
    if (out->need_facts) {
        /* Only the queries: the same inputs plus the answers decide again. */
        size_t n = 0;
        for (size_t i = 0; i < out->nactions; i++)
            if (out->action[i].kind == CONVO_ACT_QUERY_CLIENT || out->action[i].kind == CONVO_ACT_QUERY_AVAILABILITY)
                out->action[n++] = out->action[i];
        out->nactions = n;
        out->state = *st;
        return 0;
    }
    if (c.reply.n) {
        struct convo_action *a = cv_action(&c, CONVO_ACT_REPLY);
        if (!a)
            return c.err;
        memcpy(a->text, c.reply.s, c.reply.n + 1);
        a->proactive = c.proactive;
        a->textback = c.textback;
        out->state.turns++;
    }
    return c.err;
}
