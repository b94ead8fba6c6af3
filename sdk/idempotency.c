/*
 * SDK idempotency records: the id a keyed write created, kept in the
 * instance's key-value store under the SHA-256 of the key, so that a
 * provider without idempotency keys answers a retry with the first
 * attempt's record (include/bookwell-sdk/idempotency.h).
 */
#include <bookwell-sdk/sdk.h>

#include <stdio.h>
#include <string.h>

int bwsdk_idem_record(const struct bw_host *host, const char *op, const char *key,
                      char out[BWSDK_IDEM_RECORD_MAX])
{
    uint8_t d[BW_HASH_MAX_LEN];
    uint32_t n = 0;
    out[0] = 0;
    if (!key || !key[0])
        return 0;
    if (host->digest(BW_HASH_SHA256, key, strlen(key), d, sizeof d, &n) != 0)
        return BW_E_INTERNAL;
    int w = snprintf(out, BWSDK_IDEM_RECORD_MAX, "idem/%s/", op);
    for (uint32_t i = 0; i < n && w + 2 < BWSDK_IDEM_RECORD_MAX; i++)
        w += snprintf(out + w, BWSDK_IDEM_RECORD_MAX - (size_t)w, "%02x", d[i]);
    return 0;
}

int bwsdk_idem_get(const struct bw_host *host, struct bw_call *call, const char *record,
                   char *id, size_t cap, struct bw_error *err)
{
    id[0] = 0;
    if (!record[0])
        return 0;
    struct bw_buf *b = host->buf_scratch(call);
    struct bw_bytes v;
    int32_t found = 0;
    if (!b || host->kv_get(call, record, b, &found) != 0 || host->buf_view(b, &v) != 0)
        return bwsdk_error(err, BW_E_RETRY, NULL, "the key-value store failed");
    if (found && bwsdk_strlcpy(id, cap, (const char *)v.ptr, (size_t)v.len) != 0)
        id[0] = 0;
    host->buf_truncate(b, 0);
    return 0;
}

void bwsdk_idem_put(const struct bw_host *host, struct bw_call *call, const char *record,
                    const char *id)
{
    if (record[0] && host->kv_put(call, record, id, strlen(id), BWSDK_IDEM_TTL_MS) != 0)
        host->log(call, BW_LOG_WARN, "cannot record an idempotency key");
}
