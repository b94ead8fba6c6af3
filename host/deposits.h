/*
 * Deposits: a held slot secured by a payment the patient makes on the
 * payment provider's hosted page. deposits_create_link() writes a deposit
 * row and, in the same transaction, the job that asks the tenant's payment
 * binding for a link (link_create, idempotency key derived from the deposit
 * id, so a retried job never makes a second link); when the link exists the
 * job hands the deposit to the link hook (the conversation engine sends it
 * to the patient). Payment events (events/1 items from the binding's
 * webhook, delivered as jobs of DEPOSITS_PAYMENT_EVENT_KIND) mark a deposit
 * paid exactly once: a provider event seen before changes nothing, a second
 * "paid" for a paid deposit changes nothing, and only the first one calls
 * the paid hook (the booking writer). Refund events mark it refunded.
 * Each step appends to the hold's evidence trail (evidence.h).
 *
 * No card data passes through here: events carry ids and amounts only.
 * Library code: no logging; the job handlers report through job_result.
 */
#ifndef BW_HOST_DEPOSITS_H
#define BW_HOST_DEPOSITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/abi.h>
#include <cjson/cJSON.h>

#include "db.h"

struct jobs;
struct bw_buf;

#define DEPOSITS_LINK_KIND "deposits.link"
#define DEPOSITS_CANCEL_KIND "deposits.cancel"
#define DEPOSITS_REFUND_KIND "deposits.refund"
/* Payment events, enqueued by the webhook dispatch with the payload
 * {"binding","provider","endpoint","inbox_id","event": one events/1 item}. */
#define DEPOSITS_PAYMENT_EVENT_KIND "payment.event"

/* A deposit as stored. Strings are NUL-terminated, empty when unset. */
struct deposit {
    char tenant_id[64];
    int64_t id;
    char hold_ref[201];
    int64_t conversation_id;   /* 0: none */
    char binding[73];          /* the payment binding: a kind name or plugin id */
    int64_t amount_minor;
    char currency[4];
    char status[16];           /* created | paid | failed | refunded | expired */
    char idempotency_key[65];
    char link_id[129];
    char link_url[513];
    char order_id[129];
    char payment_id[129];
    char error_code[65];
    char redirect_url[513];
    int64_t expires_at_us;     /* 0: none */
};

/* What deposits_create_link needs. Strings are borrowed for the call. */
struct deposit_request {
    const char *tenant_id;
    const char *hold_ref;      /* the hold (or conversation) the deposit secures */
    int64_t conversation_id;   /* 0: none */
    const char *binding;       /* NULL: "payment", the tenant's first payment binding */
    int64_t amount_minor;      /* > 0 */
    const char *currency;      /* ISO 4217 */
    int64_t expires_at_us;     /* when the offer lapses (host clock); 0: none */
    const char *redirect_url;  /* where the hosted page sends the patient; may be NULL */
    const char *policy_text;   /* shown with the link; recorded as evidence; may be NULL */
    const char *policy_version;/* may be NULL */
};

/* How the link job reaches a tenant's payment binding: link_create with a
 * link_request/1 (req, NUL-terminated JSON), appending link/1 to out. The
 * daemon's implementation goes through the plugin registry; tests may use
 * their own. Returns 0 or a BW_E_* code with err filled. */
struct deposits_payment {
    int (*link_create)(void *ctx, const char *tenant_id, const char *binding, const char *req,
                       const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    /* link_cancel with a link_cancel/1. */
    int (*link_cancel)(void *ctx, const char *tenant_id, const char *binding, const char *req,
                       struct bw_error *err);
    /* refund with a refund_request/1, appending refund/1 to out. */
    int (*refund)(void *ctx, const char *tenant_id, const char *binding, const char *req,
                  const char *idempotency_key, struct bw_buf *out, struct bw_error *err);
    void *ctx;
};

/*
 * Hooks, called inside the transaction of the job that changed the deposit
 * (what they write commits with it). A non-zero return fails the job, which
 * is retried. May be NULL.
 *  link:   the link exists (status "created", link_url set) or could not be
 *          made for good (status "failed", error_code set).
 *  paid:   the deposit was just marked paid (once per deposit).
 */
struct deposits_hooks {
    int (*link)(struct db_conn *tx, const struct deposit *d, void *ctx);
    int (*paid)(struct db_conn *tx, const struct deposit *d, void *ctx);
    void *ctx;
};

struct deposits;

/* Creates the context the job handlers use; payment and hooks are copied.
 * Returns NULL when out of memory. */
struct deposits *deposits_create(const struct deposits_payment *payment,
                                 const struct deposits_hooks *hooks);
void deposits_destroy(struct deposits *d);
/* Replaces the hooks (before the workers start). */
void deposits_set_hooks(struct deposits *d, const struct deposits_hooks *hooks);

/* Registers the link, cancel, refund and payment event kinds on j. */
int deposits_register(struct deposits *d, struct jobs *j);

/*
 * Writes a deposit (status "created") and enqueues its link job, on tx
 * (inside the caller's transaction, both commit with the caller's other
 * writes). Records the offer and the policy shown in the hold's evidence.
 * Returns 0 with *id set, or -1 (bad request or database failure; the
 * caller's transaction is then aborted when the database failed).
 */
int deposits_create_link(struct db_conn *tx, const struct deposit_request *rq, int64_t *id);

/*
 * The deposit's slot can no longer be honoured (booked by someone else, or
 * closer than the clinic's minimum notice): an unpaid deposit becomes
 * "expired" and a job deletes its link at the provider. A lapsed hold alone
 * does not call this: its link stays payable. Returns 0 when it expired
 * the deposit, 1 when the deposit was not unpaid (nothing changed), -1 on
 * failure.
 */
int deposits_expire(struct db_conn *tx, const char *tenant_id, int64_t id);

/*
 * Asks for a full refund of a paid deposit (a clinic cancellation, a
 * cancellation inside the allowed window, a late payment whose slot is
 * gone): a job sends it with the idempotency key "bw-dep-<id>-refund"; the
 * deposit becomes "refunded" when the provider's refund event arrives.
 * reason (may be NULL) is recorded in the evidence and sent to the
 * provider. Returns 0 when the refund was asked for (again, harmlessly, if
 * it already was), 1 when the deposit is not paid, -1 on failure.
 */
int deposits_refund(struct db_conn *tx, const char *tenant_id, int64_t id, const char *reason);

/* The cancel and refund jobs' work on tx, exposed for tests. As
 * deposits_link_run. */
int deposits_cancel_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                        int64_t id, char *error, size_t errcap, int64_t *retry_after_ms);
int deposits_refund_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                        int64_t id, const char *reason, char *error, size_t errcap,
                        int64_t *retry_after_ms);

/* Reads one deposit. 1 found, 0 not found, -1 database failure. */
int deposits_get(struct db_conn *c, const char *tenant_id, int64_t id, struct deposit *out);

/* The link job's work on tx, exposed for tests: asks the binding for the
 * link unless the deposit already has one. 0 done; JOB_RETRY or JOB_PARK
 * (jobs.h) with error filled. */
int deposits_link_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                      int64_t id, char *error, size_t errcap, int64_t *retry_after_ms);

/* What one payment event did. */
enum deposit_outcome {
    DEPOSIT_DUPLICATE,     /* the provider event was processed before: nothing changed */
    DEPOSIT_UNKNOWN,       /* no deposit of this tenant matches the event */
    DEPOSIT_PAID,          /* marked paid now (the paid hook ran) */
    DEPOSIT_ALREADY,       /* the deposit already was in the state the event asks */
    DEPOSIT_REFUNDED,      /* marked refunded now */
    DEPOSIT_MISMATCH,      /* amount or currency differ from the deposit: not marked */
    DEPOSIT_RECORDED,      /* recorded only (a failed attempt, an ignored type) */
};
const char *deposit_outcome_name(enum deposit_outcome o);

/*
 * Applies one events/1 item (event: an object with id, type, link_id,
 * reference, order_id, payment_id, amount_minor, currency, at) to the
 * tenant's deposits on tx. The deposit is found by link_id, then by the
 * reference the host gave ("dep_<id>"), then by order_id. Returns 0 with
 * *outcome set, or -1 (malformed event, database or hook failure: the
 * caller's transaction must roll back).
 */
int deposits_on_payment_event(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                              const cJSON *event, enum deposit_outcome *outcome);

/* The reference a deposit carries to the provider: "dep_<id>". */
void deposits_reference(int64_t id, char *out, size_t cap);

#endif
