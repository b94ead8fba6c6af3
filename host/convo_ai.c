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
        "AND body IS NOT NULL AND body <> '' AND kind IN ('message', 'reply', 'textback', 'proactive') "
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

void convo_ai_understand(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                         int64_t message_id, const char *contact, const struct convo_knowledge *k,
                         const struct convo_state *st, int64_t now_us, struct nlu_result *nr,
                         struct convo_ai_turn *t)
{
    memset(t, 0, sizeof *t);
    t->tenant = tenant;
    t->k = k;
    t->extra_cents = st->deposit_cents >= 0 ? st->deposit_cents : -1;
    struct registry_handle h;
    if (!d->registry || registry_acquire(d->registry, tenant, "ai", &h) != 0)
        return;
    const struct tenant_config *tc = config_tenant(&d->cfg, tenant);
    struct bw_call call;
    registry_call_begin(&h, &call, NULL, TURN_TIMEOUT_MAX_MS);
    const struct plugin_config_value *baa = plugin_config_get(call.config, "baa");
    const struct plugin_config_value *timeout = plugin_config_get(call.config, "timeout");
    if (!ai_policy_endpoint_allowed(tc ? tc->country : "US", tc && tc->covered_entity, baa && baa->num)) {
        count("bookwell_ai_endpoint_refused_total", tenant, 1);
        const char *fields[] = { "tenant", tenant, NULL };
        log_write(LOG_WARN, NULL, fields,
                  "the model endpoint is refused: a US covered entity needs baa = true in its ai binding");
        goto done;
    }
    /* Room for one retry of a slow attempt, never past the cap. */
    int64_t turn_ms = timeout && timeout->num > 0 ? timeout->num * 2 + 1000 : TURN_TIMEOUT_MAX_MS;
    if (turn_ms > TURN_TIMEOUT_MAX_MS)
        turn_ms = TURN_TIMEOUT_MAX_MS;
    call.deadline_mono_ms = clock_mono_ms() + turn_ms;

    const char *names[] = { st->first, st->last, nr->person.first, nr->person.last };
    struct ai_turn_msg hist[HISTORY_MAX];
    size_t nh = load_history(tx, tenant, conv_id, message_id, names, 4, hist);
    cJSON *rq = nh ? ai_turn_request(k, st, now_us, hist, nh) : NULL;
    free_history(hist, nh);
    if (!rq)
        goto done;
    count("bookwell_ai_requests_total", tenant, 1);
    cJSON *resp = NULL;
    int rc = complete(&h, &call, rq, &resp);
    cJSON_Delete(rq);
    struct nlu_result before = *nr;
    if (rc != 0 || ai_turn_read(k, st, resp, nr, &t->out) != 0) {
        *nr = before;
        count("bookwell_ai_fallbacks_total", tenant, 1);
        const char *fields[] = { "tenant", tenant, "rc", bw_strerror(rc ? rc : BW_E_REMOTE), NULL };
        log_write(LOG_WARN, NULL, fields, "the model did not answer usably; the built-in understanding stands");
        cJSON_Delete(resp);
        goto done;
    }
    cJSON_Delete(resp);
    count("bookwell_ai_input_tokens_total", tenant, (uint64_t)t->out.input_tokens);
    count("bookwell_ai_output_tokens_total", tenant, (uint64_t)t->out.output_tokens);
    double micro = (double)t->out.input_tokens * config_price(call.config, "input_usd_per_mtok") +
                   (double)t->out.output_tokens * config_price(call.config, "output_usd_per_mtok");
    count("bookwell_ai_cost_microusd_total", tenant, (uint64_t)(micro + 0.5));
    if (t->out.verdict != AI_TOOL_NONE && t->out.verdict != AI_TOOL_APPLIED) {
        refused(tenant, t->out.tool[0] ? "tool_call" : "answer", ai_tool_verdict_name(t->out.verdict));
        goto done;
    }
    if (t->out.verdict == AI_TOOL_APPLIED)
        count("bookwell_ai_tool_calls_total", tenant, 1);
    t->used = true;
    t->ntimes = ai_turn_state_times(k, st, t->times, AI_POLICY_TIMES_MAX);
    bool out = false;
    if (contact && contact[0] && consent_is_opted_out(tx, tenant, contact, &out) == 0)
        t->opted_out = out;
    t->quiet = in_quiet_hours(tc, k, now_us);
done:
    registry_call_end(&h, &call);
    registry_release(&h);
}

const char *convo_ai_reply_text(struct convo_ai_turn *t, const struct convo_action *a)
{
    if (!t->used || t->acted || !t->out.has_draft || t->out.verdict != AI_TOOL_NONE || a->kind != CONVO_ACT_REPLY ||
        a->textback || strstr(a->text, CONVO_LINK_MARK))
        return a->text;
    t->out.has_draft = false; /* one draft, for the turn's first reply */
    struct ai_draft_ctx c = { .k = t->k, .extra_cents = t->extra_cents, .times_min = t->times, .ntimes = t->ntimes,
                              .max_len = CONVO_TEXT_MAX - 1, .proactive = a->proactive, .quiet = t->quiet,
                              .opted_out = t->opted_out };
    enum ai_draft_verdict v = ai_policy_check_draft(&c, t->out.draft);
    if (v != AI_DRAFT_OK) {
        refused(t->tenant, "draft", ai_draft_verdict_name(v));
        return a->text;
    }
    count("bookwell_ai_drafts_sent_total", t->tenant, 1);
    return t->out.draft;
}
