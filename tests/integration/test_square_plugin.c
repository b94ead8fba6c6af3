/*
 * payment.square loaded as the daemon loads it (the built
 * plugins/payment.square-1.0.0.so through the host's loader, the host's
 * services table, its key-value storage on a real PostgreSQL) and talking
 * to the Square simulator (tests/sim/square_sim.py) through the
 * per-instance base URL override: links (idempotent replay, cancel), a
 * payment whose signed notifications the test receives on its own HTTP
 * listener and hands to the webhook op, refunds, routing keys, and
 * Square's errors and injected faults mapped to BW_E_* codes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bookwell/payment.h>
#include <cjson/cJSON.h>

#include "db.h"
#include "plugin_call.h"
#include "plugin_config.h"
#include "plugin_loader.h"
#include "support/daemon_proc.h"
#include "support/hook_catcher.h"
#include "support/sim_proc.h"
#include "support/testdb.h"

#define TOKEN "sq-test-token"
#define SIGKEY "sq-test-signature-key"
#define MERCHANT "MLSIMMERCHANT1"
#define LOCATION "LSIMLOCATION1"

static char *conninfo;
static struct db_pool *pool;
static struct test_sim sim;
static struct plugin_set set;
static const struct plugin *plug;
static const struct bw_payment_ops *ops;
static void *state, *inst;
static struct plugin_config cfg;
static const struct bw_host *H;

/* ---- a listener that keeps the notifications Square posts ---------------- */

static struct hook_catcher catcher;

/* ---- set-up --------------------------------------------------------------- */

static void set_value(struct plugin_config_value *v, const char *text)
{
    v->set = text != NULL;
    if (text)
        v->text = strdup(text);
}

static void open_instance(const char *token)
{
    const struct bw_plugin_descriptor *d = plug->desc;
    cfg.n = d->n_config;
    cfg.values = calloc(cfg.n, sizeof *cfg.values);
    cr_assert_not_null(cfg.values);
    for (uint32_t i = 0; i < cfg.n; i++) {
        const struct bw_config_field *f = plugin_schema_field(d, i);
        struct plugin_config_value *v = &cfg.values[i];
        v->field = f;
        if (strcmp(f->key, "access_token") == 0)
            set_value(v, token);
        else if (strcmp(f->key, "signature_key") == 0)
            set_value(v, SIGKEY);
        else if (strcmp(f->key, "location_id") == 0)
            set_value(v, LOCATION);
        else if (strcmp(f->key, "merchant_id") == 0)
            set_value(v, MERCHANT);
        else
            set_value(v, f->default_value);
    }
    struct bw_call call;
    struct bw_error err = { .struct_size = sizeof err };
    plugin_call_begin(&call, "glow", d->id, "open");
    call.config = &cfg;
    call.pool = pool;
    cr_assert_eq(d->instance_open(H, state, &call, &inst, &err), 0, "%s", err.message);
    plugin_call_end(&call);
}

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
    cr_assert_eq(plugin_loader_open(&set, path, BW_ABI_MINOR, &plug, &why), 0, "%s: %s", path,
                 why.reason);
    cr_assert_str_eq(plug->desc->id, "payment.square");
    ops = plug->desc->ops;
    H = plugin_services();
    struct bw_call call;
    plugin_call_begin(&call, NULL, plug->desc->id, "init");
    cr_assert_eq(plug->desc->init(H, &call, &state), 0);
    plugin_call_end(&call);
    open_instance(TOKEN);
}

static void teardown(void)
{
    if (inst)
        plug->desc->instance_close(state, inst);
    if (plug->desc->fini)
        plug->desc->fini(state);
    plugin_config_free(&cfg);
    plugin_set_close(&set);
    test_sim_stop(&sim);
    hook_catcher_stop(&catcher);
    db_pool_close(pool);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(square_plugin, .init = setup, .fini = teardown, .timeout = 60);

/* A call on the instance, its outbound requests redirected to the
 * simulator although the configured origin is Square's own. */
static void begin(struct bw_call *call)
{
    plugin_call_begin(call, "glow", plug->desc->id, "req");
    call->config = &cfg;
    call->pool = pool;
    call->base_url = sim.base_url;
    call->deadline_mono_ms = 0;
}

static struct bw_error new_err(void)
{
    struct bw_error e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    return e;
}

static int create_link(const char *reference, int64_t amount, const char *key, cJSON **out,
                       struct bw_error *err)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "{\"amount_minor\":%lld,\"currency\":\"USD\",\"reference\":\"%s\","
                     "\"description\":\"Botox\",\"expires_at\":\"2026-11-25T00:00:00Z\","
                     "\"redirect_url\":\"https://glow.example/thanks\"}",
                     (long long)amount, reference);
    struct bw_json j = { BW_SCHEMA_PAYMENT_LINK_REQUEST, (const uint8_t *)req, (uint64_t)n };
    struct bw_buf *buf = plugin_buf_new(0);
    struct bw_call call;
    begin(&call);
    int rc = ops->link_create(inst, &call, &j, key, buf, err);
    plugin_call_end(&call);
    *out = rc == 0 ? cJSON_Parse(plugin_buf_data(buf, NULL)) : NULL;
    plugin_buf_free(buf);
    return rc;
}

static cJSON *sim_get(const char *path)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", sim.port, path, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    cr_assert_not_null(j);
    return j;
}

static long sim_post(const char *path)
{
    struct test_http_resp r;
    cr_assert_eq(test_http("POST", sim.port, path, NULL, "", 0, &r), 0);
    long st = r.status;
    test_http_resp_free(&r);
    return st;
}

static int webhook(const char *body, size_t len, const char *sig, const char *url, cJSON **events,
                   struct bw_error *err)
{
    struct bw_http_header h[] = {
        { { "Content-Type", 12 }, { "application/json", 16 } },
        { { "X-Square-HmacSha256-Signature", 29 }, { sig, strlen(sig) } },
    };
    struct bw_webhook_request req = { .struct_size = sizeof req, .method = "POST", .url = url,
                                      .headers = h, .n_headers = 2,
                                      .body = { (const uint8_t *)body, len },
                                      .remote_addr = "127.0.0.1" };
    struct bw_buf *rb = plugin_buf_new(0), *ev = plugin_buf_new(0);
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200, .body = rb };
    struct bw_call call;
    begin(&call);
    int rc = ops->webhook(inst, &call, &req, &reply, ev, err);
    plugin_call_end(&call);
    *events = rc == 0 ? cJSON_Parse(plugin_buf_data(ev, NULL)) : NULL;
    plugin_buf_free(rb);
    plugin_buf_free(ev);
    return rc;
}

static const char *str(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(j, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- tests ------------------------------------------------------------------ */

Test(square_plugin, link_pay_webhook_refund_cancel)
{
    struct bw_error err = new_err();
    cJSON *link = NULL, *again = NULL;
    cr_assert_eq(create_link("dep-101", 5000, "dep-101-link", &link, &err), 0, "%s %s",
                 bw_strerror(err.code), err.message);
    const char *link_id = str(link, "id");
    cr_assert_neq(link_id[0], 0);
    cr_expect_not_null(strstr(str(link, "url"), "/checkout/"));
    cr_expect_neq(str(link, "order_id")[0], 0);
    cr_expect_str_eq(str(link, "expires_at"), "2026-11-25T00:00:00Z");

    /* The same idempotency key gives the same link, not a second one. */
    err = new_err();
    cr_assert_eq(create_link("dep-101", 5000, "dep-101-link", &again, &err), 0);
    cr_expect_str_eq(str(again, "id"), link_id);
    cJSON *st = sim_get("/_sim/state");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "links")), 1);
    cJSON *req0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "requests"), 0);
    cr_expect_str_eq(str(req0, "square_version"), "2024-06-04");
    cJSON *sent = cJSON_Parse(str(req0, "body"));
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(sent, "quick_pay"), "name")
                         ->valuestring,
                     "Appointment deposit");
    cr_expect_null(strstr(str(req0, "body"), "Botox"), "no treatment name goes to Square");
    cJSON_Delete(sent);
    cJSON_Delete(st);

    /* The patient pays; Square posts payment.created (APPROVED) and
     * payment.updated (COMPLETED), both signed. */
    char path[256];
    snprintf(path, sizeof path, "/_sim/pay?link=%s", link_id);
    cr_assert_eq(sim_post(path), 200);
    for (int i = 0; i < 100 && catcher.n < 2; i++)
        usleep(20000);
    cr_assert_geq(catcher.n, 2);
    int paid = 0;
    char payment_id[128] = "";
    for (int i = 0; i < 2; i++) {
        cJSON *ev = NULL;
        err = new_err();
        cr_assert_eq(webhook(catcher.hooks[i].body, catcher.hooks[i].len, catcher.hooks[i].sig, catcher.url, &ev,
                             &err),
                     0, "%s", err.message);
        cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(ev, "events"))
        {
            cr_expect_str_eq(str(e, "type"), "paid");
            cr_expect_str_eq(str(e, "reference"), "dep-101");
            cr_expect_str_eq(str(e, "link_id"), link_id);
            cr_expect_eq(cJSON_GetObjectItem(e, "amount_minor")->valuedouble, 5000);
            snprintf(payment_id, sizeof payment_id, "%s", str(e, "payment_id"));
            paid++;
        }
        cJSON_Delete(ev);
    }
    cr_expect_eq(paid, 1, "only the COMPLETED notification pays");

    /* Signed for another URL, or altered: refused. */
    cJSON *ev = NULL;
    err = new_err();
    cr_expect_eq(webhook(catcher.hooks[1].body, catcher.hooks[1].len, catcher.hooks[1].sig,
                         "https://elsewhere.example/webhooks/square/payment", &ev, &err),
                 BW_E_AUTH);
    err = new_err();
    cr_expect_eq(webhook(catcher.hooks[1].body, catcher.hooks[1].len - 1, catcher.hooks[1].sig, catcher.url, &ev,
                         &err),
                 BW_E_AUTH);

    /* Refund, with an idempotency key. */
    char rq[256];
    int n = snprintf(rq, sizeof rq,
                     "{\"payment_id\":\"%s\",\"amount_minor\":5000,\"currency\":\"USD\","
                     "\"reason\":\"clinic cancelled\"}",
                     payment_id);
    struct bw_json j = { BW_SCHEMA_PAYMENT_REFUND_REQUEST, (const uint8_t *)rq, (uint64_t)n };
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_call call;
    begin(&call);
    err = new_err();
    cr_assert_eq(ops->refund(inst, &call, &j, "dep-101-refund", out, &err), 0, "%s",
                 err.message);
    plugin_call_end(&call);
    cJSON *refund = cJSON_Parse(plugin_buf_data(out, NULL));
    cr_expect_str_eq(str(refund, "status"), "pending");
    cr_expect_neq(str(refund, "id")[0], 0);
    cJSON_Delete(refund);
    plugin_buf_free(out);

    /* Cancel: once, and again (already gone) succeeds too. */
    char cq[128];
    n = snprintf(cq, sizeof cq, "{\"link_id\":\"%s\"}", link_id);
    struct bw_json cj = { BW_SCHEMA_PAYMENT_LINK_CANCEL, (const uint8_t *)cq, (uint64_t)n };
    for (int i = 0; i < 2; i++) {
        begin(&call);
        err = new_err();
        cr_expect_eq(ops->link_cancel(inst, &call, &cj, &err), 0, "cancel %d: %s", i,
                     err.message);
        plugin_call_end(&call);
    }
    cJSON_Delete(link);
    cJSON_Delete(again);
}

Test(square_plugin, errors_and_faults_map_to_codes)
{
    struct bw_error err = new_err();
    cJSON *link = NULL;
    cr_assert_eq(sim_post("/_sim/fail?status=503&count=1"), 200);
    cr_expect_eq(create_link("dep-201", 5000, "dep-201-link", &link, &err), BW_E_RETRY);
    cr_expect_eq(err.http_status, 503);
    cr_assert_eq(sim_post("/_sim/fail?status=429&count=1"), 200);
    err = new_err();
    cr_expect_eq(create_link("dep-201", 5000, "dep-201-link", &link, &err), BW_E_RETRY);
    cr_expect_eq(err.retry_after_ms, 1000);
    cr_expect_str_eq(err.provider_code, "RATE_LIMITED");
    /* After the faults, the same key succeeds. */
    err = new_err();
    cr_expect_eq(create_link("dep-201", 5000, "dep-201-link", &link, &err), 0);
    cJSON_Delete(link);
    link = NULL;
    /* The same key with another amount: Square refuses the reuse. */
    err = new_err();
    cr_expect_eq(create_link("dep-201", 7000, "dep-201-link", &link, &err), BW_E_INVAL);
    cr_expect_str_eq(err.provider_code, "IDEMPOTENCY_KEY_REUSED");
    /* A refund of a payment that does not exist. */
    const char *rq = "{\"payment_id\":\"NOPE\",\"amount_minor\":100,\"currency\":\"USD\"}";
    struct bw_json j = { BW_SCHEMA_PAYMENT_REFUND_REQUEST, (const uint8_t *)rq, strlen(rq) };
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_call call;
    begin(&call);
    err = new_err();
    cr_expect_eq(ops->refund(inst, &call, &j, "nope-refund", out, &err), BW_E_REMOTE);
    cr_expect_str_eq(err.provider_code, "NOT_FOUND");
    plugin_call_end(&call);
    plugin_buf_free(out);
}

Test(square_plugin, refused_token_is_auth)
{
    /* A second instance of the binding with a token Square refuses. */
    void *good = inst;
    struct plugin_config keep = cfg;
    memset(&cfg, 0, sizeof cfg);
    inst = NULL;
    open_instance("revoked-token");
    struct bw_error err = new_err();
    cJSON *link = NULL;
    cr_expect_eq(create_link("dep-301", 5000, "dep-301-link", &link, &err), BW_E_AUTH);
    cr_expect_str_eq(err.provider_code, "UNAUTHORIZED");
    plug->desc->instance_close(state, inst);
    plugin_config_free(&cfg);
    cfg = keep;
    inst = good;
}

Test(square_plugin, routing_keys_and_webhook_route)
{
    struct bw_buf *out = plugin_buf_new(0);
    struct bw_call call;
    struct bw_error err = new_err();
    begin(&call);
    cr_assert_not_null(ops->route_keys);
    cr_assert_eq(ops->route_keys(inst, &call, out, &err), 0);
    plugin_call_end(&call);
    cJSON *keys = cJSON_Parse(plugin_buf_data(out, NULL));
    cJSON *k0 = cJSON_GetArrayItem(cJSON_GetObjectItem(keys, "keys"), 0);
    cr_expect_str_eq(str(k0, "type"), "account");
    cr_expect_str_eq(str(k0, "value"), MERCHANT);
    cJSON_Delete(keys);
    plugin_buf_reset(out);

    const char *body = "{\"merchant_id\":\"" MERCHANT "\",\"type\":\"payment.updated\","
                       "\"event_id\":\"e1\"}";
    struct bw_webhook_request req = { .struct_size = sizeof req, .method = "POST",
                                      .url = catcher.url,
                                      .body = { (const uint8_t *)body, strlen(body) } };
    plugin_call_begin(&call, NULL, plug->desc->id, "route");
    cr_assert_eq(ops->webhook_route(&call, &req, out, &err), 0);
    plugin_call_end(&call);
    cJSON *rk = cJSON_Parse(plugin_buf_data(out, NULL));
    cr_expect_str_eq(str(rk, "value"), MERCHANT);
    cJSON_Delete(rk);
    plugin_buf_free(out);
}
