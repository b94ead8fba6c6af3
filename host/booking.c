/*
 * The booking writer: bookings rows, and the job that writes them into the
 * EMR with idempotency keys derived from the hold.
 */
#include "booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "availability.h"
#include "booking_notify.h"
#include "booking_reconcile.h"
#include "clock.h"
#include "deposit_fate.h"
#include "config.h"
#include "daemon.h"
#include "deposits.h"
#include "emr_call.h"
#include "evidence.h"
#include "holds.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"
#include "reminders.h"

#define US_PER_MIN (60 * INT64_C(1000000))

static void i64(char *buf, size_t cap, int64_t v)
{
    snprintf(buf, cap, "%lld", (long long)v);
}

DB_STMT(st_hold_lock,
        "SELECT state, service_id, provider_id, start_at, end_at, patient::text, "
        "(extract(epoch FROM expires_at) * 1000000)::bigint "
        "FROM holds WHERE tenant_id = $1 AND id = $2::bigint FOR UPDATE");
DB_STMT(st_existing, "SELECT id FROM bookings WHERE tenant_id = $1 AND idempotency_key = $2");
DB_STMT(st_to_booking,
        "UPDATE holds SET state = 'booking', updated_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint AND state = 'active'");
DB_STMT(st_insert,
        "INSERT INTO bookings (tenant_id, hold_id, idempotency_key, service_id, provider_id, "
        "start_at, end_at, patient, deposit, created_at, updated_at) "
        "SELECT tenant_id, id, $3, service_id, provider_id, start_at, end_at, patient, $4::jsonb, "
        "to_timestamp($5::double precision / 1e6), to_timestamp($5::double precision / 1e6) "
        "FROM holds WHERE tenant_id = $1 AND id = $2::bigint RETURNING id");
DB_STMT(st_get,
        "SELECT id, COALESCE(hold_id, 0), state, service_id, provider_id, "
        "(extract(epoch FROM start_at) * 1000000)::bigint, "
        "(extract(epoch FROM end_at) * 1000000)::bigint, COALESCE(emr_patient_id, ''), "
        "COALESCE(emr_appointment_id, ''), COALESCE(deposit_logged_as, ''), client_created, "
        "attempts, COALESCE(last_error, ''), alternatives::text, patient::text, "
        "deposit::text, idempotency_key, "
        "(extract(epoch FROM created_at) * 1000000)::bigint, delay_told_at IS NOT NULL, "
        "staff_alerted_at IS NOT NULL, rewrites "
        "FROM bookings WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_mark,
        "UPDATE bookings SET "
        "delay_told_at = CASE WHEN $3::boolean THEN COALESCE(delay_told_at, "
        "to_timestamp($5::double precision / 1e6)) ELSE delay_told_at END, "
        "staff_alerted_at = CASE WHEN $4::boolean THEN COALESCE(staff_alerted_at, "
        "to_timestamp($5::double precision / 1e6)) ELSE staff_alerted_at END "
        "WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_paid_deposit,
        "SELECT id, amount_minor, currency FROM deposits WHERE tenant_id = $1 AND hold_ref = $2 "
        "AND status = 'paid' ORDER BY id DESC LIMIT 1");
DB_STMT(st_resolve,
        "UPDATE staff_alerts SET resolved_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND subject = $2 AND kind = 'booking.delayed' "
        "AND resolved_at IS NULL");
DB_STMT(st_update,
        "UPDATE bookings SET state = $3, emr_patient_id = NULLIF($4, ''), "
        "emr_appointment_id = NULLIF($5, ''), deposit_logged_as = NULLIF($6, ''), "
        "client_created = $7::boolean, attempts = attempts + 1, last_error = NULLIF($8, ''), "
        "alternatives = $9::jsonb, updated_at = to_timestamp($10::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint");

int booking_submit(struct db_conn *c, const char *tenant_id, int64_t hold_id,
                   const char *deposit_json, int64_t *booking_id)
{
    bool own_tx = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (own_tx && db_begin(c) != 0)
        return BOOKING_E_DB;
    int rc = BOOKING_E_DB;
    char hid[32], key[64], now[32], payload[96];
    i64(hid, sizeof hid, hold_id);
    i64(now, sizeof now, clock_now_us());
    snprintf(key, sizeof key, "hold-%lld", (long long)hold_id);
    const char *p[] = { tenant_id, hid };
    PGresult *r = db_exec(c, &st_hold_lock, 2, p);
    if (!db_ok(r))
        goto fail;
    if (PQntuples(r) != 1) {
        rc = BOOKING_E_NOTFOUND;
        goto fail;
    }
    PQclear(r);
    const char *pe[] = { tenant_id, key };
    r = db_exec(c, &st_existing, 2, pe);
    if (!db_ok(r))
        goto fail;
    if (PQntuples(r) == 1) { /* submitted before */
        *booking_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        if (own_tx && db_commit(c) != 0)
            return BOOKING_E_DB;
        return 0;
    }
    PQclear(r);
    /* The hold must still be active (an overdue one expires now). */
    if (holds_expire_due(c, tenant_id, clock_now_us()) != 0) {
        r = NULL;
        goto fail;
    }
    const char *pt[] = { tenant_id, hid, now };
    r = db_exec(c, &st_to_booking, 3, pt);
    if (!db_ok(r))
        goto fail;
    if (strcmp(PQcmdTuples(r), "1") != 0) {
        rc = BOOKING_E_STATE;
        goto fail;
    }
    PQclear(r);
    const char *pi[] = { tenant_id, hid, key, deposit_json, now };
    r = db_exec(c, &st_insert, 5, pi);
    if (!db_ok(r) || PQntuples(r) != 1)
        goto fail;
    *booking_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = NULL;
    snprintf(payload, sizeof payload, "{\"booking_id\":%lld}", (long long)*booking_id);
    char dedupe[64];
    snprintf(dedupe, sizeof dedupe, "booking:%lld", (long long)*booking_id);
    struct job_spec js = { .tenant_id = tenant_id, .kind = BOOKING_JOB_KIND, .payload = payload,
                           .dedupe_key = dedupe, .max_attempts = BOOKING_MAX_ATTEMPTS };
    /* Someone else's unpaid link for this time can no longer be honoured. */
    if (jobs_enqueue(c, &js, NULL) < 0 || deposit_fate_expire_overlapping(c, tenant_id, hold_id) < 0)
        goto fail;
    if (own_tx && db_commit(c) != 0)
        return BOOKING_E_DB;
    availability_invalidate(tenant_id);
    return 0;
fail:
    PQclear(r);
    if (own_tx)
        db_rollback(c);
    return rc;
}

void booking_clear(struct booking *b)
{
    free(b->alternatives);
    b->alternatives = NULL;
}

/* Also returns the patient, deposit and key texts (malloc'd) when asked. */
static int get_full(struct db_conn *c, const char *tenant_id, int64_t id, struct booking *out,
                    char **patient, char **deposit, char *key, size_t keycap)
{
    char bid[32];
    i64(bid, sizeof bid, id);
    const char *p[] = { tenant_id, bid };
    PGresult *r = db_exec(c, &st_get, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return BOOKING_E_DB;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return BOOKING_E_NOTFOUND;
    }
    memset(out, 0, sizeof *out);
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->hold_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 2));
    snprintf(out->service_id, sizeof out->service_id, "%s", PQgetvalue(r, 0, 3));
    snprintf(out->provider_id, sizeof out->provider_id, "%s", PQgetvalue(r, 0, 4));
    out->start_us = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
    out->end_us = strtoll(PQgetvalue(r, 0, 6), NULL, 10);
    snprintf(out->emr_patient_id, sizeof out->emr_patient_id, "%s", PQgetvalue(r, 0, 7));
    snprintf(out->emr_appointment_id, sizeof out->emr_appointment_id, "%s", PQgetvalue(r, 0, 8));
    snprintf(out->deposit_logged_as, sizeof out->deposit_logged_as, "%s", PQgetvalue(r, 0, 9));
    out->client_created = PQgetvalue(r, 0, 10)[0] == 't';
    out->attempts = (int)strtol(PQgetvalue(r, 0, 11), NULL, 10);
    snprintf(out->last_error, sizeof out->last_error, "%s", PQgetvalue(r, 0, 12));
    if (!PQgetisnull(r, 0, 13))
        out->alternatives = strdup(PQgetvalue(r, 0, 13));
    if (patient)
        *patient = strdup(PQgetvalue(r, 0, 14));
    if (deposit)
        *deposit = PQgetisnull(r, 0, 15) ? NULL : strdup(PQgetvalue(r, 0, 15));
    if (key)
        snprintf(key, keycap, "%s", PQgetvalue(r, 0, 16));
    out->created_us = strtoll(PQgetvalue(r, 0, 17), NULL, 10);
    out->delay_told = PQgetvalue(r, 0, 18)[0] == 't';
    out->staff_alerted = PQgetvalue(r, 0, 19)[0] == 't';
    out->rewrites = (int)strtol(PQgetvalue(r, 0, 20), NULL, 10);
    PQclear(r);
    return 0;
}

int booking_get(struct db_conn *c, const char *tenant_id, int64_t id, struct booking *out)
{
    return get_full(c, tenant_id, id, out, NULL, NULL, NULL, 0);
}

/* ------------------------------------------------------------ the job */

static bool retryable(int rc)
{
    return rc == BW_E_RETRY || rc == BW_E_TIMEOUT || rc == BW_E_REMOTE || rc == BW_E_CANCELLED ||
           rc == BW_E_NOMEM;
}

/* The EMR write's outcome in the booking's evidence trail (the deposit's,
 * deposit_fate.h): ids, the slot, and whether the deposit was logged;
 * nothing about the patient but the EMR's id. */
static int evidence_write(struct db_conn *c, const char *tenant, const struct booking *b,
                          const char *kind, const char *alternatives)
{
    char subject[208], s[32], e[32];
    int found = deposit_fate_booking_subject(c, tenant, b->id, subject, sizeof subject, NULL);
    if (found <= 0)
        return found;
    cJSON *body = cJSON_CreateObject();
    if (!body || !cJSON_AddNumberToObject(body, "booking_id", (double)b->id) ||
        !cJSON_AddStringToObject(body, "service_id", b->service_id) ||
        !cJSON_AddStringToObject(body, "provider_id", b->provider_id) ||
        !cJSON_AddStringToObject(body, "start", clock_format_utc(b->start_us, s)) ||
        !cJSON_AddStringToObject(body, "end", clock_format_utc(b->end_us, e)) ||
        !cJSON_AddStringToObject(body, "emr_patient_id", b->emr_patient_id) ||
        !cJSON_AddStringToObject(body, "emr_appointment_id", b->emr_appointment_id) ||
        !cJSON_AddStringToObject(body, "deposit_logged_as", b->deposit_logged_as) ||
        !cJSON_AddBoolToObject(body, "client_created", b->client_created) ||
        (alternatives && !cJSON_AddRawToObject(body, "alternatives", alternatives))) {
        cJSON_Delete(body);
        return -1;
    }
    int rc = evidence_append(c, tenant, subject, kind, body, clock_now_us(), NULL);
    cJSON_Delete(body);
    return rc;
}

static int save(struct db_conn *c, const char *tenant, const struct booking *b, const char *state,
                const char *error, const char *alternatives)
{
    char bid[32], now[32];
    i64(bid, sizeof bid, b->id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant, bid, state, b->emr_patient_id, b->emr_appointment_id,
                        b->deposit_logged_as, b->client_created ? "true" : "false",
                        error, alternatives, now };
    PGresult *r = db_exec(c, &st_update, 10, p);
    int rc = db_ok(r) ? 0 : BOOKING_E_DB;
    PQclear(r);
    return rc;
}

/* Looks the patient up by phone or email: 0 with b->emr_patient_id set
 * when found (left empty when not), or the EMR's error. */
static int find_patient(struct registry *reg, const char *tenant, struct booking *b,
                        const char *phone, const char *email, struct emr_result *r)
{
    cJSON *q = cJSON_CreateObject();
    if (phone)
        cJSON_AddStringToObject(q, "phone", phone);
    if (email)
        cJSON_AddStringToObject(q, "email", email);
    char *text = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    int rc = text ? emr_call(reg, tenant, EMR_OP_PATIENT_FIND, text, NULL, 0, r) : BW_E_NOMEM;
    free(text);
    if (rc == 0) {
        cJSON *res = cJSON_ParseWithLength(r->json, r->len);
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "patients"), 0);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "id"));
        if (id)
            snprintf(b->emr_patient_id, sizeof b->emr_patient_id, "%s", id);
        cJSON_Delete(res);
    }
    emr_result_free(r);
    return rc;
}

/* Finds the patient by phone, else creates them. The parts of one visit are
 * written concurrently: when the EMR refuses a second patient with the same
 * phone (the other part created them a moment ago), they are looked up
 * again. */
static int ensure_patient(struct registry *reg, const char *tenant, struct booking *b,
                          const char *patient, const char *key, struct emr_result *r)
{
    if (b->emr_patient_id[0])
        return 0;
    cJSON *p = cJSON_Parse(patient ? patient : "{}");
    const char *phone = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "phone"));
    const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "email"));
    int rc = 0;
    if (phone || email) {
        rc = find_patient(reg, tenant, b, phone, email, r);
        if (rc && rc != BW_E_NOTSUP)
            goto out;
        rc = 0;
    }
    if (!b->emr_patient_id[0]) {
        char idem[80], *text = cJSON_PrintUnformatted(p);
        snprintf(idem, sizeof idem, "%.60s-patient", key);
        rc = text ? emr_call(reg, tenant, EMR_OP_PATIENT_CREATE, text, idem, 0, r) : BW_E_NOMEM;
        free(text);
        if (rc == 0) {
            cJSON *res = cJSON_ParseWithLength(r->json, r->len);
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "id"));
            if (id) {
                snprintf(b->emr_patient_id, sizeof b->emr_patient_id, "%s", id);
                b->client_created = true;
            } else {
                rc = BW_E_REMOTE;
            }
            cJSON_Delete(res);
        }
        emr_result_free(r);
        if (rc == BW_E_CONFLICT && (phone || email)) {
            int frc = find_patient(reg, tenant, b, phone, email, r);
            if (frc == 0 && b->emr_patient_id[0])
                rc = 0;
        }
    }
out:
    cJSON_Delete(p);
    return rc;
}

/* The nearest free slots of the service around the booking, as JSON text. */
static char *alternatives(struct db_conn *c, struct registry *reg, const char *tenant,
                          const struct booking *b)
{
    struct avail_slots s = { 0 };
    struct avail_query q = { .service_id = b->service_id,
                             .from_us = b->start_us - 24 * 60 * US_PER_MIN,
                             .to_us = b->start_us + 3 * 24 * 60 * US_PER_MIN };
    availability_invalidate(tenant);
    cJSON *arr = cJSON_CreateArray();
    if (arr && availability_query(NULL, c, reg, tenant, &q, &s) == 0) {
        for (int n = 0; n < 3 && s.n > 0; n++) {
            size_t best = 0;
            for (size_t i = 1; i < s.n; i++)
                if (llabs(s.v[i].start_us - b->start_us) < llabs(s.v[best].start_us - b->start_us))
                    best = i;
            char a[32], e[32];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "start", clock_format_utc(s.v[best].start_us, a));
            cJSON_AddStringToObject(o, "end", clock_format_utc(s.v[best].end_us, e));
            cJSON_AddStringToObject(o, "provider", s.v[best].provider_id);
            cJSON_AddItemToArray(arr, o);
            s.v[best] = s.v[--s.n];
        }
    }
    avail_slots_free(&s);
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return text;
}

void booking_book_key(const char *key, int rewrites, char *out, size_t cap)
{
    if (rewrites > 0)
        snprintf(out, cap, "%.56s-r%d", key, rewrites);
    else
        snprintf(out, cap, "%s", key);
}

int64_t booking_retry_delay_us(int failures)
{
    int64_t d = BOOKING_RETRY_BASE_US;
    for (int i = 1; i < failures && d < BOOKING_RETRY_MAX_US; i++)
        d *= 2;
    return d < BOOKING_RETRY_MAX_US ? d : BOOKING_RETRY_MAX_US;
}

const char *booking_staff_phone(struct daemon *d, const char *tenant)
{
    const struct tenant_config *t = d ? config_tenant(&d->cfg, tenant) : NULL;
    return t && t->staff_phone && t->staff_phone[0] ? t->staff_phone : NULL;
}

/* Records that the patient was told / staff alerted. */
static int mark(struct db_conn *c, const char *tenant, int64_t id, bool told, bool alerted)
{
    char bid[32], now[32];
    i64(bid, sizeof bid, id);
    i64(now, sizeof now, clock_now_us());
    const char *p[] = { tenant, bid, told ? "true" : "false", alerted ? "true" : "false", now };
    PGresult *r = db_exec(c, &st_mark, 5, p);
    int rc = db_ok(r) ? 0 : BOOKING_E_DB;
    PQclear(r);
    return rc;
}

/* The service and local time of b, for messages. */
static void describe(struct db_conn *c, const char *tenant, const struct booking *b, char *out,
                     size_t cap)
{
    const struct knowledge *k = NULL;
    if (knowledge_get(c, tenant, &k) != 0)
        k = NULL;
    booking_describe_slot(k, b->service_id, b->start_us, out, cap);
    if (k)
        knowledge_release(k);
}

/* Queues the next attempt of booking id after `failures` failures. */
static int schedule_retry(struct db_conn *c, const char *tenant, int64_t id, int failures,
                          int64_t retry_after_ms)
{
    char pl[96], dd[64];
    snprintf(pl, sizeof pl, "{\"booking_id\":%lld}", (long long)id);
    snprintf(dd, sizeof dd, "booking:%lld:try:%d", (long long)id, failures);
    int64_t delay = booking_retry_delay_us(failures);
    if (retry_after_ms * 1000 > delay)
        delay = retry_after_ms * 1000;
    struct job_spec js = { .tenant_id = tenant, .kind = BOOKING_JOB_KIND, .payload = pl,
                           .dedupe_key = dd, .run_at_us = clock_now_us() + delay,
                           .max_attempts = BOOKING_MAX_ATTEMPTS };
    return jobs_enqueue(c, &js, NULL) < 0 ? BOOKING_E_DB : 0;
}

/*
 * The EMR is unavailable: the failure is recorded and the next attempt
 * queued in this job's transaction (which commits), the patient told once,
 * staff alerted once past the threshold.
 */
static int on_unavailable(struct db_conn *c, struct daemon *d, const char *tenant,
                          struct booking *b, bool paid, int rc, int64_t retry_after_ms)
{
    char err[128], desc[160], text[480];
    snprintf(err, sizeof err, "EMR unavailable: %s", bw_strerror(rc));
    if (save(c, tenant, b, "pending", err, NULL) != 0)
        return BOOKING_E_DB;
    int failures = b->attempts + 1;
    bool told = false, alerted = false;
    describe(c, tenant, b, desc, sizeof desc);
    if (!b->delay_told) {
        snprintf(text, sizeof text,
                 "%sOur booking system is slow to respond right now, so your booking for %s is "
                 "being confirmed. We'll text you as soon as it is.",
                 paid ? "Thanks, your deposit came through. " : "", desc);
        if (booking_tell_patient(c, tenant, b->hold_id, "notice", text) < 0)
            return BOOKING_E_DB;
        told = true;
    }
    if (!b->staff_alerted && clock_now_us() - b->created_us >= BOOKING_STAFF_ALERT_AFTER_US) {
        snprintf(text, sizeof text,
                 "booking %lld (%s) has not reached the EMR for %lld minutes; it keeps "
                 "retrying. Please check the EMR.",
                 (long long)b->id, desc,
                 (long long)((clock_now_us() - b->created_us) / US_PER_MIN));
        if (booking_tell_staff(c, tenant, b, "booking.delayed", text,
                               booking_staff_phone(d, tenant)) < 0)
            return BOOKING_E_DB;
        alerted = true;
    }
    if ((told || alerted) && mark(c, tenant, b->id, told, alerted) != 0)
        return BOOKING_E_DB;
    return schedule_retry(c, tenant, b->id, failures, retry_after_ms);
}

/* Written: tell a patient who was told of a delay, resolve a delay alert. */
static int on_booked(struct db_conn *c, const char *tenant, const struct booking *b)
{
    char desc[160], text[400], now[32], subject[48];
    if (b->delay_told) {
        describe(c, tenant, b, desc, sizeof desc);
        snprintf(text, sizeof text, "Good news: your booking for %s is confirmed. See you then!",
                 desc);
        if (booking_tell_patient(c, tenant, b->hold_id, "notice", text) < 0)
            return BOOKING_E_DB;
    }
    if (booking_reconcile_schedule(c, tenant, clock_now_us()) != 0 ||
        reminders_on_booked(c, tenant, b) != 0)
        return BOOKING_E_DB;
    if (b->staff_alerted) {
        i64(now, sizeof now, clock_now_us());
        snprintf(subject, sizeof subject, "booking:%lld", (long long)b->id);
        const char *p[] = { tenant, subject, now };
        PGresult *r = db_exec(c, &st_resolve, 3, p);
        int ok = db_ok(r);
        PQclear(r);
        if (!ok)
            return BOOKING_E_DB;
    }
    return 0;
}

/* The paid deposit of booking key (hold-<id>): 1 and its id/amount, 0, -1. */
static int paid_deposit(struct db_conn *c, const char *tenant, const char *key, int64_t *id,
                        int64_t *cents, char *currency, size_t ccap)
{
    const char *p[] = { tenant, key };
    PGresult *r = db_exec(c, &st_paid_deposit, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int found = PQntuples(r) == 1;
    if (found) {
        *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *cents = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        snprintf(currency, ccap, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return found;
}

/*
 * The slot was taken in the EMR meanwhile: offer the nearest alternatives
 * with the deposit kept for them, or refund it when there are none; staff
 * are alerted either way.
 */
static int on_conflict(struct db_conn *c, struct daemon *d, const char *tenant,
                       const struct booking *b, const char *key, const char *alts)
{
    const struct knowledge *k = NULL;
    if (knowledge_get(c, tenant, &k) != 0)
        k = NULL;
    char desc[160], text[900], list[600] = "";
    booking_describe_slot(k, b->service_id, b->start_us, desc, sizeof desc);
    cJSON *arr = alts ? cJSON_Parse(alts) : NULL;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int64_t at;
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "start"));
        if (!s || clock_parse_rfc3339(s, &at) != 0)
            continue;
        char one[160];
        booking_describe_slot(k, b->service_id, at, one, sizeof one);
        const char *on = strstr(one, " on ");
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", n ? "; " : "", on ? on + 4 : one);
        n++;
    }
    cJSON_Delete(arr);
    if (k)
        knowledge_release(k);
    int64_t dep_id = 0, cents = 0;
    char cur[8] = "";
    int has_dep = paid_deposit(c, tenant, key, &dep_id, &cents, cur, sizeof cur);
    if (has_dep < 0)
        return BOOKING_E_DB;
    if (n > 0) {
        snprintf(text, sizeof text,
                 "Sorry, the time for %s was just taken in our calendar. The nearest open times "
                 "are: %s. Reply with the one you'd like%s.",
                 desc, list,
                 has_dep ? " and your deposit carries over to it, or reply REFUND and we'll "
                           "return your deposit"
                         : "");
    } else {
        snprintf(text, sizeof text,
                 "Sorry, the time for %s was just taken in our calendar and we have no open "
                 "time close to it.%s Our team will reach out to find you a new time.",
                 desc, has_dep ? " Your deposit is being refunded in full." : "");
        if (has_dep && deposits_refund(c, tenant, dep_id, "slot_taken") < 0)
            return BOOKING_E_DB;
    }
    if (booking_tell_patient(c, tenant, b->hold_id, "notice", text) < 0)
        return BOOKING_E_DB;
    char staff[480];
    snprintf(staff, sizeof staff,
             "booking %lld (%s) was taken in the EMR before we could write it. %s",
             (long long)b->id, desc,
             n > 0 ? (has_dep ? "The patient was offered other times; the deposit is kept for them."
                              : "The patient was offered other times.")
                   : (has_dep ? "No nearby time: the deposit is being refunded."
                              : "No nearby time was free."));
    return booking_tell_staff(c, tenant, b, "booking.conflict", staff,
                              booking_staff_phone(d, tenant)) < 0
               ? BOOKING_E_DB
               : 0;
}

static int write_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    struct registry *reg = d->registry;
    cJSON *payload = cJSON_Parse(job->payload);
    const cJSON *bid = cJSON_GetObjectItemCaseSensitive(payload, "booking_id");
    int64_t id = cJSON_IsNumber(bid) ? (int64_t)bid->valuedouble : 0;
    cJSON_Delete(payload);
    if (id <= 0) {
        snprintf(res->error, sizeof res->error, "bad payload");
        return JOB_PARK;
    }
    struct booking b;
    char *patient = NULL, *deposit = NULL, key[80], book_key[80];
    int rc = get_full(c, job->tenant_id, id, &b, &patient, &deposit, key, sizeof key);
    if (rc) {
        snprintf(res->error, sizeof res->error, "booking %lld unreadable", (long long)id);
        return rc == BOOKING_E_NOTFOUND ? JOB_PARK : JOB_RETRY;
    }
    booking_book_key(key, b.rewrites, book_key, sizeof book_key);
    int out = 0;
    struct emr_result r = { 0 };
    char *alts = NULL;
    if (strcmp(b.state, "pending") != 0)
        goto done;
    bool had_patient = b.emr_patient_id[0] != 0;
    rc = ensure_patient(reg, job->tenant_id, &b, patient, key, &r);
    if (rc == 0 && !had_patient) {
        /* Commit the patient before booking, so a retry after an outage
         * still knows whether we created the client: the booking itself
         * continues in a follow-up job. */
        char pl[96], dd[64];
        snprintf(pl, sizeof pl, "{\"booking_id\":%lld}", (long long)b.id);
        snprintf(dd, sizeof dd, "booking:%lld:book:%d", (long long)b.id, b.attempts);
        struct job_spec js = { .tenant_id = job->tenant_id, .kind = BOOKING_JOB_KIND,
                               .payload = pl, .dedupe_key = dd,
                               .max_attempts = BOOKING_MAX_ATTEMPTS };
        if (save(c, job->tenant_id, &b, "pending", "", NULL) != 0 ||
            jobs_enqueue(c, &js, NULL) < 0)
            out = JOB_RETRY;
        goto done;
    }
    if (rc == 0) {
        char s[32], e[32];
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "patient_id", b.emr_patient_id);
        cJSON_AddStringToObject(q, "location_id", "main");
        cJSON_AddStringToObject(q, "service_id", b.service_id);
        cJSON_AddStringToObject(q, "provider_id", b.provider_id);
        cJSON_AddStringToObject(q, "start", clock_format_utc(b.start_us, s));
        cJSON_AddStringToObject(q, "end", clock_format_utc(b.end_us, e));
        char *text = cJSON_PrintUnformatted(q);
        cJSON_Delete(q);
        rc = text ? emr_call(reg, job->tenant_id, EMR_OP_BOOK, text, book_key, 0, &r)
                  : BW_E_NOMEM;
        free(text);
        if (rc == 0) {
            cJSON *a = cJSON_ParseWithLength(r.json, r.len);
            const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
            snprintf(b.emr_appointment_id, sizeof b.emr_appointment_id, "%s", aid ? aid : "");
            cJSON_Delete(a);
        }
        if (rc != 0)
            res->retry_after_ms = r.retry_after_ms;
        emr_result_free(&r);
    }
    if (rc == 0 && deposit && !b.deposit_logged_as[0]) {
        cJSON *dp = cJSON_Parse(deposit);
        if (dp) {
            cJSON_AddStringToObject(dp, "appointment_id", b.emr_appointment_id);
            cJSON_AddStringToObject(dp, "patient_id", b.emr_patient_id);
        }
        char *text = dp ? cJSON_PrintUnformatted(dp) : NULL, idem[96];
        cJSON_Delete(dp);
        snprintf(idem, sizeof idem, "%.60s-deposit", key);
        int drc = text ? emr_call(reg, job->tenant_id, EMR_OP_DEPOSIT_LOG, text, idem, 0, &r)
                       : BW_E_NOMEM;
        free(text);
        if (drc == 0) {
            cJSON *dr = cJSON_ParseWithLength(r.json, r.len);
            const char *as = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dr, "logged_as"));
            snprintf(b.deposit_logged_as, sizeof b.deposit_logged_as, "%s", as ? as : "note");
            cJSON_Delete(dr);
        } else if (retryable(drc)) {
            /* The appointment is written (its id is kept below); a later
             * attempt logs the deposit with the same keys. */
            rc = drc;
            res->retry_after_ms = r.retry_after_ms;
        }
        emr_result_free(&r);
    }
    if (rc == 0) {
        if (save(c, job->tenant_id, &b, "booked", "", NULL) != 0 ||
            evidence_write(c, job->tenant_id, &b, "booking.emr_written", NULL) != 0 ||
            (b.hold_id && holds_transition(c, job->tenant_id, b.hold_id, "booking", "booked") ==
                              HOLDS_E_DB) ||
            on_booked(c, job->tenant_id, &b) != 0) {
            out = JOB_RETRY;
            goto done;
        }
        availability_invalidate(job->tenant_id);
    } else if (rc == BW_E_CONFLICT) {
        alts = alternatives(c, reg, job->tenant_id, &b);
        if (save(c, job->tenant_id, &b, "conflict", "slot taken", alts) != 0 ||
            evidence_write(c, job->tenant_id, &b, "booking.emr_conflict", alts) != 0 ||
            (b.hold_id && holds_transition(c, job->tenant_id, b.hold_id, "booking", "conflict") ==
                              HOLDS_E_DB) ||
            on_conflict(c, d, job->tenant_id, &b, key, alts) != 0)
            out = JOB_RETRY;
        availability_invalidate(job->tenant_id);
    } else if (retryable(rc) && b.attempts + 1 < BOOKING_MAX_ATTEMPTS) {
        if (on_unavailable(c, d, job->tenant_id, &b, deposit != NULL, rc,
                           res->retry_after_ms) != 0) {
            snprintf(res->error, sizeof res->error, "cannot record the EMR failure");
            out = JOB_RETRY;
        } else {
            char bs[24], n[16];
            i64(bs, sizeof bs, b.id);
            snprintf(n, sizeof n, "%d", b.attempts + 1);
            const char *fields[] = { "tenant", job->tenant_id, "booking", bs, "failures", n,
                                     NULL };
            log_write(LOG_WARN, NULL, fields, "booking write deferred: %s", bw_strerror(rc));
        }
    } else {
        char msg[128], desc[160], text[480];
        snprintf(msg, sizeof msg, "EMR refused: %s", bw_strerror(rc));
        describe(c, job->tenant_id, &b, desc, sizeof desc);
        snprintf(text, sizeof text,
                 "booking %lld (%s) could not be written to the EMR (%s). Please book it by "
                 "hand and confirm with the patient.",
                 (long long)b.id, desc, bw_strerror(rc));
        if (save(c, job->tenant_id, &b, "failed", msg, NULL) != 0 ||
            evidence_write(c, job->tenant_id, &b, "booking.emr_failed", NULL) != 0 ||
            booking_tell_staff(c, job->tenant_id, &b, "booking.failed", text,
                               booking_staff_phone(d, job->tenant_id)) < 0)
            out = JOB_RETRY;
    }
done:
    free(alts);
    free(patient);
    free(deposit);
    booking_clear(&b);
    return out;
}

int booking_register_jobs(struct jobs *j, struct daemon *d)
{
    return jobs_register(j, BOOKING_JOB_KIND, write_job, d);
}
