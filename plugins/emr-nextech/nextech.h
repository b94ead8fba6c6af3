/*
 * emr.nextech: the Nextech Select API (FHIR STU3 over OAuth2) as an EMR
 * plugin. This header is shared by the plugin's files: the instance, the
 * API client (nx_http.c: token cache, per-endpoint request spacing, errors
 * from OperationOutcome bodies, Bundle paging) and the ops (nextech.c:
 * catalog and availability; nx_booking.c: patients, appointments, deposits).
 */
#ifndef EMR_NEXTECH_H
#define EMR_NEXTECH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define NX_URL_MAX 2048
#define NX_ID_MAX 96
#define NX_TOKEN_MAX 4096
#define NX_RATE_WINDOW 64          /* most requests per second per endpoint tracked */
#define NX_ENDPOINTS 8
#define NX_EXT "https://select.nextech-api.com/api/structuredefinition/"

/* Send times of the last NX_RATE_WINDOW requests to one endpoint. */
struct nx_endpoint {
    char name[32];
    int64_t sent_us[NX_RATE_WINDOW];
    uint32_t next;
};

/* One per tenant binding. The settings never change after open; the token
 * and the rate windows are shared by concurrent ops under the mutex. */
struct nx_instance {
    const struct bw_host *host;
    char api_base[512], token_url[512], resource[256];
    char client_id[256], username[256], grant[32];
    char practice_id[128], location_id[NX_ID_MAX], timezone[64], currency[4];
    int64_t page_size, rate_limit;
    pthread_mutex_t lock;
    char token[NX_TOKEN_MAX];
    int64_t token_expiry_us;   /* mono_us after which the token is refreshed */
    uint32_t token_generation; /* bumped by every fetch */
    struct nx_endpoint endpoints[NX_ENDPOINTS];
};

/*
 * One API request: method, path under api_base (or an absolute URL, as
 * Bundle "next" links are) and an optional JSON body. Adds the bearer token
 * (fetched or refreshed as needed, and once more after a 401) and the
 * nx-practice-id header, spaces requests to the endpoint to the rate limit,
 * and waits out one short 429. *status gets the HTTP status; on 2xx *doc
 * the parsed body (caller frees; NULL when empty). Other statuses return
 * their BW_E_* code with err filled from the OperationOutcome, except the
 * statuses listed in pass (0-terminated), which return 0 with *doc parsed.
 */
int nx_request(struct nx_instance *in, struct bw_call *call, const char *method,
               const char *path, const cJSON *body, const int *pass, int *status, cJSON **doc,
               struct bw_error *err);

/* A search: follows the Bundle's "next" links, calling fn for every
 * entry's resource until fn returns non-zero (that value is returned).
 * At most max_pages pages. */
int nx_search(struct nx_instance *in, struct bw_call *call, const char *path_query,
              int (*fn)(const cJSON *resource, void *ctx), void *ctx, struct bw_error *err);

/* The id after the last '/' of a reference ("Practitioner/dr-smith"). */
const char *nx_ref_id(const char *ref);
/* The id referenced by the extension whose url ends with "/" name. */
const char *nx_ext_ref(const cJSON *resource, const char *name);

/* ---- nx_booking.c ---- */
int nx_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err);
int nx_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err);
int nx_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err);
int nx_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err);
int nx_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                  const char *key, struct bw_buf *out, struct bw_error *err);
int nx_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err);
int nx_deposit_log(void *instance, struct bw_call *call, const struct bw_json *deposit,
                   const char *key, struct bw_buf *out, struct bw_error *err);

/* The Nextech location for a location id of a query ("main", the host's
 * name for a tenant's only location, is the configured one). */
const char *nx_location(const struct nx_instance *in, const char *id);

#endif
