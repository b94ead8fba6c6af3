/*
 * emr.template's shared declarations: the instance (its settings, read
 * once at instance_open from the tenant binding) and the calendar's
 * storage in the host's key-value store (template_store.c), which the ops
 * of emr_template.c and template_booking.c use. Everything here is the
 * plugin's own: none of it crosses the ABI.
 */
#ifndef EMR_TEMPLATE_H
#define EMR_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define TPL_MAX_SERVICES 20
#define TPL_ID_MAX 64

struct tpl_service {
    char id[TPL_ID_MAX];
    char name[96];
    int64_t minutes;
    int64_t price_minor;
};

/* One per tenant binding, from instance_open to instance_close. Strings
 * are copies; the instance never changes after open, so concurrent ops
 * only read it. */
struct tpl_instance {
    const struct bw_host *host;
    char location_id[TPL_ID_MAX], location_name[96], timezone[64];
    char provider_id[TPL_ID_MAX], provider_name[96];
    char currency[4];
    struct tpl_service services[TPL_MAX_SERVICES];
    uint32_t n_services;
    int32_t offset_s;          /* the clinic's UTC offset (fixed; see README) */
    int64_t open_min, close_min; /* working hours, minutes after local midnight */
    uint32_t days;             /* bit 0 = Monday ... bit 6 = Sunday */
    int64_t step_min;          /* slot grid */
};

const struct tpl_service *tpl_service(const struct tpl_instance *in, const char *id);

/* ---- template_store.c: records in the host's key-value store ---------- */

/* A record id derived from the idempotency key ("pat_" + 16 hex digits),
 * so a retried write names the record the first attempt made. */
int tpl_id_from_key(const struct tpl_instance *in, const char *prefix, const char *key,
                    char out[TPL_ID_MAX]);
/* Reads key's JSON value into *doc (NULL when absent). */
int tpl_get(const struct tpl_instance *in, struct bw_call *call, const char *key, cJSON **doc,
            struct bw_error *err);
/* Stores doc at key; with only_new, only when absent (*stored says). */
int tpl_put(const struct tpl_instance *in, struct bw_call *call, const char *key,
            const cJSON *doc, bool only_new, int32_t *stored, struct bw_error *err);
/* Calls fn for every live key under prefix (paged), until fn returns non-zero. */
int tpl_keys(const struct tpl_instance *in, struct bw_call *call, const char *prefix,
             int (*fn)(const char *key, void *ctx), void *ctx, struct bw_error *err);

/* The grid cells of [start, end): claims each for appointment id (a cell
 * already held by id counts as claimed); BW_E_CONFLICT, with nothing
 * claimed, when another appointment holds one. */
int tpl_cells_claim(const struct tpl_instance *in, struct bw_call *call, int64_t start,
                    int64_t end, const char *id, struct bw_error *err);
/* Frees the cells of [start, end) that id holds, except those inside
 * [keep_start, keep_end). */
int tpl_cells_release(const struct tpl_instance *in, struct bw_call *call, int64_t start,
                      int64_t end, const char *id, int64_t keep_start, int64_t keep_end);
/* Whether any cell of [start, end) is taken, given the sorted busy list. */
bool tpl_cells_busy(const int64_t *busy, size_t n, int64_t start, int64_t end);
/* The busy cells of the provider, sorted (malloc'd; caller frees). */
int tpl_cells_list(const struct tpl_instance *in, struct bw_call *call, int64_t **out,
                   size_t *n, struct bw_error *err);

/* ---- template_booking.c: patients and appointments ---------------------- */

int tpl_patient_find(void *instance, struct bw_call *call, const struct bw_json *query,
                     struct bw_buf *out, struct bw_error *err);
int tpl_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                       const char *key, struct bw_buf *out, struct bw_error *err);
int tpl_appointment_list(void *instance, struct bw_call *call, const struct bw_json *query,
                         struct bw_buf *out, struct bw_error *err);
int tpl_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
             struct bw_buf *out, struct bw_error *err);
int tpl_reschedule(void *instance, struct bw_call *call, const struct bw_json *req,
                   const char *key, struct bw_buf *out, struct bw_error *err);
int tpl_cancel(void *instance, struct bw_call *call, const struct bw_json *req, const char *key,
               struct bw_buf *out, struct bw_error *err);

/* Whether [start, end) is a bookable time: on the grid, inside working
 * hours of an open day. */
bool tpl_bookable(const struct tpl_instance *in, int64_t start, int64_t end);

#endif
