/*
 * The daemon's deposits: the deposits context whose link, cancel and refund
 * jobs reach each tenant's payment binding through the plugin registry, and the default
 * hooks, which hand the outcome on as jobs (an outbox) to whoever handles
 * them: DAEMON_DEPOSITS_LINK_JOB when a deposit's link exists or failed (the
 * conversation engine sends it to the patient), DAEMON_DEPOSITS_PAID_JOB
 * once when a deposit is paid (the booking writer books the held slot).
 * A paid deposit also records CASL's implied consent of a purchase for the
 * conversation's contact (consent.h) and that consent in the evidence.
 * Both payloads: {"deposit_id","hold_ref","conversation_id","status",
 * "link_url","payment_id"}; dedupe keys make each one job per deposit.
 */
#ifndef BW_HOST_DAEMON_DEPOSITS_H
#define BW_HOST_DAEMON_DEPOSITS_H

#include "deposits.h"

struct daemon;

#define DAEMON_DEPOSITS_LINK_JOB "convo.deposit_link"
#define DAEMON_DEPOSITS_PAID_JOB "booking.deposit_paid"

/* Creates d->deposits and registers its job kinds on d->jobs. 0 or -1. */
int daemon_deposits_start(struct daemon *d);
void daemon_deposits_stop(struct daemon *d);

/* link_create through the registry; ctx is the struct daemon. */
int daemon_deposits_link_create(void *ctx, const char *tenant_id, const char *binding,
                                const char *req, const char *idempotency_key, struct bw_buf *out,
                                struct bw_error *err);

#endif
