/*
 * emr.patientnow's patients and appointments: patient search by mobile
 * phone or email and create; appointment create (409: the time is taken,
 * BW_E_CONFLICT) and cancel (PUT <appointments>/<id>/cancel; cancelling a
 * cancelled appointment answers it unchanged).
 *
 * PatientNow takes no idempotency keys, so a write under a key records the
 * id it created in the host's key-value store (idem/<op>/<SHA-256 of the
 * key>) and a retry answers that record. A patient retry whose first
 * attempt created the patient but died before the store finds it anyway (a
 * patient with the same phone and name); an appointment retry in that case
 * meets its own appointment as a taken time (BW_E_CONFLICT), which the host
 * settles by its own reconciliation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "patientnow.h"


/* ---- one record ---------------------------------------------------------- */

/* GET <collection>/<id> into *doc; an unknown id is BW_E_INVAL. */
static int read_one(struct pn_instance *in, struct bw_call *call, const char *collection,
                    const char *id, cJSON **doc, struct bw_error *err)
{
    char path[PN_PATH_MAX + 200], enc[200];
    int status = 0;
    if (bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "the id is too long");
    snprintf(path, sizeof path, "%s/%s", collection, enc);
    int rc = pn_request(in, call, "GET", path, NULL, NULL, &status, doc, err);
    if (rc != 0 && status == 404)
        rc = bwsdk_error(err, BW_E_INVAL, "not-found", "no such record in PatientNow");
    return rc;
}

/* ---- patients ------------------------------------------------------------ */

/* patient/1 of a PatientNow patient. */
static cJSON *patient_abi(const cJSON *r)
{
    char id[PN_ID_MAX];
    return bwsdk_patient_new(bwsdk_json_text(r, "patientId", id, sizeof id),
                             bwsdk_json_string_or(r, "firstName", ""),
                             bwsdk_json_string_or(r, "lastName", ""),
                             bwsdk_json_string_or(r, "mobilePhone", ""),
                             bwsdk_json_string_or(r, "email", ""));
}

struct collect {
    cJSON *list;
    const char *first, *last; /* patient_create: the name to match */
    char found[PN_ID_MAX];
};

static int collect_patient(const cJSON *r, void *vctx)
{
    struct collect *c = vctx;
    cJSON *p = patient_abi(r);
    if (p && cJSON_AddItemToArray(c->list, p))
        return 0;
    cJSON_Delete(p);
    return BW_E_NOMEM;
}

static int same_name(const cJSON *r, void *vctx)
{
    struct collect *c = vctx;
    if (strcasecmp(bwsdk_json_string_or(r, "firstName", ""), c->first) == 0 &&
        strcasecmp(bwsdk_json_string_or(r, "lastName", ""), c->last) == 0)
        bwsdk_json_text(r, "patientId", c->found, sizeof c->found);
    return c->found[0] ? 1 : 0;
}

static int patient_search(struct pn_instance *in, struct bw_call *call, const char *phone,
                          const char *email, int (*fn)(const cJSON *, void *), void *ctx,
                          struct bw_error *err)
{
    char q[1024] = "";
    if ((phone && phone[0] && bwsdk_query_add(q, sizeof q, "mobilePhone", phone)) ||
        (email && email[0] && bwsdk_query_add(q, sizeof q, "email", email)))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    return pn_list(in, call, in->path_patients, q, fn, ctx, err);
}

int pn_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err)
{
    struct pn_instance *in = instance;
    cJSON *q = NULL;
    const char *phone, *email;
    int rc = bwsdk_patient_query(query, &q, &phone, &email, err);
    if (rc != 0)
        return rc;
    cJSON *res = cJSON_CreateObject();
    struct collect c = { .list = res ? cJSON_AddArrayToObject(res, "patients") : NULL };
    rc = c.list ? patient_search(in, call, phone, email, collect_patient, &c, err) : BW_E_NOMEM;
    cJSON_Delete(q);
    if (rc) {
        cJSON_Delete(res);
        return rc == BW_E_NOMEM ? bwsdk_error(err, rc, NULL, "out of memory") : rc;
    }
    return bwsdk_json_answer(in->host, out, res, err);
}

int pn_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct pn_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const char *first, *last, *email;
    char ik[BWSDK_IDEM_RECORD_MAX], id[PN_ID_MAX], e164[BWSDK_E164_MAX] = "";
    int status = 0, rc;
    if ((rc = bwsdk_patient_input(patient, &q, &first, &last, e164, &email, err)) != 0)
        return rc;
    if ((rc = bwsdk_idem_record(in->host, "patient", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (!id[0] && (e164[0] || email[0])) {
        /* The same person already on file (same name at that number or address). */
        struct collect c = { .first = first, .last = last };
        rc = patient_search(in, call, e164[0] ? e164 : NULL, e164[0] ? NULL : email, same_name, &c,
                            err);
        if (rc != 0 && rc != 1)
            goto done;
        snprintf(id, sizeof id, "%s", c.found);
    }
    if (id[0]) {
        if ((rc = read_one(in, call, in->path_patients, id, &doc, err)) != 0)
            goto done;
        bwsdk_idem_put(in->host, call, ik, id);
    } else {
        if (!(body = cJSON_CreateObject()) || !cJSON_AddStringToObject(body, "firstName", first) ||
            !cJSON_AddStringToObject(body, "lastName", last) ||
            (e164[0] && !cJSON_AddStringToObject(body, "mobilePhone", e164)) ||
            (email[0] && !cJSON_AddStringToObject(body, "email", email))) {
            rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
            goto done;
        }
        if ((rc = pn_request(in, call, "POST", in->path_patients, NULL, body, &status, &doc,
                             err)) != 0)
            goto done;
        if (!bwsdk_json_text(doc, "patientId", id, sizeof id)[0]) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created patient has no id");
            goto done;
        }
        bwsdk_idem_put(in->host, call, ik, id);
    }
    rc = bwsdk_json_answer(in->host, out, patient_abi(doc), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}

/* ---- appointments -------------------------------------------------------- */

/* appointment/1 of a PatientNow appointment; location, when given, is the
 * host's own name for its location. */
static cJSON *appointment_abi(const cJSON *r, const char *location)
{
    char id[PN_ID_MAX], pat[PN_ID_MAX], loc[PN_ID_MAX], svc[PN_ID_MAX], prov[PN_ID_MAX];
    const char *st = bwsdk_json_string_or(r, "status", "Scheduled");
    bool cancelled = strcasecmp(st, "Cancelled") == 0 || strcasecmp(st, "Canceled") == 0;
    bwsdk_json_text(r, "locationId", loc, sizeof loc);
    cJSON *a = cJSON_CreateObject();
    if (!a ||
        !cJSON_AddStringToObject(a, "id", bwsdk_json_text(r, "appointmentId", id, sizeof id)) ||
        !cJSON_AddStringToObject(a, "patient_id",
                                 bwsdk_json_text(r, "patientId", pat, sizeof pat)) ||
        !cJSON_AddStringToObject(a, "location_id", location && location[0] ? location : loc) ||
        !cJSON_AddStringToObject(a, "service_id",
                                 bwsdk_json_text(r, "appointmentTypeId", svc, sizeof svc)) ||
        !cJSON_AddStringToObject(a, "provider_id",
                                 bwsdk_json_text(r, "providerId", prov, sizeof prov)) ||
        !cJSON_AddStringToObject(a, "start", bwsdk_json_string_or(r, "startTime", "")) ||
        !cJSON_AddStringToObject(a, "end", bwsdk_json_string_or(r, "endTime", "")) ||
        !cJSON_AddStringToObject(a, "status", cancelled ? "cancelled" : "booked")) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

struct first_opening {
    int64_t start;
    char provider[PN_ID_MAX];
};

static int opening_at(const cJSON *r, void *vctx)
{
    struct first_opening *f = vctx;
    int64_t s;
    if (bwsdk_time_parse(bwsdk_json_string_or(r, "startTime", ""), &s, NULL) == 0 && s == f->start)
        bwsdk_json_text(r, "providerId", f->provider, sizeof f->provider);
    return f->provider[0] ? 1 : 0;
}

/* A provider free at start for the appointment type (PatientNow assigns
 * none by itself). */
static int pick_provider(struct pn_instance *in, struct bw_call *call, const char *location,
                         const char *service, const char *start, const char *end, int64_t st,
                         char *out, size_t cap, struct bw_error *err)
{
    char q[1024] = "";
    struct first_opening f = { .start = st };
    if (bwsdk_query_add(q, sizeof q, "locationId", location) ||
        bwsdk_query_add(q, sizeof q, "appointmentTypeId", service) ||
        bwsdk_query_add(q, sizeof q, "startDate", start) ||
        bwsdk_query_add(q, sizeof q, "endDate", end))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    int rc = pn_list(in, call, in->path_availability, q, opening_at, &f, err);
    if (rc != 0 && rc != 1)
        return rc;
    if (!f.provider[0])
        return bwsdk_error(err, BW_E_CONFLICT, NULL, "no provider is free at that time");
    snprintf(out, cap, "%s", f.provider);
    return 0;
}

int pn_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err)
{
    struct pn_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const char *patient, *loc, *service, *start, *end;
    char ik[BWSDK_IDEM_RECORD_MAX], id[PN_ID_MAX], provider[PN_ID_MAX];
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
    const char *location = pn_location(in, loc);
    snprintf(provider, sizeof provider, "%s", bwsdk_json_string_or(q, "provider_id", ""));
    if ((rc = bwsdk_idem_record(in->host, "book", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (id[0]) {
        rc = read_one(in, call, in->path_appointments, id, &doc, err);
    } else if (!provider[0] &&
               (rc = pick_provider(in, call, location, service, start, end, st, provider,
                                   sizeof provider, err)) != 0) {
        goto done;
    } else if (!(body = cJSON_CreateObject()) ||
               !cJSON_AddStringToObject(body, "patientId", patient) ||
               !cJSON_AddStringToObject(body, "providerId", provider) ||
               !cJSON_AddStringToObject(body, "locationId", location) ||
               !cJSON_AddStringToObject(body, "appointmentTypeId", service) ||
               !cJSON_AddStringToObject(body, "startTime", start) ||
               !cJSON_AddStringToObject(body, "endTime", end) ||
               !cJSON_AddStringToObject(body, "notes", bwsdk_json_string_or(q, "notes", ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    } else if ((rc = pn_request(in, call, "POST", in->path_appointments, NULL, body, &status,
                                &doc, err)) == 0) {
        if (!bwsdk_json_text(doc, "appointmentId", id, sizeof id)[0])
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created appointment has no id");
        else
            bwsdk_idem_put(in->host, call, ik, id);
    } else if (status == 409) {
        rc = bwsdk_error(err, BW_E_CONFLICT, "conflict", "the slot is no longer free");
    }
    if (rc == 0)
        rc = bwsdk_json_answer(in->host, out, appointment_abi(doc, loc), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}

int pn_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err)
{
    (void)key; /* cancelling a cancelled appointment answers it unchanged */
    struct pn_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const char *id;
    char path[PN_PATH_MAX + 220], enc[200];
    int status = 0, rc;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &q) != 0 ||
        bwsdk_json_string(q, "appointment_id", &id) || !id[0] ||
        bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL) != 0) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "a cancel needs appointment_id");
    }
    snprintf(path, sizeof path, "%s/%s/cancel", in->path_appointments, enc);
    if (!(body = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(body, "reason", bwsdk_json_string_or(q, "reason", ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    rc = pn_request(in, call, "PUT", path, NULL, body, &status, &doc, err);
    if (rc != 0 && status == 404)
        rc = bwsdk_error(err, BW_E_INVAL, "not-found", "no such appointment in PatientNow");
    if (rc == 0 && !doc)
        rc = read_one(in, call, in->path_appointments, id, &doc, err);
    if (rc == 0)
        rc = bwsdk_json_answer(in->host, out, appointment_abi(doc, NULL), err);
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}
