/*
 * Staff alerts: the row, the log line and the text to the staff number.
 */
#include "staff_alert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "outbound.h"

DB_STMT(st_alert_insert,
        "INSERT INTO staff_alerts (tenant_id, kind, subject, text, created_at) "
        "VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1e6)) "
        "ON CONFLICT (tenant_id, kind, subject) DO NOTHING RETURNING id");
DB_STMT(st_alert_msg,
        "UPDATE staff_alerts SET message_id = $3::bigint WHERE tenant_id = $1 AND id = $2::bigint");
/* The SMS binding and clinic number to text staff from: the patient's
 * conversation's, else the tenant's most recent SMS conversation's. */
DB_STMT(st_alert_binding,
        "SELECT c.binding, c.clinic_address FROM conversations c JOIN contacts k "
        "ON k.tenant_id = c.tenant_id AND k.id = c.contact_id "
        "WHERE c.tenant_id = $1 AND k.channel = 'sms' "
        "ORDER BY (c.id = $2::bigint) DESC, c.updated_at DESC LIMIT 1");
DB_STMT(st_alert_contact,
        "INSERT INTO contacts (tenant_id, channel, address, phone, first_name, created_at) "
        "VALUES ($1, 'sms', $2, $2, 'Staff', to_timestamp($3::double precision / 1e6)) "
        "ON CONFLICT (tenant_id, channel, address) DO UPDATE SET address = EXCLUDED.address "
        "RETURNING id");
DB_STMT(st_alert_conv,
        "INSERT INTO conversations (tenant_id, contact_id, binding, clinic_address, status, "
        "state, created_at, updated_at) VALUES ($1, $2::bigint, $3, NULLIF($4, ''), 'handoff', "
        "'{\"core\":{\"stage\":\"handoff\",\"resume\":\"handoff\",\"client\":\"unknown\"}}', "
        "to_timestamp($5::double precision / 1e6), to_timestamp($5::double precision / 1e6)) "
        "ON CONFLICT (tenant_id, contact_id) DO UPDATE SET status = 'handoff' RETURNING id");

static bool e164(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Queues the text to the staff number. 0 (sent or nothing to send), -1. */
static int text_staff(struct db_conn *tx, const struct staff_alert *a, const char *alert_id,
                      const char *now)
{
    char conv[24], binding[80], from[256];
    snprintf(conv, sizeof conv, "%" PRId64, a->conversation_id);
    const char *pb[] = { a->tenant_id, conv };
    PGresult *r = db_exec(tx, &st_alert_binding, 2, pb);
    if (!db_ok(r))
        goto fail;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0; /* no SMS binding in use: the row and the log line only */
    }
    snprintf(binding, sizeof binding, "%s", PQgetvalue(r, 0, 0));
    snprintf(from, sizeof from, "%s", PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
    PQclear(r);
    const char *pc[] = { a->tenant_id, a->staff_phone, now };
    r = db_exec(tx, &st_alert_contact, 3, pc);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto fail;
    char cid[24];
    snprintf(cid, sizeof cid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *pv[] = { a->tenant_id, cid, binding, from, now };
    r = db_exec(tx, &st_alert_conv, 5, pv);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto fail;
    int64_t staff_conv = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    char text[STAFF_ALERT_TEXT_MAX + 32];
    snprintf(text, sizeof text, "Bookwell alert: %s", a->text);
    struct outbound_msg m = { .tenant_id = a->tenant_id, .conversation_id = staff_conv,
                              .kind = "staff_alert", .text = text };
    int64_t mid = 0;
    if (outbound_enqueue(tx, &m, &mid) != 0)
        return -1;
    char ms[24];
    snprintf(ms, sizeof ms, "%" PRId64, mid);
    const char *pm[] = { a->tenant_id, alert_id, ms };
    r = db_exec(tx, &st_alert_msg, 3, pm);
    if (!db_ok(r))
        goto fail;
    PQclear(r);
    return 0;
fail:
    PQclear(r);
    return -1;
}

int staff_alert_raise(struct db_conn *tx, const struct staff_alert *a)
{
    if (!a->tenant_id || !a->kind || !a->subject || !a->text || !a->text[0])
        return -1;
    char now[24], text[STAFF_ALERT_TEXT_MAX + 1];
    snprintf(now, sizeof now, "%" PRId64, clock_now_us());
    snprintf(text, sizeof text, "%s", a->text);
    const char *p[] = { a->tenant_id, a->kind, a->subject, text, now };
    PGresult *r = db_exec(tx, &st_alert_insert, 5, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *fields[] = { "tenant", a->tenant_id, "alert", id, "kind", a->kind,
                             "subject", a->subject, NULL };
    log_write(LOG_WARN, NULL, fields, "staff alert");
    if (e164(a->staff_phone) && text_staff(tx, a, id, now) != 0)
        return -1;
    return 1;
}
