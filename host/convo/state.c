/*
 * A conversation's state to and from the JSON stored in
 * conversations.state: services and providers by id (so a catalog reload
 * does not shift indexes), instants as integer UTC microseconds, no message
 * text. Reading is strict about types and drops ids the knowledge lacks.
 */
#include <string.h>

#include "convo/internal.h"

static const char *const stage_names[CONVO_ST_COUNT] = {
    "new", "chat", "offered", "accepted", "held", "paid", "booked",
    "expired", "cancel_ask", "move_offered", "handoff", "closed",
    "requested",
};

static const char *const client_names[] = { "unknown", "new", "existing" };

const char *convo_stage_name(enum convo_stage s)
{
    return (unsigned)s < CONVO_ST_COUNT ? stage_names[s] : "?";
}

void convo_state_init(struct convo_state *st)
{
    memset(st, 0, sizeof *st);
    st->want.provider = -1;
    st->want.day_from = st->want.day_to = NLU_DAY_NONE;
    st->deposit_cents = -1;
}

void convo_nlu_context(const struct convo_state *st, struct nlu_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->part = st->want.part;
    if (st->want.day_from != NLU_DAY_NONE) {
        ctx->day_from = st->want.day_from;
        ctx->day_to = st->want.day_to;
    }
    ctx->offered = (st->stage == CONVO_ST_OFFERED || st->stage == CONVO_ST_MOVE_OFFERED) ? st->noffers : 0;
    ctx->expecting_name = st->expecting_name;
}

/* ------------------------------------------------------------------ writing */

static cJSON *part_json(const struct convo_knowledge *k, const struct convo_part *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "service", k->services[p->service].id) ||
        !cJSON_AddStringToObject(o, "provider", k->providers[p->provider].id) ||
        !cJSON_AddNumberToObject(o, "start_us", (double)p->start_us) ||
        !cJSON_AddNumberToObject(o, "dur_min", p->dur_min)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *visit_json(const struct convo_knowledge *k, const struct convo_visit *v)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < v->n; i++) {
        cJSON *p = part_json(k, &v->part[i]);
        if (!p || !cJSON_AddItemToArray(a, p)) {
            cJSON_Delete(p);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static bool add(cJSON *o, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (!cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static cJSON *want_json(const struct convo_knowledge *k, const struct convo_want *w)
{
    cJSON *o = cJSON_CreateObject(), *svc = cJSON_CreateArray();
    if (!o || !svc)
        goto fail;
    for (int i = 0; i < w->nservices; i++) {
        cJSON *s = cJSON_CreateString(k->services[w->services[i]].id);
        if (!s || !cJSON_AddItemToArray(svc, s)) {
            cJSON_Delete(s);
            goto fail;
        }
    }
    if (!add(o, "services", svc)) {
        svc = NULL;
        goto fail;
    }
    svc = NULL;
    if (w->provider >= 0 && !cJSON_AddStringToObject(o, "provider", k->providers[w->provider].id))
        goto fail;
    if (w->day_from != NLU_DAY_NONE &&
        (!cJSON_AddNumberToObject(o, "day_from", w->day_from) || !cJSON_AddNumberToObject(o, "day_to", w->day_to)))
        goto fail;
    if (!cJSON_AddNumberToObject(o, "time_kind", w->time_kind) ||
        !cJSON_AddNumberToObject(o, "min_from", w->min_from) || !cJSON_AddNumberToObject(o, "min_to", w->min_to) ||
        !cJSON_AddNumberToObject(o, "part", w->part) || !cJSON_AddNumberToObject(o, "order", w->order) ||
        !cJSON_AddBoolToObject(o, "approx", w->approx))
        goto fail;
    return o;
fail:
    cJSON_Delete(svc);
    cJSON_Delete(o);
    return NULL;
}

cJSON *convo_state_to_json(const struct convo_knowledge *k, const struct convo_state *st)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "v", 1) || !cJSON_AddStringToObject(o, "stage", convo_stage_name(st->stage)) ||
        !cJSON_AddStringToObject(o, "resume", convo_stage_name(st->resume_stage)) ||
        !cJSON_AddBoolToObject(o, "greeted", st->greeted) || !cJSON_AddNumberToObject(o, "turns", st->turns) ||
        !cJSON_AddStringToObject(o, "client", client_names[st->client % 3]) ||
        !cJSON_AddBoolToObject(o, "said_new", st->said_new) || !cJSON_AddStringToObject(o, "first", st->first) ||
        !cJSON_AddStringToObject(o, "last", st->last) || !cJSON_AddStringToObject(o, "email", st->email) ||
        !add(o, "want", want_json(k, &st->want)))
        goto fail;
    cJSON *offers = cJSON_CreateArray();
    if (!add(o, "offers", offers))
        goto fail;
    for (int i = 0; i < st->noffers; i++) {
        cJSON *v = visit_json(k, &st->offers[i]);
        if (!v || !cJSON_AddItemToArray(offers, v)) {
            cJSON_Delete(v);
            goto fail;
        }
    }
    if (st->has_chosen && !add(o, "chosen", visit_json(k, &st->chosen)))
        goto fail;
    if (!cJSON_AddNumberToObject(o, "deposit_cents", st->deposit_cents) ||
        (st->credit_cents > 0 && !cJSON_AddNumberToObject(o, "credit_cents", st->credit_cents)) ||
        !cJSON_AddBoolToObject(o, "followed_up", st->followed_up) ||
        !cJSON_AddBoolToObject(o, "delay_told", st->delay_told) ||
        !cJSON_AddBoolToObject(o, "expecting_name", st->expecting_name))
        goto fail;
    if (st->appt_ref[0]) {
        cJSON *a = cJSON_CreateObject();
        if (!add(o, "appt", a) || !cJSON_AddStringToObject(a, "ref", st->appt_ref) ||
            !add(a, "part", part_json(k, &st->appt)))
            goto fail;
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* ------------------------------------------------------------------ reading */

static int find_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

static bool get_bool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int get_num(const cJSON *o, const char *key, double lo, double hi, double dflt, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(it) || it->valuedouble < lo || it->valuedouble > hi)
        return CONVO_E_INVAL;
    *out = it->valuedouble;
    return 0;
}

static int get_str(const cJSON *o, const char *key, char *dst, size_t cap)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    dst[0] = '\0';
    if (!it)
        return 0;
    const char *s = cJSON_GetStringValue(it);
    if (!s || strlen(s) >= cap)
        return CONVO_E_INVAL;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* 1: read, 0: dropped (an id the knowledge no longer has), <0: malformed. */
static int part_from(const struct convo_knowledge *k, const cJSON *o, struct convo_part *p)
{
    if (!cJSON_IsObject(o))
        return CONVO_E_INVAL;
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "service"));
    const char *pr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "provider"));
    double start, dur;
    if (!s || !pr || get_num(o, "start_us", 0, 9e15, -1, &start) || start < 0 ||
        get_num(o, "dur_min", 1, 1440, 30, &dur))
        return CONVO_E_INVAL;
    int si = convo_knowledge_service(k, s), pi = convo_knowledge_provider(k, pr);
    if (si < 0 || pi < 0)
        return 0;
    p->service = (int16_t)si;
    p->provider = (int16_t)pi;
    p->start_us = (int64_t)start;
    p->dur_min = (int32_t)dur;
    return 1;
}

static int visit_from(const struct convo_knowledge *k, const cJSON *a, struct convo_visit *v)
{
    memset(v, 0, sizeof *v);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > CONVO_VISIT_MAX)
        return CONVO_E_INVAL;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        int rc = part_from(k, it, &v->part[v->n]);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return 0;
        v->n++;
    }
    return v->n ? 1 : 0;
}

static int want_from(const struct convo_knowledge *k, const cJSON *o, struct convo_want *w)
{
    if (!cJSON_IsObject(o))
        return CONVO_E_INVAL;
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(o, "services"), *it;
    if (svc && !cJSON_IsArray(svc))
        return CONVO_E_INVAL;
    cJSON_ArrayForEach(it, svc)
    {
        int i = convo_knowledge_service(k, cJSON_GetStringValue(it));
        if (i >= 0 && w->nservices < CONVO_VISIT_MAX)
            w->services[w->nservices++] = (int16_t)i;
    }
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "provider"));
    w->provider = (int16_t)(p ? convo_knowledge_provider(k, p) : -1);
    double df, dt, tk, mf, mt, part, order;
    if (get_num(o, "day_from", -1e6, 1e6, NLU_DAY_NONE, &df) || get_num(o, "day_to", -1e6, 1e6, NLU_DAY_NONE, &dt) ||
        get_num(o, "time_kind", 0, NLU_TIME_BEFORE, 0, &tk) || get_num(o, "min_from", 0, 1440, 0, &mf) ||
        get_num(o, "min_to", 0, 1440, 0, &mt) || get_num(o, "part", 0, NLU_PART_NIGHT, 0, &part) ||
        get_num(o, "order", 0, NLU_ORDER_LATEST, 0, &order))
        return CONVO_E_INVAL;
    bool has_day = cJSON_GetObjectItemCaseSensitive(o, "day_from") != NULL;
    w->day_from = has_day ? (int32_t)df : NLU_DAY_NONE;
    w->day_to = has_day ? (int32_t)dt : NLU_DAY_NONE;
    w->time_kind = (uint8_t)tk;
    w->min_from = (int16_t)mf;
    w->min_to = (int16_t)mt;
    w->part = (uint8_t)part;
    w->order = (uint8_t)order;
    w->approx = get_bool(o, "approx");
    return 0;
}

int convo_state_from_json(const struct convo_knowledge *k, const cJSON *json, struct convo_state *st)
{
    if (!k || !st || !cJSON_IsObject(json))
        return CONVO_E_INVAL;
    convo_state_init(st);
    int stage = find_name(stage_names, CONVO_ST_COUNT,
                          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "stage")));
    int resume = find_name(stage_names, CONVO_ST_COUNT,
                           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "resume")));
    int client = find_name(client_names, 3, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "client")));
    double turns, dep, credit;
    if (stage < 0 || resume < 0 || client < 0 || get_num(json, "turns", 0, 65535, 0, &turns) ||
        get_num(json, "deposit_cents", -1, 1e10, -1, &dep) ||
        get_num(json, "credit_cents", 0, 1e9, 0, &credit))
        return CONVO_E_INVAL;
    st->credit_cents = (int32_t)credit;
    st->stage = (uint8_t)stage;
    st->resume_stage = (uint8_t)resume;
    st->client = (uint8_t)client;
    st->turns = (uint16_t)turns;
    st->deposit_cents = (int32_t)dep;
    st->greeted = get_bool(json, "greeted");
    st->said_new = get_bool(json, "said_new");
    st->followed_up = get_bool(json, "followed_up");
    st->delay_told = get_bool(json, "delay_told");
    st->expecting_name = get_bool(json, "expecting_name");
    if (get_str(json, "first", st->first, sizeof st->first) || get_str(json, "last", st->last, sizeof st->last) ||
        get_str(json, "email", st->email, sizeof st->email))
        return CONVO_E_INVAL;
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(json, "want");
    if (want && want_from(k, want, &st->want))
        return CONVO_E_INVAL;
    const cJSON *offers = cJSON_GetObjectItemCaseSensitive(json, "offers"), *it;
    if (offers && !cJSON_IsArray(offers))
        return CONVO_E_INVAL;
    cJSON_ArrayForEach(it, offers)
    {
        if (st->noffers >= CONVO_OFFERS_MAX)
            return CONVO_E_INVAL;
        int rc = visit_from(k, it, &st->offers[st->noffers]);
        if (rc < 0)
            return rc;
        if (rc > 0)
            st->noffers++;
    }
    const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(json, "chosen");
    if (chosen) {
        int rc = visit_from(k, chosen, &st->chosen);
        if (rc < 0)
            return rc;
        st->has_chosen = rc > 0;
    }
    const cJSON *appt = cJSON_GetObjectItemCaseSensitive(json, "appt");
    if (appt) {
        if (get_str(appt, "ref", st->appt_ref, sizeof st->appt_ref))
            return CONVO_E_INVAL;
        int rc = part_from(k, cJSON_GetObjectItemCaseSensitive(appt, "part"), &st->appt);
        if (rc < 0)
            return rc;
        if (rc == 0)
            st->appt_ref[0] = '\0';
    }
    return 0;
}
