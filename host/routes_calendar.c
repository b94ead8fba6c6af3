/*
 * The add-to-calendar file of a booked appointment on the public listener:
 *   GET /calendar/{token}.ics  text/calendar (RFC 5545), no authentication:
 *       the token (64 hex characters, random, sent only to the patient in
 *       the confirmation) is the credential. An unknown token, or one whose
 *       booking is no longer booked, is 404.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "clock.h"
#include "daemon.h"
#include "knowledge.h"
#include "reminder_text.h"
#include "reminders.h"
#include "routes.h"

DB_STMT(st_by_token,
        "SELECT tenant_id, booking_id FROM appointment_reminders WHERE calendar_token = $1");

static bool token_ok(const char *file, char token[REMINDER_TOKEN_LEN + 1])
{
    size_t n = strlen(file);
    if (n != REMINDER_TOKEN_LEN + 4 || strcmp(file + REMINDER_TOKEN_LEN, ".ics") != 0)
        return false;
    for (size_t i = 0; i < REMINDER_TOKEN_LEN; i++)
        if (!isxdigit((unsigned char)file[i]) || isupper((unsigned char)file[i]))
            return false;
    memcpy(token, file, REMINDER_TOKEN_LEN);
    token[REMINDER_TOKEN_LEN] = '\0';
    return true;
}

static void get_calendar(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    char token[REMINDER_TOKEN_LEN + 1], tenant[64] = "";
    if (!token_ok(req->params[0], token)) {
        http_reply_error(req, resp, 404, "not_found", "no such calendar file");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "unavailable", "database unavailable");
        return;
    }
    int status = 503;
    char *ics = NULL;
    struct booking b = { 0 };
    const struct knowledge *k = NULL;
    const char *p[] = { token };
    PGresult *r = db_exec(c, &st_by_token, 1, p);
    if (!db_ok(r))
        goto reply;
    if (PQntuples(r) != 1) {
        status = 404;
        goto reply;
    }
    snprintf(tenant, sizeof tenant, "%s", PQgetvalue(r, 0, 0));
    int64_t id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    int g = booking_get(c, tenant, id, &b);
    if (g == BOOKING_E_NOTFOUND || (g == 0 && strcmp(b.state, "booked") != 0)) {
        status = 404;
        goto reply;
    }
    int krc = g == 0 ? knowledge_get(c, tenant, &k) : -1;
    if (g != 0 || (krc != 0 && krc != KNOWLEDGE_E_NOTFOUND))
        goto reply;
    char uid[128];
    snprintf(uid, sizeof uid, "booking-%lld-%s@bookwell", (long long)b.id, tenant);
    struct reminder_appt a = { b.service_id, b.provider_id, b.start_us, b.end_us };
    ics = reminder_ics(k, &a, uid, clock_now_us());
    status = ics ? 200 : 503;
reply:
    PQclear(r);
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    daemon_db_release(d, c);
    if (status == 200) {
        http_reply_text(resp, 200, "text/calendar; charset=utf-8", ics);
        snprintf(resp->extra_header_name, sizeof resp->extra_header_name, "Cache-Control");
        snprintf(resp->extra_header_value, sizeof resp->extra_header_value, "private, no-store");
    } else if (status == 404) {
        http_reply_error(req, resp, 404, "not_found", "no such calendar file");
    } else {
        http_reply_error(req, resp, 503, "unavailable", "try again later");
    }
    free(ics);
}

int routes_calendar_register(struct daemon *d)
{
    return daemon_add_route(d, false, "GET", "/calendar/{file}", get_calendar, HTTP_AUTH_NONE);
}
