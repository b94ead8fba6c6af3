/*
 * The clinic's analytics (GET /metrics/... on the public listener): what
 * Bookwell measured for one tenant over a range of local dates, read from
 * the tables where each fact lives (calls, messages, conversations, holds,
 * deposits, bookings, and attendance: analytics_attendance.h).
 *
 * A range is [from 00:00, the day after to 00:00) in a time zone (the
 * tenant's by default), both dates inclusive; without from and to it is the
 * 30 local days that end today on the business clock.
 */
#ifndef BW_HOST_ANALYTICS_H
#define BW_HOST_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "tz.h"

#define ANALYTICS_MAX_DAYS 366

struct analytics_range {
    char from[11], to[11];        /* YYYY-MM-DD, inclusive */
    char tz[TZ_ZONE_MAX + 1];
    int64_t start_us, end_us;     /* [start, end) in UTC */
    int days;
};

/* Reads the from, to and tz query values (each may be NULL). Returns 0, or
 * -1 with a reason for the client in err. */
int analytics_range_parse(const char *from, const char *to, const char *tz,
                          const char *tenant_tz, int64_t now_us, struct analytics_range *out,
                          char *err, size_t cap);

/* Adds "range": {from, to, tz, days} to o. */
void analytics_range_json(cJSON *o, const struct analytics_range *r);

/* Missed calls, how many were texted back, and time to first response
 * (p50/p90/p99 seconds, every hour of the day). NULL on a database error;
 * the object is the caller's. */
cJSON *analytics_missed_calls(struct db_conn *c, const char *tenant,
                              const struct analytics_range *r);

/* Counts per funnel stage for one channel (or all). */
struct analytics_funnel {
    char channel[16];             /* "sms", "webchat", ..., or "all" */
    int64_t leads, missed_call, responded, qualified, held, paid, booked, showed;
    int64_t missed_call_booked;   /* leads from a missed call that were booked */
};

/* Every lead (a conversation that began in the range) and how far it got,
 * per channel, with an "all" row last. Returns the number of rows written
 * to rows (at most cap), or -1 on a database error. */
int analytics_funnel_rows(struct db_conn *c, const char *tenant, const struct analytics_range *r,
                          struct analytics_funnel *rows, int cap);

/* The funnel as JSON (stages with counts, rates from the previous stage and
 * from leads), per channel and for all. NULL on a database error. */
cJSON *analytics_conversion_funnel(struct db_conn *c, const char *tenant,
                                   const struct analytics_range *r);

/* Outcomes of booked appointments that were recorded (analytics_attendance.h). */
struct analytics_attendance {
    int64_t showed, no_show;
};
int analytics_attendance_counts(struct db_conn *c, const char *tenant,
                                const struct analytics_range *r, struct analytics_attendance *out);

/* The no-show rate of appointments in the range whose outcome is known, by
 * local month (in r->tz) and by provider, and in total:
 * {"range", "by_month": [{month, showed, no_show, appointments,
 * no_show_rate}], "by_provider": [{provider, ...}], "total": {...},
 * "target_no_show_rate"}. NULL on a database error. (analytics_noshow.c) */
cJSON *analytics_no_shows(struct db_conn *c, const char *tenant, const struct analytics_range *r);

/* What the clinic tells the calculator, or what it assumes without them
 * (PRODUCT.md's example): a value < 0 is not given. */
struct analytics_revenue_given {
    double average_ticket;        /* dollars; default 450 */
    double platform_fee;          /* dollars per month; default 599 */
    double current_capture_rate;  /* before Bookwell; default 0.15 */
    double baseline_no_show_rate; /* without deposits; default 0.15 */
};

/* PRODUCT.md's revenue impact calculator fed with the tenant's measured
 * numbers, every input shown with its source. NULL on a database error. */
cJSON *analytics_revenue_impact(struct db_conn *c, const char *tenant,
                                const struct analytics_range *r,
                                const struct analytics_revenue_given *given);

#endif
