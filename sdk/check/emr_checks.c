/*
 * The EMR contract, checked on one open instance: capabilities, catalog/1,
 * availability in a window (slots inside it, end after start, free only),
 * a patient found absent, created, created again with the same key (same
 * id, no second record) and found; a free slot booked, booked again with
 * the same key (same appointment) and with another key (BW_E_CONFLICT);
 * the appointment listed, a deposit logged, rescheduled, cancelled twice;
 * malformed inputs refused with BW_E_INVAL. A check whose op the instance
 * does not claim (capabilities) is printed as SKIP, never left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "emr_ops.h"
#include "emr_shapes.h"

#define US_PER_MIN INT64_C(60000000)
#define US_PER_DAY (1440 * US_PER_MIN)

static bool need(struct emr_run *e, enum emr_op op, const char *check)
{
    if (emr_has(e, op))
        return true;
    kit_skip(e->k, check, "capability absent");
    return false;
}

/* A failure line for a call that did not return 0 or parse; true if so. */
static bool call_failed(struct emr_run *e, const char *check, const struct kit_result *r)
{
    char why[400];
    if (r->rc != 0) {
        kit_fail(e->k, check, "%s", kit_rc_text(r, why, sizeof why));
        return true;
    }
    if (!r->json) {
        kit_fail(e->k, check, "%s", r->parse_error ? "the output is not JSON" : "no output");
        return true;
    }
    return false;
}

static void check_capabilities(struct emr_run *e)
{
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    const uint64_t known = (BW_EMR_CAP_APPOINTMENT_LIST << 1) - 1;
    kit_call_begin(e->k, &call, &out);
    r.rc = e->ops->capabilities(e->k->h.instance, &call, &e->caps);
    r.err.code = r.rc; /* capabilities has no error struct */
    kit_call_end(e->k, &call, out, &r, "capabilities");
    if (r.rc != 0)
        kit_fail(e->k, "capabilities", "returned %s", bw_strerror(r.rc));
    else if (e->caps & ~known)
        kit_fail(e->k, "capabilities", "unknown bits 0x%llx",
                 (unsigned long long)(e->caps & ~known));
    else if (!(e->caps & (BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_LINK_ONLY)))
        kit_fail(e->k, "capabilities", "neither availability nor link_only: nothing to book with");
    else {
        printf("# capabilities:");
        for (int op = 0; op < EMR_N_OPS; op++)
            if (emr_has(e, (enum emr_op)op))
                printf(" %s", emr_op_name((enum emr_op)op));
        printf("%s\n", (e->caps & BW_EMR_CAP_LINK_ONLY) ? " link_only" : "");
        kit_pass(e->k, "capabilities");
    }
    kit_result_free(&r);
}

static void check_catalog(struct emr_run *e)
{
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    char why[400];
    kit_call_begin(e->k, &call, &out);
    r.rc = e->ops->catalog(e->k->h.instance, &call, out, &r.err);
    kit_call_end(e->k, &call, out, &r, "catalog");
    if (call_failed(e, "catalog", &r))
        goto done;
    if (shape_catalog(r.json, why, sizeof why) != 0) {
        kit_fail(e->k, "catalog", "catalog/1: %s", why);
        goto done;
    }
    e->catalog = r.json;
    r.json = NULL;
    const cJSON *locs = cJSON_GetObjectItemCaseSensitive(e->catalog, "locations"), *it;
    e->loc = e->k->location ? e->k->location : shape_str(cJSON_GetArrayItem(locs, 0), "id");
    if (!shape_has_id(e->catalog, "locations", e->loc)) {
        kit_fail(e->k, "catalog", "no location %s", e->loc);
        goto done;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e->catalog, "services"))
    {
        const char *id = shape_str(it, "id");
        bool everywhere = !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(it, "location_ids"));
        if (e->k->service ? strcmp(id, e->k->service) == 0
                          : (everywhere || shape_has_id(it, "location_ids", e->loc))) {
            e->svc = id;
            break;
        }
    }
    if (!e->svc) {
        kit_fail(e->k, "catalog", "no service %s at location %s",
                 e->k->service ? e->k->service : "offered", e->loc);
        goto done;
    }
    printf("# location %s, service %s\n", e->loc, e->svc);
    kit_pass(e->k, "catalog");
done:
    if (!e->svc) {
        cJSON_Delete(e->catalog);
        e->catalog = NULL;
    }
    kit_result_free(&r);
}

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

static void check_availability(struct emr_run *e)
{
    struct kit_result r;
    char why[400];
    if (!need(e, EMR_AVAILABILITY, "availability") | !need(e, EMR_AVAILABILITY, "availability_in_range"))
        return;
    if (!e->catalog) {
        kit_fail(e->k, "availability", "needs a well-formed catalog");
        kit_fail(e->k, "availability_in_range", "needs a well-formed catalog");
        return;
    }
    /* From the next whole minute, for --days days. */
    e->from = (clock_now_us() / US_PER_MIN + 1) * US_PER_MIN;
    e->to = e->from + e->k->days * US_PER_DAY;
    char *q = emr_availability_query(e, e->from, e->to);
    emr_call(e, EMR_AVAILABILITY, q ? q : "", NULL, &r);
    free(q);
    if (call_failed(e, "availability", &r)) {
        kit_fail(e->k, "availability_in_range", "no answer to check");
        goto done;
    }
    if (shape_slots(r.json, e->catalog, why, sizeof why) != 0) {
        kit_fail(e->k, "availability", "slots/1: %s", why);
        kit_fail(e->k, "availability_in_range", "no well-formed answer to check");
        goto done;
    }
    kit_pass(e->k, "availability");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "slots"))
    {
        int64_t a, b;
        shape_time(it, "start", &a);
        shape_time(it, "end", &b);
        if (a < e->from || b > e->to || strcmp(shape_str(it, "location_id"), e->loc) != 0 ||
            strcmp(shape_str(it, "service_id"), e->svc) != 0) {
            kit_fail(e->k, "availability_in_range",
                     "slot %s..%s (%s, %s) is outside the query", shape_str(it, "start"),
                     shape_str(it, "end"), shape_str(it, "location_id"),
                     shape_str(it, "service_id"));
            goto done;
        }
        if (!e->slot_a) {
            e->slot_a = it;
        } else if (!e->slot_b) {
            int64_t x, y;
            shape_time(e->slot_a, "end", &x);
            shape_time(e->slot_a, "start", &y);
            if (a >= x || b <= y)
                e->slot_b = it;
        }
    }
    if (!e->slot_a) {
        kit_fail(e->k, "availability_in_range", "no free slot in %lld day(s) to book",
                 (long long)e->k->days);
        goto done;
    }
    printf("# %d slot(s); booking %s\n", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "slots")),
           shape_str(e->slot_a, "start"));
    kit_pass(e->k, "availability_in_range");
    e->slots = r.json;
    r.json = NULL;
done:
    kit_result_free(&r);
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
    if (call_failed(e, check, &r))
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

static void check_patients(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64], again[128];
    if (need(e, EMR_PATIENT_FIND, "patient_find_absent")) {
        int n = find_patient(e, "patient_find_absent", NULL, 0);
        if (n > 0)
            kit_fail(e->k, "patient_find_absent", "a new number %s found %d patient(s)", e->phone, n);
        else if (n == 0)
            kit_pass(e->k, "patient_find_absent");
    }
    bool create = need(e, EMR_PATIENT_CREATE, "patient_create");
    if (!create) {
        kit_skip(e->k, "patient_create_idempotent", "capability absent");
    } else {
        char *body = patient_body(e);
        kit_key(e->k, key);
        emr_call(e, EMR_PATIENT_CREATE, body ? body : "", key, &r);
        if (!call_failed(e, "patient_create", &r)) {
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
        else if (!call_failed(e, "patient_create_idempotent", &r)) {
            const char *id = shape_str(r.json, "id");
            if (!id || strcmp(id, e->patient_id) != 0)
                kit_fail(e->k, "patient_create_idempotent", "a retry with key %s made %s, not %s",
                         key, id ? id : "no id", e->patient_id);
            else
                kit_pass(e->k, "patient_create_idempotent");
        }
        kit_result_free(&r);
    }
    if (need(e, EMR_PATIENT_FIND, "patient_find")) {
        if (!e->patient_id[0]) {
            /* Nothing was created here: use what the EMR has, if anything. */
            int n = find_patient(e, "patient_find", e->patient_id, sizeof e->patient_id);
            if (n >= 0)
                kit_fail(e->k, "patient_find", "no patient created to find");
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

static void check_book(struct emr_run *e)
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
    if (!call_failed(e, "book", &r)) {
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
    else if (!call_failed(e, "book_idempotent", &r)) {
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
        kit_fail(e->k, "book_conflict", "booking a taken slot with another key returned %s%s%s",
                 bw_strerror(r.rc), r.rc ? "" : " (a double booking)", "");
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
    else if (!call_failed(e, "availability_free_only", &r)) {
        int n = overlapping(r.json, a, b, shape_str(e->slot_a, "provider_id"));
        if (n)
            kit_fail(e->k, "availability_free_only", "%d slot(s) still offered over the booked %s",
                     n, shape_str(e->slot_a, "start"));
        else
            kit_pass(e->k, "availability_free_only");
    }
    kit_result_free(&r);
}

static void check_list(struct emr_run *e)
{
    struct kit_result r;
    char why[400], a[32], b[32];
    if (!need(e, EMR_APPOINTMENT_LIST, "appointment_list"))
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
    if (!call_failed(e, "appointment_list", &r)) {
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

static void check_deposit(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64], first[128] = "", ts[32];
    if (!need(e, EMR_DEPOSIT_LOG, "deposit_log"))
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
        if (call_failed(e, "deposit_log", &r))
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

static void check_reschedule_cancel(struct emr_run *e)
{
    struct kit_result r;
    char why[400], key[64];
    if (need(e, EMR_RESCHEDULE, "reschedule")) {
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
            if (!call_failed(e, "reschedule", &r)) {
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
    bool cancel = need(e, EMR_CANCEL, "cancel");
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
        if (!call_failed(e, names[i], &r)) {
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

/* Every op the instance claims refuses input that is not JSON, and input
 * missing its required members, with BW_E_INVAL. */
static void check_malformed(struct emr_run *e)
{
    static const struct {
        enum emr_op op;
        const char *missing; /* valid JSON without the required members */
    } cases[] = {
        { EMR_AVAILABILITY, "{\"location_id\":\"x\"}" },
        { EMR_PATIENT_FIND, "[]" },
        { EMR_PATIENT_CREATE, "{\"first_name\":\"Kit\"}" },
        { EMR_APPOINTMENT_LIST, "{\"from\":\"not a time\"}" },
        { EMR_BOOK, "{\"patient_id\":\"x\",\"start\":\"tomorrow\"}" },
        { EMR_RESCHEDULE, "{\"start\":\"2030-01-01T10:00:00Z\"}" },
        { EMR_CANCEL, "{\"reason\":\"no id\"}" },
        { EMR_DEPOSIT_LOG, "{\"amount_minor\":\"fifty\"}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64], key[64];
        snprintf(name, sizeof name, "malformed_%s", emr_op_name(cases[i].op));
        if (!need(e, cases[i].op, name))
            continue;
        const char *inputs[] = { "{\"not json", cases[i].missing };
        int j;
        for (j = 0; j < 2; j++) {
            struct kit_result r;
            kit_key(e->k, key);
            emr_call(e, cases[i].op, inputs[j], key, &r);
            int rc = r.rc;
            kit_result_free(&r);
            if (rc != BW_E_INVAL) {
                kit_fail(e->k, name, "input %s returned %s, not BW_E_INVAL", inputs[j],
                         bw_strerror(rc));
                break;
            }
        }
        if (j == 2)
            kit_pass(e->k, name);
    }
}

/* Fills the run's patient: a number and name no earlier run used. */
static void new_patient(struct emr_run *e)
{
    unsigned v = 0;
    for (const char *c = e->k->run_id; *c; c++)
        v = v * 31u + (unsigned char)*c;
    /* NANP: area 415, exchange 2xx-9xx, any line. */
    snprintf(e->phone, sizeof e->phone, "+1415%03u%04u", 200 + (v % 800), (v / 800) % 10000);
    snprintf(e->first, sizeof e->first, "Kit");
    char tail[9];
    for (int i = 0; i < 8; i++)
        tail[i] = (char)('a' + (e->k->run_id[i] % 26));
    tail[8] = 0;
    snprintf(e->last, sizeof e->last, "Check%s", tail);
}

void kit_check_emr(struct kit *k)
{
    struct emr_run e = { .k = k, .ops = k->desc->ops };
    new_patient(&e);
    check_capabilities(&e);
    check_catalog(&e);
    check_availability(&e);
    check_patients(&e);
    check_book(&e);
    check_list(&e);
    check_deposit(&e);
    check_reschedule_cancel(&e);
    check_malformed(&e);
    kit_check_health(k);
    kit_check_error_codes(k);
    cJSON_Delete(e.slots);
    cJSON_Delete(e.catalog);
}
