/*
 * Holds: a slot kept for a patient for the tenant's hold_minutes while a
 * deposit is paid. Two live holds of one provider cannot overlap: the
 * holds table's exclusion constraint decides (no check-then-insert), so of
 * any number of concurrent attempts on one slot, across processes, exactly
 * one wins and the others get HOLDS_E_CONFLICT. A service that needs a
 * resource also takes a unit of it under the same kind of constraint.
 * Expiry is a job (kind "holds.expire") due at the hold's expires_at on the
 * host clock; an acquire also expires the tenant's overdue holds first, so
 * a late job never blocks a slot.
 */
#ifndef BW_HOST_HOLDS_H
#define BW_HOST_HOLDS_H

#include <stdint.h>

#include "db.h"
#include "knowledge.h"

#define HOLDS_E_INVAL    (-1) /* the slot breaks the catalog's rules */
#define HOLDS_E_DB       (-2)
#define HOLDS_E_CONFLICT (-3) /* the slot (or its resource) is held by someone else */
#define HOLDS_E_NOTFOUND (-4)

#define HOLDS_JOB_KIND "holds.expire"

struct hold_request {
    const char *service_id;
    const char *provider_id;   /* required */
    int64_t start_us;
    int64_t contact_id;        /* 0: none */
    const char *patient_json;  /* {"first_name","last_name","phone","email"} or NULL */
    int64_t deposit_cents;
};

struct hold {
    int64_t id;
    char provider_id[64];
    char service_id[64];
    int64_t start_us, end_us, expires_us;
    char state[16];
};

/* Holds the slot in c's transaction if one is open (else its own). */
int holds_acquire(struct db_conn *c, const struct knowledge *k, const struct hold_request *rq,
                  struct hold *out);
/* Expires every active hold of tenant (NULL: all) whose time has come. */
int holds_expire_due(struct db_conn *c, const char *tenant_id, int64_t now_us);
/* active -> released (the patient changed their mind). 0, HOLDS_E_NOTFOUND. */
int holds_release(struct db_conn *c, const char *tenant_id, int64_t id);
/* Moves a hold from one state to another (active -> booking -> booked...).
 * 0, or HOLDS_E_NOTFOUND when it is not in from. */
int holds_transition(struct db_conn *c, const char *tenant_id, int64_t id, const char *from,
                     const char *to);
int holds_get(struct db_conn *c, const char *tenant_id, int64_t id, struct hold *out);

struct jobs;
/* Registers the expiry job kind. */
int holds_register_jobs(struct jobs *j);

#endif
