/*
 * Contact erasure (see contact_erase.h): one transaction that finds the
 * contacts, locks them, moves their consent ledger rows and opt-out state to
 * the hashed key, removes message bodies and inbox text, cancels what was
 * waiting to be sent, and strips the contact row.
 */
#include "contact_erase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

DB_STMT(st_find_by_id,
        "SELECT id, address, erased_at IS NOT NULL FROM contacts "
        "WHERE tenant_id = $1 AND id = $2::bigint FOR UPDATE");
DB_STMT(st_find_by_key,
        "SELECT id, address, erased_at IS NOT NULL FROM contacts "
        "WHERE tenant_id = $1 AND (address = $2 OR phone = $2) ORDER BY id FOR UPDATE");
DB_STMT(st_salt, "SELECT consent_erasure_salt_ensure($1)");
DB_STMT(st_rekey_events,
        "UPDATE consent_events SET contact = consent_erased_key($1, contact), message = NULL "
        "WHERE tenant_id = $1 AND contact = $2");
DB_STMT(st_rekey_state,
        "INSERT INTO consent_state (tenant_id, contact, opted_out, changed_at, last_event_id) "
        "SELECT tenant_id, consent_erased_key($1, contact), opted_out, changed_at, last_event_id "
        "FROM consent_state WHERE tenant_id = $1 AND contact = $2 "
        "ON CONFLICT (tenant_id, contact) DO UPDATE SET opted_out = EXCLUDED.opted_out, "
        "changed_at = EXCLUDED.changed_at, last_event_id = EXCLUDED.last_event_id "
        "WHERE coalesce(EXCLUDED.last_event_id, 0) >= coalesce(consent_state.last_event_id, 0)");
DB_STMT(st_drop_state, "DELETE FROM consent_state WHERE tenant_id = $1 AND contact = $2");
DB_STMT(st_bodies,
        "UPDATE messages SET body = NULL WHERE tenant_id = $1 AND contact_id = $2::bigint "
        "AND body IS NOT NULL");
DB_STMT(st_cancel,
        "UPDATE messages SET status = 'cancelled', error_code = 'contact_erased', "
        "status_at = $3::timestamptz WHERE tenant_id = $1 AND contact_id = $2::bigint "
        "AND status IN ('queued', 'held')");
DB_STMT(st_conversation,
        "UPDATE conversations SET state = '{}', status = 'closed', updated_at = $3::timestamptz "
        "WHERE tenant_id = $1 AND contact_id = $2::bigint");
DB_STMT(st_inbox,
        "UPDATE inbox SET event = '{\"erased\":true}' WHERE tenant_id = $1 "
        "AND kind LIKE 'channel.%' AND (event->>'from' = $2 OR event->>'to' = $2) "
        "AND NOT (event ? 'erased')");
/* A link-only EMR's staff tasks (staff_tasks.h) hold the patient's name and
 * phone in their details, their staff alerts and the text sent to staff. */
DB_STMT(st_task_texts,
        "UPDATE messages SET body = NULL WHERE tenant_id = $1 AND body IS NOT NULL "
        "AND status NOT IN ('queued', 'held') AND id IN "
        "(SELECT a.message_id FROM staff_alerts a JOIN staff_tasks t ON t.tenant_id = a.tenant_id "
        "AND a.subject = 'staff_task:' || t.id WHERE a.tenant_id = $1 AND a.kind = 'booking.manual' "
        "AND t.contact_id = $2::bigint AND a.message_id IS NOT NULL)");
DB_STMT(st_task_alerts,
        "UPDATE staff_alerts a SET text = 'Book by hand: the patient was erased.' FROM staff_tasks t "
        "WHERE a.tenant_id = $1 AND t.tenant_id = $1 AND a.kind = 'booking.manual' "
        "AND a.subject = 'staff_task:' || t.id AND t.contact_id = $2::bigint");
DB_STMT(st_tasks,
        "UPDATE staff_tasks SET details = '{\"erased\":true}' WHERE tenant_id = $1 "
        "AND contact_id = $2::bigint");
DB_STMT(st_contact,
        "UPDATE contacts SET first_name = NULL, last_name = NULL, email = NULL, phone = NULL, "
        "address = 'erased:' || id, erased_key = consent_erased_key($1, address), "
        "erased_at = $3::timestamptz WHERE tenant_id = $1 AND id = $2::bigint");

static bool all_digits(const char *s)
{
    if (!*s || strlen(s) > 18)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Runs st with p; adds the affected row count to *count (optional). */
static int run(struct db_conn *c, struct db_stmt *st, int n, const char *const *p,
               long *count)
{
    PGresult *r = db_exec(c, st, n, p);
    int rc = db_ok(r) ? 0 : ERASE_E_DB;
    if (rc == 0 && count)
        *count += strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

static int erase_one(struct db_conn *c, const char *tenant, const char *id, const char *address,
                     const char *now, struct erase_result *out)
{
    const char *pk[] = { tenant, address };
    const char *pm[] = { tenant, id, now };
    int rc;
    if ((rc = run(c, &st_rekey_events, 2, pk, &out->consent_events)) ||
        (rc = run(c, &st_rekey_state, 2, pk, NULL)) || (rc = run(c, &st_drop_state, 2, pk, NULL)) ||
        (rc = run(c, &st_inbox, 2, pk, &out->inbox_events)) ||
        (rc = run(c, &st_bodies, 2, pm, &out->messages)) ||
        (rc = run(c, &st_cancel, 3, pm, &out->cancelled)) ||
        (rc = run(c, &st_conversation, 3, pm, NULL)) || (rc = run(c, &st_task_texts, 2, pm, NULL)) ||
        (rc = run(c, &st_task_alerts, 2, pm, NULL)) || (rc = run(c, &st_tasks, 2, pm, NULL)) ||
        (rc = run(c, &st_contact, 3, pm, NULL)))
        return rc;
    return 0;
}

int contact_erase(struct db_conn *c, const char *tenant_id, const char *contact, int64_t now_us,
                  struct erase_result *out)
{
    char now[32];
    PGresult *r = NULL;
    bool own = false;
    int rc;

    memset(out, 0, sizeof *out);
    if (!tenant_id || !*tenant_id || strlen(tenant_id) > 63 || !contact || !*contact ||
        strlen(contact) > 255)
        return ERASE_E_INVAL;
    clock_format_utc(now_us, now);
    own = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (own && db_begin(c) != 0)
        return ERASE_E_DB;

    const char *p[] = { tenant_id, contact };
    r = db_exec(c, all_digits(contact) ? &st_find_by_id : &st_find_by_key, 2, p);
    if (!db_ok(r)) {
        rc = ERASE_E_DB;
        goto out;
    }
    int n = PQntuples(r);
    if (n == 0) {
        rc = ERASE_E_NOTFOUND;
        goto out;
    }
    if (n > ERASE_MAX_CONTACTS)
        n = ERASE_MAX_CONTACTS;
    PGresult *s = db_exec(c, &st_salt, 1, p);
    rc = db_ok(s) ? 0 : ERASE_E_DB;
    PQclear(s);
    for (int i = 0; rc == 0 && i < n; i++) {
        out->ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        if (strcmp(PQgetvalue(r, i, 2), "t") == 0) {
            out->already++;
            continue;
        }
        rc = erase_one(c, tenant_id, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), now, out);
        out->contacts += rc == 0;
    }
out:
    PQclear(r);
    if (own) {
        if (rc == 0 && db_commit(c) != 0)
            rc = ERASE_E_DB;
        else if (rc != 0)
            db_rollback(c);
    }
    if (rc != 0) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}
