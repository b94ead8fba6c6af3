/*
 * Existing appointments: cancelling one (after saying the tenant's
 * cancellation policy, and whether its notice window has passed, and asking
 * to confirm; with a reminder that STOP is how to stop texts, for those who
 * meant that) and moving one (to slots with the same provider where
 * possible, through the booking flow's choosing; inside the policy's
 * notice window the policy is said first).
 * The appointment is found among the client's upcoming ones by the date or
 * the service the patient named, else the next one.
 */
#include <string.h>

#include "convo/internal.h"

/* The upcoming appointment the message points at, or NULL. */
static const struct convo_appt *find_appt(struct dctx *c, const struct convo_client *cl)
{
    const struct nlu_result *r = c->r;
    int32_t day = NLU_DAY_NONE;
    for (int i = 0; r && i < r->when.n; i++)
        if (r->when.item[i].role == NLU_ROLE_FROM ||
            (r->when.item[i].role == NLU_ROLE_NONE && cv_has(r, NLU_INTENT_CANCEL))) {
            day = r->when.item[i].day_from;
            break;
        }
    const struct convo_appt *best = NULL;
    for (size_t i = 0; i < cl->nappts && i < CONVO_APPTS_MAX; i++) {
        const struct convo_appt *a = &cl->appts[i];
        if (a->part.start_us < c->now_us)
            continue;
        int32_t d;
        int m;
        cv_local(c, a->part.start_us, &d, &m);
        if (day != NLU_DAY_NONE && d != day)
            continue;
        bool svc_ok = !r || !r->nservices;
        for (int j = 0; r && j < r->nservices; j++)
            svc_ok |= r->services[j].index == (uint16_t)a->part.service;
        if (!svc_ok)
            continue;
        if (!best || a->part.start_us < best->part.start_us)
            best = a;
    }
    return best;
}

static void not_found(struct dctx *c)
{
    char ph[32];
    replies_phone(c->k, ph, sizeof ph);
    replies_add(&c->reply, "I couldn't find an upcoming appointment under this number. I've asked our team to "
                           "help; you can also call us at %s.", ph);
    struct convo_action *a = cv_action(c, CONVO_ACT_HANDOFF);
    if (a)
        snprintf(a->reason, sizeof a->reason, "appointment_not_found");
    if (c->st->stage != CONVO_ST_HANDOFF)
        c->st->resume_stage = CONVO_ST_CHAT;
    c->st->stage = CONVO_ST_HANDOFF;
}

/* Whether changing appointment p now is inside the policy's notice window. */
static bool too_late(struct dctx *c, const struct convo_part *p)
{
    int n = c->k->cancel_notice_min;
    return n > 0 && p->start_us - c->now_us < (int64_t)n * 60 * 1000000;
}

/* "24 hours", "2 days": the policy's notice. */
static void notice_text(const struct convo_knowledge *k, char *out, size_t cap)
{
    int n = k->cancel_notice_min;
    if (n % (24 * 60) == 0 && n >= 48 * 60)
        snprintf(out, cap, "%d days", n / (24 * 60));
    else
        snprintf(out, cap, "%d hour%s", n / 60, n == 60 ? "" : "s");
}

/* The tenant's cancellation policy, and whether it applies to changing p
 * now (when the policy names its notice). */
static void policy_note(struct dctx *c, const struct convo_part *p)
{
    if (!c->k->cancellation[0])
        return;
    replies_add(&c->reply, "Just so you know: %s", c->k->cancellation);
    if (!c->k->cancel_notice_min)
        return;
    char win[32];
    notice_text(c->k, win, sizeof win);
    if (too_late(c, p))
        replies_add(&c->reply, "Your appointment is less than %s away, so that applies here.", win);
    else
        replies_add(&c->reply, "You're more than %s ahead, so you're within that window.", win);
}

static void describe_appt(struct dctx *c, const struct convo_part *p, char *out, size_t cap)
{
    struct convo_visit v = { .n = 1, .part = { *p } };
    book_describe(c, &v, out, cap);
}

void manage_cancel(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    struct convo_state *st = c->st;
    char desc[256];
    if (st->stage == CONVO_ST_CANCEL_ASK && st->appt_ref[0]) {
        if (cv_has(r, NLU_INTENT_NO) && !cv_has(r, NLU_INTENT_YES)) {
            replies_add(&c->reply, "No problem, your appointment stays as it is.");
            st->appt_ref[0] = '\0';
            st->stage = CONVO_ST_CHAT;
            return;
        }
        if (cv_has(r, NLU_INTENT_YES) || cv_has(r, NLU_INTENT_CANCEL)) {
            struct convo_action *a = cv_action(c, CONVO_ACT_CANCEL);
            if (!a)
                return;
            snprintf(a->ref, sizeof a->ref, "%s", st->appt_ref);
            describe_appt(c, &st->appt, desc, sizeof desc);
            replies_add(&c->reply, "Done: your %s is cancelled. Text me anytime if you'd like to rebook.", desc);
            st->appt_ref[0] = '\0';
            st->stage = CONVO_ST_CHAT;
            return;
        }
        replies_add(&c->reply, "Just to confirm: would you like me to cancel it? (yes or no)");
        return;
    }
    /* Letting go of a time still being booked here. */
    bool names_appt = false;
    for (int i = 0; i < r->when.n; i++)
        names_appt |= r->when.item[i].role == NLU_ROLE_FROM;
    if (!names_appt && (st->stage == CONVO_ST_OFFERED || st->stage == CONVO_ST_ACCEPTED ||
                        st->stage == CONVO_ST_HELD)) {
        if (st->stage == CONVO_ST_HELD)
            cv_action(c, CONVO_ACT_RELEASE_HOLD);
        st->has_chosen = false;
        st->noffers = 0;
        st->expecting_name = false;
        st->stage = CONVO_ST_CHAT;
        replies_add(&c->reply, "No problem, I've let that time go. Text me anytime if you'd like to book.");
        return;
    }
    const struct convo_client *cl = cv_client(c);
    if (!cl)
        return;
    const struct convo_appt *a = find_appt(c, cl);
    if (!a) {
        not_found(c);
        return;
    }
    snprintf(st->appt_ref, sizeof st->appt_ref, "%s", a->ref);
    st->appt = a->part;
    describe_appt(c, &a->part, desc, sizeof desc);
    replies_add(&c->reply, "I see your %s.", desc);
    policy_note(c, &a->part);
    replies_add(&c->reply, "Would you like me to cancel it?");
    replies_add(&c->reply, "(If you meant to stop our texts instead, reply STOP.)");
    st->stage = CONVO_ST_CANCEL_ASK;
}

void manage_reschedule(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    struct convo_state *st = c->st;
    const struct convo_client *cl = cv_client(c);
    if (!cl)
        return;
    const struct convo_appt *a = find_appt(c, cl);
    if (!a) {
        not_found(c);
        return;
    }
    snprintf(st->appt_ref, sizeof st->appt_ref, "%s", a->ref);
    st->appt = a->part;
    struct convo_want *w = &st->want;
    memset(w, 0, sizeof *w);
    w->day_from = w->day_to = NLU_DAY_NONE;
    w->nservices = 1;
    w->services[0] = a->part.service;
    w->provider = a->part.provider;
    c->moving = true;
    book_merge(c);
    w->provider = a->part.provider;
    bool has_to = false;
    for (int i = 0; i < r->when.n; i++)
        has_to |= r->when.item[i].role != NLU_ROLE_FROM;
    if (too_late(c, &a->part)) {
        /* Moving inside the notice window: the policy applies, say so first. */
        char win[32];
        notice_text(c->k, win, sizeof win);
        replies_add(&c->reply, "Just so you know, your appointment is less than %s away, and our policy says: %s",
                    win, c->k->cancellation);
    }
    if (!has_to) {
        char desc[256];
        describe_appt(c, &a->part, desc, sizeof desc);
        replies_add(&c->reply, "Sure! I see your %s. What day and time would you like to move it to?", desc);
        st->noffers = 0;
        st->stage = CONVO_ST_MOVE_OFFERED;
        return;
    }
    book_continue(c);
}

bool manage_pick(struct dctx *c)
{
    const struct nlu_result *r = c->r;
    if (!c->st->appt_ref[0])
        return false;
    c->moving = true;
    book_merge(c);
    if (book_pick(c))
        return true;
    if (r->when.n > 0) {
        book_continue(c);
        return true;
    }
    c->moving = false;
    return false;
}
