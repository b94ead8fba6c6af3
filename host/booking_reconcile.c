/*
 * The reconciliation job: our booked appointments against the EMR's
 * calendar.
 */
#include "booking_reconcile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "availability.h"
#include "booking.h"
#include "booking_notify.h"
#include "clock.h"
#include "daemon.h"
#include "emr_call.h"
#include "jobs.h"
#include "knowledge.h"
#include "log.h"

DB_STMT(st_rec_live,
        "SELECT id, COALESCE(hold_id, 0), COALESCE(emr_appointment_id, ''), service_id, "
        "(extract(epoch FROM start_at) * 1000000)::bigint, "
        "(extract(epoch FROM end_at) * 1000000)::bigint, rewrites "
        "FROM bookings WHERE tenant_id = $1 AND state = 'booked' "
        "AND end_at > to_timestamp($2::double precision / 1e6) ORDER BY start_at, id LIMIT $3");
DB_STMT(st_rec_ok,
        "UPDATE bookings SET reconciled_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_rec_rewrite,
        "UPDATE bookings SET state = 'pending', emr_appointment_id = NULL, "
        "rewrites = rewrites + 1, updated_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint AND state = 'booked' RETURNING rewrites");
DB_STMT(st_rec_cancel,
        "UPDATE bookings SET state = 'cancelled', last_error = 'cancelled in the EMR', "
        "updated_at = to_timestamp($3::double precision / 1e6) "
        "WHERE tenant_id = $1 AND id = $2::bigint AND state = 'booked'");

enum reconcile_verdict booking_reconcile_verdict(const cJSON *appointments,
                                                 const char *appointment_id)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(appointments, "appointments");
    const cJSON *a;
    if (!appointment_id || !appointment_id[0])
        return RECONCILE_MISSING;
    cJSON_ArrayForEach(a, list) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
        if (!id || strcmp(id, appointment_id) != 0)
            continue;
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "status"));
        if (st && (strcmp(st, "cancelled") == 0 || strcmp(st, "canceled") == 0))
            return RECONCILE_CANCELLED;
        return RECONCILE_OK;
    }
    return RECONCILE_MISSING;
}

int booking_reconcile_schedule(struct db_conn *tx, const char *tenant, int64_t now_us)
{
    int64_t at = (now_us / BOOKING_RECONCILE_EVERY_US + 1) * BOOKING_RECONCILE_EVERY_US;
    char dd[128];
    snprintf(dd, sizeof dd, "booking.reconcile:%.63s:%" PRId64, tenant, at / 1000000);
    struct job_spec js = { .tenant_id = tenant, .kind = BOOKING_RECONCILE_KIND,
                           .payload = "{}", .run_at_us = at, .dedupe_key = dd };
    return jobs_enqueue(tx, &js, NULL) < 0 ? -1 : 0;
}

struct live {
    int64_t id, hold_id, start_us, end_us;
    int rewrites;
    char appt[128], service[64];
};

static int exec_ok(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

/* Acts on one booking's verdict. 0 or -1 (database). */
static int settle(struct db_conn *c, struct daemon *d, const char *tenant, const struct live *l,
                  enum reconcile_verdict v, const char *now)
{
    char id[24], desc[160], text[480];
    snprintf(id, sizeof id, "%" PRId64, l->id);
    const char *p[] = { tenant, id, now };
    if (v == RECONCILE_OK)
        return exec_ok(c, &st_rec_ok, 3, p);
    struct booking b = { .id = l->id, .hold_id = l->hold_id };
    const struct knowledge *k = NULL;
    if (knowledge_get(c, tenant, &k) != 0)
        k = NULL;
    booking_describe_slot(k, l->service, l->start_us, desc, sizeof desc);
    if (k)
        knowledge_release(k);
    const char *staff = booking_staff_phone(d, tenant);
    const char *fields[] = { "tenant", tenant, "booking", id,
                             "verdict", v == RECONCILE_CANCELLED ? "cancelled" : "missing", NULL };
    log_write(LOG_WARN, NULL, fields, "booking differs from the EMR's calendar");
    if (v == RECONCILE_CANCELLED) {
        snprintf(text, sizeof text,
                 "booking %" PRId64 " (%s) was cancelled in the EMR; we marked it cancelled. "
                 "Please let the patient know if the clinic cancelled it.",
                 l->id, desc);
        if (exec_ok(c, &st_rec_cancel, 3, p) != 0 ||
            booking_tell_staff(c, tenant, &b, "booking.cancelled_in_emr", text, staff) < 0)
            return -1;
        availability_invalidate(tenant);
        return 0;
    }
    if (l->rewrites > 0) {
        snprintf(text, sizeof text,
                 "booking %" PRId64 " (%s) is missing from the EMR again after being written "
                 "twice. Please book it by hand.",
                 l->id, desc);
        return booking_tell_staff(c, tenant, &b, "booking.missing", text, staff) < 0 ? -1 : 0;
    }
    PGresult *r = db_exec(c, &st_rec_rewrite, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    bool changed = PQntuples(r) == 1;
    PQclear(r);
    if (!changed)
        return 0;
    char pl[64], dd[64];
    snprintf(pl, sizeof pl, "{\"booking_id\":%" PRId64 "}", l->id);
    snprintf(dd, sizeof dd, "booking:%" PRId64 ":rewrite:1", l->id);
    struct job_spec js = { .tenant_id = tenant, .kind = BOOKING_JOB_KIND, .payload = pl,
                           .dedupe_key = dd, .max_attempts = BOOKING_MAX_ATTEMPTS };
    snprintf(text, sizeof text,
             "booking %" PRId64 " (%s) was missing from the EMR; it is being written again.",
             l->id, desc);
    if (jobs_enqueue(c, &js, NULL) < 0 ||
        booking_tell_staff(c, tenant, &b, "booking.rewritten", text, staff) < 0)
        return -1;
    return 0;
}

static int reconcile_job(struct db_conn *c, const struct job *job, struct job_result *res,
                         void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = job->tenant_id;
    int64_t now_us = clock_now_us();
    char now[24], lim[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(lim, sizeof lim, "%d", BOOKING_RECONCILE_MAX);
    const char *p[] = { tenant, now, lim };
    PGresult *r = db_exec(c, &st_rec_live, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        snprintf(res->error, sizeof res->error, "cannot read the bookings");
        return JOB_RETRY;
    }
    int n = PQntuples(r);
    struct live *v = n > 0 ? calloc((size_t)n, sizeof *v) : NULL;
    if (n > 0 && !v) {
        PQclear(r);
        return JOB_RETRY;
    }
    int64_t from = 0, to = 0;
    for (int i = 0; i < n; i++) {
        v[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        v[i].hold_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        snprintf(v[i].appt, sizeof v[i].appt, "%s", PQgetvalue(r, i, 2));
        snprintf(v[i].service, sizeof v[i].service, "%s", PQgetvalue(r, i, 3));
        v[i].start_us = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        v[i].end_us = strtoll(PQgetvalue(r, i, 5), NULL, 10);
        v[i].rewrites = (int)strtol(PQgetvalue(r, i, 6), NULL, 10);
        if (i == 0 || v[i].start_us < from)
            from = v[i].start_us;
        if (v[i].end_us > to)
            to = v[i].end_us;
    }
    PQclear(r);
    int out = 0;
    if (n == 0)
        goto done; /* nothing upcoming: the next booking schedules a run */
    char fs[32], ts[32];
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "from", clock_format_utc(from - 60 * INT64_C(1000000), fs));
    cJSON_AddStringToObject(q, "to", clock_format_utc(to + 60 * INT64_C(1000000), ts));
    char *in = q ? cJSON_PrintUnformatted(q) : NULL;
    cJSON_Delete(q);
    struct emr_result er;
    int rc = in ? emr_call(d->registry, tenant, EMR_OP_APPOINTMENT_LIST, in, NULL, 0, &er)
                : BW_E_NOMEM;
    cJSON_free(in);
    if (rc != 0) {
        const char *fields[] = { "tenant", tenant, NULL };
        log_write(rc == BW_E_NOTSUP ? LOG_INFO : LOG_WARN, NULL, fields,
                  "reconciliation skipped: %s", bw_strerror(rc));
        emr_result_free(&er);
        if (rc == BW_E_NOTSUP)
            goto out; /* the EMR cannot list: nothing to compare, ever */
        goto done;
    }
    cJSON *list = cJSON_ParseWithLength(er.json, er.len);
    emr_result_free(&er);
    int mismatches = 0;
    for (int i = 0; i < n && out == 0; i++) {
        enum reconcile_verdict vd = booking_reconcile_verdict(list, v[i].appt);
        if (vd != RECONCILE_OK)
            mismatches++;
        if (settle(c, d, tenant, &v[i], vd, now) != 0) {
            snprintf(res->error, sizeof res->error, "cannot record booking %" PRId64, v[i].id);
            out = JOB_RETRY;
        }
    }
    cJSON_Delete(list);
    if (out == 0) {
        char nb[16], nm[16];
        snprintf(nb, sizeof nb, "%d", n);
        snprintf(nm, sizeof nm, "%d", mismatches);
        const char *fields[] = { "tenant", tenant, "bookings", nb, "mismatches", nm, NULL };
        log_write(LOG_INFO, NULL, fields, "bookings reconciled with the EMR");
    }
done:
    if (out == 0 && n > 0 && booking_reconcile_schedule(c, tenant, now_us) != 0)
        out = JOB_RETRY;
out:
    free(v);
    return out;
}

int booking_reconcile_register(struct jobs *j, struct daemon *d)
{
    return jobs_register(j, BOOKING_RECONCILE_KIND, reconcile_job, d);
}
