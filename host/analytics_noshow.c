/*
 * The no-show rate (GET /metrics/no-shows): of the booked appointments in
 * the range whose outcome is known (analytics_attendance.h: read back from
 * the EMR, else recorded by staff), how many were no-shows, by local month
 * of the appointment and by provider, with the totals. The product's target
 * is under 7%.
 */
#include "analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_attendance.h"
#include "clock.h"

/* $4: the zone the months are read in. */
DB_STMT(st_noshow,
        "WITH " ANALYTICS_ATTENDANCE_CTE
        " SELECT to_char(b.start_at AT TIME ZONE $4, 'YYYY-MM') AS month, b.provider_id,"
        "  count(*) FILTER (WHERE a.state = 'showed'), count(*) FILTER (WHERE a.state = 'no_show')"
        " FROM attendance_of a JOIN bookings b ON b.tenant_id = $1 AND b.id = a.booking_id"
        " WHERE b.start_at >= $2::timestamptz AND b.start_at < $3::timestamptz"
        " GROUP BY 1, 2 ORDER BY 1, 2");

/* Adds {key: name, showed, no_show, appointments, no_show_rate} to arr,
 * or adds the counts to the item already there. */
static void tally(cJSON *arr, const char *key, const char *name, long showed, long no_show)
{
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, key));
        if (n && strcmp(n, name) == 0)
            break;
    }
    if (!it) {
        if (!(it = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            return;
        }
        cJSON_AddStringToObject(it, key, name);
        cJSON_AddNumberToObject(it, "showed", 0);
        cJSON_AddNumberToObject(it, "no_show", 0);
    }
    cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "showed");
    cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "no_show");
    cJSON_SetNumberValue(s, s->valuedouble + (double)showed);
    cJSON_SetNumberValue(n, n->valuedouble + (double)no_show);
}

/* appointments and no_show_rate (null without appointments) on item. */
static void rate_of(cJSON *item)
{
    double s = cJSON_GetObjectItemCaseSensitive(item, "showed")->valuedouble;
    double n = cJSON_GetObjectItemCaseSensitive(item, "no_show")->valuedouble;
    cJSON_AddNumberToObject(item, "appointments", s + n);
    if (s + n > 0)
        cJSON_AddNumberToObject(item, "no_show_rate", n / (s + n));
    else
        cJSON_AddNullToObject(item, "no_show_rate");
}

static void rates(cJSON *arr)
{
    cJSON *it;
    cJSON_ArrayForEach(it, arr)
        rate_of(it);
}

cJSON *analytics_no_shows(struct db_conn *c, const char *tenant, const struct analytics_range *r)
{
    char start[32], end[32];
    clock_format_utc(r->start_us, start);
    clock_format_utc(r->end_us, end);
    const char *p[] = { tenant, start, end, r->tz };
    PGresult *res = db_exec(c, &st_noshow, 4, p);
    if (!db_ok(res)) {
        PQclear(res);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *months = o ? cJSON_AddArrayToObject(o, "by_month") : NULL;
    cJSON *providers = o ? cJSON_AddArrayToObject(o, "by_provider") : NULL;
    cJSON *total = o ? cJSON_AddObjectToObject(o, "total") : NULL;
    if (!total) {
        cJSON_Delete(o);
        PQclear(res);
        return NULL;
    }
    analytics_range_json(o, r);
    long showed_all = 0, no_show_all = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        long showed = strtol(PQgetvalue(res, i, 2), NULL, 10);
        long no_show = strtol(PQgetvalue(res, i, 3), NULL, 10);
        tally(months, "month", PQgetvalue(res, i, 0), showed, no_show);
        tally(providers, "provider", PQgetvalue(res, i, 1), showed, no_show);
        showed_all += showed;
        no_show_all += no_show;
    }
    PQclear(res);
    rates(months);
    rates(providers);
    cJSON_AddNumberToObject(total, "showed", (double)showed_all);
    cJSON_AddNumberToObject(total, "no_show", (double)no_show_all);
    rate_of(total);
    cJSON_AddNumberToObject(o, "target_no_show_rate", 0.07);
    return o;
}
