/*
 * EMR op calls for the conformance kit: the table of ops with the
 * capability each needs and its input schema, the call itself through the
 * registry's call setup, the small JSON inputs the checks send, and the
 * SKIP and FAIL lines every EMR check prints the same way.
 */
#include "emr_ops.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "emr_shapes.h"

static const struct {
    const char *name;
    uint64_t cap;
    const char *schema;
} op_table[EMR_N_OPS] = {
    [EMR_AVAILABILITY] = { "availability", BW_EMR_CAP_AVAILABILITY,
                           BW_SCHEMA_EMR_AVAILABILITY_QUERY },
    [EMR_PATIENT_FIND] = { "patient_find", BW_EMR_CAP_PATIENT_FIND, BW_SCHEMA_EMR_PATIENT_QUERY },
    [EMR_PATIENT_CREATE] = { "patient_create", BW_EMR_CAP_PATIENT_CREATE, BW_SCHEMA_EMR_PATIENT },
    [EMR_APPOINTMENT_LIST] = { "appointment_list", BW_EMR_CAP_APPOINTMENT_LIST,
                               BW_SCHEMA_EMR_APPOINTMENT_QUERY },
    [EMR_BOOK] = { "book", BW_EMR_CAP_BOOK, BW_SCHEMA_EMR_BOOKING_REQUEST },
    [EMR_RESCHEDULE] = { "reschedule", BW_EMR_CAP_RESCHEDULE, BW_SCHEMA_EMR_RESCHEDULE_REQUEST },
    [EMR_CANCEL] = { "cancel", BW_EMR_CAP_CANCEL, BW_SCHEMA_EMR_CANCEL_REQUEST },
    [EMR_DEPOSIT_LOG] = { "deposit_log", BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_DEPOSIT_NOTE,
                          BW_SCHEMA_EMR_DEPOSIT },
};

const char *emr_op_name(enum emr_op op) { return op_table[op].name; }
uint64_t emr_op_cap(enum emr_op op) { return op_table[op].cap; }

/* The op's function pointer, NULL when the table lacks it. */
static const void *op_fn(const struct bw_emr_ops *o, enum emr_op op)
{
    switch (op) {
    case EMR_AVAILABILITY: return BW_FN(o, availability) ? (const void *)o->availability : NULL;
    case EMR_PATIENT_FIND: return BW_FN(o, patient_find) ? (const void *)o->patient_find : NULL;
    case EMR_PATIENT_CREATE:
        return BW_FN(o, patient_create) ? (const void *)o->patient_create : NULL;
    case EMR_APPOINTMENT_LIST:
        return BW_FN(o, appointment_list) ? (const void *)o->appointment_list : NULL;
    case EMR_BOOK: return BW_FN(o, book) ? (const void *)o->book : NULL;
    case EMR_RESCHEDULE: return BW_FN(o, reschedule) ? (const void *)o->reschedule : NULL;
    case EMR_CANCEL: return BW_FN(o, cancel) ? (const void *)o->cancel : NULL;
    case EMR_DEPOSIT_LOG: return BW_FN(o, deposit_log) ? (const void *)o->deposit_log : NULL;
    default: return NULL;
    }
}

bool emr_has(const struct emr_run *e, enum emr_op op)
{
    return (e->caps & op_table[op].cap) && op_fn(e->ops, op);
}

void emr_call(struct emr_run *e, enum emr_op op, const char *text, const char *key,
              struct kit_result *r)
{
    const struct bw_emr_ops *o = e->ops;
    struct bw_call call;
    struct bw_buf *out;
    struct bw_json in = kit_json(op_table[op].schema, text);
    void *inst = e->k->h.instance;
    memset(r, 0, sizeof *r);
    r->err.struct_size = sizeof r->err;
    kit_call_begin(e->k, &call, &out);
    if (!out) {
        r->rc = BW_E_NOMEM;
    } else {
        switch (op) {
        case EMR_AVAILABILITY: r->rc = o->availability(inst, &call, &in, out, &r->err); break;
        case EMR_PATIENT_FIND: r->rc = o->patient_find(inst, &call, &in, out, &r->err); break;
        case EMR_PATIENT_CREATE:
            r->rc = o->patient_create(inst, &call, &in, key, out, &r->err);
            break;
        case EMR_APPOINTMENT_LIST:
            r->rc = o->appointment_list(inst, &call, &in, out, &r->err);
            break;
        case EMR_BOOK: r->rc = o->book(inst, &call, &in, key, out, &r->err); break;
        case EMR_RESCHEDULE: r->rc = o->reschedule(inst, &call, &in, key, out, &r->err); break;
        case EMR_CANCEL: r->rc = o->cancel(inst, &call, &in, key, out, &r->err); break;
        case EMR_DEPOSIT_LOG: r->rc = o->deposit_log(inst, &call, &in, key, out, &r->err); break;
        default: r->rc = BW_E_INVAL; break;
        }
    }
    kit_call_end(e->k, &call, out, r, op_table[op].name);
}

char *emr_text(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

char *emr_availability_query(const struct emr_run *e, int64_t from, int64_t to)
{
    char a[32], b[32];
    cJSON *q = cJSON_CreateObject();
    if (!q || !cJSON_AddStringToObject(q, "location_id", e->loc) ||
        !cJSON_AddStringToObject(q, "service_id", e->svc) ||
        !cJSON_AddStringToObject(q, "from", clock_format_utc(from, a)) ||
        !cJSON_AddStringToObject(q, "to", clock_format_utc(to, b))) {
        cJSON_Delete(q);
        return NULL;
    }
    return emr_text(q);
}

char *emr_booking_request(const struct emr_run *e, const cJSON *slot)
{
    static const char *const keys[] = { "location_id", "service_id", "provider_id", "start",
                                        "end" };
    cJSON *q = cJSON_CreateObject();
    if (!q || !cJSON_AddStringToObject(q, "patient_id", e->patient_id))
        goto fail;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = shape_str(slot, keys[i]);
        if (!cJSON_AddStringToObject(q, keys[i], v ? v : ""))
            goto fail;
    }
    if (!cJSON_AddStringToObject(q, "notes", "booked by bookwell-plugin-check"))
        goto fail;
    return emr_text(q);
fail:
    cJSON_Delete(q);
    return NULL;
}

bool emr_same_time(const cJSON *a, const char *ka, const cJSON *b, const char *kb)
{
    int64_t x, y;
    return shape_time(a, ka, &x) == 0 && shape_time(b, kb, &y) == 0 && x == y;
}

bool emr_need(struct emr_run *e, enum emr_op op, const char *check)
{
    if (emr_has(e, op))
        return true;
    kit_skip(e->k, check, "capability absent");
    return false;
}

/* A failure line for a call that did not return 0 or parse; true if so. */
bool emr_call_failed(struct emr_run *e, const char *check, const struct kit_result *r)
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

