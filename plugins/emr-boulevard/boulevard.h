/*
 * emr.boulevard: shared declarations of the Boulevard plugin. The instance
 * (credentials, API address, page size), the GraphQL transport of
 * boulevard_gql.c (signed Admin API requests, Client API requests, the
 * query-cost throttle honoured, Relay pagination), and the ops split over
 * boulevard.c (lifecycle, catalog, availability through the booking cart)
 * and boulevard_booking.c (clients, appointments, booking, cancel).
 *
 * Ids: Boulevard's ids are URNs ("urn:blvd:Service:<id>"); the plugin hands
 * the host their last segment and rebuilds the URN from the kind it expects.
 */
#ifndef BW_EMR_BOULEVARD_H
#define BW_EMR_BOULEVARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define BLVD_ID_MAX 160

struct blvd {
    const struct bw_host *host;
    char business_id[96];
    char api_key[160];
    char api_url[256];         /* ".../api/2020-01", no trailing slash */
    char location[BLVD_ID_MAX]; /* the configured location's id, or "" for all */
    char currency[8];
    uint8_t key[128];          /* the base64-decoded API secret */
    size_t key_len;
    int64_t page_size;
    int64_t throttle_wait_ms;  /* longest wait for query-cost budget before BW_E_RETRY */
};

/* Which API a request goes to. */
enum blvd_api { BLVD_ADMIN, BLVD_CLIENT };

/*
 * Runs one GraphQL operation (a fixed document and its variables, borrowed)
 * and sets *doc to the parsed answer (caller deletes) and *data to its
 * "data" member. A throttled request is retried after the budget refills
 * when that fits throttle_wait_ms and the deadline, else BW_E_RETRY with
 * retry_after_ms. HTTP 401/403: BW_E_AUTH; 429/5xx: BW_E_RETRY; GraphQL
 * errors: BOOKING_TIME_UNAVAILABLE is BW_E_CONFLICT, others BW_E_REMOTE, the
 * code in err->provider_code.
 */
int blvd_gql(struct blvd *in, struct bw_call *call, enum blvd_api api, const char *op,
             const char *query, cJSON *vars, cJSON **doc, const cJSON **data,
             struct bw_error *err);

/* Called with each node of a connection; non-zero stops with that code. */
typedef int (*blvd_node_fn)(void *ctx, const cJSON *node);

/*
 * Walks every page of the connection data.<field>, setting the variables
 * "first" and "after" (vars is modified), calling fn on each node.
 */
int blvd_each(struct blvd *in, struct bw_call *call, enum blvd_api api, const char *op,
              const char *query, cJSON *vars, const char *field, blvd_node_fn fn, void *ctx,
              struct bw_error *err);

/* "urn:blvd:<kind>:<id>" into out (id already a URN is copied). */
int blvd_urn(const char *kind, const char *id, char *out, size_t cap);
/* The last segment of a URN (the whole string when it has no ':'). */
const char *blvd_tail(const char *urn);

/*
 * The Boulevard location (a URN) a request's location_id names. "main", the
 * host's name for a tenant's only location, and "" name the instance's
 * location: location_id of the binding, else the business's first one.
 */
int blvd_location(struct blvd *in, struct bw_call *call, const char *requested, char *out,
                  size_t cap, struct bw_error *err);

/* Whether s is a usable id: 1..100 bytes, no quote, slash, bar or control byte. */
bool blvd_id_ok(const char *s);

/* ---- boulevard_booking.c ------------------------------------------------- */
int blvd_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                      struct bw_buf *out, struct bw_error *err);
int blvd_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                        const char *key, struct bw_buf *out, struct bw_error *err);
int blvd_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                          struct bw_buf *out, struct bw_error *err);
int blvd_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err);
int blvd_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                    const char *key, struct bw_buf *out, struct bw_error *err);
int blvd_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
                struct bw_buf *out, struct bw_error *err);

#endif
