/*
 * The dashboard's HTML and SVG (dashboard_view.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_view.h"

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A calculator name as words ("missed_calls_per_week" -> "missed calls per week"). */
static void words(FILE *f, const char *name)
{
    for (; name && *name; name++)
        fputc(*name == '_' ? ' ' : *name, f);
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char STYLE[] =
    "<style>"
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}"
    "header{background:#1d3b35;color:#fff;padding:.8rem 1rem;display:flex;flex-wrap:wrap;"
    "justify-content:space-between;align-items:center;gap:.5rem}"
    "header h1{font-size:1.2rem;margin:0}main{padding:1rem;max-width:60rem;margin:auto}"
    "section{background:#fff;border:1px solid #d6d6d0;border-radius:6px;padding:1rem;margin:0 0 1rem}"
    "h2{font-size:1.05rem;margin:0 0 .6rem}table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e4e4df;overflow-wrap:anywhere}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "thead th{text-align:right}thead th:first-child,thead th.t{text-align:left}"
    "table+h2{margin-top:1rem}.key{font-size:.9rem}.key b{display:inline-block;width:.8rem;"
    "height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:middle}"
    ".big{font-size:2rem;font-weight:700;color:#1d3b35}"
    "button,input{font:inherit}button{background:#1d3b35;color:#fff;border:0;border-radius:4px;"
    "padding:.45rem .9rem;cursor:pointer}button:focus,input:focus,a:focus{outline:3px solid #e0a100;"
    "outline-offset:2px}header button{background:#fff;color:#1d3b35}"
    "header nav a{color:#fff;margin-right:.8rem}textarea{font:inherit;width:100%;max-width:40rem;"
    "padding:.4rem;border:1px solid #767676;border-radius:4px}textarea:focus{outline:3px solid #e0a100}"
    ".alert{background:#fff4d6;border-left:4px solid #a05a00;padding:.4rem .6rem;margin:.3rem 0}"
    ".badge{display:inline-block;background:#a00000;color:#fff;border-radius:1rem;padding:0 .5rem;"
    "font-size:.85rem}.msg{margin:.4rem 0;padding:.4rem .6rem;border-radius:6px;max-width:40rem}"
    ".in{background:#eef1f0}.out{background:#dff0e8;margin-left:auto}.meta{font-size:.8rem;color:#4a4a4a}"
    ".actions form{display:inline-block;margin:.3rem .3rem .3rem 0}"
    ".sr{position:absolute;left:-9999px}"
    "label{display:block;margin:.6rem 0 .2rem}input{width:100%;max-width:22rem;padding:.4rem;"
    "border:1px solid #767676;border-radius:4px}.err{color:#a00000}svg{max-width:100%;height:auto}"
    "</style>";

static void head(FILE *f, const char *title, bool refresh)
{
    fputs("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
          f);
    if (refresh)
        fputs("<meta http-equiv=\"refresh\" content=\"0;url=/dashboard\">", f);
    fputs("<title>", f);
    esc(f, title);
    fputs(" · Bookwell</title>", f);
    fputs(STYLE, f);
    fputs("</head><body>", f);
}

/* Closes the page; *buf is open_memstream's buffer, set by fclose. */
static char *finish(FILE *f, char **buf)
{
    fputs("</body></html>\n", f);
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

void dashboard_view_esc(FILE *f, const char *s)
{
    esc(f, s);
}

void dashboard_view_head(FILE *f, const char *title, int refresh_s)
{
    fputs("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
          f);
    if (refresh_s > 0)
        fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh_s);
    fputs("<title>", f);
    esc(f, title);
    fputs(" · Bookwell</title>", f);
    fputs(STYLE, f);
    fputs("</head><body>", f);
}

char *dashboard_view_finish(FILE *f, char **buf)
{
    return finish(f, buf);
}

void dashboard_view_header(FILE *f, const char *clinic_name, const char *email, const char *csrf)
{
    fputs("<header><h1>", f);
    esc(f, clinic_name);
    fputs("</h1><nav aria-label=\"Dashboard\"><a href=\"/dashboard\">Overview</a> "
          "<a href=\"/dashboard/inbox\">Inbox</a> <a href=\"/dashboard/audit\">Access log</a></nav>"
          "<form method=\"post\" action=\"/dashboard/logout\"><span>", f);
    esc(f, email);
    fputs("</span> <input type=\"hidden\" name=\"csrf\" value=\"", f);
    esc(f, csrf);
    fputs("\"><button type=\"submit\">Sign out</button></form></header>", f);
}

char *dashboard_render_login(const char *csrf, const char *error)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, "Sign in", false);
    fputs("<header><h1>Bookwell · clinic dashboard</h1></header><main><section>"
          "<h2>Sign in</h2>",
          f);
    if (error) {
        fputs("<p class=\"err\" role=\"alert\">", f);
        esc(f, error);
        fputs("</p>", f);
    }
    fputs("<form method=\"post\" action=\"/dashboard/login\">"
          "<input type=\"hidden\" name=\"csrf\" value=\"",
          f);
    esc(f, csrf);
    fputs("\"><label for=\"clinic\">Clinic id</label>"
          "<input id=\"clinic\" name=\"clinic\" autocomplete=\"organization\" required>"
          "<label for=\"email\">Email</label>"
          "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>"
          "<label for=\"password\">Password</label>"
          "<input id=\"password\" name=\"password\" type=\"password\" "
          "autocomplete=\"current-password\" required>"
          "<p><button type=\"submit\">Sign in</button></p></form></section></main>",
          f);
    return finish(f, &buf);
}

char *dashboard_render_notice(const char *title, const char *href, const char *link_text,
                              bool refresh)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, title, refresh);
    fputs("<header><h1>Bookwell · clinic dashboard</h1></header><main><section><h2>", f);
    esc(f, title);
    fputs("</h2><p><a href=\"", f);
    esc(f, href);
    fputs("\">", f);
    esc(f, link_text);
    fputs("</a></p></section></main>", f);
    return finish(f, &buf);
}

/* The funnel as horizontal bars (SVG) and as a table with the exact counts. */
static void funnel_section(FILE *f, const cJSON *funnel)
{
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(funnel, "all");
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(all, "stages"), *s;
    double leads = num_at(all, "leads", NULL);
    int n = cJSON_GetArraySize(stages), i = 0;
    fputs("<section aria-labelledby=\"funnel-h\"><h2 id=\"funnel-h\">Conversion funnel</h2>", f);
    fprintf(f, "<svg role=\"img\" aria-labelledby=\"funnel-h\" viewBox=\"0 0 600 %d\" width=\"600\">",
            n * 34 + 4);
    cJSON_ArrayForEach(s, stages)
    {
        double count = num_at(s, "count", NULL);
        double w = leads > 0 ? 400.0 * count / leads : 0;
        fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"14\">", i * 34 + 22);
        esc(f, str_at(s, "stage", NULL));
        fprintf(f, "</text><rect x=\"110\" y=\"%d\" width=\"%.1f\" height=\"26\" fill=\"#2f7a6b\"/>"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"14\">%.0f</text>",
                i * 34 + 4, w < 1 && count > 0 ? 1 : w, 110 + w + 6, i * 34 + 22, count);
        i++;
    }
    fputs("</svg><table><caption class=\"sr\">Funnel stages, all channels</caption>"
          "<thead><tr><th scope=\"col\">Stage</th><th scope=\"col\">Count</th>"
          "<th scope=\"col\">From previous</th><th scope=\"col\">From leads</th></tr></thead><tbody>",
          f);
    cJSON_ArrayForEach(s, stages)
    {
        const char *name = str_at(s, "stage", NULL);
        fputs("<tr><th scope=\"row\">", f);
        esc(f, name);
        fputs("</th><td class=\"n\" data-stage=\"", f);
        esc(f, name);
        fprintf(f, "\">%.0f</td><td class=\"n\">%.0f%%</td><td class=\"n\">%.0f%%</td></tr>",
                num_at(s, "count", NULL), 100 * num_at(s, "rate_from_previous", NULL),
                100 * num_at(s, "rate_from_leads", NULL));
    }
    fputs("</tbody></table>", f);
    const cJSON *ch;
    fputs("<h2>By channel</h2><table><thead><tr><th scope=\"col\">Channel</th>"
          "<th scope=\"col\">Leads</th><th scope=\"col\">Booked</th></tr></thead><tbody>",
          f);
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(funnel, "channels"))
    {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(ch, "stages");
        fputs("<tr><th scope=\"row\">", f);
        esc(f, str_at(ch, "channel", NULL));
        fprintf(f, "</th><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td></tr>",
                num_at(ch, "leads", NULL), num_at(cJSON_GetArrayItem(st, 5), "count", NULL));
    }
    fputs("</tbody></table></section>", f);
}

static void missed_section(FILE *f, const cJSON *m)
{
    fputs("<section aria-labelledby=\"missed-h\"><h2 id=\"missed-h\">Missed calls</h2><table><tbody>", f);
    fprintf(f, "<tr><th scope=\"row\">Missed calls</th><td class=\"n\" data-metric=\"missed_calls\">%.0f</td></tr>"
               "<tr><th scope=\"row\">Texted back</th><td class=\"n\" data-metric=\"texted_back\">%.0f</td></tr>",
            num_at(m, "missed_calls", NULL), num_at(m, "texted_back", NULL));
    const char *p[] = { "p50", "p90", "p99" };
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(m, "time_to_first_response_s"), p[i]);
        fprintf(f, "<tr><th scope=\"row\">First response, %s</th><td class=\"n\">", p[i]);
        if (cJSON_IsNumber(v))
            fprintf(f, "%.1f s", v->valuedouble);
        else
            fputs("–", f);
        fputs("</td></tr>", f);
    }
    fputs("</tbody></table></section>", f);
}

static void revenue_section(FILE *f, const cJSON *r)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(r, "inputs"), *v;
    fputs("<section aria-labelledby=\"rev-h\"><h2 id=\"rev-h\">Revenue impact per month</h2>", f);
    double total = num_at(r, "results", "total_monthly_impact");
    fprintf(f, "<p><span class=\"big\" data-metric=\"total_monthly_impact\">%s$%.0f</span> for a "
               "$%.0f fee: <strong data-metric=\"roi\">%.1f×</strong> return</p>",
            total < 0 ? "−" : "", total < 0 ? -total : total,
            num_at(r, "results", "platform_fee_per_month"), num_at(r, "results", "roi"));
    fputs("<table><thead><tr><th scope=\"col\">Input</th><th scope=\"col\">Value</th>"
          "<th scope=\"col\" class=\"t\">Source</th></tr></thead><tbody>",
          f);
    cJSON_ArrayForEach(v, in)
    {
        fputs("<tr><th scope=\"row\">", f);
        words(f, v->string); /* a fixed key of analytics_revenue.c */
        fprintf(f, "</th><td class=\"n\">%.2f</td><td>", num_at(v, "value", NULL));
        esc(f, str_at(v, "source", NULL));
        fputs(": ", f);
        esc(f, str_at(v, "basis", NULL));
        fputs("</td></tr>", f);
    }
    fprintf(f, "<tr><th scope=\"row\">monthly revenue gain</th><td class=\"n\">%.2f</td><td>result</td></tr>"
               "<tr><th scope=\"row\">monthly no-show savings</th><td class=\"n\">%.2f</td><td>result</td></tr>",
            num_at(r, "results", "monthly_revenue_gain"), num_at(r, "results", "monthly_no_show_savings"));
    fputs("</tbody></table></section>", f);
}

static void trend_section(FILE *f, const struct dashboard_week *w, int n)
{
    long long top = 1;
    for (int i = 0; i < n; i++)
        if (w[i].leads > top)
            top = w[i].leads;
    fputs("<section aria-labelledby=\"trend-h\"><h2 id=\"trend-h\">Leads and bookings by week</h2>"
          "<p class=\"key\"><b style=\"background:#9cc9bf\"></b>leads<b style=\"background:#1d3b35\"></b>"
          "booked</p>",
          f);
    fputs("<svg role=\"img\" aria-labelledby=\"trend-h\" viewBox=\"0 0 600 200\" width=\"600\">", f);
    for (int i = 0; i < n; i++) {
        double x = 10 + i * (580.0 / (n > 0 ? n : 1));
        double hl = 150.0 * (double)w[i].leads / (double)top, hb = 150.0 * (double)w[i].booked / (double)top;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#9cc9bf\"/>"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#1d3b35\"/>"
                   "<text x=\"%.1f\" y=\"195\" font-size=\"11\">%.5s</text>",
                x, 170 - hl, hl, x + 24, 170 - hb, hb, x, w[i].from + 5);
    }
    fputs("</svg><table><thead><tr><th scope=\"col\">Week from</th><th scope=\"col\">Leads</th>"
          "<th scope=\"col\">Booked</th></tr></thead><tbody>",
          f);
    for (int i = 0; i < n; i++)
        fprintf(f, "<tr><th scope=\"row\">%s</th><td class=\"n\" data-week-leads=\"%s\">%lld</td>"
                   "<td class=\"n\">%lld</td></tr>",
                w[i].from, w[i].from, w[i].leads, w[i].booked);
    fputs("</tbody></table></section>", f);
}

/* One table of no-show rates (by_month or by_provider). */
static void no_show_rows(FILE *f, const cJSON *arr, const char *key, const char *heading)
{
    const cJSON *it;
    fprintf(f, "<table><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">Appointments</th>"
               "<th scope=\"col\">No-shows</th><th scope=\"col\">Rate</th></tr></thead><tbody>",
            heading);
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *rate = cJSON_GetObjectItemCaseSensitive(it, "no_show_rate");
        fputs("<tr><th scope=\"row\">", f);
        esc(f, str_at(it, key, NULL));
        fprintf(f, "</th><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td><td class=\"n\">",
                num_at(it, "appointments", NULL), num_at(it, "no_show", NULL));
        if (cJSON_IsNumber(rate))
            fprintf(f, "%.1f%%", rate->valuedouble * 100);
        else
            fputs("–", f);
        fputs("</td></tr>", f);
    }
    fputs("</tbody></table>", f);
}

static void no_show_section(FILE *f, const cJSON *ns)
{
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "total"),
                                                         "no_show_rate");
    fputs("<section aria-labelledby=\"ns-h\"><h2 id=\"ns-h\">No-shows</h2><p>", f);
    if (cJSON_IsNumber(rate))
        fprintf(f, "<span class=\"big\" data-metric=\"no_show_rate\">%.1f%%</span> of %.0f "
                   "appointments with a known outcome (target: under %.0f%%)",
                rate->valuedouble * 100, num_at(ns, "total", "appointments"),
                num_at(ns, "target_no_show_rate", NULL) * 100);
    else
        fputs("No appointment outcome is known for this range yet.", f);
    fputs("</p>", f);
    no_show_rows(f, cJSON_GetObjectItemCaseSensitive(ns, "by_month"), "month", "Month");
    no_show_rows(f, cJSON_GetObjectItemCaseSensitive(ns, "by_provider"), "provider", "Provider");
    fputs("</section>", f);
}

static void ai_section(FILE *f, const struct dashboard_ai *ai)
{
    fprintf(f, "<section aria-labelledby=\"ai-h\"><h2 id=\"ai-h\">Language model</h2>"
               "<p>Since the service last started.</p><table><tbody>"
               "<tr><th scope=\"row\">Requests</th><td class=\"n\" data-metric=\"ai_requests\">%llu</td></tr>"
               "<tr><th scope=\"row\">Tokens in / out</th><td class=\"n\">%llu / %llu</td></tr>"
               "<tr><th scope=\"row\">Cost</th><td class=\"n\" data-metric=\"ai_cost\">$%.4f</td></tr>"
               "<tr><th scope=\"row\">Drafts replaced by the built-in reply</th><td class=\"n\">%llu</td></tr>"
               "<tr><th scope=\"row\">Turns answered without the model</th><td class=\"n\">%llu</td></tr>"
               "</tbody></table></section>",
            ai->requests, ai->input_tokens, ai->output_tokens, (double)ai->cost_microusd / 1e6,
            ai->refused, ai->fallbacks);
}

char *dashboard_render_owner(const struct dashboard_owner_data *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, d->clinic_name, false);
    dashboard_view_header(f, d->clinic_name, d->email, d->csrf);
    fputs("<main>", f);
    fputs("<p>", f);
    esc(f, str_at(d->funnel, "range", "from"));
    fputs(" to ", f);
    esc(f, str_at(d->funnel, "range", "to"));
    fputs(" (", f);
    esc(f, str_at(d->funnel, "range", "tz"));
    fputs(")</p>", f);
    funnel_section(f, d->funnel);
    missed_section(f, d->missed);
    revenue_section(f, d->revenue);
    if (d->no_shows)
        no_show_section(f, d->no_shows);
    trend_section(f, d->weeks, d->n_weeks);
    if (d->ai && d->ai->requests > 0)
        ai_section(f, d->ai);
    fputs("</main>", f);
    return finish(f, &buf);
}
