/*
 * The booking row after a patient's cancel or move in the conversation
 * (see booking_change.h).
 */
#include "booking_change.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "deposit_fate.h"
#include "deposit_policy.h"
#include "reminders.h"

DB_STMT(st_cancel,
        "UPDATE bookings SET state = 'cancelled', updated_at = to_timestamp($3::double precision / 1e6)"
        " WHERE tenant_id = $1 AND emr_appointment_id = $2 AND state = 'booked'"
        " RETURNING id, (extract(epoch FROM start_at) * 1000000)::bigint");
DB_STMT(st_move,
        "UPDATE bookings SET start_at = to_timestamp($3::double precision / 1e6),"
        " end_at = to_timestamp($4::double precision / 1e6), provider_id = COALESCE($5, provider_id),"
        " updated_at = to_timestamp($6::double precision / 1e6)"
        " WHERE tenant_id = $1 AND emr_appointment_id = $2 AND state = 'booked' RETURNING id");

int booking_cancelled_by_patient(struct db_conn *tx, const char *tenant,
                                 const char *emr_appointment_id, const cJSON *clinic)
{
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, clock_now_us());
    const char *p[] = { tenant, emr_appointment_id, now };
    PGresult *r = db_exec(tx, &st_cancel, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    int64_t id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    int64_t start = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    char subject[208];
    int64_t dep = 0;
    int f = deposit_fate_booking_subject(tx, tenant, id, subject, sizeof subject, &dep);
    if (f < 0)
        return -1;
    if (f == 0 || dep == 0)
        return 0;
    struct deposit_policy pol;
    deposit_policy_from_doc(clinic, &pol);
    enum deposit_fate fate;
    return deposit_fate_settle(tx, tenant, dep, DEPOSIT_OCC_PATIENT_CANCEL, start, &pol, &fate) < 0
               ? -1
               : 0;
}

int booking_moved_by_patient(struct db_conn *tx, const char *tenant, const char *emr_appointment_id,
                             int64_t start_us, int64_t end_us, const char *provider_id)
{
    char s[24], e[24], now[24];
    snprintf(s, sizeof s, "%" PRId64, start_us);
    snprintf(e, sizeof e, "%" PRId64, end_us);
    snprintf(now, sizeof now, "%" PRId64, clock_now_us());
    const char *p[] = { tenant, emr_appointment_id, s, e, provider_id, now };
    PGresult *r = db_exec(tx, &st_move, 6, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int64_t id = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return id > 0 ? reminders_on_moved(tx, tenant, id) : 0;
}
