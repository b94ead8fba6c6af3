/*
 * The booking writer: turns a paid (or deposit-free) hold into an
 * appointment in the tenant's EMR. booking_submit() records the booking
 * (idempotency key derived from the hold: "hold-<id>") and queues a
 * "booking.write" job in the caller's transaction, so a payment webhook's
 * commit and the booking's start are one. The job finds the patient by
 * phone, else creates one (key "hold-<id>-patient"), and commits that
 * before a follow-up job books with the key,
 * and logs the deposit where the EMR can (key "hold-<id>-deposit"); every
 * write is keyed, so a retry never books twice. An EMR that is down
 * (BW_E_RETRY, BW_E_TIMEOUT, BW_E_REMOTE) is retried with backoff on the
 * host clock (each failure is recorded and the next attempt is a follow-up
 * job due after BOOKING_RETRY_BASE_US, doubling to BOOKING_RETRY_MAX_US) for
 * up to BOOKING_MAX_ATTEMPTS. After the first failure the patient is told
 * (through the outbox) that the booking is being confirmed, and told again
 * when it is; a booking still unwritten BOOKING_STAFF_ALERT_AFTER_US after
 * it was submitted raises a staff alert (staff_alert.h), as does one that
 * fails for good. A slot taken meanwhile ends in state "conflict" with the
 * nearest alternatives stored on the booking and offered to the patient:
 * the deposit is kept for them, or refunded when there is no alternative;
 * staff are alerted. Callers read the outcome with booking_get().
 */
#ifndef BW_HOST_BOOKING_H
#define BW_HOST_BOOKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define BOOKING_JOB_KIND "booking.write"
#define BOOKING_MAX_ATTEMPTS 40     /* EMR attempts before the booking fails (hours of outage) */
#define BOOKING_RETRY_BASE_US (30 * INT64_C(1000000))      /* first retry after 30 s ... */
#define BOOKING_RETRY_MAX_US (5 * 60 * INT64_C(1000000))   /* ... doubling up to 5 min */
#define BOOKING_STAFF_ALERT_AFTER_US (5 * 60 * INT64_C(1000000)) /* unwritten this long: staff */

#define BOOKING_E_INVAL    (-1)
#define BOOKING_E_DB       (-2)
#define BOOKING_E_NOTFOUND (-3)    /* no such hold */
#define BOOKING_E_STATE    (-4)    /* the hold expired or was released */

struct booking {
    int64_t id;
    int64_t hold_id;
    char state[16];               /* pending, booked, conflict, failed, cancelled */
    char service_id[64], provider_id[64];
    int64_t start_us, end_us;
    char emr_patient_id[128];
    char emr_appointment_id[128];
    char deposit_logged_as[16];   /* "payment", "note" or "" */
    bool client_created;
    int attempts;
    char last_error[256];
    char *alternatives;           /* JSON array text (malloc'd) when conflict, else NULL */
    int64_t created_us;
    bool delay_told;              /* the patient was told it is being confirmed */
    bool staff_alerted;
    int rewrites;                 /* times reconciliation wrote it again */
};

/*
 * Starts booking hold_id of tenant_id: the hold goes from 'active' to
 * 'booking' (it keeps its slot), a bookings row is written, the job queued.
 * deposit_json is NULL (no deposit) or {"amount_minor","currency",
 * "payment_reference","paid_at"}. Calling it again for the same hold returns
 * the same booking (0, *booking_id set). Runs in c's transaction if open.
 */
int booking_submit(struct db_conn *c, const char *tenant_id, int64_t hold_id,
                   const char *deposit_json, int64_t *booking_id);

/* Reads a booking (free with booking_clear). */
int booking_get(struct db_conn *c, const char *tenant_id, int64_t id, struct booking *out);
void booking_clear(struct booking *b);

/* The idempotency key of the EMR appointment write: the booking's key, with
 * "-r<n>" after the n-th rewrite by reconciliation. */
void booking_book_key(const char *key, int rewrites, char *out, size_t cap);

/* The delay before the next attempt after `failures` failed ones. */
int64_t booking_retry_delay_us(int failures);

struct jobs;
struct daemon;
/* Registers the writer's job kind; d is borrowed for the daemon's life
 * (its registry, and the tenants' staff numbers). */
int booking_register_jobs(struct jobs *j, struct daemon *d);

/* The tenant's configured staff number, or NULL. */
const char *booking_staff_phone(struct daemon *d, const char *tenant);

#endif
