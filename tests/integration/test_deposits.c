/*
 * Deposits on a real PostgreSQL with the real payment.square plugin (loaded
 * through the host's loader) against the Square simulator: a deposit and
 * its link job in one transaction, the link made once whatever the retries,
 * the link hook; the simulator's signed notifications (duplicated and out
 * of order) through the plugin's webhook op into deposits_on_payment_event:
 * paid exactly once, the paid hook once; refunds; a link Square refuses for
 * good, and one it cannot make now; the evidence trail verified, and
 * tampering detected; no card number stored anywhere.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bookwell/payment.h>

#include "clock.h"
#include "db.h"
#include "deposits.h"
#include "evidence.h"
#include "jobs.h"
#include "plugin_call.h"
#include "plugin_config.h"
#include "plugin_loader.h"
#include "support/daemon_proc.h"
#include "support/hook_catcher.h"
#include "support/sim_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct db_pool *pool;
static struct test_sim sim;
static struct plugin_set set;
static const struct plugin *plug;
static const struct bw_payment_ops *ops;
static void *state, *inst;
static struct plugin_config cfg;
static const struct bw_host *H;
static struct deposits *deps;
static int link_hooks, paid_hooks;
static struct deposit last_link, last_paid;

/* ---- the notifications Square posts --------------------------------------- */

static struct hook_catcher catcher;

/* ---- the payment caller and hooks --------------------------------------------- */

static void begin(struct bw_call *call)
{
    plugin_call_begin(call, "glow", plug->desc->id, "req");
    call->config = &cfg;
    call->pool = pool;
    call->base_url = sim.base_url;
}

static int link_create(void *ctx, const char *tenant, const char *binding, const char *req,
                       const char *key, struct bw_buf *out, struct bw_error *err)
{
    (void)ctx;
    cr_assert_str_eq(tenant, "glow");
    cr_assert_str_eq(binding, "payment");
    struct bw_json j = { BW_SCHEMA_PAYMENT_LINK_REQUEST, (const uint8_t *)req, strlen(req) };
    struct bw_call call;
    begin(&call);
    int rc = ops->link_create(inst, &call, &j, key, out, err);
    plugin_call_end(&call);
    return rc;
}

static int link_cancel(void *ctx, const char *tenant, const char *binding, const char *req,
                       struct bw_error *err)
{
    (void)ctx, (void)tenant, (void)binding;
    struct bw_json j = { BW_SCHEMA_PAYMENT_LINK_CANCEL, (const uint8_t *)req, strlen(req) };
    struct bw_call call;
    begin(&call);
    int rc = ops->link_cancel(inst, &call, &j, err);
    plugin_call_end(&call);
    return rc;
}

static int refund(void *ctx, const char *tenant, const char *binding, const char *req,
                  const char *key, struct bw_buf *out, struct bw_error *err)
{
    (void)ctx, (void)tenant, (void)binding;
    struct bw_json j = { BW_SCHEMA_PAYMENT_REFUND_REQUEST, (const uint8_t *)req, strlen(req) };
    struct bw_call call;
    begin(&call);
    int rc = ops->refund(inst, &call, &j, key, out, err);
    plugin_call_end(&call);
    return rc;
}

static int on_link(struct db_conn *tx, const struct deposit *d, void *ctx)
{
    (void)tx, (void)ctx;
    link_hooks++;
    last_link = *d;
    return 0;
}

static int on_paid(struct db_conn *tx, const struct deposit *d, void *ctx)
{
    (void)tx, (void)ctx;
    paid_hooks++;
    last_paid = *d;
    return 0;
}

/* ---- set-up ---------------------------------------------------------------------- */

static void setup(void)
{
    char err[512], path[1024];
    const char *b = getenv("BW_BUILDDIR");
    conninfo = testdb_create();
    cr_assert_eq(db_pool_open(&pool, conninfo, 2, 5000, err, sizeof err), 0, "%s", err);
    hook_catcher_start(&catcher, "/webhooks/square/payment", "x-square-hmacsha256-signature");
    const char *args[] = { "--notification-url", catcher.url, NULL };
    test_sim_start(&sim, "square", args);

    snprintf(path, sizeof path, "%s/plugins/payment.square-1.0.0.so", b ? b : ".");
    struct plugin_reject_info why;
    cr_assert_eq(plugin_loader_open(&set, path, BW_ABI_MINOR, &plug, &why), 0, "%s", why.reason);
    ops = plug->desc->ops;
    H = plugin_services();
    struct bw_call call;
    plugin_call_begin(&call, NULL, plug->desc->id, "init");
    cr_assert_eq(plug->desc->init(H, &call, &state), 0);
    plugin_call_end(&call);

    cfg.n = plug->desc->n_config;
    cfg.values = calloc(cfg.n, sizeof *cfg.values);
    for (uint32_t i = 0; i < cfg.n; i++) {
        const struct bw_config_field *f = plugin_schema_field(plug->desc, i);
        const char *v = f->default_value;
        if (strcmp(f->key, "access_token") == 0)
            v = "sq-test-token";
        else if (strcmp(f->key, "signature_key") == 0)
            v = "sq-test-signature-key";
        else if (strcmp(f->key, "location_id") == 0)
            v = "LSIMLOCATION1";
        else if (strcmp(f->key, "merchant_id") == 0)
            v = "MLSIMMERCHANT1";
        else if (strcmp(f->key, "notification_url") == 0)
            v = catcher.url;
        cfg.values[i].field = f;
        cfg.values[i].set = v != NULL;
        cfg.values[i].text = v ? strdup(v) : NULL;
    }
    struct bw_error e = { .struct_size = sizeof e };
    plugin_call_begin(&call, "glow", plug->desc->id, "open");
    call.config = &cfg;
    cr_assert_eq(plug->desc->instance_open(H, state, &call, &inst, &e), 0, "%s", e.message);
    plugin_call_end(&call);

    struct deposits_payment pay = { link_create, link_cancel, refund, NULL };
    struct deposits_hooks hk = { on_link, on_paid, NULL };
    deps = deposits_create(&pay, &hk);
    cr_assert_not_null(deps);
    clock_use_simulated(1795000000LL * 1000000); /* 2026-11-18 */
}

static void teardown(void)
{
    deposits_destroy(deps);
    plug->desc->instance_close(state, inst);
    plugin_config_free(&cfg);
    plugin_set_close(&set);
    test_sim_stop(&sim);
    hook_catcher_stop(&catcher);
    db_pool_close(pool);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(deposits, .init = setup, .fini = teardown, .timeout = 90);

/* ---- helpers ------------------------------------------------------------------------ */

static struct db_conn *tx_begin(void)
{
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_not_null(c);
    cr_assert_eq(db_begin(c), 0);
    return c;
}

static void tx_commit(struct db_conn *c)
{
    cr_assert_eq(db_commit(c), 0);
    db_release(pool, c);
}

static int64_t create(const char *hold, int64_t amount)
{
    struct deposit_request rq = {
        .tenant_id = "glow",
        .hold_ref = hold,
        .amount_minor = amount,
        .currency = "USD",
        .expires_at_us = clock_now_us() + 15LL * 60 * 1000000,
        .redirect_url = "https://glow.example/thanks",
        .policy_text = "Deposits are applied to your treatment.",
        .policy_version = "2026-11-01",
    };
    int64_t id = 0;
    struct db_conn *c = tx_begin();
    cr_assert_eq(deposits_create_link(c, &rq, &id), 0);
    tx_commit(c);
    return id;
}

static int run_link(int64_t id, char *error, size_t cap, int64_t *retry_after)
{
    struct db_conn *c = tx_begin();
    int rc = deposits_link_run(deps, c, "glow", id, error, cap, retry_after);
    if (rc == 0)
        tx_commit(c);
    else {
        db_rollback(c);
        db_release(pool, c);
    }
    return rc;
}

static struct deposit get(int64_t id)
{
    struct deposit d;
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(deposits_get(c, "glow", id, &d), 1);
    db_release(pool, c);
    return d;
}

static long scalar(const char *sql)
{
    PGconn *pg = testdb_connect(conninfo);
    long v = testdb_scalar(pg, sql);
    PQfinish(pg);
    return v;
}

static long sim_post(const char *path, const char *body)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", sim.port, path, NULL, body ? body : "",
                           body ? strlen(body) : 0, &r),
                 0);
    long st = r.status;
    test_http_resp_free(&r);
    return st;
}

/* Hands notification i to the plugin's webhook op and each event it gives
 * to deposits_on_payment_event; counts the outcomes. */
static void deliver(int i, int counts[8])
{
    struct bw_http_header h[] = {
        { { "x-square-hmacsha256-signature", 29 }, { catcher.hooks[i].sig, strlen(catcher.hooks[i].sig) } },
    };
    struct bw_webhook_request req = { .struct_size = sizeof req, .method = "POST",
                                      .url = "http://bookwell.example/ignored",
                                      .headers = h, .n_headers = 1,
                                      .body = { (const uint8_t *)catcher.hooks[i].body, catcher.hooks[i].len } };
    struct bw_buf *rb = plugin_buf_new(0), *ev = plugin_buf_new(0);
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200, .body = rb };
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    begin(&call);
    cr_assert_eq(ops->webhook(inst, &call, &req, &reply, ev, &err), 0, "%s", err.message);
    plugin_call_end(&call);
    cJSON *doc = cJSON_Parse(plugin_buf_data(ev, NULL)), *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "events"))
    {
        enum deposit_outcome o;
        struct db_conn *c = tx_begin();
        cr_assert_eq(deposits_on_payment_event(deps, c, "glow", e, &o), 0);
        tx_commit(c);
        counts[o]++;
    }
    cJSON_Delete(doc);
    plugin_buf_free(rb);
    plugin_buf_free(ev);
}

/* ---- tests ------------------------------------------------------------------------------ */

Test(deposits, link_pay_once_refund_and_evidence)
{
    int64_t id = create("hold-1001", 5000);
    struct deposit d = get(id);
    char key[64];
    snprintf(key, sizeof key, "bw-dep-%" PRId64 "-link", id);
    cr_expect_str_eq(d.status, "created");
    cr_expect_str_eq(d.idempotency_key, key);
    cr_expect_eq(d.link_url[0], 0);
    cr_expect_eq(scalar("SELECT count(*) FROM jobs WHERE kind = 'deposits.link'"), 1,
                 "the link job was enqueued with the deposit");

    char error[256] = "";
    int64_t ra = 0;
    cr_assert_eq(run_link(id, error, sizeof error, &ra), 0, "%s", error);
    d = get(id);
    cr_assert_neq(d.link_url[0], 0);
    cr_expect_neq(d.order_id[0], 0);
    cr_expect_eq(link_hooks, 1);
    cr_expect_str_eq(last_link.link_url, d.link_url);
    /* A second run (a retried job) makes no second link and tells no one twice. */
    cr_assert_eq(run_link(id, error, sizeof error, &ra), 0);
    cr_expect_eq(link_hooks, 1);

    /* The patient pays; Square's notifications come twice each, updated first. */
    char path[256];
    snprintf(path, sizeof path, "/_sim/pay?link=%s&duplicate=1&order=reversed", d.link_id);
    cr_assert_eq(sim_post(path, NULL), 200);
    hook_catcher_wait(&catcher, 4);
    int counts[8] = { 0 };
    for (int i = 0; i < 4; i++)
        deliver(i, counts);
    cr_expect_eq(counts[DEPOSIT_PAID], 1, "paid exactly once");
    cr_expect_eq(counts[DEPOSIT_DUPLICATE], 1, "the repeated payment.updated changed nothing");
    cr_expect_eq(paid_hooks, 1, "the booking writer is asked once");
    d = get(id);
    cr_expect_str_eq(d.status, "paid");
    cr_expect_neq(d.payment_id[0], 0);
    cr_expect_str_eq(last_paid.payment_id, d.payment_id);

    /* Another event saying paid (a resend under a new id) changes nothing. */
    char ev[512];
    snprintf(ev, sizeof ev,
             "{\"id\":\"ev-other\",\"type\":\"paid\",\"link_id\":\"%s\",\"reference\":\"\","
             "\"payment_id\":\"%s\",\"amount_minor\":5000,\"currency\":\"USD\"}",
             d.link_id, d.payment_id);
    cJSON *e = cJSON_Parse(ev);
    enum deposit_outcome o;
    struct db_conn *c = tx_begin();
    cr_assert_eq(deposits_on_payment_event(deps, c, "glow", e, &o), 0);
    tx_commit(c);
    cJSON_Delete(e);
    cr_expect_eq(o, DEPOSIT_ALREADY);
    cr_expect_eq(paid_hooks, 1);

    /* Refund through the plugin; Square's refund notifications mark it refunded. */
    char rq[256];
    int n = snprintf(rq, sizeof rq,
                     "{\"payment_id\":\"%s\",\"amount_minor\":5000,\"currency\":\"USD\"}",
                     d.payment_id);
    struct bw_json j = { BW_SCHEMA_PAYMENT_REFUND_REQUEST, (const uint8_t *)rq, (uint64_t)n };
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    begin(&call);
    cr_assert_eq(ops->refund(inst, &call, &j, "bw-dep-refund", out, &err), 0, "%s",
                 err.message);
    plugin_call_end(&call);
    plugin_buf_free(out);
    hook_catcher_wait(&catcher, 6);
    memset(counts, 0, sizeof counts);
    deliver(4, counts);
    deliver(5, counts);
    cr_expect_eq(counts[DEPOSIT_REFUNDED], 1);
    cr_expect_str_eq(get(id).status, "refunded");

    /* The trail: offered, link, every payment event; the chain holds. */
    struct evidence_report rep;
    c = db_acquire(pool, 5000);
    cr_assert_eq(evidence_verify(c, "glow", "hold-1001", &rep), 0);
    db_release(pool, c);
    cr_expect_geq(rep.entries, 5);
    cr_expect_eq(rep.first_bad, 0, "%s", rep.reason);
}

Test(deposits, evidence_is_append_only_and_tampering_is_detected)
{
    int64_t id = create("hold-2001", 10000);
    char error[256];
    int64_t ra;
    cr_assert_eq(run_link(id, error, sizeof error, &ra), 0, "%s", error);
    PGconn *pg = testdb_connect(conninfo);
    PGresult *r = PQexec(pg, "UPDATE evidence SET body = body WHERE subject = 'hold-2001'");
    cr_expect_neq(PQresultStatus(r), PGRES_COMMAND_OK, "UPDATE is refused");
    PQclear(r);
    r = PQexec(pg, "DELETE FROM evidence WHERE subject = 'hold-2001' AND seq = 2");
    cr_expect_neq(PQresultStatus(r), PGRES_COMMAND_OK, "DELETE is refused");
    PQclear(r);

    struct evidence_report rep;
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_eq(evidence_verify(c, "glow", "hold-2001", &rep), 0);
    cr_assert_eq(rep.entries, 2);
    cr_assert_eq(rep.first_bad, 0, "%s", rep.reason);

    /* Someone with the owner's rights goes around the triggers. */
    testdb_exec(pg, "ALTER TABLE evidence DISABLE TRIGGER USER");
    testdb_exec(pg, "UPDATE evidence SET body = replace(body, '10000', '1000')"
                    " WHERE subject = 'hold-2001' AND seq = 1");
    cr_assert_eq(evidence_verify(c, "glow", "hold-2001", &rep), 0);
    cr_expect_eq(rep.first_bad, 1, "the changed amount is found");
    /* Recomputing that entry's hash does not help: the next entry's link breaks. */
    testdb_exec(pg, "UPDATE evidence SET hash = repeat('a', 64)"
                    " WHERE subject = 'hold-2001' AND seq = 1");
    cr_assert_eq(evidence_verify(c, "glow", "hold-2001", &rep), 0);
    cr_expect_eq(rep.first_bad, 1);
    testdb_exec(pg, "DELETE FROM evidence WHERE subject = 'hold-2001' AND seq = 1");
    cr_assert_eq(evidence_verify(c, "glow", "hold-2001", &rep), 0);
    cr_expect_eq(rep.first_bad, 1, "a removed entry is found");
    cr_expect_str_eq(rep.reason, "an entry is missing before this one");
    testdb_exec(pg, "ALTER TABLE evidence ENABLE TRIGGER USER");
    db_release(pool, c);
    PQfinish(pg);
}

Test(deposits, refused_and_unavailable_links)
{
    char error[256] = "";
    int64_t ra = 0;
    /* Square is down: the job retries, nothing is stored or announced. */
    int64_t id = create("hold-3001", 5000);
    cr_assert_eq(sim_post("/_sim/fail?status=503&count=1", NULL), 200);
    cr_expect_eq(run_link(id, error, sizeof error, &ra), JOB_RETRY);
    cr_expect_not_null(strstr(error, "BW_E_RETRY"), "%s", error);
    cr_expect_str_eq(get(id).status, "created");
    cr_expect_eq(link_hooks, 0);
    cr_assert_eq(sim_post("/_sim/fail?status=429&count=1", NULL), 200);
    cr_expect_eq(run_link(id, error, sizeof error, &ra), JOB_RETRY);
    cr_expect_eq(ra, 1000, "Square's Retry-After is the next delay");
    cr_expect_eq(run_link(id, error, sizeof error, &ra), 0, "%s", error);
    cr_expect_eq(link_hooks, 1);

    /* Square refuses the request for good: the deposit fails, whoever asked is told. */
    int64_t id2 = create("hold-3002", 5000);
    cr_assert_eq(sim_post("/_sim/fail?status=400&count=1&code=INVALID_LOCATION", NULL), 200);
    cr_expect_eq(run_link(id2, error, sizeof error, &ra), 0);
    struct deposit d = get(id2);
    cr_expect_str_eq(d.status, "failed");
    cr_expect_str_eq(d.error_code, "INVALID_LOCATION");
    cr_expect_eq(link_hooks, 2);
    cr_expect_str_eq(last_link.status, "failed");
}

Test(deposits, unknown_and_malformed_events_and_the_hosted_page)
{
    enum deposit_outcome o;
    cJSON *e = cJSON_Parse("{\"id\":\"ev-x\",\"type\":\"paid\",\"link_id\":\"NOPE\","
                           "\"reference\":\"dep_999999\",\"amount_minor\":5000,"
                           "\"currency\":\"USD\"}");
    struct db_conn *c = tx_begin();
    cr_assert_eq(deposits_on_payment_event(deps, c, "glow", e, &o), 0);
    cr_expect_eq(o, DEPOSIT_UNKNOWN);
    tx_commit(c);
    cJSON_Delete(e);
    e = cJSON_Parse("{\"type\":\"paid\"}");
    c = tx_begin();
    cr_expect_eq(deposits_on_payment_event(deps, c, "glow", e, &o), -1, "no event id");
    db_rollback(c);
    db_release(pool, c);
    cJSON_Delete(e);

    /* Paying less than the deposit does not pay it. */
    int64_t id = create("hold-4001", 5000);
    char error[256];
    int64_t ra;
    cr_assert_eq(run_link(id, error, sizeof error, &ra), 0, "%s", error);
    struct deposit d = get(id);
    char ev[512];
    snprintf(ev, sizeof ev,
             "{\"id\":\"ev-short\",\"type\":\"paid\",\"link_id\":\"%s\",\"payment_id\":\"P\","
             "\"amount_minor\":100,\"currency\":\"USD\"}",
             d.link_id);
    e = cJSON_Parse(ev);
    c = tx_begin();
    cr_assert_eq(deposits_on_payment_event(deps, c, "glow", e, &o), 0);
    tx_commit(c);
    cJSON_Delete(e);
    cr_expect_eq(o, DEPOSIT_MISMATCH);
    cr_expect_str_eq(get(id).status, "created");

    /* The patient types a card number on Square's page: it goes to Square,
     * and nothing of it reaches any table of ours. */
    char path[600];
    snprintf(path, sizeof path, "/checkout/%s", d.link_id);
    sim_post(path, "card=4111111111111111&cvv=123");
    hook_catcher_wait(&catcher, 2);
    int counts[8] = { 0 };
    for (int i = 0; i < hook_catcher_count(&catcher); i++)
        deliver(i, counts);
    cr_expect_eq(counts[DEPOSIT_PAID], 1, "referenced by the link's order");
    cr_expect_str_eq(get(id).status, "paid");
    cr_expect_eq(scalar("SELECT count(*) FROM deposits d, deposit_events e, evidence v, plugin_kv k"
                        " WHERE d::text LIKE '%4111%' OR e::text LIKE '%4111%'"
                        " OR v::text LIKE '%4111%' OR encode(k.value, 'escape') LIKE '%4111%'"),
                 0);
}

static cJSON *sim_state(void)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", sim.port, "/_sim/state", NULL, NULL, 0, &r), 0);
    cJSON *j = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    cr_assert_not_null(j);
    return j;
}

Test(deposits, expiry_deletes_the_link_and_refunds_go_through_a_job)
{
    char error[256] = "";
    int64_t ra = 0;
    int64_t id = create("hold-5001", 5000);
    cr_assert_eq(run_link(id, error, sizeof error, &ra), 0, "%s", error);

    /* The slot went to someone else: the deposit expires, the link goes. */
    struct db_conn *c = tx_begin();
    cr_assert_eq(deposits_expire(c, "glow", id), 0);
    tx_commit(c);
    c = tx_begin();
    cr_expect_eq(deposits_expire(c, "glow", id), 1, "only an unpaid deposit expires");
    tx_commit(c);
    cr_expect_str_eq(get(id).status, "expired");
    cr_expect_eq(scalar("SELECT count(*) FROM jobs WHERE kind = 'deposits.cancel'"), 1);
    c = tx_begin();
    cr_assert_eq(deposits_cancel_run(deps, c, "glow", id, error, sizeof error, &ra), 0, "%s",
                 error);
    tx_commit(c);
    cJSON *st = sim_state();
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "links")), 0, "the link is deleted");
    cJSON_Delete(st);

    /* A paid deposit is refunded through its job, once. */
    int64_t id2 = create("hold-5002", 5000);
    cr_assert_eq(run_link(id2, error, sizeof error, &ra), 0, "%s", error);
    char path[256];
    snprintf(path, sizeof path, "/_sim/pay?link=%s", get(id2).link_id);
    cr_assert_eq(sim_post(path, NULL), 200);
    hook_catcher_wait(&catcher, 2);
    int counts[8] = { 0 };
    deliver(0, counts);
    deliver(1, counts);
    cr_assert_str_eq(get(id2).status, "paid");
    c = tx_begin();
    cr_expect_eq(deposits_refund(c, "glow", id, "x"), 1, "an expired deposit has nothing to refund");
    cr_assert_eq(deposits_refund(c, "glow", id2, "clinic cancelled"), 0);
    cr_assert_eq(deposits_refund(c, "glow", id2, "clinic cancelled"), 0, "asked twice: one job");
    tx_commit(c);
    cr_expect_eq(scalar("SELECT count(*) FROM jobs WHERE kind = 'deposits.refund'"), 1);
    for (int i = 0; i < 2; i++) {
        c = tx_begin();
        cr_assert_eq(deposits_refund_run(deps, c, "glow", id2, "clinic cancelled", error,
                                         sizeof error, &ra),
                     0, "%s", error);
        tx_commit(c);
    }
    st = sim_state();
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "refunds")), 1,
                 "the idempotency key makes a rerun harmless");
    cJSON_Delete(st);
    hook_catcher_wait(&catcher, 4);
    memset(counts, 0, sizeof counts);
    deliver(2, counts);
    deliver(3, counts);
    cr_expect_eq(counts[DEPOSIT_REFUNDED], 1);
    cr_expect_str_eq(get(id2).status, "refunded");

    struct evidence_report rep;
    c = db_acquire(pool, 5000);
    cr_assert_eq(evidence_verify(c, "glow", "hold-5002", &rep), 0);
    db_release(pool, c);
    cr_expect_eq(rep.first_bad, 0);
    cr_expect_eq(scalar("SELECT count(*) FROM evidence WHERE subject = 'hold-5002'"
                        " AND kind = 'deposit.refund_sent'"),
                 2);
    cr_expect_eq(scalar("SELECT count(DISTINCT body) FROM evidence WHERE subject = 'hold-5002'"
                        " AND kind = 'deposit.refund_sent'"),
                 1, "both runs got the same refund back");
    /* Once refunded, a rerun sends nothing. */
    c = tx_begin();
    cr_assert_eq(deposits_refund_run(deps, c, "glow", id2, NULL, error, sizeof error, &ra), 0);
    tx_commit(c);
    cr_expect_eq(scalar("SELECT count(*) FROM evidence WHERE subject = 'hold-5002'"
                        " AND kind = 'deposit.refund_sent'"),
                 2);
}
