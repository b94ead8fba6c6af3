/*
 * Calls into a tenant's EMR plugin instance from host code (availability,
 * the booking writer, catalog seeding): pins the tenant's "emr" binding,
 * runs one op with a deadline on the calling thread (a job worker or the
 * plugin call pool, never an HTTP server thread), and returns the result as
 * a malloc'd JSON text. Also the test-only fault switch behind the
 * evaluation's {"emr":"down"} step: while a tenant is marked down, every
 * call fails with BW_E_RETRY before reaching the plugin. The switch is a
 * database row's worth of state kept in memory per process and set only
 * through the test admin route (which exists only with --test-clock).
 */
#ifndef BW_HOST_EMR_CALL_H
#define BW_HOST_EMR_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/abi.h>

struct registry;

enum emr_op {
    EMR_OP_CATALOG,
    EMR_OP_AVAILABILITY,      /* in: availability_query/1 -> slots/1 */
    EMR_OP_PATIENT_FIND,      /* in: patient_query/1 -> patients/1 */
    EMR_OP_PATIENT_CREATE,    /* in: patient/1 -> patient/1 */
    EMR_OP_APPOINTMENT_LIST,  /* in: appointment_query/1 -> appointments/1 */
    EMR_OP_BOOK,              /* in: booking_request/1 -> appointment/1 */
    EMR_OP_RESCHEDULE,        /* in: reschedule_request/1 -> appointment/1 */
    EMR_OP_CANCEL,            /* in: cancel_request/1 -> appointment/1 */
    EMR_OP_DEPOSIT_LOG,       /* in: deposit/1 -> deposit_result/1 */
};

#define EMR_CALL_TIMEOUT_MS 10000

/* The result of one call. */
struct emr_result {
    int rc;                   /* 0 or BW_E_* */
    char *json;               /* malloc'd result text (rc == 0), else NULL */
    size_t len;
    uint64_t caps;            /* the instance's capabilities (filled on every call) */
    char plugin_id[72];       /* which plugin answered */
    char message[256];        /* the plugin's error message (safe for logs) */
    int64_t retry_after_ms;
};

/*
 * Runs op for tenant with input in (JSON text; NULL for CATALOG) and the
 * idempotency key idem (writes; may be NULL). Returns r->rc: BW_E_NOTSUP
 * when the tenant has no EMR binding or the plugin lacks the op.
 * Free r with emr_result_free.
 */
int emr_call(struct registry *reg, const char *tenant, enum emr_op op, const char *in,
             const char *idem, int64_t timeout_ms, struct emr_result *r);
void emr_result_free(struct emr_result *r);

/* The fault switch (tests only: the route that sets it needs --test-clock). */
void emr_fault_set(const char *tenant, bool down);
bool emr_fault_down(const char *tenant);

#endif
