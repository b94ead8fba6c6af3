/*
 * The conversation core's test world (see convo_world.h): a calendar and
 * client list from the clinic file, holds, links, timers and a simulated
 * clock; a driver loop around convo_decide(); and a case runner that checks
 * the evaluation corpus's expectations and rules 1, 2, 3, 6 and 7.
 */

#include "convo_world.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo/turn.h"
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
        if (knowledge_closed_day(k, day) || day > w->today0 + k->horizon_days)
            continue;
        int wd = nlu_weekday(day);
        for (int t = k->open_min[wd]; t + dur <= k->close_min[wd]; t += k->slot_step_min) {
            int64_t start = local_us(w, day, t);
            if (start < q->from_us || start >= q->to_us || start < w->now + k->min_notice_min * US_MIN)
                continue;
            for (size_t p = 0; p < k->nproviders; p++) {
                if (q->provider >= 0 && (int)p != q->provider)
                    continue;
                if (!knowledge_offers(k, (int)p, s) || !knowledge_works(k, (int)p, wd))
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

static void deliver(struct world *w, int pi, const struct convo_event *ev, int depth);

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
    case CONVO_ACT_SCHEDULE: add_timer(w, pi, a->at_us, a->timer); break;
    default: fail(w, "unexpected action %s", convo_action_name(a->kind)); break;
    }
    return 0;
}

static void deliver(struct world *w, int pi, const struct convo_event *ev, int depth)
{
    (void)depth;
    struct port_ctx pc = { w, pi };
    struct convo_ports ports = { &pc, port_client, port_availability, port_act };
    int rc = convo_turn(&w->k, &ports, &w->pat[pi].st, ev, w->now);
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
                struct convo_event ev = { .kind = CONVO_EV_HOLD_EXPIRED };
                deliver(w, t.patient, &ev, 0);
            }
        } else if (!p->opted_out) {
            struct convo_event ev = { .kind = CONVO_EV_TIMER, .timer = t.kind };
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
    struct convo_event ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    deliver(w, pi, &ev, 0);
}

/* ------------------------------------------------------------------ checks */

/* PCRE's \d, \s and \b as POSIX (GNU) extended syntax. */
static bool rx_match(struct world *w, const char *pcre, const char *text)
{
    char ere[512];
    size_t n = 0;
    for (const char *s = pcre; *s && n + 16 < sizeof ere; s++) {
        if (s[0] == '\\' && s[1] == 'd') {
            n += (size_t)snprintf(ere + n, sizeof ere - n, "[0-9]");
            s++;
        } else if (s[0] == '\\' && s[1] == 's') {
            n += (size_t)snprintf(ere + n, sizeof ere - n, "[[:space:]]");
            s++;
        } else {
            ere[n++] = *s;
        }
    }
    ere[n] = '\0';
    regex_t re;
    if (regcomp(&re, ere, REG_EXTENDED | REG_ICASE | REG_NOSUB)) {
        fail(w, "bad regex %s", pcre);
        return false;
    }
    bool m = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return m;
}

/* Adds every "$123" / "$1,234.50" amount of text to set. */
static size_t dollars(const char *text, int64_t *set, size_t n, size_t cap)
{
    for (const char *s = text; (s = strchr(s, '$')); s++) {
        const char *q = s + 1;
        if (!isdigit((unsigned char)*q))
            continue;
        int64_t v = 0;
        while (isdigit((unsigned char)*q) || (*q == ',' && isdigit((unsigned char)q[1])))
            if (*q++ != ',')
                v = v * 10 + (q[-1] - '0');
        v *= 100;
        if (*q == '.' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]))
            v += (q[1] - '0') * 10 + (q[2] - '0');
        if (n < cap)
            set[n++] = v;
    }
    return n;
}

static void check_rule2(struct world *w, const char *reply)
{
    int64_t seen[32];
    size_t ns = dollars(reply, seen, 0, 32);
    for (size_t i = 0; i < ns; i++) {
        bool ok = false;
        const struct convo_knowledge *k = &w->k;
        for (size_t s = 0; s < k->nservices && !ok; s++) {
            const struct kn_service *sv = &k->services[s];
            if (sv->cents == seen[i])
                ok = true;
            for (int u = 1; u <= 100 && !ok && sv->price_kind == KN_PRICE_PER_UNIT; u++)
                ok = sv->cents * u == seen[i];
            for (int u = 1; u <= 5 && !ok && sv->price_kind == KN_PRICE_PER_SYRINGE; u++)
                ok = sv->cents * u == seen[i];
            int64_t nv[16];
            size_t nn = dollars(sv->note, nv, 0, 16);
            for (size_t j = 0; j < nn && !ok; j++)
                ok = nv[j] == seen[i];
        }
        for (size_t r = 0; r < k->nrules && !ok; r++)
            ok = k->rules[r].cents == seen[i];
        const char *pol[] = { k->cancellation, k->parking, k->numbing };
        for (int j = 0; j < 3 && !ok; j++) {
            int64_t nv[16];
            size_t nn = dollars(pol[j], nv, 0, 16);
            for (size_t x = 0; x < nn && !ok; x++)
                ok = nv[x] == seen[i];
        }
        if (!ok)
            fail(w, "rule 2: a dollar amount not from the catalog in \"%s\"", reply);
    }
}

static const char *outcome(struct world *w, int pi)
{
    struct w_patient *p = &w->pat[pi];
    if (p->opted_out)
        return "opted_out";
    bool created = false, moved = false, cancelled = false;
    for (int i = 0; i < w->nappt; i++) {
        const struct w_appt *a = &w->appt[i];
        if (a->patient != pi)
            continue;
        created |= a->created && !a->cancelled;
        moved |= a->changed && !a->created && !a->cancelled;
        cancelled |= a->cancelled && a->changed;
    }
    if (created && (p->link_cents <= 0 || p->paid))
        return "booked";
    if (moved)
        return "rescheduled";
    if (cancelled)
        return "cancelled";
    if (p->handoff && p->st.stage == CONVO_ST_HANDOFF)
        return "handoff";
    bool active = false, lapsed = false;
    for (int i = 0; i < w->nhold; i++)
        if (w->hold[i].patient == pi) {
            active |= w->hold[i].active;
            lapsed |= !w->hold[i].active;
        }
    if (active && p->link_cents > 0 && !p->paid)
        return "held";
    if (lapsed && !active && !p->paid)
        return "expired";
    return "no_booking";
}

static bool appt_matches(struct world *w, const struct w_appt *a, const cJSON *exp)
{
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "service"));
    const char *prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "provider"));
    const char *start = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "start"));
    const cJSON *win = cJSON_GetObjectItemCaseSensitive(exp, "start_window");
    if (svc && strcmp(w->k.services[a->svc].id, svc))
        return false;
    if (prov && strcmp(w->k.providers[a->prov].id, prov))
        return false;
    char at[32];
    fmt_local(w, a->start, at, sizeof at);
    if (start && strncmp(at, start, strlen(start)))
        return false;
    if (cJSON_IsArray(win)) {
        const char *lo = cJSON_GetStringValue(cJSON_GetArrayItem(win, 0));
        const char *hi = cJSON_GetStringValue(cJSON_GetArrayItem(win, 1));
        if (!lo || !hi || strcmp(at, lo) < 0 || strcmp(at, hi) > 0)
            return false;
    }
    return true;
}

static void squash(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++)
        if (!isspace((unsigned char)*in))
            out[n++] = (char)tolower((unsigned char)*in);
    out[n] = '\0';
}

static void check_patient(struct world *w, int pi, const cJSON *exp)
{
    struct w_patient *p = &w->pat[pi];
    const char *want = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "outcome"));
    const char *got = outcome(w, pi);
    if (want && strcmp(want, got))
        fail(w, "%s: outcome %s, expected %s", p->id, got, want);

    const struct w_appt *mine[W_APPTS];
    int nm = 0;
    for (int i = 0; i < w->nappt; i++)
        if (w->appt[i].patient == pi && (w->appt[i].created || w->appt[i].changed) && !w->appt[i].cancelled)
            mine[nm++] = &w->appt[i];
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(exp, "appointment");
    if (ap) {
        bool any = false;
        for (int i = 0; i < nm && !any; i++)
            any = appt_matches(w, mine[i], ap);
        if (!any) {
            char at[32] = "none";
            if (nm)
                fmt_local(w, mine[0]->start, at, sizeof at);
            fail(w, "%s: no appointment matches (%d; first %s %s with %s)", p->id, nm,
                 nm ? w->k.services[mine[0]->svc].id : "", at, nm ? w->k.providers[mine[0]->prov].id : "");
        }
    }
    const cJSON *aps = cJSON_GetObjectItemCaseSensitive(exp, "appointments"), *it;
    if (aps) {
        bool used[W_APPTS] = { false };
        cJSON_ArrayForEach(it, aps)
        {
            bool any = false;
            for (int i = 0; i < nm && !any; i++)
                if (!used[i] && appt_matches(w, mine[i], it))
                    used[i] = any = true;
            if (!any)
                fail(w, "%s: an expected appointment of the visit is missing (%d made)", p->id, nm);
        }
    }
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(exp, "deposit_cents");
    if (cJSON_IsNumber(dep)) {
        int64_t last = p->link_cents < 0 ? 0 : p->link_cents;
        if (last != (int64_t)dep->valuedouble)
            fail(w, "%s: deposit %lld cents, expected %lld", p->id, (long long)last, (long long)dep->valuedouble);
    }
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(exp, "client_created");
    if (cJSON_IsFalse(cc) && p->client_created)
        fail(w, "%s: a client was created", p->id);
    if (cJSON_IsObject(cc)) {
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cc, "first_name"));
        const char *l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cc, "last_name"));
        if (!p->client_created || (f && strcmp(f, p->cfirst)) || (l && strcmp(l, p->clast)))
            fail(w, "%s: client created %d as \"%s %s\"", p->id, p->client_created, p->cfirst, p->clast);
    }
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(exp, "replies_include");
    cJSON_ArrayForEach(it, inc)
    {
        bool any = false;
        for (int i = 0; i < p->nreply && !any; i++)
            any = rx_match(w, it->valuestring, p->reply[i]);
        if (!any)
            fail(w, "%s: no reply matches /%s/", p->id, it->valuestring);
    }
    const cJSON *exc = cJSON_GetObjectItemCaseSensitive(exp, "replies_exclude");
    cJSON_ArrayForEach(it, exc)
    {
        for (int i = 0; i < p->nreply; i++)
            if (rx_match(w, it->valuestring, p->reply[i]))
                fail(w, "%s: a reply matches /%s/: %s", p->id, it->valuestring, p->reply[i]);
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(exp, "stored_exclude");
    if (st) {
        cJSON *sj = convo_state_to_json(&w->k, &p->st);
        char *text = sj ? cJSON_PrintUnformatted(sj) : NULL;
        cJSON_Delete(sj);
        if (!text) {
            fail(w, "state to JSON failed");
            return;
        }
        char hay[8192], needle[256];
        squash(text, hay, sizeof hay);
        free(text);
        cJSON_ArrayForEach(it, st)
        {
            squash(it->valuestring, needle, sizeof needle);
            if (strstr(hay, needle))
                fail(w, "%s: the stored state holds \"%s\"", p->id, it->valuestring);
            for (int i = 0; i < p->nreply; i++) {
                char r[1024];
                squash(p->reply[i], r, sizeof r);
                if (strstr(r, needle))
                    fail(w, "%s: a reply (stored in the outbox) holds \"%s\"", p->id, it->valuestring);
            }
        }
    }
    const cJSON *maxr = cJSON_GetObjectItemCaseSensitive(exp, "max_replies_after_optout");
    if (cJSON_IsNumber(maxr) && p->optout_at >= 0 && p->nreply - p->optout_at > (int)maxr->valuedouble)
        fail(w, "%s: %d replies after the opt-out", p->id, p->nreply - p->optout_at);
    for (int i = 0; i < p->nreply; i++)
        check_rule2(w, p->reply[i]);
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
        a->prov = knowledge_provider(&w->k, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "provider")));
        a->svc = knowledge_service(&w->k, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "service")));
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
    if (knowledge_from_json(clinic, &w->k) || nlu_catalog_from_json(clinic, &w->cat)) {
        fail(w, "the clinic does not load");
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
                struct convo_event ev = { .kind = CONVO_EV_MISSED_CALL };
                deliver(w, pi, &ev, 0);
            }
        } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pay_deposit"))) {
            note(w, "%s: (pays the deposit)\n", p->id);
            if (p->link_cents <= 0) {
                fail(w, "%s: pay_deposit without a link", p->id);
                break;
            }
            p->paid = true;
            struct convo_event ev = { .kind = CONVO_EV_PAYMENT, .amount_cents = p->link_cents };
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
