/*
 * EMR plugins: the clinic's practice-management system (Boulevard, Zenoti,
 * Mangomint, Vagaro, ... or the built-in calendar). An EMR instance reports
 * its catalog and real-time availability, finds and creates patients, and
 * books, reschedules and cancels appointments, logging deposits where the
 * system allows.
 *
 * Every op: instance is the plugin's own; call, inputs and outputs are
 * borrowed from the host for the call; results are appended to host-owned
 * buffers; a failure returns a BW_E_* code with err filled (BW_E_CONFLICT:
 * the slot is taken). Writes carry an idempotency key (NUL-terminated, at
 * most 64 bytes, borrowed): the same key retried must not write twice. Ops
 * run on worker threads, concurrently, within the call's deadline.
 */
#ifndef BOOKWELL_EMR_H
#define BOOKWELL_EMR_H

#include <bookwell/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities of an EMR instance (bit set). */
#define BW_EMR_CAP_AVAILABILITY   (UINT64_C(1) << 0)
#define BW_EMR_CAP_BOOK           (UINT64_C(1) << 1)
#define BW_EMR_CAP_RESCHEDULE     (UINT64_C(1) << 2)
#define BW_EMR_CAP_CANCEL         (UINT64_C(1) << 3)
#define BW_EMR_CAP_PATIENT_FIND   (UINT64_C(1) << 4)
#define BW_EMR_CAP_PATIENT_CREATE (UINT64_C(1) << 5)
#define BW_EMR_CAP_DEPOSIT_PAYMENT (UINT64_C(1) << 6) /* deposit_log records a payment */
#define BW_EMR_CAP_DEPOSIT_NOTE   (UINT64_C(1) << 7)  /* deposit_log writes a note */
#define BW_EMR_CAP_LINK_ONLY      (UINT64_C(1) << 8)  /* no API: hand the patient a booking link */
#define BW_EMR_CAP_APPOINTMENT_LIST (UINT64_C(1) << 9)

/*
 * Payload schemas (UTF-8 JSON; times RFC 3339 with offset; docs/ABI.md
 * shows full examples):
 *  catalog/1:            {"locations":[{"id","name","timezone"}],
 *                         "services":[{"id","name","duration_min","price_minor",
 *                         "currency","location_ids":[]}],"providers":[{"id","name",
 *                         "location_ids":[],"service_ids":[]}]}
 *  availability_query/1: {"location_id","service_id","provider_id"?,"from","to"}
 *  slot/1:               {"start","end","location_id","service_id","provider_id"}
 *  slots/1:              {"slots":[slot/1...]}
 *  patient_query/1:      {"phone":E.164?,"email"?}
 *  patients/1:           {"patients":[{"id","first_name","last_name","phone","email"}]}
 *  patient/1:            {"id"?,"first_name","last_name","phone","email"?}
 *  appointment_query/1:  {"patient_id"?,"from","to","location_id"?}
 *  booking_request/1:    {"patient_id","location_id","service_id","provider_id"?,
 *                         "start","end","notes"?}
 *  reschedule_request/1: {"appointment_id","start","end","provider_id"?}
 *  cancel_request/1:     {"appointment_id","reason"?}
 *  appointment/1:        {"id","patient_id","location_id","service_id","provider_id",
 *                         "start","end","status":"booked"|"cancelled"}
 *  appointments/1:       {"appointments":[appointment/1...]}
 *  deposit/1:            {"appointment_id","patient_id","amount_minor","currency",
 *                         "payment_reference","paid_at"}
 *  deposit_result/1:     {"logged_as":"payment"|"note","id"}
 */
#define BW_SCHEMA_EMR_CATALOG            "bookwell.emr.catalog/1"
#define BW_SCHEMA_EMR_AVAILABILITY_QUERY "bookwell.emr.availability_query/1"
#define BW_SCHEMA_EMR_SLOTS              "bookwell.emr.slots/1"
#define BW_SCHEMA_EMR_SLOT               "bookwell.emr.slot/1"
#define BW_SCHEMA_EMR_PATIENT_QUERY      "bookwell.emr.patient_query/1"
#define BW_SCHEMA_EMR_PATIENTS           "bookwell.emr.patients/1"
#define BW_SCHEMA_EMR_PATIENT            "bookwell.emr.patient/1"
#define BW_SCHEMA_EMR_APPOINTMENT_QUERY  "bookwell.emr.appointment_query/1"
#define BW_SCHEMA_EMR_BOOKING_REQUEST    "bookwell.emr.booking_request/1"
#define BW_SCHEMA_EMR_RESCHEDULE_REQUEST "bookwell.emr.reschedule_request/1"
#define BW_SCHEMA_EMR_CANCEL_REQUEST     "bookwell.emr.cancel_request/1"
#define BW_SCHEMA_EMR_APPOINTMENT        "bookwell.emr.appointment/1"
#define BW_SCHEMA_EMR_APPOINTMENTS       "bookwell.emr.appointments/1"
#define BW_SCHEMA_EMR_DEPOSIT            "bookwell.emr.deposit/1"
#define BW_SCHEMA_EMR_DEPOSIT_RESULT     "bookwell.emr.deposit_result/1"

/*
 * The ops of an EMR plugin. Static const in the plugin. Mandatory in 1.0:
 * capabilities and catalog. Every other op may be NULL, but an instance that
 * reports a capability must implement its op (the host checks at open).
 */
struct bw_emr_ops {
    uint32_t struct_size;      /* sizeof(struct bw_emr_ops) */
    uint32_t _reserved;

    /* The instance's BW_EMR_CAP_* bits. */
    int (*capabilities)(void *instance, struct bw_call *call, uint64_t *caps);
    /* Appends catalog/1. */
    int (*catalog)(void *instance, struct bw_call *call, struct bw_buf *out,
                   struct bw_error *err);
    /* query: availability_query/1. Appends slots/1, free slots only. */
    int (*availability)(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err);
    /* query: patient_query/1. Appends patients/1 (empty list when none). */
    int (*patient_find)(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err);
    /* patient: patient/1 without id. Appends patient/1 with the EMR's id. */
    int (*patient_create)(void *instance, struct bw_call *call, const struct bw_json *patient,
                          const char *idempotency_key, struct bw_buf *out,
                          struct bw_error *err);
    /* query: appointment_query/1. Appends appointments/1. */
    int (*appointment_list)(void *instance, struct bw_call *call, const struct bw_json *query,
                            struct bw_buf *out, struct bw_error *err);
    /* req: booking_request/1. Appends appointment/1; BW_E_CONFLICT when the
     * slot is no longer free. */
    int (*book)(void *instance, struct bw_call *call, const struct bw_json *req,
                const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    /* req: reschedule_request/1. Appends appointment/1; BW_E_CONFLICT as book. */
    int (*reschedule)(void *instance, struct bw_call *call, const struct bw_json *req,
                      const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    /* req: cancel_request/1. Appends appointment/1 with status "cancelled";
     * cancelling a cancelled appointment succeeds. */
    int (*cancel)(void *instance, struct bw_call *call, const struct bw_json *req,
                  const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    /* deposit: deposit/1. Appends deposit_result/1. */
    int (*deposit_log)(void *instance, struct bw_call *call, const struct bw_json *deposit,
                       const char *idempotency_key, struct bw_buf *out,
                       struct bw_error *err);
};

#ifdef __cplusplus
}
#endif

#endif
