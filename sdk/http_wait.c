/*
 * SDK waits in a provider's HTTP client: sleeping a while (through signals)
 * and waiting out a 429 whose Retry-After is short enough to send the
 * request again within the call, instead of failing it with BW_E_RETRY
 * (declared in include/bookwell-sdk/sdk.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <bookwell-sdk/sdk.h>

#include <stdlib.h>
#include <time.h>

/* A 429 is waited out when it asks for at most this long... */
#define SHORT_RETRY_MS 2000
/* ...and the call's deadline is at least this much further away. */
#define DEADLINE_MARGIN_MS 500

void bwsdk_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

bool bwsdk_http_wait_short_429(const struct bw_host *host, struct bw_call *call,
                               const struct bw_http_response *resp, const char *counter)
{
    if (resp->status != 429)
        return false;
    const struct bw_http_header *ra = bwsdk_http_header(resp->headers, resp->n_headers,
                                                        "Retry-After");
    int64_t ms = ra ? (int64_t)strtol(ra->value.ptr, NULL, 10) * 1000 : 1000;
    host->counter_add(call, counter, 1);
    if (ms > SHORT_RETRY_MS || ms + DEADLINE_MARGIN_MS >= host->deadline_ms(call))
        return false;
    bwsdk_sleep_us(ms * 1000);
    return true;
}
