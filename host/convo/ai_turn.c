/*
 * ai_turn.h: the prompt, the tools and the reading of a model's answer.
 * The system prompt holds only what the tenant publishes (services and
 * prices, providers, hours, policies, deposit rules) and the state's ids and
 * times; the patient's words come only as the redacted history.
 */
#include "convo/ai_turn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replies.h"
#include "tz.h"

static const char *const verdict_names[AI_TOOL_VERDICT_COUNT] = {
    [AI_TOOL_NONE] = "none",
    [AI_TOOL_APPLIED] = "applied",
    [AI_TOOL_UNKNOWN] = "unknown_tool",
    [AI_TOOL_MALFORMED] = "malformed",
    [AI_TOOL_UNKNOWN_ID] = "unknown_id",
    [AI_TOOL_UNOFFERED_SLOT] = "unoffered_slot",
    [AI_TOOL_OUT_OF_PLACE] = "out_of_place",
};

const char *ai_tool_verdict_name(enum ai_tool_verdict v)
{
    return (unsigned)v < AI_TOOL_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

/* The tools, in request/1's shape. */
static const char tools_json[] =
    "[{\"name\":\"find_slots\",\"description\":\"Find free times for a service; the host offers them "
    "to the patient and lists them as slot ids in the next turn.\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{\"service_id\":{\"type\":\"string\"},\"provider_id\":{\"type\":\"string\"},"
    "\"date\":{\"type\":\"string\",\"description\":\"YYYY-MM-DD\"},\"part_of_day\":{\"type\":\"string\","
    "\"enum\":[\"morning\",\"afternoon\",\"evening\"]}},\"required\":[\"service_id\"]}},"
    "{\"name\":\"hold_slot\",\"description\":\"Hold one of the offered slots for the patient.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"slot_id\":{\"type\":\"string\"},"
    "\"start\":{\"type\":\"string\",\"description\":\"the slot's local start, YYYY-MM-DDTHH:MM\"}},"
    "\"required\":[\"slot_id\"]}},"
    "{\"name\":\"request_deposit\",\"description\":\"Send (again) the deposit link of the held slot.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
    "{\"name\":\"lookup_appointment\",\"description\":\"Look up the patient's upcoming appointments.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
    "{\"name\":\"reschedule\",\"description\":\"Move the patient's appointment.\",\"parameters\":{"
    "\"type\":\"object\",\"properties\":{\"appointment_id\":{\"type\":\"string\"},\"date\":{\"type\":"
    "\"string\",\"description\":\"YYYY-MM-DD\"}}}},"
    "{\"name\":\"cancel\",\"description\":\"Cancel the patient's appointment (the host asks them to "
    "confirm).\",\"parameters\":{\"type\":\"object\",\"properties\":{\"appointment_id\":{\"type\":"
    "\"string\"}}}},"
    "{\"name\":\"handoff\",\"description\":\"Hand the conversation to the clinic's staff.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"reason\":{\"type\":\"string\"}}}},"
    "{\"name\":\"answer_from_knowledge\",\"description\":\"Answer a question from the clinic's own "
    "facts.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"topic\":{\"type\":\"string\","
    "\"enum\":[\"price\",\"hours\",\"location\",\"policy\",\"service_info\"]},\"service_id\":"
    "{\"type\":\"string\"}},\"required\":[\"topic\"]}}]";

/* ------------------------------------------------------------------ text */

struct text {
    char *p;
    size_t n, cap;
    bool oom;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->p && t->n + (size_t)n < t->cap) {
            t->n += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->oom = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

static int local_of(const struct convo_knowledge *k, int64_t us, int32_t *day, int *min, struct tz_local *l)
{
    struct tz_local tmp;
    if (!l)
        l = &tmp;
    if (tz_to_local(k->zone, us, l) != 0)
        return -1;
    if (day)
        *day = nlu_days_from_civil(l->year, l->month, l->day);
    if (min)
        *min = l->hour * 60 + l->minute;
    return 0;
}

static void put_price(struct text *t, const struct kn_service *s)
{
    char m[32];
    replies_money(s->cents, m, sizeof m);
    static const char *const kinds[] = { "", " per unit", " per syringe", "" };
    put(t, "%s%s%s", s->price_kind == KN_PRICE_FROM ? "from " : "", m, kinds[s->price_kind & 3]);
}

static void put_visit(struct text *t, const struct convo_knowledge *k, const struct convo_visit *v)
{
    for (uint8_t i = 0; i < v->n; i++) {
        const struct convo_part *p = &v->part[i];
        char when[96] = "";
        replies_when(k, p->start_us, when, sizeof when);
        put(t, "%s%s at %s", i ? ", then " : "",
            p->service >= 0 && (size_t)p->service < k->nservices ? k->services[p->service].id : "?", when);
        if (p->provider >= 0 && (size_t)p->provider < k->nproviders)
            put(t, " with %s", k->providers[p->provider].id);
    }
}

static char *system_prompt(const struct convo_knowledge *k, const struct convo_state *st, int64_t now)
{
    static const char *const wdays[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                         "Saturday" };
    struct text t = { 0 };
    char today[96] = "";
    replies_when(k, now, today, sizeof today);
    put(&t,
        "You are the text-message assistant of %s, a clinic. Now it is %s (clinic time). "
        "Write short, warm, plain-text replies (at most 300 characters, no links, no emoji lists). "
        "Use the tools to find, hold, move or cancel appointments: never state a time, price or promise "
        "the facts below or a tool did not give. Never give medical advice: a provider answers medical "
        "questions. Ids below are what the tools take.\n",
        k->name, today);
    if (k->address[0])
        put(&t, "Address: %s\n", k->address);
    if (k->phone[0])
        put(&t, "Phone: %s\n", k->phone);
    put(&t, "Services (id: name, minutes, price):\n");
    for (size_t i = 0; i < k->nservices; i++) {
        const struct kn_service *s = &k->services[i];
        put(&t, "- %s: %s, %d min, ", s->id, s->name, s->dur_min);
        put_price(&t, s);
        put(&t, "%s%s\n", s->note[0] ? ". " : "", s->note);
    }
    put(&t, "Providers (id: name):\n");
    for (size_t i = 0; i < k->nproviders; i++)
        put(&t, "- %s: %s%s%s\n", k->providers[i].id, k->providers[i].name, k->providers[i].title[0] ? ", " : "",
            k->providers[i].title);
    put(&t, "Hours:");
    for (int wd = 0; wd < 7; wd++) {
        char a[16], b[16];
        if (k->open_min[wd] < 0) {
            put(&t, " %s closed;", wdays[wd]);
            continue;
        }
        replies_clock(k->open_min[wd], a, sizeof a);
        replies_clock(k->close_min[wd], b, sizeof b);
        put(&t, " %s %s-%s;", wdays[wd], a, b);
    }
    put(&t, "\n");
    for (size_t i = 0; i < k->nrules; i++) {
        char m[32];
        replies_money(k->rules[i].cents, m, sizeof m);
        put(&t, "Deposit rule: %s for %s%s\n", m, k->rules[i].services ? "some services" : "any service",
            k->rules[i].new_client == 1 ? " (new clients)" : k->rules[i].new_client == 0 ? " (existing clients)" : "");
    }
    if (k->cancellation[0])
        put(&t, "Cancellation policy: %s\n", k->cancellation);
    if (k->parking[0])
        put(&t, "Parking: %s\n", k->parking);
    if (k->numbing[0])
        put(&t, "Numbing: %s\n", k->numbing);
    put(&t, "Conversation: stage %s", convo_stage_name((enum convo_stage)st->stage));
    for (uint8_t i = 0; i < st->want.nservices; i++)
        if (st->want.services[i] >= 0 && (size_t)st->want.services[i] < k->nservices)
            put(&t, "%s%s", i ? ", " : "; wants ", k->services[st->want.services[i]].id);
    put(&t, "\n");
    for (uint8_t i = 0; i < st->noffers; i++) {
        put(&t, "Offered " AI_TURN_SLOT_PREFIX "%u: ", (unsigned)i + 1);
        put_visit(&t, k, &st->offers[i]);
        put(&t, "\n");
    }
    if (st->has_chosen) {
        put(&t, "Chosen: ");
        put_visit(&t, k, &st->chosen);
        put(&t, "\n");
    }
    if (st->appt_ref[0]) {
        struct convo_visit v = { .n = 1, .part = { st->appt } };
        put(&t, "Appointment being changed (id %s): ", st->appt_ref);
        put_visit(&t, k, &v);
        put(&t, "\n");
    }
    if (t.oom) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

cJSON *ai_turn_request(const struct convo_knowledge *k, const struct convo_state *st, int64_t now_us,
                       const struct ai_turn_msg *history, size_t n)
{
    char *sys = system_prompt(k, st, now_us);
    cJSON *rq = cJSON_CreateObject(), *msgs, *m, *tools = cJSON_Parse(tools_json);
    if (!sys || !rq || !tools || !(msgs = cJSON_AddArrayToObject(rq, "messages")) ||
        !cJSON_AddItemToObject(rq, "tools", tools))
        goto fail;
    tools = NULL;
    if (!(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(msgs, m) || !cJSON_AddStringToObject(m, "role", "system") ||
        !cJSON_AddStringToObject(m, "content", sys))
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (!(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(msgs, m) ||
            !cJSON_AddStringToObject(m, "role", history[i].from_patient ? "user" : "assistant") ||
            !cJSON_AddStringToObject(m, "content", history[i].text ? history[i].text : ""))
            goto fail;
    free(sys);
    return rq;
fail:
    free(sys);
    cJSON_Delete(tools);
    cJSON_Delete(rq);
    return NULL;
}

/* ------------------------------------------------------------------ answers */

size_t ai_turn_state_times(const struct convo_knowledge *k, const struct convo_state *st, int *out, size_t cap)
{
    size_t n = 0;
    int min;
    for (uint8_t i = 0; i < st->noffers; i++)
        for (uint8_t j = 0; j < st->offers[i].n && n < cap; j++)
            if (local_of(k, st->offers[i].part[j].start_us, NULL, &min, NULL) == 0)
                out[n++] = min;
    for (uint8_t j = 0; st->has_chosen && j < st->chosen.n && n < cap; j++)
        if (local_of(k, st->chosen.part[j].start_us, NULL, &min, NULL) == 0)
            out[n++] = min;
    if (st->appt_ref[0] && n < cap && local_of(k, st->appt.start_us, NULL, &min, NULL) == 0)
        out[n++] = min;
    return n;
}

static const char *arg_str(const cJSON *args, const char *key, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        *bad = true;
        return NULL;
    }
    return v->valuestring;
}

/* "YYYY-MM-DD" as a local day; NLU_DAY_NONE when malformed. */
static int32_t parse_day(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 2000 || m < 1 || m > 12 || d < 1 ||
        d > tz_days_in_month(y, m))
        return NLU_DAY_NONE;
    return nlu_days_from_civil(y, m, d);
}

/* The understanding kept from the patient's own words: name, email, flags,
 * and what safety needs (a medical question or an urgent symptom the
 * built-in understanding found is answered first, whatever the model says). */
static void reset_understanding(struct nlu_result *nr)
{
    struct nlu_result keep = *nr;
    memset(nr, 0, sizeof *nr);
    nr->score[NLU_INTENT_MEDICAL] = keep.score[NLU_INTENT_MEDICAL];
    nr->score[NLU_INTENT_URGENT] = keep.score[NLU_INTENT_URGENT];
    nr->person = keep.person;
    memcpy(nr->email, keep.email, sizeof nr->email);
    nr->flags = keep.flags & (NLU_F_NEW_CLIENT | NLU_F_RETURNING | NLU_F_QUESTION);
    nr->topics = keep.topics;
    nr->when.today = keep.when.today;
    nr->when.now_min = keep.when.now_min;
}

static void add_day(struct nlu_result *nr, int32_t day, uint8_t part, uint8_t role)
{
    struct nlu_when_item *it = &nr->when.item[nr->when.n++];
    memset(it, 0, sizeof *it);
    it->day_from = it->day_to = day;
    it->part = part;
    it->role = role;
}

static enum ai_tool_verdict tool_find_slots(const struct convo_knowledge *k, const cJSON *a, struct nlu_result *nr)
{
    bool bad = false;
    const char *svc = arg_str(a, "service_id", &bad), *prov = arg_str(a, "provider_id", &bad);
    const char *date = arg_str(a, "date", &bad), *part = arg_str(a, "part_of_day", &bad);
    if (bad || !svc)
        return AI_TOOL_MALFORMED;
    int si = convo_knowledge_service(k, svc), pi = prov ? convo_knowledge_provider(k, prov) : -1;
    if (si < 0 || (prov && (pi < 0 || !convo_knowledge_offers(k, pi, si))))
        return AI_TOOL_UNKNOWN_ID;
    int32_t day = date ? parse_day(date) : NLU_DAY_NONE;
    uint8_t pd = NLU_PART_NONE;
    if (part && !strcmp(part, "morning"))
        pd = NLU_PART_MORNING;
    else if (part && !strcmp(part, "afternoon"))
        pd = NLU_PART_AFTERNOON;
    else if (part && !strcmp(part, "evening"))
        pd = NLU_PART_EVENING;
    else if (part)
        return AI_TOOL_MALFORMED;
    if (date && day == NLU_DAY_NONE)
        return AI_TOOL_MALFORMED;
    if (date && day < nr->when.today)
        return AI_TOOL_OUT_OF_PLACE;
    reset_understanding(nr);
    nr->score[NLU_INTENT_BOOK] = 100;
    nr->nservices = 1;
    nr->services[0] = (struct nlu_hit){ .index = (uint16_t)si, .score = 100 };
    if (pi >= 0) {
        nr->nproviders = 1;
        nr->providers[0] = (struct nlu_hit){ .index = (uint16_t)pi, .score = 100 };
    }
    if (day != NLU_DAY_NONE || pd)
        add_day(nr, day, pd, NLU_ROLE_NONE);
    return AI_TOOL_APPLIED;
}

static enum ai_tool_verdict tool_hold_slot(const struct convo_knowledge *k, const struct convo_state *st,
                                           const cJSON *a, struct nlu_result *nr)
{
    bool bad = false;
    const char *id = arg_str(a, "slot_id", &bad), *start = arg_str(a, "start", &bad);
    if (bad || !id)
        return AI_TOOL_MALFORMED;
    size_t pl = strlen(AI_TURN_SLOT_PREFIX);
    char *end = NULL;
    long n = strncmp(id, AI_TURN_SLOT_PREFIX, pl) == 0 ? strtol(id + pl, &end, 10) : 0;
    if (!end || *end || n < 1 || n > st->noffers ||
        (st->stage != CONVO_ST_OFFERED && st->stage != CONVO_ST_MOVE_OFFERED))
        return AI_TOOL_UNOFFERED_SLOT;
    if (start) {
        struct tz_local l;
        char have[32];
        if (local_of(k, st->offers[n - 1].part[0].start_us, NULL, NULL, &l) != 0)
            return AI_TOOL_UNOFFERED_SLOT;
        snprintf(have, sizeof have, "%04d-%02d-%02dT%02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
        if (strncmp(start, have, strlen(have)) != 0)
            return AI_TOOL_UNOFFERED_SLOT;
    }
    reset_understanding(nr);
    nr->score[NLU_INTENT_PICK] = 100;
    nr->pick = (struct nlu_pick){ .kind = NLU_PICK_ORDINAL, .ordinal = (int8_t)n };
    return AI_TOOL_APPLIED;
}

static enum ai_tool_verdict tool_appointment(const struct convo_state *st, const cJSON *a, enum nlu_intent intent,
                                             struct nlu_result *nr)
{
    bool bad = false;
    const char *id = arg_str(a, "appointment_id", &bad), *date = arg_str(a, "date", &bad);
    if (bad)
        return AI_TOOL_MALFORMED;
    if (id && strcmp(id, st->appt_ref) != 0)
        return AI_TOOL_UNKNOWN_ID; /* the model only ever saw the one the conversation is about */
    int32_t day = date ? parse_day(date) : NLU_DAY_NONE;
    if (date && day == NLU_DAY_NONE)
        return AI_TOOL_MALFORMED;
    reset_understanding(nr);
    nr->score[intent] = 100;
    if (day != NLU_DAY_NONE)
        add_day(nr, day, NLU_PART_NONE, NLU_ROLE_TO);
    return AI_TOOL_APPLIED;
}

static enum ai_tool_verdict tool_knowledge(const struct convo_knowledge *k, const cJSON *a, struct nlu_result *nr)
{
    static const struct {
        const char *topic;
        enum nlu_intent intent;
    } topics[] = { { "price", NLU_INTENT_PRICE },       { "hours", NLU_INTENT_HOURS },
                   { "location", NLU_INTENT_LOCATION }, { "policy", NLU_INTENT_POLICY },
                   { "service_info", NLU_INTENT_SERVICE_INFO } };
    bool bad = false;
    const char *topic = arg_str(a, "topic", &bad), *svc = arg_str(a, "service_id", &bad);
    if (bad || !topic)
        return AI_TOOL_MALFORMED;
    int si = svc ? convo_knowledge_service(k, svc) : -1;
    if (svc && si < 0)
        return AI_TOOL_UNKNOWN_ID;
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        if (strcmp(topic, topics[i].topic) != 0)
            continue;
        struct nlu_when when = nr->when;
        reset_understanding(nr);
        nr->score[topics[i].intent] = 100;
        if (topics[i].intent == NLU_INTENT_HOURS)
            nr->when = when; /* "open on Sunday?": the day the patient named */
        if (si >= 0) {
            nr->nservices = 1;
            nr->services[0] = (struct nlu_hit){ .index = (uint16_t)si, .score = 100 };
        }
        return AI_TOOL_APPLIED;
    }
    return AI_TOOL_MALFORMED;
}

static enum ai_tool_verdict apply_call(const struct convo_knowledge *k, const struct convo_state *st,
                                       const char *name, const cJSON *args, struct nlu_result *nr)
{
    bool known = !strcmp(name, "find_slots") || !strcmp(name, "hold_slot") || !strcmp(name, "request_deposit") ||
                 !strcmp(name, "lookup_appointment") || !strcmp(name, "reschedule") || !strcmp(name, "cancel") ||
                 !strcmp(name, "handoff") || !strcmp(name, "answer_from_knowledge");
    if (!known)
        return AI_TOOL_UNKNOWN;
    if (!cJSON_IsObject(args))
        return AI_TOOL_MALFORMED;
    if (!strcmp(name, "find_slots"))
        return tool_find_slots(k, args, nr);
    if (!strcmp(name, "hold_slot"))
        return tool_hold_slot(k, st, args, nr);
    if (!strcmp(name, "reschedule"))
        return tool_appointment(st, args, NLU_INTENT_RESCHEDULE, nr);
    if (!strcmp(name, "cancel"))
        return tool_appointment(st, args, NLU_INTENT_CANCEL, nr);
    if (!strcmp(name, "answer_from_knowledge"))
        return tool_knowledge(k, args, nr);
    if (!strcmp(name, "request_deposit")) {
        if (st->stage != CONVO_ST_HELD)
            return AI_TOOL_OUT_OF_PLACE;
        reset_understanding(nr);
        nr->score[NLU_INTENT_PAYMENT] = 100;
        return AI_TOOL_APPLIED;
    }
    if (!strcmp(name, "handoff")) {
        reset_understanding(nr);
        nr->score[NLU_INTENT_HUMAN] = 100;
        return AI_TOOL_APPLIED;
    }
    /* lookup_appointment: the built-in understanding already finds the
     * client's appointments when the message is about one. */
    return AI_TOOL_APPLIED;
}

int ai_turn_read(const struct convo_knowledge *k, const struct convo_state *st, const cJSON *response,
                 struct nlu_result *nr, struct ai_turn_outcome *o)
{
    memset(o, 0, sizeof *o);
    if (!cJSON_IsObject(response))
        return CONVO_E_INVAL;
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(response, "usage");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(usage, "input_tokens");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(usage, "output_tokens");
    o->input_tokens = cJSON_IsNumber(in) && in->valuedouble > 0 ? (int64_t)in->valuedouble : 0;
    o->output_tokens = cJSON_IsNumber(out) && out->valuedouble > 0 ? (int64_t)out->valuedouble : 0;
    const char *content = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(response, "message"), "content"));
    if (content && content[0]) {
        snprintf(o->draft, sizeof o->draft, "%s", content);
        o->has_draft = true;
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(response, "tool_calls"), *c;
    if (calls && !cJSON_IsArray(calls))
        return CONVO_E_INVAL;
    struct nlu_result first = *nr;
    bool applied = false;
    cJSON_ArrayForEach(c, calls) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name"));
        if (!o->tool[0])
            snprintf(o->tool, sizeof o->tool, "%s", name ? name : "?");
        struct nlu_result scratch = *nr;
        enum ai_tool_verdict v = name ? apply_call(k, st, name, cJSON_GetObjectItemCaseSensitive(c, "arguments"),
                                                   applied ? &scratch : &first)
                                      : AI_TOOL_MALFORMED;
        if (v != AI_TOOL_APPLIED) {
            /* One bad call discredits the whole answer: wording included. */
            o->verdict = v;
            o->has_draft = false;
            o->draft[0] = 0;
            return 0;
        }
        applied = true;
    }
    o->verdict = applied ? AI_TOOL_APPLIED : AI_TOOL_NONE;
    if (applied)
        *nr = first;
    return 0;
}
