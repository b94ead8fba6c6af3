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

struct filter {
    convo_filter_fn fn;
    void *ctx;
};

static struct filter filters[2];
static _Atomic(struct filter *) current_filter;
static atomic_int filter_slot;

void convo_hook_set_filter(convo_filter_fn fn, void *ctx)
{
    if (!fn) {
        atomic_store(&current_filter, NULL);
        return;
    }
    int i = atomic_fetch_add(&filter_slot, 1) & 1;
    filters[i] = (struct filter){ fn, ctx };
    atomic_store(&current_filter, &filters[i]);
}

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
    struct filter *f = atomic_load(&current_filter);
    struct convo_event seen = *ev;
    if (f) {
        int rc = f->fn(tx, &seen, f->ctx);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
    }
    struct hook *h = atomic_load(&current);
    if (!h)
        return 1;
    return h->fn(tx, &seen, h->ctx);
}
