/*
 * A deposit's fate on the public listener (the clinic's API key):
 *   POST /bookings/{id}/outcome {"event": "showed" | "no_show" |
 *        "patient_cancelled" | "clinic_cancelled"}  settles the deposit the
 *        booking was paid with by the clinic's policy (deposit_policy.h):
 *        applied, refunded, kept as credit or forfeited, recorded in the
 *        evidence, a refund asked of the payment provider when due;
 *   POST /deposits/{id}/refund {"reason"?}  refunds a paid deposit now (a
 *        patient who paid for a lost slot and asks for the money back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "daemon.h"
#include "deposit_fate.h"
#include "deposits.h"
#include "json_util.h"
#include "knowledge.h"
#include "routes.h"

static int64_t path_id(const char *s)
{
    char *end = NULL;
    long long id = strtoll(s, &end, 10);
    return end && !*end && id > 0 ? id : 0;
}

static void post_outcome(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    int64_t id = path_id(req->params[0]);
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(body, "event");
    int occ = cJSON_IsString(ev) ? deposit_occasion_parse(ev->valuestring) : -1;
    cJSON_Delete(body);
    if (occ < 0 || occ == DEPOSIT_OCC_LOST_SLOT) {
        http_reply_error(req, resp, 400, "invalid_body",
                         "'event' is one of showed, no_show, patient_cancelled, clinic_cancelled");
        return;
    }
    char subject[208];
    int64_t dep = 0;
    struct booking b = { 0 };
    const struct knowledge *k = NULL;
    struct deposit_policy pol;
    enum deposit_fate fate = DEPOSIT_FATE_APPLIED;
    int status = 503, rc = -1;
    struct db_conn *c = id ? daemon_db(d) : NULL;
    if (!id) {
        status = 404;
        goto reply;
    }
    if (!c)
        goto reply;
    int found = deposit_fate_booking_subject(c, req->tenant_id, id, subject, sizeof subject, &dep);
    int brc = found == 1 ? booking_get(c, req->tenant_id, id, &b) : BOOKING_E_NOTFOUND;
    if (found < 0 || (brc != 0 && brc != BOOKING_E_NOTFOUND))
        goto reply;
    if (found == 0 || brc == BOOKING_E_NOTFOUND) {
        status = 404;
        goto reply;
    }
    if (dep == 0) {
        status = 409;
        goto reply;
    }
    int krc = knowledge_get(c, req->tenant_id, &k);
    if (krc != 0 && krc != KNOWLEDGE_E_NOTFOUND)
        goto reply;
    deposit_policy_from_doc(k ? k->doc : NULL, &pol);
    if (db_begin(c) != 0)
        goto reply;
    rc = deposit_fate_settle(c, req->tenant_id, dep, occ, b.start_us, &pol, &fate);
    if (rc < 0 || db_commit(c) != 0) {
        db_rollback(c);
        rc = -1;
        goto reply;
    }
    status = rc == 0 ? 200 : 409;
reply:
    if (k)
        knowledge_release(k);
    if (c)
        daemon_db_release(d, c);
    booking_clear(&b);
    if (status == 404) {
        http_reply_error(req, resp, 404, "unknown_booking", "no such booking");
    } else if (status == 409) {
        http_reply_error(req, resp, 409, "no_paid_deposit", "the booking has no paid deposit");
    } else if (status != 200) {
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "booking_id", (double)id);
        cJSON_AddNumberToObject(o, "deposit_id", (double)dep);
        cJSON_AddStringToObject(o, "event", deposit_occasion_name(occ));
        cJSON_AddStringToObject(o, "fate", deposit_fate_name(fate));
        cJSON_AddBoolToObject(o, "refund_requested", fate == DEPOSIT_FATE_REFUNDED);
        json_reply(resp, 200, o);
    }
}

static void post_refund(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    int64_t id = path_id(req->params[0]);
    cJSON *body = req->body_len ? json_parse_body(req, resp) : cJSON_CreateObject();
    if (!body)
        return;
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
    if (reason && (!cJSON_IsString(reason) || strlen(reason->valuestring) > 200)) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body", "'reason' is a short string");
        return;
    }
    struct deposit dep;
    struct db_conn *c = id ? daemon_db(d) : NULL;
    int rc = -1, found = 0;
    if (c && (found = deposits_get(c, req->tenant_id, id, &dep)) == 1 && db_begin(c) == 0) {
        rc = deposits_refund(c, req->tenant_id, id,
                             cJSON_IsString(reason) ? reason->valuestring : "requested");
        if (rc < 0 || db_commit(c) != 0) {
            db_rollback(c);
            rc = -1;
        }
    }
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(body);
    if (!id || found == 0)
        http_reply_error(req, resp, 404, "unknown_deposit", "no such deposit");
    else if (rc < 0)
        http_reply_error(req, resp, 503, "unavailable", "the database is unavailable");
    else if (rc == 1)
        http_reply_error(req, resp, 409, "not_paid", "the deposit is not paid");
    else
        http_reply_json(resp, 202, "{\"refund\":\"requested\"}");
}

int routes_deposits_register(struct daemon *d)
{
    return daemon_add_route(d, false, "POST", "/bookings/{id}/outcome", post_outcome,
                            HTTP_AUTH_TENANT) ||
           daemon_add_route(d, false, "POST", "/deposits/{id}/refund", post_refund,
                            HTTP_AUTH_TENANT);
}
