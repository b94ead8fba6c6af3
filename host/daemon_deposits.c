/*
 * The daemon's deposits (daemon_deposits.h): registry-backed payment calls
 * and the outbox hooks.
 */
#include "daemon_deposits.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bookwell/payment.h>

#include "clock.h"
#include "consent.h"
#include "daemon.h"
#include "deposit_fate.h"
#include "evidence.h"
#include "jobs.h"
#include "plugin_registry.h"

/* The deadline of one payment call: well inside the job's lease. */
#define PAYMENT_CALL_TIMEOUT_MS 20000

enum pay_op { OP_LINK_CREATE, OP_LINK_CANCEL, OP_REFUND };

/* One payment op on the tenant's binding, pinned through the registry. */
static int payment_call(struct daemon *d, enum pay_op op, const char *tenant_id,
                        const char *binding, const char *req, const char *key,
                        struct bw_buf *out, struct bw_error *err)
{
    static const char *const schemas[] = { BW_SCHEMA_PAYMENT_LINK_REQUEST,
                                           BW_SCHEMA_PAYMENT_LINK_CANCEL,
                                           BW_SCHEMA_PAYMENT_REFUND_REQUEST };
    struct registry_handle h;
    if (!d->registry || registry_acquire(d->registry, tenant_id, binding, &h) != 0) {
        snprintf(err->message, sizeof err->message, "the tenant has no payment binding");
        return BW_E_CONFIG;
    }
    int rc = BW_E_NOTSUP;
    const struct bw_payment_ops *ops = h.desc->ops;
    struct bw_json j = { schemas[op], (const uint8_t *)req, strlen(req) };
    struct bw_call call;
    if (h.desc->kind != BW_KIND_PAYMENT) {
        snprintf(err->message, sizeof err->message, "the binding is not a payment plugin");
        rc = BW_E_CONFIG;
        goto out;
    }
    registry_call_begin(&h, &call, NULL, PAYMENT_CALL_TIMEOUT_MS);
    if (op == OP_LINK_CREATE && ops->link_create)
        rc = ops->link_create(h.instance, &call, &j, key, out, err);
    else if (op == OP_LINK_CANCEL && ops->link_cancel)
        rc = ops->link_cancel(h.instance, &call, &j, err);
    else if (op == OP_REFUND && ops->refund)
        rc = ops->refund(h.instance, &call, &j, key, out, err);
    registry_call_end(&h, &call);
    if (rc > 0 || rc < BW_E_MIN)
        rc = BW_E_INTERNAL;
out:
    registry_release(&h);
    return rc;
}

int daemon_deposits_link_create(void *ctx, const char *tenant_id, const char *binding,
                                const char *req, const char *idempotency_key, struct bw_buf *out,
                                struct bw_error *err)
{
    return payment_call(ctx, OP_LINK_CREATE, tenant_id, binding, req, idempotency_key, out, err);
}

static int link_cancel(void *ctx, const char *tenant_id, const char *binding, const char *req,
                       struct bw_error *err)
{
    return payment_call(ctx, OP_LINK_CANCEL, tenant_id, binding, req, NULL, NULL, err);
}

static int refund(void *ctx, const char *tenant_id, const char *binding, const char *req,
                  const char *idempotency_key, struct bw_buf *out, struct bw_error *err)
{
    return payment_call(ctx, OP_REFUND, tenant_id, binding, req, idempotency_key, out, err);
}

/* Enqueues kind for a deposit on tx, once per deposit. */
static int hand_on(struct db_conn *tx, const struct deposit *dep, const char *kind)
{
    char dedupe[128];
    cJSON *p = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (!p || !cJSON_AddNumberToObject(p, "deposit_id", (double)dep->id) ||
        !cJSON_AddStringToObject(p, "hold_ref", dep->hold_ref) ||
        !cJSON_AddNumberToObject(p, "conversation_id", (double)dep->conversation_id) ||
        !cJSON_AddStringToObject(p, "status", dep->status) ||
        !cJSON_AddStringToObject(p, "link_url", dep->link_url) ||
        !cJSON_AddStringToObject(p, "payment_id", dep->payment_id) ||
        !(text = cJSON_PrintUnformatted(p)))
        goto out;
    snprintf(dedupe, sizeof dedupe, "%s:%" PRId64, kind, dep->id);
    struct job_spec spec = { .tenant_id = dep->tenant_id, .kind = kind, .payload = text,
                             .dedupe_key = dedupe };
    rc = jobs_enqueue(tx, &spec, NULL) < 0 ? -1 : 0;
out:
    cJSON_free(text);
    cJSON_Delete(p);
    return rc;
}

static int on_link(struct db_conn *tx, const struct deposit *dep, void *ctx)
{
    (void)ctx;
    return hand_on(tx, dep, DAEMON_DEPOSITS_LINK_JOB);
}

DB_STMT(st_conv_contact,
        "SELECT ct.address, ct.channel FROM conversations c JOIN contacts ct"
        " ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id"
        " WHERE c.tenant_id = $1 AND c.id = $2::bigint");

/* A paid deposit is a purchase: CASL's implied consent for two years (the
 * ledger, consent.h), and the consent the booking rests on in its evidence. */
static int purchase_consent(struct db_conn *tx, const struct deposit *dep)
{
    char cid[24];
    if (dep->conversation_id <= 0)
        return 0;
    snprintf(cid, sizeof cid, "%" PRId64, dep->conversation_id);
    const char *p[] = { dep->tenant_id, cid };
    PGresult *r = db_exec(tx, &st_conv_contact, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int rc = 0;
    if (PQntuples(r) == 1) {
        const char *channel = PQgetvalue(r, 0, 1);
        struct consent_entry e = {
            .tenant_id = dep->tenant_id,
            .contact = PQgetvalue(r, 0, 0),
            .source = strcmp(channel, "sms") == 0 ? CONSENT_SRC_INBOUND_TEXT : CONSENT_SRC_INBOUND_CHAT,
            .scope = CONSENT_SCOPE_CONVERSATIONAL,
            .basis = CONSENT_BASIS_IMPLIED_PURCHASE,
            .channel = channel,
        };
        cJSON *body = cJSON_CreateObject();
        rc = body && cJSON_AddStringToObject(body, "basis", "implied_purchase") &&
                     cJSON_AddStringToObject(body, "channel", channel) &&
                     cJSON_AddNumberToObject(body, "deposit_id", (double)dep->id) &&
                     consent_record(tx, &e, NULL) == 0 &&
                     evidence_append(tx, dep->tenant_id, dep->hold_ref, "consent.implied_purchase",
                                     body, clock_now_us(), NULL) == 0
                 ? 0
                 : -1;
        cJSON_Delete(body);
    }
    PQclear(r);
    return rc;
}

static int on_paid(struct db_conn *tx, const struct deposit *dep, void *ctx)
{
    (void)ctx;
    if (purchase_consent(tx, dep) != 0)
        return -1;
    return hand_on(tx, dep, DAEMON_DEPOSITS_PAID_JOB);
}

int daemon_deposits_start(struct daemon *d)
{
    struct deposits_payment pay = { daemon_deposits_link_create, link_cancel, refund, d };
    struct deposits_hooks hooks = { on_link, on_paid, d };
    d->deposits = deposits_create(&pay, &hooks);
    if (!d->deposits || deposits_register(d->deposits, d->jobs) != 0 ||
        deposit_fate_register(d->jobs) != 0)
        return -1;
    return 0;
}

void daemon_deposits_stop(struct daemon *d)
{
    deposits_destroy(d->deposits);
    d->deposits = NULL;
}
