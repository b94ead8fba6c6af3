/*
 * Compliance routes. Public, with the clinic's API key: a contact's consent
 * ledger and current opt-out state (GET /contacts/{id}/consent). Admin: the
 * erasure of a contact on request (POST /admin/tenants/{tenant}/contacts/
 * {contact}/erase), which `bookwell contact erase` calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "contact_erase.h"
#include "daemon.h"
#include "json_util.h"
#include "log.h"
#include "routes.h"

#define HISTORY_LIMIT "1000"

/* The contact, its ledger under the key it has now (its address, or the
 * hashed key once erased) and under the hashed key of an earlier erasure of
 * the same address, and the opt-out state over both: the same keys
 * consent_is_opted_out consults before a send. */
DB_STMT(st_consent,
        "WITH k AS (SELECT c.id, c.channel, c.erased_at, "
        "  array_remove(ARRAY[coalesce(c.erased_key, c.address), "
        "    CASE WHEN c.erased_at IS NULL THEN consent_erased_key(c.tenant_id, c.address) END], "
        "    NULL) AS keys FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2::bigint), "
        "ev AS (SELECT e.* FROM consent_events e, k WHERE e.tenant_id = $1 "
        "  AND e.contact = ANY (k.keys) ORDER BY e.id DESC LIMIT " HISTORY_LIMIT ") "
        "SELECT json_build_object('contact_id', k.id, 'channel', k.channel, "
        " 'erased', k.erased_at IS NOT NULL, "
        " 'opted_out', (SELECT coalesce(bool_or(s.opted_out), false) FROM consent_state s "
        "    WHERE s.tenant_id = $1 AND s.contact = ANY (k.keys)), "
        " 'state_changed_at', (SELECT to_char(max(s.changed_at) AT TIME ZONE 'UTC', "
        "    'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM consent_state s "
        "    WHERE s.tenant_id = $1 AND s.contact = ANY (k.keys)), "
        " 'events', (SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind, "
        "    'source', source, 'scope', scope, 'basis', basis, 'channel', channel, "
        "    'campaign', campaign, 'consent_text', consent_text, 'message', message, "
        "    'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) "
        "    ORDER BY id), '[]') FROM ev))::text FROM k");

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void get_consent(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *id = req->params[0];
    if (!id_ok(id)) {
        http_reply_error(req, resp, 404, "unknown_contact", "no contact with that id");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable; try again");
        return;
    }
    const char *p[] = { req->tenant_id, id };
    PGresult *r = db_exec(c, &st_consent, 2, p);
    if (!db_ok(r))
        http_reply_error(req, resp, 503, "unavailable", "could not read the ledger; try again");
    else if (PQntuples(r) != 1)
        http_reply_error(req, resp, 404, "unknown_contact", "no contact with that id");
    else
        http_reply_json(resp, 200, PQgetvalue(r, 0, 0));
    PQclear(r);
    daemon_db_release(d, c);
}

static void erase_contact(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0], *contact = req->params[1];
    if (!config_tenant(&d->cfg, tenant)) {
        http_reply_error(req, resp, 404, "unknown_tenant", "no tenant with that id");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable; try again");
        return;
    }
    struct erase_result er;
    int rc = contact_erase(c, tenant, contact, clock_now_us(), &er);
    daemon_db_release(d, c);
    if (rc == ERASE_E_NOTFOUND || rc == ERASE_E_INVAL) {
        http_reply_error(req, resp, 404, "unknown_contact",
                         "no contact of this tenant has that id, address or phone");
        return;
    }
    if (rc != 0) {
        http_reply_error(req, resp, 503, "unavailable", "could not erase the contact; try again");
        return;
    }
    char n[16];
    snprintf(n, sizeof n, "%d", er.contacts);
    struct log_ctx lc = { tenant, req->request_id };
    const char *fields[] = { "contacts", n, NULL };
    log_write(LOG_INFO, &lc, fields, "contact erased on request");

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant_id", tenant);
    cJSON *ids = cJSON_AddArrayToObject(o, "contact_ids");
    for (int i = 0; i < er.contacts + er.already && i < ERASE_MAX_CONTACTS; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)er.ids[i]));
    cJSON_AddNumberToObject(o, "erased", er.contacts);
    cJSON_AddNumberToObject(o, "already_erased", er.already);
    cJSON_AddNumberToObject(o, "message_bodies_removed", (double)er.messages);
    cJSON_AddNumberToObject(o, "messages_cancelled", (double)er.cancelled);
    cJSON_AddNumberToObject(o, "consent_events_rekeyed", (double)er.consent_events);
    cJSON_AddNumberToObject(o, "inbox_events_emptied", (double)er.inbox_events);
    json_reply(resp, 200, o);
}

int routes_compliance_register(struct daemon *d)
{
    if (daemon_add_route(d, false, "GET", "/contacts/{id}/consent", get_consent, HTTP_AUTH_TENANT) ||
        daemon_add_route(d, true, "POST", "/admin/tenants/{tenant}/contacts/{contact}/erase",
                         erase_contact, HTTP_AUTH_ADMIN))
        return -1;
    return 0;
}
