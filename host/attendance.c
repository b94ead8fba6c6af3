/*
 * The attendance job (attendance.h).
 */
#include "attendance.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "booking.h"
#include "booking_notify.h"
#include "clock.h"
#include "daemon.h"
#include "deposit_fate.h"
#include "deposit_policy.h"
#include "emr_call.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"
#include "recall.h"

DB_STMT(st_record,
        "INSERT INTO attendance (tenant_id, booking_id, provider_id, appointment_start, state, "
        "recorded_at) VALUES ($1, $2::bigint, $3, to_timestamp($4::double precision / 1e6), $5, "
        "to_timestamp($6::double precision / 1e6)) ON CONFLICT DO NOTHING RETURNING 1");

static int enqueue(struct db_conn *tx, const char *tenant, int64_t booking_id, int64_t at_us,
                   bool first)
{
    char pl[64], dd[64];
    snprintf(pl, sizeof pl, "{\"booking_id\":%" PRId64 "}", booking_id);
    snprintf(dd, sizeof dd, "attendance:%" PRId64, booking_id);
    struct job_spec js = { .tenant_id = tenant, .kind = ATTENDANCE_JOB_KIND, .payload = pl,
                           .run_at_us = at_us, .dedupe_key = first ? dd : NULL };
    return jobs_enqueue(tx, &js, NULL) < 0 ? -1 : 0;
}

int attendance_schedule(struct db_conn *tx, const char *tenant, const struct booking *b)
{
    return enqueue(tx, tenant, b->id, b->end_us + ATTENDANCE_FIRST_CHECK_US, true);
}

const char *attendance_state_of(const char *s)
{
    static const struct {
        const char *emr, *state;
    } map[] = {
        { "arrived", "arrived" },     { "checked_in", "arrived" },
        { "in_progress", "arrived" }, { "completed", "completed" },
        { "checked_out", "completed" }, { "final", "completed" },
        { "no_show", "no_show" },     { "noshow", "no_show" },
        { "no-show", "no_show" },     { "missed", "no_show" },
        { "cancelled", "cancelled" }, { "canceled", "cancelled" },
    };
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(s, map[i].emr) == 0)
            return map[i].state;
    return NULL;
}

/* The EMR's status of the booking's appointment into status (cap): 1
 * found, 0 not listed, or a negative BW_E_* from the EMR. */
static int emr_status(struct registry *reg, const char *tenant, const struct booking *b,
                      char *status, size_t cap, int64_t *retry_after_ms)
{
    char from[32], to[32];
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "patient_id", b->emr_patient_id);
    cJSON_AddStringToObject(q, "from", clock_format_utc(b->start_us, from));
    cJSON_AddStringToObject(q, "to", clock_format_utc(b->end_us, to));
    cJSON_AddStringToObject(q, "location_id", "main");
    char *in = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    if (!in)
        return BW_E_NOMEM;
    struct emr_result r;
    int rc = emr_call(reg, tenant, EMR_OP_APPOINTMENT_LIST, in, NULL, 0, &r);
    free(in);
    *retry_after_ms = r.retry_after_ms;
    if (rc != 0) {
        emr_result_free(&r);
        return rc;
    }
    cJSON *doc = cJSON_ParseWithLength(r.json, r.len);
    emr_result_free(&r);
    int found = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "appointments"))
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "status"));
        if (id && st && strcmp(id, b->emr_appointment_id) == 0) {
            snprintf(status, cap, "%s", st);
            found = 1;
        }
    }
    cJSON_Delete(doc);
    return found;
}

/* The deposit follows: applied when the patient showed, by policy on a
 * no-show. 0 or -1. */
static int settle_deposit(struct db_conn *c, const char *tenant, const struct booking *b,
                          const struct knowledge *k, const char *state)
{
    enum deposit_occasion occ;
    if (strcmp(state, "no_show") == 0)
        occ = DEPOSIT_OCC_NO_SHOW;
    else if (strcmp(state, "arrived") == 0 || strcmp(state, "completed") == 0)
        occ = DEPOSIT_OCC_SHOWED;
    else
        return 0; /* a cancellation is settled where it is made */
    char subject[208];
    int64_t dep = 0;
    int f = deposit_fate_booking_subject(c, tenant, b->id, subject, sizeof subject, &dep);
    if (f < 0)
        return -1;
    if (f == 0 || dep == 0)
        return 0;
    struct deposit_policy pol;
    deposit_policy_from_doc(k ? k->doc : NULL, &pol);
    enum deposit_fate fate;
    return deposit_fate_settle(c, tenant, dep, occ, b->start_us, &pol, &fate) < 0 ? -1 : 0;
}

static int job_check(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "booking_id");
    int64_t id = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
    cJSON_Delete(p);
    if (id <= 0)
        return JOB_PARK;
    struct booking b;
    int g = booking_get(c, job->tenant_id, id, &b);
    if (g == BOOKING_E_NOTFOUND)
        return 0;
    if (g != 0) {
        snprintf(res->error, sizeof res->error, "cannot read the booking");
        return JOB_RETRY;
    }
    int out = 0;
    const struct knowledge *k = NULL;
    char status[32] = "";
    const char *state = NULL;
    if (strcmp(b.state, "cancelled") == 0) {
        state = "cancelled";
    } else if (strcmp(b.state, "booked") == 0 && b.emr_appointment_id[0]) {
        int64_t retry_ms = 0;
        int rc = emr_status(d->registry, job->tenant_id, &b, status, sizeof status, &retry_ms);
        if (rc < 0) {
            snprintf(res->error, sizeof res->error, "EMR: %s", bw_strerror(rc));
            res->retry_after_ms = retry_ms;
            out = rc == BW_E_NOTSUP ? 0 : JOB_RETRY;
            goto done;
        }
        state = rc == 1 ? attendance_state_of(status) : NULL;
    } else {
        goto done; /* never written, or failed: nothing to attend */
    }
    if (!state) {
        /* Not marked yet: look again later, for a while. */
        int64_t next = clock_now_us() + ATTENDANCE_RECHECK_US;
        if (next <= b.end_us + ATTENDANCE_GIVE_UP_US &&
            enqueue(c, job->tenant_id, id, next, false) != 0)
            out = JOB_RETRY;
        goto done;
    }
    char bid[24], start[24], now[24];
    snprintf(bid, sizeof bid, "%" PRId64, id);
    snprintf(start, sizeof start, "%" PRId64, b.start_us);
    snprintf(now, sizeof now, "%" PRId64, clock_now_us());
    const char *rp[] = { job->tenant_id, bid, b.provider_id, start, state, now };
    PGresult *r = db_exec(c, &st_record, 6, rp);
    int inserted = db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    if (inserted < 0) {
        out = JOB_RETRY;
        goto done;
    }
    if (inserted == 0)
        goto done; /* recorded before */
    int krc = knowledge_get(c, job->tenant_id, &k);
    if ((krc != 0 && krc != KNOWLEDGE_E_NOTFOUND) ||
        settle_deposit(c, job->tenant_id, &b, k, state) != 0) {
        out = JOB_RETRY;
        goto done;
    }
    if ((strcmp(state, "arrived") == 0 || strcmp(state, "completed") == 0) &&
        recall_schedule(c, job->tenant_id, k, &b) != 0) {
        out = JOB_RETRY;
        goto done;
    }
    if (strcmp(state, "no_show") == 0) {
        const struct kn_service *svc = k ? knowledge_service(k, b.service_id) : NULL;
        char text[400];
        snprintf(text, sizeof text,
                 "%s: we missed you at your %s appointment. Would you like to rebook? Reply "
                 "with a day and time that suits you.",
                 k && k->name ? k->name : "The clinic", svc && svc->name ? svc->name : "recent");
        if (booking_tell_patient(c, job->tenant_id, b.hold_id, "proactive", text) < 0)
            out = JOB_RETRY;
    }
    const char *fields[] = { "tenant", job->tenant_id, "booking", bid, "state", state, NULL };
    log_write(LOG_INFO, NULL, fields, "attendance recorded");
done:
    if (out == JOB_RETRY && !res->error[0])
        snprintf(res->error, sizeof res->error, "cannot record the attendance");
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return out;
}

int attendance_register(struct daemon *d)
{
    return jobs_register(d->jobs, ATTENDANCE_JOB_KIND, job_check, d);
}
