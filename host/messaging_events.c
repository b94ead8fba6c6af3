/*
 * Processing of normalized channel events (messaging_events.h). Each job
 * runs in the transaction that completes it, so the contact, the message,
 * the ledger entries, the cancelled sends, the answers and whatever the
 * engine writes commit together, exactly once per inbox event.
 */
#include "messaging_events.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "consent.h"
#include "convo_hook.h"
#include "daemon.h"
#include "inbox.h"
#include "jobs.h"
#include "log.h"
#include "optout.h"
#include "outbound.h"
#include "redact.h"

#define BODY_MAX 4096

/* One event as the handlers read it; strings borrowed from the payload. */
struct ev {
    const char *tenant;
    const char *binding;
    const char *type;
    const char *id;
    const char *from;
    const char *to;
    const char *text;
    const char *status;
    const char *message_id;
    const char *channel;
    const char *consent_phone; /* events/1 "consent": web-form consent to texts */
    const char *consent_text;
    bool via_api;              /* provider MESSAGING_API_PROVIDER: handed over by an integrator */
    char error_code[32];
    int media_count;
    int64_t at_us;
    int attempt;
};

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void messaging_event_ordering_key(const char *type, const char *from, const char *message_id,
                                  char *key, size_t cap)
{
    if (type && strcmp(type, "status") == 0)
        snprintf(key, cap, "status:%.180s", message_id ? message_id : "");
    else
        snprintf(key, cap, "contact:%.180s", from ? from : "");
}

static bool is_e164(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const char *contact_channel(const struct ev *e)
{
    static const char *const ok[] = { "sms", "instagram", "webchat", "rbm" };
    for (size_t i = 0; e->channel && i < 4; i++)
        if (strcmp(e->channel, ok[i]) == 0)
            return ok[i];
    return "sms";
}

/* Where the contact's own words came from, for the consent ledger: an
 * integrator's hand-over is the web form the patient filled in. */
static enum consent_source words_source(const struct ev *e)
{
    if (e->via_api)
        return CONSENT_SRC_WEB_FORM;
    return strcmp(contact_channel(e), "sms") == 0 ? CONSENT_SRC_INBOUND_TEXT
                                                  : CONSENT_SRC_INBOUND_CHAT;
}

struct contact {
    int64_t id, conversation_id;
    char status[16];
};

static int upsert(struct db_conn *c, const char *tenant, const char *binding,
                  const char *channel, const char *address, const char *to, struct contact *out)
{
    DB_STMT(ins_contact,
            "INSERT INTO contacts (tenant_id, channel, address, phone, created_at)"
            " VALUES ($1, $2, $3, $4, $5::timestamptz)"
            " ON CONFLICT (tenant_id, channel, address) DO UPDATE SET address = EXCLUDED.address"
            " RETURNING id");
    DB_STMT(ins_conv,
            "INSERT INTO conversations (tenant_id, contact_id, binding, clinic_address,"
            " created_at, updated_at) VALUES ($1, $2::bigint, $3, $4, $5::timestamptz,"
            " $5::timestamptz)"
            " ON CONFLICT (tenant_id, contact_id) DO UPDATE SET binding = EXCLUDED.binding,"
            " clinic_address = COALESCE(EXCLUDED.clinic_address, conversations.clinic_address),"
            " updated_at = GREATEST(conversations.updated_at, EXCLUDED.updated_at)"
            " RETURNING id, status");
    char now[32], cid[24];
    clock_format_utc(clock_now_us(), now);
    const char *p1[] = { tenant, channel, address,
                         strcmp(channel, "sms") == 0 && is_e164(address) ? address : NULL, now };
    PGresult *r = db_exec(c, &ins_contact, 5, p1);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto fail;
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    snprintf(cid, sizeof cid, "%" PRId64, out->id);
    to = to && to[0] && strlen(to) <= 255 ? to : NULL;
    const char *p2[] = { tenant, cid, binding, to, now };
    r = db_exec(c, &ins_conv, 5, p2);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto fail;
    out->conversation_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
fail:
    PQclear(r);
    return -1;
}

/* Upserts the contact and its conversation. */
static int upsert_contact(struct db_conn *c, const struct ev *e, struct contact *out)
{
    return upsert(c, e->tenant, e->binding, contact_channel(e), e->from, e->to, out);
}

int messaging_contact_upsert(struct db_conn *c, const char *tenant, const char *binding,
                             const char *channel, const char *address, const char *to,
                             int64_t *contact_id, int64_t *conversation_id)
{
    struct ev e = { .channel = channel };
    struct contact k;
    if (upsert(c, tenant, binding, contact_channel(&e), address, to, &k) != 0)
        return -1;
    *contact_id = k.id;
    *conversation_id = k.conversation_id;
    return 0;
}

static const struct tenant_config *tenant_of(struct daemon *d, const char *id)
{
    return config_tenant(&d->cfg, id);
}

/* Writes an answer of ours (confirmation, help) through the outbox. */
static int answer(struct db_conn *c, const struct ev *e, const struct contact *k,
                  const char *kind, int64_t caused_by, const char *text)
{
    struct outbound_msg m = {
        .tenant_id = e->tenant,
        .conversation_id = k->conversation_id,
        .kind = kind,
        .text = text,
        .caused_by = caused_by,
    };
    return outbound_enqueue(c, &m, NULL);
}

static void event_log(const struct ev *e, enum log_level lvl, const char *what, const char *detail)
{
    struct log_ctx lc = { e->tenant, NULL };
    const char *fields[] = { "event_type", e->type ? e->type : "", "binding", e->binding,
                             "detail", detail ? detail : "", NULL };
    log_write(lvl, &lc, fields, "%s", what);
}

/* Opt-out, opt-in and HELP; returns 1 when the message was one of them. */
static int compliance(struct db_conn *c, struct daemon *d, const struct ev *e,
                      const struct contact *k, int64_t msg_id, const char *text, int *rc)
{
    bool opted_out = false;
    if (consent_is_opted_out(c, e->tenant, e->from, &opted_out) != 0) {
        *rc = -1;
        return 1;
    }
    enum optout_class cls = optout_classify(text, opted_out, NULL);
    if (cls == OPTOUT_NONE)
        return 0;
    const struct tenant_config *t = tenant_of(d, e->tenant);
    const char *name = t && t->name ? t->name : "This clinic";
    const char *phone = t && t->phone ? t->phone : "";
    char reply[480];
    struct consent_entry ce = {
        .tenant_id = e->tenant,
        .contact = e->from,
        .source = words_source(e),
        .scope = CONSENT_SCOPE_ALL,
        .channel = contact_channel(e),
        .message = text,
    };
    bool changed = false;
    if (cls == OPTOUT_OPT_OUT) {
        int n = 0;
        if (consent_opt_out(c, &ce, &changed, NULL) != 0 ||
            outbound_cancel_pending(c, e->tenant, k->id, "opted_out", &n) != 0) {
            *rc = -1;
            return 1;
        }
        char cancelled[16];
        snprintf(cancelled, sizeof cancelled, "%d", n);
        event_log(e, LOG_INFO, "contact opted out", cancelled);
        if (changed) {
            snprintf(reply, sizeof reply,
                     "%s: you are unsubscribed and will get no more messages from us. "
                     "Reply START to subscribe again.", name);
            *rc = answer(c, e, k, "optout_confirmation", msg_id, reply);
        }
    } else if (cls == OPTOUT_OPT_IN) {
        if (consent_opt_in(c, &ce, &changed, NULL) != 0) {
            *rc = -1;
            return 1;
        }
        event_log(e, LOG_INFO, "contact opted in", changed ? "changed" : "unchanged");
        if (changed) {
            snprintf(reply, sizeof reply,
                     "%s: you are subscribed again. Reply HELP for help, STOP to opt out.", name);
            *rc = answer(c, e, k, "reply", msg_id, reply);
        }
    } else {
        if (phone[0])
            snprintf(reply, sizeof reply,
                     "%s: for help call us at %s. Msg & data rates may apply. "
                     "Reply STOP to opt out.", name, phone);
        else
            snprintf(reply, sizeof reply,
                     "%s: for help reply here and our team will answer. Msg & data rates may "
                     "apply. Reply STOP to opt out.", name);
        *rc = answer(c, e, k, "help", msg_id, reply);
    }
    return 1;
}

/* The text as it may be stored: redacted, at most BODY_MAX bytes, cut at a
 * character boundary. malloc'd. */
static char *stored_text(const char *text)
{
    char *s = redact_message(text ? text : "");
    if (s && strlen(s) > BODY_MAX) {
        size_t n = BODY_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        s[n] = '\0';
    }
    return s;
}

/* A number left with the consent wording shown (web chat): express
 * consent to texts on that number, and the number on the contact. */
static int web_form_consent(struct db_conn *c, const struct ev *e, const struct contact *k)
{
    DB_STMT(set_phone, "UPDATE contacts SET phone = $3 WHERE tenant_id = $1 AND id = $2::bigint");
    if (!e->consent_phone || !is_e164(e->consent_phone) || !e->consent_text ||
        !e->consent_text[0])
        return 0;
    struct consent_entry wf = {
        .tenant_id = e->tenant,
        .contact = e->consent_phone,
        .source = CONSENT_SRC_WEB_FORM,
        .scope = CONSENT_SCOPE_CONVERSATIONAL,
        .basis = CONSENT_BASIS_EXPRESS,
        .channel = "sms",
        .consent_text = e->consent_text,
    };
    if (consent_record(c, &wf, NULL) != 0)
        return -1;
    char cid[24];
    snprintf(cid, sizeof cid, "%" PRId64, k->id);
    const char *p[] = { e->tenant, cid, e->consent_phone };
    PGresult *r = db_exec(c, &set_phone, 3, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

static int handle_message(struct db_conn *c, struct daemon *d, const struct ev *e)
{
    DB_STMT(ins,
            "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, binding,"
            " body, media_count, provider_id, status, created_at)"
            " VALUES ($1, $2::bigint, $3::bigint, 'in', 'message', $4, $5, $6::int, $7,"
            " 'received', $8::timestamptz)"
            " ON CONFLICT (tenant_id, binding, provider_id) WHERE provider_id IS NOT NULL"
            " DO NOTHING RETURNING id");
    struct contact k;
    char *text = stored_text(e->text);
    int rc = -1;
    if (!text || upsert_contact(c, e, &k) != 0)
        goto out;
    char conv[24], cid[24], media[8], now[32];
    snprintf(conv, sizeof conv, "%" PRId64, k.conversation_id);
    snprintf(cid, sizeof cid, "%" PRId64, k.id);
    snprintf(media, sizeof media, "%d", e->media_count);
    clock_format_utc(clock_now_us(), now);
    const char *pid = e->id && strlen(e->id) <= 128 ? e->id : NULL;
    const char *p[] = { e->tenant, conv, cid, e->binding, text, media, pid, now };
    PGresult *r = db_exec(c, &ins, 8, p);
    if (!db_ok(r)) {
        PQclear(r);
        goto out;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        rc = 0; /* the same provider message stored already */
        goto out;
    }
    int64_t msg_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    struct consent_entry ce = {
        .tenant_id = e->tenant,
        .contact = e->from,
        .source = words_source(e),
        .scope = CONSENT_SCOPE_CONVERSATIONAL,
        .basis = CONSENT_BASIS_IMPLIED_INQUIRY,
        .channel = contact_channel(e),
    };
    if (consent_record(c, &ce, NULL) != 0 || web_form_consent(c, e, &k) != 0)
        goto out;
    rc = 0;
    if (compliance(c, d, e, &k, msg_id, text, &rc))
        goto out;
    struct convo_event ev = {
        .type = CONVO_EVENT_MESSAGE,
        .tenant_id = e->tenant,
        .contact_id = k.id,
        .conversation_id = k.conversation_id,
        .message_id = msg_id,
        .binding = e->binding,
        .channel = contact_channel(e),
        .from = e->from,
        .to = e->to,
        .text = text,
        .media_count = e->media_count,
        .at_us = e->at_us,
    };
    rc = convo_hook_call(c, &ev);
    if (rc == 1) {
        event_log(e, LOG_DEBUG, "no conversation engine registered", NULL);
        rc = 0;
    }
out:
    free(text);
    return rc;
}

static int handle_call(struct db_conn *c, const struct ev *e, bool missed)
{
    DB_STMT(ins,
            "INSERT INTO calls (tenant_id, contact_id, binding, provider_id, outcome, at)"
            " VALUES ($1, $2::bigint, $3, $4, $5, $6::timestamptz)"
            " ON CONFLICT (tenant_id, binding, provider_id) DO NOTHING RETURNING id");
    struct contact k;
    if (!e->id || strlen(e->id) > 128 || upsert_contact(c, e, &k) != 0)
        return -1;
    char cid[24], now[32];
    snprintf(cid, sizeof cid, "%" PRId64, k.id);
    clock_format_utc(clock_now_us(), now);
    const char *p[] = { e->tenant, cid, e->binding, e->id, missed ? "missed" : "answered", now };
    PGresult *r = db_exec(c, &ins, 6, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    int64_t call_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    struct consent_entry ce = {
        .tenant_id = e->tenant,
        .contact = e->from,
        .source = CONSENT_SRC_INBOUND_CALL,
        .scope = CONSENT_SCOPE_CONVERSATIONAL,
        .basis = CONSENT_BASIS_IMPLIED_INQUIRY,
        .channel = "voice",
    };
    if (consent_record(c, &ce, NULL) != 0)
        return -1;
    if (!missed)
        return 0;
    struct convo_event ev = {
        .type = CONVO_EVENT_MISSED_CALL,
        .tenant_id = e->tenant,
        .contact_id = k.id,
        .conversation_id = k.conversation_id,
        .call_id = call_id,
        .binding = e->binding,
        .channel = contact_channel(e),
        .from = e->from,
        .to = e->to,
        .text = "",
        .at_us = e->at_us,
    };
    int rc = convo_hook_call(c, &ev);
    if (rc == 1) {
        event_log(e, LOG_DEBUG, "no conversation engine registered", NULL);
        rc = 0;
    }
    return rc;
}

/* Delivery statuses only move forward: a late or repeated "sent" never
 * replaces "delivered". */
static int status_rank(const char *s)
{
    if (!strcmp(s, "queued") || !strcmp(s, "held") || !strcmp(s, "accepted") ||
        !strcmp(s, "scheduled"))
        return 0;
    if (!strcmp(s, "sending") || !strcmp(s, "uncertain"))
        return 1;
    if (!strcmp(s, "sent"))
        return 2;
    if (!strcmp(s, "delivered") || !strcmp(s, "read") || !strcmp(s, "undelivered") ||
        !strcmp(s, "failed"))
        return 3;
    return -1;
}

static const char *status_column(const char *s)
{
    if (!strcmp(s, "read"))
        return "delivered";
    if (!strcmp(s, "accepted") || !strcmp(s, "scheduled"))
        return "queued";
    return s;
}

static int handle_status(struct db_conn *c, const struct ev *e, struct job_result *res)
{
    DB_STMT(sel,
            "SELECT m.id, m.status, m.contact_id, k.address, k.channel FROM messages m"
            " JOIN contacts k ON k.tenant_id = m.tenant_id AND k.id = m.contact_id"
            " WHERE m.tenant_id = $1 AND m.binding = $2 AND m.provider_id = $3"
            " AND m.direction = 'out' FOR UPDATE OF m");
    DB_STMT(upd,
            "UPDATE messages SET status = $3, error_code = COALESCE($4, error_code),"
            " status_at = $5::timestamptz WHERE tenant_id = $1 AND id = $2::bigint");
    if (!e->message_id || !e->status || status_rank(e->status) < 0) {
        event_log(e, LOG_WARN, "status event ignored", "no message id or unknown status");
        return 0;
    }
    const char *p[] = { e->tenant, e->binding, e->message_id };
    PGresult *r = db_exec(c, &sel, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        /* The send's result may not be committed yet: try again later,
         * then give up (nothing of ours to update). */
        if (e->attempt < MESSAGING_EVENT_MAX_ATTEMPTS) {
            snprintf(res->error, sizeof res->error, "status for an unknown message id");
            return JOB_RETRY;
        }
        event_log(e, LOG_WARN, "status for an unknown message id", NULL);
        return 0;
    }
    char id[24], contact_address[256], channel[16], current[16];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    snprintf(current, sizeof current, "%s", PQgetvalue(r, 0, 1));
    int64_t contact_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(contact_address, sizeof contact_address, "%s", PQgetvalue(r, 0, 3));
    snprintf(channel, sizeof channel, "%s", PQgetvalue(r, 0, 4));
    PQclear(r);
    int rc = 0;
    if (status_rank(e->status) > status_rank(current) && strcmp(current, "cancelled") != 0) {
        char now[32];
        clock_format_utc(clock_now_us(), now);
        const char *p2[] = { e->tenant, id, status_column(e->status),
                             e->error_code[0] ? e->error_code : NULL, now };
        r = db_exec(c, &upd, 5, p2);
        if (!db_ok(r))
            rc = -1;
        PQclear(r);
    }
    if (rc == 0 && strcmp(e->error_code, "21610") == 0) {
        event_log(e, LOG_INFO, "contact opted out by provider report", e->error_code);
        rc = outbound_provider_opt_out(c, e->tenant, contact_id, contact_address, channel,
                                       e->error_code);
    }
    return rc;
}

static int handle_provider_opt(struct db_conn *c, const struct ev *e, bool out)
{
    struct contact k;
    if (upsert_contact(c, e, &k) != 0)
        return -1;
    struct consent_entry ce = {
        .tenant_id = e->tenant,
        .contact = e->from,
        .source = CONSENT_SRC_PROVIDER,
        .scope = CONSENT_SCOPE_ALL,
        .channel = contact_channel(e),
        .message = e->text,
    };
    if (!out)
        return consent_opt_in(c, &ce, NULL, NULL) == 0 ? 0 : -1;
    if (consent_opt_out(c, &ce, NULL, NULL) != 0)
        return -1;
    return outbound_cancel_pending(c, e->tenant, k.id, "opted_out", NULL) == 0 ? 0 : -1;
}

/* The event o of binding as struct ev (strings borrowed from o). */
static void ev_from(struct ev *e, const char *tenant, const char *binding, const cJSON *o, int attempt)
{
    *e = (struct ev){
        .tenant = tenant,
        .binding = binding,
        .type = str(o, "type"),
        .id = str(o, "id"),
        .from = str(o, "from"),
        .to = str(o, "to"),
        .text = str(o, "text"),
        .status = str(o, "status"),
        .message_id = str(o, "message_id"),
        .channel = str(o, "channel"),
        .attempt = attempt,
    };
    const cJSON *consent = cJSON_GetObjectItemCaseSensitive(o, "consent");
    if (cJSON_IsObject(consent)) {
        e->consent_phone = str(consent, "phone");
        e->consent_text = str(consent, "text");
    }
    const cJSON *media = cJSON_GetObjectItemCaseSensitive(o, "media");
    int n = cJSON_IsArray(media) ? cJSON_GetArraySize(media) : 0;
    e->media_count = n > 10 ? 10 : n;
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(o, "error_code");
    if (cJSON_IsString(ec))
        snprintf(e->error_code, sizeof e->error_code, "%s", ec->valuestring);
    else if (cJSON_IsNumber(ec))
        snprintf(e->error_code, sizeof e->error_code, "%d", ec->valueint);
    const char *at = str(o, "at");
    if (!at || clock_parse_rfc3339(at, &e->at_us) != 0)
        e->at_us = clock_now_us();
}

/* Status ranks in SQL, as status_rank() reads them. */
#define SQL_RANK(col)                                                                    \
    "CASE WHEN " col " IN ('queued','held','accepted','scheduled') THEN 0"                \
    " WHEN " col " IN ('sending','uncertain') THEN 1 WHEN " col " = 'sent' THEN 2"         \
    " WHEN " col " IN ('delivered','read','undelivered','failed') THEN 3 ELSE -1 END"

int messaging_status_quick(struct db_conn *c, const char *tenant, const char *binding,
                           const cJSON *event)
{
    DB_STMT(forward,
            "WITH m AS (SELECT id, status FROM messages WHERE tenant_id = $1 AND binding = $2"
            "  AND provider_id = $3 AND direction = 'out'),"
            " u AS (UPDATE messages SET status = $4, status_at = $5::timestamptz"
            "  WHERE tenant_id = $1 AND id = (SELECT id FROM m) AND status <> 'cancelled'"
            "  AND " SQL_RANK("status") " < " SQL_RANK("$6") " RETURNING 1)"
            " SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM u)");
    struct ev e;
    ev_from(&e, tenant, binding, event, 0);
    if (!e.type || strcmp(e.type, "status") != 0 || !e.message_id || !e.status ||
        status_rank(e.status) < 0 || e.error_code[0])
        return 0;
    char now[32];
    clock_format_utc(clock_now_us(), now);
    const char *p[] = { tenant, binding, e.message_id, status_column(e.status), now, e.status };
    PGresult *r = db_exec(c, &forward, 6, p);
    int rc = !db_ok(r) || PQntuples(r) != 1 ? -1 : strcmp(PQgetvalue(r, 0, 0), "1") == 0 ? 1 : 0;
    PQclear(r);
    /* "queued", "accepted" or "sent" for a message whose send has not
     * committed yet says nothing the send will not record from the
     * provider's own answer (accepted there is "sent" here): done. A final
     * status (delivered, failed...) takes the full path and waits. */
    if (rc == 0 && status_rank(e.status) <= 2)
        rc = 1;
    return rc;
}

#define STATUS_WAIT_US (2 * INT64_C(1000000))

int messaging_event_queue(struct db_conn *c, const char *tenant, const char *binding,
                          const char *provider, const char *endpoint, bool payment, cJSON *ev,
                          bool *is_new)
{
    *is_new = false;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "id");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    if (!cJSON_IsObject(ev) || !cJSON_IsString(id) || !cJSON_IsString(type) ||
        strlen(type->valuestring) > 40)
        return 1;
    if (inbox_redact_default(ev) != 0)
        return -1;
    char inbox_provider[100], kind[64];
    snprintf(inbox_provider, sizeof inbox_provider, "%s/%s", provider, endpoint);
    snprintf(kind, sizeof kind, "%s.%s", payment ? "payment" : "channel", type->valuestring);
    char *json = cJSON_PrintUnformatted(ev);
    struct inbox_event ie = {
        .tenant_id = tenant,
        .provider = inbox_provider,
        .provider_event_id = id->valuestring,
        .kind = kind,
        .event_json = json,
    };
    bool dup = false;
    int64_t inbox_id = 0;
    int irc = json ? inbox_record(c, &ie, &dup, &inbox_id) : INBOX_E_DB;
    free(json);
    if (irc == INBOX_E_INVALID)
        return 1;
    if (irc != 0)
        return -1;
    if (dup)
        return 0;
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "binding", binding);
    cJSON_AddStringToObject(payload, "provider", provider);
    cJSON_AddStringToObject(payload, "endpoint", endpoint);
    cJSON_AddNumberToObject(payload, "inbox_id", (double)inbox_id);
    cJSON_AddItemReferenceToObject(payload, "event", ev);
    char *ptext = cJSON_PrintUnformatted(payload);
    cJSON_Delete(payload);
    char key[JOBS_KEY_MAX + 1];
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(ev, "reference");
    if (payment)
        snprintf(key, sizeof key, "payment:%.180s",
                 cJSON_IsString(ref) ? ref->valuestring : id->valuestring);
    else
        messaging_event_ordering_key(type->valuestring, str(ev, "from"), str(ev, "message_id"),
                                     key, sizeof key);
    struct job_spec spec = {
        .tenant_id = tenant,
        .kind = payment ? MESSAGING_PAYMENT_EVENT_KIND : MESSAGING_EVENT_KIND,
        .payload = ptext,
        .ordering_key = key,
        .max_attempts = MESSAGING_EVENT_MAX_ATTEMPTS,
    };
    /* A plain status that got here names a message whose send has not
     * committed yet: it waits a moment for the send rather than being
     * tried at once and retried (ahead of the calls and messages behind
     * it). One with an error code (an opt-out) goes at once. */
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(ev, "error_code");
    if (!payment && strcmp(type->valuestring, "status") == 0 &&
        !(cJSON_IsString(code) && code->valuestring[0]) && !cJSON_IsNumber(code))
        spec.run_at_us = clock_now_us() + STATUS_WAIT_US;
    int rc = ptext && jobs_enqueue(c, &spec, NULL) >= 0 ? 0 : -1;
    free(ptext);
    *is_new = rc == 0;
    return rc;
}

static int event_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(p, "event");
    struct ev e;
    ev_from(&e, job->tenant_id, str(p, "binding"), o, job->attempt);
    const char *provider = str(p, "provider");
    e.via_api = provider && strcmp(provider, MESSAGING_API_PROVIDER) == 0;

    int rc;
    if (!e.binding || !e.type) {
        snprintf(res->error, sizeof res->error, "payload without binding or event type");
        rc = JOB_PARK;
    } else if (strcmp(e.type, "status") == 0) {
        rc = handle_status(c, &e, res);
    } else if (!e.from || !e.from[0] || strlen(e.from) > 255) {
        event_log(&e, LOG_WARN, "event without a sender ignored", NULL);
        rc = 0;
    } else if (strcmp(e.type, "message") == 0) {
        rc = handle_message(c, d, &e);
    } else if (strcmp(e.type, "call_missed") == 0 || strcmp(e.type, "call_ended") == 0) {
        rc = handle_call(c, &e, strcmp(e.type, "call_missed") == 0);
    } else if (strcmp(e.type, "opt_out") == 0 || strcmp(e.type, "opt_in") == 0) {
        rc = handle_provider_opt(c, &e, strcmp(e.type, "opt_out") == 0);
    } else {
        event_log(&e, LOG_WARN, "unknown event type ignored", NULL);
        rc = 0;
    }
    if (rc < 0 && rc != JOB_PARK && rc != JOB_RETRY)
        rc = JOB_RETRY;
    if (rc == JOB_RETRY && !res->error[0])
        snprintf(res->error, sizeof res->error, "event processing failed");
    cJSON_Delete(p);
    return rc;
}

int messaging_events_register(struct jobs *j, struct daemon *d)
{
    return jobs_register(j, MESSAGING_EVENT_KIND, event_job, d);
}
