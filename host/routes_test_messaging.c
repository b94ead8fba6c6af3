/*
 * Test-only admin routes of the messaging path, registered (from
 * routes_test.c) only with --test-clock, for integration tests and the
 * evaluation runner:
 *   GET  /admin/test/state?tenant=ID
 *        every contact of the tenant with its conversation status (handoff),
 *        opt-out flag, missed calls, messages in and out with their status,
 *        and its opt-outs and opt-ins, each with message_id: the last
 *        message before it (the STOP itself for an inbound opt-out). The
 *        evaluation runner reads it; holds and bookings join it later
 *   POST /admin/test/tenants/{tenant}/outbound
 *        {"contact": address, "kind": "proactive", "text": "..."} enqueues an
 *        outbound message through outbound_enqueue, as the engine would
 *   POST /admin/test/engine
 *        {"engine": "echo"} registers a stand-in conversation engine on the
 *        hook (a missed call gets a text-back, a message gets "echo: " and
 *        the text the engine received); {"engine": "none"} removes it
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "convo_hook.h"
#include "daemon.h"
#include "jobs.h"
#include "json_util.h"
#include "log.h"
#include "outbound.h"
#include "routes.h"

static void get_state(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    DB_STMT(sel,
            "SELECT k.id, k.channel, k.address, k.phone, v.id, v.status,"
            " COALESCE(o.opted_out, false),"
            " COALESCE((SELECT json_agg(json_build_object('id', m.id, 'direction', m.direction,"
            "   'kind', m.kind, 'text', m.body, 'status', m.status, 'error_code', m.error_code,"
            "   'provider_id', m.provider_id, 'caused_by', m.caused_by,"
            "   'created_at', m.created_at, 'sent_at', m.sent_at, 'not_before', m.not_before)"
            "   ORDER BY m.id) FROM messages m WHERE m.tenant_id = k.tenant_id"
            "   AND m.contact_id = k.id), '[]'::json)::text,"
            " (SELECT count(*) FROM calls c WHERE c.tenant_id = k.tenant_id AND c.contact_id = k.id"
            "   AND c.outcome = 'missed'),"
            " COALESCE((SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind,"
            "   'source', e.source, 'at', e.at, 'message_id',"
            "   (SELECT max(m.id) FROM messages m WHERE m.tenant_id = k.tenant_id"
            "    AND m.contact_id = k.id AND (m.created_at < e.at"
            "    OR (m.created_at = e.at AND m.direction = 'in')))) ORDER BY e.id)"
            "   FROM consent_events e WHERE e.tenant_id = k.tenant_id AND e.contact = k.address"
            "   AND e.kind IN ('opt_out', 'opt_in')), '[]'::json)::text,"
            " k.emr_patient_id,"
            " COALESCE((SELECT json_agg(json_build_object('id', h.id,"
            "   'status', CASE h.state WHEN 'booking' THEN 'booked' ELSE h.state END,"
            "   'deposit', (SELECT json_build_object('cents', dp.amount_minor, 'status', dp.status)"
            "     FROM deposits dp WHERE dp.tenant_id = h.tenant_id AND dp.hold_ref = 'hold-' || h.id"
            "     ORDER BY dp.id DESC LIMIT 1)) ORDER BY h.id)"
            "   FROM holds h WHERE h.tenant_id = k.tenant_id AND h.contact_id = k.id), '[]'::json)::text,"
            " COALESCE((SELECT json_agg(json_build_object('id', b.id, 'state', b.state,"
            "   'appointment_id', b.emr_appointment_id,"
            "   'deposit_due', dp.id IS NOT NULL,"
            "   'deposit_paid', dp.status IN ('paid', 'refunded'),"
            "   'written_before_payment', dp.id IS NOT NULL AND b.emr_appointment_id IS NOT NULL"
            "     AND (dp.paid_at IS NULL OR b.created_at < dp.paid_at)) ORDER BY b.id)"
            "   FROM holds h JOIN bookings b ON b.tenant_id = h.tenant_id AND b.hold_id = h.id"
            "   LEFT JOIN LATERAL (SELECT d2.id, d2.status, d2.paid_at FROM deposits d2"
            "     WHERE d2.tenant_id = h.tenant_id AND d2.hold_ref = 'hold-' || h.id"
            "     ORDER BY d2.id DESC LIMIT 1) dp ON true"
            "   WHERE h.tenant_id = k.tenant_id AND h.contact_id = k.id), '[]'::json)::text,"
            " (SELECT b.emr_patient_id FROM holds h JOIN bookings b ON b.tenant_id = h.tenant_id"
            "   AND b.hold_id = h.id WHERE h.tenant_id = k.tenant_id AND h.contact_id = k.id"
            "   AND b.client_created AND b.emr_patient_id IS NOT NULL ORDER BY b.id DESC LIMIT 1)"
            " FROM contacts k LEFT JOIN conversations v ON v.tenant_id = k.tenant_id"
            " AND v.contact_id = k.id"
            " LEFT JOIN consent_state o ON o.tenant_id = k.tenant_id AND o.contact = k.address"
            " WHERE k.tenant_id = $1 ORDER BY k.id");
    const char *tenant = http_query(req, "tenant");
    if (!tenant || !config_tenant_id_valid(tenant)) {
        http_reply_error(req, resp, 400, "invalid_tenant", "'tenant' must name a tenant");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "unavailable", "no database connection");
        return;
    }
    const char *p[] = { tenant };
    PGresult *r = db_exec(c, &sel, 1, p);
    daemon_db_release(d, c);
    if (!db_ok(r)) {
        PQclear(r);
        http_reply_error(req, resp, 500, "internal", "query failed");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant", tenant);
    cJSON *arr = cJSON_AddArrayToObject(o, "contacts");
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "id", (double)strtoll(PQgetvalue(r, i, 0), NULL, 10));
        cJSON_AddStringToObject(k, "channel", PQgetvalue(r, i, 1));
        cJSON_AddStringToObject(k, "address", PQgetvalue(r, i, 2));
        if (!PQgetisnull(r, i, 3))
            cJSON_AddStringToObject(k, "phone", PQgetvalue(r, i, 3));
        if (!PQgetisnull(r, i, 10))
            cJSON_AddStringToObject(k, "emr_patient_id", PQgetvalue(r, i, 10));
        if (!PQgetisnull(r, i, 4))
            cJSON_AddNumberToObject(k, "conversation_id",
                                    (double)strtoll(PQgetvalue(r, i, 4), NULL, 10));
        const char *status = PQgetisnull(r, i, 5) ? "open" : PQgetvalue(r, i, 5);
        cJSON_AddStringToObject(k, "status", status);
        cJSON_AddBoolToObject(k, "handoff", strcmp(status, "handoff") == 0);
        cJSON_AddBoolToObject(k, "opted_out", PQgetvalue(r, i, 6)[0] == 't');
        cJSON_AddNumberToObject(k, "missed_calls", (double)strtoll(PQgetvalue(r, i, 8), NULL, 10));
        cJSON *msgs = cJSON_Parse(PQgetvalue(r, i, 7));
        cJSON_AddItemToObject(k, "messages", msgs ? msgs : cJSON_CreateArray());
        cJSON *consent = cJSON_Parse(PQgetvalue(r, i, 9));
        cJSON_AddItemToObject(k, "consent", consent ? consent : cJSON_CreateArray());
        cJSON *holds = cJSON_Parse(PQgetvalue(r, i, 11));
        cJSON_AddItemToObject(k, "holds", holds ? holds : cJSON_CreateArray());
        cJSON *bookings = cJSON_Parse(PQgetvalue(r, i, 12));
        cJSON_AddItemToObject(k, "bookings", bookings ? bookings : cJSON_CreateArray());
        if (!PQgetisnull(r, i, 13))
            cJSON_AddStringToObject(k, "emr_patient_created", PQgetvalue(r, i, 13));
        cJSON_AddItemToArray(arr, k);
    }
    PQclear(r);
    json_reply(resp, 200, o);
}

static void post_outbound(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    DB_STMT(conv,
            "SELECT v.id FROM conversations v JOIN contacts k ON k.tenant_id = v.tenant_id"
            " AND k.id = v.contact_id WHERE v.tenant_id = $1 AND k.address = $2"
            " ORDER BY v.id LIMIT 1");
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *contact = cJSON_GetStringValue(cJSON_GetObjectItem(body, "contact"));
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(body, "kind"));
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(body, "text"));
    if (!contact || !kind || !text) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body", "'contact', 'kind' and 'text' are required");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 503, "unavailable", "no database connection");
        return;
    }
    const char *p[] = { req->params[0], contact };
    int64_t id = 0;
    int rc = -1;
    if (db_begin(c) == 0) {
        PGresult *r = db_exec(c, &conv, 2, p);
        if (db_ok(r) && PQntuples(r) == 1) {
            struct outbound_msg m = {
                .tenant_id = req->params[0],
                .conversation_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                .kind = kind,
                .text = text,
            };
            rc = outbound_enqueue(c, &m, &id);
        } else if (db_ok(r)) {
            rc = OUTBOUND_E_NOTFOUND;
        }
        PQclear(r);
        if (rc == 0 && db_commit(c) != 0)
            rc = OUTBOUND_E_DB;
        if (rc != 0)
            db_rollback(c);
    }
    daemon_db_release(d, c);
    cJSON_Delete(body);
    if (rc == OUTBOUND_E_INVAL || rc == OUTBOUND_E_NOTFOUND) {
        http_reply_error(req, resp, rc == OUTBOUND_E_INVAL ? 400 : 404, "invalid_message",
                         "unknown contact, kind or empty text");
        return;
    }
    if (rc != 0) {
        http_reply_error(req, resp, 500, "internal", "cannot enqueue the message");
        return;
    }
    jobs_wake(d->jobs);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "message_id", (double)id);
    json_reply(resp, 201, o);
}

/* The stand-in engine: one answer per event, in the event's transaction. */
static int echo_engine(struct db_conn *tx, const struct convo_event *ev, void *ctx)
{
    (void)ctx;
    char text[600];
    bool missed = ev->type == CONVO_EVENT_MISSED_CALL;
    if (missed)
        snprintf(text, sizeof text, "Sorry we missed your call! How can we help?");
    else
        snprintf(text, sizeof text, "echo: %.500s", ev->text);
    struct outbound_msg m = {
        .tenant_id = ev->tenant_id,
        .conversation_id = ev->conversation_id,
        .kind = missed ? "textback" : "reply",
        .text = text,
        .caused_by = missed ? ev->call_id : ev->message_id,
    };
    return outbound_enqueue(tx, &m, NULL) == 0 ? 0 : -1;
}

static void post_engine(struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *engine = cJSON_GetStringValue(cJSON_GetObjectItem(body, "engine"));
    bool echo = engine && strcmp(engine, "echo") == 0;
    if (!engine || (!echo && strcmp(engine, "none") != 0)) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body", "'engine' must be \"echo\" or \"none\"");
        return;
    }
    cJSON_Delete(body);
    convo_hook_set(echo ? echo_engine : NULL, NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "engine", echo ? "echo" : "none");
    json_reply(resp, 200, o);
}

int routes_test_messaging_register(struct daemon *d)
{
    return daemon_add_route(d, true, "GET", "/admin/test/state", get_state, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/test/tenants/{tenant}/outbound",
                            post_outbound, HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/test/engine", post_engine, HTTP_AUTH_ADMIN);
}
