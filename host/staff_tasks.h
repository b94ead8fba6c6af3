/*
 * Staff tasks: a booking for staff to enter by hand in an EMR without a
 * booking API (the link_only capability). The conversation engine makes one
 * once a patient is qualified and, when a deposit is due, has paid it; the
 * task's details (name, phone, services, preferred time, the deposit and
 * its payment reference) are stored, raised as a staff alert and texted to
 * the tenant's staff phone. Staff list tasks and mark one done through the
 * tenant API (routes_staff_tasks.c); marking it done texts the patient a
 * confirmation on their conversation. Everything runs on the caller's
 * connection or transaction.
 */
#ifndef BW_HOST_STAFF_TASKS_H
#define BW_HOST_STAFF_TASKS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"

#define STAFF_TASK_WHEN_MAX 80 /* the appointment time staff may give when marking done */

/* What a new task records; every string is borrowed, "" when unknown. */
struct staff_task_request {
    const char *tenant_id;
    int64_t conversation_id;
    int64_t contact_id;         /* 0: none */
    const char *clinic;         /* the clinic's name, for the patient's confirmation */
    const char *emr;            /* the EMR's plugin id, for the staff text */
    const char *first, *last, *phone, *email;
    const char *services;       /* "Botox, Lip Filler" */
    const char *preferred;      /* "Friday, March 5, around 3:00 PM" */
    int64_t deposit_cents;      /* 0: none paid */
    const char *currency;
    const char *payment_ref;    /* the payment provider's id of the deposit */
    const char *staff_phone;    /* E.164, or NULL/"" for no text */
    int64_t now_us;
};

/* Stores the task, raises its staff alert (kind "booking.manual", subject
 * "staff_task:<id>") and texts staff. Returns 0 with *id set, or -1 (tx
 * aborted). */
int staff_task_create(struct db_conn *tx, const struct staff_task_request *rq, int64_t *id);

/* The tenant's tasks, newest first, as {"tasks":[{"id","status","created_at",
 * "done_at","conversation_id","details":{...}}]}; status NULL: every task,
 * else "open" or "done". NULL on a database failure. The caller deletes. */
cJSON *staff_tasks_list(struct db_conn *c, const char *tenant, const char *status);

/* Marks task id done and queues the patient's confirmation (naming when,
 * when not NULL/""). Returns 0 done, 1 no such task, 2 already done, -1
 * failure (tx aborted). */
int staff_task_done(struct db_conn *tx, const char *tenant, int64_t id, const char *when, int64_t now_us);

#endif
