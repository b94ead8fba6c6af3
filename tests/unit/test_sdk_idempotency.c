/*
 * SDK idempotency records: the record name is "idem/<op>/" and the key's
 * digest in hex (no key, no record), a stored id is found again, an absent
 * or oversized one reads as empty, a store that fails to read is
 * BW_E_RETRY, and a store that fails to write is only logged.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

/* A stand-in for the host: one scratch buffer, a one-entry store and a
 * digest that is the first bytes of the data (enough to see the hex). */
struct bw_buf {
    char data[256];
    size_t len;
};

static struct bw_buf scratch;
static char stored_key[128], stored_value[256];
static int64_t stored_ttl;
static bool store_fails;
static int warnings;

static int buf_truncate(struct bw_buf *b, uint64_t len)
{
    if (len < b->len)
        b->len = len;
    b->data[b->len] = 0;
    return 0;
}

static int buf_view(const struct bw_buf *b, struct bw_bytes *out)
{
    *out = (struct bw_bytes){ (const uint8_t *)b->data, b->len };
    return 0;
}

static struct bw_buf *buf_scratch(struct bw_call *call)
{
    (void)call;
    return &scratch;
}

static int digest(uint32_t alg, const void *data, uint64_t len, uint8_t *out, uint32_t cap,
                  uint32_t *out_len)
{
    cr_assert_eq(alg, BW_HASH_SHA256);
    memset(out, 0, cap);
    memcpy(out, data, len < 4 ? len : 4);
    *out_len = 32;
    return 0;
}

static int kv_get(struct bw_call *call, const char *key, struct bw_buf *out, int32_t *found)
{
    (void)call;
    if (store_fails)
        return BW_E_INTERNAL;
    *found = strcmp(key, stored_key) == 0;
    if (*found)
        out->len = (size_t)snprintf(out->data, sizeof out->data, "%s", stored_value);
    return 0;
}

static int kv_put(struct bw_call *call, const char *key, const void *value, uint64_t len,
                  int64_t ttl_ms)
{
    (void)call;
    if (store_fails)
        return BW_E_INTERNAL;
    snprintf(stored_key, sizeof stored_key, "%s", key);
    snprintf(stored_value, sizeof stored_value, "%.*s", (int)len, (const char *)value);
    stored_ttl = ttl_ms;
    return 0;
}

static void host_log(struct bw_call *call, uint32_t level, const char *fmt, ...)
{
    (void)call;
    (void)fmt;
    if (level == BW_LOG_WARN)
        warnings++;
}

static const struct bw_host host = {
    .struct_size = sizeof host, .abi_major = 1, .log = host_log, .buf_truncate = buf_truncate,
    .buf_view = buf_view, .buf_scratch = buf_scratch, .digest = digest, .kv_get = kv_get, .kv_put = kv_put,
};

static void reset(void)
{
    scratch.len = 0;
    stored_key[0] = stored_value[0] = 0;
    stored_ttl = 0;
    store_fails = false;
    warnings = 0;
}

TestSuite(sdk_idempotency, .init = reset);

Test(sdk_idempotency, the_record_name_is_the_op_and_the_key_digest)
{
    char rec[BWSDK_IDEM_RECORD_MAX];
    cr_assert_eq(bwsdk_idem_record(&host, "book", "AB", rec), 0);
    cr_expect_str_eq(rec, "idem/book/4142000000000000000000000000000000000000000000000000000000000000");
    cr_assert_eq(bwsdk_idem_record(&host, "book", "", rec), 0);
    cr_expect_str_eq(rec, "", "no key, no record");
    cr_assert_eq(bwsdk_idem_record(&host, "book", NULL, rec), 0);
    cr_expect_str_eq(rec, "");
}

Test(sdk_idempotency, a_stored_id_is_found_again)
{
    char rec[BWSDK_IDEM_RECORD_MAX], id[32] = "junk";
    cr_assert_eq(bwsdk_idem_record(&host, "patient", "k1", rec), 0);
    cr_assert_eq(bwsdk_idem_get(&host, NULL, rec, id, sizeof id, NULL), 0);
    cr_expect_str_eq(id, "", "nothing stored yet");
    bwsdk_idem_put(&host, NULL, rec, "pat-42");
    cr_expect_str_eq(stored_key, rec);
    cr_expect_eq(stored_ttl, BWSDK_IDEM_TTL_MS);
    cr_assert_eq(bwsdk_idem_get(&host, NULL, rec, id, sizeof id, NULL), 0);
    cr_expect_str_eq(id, "pat-42");
    cr_expect_eq(scratch.len, 0, "the scratch buffer is left empty");
    char small[4] = "x";
    cr_assert_eq(bwsdk_idem_get(&host, NULL, rec, small, sizeof small, NULL), 0);
    cr_expect_str_eq(small, "", "an id that does not fit reads as none");
}

Test(sdk_idempotency, no_record_touches_nothing)
{
    char id[32] = "junk";
    bwsdk_idem_put(&host, NULL, "", "pat-1");
    cr_expect_str_eq(stored_key, "");
    store_fails = true;
    cr_expect_eq(bwsdk_idem_get(&host, NULL, "", id, sizeof id, NULL), 0);
    cr_expect_str_eq(id, "");
}

Test(sdk_idempotency, a_failing_store_is_retry_on_read_and_a_warning_on_write)
{
    struct bw_error err = { .struct_size = sizeof err };
    char id[32];
    store_fails = true;
    cr_expect_eq(bwsdk_idem_get(&host, NULL, "idem/book/00", id, sizeof id, &err), BW_E_RETRY);
    cr_expect_eq(err.code, BW_E_RETRY);
    bwsdk_idem_put(&host, NULL, "idem/book/00", "apt-1");
    cr_expect_eq(warnings, 1);
}
