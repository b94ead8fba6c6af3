/*
 * The conversation core's test world (see convo_world.h): a calendar and
 * client list from the clinic file, holds, links, timers and a simulated
 * clock; a driver loop around convo_decide(); and a case runner that checks
 * the evaluation corpus's expectations and rules 1, 2, 3, 6 and 7.
 */

#include "convo_world.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "convo/turn.h"
#include "eval/eval_expect.h"
#include "eval/eval_rules.h"
#include "tz.h"

#define W_APPTS 64
#define W_HOLDS 16
#define W_PATIENTS 4
#define W_REPLIES 48
#define W_TIMERS 16
#define US_MIN (60LL * 1000000)

struct w_appt {
    int prov, svc, dur;
    int64_t start;
    char phone[32];
    char ref[16];
    int patient; /* -1: not a case patient's */
    bool cancelled, created, changed;
};

struct w_hold {
    int patient;
    struct convo_visit v;
    int64_t expires;
    bool active;
};

struct w_timer {
    int patient;
    int64_t at;
    uint8_t kind; /* 0 hold expiry, else enum convo_timer */
};

struct w_patient {
    char id[32];
    char channel[16];
    char phone[32];
    struct convo_state st;
    bool opted_out;
    int optout_at; /* reply index where the opt-out happened, -1 */
    char *reply[W_REPLIES];
    int nreply;
    int64_t link_cents; /* -1: none */
    bool paid;
    bool handoff;
    bool client_created;
    char cfirst[64], clast[64];
    int alerts;
    int refunds;
    double first_ms; /* -1: no reply yet */
};

struct world {
    const cJSON *clinic;
    struct convo_knowledge k;
    struct nlu_catalog *cat;
    int64_t now;
    int32_t today0;
    bool emr_down;
    struct w_appt appt[W_APPTS];
    int nappt;
    struct w_hold hold[W_HOLDS];
    int nhold;
    struct w_timer timer[W_TIMERS];
    int ntimer;
    struct w_patient pat[W_PATIENTS];
    int npat;
    struct eval_money money;
    char err[1024];
    struct world_report *rep;
    int links;
};

static void fail(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct world *w, const char *fmt, ...)
{
    if (w->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
}

static void note(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct world *w, const char *fmt, ...)
{
    size_t n = strlen(w->rep->transcript);
    if (n + 2 >= sizeof w->rep->transcript)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->rep->transcript + n, sizeof w->rep->transcript - n, fmt, ap);
    va_end(ap);
}

char *world_read_shared(const char *rel)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/%s", shared, rel);
    else
        snprintf(path, sizeof path, "%s/../shared/%s", src ? src : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text && fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = '\0';
    else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* ------------------------------------------------------------------ time */

static int64_t local_us(struct world *w, int32_t day, int min)
{
    day += min / 1440;
    min %= 1440;
    struct tz_local l = { 0 };
    nlu_civil_from_days(day, &l.year, &l.month, &l.day);
    l.hour = min / 60;
    l.minute = min % 60;
    int64_t us = 0;
    if (tz_from_local(w->k.zone, &l, TZ_REPEATED_FIRST, &us))
        fail(w, "tz_from_local failed");
    return us;
}

static void to_local(struct world *w, int64_t us, int32_t *day, int *min)
{
    struct tz_local l;
    if (tz_to_local(w->k.zone, us, &l)) {
        fail(w, "tz_to_local failed");
        *day = 0;
        *min = 0;
        return;
    }
    *day = nlu_days_from_civil(l.year, l.month, l.day);
    *min = l.hour * 60 + l.minute;
}

/* "2027-03-02T20:15" or "2027-03-02T20:15:00" (local) -> us; -1 when bad. */
static int64_t parse_local(struct world *w, const char *s)
{
    int y, mo, d, h = 0, mi = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) != 5)
        return -1;
    return local_us(w, nlu_days_from_civil(y, mo, d), h * 60 + mi);
}

static void fmt_local(struct world *w, int64_t us, char *out, size_t cap)
{
    int32_t day;
    int min, y, m, d;
    to_local(w, us, &day, &min);
    nlu_civil_from_days(day, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d", y, m, d, min / 60, min % 60);
}

/* ------------------------------------------------------------------ calendar */

static bool busy(struct world *w, int prov, int64_t start, int dur, int self_patient)
{
    int64_t end = start + dur * US_MIN;
    for (int i = 0; i < w->nappt; i++) {
        const struct w_appt *a = &w->appt[i];
        if (a->cancelled || a->prov != prov)
            continue;
        if (start < a->start + a->dur * US_MIN && a->start < end)
            return true;
    }
    for (int i = 0; i < w->nhold; i++) {
        const struct w_hold *h = &w->hold[i];
        if (!h->active || h->patient == self_patient)
            continue;
        for (int j = 0; j < h->v.n; j++) {
            const struct convo_part *p = &h->v.part[j];
            if (p->provider == prov && start < p->start_us + p->dur_min * US_MIN && p->start_us < end)
                return true;
        }
    }
    return false;
}

static size_t availability(struct world *w, const struct convo_query *q, struct convo_slot *out, size_t cap)
{
    const struct convo_knowledge *k = &w->k;
    int s = q->service, dur = k->services[s].dur_min;
    int32_t d1, d2;
    int m;
    to_local(w, q->from_us, &d1, &m);
    to_local(w, q->to_us - 1, &d2, &m);
    size_t n = 0;
    for (int32_t day = d1; day <= d2; day++) {
        if (convo_knowledge_closed_day(k, day) || day > w->today0 + k->horizon_days)
            continue;
        int wd = nlu_weekday(day);
        for (int t = k->open_min[wd]; t + dur <= k->close_min[wd]; t += k->slot_step_min) {
            int64_t start = local_us(w, day, t);
            if (start < q->from_us || start >= q->to_us || start < w->now + k->min_notice_min * US_MIN)
                continue;
            for (size_t p = 0; p < k->nproviders; p++) {
                if (q->provider >= 0 && (int)p != q->provider)
                    continue;
                if (!convo_knowledge_offers(k, (int)p, s) || !convo_knowledge_works(k, (int)p, wd))
                    continue;
                if (busy(w, (int)p, start, dur, -1))
                    continue;
                if (n < cap)
                    out[n++] = (struct convo_slot){ start, (int16_t)p };
            }
        }
    }
    return n;
}

static bool lookup_client(struct world *w, struct w_patient *p, struct convo_client *cl)
{
    memset(cl, 0, sizeof *cl);
    if (!p->phone[0])
        return true;
    const cJSON *clients = cJSON_GetObjectItemCaseSensitive(w->clinic, "clients"), *it;
    cJSON_ArrayForEach(it, clients)
    {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "phone"));
        if (ph && !strcmp(ph, p->phone)) {
            cl->known = true;
            snprintf(cl->first, sizeof cl->first, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "first_name")));
            snprintf(cl->last, sizeof cl->last, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "last_name")));
        }
    }
    if (p->client_created) {
        cl->known = true;
        snprintf(cl->first, sizeof cl->first, "%s", p->cfirst);
        snprintf(cl->last, sizeof cl->last, "%s", p->clast);
    }
    for (int i = 0; i < w->nappt && cl->nappts < CONVO_APPTS_MAX; i++) {
        const struct w_appt *a = &w->appt[i];
        if (a->cancelled || strcmp(a->phone, p->phone) || a->start < w->now)
            continue;
        struct convo_appt *ca = &cl->appts[cl->nappts++];
        snprintf(ca->ref, sizeof ca->ref, "%s", a->ref);
        ca->part = (struct convo_part){ (int16_t)a->svc, (int16_t)a->prov, a->dur, a->start };
    }
    return true;
}

/* ------------------------------------------------------------------ driver */

static void add_timer(struct world *w, int patient, int64_t at, uint8_t kind)
{
    if (w->ntimer < W_TIMERS)
        w->timer[w->ntimer++] = (struct w_timer){ patient, at, kind };
}

static void deliver(struct world *w, int pi, const struct convo_ev *ev, int depth);

static void record_reply(struct world *w, int pi, const struct convo_action *a)
{
    struct w_patient *p = &w->pat[pi];
    char text[1024];
    const char *mark = strstr(a->text, CONVO_LINK_MARK);
    if (mark)
        snprintf(text, sizeof text, "%.*shttps://pay.bookwell.example/l/%08d-glow-deposit%s", (int)(mark - a->text),
                 a->text, w->links, mark + strlen(CONVO_LINK_MARK));
    else
        snprintf(text, sizeof text, "%s", a->text);
    if (strlen(text) > 480)
        fail(w, "rule 1: a reply of %zu characters", strlen(text));
    if (a->proactive) {
        int32_t day;
        int min;
        to_local(w, w->now, &day, &min);
        if (min < 8 * 60 || min >= 21 * 60)
            fail(w, "rule 3: a proactive message at %02d:%02d", min / 60, min % 60);
    }
    char when[32];
    fmt_local(w, w->now, when, sizeof when);
    note(w, "  [%s] %s -> %s%s\n", when, p->id, a->proactive ? "(proactive) " : "", text);
    if (p->nreply < W_REPLIES)
        p->reply[p->nreply++] = strdup(text);
}

static struct w_appt *find_ref(struct world *w, const char *ref)
{
    for (int i = 0; i < w->nappt; i++)
        if (!strcmp(w->appt[i].ref, ref))
            return &w->appt[i];
    return NULL;
}

static void release_holds(struct world *w, int pi)
{
    for (int i = 0; i < w->nhold; i++)
        if (w->hold[i].patient == pi)
            w->hold[i].active = false;
}

struct port_ctx {
    struct world *w;
    int pi;
};

static int port_client(void *ctx, struct convo_client *out)
{
    struct port_ctx *pc = ctx;
    if (pc->w->emr_down)
        return CONVO_PORT_UNAVAILABLE;
    lookup_client(pc->w, &pc->w->pat[pc->pi], out);
    return 0;
}

static int port_availability(void *ctx, const struct convo_query *q, struct convo_slot *slots, size_t cap,
                             size_t *n)
{
    struct port_ctx *pc = ctx;
    if (pc->w->emr_down)
        return CONVO_PORT_UNAVAILABLE;
    *n = availability(pc->w, q, slots, cap);
    return 0;
}

/* Executes one action as the daemon's driver will. */
static int port_act(void *ctx, const struct convo_action *a)
{
    struct port_ctx *pc = ctx;
    struct world *w = pc->w;
    int pi = pc->pi;
    struct w_patient *p = &w->pat[pi];
    switch (a->kind) {
    case CONVO_ACT_REPLY: record_reply(w, pi, a); break;
    case CONVO_ACT_HOLD: {
        bool ok = true;
        for (int j = 0; j < a->visit.n; j++)
            ok &= !busy(w, a->visit.part[j].provider, a->visit.part[j].start_us, a->visit.part[j].dur_min, pi);
        if (!ok) {
            note(w, "  (hold failed)\n");
            return CONVO_PORT_TAKEN;
        }
        release_holds(w, pi);
        if (w->nhold < W_HOLDS) {
            w->hold[w->nhold++] = (struct w_hold){ pi, a->visit, w->now + w->k.hold_minutes * US_MIN, true };
            add_timer(w, pi, w->now + w->k.hold_minutes * US_MIN, 0);
        }
        break;
    }
    case CONVO_ACT_RELEASE_HOLD: release_holds(w, pi); break;
    case CONVO_ACT_DEPOSIT_LINK:
        p->link_cents = a->cents;
        p->paid = false;
        w->links++;
        break;
    case CONVO_ACT_BOOK: {
        if (w->emr_down) {
            note(w, "  (book failed: EMR unavailable)\n");
            return CONVO_PORT_UNAVAILABLE;
        }
        bool new_client = a->new_client;
        int64_t due = convo_deposit_cents(&w->k, &a->visit, new_client);
        if (due > 0 && !p->paid)
            fail(w, "rule 6: booked before the deposit was paid");
        for (int j = 0; j < a->visit.n && w->nappt < W_APPTS; j++) {
            const struct convo_part *pt = &a->visit.part[j];
            struct w_appt *ap = &w->appt[w->nappt];
            *ap = (struct w_appt){ pt->provider, pt->service, pt->dur_min, pt->start_us, "", "", pi,
                                   false, true, false };
            memcpy(ap->phone, p->phone, sizeof ap->phone);
            snprintf(ap->ref, sizeof ap->ref, "n%d", w->nappt);
            w->nappt++;
        }
        release_holds(w, pi);
        if (new_client && !p->client_created) {
            p->client_created = true;
            snprintf(p->cfirst, sizeof p->cfirst, "%s", a->first);
            snprintf(p->clast, sizeof p->clast, "%s", a->last);
        }
        break;
    }
    case CONVO_ACT_CANCEL: {
        if (w->emr_down)
            return CONVO_PORT_UNAVAILABLE;
        struct w_appt *ap = find_ref(w, a->ref);
        if (!ap)
            return CONVO_PORT_REFUSED;
        ap->cancelled = true;
        ap->changed = true;
        ap->patient = pi;
        break;
    }
    case CONVO_ACT_RESCHEDULE: {
        if (w->emr_down)
            return CONVO_PORT_UNAVAILABLE;
        struct w_appt *ap = find_ref(w, a->ref);
        if (!ap || a->visit.n != 1)
            return CONVO_PORT_REFUSED;
        ap->start = a->visit.part[0].start_us;
        ap->prov = a->visit.part[0].provider;
        ap->changed = true;
        ap->patient = pi;
        break;
    }
    case CONVO_ACT_HANDOFF: p->handoff = true; break;
    case CONVO_ACT_STAFF_ALERT: p->alerts++; break;
    case CONVO_ACT_REFUND: p->refunds++; break;
    case CONVO_ACT_SCHEDULE: add_timer(w, pi, a->at_us, a->timer); break;
    default: fail(w, "unexpected action %s", convo_action_name(a->kind)); break;
    }
    return 0;
}

static void deliver(struct world *w, int pi, const struct convo_ev *ev, int depth)
{
    (void)depth;
    struct port_ctx pc = { w, pi };
    struct convo_ports ports = { &pc, port_client, port_availability, port_act };
    struct w_patient *p = &w->pat[pi];
    int had = p->nreply;
    int64_t t0 = clock_mono_us();
    int rc = convo_turn(&w->k, &ports, &p->st, ev, w->now);
    /* first_reply_max_ms, as far as the core goes: the real time of the
     * turn that produced the patient's first message. */
    if (!had && p->nreply && p->first_ms < 0)
        p->first_ms = (double)(clock_mono_us() - t0) / 1000.0;
    if (rc)
        fail(w, "convo_turn = %d", rc);
}

/* ------------------------------------------------------------------ steps */

static void run_due(struct world *w, int64_t until)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < w->ntimer; i++)
            if (w->timer[i].at <= until && (best < 0 || w->timer[i].at < w->timer[best].at))
                best = i;
        if (best < 0)
            break;
        struct w_timer t = w->timer[best];
        w->timer[best] = w->timer[--w->ntimer];
        if (t.at > w->now)
            w->now = t.at;
        struct w_patient *p = &w->pat[t.patient];
        if (t.kind == 0) {
            bool lapsed = false;
            for (int i = 0; i < w->nhold; i++)
                if (w->hold[i].patient == t.patient && w->hold[i].active && w->hold[i].expires <= w->now) {
                    w->hold[i].active = false;
                    lapsed = true;
                }
            if (lapsed && !p->opted_out) {
                note(w, "  (hold of %s lapsed)\n", p->id);
                struct convo_ev ev = { .kind = CONVO_EV_HOLD_EXPIRED };
                deliver(w, t.patient, &ev, 0);
            }
        } else if (!p->opted_out) {
            struct convo_ev ev = { .kind = CONVO_EV_TIMER, .timer = t.kind };
            deliver(w, t.patient, &ev, 0);
        }
    }
    if (until > w->now)
        w->now = until;
}

/* "PT2H", "PT10M", "PT1H30M" -> microseconds; -1 when bad. */
static int64_t duration(const char *s)
{
    if (!s || strncmp(s, "PT", 2))
        return -1;
    int64_t total = 0;
    const char *q = s + 2;
    while (*q) {
        char *e;
        long v = strtol(q, &e, 10);
        if (e == q)
            return -1;
        if (*e == 'H')
            total += v * 60 * US_MIN;
        else if (*e == 'M')
            total += v * US_MIN;
        else if (*e == 'S')
            total += v * 1000000LL;
        else
            return -1;
        q = e + 1;
    }
    return total;
}

static int patient_index(struct world *w, const cJSON *step)
{
    const char *as = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(step, "as"));
    if (!as)
        return 0;
    for (int i = 0; i < w->npat; i++)
        if (!strcmp(w->pat[i].id, as))
            return i;
    return -1;
}

static void say(struct world *w, int pi, const char *text)
{
    struct w_patient *p = &w->pat[pi];
    char when[32];
    fmt_local(w, w->now, when, sizeof when);
    note(w, "[%s] %s: %s\n", when, p->id, text);
    struct nlu_context ctx;
    convo_nlu_context(&p->st, &ctx);
    struct nlu_result r;
    if (nlu_understand(w->cat, w->now, &ctx, text, &r)) {
        fail(w, "nlu_understand failed");
        return;
    }
    /* The compliance stand-in: keywords are handled before the engine. */
    if (r.score[NLU_INTENT_OPT_OUT] >= NLU_PRESENT) {
        if (!p->opted_out) {
            p->opted_out = true;
            p->optout_at = p->nreply;
            struct convo_action a = { .kind = CONVO_ACT_REPLY };
            snprintf(a.text, sizeof a.text, "You're unsubscribed from %s texts. Reply START to resubscribe.",
                     w->k.name);
            record_reply(w, pi, &a);
            release_holds(w, pi);
        }
        w->rep->stand_in = true;
        return;
    }
    if (p->opted_out) {
        if (r.score[NLU_INTENT_OPT_IN] >= NLU_PRESENT) {
            p->opted_out = false;
            struct convo_action a = { .kind = CONVO_ACT_REPLY };
            snprintf(a.text, sizeof a.text, "You're resubscribed to %s texts. Reply STOP to opt out.", w->k.name);
            record_reply(w, pi, &a);
        }
        w->rep->stand_in = true;
        return;
    }
    if (r.score[NLU_INTENT_OPT_IN] >= NLU_PRESENT) {
        w->rep->stand_in = true;
        return;
    }
    if (r.score[NLU_INTENT_HELP] >= NLU_PRESENT && strlen(text) <= 6) {
        struct convo_action a = { .kind = CONVO_ACT_REPLY };
        snprintf(a.text, sizeof a.text, "%s: booking help at %s. Msg&data rates may apply. Reply STOP to opt out.",
                 w->k.name, w->k.phone);
        record_reply(w, pi, &a);
        w->rep->stand_in = true;
        return;
    }
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    deliver(w, pi, &ev, 0);
}

/* ------------------------------------------------------------------ checks */

/* The runner's own checks (tests/eval): expectations with PCRE2, rule 1
 * in characters, rule 2 against the clinic's amounts, rule 5, loose
 * stored matching. What the runner reads from the daemon's state route and
 * the simulators is read here from the world. */
static void check_patient(struct world *w, int pi, const cJSON *exp)
{
    struct w_patient *p = &w->pat[pi];
    struct eval_patient_obs *o = calloc(1, sizeof *o);
    if (!o) {
        fail(w, "out of memory");
        return;
    }
    o->opted_out = p->opted_out;
    o->handoff = p->handoff && p->st.stage == CONVO_ST_HANDOFF;
    bool active = false, lapsed = false;
    for (int i = 0; i < w->nhold; i++)
        if (w->hold[i].patient == pi) {
            active |= w->hold[i].active;
            lapsed |= !w->hold[i].active;
        }
    o->hold_active_unpaid = active && p->link_cents > 0 && !p->paid;
    o->hold_expired = lapsed && !active && p->st.stage == CONVO_ST_EXPIRED;
    o->last_deposit_cents = p->link_cents;
    o->client_created = p->client_created;
    o->client_first_name = p->cfirst;
    o->client_last_name = p->clast;
    o->first_reply_ms = p->first_ms;
    for (int i = 0; i < p->nreply && o->n_sent < EVAL_OBS_MAX; i++) {
        o->sent[o->n_sent].text = p->reply[i];
        o->sent[o->n_sent].after_optout = p->optout_at >= 0 && i >= p->optout_at;
        o->n_sent++;
    }
    for (int i = 0; i < w->nappt && o->n_appts < EVAL_OBS_MAX; i++) {
        const struct w_appt *a = &w->appt[i];
        if (a->patient != pi || !(a->created || a->changed))
            continue;
        struct eval_appt *ea = &o->appts[o->n_appts++];
        ea->service = w->k.services[a->svc].id;
        ea->provider = w->k.providers[a->prov].id;
        fmt_local(w, a->start, ea->start, sizeof ea->start);
        ea->created = a->created;
        ea->moved = a->changed && !a->created && !a->cancelled;
        ea->cancelled = a->cancelled;
        if (a->created && p->link_cents > 0 && !p->paid)
            o->deposit_due_unpaid = true;
    }
    char why[512];
    if (eval_check_patient(exp, o, why, sizeof why))
        fail(w, "%s: %s", p->id, why);
    free(o);

    /* stored_exclude and rule 5 over what the engine stores: its state, and
     * its messages (the outbox). */
    cJSON *sj = convo_state_to_json(&w->k, &p->st);
    char *state = sj ? cJSON_PrintUnformatted(sj) : NULL;
    cJSON_Delete(sj);
    if (!state) {
        fail(w, "state to JSON failed");
        return;
    }
    if (eval_has_card_number(state))
        fail(w, "rule 5: a card number in the stored state");
    const cJSON *it, *st = cJSON_GetObjectItemCaseSensitive(exp, "stored_exclude");
    cJSON_ArrayForEach(it, st)
    {
        if (eval_contains_loosely(state, it->valuestring))
            fail(w, "%s: the stored state holds \"%s\"", p->id, it->valuestring);
        for (int i = 0; i < p->nreply; i++)
            if (eval_contains_loosely(p->reply[i], it->valuestring))
                fail(w, "%s: a reply (stored in the outbox) holds \"%s\"", p->id, it->valuestring);
    }
    free(state);
    for (int i = 0; i < p->nreply; i++) {
        int64_t bad;
        if (eval_check_dollars(&w->money, p->reply[i], &bad))
            fail(w, "rule 2: $%lld.%02lld is not the clinic's in \"%s\"", (long long)(bad / 100),
                 (long long)(bad % 100), p->reply[i]);
        if (eval_utf8_chars(p->reply[i]) > EVAL_MESSAGE_MAX_CHARS)
            fail(w, "rule 1: %zu characters", eval_utf8_chars(p->reply[i]));
        if (eval_has_card_number(p->reply[i]))
            fail(w, "rule 5: a card number in a reply");
    }
}

static void check_overlaps(struct world *w)
{
    for (int i = 0; i < w->nappt; i++)
        for (int j = i + 1; j < w->nappt; j++) {
            const struct w_appt *a = &w->appt[i], *b = &w->appt[j];
            if (a->cancelled || b->cancelled || a->prov != b->prov)
                continue;
            if (a->start < b->start + b->dur * US_MIN && b->start < a->start + a->dur * US_MIN)
                fail(w, "rule 7: two appointments of %s overlap", w->k.providers[a->prov].id);
        }
}

/* ------------------------------------------------------------------ setup */

static int load_calendar(struct world *w)
{
    const cJSON *appts = cJSON_GetObjectItemCaseSensitive(w->clinic, "appointments"), *it;
    cJSON_ArrayForEach(it, appts)
    {
        if (w->nappt >= W_APPTS)
            return -1;
        struct w_appt *a = &w->appt[w->nappt];
        memset(a, 0, sizeof *a);
        a->prov = convo_knowledge_provider(&w->k, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "provider")));
        a->svc = convo_knowledge_service(&w->k, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "service")));
        a->start = parse_local(w, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "start")));
        if (a->prov < 0 || a->svc < 0 || a->start < 0)
            return -1;
        a->dur = w->k.services[a->svc].dur_min;
        const char *cl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "client"));
        snprintf(a->phone, sizeof a->phone, "%s", cl ? cl : "");
        snprintf(a->ref, sizeof a->ref, "a%d", w->nappt);
        a->patient = -1;
        w->nappt++;
    }
    return 0;
}

int world_run_case(const cJSON *clinic, const cJSON *kase, struct world_report *rep)
{
    memset(rep, 0, sizeof *rep);
    struct world *w = calloc(1, sizeof *w);
    if (!w) {
        rep->verdict = WORLD_FAIL;
        snprintf(rep->why, sizeof rep->why, "out of memory");
        return rep->verdict;
    }
    w->rep = rep;
    w->clinic = clinic;
    const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(clinic, "id"));
    const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "clinic"));
    if (convo_knowledge_from_json(clinic, &w->k) || nlu_catalog_from_json(clinic, &w->cat)) {
        fail(w, "the clinic does not load");
        goto out;
    }
    if (eval_money_from_clinic(clinic, &w->money)) {
        fail(w, "the clinic's amounts do not load");
        goto out;
    }
    if (cid && kid && strcmp(cid, kid)) {
        rep->verdict = WORLD_SKIP;
        snprintf(rep->why, sizeof rep->why, "clinic %s, not %s", kid, cid);
        goto out;
    }
    w->now = parse_local(w, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "now")));
    int m;
    to_local(w, w->now, &w->today0, &m);
    if (w->now < 0 || load_calendar(w)) {
        fail(w, "bad now or calendar");
        goto out;
    }
    const cJSON *pats = cJSON_GetObjectItemCaseSensitive(kase, "patients"), *it;
    cJSON_ArrayForEach(it, pats)
    {
        if (w->npat >= W_PATIENTS)
            break;
        struct w_patient *p = &w->pat[w->npat++];
        snprintf(p->id, sizeof p->id, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
        const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "channel"));
        snprintf(p->channel, sizeof p->channel, "%s", ch ? ch : "sms");
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "phone"));
        snprintf(p->phone, sizeof p->phone, "%s", ph ? ph : "");
        convo_state_init(&p->st);
        p->link_cents = -1;
        p->optout_at = -1;
        p->first_ms = -1;
    }
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(kase, "script");
    cJSON_ArrayForEach(it, steps)
    {
        int pi = patient_index(w, it);
        if (pi < 0) {
            fail(w, "a step for an unknown patient");
            break;
        }
        struct w_patient *p = &w->pat[pi];
        const cJSON *x;
        if ((x = cJSON_GetObjectItemCaseSensitive(it, "say"))) {
            say(w, pi, x->valuestring);
        } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "missed_call"))) {
            note(w, "%s: (missed call)\n", p->id);
            if (!p->opted_out) {
                struct convo_ev ev = { .kind = CONVO_EV_MISSED_CALL };
                deliver(w, pi, &ev, 0);
            }
        } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pay_deposit"))) {
            note(w, "%s: (pays the deposit)\n", p->id);
            if (p->link_cents <= 0) {
                fail(w, "%s: pay_deposit without a link", p->id);
                break;
            }
            p->paid = true;
            struct convo_ev ev = { .kind = CONVO_EV_PAYMENT, .amount_cents = p->link_cents };
            deliver(w, pi, &ev, 0);
        } else if ((x = cJSON_GetObjectItemCaseSensitive(it, "wait"))) {
            int64_t d = duration(x->valuestring);
            if (d < 0) {
                fail(w, "bad wait %s", x->valuestring);
                break;
            }
            note(w, "(wait %s)\n", x->valuestring);
            run_due(w, w->now + d);
        } else if ((x = cJSON_GetObjectItemCaseSensitive(it, "emr"))) {
            w->emr_down = !strcmp(cJSON_GetStringValue(x), "down");
            note(w, "(EMR %s)\n", cJSON_GetStringValue(x));
        } else if (cJSON_GetObjectItemCaseSensitive(it, "duplicate_webhooks")) {
            /* Deduplication happens before the engine (inbox). */
        } else {
            fail(w, "unknown step");
        }
        run_due(w, w->now);
        if (w->err[0])
            break;
    }
    if (!w->err[0]) {
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(kase, "expect");
        for (int i = 0; i < w->npat; i++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(exp, w->pat[i].id);
            if (e)
                check_patient(w, i, e);
        }
        check_overlaps(w);
    }
    rep->verdict = w->err[0] ? WORLD_FAIL : WORLD_PASS;
    snprintf(rep->why, sizeof rep->why, "%s", w->err);
out:
    if (w->err[0] && rep->verdict != WORLD_SKIP) {
        rep->verdict = WORLD_FAIL;
        snprintf(rep->why, sizeof rep->why, "%s", w->err);
    }
    for (int i = 0; i < w->npat; i++)
        for (int j = 0; j < w->pat[i].nreply; j++)
            free(w->pat[i].reply[j]);
    nlu_catalog_free(w->cat);
    free(w);
    return rep->verdict;
}
