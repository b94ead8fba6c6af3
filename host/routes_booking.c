/*
 * Staff routes of the booking writer on the public listener (tenant API key):
 *   POST /bookings {"hold_id", "deposit"?}  books a held slot through the
 *        booking writer (202: queued; the same hold again gives the same
 *        booking);
 *   GET  /bookings/{id}                     the booking's state;
 *   POST /patients {"first_name","last_name","phone"?,"email"?}  finds the
 *        patient in the EMR by phone or email, else creates them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "clock.h"
#include "daemon.h"
#include "emr_call.h"
#include "json_util.h"
#include "plugin_pool.h"
#include "routes.h"

static void post_bookings(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *hid = cJSON_GetObjectItemCaseSensitive(body, "hold_id");
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(body, "deposit");
    if (!cJSON_IsNumber(hid) || hid->valuedouble < 1 || (dep && !cJSON_IsObject(dep))) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body",
                         "'hold_id' (integer) is required; 'deposit' is an object");
        return;
    }
    char *deposit = dep ? cJSON_PrintUnformatted(dep) : NULL;
    int64_t hold = (int64_t)hid->valuedouble, id = 0;
    cJSON_Delete(body);
    struct db_conn *c = daemon_db(d);
    int rc = c ? booking_submit(c, req->tenant_id, hold, deposit, &id) : BOOKING_E_DB;
    if (c)
        daemon_db_release(d, c);
    free(deposit);
    if (rc == BOOKING_E_NOTFOUND) {
        http_reply_error(req, resp, 404, "unknown_hold", "no such hold");
    } else if (rc == BOOKING_E_STATE) {
        http_reply_error(req, resp, 409, "hold_not_active", "the hold expired or was released");
    } else if (rc) {
        http_reply_error(req, resp, 503, "unavailable", "the booking could not be stored");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)id);
        cJSON_AddNumberToObject(o, "hold_id", (double)hold);
        cJSON_AddStringToObject(o, "state", "pending");
        json_reply(resp, 202, o);
    }
}

static void get_booking(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    char *end = NULL;
    long long id = strtoll(req->params[0], &end, 10);
    if (!end || *end || id < 1) {
        http_reply_error(req, resp, 404, "unknown_booking", "no such booking");
        return;
    }
    struct booking b;
    struct db_conn *c = daemon_db(d);
    int rc = c ? booking_get(c, req->tenant_id, id, &b) : BOOKING_E_DB;
    if (c)
        daemon_db_release(d, c);
    if (rc == BOOKING_E_NOTFOUND) {
        http_reply_error(req, resp, 404, "unknown_booking", "no such booking");
        return;
    }
    if (rc) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
        return;
    }
    char s[32], e[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)b.id);
    cJSON_AddNumberToObject(o, "hold_id", (double)b.hold_id);
    cJSON_AddStringToObject(o, "state", b.state);
    cJSON_AddStringToObject(o, "service", b.service_id);
    cJSON_AddStringToObject(o, "provider", b.provider_id);
    cJSON_AddStringToObject(o, "start", clock_format_utc(b.start_us, s));
    cJSON_AddStringToObject(o, "end", clock_format_utc(b.end_us, e));
    cJSON_AddStringToObject(o, "emr_patient_id", b.emr_patient_id);
    cJSON_AddStringToObject(o, "emr_appointment_id", b.emr_appointment_id);
    cJSON_AddStringToObject(o, "deposit_logged_as", b.deposit_logged_as);
    cJSON_AddBoolToObject(o, "client_created", b.client_created);
    cJSON_AddNumberToObject(o, "attempts", b.attempts);
    cJSON_AddBoolToObject(o, "delay_told", b.delay_told);
    cJSON_AddBoolToObject(o, "staff_alerted", b.staff_alerted);
    cJSON_AddNumberToObject(o, "rewrites", b.rewrites);
    cJSON *alts = b.alternatives ? cJSON_Parse(b.alternatives) : NULL;
    cJSON_AddItemToObject(o, "alternatives", alts ? alts : cJSON_CreateArray());
    booking_clear(&b);
    json_reply(resp, 200, o);
}

struct patient_task {
    struct daemon *d;
    struct http_deferred *deferred;
    char tenant[64];
    char *query;    /* patient_query/1, or NULL when neither phone nor email */
    char *patient;  /* patient/1 */
    char idem[80];
};

static void run_patient(void *arg)
{
    struct patient_task *t = arg;
    struct http_request *req = http_deferred_request(t->deferred);
    struct http_response resp = { 0 };
    struct emr_result r = { 0 };
    int rc = 0;
    cJSON *found = NULL;
    if (t->query) {
        rc = emr_call(t->d->registry, t->tenant, EMR_OP_PATIENT_FIND, t->query, NULL, 0, &r);
        if (rc == 0) {
            cJSON *res = cJSON_ParseWithLength(r.json, r.len);
            found = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(res, "patients"), 0);
            cJSON_Delete(res);
        }
        emr_result_free(&r);
    }
    if (rc == 0 && !found) {
        rc = emr_call(t->d->registry, t->tenant, EMR_OP_PATIENT_CREATE, t->patient, t->idem, 0,
                      &r);
        if (rc == 0) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "patient", cJSON_ParseWithLength(r.json, r.len));
            cJSON_AddBoolToObject(o, "created", true);
            json_reply(&resp, 201, o);
        }
        emr_result_free(&r);
    } else if (rc == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "patient", found);
        cJSON_AddBoolToObject(o, "created", false);
        json_reply(&resp, 200, o);
    }
    if (rc == BW_E_INVAL)
        http_reply_error(req, &resp, 422, "invalid_patient", "the EMR refused the patient");
    else if (rc == BW_E_NOTSUP)
        http_reply_error(req, &resp, 409, "emr_cannot", "the tenant's EMR cannot do this");
    else if (rc == BW_E_CONFLICT)
        http_reply_error(req, &resp, 409, "patient_conflict", "another patient has this phone");
    else if (rc)
        http_reply_error(req, &resp, 503, "emr_unavailable", "the EMR did not answer; try again");
    http_deferred_complete(t->deferred, &resp);
    free(t->query);
    free(t->patient);
    free(t);
}

static void post_patients(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *first = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "first_name"));
    const char *last = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "last_name"));
    const char *phone = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "phone"));
    const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "email"));
    const char *key = http_header(req, "Idempotency-Key");
    struct patient_task *t = calloc(1, sizeof *t);
    if (!t || !first || !first[0] || (key && strlen(key) > 60)) {
        free(t);
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body",
                         "'first_name' is required (and 'last_name', 'phone', 'email' are strings)");
        return;
    }
    cJSON *p = cJSON_CreateObject(), *q = NULL;
    cJSON_AddStringToObject(p, "first_name", first);
    cJSON_AddStringToObject(p, "last_name", last ? last : "");
    cJSON_AddStringToObject(p, "phone", phone ? phone : "");
    if (email)
        cJSON_AddStringToObject(p, "email", email);
    if (phone || email) {
        q = cJSON_CreateObject();
        if (phone)
            cJSON_AddStringToObject(q, "phone", phone);
        if (email)
            cJSON_AddStringToObject(q, "email", email);
    }
    t->d = d;
    snprintf(t->tenant, sizeof t->tenant, "%s", req->tenant_id);
    snprintf(t->idem, sizeof t->idem, "api-%s", key ? key : req->request_id);
    t->patient = cJSON_PrintUnformatted(p);
    t->query = q ? cJSON_PrintUnformatted(q) : NULL;
    cJSON_Delete(p);
    cJSON_Delete(q);
    cJSON_Delete(body);
    if (!t->patient || (phone && !t->query) || !d->plugin_pool ||
        !(t->deferred = http_defer(req))) {
        free(t->patient);
        free(t->query);
        free(t);
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        return;
    }
    if (plugin_pool_submit(d->plugin_pool, run_patient, t) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(t->deferred, &now);
        free(t->patient);
        free(t->query);
        free(t);
    }
}

int routes_booking_register(struct daemon *d)
{
    return daemon_add_route(d, false, "POST", "/bookings", post_bookings, HTTP_AUTH_TENANT) ||
                   daemon_add_route(d, false, "GET", "/bookings/{id}", get_booking,
                                    HTTP_AUTH_TENANT) ||
                   daemon_add_route(d, false, "POST", "/patients", post_patients,
                                    HTTP_AUTH_TENANT)
               ? -1
               : 0;
}
