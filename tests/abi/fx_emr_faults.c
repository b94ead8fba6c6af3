/*
 * The conformance kit's negative controls: the template EMR (sdk/template,
 * compiled into this file) with one contract violation switched on by the
 * environment variable BW_KIT_FAULT, read when the plugin loads:
 *   (unset)        none: the kit must pass it
 *   double_book    booking a taken slot succeeds with a second appointment
 *   bad_code       malformed input returns -42 instead of BW_E_INVAL
 *   outside_range  availability adds a slot outside the queried window
 *   create_twice   a retried patient_create writes a second patient
 *   stale_slots    availability keeps answering its first answer (booked
 *                  slots stay offered)
 *   plain_token    a credential key ("api_token") is a plain string, not
 *                  BW_CFG_SECRET
 * Every variant also has a plain "token_url" key, which names where a
 * credential comes from and must not be taken for one.
 * tests/abi/check_kit.sh runs the kit on each and expects the checks that
 * fault breaks, and only those kinds of failure, to be reported.
 */
#define bw_plugin_entry_v1 template_entry_v1
#include "../../sdk/template/emr_template.c"
#include "../../sdk/template/template_booking.c"
#include "../../sdk/template/template_store.c"
#undef bw_plugin_entry_v1

#include <stdlib.h>

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor);

enum fault { NONE, DOUBLE_BOOK, BAD_CODE, OUTSIDE_RANGE, CREATE_TWICE, STALE_SLOTS, PLAIN_TOKEN };
static enum fault fault;
static struct bw_emr_ops fault_ops;
static struct bw_plugin_descriptor fault_descriptor;
static char stale[65536];      /* STALE_SLOTS: the first availability answer */

static int bad_code(int rc, struct bw_error *err)
{
    if (fault == BAD_CODE && rc == BW_E_INVAL) {
        err->code = 0;
        return -42;
    }
    return rc;
}

static int f_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                          struct bw_buf *out, struct bw_error *err)
{
    struct tpl_instance *in = instance;
    if (fault == STALE_SLOTS && stale[0])
        return bwsdk_buf_puts(in->host, out, stale);
    int rc = template_availability(instance, call, query, out, err);
    struct bw_bytes v;
    if (rc == 0 && in->host->buf_view(out, &v) == 0) {
        if (fault == STALE_SLOTS && v.len < sizeof stale)
            memcpy(stale, v.ptr, v.len + 1);
        if (fault == OUTSIDE_RANGE && v.len > 12 && v.ptr[v.len - 2] == ']') {
            /* {"slots":[...]} -> {"slots":[...,<a slot in 2099>]} */
            static const char extra[] =
                ",{\"start\":\"2099-01-05T17:00:00Z\",\"end\":\"2099-01-05T17:30:00Z\","
                "\"location_id\":\"main\",\"service_id\":\"consult\",\"provider_id\":\"p1\"}]}";
            in->host->buf_truncate(out, v.len - 2);
            rc = bwsdk_buf_puts(in->host, out, extra);
        }
    }
    return bad_code(rc, err);
}

static int f_patient_find(void *i, struct bw_call *c, const struct bw_json *q, struct bw_buf *o,
                          struct bw_error *e)
{
    return bad_code(tpl_patient_find(i, c, q, o, e), e);
}

static int f_patient_create(void *i, struct bw_call *c, const struct bw_json *p, const char *key,
                            struct bw_buf *o, struct bw_error *e)
{
    static unsigned n;
    char other[80];
    if (fault == CREATE_TWICE && key) {
        snprintf(other, sizeof other, "%s-%u", key, n++);
        key = other;
    }
    return bad_code(tpl_patient_create(i, c, p, key, o, e), e);
}

static int f_appointment_list(void *i, struct bw_call *c, const struct bw_json *q,
                              struct bw_buf *o, struct bw_error *e)
{
    return bad_code(tpl_appointment_list(i, c, q, o, e), e);
}

static int f_book(void *i, struct bw_call *c, const struct bw_json *r, const char *key,
                  struct bw_buf *o, struct bw_error *e)
{
    int rc = tpl_book(i, c, r, key, o, e);
    if (fault == DOUBLE_BOOK && rc == BW_E_CONFLICT) {
        /* Pretend the EMR took a second booking of the same time. */
        cJSON *q = NULL, *a = cJSON_CreateObject();
        if (bwsdk_json_parse(r, NULL, &q) == 0 && a) {
            cJSON_AddStringToObject(a, "id", "apt_double");
            static const char *const keys[] = { "patient_id", "location_id", "service_id",
                                                "provider_id", "start", "end" };
            for (size_t k = 0; k < 6; k++)
                cJSON_AddStringToObject(a, keys[k], bwsdk_json_string_or(q, keys[k], ""));
            cJSON_AddStringToObject(a, "status", "booked");
            memset(e, 0, sizeof *e);
            e->struct_size = sizeof *e;
            rc = bwsdk_json_emit(((struct tpl_instance *)i)->host, o, a);
        }
        cJSON_Delete(q);
        cJSON_Delete(a);
    }
    return bad_code(rc, e);
}

static int f_reschedule(void *i, struct bw_call *c, const struct bw_json *r, const char *key,
                        struct bw_buf *o, struct bw_error *e)
{
    return bad_code(tpl_reschedule(i, c, r, key, o, e), e);
}

static int f_cancel(void *i, struct bw_call *c, const struct bw_json *r, const char *key,
                    struct bw_buf *o, struct bw_error *e)
{
    return bad_code(tpl_cancel(i, c, r, key, o, e), e);
}

const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major, uint32_t host_minor)
{
    static const char *const names[] = { "",           "double_book", "bad_code",   "outside_range",
                                         "create_twice", "stale_slots", "plain_token" };
    static struct bw_config_field fields[64];
    const struct bw_plugin_descriptor *t = template_entry_v1(host_major, host_minor);
    const char *want = getenv("BW_KIT_FAULT");
    if (!t)
        return NULL;
    fault = NONE;
    for (int k = 1; want && k < 7; k++)
        if (strcmp(want, names[k]) == 0)
            fault = (enum fault)k;
    fault_ops = template_ops;
    fault_ops.availability = f_availability;
    fault_ops.patient_find = f_patient_find;
    fault_ops.patient_create = f_patient_create;
    fault_ops.appointment_list = f_appointment_list;
    fault_ops.book = f_book;
    fault_ops.reschedule = f_reschedule;
    fault_ops.cancel = f_cancel;
    fault_descriptor = *t;
    fault_descriptor.id = "emr.kitfaults";
    fault_descriptor.version = "1.0.0";
    fault_descriptor.description = "the template EMR with one contract violation (BW_KIT_FAULT)";
    fault_descriptor.ops = &fault_ops;
    uint32_t n = t->n_config;
    if (n + 2 > sizeof fields / sizeof fields[0])
        return NULL;
    memcpy(fields, t->config, n * sizeof fields[0]);
    fields[n++] = (struct bw_config_field){ sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0,
                                            "token_url", NULL,
                                            "where access tokens are fetched", 0, 0 };
    if (fault == PLAIN_TOKEN)
        fields[n++] = (struct bw_config_field){ sizeof(struct bw_config_field), BW_CFG_STRING, 0,
                                                0, "api_token", NULL,
                                                "a credential kept as a plain string", 0, 0 };
    fault_descriptor.config = fields;
    fault_descriptor.n_config = n;
    return &fault_descriptor;
}
