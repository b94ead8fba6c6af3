/*
 * The evidence trail:
 *   GET /admin/evidence/{tenant}/{subject}   (admin listener) the entries and the chain
 *                                            check, as JSON, or (?format=html) as a
 *                                            printable page for a dispute
 *   GET /bookings/{id}/evidence              (public listener, the clinic's API key) the
 *                                            same for a booking: the trail of the deposit
 *                                            it was paid with, else of the hold it was
 *                                            booked from (deposit_fate.h); JSON, or
 *                                            (?format=html, or Accept: text/html) HTML;
 *                                            each answer is an export in the access
 *                                            log (audit_log.h)
 * `bookwell evidence verify TENANT SUBJECT` reads the JSON and reports any
 * tampering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "clock.h"
#include "deposit_fate.h"
#include "daemon.h"
#include "evidence.h"
#include "http_server.h"
#include "json_util.h"
#include "routes.h"

/* Appends s to the growing page, HTML-escaped. */
static void html_put(char **buf, size_t *len, size_t *cap, const char *s, int escape)
{
    for (; *s; s++) {
        const char *rep = NULL;
        char one[2] = { *s, 0 };
        if (escape && *s == '<')
            rep = "&lt;";
        else if (escape && *s == '>')
            rep = "&gt;";
        else if (escape && *s == '&')
            rep = "&amp;";
        else if (escape && *s == '"')
            rep = "&quot;";
        else
            rep = one;
        size_t n = strlen(rep);
        if (*len + n + 1 > *cap) {
            size_t nc = (*cap ? *cap * 2 : 4096) + n;
            char *nb = realloc(*buf, nc);
            if (!nb)
                return;
            *buf = nb;
            *cap = nc;
        }
        memcpy(*buf + *len, rep, n);
        *len += n;
        (*buf)[*len] = 0;
    }
}

static char *render_html(const char *tenant, const cJSON *doc, const struct evidence_report *rep)
{
    char *buf = NULL, line[160];
    size_t len = 0, cap = 0;
    const cJSON *e;
    html_put(&buf, &len, &cap,
             "<!doctype html><html><head><meta charset=\"utf-8\"><title>Evidence</title>"
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}"
             "code{font-size:85%}</style></head><body><h1>Evidence: ",
             0);
    html_put(&buf, &len, &cap, cJSON_GetObjectItem(doc, "subject")->valuestring, 1);
    html_put(&buf, &len, &cap, "</h1><p>Clinic: ", 0);
    html_put(&buf, &len, &cap, tenant, 1);
    snprintf(line, sizeof line, "</p><p>%d entries; hash chain %s", rep->entries,
             rep->first_bad ? "BROKEN at entry " : "intact");
    html_put(&buf, &len, &cap, line, 0);
    if (rep->first_bad) {
        snprintf(line, sizeof line, "%d: %s", rep->first_bad, rep->reason);
        html_put(&buf, &len, &cap, line, 1);
    }
    html_put(&buf, &len, &cap,
             ".</p><table><tr><th>#</th><th>Time (UTC)</th><th>Entry</th><th>Details</th>"
             "<th>SHA-256</th></tr>",
             0);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "entries"))
    {
        char t[32];
        int64_t at = (int64_t)cJSON_GetObjectItem(e, "at_us")->valuedouble;
        snprintf(line, sizeof line, "<tr><td>%d</td><td>",
                 cJSON_GetObjectItem(e, "seq")->valueint);
        html_put(&buf, &len, &cap, line, 0);
        html_put(&buf, &len, &cap, clock_format_utc(at, t), 1);
        html_put(&buf, &len, &cap, "</td><td>", 0);
        html_put(&buf, &len, &cap, cJSON_GetObjectItem(e, "kind")->valuestring, 1);
        html_put(&buf, &len, &cap, "</td><td>", 0);
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(e, "body"))
        {
            char *v = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
            html_put(&buf, &len, &cap, f->string ? f->string : "", 1);
            html_put(&buf, &len, &cap, ": ", 0);
            html_put(&buf, &len, &cap, v ? v : f->valuestring, 1);
            html_put(&buf, &len, &cap, "<br>", 0);
            cJSON_free(v);
        }
        html_put(&buf, &len, &cap, "</td><td><code>", 0);
        html_put(&buf, &len, &cap, cJSON_GetObjectItem(e, "hash")->valuestring, 1);
        html_put(&buf, &len, &cap, "</code></td></tr>", 0);
    }
    html_put(&buf, &len, &cap, "</table></body></html>\n", 0);
    return buf;
}

/* Replies with subject's trail: JSON, or HTML when html. booking_id > 0
 * adds the booking it belongs to. */
static void reply_evidence(struct http_request *req, struct http_response *resp,
                           struct daemon *d, const char *tenant, const char *subject, bool html,
                           int64_t booking_id)
{
    struct evidence_report rep;
    struct db_conn *c = daemon_db(d);
    cJSON *doc = c ? evidence_list(c, tenant, subject) : NULL;
    int verified = doc ? evidence_verify(c, tenant, subject, &rep) : -1;
    if (c)
        daemon_db_release(d, c);
    if (!doc || verified != 0) {
        cJSON_Delete(doc);
        http_reply_error(req, resp, 503, "unavailable", "the database failed");
        return;
    }
    if (rep.entries == 0) {
        cJSON_Delete(doc);
        http_reply_error(req, resp, 404, "not_found", "no evidence for this subject");
        return;
    }
    if (booking_id > 0)
        cJSON_AddNumberToObject(doc, "booking_id", (double)booking_id);
    if (html) {
        char *page = render_html(tenant, doc, &rep);
        cJSON_Delete(doc);
        if (!page) {
            http_reply_error(req, resp, 503, "unavailable", "out of memory");
            return;
        }
        resp->status = 200;
        resp->body = page;
        resp->body_len = strlen(page);
        resp->content_type = "text/html; charset=utf-8";
        return;
    }
    cJSON *v = cJSON_AddObjectToObject(doc, "verification");
    cJSON_AddNumberToObject(v, "entries", rep.entries);
    cJSON_AddBoolToObject(v, "intact", rep.first_bad == 0);
    cJSON_AddNumberToObject(v, "first_bad", rep.first_bad);
    cJSON_AddStringToObject(v, "reason", rep.reason);
    cJSON_AddStringToObject(doc, "tenant", tenant);
    json_reply(resp, 200, doc);
}

static bool wants_html(struct http_request *req)
{
    const char *format = http_query(req, "format");
    if (format)
        return strcmp(format, "html") == 0;
    const char *accept = http_header(req, "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

static void get_evidence(struct http_request *req, struct http_response *resp, void *ctx)
{
    reply_evidence(req, resp, ctx, req->params[0], req->params[1], wants_html(req), 0);
}

static void get_booking_evidence(struct http_request *req, struct http_response *resp,
                                 void *ctx)
{
    struct daemon *d = ctx;
    char *end = NULL, subject[208];
    long long id = strtoll(req->params[0], &end, 10);
    if (!end || *end || id < 1) {
        http_reply_error(req, resp, 404, "unknown_booking", "no such booking");
        return;
    }
    struct db_conn *c = daemon_db(d);
    int rc = c ? deposit_fate_booking_subject(c, req->tenant_id, id, subject, sizeof subject, NULL)
               : -1;
    char audited[48];
    snprintf(audited, sizeof audited, "booking:%lld:evidence", id);
    if (rc > 0 && audit_record_key(c, req, "export", audited, clock_now_us()) != 0)
        rc = -1;
    if (c)
        daemon_db_release(d, c);
    if (rc == 0) {
        http_reply_error(req, resp, 404, "unknown_booking", "no such booking");
        return;
    }
    if (rc < 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    reply_evidence(req, resp, d, req->tenant_id, subject, wants_html(req), id);
}

int routes_evidence_register(struct daemon *d)
{
    return daemon_add_route(d, true, "GET", "/admin/evidence/{tenant}/{subject}", get_evidence,
                            HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, false, "GET", "/bookings/{id}/evidence", get_booking_evidence,
                            HTTP_AUTH_TENANT);
}
