/*
 * The revenue impact calculator of PRODUCT.md fed with what Bookwell
 * measured for the tenant (analytics.h):
 *   new_bookings_per_week    = missed_calls_per_week × (ai_capture_rate − current_capture_rate)
 *   monthly_revenue_gain     = new_bookings_per_week × average_ticket × 4.33
 *   no_shows_saved_per_month = appointments_per_month × no_show_rate × no_show_reduction
 *   monthly_no_show_savings  = no_shows_saved_per_month × average_ticket
 *   total_monthly_impact     = monthly_revenue_gain + monthly_no_show_savings
 *   roi                      = total_monthly_impact / platform_fee_per_month
 * Measured: missed calls per week, the capture rate (missed-call leads that
 * were booked), appointments per month (bookings made), the no-show
 * reduction (recorded outcomes against the baseline rate). Given by the
 * clinic or assumed: the average ticket, the fee, the capture rate and
 * no-show rate before Bookwell. Without measurements (no missed call, no
 * recorded outcome) the example's assumption is used and says so.
 */
#include <string.h>

#include "analytics.h"

#define WEEKS_PER_MONTH 4.33
#define DEFAULT_AVERAGE_TICKET 450.0
#define DEFAULT_PLATFORM_FEE 599.0
#define DEFAULT_CURRENT_CAPTURE 0.15
#define DEFAULT_AI_CAPTURE 0.40
#define DEFAULT_NO_SHOW_RATE 0.15
#define DEFAULT_NO_SHOW_REDUCTION 0.30

static double round_to(double v, double unit)
{
    double x = v / unit;
    return (double)(long long)(x + (x < 0 ? -0.5 : 0.5)) * unit;
}

/* Adds {value, source, basis} under name to inputs; returns value. */
static double input(cJSON *inputs, const char *name, double value, const char *source,
                    const char *basis)
{
    cJSON *o = cJSON_AddObjectToObject(inputs, name);
    if (o) {
        cJSON_AddNumberToObject(o, "value", round_to(value, 0.0001));
        cJSON_AddStringToObject(o, "source", source);
        cJSON_AddStringToObject(o, "basis", basis);
    }
    return value;
}

static double given_or(cJSON *inputs, const char *name, double given, double fallback,
                       const char *basis)
{
    return given >= 0 ? input(inputs, name, given, "given", basis)
                      : input(inputs, name, fallback, "assumed", basis);
}

cJSON *analytics_revenue_impact(struct db_conn *c, const char *tenant,
                                const struct analytics_range *r,
                                const struct analytics_revenue_given *given)
{
    struct analytics_funnel rows[8], *all = NULL;
    struct analytics_attendance att;
    int n = analytics_funnel_rows(c, tenant, r, rows, 8);
    if (n < 0 || analytics_attendance_counts(c, tenant, r, &att) != 0)
        return NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].channel, "all") == 0)
            all = &rows[i];
    if (!all)
        return NULL;
    double weeks = r->days / 7.0, months = weeks / WEEKS_PER_MONTH;

    cJSON *o = cJSON_CreateObject();
    analytics_range_json(o, r);
    cJSON *in = cJSON_AddObjectToObject(o, "inputs");
    double missed_pw = input(in, "missed_calls_per_week", (double)all->missed_call / weeks,
                             "measured", "leads that began with a missed call, per week");
    double ai_capture =
        all->missed_call > 0
            ? input(in, "ai_capture_rate", (double)all->missed_call_booked / (double)all->missed_call,
                    "measured", "missed-call leads that were booked")
            : input(in, "ai_capture_rate", DEFAULT_AI_CAPTURE, "assumed",
                    "no missed call in the range");
    double current = given_or(in, "current_capture_rate", given->current_capture_rate,
                              DEFAULT_CURRENT_CAPTURE, "missed calls booked before Bookwell");
    double ticket = given_or(in, "average_ticket", given->average_ticket, DEFAULT_AVERAGE_TICKET,
                             "dollars per appointment");
    double appts_pm = input(in, "appointments_per_month", (double)all->booked / months, "measured",
                            "bookings made, per month");
    double baseline = given_or(in, "no_show_rate", given->baseline_no_show_rate,
                               DEFAULT_NO_SHOW_RATE, "no-show rate without deposits");
    double outcomes = (double)(att.showed + att.no_show), reduction;
    if (outcomes > 0 && baseline > 0) {
        double measured = (double)att.no_show / outcomes;
        input(in, "measured_no_show_rate", measured, "measured",
              "no-shows among recorded outcomes of appointments in the range");
        reduction = input(in, "no_show_reduction", 1.0 - measured / baseline, "measured",
                          "1 - measured_no_show_rate / no_show_rate");
    } else {
        reduction = input(in, "no_show_reduction", DEFAULT_NO_SHOW_REDUCTION, "assumed",
                          "no recorded outcome in the range");
    }
    double fee = given_or(in, "platform_fee_per_month", given->platform_fee, DEFAULT_PLATFORM_FEE,
                          "dollars per month");

    double new_pw = missed_pw * (ai_capture - current);
    double gain = new_pw * ticket * WEEKS_PER_MONTH;
    double saved = appts_pm * baseline * reduction;
    double savings = saved * ticket;
    double total = gain + savings;
    cJSON *out = cJSON_AddObjectToObject(o, "results");
    cJSON_AddNumberToObject(out, "new_bookings_per_week", round_to(new_pw, 0.01));
    cJSON_AddNumberToObject(out, "monthly_revenue_gain", round_to(gain, 0.01));
    cJSON_AddNumberToObject(out, "no_shows_saved_per_month", round_to(saved, 0.01));
    cJSON_AddNumberToObject(out, "monthly_no_show_savings", round_to(savings, 0.01));
    cJSON_AddNumberToObject(out, "total_monthly_impact", round_to(total, 0.01));
    cJSON_AddNumberToObject(out, "platform_fee_per_month", round_to(fee, 0.01));
    if (fee > 0)
        cJSON_AddNumberToObject(out, "roi", round_to(total / fee, 0.01));
    else
        cJSON_AddNullToObject(out, "roi");
    return o;
}
