/*
 * The send gate's rules (send_gate.h): the tenant's policy parsed from its
 * messaging settings, the facts about a contact read in the send worker's
 * transaction, and the decision.
 */
#include "send_gate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "consent.h"

struct gate_rule {
    const char *name;
    send_gate_rule_fn fn;
    void *ctx;
};

static struct gate_rule rules[SEND_GATE_MAX_RULES];
static int n_rules;

int send_gate_add_rule(const char *name, send_gate_rule_fn fn, void *ctx)
{
    if (!fn)
        return SEND_GATE_E_INVAL;
    if (n_rules >= SEND_GATE_MAX_RULES)
        return SEND_GATE_E_FULL;
    rules[n_rules++] = (struct gate_rule){ name, fn, ctx };
    return 0;
}

void send_gate_clear_rules(void) { n_rules = 0; }

const char *send_gate_verdict_name(int verdict)
{
    switch (verdict) {
    case SEND_GATE_SEND: return "send";
    case SEND_GATE_HOLD: return "hold";
    case SEND_GATE_DROP: return "drop";
    }
    return "?";
}

/* "FL 08:00-20:00 3" (cap optional) into p. */
static int parse_rule(const char *s, size_t n, struct qh_policy *p, char *why, size_t whycap)
{
    char buf[64], region[3], from[6], to[6];
    int cap = 0;
    if (n >= sizeof buf) {
        snprintf(why, whycap, "state rule too long");
        return SEND_GATE_E_INVAL;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *a = buf;
    while (*a == ' ')
        a++;
    if (!*a)
        return 0;
    int start, end;
    char tail[8] = "";
    int got = sscanf(a, "%2s %5[0-9:]-%5[0-9:] %7s", region, from, to, tail);
    if (got < 3 || quiet_hours_parse_hhmm(from, &start) != 0 ||
        quiet_hours_parse_hhmm(to, &end) != 0) {
        snprintf(why, whycap, "state rule '%s' must read like 'FL 08:00-20:00 3'", a);
        return SEND_GATE_E_INVAL;
    }
    if (got == 4) {
        char *endp;
        long v = strtol(tail, &endp, 10);
        if (*endp || v < 0 || v > 1000) {
            snprintf(why, whycap, "state rule '%s': the cap must be 0 to 1000", a);
            return SEND_GATE_E_INVAL;
        }
        cap = (int)v;
    }
    if (quiet_hours_policy_add_state(p, region, start, end, cap) != 0) {
        snprintf(why, whycap, "state rule '%s' is invalid or repeated", a);
        return SEND_GATE_E_INVAL;
    }
    return 0;
}

int send_gate_policy_parse(const struct tenant_config *t, struct qh_policy *p, char *why,
                           size_t whycap)
{
    quiet_hours_policy_init(p);
    int start, end;
    if (!t->quiet_start || !t->quiet_end || quiet_hours_parse_hhmm(t->quiet_start, &start) != 0 ||
        quiet_hours_parse_hhmm(t->quiet_end, &end) != 0 || start >= end) {
        snprintf(why, whycap, "quiet_start and quiet_end must be HH:MM with start before end");
        return SEND_GATE_E_INVAL;
    }
    p->start_min = start;
    p->end_min = end;
    p->max_per_24h = (int)t->proactive_max_per_24h;
    const char *s = t->state_rules ? t->state_rules : "";
    while (*s) {
        const char *semi = strchr(s, ';');
        size_t n = semi ? (size_t)(semi - s) : strlen(s);
        if (parse_rule(s, n, p, why, whycap) != 0)
            return SEND_GATE_E_INVAL;
        s += n + (semi ? 1 : 0);
    }
    return 0;
}

static void fmt_time(int64_t us, char out[32]) { clock_format_utc(us, out); }

int send_gate_load(struct db_conn *c, struct send_gate_input *in)
{
    /* One round trip: the last inbound message or call, the recent
     * proactive sends (newest first, comma-separated), and the other live
     * text-backs of the period. */
    DB_STMT(facts,
            "SELECT (extract(epoch FROM GREATEST("
            "  (SELECT max(created_at) FROM messages WHERE tenant_id = $1 AND contact_id = $2::bigint"
            "   AND direction = 'in' AND created_at <= $3::timestamptz),"
            "  (SELECT max(at) FROM calls WHERE tenant_id = $1 AND contact_id = $2::bigint"
            "   AND at <= $3::timestamptz))) * 1000000)::bigint,"
            " (SELECT string_agg(t::text, ',' ORDER BY t DESC) FROM ("
            "   SELECT (extract(epoch FROM sent_at) * 1000000)::bigint AS t FROM messages"
            "   WHERE tenant_id = $1 AND contact_id = $2::bigint AND direction = 'out'"
            "   AND kind = 'proactive' AND sent_at > $4::timestamptz"
            "   AND status IN ('sending', 'sent', 'delivered', 'undelivered', 'uncertain')"
            "   ORDER BY sent_at DESC LIMIT 256) recent),"
            " (SELECT count(*) FROM messages WHERE tenant_id = $1 AND contact_id = $2::bigint"
            "  AND direction = 'out' AND kind = 'textback' AND id <> $5::bigint"
            "  AND created_at > $6::timestamptz AND status NOT IN ('cancelled', 'failed')"
            "  AND (status NOT IN ('queued', 'held') OR id < $5::bigint))");
    char contact[24], msg[24], now[32], since[32], tb_since[32];
    if (!in->tenant_id || !in->address)
        return SEND_GATE_E_INVAL;
    snprintf(contact, sizeof contact, "%" PRId64, in->contact_id);
    snprintf(msg, sizeof msg, "%" PRId64, in->message_id);
    fmt_time(in->now_us, now);
    fmt_time(in->now_us - QH_CAP_PERIOD_US, since);
    fmt_time(in->now_us - SEND_GATE_TEXTBACK_PERIOD_US, tb_since);

    if (consent_is_opted_out(c, in->tenant_id, in->address, &in->opted_out) != 0)
        return SEND_GATE_E_DB;
    const char *p[] = { in->tenant_id, contact, now, since, msg, tb_since };
    PGresult *r = db_exec(c, &facts, 6, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return SEND_GATE_E_DB;
    }
    in->last_inbound_us = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    in->n_recent = 0;
    for (const char *t = PQgetvalue(r, 0, 1); *t && in->n_recent < QH_MAX_RECENT;) {
        char *end;
        in->recent_proactive_us[in->n_recent++] = strtoll(t, &end, 10);
        t = *end == ',' ? end + 1 : end + strlen(end);
    }
    in->other_textbacks = (int)strtol(PQgetvalue(r, 0, 2), NULL, 10);
    PQclear(r);
    return 0;
}

static void verdict(struct send_gate_decision *d, int v, int64_t until, const char *reason)
{
    d->verdict = v;
    d->hold_until_us = until;
    snprintf(d->reason, sizeof d->reason, "%s", reason);
}

int send_gate_decide(const struct qh_policy *p, const struct send_gate_input *in,
                     struct send_gate_decision *out)
{
    memset(out, 0, sizeof *out);
    out->verdict = SEND_GATE_SEND;
    bool confirmation = strcmp(in->kind, "optout_confirmation") == 0;
    if (in->opted_out && !confirmation) {
        verdict(out, SEND_GATE_DROP, 0, "opted_out");
        return 0;
    }
    if (strcmp(in->kind, "textback") == 0 && in->other_textbacks > 0) {
        verdict(out, SEND_GATE_DROP, 0, "textback_limit");
        return 0;
    }
    /* The confirmation answers the contact's own STOP and is owed at once;
     * a staff alert goes to the clinic's own staff line, not to a patient. */
    bool staff_alert = strcmp(in->kind, "staff_alert") == 0;
    bool notice = strcmp(in->kind, "notice") == 0;
    out->proactive = !confirmation && !staff_alert &&
                     (strcmp(in->kind, "proactive") == 0 || notice ||
                      !quiet_hours_is_reply(in->now_us, in->last_inbound_us));
    if (!out->proactive)
        return 0;
    /* A notice about the contact's own booking waits for the window but is
     * no solicitation: the caps neither count nor stop it. */
    struct qh_recipient r = {
        .phone = in->phone,
        .clinic_zone = in->clinic_zone,
        .recent_sends_us = notice ? NULL : in->recent_proactive_us,
        .n_recent = notice ? 0 : in->n_recent,
    };
    int rc = quiet_hours_decide(p, &r, in->now_us, &out->qh);
    if (rc != 0)
        return rc;
    if (!out->qh.send_now)
        verdict(out, SEND_GATE_HOLD, out->qh.earliest_us,
                (out->qh.reasons & QH_REASON_WINDOW) ? "quiet_hours" : "frequency_cap");
    return 0;
}

int send_gate_run(struct db_conn *c, const struct qh_policy *p, struct send_gate_input *in,
                  struct send_gate_decision *out)
{
    int rc = send_gate_load(c, in);
    if (rc != 0)
        return rc;
    if ((rc = send_gate_decide(p, in, out)) != 0)
        return rc;
    for (int i = 0; i < n_rules && out->verdict != SEND_GATE_DROP; i++) {
        struct send_gate_decision before = *out;
        if ((rc = rules[i].fn(c, in, out, rules[i].ctx)) != 0)
            return rc;
        /* Stricter only: a rule cannot release what an earlier one held. */
        if (out->verdict < before.verdict ||
            (out->verdict == SEND_GATE_HOLD && before.verdict == SEND_GATE_HOLD &&
             out->hold_until_us < before.hold_until_us))
            *out = before;
    }
    return 0;
}
