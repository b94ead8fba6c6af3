/*
 * emr.template's patients and appointments. Every write is idempotent
 * by construction: a record's id is derived from the idempotency key, and
 * it is stored only when absent, so a retry finds the first attempt's
 * record and answers with it instead of writing again. A booking takes the
 * grid cells of its time with compare-and-set (template_store.c); a taken
 * cell is BW_E_CONFLICT. Malformed input is BW_E_INVAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

#define KEY_MAX 200

static int invalid(struct bw_error *err, const char *what)
{
    return bwsdk_error(err, BW_E_INVAL, NULL, "%s", what);
}

static int emit(const struct tpl_instance *in, struct bw_buf *out, const cJSON *doc,
                struct bw_error *err)
{
    int rc = bwsdk_json_emit(in->host, out, doc);
    return rc ? bwsdk_error(err, rc, NULL, "cannot write the answer") : 0;
}

/* ---- patients ----------------------------------------------------------- */

struct find_ctx {
    const struct tpl_instance *in;
    struct bw_call *call;
    cJSON *list;
    size_t prefix_len;
    struct bw_error *err;
};

static int add_patient(const char *key, void *ctx)
{
    struct find_ctx *f = ctx;
    char rkey[KEY_MAX + 1];
    cJSON *p = NULL;
    snprintf(rkey, sizeof rkey, "patient/%s", key + f->prefix_len);
    int rc = tpl_get(f->in, f->call, rkey, &p, f->err);
    if (rc == 0 && p && !cJSON_AddItemToArray(f->list, p)) {
        cJSON_Delete(p);
        rc = BW_E_NOMEM;
    }
    return rc;
}

int tpl_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                     struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *res = NULL;
    const char *phone;
    char e164[BWSDK_E164_MAX], prefix[KEY_MAX + 1];
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_PATIENT_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed patient query");
    /* This calendar indexes patients by phone only. */
    if (!cJSON_IsObject(q) || bwsdk_json_string(q, "phone", &phone) ||
        bwsdk_phone_e164(phone, "US", e164) != 0) {
        rc = invalid(err, "a patient query needs an E.164 phone");
        goto done;
    }
    struct find_ctx f = { in, call, NULL, 0, err };
    if (!(res = cJSON_CreateObject()) || !(f.list = cJSON_AddArrayToObject(res, "patients"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    snprintf(prefix, sizeof prefix, "phone/%s/", e164);
    f.prefix_len = strlen(prefix);
    if ((rc = tpl_keys(in, call, prefix, add_patient, &f, err)) == 0)
        rc = emit(in, out, res, err);
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

int tpl_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                       const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *p = NULL, *rec = NULL, *old = NULL;
    const char *first, *last, *phone;
    char e164[BWSDK_E164_MAX], id[TPL_ID_MAX], rkey[KEY_MAX + 1];
    int32_t stored = 0;
    int rc = bwsdk_json_parse(patient, BW_SCHEMA_EMR_PATIENT, &p);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed patient");
    if (bwsdk_json_string(p, "first_name", &first) || bwsdk_json_string(p, "last_name", &last) ||
        bwsdk_json_string(p, "phone", &phone) || !first[0] || !last[0] ||
        bwsdk_phone_e164(phone, "US", e164) != 0 || tpl_id_from_key(in, "pat", key, id) != 0) {
        rc = invalid(err, "a patient needs first_name, last_name, an E.164 phone and a key");
        goto done;
    }
    const char *email = bwsdk_json_string_or(p, "email", NULL);
    if (!(rec = cJSON_CreateObject()) || !cJSON_AddStringToObject(rec, "id", id) ||
        !cJSON_AddStringToObject(rec, "first_name", first) ||
        !cJSON_AddStringToObject(rec, "last_name", last) ||
        !cJSON_AddStringToObject(rec, "phone", e164) ||
        (email && !cJSON_AddStringToObject(rec, "email", email))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    snprintf(rkey, sizeof rkey, "patient/%s", id);
    if ((rc = tpl_put(in, call, rkey, rec, true, &stored, err)) != 0)
        goto done;
    if (!stored) {
        /* A retry: answer with the record the first attempt stored. */
        if ((rc = tpl_get(in, call, rkey, &old, err)) == 0)
            rc = old ? emit(in, out, old, err)
                     : bwsdk_error(err, BW_E_RETRY, NULL, "the patient is being written");
        goto done;
    }
    snprintf(rkey, sizeof rkey, "phone/%s/%s", e164, id);
    if ((rc = in->host->kv_put(call, rkey, "", 0, 0)) != 0) {
        rc = bwsdk_error(err, rc, NULL, "indexing the patient failed");
        goto done;
    }
    rc = emit(in, out, rec, err);
done:
    cJSON_Delete(p);
    cJSON_Delete(rec);
    cJSON_Delete(old);
    return rc;
}

/* ---- appointments ------------------------------------------------------- */

static int appointment_get(const struct tpl_instance *in, struct bw_call *call, const char *id,
                           cJSON **doc, struct bw_error *err)
{
    char rkey[KEY_MAX + 1];
    if (snprintf(rkey, sizeof rkey, "appt/%s", id) >= (int)sizeof rkey || strchr(id, '/'))
        return invalid(err, "malformed appointment_id");
    int rc = tpl_get(in, call, rkey, doc, err);
    if (rc == 0 && !*doc)
        rc = invalid(err, "no such appointment");
    return rc;
}

static int appointment_put(const struct tpl_instance *in, struct bw_call *call, const cJSON *a,
                           bool only_new, int32_t *stored, struct bw_error *err)
{
    char rkey[KEY_MAX + 1];
    snprintf(rkey, sizeof rkey, "appt/%s", bwsdk_json_string_or(a, "id", ""));
    return tpl_put(in, call, rkey, a, only_new, stored, err);
}

/* Parses the times of a request: start, end, bookable. */
static int times(const cJSON *q, int64_t *start, int64_t *end)
{
    const char *s, *e;
    return bwsdk_json_string(q, "start", &s) || bwsdk_json_string(q, "end", &e) ||
                   bwsdk_time_parse(s, start, NULL) || bwsdk_time_parse(e, end, NULL) ||
                   *end <= *start
               ? -1
               : 0;
}

static int set_times(const struct tpl_instance *in, cJSON *a, int64_t start, int64_t end)
{
    char s[BWSDK_TIME_MAX], e[BWSDK_TIME_MAX];
    if (bwsdk_time_format(start, in->offset_s, s, sizeof s) ||
        bwsdk_time_format(end, in->offset_s, e, sizeof e))
        return BW_E_INVAL;
    cJSON_DeleteItemFromObjectCaseSensitive(a, "start");
    cJSON_DeleteItemFromObjectCaseSensitive(a, "end");
    return cJSON_AddStringToObject(a, "start", s) && cJSON_AddStringToObject(a, "end", e)
               ? 0
               : BW_E_NOMEM;
}

int tpl_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
             struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *a = NULL, *pat = NULL;
    const char *patient, *loc, *service;
    char id[TPL_ID_MAX], pkey[KEY_MAX + 1];
    int64_t start, end;
    int32_t stored = 0;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_BOOKING_REQUEST, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed booking request");
    const char *prov = bwsdk_json_string_or(q, "provider_id", "");
    if (bwsdk_json_string(q, "patient_id", &patient) || bwsdk_json_string(q, "location_id", &loc) ||
        bwsdk_json_string(q, "service_id", &service) || times(q, &start, &end) ||
        strchr(patient, '/') || !tpl_service(in, service) || strcmp(loc, in->location_id) != 0 ||
        (prov[0] && strcmp(prov, in->provider_id) != 0) ||
        tpl_id_from_key(in, "apt", key, id) != 0) {
        rc = invalid(err, "a booking needs patient_id, this location, a known service and "
                          "provider, start < end, and a key");
        goto done;
    }
    /* A retry of a booking that went through: the same appointment. */
    snprintf(pkey, sizeof pkey, "appt/%s", id);
    if ((rc = tpl_get(in, call, pkey, &a, err)) != 0)
        goto done;
    if (a) {
        rc = emit(in, out, a, err);
        goto done;
    }
    snprintf(pkey, sizeof pkey, "patient/%s", patient);
    if ((rc = tpl_get(in, call, pkey, &pat, err)) != 0)
        goto done;
    if (!pat) {
        rc = invalid(err, "no such patient");
        goto done;
    }
    if (!tpl_bookable(in, start, end)) {
        rc = bwsdk_error(err, BW_E_CONFLICT, NULL, "not a bookable time");
        goto done;
    }
    if ((rc = tpl_cells_claim(in, call, start, end, id, err)) != 0)
        goto done;
    if (!(a = cJSON_CreateObject()) || !cJSON_AddStringToObject(a, "id", id) ||
        !cJSON_AddStringToObject(a, "patient_id", patient) ||
        !cJSON_AddStringToObject(a, "location_id", loc) ||
        !cJSON_AddStringToObject(a, "service_id", service) ||
        !cJSON_AddStringToObject(a, "provider_id", in->provider_id) ||
        set_times(in, a, start, end) != 0 || !cJSON_AddStringToObject(a, "status", "booked")) {
        tpl_cells_release(in, call, start, end, id, 0, 0);
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((rc = appointment_put(in, call, a, true, &stored, err)) == 0)
        rc = emit(in, out, a, err);
done:
    cJSON_Delete(q);
    cJSON_Delete(a);
    cJSON_Delete(pat);
    return rc;
}

int tpl_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                   const char *key, struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *a = NULL, *done_doc = NULL;
    const char *id;
    char dkey[KEY_MAX + 1];
    int64_t start, end, old_start, old_end;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_RESCHEDULE_REQUEST, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed reschedule request");
    const char *prov = bwsdk_json_string_or(q, "provider_id", "");
    if (bwsdk_json_string(q, "appointment_id", &id) || times(q, &start, &end) ||
        (prov[0] && strcmp(prov, in->provider_id) != 0) || !key || !key[0] ||
        snprintf(dkey, sizeof dkey, "done/%s", key) >= (int)sizeof dkey) {
        rc = invalid(err, "a reschedule needs appointment_id, start < end, this provider, a key");
        goto done;
    }
    /* A retry: the answer the first attempt gave. */
    if ((rc = tpl_get(in, call, dkey, &done_doc, err)) != 0)
        goto done;
    if (done_doc) {
        rc = emit(in, out, done_doc, err);
        goto done;
    }
    if ((rc = appointment_get(in, call, id, &a, err)) != 0)
        goto done;
    if (strcmp(bwsdk_json_string_or(a, "status", ""), "booked") != 0 ||
        bwsdk_time_parse(bwsdk_json_string_or(a, "start", ""), &old_start, NULL) ||
        bwsdk_time_parse(bwsdk_json_string_or(a, "end", ""), &old_end, NULL)) {
        rc = bwsdk_error(err, BW_E_CONFLICT, NULL, "the appointment is cancelled");
        goto done;
    }
    if (!tpl_bookable(in, start, end)) {
        rc = bwsdk_error(err, BW_E_CONFLICT, NULL, "not a bookable time");
        goto done;
    }
    /* Take the new time first, then free what the old one held outside it. */
    if ((rc = tpl_cells_claim(in, call, start, end, id, err)) != 0)
        goto done;
    if ((rc = set_times(in, a, start, end)) != 0 ||
        (rc = appointment_put(in, call, a, false, NULL, err)) != 0) {
        tpl_cells_release(in, call, start, end, id, old_start, old_end);
        rc = bwsdk_error(err, rc, NULL, "moving the appointment failed");
        goto done;
    }
    tpl_cells_release(in, call, old_start, old_end, id, start, end);
    if ((rc = tpl_put(in, call, dkey, a, false, NULL, err)) == 0)
        rc = emit(in, out, a, err);
done:
    cJSON_Delete(q);
    cJSON_Delete(a);
    cJSON_Delete(done_doc);
    return rc;
}

int tpl_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
               struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *a = NULL;
    const char *id;
    int64_t start, end;
    (void)key; /* cancelling is idempotent by nature: a cancelled one stays cancelled */
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_CANCEL_REQUEST, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed cancel request");
    if (bwsdk_json_string(q, "appointment_id", &id)) {
        rc = invalid(err, "a cancel request needs appointment_id");
        goto done;
    }
    if ((rc = appointment_get(in, call, id, &a, err)) != 0)
        goto done;
    if (strcmp(bwsdk_json_string_or(a, "status", ""), "cancelled") != 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(a, "status", cJSON_CreateString("cancelled"));
        if ((rc = appointment_put(in, call, a, false, NULL, err)) != 0)
            goto done;
        if (!bwsdk_time_parse(bwsdk_json_string_or(a, "start", ""), &start, NULL) &&
            !bwsdk_time_parse(bwsdk_json_string_or(a, "end", ""), &end, NULL))
            tpl_cells_release(in, call, start, end, id, 0, 0);
    }
    rc = emit(in, out, a, err);
done:
    cJSON_Delete(q);
    cJSON_Delete(a);
    return rc;
}

struct list_ctx {
    const struct tpl_instance *in;
    struct bw_call *call;
    cJSON *list;
    const char *patient, *loc;
    int64_t from, to;
    struct bw_error *err;
};

static int add_appointment(const char *key, void *ctx)
{
    struct list_ctx *l = ctx;
    cJSON *a = NULL;
    int64_t s, e;
    int rc = tpl_get(l->in, l->call, key, &a, l->err);
    if (rc != 0 || !a)
        return rc;
    bool keep = !bwsdk_time_parse(bwsdk_json_string_or(a, "start", ""), &s, NULL) &&
                !bwsdk_time_parse(bwsdk_json_string_or(a, "end", ""), &e, NULL) && s < l->to &&
                e > l->from &&
                (!l->patient || strcmp(bwsdk_json_string_or(a, "patient_id", ""), l->patient) == 0) &&
                (!l->loc || strcmp(bwsdk_json_string_or(a, "location_id", ""), l->loc) == 0);
    if (keep && cJSON_AddItemToArray(l->list, a))
        return 0;
    cJSON_Delete(a);
    return keep ? BW_E_NOMEM : 0;
}

int tpl_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                         struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *res = NULL;
    const char *from, *to;
    struct list_ctx l = { .in = in, .call = call, .err = err };
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_APPOINTMENT_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed appointment query");
    if (bwsdk_json_string(q, "from", &from) || bwsdk_json_string(q, "to", &to) ||
        bwsdk_time_parse(from, &l.from, NULL) || bwsdk_time_parse(to, &l.to, NULL) ||
        l.to <= l.from) {
        rc = invalid(err, "an appointment query needs from < to");
        goto done;
    }
    l.patient = bwsdk_json_string_or(q, "patient_id", NULL);
    l.loc = bwsdk_json_string_or(q, "location_id", NULL);
    if (!(res = cJSON_CreateObject()) || !(l.list = cJSON_AddArrayToObject(res, "appointments"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    /* Every appointment is read: fine for a template's few; a real EMR
     * filters on its side. */
    if ((rc = tpl_keys(in, call, "appt/", add_appointment, &l, err)) == 0)
        rc = emit(in, out, res, err);
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}
