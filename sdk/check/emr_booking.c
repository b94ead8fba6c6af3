/*
 * The booking half of the EMR contract checks (emr_checks.c runs them):
 * a patient found absent, created, created again with the same key (same
 * id, no second record) and found; a free slot booked, booked again with
 * the same key (the same appointment) and with another key
 * (BW_E_CONFLICT), no longer offered; the appointment listed once; a
 * deposit logged; rescheduled; cancelled twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "emr_ops.h"
#include "emr_shapes.h"

/* Slots of s that overlap [start, end) for provider p. */
static int overlapping(const cJSON *slots, int64_t start, int64_t end, const char *p)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(slots, "slots"))
    {
        int64_t a, b;
        const char *q = shape_str(it, "provider_id");
        if (shape_time(it, "start", &a) == 0 && shape_time(it, "end", &b) == 0 && a < end &&
            b > start && q && strcmp(q, p) == 0)
            n++;
    }
    return n;
}


static char *patient_query(const struct emr_run *e)
{
    cJSON *q = cJSON_CreateObject();
    if (q && !cJSON_AddStringToObject(q, "phone", e->phone)) {
        cJSON_Delete(q);
        q = NULL;
    }
    return emr_text(q);
}

static char *patient_body(const struct emr_run *e)
{
    cJSON *p = cJSON_CreateObject();
    char email[96];
    snprintf(email, sizeof email, "%s.%s@example.com", e->first, e->last);
    if (p && (!cJSON_AddStringToObject(p, "first_name", e->first) ||
              !cJSON_AddStringToObject(p, "last_name", e->last) ||
              !cJSON_AddStringToObject(p, "phone", e->phone) ||
              !cJSON_AddStringToObject(p, "email", email))) {
        cJSON_Delete(p);
        p = NULL;
    }
    return emr_text(p);
}

/* Finds the run's patient: the number of matches, their shape checked; -1
 * after reporting a failure. */
static int find_patient(struct emr_run *e, const char *check, char *id_out, size_t cap)
{
    struct kit_result r;
    char why[400];
    char *q = patient_query(e);
    int n = -1;
    emr_call(e, EMR_PATIENT_FIND, q ? q : "", NULL, &r);
    free(q);
    if (emr_call_failed(e, check, &r))
        goto done;
    if (shape_patients(r.json, why, sizeof why) != 0) {
        kit_fail(e->k, check, "patients/1: %s", why);
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(r.json, "patients");
    n = cJSON_GetArraySize(list);
    if (n > 0 && id_out)
        snprintf(id_out, cap, "%s", shape_str(cJSON_GetArrayItem(list, 0), "id"));
done:
    kit_result_free(&r);
    return n;
}

void emr_check_patients(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64], again[128];
    if (emr_need(e, EMR_PATIENT_FIND, "patient_find_absent")) {
        int n = find_patient(e, "patient_find_absent", NULL, 0);
        if (n > 0)
            kit_fail(e->k, "patient_find_absent", "a new number %s found %d patient(s)", e->phone, n);
        else if (n == 0)
            kit_pass(e->k, "patient_find_absent");
    }
    bool create = emr_need(e, EMR_PATIENT_CREATE, "patient_create");
    if (!create) {
        kit_skip(e->k, "patient_create_idempotent", "capability absent");
    } else {
        char *body = patient_body(e);
        kit_key(e->k, key);
        emr_call(e, EMR_PATIENT_CREATE, body ? body : "", key, &r);
        if (!emr_call_failed(e, "patient_create", &r)) {
            if (shape_patient(r.json, true, why, sizeof why) != 0)
                kit_fail(e->k, "patient_create", "patient/1: %s", why);
            else if (strcmp(shape_str(r.json, "phone"), e->phone) != 0 ||
                     strcmp(shape_str(r.json, "last_name"), e->last) != 0)
                kit_fail(e->k, "patient_create", "the record says %s %s, not what was sent",
                         shape_str(r.json, "last_name"), shape_str(r.json, "phone"));
            else {
                snprintf(e->patient_id, sizeof e->patient_id, "%s", shape_str(r.json, "id"));
                kit_pass(e->k, "patient_create");
            }
        }
        kit_result_free(&r);
        /* The same request with the same key: the same record, not a second. */
        emr_call(e, EMR_PATIENT_CREATE, body ? body : "", key, &r);
        free(body);
        if (!e->patient_id[0])
            kit_fail(e->k, "patient_create_idempotent", "no patient was created");
        else if (!emr_call_failed(e, "patient_create_idempotent", &r)) {
            const char *id = shape_str(r.json, "id");
            if (!id || strcmp(id, e->patient_id) != 0)
                kit_fail(e->k, "patient_create_idempotent", "a retry with key %s made %s, not %s",
                         key, id ? id : "no id", e->patient_id);
            else
                kit_pass(e->k, "patient_create_idempotent");
        }
        kit_result_free(&r);
    }
    if (emr_need(e, EMR_PATIENT_FIND, "patient_find")) {
        if (!e->patient_id[0]) {
            kit_fail(e->k, "patient_find", "no patient was created to find");
            return;
        }
        int n = find_patient(e, "patient_find", again, sizeof again);
        if (n == 1 && strcmp(again, e->patient_id) == 0)
            kit_pass(e->k, "patient_find");
        else if (n > 1)
            kit_fail(e->k, "patient_find", "%d patients with %s: a retried create wrote twice", n,
                     e->phone);
        else if (n == 1)
            kit_fail(e->k, "patient_find", "found %s, created %s", again, e->patient_id);
        else if (n == 0)
            kit_fail(e->k, "patient_find", "the created patient %s is not found by phone",
                     e->patient_id);
    }
}

/* The appointment in r matches the slot and the run's patient. */
static int appointment_is(const struct emr_run *e, const cJSON *a, const cJSON *slot,
                          const char *status, char *why, size_t cap)
{
    if (shape_appointment(a, why, cap) != 0)
        return -1;
    if (strcmp(shape_str(a, "status"), status) != 0)
        snprintf(why, cap, "status is %s, not %s", shape_str(a, "status"), status);
    else if (strcmp(shape_str(a, "patient_id"), e->patient_id) != 0)
        snprintf(why, cap, "patient_id is %s, not %s", shape_str(a, "patient_id"), e->patient_id);
    else if (slot && (!emr_same_time(a, "start", slot, "start") || !emr_same_time(a, "end", slot, "end")))
        snprintf(why, cap, "it is at %s..%s, not the slot's %s..%s", shape_str(a, "start"),
                 shape_str(a, "end"), shape_str(slot, "start"), shape_str(slot, "end"));
    else
        return 0;
    return -1;
}

void emr_check_book(struct emr_run *e)
{
    static const char *const checks[] = { "book", "book_idempotent", "book_conflict",
                                          "availability_free_only" };
    struct kit_result r;
    char why[400], key[64], other[64];
    if (!emr_has(e, EMR_BOOK)) {
        for (size_t i = 0; i < 4; i++)
            kit_skip(e->k, checks[i], "capability absent");
        return;
    }
    if (!e->slot_a || !e->patient_id[0]) {
        for (size_t i = 0; i < 4; i++)
            kit_fail(e->k, checks[i], "needs %s", !e->slot_a ? "a free slot" : "a patient");
        return;
    }
    char *req = emr_booking_request(e, e->slot_a);
    kit_key(e->k, key);
    emr_call(e, EMR_BOOK, req ? req : "", key, &r);
    if (!emr_call_failed(e, "book", &r)) {
        if (appointment_is(e, r.json, e->slot_a, "booked", why, sizeof why) != 0)
            kit_fail(e->k, "book", "appointment/1: %s", why);
        else {
            snprintf(e->appt_id, sizeof e->appt_id, "%s", shape_str(r.json, "id"));
            kit_pass(e->k, "book");
        }
    }
    kit_result_free(&r);

    emr_call(e, EMR_BOOK, req ? req : "", key, &r);
    if (!e->appt_id[0])
        kit_fail(e->k, "book_idempotent", "nothing was booked");
    else if (!emr_call_failed(e, "book_idempotent", &r)) {
        const char *id = shape_str(r.json, "id");
        if (!id || strcmp(id, e->appt_id) != 0)
            kit_fail(e->k, "book_idempotent", "a retry with key %s gave %s, not %s", key,
                     id ? id : "no id", e->appt_id);
        else
            kit_pass(e->k, "book_idempotent");
    }
    kit_result_free(&r);

    kit_key(e->k, other);
    emr_call(e, EMR_BOOK, req ? req : "", other, &r);
    free(req);
    if (!e->appt_id[0])
        kit_fail(e->k, "book_conflict", "nothing was booked");
    else if (r.rc != BW_E_CONFLICT)
        kit_fail(e->k, "book_conflict", "booking a taken slot with another key returned %s%s",
                 bw_strerror(r.rc), r.rc ? "" : " (a double booking)");
    else
        kit_pass(e->k, "book_conflict");
    kit_result_free(&r);

    if (!emr_has(e, EMR_AVAILABILITY)) {
        kit_skip(e->k, "availability_free_only", "capability absent");
        return;
    }
    int64_t a, b;
    shape_time(e->slot_a, "start", &a);
    shape_time(e->slot_a, "end", &b);
    char *q = emr_availability_query(e, e->from, e->to);
    emr_call(e, EMR_AVAILABILITY, q ? q : "", NULL, &r);
    free(q);
    if (!e->appt_id[0])
        kit_fail(e->k, "availability_free_only", "nothing was booked");
    else if (!emr_call_failed(e, "availability_free_only", &r)) {
        int n = overlapping(r.json, a, b, shape_str(e->slot_a, "provider_id"));
        if (n)
            kit_fail(e->k, "availability_free_only", "%d slot(s) still offered over the booked %s",
                     n, shape_str(e->slot_a, "start"));
        else
            kit_pass(e->k, "availability_free_only");
    }
    kit_result_free(&r);
}

void emr_check_list(struct emr_run *e)
{
    struct kit_result r;
    char why[400], a[32], b[32];
    if (!emr_need(e, EMR_APPOINTMENT_LIST, "appointment_list"))
        return;
    if (!e->appt_id[0]) {
        kit_fail(e->k, "appointment_list", "no appointment was booked to list");
        return;
    }
    cJSON *q = cJSON_CreateObject();
    if (q) {
        cJSON_AddStringToObject(q, "patient_id", e->patient_id);
        cJSON_AddStringToObject(q, "from", clock_format_utc(e->from, a));
        cJSON_AddStringToObject(q, "to", clock_format_utc(e->to, b));
    }
    char *text = emr_text(q);
    emr_call(e, EMR_APPOINTMENT_LIST, text ? text : "", NULL, &r);
    free(text);
    if (!emr_call_failed(e, "appointment_list", &r)) {
        int n = 0, mine = 0;
        const cJSON *it;
        if (shape_appointments(r.json, why, sizeof why) != 0) {
            kit_fail(e->k, "appointment_list", "appointments/1: %s", why);
            goto done;
        }
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "appointments"))
        {
            if (strcmp(shape_str(it, "status"), "booked") != 0 ||
                strcmp(shape_str(it, "patient_id"), e->patient_id) != 0)
                continue;
            n++;
            mine += strcmp(shape_str(it, "id"), e->appt_id) == 0;
        }
        if (mine == 1 && n == 1)
            kit_pass(e->k, "appointment_list");
        else
            kit_fail(e->k, "appointment_list",
                     "%d booked appointment(s) for the patient, %d of them %s: want exactly it "
                     "(a retried book must not write twice)",
                     n, mine, e->appt_id);
    }
done:
    kit_result_free(&r);
}

void emr_check_deposit(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64], first[128] = "", ts[32];
    if (!emr_need(e, EMR_DEPOSIT_LOG, "deposit_log"))
        return;
    if (!e->appt_id[0]) {
        kit_fail(e->k, "deposit_log", "no appointment was booked");
        return;
    }
    cJSON *d = cJSON_CreateObject();
    if (d) {
        cJSON_AddStringToObject(d, "appointment_id", e->appt_id);
        cJSON_AddStringToObject(d, "patient_id", e->patient_id);
        cJSON_AddNumberToObject(d, "amount_minor", 5000);
        cJSON_AddStringToObject(d, "currency", "USD");
        cJSON_AddStringToObject(d, "payment_reference", "kit-payment");
        cJSON_AddStringToObject(d, "paid_at", clock_format_utc(clock_now_us(), ts));
    }
    char *text = emr_text(d);
    kit_key(e->k, key);
    for (int round = 0; round < 2; round++) {
        emr_call(e, EMR_DEPOSIT_LOG, text ? text : "", key, &r);
        if (emr_call_failed(e, "deposit_log", &r))
            break;
        const char *as = shape_str(r.json, "logged_as");
        if (shape_deposit_result(r.json, why, sizeof why) != 0) {
            kit_fail(e->k, "deposit_log", "deposit_result/1: %s", why);
        } else if (!(e->caps & (strcmp(as, "payment") == 0 ? BW_EMR_CAP_DEPOSIT_PAYMENT
                                                            : BW_EMR_CAP_DEPOSIT_NOTE))) {
            kit_fail(e->k, "deposit_log", "logged as %s, which the capabilities do not claim", as);
        } else if (round == 0) {
            snprintf(first, sizeof first, "%s", shape_str(r.json, "id"));
            kit_result_free(&r);
            continue;
        } else if (strcmp(first, shape_str(r.json, "id")) != 0) {
            kit_fail(e->k, "deposit_log", "a retry with the same key logged %s, then %s", first,
                     shape_str(r.json, "id"));
        } else {
            kit_pass(e->k, "deposit_log");
        }
        break;
    }
    kit_result_free(&r);
    free(text);
}

void emr_check_reschedule_cancel(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64];
    if (emr_need(e, EMR_RESCHEDULE, "reschedule")) {
        if (!e->appt_id[0] || !e->slot_b) {
            kit_fail(e->k, "reschedule", "needs %s",
                     !e->appt_id[0] ? "a booked appointment" : "a second free slot");
        } else {
            cJSON *q = cJSON_CreateObject();
            if (q) {
                cJSON_AddStringToObject(q, "appointment_id", e->appt_id);
                cJSON_AddStringToObject(q, "start", shape_str(e->slot_b, "start"));
                cJSON_AddStringToObject(q, "end", shape_str(e->slot_b, "end"));
                cJSON_AddStringToObject(q, "provider_id", shape_str(e->slot_b, "provider_id"));
            }
            char *text = emr_text(q);
            kit_key(e->k, key);
            emr_call(e, EMR_RESCHEDULE, text ? text : "", key, &r);
            free(text);
            if (!emr_call_failed(e, "reschedule", &r)) {
                if (appointment_is(e, r.json, e->slot_b, "booked", why, sizeof why) != 0)
                    kit_fail(e->k, "reschedule", "appointment/1: %s", why);
                else {
                    /* An EMR may give the moved appointment a new id. */
                    snprintf(e->appt_id, sizeof e->appt_id, "%s", shape_str(r.json, "id"));
                    kit_pass(e->k, "reschedule");
                }
            }
            kit_result_free(&r);
        }
    }
    bool cancel = emr_need(e, EMR_CANCEL, "cancel");
    if (!cancel) {
        kit_skip(e->k, "cancel_again", "capability absent");
        return;
    }
    static const char *const names[] = { "cancel", "cancel_again" };
    for (int i = 0; i < 2; i++) {
        if (!e->appt_id[0]) {
            kit_fail(e->k, names[i], "no appointment was booked");
            continue;
        }
        cJSON *q = cJSON_CreateObject();
        if (q) {
            cJSON_AddStringToObject(q, "appointment_id", e->appt_id);
            cJSON_AddStringToObject(q, "reason", "conformance check");
        }
        char *text = emr_text(q);
        kit_key(e->k, key);
        emr_call(e, EMR_CANCEL, text ? text : "", key, &r);
        free(text);
        if (!emr_call_failed(e, names[i], &r)) {
            if (appointment_is(e, r.json, NULL, "cancelled", why, sizeof why) != 0)
                kit_fail(e->k, names[i], "appointment/1: %s", why);
            else if (strcmp(shape_str(r.json, "id"), e->appt_id) != 0)
                kit_fail(e->k, names[i], "cancelled %s, not %s", shape_str(r.json, "id"), e->appt_id);
            else
                kit_pass(e->k, names[i]);
        }
        kit_result_free(&r);
    }
}

