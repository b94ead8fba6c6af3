/*
 * Staff tasks (staff_tasks.h): the row, its staff alert and text, the
 * listing, and the confirmation to the patient when staff mark it done.
 */
#include "staff_tasks.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbound.h"
#include "staff_alert.h"

DB_STMT(st_insert,
        "INSERT INTO staff_tasks (tenant_id, conversation_id, contact_id, details, created_at) "
        "VALUES ($1, $2::bigint, NULLIF($3::bigint, 0), $4::jsonb, to_timestamp($5::double precision / 1e6)) "
        "RETURNING id");
DB_STMT(st_list,
        "SELECT id, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "COALESCE(to_char(done_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
        "conversation_id, details::text FROM staff_tasks "
        "WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT 500");
DB_STMT(st_lock,
        "SELECT status, conversation_id, details::text FROM staff_tasks "
        "WHERE tenant_id = $1 AND id = $2::bigint FOR UPDATE");
DB_STMT(st_done,
        "UPDATE staff_tasks SET status = 'done', done_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_resolve,
        "UPDATE staff_alerts SET resolved_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND kind = 'booking.manual' AND subject = $2 AND resolved_at IS NULL");

static void money(int64_t cents, const char *currency, char *out, size_t cap)
{
    const char *sym = currency && strcmp(currency, "USD") && strcmp(currency, "CAD") ? currency : "$";
    snprintf(out, cap, "%s%" PRId64 ".%02" PRId64, sym, cents / 100, cents % 100);
}

static const char *s_or(const char *s)
{
    return s ? s : "";
}

static cJSON *details_json(const struct staff_task_request *rq)
{
    cJSON *d = cJSON_CreateObject();
    if (!d || !cJSON_AddStringToObject(d, "first_name", s_or(rq->first)) ||
        !cJSON_AddStringToObject(d, "last_name", s_or(rq->last)) ||
        !cJSON_AddStringToObject(d, "phone", s_or(rq->phone)) ||
        !cJSON_AddStringToObject(d, "email", s_or(rq->email)) ||
        !cJSON_AddStringToObject(d, "services", s_or(rq->services)) ||
        !cJSON_AddStringToObject(d, "preferred_time", s_or(rq->preferred)) ||
        !cJSON_AddNumberToObject(d, "deposit_minor", (double)rq->deposit_cents) ||
        !cJSON_AddStringToObject(d, "currency", s_or(rq->currency)) ||
        !cJSON_AddStringToObject(d, "payment_reference", s_or(rq->payment_ref)) ||
        !cJSON_AddStringToObject(d, "clinic", s_or(rq->clinic)) ||
        !cJSON_AddStringToObject(d, "emr", s_or(rq->emr))) {
        cJSON_Delete(d);
        return NULL;
    }
    return d;
}

int staff_task_create(struct db_conn *tx, const struct staff_task_request *rq, int64_t *id)
{
    cJSON *d = details_json(rq);
    char *dj = d ? cJSON_PrintUnformatted(d) : NULL;
    cJSON_Delete(d);
    if (!dj)
        return -1;
    char conv[24], contact[24], now[24];
    snprintf(conv, sizeof conv, "%" PRId64, rq->conversation_id);
    snprintf(contact, sizeof contact, "%" PRId64, rq->contact_id);
    snprintf(now, sizeof now, "%" PRId64, rq->now_us);
    const char *p[] = { rq->tenant_id, conv, contact, dj, now };
    PGresult *r = db_exec(tx, &st_insert, 5, p);
    cJSON_free(dj);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);

    char subject[48], dep[64] = "no deposit", text[STAFF_ALERT_TEXT_MAX + 1];
    snprintf(subject, sizeof subject, "staff_task:%" PRId64, *id);
    if (rq->deposit_cents > 0) {
        char m[32];
        money(rq->deposit_cents, rq->currency, m, sizeof m);
        snprintf(dep, sizeof dep, "deposit %s paid%s%.24s", m, rq->payment_ref && rq->payment_ref[0] ? ", ref " : "",
                 s_or(rq->payment_ref));
    }
    snprintf(text, sizeof text,
             "Book by hand (task %" PRId64 "): %s %s %s, %s, preferred %s; %s. Enter it in the EMR (%s), "
             "then mark the task done to confirm to the patient.",
             *id, s_or(rq->first), s_or(rq->last), s_or(rq->phone), s_or(rq->services),
             rq->preferred && rq->preferred[0] ? rq->preferred : "any time", dep,
             rq->emr && rq->emr[0] ? rq->emr : "no plugin");
    struct staff_alert a = { .tenant_id = rq->tenant_id, .kind = "booking.manual", .subject = subject,
                             .text = text, .staff_phone = rq->staff_phone,
                             .conversation_id = rq->conversation_id };
    return staff_alert_raise(tx, &a) < 0 ? -1 : 0;
}

cJSON *staff_tasks_list(struct db_conn *c, const char *tenant, const char *status)
{
    const char *p[] = { tenant, status ? status : "" };
    PGresult *r = db_exec(c, &st_list, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return NULL;
    }
    cJSON *res = cJSON_CreateObject(), *arr = res ? cJSON_AddArrayToObject(res, "tasks") : NULL;
    for (int i = 0; arr && i < PQntuples(r); i++) {
        cJSON *t = cJSON_CreateObject();
        if (!t) {
            arr = NULL;
            break;
        }
        cJSON_AddItemToArray(arr, t);
        cJSON_AddNumberToObject(t, "id", (double)strtoll(PQgetvalue(r, i, 0), NULL, 10));
        cJSON_AddStringToObject(t, "status", PQgetvalue(r, i, 1));
        cJSON_AddStringToObject(t, "created_at", PQgetvalue(r, i, 2));
        if (PQgetvalue(r, i, 3)[0])
            cJSON_AddStringToObject(t, "done_at", PQgetvalue(r, i, 3));
        else
            cJSON_AddNullToObject(t, "done_at");
        cJSON_AddNumberToObject(t, "conversation_id", (double)strtoll(PQgetvalue(r, i, 4), NULL, 10));
        cJSON *d = cJSON_Parse(PQgetvalue(r, i, 5));
        cJSON_AddItemToObject(t, "details", d ? d : cJSON_CreateObject());
    }
    PQclear(r);
    if (!arr) {
        cJSON_Delete(res);
        return NULL;
    }
    return res;
}

int staff_task_done(struct db_conn *tx, const char *tenant, int64_t id, const char *when, int64_t now_us)
{
    char tid[24], now[24];
    snprintf(tid, sizeof tid, "%" PRId64, id);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { tenant, tid };
    PGresult *r = db_exec(tx, &st_lock, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 1;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "done") == 0) {
        PQclear(r);
        return 2;
    }
    int64_t conv = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    cJSON *d = cJSON_Parse(PQgetvalue(r, 0, 2));
    PQclear(r);
    const char *first = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "first_name"));
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "services"));
    const char *clinic = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "clinic"));
    char text[OUTBOUND_TEXT_MAX + 1], at[STAFF_TASK_WHEN_MAX + 8] = "";
    if (when && when[0])
        snprintf(at, sizeof at, " for %s", when);
    bool has_svc = svc && svc[0];
    snprintf(text, sizeof text, "Good news%s%s! Your %s%sappointment%s%s is confirmed%s. See you then!",
             first && first[0] ? ", " : "", s_or(first), has_svc ? svc : "", has_svc ? " " : "",
             clinic && clinic[0] ? " at " : "", s_or(clinic), at);
    cJSON_Delete(d);
    char subject[48];
    snprintf(subject, sizeof subject, "staff_task:%" PRId64, id);
    const char *dp[] = { tenant, tid, now };
    const char *ap[] = { tenant, subject, now };
    PGresult *u = db_exec(tx, &st_done, 3, dp);
    int ok = db_ok(u);
    PQclear(u);
    if (!ok)
        return -1;
    u = db_exec(tx, &st_resolve, 3, ap);
    ok = db_ok(u);
    PQclear(u);
    if (!ok)
        return -1;
    struct outbound_msg m = { .tenant_id = tenant, .conversation_id = conv, .kind = "notice", .text = text };
    int orc = outbound_enqueue(tx, &m, NULL);
    return orc == 0 || orc == OUTBOUND_E_NOTFOUND ? 0 : -1;
}
