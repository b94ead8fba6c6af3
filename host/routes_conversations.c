/*
 * Conversations an integrator drives, with the clinic's API key:
 *   POST /conversations/start {"phone", "message", "channel"? ("sms"),
 *        "consent_text"?, "idempotency_key"?}
 *        -> 202 {"conversation_id", "contact_id", "message_ref"}: a lead
 *        (the integrator's own web form, say) with the patient's own words
 *   POST /conversations/message {"conversation_id", "message", "idempotency_key"?}
 *        -> 202 {"conversation_id", "contact_id", "message_ref"}: the
 *        patient's next message
 * (GET /conversations/{id}/state, the context they make, is a transcript
 * read among the staff inbox's in routes_inbox.c.)
 * A message handed over here takes the inbound path of a text: it is
 * recorded in the inbox (redacted) and queued as the same channel.event job
 * a webhook queues, in the contact's order, so opt-out keywords, consent,
 * quiet hours, the engine and the outbox treat it as they treat a text. Its
 * provider is MESSAGING_API_PROVIDER: its consent entries have the web-form
 * source, and consent_text, when given, is recorded as express consent.
 * The message row appears when the job runs; message_ref is its
 * provider id. An Idempotency-Key header (or "idempotency_key") names the
 * message: a repeat queues nothing again. Another tenant's conversation is
 * 404.
 */
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/channel.h>
#include <bookwell-sdk/phone.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "json_util.h"
#include "messaging_events.h"
#include "plugin_registry.h"
#include "routes.h"

#define MESSAGE_MAX 4096
#define KEY_MAX 100
#define API_ENDPOINT "conversations"
#define CAPS_TIMEOUT_MS 2000

/* Where the lead's message goes: the contact and the event to queue. */
struct lead {
    const char *tenant;
    char binding[80];
    char channel[16];
    char address[256];
    char to[256];
    const char *text;
    const char *consent_text;
    char ref[8 + KEY_MAX]; /* "api:" and the key, or a random one */
    int64_t contact_id, conversation_id;
};

static const char *body_str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int64_t conv_id(const char *s)
{
    char *end = NULL;
    long long id = s ? strtoll(s, &end, 10) : 0;
    return end && !*end && id > 0 ? id : 0;
}

/* Something a person wrote: 1 to MESSAGE_MAX bytes, not only blanks. */
static bool message_ok(const char *s)
{
    if (!s || strlen(s) > MESSAGE_MAX)
        return false;
    return s[strspn(s, " \t\r\n")] != '\0';
}

/* The message's reference from the request's key, else a random one.
 * Returns 0, or -1 for a malformed key. */
static int message_ref(const struct http_request *req, const cJSON *body, char *ref, size_t cap)
{
    const char *key = http_header(req, "Idempotency-Key");
    if (!key || !key[0])
        key = body_str(body, "idempotency_key");
    if (key) {
        size_t n = strlen(key);
        if (n == 0 || n > KEY_MAX || key[strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "abcdefghijklmnopqrstuvwxyz0123456789._:-")])
            return -1;
        snprintf(ref, cap, "api:%s", key);
        return 0;
    }
    unsigned char raw[12];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    int off = snprintf(ref, cap, "api:");
    for (size_t i = 0; i < sizeof raw; i++)
        off += snprintf(ref + off, cap - (size_t)off, "%02x", raw[i]);
    return 0;
}

/* The tenant's binding that texts: its first channel binding whose
 * instance reports BW_CHANNEL_CAP_SMS. Returns false when it has none. */
static bool sms_binding(struct daemon *d, const struct tenant_config *t, const char *request_id,
                        char *out, size_t cap)
{
    for (size_t i = 0; t && d->registry && i < t->n_bindings; i++) {
        const char *id = t->bindings[i].plugin;
        struct registry_handle h;
        if (strncmp(id, "channel.", 8) != 0 || registry_acquire(d->registry, t->id, id, &h) != 0)
            continue;
        const struct bw_channel_ops *ops = h.desc->ops;
        uint64_t caps = 0;
        struct bw_call call;
        registry_call_begin(&h, &call, request_id, CAPS_TIMEOUT_MS);
        int rc = h.desc->kind == BW_KIND_CHANNEL && ops->capabilities
                     ? ops->capabilities(h.instance, &call, &caps)
                     : BW_E_NOTSUP;
        registry_call_end(&h, &call);
        registry_release(&h);
        if (rc == 0 && (caps & BW_CHANNEL_CAP_SMS)) {
            snprintf(out, cap, "%s", id);
            return true;
        }
    }
    return false;
}

/* The event for l as a channel webhook would normalize it. */
static cJSON *lead_event(const struct lead *l)
{
    cJSON *ev = cJSON_CreateObject();
    char at[32];
    cJSON_AddStringToObject(ev, "type", "message");
    cJSON_AddStringToObject(ev, "id", l->ref);
    cJSON_AddStringToObject(ev, "from", l->address);
    if (l->to[0])
        cJSON_AddStringToObject(ev, "to", l->to);
    cJSON_AddStringToObject(ev, "text", l->text);
    cJSON_AddStringToObject(ev, "channel", l->channel);
    cJSON_AddStringToObject(ev, "at", clock_format_utc(clock_now_us(), at));
    if (l->consent_text && l->consent_text[0]) {
        cJSON *consent = cJSON_AddObjectToObject(ev, "consent");
        cJSON_AddStringToObject(consent, "phone", l->address);
        cJSON_AddStringToObject(consent, "text", l->consent_text);
    }
    return ev;
}

/* Queues l's message in a transaction of its own; with upsert, finds or
 * creates the contact and conversation first. Returns 0 or -1. */
static int queue_lead(struct db_conn *c, struct lead *l, bool upsert)
{
    if (db_begin(c) != 0)
        return -1;
    int rc = upsert ? messaging_contact_upsert(c, l->tenant, l->binding, l->channel, l->address,
                                               NULL, &l->contact_id, &l->conversation_id)
                    : 0;
    cJSON *ev = rc == 0 ? lead_event(l) : NULL;
    bool is_new = false;
    if (rc == 0 && (!ev || messaging_event_queue(c, l->tenant, l->binding, MESSAGING_API_PROVIDER,
                                                 API_ENDPOINT, false, ev, &is_new) != 0))
        rc = -1;
    cJSON_Delete(ev);
    if (rc == 0 && db_commit(c) == 0)
        return 0;
    db_rollback(c);
    return -1;
}

static void accepted(struct http_response *resp, const struct lead *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "conversation_id", (double)l->conversation_id);
    cJSON_AddNumberToObject(o, "contact_id", (double)l->contact_id);
    cJSON_AddStringToObject(o, "message_ref", l->ref);
    json_reply(resp, 202, o);
}

static void post_start(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const struct tenant_config *t = config_tenant(&d->cfg, req->tenant_id);
    struct lead l = { .tenant = req->tenant_id, .text = body_str(body, "message"),
                      .consent_text = body_str(body, "consent_text") };
    const char *phone = body_str(body, "phone"), *channel = body_str(body, "channel");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(body, "consent_text");
    char e164[BWSDK_E164_MAX];
    if (!phone || bwsdk_phone_e164(phone, t && t->country ? t->country : NULL, e164) != 0) {
        http_reply_error(req, resp, 400, "invalid_phone",
                         "'phone' must be a phone number the clinic can text, such as +14155551234");
    } else if (!message_ok(l.text)) {
        http_reply_error(req, resp, 400, "invalid_message", "'message' is 1 to 4096 bytes of text");
    } else if (channel && strcmp(channel, "sms") != 0) {
        http_reply_error(req, resp, 400, "invalid_channel", "'channel' must be \"sms\"");
    } else if (ct && (!cJSON_IsString(ct) || strlen(ct->valuestring) > MESSAGE_MAX)) {
        http_reply_error(req, resp, 400, "invalid_consent_text",
                         "'consent_text' is the wording the patient agreed to, at most 4096 bytes");
    } else if (message_ref(req, body, l.ref, sizeof l.ref) != 0) {
        http_reply_error(req, resp, 400, "invalid_idempotency_key",
                         "the idempotency key is 1 to 100 letters, digits, '.', '_', ':' or '-'");
    } else if (!sms_binding(d, t, req->request_id, l.binding, sizeof l.binding)) {
        http_reply_error(req, resp, 409, "no_channel", "the clinic has no SMS channel configured");
    } else {
        snprintf(l.channel, sizeof l.channel, "sms");
        snprintf(l.address, sizeof l.address, "%s", e164);
        struct db_conn *c = daemon_db(d);
        int rc = c ? queue_lead(c, &l, true) : -1;
        if (c)
            daemon_db_release(d, c);
        if (rc == 0)
            accepted(resp, &l);
        else
            http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    }
    cJSON_Delete(body);
}

/* The tenant's conversation id into l (contact, channel, binding, the
 * clinic's address): 0, 1 (not the tenant's, or erased) or -1. */
static int find_conversation(struct db_conn *c, struct lead *l, int64_t id)
{
    DB_STMT(sel,
            "SELECT c.contact_id, ct.channel, ct.address, c.binding, COALESCE(c.clinic_address, '')"
            " FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id"
            " AND ct.id = c.contact_id WHERE c.tenant_id = $1 AND c.id = $2::bigint"
            " AND ct.erased_at IS NULL");
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *p[] = { l->tenant, ids };
    PGresult *r = db_exec(c, &sel, 2, p);
    int rc = !db_ok(r) ? -1 : PQntuples(r) == 1 ? 0 : 1;
    if (rc == 0) {
        l->conversation_id = id;
        l->contact_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(l->channel, sizeof l->channel, "%s", PQgetvalue(r, 0, 1));
        snprintf(l->address, sizeof l->address, "%s", PQgetvalue(r, 0, 2));
        snprintf(l->binding, sizeof l->binding, "%s", PQgetvalue(r, 0, 3));
        snprintf(l->to, sizeof l->to, "%s", PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return rc;
}

static void post_message(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    struct lead l = { .tenant = req->tenant_id, .text = body_str(body, "message") };
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(body, "conversation_id");
    int64_t id = cJSON_IsNumber(idv) && idv->valuedouble >= 1 && idv->valuedouble < 9e15
                     ? (int64_t)idv->valuedouble
                     : conv_id(cJSON_GetStringValue(idv));
    if (!id) {
        http_reply_error(req, resp, 400, "invalid_conversation_id",
                         "'conversation_id' is the id /conversations/start answered");
    } else if (!message_ok(l.text)) {
        http_reply_error(req, resp, 400, "invalid_message", "'message' is 1 to 4096 bytes of text");
    } else if (message_ref(req, body, l.ref, sizeof l.ref) != 0) {
        http_reply_error(req, resp, 400, "invalid_idempotency_key",
                         "the idempotency key is 1 to 100 letters, digits, '.', '_', ':' or '-'");
    } else {
        struct db_conn *c = daemon_db(d);
        int rc = !c ? -1 : find_conversation(c, &l, id);
        if (rc == 0)
            rc = queue_lead(c, &l, false);
        if (c)
            daemon_db_release(d, c);
        if (rc == 0)
            accepted(resp, &l);
        else if (rc > 0)
            http_reply_error(req, resp, 404, "unknown_conversation", "no such conversation");
        else
            http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    }
    cJSON_Delete(body);
}

int routes_conversations_register(struct daemon *d)
{
    return daemon_add_route(d, false, "POST", "/conversations/start", post_start, HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/conversations/message", post_message,
                            HTTP_AUTH_TENANT);
}
