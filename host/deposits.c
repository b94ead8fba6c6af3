/*
 * Deposits (deposits.h): the deposits table, the link job, payment events.
 */
#include "deposits.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/payment.h>

#include "clock.h"
#include "evidence.h"
#include "jobs.h"
#include "plugin_call.h"

struct deposits {
    struct deposits_payment payment;
    struct deposits_hooks hooks;
};

#define DEPOSIT_COLUMNS                                                                       \
    "tenant_id, id, hold_ref, coalesce(conversation_id, 0), binding, amount_minor, currency," \
    " status, idempotency_key, coalesce(link_id, ''), coalesce(link_url, ''),"               \
    " coalesce(order_id, ''), coalesce(payment_id, ''), coalesce(error_code, ''),"           \
    " coalesce(redirect_url, ''),"                                                            \
    " coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0)"

DB_STMT(st_insert,
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('deposits', 'id')) AS id)"
        " INSERT INTO deposits (tenant_id, id, hold_ref, conversation_id, binding, amount_minor,"
        " currency, idempotency_key, redirect_url, expires_at, created_at, updated_at)"
        " SELECT $1, n.id, $2, nullif($3::bigint, 0), $4, $5::bigint, $6,"
        "  'bw-dep-' || n.id || '-link', $7,"
        "  CASE WHEN $8::bigint = 0 THEN NULL"
        "   ELSE timestamptz 'epoch' + $8::bigint * interval '1 microsecond' END,"
        "  timestamptz 'epoch' + $9::bigint * interval '1 microsecond',"
        "  timestamptz 'epoch' + $9::bigint * interval '1 microsecond'"
        " FROM n RETURNING id");
DB_STMT(st_get, "SELECT " DEPOSIT_COLUMNS
                " FROM deposits WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_get_locked, "SELECT " DEPOSIT_COLUMNS
                       " FROM deposits WHERE tenant_id = $1 AND id = $2::bigint FOR UPDATE");
DB_STMT(st_by_link, "SELECT " DEPOSIT_COLUMNS
                    " FROM deposits WHERE tenant_id = $1 AND link_id = $2 FOR UPDATE");
DB_STMT(st_by_order, "SELECT " DEPOSIT_COLUMNS
                     " FROM deposits WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE");
DB_STMT(st_linked,
        "UPDATE deposits SET link_id = $3, link_url = $4, order_id = nullif($5, ''),"
        " linked_at = timestamptz 'epoch' + $6::bigint * interval '1 microsecond',"
        " updated_at = timestamptz 'epoch' + $6::bigint * interval '1 microsecond'"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_link_failed,
        "UPDATE deposits SET status = 'failed', error_code = $3,"
        " updated_at = timestamptz 'epoch' + $4::bigint * interval '1 microsecond'"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_paid,
        "UPDATE deposits SET status = 'paid', payment_id = $3,"
        " paid_at = timestamptz 'epoch' + $4::bigint * interval '1 microsecond',"
        " updated_at = timestamptz 'epoch' + $4::bigint * interval '1 microsecond'"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_refunded,
        "UPDATE deposits SET status = 'refunded',"
        " refunded_at = timestamptz 'epoch' + $3::bigint * interval '1 microsecond',"
        " updated_at = timestamptz 'epoch' + $3::bigint * interval '1 microsecond'"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_expire,
        "UPDATE deposits SET status = 'expired',"
        " updated_at = timestamptz 'epoch' + $3::bigint * interval '1 microsecond'"
        " WHERE tenant_id = $1 AND id = $2::bigint AND status = 'created'");
DB_STMT(st_event,
        "INSERT INTO deposit_events (tenant_id, provider_event_id, deposit_id, type, outcome,"
        " received_at) VALUES ($1, $2, nullif($3::bigint, 0), $4, $5,"
        " timestamptz 'epoch' + $6::bigint * interval '1 microsecond')"
        " ON CONFLICT DO NOTHING");
DB_STMT(st_event_seen,
        "SELECT 1 FROM deposit_events WHERE tenant_id = $1 AND provider_event_id = $2");
/* Serialises the events of one tenant's provider event id (two deliveries
 * of the same event processed at once by two workers). */
DB_STMT(st_event_lock, "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(10) || $2, 8))");

const char *deposit_outcome_name(enum deposit_outcome o)
{
    switch (o) {
    case DEPOSIT_DUPLICATE: return "duplicate";
    case DEPOSIT_UNKNOWN: return "unknown";
    case DEPOSIT_PAID: return "paid";
    case DEPOSIT_ALREADY: return "already";
    case DEPOSIT_REFUNDED: return "refunded";
    case DEPOSIT_MISMATCH: return "mismatch";
    case DEPOSIT_RECORDED: return "recorded";
    }
    return "unknown";
}

void deposits_reference(int64_t id, char *out, size_t cap)
{
    snprintf(out, cap, "dep_%" PRId64, id);
}

struct deposits *deposits_create(const struct deposits_payment *payment,
                                 const struct deposits_hooks *hooks)
{
    struct deposits *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (payment)
        d->payment = *payment;
    if (hooks)
        d->hooks = *hooks;
    return d;
}

void deposits_destroy(struct deposits *d) { free(d); }

void deposits_set_hooks(struct deposits *d, const struct deposits_hooks *hooks)
{
    memset(&d->hooks, 0, sizeof d->hooks);
    if (hooks)
        d->hooks = *hooks;
}

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src); }

static void row_to_deposit(PGresult *r, int i, struct deposit *d)
{
    memset(d, 0, sizeof *d);
    copy(d->tenant_id, sizeof d->tenant_id, PQgetvalue(r, i, 0));
    d->id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    copy(d->hold_ref, sizeof d->hold_ref, PQgetvalue(r, i, 2));
    d->conversation_id = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    copy(d->binding, sizeof d->binding, PQgetvalue(r, i, 4));
    d->amount_minor = strtoll(PQgetvalue(r, i, 5), NULL, 10);
    copy(d->currency, sizeof d->currency, PQgetvalue(r, i, 6));
    copy(d->status, sizeof d->status, PQgetvalue(r, i, 7));
    copy(d->idempotency_key, sizeof d->idempotency_key, PQgetvalue(r, i, 8));
    copy(d->link_id, sizeof d->link_id, PQgetvalue(r, i, 9));
    copy(d->link_url, sizeof d->link_url, PQgetvalue(r, i, 10));
    copy(d->order_id, sizeof d->order_id, PQgetvalue(r, i, 11));
    copy(d->payment_id, sizeof d->payment_id, PQgetvalue(r, i, 12));
    copy(d->error_code, sizeof d->error_code, PQgetvalue(r, i, 13));
    copy(d->redirect_url, sizeof d->redirect_url, PQgetvalue(r, i, 14));
    d->expires_at_us = strtoll(PQgetvalue(r, i, 15), NULL, 10);
}

/* Runs a one-row lookup: 1 found, 0 none, -1 failure. */
static int fetch(struct db_conn *c, struct db_stmt *st, int n, const char *const *p,
                 struct deposit *out)
{
    PGresult *r = db_exec(c, st, n, p);
    int rc = -1;
    if (db_ok(r)) {
        rc = PQntuples(r) == 1;
        if (rc)
            row_to_deposit(r, 0, out);
    }
    PQclear(r);
    return rc;
}

int deposits_get(struct db_conn *c, const char *tenant_id, int64_t id, struct deposit *out)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *p[] = { tenant_id, ids };
    return fetch(c, &st_get, 2, p, out);
}

static int exec_ok(struct db_conn *c, struct db_stmt *st, int n, const char *const *p)
{
    PGresult *r = db_exec(c, st, n, p);
    int ok = db_ok(r);
    PQclear(r);
    return ok ? 0 : -1;
}

/* ---- evidence entries ---------------------------------------------------- */

static int evidence_of(struct db_conn *tx, const struct deposit *d, const char *kind,
                       cJSON *body, int64_t at_us)
{
    char ref[32];
    deposits_reference(d->id, ref, sizeof ref);
    int rc = -1;
    if (!body || !cJSON_AddStringToObject(body, "deposit", ref) ||
        !cJSON_AddNumberToObject(body, "amount_minor", (double)d->amount_minor) ||
        !cJSON_AddStringToObject(body, "currency", d->currency))
        goto out;
    rc = evidence_append(tx, d->tenant_id, d->hold_ref, kind, body, at_us, NULL);
out:
    cJSON_Delete(body);
    return rc;
}

/* ---- creating a deposit and its link -------------------------------------- */

int deposits_create_link(struct db_conn *tx, const struct deposit_request *rq, int64_t *id)
{
    char conv[24], amount[24], exp[24], now[24], ids[24];
    int64_t now_us = clock_now_us();
    if (!rq || !rq->tenant_id || !rq->hold_ref || !rq->hold_ref[0] || rq->amount_minor <= 0 ||
        !rq->currency || strlen(rq->currency) != 3)
        return -1;
    snprintf(conv, sizeof conv, "%" PRId64, rq->conversation_id);
    snprintf(amount, sizeof amount, "%" PRId64, rq->amount_minor);
    snprintf(exp, sizeof exp, "%" PRId64, rq->expires_at_us > 0 ? rq->expires_at_us : 0);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { rq->tenant_id, rq->hold_ref, conv,
                        rq->binding ? rq->binding : "payment", amount, rq->currency,
                        rq->redirect_url, exp, now };
    PGresult *r = db_exec(tx, &st_insert, 9, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);

    char payload[64], dedupe[64];
    snprintf(ids, sizeof ids, "%" PRId64, *id);
    snprintf(payload, sizeof payload, "{\"deposit_id\":%s}", ids);
    snprintf(dedupe, sizeof dedupe, DEPOSITS_LINK_KIND ":%s", ids);
    struct job_spec spec = { .tenant_id = rq->tenant_id, .kind = DEPOSITS_LINK_KIND,
                             .payload = payload, .dedupe_key = dedupe, .max_attempts = 8 };
    if (jobs_enqueue(tx, &spec, NULL) < 0)
        return -1;

    struct deposit d;
    if (deposits_get(tx, rq->tenant_id, *id, &d) != 1)
        return -1;
    cJSON *body = cJSON_CreateObject();
    if (body && rq->policy_text)
        cJSON_AddStringToObject(body, "policy_text", rq->policy_text);
    if (body && rq->policy_version)
        cJSON_AddStringToObject(body, "policy_version", rq->policy_version);
    if (body && rq->expires_at_us > 0) {
        char t[32];
        cJSON_AddStringToObject(body, "expires_at", clock_format_utc(rq->expires_at_us, t));
    }
    return evidence_of(tx, &d, "deposit.offered", body, now_us);
}

/* The link_request/1 of a deposit. Caller frees. */
static char *link_request(const struct deposit *d)
{
    char ref[32], t[32];
    cJSON *j = cJSON_CreateObject();
    char *text = NULL;
    deposits_reference(d->id, ref, sizeof ref);
    if (!j || !cJSON_AddNumberToObject(j, "amount_minor", (double)d->amount_minor) ||
        !cJSON_AddStringToObject(j, "currency", d->currency) ||
        !cJSON_AddStringToObject(j, "reference", ref) ||
        /* Never a treatment name: it would reach the provider's receipt. */
        !cJSON_AddStringToObject(j, "description", "Appointment deposit") ||
        !cJSON_AddStringToObject(j, "expires_at",
                                 d->expires_at_us > 0 ? clock_format_utc(d->expires_at_us, t)
                                                      : "") ||
        (d->redirect_url[0] && !cJSON_AddStringToObject(j, "redirect_url", d->redirect_url)))
        goto out;
    text = cJSON_PrintUnformatted(j);
out:
    cJSON_Delete(j);
    return text;
}

int deposits_link_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                      int64_t id, char *error, size_t errcap, int64_t *retry_after_ms)
{
    char ids[24], now[24];
    struct deposit dep;
    int64_t now_us = clock_now_us();
    snprintf(ids, sizeof ids, "%" PRId64, id);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { tenant_id, ids };
    int found = fetch(tx, &st_get_locked, 2, p, &dep);
    if (found < 0) {
        snprintf(error, errcap, "deposits: database failed reading the deposit");
        return JOB_RETRY;
    }
    if (found == 0) {
        snprintf(error, errcap, "deposits: no deposit %s", ids);
        return JOB_PARK;
    }
    /* Done before (a retried job after a lost commit), or no longer wanted. */
    if (dep.link_url[0] || strcmp(dep.status, "created") != 0)
        return 0;
    if (!d->payment.link_create) {
        snprintf(error, errcap, "deposits: no payment caller configured");
        return JOB_RETRY;
    }
    char *req = link_request(&dep);
    struct bw_buf *out = plugin_buf_new(64 * 1024);
    struct bw_error err = { .struct_size = sizeof err };
    int rc = JOB_RETRY;
    cJSON *link = NULL;
    if (!req || !out) {
        snprintf(error, errcap, "deposits: out of memory");
        goto done;
    }
    int prc = d->payment.link_create(d->payment.ctx, tenant_id, dep.binding, req,
                                     dep.idempotency_key, out, &err);
    if (prc == BW_E_RETRY || prc == BW_E_TIMEOUT || prc == BW_E_CANCELLED ||
        prc == BW_E_NOMEM) {
        snprintf(error, errcap, "deposits: link_create %s %s", bw_strerror(prc),
                 err.provider_code);
        if (retry_after_ms)
            *retry_after_ms = err.retry_after_ms;
        goto done;
    }
    if (prc != 0) {
        /* For good: the deposit fails and whoever asked is told. */
        char code[65];
        snprintf(code, sizeof code, "%s", err.provider_code[0] ? err.provider_code
                                                                : bw_strerror(prc));
        const char *fp[] = { tenant_id, ids, code, now };
        if (exec_ok(tx, &st_link_failed, 4, fp) != 0 ||
            deposits_get(tx, tenant_id, id, &dep) != 1) {
            snprintf(error, errcap, "deposits: database failed marking the deposit failed");
            goto done;
        }
        if (d->hooks.link && d->hooks.link(tx, &dep, d->hooks.ctx) != 0) {
            snprintf(error, errcap, "deposits: link hook failed");
            goto done;
        }
        rc = 0;
        goto done;
    }
    link = cJSON_Parse(plugin_buf_data(out, NULL));
    const cJSON *lid = cJSON_GetObjectItemCaseSensitive(link, "id");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(link, "url");
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(link, "order_id");
    if (!cJSON_IsString(lid) || !cJSON_IsString(url) || !lid->valuestring[0] ||
        !url->valuestring[0]) {
        snprintf(error, errcap, "deposits: link/1 without id or url");
        goto done;
    }
    const char *up[] = { tenant_id, ids, lid->valuestring, url->valuestring,
                         cJSON_IsString(order) ? order->valuestring : "", now };
    if (exec_ok(tx, &st_linked, 6, up) != 0 || deposits_get(tx, tenant_id, id, &dep) != 1) {
        snprintf(error, errcap, "deposits: database failed storing the link");
        goto done;
    }
    cJSON *body = cJSON_CreateObject();
    if (body)
        cJSON_AddStringToObject(body, "link_id", dep.link_id);
    if (evidence_of(tx, &dep, "deposit.link_created", body, now_us) != 0) {
        snprintf(error, errcap, "deposits: evidence append failed");
        goto done;
    }
    if (d->hooks.link && d->hooks.link(tx, &dep, d->hooks.ctx) != 0) {
        snprintf(error, errcap, "deposits: link hook failed");
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(link);
    free(req);
    plugin_buf_free(out);
    return rc;
}

/* ---- payment events -------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The deposit an event is about (locked), by link id, the host's reference,
 * or the order. 1, 0 or -1. */
static int find_deposit(struct db_conn *tx, const char *tenant_id, const cJSON *ev,
                        struct deposit *out)
{
    const char *link = str_of(ev, "link_id"), *ref = str_of(ev, "reference");
    const char *order = str_of(ev, "order_id");
    int rc = 0;
    if (link[0]) {
        const char *p[] = { tenant_id, link };
        if ((rc = fetch(tx, &st_by_link, 2, p, out)) != 0)
            return rc;
    }
    if (strncmp(ref, "dep_", 4) == 0 && ref[4]) {
        char *end;
        long long id = strtoll(ref + 4, &end, 10);
        if (*end == 0 && id > 0) {
            char ids[24];
            snprintf(ids, sizeof ids, "%lld", id);
            const char *p[] = { tenant_id, ids };
            if ((rc = fetch(tx, &st_get_locked, 2, p, out)) != 0)
                return rc;
        }
    }
    if (order[0]) {
        const char *p[] = { tenant_id, order };
        rc = fetch(tx, &st_by_order, 2, p, out);
    }
    return rc;
}

int deposits_on_payment_event(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                              const cJSON *ev, enum deposit_outcome *outcome)
{
    const char *event_id = str_of(ev, "id"), *type = str_of(ev, "type");
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(ev, "amount_minor");
    char now[24], ids[24] = "0";
    int64_t now_us = clock_now_us();
    struct deposit dep;
    bool late = false;
    if (!cJSON_IsObject(ev) || !event_id[0] || strlen(event_id) > 200 || !type[0] ||
        strlen(type) > 32)
        return -1;
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *lp[] = { tenant_id, event_id };
    if (exec_ok(tx, &st_event_lock, 2, lp) != 0)
        return -1;
    PGresult *r = db_exec(tx, &st_event_seen, 2, lp);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int seen = PQntuples(r) > 0;
    PQclear(r);
    if (seen) {
        *outcome = DEPOSIT_DUPLICATE;
        return 0;
    }
    int found = find_deposit(tx, tenant_id, ev, &dep);
    if (found < 0)
        return -1;
    if (found == 0) {
        *outcome = DEPOSIT_UNKNOWN;
    } else {
        snprintf(ids, sizeof ids, "%" PRId64, dep.id);
        const char *cur = str_of(ev, "currency");
        if (strcmp(type, "paid") == 0) {
            if (strcmp(dep.status, "paid") == 0 || strcmp(dep.status, "refunded") == 0) {
                *outcome = DEPOSIT_ALREADY;
            } else if (!cJSON_IsNumber(amount) || amount->valuedouble < (double)dep.amount_minor ||
                       strcmp(cur, dep.currency) != 0) {
                *outcome = DEPOSIT_MISMATCH;
            } else {
                late = strcmp(dep.status, "created") != 0;
                const char *pp[] = { tenant_id, ids, str_of(ev, "payment_id"), now };
                if (exec_ok(tx, &st_paid, 4, pp) != 0 ||
                    deposits_get(tx, tenant_id, dep.id, &dep) != 1)
                    return -1;
                *outcome = DEPOSIT_PAID;
            }
        } else if (strcmp(type, "refunded") == 0) {
            if (strcmp(dep.status, "refunded") == 0) {
                *outcome = DEPOSIT_ALREADY;
            } else if (strcmp(dep.status, "paid") != 0) {
                *outcome = DEPOSIT_RECORDED;
            } else {
                const char *rp[] = { tenant_id, ids, now };
                if (exec_ok(tx, &st_refunded, 3, rp) != 0 ||
                    deposits_get(tx, tenant_id, dep.id, &dep) != 1)
                    return -1;
                *outcome = DEPOSIT_REFUNDED;
            }
        } else {
            /* A failed card attempt leaves the link payable; expired and
             * cancelled links are the host's own decisions. Recorded only. */
            *outcome = DEPOSIT_RECORDED;
        }
    }
    const char *ep[] = { tenant_id, event_id, ids, type, deposit_outcome_name(*outcome), now };
    if (exec_ok(tx, &st_event, 6, ep) != 0)
        return -1;
    if (found == 0)
        return 0;
    cJSON *body = cJSON_CreateObject();
    if (body) {
        cJSON_AddStringToObject(body, "event_id", event_id);
        cJSON_AddStringToObject(body, "type", type);
        cJSON_AddStringToObject(body, "outcome", deposit_outcome_name(*outcome));
        cJSON_AddStringToObject(body, "payment_id", str_of(ev, "payment_id"));
        cJSON_AddStringToObject(body, "provider_at", str_of(ev, "at"));
        if (cJSON_IsNumber(amount))
            cJSON_AddNumberToObject(body, "paid_minor", amount->valuedouble);
        /* Paid after the deposit expired or failed: the booking writer
         * decides whether the slot is still free. */
        if (late)
            cJSON_AddBoolToObject(body, "late", 1);
    }
    if (evidence_of(tx, &dep, "deposit.payment_event", body, now_us) != 0)
        return -1;
    if (*outcome == DEPOSIT_PAID && d && d->hooks.paid && d->hooks.paid(tx, &dep, d->hooks.ctx))
        return -1;
    return 0;
}

/* ---- expiry and refunds ------------------------------------------------------ */

/* Enqueues kind for deposit id with an optional reason, once per deposit. */
static int enqueue_for(struct db_conn *tx, const char *tenant_id, const char *kind, int64_t id,
                       const char *reason)
{
    char dedupe[96];
    cJSON *p = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (!p || !cJSON_AddNumberToObject(p, "deposit_id", (double)id) ||
        (reason && !cJSON_AddStringToObject(p, "reason", reason)) ||
        !(text = cJSON_PrintUnformatted(p)))
        goto out;
    snprintf(dedupe, sizeof dedupe, "%s:%" PRId64, kind, id);
    struct job_spec spec = { .tenant_id = tenant_id, .kind = kind, .payload = text,
                             .dedupe_key = dedupe, .max_attempts = 8 };
    rc = jobs_enqueue(tx, &spec, NULL) < 0 ? -1 : 0;
out:
    cJSON_free(text);
    cJSON_Delete(p);
    return rc;
}

int deposits_expire(struct db_conn *tx, const char *tenant_id, int64_t id)
{
    char ids[24], now[24];
    struct deposit dep;
    int64_t now_us = clock_now_us();
    snprintf(ids, sizeof ids, "%" PRId64, id);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = { tenant_id, ids };
    int found = fetch(tx, &st_get_locked, 2, p, &dep);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    if (strcmp(dep.status, "created") != 0)
        return 1;
    const char *ep[] = { tenant_id, ids, now };
    if (exec_ok(tx, &st_expire, 3, ep) != 0 ||
        enqueue_for(tx, tenant_id, DEPOSITS_CANCEL_KIND, id, NULL) != 0)
        return -1;
    return evidence_of(tx, &dep, "deposit.expired", cJSON_CreateObject(), now_us) ? -1 : 0;
}

int deposits_refund(struct db_conn *tx, const char *tenant_id, int64_t id, const char *reason)
{
    struct deposit dep;
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *p[] = { tenant_id, ids };
    int found = fetch(tx, &st_get_locked, 2, p, &dep);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    if (strcmp(dep.status, "paid") != 0)
        return 1;
    if (enqueue_for(tx, tenant_id, DEPOSITS_REFUND_KIND, id, reason) != 0)
        return -1;
    cJSON *body = cJSON_CreateObject();
    if (body && reason)
        cJSON_AddStringToObject(body, "reason", reason);
    return evidence_of(tx, &dep, "deposit.refund_requested", body, clock_now_us()) ? -1 : 0;
}

/* The job's verdict on a plugin result: 0 done, JOB_RETRY for transient
 * failures (with Square's Retry-After), JOB_PARK for the rest. */
static int verdict(int prc, const struct bw_error *err, const char *op, char *error,
                   size_t errcap, int64_t *retry_after_ms)
{
    if (prc == 0)
        return 0;
    snprintf(error, errcap, "deposits: %s %s %s", op, bw_strerror(prc), err->provider_code);
    if (prc == BW_E_RETRY || prc == BW_E_TIMEOUT || prc == BW_E_CANCELLED ||
        prc == BW_E_NOMEM) {
        if (retry_after_ms)
            *retry_after_ms = err->retry_after_ms;
        return JOB_RETRY;
    }
    return JOB_PARK;
}

int deposits_cancel_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                        int64_t id, char *error, size_t errcap, int64_t *retry_after_ms)
{
    struct deposit dep;
    char req[256];
    struct bw_error err = { .struct_size = sizeof err };
    if (deposits_get(tx, tenant_id, id, &dep) != 1) {
        snprintf(error, errcap, "deposits: no deposit %" PRId64, id);
        return JOB_PARK;
    }
    /* Paid after all (the payment raced the expiry), or never linked. */
    if (strcmp(dep.status, "expired") != 0 || !dep.link_id[0])
        return 0;
    if (!d->payment.link_cancel)
        return 0; /* the provider's links only expire */
    cJSON *j = cJSON_CreateObject();
    char *text = j && cJSON_AddStringToObject(j, "link_id", dep.link_id)
                     ? cJSON_PrintUnformatted(j)
                     : NULL;
    cJSON_Delete(j);
    if (!text) {
        snprintf(error, errcap, "deposits: out of memory");
        return JOB_RETRY;
    }
    snprintf(req, sizeof req, "%s", text);
    cJSON_free(text);
    int prc = d->payment.link_cancel(d->payment.ctx, tenant_id, dep.binding, req, &err);
    int rc = verdict(prc, &err, "link_cancel", error, errcap, retry_after_ms);
    if (rc == 0) {
        cJSON *body = cJSON_CreateObject();
        if (body)
            cJSON_AddStringToObject(body, "link_id", dep.link_id);
        if (evidence_of(tx, &dep, "deposit.link_cancelled", body, clock_now_us()) != 0) {
            snprintf(error, errcap, "deposits: evidence append failed");
            return JOB_RETRY;
        }
    }
    return rc;
}

int deposits_refund_run(struct deposits *d, struct db_conn *tx, const char *tenant_id,
                        int64_t id, const char *reason, char *error, size_t errcap,
                        int64_t *retry_after_ms)
{
    struct deposit dep;
    char key[64];
    struct bw_error err = { .struct_size = sizeof err };
    if (deposits_get(tx, tenant_id, id, &dep) != 1) {
        snprintf(error, errcap, "deposits: no deposit %" PRId64, id);
        return JOB_PARK;
    }
    if (strcmp(dep.status, "paid") != 0 || !dep.payment_id[0])
        return 0; /* refunded already, or nothing to refund */
    if (!d->payment.refund) {
        snprintf(error, errcap, "deposits: the payment binding cannot refund");
        return JOB_PARK;
    }
    cJSON *j = cJSON_CreateObject();
    char *req = NULL;
    if (j && cJSON_AddStringToObject(j, "payment_id", dep.payment_id) &&
        cJSON_AddNumberToObject(j, "amount_minor", (double)dep.amount_minor) &&
        cJSON_AddStringToObject(j, "currency", dep.currency) &&
        (!reason || cJSON_AddStringToObject(j, "reason", reason)))
        req = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct bw_buf *out = plugin_buf_new(64 * 1024);
    if (!req || !out) {
        cJSON_free(req);
        plugin_buf_free(out);
        snprintf(error, errcap, "deposits: out of memory");
        return JOB_RETRY;
    }
    snprintf(key, sizeof key, "bw-dep-%" PRId64 "-refund", dep.id);
    int prc = d->payment.refund(d->payment.ctx, tenant_id, dep.binding, req, key, out, &err);
    int rc = verdict(prc, &err, "refund", error, errcap, retry_after_ms);
    if (rc == 0) {
        cJSON *res = cJSON_Parse(plugin_buf_data(out, NULL));
        cJSON *body = cJSON_CreateObject();
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(res, "id");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
        if (body && cJSON_IsString(rid))
            cJSON_AddStringToObject(body, "refund_id", rid->valuestring);
        if (body && cJSON_IsString(st))
            cJSON_AddStringToObject(body, "refund_status", st->valuestring);
        cJSON_Delete(res);
        if (evidence_of(tx, &dep, "deposit.refund_sent", body, clock_now_us()) != 0) {
            snprintf(error, errcap, "deposits: evidence append failed");
            rc = JOB_RETRY;
        }
    }
    cJSON_free(req);
    plugin_buf_free(out);
    return rc;
}

/* ---- job handlers ------------------------------------------------------------ */

static int link_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "deposit_id");
    int rc;
    if (!cJSON_IsNumber(id) || id->valuedouble < 1) {
        snprintf(res->error, sizeof res->error, "deposits: payload without deposit_id");
        rc = JOB_PARK;
    } else {
        rc = deposits_link_run(ctx, c, job->tenant_id, (int64_t)id->valuedouble, res->error,
                               sizeof res->error, &res->retry_after_ms);
    }
    cJSON_Delete(p);
    return rc;
}

static int event_job(struct db_conn *c, const struct job *job, struct job_result *res,
                     void *ctx)
{
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(p, "event");
    enum deposit_outcome o;
    int rc = 0;
    if (!cJSON_IsObject(ev)) {
        snprintf(res->error, sizeof res->error, "deposits: payload without event");
        rc = JOB_PARK;
    } else if (deposits_on_payment_event(ctx, c, job->tenant_id, ev, &o) != 0) {
        snprintf(res->error, sizeof res->error, "deposits: payment event not applied");
        rc = JOB_RETRY;
    }
    cJSON_Delete(p);
    return rc;
}

static int cancel_or_refund_job(struct db_conn *c, const struct job *job,
                                struct job_result *res, void *ctx)
{
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "deposit_id");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(p, "reason");
    int rc;
    if (!cJSON_IsNumber(id) || id->valuedouble < 1) {
        snprintf(res->error, sizeof res->error, "deposits: payload without deposit_id");
        rc = JOB_PARK;
    } else if (strcmp(job->kind, DEPOSITS_CANCEL_KIND) == 0) {
        rc = deposits_cancel_run(ctx, c, job->tenant_id, (int64_t)id->valuedouble, res->error,
                                 sizeof res->error, &res->retry_after_ms);
    } else {
        rc = deposits_refund_run(ctx, c, job->tenant_id, (int64_t)id->valuedouble,
                                 cJSON_IsString(reason) ? reason->valuestring : NULL,
                                 res->error, sizeof res->error, &res->retry_after_ms);
    }
    cJSON_Delete(p);
    return rc;
}

int deposits_register(struct deposits *d, struct jobs *j)
{
    if (jobs_register(j, DEPOSITS_LINK_KIND, link_job, d) != 0 ||
        jobs_register(j, DEPOSITS_CANCEL_KIND, cancel_or_refund_job, d) != 0 ||
        jobs_register(j, DEPOSITS_REFUND_KIND, cancel_or_refund_job, d) != 0 ||
        jobs_register(j, DEPOSITS_PAYMENT_EVENT_KIND, event_job, d) != 0)
        return -1;
    return 0;
}
