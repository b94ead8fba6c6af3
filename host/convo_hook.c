/*
 * The conversation engine's registration point (convo_hook.h), and the
 * filters in front of it. Set once at start-up and read by job workers
 * afterwards; an atomic pair keeps a late registration visible without a
 * lock.
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

/* Written at start-up only, before any job runs; the count is published
 * last. */
static struct filter filters[CONVO_HOOK_MAX_FILTERS];
static atomic_int n_filters;

int convo_hook_add_filter(convo_filter_fn fn, void *ctx)
{
    int n = atomic_load(&n_filters);
    if (!fn || n >= CONVO_HOOK_MAX_FILTERS)
        return -1;
    filters[n] = (struct filter){ fn, ctx };
    atomic_store(&n_filters, n + 1);
    return 0;
}

void convo_hook_clear_filters(void) { atomic_store(&n_filters, 0); }

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
    struct convo_event seen = *ev;
    int n = atomic_load(&n_filters);
    for (int i = 0; i < n; i++) {
        int rc = filters[i].fn(tx, &seen, filters[i].ctx);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
    }
    struct hook *h = atomic_load(&current);
    if (!h)
        return 1;
    return h->fn(tx, &seen, h->ctx);
}
