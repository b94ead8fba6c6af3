/*
 * The clinic dashboard on the public listener, server-rendered
 * (dashboard_view.h), signed in per tenant user (dashboard_auth.h):
 *   GET  /dashboard          the owner view (the sign-in form without a session)
 *   GET  /dashboard/login    the sign-in form
 *   POST /dashboard/login    clinic, email, password, csrf (form) -> session cookie
 *   POST /dashboard/logout   csrf (form) -> the session ends
 * and on the admin listener, for the operator:
 *   POST /admin/tenants/{tenant}/users {"email", "password", "role"?: "owner"|"staff"}
 * The session cookie is HttpOnly, Secure, SameSite=Strict and scoped to
 * /dashboard; every form carries a CSRF token: the session's, or before
 * signing in one also set as a cookie (double submit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "dashboard_auth.h"
#include "dashboard_view.h"
#include "http_form.h"
#include "metrics.h"
#include "json_util.h"
#include "routes.h"

#define SESSION_COOKIE "bw_session"
#define LOGIN_COOKIE "bw_login"
#define TREND_WEEKS 8

/* The value of cookie name in the request, copied to out ("" when absent). */
static void cookie(const struct http_request *req, const char *name, char *out, size_t cap)
{
    const char *h = http_header(req, "Cookie");
    size_t n = strlen(name);
    out[0] = '\0';
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            p += n + 1;
            size_t len = strcspn(p, ";");
            if (len < cap) {
                memcpy(out, p, len);
                out[len] = '\0';
            }
            return;
        }
        p = strchr(p, ';');
    }
}

static void set_cookie(struct http_response *resp, const char *name, const char *value, int max_age)
{
    snprintf(resp->extra_header_name, sizeof resp->extra_header_name, "Set-Cookie");
    snprintf(resp->extra_header_value, sizeof resp->extra_header_value,
             "%s=%s; Path=/dashboard; HttpOnly; Secure; SameSite=Strict; Max-Age=%d", name, value,
             max_age);
}

static void html(struct http_response *resp, int status, char *page)
{
    if (!page) {
        http_reply_text(resp, 503, "text/plain; charset=utf-8", "out of memory\n");
        return;
    }
    http_reply_text(resp, status, "text/html; charset=utf-8", page);
    free(page);
}

/* The sign-in form with a fresh double-submit token. */
static void login_form(struct http_response *resp, int status, const char *error)
{
    char csrf[DASHBOARD_TOKEN_LEN + 1];
    if (dashboard_random_token(csrf) != 0) {
        http_reply_text(resp, 503, "text/plain; charset=utf-8", "unavailable\n");
        return;
    }
    html(resp, status, dashboard_render_login(csrf, error));
    set_cookie(resp, LOGIN_COOKIE, csrf, 3600);
}

static void get_login(struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    login_form(resp, 200, NULL);
}

/* The weekly trend: TREND_WEEKS weeks of local dates, the last one ending
 * with the range's last day. */
static int weeks(struct db_conn *c, const char *tenant, const struct analytics_range *r,
                 struct dashboard_week *out)
{
    struct tz_local last;
    if (tz_to_local(r->tz, r->end_us - 1, &last) != 0)
        return -1;
    for (int i = 0; i < TREND_WEEKS; i++) {
        struct analytics_range wk;
        struct analytics_funnel rows[8];
        struct tz_local l = last;
        char err[160], to[16], from[16];
        tz_date_add_days(&l, -7 * (TREND_WEEKS - 1 - i));
        snprintf(to, sizeof to, "%04d-%02d-%02d", l.year % 10000, l.month % 100, l.day % 100);
        tz_date_add_days(&l, -6);
        snprintf(from, sizeof from, "%04d-%02d-%02d", l.year % 10000, l.month % 100, l.day % 100);
        if (analytics_range_parse(from, to, r->tz, r->tz, 0, &wk, err, sizeof err) != 0)
            return -1;
        int n = analytics_funnel_rows(c, tenant, &wk, rows, 8);
        if (n < 1)
            return -1;
        snprintf(out[i].from, sizeof out[i].from, "%s", wk.from);
        out[i].leads = rows[n - 1].leads;
        out[i].booked = rows[n - 1].booked;
    }
    return 0;
}

static void get_dashboard(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    char token[DASHBOARD_TOKEN_LEN + 2];
    struct dashboard_session s;
    cookie(req, SESSION_COOKIE, token, sizeof token);
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_text(resp, 503, "text/plain; charset=utf-8", "unavailable\n");
        return;
    }
    int64_t now = clock_now_us();
    int rc = dashboard_session_get(c, token, now, &s);
    const struct tenant_config *t = rc == 0 ? config_tenant(&d->cfg, s.tenant) : NULL;
    if (!t) {
        daemon_db_release(d, c);
        if (rc < 0)
            http_reply_text(resp, 503, "text/plain; charset=utf-8", "unavailable\n");
        else
            login_form(resp, 200, NULL);
        return;
    }
    struct analytics_range range;
    struct dashboard_week wk[TREND_WEEKS];
    char err[160];
    cJSON *missed = NULL, *funnel = NULL, *revenue = NULL, *no_shows = NULL;
    struct analytics_revenue_given given = { -1, -1, -1, -1 };
    int ok = analytics_range_parse(http_query(req, "from"), http_query(req, "to"), NULL,
                                   t->timezone, now, &range, err, sizeof err) == 0;
    if (ok) {
        missed = analytics_missed_calls(c, s.tenant, &range);
        funnel = analytics_conversion_funnel(c, s.tenant, &range);
        revenue = analytics_revenue_impact(c, s.tenant, &range, &given);
        no_shows = analytics_no_shows(c, s.tenant, &range);
        ok = missed && funnel && revenue && no_shows && weeks(c, s.tenant, &range, wk) == 0;
    }
    daemon_db_release(d, c);
    if (ok) {
        struct dashboard_ai ai = {
            metrics_counter_get("bookwell_ai_requests_total", "tenant", s.tenant),
            metrics_counter_get("bookwell_ai_input_tokens_total", "tenant", s.tenant),
            metrics_counter_get("bookwell_ai_output_tokens_total", "tenant", s.tenant),
            metrics_counter_get("bookwell_ai_cost_microusd_total", "tenant", s.tenant),
            metrics_counter_get("bookwell_ai_refused_total", "tenant", s.tenant),
            metrics_counter_get("bookwell_ai_fallbacks_total", "tenant", s.tenant),
        };
        struct dashboard_owner_data data = { t->name, s.email, s.csrf, missed, funnel,
                                             revenue, wk, TREND_WEEKS, no_shows, &ai };
        html(resp, 200, dashboard_render_owner(&data));
    } else {
        http_reply_text(resp, 400, "text/plain; charset=utf-8", "the dashboard cannot show that range\n");
    }
    cJSON_Delete(missed);
    cJSON_Delete(funnel);
    cJSON_Delete(revenue);
    cJSON_Delete(no_shows);
}

static void post_login(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct http_form form = { 0 };
    if (http_form_body(req, resp, &form) != 0) {
        http_form_free(&form);
        return;
    }
    char expected[DASHBOARD_TOKEN_LEN + 2];
    cookie(req, LOGIN_COOKIE, expected, sizeof expected);
    const char *csrf = http_form_get(&form, "csrf"), *clinic = http_form_get(&form, "clinic");
    const char *email = http_form_get(&form, "email"), *password = http_form_get(&form, "password");
    if (!csrf || strlen(expected) != DASHBOARD_TOKEN_LEN || !http_token_equal(csrf, expected)) {
        http_form_free(&form);
        login_form(resp, 403, "The form expired; please sign in again.");
        return;
    }
    if (!clinic || !email || !password || !config_tenant(&d->cfg, clinic)) {
        http_form_free(&form);
        login_form(resp, 401, "The clinic, email or password is wrong.");
        return;
    }
    char token[DASHBOARD_TOKEN_LEN + 1];
    struct db_conn *c = daemon_db(d);
    int rc = c ? dashboard_login(c, clinic, email, password, clock_now_us(), token) : -1;
    if (c)
        daemon_db_release(d, c);
    http_form_free(&form);
    if (rc < 0) {
        http_reply_text(resp, 503, "text/plain; charset=utf-8", "unavailable\n");
    } else if (rc > 0) {
        login_form(resp, 401, "The clinic, email or password is wrong.");
    } else {
        html(resp, 200, dashboard_render_notice("Signed in", "/dashboard", "Open the dashboard", true));
        set_cookie(resp, SESSION_COOKIE, token, DASHBOARD_SESSION_TTL_S);
    }
}

static void post_logout(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    struct http_form form = { 0 };
    if (http_form_body(req, resp, &form) != 0) {
        http_form_free(&form);
        return;
    }
    char token[DASHBOARD_TOKEN_LEN + 2];
    struct dashboard_session s;
    cookie(req, SESSION_COOKIE, token, sizeof token);
    const char *csrf = http_form_get(&form, "csrf");
    struct db_conn *c = daemon_db(d);
    int64_t now = clock_now_us();
    int rc = c ? dashboard_session_get(c, token, now, &s) : -1;
    bool allowed = rc == 0 && csrf && http_token_equal(csrf, s.csrf);
    if (allowed && dashboard_logout(c, token, now) != 0)
        rc = -1;
    if (c)
        daemon_db_release(d, c);
    http_form_free(&form);
    if (rc < 0)
        http_reply_text(resp, 503, "text/plain; charset=utf-8", "unavailable\n");
    else if (rc == 0 && !allowed)
        http_reply_text(resp, 403, "text/plain; charset=utf-8", "the form's token is wrong\n");
    else {
        html(resp, 200, dashboard_render_notice("Signed out", "/dashboard/login", "Sign in again", false));
        set_cookie(resp, SESSION_COOKIE, "", 0);
    }
}

static void post_user(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0];
    if (!config_tenant(&d->cfg, tenant)) {
        http_reply_error(req, resp, 404, "unknown_tenant", "no such tenant");
        return;
    }
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "email"));
    const char *password = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "password"));
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "role"));
    if (!email || !strchr(email, '@') || strlen(email) > 254 || strpbrk(email, " \t\r\n") ||
        !password || strlen(password) < DASHBOARD_PASSWORD_MIN || strlen(password) > 256 ||
        (role && strcmp(role, "owner") != 0 && strcmp(role, "staff") != 0)) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body",
                         "'email' is an address, 'password' at least 10 characters, 'role' owner or staff");
        return;
    }
    struct db_conn *c = daemon_db(d);
    int rc = c ? dashboard_user_create(c, tenant, email, password, role) : -1;
    if (c)
        daemon_db_release(d, c);
    if (rc < 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    } else if (rc > 0) {
        http_reply_error(req, resp, 409, "user_exists", "that email already has a user");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "tenant", tenant);
        cJSON_AddStringToObject(o, "email", email);
        cJSON_AddStringToObject(o, "role", role ? role : "owner");
        json_reply(resp, 201, o);
    }
    cJSON_Delete(body);
}

int routes_dashboard_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/dashboard", get_dashboard, HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "GET", "/dashboard/login", get_login, HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/dashboard/login", post_login, HTTP_AUTH_NONE) ||
           daemon_add_route(d, false, "POST", "/dashboard/logout", post_logout, HTTP_AUTH_NONE) ||
           daemon_add_route(d, true, "POST", "/admin/tenants/{tenant}/users", post_user,
                            HTTP_AUTH_ADMIN);
}
