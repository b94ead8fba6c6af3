/*
 * The booking writer's messages to patients and staff.
 */
#include "booking_notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "knowledge.h"
#include "outbound.h"
#include "staff_alert.h"
#include "tz.h"

DB_STMT(st_notify_conv,
        "SELECT c.id FROM holds h JOIN conversations c "
        "ON c.tenant_id = h.tenant_id AND c.contact_id = h.contact_id "
        "WHERE h.tenant_id = $1 AND h.id = $2::bigint");

void booking_describe_slot(const struct knowledge *k, const char *service_id, int64_t start_us,
                           char *out, size_t cap)
{
    static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    const struct kn_service *s = k ? knowledge_service(k, service_id) : NULL;
    const char *name = s && s->name ? s->name : "your appointment";
    struct tz_local l;
    if (!k || tz_to_local(k->timezone, start_us, &l) != 0 || l.month < 1 || l.month > 12 ||
        l.weekday < 0 || l.weekday > 6) {
        snprintf(out, cap, "%s", name);
        return;
    }
    int h12 = l.hour % 12 == 0 ? 12 : l.hour % 12;
    snprintf(out, cap, "%s on %s, %s %d at %d:%02d %s", name, wd[l.weekday], mon[l.month - 1],
             l.day, h12, l.minute, l.hour < 12 ? "AM" : "PM");
}

int booking_conversation(struct db_conn *tx, const char *tenant, int64_t hold_id, int64_t *conv)
{
    if (hold_id <= 0)
        return 0;
    char hid[24];
    snprintf(hid, sizeof hid, "%" PRId64, hold_id);
    const char *p[] = { tenant, hid };
    PGresult *r = db_exec(tx, &st_notify_conv, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int found = PQntuples(r) == 1;
    if (found)
        *conv = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return found;
}

int booking_tell_patient(struct db_conn *tx, const char *tenant, int64_t hold_id,
                         const char *kind, const char *text)
{
    int64_t conv = 0;
    int f = booking_conversation(tx, tenant, hold_id, &conv);
    if (f <= 0)
        return f;
    struct outbound_msg m = { .tenant_id = tenant, .conversation_id = conv, .kind = kind,
                              .text = text };
    int rc = outbound_enqueue(tx, &m, NULL);
    if (rc == OUTBOUND_E_NOTFOUND)
        return 0;
    return rc == 0 ? 1 : -1;
}

int booking_tell_staff(struct db_conn *tx, const char *tenant, const struct booking *b,
                       const char *kind, const char *text, const char *staff_phone)
{
    char subject[48];
    snprintf(subject, sizeof subject, "booking:%" PRId64, b->id);
    int64_t conv = 0;
    if (booking_conversation(tx, tenant, b->hold_id, &conv) < 0)
        return -1;
    struct staff_alert a = { .tenant_id = tenant, .kind = kind, .subject = subject,
                             .text = text, .staff_phone = staff_phone,
                             .conversation_id = conv };
    return staff_alert_raise(tx, &a);
}
