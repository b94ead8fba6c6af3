/*
 * The registry as JSON, for GET /admin/plugins and the results of reload
 * and rollback: the loaded plugin files, every binding's instance with its
 * state and generation, the generations still alive, and the last
 * operation. Read under the registry's state lock, so a reload in progress
 * finishes before the document is taken.
 */
#include "plugin_registry_internal.h"

#include <stdio.h>

#include "clock.h"

static const char *file_state(const struct reg_file *rf)
{
    if (rf->n_instances > 0)
        return rf->in_dir ? "in_use" : "in_use_removed";
    return "loaded";
}

/* serving: in the current generation; draining: left it with calls still
 * running; retained: kept open for rollback; closing: about to close. */
static const char *instance_state(const struct reg_instance *in)
{
    if (in->in_current)
        return "serving";
    if (atomic_load(&in->calls) > 0)
        return atomic_load(&in->cancelled) ? "cancelling" : "draining";
    return in->refs > 0 ? "retained" : "closing";
}

static cJSON *abi_text(cJSON *o, const char *key, uint32_t major, uint32_t minor)
{
    char v[24];
    snprintf(v, sizeof v, "%u.%u", major, minor);
    return cJSON_AddStringToObject(o, key, v);
}

static void add_files(cJSON *root, struct registry *reg)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; arr && i < reg->opt.plugins->n; i++) {
        const struct plugin *p = reg->opt.plugins->items[i];
        const struct bw_plugin_descriptor *d = p->desc;
        const struct reg_file *rf = NULL;
        for (const struct reg_file *x = reg->files; x && !rf; x = x->next)
            if (x->p == p)
                rf = x;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "id", d->id);
        cJSON_AddStringToObject(o, "version", d->version);
        cJSON_AddStringToObject(o, "kind", plugin_kind_name(d->kind));
        abi_text(o, "abi_built", d->abi_major, d->abi_minor);
        abi_text(o, "abi_required", d->abi_major, d->abi_minor_required);
        cJSON_AddStringToObject(o, "file", p->path);
        cJSON_AddStringToObject(o, "state", rf ? file_state(rf) : "loaded");
        cJSON_AddBoolToObject(o, "initialized", rf && rf->inited);
        cJSON_AddNumberToObject(o, "instances", rf ? rf->n_instances : 0);
    }
}

static cJSON *instance_json(const struct reg_instance *in, uint64_t generation)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "tenant", in->tenant_id);
    cJSON_AddStringToObject(o, "plugin", in->desc->id);
    cJSON_AddStringToObject(o, "version", in->desc->version);
    cJSON_AddStringToObject(o, "kind", plugin_kind_name(in->desc->kind));
    cJSON_AddStringToObject(o, "state", instance_state(in));
    if (generation)
        cJSON_AddNumberToObject(o, "generation", (double)generation);
    else
        cJSON_AddNullToObject(o, "generation");
    cJSON_AddNumberToObject(o, "opened_in", (double)in->opened_in);
    cJSON_AddNumberToObject(o, "in_flight", atomic_load(&in->calls));
    char where[300];
    snprintf(where, sizeof where, "%s:%d", in->file_name, in->line);
    cJSON_AddStringToObject(o, "binding", where);
    return o;
}

/* The current generation's bindings in routing order, then the instances
 * that left it and are still open (draining or kept for rollback). */
static void add_bindings(cJSON *root, struct registry *reg, const struct reg_gen *cur)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "bindings");
    cJSON *old = cJSON_AddArrayToObject(root, "retired_instances");
    for (size_t i = 0; arr && cur && i < cur->n_tenants; i++)
        for (uint32_t k = 0; k < cur->tenants[i].n; k++)
            cJSON_AddItemToArray(arr, instance_json(cur->tenants[i].inst[k], cur->number));
    for (const struct reg_instance *in = reg->instances; old && in; in = in->next) {
        if (in->in_current)
            continue;
        /* The newest live generation that still holds it. */
        uint64_t gen = 0;
        for (size_t s = 0; s < REGISTRY_SLOTS; s++) {
            const struct reg_gen *g = reg->slots[s].gen;
            const struct reg_tenant *t = g ? reg_gen_tenant(g, in->tenant_id) : NULL;
            for (uint32_t k = 0; t && k < t->n; k++)
                if (t->inst[k] == in && g->number > gen)
                    gen = g->number;
        }
        cJSON_AddItemToArray(old, instance_json(in, gen));
    }
}

static void add_generations(cJSON *root, struct registry *reg, const struct reg_slot *cur,
                            int64_t now)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "generations");
    for (size_t i = 0; arr && i < REGISTRY_SLOTS; i++) {
        const struct reg_slot *s = &reg->slots[i];
        if (!s->gen)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddItemToArray(arr, o);
        const char *state = s == cur ? "current" : s == reg->previous ? "previous" : "draining";
        size_t n = 0;
        for (size_t t = 0; t < s->gen->n_tenants; t++)
            n += s->gen->tenants[t].n;
        cJSON_AddNumberToObject(o, "generation", (double)s->gen->number);
        cJSON_AddStringToObject(o, "state", state);
        cJSON_AddNumberToObject(o, "instances", (double)n);
        cJSON_AddNumberToObject(o, "pins", atomic_load(&s->pins));
        cJSON_AddNumberToObject(o, "age_ms", (double)(now - s->gen->published_us / 1000));
        if (s != cur && s->gen->drained_us)
            cJSON_AddNumberToObject(o, "drained_after_ms",
                                    (double)(s->gen->drained_us - s->gen->retired_us) / 1000.0);
    }
}

static void add_last(cJSON *root, struct registry *reg, int64_t now)
{
    const struct reg_last *l = &reg->last;
    if (!l->valid) {
        cJSON_AddNullToObject(root, "last_operation");
        return;
    }
    cJSON *o = cJSON_AddObjectToObject(root, "last_operation");
    if (!o)
        return;
    cJSON_AddStringToObject(o, "kind", l->kind);
    cJSON_AddBoolToObject(o, "ok", l->rc == 0);
    cJSON_AddBoolToObject(o, "changed", l->changed);
    cJSON_AddNumberToObject(o, "generation", (double)l->generation);
    cJSON_AddNumberToObject(o, "age_ms", (double)(now - l->requested_us / 1000));
    if (l->changed) {
        cJSON_AddNumberToObject(o, "replaced", (double)l->replaced);
        cJSON_AddNumberToObject(o, "published_ms",
                                (double)(l->published_us - l->requested_us) / 1000.0);
        /* When the replaced generation lost its last pin, if it did yet. */
        if (l->drained_us)
            cJSON_AddNumberToObject(o, "drained_ms",
                                    (double)(l->drained_us - l->requested_us) / 1000.0);
    }
    if (l->error[0])
        cJSON_AddStringToObject(o, "error", l->error);
}

cJSON *registry_status(struct registry *reg)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    pthread_mutex_lock(&reg->state_mu);
    int64_t now = clock_mono_ms();
    struct reg_slot *cur = atomic_load(&reg->current);
    const struct reg_gen *g = cur ? cur->gen : NULL;
    cJSON_AddNumberToObject(root, "generation", g ? (double)g->number : 0);
    if (reg->previous && now < reg->previous_until_ms) {
        cJSON_AddNumberToObject(root, "previous_generation", (double)reg->previous->gen->number);
        cJSON_AddNumberToObject(root, "rollback_window_left_ms",
                                (double)(reg->previous_until_ms - now));
    } else {
        cJSON_AddNullToObject(root, "previous_generation");
    }
    cJSON_AddNumberToObject(root, "drain_timeout_ms", (double)reg->drain_timeout_ms);
    cJSON_AddNumberToObject(root, "operations", (double)reg->operations);
    add_files(root, reg);
    add_bindings(root, reg, g);
    add_generations(root, reg, cur, now);
    add_last(root, reg, now);
    pthread_mutex_unlock(&reg->state_mu);
    return root;
}

cJSON *registry_result_json(const struct registry_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "ok", r->rc == 0);
    cJSON_AddBoolToObject(o, "changed", r->changed);
    cJSON_AddNumberToObject(o, "generation", (double)r->generation);
    if (r->changed) {
        cJSON_AddNumberToObject(o, "replaced", (double)r->replaced);
        cJSON_AddNumberToObject(o, "published_ms", r->published_ms);
    }
    if (r->restored)
        cJSON_AddNumberToObject(o, "restored", (double)r->restored);
    if (r->error[0])
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON *arr = cJSON_AddArrayToObject(o, "failures");
    for (size_t i = 0; arr && i < r->n_failures; i++) {
        const struct registry_failure *f = &r->failures[i];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddItemToArray(arr, x);
        if (f->tenant[0])
            cJSON_AddStringToObject(x, "tenant", f->tenant);
        if (f->plugin[0])
            cJSON_AddStringToObject(x, "plugin", f->plugin);
        if (f->version[0])
            cJSON_AddStringToObject(x, "version", f->version);
        cJSON_AddStringToObject(x, "message", f->message);
    }
    return o;
}
