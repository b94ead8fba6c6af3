/*
 * Joining the waitlist on the public listener (the clinic's API key):
 *   POST /waitlist {"phone", "service_id", "provider_id"?, "from"?, "to"?
 *        (RFC 3339; default now and 60 days on), "weekdays"? (["sat", ...]),
 *        "from_time"?, "to_time"? ("HH:MM", the clinic's local time of day)}
 *        -> 201 {"id"}: the patient (texted at that number on the clinic's
 *        SMS line) is offered matching slots as they free up (waitlist.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "json_util.h"
#include "knowledge.h"
#include "quiet_hours.h"
#include "routes.h"
#include "waitlist.h"

static bool e164(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The weekdays list as bits; -1 when malformed. */
static int weekdays(const cJSON *a)
{
    static const char *const names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
    if (!a)
        return 0;
    if (!cJSON_IsArray(a))
        return -1;
    int bits = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        int found = -1;
        for (int d = 0; d < 7 && cJSON_IsString(e); d++)
            if (strcmp(e->valuestring, names[d]) == 0)
                found = d;
        if (found < 0)
            return -1;
        bits |= 1 << found;
    }
    return bits;
}

static int opt_time(const cJSON *body, const char *name, int64_t *us)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    *us = 0;
    return !v || (cJSON_IsString(v) && clock_parse_rfc3339(v->valuestring, us) == 0) ? 0 : -1;
}

static int opt_hhmm(const cJSON *body, const char *name, int dflt, int *min)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    *min = dflt;
    return !v || (cJSON_IsString(v) && quiet_hours_parse_hhmm(v->valuestring, min) == 0) ? 0 : -1;
}

static void post_waitlist(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *phone = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "phone"));
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "service_id"));
    const char *prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "provider_id"));
    int wd = weekdays(cJSON_GetObjectItemCaseSensitive(body, "weekdays"));
    struct waitlist_want w = { .service_id = svc, .provider_id = prov,
                               .weekdays = wd > 0 ? (unsigned)wd : 0 };
    if (!e164(phone) || !svc || wd < 0 || opt_time(body, "from", &w.from_us) ||
        opt_time(body, "to", &w.to_us) || opt_hhmm(body, "from_time", 0, &w.day_from_min) ||
        opt_hhmm(body, "to_time", 1440, &w.day_to_min) || w.day_from_min >= w.day_to_min) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body",
                         "'phone' (E.164) and 'service_id' are required; 'weekdays' are sun..sat, "
                         "times RFC 3339 and HH:MM");
        return;
    }
    struct db_conn *c = daemon_db(d);
    if (!c) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 503, "unavailable", "database unavailable");
        return;
    }
    int status = 503;
    int64_t id = 0;
    const struct knowledge *k = NULL;
    int krc = knowledge_get(c, req->tenant_id, &k);
    if (krc == KNOWLEDGE_E_NOTFOUND || (krc == 0 && (!knowledge_service(k, svc) ||
                                                     (prov && !knowledge_provider(k, prov))))) {
        status = 422;
        goto reply;
    }
    if (krc != 0 || db_begin(c) != 0)
        goto reply;
    int64_t contact = 0;
    int rc = waitlist_contact_for_phone(c, req->tenant_id, phone, &contact);
    if (rc == 0)
        rc = waitlist_join(c, req->tenant_id, contact, &w, "api", &id);
    if (rc != 0 || db_commit(c) != 0) {
        db_rollback(c);
        status = rc == WAITLIST_E_INVAL ? 400 : rc == WAITLIST_E_NOCHANNEL ? 409 : 503;
        goto reply;
    }
    status = 201;
reply:
    if (k)
        knowledge_release(k);
    daemon_db_release(d, c);
    cJSON_Delete(body);
    if (status == 201) {
        char out[64];
        snprintf(out, sizeof out, "{\"id\":%lld}", (long long)id);
        http_reply_json(resp, 201, out);
    } else if (status == 422) {
        http_reply_error(req, resp, 422, "unknown_service", "no such service or provider");
    } else if (status == 400) {
        http_reply_error(req, resp, 400, "invalid_body", "the range is empty");
    } else if (status == 409) {
        http_reply_error(req, resp, 409, "no_sms_line", "the clinic has no SMS line in use");
    } else {
        http_reply_error(req, resp, 503, "unavailable", "try again later");
    }
}

int routes_waitlist_register(struct daemon *d)
{
    return daemon_add_route(d, false, "POST", "/waitlist", post_waitlist, HTTP_AUTH_TENANT);
}
