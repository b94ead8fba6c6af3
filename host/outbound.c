/*
 * The outbox and its send worker (outbound.h).
 *
 * The worker's steps for one message, each in its own transaction where the
 * rules ask for it:
 *  1. On a second connection: lock the row; a row left "sending" by an
 *     interrupted attempt becomes "uncertain" (the provider may have sent
 *     it); the gate decides; DROP cancels, HOLD marks it held and enqueues
 *     the next try at the window's opening, SEND marks it "sending" with the
 *     attempt's time. Committed before the channel is called.
 *  2. Outside any lock: the channel binding's send op.
 *  3. In the job's transaction: the provider's id and status, or the
 *     failure: retry later (queued again, a new job after a backoff),
 *     "uncertain" (BW_E_REMOTE: it may have gone out), or "failed".
 * A staff reply's stored text is redacted once its send is settled.
 */
#include "outbound.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/channel.h>

#include "casl.h"
#include "casl_gate.h"
#include "clock.h"
#include "consent.h"
#include "daemon.h"
#include "jobs.h"
#include "log.h"
#include "plugin_registry.h"
#include "redact.h"
#include "send_gate.h"

#define SEND_CALL_TIMEOUT_MS 15000

static bool kind_ok(const char *k)
{
    static const char *const kinds[] = { "reply", "textback", "proactive", "notice", "optout_confirmation",
                                         "help", "staff", "staff_alert" };
    for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i]) == 0)
            return true;
    return false;
}

static int enqueue_send(struct db_conn *tx, const char *tenant, int64_t message_id,
                        int64_t contact_id, int attempt, int64_t run_at_us, bool held)
{
    char payload[96], key[64];
    snprintf(payload, sizeof payload, "{\"message_id\":%" PRId64 ",\"attempt\":%d}", message_id,
             attempt);
    /* Held messages wait on a key of their own, so that replies to the
     * contact are not stuck behind a message waiting for the morning. */
    snprintf(key, sizeof key, "%s:%" PRId64, held ? "held" : "send", contact_id);
    struct job_spec spec = {
        .tenant_id = tenant,
        .kind = OUTBOUND_SEND_KIND,
        .payload = payload,
        .run_at_us = run_at_us,
        .ordering_key = key,
        .max_attempts = 3,
    };
    return jobs_enqueue(tx, &spec, NULL) < 0 ? OUTBOUND_E_DB : 0;
}

int outbound_enqueue(struct db_conn *tx, const struct outbound_msg *m, int64_t *message_id)
{
    DB_STMT(ins,
            "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind,"
            " binding, body, status, caused_by, not_before, created_at)"
            " SELECT $1, v.id, v.contact_id, 'out', $3, v.binding, $4, 'queued',"
            " NULLIF($5, '0')::bigint, $6::timestamptz, $7::timestamptz"
            " FROM conversations v WHERE v.tenant_id = $1 AND v.id = $2::bigint"
            " RETURNING id, contact_id");
    if (!m || !m->tenant_id || !kind_ok(m->kind) || !m->text || !m->text[0] ||
        strlen(m->text) > OUTBOUND_TEXT_MAX || m->conversation_id <= 0)
        return OUTBOUND_E_INVAL;
    char conv[24], cause[24], now[32], nb[32];
    int64_t now_us = clock_now_us();
    snprintf(conv, sizeof conv, "%" PRId64, m->conversation_id);
    snprintf(cause, sizeof cause, "%" PRId64, m->caused_by > 0 ? m->caused_by : 0);
    clock_format_utc(now_us, now);
    if (m->run_at_us > now_us)
        clock_format_utc(m->run_at_us, nb);
    const char *p[] = { m->tenant_id, conv, m->kind, m->text, cause,
                        m->run_at_us > now_us ? nb : NULL, now };
    PGresult *r = db_exec(tx, &ins, 7, p);
    if (!db_ok(r)) {
        PQclear(r);
        return OUTBOUND_E_DB;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return OUTBOUND_E_NOTFOUND;
    }
    int64_t id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    int64_t contact = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    int rc = enqueue_send(tx, m->tenant_id, id, contact, 1, m->run_at_us, false);
    if (rc == 0 && message_id)
        *message_id = id;
    return rc;
}

int outbound_cancel_pending(struct db_conn *tx, const char *tenant_id, int64_t contact_id,
                            const char *reason, int *cancelled)
{
    DB_STMT(upd,
            "UPDATE messages SET status = 'cancelled', error_code = $3, status_at = $4::timestamptz"
            " WHERE tenant_id = $1 AND contact_id = $2::bigint AND direction = 'out'"
            " AND status IN ('queued', 'held')");
    char contact[24], now[32];
    snprintf(contact, sizeof contact, "%" PRId64, contact_id);
    clock_format_utc(clock_now_us(), now);
    const char *p[] = { tenant_id, contact, reason ? reason : "cancelled", now };
    PGresult *r = db_exec(tx, &upd, 4, p);
    if (!db_ok(r)) {
        PQclear(r);
        return OUTBOUND_E_DB;
    }
    if (cancelled)
        *cancelled = (int)strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

/* ------------------------------------------------------------ the worker */

/* The message as step 1 read it. */
struct send_row {
    char kind[24], status[16], binding[80], channel[16];
    char address[256], phone[20], from[256];
    char *body;
    int64_t contact_id, created_us;
    bool has_phone, has_from;
};

static void set_status(struct db_conn *c, const char *tenant, int64_t id, const char *status,
                       const char *error_code, const char *provider_id, bool sent_now, int *rc)
{
    DB_STMT(upd,
            "UPDATE messages SET status = $3, error_code = COALESCE($4, error_code),"
            " provider_id = COALESCE($5, provider_id), status_at = $6::timestamptz,"
            " sent_at = CASE WHEN $7 = 't' THEN $6::timestamptz ELSE sent_at END,"
            " not_before = CASE WHEN $3 = 'held' THEN not_before ELSE NULL END"
            " WHERE tenant_id = $1 AND id = $2::bigint");
    char sid[24], now[32];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    clock_format_utc(clock_now_us(), now);
    const char *p[] = { tenant, sid, status, error_code, provider_id, now, sent_now ? "t" : "f" };
    PGresult *r = db_exec(c, &upd, 7, p);
    if (!db_ok(r))
        *rc = -1;
    PQclear(r);
}

/* A staff member's reply goes to the patient as written, but once its send
 * is settled (sent, failed, cancelled) the stored text is redacted like an
 * inbound message's: staff may write a patient's health details. */
static void settle_staff_body(struct db_conn *c, const char *tenant, int64_t id,
                              const struct send_row *row, int *rc)
{
    DB_STMT(upd, "UPDATE messages SET body = $3 WHERE tenant_id = $1 AND id = $2::bigint"
                 " AND body IS NOT NULL");
    if (*rc != 0 || strcmp(row->kind, "staff") != 0 || !row->body)
        return;
    char *stored = redact_message(row->body);
    if (!stored) {
        *rc = -1;
        return;
    }
    if (strcmp(stored, row->body) != 0) {
        char sid[24];
        snprintf(sid, sizeof sid, "%" PRId64, id);
        const char *p[] = { tenant, sid, stored };
        PGresult *r = db_exec(c, &upd, 3, p);
        if (!db_ok(r))
            *rc = -1;
        PQclear(r);
    }
    free(stored);
}

static int read_row(struct db_conn *c, const char *tenant, int64_t id, struct send_row *row)
{
    DB_STMT(sel,
            "SELECT m.kind, m.status, m.binding, m.body, m.contact_id,"
            " (extract(epoch FROM m.created_at) * 1000000)::bigint,"
            " k.channel, k.address, k.phone, v.clinic_address"
            " FROM messages m JOIN contacts k ON k.tenant_id = m.tenant_id AND k.id = m.contact_id"
            " JOIN conversations v ON v.tenant_id = m.tenant_id AND v.id = m.conversation_id"
            " WHERE m.tenant_id = $1 AND m.id = $2::bigint AND m.direction = 'out'"
            " FOR UPDATE OF m");
    char sid[24];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    const char *p[] = { tenant, sid };
    PGresult *r = db_exec(c, &sel, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    snprintf(row->kind, sizeof row->kind, "%s", PQgetvalue(r, 0, 0));
    snprintf(row->status, sizeof row->status, "%s", PQgetvalue(r, 0, 1));
    snprintf(row->binding, sizeof row->binding, "%s", PQgetvalue(r, 0, 2));
    row->body = strdup(PQgetisnull(r, 0, 3) ? "" : PQgetvalue(r, 0, 3));
    row->contact_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    row->created_us = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
    snprintf(row->channel, sizeof row->channel, "%s", PQgetvalue(r, 0, 6));
    snprintf(row->address, sizeof row->address, "%s", PQgetvalue(r, 0, 7));
    row->has_phone = !PQgetisnull(r, 0, 8);
    snprintf(row->phone, sizeof row->phone, "%s", PQgetvalue(r, 0, 8));
    row->has_from = !PQgetisnull(r, 0, 9);
    snprintf(row->from, sizeof row->from, "%s", PQgetvalue(r, 0, 9));
    PQclear(r);
    return row->body ? 1 : -1;
}

static void log_send(const char *tenant, int64_t id, const char *what, const char *reason)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    struct log_ctx lc = { tenant, NULL };
    const char *fields[] = { "message_id", sid, "outcome", what, "reason", reason ? reason : "",
                             NULL };
    log_write(LOG_INFO, &lc, fields, "outbound message %s", what);
}

enum step1 { STEP_DONE, STEP_SEND, STEP_RETRY };

/* Step 1 on its own connection and transaction. */
static enum step1 decide(struct daemon *d, const char *tenant, int64_t id, int attempt,
                         struct send_row *row, char *err, size_t errcap)
{
    struct db_conn *c = daemon_db(d);
    if (!c) {
        snprintf(err, errcap, "no database connection");
        return STEP_RETRY;
    }
    enum step1 out = STEP_RETRY;
    int rc = 0;
    if (db_begin(c) != 0)
        goto done;
    int found = read_row(c, tenant, id, row);
    if (found < 0)
        goto rollback;
    if (found == 0) {
        out = STEP_DONE;
        goto commit;
    }
    if (strcmp(row->status, "sending") == 0) {
        /* An attempt was interrupted after it was recorded: the provider
         * may have the message. Status callbacks settle it. */
        set_status(c, tenant, id, "uncertain", "interrupted", NULL, false, &rc);
        settle_staff_body(c, tenant, id, row, &rc);
        log_send(tenant, id, "uncertain", "interrupted");
        out = STEP_DONE;
        goto commit;
    }
    if (strcmp(row->status, "queued") != 0 && strcmp(row->status, "held") != 0) {
        settle_staff_body(c, tenant, id, row, &rc); /* cancelled by an opt-out, say */
        out = STEP_DONE;
        goto commit;
    }
    const struct tenant_config *t = config_tenant(&d->cfg, tenant);
    struct qh_policy policy;
    char why[160];
    if (!t || send_gate_policy_parse(t, &policy, why, sizeof why) != 0) {
        set_status(c, tenant, id, "failed", "no_tenant_policy", NULL, false, &rc);
        out = STEP_DONE;
        goto commit;
    }
    struct send_gate_input *in = calloc(1, sizeof *in);
    if (!in)
        goto rollback;
    *in = (struct send_gate_input){
        .tenant_id = tenant,
        .message_id = id,
        .contact_id = row->contact_id,
        .kind = row->kind,
        .channel = row->channel,
        .address = row->address,
        .phone = row->has_phone ? row->phone : NULL,
        .clinic_zone = t->timezone,
        .country = t->country,
        .created_us = row->created_us,
        .now_us = clock_now_us(),
    };
    struct send_gate_decision dec;
    int grc = send_gate_run(c, &policy, in, &dec);
    free(in);
    if (grc != 0) {
        snprintf(err, errcap, "send gate failed (%d)", grc);
        goto rollback;
    }
    if (dec.verdict == SEND_GATE_DROP) {
        set_status(c, tenant, id, "cancelled", dec.reason, NULL, false, &rc);
        settle_staff_body(c, tenant, id, row, &rc);
        log_send(tenant, id, "dropped", dec.reason);
        out = STEP_DONE;
    } else if (dec.verdict == SEND_GATE_HOLD) {
        DB_STMT(hold, "UPDATE messages SET status = 'held', not_before = $3::timestamptz,"
                      " error_code = $4 WHERE tenant_id = $1 AND id = $2::bigint");
        char sid[24], until[32];
        snprintf(sid, sizeof sid, "%" PRId64, id);
        clock_format_utc(dec.hold_until_us, until);
        const char *p[] = { tenant, sid, until, dec.reason };
        PGresult *r = db_exec(c, &hold, 4, p);
        if (!db_ok(r))
            rc = -1;
        PQclear(r);
        if (rc == 0 && enqueue_send(c, tenant, id, row->contact_id, attempt, dec.hold_until_us,
                                    true) != 0)
            rc = -1;
        log_send(tenant, id, "held", dec.reason);
        out = STEP_DONE;
    } else {
        /* CASL: a Canadian clinic's commercial text names it and says how
         * to unsubscribe; one that cannot carry that is not sent. */
        int frc = casl_gate_footer(c, tenant, t->country, t->name, id, row->kind, &row->body);
        if (frc == CASL_E_TOOLONG) {
            set_status(c, tenant, id, "cancelled", "casl_too_long", NULL, false, &rc);
            log_send(tenant, id, "dropped", "casl_too_long");
            out = STEP_DONE;
            goto commit;
        }
        if (frc != 0) {
            snprintf(err, errcap, "cannot add the CASL footer");
            goto rollback;
        }
        set_status(c, tenant, id, "sending", NULL, NULL, true, &rc);
        out = STEP_SEND;
    }
commit:
    if (rc != 0 || db_commit(c) != 0) {
        snprintf(err, errcap, "cannot record the send decision");
        out = STEP_RETRY;
        goto rollback;
    }
    goto done;
rollback:
    if (out != STEP_RETRY)
        out = STEP_RETRY;
    db_rollback(c);
done:
    daemon_db_release(d, c);
    return out;
}

/* message/1 for the row. */
static char *message_json(const struct send_row *row, int64_t id)
{
    cJSON *o = cJSON_CreateObject();
    char ref[24];
    snprintf(ref, sizeof ref, "%" PRId64, id);
    if (!o || !cJSON_AddStringToObject(o, "to", row->address) ||
        (row->has_from && !cJSON_AddStringToObject(o, "from", row->from)) ||
        !cJSON_AddStringToObject(o, "text", row->body) ||
        !cJSON_AddStringToObject(o, "reference", ref) ||
        /* A staff reply: channels with messaging windows treat it apart
         * (Instagram's HUMAN_AGENT tag; docs/ABI.md, channel payloads). */
        (strcmp(row->kind, "staff") == 0 && !cJSON_AddTrueToObject(o, "staff"))) {
        cJSON_Delete(o);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* Step 2: the channel's send op. Returns its code; *provider_id and
 * *status are filled on success. */
static int call_send(struct daemon *d, const char *tenant, int64_t id, const struct send_row *row,
                     struct bw_error *err, char *provider_id, size_t pidcap, char *status,
                     size_t stcap)
{
    struct registry_handle h;
    if (!d->registry || registry_acquire(d->registry, tenant, row->binding, &h) != 0) {
        snprintf(err->message, sizeof err->message, "no channel binding %s", row->binding);
        snprintf(err->provider_code, sizeof err->provider_code, "no_binding");
        return BW_E_CONFIG;
    }
    int rc = BW_E_NOTSUP;
    char *msg = message_json(row, id);
    struct bw_buf *out = plugin_buf_new(64 * 1024);
    if (!msg || !out) {
        rc = BW_E_NOMEM;
        goto done;
    }
    if (h.desc->kind != BW_KIND_CHANNEL)
        goto done;
    const struct bw_channel_ops *ops = h.desc->ops;
    if (!ops->send)
        goto done;
    struct bw_json j = { BW_SCHEMA_CHANNEL_MESSAGE, (const uint8_t *)msg, strlen(msg) };
    struct bw_call call;
    char rid[40];
    snprintf(rid, sizeof rid, "send-%" PRId64, id);
    registry_call_begin(&h, &call, rid, SEND_CALL_TIMEOUT_MS);
    rc = ops->send(h.instance, &call, &j, out, err);
    registry_call_end(&h, &call);
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(out, &len);
        cJSON *res = cJSON_ParseWithLength(text, (size_t)len);
        const cJSON *mid = cJSON_GetObjectItemCaseSensitive(res, "message_id");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
        if (cJSON_IsString(mid) && strlen(mid->valuestring) < pidcap && mid->valuestring[0])
            snprintf(provider_id, pidcap, "%s", mid->valuestring);
        /* "queued" at the provider is "sent" here: it left our outbox. */
        snprintf(status, stcap, "%s",
                 cJSON_IsString(st) && strcmp(st->valuestring, "delivered") == 0 ? "delivered"
                                                                                 : "sent");
        cJSON_Delete(res);
    }
done:
    free(msg);
    plugin_buf_free(out);
    registry_release(&h);
    return rc;
}

static int send_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *p = cJSON_Parse(job->payload);
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(p, "message_id");
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(p, "attempt");
    if (!cJSON_IsNumber(mid)) {
        cJSON_Delete(p);
        snprintf(res->error, sizeof res->error, "payload has no message_id");
        return JOB_PARK;
    }
    int64_t id = (int64_t)mid->valuedouble;
    int attempt = cJSON_IsNumber(att) ? att->valueint : 1;
    cJSON_Delete(p);

    struct send_row row = { .body = NULL };
    enum step1 s = decide(d, job->tenant_id, id, attempt, &row, res->error, sizeof res->error);
    if (s != STEP_SEND) {
        free(row.body);
        return s == STEP_DONE ? 0 : JOB_RETRY;
    }

    struct bw_error err = { .struct_size = sizeof err };
    char provider_id[129] = "", status[16] = "sent";
    bool requeued = false;
    int rc = call_send(d, job->tenant_id, id, &row, &err, provider_id, sizeof provider_id, status,
                       sizeof status);
    int db = 0;
    if (rc == 0) {
        set_status(c, job->tenant_id, id, status, NULL, provider_id[0] ? provider_id : NULL,
                   false, &db);
        log_send(job->tenant_id, id, "sent", NULL);
    } else if ((rc == BW_E_RETRY || rc == BW_E_TIMEOUT) && attempt < OUTBOUND_MAX_ATTEMPTS) {
        /* The provider did not take it: queue it again after a backoff. */
        int64_t wait_ms = err.retry_after_ms > 0 ? err.retry_after_ms
                                                 : jobs_backoff_ms(d->jobs, attempt);
        set_status(c, job->tenant_id, id, "queued", bw_strerror(rc), NULL, false, &db);
        requeued = true;
        if (db == 0 && enqueue_send(c, job->tenant_id, id, row.contact_id, attempt + 1,
                                    clock_now_us() + wait_ms * 1000, false) != 0)
            db = -1;
        log_send(job->tenant_id, id, "retrying", bw_strerror(rc));
    } else if (rc == BW_E_REMOTE) {
        set_status(c, job->tenant_id, id, "uncertain",
                   err.provider_code[0] ? err.provider_code : "remote", NULL, false, &db);
        log_send(job->tenant_id, id, "uncertain", err.provider_code);
    } else {
        const char *code = err.provider_code[0] ? err.provider_code : bw_strerror(rc);
        set_status(c, job->tenant_id, id, "failed", code, NULL, false, &db);
        if (db == 0 && strcmp(code, "21610") == 0 &&
            outbound_provider_opt_out(c, job->tenant_id, row.contact_id, row.address,
                                      row.channel, code) != 0)
            db = -1;
        log_send(job->tenant_id, id, "failed", code);
    }
    if (!requeued)
        settle_staff_body(c, job->tenant_id, id, &row, &db);
    free(row.body);
    if (db != 0) {
        /* The row stays "sending": the next attempt marks it uncertain. */
        snprintf(res->error, sizeof res->error, "cannot record the send result");
        return JOB_RETRY;
    }
    return 0;
}

int outbound_provider_opt_out(struct db_conn *tx, const char *tenant, int64_t contact_id,
                              const char *address, const char *channel, const char *code)
{
    char msg[96];
    snprintf(msg, sizeof msg, "provider error %s", code);
    struct consent_entry e = {
        .tenant_id = tenant,
        .contact = address,
        .source = CONSENT_SRC_PROVIDER,
        .scope = CONSENT_SCOPE_ALL,
        .channel = channel,
        .message = msg,
    };
    if (consent_opt_out(tx, &e, NULL, NULL) != 0)
        return -1;
    return outbound_cancel_pending(tx, tenant, contact_id, "opted_out", NULL);
}

int outbound_register(struct jobs *j, struct daemon *d)
{
    return jobs_register(j, OUTBOUND_SEND_KIND, send_job, d);
}
