/*
 * EMR calls through the plugin registry, and the test fault switch.
 */
#include "emr_call.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/emr.h>

#include "plugin_call.h"
#include "plugin_registry.h"

#define FAULT_MAX 256

static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static char fault_tenants[FAULT_MAX][64];
static int n_fault;

void emr_fault_set(const char *tenant, bool down)
{
    pthread_mutex_lock(&fault_mu);
    int at = -1;
    for (int i = 0; i < n_fault; i++)
        if (strcmp(fault_tenants[i], tenant) == 0)
            at = i;
    if (down && at < 0 && n_fault < FAULT_MAX)
        snprintf(fault_tenants[n_fault++], sizeof fault_tenants[0], "%s", tenant);
    else if (!down && at >= 0)
        memcpy(fault_tenants[at], fault_tenants[--n_fault], sizeof fault_tenants[0]);
    pthread_mutex_unlock(&fault_mu);
}

bool emr_fault_down(const char *tenant)
{
    bool down = false;
    pthread_mutex_lock(&fault_mu);
    for (int i = 0; i < n_fault && !down; i++)
        down = strcmp(fault_tenants[i], tenant) == 0;
    pthread_mutex_unlock(&fault_mu);
    return down;
}

void emr_result_free(struct emr_result *r)
{
    free(r->json);
    r->json = NULL;
}

static const char *const schemas[] = {
    [EMR_OP_CATALOG] = NULL,
    [EMR_OP_AVAILABILITY] = BW_SCHEMA_EMR_AVAILABILITY_QUERY,
    [EMR_OP_PATIENT_FIND] = BW_SCHEMA_EMR_PATIENT_QUERY,
    [EMR_OP_PATIENT_CREATE] = BW_SCHEMA_EMR_PATIENT,
    [EMR_OP_APPOINTMENT_LIST] = BW_SCHEMA_EMR_APPOINTMENT_QUERY,
    [EMR_OP_BOOK] = BW_SCHEMA_EMR_BOOKING_REQUEST,
    [EMR_OP_RESCHEDULE] = BW_SCHEMA_EMR_RESCHEDULE_REQUEST,
    [EMR_OP_CANCEL] = BW_SCHEMA_EMR_CANCEL_REQUEST,
    [EMR_OP_DEPOSIT_LOG] = BW_SCHEMA_EMR_DEPOSIT,
};

static int run_op(const struct bw_emr_ops *ops, void *inst, struct bw_call *call, enum emr_op op,
                  const struct bw_json *in, const char *idem, struct bw_buf *out,
                  struct bw_error *err)
{
#define HAS_OP(m) (BW_HAS(ops, m) && ops->m)
    switch (op) {
    case EMR_OP_CATALOG:
        return ops->catalog(inst, call, out, err);
    case EMR_OP_AVAILABILITY:
        return HAS_OP(availability) ? ops->availability(inst, call, in, out, err) : BW_E_NOTSUP;
    case EMR_OP_PATIENT_FIND:
        return HAS_OP(patient_find) ? ops->patient_find(inst, call, in, out, err) : BW_E_NOTSUP;
    case EMR_OP_PATIENT_CREATE:
        return HAS_OP(patient_create) ? ops->patient_create(inst, call, in, idem, out, err)
                                      : BW_E_NOTSUP;
    case EMR_OP_APPOINTMENT_LIST:
        return HAS_OP(appointment_list) ? ops->appointment_list(inst, call, in, out, err)
                                        : BW_E_NOTSUP;
    case EMR_OP_BOOK:
        return HAS_OP(book) ? ops->book(inst, call, in, idem, out, err) : BW_E_NOTSUP;
    case EMR_OP_RESCHEDULE:
        return HAS_OP(reschedule) ? ops->reschedule(inst, call, in, idem, out, err)
                                  : BW_E_NOTSUP;
    case EMR_OP_CANCEL:
        return HAS_OP(cancel) ? ops->cancel(inst, call, in, idem, out, err) : BW_E_NOTSUP;
    case EMR_OP_DEPOSIT_LOG:
        return HAS_OP(deposit_log) ? ops->deposit_log(inst, call, in, idem, out, err)
                                   : BW_E_NOTSUP;
    }
#undef HAS_OP
    return BW_E_NOTSUP;
}

int emr_call(struct registry *reg, const char *tenant, enum emr_op op, const char *in,
             const char *idem, int64_t timeout_ms, struct emr_result *r)
{
    memset(r, 0, sizeof *r);
    if (emr_fault_down(tenant)) {
        snprintf(r->message, sizeof r->message, "the EMR is unavailable (test fault switch)");
        return r->rc = BW_E_RETRY;
    }
    struct registry_handle h;
    if (!reg || registry_acquire(reg, tenant, "emr", &h) != 0) {
        snprintf(r->message, sizeof r->message, "the tenant has no EMR binding");
        return r->rc = BW_E_NOTSUP;
    }
    snprintf(r->plugin_id, sizeof r->plugin_id, "%s", h.desc->id);
    const struct bw_emr_ops *ops = h.desc->ops;
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_json j = { .schema = schemas[op], .data = (const uint8_t *)(in ? in : "{}"),
                         .len = in ? strlen(in) : 2 };
    struct bw_call call;
    int rc = BW_E_NOMEM;
    if (out) {
        registry_call_begin(&h, &call, NULL, timeout_ms > 0 ? timeout_ms : EMR_CALL_TIMEOUT_MS);
        ops->capabilities(h.instance, &call, &r->caps);
        rc = run_op(ops, h.instance, &call, op, &j, idem, out, &err);
        registry_call_end(&h, &call);
    }
    registry_release(&h);
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        r->json = malloc((size_t)len + 1);
        if (!r->json) {
            rc = BW_E_NOMEM;
        } else {
            memcpy(r->json, text, (size_t)len + 1);
            r->len = (size_t)len;
        }
    } else {
        snprintf(r->message, sizeof r->message, "%s",
                 err.message[0] ? err.message : bw_strerror(rc));
        r->retry_after_ms = err.retry_after_ms;
    }
    plugin_buf_free(out);
    return r->rc = rc;
}
