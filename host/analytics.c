/*
 * The analytics queries (analytics.h). Every query is scoped by tenant ($1)
 * and the range's UTC bounds ($2, $3). A lead is a conversation that began
 * in the range; it reached a stage when it, or a later stage, happened:
 *   missed call  the contact's call went unanswered (a subset of leads);
 *   responded    the patient wrote (a message in the conversation);
 *   qualified    the assistant learned the service wanted or offered slots
 *                (the engine's state, "core": want.services, offers), or a
 *                slot was held;
 *   held         a slot was held for the contact;
 *   paid         a deposit for the contact's hold or conversation was paid;
 *   booked       a booking from the contact's hold reached the EMR;
 *   showed       the appointment's outcome is "showed" (analytics_attendance.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "analytics_attendance.h"
#include "clock.h"

/* The three parameters of every query. */
struct params {
    char start[32], end[32];
    const char *v[3];
};

static void params_init(struct params *p, const char *tenant, const struct analytics_range *r)
{
    clock_format_utc(r->start_us, p->start);
    clock_format_utc(r->end_us, p->end);
    p->v[0] = tenant;
    p->v[1] = p->start;
    p->v[2] = p->end;
}

static double num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

/* Per missed call: whether the text-back went out, and the seconds from
 * the call to the clinic's first message to the contact after it. */
DB_STMT(st_missed,
        "WITH missed AS ("
        " SELECT c.id, c.contact_id, c.at FROM calls c"
        " WHERE c.tenant_id = $1 AND c.outcome = 'missed' AND c.at >= $2::timestamptz"
        "  AND c.at < $3::timestamptz),"
        " answered AS ("
        " SELECT m.id,"
        "  EXISTS (SELECT 1 FROM messages t WHERE t.tenant_id = $1 AND t.kind = 'textback'"
        "   AND t.direction = 'out' AND t.caused_by = m.id AND t.contact_id = m.contact_id"
        "   AND t.status IN ('sending', 'sent', 'delivered', 'uncertain')) AS texted_back,"
        "  (SELECT extract(epoch FROM min(coalesce(o.sent_at, o.created_at)) - m.at)"
        "   FROM messages o WHERE o.tenant_id = $1 AND o.contact_id = m.contact_id"
        "   AND o.direction = 'out' AND o.created_at >= m.at"
        "   AND o.status IN ('sending', 'sent', 'delivered', 'uncertain')) AS first_s"
        " FROM missed m)"
        " SELECT count(*), count(*) FILTER (WHERE texted_back), count(first_s),"
        "  percentile_cont(0.5) WITHIN GROUP (ORDER BY first_s),"
        "  percentile_cont(0.9) WITHIN GROUP (ORDER BY first_s),"
        "  percentile_cont(0.99) WITHIN GROUP (ORDER BY first_s),"
        "  max(first_s), count(*) FILTER (WHERE first_s < 60)"
        " FROM answered");

cJSON *analytics_missed_calls(struct db_conn *c, const char *tenant,
                              const struct analytics_range *r)
{
    struct params p;
    params_init(&p, tenant, r);
    PGresult *res = db_exec(c, &st_missed, 3, p.v);
    if (!db_ok(res) || PQntuples(res) != 1) {
        PQclear(res);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    analytics_range_json(o, r);
    double missed = num(res, 0, 0), texted = num(res, 0, 1), responded = num(res, 0, 2);
    cJSON_AddNumberToObject(o, "missed_calls", missed);
    cJSON_AddNumberToObject(o, "texted_back", texted);
    cJSON_AddNumberToObject(o, "texted_back_rate", missed > 0 ? texted / missed : 0);
    cJSON_AddNumberToObject(o, "first_responses", responded);
    cJSON_AddNumberToObject(o, "first_response_within_60s", num(res, 0, 7));
    cJSON *t = cJSON_AddObjectToObject(o, "time_to_first_response_s");
    const char *names[] = { "p50", "p90", "p99", "max" };
    int cols[] = { 3, 4, 5, 6 };
    for (int i = 0; t && i < 4; i++) {
        if (PQgetisnull(res, 0, cols[i]))
            cJSON_AddNullToObject(t, names[i]);
        else
            cJSON_AddNumberToObject(t, names[i], num(res, 0, cols[i]));
    }
    cJSON_AddStringToObject(o, "hours", "all");
    PQclear(res);
    return o;
}

DB_STMT(st_funnel,
        "WITH " ANALYTICS_ATTENDANCE_CTE ","
        " leads AS ("
        " SELECT v.id, v.contact_id, k.channel, coalesce(v.state->'core', v.state) AS engine"
        " FROM conversations v"
        " JOIN contacts k ON k.tenant_id = v.tenant_id AND k.id = v.contact_id"
        " WHERE v.tenant_id = $1 AND v.created_at >= $2::timestamptz"
        "  AND v.created_at < $3::timestamptz),"
        " reached AS ("
        " SELECT l.channel,"
        "  EXISTS (SELECT 1 FROM calls c WHERE c.tenant_id = $1 AND c.contact_id = l.contact_id"
        "   AND c.outcome = 'missed') AS missed_call,"
        "  EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.conversation_id = l.id"
        "   AND m.direction = 'in') AS wrote,"
        "  coalesce(jsonb_typeof(l.engine->'want'->'services') = 'array'"
        "   AND jsonb_array_length(l.engine->'want'->'services') > 0, false)"
        "  OR coalesce(jsonb_typeof(l.engine->'offers') = 'array'"
        "   AND jsonb_array_length(l.engine->'offers') > 0, false) AS wants,"
        "  EXISTS (SELECT 1 FROM holds h WHERE h.tenant_id = $1 AND h.contact_id = l.contact_id)"
        "   AS held,"
        "  EXISTS (SELECT 1 FROM deposits d WHERE d.tenant_id = $1"
        "   AND d.status IN ('paid', 'refunded') AND (d.conversation_id = l.id OR d.hold_ref IN"
        "   (SELECT 'hold-' || h.id FROM holds h WHERE h.tenant_id = $1"
        "    AND h.contact_id = l.contact_id))) AS paid,"
        "  EXISTS (SELECT 1 FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id"
        "   AND h.id = b.hold_id WHERE b.tenant_id = $1 AND h.contact_id = l.contact_id"
        "   AND b.state IN ('booked', 'cancelled')) AS booked,"
        "  EXISTS (SELECT 1 FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id"
        "   AND h.id = b.hold_id JOIN attendance_of a ON a.booking_id = b.id"
        "   WHERE b.tenant_id = $1 AND h.contact_id = l.contact_id AND a.state = 'showed')"
        "   AS showed"
        " FROM leads l),"
        " stage AS ("
        " SELECT channel, missed_call, showed,"
        "  booked OR showed AS booked,"
        "  paid OR booked OR showed AS paid,"
        "  held OR paid OR booked OR showed AS held,"
        "  wants OR held OR paid OR booked OR showed AS qualified,"
        "  wrote OR wants OR held OR paid OR booked OR showed AS responded"
        " FROM reached)"
        " SELECT coalesce(channel, 'all'), count(*), count(*) FILTER (WHERE missed_call),"
        "  count(*) FILTER (WHERE responded), count(*) FILTER (WHERE qualified),"
        "  count(*) FILTER (WHERE held), count(*) FILTER (WHERE paid),"
        "  count(*) FILTER (WHERE booked), count(*) FILTER (WHERE showed),"
        "  count(*) FILTER (WHERE missed_call AND booked)"
        " FROM stage GROUP BY ROLLUP (channel) ORDER BY channel IS NULL, channel");

int analytics_funnel_rows(struct db_conn *c, const char *tenant, const struct analytics_range *r,
                          struct analytics_funnel *rows, int cap)
{
    struct params p;
    params_init(&p, tenant, r);
    PGresult *res = db_exec(c, &st_funnel, 3, p.v);
    if (!db_ok(res)) {
        PQclear(res);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < PQntuples(res) && n < cap; i++, n++) {
        struct analytics_funnel *f = &rows[n];
        snprintf(f->channel, sizeof f->channel, "%s", PQgetvalue(res, i, 0));
        int64_t *v[] = { &f->leads, &f->missed_call, &f->responded, &f->qualified,
                         &f->held, &f->paid, &f->booked, &f->showed, &f->missed_call_booked };
        for (int k = 0; k < 9; k++)
            *v[k] = (int64_t)num(res, i, k + 1);
    }
    if (n == 0 && cap > 0) {
        /* No lead at all: ROLLUP gives no row; the total is zeros. */
        memset(&rows[0], 0, sizeof rows[0]);
        snprintf(rows[0].channel, sizeof rows[0].channel, "all");
        n = 1;
    }
    PQclear(res);
    return n;
}

static cJSON *funnel_json(const struct analytics_funnel *f)
{
    static const char *const names[] = { "lead", "responded", "qualified", "held",
                                         "paid", "booked", "showed" };
    const int64_t counts[] = { f->leads, f->responded, f->qualified, f->held,
                               f->paid, f->booked, f->showed };
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "channel", f->channel);
    cJSON_AddNumberToObject(o, "leads", (double)f->leads);
    cJSON_AddNumberToObject(o, "from_missed_calls", (double)f->missed_call);
    cJSON *stages = cJSON_AddArrayToObject(o, "stages");
    for (int i = 0; stages && i < 7; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "stage", names[i]);
        cJSON_AddNumberToObject(s, "count", (double)counts[i]);
        cJSON_AddNumberToObject(s, "rate_from_previous",
                                i == 0 ? (counts[0] > 0 ? 1 : 0)
                                       : counts[i - 1] > 0 ? (double)counts[i] / (double)counts[i - 1] : 0);
        cJSON_AddNumberToObject(s, "rate_from_leads",
                                counts[0] > 0 ? (double)counts[i] / (double)counts[0] : 0);
        cJSON_AddItemToArray(stages, s);
    }
    return o;
}

#define FUNNEL_ROWS_MAX 8

cJSON *analytics_conversion_funnel(struct db_conn *c, const char *tenant,
                                   const struct analytics_range *r)
{
    struct analytics_funnel rows[FUNNEL_ROWS_MAX];
    int n = analytics_funnel_rows(c, tenant, r, rows, FUNNEL_ROWS_MAX);
    if (n < 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    analytics_range_json(o, r);
    cJSON *channels = cJSON_AddArrayToObject(o, "channels");
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].channel, "all") == 0)
            cJSON_AddItemToObject(o, "all", funnel_json(&rows[i]));
        else
            cJSON_AddItemToArray(channels, funnel_json(&rows[i]));
    }
    return o;
}

/* Outcomes recorded for bookings whose appointment falls in the range. */
DB_STMT(st_attendance,
        "WITH " ANALYTICS_ATTENDANCE_CTE
        " SELECT count(*) FILTER (WHERE a.state = 'showed'),"
        "  count(*) FILTER (WHERE a.state = 'no_show')"
        " FROM attendance_of a JOIN bookings b ON b.tenant_id = $1 AND b.id = a.booking_id"
        " WHERE b.start_at >= $2::timestamptz AND b.start_at < $3::timestamptz");

int analytics_attendance_counts(struct db_conn *c, const char *tenant,
                                const struct analytics_range *r, struct analytics_attendance *out)
{
    struct params p;
    params_init(&p, tenant, r);
    PGresult *res = db_exec(c, &st_attendance, 3, p.v);
    if (!db_ok(res) || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    out->showed = (int64_t)num(res, 0, 0);
    out->no_show = (int64_t)num(res, 0, 1);
    PQclear(res);
    return 0;
}
