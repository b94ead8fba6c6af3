/*
 * The staff inbox's queries and actions (staff_inbox.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "convo_driver.h"
#include "log.h"
#include "outbound.h"
#include "staff_inbox.h"

#define ALERT_SUBJECT "'conversation:' || c.id || ':%'"

DB_STMT(st_inbox_list,
        "SELECT c.id, COALESCE(NULLIF(trim(COALESCE(ct.first_name, '') || ' ' || "
        "COALESCE(ct.last_name, '')), ''), ct.phone, ct.address), ct.channel, c.status, "
        "to_char(COALESCE(m.last_at, c.created_at) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), COALESCE(m.n, 0), "
        "c.created_at > to_timestamp($2::double precision / 1e6) - interval '24 hours', "
        "COALESCE((SELECT json_agg(a.text ORDER BY a.id) FROM staff_alerts a "
        "  WHERE a.tenant_id = c.tenant_id AND a.resolved_at IS NULL "
        "  AND a.subject LIKE " ALERT_SUBJECT "), '[]')::text "
        "FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id "
        "LEFT JOIN LATERAL (SELECT max(created_at) AS last_at, count(*) AS n FROM messages "
        "  WHERE tenant_id = c.tenant_id AND conversation_id = c.id) m ON true "
        "WHERE c.tenant_id = $1 AND ct.erased_at IS NULL "
        "ORDER BY COALESCE(m.last_at, c.created_at) DESC, c.id DESC LIMIT 200");
DB_STMT(st_inbox_conv,
        "SELECT c.id, COALESCE(NULLIF(trim(COALESCE(ct.first_name, '') || ' ' || "
        "COALESCE(ct.last_name, '')), ''), ct.phone, ct.address), ct.channel, c.status "
        "FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id "
        "WHERE c.tenant_id = $1 AND c.id = $2::bigint AND ct.erased_at IS NULL");
DB_STMT(st_inbox_msgs,
        "SELECT id, direction, kind, COALESCE(body, ''), status, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM messages WHERE tenant_id = $1 AND conversation_id = $2::bigint ORDER BY id");
DB_STMT(st_inbox_alerts,
        "SELECT a.id, a.kind, a.text, "
        "to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM staff_alerts a JOIN conversations c ON c.tenant_id = a.tenant_id AND c.id = $2::bigint "
        "WHERE a.tenant_id = $1 AND a.resolved_at IS NULL AND a.subject LIKE " ALERT_SUBJECT
        " ORDER BY a.id");
DB_STMT(st_inbox_exists,
        "SELECT ct.address FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id "
        "AND ct.id = c.contact_id WHERE c.tenant_id = $1 AND c.id = $2::bigint FOR UPDATE OF c");
DB_STMT(st_inbox_status,
        "UPDATE conversations SET status = $3 WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_inbox_resolve,
        "UPDATE staff_alerts a SET resolved_at = to_timestamp($3::double precision / 1e6) "
        "FROM conversations c WHERE c.tenant_id = a.tenant_id AND c.id = $2::bigint "
        "AND a.tenant_id = $1 AND a.resolved_at IS NULL AND a.subject LIKE " ALERT_SUBJECT);

cJSON *staff_inbox_list(struct db_conn *c, const char *tenant, int64_t now_us)
{
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { tenant, now };
    PGresult *r = db_exec(c, &st_inbox_list, 2, p);
    cJSON *out = db_ok(r) ? cJSON_CreateArray() : NULL;
    for (int i = 0; out && i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON *alerts = cJSON_Parse(PQgetvalue(r, i, 7));
        if (!o || !cJSON_IsArray(alerts)) {
            cJSON_Delete(o);
            cJSON_Delete(alerts);
            cJSON_Delete(out);
            out = NULL;
            break;
        }
        const char *status = PQgetvalue(r, i, 3);
        int n_alerts = cJSON_GetArraySize(alerts);
        const char *group = n_alerts > 0                     ? "needs_attention"
                            : strcmp(status, "handoff") == 0 ? "handed_off"
                            : PQgetvalue(r, i, 6)[0] == 't' ? "new"
                                                            : "open";
        cJSON_AddNumberToObject(o, "id", strtod(PQgetvalue(r, i, 0), NULL));
        cJSON_AddStringToObject(o, "contact", PQgetvalue(r, i, 1));
        cJSON_AddStringToObject(o, "channel", PQgetvalue(r, i, 2));
        cJSON_AddStringToObject(o, "status", status);
        cJSON_AddStringToObject(o, "group", group);
        cJSON_AddStringToObject(o, "last_at", PQgetvalue(r, i, 4));
        cJSON_AddNumberToObject(o, "messages", strtod(PQgetvalue(r, i, 5), NULL));
        cJSON_AddNumberToObject(o, "open_alerts", n_alerts);
        cJSON_AddItemToObject(o, "alerts", alerts);
        cJSON_AddItemToArray(out, o);
    }
    PQclear(r);
    return out;
}

/* The rows of r as objects named by names (all strings but "id"). */
static cJSON *rows(PGresult *r, const char *const *names, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            cJSON_Delete(a);
            return NULL;
        }
        for (int j = 0; j < n; j++) {
            if (strcmp(names[j], "id") == 0)
                cJSON_AddNumberToObject(o, "id", strtod(PQgetvalue(r, i, j), NULL));
            else
                cJSON_AddStringToObject(o, names[j], PQgetvalue(r, i, j));
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

int staff_inbox_head(struct db_conn *c, const char *tenant, int64_t conv_id, cJSON **out)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, conv_id);
    const char *p[] = { tenant, id };
    *out = NULL;
    PGresult *r = db_exec(c, &st_inbox_conv, 2, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        int rc = db_ok(r) ? STAFF_INBOX_NOTFOUND : -1;
        PQclear(r);
        return rc;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        PQclear(r);
        return -1;
    }
    cJSON_AddNumberToObject(o, "id", (double)conv_id);
    cJSON_AddStringToObject(o, "contact", PQgetvalue(r, 0, 1));
    cJSON_AddStringToObject(o, "channel", PQgetvalue(r, 0, 2));
    cJSON_AddStringToObject(o, "status", PQgetvalue(r, 0, 3));
    PQclear(r);
    *out = o;
    return 0;
}

int staff_inbox_get(struct db_conn *c, const char *tenant, int64_t conv_id, cJSON **out)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, conv_id);
    const char *p[] = { tenant, id };
    cJSON *o = NULL;
    int rc = staff_inbox_head(c, tenant, conv_id, &o);
    *out = NULL;
    if (rc != 0)
        return rc;
    static const char *const msg_names[] = { "id", "direction", "kind", "body", "status", "at" };
    static const char *const alert_names[] = { "id", "kind", "text", "at" };
    PGresult *r = db_exec(c, &st_inbox_msgs, 2, p);
    cJSON *msgs = db_ok(r) ? rows(r, msg_names, 6) : NULL;
    PQclear(r);
    r = db_exec(c, &st_inbox_alerts, 2, p);
    cJSON *alerts = db_ok(r) ? rows(r, alert_names, 4) : NULL;
    PQclear(r);
    if (!msgs || !alerts) {
        cJSON_Delete(msgs);
        cJSON_Delete(alerts);
        cJSON_Delete(o);
        return -1;
    }
    cJSON_AddItemToObject(o, "messages", msgs);
    cJSON_AddItemToObject(o, "alerts", alerts);
    *out = o;
    return 0;
}

/* Whether the tenant has conv_id, locking it: 0, STAFF_INBOX_NOTFOUND or
 * -1. address (may be NULL) gets the contact's address. */
static int lock_conversation(struct db_conn *tx, const char *tenant, const char *id,
                             char *address, size_t cap)
{
    const char *p[] = { tenant, id };
    PGresult *r = db_exec(tx, &st_inbox_exists, 2, p);
    int rc = !db_ok(r) ? -1 : PQntuples(r) == 1 ? 0 : STAFF_INBOX_NOTFOUND;
    if (rc == 0 && address)
        snprintf(address, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

static int exec_ok(struct db_conn *tx, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(tx, st, n, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

static int staff_turn(struct daemon *d, struct db_conn *tx, const char *tenant, int64_t conv_id,
                      bool take_over)
{
    char id[24], err[200], address[256];
    snprintf(id, sizeof id, "%" PRId64, conv_id);
    int rc = lock_conversation(tx, tenant, id, address, sizeof address);
    if (rc != 0)
        return rc;
    const char *staff_phone = booking_staff_phone(d, tenant);
    if (!take_over && staff_phone && staff_phone[0] && strcmp(address, staff_phone) == 0)
        return STAFF_INBOX_STAFF_NUMBER; /* the engine never answers the clinic's own staff */
    rc = convo_driver_staff(d, tx, tenant, conv_id, take_over, err, sizeof err);
    if (rc < 0) {
        const char *fields[] = { "tenant", tenant, "conversation", id, NULL };
        log_write(LOG_ERROR, NULL, fields, "staff %s failed: %s",
                  take_over ? "take over" : "hand back", err);
        return -1;
    }
    if (rc == 1) {
        /* No catalog, no engine state to keep: the status alone says who answers. */
        const char *p[] = { tenant, id, take_over ? "handoff" : "open" };
        return exec_ok(tx, &st_inbox_status, 3, p);
    }
    return 0;
}

int staff_inbox_take_over(struct daemon *d, struct db_conn *tx, const char *tenant,
                          int64_t conv_id)
{
    return staff_turn(d, tx, tenant, conv_id, true);
}

int staff_inbox_hand_back(struct daemon *d, struct db_conn *tx, const char *tenant,
                          int64_t conv_id, int64_t now_us)
{
    int rc = staff_turn(d, tx, tenant, conv_id, false);
    if (rc != 0)
        return rc;
    char id[24], now[24];
    snprintf(id, sizeof id, "%" PRId64, conv_id);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { tenant, id, now };
    return exec_ok(tx, &st_inbox_resolve, 3, p);
}

int staff_inbox_reply(struct db_conn *tx, const char *tenant, int64_t conv_id, const char *text,
                      int64_t *message_id)
{
    if (!text || !text[0] || strlen(text) > OUTBOUND_TEXT_MAX)
        return -2;
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, conv_id);
    int rc = lock_conversation(tx, tenant, id, NULL, 0);
    if (rc != 0)
        return rc;
    struct outbound_msg m = { .tenant_id = tenant, .conversation_id = conv_id, .kind = "staff",
                              .text = text };
    rc = outbound_enqueue(tx, &m, message_id);
    return rc == 0 ? 0 : rc == OUTBOUND_E_NOTFOUND ? STAFF_INBOX_NOTFOUND : -1;
}
