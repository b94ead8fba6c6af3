/*
 * The registry's hot path, publication and draining (see plugin_registry.h).
 *
 * Requests: registry_acquire reads the current slot, pins it, and checks it
 * is still current before reading its generation; a slot is emptied and
 * reused only when it is neither current nor kept for rollback and has no
 * pin, so a request either sees a generation that stays valid for as long
 * as it holds the pin, or backs off and retries. No lock is taken.
 *
 * The control thread runs one operation at a time from a queue (start,
 * reload, rollback, stop), then maintenance: retired generations whose last
 * pin went are emptied, instances no generation holds are closed, calls
 * still running on a retired instance past the drain timeout are cancelled,
 * and files with no instance left that are gone from plugins.dir are
 * finalised and unloaded. It sleeps until the next request, or polls while
 * something drains; a release that drops a retired generation's last pin
 * wakes it at once.
 */
#include "plugin_registry_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#define POLL_BUSY_MS 20
#define POLL_IDLE_MS 1000
/* How long stopping waits for calls beyond the drain timeout before it
 * gives up (and frees nothing still referenced). */
#define STOP_EXTRA_MS 5000

/* ------------------------------------------------------------ hot path */

const struct reg_tenant *reg_gen_tenant(const struct reg_gen *g, const char *id)
{
    size_t lo = 0, hi = g->n_tenants;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, g->tenants[mid].id);
        if (c == 0)
            return &g->tenants[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void wake_control(struct registry *reg)
{
    pthread_mutex_lock(&reg->cmd_mu);
    reg->wake = true;
    pthread_cond_signal(&reg->cmd_cond);
    pthread_mutex_unlock(&reg->cmd_mu);
}

static void slot_unpin(struct registry *reg, struct reg_slot *s)
{
    if (atomic_fetch_sub(&s->pins, 1) == 1 && atomic_load(&s->retired))
        wake_control(reg);
}

static bool instance_matches(const struct reg_instance *in, const char *key, bool by_id)
{
    if (by_id)
        return strcmp(in->desc->id, key) == 0;
    const char *kind = plugin_kind_name(in->desc->kind);
    return kind && strcmp(kind, key) == 0;
}

int registry_acquire(struct registry *reg, const char *tenant, const char *key,
                     struct registry_handle *h)
{
    struct reg_slot *s;
    for (;;) {
        s = atomic_load(&reg->current);
        if (!s)
            return -1;
        atomic_fetch_add(&s->pins, 1);
        if (atomic_load(&reg->current) == s)
            break;
        slot_unpin(reg, s);
    }
    const struct reg_gen *g = s->gen;
    const struct reg_tenant *t = reg_gen_tenant(g, tenant);
    bool by_id = strchr(key, '.') != NULL;
    struct reg_instance *in = NULL;
    for (uint32_t i = 0; t && i < t->n && !in; i++)
        if (instance_matches(t->inst[i], key, by_id))
            in = t->inst[i];
    if (!in) {
        slot_unpin(reg, s);
        return -1;
    }
    atomic_fetch_add(&in->calls, 1);
    h->slot = s;
    h->inst = in;
    h->desc = in->desc;
    h->instance = in->handle;
    h->tenant_id = in->tenant_id;
    h->generation = g->number;
    return 0;
}

int registry_tenants_with(struct registry *reg, const char *key, char ***tenants, size_t *n,
                          uint64_t *generation)
{
    struct reg_slot *s;
    *tenants = NULL;
    *n = 0;
    for (;;) {
        s = atomic_load(&reg->current);
        if (!s) {
            *generation = 0;
            return 0;
        }
        atomic_fetch_add(&s->pins, 1);
        if (atomic_load(&reg->current) == s)
            break;
        slot_unpin(reg, s);
    }
    const struct reg_gen *g = s->gen;
    bool by_id = strchr(key, '.') != NULL;
    char **list = g->n_tenants ? calloc(g->n_tenants, sizeof *list) : NULL;
    size_t k = 0;
    int rc = 0;
    if (g->n_tenants && !list)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < g->n_tenants; i++) {
        const struct reg_tenant *t = &g->tenants[i];
        for (uint32_t j = 0; j < t->n; j++) {
            if (!instance_matches(t->inst[j], key, by_id))
                continue;
            if (!(list[k] = strdup(t->id)))
                rc = -1;
            else
                k++;
            break;
        }
    }
    *generation = g->number;
    slot_unpin(reg, s);
    if (rc != 0) {
        for (size_t i = 0; i < k; i++)
            free(list[i]);
        free(list);
        return -1;
    }
    *tenants = list;
    *n = k;
    return 0;
}

void registry_release(struct registry_handle *h)
{
    struct registry *reg = h->inst->reg;
    atomic_fetch_sub(&h->inst->calls, 1);
    slot_unpin(reg, h->slot);
    h->slot = NULL;
    h->inst = NULL;
    h->instance = NULL;
}

void registry_call_begin(const struct registry_handle *h, struct bw_call *call,
                         const char *request_id, int64_t timeout_ms)
{
    struct reg_instance *in = h->inst;
    if (in->serial_init)
        pthread_mutex_lock(&in->serial);
    plugin_call_begin(call, in->tenant_id, in->desc->id, request_id);
    call->config = &in->cfg;
    call->pool = in->reg->opt.pool;
    call->deadline_mono_ms = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : 0;
    call->cancelled = &in->cancelled;
    call->base_url = in->base_url;
    call->allow_hosts = (const char *const *)in->allow_hosts;
}

void registry_call_end(const struct registry_handle *h, struct bw_call *call)
{
    plugin_call_end(call);
    if (h->inst->serial_init)
        pthread_mutex_unlock(&h->inst->serial);
}

uint64_t registry_generation(struct registry *reg)
{
    /* Pinned for the read, as a request would. */
    struct reg_slot *s;
    for (;;) {
        s = atomic_load(&reg->current);
        if (!s)
            return 0;
        atomic_fetch_add(&s->pins, 1);
        if (atomic_load(&reg->current) == s)
            break;
        slot_unpin(reg, s);
    }
    uint64_t n = s->gen->number;
    slot_unpin(reg, s);
    return n;
}

/* ------------------------------------------------------------ results */

void reg_fail(struct reg_failures *f, const char *tenant, const char *plugin,
              const char *version, const char *fmt, ...)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct registry_failure *items = realloc(f->items, cap * sizeof *items);
        if (!items)
            return; /* the summary line still says the reload failed */
        f->items = items;
        f->cap = cap;
    }
    struct registry_failure *x = &f->items[f->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->tenant, sizeof x->tenant, "%s", tenant ? tenant : "");
    snprintf(x->plugin, sizeof x->plugin, "%s", plugin ? plugin : "");
    snprintf(x->version, sizeof x->version, "%s", version ? version : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
}

void registry_result_free(struct registry_result *r)
{
    if (!r)
        return;
    free(r->failures);
    memset(r, 0, sizeof *r);
}

static int result_copy(struct registry_result *dst, const struct registry_result *src)
{
    *dst = *src;
    dst->failures = NULL;
    if (src->n_failures) {
        dst->failures = malloc(src->n_failures * sizeof *dst->failures);
        if (!dst->failures) {
            dst->n_failures = 0;
            return -1;
        }
        memcpy(dst->failures, src->failures, src->n_failures * sizeof *dst->failures);
    }
    return 0;
}

/* ------------------------------------------------------------ control side */

struct reg_gen *reg_current_gen(struct registry *reg)
{
    struct reg_slot *s = atomic_load(&reg->current);
    return s ? s->gen : NULL;
}

struct reg_slot *reg_free_slot(struct registry *reg)
{
    for (size_t i = 0; i < REGISTRY_SLOTS; i++) {
        struct reg_slot *s = &reg->slots[i];
        if (!s->gen && atomic_load(&s->pins) == 0)
            return s;
    }
    return NULL;
}

void reg_gen_free(struct reg_gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_tenants; i++) {
        free(g->tenants[i].id);
        free(g->tenants[i].inst);
    }
    free(g->tenants);
    free(g);
}

static void gen_mark(struct reg_gen *g, bool in_current)
{
    for (size_t i = 0; g && i < g->n_tenants; i++)
        for (uint32_t k = 0; k < g->tenants[i].n; k++)
            g->tenants[i].inst[k]->in_current = in_current;
}

void reg_publish(struct registry *reg, struct reg_slot *slot, struct reg_gen *g)
{
    int64_t now = clock_mono_ms(), now_us = clock_mono_us();
    struct reg_slot *old = atomic_load(&reg->current);
    g->published_us = now_us;
    slot->gen = g;
    atomic_store(&slot->retired, false);
    for (size_t i = 0; i < g->n_tenants; i++) {
        for (uint32_t k = 0; k < g->tenants[i].n; k++) {
            struct reg_instance *in = g->tenants[i].inst[k];
            in->refs++;
            /* Back in service (a rollback): calls may run again. */
            atomic_store(&in->cancelled, false);
            in->retired_ms = 0;
        }
    }
    gen_mark(old ? old->gen : NULL, false);
    gen_mark(g, true);
    for (size_t i = 0; old && i < old->gen->n_tenants; i++)
        for (uint32_t k = 0; k < old->gen->tenants[i].n; k++)
            if (!old->gen->tenants[i].inst[k]->in_current)
                old->gen->tenants[i].inst[k]->retired_ms = now;

    atomic_store(&reg->current, slot); /* the publication */

    if (old) {
        old->gen->retired_us = now_us;
        atomic_store(&old->retired, true);
    }
    reg->previous = reg->rollback_window_ms > 0 ? old : NULL;
    reg->previous_until_ms = now + reg->rollback_window_ms;
}

void reg_instance_close(struct registry *reg, struct reg_instance *in)
{
    struct reg_file *rf = in->file;
    if (in->handle && in->desc->instance_close)
        in->desc->instance_close(rf->state, in->handle);
    rf->n_instances--;
    for (struct reg_instance **pp = &reg->instances; *pp; pp = &(*pp)->next) {
        if (*pp == in) {
            *pp = in->next;
            break;
        }
    }
    plugin_config_free(&in->cfg);
    for (size_t i = 0; i < in->n_allow_hosts; i++)
        free(in->allow_hosts[i]);
    free(in->allow_hosts);
    free(in->base_url);
    free(in->tenant_id);
    free(in->file_name);
    if (in->serial_init)
        pthread_mutex_destroy(&in->serial);
    free(in);
}

int reg_file_init(struct registry *reg, struct reg_file *rf, char *err, size_t cap)
{
    const struct bw_plugin_descriptor *d = rf->p->desc;
    if (rf->inited)
        return 0;
    if (d->init) {
        struct bw_call call;
        plugin_call_begin(&call, NULL, d->id, NULL);
        call.pool = reg->opt.pool;
        call.deadline_mono_ms = clock_mono_ms() + reg->open_timeout_ms;
        int rc = d->init(plugin_services(), &call, &rf->state);
        plugin_call_end(&call);
        if (rc != 0) {
            snprintf(err, cap, "init of %s %s failed: %s", d->id, d->version, bw_strerror(rc));
            rf->state = NULL;
            return -1;
        }
    }
    rf->inited = true;
    return 0;
}

void reg_file_unload(struct registry *reg, struct reg_file *rf)
{
    const struct bw_plugin_descriptor *d = rf->p->desc;
    if (rf->inited && d->fini)
        d->fini(rf->state);
    for (struct reg_file **pp = &reg->files; *pp; pp = &(*pp)->next) {
        if (*pp == rf) {
            *pp = rf->next;
            break;
        }
    }
    plugin_set_unload(reg->opt.plugins, rf->p);
    free(rf);
}

/* Empties drained slots, cancels overdue calls, closes unreferenced
 * instances, unloads unused files that left plugins.dir. Returns true when
 * something still waits (so the control thread polls). */
static bool maintain(struct registry *reg, bool unload_files)
{
    int64_t now = clock_mono_ms();
    struct reg_slot *cur = atomic_load(&reg->current);
    bool busy = false;

    if (reg->previous && now >= reg->previous_until_ms)
        reg->previous = NULL; /* the rollback window closed */
    for (size_t i = 0; i < REGISTRY_SLOTS; i++) {
        struct reg_slot *s = &reg->slots[i];
        if (!s->gen || s == cur)
            continue;
        unsigned pins = atomic_load(&s->pins);
        if (pins == 0 && !s->gen->drained_us) {
            s->gen->drained_us = clock_mono_us();
            if (s->gen->number == reg->last.replaced)
                reg->last.drained_us = s->gen->drained_us;
        }
        if (s == reg->previous) {
            busy = true; /* the window closes later */
            continue;
        }
        if (pins != 0) {
            busy = true;
            continue;
        }
        struct reg_gen *g = s->gen;
        for (size_t t = 0; t < g->n_tenants; t++)
            for (uint32_t k = 0; k < g->tenants[t].n; k++)
                g->tenants[t].inst[k]->refs--;
        s->gen = NULL;
        reg_gen_free(g);
    }
    for (struct reg_instance *in = reg->instances, *next; in; in = next) {
        next = in->next;
        unsigned calls = atomic_load(&in->calls);
        if (in->refs == 0 && calls == 0) {
            reg_instance_close(reg, in);
            continue;
        }
        if (!in->in_current && calls > 0) {
            busy = true;
            if (in->retired_ms && now - in->retired_ms >= reg->drain_timeout_ms)
                atomic_store(&in->cancelled, true);
        }
    }
    for (struct reg_file *rf = reg->files, *next; unload_files && rf; rf = next) {
        next = rf->next;
        if (rf->n_instances == 0 && !rf->in_dir)
            reg_file_unload(reg, rf);
    }
    return busy;
}

static void record_last(struct registry *reg, const char *kind, const struct registry_result *r,
                        int64_t requested_us)
{
    struct reg_last *l = &reg->last;
    l->valid = true;
    l->kind = kind;
    l->rc = r->rc;
    l->changed = r->changed;
    l->generation = r->generation;
    l->replaced = r->replaced;
    l->requested_us = requested_us;
    l->published_us = r->changed ? requested_us + (int64_t)(r->published_ms * 1000.0) : 0;
    l->drained_us = 0;
    snprintf(l->error, sizeof l->error, "%s", r->error);
}

static int64_t first_request(const struct reg_op *op)
{
    int64_t t = clock_mono_us();
    for (const struct reg_waiter *w = op->waiters; w; w = w->next)
        if (w->requested_us < t)
            t = w->requested_us;
    return t;
}

/* Runs op into res; returns the mono time (us) of the publication, 0 if none. */
static int64_t run_op(struct registry *reg, struct reg_op *op, struct registry_result *res)
{
    struct reg_failures f = { 0 };
    int64_t requested = first_request(op);
    static const char *const names[] = { "start", "reload", "rollback" };
    memset(res, 0, sizeof *res);
    res->published_ms = -1;
    reg->operations++;
    if (op->kind == REG_OP_ROLLBACK)
        reg_rollback(reg, requested, res);
    else
        reg_reload(reg, op->kind == REG_OP_START ? op->cfg : NULL, requested, res, &f);
    res->failures = f.items;
    res->n_failures = f.n;
    if (res->rc != 0 && !res->error[0])
        snprintf(res->error, sizeof res->error, "%zu binding(s) failed; generation %llu still serving",
                 f.n, (unsigned long long)res->generation);
    record_last(reg, names[op->kind], res, requested);
    return res->changed ? reg->last.published_us : 0;
}

/* Tells every waiter of op, each with its own request-to-publication time. */
static void finish_op(struct reg_op *op, const struct registry_result *res, int64_t published_at)
{
    for (struct reg_waiter *w = op->waiters, *next; w; w = next) {
        next = w->next;
        if (w->done) {
            struct registry_result mine = *res;
            if (res->changed)
                mine.published_ms = (double)(published_at - w->requested_us) / 1000.0;
            w->done(&mine, w->ctx);
        }
        free(w);
    }
    free(op);
}

/* Closes everything at stop: no generation is current any more; calls are
 * cancelled after the drain timeout; what is still referenced after that
 * (and STOP_EXTRA_MS) is left alone. */
static void shut_down(struct registry *reg)
{
    pthread_mutex_lock(&reg->state_mu);
    struct reg_slot *cur = atomic_load(&reg->current);
    int64_t now = clock_mono_ms();
    atomic_store(&reg->current, NULL);
    if (cur) {
        gen_mark(cur->gen, false);
        for (struct reg_instance *in = reg->instances; in; in = in->next)
            if (!in->retired_ms)
                in->retired_ms = now;
        cur->gen->retired_us = clock_mono_us();
        atomic_store(&cur->retired, true);
    }
    reg->previous = NULL;
    int64_t give_up = now + reg->drain_timeout_ms + STOP_EXTRA_MS;
    while (maintain(reg, false) && clock_mono_ms() < give_up) {
        pthread_mutex_unlock(&reg->state_mu);
        struct timespec ts = { 0, POLL_BUSY_MS * 1000000L };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&reg->state_mu);
    }
    /* Finalise the files whose instances are all closed; the caller
     * unloads the set. A file still in use is left as it is. */
    for (struct reg_file *rf = reg->files, *next; rf; rf = next) {
        next = rf->next;
        if (rf->n_instances > 0)
            continue;
        if (rf->inited && rf->p->desc->fini)
            rf->p->desc->fini(rf->state);
        rf->inited = false;
    }
    pthread_mutex_unlock(&reg->state_mu);
}

static void *control_main(void *arg)
{
    struct registry *reg = arg;
    bool busy = false;
    pthread_mutex_lock(&reg->cmd_mu);
    for (;;) {
        if (!reg->ops && !reg->wake) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long ms = busy ? POLL_BUSY_MS : POLL_IDLE_MS;
            ts.tv_sec += ms / 1000;
            ts.tv_nsec += (ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&reg->cmd_cond, &reg->cmd_mu, &ts);
        }
        reg->wake = false;
        struct reg_op *op = reg->ops;
        if (!op && reg->stopping)
            break;
        if (op) {
            op->started = true;
            reg->ops = op->next;
            if (!reg->ops)
                reg->ops_tail = NULL;
        }
        pthread_mutex_unlock(&reg->cmd_mu);

        struct registry_result res;
        int64_t published_at = 0;
        pthread_mutex_lock(&reg->state_mu);
        if (op)
            published_at = run_op(reg, op, &res);
        busy = maintain(reg, true);
        pthread_mutex_unlock(&reg->state_mu);
        if (op) {
            finish_op(op, &res, published_at);
            registry_result_free(&res);
        }
        pthread_mutex_lock(&reg->cmd_mu);
    }
    pthread_mutex_unlock(&reg->cmd_mu);
    shut_down(reg);
    return NULL;
}

/* ------------------------------------------------------------ requests */

static int enqueue(struct registry *reg, enum reg_op_kind kind, const struct host_config *cfg,
                   registry_done_fn done, void *ctx)
{
    struct reg_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->done = done;
    w->ctx = ctx;
    w->requested_us = clock_mono_us();
    pthread_mutex_lock(&reg->cmd_mu);
    if (reg->stopping) {
        pthread_mutex_unlock(&reg->cmd_mu);
        free(w);
        return -1;
    }
    struct reg_op *tail = reg->ops_tail;
    if (kind == REG_OP_RELOAD && tail && tail->kind == REG_OP_RELOAD && !tail->started) {
        w->next = tail->waiters; /* coalesced */
        tail->waiters = w;
    } else {
        struct reg_op *op = calloc(1, sizeof *op);
        if (!op) {
            pthread_mutex_unlock(&reg->cmd_mu);
            free(w);
            return -1;
        }
        op->kind = kind;
        op->cfg = cfg;
        op->waiters = w;
        if (tail)
            tail->next = op;
        else
            reg->ops = op;
        reg->ops_tail = op;
    }
    pthread_cond_signal(&reg->cmd_cond);
    pthread_mutex_unlock(&reg->cmd_mu);
    return 0;
}

int registry_reload_async(struct registry *reg, registry_done_fn done, void *ctx)
{
    return enqueue(reg, REG_OP_RELOAD, NULL, done, ctx);
}

int registry_rollback_async(struct registry *reg, registry_done_fn done, void *ctx)
{
    return enqueue(reg, REG_OP_ROLLBACK, NULL, done, ctx);
}

struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
    struct registry_result *out;
};

static void sync_done(const struct registry_result *r, void *ctx)
{
    struct sync_wait *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (result_copy(s->out, r) != 0)
        s->out->rc = s->out->rc ? s->out->rc : -1;
    s->done = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

static int run_sync(struct registry *reg, enum reg_op_kind kind, const struct host_config *cfg,
                    struct registry_result *out)
{
    struct sync_wait s = { .done = false, .out = out };
    memset(out, 0, sizeof *out);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cond, NULL);
    int rc = enqueue(reg, kind, cfg, sync_done, &s);
    if (rc == 0) {
        pthread_mutex_lock(&s.mu);
        while (!s.done)
            pthread_cond_wait(&s.cond, &s.mu);
        pthread_mutex_unlock(&s.mu);
        rc = out->rc;
    } else {
        out->rc = -1;
        snprintf(out->error, sizeof out->error, "the plugin registry is stopping");
    }
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.mu);
    return rc;
}

int registry_reload(struct registry *reg, struct registry_result *out)
{
    return run_sync(reg, REG_OP_RELOAD, NULL, out);
}

int registry_rollback(struct registry *reg, struct registry_result *out)
{
    return run_sync(reg, REG_OP_ROLLBACK, NULL, out);
}

/* ------------------------------------------------------------ life */

static void registry_free(struct registry *reg)
{
    for (size_t i = 0; i < REGISTRY_SLOTS; i++)
        reg_gen_free(reg->slots[i].gen);
    for (struct reg_file *rf = reg->files, *next; rf; rf = next) {
        next = rf->next;
        free(rf);
    }
    pthread_cond_destroy(&reg->cmd_cond);
    pthread_mutex_destroy(&reg->cmd_mu);
    pthread_mutex_destroy(&reg->state_mu);
    free(reg->config_dir);
    free(reg);
}

int registry_start(struct registry **out, const struct registry_options *o,
                   const struct host_config *cfg, struct registry_result *res)
{
    /* Aligned: the slots' pin counters sit on cache lines of their own. */
    struct registry *reg = aligned_alloc(_Alignof(struct registry), sizeof *reg);
    if (reg)
        memset(reg, 0, sizeof *reg);
    pthread_condattr_t ca;
    *out = NULL;
    memset(res, 0, sizeof *res);
    res->rc = -1;
    if (!reg || !(reg->config_dir = strdup(o->config_dir))) {
        free(reg);
        snprintf(res->error, sizeof res->error, "out of memory");
        return -1;
    }
    reg->opt = *o;
    reg->opt.config_dir = reg->config_dir;
    reg->drain_timeout_ms = cfg->plugins_drain_timeout_ms;
    reg->rollback_window_ms = cfg->plugins_rollback_window_ms;
    reg->open_timeout_ms = cfg->plugins_open_timeout_ms > 0 ? cfg->plugins_open_timeout_ms : 30000;
    pthread_mutex_init(&reg->cmd_mu, NULL);
    pthread_mutex_init(&reg->state_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&reg->cmd_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&reg->thread, NULL, control_main, reg) != 0) {
        registry_free(reg);
        snprintf(res->error, sizeof res->error, "cannot start the plugin control thread");
        return -1;
    }
    if (run_sync(reg, REG_OP_START, cfg, res) != 0) {
        registry_destroy(reg); /* nothing was opened: nothing stays referenced */
        return -1;
    }
    *out = reg;
    return 0;
}

int registry_destroy(struct registry *reg)
{
    if (!reg)
        return 0;
    /* Requests queued before this still run; then the thread shuts down. */
    pthread_mutex_lock(&reg->cmd_mu);
    reg->stopping = true;
    pthread_cond_signal(&reg->cmd_cond);
    pthread_mutex_unlock(&reg->cmd_mu);
    pthread_join(reg->thread, NULL);
    /* Instances still referenced after the stop's bound stay allocated:
     * never free what a call may still use. */
    if (reg->instances)
        return -1;
    registry_free(reg);
    return 0;
}
