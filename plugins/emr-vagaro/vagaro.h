/*
 * emr.vagaro: Vagaro's Enterprise Business API V2 as an EMR plugin. This
 * header is shared by the plugin's files: the instance, the API client
 * (vg_http.c: the access token from client id and secret, kept until
 * shortly before it expires and sent in the accessToken header; one wait
 * on a short 429; errors from the status) and the ops (vagaro.c: catalog
 * and availability; vg_booking.c: customers, appointments, and the answer
 * of writes when the clinic's plan has none).
 */
#ifndef EMR_VAGARO_H
#define EMR_VAGARO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define VG_URL_MAX 2048
#define VG_ID_MAX 96
#define VG_PATH_MAX 128
#define VG_TOKEN_MAX 4096

/* One per tenant binding. The settings never change after open; the token
 * is shared by concurrent ops under the mutex. */
struct vg_instance {
    const struct bw_host *host;
    char api_base[512], token_path[VG_PATH_MAX], client_id[256], scope[512];
    char path_locations[VG_PATH_MAX], path_services[VG_PATH_MAX], path_employees[VG_PATH_MAX];
    char path_availability[VG_PATH_MAX], path_customers[VG_PATH_MAX],
        path_appointments[VG_PATH_MAX];
    char business_id[VG_ID_MAX], timezone[64], currency[4], booking_url[512];
    bool writes; /* the clinic's plan lets the API book, create and cancel */
    pthread_mutex_t lock;
    char token[VG_TOKEN_MAX];
    int64_t token_expiry_us;   /* mono_us after which the token is fetched again */
    uint32_t token_generation; /* bumped by every fetch */
};

/*
 * One API request: method, path under api_base, query (already encoded,
 * may be NULL) and an optional JSON body. Adds the access token (fetched
 * or refreshed as needed, and once more after a 401), waits out one short
 * 429. *status gets the HTTP status; on 2xx *doc the parsed body (caller
 * frees; NULL when empty). Other statuses return their BW_E_* code.
 */
int vg_request(struct vg_instance *in, struct bw_call *call, const char *method,
               const char *path, const char *query, const cJSON *body, int *status,
               cJSON **doc, struct bw_error *err);

/* The Vagaro business for a location id of a query ("main", the host's
 * name for a tenant's only location, is the configured one). */
const char *vg_business(const struct vg_instance *in, const char *id);

/* ---- vg_booking.c ---- */
int vg_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                    struct bw_buf *out, struct bw_error *err);
int vg_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                      const char *key, struct bw_buf *out, struct bw_error *err);
int vg_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                        struct bw_buf *out, struct bw_error *err);
int vg_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
            struct bw_buf *out, struct bw_error *err);
int vg_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
              struct bw_buf *out, struct bw_error *err);

#endif
