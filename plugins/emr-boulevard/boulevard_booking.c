/*
 * emr.boulevard: clients and appointments through the Admin API. Clients
 * are found with the clients connection's query string ("mobilePhone =
 * '...'" or "email = '...'") and made with createClient; appointments are
 * listed from a location's appointments connection, booked with
 * bookingCreate, bookingAddService and bookingComplete (Boulevard refuses a
 * time no longer free: BW_E_CONFLICT), moved with appointmentReschedule and
 * cancelled with cancelAppointment. A write's result is kept in the host's
 * key-value store under its idempotency key ("idem/<op>/<key>"), so a
 * retried write answers the first result instead of writing again; the
 * booking also carries the key in its notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boulevard.h"

#define IDEM_TTL_MS (INT64_C(30) * 86400 * 1000)

static const char Q_CLIENTS[] =
    "query Clients($first: Int, $after: String, $query: QueryString) "
    "{ clients(first: $first, after: $after, query: $query) { edges { cursor node "
    "{ id firstName lastName mobilePhone email } } pageInfo { hasNextPage endCursor } } }";
static const char Q_CREATE_CLIENT[] =
    "mutation CreateClient($input: CreateClientInput!) { createClient(input: $input) "
    "{ client { id firstName lastName mobilePhone email } } }";
static const char Q_LOCATIONS[] =
    "query Locations($first: Int, $after: String) { locations(first: $first, after: $after) "
    "{ edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
#define APPT_FIELDS                                                                            \
    "id startAt endAt cancelled state client { id } location { id } "                          \
    "appointmentServices { service { id } staff { id } startAt endAt duration }"
static const char Q_APPOINTMENTS[] =
    "query Appointments($first: Int, $after: String, $locationId: ID!) "
    "{ appointments(first: $first, after: $after, locationId: $locationId) "
    "{ edges { cursor node { " APPT_FIELDS " } } pageInfo { hasNextPage endCursor } } }";
static const char Q_APPOINTMENT[] =
    "query Appointment($id: ID!) { appointment(id: $id) { " APPT_FIELDS " } }";
static const char Q_BOOKING_CREATE[] =
    "mutation BookingCreate($input: BookingCreateInput!) { bookingCreate(input: $input) "
    "{ booking { id } } }";
static const char Q_BOOKING_ADD_SERVICE[] =
    "mutation BookingAddService($input: BookingAddServiceInput!) "
    "{ bookingAddService(input: $input) { booking { id } } }";
static const char Q_BOOKING_COMPLETE[] =
    "mutation BookingComplete($input: BookingCompleteInput!) { bookingComplete(input: $input) "
    "{ appointments { " APPT_FIELDS " } } }";
static const char Q_CANCEL[] =
    "mutation CancelAppointment($input: CancelAppointmentInput!) "
    "{ cancelAppointment(input: $input) { appointment { " APPT_FIELDS " } } }";
static const char Q_RESCHEDULE[] =
    "mutation AppointmentReschedule($input: AppointmentRescheduleInput!) "
    "{ appointmentReschedule(input: $input) { appointment { " APPT_FIELDS " } } }";

static int nomem(struct bw_error *err) { return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory"); }

/* ---- idempotency records ------------------------------------------------------ */

static int idem_key(const char *op, const char *key, char *out, size_t cap)
{
    int n = snprintf(out, cap, "idem/%s/%s", op, key ? key : "");
    return key && key[0] && n > 0 && (size_t)n < cap ? 0 : BW_E_INVAL;
}

/* Appends the result stored under (op, key) to out: 1 when there was one. */
static int idem_replay(struct blvd *in, struct bw_call *call, const char *op, const char *key,
                       struct bw_buf *out, struct bw_error *err)
{
    char k[160];
    int32_t found = 0;
    struct bw_buf *tmp = in->host->buf_scratch(call);
    struct bw_bytes v;
    if (idem_key(op, key, k, sizeof k) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "an idempotency key is required (1..64 bytes)");
    if (!tmp || in->host->kv_get(call, k, tmp, &found) != 0)
        return bwsdk_error(err, BW_E_RETRY, NULL, "cannot read the idempotency record");
    if (!found)
        return 0;
    if (in->host->buf_view(tmp, &v) != 0 || in->host->buf_append(out, v.ptr, v.len) != 0)
        return nomem(err);
    return 1;
}

/* Emits res and stores it under (op, key). */
static int idem_emit(struct blvd *in, struct bw_call *call, const char *op, const char *key,
                     const cJSON *res, struct bw_buf *out, struct bw_error *err)
{
    char k[160], *text = cJSON_PrintUnformatted(res);
    if (!text)
        return nomem(err);
    int rc = idem_key(op, key, k, sizeof k);
    if (rc == 0)
        in->host->kv_put(call, k, text, strlen(text), IDEM_TTL_MS);
    rc = bwsdk_buf_puts(in->host, out, text);
    free(text);
    return rc ? nomem(err) : 0;
}

/* ---- patients ----------------------------------------------------------------- */

static cJSON *patient_of(const cJSON *node)
{
    cJSON *p = cJSON_CreateObject();
    const char *email = bwsdk_json_string_or(node, "email", "");
    if (!p || !cJSON_AddStringToObject(p, "id", blvd_tail(bwsdk_json_string_or(node, "id", ""))) ||
        !cJSON_AddStringToObject(p, "first_name", bwsdk_json_string_or(node, "firstName", "")) ||
        !cJSON_AddStringToObject(p, "last_name", bwsdk_json_string_or(node, "lastName", "")) ||
        !cJSON_AddStringToObject(p, "phone", bwsdk_json_string_or(node, "mobilePhone", "")) ||
        (email[0] ? !cJSON_AddStringToObject(p, "email", email) : !cJSON_AddNullToObject(p, "email"))) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

static int on_client(void *ctx, const cJSON *node)
{
    cJSON *p = patient_of(node);
    return p && cJSON_AddItemToArray(ctx, p) ? 0 : BW_E_NOMEM;
}

/* A value safe inside the query string's single quotes. */
static bool quotable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == '\'' || s[i] == '\\' || s[i] == '"')
            return false;
    return true;
}

static bool e164(const char *p)
{
    size_t n = strlen(p);
    return n >= 8 && n <= 16 && p[0] == '+' && strspn(p + 1, "0123456789") == n - 1;
}

int blvd_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                      struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *q = NULL, *res = NULL, *list, *vars = NULL;
    char filter[320];
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_PATIENT_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed patient query");
    const char *phone = bwsdk_json_string_or(q, "phone", ""), *email = bwsdk_json_string_or(q, "email", "");
    if (!cJSON_IsObject(q) || (!phone[0] && !email[0]) || (phone[0] && !e164(phone)) ||
        (!phone[0] && !quotable(email, 254))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "want an E.164 phone or an email");
        goto done;
    }
    if (phone[0])
        snprintf(filter, sizeof filter, "mobilePhone = '%s'", phone);
    else
        snprintf(filter, sizeof filter, "email = '%s'", email);
    if (!(res = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(res, "patients")) ||
        !(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "query", filter)) {
        rc = nomem(err);
        goto done;
    }
    if ((rc = blvd_each(in, call, BLVD_ADMIN, "Clients", Q_CLIENTS, vars, "clients", on_client, list,
                        err)) != 0)
        goto done;
    rc = bwsdk_json_emit(in->host, out, res) ? nomem(err) : 0;
done:
    cJSON_Delete(vars);
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

int blvd_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                        const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *p = NULL, *vars = NULL, *input, *doc = NULL, *res = NULL;
    const cJSON *data, *node;
    const char *first, *last, *phone, *email;
    int rc = bwsdk_json_parse(patient, BW_SCHEMA_EMR_PATIENT, &p);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed patient");
    /* A patient met on Instagram or web chat may have neither phone nor email. */
    email = bwsdk_json_string_or(p, "email", "");
    phone = bwsdk_json_string_or(p, "phone", "");
    if (bwsdk_json_string(p, "first_name", &first) || bwsdk_json_string(p, "last_name", &last) ||
        !first[0] || !last[0] || (phone[0] && !e164(phone)) || (email[0] && !quotable(email, 254))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "want first_name and last_name; a phone in E.164 and an email when given");
        goto done;
    }
    if ((rc = idem_replay(in, call, "patient_create", key, out, err)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    if (!(vars = cJSON_CreateObject()) || !(input = cJSON_AddObjectToObject(vars, "input")) ||
        !cJSON_AddStringToObject(input, "firstName", first) ||
        !cJSON_AddStringToObject(input, "lastName", last) ||
        (phone[0] && !cJSON_AddStringToObject(input, "mobilePhone", phone)) ||
        (email[0] && !cJSON_AddStringToObject(input, "email", email))) {
        rc = nomem(err);
        goto done;
    }
    if ((rc = blvd_gql(in, call, BLVD_ADMIN, "CreateClient", Q_CREATE_CLIENT, vars, &doc, &data,
                       err)) != 0)
        goto done;
    node = bwsdk_json_path(data, "createClient.client");
    if (!cJSON_IsObject(node)) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard created no client");
        goto done;
    }
    if (!(res = patient_of(node))) {
        rc = nomem(err);
        goto done;
    }
    rc = idem_emit(in, call, "patient_create", key, res, out, err);
done:
    cJSON_Delete(res);
    cJSON_Delete(doc);
    cJSON_Delete(vars);
    cJSON_Delete(p);
    return rc;
}

/* ---- appointments ------------------------------------------------------------- */

/* appointment/1 of a Boulevard appointment node (its first service). */
static cJSON *appointment_of(const cJSON *node)
{
    const cJSON *svc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(node, "appointmentServices"), 0);
    bool cancelled = false;
    bwsdk_json_bool(node, "cancelled", &cancelled);
    if (strcmp(bwsdk_json_string_or(node, "state", ""), "CANCELLED") == 0)
        cancelled = true;
    cJSON *a = cJSON_CreateObject();
    if (!a || !cJSON_AddStringToObject(a, "id", blvd_tail(bwsdk_json_string_or(node, "id", ""))) ||
        !cJSON_AddStringToObject(a, "patient_id", blvd_tail(bwsdk_json_string_or(node, "client.id", ""))) ||
        !cJSON_AddStringToObject(a, "location_id", blvd_tail(bwsdk_json_string_or(node, "location.id", ""))) ||
        !cJSON_AddStringToObject(a, "service_id", blvd_tail(bwsdk_json_string_or(svc, "service.id", ""))) ||
        !cJSON_AddStringToObject(a, "provider_id", blvd_tail(bwsdk_json_string_or(svc, "staff.id", ""))) ||
        !cJSON_AddStringToObject(a, "start", bwsdk_json_string_or(node, "startAt", "")) ||
        !cJSON_AddStringToObject(a, "end", bwsdk_json_string_or(node, "endAt", "")) ||
        !cJSON_AddStringToObject(a, "status", cancelled ? "cancelled" : "booked")) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

struct list_ctx {
    cJSON *list;
    const char *patient; /* tail, or "" */
    int64_t from, to;
};

static int on_appointment(void *p, const cJSON *node)
{
    struct list_ctx *c = p;
    int64_t s, e;
    if (c->patient[0] && strcmp(blvd_tail(bwsdk_json_string_or(node, "client.id", "")), c->patient) != 0)
        return 0;
    if (bwsdk_time_parse(bwsdk_json_string_or(node, "startAt", ""), &s, NULL) != 0 ||
        bwsdk_time_parse(bwsdk_json_string_or(node, "endAt", ""), &e, NULL) != 0 || s >= c->to ||
        e <= c->from)
        return 0;
    cJSON *a = appointment_of(node);
    return a && cJSON_AddItemToArray(c->list, a) ? 0 : BW_E_NOMEM;
}

struct loc_ctx {
    char ids[16][BLVD_ID_MAX];
    int n;
};

static int on_location(void *p, const cJSON *node)
{
    struct loc_ctx *c = p;
    if (c->n < 16)
        snprintf(c->ids[c->n++], BLVD_ID_MAX, "%s", bwsdk_json_string_or(node, "id", ""));
    return 0;
}

int blvd_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                          struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *q = NULL, *res = NULL, *vars = NULL;
    const char *from_s, *to_s, *loc;
    struct list_ctx c = { 0 };
    struct loc_ctx locs = { .n = 0 };
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_APPOINTMENT_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed appointment query");
    c.patient = bwsdk_json_string_or(q, "patient_id", "");
    loc = bwsdk_json_string_or(q, "location_id", in->location);
    if (bwsdk_json_string(q, "from", &from_s) || bwsdk_json_string(q, "to", &to_s) ||
        bwsdk_time_parse(from_s, &c.from, NULL) || bwsdk_time_parse(to_s, &c.to, NULL) ||
        c.to <= c.from || (c.patient[0] && !blvd_id_ok(c.patient)) || (loc[0] && !blvd_id_ok(blvd_tail(loc)))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "want from < to (RFC 3339)");
        goto done;
    }
    if (!(res = cJSON_CreateObject()) || !(c.list = cJSON_AddArrayToObject(res, "appointments")) ||
        !(vars = cJSON_CreateObject())) {
        rc = nomem(err);
        goto done;
    }
    if (loc[0]) {
        if ((rc = blvd_location(in, call, loc, locs.ids[0], BLVD_ID_MAX, err)) != 0)
            goto done;
        locs.n = 1;
    } else if ((rc = blvd_each(in, call, BLVD_ADMIN, "Locations", Q_LOCATIONS, vars, "locations",
                               on_location, &locs, err)) != 0) {
        goto done;
    }
    for (int i = 0; i < locs.n; i++) {
        cJSON_Delete(vars);
        if (!(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "locationId", locs.ids[i])) {
            rc = nomem(err);
            goto done;
        }
        if ((rc = blvd_each(in, call, BLVD_ADMIN, "Appointments", Q_APPOINTMENTS, vars,
                            "appointments", on_appointment, &c, err)) != 0)
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res) ? nomem(err) : 0;
done:
    cJSON_Delete(vars);
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

/* One operation whose variables are {"input": input} (input consumed). */
static int mutate(struct blvd *in, struct bw_call *call, const char *op, const char *doc_text,
                  cJSON *input, cJSON **doc, const cJSON **data, struct bw_error *err)
{
    cJSON *vars = cJSON_CreateObject();
    if (!vars || !input || !cJSON_AddItemToObject(vars, "input", input)) {
        cJSON_Delete(vars);
        cJSON_Delete(input);
        return nomem(err);
    }
    int rc = blvd_gql(in, call, BLVD_ADMIN, op, doc_text, vars, doc, data, err);
    cJSON_Delete(vars);
    return rc;
}

static cJSON *input_of(const char *k1, const char *v1, const char *k2, const char *v2)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, k1, v1) || (k2 && v2 && !cJSON_AddStringToObject(o, k2, v2))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Books service with staff at start in a new booking; the appointment node
 * into *doc / *node. */
static int book_once(struct blvd *in, struct bw_call *call, const char *loc, const char *client,
                     const char *service, const char *staff, const char *start, const char *notes,
                     cJSON **doc, const cJSON **node, struct bw_error *err)
{
    cJSON *d = NULL, *input;
    const cJSON *data;
    char booking[BLVD_ID_MAX];
    const char *id = NULL;
    cJSON *create = input_of("locationId", loc, "clientId", client);
    if (create && notes && notes[0] && !cJSON_AddStringToObject(create, "notes", notes)) {
        cJSON_Delete(create);
        create = NULL;
    }
    int rc = mutate(in, call, "BookingCreate", Q_BOOKING_CREATE, create, &d, &data, err);
    if (rc == 0 && (bwsdk_json_string(data, "bookingCreate.booking.id", &id) != 0 ||
                    bwsdk_strlcpy(booking, sizeof booking, id, strlen(id)) != 0))
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard made a booking without an id");
    cJSON_Delete(d);
    d = NULL;
    if (rc != 0)
        return rc;
    input = input_of("bookingId", booking, "serviceId", service);
    if (input && (!cJSON_AddStringToObject(input, "staffId", staff) ||
                  !cJSON_AddStringToObject(input, "startTime", start))) {
        cJSON_Delete(input);
        input = NULL;
    }
    if ((rc = mutate(in, call, "BookingAddService", Q_BOOKING_ADD_SERVICE, input, &d, &data, err)) != 0)
        return rc;
    cJSON_Delete(d);
    d = NULL;
    input = input_of("bookingId", booking, NULL, NULL);
    if ((rc = mutate(in, call, "BookingComplete", Q_BOOKING_COMPLETE, input, doc, &data, err)) != 0)
        return rc;
    *node = cJSON_GetArrayItem(bwsdk_json_path(data, "bookingComplete.appointments"), 0);
    if (!cJSON_IsObject(*node)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard completed a booking without an appointment");
    }
    return 0;
}

int blvd_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *r = NULL, *doc = NULL, *res = NULL;
    const cJSON *node = NULL;
    const char *patient, *loc, *service, *start_s, *end_s, *prov;
    char loc_u[BLVD_ID_MAX], client_u[BLVD_ID_MAX], svc_u[BLVD_ID_MAX], staff_u[BLVD_ID_MAX];
    char notes[96];
    int64_t start, end;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_BOOKING_REQUEST, &r);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed booking request");
    prov = bwsdk_json_string_or(r, "provider_id", "");
    if (bwsdk_json_string(r, "patient_id", &patient) || bwsdk_json_string(r, "location_id", &loc) ||
        bwsdk_json_string(r, "service_id", &service) || bwsdk_json_string(r, "start", &start_s) ||
        bwsdk_json_string(r, "end", &end_s) || bwsdk_time_parse(start_s, &start, NULL) ||
        bwsdk_time_parse(end_s, &end, NULL) || end <= start || !blvd_id_ok(patient) ||
        !blvd_id_ok(loc) || !blvd_id_ok(service) || !prov[0] || !blvd_id_ok(prov) ||
        blvd_urn("Client", patient, client_u, sizeof client_u) ||
        blvd_urn("Service", service, svc_u, sizeof svc_u) ||
        blvd_urn("Staff", prov, staff_u, sizeof staff_u)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "want patient_id, location_id, service_id, provider_id, start < end");
        goto done;
    }
    if ((rc = idem_replay(in, call, "book", key, out, err)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    if ((rc = blvd_location(in, call, loc, loc_u, sizeof loc_u, err)) != 0)
        goto done;
    snprintf(notes, sizeof notes, "bookwell:%s", key);
    if ((rc = book_once(in, call, loc_u, client_u, svc_u, staff_u, start_s, notes, &doc, &node,
                        err)) != 0) {
        if (rc == BW_E_REMOTE && err && strcmp(err->provider_code, "NOT_FOUND") == 0)
            rc = bwsdk_error(err, BW_E_INVAL, "NOT_FOUND", "no such client, location, service or staff");
        goto done;
    }
    if (!(res = appointment_of(node))) {
        rc = nomem(err);
        goto done;
    }
    rc = idem_emit(in, call, "book", key, res, out, err);
done:
    cJSON_Delete(res);
    cJSON_Delete(doc);
    cJSON_Delete(r);
    return rc;
}

/* The appointment id (tail) of a request into a URN. */
static int fetch_appointment(struct blvd *in, struct bw_call *call, const char *urn, cJSON **doc,
                             const cJSON **node, struct bw_error *err)
{
    cJSON *vars = cJSON_CreateObject();
    const cJSON *data;
    if (!vars || !cJSON_AddStringToObject(vars, "id", urn)) {
        cJSON_Delete(vars);
        return nomem(err);
    }
    int rc = blvd_gql(in, call, BLVD_ADMIN, "Appointment", Q_APPOINTMENT, vars, doc, &data, err);
    cJSON_Delete(vars);
    if (rc == BW_E_REMOTE && err && strcmp(err->provider_code, "NOT_FOUND") == 0)
        return bwsdk_error(err, BW_E_INVAL, "NOT_FOUND", "no such appointment");
    if (rc == 0 && !cJSON_IsObject(*node = cJSON_GetObjectItemCaseSensitive(data, "appointment"))) {
        cJSON_Delete(*doc);
        *doc = NULL;
        rc = bwsdk_error(err, BW_E_INVAL, "NOT_FOUND", "no such appointment");
    }
    return rc;
}

int blvd_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                    const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *r = NULL, *doc = NULL, *res = NULL, *input = NULL;
    const cJSON *data;
    const char *id, *start_s, *end_s, *prov;
    char id_u[BLVD_ID_MAX], staff_u[BLVD_ID_MAX] = "";
    int64_t start, end;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_RESCHEDULE_REQUEST, &r);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed reschedule request");
    prov = bwsdk_json_string_or(r, "provider_id", "");
    if (bwsdk_json_string(r, "appointment_id", &id) || bwsdk_json_string(r, "start", &start_s) ||
        bwsdk_json_string(r, "end", &end_s) || bwsdk_time_parse(start_s, &start, NULL) ||
        bwsdk_time_parse(end_s, &end, NULL) || end <= start || !blvd_id_ok(id) ||
        (prov[0] && (!blvd_id_ok(prov) || blvd_urn("Staff", prov, staff_u, sizeof staff_u))) ||
        blvd_urn("Appointment", id, id_u, sizeof id_u)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "want appointment_id, start < end");
        goto done;
    }
    if ((rc = idem_replay(in, call, "reschedule", key, out, err)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    if (!(input = input_of("appointmentId", id_u, "startTime", start_s)) ||
        (staff_u[0] && !cJSON_AddStringToObject(input, "staffId", staff_u))) {
        cJSON_Delete(input);
        rc = nomem(err);
        goto done;
    }
    if ((rc = mutate(in, call, "AppointmentReschedule", Q_RESCHEDULE, input, &doc, &data, err)) != 0) {
        if (rc == BW_E_REMOTE && err && strcmp(err->provider_code, "NOT_FOUND") == 0)
            rc = bwsdk_error(err, BW_E_INVAL, "NOT_FOUND", "no such appointment");
        goto done;
    }
    if (!(res = appointment_of(bwsdk_json_path(data, "appointmentReschedule.appointment")))) {
        rc = nomem(err);
        goto done;
    }
    rc = idem_emit(in, call, "reschedule", key, res, out, err);
done:
    cJSON_Delete(res);
    cJSON_Delete(doc);
    cJSON_Delete(r);
    return rc;
}

int blvd_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
                struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *r = NULL, *doc = NULL, *res = NULL, *input;
    const cJSON *node = NULL, *data;
    const char *id;
    char id_u[BLVD_ID_MAX];
    (void)key; /* cancelling is idempotent by itself: a cancelled one stays cancelled */
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &r);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed cancel request");
    if (bwsdk_json_string(r, "appointment_id", &id) || !blvd_id_ok(id) ||
        blvd_urn("Appointment", id, id_u, sizeof id_u)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "want appointment_id");
        goto done;
    }
    if ((rc = fetch_appointment(in, call, id_u, &doc, &node, err)) != 0)
        goto done;
    if (!(res = appointment_of(node))) {
        rc = nomem(err);
        goto done;
    }
    if (strcmp(bwsdk_json_string_or(res, "status", ""), "cancelled") != 0) {
        cJSON_Delete(doc);
        doc = NULL;
        cJSON_Delete(res);
        res = NULL;
        input = input_of("id", id_u, "reason", "CLIENT_CANCEL");
        const char *why = bwsdk_json_string_or(r, "reason", "");
        if (input && why[0] && !cJSON_AddStringToObject(input, "notes", why)) {
            cJSON_Delete(input);
            input = NULL;
        }
        rc = mutate(in, call, "CancelAppointment", Q_CANCEL, input, &doc, &data, err);
        if (rc == BW_E_REMOTE && err && strcmp(err->provider_code, "APPOINTMENT_CANCELLED") == 0)
            rc = fetch_appointment(in, call, id_u, &doc, &node, err);
        else if (rc == 0)
            node = bwsdk_json_path(data, "cancelAppointment.appointment");
        if (rc != 0)
            goto done;
        if (!(res = appointment_of(node))) {
            rc = nomem(err);
            goto done;
        }
    }
    rc = bwsdk_json_emit(in->host, out, res) ? nomem(err) : 0;
done:
    cJSON_Delete(res);
    cJSON_Delete(doc);
    cJSON_Delete(r);
    return rc;
}
