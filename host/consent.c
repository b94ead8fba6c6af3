/*
 * Consent ledger writes. An opt-out or opt-in makes sure the contact's state
 * row exists (INSERT ... ON CONFLICT DO NOTHING, which waits for a
 * concurrent first insert to commit), locks it (SELECT ... FOR UPDATE, so
 * two opt-outs of the same contact take turns and exactly one sees the
 * change), then appends the event and updates the state in one statement.
 * Text fields are cut at a UTF-8 boundary to CONSENT_TEXT_MAX and bad bytes
 * become '?', so a stored opt-out never fails on the message that caused it.
 */
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "redact.h"
#include "textfold.h"

static const char *const SOURCES[] = { NULL, "inbound_call", "inbound_text", "inbound_chat",
                                       "web_form", "staff_entry", "provider_report" };
static const char *const SCOPES[] = { NULL, "conversational", "marketing", "all" };
static const char *const BASES[] = { NULL, "express", "implied_inquiry", "implied_purchase" };

#define N(a) ((int)(sizeof a / sizeof a[0]))

const char *consent_source_name(int s) { return s > 0 && s < N(SOURCES) ? SOURCES[s] : NULL; }
const char *consent_scope_name(int s) { return s > 0 && s < N(SCOPES) ? SCOPES[s] : NULL; }
const char *consent_basis_name(int b) { return b > 0 && b < N(BASES) ? BASES[b] : NULL; }

static bool len_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max;
}

static bool channel_ok(const char *ch)
{
    if (!len_ok(ch, 32))
        return false;
    for (const char *p = ch; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return false;
    return true;
}

/* Valid UTF-8 (bad bytes as '?'), at most CONSENT_TEXT_MAX bytes, cut
 * between characters. malloc'd. */
static char *clean_text(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc((n < CONSENT_TEXT_MAX ? n : CONSENT_TEXT_MAX) + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; s[i];) {
        uint32_t cp;
        size_t len = textfold_next(s + i, &cp);
        bool bad = cp == 0xFFFD && len == 1;
        size_t put = bad ? 1 : len;
        if (o + put > CONSENT_TEXT_MAX)
            break;
        if (bad)
            out[o] = '?';
        else
            memcpy(out + o, s + i, len);
        o += put;
        i += len;
    }
    out[o] = '\0';
    return out;
}

static bool entry_ok(const struct consent_entry *e, bool consent)
{
    if (!e || !len_ok(e->tenant_id, 63) || !len_ok(e->contact, CONSENT_CONTACT_MAX) ||
        !consent_source_name(e->source) || !channel_ok(e->channel) ||
        (e->campaign && !len_ok(e->campaign, 128)))
        return false;
    if (consent)
        return consent_scope_name(e->scope) && (e->basis == 0 || consent_basis_name(e->basis));
    return true;
}

/* Joins the caller's transaction, or opens one; *own says which. */
static int tx_start(struct db_conn *c, bool *own)
{
    *own = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (*own && db_begin(c) != 0)
        return CONSENT_E_DB;
    return 0;
}

static int tx_end(struct db_conn *c, bool own, int rc)
{
    if (!own)
        return rc;
    if (rc == 0)
        return db_commit(c) == 0 ? 0 : CONSENT_E_DB;
    db_rollback(c);
    return rc;
}

DB_STMT(st_ensure_state,
        "INSERT INTO consent_state (tenant_id, contact) VALUES ($1, $2) "
        "ON CONFLICT (tenant_id, contact) DO NOTHING");
/* The contact's own state row and, when an earlier contact with the same
 * key was erased, the row under its hashed key (sql/0011): the opt-out of
 * either holds, and an opt-in clears both. */
DB_STMT(st_lock_state,
        "SELECT coalesce(bool_or(opted_out), false) FROM (SELECT opted_out FROM consent_state "
        "WHERE tenant_id = $1 AND contact IN ($2, consent_erased_key($1, $2)) FOR UPDATE) s");
DB_STMT(st_erased_state,
        "UPDATE consent_state SET opted_out = $3::boolean, "
        "changed_at = CASE WHEN opted_out = $3::boolean THEN changed_at ELSE $4::timestamptz END, "
        "last_event_id = $5::bigint WHERE tenant_id = $1 AND contact = consent_erased_key($1, $2)");
DB_STMT(st_insert_event,
        "INSERT INTO consent_events (tenant_id, contact, kind, source, scope, basis, channel, "
        "campaign, consent_text, message, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz) RETURNING id");
DB_STMT(st_event_and_state,
        "WITH ev AS (INSERT INTO consent_events (tenant_id, contact, kind, source, scope, basis, "
        "channel, campaign, consent_text, message, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz) RETURNING id, at) "
        "UPDATE consent_state s SET opted_out = $12::boolean, "
        "changed_at = CASE WHEN s.opted_out = $12::boolean THEN s.changed_at ELSE ev.at END, "
        "last_event_id = ev.id FROM ev WHERE s.tenant_id = $1 AND s.contact = $2 "
        "RETURNING ev.id");

/* Appends e as kind; for opt-outs and opt-ins (out_state "true"/"false")
 * also moves the state and reports whether it changed. */
static int append(struct db_conn *c, const struct consent_entry *e, const char *kind,
                  const char *out_state, bool *changed, int64_t *event_id)
{
    char *consent_text = NULL, *message = NULL, *redacted = NULL;
    PGresult *r = NULL;
    char when[32];
    bool own = false;
    int rc;

    if (changed)
        *changed = false;
    if (event_id)
        *event_id = 0;
    if (!entry_ok(e, out_state == NULL))
        return CONSENT_E_INVAL;
    if (e->consent_text && !(consent_text = clean_text(e->consent_text)))
        return CONSENT_E_NOMEM;
    if (e->message) {
        /* Redact first, then cut: a cut never splits a marker into words
         * that redaction would have caught. */
        if (!(redacted = redact_message(e->message)) || !(message = clean_text(redacted))) {
            rc = CONSENT_E_NOMEM;
            goto out;
        }
    }
    clock_format_utc(e->at_us ? e->at_us : clock_now_us(), when);
    const char *scope = out_state ? "all" : consent_scope_name(e->scope);
    const char *p[] = { e->tenant_id, e->contact, kind, consent_source_name(e->source), scope,
                        out_state ? NULL : consent_basis_name(e->basis), e->channel, e->campaign,
                        consent_text, message, when, out_state };

    if ((rc = tx_start(c, &own)) != 0)
        goto out;
    if (!out_state) {
        r = db_exec(c, &st_insert_event, 11, p);
    } else {
        r = db_exec(c, &st_ensure_state, 2, p);
        if (!db_ok(r)) {
            rc = CONSENT_E_DB;
            goto out;
        }
        PQclear(r);
        r = db_exec(c, &st_lock_state, 2, p);
        if (!db_ok(r) || PQntuples(r) != 1) {
            rc = CONSENT_E_DB;
            goto out;
        }
        bool was = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        if (changed)
            *changed = was != (strcmp(out_state, "true") == 0);
        PQclear(r);
        r = db_exec(c, &st_event_and_state, 12, p);
    }
    if (!db_ok(r) || PQntuples(r) != 1) {
        rc = CONSENT_E_DB;
        goto out;
    }
    if (event_id)
        *event_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    if (out_state) {
        char id[24];
        snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
        const char *pe[] = { e->tenant_id, e->contact, out_state, when, id };
        PQclear(r);
        r = db_exec(c, &st_erased_state, 5, pe);
        if (!db_ok(r)) {
            rc = CONSENT_E_DB;
            goto out;
        }
    }
    rc = 0;
out:
    PQclear(r);
    rc = tx_end(c, own, rc);
    if (rc != 0 && changed)
        *changed = false;
    free(consent_text);
    free(message);
    free(redacted);
    return rc;
}

int consent_record(struct db_conn *c, const struct consent_entry *e, int64_t *event_id)
{
    return append(c, e, "consent", NULL, NULL, event_id);
}

int consent_opt_out(struct db_conn *c, const struct consent_entry *e, bool *changed,
                    int64_t *event_id)
{
    return append(c, e, "opt_out", "true", changed, event_id);
}

int consent_opt_in(struct db_conn *c, const struct consent_entry *e, bool *changed,
                   int64_t *event_id)
{
    return append(c, e, "opt_in", "false", changed, event_id);
}

DB_STMT(st_is_opted_out,
        "SELECT coalesce(bool_or(opted_out), false) FROM consent_state "
        "WHERE tenant_id = $1 AND contact IN ($2, consent_erased_key($1, $2))");

int consent_is_opted_out(struct db_conn *c, const char *tenant_id, const char *contact,
                         bool *opted_out)
{
    *opted_out = false;
    if (!len_ok(tenant_id, 63) || !len_ok(contact, CONSENT_CONTACT_MAX))
        return CONSENT_E_INVAL;
    const char *p[] = { tenant_id, contact };
    PGresult *r = db_exec(c, &st_is_opted_out, 2, p);
    int rc = db_ok(r) ? 0 : CONSENT_E_DB;
    if (rc == 0 && PQntuples(r) == 1)
        *opted_out = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return rc;
}

DB_STMT(st_history,
        "SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'source', source, "
        "'scope', scope, 'basis', basis, 'channel', channel, 'campaign', campaign, "
        "'consent_text', consent_text, 'message', message, "
        "'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) ORDER BY id), "
        "'[]')::text FROM (SELECT * FROM consent_events WHERE tenant_id = $1 AND contact = $2 "
        "ORDER BY id DESC LIMIT $3::int) newest");

int consent_history_json(struct db_conn *c, const char *tenant_id, const char *contact, int limit,
                         char **json)
{
    char lim[16];
    *json = NULL;
    if (!len_ok(tenant_id, 63) || !len_ok(contact, CONSENT_CONTACT_MAX) || limit < 1 ||
        limit > 1000)
        return CONSENT_E_INVAL;
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = { tenant_id, contact, lim };
    PGresult *r = db_exec(c, &st_history, 3, p);
    int rc = CONSENT_E_DB;
    if (db_ok(r) && PQntuples(r) == 1) {
        *json = strdup(PQgetvalue(r, 0, 0));
        rc = *json ? 0 : CONSENT_E_NOMEM;
    }
    PQclear(r);
    return rc;
}
