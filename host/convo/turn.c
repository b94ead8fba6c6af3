/*
 * convo_turn() (see turn.h): the decide / fetch / decide loop and in-order
 * execution with failures decided from the turn's starting state.
 */
#include <stdlib.h>
#include <string.h>

#include "convo/turn.h"

struct turn_buf {
    struct convo_facts facts;
    struct convo_result res;
    struct convo_slot slots[CONVO_QUERIES_MAX][CONVO_TURN_SLOTS_MAX];
};

/* Decides ev with facts fetched as asked; res holds the final decision. */
static int decide_with_facts(const struct convo_knowledge *k, const struct convo_ports *p,
                             const struct convo_state *st, const struct convo_ev *ev, int64_t now,
                             struct turn_buf *b)
{
    memset(&b->facts, 0, sizeof b->facts);
    for (int round = 0; round <= CONVO_QUERIES_MAX + 1; round++) {
        int rc = convo_decide(k, st, ev, &b->facts, now, &b->res);
        if (rc)
            return rc;
        if (!b->res.need_facts)
            return 0;
        for (size_t i = 0; i < b->res.nactions; i++) {
            const struct convo_action *a = &b->res.action[i];
            if (a->kind == CONVO_ACT_QUERY_CLIENT && !b->facts.has_client && !b->facts.client_failed) {
                rc = p->client(p->ctx, &b->facts.client);
                if (rc < 0)
                    return rc;
                b->facts.has_client = rc == 0;
                b->facts.client_failed = rc != 0;
            } else if (a->kind == CONVO_ACT_QUERY_AVAILABILITY) {
                bool have = false;
                for (size_t j = 0; j < b->facts.navail; j++)
                    have |= convo_query_eq(&b->facts.avail[j].q, &a->query);
                if (have)
                    continue;
                if (b->facts.navail >= CONVO_QUERIES_MAX)
                    return CONVO_E_INVAL;
                struct convo_avail *av = &b->facts.avail[b->facts.navail];
                size_t n = 0;
                rc = p->availability(p->ctx, &a->query, b->slots[b->facts.navail], CONVO_TURN_SLOTS_MAX, &n);
                if (rc < 0)
                    return rc;
                av->q = a->query;
                av->failed = rc != 0;
                av->n = rc ? 0 : n;
                av->slots = b->slots[b->facts.navail];
                b->facts.navail++;
            }
        }
    }
    return CONVO_E_INVAL; /* the core kept asking: a bug, not a state to store */
}

static uint8_t failure_event(const struct convo_action *a, int rc, bool *retryable)
{
    *retryable = rc == CONVO_PORT_UNAVAILABLE;
    if (a->kind == CONVO_ACT_HOLD && rc == CONVO_PORT_TAKEN)
        return CONVO_EV_HOLD_FAILED;
    if (a->kind == CONVO_ACT_BOOK)
        return CONVO_EV_BOOKING_FAILED;
    return CONVO_EV_ACTION_FAILED;
}

int convo_turn(const struct convo_knowledge *k, const struct convo_ports *ports, struct convo_state *st,
               const struct convo_ev *ev, int64_t now_us)
{
    if (!k || !ports || !st || !ev || !ports->client || !ports->availability || !ports->act)
        return CONVO_E_INVAL;
    struct turn_buf *b = malloc(sizeof *b);
    if (!b)
        return CONVO_E_NOMEM;
    struct convo_state start = *st;
    struct convo_ev cur = *ev;
    int rc = 0;
    for (int depth = 0;; depth++) {
        if (depth > CONVO_TURN_DEPTH_MAX) {
            rc = CONVO_E_INVAL;
            goto fail;
        }
        rc = decide_with_facts(k, ports, &start, &cur, now_us, b);
        if (rc)
            goto fail;
        bool failed = false;
        for (size_t i = 0; i < b->res.nactions; i++) {
            const struct convo_action *a = &b->res.action[i];
            rc = ports->act(ports->ctx, a);
            if (rc < 0)
                goto fail;
            if (rc > 0) {
                /* Decide the failure on what the decision knew (names,
                 * choices), with what was to be said unsaid. */
                bool greeted = start.greeted;
                uint16_t turns = start.turns;
                start = b->res.state;
                start.greeted = greeted;
                start.turns = turns;
                bool retryable;
                struct convo_ev f = { .kind = failure_event(a, rc, &retryable), .retryable = retryable };
                cur = f;
                failed = true;
                rc = 0;
                break;
            }
        }
        if (!failed)
            break;
    }
    *st = b->res.state;
fail:
    free(b);
    return rc;
}
