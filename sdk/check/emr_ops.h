/*
 * One EMR conformance run's state and its op calls: each op of struct
 * bw_emr_ops called on the instance under test with a JSON input built
 * here, its output parsed (kit_result), the capability it needs named, and
 * small JSON builders for the inputs the checks send.
 */
#ifndef BW_KIT_EMR_OPS_H
#define BW_KIT_EMR_OPS_H

#include <bookwell/emr.h>

#include "kit.h"

enum emr_op {
    EMR_AVAILABILITY,
    EMR_PATIENT_FIND,
    EMR_PATIENT_CREATE,
    EMR_APPOINTMENT_LIST,
    EMR_BOOK,
    EMR_RESCHEDULE,
    EMR_CANCEL,
    EMR_DEPOSIT_LOG,
    EMR_N_OPS
};

struct emr_run {
    struct kit *k;
    const struct bw_emr_ops *ops;
    uint64_t caps;
    cJSON *catalog;            /* owned; NULL when catalog failed */
    const char *loc, *svc;     /* borrowed from catalog */
    int64_t from, to;          /* the availability window (us) */
    cJSON *slots;              /* owned: the first availability answer */
    const cJSON *slot_a, *slot_b; /* borrowed from slots: to book, to move to */
    char phone[20];            /* the run's patient's number, unknown to the EMR before */
    char first[32], last[32];
    char patient_id[128];      /* from patient_create ("" until then) */
    char appt_id[128];         /* the booked appointment ("" until then) */
};

/* The op's name ("book"), capability bit and input schema. */
const char *emr_op_name(enum emr_op op);
uint64_t emr_op_cap(enum emr_op op);
/* True when the instance reports op's capability (and the op exists). */
bool emr_has(const struct emr_run *e, enum emr_op op);

/* Calls op with the input text (NUL-terminated JSON, or anything for the
 * malformed-input checks) and idempotency key (NULL for reads). r is
 * zeroed first; free it with kit_result_free. */
void emr_call(struct emr_run *e, enum emr_op op, const char *text, const char *key,
              struct kit_result *r);

/* Serialises o (deleted) into a malloc'd text; NULL when out of memory. */
char *emr_text(cJSON *o);
/* {"location_id","service_id","from","to"} for the run's location and
 * service; RFC 3339 UTC. */
char *emr_availability_query(const struct emr_run *e, int64_t from, int64_t to);
/* A booking_request/1 for slot and the run's patient. */
char *emr_booking_request(const struct emr_run *e, const cJSON *slot);

/* True when the instance claims op; otherwise prints "SKIP check:
 * capability absent" and returns false. */
bool emr_need(struct emr_run *e, enum emr_op op, const char *check);
/* When r is a failure, or its output is missing or not JSON, prints the
 * FAIL line for check and returns true. */
bool emr_call_failed(struct emr_run *e, const char *check, const struct kit_result *r);

/* The booking half of the EMR checks (emr_booking.c), in this order. */
void emr_check_patients(struct emr_run *e);
void emr_check_book(struct emr_run *e);
void emr_check_list(struct emr_run *e);
void emr_check_deposit(struct emr_run *e);
void emr_check_reschedule_cancel(struct emr_run *e);

/* True when the two RFC 3339 members denote the same instant. */
bool emr_same_time(const cJSON *a, const char *ka, const cJSON *b, const char *kb);

#endif
