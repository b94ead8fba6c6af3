/*
 * libbookwell-sdk: helpers a plugin author needs, linked statically into the
 * plugin (built with hidden visibility, so nothing of it is exported and
 * nothing of it crosses the ABI). This header includes the ABI and every
 * helper module, and adds small conveniences for errors, result buffers
 * and HTTP responses.
 *
 * Memory: functions that return allocated memory say so; it comes from the
 * plugin's malloc and is freed by the plugin (free(), cJSON_Delete()).
 * Threading: every function is reentrant; none keeps global state.
 */
#ifndef BOOKWELL_SDK_H
#define BOOKWELL_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/abi.h>
#include <bookwell/host.h>
#include <bookwell/plugin.h>

#include <bookwell-sdk/card_mask.h>
#include <bookwell-sdk/datetime.h>
#include <bookwell-sdk/form.h>
#include <bookwell-sdk/idempotency.h>
#include <bookwell-sdk/json.h>
#include <bookwell-sdk/money.h>
#include <bookwell-sdk/patient.h>
#include <bookwell-sdk/phone.h>
#include <bookwell-sdk/slots.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fills err (host-owned; members written only where BW_HAS finds them) with
 * code, an optional provider error code and a formatted message, and
 * returns code, so an op can end with `return bwsdk_error(err, ...)`.
 * err may be NULL. The message must be safe for logs.
 */
int bwsdk_error(struct bw_error *err, int code, const char *provider_code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/*
 * The BW_E_* code for a provider's HTTP status, and err filled with it:
 * 2xx and 3xx: 0 (err untouched); 401, 403: BW_E_AUTH; 408: BW_E_TIMEOUT;
 * 409, 410: BW_E_CONFLICT; 429 and 5xx: BW_E_RETRY (retry_after_ms from a
 * Retry-After header in seconds, when resp has one); other 4xx: BW_E_REMOTE.
 */
int bwsdk_http_status_error(const struct bw_http_response *resp, struct bw_error *err);

/*
 * For a provider's 429 answer (false for any other status): counts it
 * under the counter named counter and, when its Retry-After (seconds; a
 * second when absent) is at most 2 s and the call's deadline is more than
 * half a second after it, sleeps that long and returns true: send the
 * request again (once; a client that waited and meets another 429 fails
 * it). Returns false without waiting otherwise.
 */
bool bwsdk_http_wait_short_429(const struct bw_host *host, struct bw_call *call,
                               const struct bw_http_response *resp, const char *counter);

/* Sleeps us microseconds (none when us <= 0), resuming after signals. */
void bwsdk_sleep_us(int64_t us);

/* The first header called name (case-insensitive) among n, or NULL. */
const struct bw_http_header *bwsdk_http_header(const struct bw_http_header *headers, uint64_t n,
                                               const char *name);

/* Appends the NUL-terminated s to a host buffer. */
int bwsdk_buf_puts(const struct bw_host *host, struct bw_buf *buf, const char *s);

/* Copies src (len bytes) into dst of capacity cap with a NUL; BW_E_NOMEM
 * (dst emptied) when it does not fit. */
int bwsdk_strlcpy(char *dst, size_t cap, const char *src, size_t len);

#ifdef __cplusplus
}
#endif

#endif
