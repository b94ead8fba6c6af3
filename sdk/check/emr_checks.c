/*
 * The EMR contract, checked on one open instance: capabilities, catalog/1,
 * availability in a window (slots starting inside it, end after start), then the
 * booking checks of emr_booking.c (patients, book, conflict, free only,
 * list, deposit, reschedule, cancel), then malformed inputs refused with
 * BW_E_INVAL, health and error codes. A check whose op the instance does
 * not claim (capabilities) is printed as SKIP, never left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "emr_ops.h"
#include "emr_shapes.h"

#define US_PER_MIN INT64_C(60000000)
#define US_PER_DAY (1440 * US_PER_MIN)

static void check_capabilities(struct emr_run *e)
{
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    const uint64_t known = (BW_EMR_CAP_APPOINTMENT_LIST << 1) - 1;
    kit_call_begin(e->k, &call, &out);
    r.rc = e->ops->capabilities(e->k->h.instance, &call, &e->caps);
    r.err.code = r.rc; /* capabilities has no error struct */
    kit_call_end(e->k, &call, out, &r, "capabilities");
    if (r.rc != 0)
        kit_fail(e->k, "capabilities", "returned %s", bw_strerror(r.rc));
    else if (e->caps & ~known)
        kit_fail(e->k, "capabilities", "unknown bits 0x%llx",
                 (unsigned long long)(e->caps & ~known));
    else if (!(e->caps & (BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_LINK_ONLY)))
        kit_fail(e->k, "capabilities", "neither availability nor link_only: nothing to book with");
    else {
        printf("# capabilities:");
        for (int op = 0; op < EMR_N_OPS; op++)
            if (emr_has(e, (enum emr_op)op))
                printf(" %s", emr_op_name((enum emr_op)op));
        printf("%s\n", (e->caps & BW_EMR_CAP_LINK_ONLY) ? " link_only" : "");
        kit_pass(e->k, "capabilities");
    }
    kit_result_free(&r);
}

static void check_catalog(struct emr_run *e)
{
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    char why[400];
    kit_call_begin(e->k, &call, &out);
    r.rc = e->ops->catalog(e->k->h.instance, &call, out, &r.err);
    kit_call_end(e->k, &call, out, &r, "catalog");
    if (emr_call_failed(e, "catalog", &r))
        goto done;
    if (shape_catalog(r.json, why, sizeof why) != 0) {
        kit_fail(e->k, "catalog", "catalog/1: %s", why);
        goto done;
    }
    e->catalog = r.json;
    r.json = NULL;
    const cJSON *locs = cJSON_GetObjectItemCaseSensitive(e->catalog, "locations"), *it;
    e->loc = e->k->location ? e->k->location : shape_str(cJSON_GetArrayItem(locs, 0), "id");
    if (!shape_has_id(e->catalog, "locations", e->loc)) {
        kit_fail(e->k, "catalog", "no location %s", e->loc);
        goto done;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e->catalog, "services"))
    {
        const char *id = shape_str(it, "id");
        bool everywhere = !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(it, "location_ids"));
        if (e->k->service ? strcmp(id, e->k->service) == 0
                          : (everywhere || shape_has_id(it, "location_ids", e->loc))) {
            e->svc = id;
            break;
        }
    }
    if (!e->svc) {
        kit_fail(e->k, "catalog", "no service %s at location %s",
                 e->k->service ? e->k->service : "offered", e->loc);
        goto done;
    }
    printf("# location %s, service %s\n", e->loc, e->svc);
    kit_pass(e->k, "catalog");
done:
    if (!e->svc) {
        cJSON_Delete(e->catalog);
        e->catalog = NULL;
    }
    kit_result_free(&r);
}

static void check_availability(struct emr_run *e)
{
    struct kit_result r;
    char why[400];
    if (!emr_need(e, EMR_AVAILABILITY, "availability") | !emr_need(e, EMR_AVAILABILITY, "availability_in_range"))
        return;
    if (!e->catalog) {
        kit_fail(e->k, "availability", "needs a well-formed catalog");
        kit_fail(e->k, "availability_in_range", "needs a well-formed catalog");
        return;
    }
    /* From the next whole minute, for --days days. */
    e->from = (clock_now_us() / US_PER_MIN + 1) * US_PER_MIN;
    e->to = e->from + e->k->days * US_PER_DAY;
    char *q = emr_availability_query(e, e->from, e->to);
    emr_call(e, EMR_AVAILABILITY, q ? q : "", NULL, &r);
    free(q);
    if (emr_call_failed(e, "availability", &r)) {
        kit_fail(e->k, "availability_in_range", "no answer to check");
        goto done;
    }
    if (shape_slots(r.json, e->catalog, why, sizeof why) != 0) {
        kit_fail(e->k, "availability", "slots/1: %s", why);
        kit_fail(e->k, "availability_in_range", "no well-formed answer to check");
        goto done;
    }
    kit_pass(e->k, "availability");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "slots"))
    {
        int64_t a, b;
        shape_time(it, "start", &a);
        shape_time(it, "end", &b);
        if (a < e->from || a >= e->to || strcmp(shape_str(it, "location_id"), e->loc) != 0 ||
            strcmp(shape_str(it, "service_id"), e->svc) != 0) {
            kit_fail(e->k, "availability_in_range",
                     "slot %s..%s (%s, %s) is outside the query", shape_str(it, "start"),
                     shape_str(it, "end"), shape_str(it, "location_id"),
                     shape_str(it, "service_id"));
            e->slot_a = e->slot_b = NULL; /* they point into the answer freed below */
            goto done;
        }
        if (!e->slot_a) {
            e->slot_a = it;
        } else if (!e->slot_b) {
            int64_t x, y;
            shape_time(e->slot_a, "end", &x);
            shape_time(e->slot_a, "start", &y);
            if (a >= x || b <= y)
                e->slot_b = it;
        }
    }
    if (!e->slot_a) {
        kit_fail(e->k, "availability_in_range", "no free slot in %lld day(s) to book",
                 (long long)e->k->days);
        goto done;
    }
    printf("# %d slot(s); booking %s\n", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "slots")),
           shape_str(e->slot_a, "start"));
    kit_pass(e->k, "availability_in_range");
    e->slots = r.json;
    r.json = NULL;
done:
    kit_result_free(&r);
}

/* Every op the instance claims refuses input that is not JSON, and input
 * missing its required members, with BW_E_INVAL. */
static void check_malformed(struct emr_run *e)
{
    static const struct {
        enum emr_op op;
        const char *missing; /* valid JSON without the required members */
    } cases[] = {
        { EMR_AVAILABILITY, "{\"location_id\":\"x\"}" },
        { EMR_PATIENT_FIND, "[]" },
        { EMR_PATIENT_CREATE, "{\"first_name\":\"Kit\"}" },
        { EMR_APPOINTMENT_LIST, "{\"from\":\"not a time\"}" },
        { EMR_BOOK, "{\"patient_id\":\"x\",\"start\":\"tomorrow\"}" },
        { EMR_RESCHEDULE, "{\"start\":\"2030-01-01T10:00:00Z\"}" },
        { EMR_CANCEL, "{\"reason\":\"no id\"}" },
        { EMR_DEPOSIT_LOG, "{\"amount_minor\":\"fifty\"}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64], key[64];
        snprintf(name, sizeof name, "malformed_%s", emr_op_name(cases[i].op));
        if (!emr_need(e, cases[i].op, name))
            continue;
        const char *inputs[] = { "{\"not json", cases[i].missing };
        int j;
        for (j = 0; j < 2; j++) {
            struct kit_result r;
            kit_key(e->k, key);
            emr_call(e, cases[i].op, inputs[j], key, &r);
            int rc = r.rc;
            kit_result_free(&r);
            if (rc != BW_E_INVAL) {
                kit_fail(e->k, name, "input %s returned %s, not BW_E_INVAL", inputs[j],
                         bw_strerror(rc));
                break;
            }
        }
        if (j == 2)
            kit_pass(e->k, name);
    }
}

/* Fills the run's patient: a number and name no earlier run used. */
static void new_patient(struct emr_run *e)
{
    unsigned v = 0;
    for (const char *c = e->k->run_id; *c; c++)
        v = v * 31u + (unsigned char)*c;
    /* NANP: area 415, exchange 2xx-9xx, any line. */
    snprintf(e->phone, sizeof e->phone, "+1415%03u%04u", 200 + (v % 800), (v / 800) % 10000);
    snprintf(e->first, sizeof e->first, "Kit");
    char tail[9];
    for (int i = 0; i < 8; i++)
        tail[i] = (char)('a' + (e->k->run_id[i] % 26));
    tail[8] = 0;
    snprintf(e->last, sizeof e->last, "Check%s", tail);
}

void kit_check_emr(struct kit *k)
{
    struct emr_run e = { .k = k, .ops = k->desc->ops };
    new_patient(&e);
    check_capabilities(&e);
    check_catalog(&e);
    check_availability(&e);
    emr_check_patients(&e);
    emr_check_book(&e);
    emr_check_list(&e);
    emr_check_deposit(&e);
    emr_check_reschedule_cancel(&e);
    check_malformed(&e);
    kit_check_health(k);
    kit_check_error_codes(k);
    cJSON_Delete(e.slots);
    cJSON_Delete(e.catalog);
}

