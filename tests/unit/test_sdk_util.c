/*
 * SDK conveniences: bwsdk_error fills only the members the host's struct
 * has (BW_HAS), provider HTTP statuses map to the BW_E_* codes the host
 * retries or not, Retry-After is honoured, headers match case-insensitively,
 * and a short 429 is waited out only when it fits the call's deadline.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell-sdk/sdk.h>

Test(sdk_util, error_fills_what_fits)
{
    struct bw_error e = { .struct_size = sizeof e };
    cr_expect_eq(bwsdk_error(&e, BW_E_CONFLICT, "slot_taken", "slot %d is gone", 7),
                 BW_E_CONFLICT);
    cr_expect_eq(e.code, BW_E_CONFLICT);
    cr_expect_str_eq(e.provider_code, "slot_taken");
    cr_expect_str_eq(e.message, "slot 7 is gone");

    /* A host whose bw_error ends before provider_code: nothing written past it. */
    struct {
        struct bw_error e;
    } small;
    memset(&small, 0x5a, sizeof small);
    small.e.struct_size = (uint32_t)offsetof(struct bw_error, provider_code);
    cr_expect_eq(bwsdk_error(&small.e, BW_E_AUTH, "bad_key", "refused"), BW_E_AUTH);
    cr_expect_eq(small.e.code, BW_E_AUTH);
    cr_expect_eq((unsigned char)small.e.provider_code[0], 0x5a);
    cr_expect_eq((unsigned char)small.e.message[0], 0x5a);

    cr_expect_eq(bwsdk_error(NULL, BW_E_RETRY, NULL, "x"), BW_E_RETRY);
    char longer[400];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    bwsdk_error(&e, BW_E_REMOTE, longer, "%s", longer);
    cr_expect_eq(strlen(e.provider_code), sizeof e.provider_code - 1, "truncated, terminated");
    cr_expect_eq(strlen(e.message), sizeof e.message - 1);
}

static int status_code(int32_t status, const char *retry_after, struct bw_error *e)
{
    struct bw_http_header h = { { "retry-after", 11 }, { retry_after, retry_after ? strlen(retry_after) : 0 } };
    struct bw_http_response r = { .struct_size = sizeof r, .status = status,
                                  .headers = retry_after ? &h : NULL,
                                  .n_headers = retry_after ? 1 : 0 };
    memset(e, 0, sizeof *e);
    e->struct_size = sizeof *e;
    return bwsdk_http_status_error(&r, e);
}

Test(sdk_util, http_statuses_map_to_codes)
{
    struct bw_error e;
    cr_expect_eq(status_code(200, NULL, &e), 0);
    cr_expect_eq(e.code, 0, "success leaves err alone");
    cr_expect_eq(status_code(204, NULL, &e), 0);
    cr_expect_eq(status_code(401, NULL, &e), BW_E_AUTH);
    cr_expect_eq(status_code(403, NULL, &e), BW_E_AUTH);
    cr_expect_eq(status_code(408, NULL, &e), BW_E_TIMEOUT);
    cr_expect_eq(status_code(409, NULL, &e), BW_E_CONFLICT);
    cr_expect_eq(status_code(404, NULL, &e), BW_E_REMOTE);
    cr_expect_eq(status_code(422, NULL, &e), BW_E_REMOTE);
    cr_expect_eq(e.http_status, 422);
    cr_expect_str_eq(e.message, "provider answered HTTP 422");
    cr_expect_eq(status_code(503, NULL, &e), BW_E_RETRY);
    cr_expect_eq(e.retry_after_ms, 0);
    cr_expect_eq(status_code(429, "30", &e), BW_E_RETRY);
    cr_expect_eq(e.retry_after_ms, 30000);
    cr_expect_eq(status_code(429, "Wed, 21 Oct 2027 07:28:00 GMT", &e), BW_E_RETRY);
    cr_expect_eq(e.retry_after_ms, 0, "dates are left to the host");
}

Test(sdk_util, headers_and_strings)
{
    struct bw_http_header hs[] = { { { "Content-Type", 12 }, { "application/json", 16 } },
                                   { { "X-Twilio-Signature", 18 }, { "abc=", 4 } } };
    const struct bw_http_header *h = bwsdk_http_header(hs, 2, "x-twilio-signature");
    cr_assert_not_null(h);
    cr_expect_eq(h->value.len, 4);
    cr_expect_null(bwsdk_http_header(hs, 2, "X-Twilio"));
    cr_expect_null(bwsdk_http_header(NULL, 0, "Content-Type"));
    char dst[4];
    cr_expect_eq(bwsdk_strlcpy(dst, sizeof dst, "abc", 3), 0);
    cr_expect_str_eq(dst, "abc");
    cr_expect_eq(bwsdk_strlcpy(dst, sizeof dst, "abcd", 4), BW_E_NOMEM);
    cr_expect_str_eq(dst, "");
}

/* The two host services the 429 wait uses. */
static int throttled;
static int64_t deadline_left_ms;

static int counter_add(struct bw_call *call, const char *name, int64_t delta)
{
    (void)call;
    cr_expect_str_eq(name, "x_throttled");
    throttled += (int)delta;
    return 0;
}

static int64_t deadline_ms(const struct bw_call *call)
{
    (void)call;
    return deadline_left_ms;
}

static bool waits(int32_t status, const char *retry_after, int64_t deadline)
{
    static const struct bw_host host = { .struct_size = sizeof host, .abi_major = 1,
                                         .counter_add = counter_add, .deadline_ms = deadline_ms };
    struct bw_http_header h = { { "Retry-After", 11 },
                                { retry_after, retry_after ? strlen(retry_after) : 0 } };
    struct bw_http_response r = { .struct_size = sizeof r, .status = status,
                                  .headers = retry_after ? &h : NULL,
                                  .n_headers = retry_after ? 1 : 0 };
    deadline_left_ms = deadline;
    return bwsdk_http_wait_short_429(&host, NULL, &r, "x_throttled");
}

Test(sdk_util, a_short_429_is_waited_out_when_the_deadline_allows)
{
    cr_expect(waits(429, "0", 10000), "Retry-After: 0 is sent again at once");
    cr_expect_eq(throttled, 1);
    cr_expect_not(waits(429, "3", 10000), "three seconds is not short");
    cr_expect_not(waits(429, NULL, 1400), "a second (no header) and the margin pass the deadline");
    cr_expect_not(waits(429, "0", 500), "the margin itself passes the deadline");
    cr_expect_eq(throttled, 4, "every 429 is counted");
    cr_expect_not(waits(503, "0", 10000));
    cr_expect_not(waits(200, NULL, 10000));
    cr_expect_eq(throttled, 4, "other statuses are not");
}
