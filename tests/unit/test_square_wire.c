/*
 * payment.square's wire format: every "square" case of the shared webhook
 * signature vectors through the signature check (with the host's own HMAC,
 * base64 and constant-time compare), notifications into payment events
 * (paid, failed, refunded, ignored types, malformed bodies), Square error
 * answers into BW_E_* codes, and the request bodies Square receives.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_call.h"
#include "square_wire.h"

static const struct bw_host *H;

static void setup(void) { H = plugin_services(); }

TestSuite(square_wire, .init = setup);

static cJSON *load_vectors(void)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/vectors/webhook-signatures.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/vectors/webhook-signatures.json",
                 src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s (set BW_SHARED_DIR)", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j);
    return j;
}

static int check(const char *key, const char *url, const char *body, const char *sig)
{
    return sq_signature_check(H, key, strlen(key), url, (const uint8_t *)body, strlen(body), sig,
                              sig ? strlen(sig) : 0);
}

Test(square_wire, every_square_signature_vector)
{
    cJSON *j = load_vectors(), *c;
    int n = 0, valid = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "square"), "cases"))
    {
        const char *key = cJSON_GetObjectItem(c, "signature_key")->valuestring;
        const char *url = cJSON_GetObjectItem(c, "url")->valuestring;
        const char *body = cJSON_GetObjectItem(c, "body")->valuestring;
        const char *sig = cJSON_GetObjectItem(c, "signature")->valuestring;
        int expect = cJSON_IsTrue(cJSON_GetObjectItem(c, "valid"));
        int rc = check(key, url, body, sig);
        cr_expect_eq(rc, expect ? 0 : BW_E_AUTH, "vector '%s'",
                     cJSON_GetObjectItem(c, "name")->valuestring);
        if (expect) {
            valid++;
            /* One byte more in the body, or a wrong key, must not verify. */
            char *longer = malloc(strlen(body) + 2);
            cr_assert_not_null(longer);
            snprintf(longer, strlen(body) + 2, "%s ", body);
            cr_expect_eq(check(key, url, longer, sig), BW_E_AUTH);
            cr_expect_eq(check("other-key", url, body, sig), BW_E_AUTH);
            free(longer);
        }
        n++;
    }
    cr_assert_geq(n, 4, "the square vectors are there");
    cr_assert_geq(valid, 3);
    cJSON_Delete(j);
}

Test(square_wire, missing_or_malformed_signature_is_refused)
{
    const char *body = "{\"data\":{\"type\":\"webhooks\",\"id\":\"fake_id\"}}";
    const char *url = "https://webhook.site/webhooks";
    cr_expect_eq(check("signature-key", url, body, NULL), BW_E_AUTH);
    cr_expect_eq(check("signature-key", url, body, ""), BW_E_AUTH);
    cr_expect_eq(check("signature-key", url, body, "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUO"),
                 BW_E_AUTH, "truncated");
    cr_expect_eq(check("signature-key", url, body, "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="),
                 0, "the genuine one still verifies");
}

/* ---- notifications into events ----------------------------------------- */

static int lookups;

static void lookup(void *ctx, const char *order_id, char *link_id, size_t link_cap,
                   char *reference, size_t ref_cap)
{
    (void)ctx;
    lookups++;
    if (strcmp(order_id, "ORDER1") == 0) {
        snprintf(link_id, link_cap, "LINK1");
        snprintf(reference, ref_cap, "dep-42");
    }
}

static cJSON *events_of(const char *body, int *rc)
{
    cJSON *out = NULL;
    struct bw_error err = { .struct_size = sizeof err };
    *rc = sq_events_parse((const uint8_t *)body, strlen(body), lookup, NULL, &out, &err);
    return out;
}

#define PAYMENT(type, status, order, note)                                                     \
    "{\"merchant_id\":\"MERCH1\",\"type\":\"" type "\",\"event_id\":\"ev-1\","                  \
    "\"created_at\":\"2026-11-24T10:00:01Z\",\"data\":{\"type\":\"payment\",\"id\":\"PAY1\","   \
    "\"object\":{\"payment\":{\"id\":\"PAY1\",\"status\":\"" status "\",\"order_id\":\"" order \
    "\",\"note\":\"" note "\",\"amount_money\":{\"amount\":5000,\"currency\":\"USD\"},"       \
    "\"updated_at\":\"2026-11-24T10:00:00Z\",\"location_id\":\"LOC1\"}}}}"

Test(square_wire, completed_payment_is_paid_with_its_link_and_reference)
{
    int rc;
    lookups = 0;
    cJSON *doc = events_of(PAYMENT("payment.updated", "COMPLETED", "ORDER1", ""), &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "events")), 1);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.type", ""), "paid");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.id", ""), "ev-1");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.link_id", ""), "LINK1");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.reference", ""), "dep-42");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.payment_id", ""), "PAY1");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.order_id", ""), "ORDER1");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.currency", ""), "USD");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.at", ""), "2026-11-24T10:00:00Z");
    int64_t amount = 0;
    cr_expect_eq(bwsdk_json_int(doc, "events.0.amount_minor", &amount), 0);
    cr_expect_eq(amount, 5000);
    cr_expect_eq(lookups, 1);
    cJSON_Delete(doc);

    /* payment.created with COMPLETED is paid too; an unknown order falls
     * back to the reference in the payment's note. */
    doc = events_of(PAYMENT("payment.created", "COMPLETED", "ORDER9", "Deposit dep-77"), &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.type", ""), "paid");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.link_id", "x"), "");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.reference", ""), "dep-77");
    cJSON_Delete(doc);
}

Test(square_wire, failed_and_cancelled_payments_fail_and_pending_ones_say_nothing)
{
    int rc;
    cJSON *doc = events_of(PAYMENT("payment.updated", "FAILED", "ORDER1", ""), &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.type", ""), "failed");
    cJSON_Delete(doc);
    doc = events_of(PAYMENT("payment.updated", "CANCELED", "ORDER1", ""), &rc);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.type", ""), "failed");
    cJSON_Delete(doc);
    const char *quiet[] = { "APPROVED", "PENDING" };
    for (int i = 0; i < 2; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"merchant_id\":\"M\",\"type\":\"payment.created\",\"event_id\":\"e\","
                 "\"data\":{\"object\":{\"payment\":{\"id\":\"P\",\"status\":\"%s\","
                 "\"amount_money\":{\"amount\":1,\"currency\":\"USD\"}}}}}",
                 quiet[i]);
        doc = events_of(body, &rc);
        cr_assert_eq(rc, 0);
        cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "events")), 0, "%s", quiet[i]);
        cJSON_Delete(doc);
    }
}

Test(square_wire, completed_refund_is_refunded)
{
    int rc;
    const char *body =
        "{\"merchant_id\":\"MERCH1\",\"type\":\"refund.updated\",\"event_id\":\"ev-r\","
        "\"data\":{\"type\":\"refund\",\"id\":\"R1\",\"object\":{\"refund\":{\"id\":\"R1\","
        "\"status\":\"COMPLETED\",\"payment_id\":\"PAY1\",\"order_id\":\"ORDER1\","
        "\"amount_money\":{\"amount\":5000,\"currency\":\"USD\"},"
        "\"updated_at\":\"2026-11-25T09:00:00Z\"}}}}";
    cJSON *doc = events_of(body, &rc);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.type", ""), "refunded");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.payment_id", ""), "PAY1");
    cr_expect_str_eq(bwsdk_json_string_or(doc, "events.0.reference", ""), "dep-42");
    cJSON_Delete(doc);
}

Test(square_wire, unknown_types_are_ignored_and_malformed_bodies_refused)
{
    int rc;
    cJSON *doc = events_of("{\"merchant_id\":\"M\",\"type\":\"webhooks.test_notification\","
                           "\"event_id\":\"e\",\"data\":{\"type\":\"webhooks\",\"id\":\"x\"}}",
                           &rc);
    cr_assert_eq(rc, 0);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "events")), 0);
    cJSON_Delete(doc);
    const char *bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"type\":\"payment.updated\"}",                       /* no event_id */
        "{\"type\":\"payment.updated\",\"event_id\":\"e\"}",    /* no payment */
        "{\"type\":\"payment.updated\",\"event_id\":\"e\",\"data\":{\"object\":{\"payment\":"
        "{\"id\":\"P\",\"status\":\"COMPLETED\"}}}}",           /* no amount */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        doc = events_of(bad[i], &rc);
        cr_expect_eq(rc, BW_E_INVAL, "body %zu", i);
        cr_expect_null(doc);
    }
}

Test(square_wire, merchant_id_routes_the_notification)
{
    char m[64];
    const char *body = PAYMENT("payment.updated", "COMPLETED", "ORDER1", "");
    cr_assert_eq(sq_merchant_of((const uint8_t *)body, strlen(body), m, sizeof m), 0);
    cr_expect_str_eq(m, "MERCH1");
    const char *none = "{\"type\":\"payment.updated\"}";
    cr_expect_eq(sq_merchant_of((const uint8_t *)none, strlen(none), m, sizeof m), BW_E_INVAL);
    const char *odd = "{\"merchant_id\":\"a/b\"}";
    cr_expect_eq(sq_merchant_of((const uint8_t *)odd, strlen(odd), m, sizeof m), BW_E_INVAL);
}

/* ---- errors ------------------------------------------------------------- */

static int status_of(int status, const char *body, const char *retry_after,
                     struct bw_error *err)
{
    struct bw_http_header h = { { "Retry-After", 11 },
                                { retry_after, retry_after ? strlen(retry_after) : 0 } };
    struct bw_http_response resp = { .struct_size = sizeof resp, .status = status,
                                     .headers = retry_after ? &h : NULL,
                                     .n_headers = retry_after ? 1 : 0 };
    cJSON *doc = body ? cJSON_Parse(body) : NULL;
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
    int rc = sq_status_error(&resp, doc, err);
    cJSON_Delete(doc);
    return rc;
}

Test(square_wire, square_errors_map_to_codes)
{
    struct bw_error err;
    cr_expect_eq(status_of(200, "{}", NULL, &err), 0);
    cr_expect_eq(status_of(401, "{\"errors\":[{\"category\":\"AUTHENTICATION_ERROR\","
                                "\"code\":\"UNAUTHORIZED\",\"detail\":\"x\"}]}",
                           NULL, &err),
                 BW_E_AUTH);
    cr_expect_str_eq(err.provider_code, "UNAUTHORIZED");
    cr_expect_eq(status_of(400, "{\"errors\":[{\"category\":\"INVALID_REQUEST_ERROR\","
                                "\"code\":\"INVALID_VALUE\",\"detail\":\"bad\"}]}",
                           NULL, &err),
                 BW_E_INVAL);
    cr_expect_str_eq(err.provider_code, "INVALID_VALUE");
    cr_expect_eq(err.http_status, 400);
    cr_expect_eq(status_of(400, "{\"errors\":[{\"category\":\"PAYMENT_METHOD_ERROR\","
                                "\"code\":\"CARD_DECLINED\"}]}",
                           NULL, &err),
                 BW_E_REMOTE);
    cr_expect_eq(status_of(404, "{\"errors\":[{\"category\":\"INVALID_REQUEST_ERROR\","
                                "\"code\":\"NOT_FOUND\"}]}",
                           NULL, &err),
                 BW_E_REMOTE);
    cr_expect_eq(status_of(429, "{\"errors\":[{\"category\":\"RATE_LIMIT_ERROR\","
                                "\"code\":\"RATE_LIMITED\"}]}",
                           "3", &err),
                 BW_E_RETRY);
    cr_expect_eq(err.retry_after_ms, 3000);
    cr_expect_str_eq(err.provider_code, "RATE_LIMITED");
    cr_expect_eq(status_of(503, NULL, NULL, &err), BW_E_RETRY);
    cr_expect_eq(status_of(500, "not json", NULL, &err), BW_E_RETRY);
}

/* ---- request bodies ------------------------------------------------------ */

Test(square_wire, link_body_is_a_quick_pay_deposit_without_treatment_names)
{
    cJSON *rq = cJSON_Parse("{\"amount_minor\":5000,\"currency\":\"USD\",\"reference\":\"dep-1\","
                            "\"description\":\"Lip Filler with Dr. Kim\","
                            "\"expires_at\":\"2026-11-24T12:00:00Z\","
                            "\"redirect_url\":\"https://glow.example/thanks\","
                            "\"phone\":\"+14155550100\"}");
    cJSON *body = NULL;
    struct bw_error err = { .struct_size = sizeof err };
    cr_assert_eq(sq_link_body(rq, "Appointment deposit", "LOC1", "dep-1-link", &body, &err), 0);
    char *text = cJSON_PrintUnformatted(body);
    cr_expect_null(strstr(text, "Lip Filler"), "no treatment on the receipt: %s", text);
    cr_expect_str_eq(bwsdk_json_string_or(body, "idempotency_key", ""), "dep-1-link");
    cr_expect_str_eq(bwsdk_json_string_or(body, "quick_pay.name", ""), "Appointment deposit");
    cr_expect_str_eq(bwsdk_json_string_or(body, "quick_pay.location_id", ""), "LOC1");
    cr_expect_str_eq(bwsdk_json_string_or(body, "quick_pay.price_money.currency", ""), "USD");
    int64_t amount = 0;
    cr_expect_eq(bwsdk_json_int(body, "quick_pay.price_money.amount", &amount), 0);
    cr_expect_eq(amount, 5000);
    cr_expect_str_eq(bwsdk_json_string_or(body, "checkout_options.redirect_url", ""),
                     "https://glow.example/thanks");
    cr_expect(cJSON_IsFalse(bwsdk_json_path(body, "checkout_options.allow_tipping")));
    cr_expect_str_eq(bwsdk_json_string_or(body, "payment_note", ""), "Deposit dep-1");
    cr_expect_str_eq(bwsdk_json_string_or(body, "pre_populated_data.buyer_phone_number", ""),
                     "+14155550100");
    cJSON_free(text);
    cJSON_Delete(body);
    cJSON_Delete(rq);

    rq = cJSON_Parse("{\"amount_minor\":0,\"currency\":\"USD\",\"reference\":\"d\"}");
    cr_expect_eq(sq_link_body(rq, "Appointment deposit", "LOC1", "k", &body, &err), BW_E_INVAL,
                 "a zero deposit makes no link");
    cJSON_Delete(rq);
    rq = cJSON_Parse("{\"amount_minor\":100,\"currency\":\"usd\",\"reference\":\"d\"}");
    cr_expect_eq(sq_link_body(rq, "Appointment deposit", "LOC1", "k", &body, &err), BW_E_INVAL);
    cJSON_Delete(rq);
}

Test(square_wire, link_answer_and_refund_body)
{
    struct sq_link link;
    struct bw_error err = { .struct_size = sizeof err };
    cJSON *resp = cJSON_Parse("{\"payment_link\":{\"id\":\"FWT463MU2JIG7S3D\",\"version\":1,"
                              "\"order_id\":\"C0DMgui6YFmgyURVSRtxr4EShheZY\","
                              "\"url\":\"https://sandbox.square.link/u/jUjglZiR\"}}");
    cr_assert_eq(sq_link_parse(resp, &link, &err), 0);
    cr_expect_str_eq(link.id, "FWT463MU2JIG7S3D");
    cr_expect_str_eq(link.order_id, "C0DMgui6YFmgyURVSRtxr4EShheZY");
    cr_expect_str_eq(link.url, "https://sandbox.square.link/u/jUjglZiR");
    cJSON_Delete(resp);
    resp = cJSON_Parse("{\"payment_link\":{\"id\":\"X\"}}");
    cr_expect_eq(sq_link_parse(resp, &link, &err), BW_E_REMOTE);
    cJSON_Delete(resp);

    cJSON *rq = cJSON_Parse("{\"payment_id\":\"PAY1\",\"amount_minor\":5000,"
                            "\"currency\":\"USD\",\"reason\":\"clinic cancelled\"}");
    cJSON *body = NULL;
    cr_assert_eq(sq_refund_body(rq, "dep-1-refund", &body, &err), 0);
    cr_expect_str_eq(bwsdk_json_string_or(body, "idempotency_key", ""), "dep-1-refund");
    cr_expect_str_eq(bwsdk_json_string_or(body, "payment_id", ""), "PAY1");
    cr_expect_str_eq(bwsdk_json_string_or(body, "amount_money.currency", ""), "USD");
    cr_expect_str_eq(bwsdk_json_string_or(body, "reason", ""), "clinic cancelled");
    cJSON_Delete(body);
    cJSON_Delete(rq);
    cr_expect_str_eq(sq_refund_status("PENDING"), "pending");
    cr_expect_str_eq(sq_refund_status("COMPLETED"), "completed");
    cr_expect_null(sq_refund_status("REJECTED"));
    cr_expect_null(sq_refund_status("FAILED"));
}
