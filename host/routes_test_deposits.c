/*
 * Test-only deposit routes (only with --test-clock), so integration tests
 * drive deposits through the running daemon before the conversation engine
 * and the public webhook dispatch exist:
 *   POST /admin/test/deposits            the visit's deposit from rules, and its link job
 *   GET  /admin/test/deposits/{tenant}/{id}  the deposit and its evidence check
 *   POST /admin/test/payment-webhook     a provider notification through the
 *        tenant's payment binding (signature check, events/1), each event
 *        enqueued as a payment.event job as the webhook dispatch does
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/payment.h>

#include "clock.h"
#include "daemon.h"
#include "deposit_rules.h"
#include "deposits.h"
#include "evidence.h"
#include "http_server.h"
#include "jobs.h"
#include "json_util.h"
#include "plugin_pool.h"
#include "plugin_registry.h"
#include "routes.h"

#define SERVICES_MAX 16

static void post_deposit(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *b = json_parse_body(req, resp);
    if (!b)
        return;
    const cJSON *tenant = cJSON_GetObjectItemCaseSensitive(b, "tenant");
    const cJSON *hold = cJSON_GetObjectItemCaseSensitive(b, "hold_ref");
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(b, "services");
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(b, "rules");
    const cJSON *currency = cJSON_GetObjectItemCaseSensitive(b, "currency");
    const cJSON *s;
    const char *ids[SERVICES_MAX];
    size_t n = 0;
    int64_t amount = 0, id = 0;
    int rule = -1;
    bool new_client = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "new_client"));
    if (!cJSON_IsString(tenant) || !cJSON_IsString(hold) || !cJSON_IsArray(services) ||
        !cJSON_IsString(currency))
        goto bad;
    cJSON_ArrayForEach(s, services)
    {
        if (!cJSON_IsString(s) || n >= SERVICES_MAX)
            goto bad;
        ids[n++] = s->valuestring;
    }
    if (deposit_rules_amount(rules, ids, n, new_client, &amount, &rule) != 0)
        goto bad;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "amount_minor", (double)amount);
    cJSON_AddNumberToObject(o, "rule", rule);
    if (amount == 0) {
        cJSON_AddNullToObject(o, "deposit_id");
        cJSON_Delete(b);
        json_reply(resp, 200, o);
        return;
    }
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(b, "policy_text");
    struct deposit_request rq = {
        .tenant_id = tenant->valuestring,
        .hold_ref = hold->valuestring,
        .amount_minor = amount,
        .currency = currency->valuestring,
        .expires_at_us = clock_now_us() + 15LL * 60 * 1000000,
        .policy_text = cJSON_IsString(policy) ? policy->valuestring : NULL,
    };
    struct db_conn *c = daemon_db(d);
    int rc = -1;
    if (c && db_begin(c) == 0) {
        rc = deposits_create_link(c, &rq, &id);
        if (rc == 0)
            rc = db_commit(c);
        else
            db_rollback(c);
    }
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(b);
    if (rc != 0) {
        cJSON_Delete(o);
        http_reply_error(req, resp, 500, "deposit_failed", "the deposit was not stored");
        return;
    }
    cJSON_AddNumberToObject(o, "deposit_id", (double)id);
    json_reply(resp, 201, o);
    return;
bad:
    cJSON_Delete(b);
    http_reply_error(req, resp, 400, "invalid_body",
                     "tenant, hold_ref, currency, services (strings) and well-formed rules");
}

static void get_deposit(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0];
    char *end;
    long long id = strtoll(req->params[1], &end, 10);
    struct deposit dep;
    struct evidence_report rep;
    if (*end || id < 1) {
        http_reply_error(req, resp, 400, "invalid_id", "the deposit id is a positive integer");
        return;
    }
    struct db_conn *c = daemon_db(d);
    int found = c ? deposits_get(c, tenant, id, &dep) : -1;
    int verified = found == 1 ? evidence_verify(c, tenant, dep.hold_ref, &rep) : -1;
    if (c)
        daemon_db_release(d, c);
    if (found == 0) {
        http_reply_error(req, resp, 404, "not_found", "no such deposit");
        return;
    }
    if (found < 0 || verified < 0) {
        http_reply_error(req, resp, 503, "unavailable", "the database failed");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)dep.id);
    cJSON_AddStringToObject(o, "hold_ref", dep.hold_ref);
    cJSON_AddStringToObject(o, "status", dep.status);
    cJSON_AddNumberToObject(o, "amount_minor", (double)dep.amount_minor);
    cJSON_AddStringToObject(o, "currency", dep.currency);
    cJSON_AddStringToObject(o, "link_id", dep.link_id);
    cJSON_AddStringToObject(o, "link_url", dep.link_url);
    cJSON_AddStringToObject(o, "payment_id", dep.payment_id);
    cJSON_AddStringToObject(o, "error_code", dep.error_code);
    cJSON *ev = cJSON_AddObjectToObject(o, "evidence");
    cJSON_AddNumberToObject(ev, "entries", rep.entries);
    cJSON_AddNumberToObject(ev, "first_bad", rep.first_bad);
    json_reply(resp, 200, o);
}

/* ---- a notification through the tenant's payment binding ------------------ */

#define HOOK_HEADERS_MAX 16

struct hook_call {
    struct daemon *d;
    struct http_deferred *deferred;
    cJSON *body;               /* the request body, owned */
};

static int enqueue_events(struct daemon *d, const char *tenant, const char *plugin,
                          const char *events_text)
{
    cJSON *doc = cJSON_Parse(events_text), *e;
    struct db_conn *c = daemon_db(d);
    int rc = -1, n = 0;
    if (!doc || !c || db_begin(c) != 0)
        goto out;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "events"))
    {
        cJSON *p = cJSON_CreateObject();
        char *text;
        char dedupe[256], order[256];
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        const cJSON *link = cJSON_GetObjectItemCaseSensitive(e, "link_id");
        if (!p || !cJSON_IsString(id)) {
            cJSON_Delete(p);
            goto rollback;
        }
        cJSON_AddStringToObject(p, "binding", plugin);
        cJSON_AddStringToObject(p, "provider", "square");
        cJSON_AddStringToObject(p, "endpoint", "payment");
        cJSON_AddItemReferenceToObject(p, "event", e);
        text = cJSON_PrintUnformatted(p);
        cJSON_Delete(p);
        if (!text)
            goto rollback;
        snprintf(dedupe, sizeof dedupe, "payment.event:%s", id->valuestring);
        snprintf(order, sizeof order, "payment:%s",
                 cJSON_IsString(link) ? link->valuestring : "");
        struct job_spec spec = { .tenant_id = tenant, .kind = DEPOSITS_PAYMENT_EVENT_KIND,
                                 .payload = text, .ordering_key = order,
                                 .dedupe_key = dedupe };
        int jr = jobs_enqueue(c, &spec, NULL);
        cJSON_free(text);
        if (jr < 0)
            goto rollback;
        n++;
    }
    rc = db_commit(c) == 0 ? n : -1;
    goto out;
rollback:
    db_rollback(c);
out:
    if (c)
        daemon_db_release(d, c);
    cJSON_Delete(doc);
    return rc;
}

static void run_hook(void *arg)
{
    struct hook_call *hc = arg;
    struct http_request *req = http_deferred_request(hc->deferred);
    struct http_response resp = { 0 };
    const char *tenant = cJSON_GetObjectItemCaseSensitive(hc->body, "tenant")->valuestring;
    const char *url = cJSON_GetObjectItemCaseSensitive(hc->body, "url")->valuestring;
    const char *body = cJSON_GetObjectItemCaseSensitive(hc->body, "body")->valuestring;
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(hc->body, "headers"), *h;
    struct bw_http_header headers[HOOK_HEADERS_MAX];
    uint64_t nh = 0;
    cJSON_ArrayForEach(h, hs)
    {
        if (nh < HOOK_HEADERS_MAX && cJSON_IsString(h)) {
            headers[nh].name = (struct bw_str){ h->string, strlen(h->string) };
            headers[nh].value = (struct bw_str){ h->valuestring, strlen(h->valuestring) };
            nh++;
        }
    }
    struct registry_handle rh;
    if (registry_acquire(hc->d->registry, tenant, "payment", &rh) != 0) {
        http_reply_error(req, &resp, 404, "no_binding", "the tenant has no payment binding");
        goto done;
    }
    const struct bw_payment_ops *ops = rh.desc->ops;
    struct bw_webhook_request wr = { .struct_size = sizeof wr, .method = "POST", .url = url,
                                     .headers = headers, .n_headers = nh,
                                     .body = { (const uint8_t *)body, strlen(body) },
                                     .remote_addr = "127.0.0.1" };
    struct bw_buf *rb = plugin_buf_new(0), *events = plugin_buf_new(0);
    struct bw_webhook_reply reply = { .struct_size = sizeof reply, .status = 200, .body = rb };
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_call call;
    int rc = BW_E_NOMEM;
    if (rb && events && rh.desc->kind == BW_KIND_PAYMENT) {
        registry_call_begin(&rh, &call, req->request_id, 10000);
        rc = ops->webhook(rh.instance, &call, &wr, &reply, events, &err);
        registry_call_end(&rh, &call);
    }
    char plugin[80];
    snprintf(plugin, sizeof plugin, "%s", rh.desc->id);
    registry_release(&rh);
    if (rc == BW_E_AUTH) {
        http_reply_error(req, &resp, 403, "signature", "the signature does not verify");
    } else if (rc != 0) {
        http_reply_error(req, &resp, 400, "rejected", bw_strerror(rc));
    } else {
        int n = enqueue_events(hc->d, tenant, plugin, plugin_buf_data(events, NULL));
        if (n < 0) {
            http_reply_error(req, &resp, 503, "unavailable", "the events were not stored");
        } else {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "events", n);
            json_reply(&resp, 200, o);
        }
    }
    plugin_buf_free(rb);
    plugin_buf_free(events);
done:
    http_deferred_complete(hc->deferred, &resp);
    cJSON_Delete(hc->body);
    free(hc);
}

/* {"tenant","url","headers":{"name":"value"},"body":"raw text"} */
static void post_payment_webhook(struct http_request *req, struct http_response *resp,
                                 void *ctx)
{
    struct daemon *d = ctx;
    cJSON *b = json_parse_body(req, resp);
    if (!b)
        return;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "tenant")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "url")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "body")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "headers"))) {
        cJSON_Delete(b);
        http_reply_error(req, resp, 400, "invalid_body",
                         "tenant, url and body (strings) and headers (an object)");
        return;
    }
    struct hook_call *hc = calloc(1, sizeof *hc);
    if (!hc || !d->registry || !d->plugin_pool || !(hc->deferred = http_defer(req))) {
        cJSON_Delete(b);
        free(hc);
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        return;
    }
    hc->d = d;
    hc->body = b;
    if (plugin_pool_submit(d->plugin_pool, run_hook, hc) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(hc->deferred, &now);
        cJSON_Delete(b);
        free(hc);
    }
}

int routes_test_deposits_register(struct daemon *d)
{
    return daemon_add_route(d, true, "POST", "/admin/test/deposits", post_deposit,
                            HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "GET", "/admin/test/deposits/{tenant}/{id}", get_deposit,
                            HTTP_AUTH_ADMIN) ||
           daemon_add_route(d, true, "POST", "/admin/test/payment-webhook",
                            post_payment_webhook, HTTP_AUTH_ADMIN);
}
