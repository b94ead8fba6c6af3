/*
 * The dashboard's pages as server-rendered HTML with inline SVG charts (no
 * script, no framework): the sign-in form, and the owner view of the
 * clinic's funnel, missed calls, revenue impact and weekly trend, drawn from
 * the same JSON documents the analytics API returns (analytics.h). Every
 * text that comes from data is HTML-escaped.
 */
#ifndef BW_HOST_DASHBOARD_VIEW_H
#define BW_HOST_DASHBOARD_VIEW_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

/* One week of the trend. */
struct dashboard_week {
    char from[11];
    long long leads, booked;
};

/* The tenant's language model since the daemon started (its /metrics counters). */
struct dashboard_ai {
    unsigned long long requests, input_tokens, output_tokens, cost_microusd, refused, fallbacks;
};

struct dashboard_owner_data {
    const char *clinic_name;
    const char *email;
    const char *csrf;             /* the session's token, for the sign-out form */
    const cJSON *missed;          /* GET /metrics/missed-calls's document */
    const cJSON *funnel;          /* GET /metrics/conversion-funnel's */
    const cJSON *revenue;         /* GET /metrics/revenue-impact's */
    const struct dashboard_week *weeks;
    int n_weeks;
    const cJSON *no_shows;        /* GET /metrics/no-shows's; NULL: not shown */
    const struct dashboard_ai *ai; /* NULL or requests == 0: no language model in use */
};

/* The pages, malloc'd (the caller frees), or NULL when out of memory. */
char *dashboard_render_owner(const struct dashboard_owner_data *data);
/* The sign-in form; error is NULL or a short message for the user. */
char *dashboard_render_login(const char *csrf, const char *error);
/* A short page with a message and a link (after signing in or out). */
char *dashboard_render_notice(const char *title, const char *href, const char *link_text,
                              bool refresh);

/* For the other pages of the dashboard (inbox_view.h): text HTML-escaped,
 * the document's head with the shared style (reloading itself every
 * refresh_s seconds when > 0), the header with the clinic,
 * the navigation and the sign-out form, and the page closed (*buf is
 * open_memstream's buffer; the page, or NULL). */
void dashboard_view_esc(FILE *f, const char *s);
void dashboard_view_head(FILE *f, const char *title, int refresh_s);
void dashboard_view_header(FILE *f, const char *clinic_name, const char *email, const char *csrf);
char *dashboard_view_finish(FILE *f, char **buf);

#endif
