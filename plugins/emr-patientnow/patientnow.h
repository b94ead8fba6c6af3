/*
 * emr.patientnow: PatientNow's REST API (a gateway key in the "apikey"
 * query parameter plus HTTP Basic credentials of an API user) as an EMR
 * plugin. This header is shared by the plugin's files: the instance, the
 * API client (pn_http.c: credentials on every request, one wait on a short
 * 429, errors from the status, paged lists) and the ops (patientnow.c:
 * catalog and availability; pn_booking.c: patients, booking, cancelling).
 */
#ifndef EMR_PATIENTNOW_H
#define EMR_PATIENTNOW_H

#include <stdbool.h>
#include <stdint.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define PN_URL_MAX 2048
#define PN_ID_MAX 96
#define PN_PATH_MAX 128

/* One per tenant binding; nothing in it changes after open, so concurrent
 * ops share it without a lock. */
struct pn_instance {
    const struct bw_host *host;
    char api_base[512], username[256];
    char path_locations[PN_PATH_MAX], path_providers[PN_PATH_MAX], path_types[PN_PATH_MAX];
    char path_availability[PN_PATH_MAX], path_patients[PN_PATH_MAX],
        path_appointments[PN_PATH_MAX];
    char location_id[PN_ID_MAX], timezone[64], currency[4];
    int64_t page_size;
};

/*
 * One API request: method, path under api_base and query (already encoded,
 * may be empty); body is JSON or NULL. Adds the gateway key and the Basic
 * credentials, waits out one short 429. *status gets the HTTP status; on
 * 2xx *doc the parsed body (caller frees; NULL when empty). Other statuses
 * return their BW_E_* code with err filled, 409 as BW_E_CONFLICT.
 */
int pn_request(struct pn_instance *in, struct bw_call *call, const char *method,
               const char *path, const char *query, const cJSON *body, int *status,
               cJSON **doc, struct bw_error *err);

/* A paged list: every page of path?query (pageNumber from 1, pageSize the
 * configured size), calling fn for each item of "data" until fn returns
 * non-zero (that value is returned). */
int pn_list(struct pn_instance *in, struct bw_call *call, const char *path, const char *query,
            int (*fn)(const cJSON *item, void *ctx), void *ctx, struct bw_error *err);

/* The PatientNow location for a location id of a query ("main", the host's
 * name for a tenant's only location, is the configured one). */
const char *pn_location(const struct pn_instance *in, const char *id);

/* ---- pn_booking.c ---- */
int pn_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err);
int pn_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err);
int pn_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err);
int pn_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err);

#endif
