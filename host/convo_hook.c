/*
 * The conversation engine's registration point (convo_hook.h). Set once at
 * start-up and read by job workers afterwards; an atomic pair keeps a late
 * registration visible without a lock.
 */
#include "convo_hook.h"

#include <stdatomic.h>
#include <stddef.h>

struct hook {
    convo_inbound_fn fn;
    void *ctx;
};

static struct hook hooks[2];
static _Atomic(struct hook *) current;
static atomic_int slot;

void convo_hook_set(convo_inbound_fn fn, void *ctx)
{
    if (!fn) {
        atomic_store(&current, NULL);
        return;
    }
    int i = atomic_fetch_add(&slot, 1) & 1;
    hooks[i] = (struct hook){ fn, ctx };
    atomic_store(&current, &hooks[i]);
}

int convo_hook_call(struct db_conn *tx, const struct convo_event *ev)
{
    struct hook *h = atomic_load(&current);
    if (!h)
        return 1;
    return h->fn(tx, ev, h->ctx);
}
