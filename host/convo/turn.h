/*
 * One turn of a conversation around the pure core: decide, fetch the facts
 * the decision asks for, decide again, then execute the actions in order,
 * and when one fails, decide the failure on the state that decision made
 * (what the patient told stays known; greeted and the turn count go back,
 * since its reply was not sent). Everything that touches the world goes through a table of ports
 * (the daemon's driver implements them over the EMR, holds, deposits and the
 * outbox inside the job's transaction; tests implement them in memory), so
 * this loop is the same code in both.
 */
#ifndef BW_HOST_CONVO_TURN_H
#define BW_HOST_CONVO_TURN_H

#include "convo/convo.h"

/* What a port returns besides 0 (done) and a negative CONVO_E_* (a fault
 * that aborts the turn, and the job retries it). */
#define CONVO_PORT_TAKEN       1 /* HOLD: a part is no longer free */
#define CONVO_PORT_UNAVAILABLE 2 /* the EMR (or provider) is unavailable: try later */
#define CONVO_PORT_REFUSED     3 /* refused for good (a bad reference, a closed account) */

#define CONVO_TURN_SLOTS_MAX 4096 /* free starts read per availability query */
#define CONVO_TURN_DEPTH_MAX 3    /* failures decided in a row before giving up */

struct convo_ports {
    void *ctx;
    /* Facts: the contact as the EMR knows it (0, CONVO_PORT_UNAVAILABLE,
     * or < 0), and the free starts for q into slots[cap] with *n set. */
    int (*client)(void *ctx, struct convo_client *out);
    int (*availability)(void *ctx, const struct convo_query *q, struct convo_slot *slots, size_t cap, size_t *n);
    /* Executes one action (never a query). */
    int (*act)(void *ctx, const struct convo_action *a);
};

/* Runs ev against *st (replaced by the state after the turn). Returns 0,
 * or a negative CONVO_E_* from the core or a port (*st is then unchanged). */
int convo_turn(const struct convo_knowledge *k, const struct convo_ports *ports, struct convo_state *st,
               const struct convo_ev *ev, int64_t now_us);

#endif
