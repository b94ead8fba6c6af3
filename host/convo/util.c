/*
 * Small pieces every part of the conversation core uses: local time in the
 * clinic's zone, appending actions, asking for facts (and finding them when
 * the driver brought them), quiet hours for proactive messages, the deposit
 * rules, and stable names for stages and actions.
 */
#include <string.h>

#include "convo/internal.h"
#include "tz.h"

static const char *const action_names[CONVO_ACT_COUNT] = {
    "reply", "query_client", "query_availability", "hold", "release_hold", "deposit_link",
    "book", "cancel", "reschedule", "handoff", "staff_alert", "schedule", "refund", "staff_task",
};

const char *convo_action_name(enum convo_action_kind a)
{
    return (unsigned)a < CONVO_ACT_COUNT ? action_names[a] : "?";
}

int64_t cv_local_us(struct dctx *c, int32_t day, int min)
{
    day += min / 1440;
    min %= 1440;
    struct tz_local l = { 0 };
    nlu_civil_from_days(day, &l.year, &l.month, &l.day);
    l.hour = min / 60;
    l.minute = min % 60;
    int64_t us = 0;
    if (tz_from_local(c->k->zone, &l, TZ_REPEATED_FIRST, &us))
        c->err = CONVO_E_TZ;
    return us;
}

void cv_local(struct dctx *c, int64_t us, int32_t *day, int *min)
{
    struct tz_local l;
    if (tz_to_local(c->k->zone, us, &l)) {
        c->err = CONVO_E_TZ;
        *day = 0;
        *min = 0;
        return;
    }
    *day = nlu_days_from_civil(l.year, l.month, l.day);
    *min = l.hour * 60 + l.minute;
}

struct convo_action *cv_action(struct dctx *c, enum convo_action_kind kind)
{
    if (c->out->nactions >= CONVO_ACTIONS_MAX) {
        c->err = CONVO_E_INVAL;
        return NULL;
    }
    struct convo_action *a = &c->out->action[c->out->nactions++];
    memset(a, 0, sizeof *a);
    a->kind = (uint8_t)kind;
    return a;
}

bool convo_query_eq(const struct convo_query *a, const struct convo_query *b)
{
    return a->service == b->service && a->provider == b->provider && a->from_us == b->from_us &&
           a->to_us == b->to_us;
}

const struct convo_avail *cv_avail(struct dctx *c, const struct convo_query *q)
{
    for (size_t i = 0; c->f && i < c->f->navail && i < CONVO_QUERIES_MAX; i++)
        if (convo_query_eq(&c->f->avail[i].q, q))
            return &c->f->avail[i];
    /* Ask once per distinct query. */
    for (size_t i = 0; i < c->out->nactions; i++)
        if (c->out->action[i].kind == CONVO_ACT_QUERY_AVAILABILITY && convo_query_eq(&c->out->action[i].query, q)) {
            c->out->need_facts = true;
            return NULL;
        }
    struct convo_action *a = cv_action(c, CONVO_ACT_QUERY_AVAILABILITY);
    if (a)
        a->query = *q;
    c->out->need_facts = true;
    return NULL;
}

const struct convo_client *cv_client(struct dctx *c)
{
    if (c->f && (c->f->has_client || c->f->client_failed))
        return &c->f->client;
    for (size_t i = 0; i < c->out->nactions; i++)
        if (c->out->action[i].kind == CONVO_ACT_QUERY_CLIENT) {
            c->out->need_facts = true;
            return NULL;
        }
    cv_action(c, CONVO_ACT_QUERY_CLIENT);
    c->out->need_facts = true;
    return NULL;
}

/* Proactive messages keep to 08:00-21:00 in the clinic's zone; the outbound
 * path applies the recipient's own zone and state rules on top. */
bool cv_quiet(struct dctx *c, int64_t us)
{
    int32_t day;
    int min;
    cv_local(c, us, &day, &min);
    return min < 8 * 60 || min >= 21 * 60;
}

bool cv_has(const struct nlu_result *r, enum nlu_intent i)
{
    return r && r->score[i] >= NLU_PRESENT;
}

static int64_t rule_for(const struct convo_knowledge *k, int s, bool new_client)
{
    for (size_t i = 0; i < k->nrules; i++) {
        const struct kn_rule *r = &k->rules[i];
        if (r->services && !(s >= 0 && s < 64 && (r->services >> s) & 1u))
            continue;
        if (r->new_client >= 0 && (r->new_client == 1) != new_client)
            continue;
        return r->cents;
    }
    return 0;
}

int64_t convo_deposit_cents(const struct convo_knowledge *k, const struct convo_visit *v, bool new_client)
{
    int64_t best = 0;
    for (int i = 0; i < v->n; i++) {
        int64_t c = rule_for(k, v->part[i].service, new_client);
        if (c > best)
            best = c;
    }
    return best;
}
