/*
 * emr.nextech's patients, appointments and deposits: Patient search by
 * phone or email and create; Appointment search, create (409: the time is
 * taken, BW_E_CONFLICT), update (reschedule, cancel) by reading the
 * resource and writing it back with PUT; deposits as PaymentReconciliation
 * resources that reference the patient and the appointment.
 *
 * Nextech takes no idempotency keys, so a write under a key records the id
 * it created in the host's key-value store (idem/<op>/<SHA-256 of the key>)
 * and a retry answers that resource; a retry whose first attempt created
 * the record but died before the store finds it anyway: a patient with the
 * same phone and name, or the patient's appointment at that time that
 * carries the key's hash as an identifier (every created Appointment does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nextech.h"

#define IDEM_SYSTEM "urn:bookwell:idempotency-key"

/* ---- patients ------------------------------------------------------------ */

static const char *telecom(const cJSON *r, const char *system)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "telecom")) {
        if (strcmp(bwsdk_json_string_or(t, "system", ""), system) == 0)
            return bwsdk_json_string_or(t, "value", "");
    }
    return "";
}

/* patient/1 of a FHIR Patient. */
static cJSON *patient_abi(const cJSON *r)
{
    char given[256] = "";
    const cJSON *g;
    cJSON_ArrayForEach(g, bwsdk_json_path(r, "name.0.given")) {
        const char *v = cJSON_GetStringValue(g);
        size_t used = strlen(given);
        if (v)
            snprintf(given + used, sizeof given - used, "%s%s", used ? " " : "", v);
    }
    return bwsdk_patient_new(bwsdk_json_string_or(r, "id", ""), given,
                             bwsdk_json_string_or(r, "name.0.family", ""), telecom(r, "phone"),
                             telecom(r, "email"));
}

struct collect {
    cJSON *list;
    const char *first, *last;  /* patient_create: the name to match */
    char found[NX_ID_MAX];
};

static int collect_patient(const cJSON *r, void *vctx)
{
    struct collect *c = vctx;
    cJSON *p = patient_abi(r);
    return p && cJSON_AddItemToArray(c->list, p) ? 0 : BW_E_NOMEM;
}

static int patient_search(struct nx_instance *in, struct bw_call *call, const char *phone,
                          const char *email, int (*fn)(const cJSON *, void *), void *ctx,
                          struct bw_error *err)
{
    char q[1024] = "", path[1100], count[24];
    snprintf(count, sizeof count, "%lld", (long long)in->page_size);
    if ((phone && phone[0] && bwsdk_query_add(q, sizeof q, "phone", phone)) ||
        (email && email[0] && bwsdk_query_add(q, sizeof q, "email", email)) ||
        bwsdk_query_add(q, sizeof q, "_count", count))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    snprintf(path, sizeof path, "Patient?%s", q);
    return nx_search(in, call, path, fn, ctx, err);
}

int nx_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
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

static int same_name(const cJSON *r, void *vctx)
{
    struct collect *c = vctx;
    cJSON *p = patient_abi(r);
    if (p && strcasecmp(bwsdk_json_string_or(p, "first_name", ""), c->first) == 0 &&
        strcasecmp(bwsdk_json_string_or(p, "last_name", ""), c->last) == 0)
        snprintf(c->found, sizeof c->found, "%s", bwsdk_json_string_or(p, "id", ""));
    cJSON_Delete(p);
    return c->found[0] ? 1 : 0;
}

/* GET <type>/<id> into *doc. */
static int read_one(struct nx_instance *in, struct bw_call *call, const char *type, const char *id,
                    cJSON **doc, struct bw_error *err)
{
    char path[256], enc[200];
    int status = 0;
    if (bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "the id is too long");
    snprintf(path, sizeof path, "%s/%s", type, enc);
    int rc = nx_request(in, call, "GET", path, NULL, NULL, &status, doc, err);
    if (rc == BW_E_REMOTE && status == 404)
        rc = bwsdk_error(err, BW_E_INVAL, "not-found", "no such %s", type);
    return rc;
}

int nx_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const char *first, *last, *email;
    char ik[BWSDK_IDEM_RECORD_MAX], id[NX_ID_MAX], e164[BWSDK_E164_MAX] = "";
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
        if ((rc = read_one(in, call, "Patient", id, &doc, err)) != 0)
            goto done;
    } else {
        cJSON *name, *given, *tel, *t;
        rc = BW_E_NOMEM;
        if (!(body = cJSON_CreateObject()) ||
            !cJSON_AddStringToObject(body, "resourceType", "Patient") ||
            !cJSON_AddTrueToObject(body, "active") || !(name = cJSON_CreateObject()) ||
            !cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "name"), name) ||
            !cJSON_AddStringToObject(name, "use", "official") ||
            !cJSON_AddStringToObject(name, "family", last) ||
            !(given = cJSON_AddArrayToObject(name, "given")) ||
            !cJSON_AddItemToArray(given, cJSON_CreateString(first)) ||
            !(tel = cJSON_AddArrayToObject(body, "telecom")))
            goto nomem;
        if (e164[0] && (!(t = cJSON_CreateObject()) || !cJSON_AddItemToArray(tel, t) ||
                        !cJSON_AddStringToObject(t, "system", "phone") ||
                        !cJSON_AddStringToObject(t, "value", e164) ||
                        !cJSON_AddStringToObject(t, "use", "mobile")))
            goto nomem;
        if (email[0] && (!(t = cJSON_CreateObject()) || !cJSON_AddItemToArray(tel, t) ||
                         !cJSON_AddStringToObject(t, "system", "email") ||
                         !cJSON_AddStringToObject(t, "value", email)))
            goto nomem;
        if (cJSON_GetArraySize(tel) == 0) /* FHIR allows no empty arrays */
            cJSON_DeleteItemFromObjectCaseSensitive(body, "telecom");
        if ((rc = nx_request(in, call, "POST", "Patient", body, NULL, &status, &doc, err)) != 0)
            goto done;
        if (!bwsdk_json_string_or(doc, "id", NULL)) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created Patient has no id");
            goto done;
        }
        bwsdk_idem_put(in->host, call, ik, bwsdk_json_string_or(doc, "id", ""));
    }
    rc = bwsdk_json_answer(in->host, out, patient_abi(doc), err);
    goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    return rc;
}

/* ---- appointments -------------------------------------------------------- */

static const char *participant(const cJSON *r, const char *type)
{
    const cJSON *p;
    size_t tl = strlen(type);
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r, "participant")) {
        const char *ref = bwsdk_json_string_or(p, "actor.reference", "");
        if (strncmp(ref, type, tl) == 0 && ref[tl] == '/')
            return ref + tl + 1;
    }
    return "";
}

static const char *appointment_type(const cJSON *r)
{
    const char *t = nx_ext_ref(r, "appointment-type");
    return t[0] ? t : bwsdk_json_string_or(r, "appointmentType.coding.0.code", "");
}

/* appointment/1 of a FHIR Appointment; location, when given, replaces the
 * Location participant (the host's own name for it). */
static cJSON *appointment_abi(const cJSON *r, const char *location)
{
    const char *st = bwsdk_json_string_or(r, "status", "booked");
    bool cancelled = strcmp(st, "cancelled") == 0 || strcmp(st, "noshow") == 0 ||
                     strcmp(st, "entered-in-error") == 0;
    cJSON *a = cJSON_CreateObject();
    if (!a || !cJSON_AddStringToObject(a, "id", bwsdk_json_string_or(r, "id", "")) ||
        !cJSON_AddStringToObject(a, "patient_id", participant(r, "Patient")) ||
        !cJSON_AddStringToObject(a, "location_id",
                                 location && location[0] ? location : participant(r, "Location")) ||
        !cJSON_AddStringToObject(a, "service_id", appointment_type(r)) ||
        !cJSON_AddStringToObject(a, "provider_id", participant(r, "Practitioner")) ||
        !cJSON_AddStringToObject(a, "start", bwsdk_json_string_or(r, "start", "")) ||
        !cJSON_AddStringToObject(a, "end", bwsdk_json_string_or(r, "end", "")) ||
        !cJSON_AddStringToObject(a, "status", cancelled ? "cancelled" : "booked")) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

struct appt_ctx {
    cJSON *list;
    const char *location;
    /* book: the appointment to find */
    const char *provider, *service, *ident;
    int64_t start;
    char found[NX_ID_MAX];
};

static int collect_appt(const cJSON *r, void *vctx)
{
    struct appt_ctx *c = vctx;
    cJSON *a = appointment_abi(r, c->location);
    return a && cJSON_AddItemToArray(c->list, a) ? 0 : BW_E_NOMEM;
}

static int appt_search(struct nx_instance *in, struct bw_call *call, const char *patient,
                       const char *location, const char *from, const char *to,
                       int (*fn)(const cJSON *, void *), void *ctx, struct bw_error *err)
{
    char q[1024] = "", path[1100], ge[64], lt[64], count[24];
    snprintf(ge, sizeof ge, "ge%s", from);
    snprintf(lt, sizeof lt, "lt%s", to);
    snprintf(count, sizeof count, "%lld", (long long)in->page_size);
    if ((patient && patient[0] && bwsdk_query_add(q, sizeof q, "patient", patient)) ||
        (location && location[0] && bwsdk_query_add(q, sizeof q, "location", location)) ||
        bwsdk_query_add(q, sizeof q, "date", ge) || bwsdk_query_add(q, sizeof q, "date", lt) ||
        bwsdk_query_add(q, sizeof q, "_count", count))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    snprintf(path, sizeof path, "Appointment?%s", q);
    return nx_search(in, call, path, fn, ctx, err);
}

int nx_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *q = NULL;
    const char *from, *to;
    int64_t a, b;
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_APPOINTMENT_QUERY, &q) != 0 ||
        bwsdk_json_string(q, "from", &from) || bwsdk_json_string(q, "to", &to) ||
        bwsdk_time_parse(from, &a, NULL) || bwsdk_time_parse(to, &b, NULL) || b <= a) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "an appointment query needs from < to");
    }
    const char *patient = bwsdk_json_string_or(q, "patient_id", "");
    const char *loc = bwsdk_json_string_or(q, "location_id", "");
    cJSON *res = cJSON_CreateObject();
    struct appt_ctx c = { .list = res ? cJSON_AddArrayToObject(res, "appointments") : NULL,
                          .location = loc };
    int rc = c.list ? appt_search(in, call, patient, loc[0] ? nx_location(in, loc) : NULL, from,
                                  to, collect_appt, &c, err)
                    : BW_E_NOMEM;
    cJSON_Delete(q);
    if (rc) {
        cJSON_Delete(res);
        return rc == BW_E_NOMEM ? bwsdk_error(err, rc, NULL, "out of memory") : rc;
    }
    return bwsdk_json_answer(in->host, out, res, err);
}

/* The value of the Appointment's identifier in our idempotency system. */
static const char *ident_of(const cJSON *r)
{
    const cJSON *i;
    cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(r, "identifier")) {
        if (strcmp(bwsdk_json_string_or(i, "system", ""), IDEM_SYSTEM) == 0)
            return bwsdk_json_string_or(i, "value", "");
    }
    return "";
}

static int same_appt(const cJSON *r, void *vctx)
{
    struct appt_ctx *c = vctx;
    int64_t s;
    if (strcmp(ident_of(r), c->ident) == 0 &&
        strcmp(bwsdk_json_string_or(r, "status", ""), "booked") == 0 &&
        bwsdk_time_parse(bwsdk_json_string_or(r, "start", ""), &s, NULL) == 0 && s == c->start &&
        strcmp(participant(r, "Practitioner"), c->provider) == 0 &&
        strcmp(appointment_type(r), c->service) == 0)
        snprintf(c->found, sizeof c->found, "%s", bwsdk_json_string_or(r, "id", ""));
    return c->found[0] ? 1 : 0;
}

struct first_slot {
    int64_t start;
    char provider[NX_ID_MAX];
};

static int slot_at(const cJSON *r, void *vctx)
{
    struct first_slot *f = vctx;
    int64_t s;
    if (bwsdk_time_parse(bwsdk_json_string_or(r, "start", ""), &s, NULL) == 0 && s == f->start &&
        strcmp(bwsdk_json_string_or(r, "status", "free"), "free") == 0) {
        snprintf(f->provider, sizeof f->provider, "%s", nx_ext_ref(r, "practitioner"));
        return f->provider[0] ? 1 : 0;
    }
    return 0;
}

/* A practitioner free at start for the appointment type (the EMR assigns). */
static int pick_provider(struct nx_instance *in, struct bw_call *call, const char *location,
                         const char *service, const char *start, const char *end, int64_t st,
                         char *out, size_t cap, struct bw_error *err)
{
    char q[1024] = "", path[1100], ge[64], le[64];
    struct first_slot f = { .start = st };
    snprintf(ge, sizeof ge, "ge%s", start);
    snprintf(le, sizeof le, "le%s", end);
    if (bwsdk_query_add(q, sizeof q, "appointment-type", service) ||
        bwsdk_query_add(q, sizeof q, "location", location) ||
        bwsdk_query_add(q, sizeof q, "start", ge) ||
        bwsdk_query_add(q, sizeof q, "start", le))
        return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
    snprintf(path, sizeof path, "Slot?%s", q);
    int rc = nx_search(in, call, path, slot_at, &f, err);
    if (rc != 0 && rc != 1)
        return rc;
    if (!f.provider[0])
        return bwsdk_error(err, BW_E_CONFLICT, NULL, "no practitioner is free at that time");
    snprintf(out, cap, "%s", f.provider);
    return 0;
}

static cJSON *ref_object(const char *type, const char *id)
{
    char ref[NX_ID_MAX + 40];
    snprintf(ref, sizeof ref, "%s/%s", type, id);
    cJSON *p = cJSON_CreateObject(), *actor = cJSON_CreateObject();
    if (!p || !actor || !cJSON_AddStringToObject(actor, "reference", ref) ||
        !cJSON_AddItemToObject(p, "actor", actor) || !cJSON_AddStringToObject(p, "status", "accepted")) {
        cJSON_Delete(p);
        cJSON_Delete(actor);
        return NULL;
    }
    return p;
}

static cJSON *appointment_body(const char *patient, const char *provider, const char *location,
                               const char *service, const char *start, const char *end,
                               int64_t minutes, const char *notes, const char *ident)
{
    char ref[NX_ID_MAX + 40];
    cJSON *b = cJSON_CreateObject(), *coding, *c, *ext, *e, *vr, *parts, *ids, *id;
    snprintf(ref, sizeof ref, "appointment-type/%s", service);
    if (!b || !cJSON_AddStringToObject(b, "resourceType", "Appointment") ||
        !cJSON_AddStringToObject(b, "status", "booked") ||
        !cJSON_AddStringToObject(b, "start", start) || !cJSON_AddStringToObject(b, "end", end) ||
        bwsdk_json_add_int(b, "minutesDuration", minutes) ||
        !cJSON_AddStringToObject(b, "comment", notes) ||
        !(coding = cJSON_AddArrayToObject(cJSON_AddObjectToObject(b, "appointmentType"), "coding")) ||
        !(c = cJSON_CreateObject()) || !cJSON_AddItemToArray(coding, c) ||
        !cJSON_AddStringToObject(c, "system", NX_EXT "appointment-type") ||
        !cJSON_AddStringToObject(c, "code", service) ||
        !(ext = cJSON_AddArrayToObject(b, "extension")) || !(e = cJSON_CreateObject()) ||
        !cJSON_AddItemToArray(ext, e) ||
        !cJSON_AddStringToObject(e, "url", NX_EXT "appointment-type") ||
        !(vr = cJSON_AddObjectToObject(e, "valueReference")) ||
        !cJSON_AddStringToObject(vr, "reference", ref) ||
        !(parts = cJSON_AddArrayToObject(b, "participant")) ||
        !cJSON_AddItemToArray(parts, ref_object("Patient", patient)) ||
        !cJSON_AddItemToArray(parts, ref_object("Practitioner", provider)) ||
        !cJSON_AddItemToArray(parts, ref_object("Location", location)) ||
        (ident[0] && (!(ids = cJSON_AddArrayToObject(b, "identifier")) ||
                      !(id = cJSON_CreateObject()) || !cJSON_AddItemToArray(ids, id) ||
                      !cJSON_AddStringToObject(id, "system", IDEM_SYSTEM) ||
                      !cJSON_AddStringToObject(id, "value", ident)))) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

int nx_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL;
    const char *patient, *loc, *service, *start, *end;
    char ik[BWSDK_IDEM_RECORD_MAX], id[NX_ID_MAX], provider[NX_ID_MAX];
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
    const char *location = nx_location(in, loc);
    snprintf(provider, sizeof provider, "%s", bwsdk_json_string_or(q, "provider_id", ""));
    if ((rc = bwsdk_idem_record(in->host, "book", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (!id[0] && !provider[0] &&
        (rc = pick_provider(in, call, location, service, start, end, st, provider,
                            sizeof provider, err)) != 0)
        goto done;
    if (!id[0] && key && key[0]) {
        /* A retry whose first attempt booked but was not recorded. */
        struct appt_ctx c = { .provider = provider, .service = service, .start = st,
                              .ident = ik + strlen("idem/book/") };
        rc = appt_search(in, call, patient, location, start, end, same_appt, &c, err);
        if (rc != 0 && rc != 1)
            goto done;
        snprintf(id, sizeof id, "%s", c.found);
    }
    if (id[0]) {
        rc = read_one(in, call, "Appointment", id, &doc, err);
    } else if (!(body = appointment_body(patient, provider, location, service, start, end,
                                         (en - st) / 60000000,
                                         bwsdk_json_string_or(q, "notes", ""),
                                         ik[0] ? ik + strlen("idem/book/") : ""))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    } else if ((rc = nx_request(in, call, "POST", "Appointment", body, NULL, &status, &doc,
                                err)) == 0) {
        if (!bwsdk_json_string_or(doc, "id", NULL))
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the created Appointment has no id");
        else
            bwsdk_idem_put(in->host, call, ik, bwsdk_json_string_or(doc, "id", ""));
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

/* Replaces the member key of obj with a string. */
static int set_string(cJSON *obj, const char *key, const char *value)
{
    cJSON *v = cJSON_CreateString(value);
    if (!v)
        return BW_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    else
        cJSON_AddItemToObject(obj, key, v);
    return 0;
}

/* GET, change, PUT: the update both reschedule and cancel make. */
static int update(struct nx_instance *in, struct bw_call *call, const char *id, const char *start,
                  const char *end, const char *provider, bool cancel, struct bw_buf *out,
                  struct bw_error *err)
{
    cJSON *doc = NULL, *res = NULL;
    char path[256], enc[200];
    int status = 0;
    int rc = read_one(in, call, "Appointment", id, &doc, err);
    if (rc != 0)
        return rc;
    const char *st = bwsdk_json_string_or(doc, "status", "");
    if (cancel && strcmp(st, "cancelled") == 0)
        goto answer;
    if (!cancel && strcmp(st, "cancelled") == 0) {
        rc = bwsdk_error(err, BW_E_CONFLICT, NULL, "the appointment is cancelled");
        goto done;
    }
    rc = BW_E_NOMEM;
    if (cancel && set_string(doc, "status", "cancelled"))
        goto nomem;
    if (!cancel) {
        int64_t a, b;
        if (bwsdk_time_parse(start, &a, NULL) || bwsdk_time_parse(end, &b, NULL))
            goto nomem;
        cJSON *md = cJSON_CreateNumber((double)((b - a) / 60000000));
        if (!md || set_string(doc, "start", start) || set_string(doc, "end", end)) {
            cJSON_Delete(md);
            goto nomem;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "minutesDuration");
        cJSON_AddItemToObject(doc, "minutesDuration", md);
        cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "participant")) {
            cJSON *actor = cJSON_GetObjectItemCaseSensitive(p, "actor");
            const char *ref = bwsdk_json_string_or(actor, "reference", "");
            char nref[NX_ID_MAX + 40];
            if (provider && provider[0] && strncmp(ref, "Practitioner/", 13) == 0) {
                snprintf(nref, sizeof nref, "Practitioner/%s", provider);
                cJSON_DeleteItemFromObjectCaseSensitive(actor, "display");
                if (set_string(actor, "reference", nref))
                    goto nomem;
            }
        }
    }
    bwsdk_url_encode(id, strlen(id), false, enc, sizeof enc, NULL);
    snprintf(path, sizeof path, "Appointment/%s", enc);
    rc = nx_request(in, call, "PUT", path, doc, NULL, &status, &res, err);
    if (rc != 0) {
        if (status == 409)
            rc = bwsdk_error(err, BW_E_CONFLICT, "conflict", "the new time is not free");
        goto done;
    }
    if (res) {
        cJSON_Delete(doc);
        doc = res;
        res = NULL;
    }
answer:
    rc = bwsdk_json_answer(in->host, out, appointment_abi(doc, NULL), err);
    goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

int nx_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                  const char *key, struct bw_buf *out, struct bw_error *err)
{
    (void)key; /* a repeated reschedule to the same times changes nothing more */
    cJSON *q = NULL;
    const char *id, *start, *end;
    int64_t a, b;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_RESCHEDULE_REQUEST, &q) != 0 ||
        bwsdk_json_string(q, "appointment_id", &id) || bwsdk_json_string(q, "start", &start) ||
        bwsdk_json_string(q, "end", &end) || !id[0] || bwsdk_time_parse(start, &a, NULL) ||
        bwsdk_time_parse(end, &b, NULL) || b <= a) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "a reschedule needs appointment_id, start < end");
    }
    int rc = update(instance, call, id, start, end, bwsdk_json_string_or(q, "provider_id", ""),
                    false, out, err);
    cJSON_Delete(q);
    return rc;
}

int nx_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err)
{
    (void)key; /* cancelling a cancelled appointment succeeds */
    cJSON *q = NULL;
    const char *id;
    if (bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &q) != 0 ||
        bwsdk_json_string(q, "appointment_id", &id) || !id[0]) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "a cancel needs appointment_id");
    }
    int rc = update(instance, call, id, NULL, NULL, NULL, true, out, err);
    cJSON_Delete(q);
    return rc;
}

/* ---- deposits -------------------------------------------------------------- */

static cJSON *ext_ref(const char *name, const char *type, const char *id)
{
    char url[160], ref[NX_ID_MAX + 40];
    snprintf(url, sizeof url, NX_EXT "%s", name);
    snprintf(ref, sizeof ref, "%s/%s", type, id);
    cJSON *e = cJSON_CreateObject(), *v;
    if (!e || !cJSON_AddStringToObject(e, "url", url) ||
        !(v = cJSON_AddObjectToObject(e, "valueReference")) ||
        !cJSON_AddStringToObject(v, "reference", ref)) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

int nx_deposit_log(void *instance, struct bw_call *call, const struct bw_json *deposit,
                   const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *q = NULL, *body = NULL, *doc = NULL, *res = NULL;
    const char *appt, *patient, *currency, *ref, *paid;
    int64_t amount, paid_us;
    char ik[BWSDK_IDEM_RECORD_MAX], id[NX_ID_MAX];
    int status = 0, rc, exp;
    if (bwsdk_json_parse(deposit, BW_SCHEMA_EMR_DEPOSIT, &q) != 0 ||
        bwsdk_json_string(q, "appointment_id", &appt) ||
        bwsdk_json_string(q, "patient_id", &patient) || bwsdk_json_int(q, "amount_minor", &amount) ||
        bwsdk_json_string(q, "currency", &currency) ||
        bwsdk_json_string(q, "payment_reference", &ref) || bwsdk_json_string(q, "paid_at", &paid) ||
        amount <= 0 || (exp = bwsdk_money_exponent(currency)) < 0 ||
        bwsdk_time_parse(paid, &paid_us, NULL) || !appt[0] || !patient[0]) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "malformed deposit");
    }
    if ((rc = bwsdk_idem_record(in->host, "deposit", key, ik)) != 0 ||
        (rc = bwsdk_idem_get(in->host, call, ik, id, sizeof id, err)) != 0)
        goto done;
    if (!id[0]) {
        double scale = 1;
        for (int i = 0; i < exp; i++)
            scale *= 10;
        cJSON *total, *ext, *notes, *n, *ident, *idv;
        char text[200];
        snprintf(text, sizeof text, "Deposit paid online (%.120s)", ref);
        rc = BW_E_NOMEM;
        if (!(body = cJSON_CreateObject()) ||
            !cJSON_AddStringToObject(body, "resourceType", "PaymentReconciliation") ||
            !cJSON_AddStringToObject(body, "status", "active") ||
            !cJSON_AddStringToObject(body, "created", paid) ||
            !(ident = cJSON_AddArrayToObject(body, "identifier")) || !(idv = cJSON_CreateObject()) ||
            !cJSON_AddItemToArray(ident, idv) ||
            !cJSON_AddStringToObject(idv, "system", "urn:bookwell:payment-reference") ||
            !cJSON_AddStringToObject(idv, "value", ref) ||
            !(total = cJSON_AddObjectToObject(body, "total")) ||
            !cJSON_AddNumberToObject(total, "value", (double)amount / scale) ||
            !cJSON_AddStringToObject(total, "currency", currency) ||
            !(ext = cJSON_AddArrayToObject(body, "extension")) ||
            !cJSON_AddItemToArray(ext, ext_ref("patient", "Patient", patient)) ||
            !cJSON_AddItemToArray(ext, ext_ref("appointment", "Appointment", appt)) ||
            !(notes = cJSON_AddArrayToObject(body, "processNote")) || !(n = cJSON_CreateObject()) ||
            !cJSON_AddItemToArray(notes, n) || !cJSON_AddStringToObject(n, "text", text))
            goto nomem;
        rc = nx_request(in, call, "POST", "PaymentReconciliation", body, NULL, &status, &doc, err);
        if (rc != 0)
            goto done;
        if (bwsdk_strlcpy(id, sizeof id, bwsdk_json_string_or(doc, "id", ""),
                          strlen(bwsdk_json_string_or(doc, "id", ""))) != 0 ||
            !id[0]) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the PaymentReconciliation has no id");
            goto done;
        }
        bwsdk_idem_put(in->host, call, ik, id);
    }
    rc = BW_E_NOMEM;
    if (!(res = cJSON_CreateObject()) || !cJSON_AddStringToObject(res, "logged_as", "payment") ||
        !cJSON_AddStringToObject(res, "id", id))
        goto nomem;
    rc = bwsdk_json_answer(in->host, out, res, err);
    res = NULL;
    goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(q);
    cJSON_Delete(body);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}
