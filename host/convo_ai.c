/*
 * The model's part in a daemon turn (convo_ai.h): pins the tenant's "ai"
 * binding, refuses it for a US covered entity without a BAA, sends the
 * redacted history with the prompt and tools, reads the answer, and keeps
 * the per-tenant counters: requests, fallbacks, refused tool calls and
 * drafts, drafts sent, input and output tokens, and their cost in
 * micro-dollars (the instance's input_usd_per_mtok / output_usd_per_mtok).
 */
#include "convo_ai.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/ai.h>

#include "clock.h"
#include "config.h"
#include "consent.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "plugin_call.h"
#include "plugin_registry.h"
#include "quiet_hours.h"
#include "tz.h"

#define HISTORY_MAX 12
#define TURN_TIMEOUT_MAX_MS 30000

DB_STMT(st_history,
        "SELECT direction, body FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id <= $3 "
        "AND body IS NOT NULL AND body <> '' AND kind IN ('message', 'reply', 'textback', 'proactive', 'notice') "
        "ORDER BY id DESC LIMIT 12");

static void count(const char *name, const char *tenant, uint64_t n)
{
    metrics_counter_add(name, "tenant", tenant, n);
}

static void refused(const char *tenant, const char *what, const char *reason)
{
    count("bookwell_ai_refused_total", tenant, 1);
    metrics_counter_add("bookwell_ai_refused_by_reason_total", "reason", reason, 1);
    const char *fields[] = { "tenant", tenant, "what", what, "reason", reason, NULL };
    log_write(LOG_INFO, NULL, fields, "model output refused; the built-in reply stands");
}

static double config_price(const struct plugin_config *cfg, const char *key)
{
    const struct plugin_config_value *v = plugin_config_get(cfg, key);
    double p = v && v->text ? strtod(v->text, NULL) : 0;
    return p > 0 ? p : 0;
}

/* The conversation's redacted history, oldest first, into h[HISTORY_MAX]
 * (texts malloc'd: free with free_history). Returns how many. */
static size_t load_history(struct db_conn *tx, const char *tenant, int64_t conv_id, int64_t message_id,
                           const char *const *names, size_t nnames, struct ai_turn_msg *h)
{
    char cid[24], mid[24];
    snprintf(cid, sizeof cid, "%" PRId64, conv_id);
    snprintf(mid, sizeof mid, "%" PRId64, message_id > 0 ? message_id : INT64_MAX);
    const char *p[] = { tenant, cid, mid };
    PGresult *r = db_exec(tx, &st_history, 3, p);
    size_t n = 0;
    if (db_ok(r)) {
        int rows = PQntuples(r);
        for (int i = rows - 1; i >= 0 && n < HISTORY_MAX; i--) {
            char *text = ai_policy_redact(PQgetvalue(r, i, 1), names, nnames);
            if (!text)
                continue;
            h[n].from_patient = strcmp(PQgetvalue(r, i, 0), "in") == 0;
            h[n].text = text;
            n++;
        }
    }
    PQclear(r);
    return n;
}

static void free_history(struct ai_turn_msg *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)h[i].text);
}

static bool in_quiet_hours(const struct tenant_config *tc, const struct convo_knowledge *k, int64_t now)
{
    int start, end;
    struct tz_local l;
    if (!tc || quiet_hours_parse_hhmm(tc->quiet_start, &start) != 0 ||
        quiet_hours_parse_hhmm(tc->quiet_end, &end) != 0 || tz_to_local(k->zone, now, &l) != 0)
        return false;
    int m = l.hour * 60 + l.minute;
    return m < start || m >= end;
}

/* Runs complete on h's instance; *resp gets response/1. */
static int complete(const struct registry_handle *h, struct bw_call *call, const cJSON *rq, cJSON **resp)
{
    char *in = cJSON_PrintUnformatted(rq);
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    int rc = BW_E_NOMEM;
    *resp = NULL;
    if (in && out) {
        struct bw_json j = { .schema = BW_SCHEMA_AI_REQUEST, .data = (const uint8_t *)in, .len = strlen(in) };
        const struct bw_ai_ops *ops = h->desc->ops;
        rc = ops->complete(h->instance, call, &j, out, &err);
        if (rc == 0) {
            uint64_t len;
            const char *text = plugin_buf_data(out, &len);
            *resp = cJSON_ParseWithLength(text, (size_t)len);
            if (!*resp)
                rc = BW_E_REMOTE;
        }
    }
    cJSON_free(in);
    plugin_buf_free(out);
    return rc;
}

/* Pins the tenant's model and prepares call with the turn's deadline.
 * Returns 0, or -1 when the tenant has none or may not use it (h released). */
static int model_acquire(struct daemon *d, const char *tenant, struct registry_handle *h, struct bw_call *call)
{
    if (!d->registry || registry_acquire(d->registry, tenant, "ai", h) != 0)
        return -1;
    const struct tenant_config *tc = config_tenant(&d->cfg, tenant);
    registry_call_begin(h, call, NULL, TURN_TIMEOUT_MAX_MS);
    const struct plugin_config_value *baa = plugin_config_get(call->config, "baa");
    const struct plugin_config_value *timeout = plugin_config_get(call->config, "timeout");
    if (!ai_policy_endpoint_allowed(tc ? tc->country : "US", tc && tc->covered_entity, baa && baa->num)) {
        count("bookwell_ai_endpoint_refused_total", tenant, 1);
        const char *fields[] = { "tenant", tenant, NULL };
        log_write(LOG_WARN, NULL, fields,
                  "the model endpoint is refused: a US covered entity needs baa = true in its ai binding");
        registry_call_end(h, call);
        registry_release(h);
        return -1;
    }
    /* Room for one retry of a slow attempt, never past the cap. */
    int64_t turn_ms = timeout && timeout->num > 0 ? timeout->num * 2 + 1000 : TURN_TIMEOUT_MAX_MS;
    if (turn_ms > TURN_TIMEOUT_MAX_MS)
        turn_ms = TURN_TIMEOUT_MAX_MS;
    call->deadline_mono_ms = clock_mono_ms() + turn_ms;
    return 0;
}

static void model_release(struct registry_handle *h, struct bw_call *call)
{
    registry_call_end(h, call);
    registry_release(h);
}

/* Sends rq; *resp gets response/1 (NULL on failure). Counts the request,
 * a fallback on failure, and the tokens and their cost. */
static int model_ask(const struct registry_handle *h, struct bw_call *call, const char *tenant, const cJSON *rq,
                     cJSON **resp)
{
    count("bookwell_ai_requests_total", tenant, 1);
    int rc = complete(h, call, rq, resp);
    if (rc != 0) {
        count("bookwell_ai_fallbacks_total", tenant, 1);
        const char *fields[] = { "tenant", tenant, "rc", bw_strerror(rc), NULL };
        log_write(LOG_WARN, NULL, fields, "the model did not answer; the built-in understanding stands");
        return rc;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(*resp, "usage");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(usage, "input_tokens");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(usage, "output_tokens");
    uint64_t ni = cJSON_IsNumber(in) && in->valuedouble > 0 ? (uint64_t)in->valuedouble : 0;
    uint64_t no = cJSON_IsNumber(out) && out->valuedouble > 0 ? (uint64_t)out->valuedouble : 0;
    count("bookwell_ai_input_tokens_total", tenant, ni);
    count("bookwell_ai_output_tokens_total", tenant, no);
    double micro = (double)ni * config_price(call->config, "input_usd_per_mtok") +
                   (double)no * config_price(call->config, "output_usd_per_mtok");
    count("bookwell_ai_cost_microusd_total", tenant, (uint64_t)(micro + 0.5));
    return 0;
}

void convo_ai_understand(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                         int64_t message_id, const char *contact, const struct convo_knowledge *k,
                         const struct convo_state *st, int64_t now_us, struct nlu_result *nr,
                         struct convo_ai_turn *t)
{
    memset(t, 0, sizeof *t);
    t->d = d;
    t->tenant = tenant;
    t->k = k;
    t->extra_cents = st->deposit_cents >= 0 ? st->deposit_cents : -1;
    struct registry_handle h;
    struct bw_call call;
    if (model_acquire(d, tenant, &h, &call) != 0)
        return;
    snprintf(t->names[0], sizeof t->names[0], "%s", st->first);
    snprintf(t->names[1], sizeof t->names[1], "%s", st->last);
    snprintf(t->names[2], sizeof t->names[2], "%s", nr->person.first);
    snprintf(t->names[3], sizeof t->names[3], "%s", nr->person.last);
    const char *names[] = { t->names[0], t->names[1], t->names[2], t->names[3] };
    struct ai_turn_msg hist[HISTORY_MAX];
    size_t nh = load_history(tx, tenant, conv_id, message_id, names, 4, hist);
    cJSON *rq = nh ? ai_turn_request(k, st, now_us, hist, nh) : NULL;
    free_history(hist, nh);
    cJSON *resp = NULL;
    if (!rq || model_ask(&h, &call, tenant, rq, &resp) != 0)
        goto done;
    struct nlu_result before = *nr;
    if (ai_turn_read(k, st, resp, nr, &t->out) != 0) {
        *nr = before;
        count("bookwell_ai_fallbacks_total", tenant, 1);
        goto done;
    }
    if (t->out.verdict != AI_TOOL_NONE && t->out.verdict != AI_TOOL_APPLIED) {
        refused(tenant, t->out.tool[0] ? "tool_call" : "answer", ai_tool_verdict_name(t->out.verdict));
        goto done;
    }
    if (t->out.verdict == AI_TOOL_APPLIED) {
        count("bookwell_ai_tool_calls_total", tenant, 1);
        /* Kept for the wording round: the model words what the tools did. */
        t->rq = rq;
        t->calls = cJSON_DetachItemFromObjectCaseSensitive(resp, "tool_calls");
        rq = NULL;
    }
    t->used = true;
    t->ntimes = ai_turn_state_times(k, st, t->times, AI_POLICY_TIMES_MAX);
    bool out = false;
    if (contact && contact[0] && consent_is_opted_out(tx, tenant, contact, &out) == 0)
        t->opted_out = out;
    t->quiet = in_quiet_hours(config_tenant(&d->cfg, tenant), k, now_us);
done:
    cJSON_Delete(rq);
    cJSON_Delete(resp);
    model_release(&h, &call);
}

void convo_ai_turn_end(struct convo_ai_turn *t)
{
    cJSON_Delete(t->rq);
    cJSON_Delete(t->calls);
    t->rq = t->calls = NULL;
}

/* The wording round: the request again, the tool calls, and what they did
 * (the host's reply, redacted) as their result. *draft gets the model's
 * text. Returns 0 when there is one. */
static int word_result(struct convo_ai_turn *t, const char *host_reply, char *draft, size_t cap)
{
    const char *names[] = { t->names[0], t->names[1], t->names[2], t->names[3] };
    char *ref = ai_policy_redact(host_reply, names, 4);
    cJSON *rq = cJSON_Duplicate(t->rq, 1), *calls = cJSON_Duplicate(t->calls, 1), *m, *c, *resp = NULL;
    cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rq, "messages");
    int rc = -1;
    bool first = true;
    if (!ref || !rq || !calls || !(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(msgs, m) ||
        !cJSON_AddStringToObject(m, "role", "assistant") || !cJSON_AddStringToObject(m, "content", "") ||
        !cJSON_AddItemToObject(m, "tool_calls", calls)) {
        cJSON_Delete(calls);
        goto out;
    }
    cJSON_ArrayForEach(c, calls) {
        cJSON *res = cJSON_CreateObject(), *tm;
        char *text = NULL;
        bool ok = res && cJSON_AddTrueToObject(res, "done") &&
                  (!first || cJSON_AddStringToObject(res, "host_reply", ref)) &&
                  (text = cJSON_PrintUnformatted(res)) && (tm = cJSON_CreateObject()) &&
                  cJSON_AddItemToArray(msgs, tm) && cJSON_AddStringToObject(tm, "role", "tool") &&
                  cJSON_AddStringToObject(tm, "tool_call_id",
                                          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"))
                                              ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"))
                                              : "") &&
                  cJSON_AddStringToObject(tm, "content", text);
        cJSON_free(text);
        cJSON_Delete(res);
        if (!ok)
            goto out;
        first = false;
    }
    struct registry_handle h;
    struct bw_call call;
    if (model_acquire(t->d, t->tenant, &h, &call) != 0)
        goto out;
    if (model_ask(&h, &call, t->tenant, rq, &resp) == 0) {
        const char *content = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "message"), "content"));
        if (content && content[0]) {
            snprintf(draft, cap, "%s", content);
            rc = 0;
        }
    }
    model_release(&h, &call);
out:
    free(ref);
    cJSON_Delete(rq);
    cJSON_Delete(resp);
    return rc;
}

/* Checks draft against the turn; the draft or a->text. */
static const char *checked(struct convo_ai_turn *t, const struct convo_action *a, const char *draft,
                           const char *reference)
{
    struct ai_draft_ctx c = { .k = t->k, .extra_cents = t->extra_cents, .times_min = t->times, .ntimes = t->ntimes,
                              .max_len = CONVO_TEXT_MAX - 1, .reference = reference, .proactive = a->proactive,
                              .quiet = t->quiet, .opted_out = t->opted_out };
    enum ai_draft_verdict v = ai_policy_check_draft(&c, draft);
    if (v != AI_DRAFT_OK) {
        refused(t->tenant, "draft", ai_draft_verdict_name(v));
        return a->text;
    }
    count("bookwell_ai_drafts_sent_total", t->tenant, 1);
    return draft;
}

const char *convo_ai_reply_text(struct convo_ai_turn *t, const struct convo_action *a)
{
    if (!t->used || a->kind != CONVO_ACT_REPLY || a->textback || a->proactive || strstr(a->text, CONVO_LINK_MARK))
        return a->text;
    if (t->out.verdict == AI_TOOL_APPLIED) {
        if (t->worded || !t->rq)
            return a->text;
        t->worded = true; /* the turn's first reply: the one about what the tools did */
        if (word_result(t, a->text, t->out.draft, sizeof t->out.draft) != 0)
            return a->text;
        return checked(t, a, t->out.draft, a->text);
    }
    if (t->acted || !t->out.has_draft)
        return a->text;
    t->out.has_draft = false; /* one draft, for the turn's first reply */
    return checked(t, a, t->out.draft, NULL);
}
