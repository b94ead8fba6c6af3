/*
 * Shared inside the conversation core: the per-decision context (inputs,
 * the result being built, the reply being written), local-time helpers in
 * the clinic's zone, and the booking flow's entry points (book.c) used by
 * the event dispatcher (decide.c).
 */
#ifndef BW_HOST_CONVO_INTERNAL_H
#define BW_HOST_CONVO_INTERNAL_H

#include <stdio.h>

#include "convo/convo.h"
#include "replies.h"

struct dctx {
    const struct convo_knowledge *k;
    const struct convo_state *in; /* the state given */
    struct convo_state *st;       /* the new state (in out) */
    const struct convo_ev *ev;
    const struct nlu_result *r;   /* ev->nlu, or NULL */
    const struct convo_facts *f;
    int64_t now_us;
    int32_t today;                /* local day of now */
    int now_min;                  /* local minutes of now */
    struct convo_result *out;
    struct reply reply;           /* the reply to the patient's act, sent at the end */
    bool proactive;               /* the reply is not an answer to the patient's own act */
    bool textback;                /* the reply is the missed-call text-back */
    bool link_in_reply;           /* the reply carries CONVO_LINK_MARK */
    bool moving;                  /* choosing a time to move st->appt to, not a new booking */
    int err;
};

/* Local helpers in the clinic's zone; they set c->err on an ICU failure. */
int64_t cv_local_us(struct dctx *c, int32_t day, int min);
void cv_local(struct dctx *c, int64_t us, int32_t *day, int *min);

/* Appends an action; NULL when the list is full. */
struct convo_action *cv_action(struct dctx *c, enum convo_action_kind kind);
/* Facts for a query, or NULL after asking for them (c->out->need_facts). */
const struct convo_avail *cv_avail(struct dctx *c, const struct convo_query *q);
/* Client facts, or NULL after asking for them. */
const struct convo_client *cv_client(struct dctx *c);

bool cv_quiet(struct dctx *c, int64_t us);
bool cv_has(const struct nlu_result *r, enum nlu_intent i);

/* book.c: the booking flow. */
void book_merge(struct dctx *c);    /* what the message adds to st->want (and names) */
void book_continue(struct dctx *c); /* offer, accept, ask, or hold: the next step */
bool book_pick(struct dctx *c);     /* a choice among the offers; true when handled */
void book_accept(struct dctx *c, const struct convo_visit *v);
void book_hold(struct dctx *c);     /* hold + link (or book when free) for st->chosen */
void book_describe(struct dctx *c, const struct convo_visit *v, char *out, size_t cap);
void book_reoffer_after_loss(struct dctx *c);
/* A deposit of cents paid for a time that was taken meanwhile: staff are
 * told, the payment waits as credit for another time (offered now), or goes
 * back on REFUND. */
void book_credit_after_loss(struct dctx *c, int64_t cents);
/* REFUND of that credit: the refund action and the patient told. */
void book_refund_credit(struct dctx *c);
void book_ask_service(struct dctx *c);
void book_forget_when(struct convo_want *w);

/* link.c: booking with a link-only EMR (no slots: qualify, deposit, staff task or booking page). */
void link_continue(struct dctx *c);
void link_paid(struct dctx *c);

/* manage.c: existing appointments. */
void manage_cancel(struct dctx *c);
void manage_reschedule(struct dctx *c);
bool manage_pick(struct dctx *c); /* a choice among slots to move to */

#endif
