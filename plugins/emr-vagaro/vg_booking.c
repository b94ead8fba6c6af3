/*
 * emr.vagaro's customers and appointments: customer search by mobile phone
 * or email and create; the business's appointments in a window (of one
 * customer when asked); appointment create (409: the time is taken,
 * BW_E_CONFLICT) and cancel (PUT <appointments>/<id>/cancel; a cancelled
 * one is answered as is).
 *
 * Without write_access the writes are not the API's to make: they answer
 * BW_E_NOTSUP naming the clinic's booking link, where the patient books.
 *
 * Vagaro takes no idempotency keys, so a write under a key records the id
 * it created in the host's key-value store (idem/<op>/<SHA-256 of the key>)
 * and a retry answers that record; a customer retry whose first attempt
 * created the customer but died before the store finds it anyway (the same
 * phone and name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vagaro.h"


static int link_only(const struct vg_instance *in, struct bw_error *err)
{
    return bwsdk_error(err, BW_E_NOTSUP, "link_only",
                       "the clinic's Vagaro plan has no write access; patients book at %s",
                       in->booking_url);
}

/* ---- one record ---------------------------------------------------------- */

/* GET <collection>/<id>: its "data" object into *doc (the whole answer,
 * caller frees) and *obj; an unknown id is BW_E_INVAL. */
static int read_one(struct vg_instance *in, struct bw_call *call, const char *collection,
                    const char *id, cJSON **doc, const cJSON **obj, struct bw_error *err)
{
    char path[VG_PATH_MAX + 200], enc[200];
    int status = 0;
    if (bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "the id is too long");
    snprintf(path, sizeof path, "%s/%s", collection, enc);
    int rc = vg_request(in, call, "GET", path, NULL, NULL, &status, doc, err);
    if (rc != 0 && status == 404)
        return bwsdk_error(err, BW_E_INVAL, "not-found", "no such record in Vagaro");
    if (rc == 0 && !cJSON_IsObject(*obj = cJSON_GetObjectItemCaseSensitive(*doc, "data")))
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Vagaro answered no record");
    return rc;
}

/* ---- customers ----------------------------------------------------------- */

static cJSON *patient_abi(const cJSON *r)
{
    char id[VG_ID_MAX];
    return bwsdk_patient_new(bwsdk_json_text(r, "customerId", id, sizeof id),
                             bwsdk_json_string_or(r, "firstName", ""),
                             bwsdk_json_string_or(r, "lastName", ""),
                             bwsdk_json_string_or(r, "mobilePhone", ""),
                             bwsdk_json_string_or(r, "email", ""));
}

/* The customers matching a phone or an email: *doc holds the answer,
 * *items its data array. */
static int customer_search(struct vg_instance *in, struct bw_call *call, const char *phone,
                           const char *email, cJSON **doc, const cJSON **items,
                           struct bw_error *err)
{
    char q[1024] = "";
    int status = 0;
    if (bwsdk_query_add(q, sizeof q, "businessId", in->business_id) ||
        (phone && phone[0] && bwsdk_query_add(q, sizeof q, "mobilePhone", phone)) ||
        (email && email[0] && bwsdk_query_add(q, sizeof q, "email", email)))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    int rc = vg_request(in, call, "GET", in->path_customers, q, NULL, &status, doc, err);
    if (rc == 0 && !cJSON_IsArray(*items = cJSON_GetObjectItemCaseSensitive(*doc, "data")))
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "a list answered no data array");
    return rc;
}

int vg_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *q = NULL, *doc = NULL, *res = NULL, *list;
    const cJSON *items, *r;
    const char *phone, *email;
    int rc = bwsdk_patient_query(query, &q, &phone, &email, err);
    if (rc != 0)
        return rc;
    if ((rc = customer_search(in, call, phone, email, &doc, &items, err)) != 0)
        goto done;
    if (!(res = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(res, "patients"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    cJSON_ArrayForEach(r, items) {
        cJSON *p = patient_abi(r);
        if (!p || !cJSON_AddItemToArray(list, p)) {
            cJSON_Delete(p);
            rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
            goto done;
        }
    }
    rc = bwsdk_json_answer(in->host, out, res, err);
    res = NULL;
done:
    cJSON_Delete(q);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

int vg_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const cJSON *obj = NULL, *items, *r;
    const char *first, *last, *email;
    char ik[BWSDK_IDEM_RECORD_MAX], id[VG_ID_MAX], e164[BWSDK_E164_MAX] = "";
    int status = 0, rc;
    if ((rc = bwsdk_patient_input(patient, &q, &first, &last, e164, &email, err)) != 0)
        return rc;
    if (!in->writes) {
        cJSON_Delete(q);
        return link_only(in, err);
    }
    if ((rc = bwsdk_idem_record(in->host, "patient", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (!id[0] && (e164[0] || email[0])) {
        /* The same person already on file (same name at that number or address). */
        if ((rc = customer_search(in, call, e164[0] ? e164 : NULL, e164[0] ? NULL : email, &doc,
                                  &items, err)) != 0)
            goto done;
        cJSON_ArrayForEach(r, items) {
            if (strcasecmp(bwsdk_json_string_or(r, "firstName", ""), first) == 0 &&
                strcasecmp(bwsdk_json_string_or(r, "lastName", ""), last) == 0 &&
                bwsdk_json_text(r, "customerId", id, sizeof id)[0])
                break;
        }
        cJSON_Delete(doc);
        doc = NULL;
    }
    if (id[0]) {
        if ((rc = read_one(in, call, in->path_customers, id, &doc, &obj, err)) != 0)
            goto done;
        bwsdk_idem_put(in->host, call, ik, id);
    } else {
        cJSON *v;
        if (!(body = cJSON_CreateObject()) ||
            !cJSON_AddStringToObject(body, "businessId", in->business_id) ||
            !cJSON_AddStringToObject(body, "firstName", first) ||
            !cJSON_AddStringToObject(body, "lastName", last) ||
            (e164[0] && !cJSON_AddStringToObject(body, "mobilePhone", e164)) ||
            (email[0] && !cJSON_AddStringToObject(body, "email", email))) {
            rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
            goto done;
        }
        if ((rc = vg_request(in, call, "POST", in->path_customers, NULL, body, &status, &doc,
                             err)) != 0)
            goto done;
        v = cJSON_GetObjectItemCaseSensitive(doc, "data");
        if (!cJSON_IsObject(v) || !bwsdk_json_text(v, "customerId", id, sizeof id)[0]) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created customer has no id");
            goto done;
        }
        obj = v;
        bwsdk_idem_put(in->host, call, ik, id);
    }
    rc = bwsdk_json_answer(in->host, out, patient_abi(obj), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}

/* ---- appointments -------------------------------------------------------- */

static cJSON *appointment_abi(const cJSON *r, const char *location)
{
    char id[VG_ID_MAX], cust[VG_ID_MAX], biz[VG_ID_MAX], svc[VG_ID_MAX], prov[VG_ID_MAX];
    const char *st = bwsdk_json_string_or(r, "bookingStatus", "Confirmed");
    bool cancelled = strcasecmp(st, "Cancelled") == 0 || strcasecmp(st, "Canceled") == 0 ||
                     strcasecmp(st, "Deleted") == 0;
    bwsdk_json_text(r, "businessId", biz, sizeof biz);
    cJSON *a = cJSON_CreateObject();
    if (!a ||
        !cJSON_AddStringToObject(a, "id", bwsdk_json_text(r, "appointmentId", id, sizeof id)) ||
        !cJSON_AddStringToObject(a, "patient_id",
                                 bwsdk_json_text(r, "customerId", cust, sizeof cust)) ||
        !cJSON_AddStringToObject(a, "location_id", location && location[0] ? location : biz) ||
        !cJSON_AddStringToObject(a, "service_id",
                                 bwsdk_json_text(r, "serviceId", svc, sizeof svc)) ||
        !cJSON_AddStringToObject(a, "provider_id",
                                 bwsdk_json_text(r, "serviceProviderId", prov, sizeof prov)) ||
        !cJSON_AddStringToObject(a, "start", bwsdk_json_string_or(r, "startTime", "")) ||
        !cJSON_AddStringToObject(a, "end", bwsdk_json_string_or(r, "endTime", "")) ||
        !cJSON_AddStringToObject(a, "status", cancelled ? "cancelled" : "booked")) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

int vg_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *q = NULL, *doc = NULL, *res = NULL, *list;
    const cJSON *items, *r;
    const char *from, *to;
    int64_t a, b;
    int status = 0, rc;
    char qs[1024] = "";
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_APPOINTMENT_QUERY, &q) != 0 ||
        bwsdk_json_string(q, "from", &from) || bwsdk_json_string(q, "to", &to) ||
        bwsdk_time_parse(from, &a, NULL) || bwsdk_time_parse(to, &b, NULL) || b <= a) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "an appointment query needs from < to");
    }
    const char *patient = bwsdk_json_string_or(q, "patient_id", "");
    const char *loc = bwsdk_json_string_or(q, "location_id", "");
    if (bwsdk_query_add(qs, sizeof qs, "businessId", vg_business(in, loc)) ||
        bwsdk_query_add(qs, sizeof qs, "startDate", from) ||
        bwsdk_query_add(qs, sizeof qs, "endDate", to) ||
        (patient[0] && bwsdk_query_add(qs, sizeof qs, "customerId", patient))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
        goto done;
    }
    if ((rc = vg_request(in, call, "GET", in->path_appointments, qs, NULL, &status, &doc, err)) != 0)
        goto done;
    if (!cJSON_IsArray(items = cJSON_GetObjectItemCaseSensitive(doc, "data"))) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "a list answered no data array");
        goto done;
    }
    if (!(res = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(res, "appointments")))
        goto nomem;
    cJSON_ArrayForEach(r, items) {
        char cust[VG_ID_MAX];
        int64_t s, e;
        /* The window and the customer again: a server may answer wider. */
        if ((patient[0] &&
             strcmp(bwsdk_json_text(r, "customerId", cust, sizeof cust), patient) != 0) ||
            bwsdk_time_parse(bwsdk_json_string_or(r, "startTime", ""), &s, NULL) ||
            bwsdk_time_parse(bwsdk_json_string_or(r, "endTime", ""), &e, NULL) || s >= b || e <= a)
            continue;
        cJSON *ap = appointment_abi(r, loc);
        if (!ap || !cJSON_AddItemToArray(list, ap)) {
            cJSON_Delete(ap);
            goto nomem;
        }
    }
    rc = bwsdk_json_answer(in->host, out, res, err);
    res = NULL;
    goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(q);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

/* An employee free at start for the service (the API assigns none). */
static int pick_provider(struct vg_instance *in, struct bw_call *call, const char *business,
                         const char *service, const char *start, const char *end, int64_t st,
                         char *out, size_t cap, struct bw_error *err)
{
    char q[1024] = "";
    cJSON *doc = NULL;
    const cJSON *r;
    int status = 0, rc;
    out[0] = 0;
    if (bwsdk_query_add(q, sizeof q, "businessId", business) ||
        bwsdk_query_add(q, sizeof q, "serviceId", service) ||
        bwsdk_query_add(q, sizeof q, "startDate", start) ||
        bwsdk_query_add(q, sizeof q, "endDate", end))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    if ((rc = vg_request(in, call, "GET", in->path_availability, q, NULL, &status, &doc, err)) != 0)
        return rc;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "data")) {
        int64_t s;
        if (bwsdk_time_parse(bwsdk_json_string_or(r, "startTime", ""), &s, NULL) == 0 && s == st &&
            bwsdk_json_text(r, "serviceProviderId", out, cap)[0])
            break;
    }
    cJSON_Delete(doc);
    return out[0] ? 0 : bwsdk_error(err, BW_E_CONFLICT, NULL, "no employee is free at that time");
}

int vg_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const cJSON *obj = NULL;
    const char *patient, *loc, *service, *start, *end;
    char ik[BWSDK_IDEM_RECORD_MAX], id[VG_ID_MAX], provider[VG_ID_MAX];
    int64_t st, en;
    int status = 0, rc;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_BOOKING_REQUEST, &q) != 0 ||
        bwsdk_json_string(q, "patient_id", &patient) || bwsdk_json_string(q, "location_id", &loc) ||
        bwsdk_json_string(q, "service_id", &service) || bwsdk_json_string(q, "start", &start) ||
        bwsdk_json_string(q, "end", &end) || !patient[0] || !service[0] ||
        bwsdk_time_parse(start, &st, NULL) || bwsdk_time_parse(end, &en, NULL) || en <= st) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL,
                           "a booking needs patient_id, location_id, service_id, start < end");
    }
    if (!in->writes) {
        cJSON_Delete(q);
        return link_only(in, err);
    }
    const char *business = vg_business(in, loc);
    snprintf(provider, sizeof provider, "%s", bwsdk_json_string_or(q, "provider_id", ""));
    if ((rc = bwsdk_idem_record(in->host, "book", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (id[0]) {
        rc = read_one(in, call, in->path_appointments, id, &doc, &obj, err);
    } else if (!provider[0] &&
               (rc = pick_provider(in, call, business, service, start, end, st, provider,
                                   sizeof provider, err)) != 0) {
        goto done;
    } else if (!(body = cJSON_CreateObject()) ||
               !cJSON_AddStringToObject(body, "businessId", business) ||
               !cJSON_AddStringToObject(body, "customerId", patient) ||
               !cJSON_AddStringToObject(body, "serviceId", service) ||
               !cJSON_AddStringToObject(body, "serviceProviderId", provider) ||
               !cJSON_AddStringToObject(body, "startTime", start) ||
               !cJSON_AddStringToObject(body, "endTime", end) ||
               !cJSON_AddStringToObject(body, "notes", bwsdk_json_string_or(q, "notes", ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    } else if ((rc = vg_request(in, call, "POST", in->path_appointments, NULL, body, &status,
                                &doc, err)) == 0) {
        obj = cJSON_GetObjectItemCaseSensitive(doc, "data");
        if (!cJSON_IsObject(obj) || !bwsdk_json_text(obj, "appointmentId", id, sizeof id)[0])
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created appointment has no id");
        else
            bwsdk_idem_put(in->host, call, ik, id);
    } else if (status == 409) {
        rc = bwsdk_error(err, BW_E_CONFLICT, "conflict", "the slot is no longer free");
    }
    if (rc == 0)
        rc = bwsdk_json_answer(in->host, out, appointment_abi(obj, loc), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}

int vg_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err)
{
    (void)key; /* cancelling a cancelled appointment answers it unchanged */
    struct vg_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const cJSON *obj = NULL;
    const char *id;
    char path[VG_PATH_MAX + 220], enc[200];
    int status = 0, rc;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &q) != 0 ||
        bwsdk_json_string(q, "appointment_id", &id) || !id[0] ||
        bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL) != 0) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "a cancel needs appointment_id");
    }
    if (!in->writes) {
        cJSON_Delete(q);
        return link_only(in, err);
    }
    snprintf(path, sizeof path, "%s/%s/cancel", in->path_appointments, enc);
    if (!(body = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(body, "reason", bwsdk_json_string_or(q, "reason", ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    rc = vg_request(in, call, "PUT", path, NULL, body, &status, &doc, err);
    if (rc != 0 && status == 404)
        rc = bwsdk_error(err, BW_E_INVAL, "not-found", "no such appointment in Vagaro");
    if (rc == 0 && !cJSON_IsObject(obj = cJSON_GetObjectItemCaseSensitive(doc, "data"))) {
        cJSON_Delete(doc);
        doc = NULL;
        rc = read_one(in, call, in->path_appointments, id, &doc, &obj, err);
    }
    if (rc == 0)
        rc = bwsdk_json_answer(in->host, out, appointment_abi(obj, NULL), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}
