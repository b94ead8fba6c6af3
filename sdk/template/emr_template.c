/*
 * emr.template: a small but complete EMR plugin to start from. It is its
 * own practice-management system: a calendar for one location and one
 * provider, a few services, working hours from the tenant binding, and
 * patients and appointments kept in the host's key-value store (see
 * template_store.c), so it books for real and passes bookwell-plugin-check.
 * A plugin for a real EMR keeps this shape (one instance struct, static
 * ops, one descriptor, one exported entry function) and replaces the
 * storage calls with calls to the EMR's API through bw_host.http.
 *
 * This file: settings, instance lifecycle, capabilities, catalog and
 * availability. Patients and appointments: template_booking.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "template.h"

#define US_PER_MIN INT64_C(60000000)
#define US_PER_DAY (1440 * US_PER_MIN)
#define MAX_SLOTS 1000

const struct tpl_service *tpl_service(const struct tpl_instance *in, const char *id)
{
    for (uint32_t i = 0; id && i < in->n_services; i++)
        if (strcmp(in->services[i].id, id) == 0)
            return &in->services[i];
    return NULL;
}

/* Copies a configured string (host-owned) into dst. */
static int setting(const struct bw_host *host, struct bw_call *call, const char *key, char *dst,
                   size_t cap)
{
    struct bw_str s;
    if (host->config_string(call, key, &s) != 0 || s.len == 0)
        return -1;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : -1;
}

/* "HH:MM" into minutes after midnight. */
static int clock_minutes(const struct bw_host *host, struct bw_call *call, const char *key,
                         int64_t *out)
{
    char t[8];
    if (setting(host, call, key, t, sizeof t) != 0 || strlen(t) != 5 || t[2] != ':')
        return -1;
    int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    if (h < 0 || h > 24 || m < 0 || m > 59 || h * 60 + m > 1440)
        return -1;
    *out = h * 60 + m;
    return 0;
}

/* One item of "services": "id:name:minutes:price_minor". */
static int parse_service(struct bw_str item, struct tpl_service *s)
{
    char buf[256], *f[4], *save = buf;
    if (bwsdk_strlcpy(buf, sizeof buf, item.ptr, (size_t)item.len) != 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        f[i] = save;
        char *colon = i < 3 ? strchr(save, ':') : NULL;
        if (i < 3 && !colon)
            return -1;
        if (colon) {
            *colon = 0;
            save = colon + 1;
        }
    }
    char *end;
    s->minutes = strtoll(f[2], &end, 10);
    if (*end || s->minutes < 5 || s->minutes > 480)
        return -1;
    s->price_minor = strtoll(f[3], &end, 10);
    if (*end || s->price_minor < 0 || !f[0][0] || strchr(f[0], '/') || !f[1][0])
        return -1;
    return bwsdk_strlcpy(s->id, sizeof s->id, f[0], strlen(f[0])) ||
                   bwsdk_strlcpy(s->name, sizeof s->name, f[1], strlen(f[1]))
               ? -1
               : 0;
}

static int read_days(const struct bw_host *host, struct bw_call *call, uint32_t *mask)
{
    static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    uint32_t n = 0;
    *mask = 0;
    if (host->config_list_count(call, "days", &n) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        struct bw_str d;
        int k = 0;
        if (host->config_list_item(call, "days", i, &d) != 0)
            return -1;
        while (k < 7 && !(d.len == 3 && memcmp(d.ptr, names[k], 3) == 0))
            k++;
        if (k == 7)
            return -1;
        *mask |= 1u << k;
    }
    return 0;
}

static int template_open(const struct bw_host *host, void *state, struct bw_call *call,
                         void **out, struct bw_error *err)
{
    (void)state;
    /* kv_put_if and kv_keys arrived in ABI 1.1 (abi_minor_required says so). */
    if (!BW_FN(host, kv_put_if) || !BW_FN(host, kv_keys))
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the host lacks kv_put_if and kv_keys");
    struct tpl_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    int64_t offset_min = 0;
    uint32_t n = 0;
    const char *bad = NULL;
    if (setting(host, call, "location_id", in->location_id, sizeof in->location_id) ||
        setting(host, call, "location_name", in->location_name, sizeof in->location_name) ||
        setting(host, call, "timezone", in->timezone, sizeof in->timezone))
        bad = "location_id, location_name and timezone";
    else if (setting(host, call, "provider_id", in->provider_id, sizeof in->provider_id) ||
             strchr(in->provider_id, '/') ||
             setting(host, call, "provider_name", in->provider_name, sizeof in->provider_name))
        bad = "provider_id (no '/') and provider_name";
    else if (setting(host, call, "currency", in->currency, sizeof in->currency))
        bad = "currency (three letters)";
    else if (host->config_int(call, "utc_offset_min", &offset_min) != 0)
        bad = "utc_offset_min";
    else if (clock_minutes(host, call, "open", &in->open_min) ||
             clock_minutes(host, call, "close", &in->close_min) || in->close_min <= in->open_min)
        bad = "open and close (\"HH:MM\", open before close)";
    else if (host->config_int(call, "step_min", &in->step_min) != 0)
        bad = "step_min";
    else if (read_days(host, call, &in->days) != 0 || !in->days)
        bad = "days (mon, tue, ... sun)";
    else if (host->config_list_count(call, "services", &n) != 0 || n == 0 || n > TPL_MAX_SERVICES)
        bad = "services";
    for (uint32_t i = 0; !bad && i < n; i++) {
        struct bw_str item;
        if (host->config_list_item(call, "services", i, &item) != 0 ||
            parse_service(item, &in->services[i]) != 0 || tpl_service(in, in->services[i].id))
            bad = "services (\"id:name:minutes:price_minor\", unique ids, 5..480 minutes)";
        else
            in->n_services++;
    }
    if (bad) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "bad setting: %s", bad);
    }
    in->offset_s = (int32_t)(offset_min * 60);
    *out = in;
    return 0;
}

static void template_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

static int template_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_RESCHEDULE |
            BW_EMR_CAP_CANCEL | BW_EMR_CAP_PATIENT_FIND | BW_EMR_CAP_PATIENT_CREATE |
            BW_EMR_CAP_APPOINTMENT_LIST;
    return 0;
}

static int template_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                            struct bw_error *err)
{
    struct tpl_instance *in = instance;
    (void)call;
    cJSON *res = cJSON_CreateObject(), *loc, *svc, *prov, *ids;
    cJSON *locations = cJSON_AddArrayToObject(res, "locations");
    cJSON *services = cJSON_AddArrayToObject(res, "services");
    cJSON *providers = cJSON_AddArrayToObject(res, "providers");
    int rc = BW_E_NOMEM;
    if (!res || !locations || !services || !providers || !(loc = cJSON_CreateObject()))
        goto done;
    cJSON_AddItemToArray(locations, loc);
    if (!cJSON_AddStringToObject(loc, "id", in->location_id) ||
        !cJSON_AddStringToObject(loc, "name", in->location_name) ||
        !cJSON_AddStringToObject(loc, "timezone", in->timezone) ||
        !(prov = cJSON_CreateObject()))
        goto done;
    cJSON_AddItemToArray(providers, prov);
    if (!cJSON_AddStringToObject(prov, "id", in->provider_id) ||
        !cJSON_AddStringToObject(prov, "name", in->provider_name) ||
        !(ids = cJSON_AddArrayToObject(prov, "location_ids")) ||
        !cJSON_AddItemToArray(ids, cJSON_CreateString(in->location_id)) ||
        !(ids = cJSON_AddArrayToObject(prov, "service_ids")))
        goto done;
    for (uint32_t i = 0; i < in->n_services; i++) {
        const struct tpl_service *s = &in->services[i];
        cJSON *locs;
        if (!cJSON_AddItemToArray(ids, cJSON_CreateString(s->id)) ||
            !(svc = cJSON_CreateObject()) || !cJSON_AddItemToArray(services, svc) ||
            !cJSON_AddStringToObject(svc, "id", s->id) ||
            !cJSON_AddStringToObject(svc, "name", s->name) ||
            bwsdk_json_add_int(svc, "duration_min", s->minutes) ||
            bwsdk_json_add_int(svc, "price_minor", s->price_minor) ||
            !cJSON_AddStringToObject(svc, "currency", in->currency) ||
            !(locs = cJSON_AddArrayToObject(svc, "location_ids")) ||
            !cJSON_AddItemToArray(locs, cJSON_CreateString(in->location_id)))
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    cJSON_Delete(res);
    return rc ? bwsdk_error(err, rc, NULL, "cannot write the catalog") : 0;
}

/* Floor division for days before 1970. */
static int64_t day_of(int64_t local_us)
{
    return local_us >= 0 ? local_us / US_PER_DAY : -((-local_us + US_PER_DAY - 1) / US_PER_DAY);
}

/* Monday = 0: 1970-01-01 was a Thursday. */
static int weekday(int64_t day) { return (int)(((day + 3) % 7 + 7) % 7); }

bool tpl_bookable(const struct tpl_instance *in, int64_t start, int64_t end)
{
    int64_t local = start + (int64_t)in->offset_s * 1000000, day = day_of(local);
    int64_t into = local - day * US_PER_DAY;
    if (end <= start || !(in->days & (1u << weekday(day))) || into % (in->step_min * US_PER_MIN))
        return false;
    int64_t m = into / US_PER_MIN, len = (end - start + US_PER_MIN - 1) / US_PER_MIN;
    return m >= in->open_min && m + len <= in->close_min;
}

static int add_slot(const struct tpl_instance *in, cJSON *slots, int64_t start, int64_t end,
                    const char *service)
{
    char a[BWSDK_TIME_MAX], b[BWSDK_TIME_MAX];
    if (bwsdk_time_format(start, in->offset_s, a, sizeof a) ||
        bwsdk_time_format(end, in->offset_s, b, sizeof b))
        return BW_E_NOMEM;
    return bwsdk_slot_add(slots, a, b, in->location_id, service, in->provider_id);
}

static int template_availability(void *instance, struct bw_call *call,
                                 const struct bw_json *query, struct bw_buf *out,
                                 struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *q = NULL, *res = NULL, *slots;
    const char *loc, *service, *from_s, *to_s;
    int64_t from, to, *busy = NULL;
    size_t n_busy = 0;
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed availability query");
    const struct tpl_service *svc = NULL;
    if (bwsdk_json_string(q, "location_id", &loc) || bwsdk_json_string(q, "service_id", &service) ||
        bwsdk_json_string(q, "from", &from_s) || bwsdk_json_string(q, "to", &to_s) ||
        bwsdk_time_parse(from_s, &from, NULL) || bwsdk_time_parse(to_s, &to, NULL) ||
        to <= from || to - from > 62 * US_PER_DAY || !(svc = tpl_service(in, service))) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "want location_id, a known service_id, from < to at most 62 days apart");
        goto done;
    }
    rc = BW_E_NOMEM;
    if (!(res = cJSON_CreateObject()) || !(slots = cJSON_AddArrayToObject(res, "slots")))
        goto done;
    const char *prov = bwsdk_json_string_or(q, "provider_id", "");
    if (strcmp(loc, in->location_id) == 0 && (!prov[0] || strcmp(prov, in->provider_id) == 0)) {
        if ((rc = tpl_cells_list(in, call, &busy, &n_busy, err)) != 0)
            goto done;
        const int64_t off = (int64_t)in->offset_s * 1000000, now = in->host->now_us();
        const int64_t len = svc->minutes * US_PER_MIN, step = in->step_min * US_PER_MIN;
        int count = 0;
        for (int64_t day = day_of(from + off); day <= day_of(to + off) && count < MAX_SLOTS; day++) {
            if (!(in->days & (1u << weekday(day))))
                continue;
            int64_t midnight = day * US_PER_DAY - off;
            for (int64_t m = in->open_min * US_PER_MIN; m + len <= in->close_min * US_PER_MIN;
                 m += step) {
                int64_t start = midnight + m, end = start + len;
                if (start < from || end > to || start < now || tpl_cells_busy(busy, n_busy, start, end))
                    continue;
                if ((rc = add_slot(in, slots, start, end, svc->id)) != 0 || ++count >= MAX_SLOTS)
                    break;
            }
            if (rc)
                goto done;
        }
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    free(busy);
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc == BW_E_NOMEM ? bwsdk_error(err, rc, NULL, "out of memory") : rc;
}

static int template_health(void *instance, struct bw_call *call, struct bw_buf *out,
                           struct bw_error *err)
{
    struct tpl_instance *in = instance;
    cJSON *doc = NULL;
    /* The calendar is the key-value store: healthy when it answers. */
    int rc = tpl_get(in, call, "health-probe", &doc, err);
    cJSON_Delete(doc);
    return rc ? rc : bwsdk_buf_puts(in->host, out, "{\"ok\":true}");
}

static const struct bw_emr_ops template_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = template_capabilities,
    .catalog = template_catalog,
    .availability = template_availability,
    .patient_find = tpl_patient_find,
    .patient_create = tpl_patient_create,
    .appointment_list = tpl_appointment_list,
    .book = tpl_book,
    .reschedule = tpl_reschedule,
    .cancel = tpl_cancel,
};

#define FIELD(t, k, def, desc, lo, hi)                                                          \
    { .struct_size = sizeof(struct bw_config_field), .type = (t), .key = (k),                 \
      .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
static const struct bw_config_field template_config[] = {
    FIELD(BW_CFG_STRING, "location_id", "main", "the location's id in the catalog", 0, 0),
    FIELD(BW_CFG_STRING, "location_name", "Main clinic", "the location's name", 0, 0),
    FIELD(BW_CFG_STRING, "timezone", "America/Los_Angeles", "IANA zone reported in the catalog",
          0, 0),
    FIELD(BW_CFG_INT, "utc_offset_min", "-480", "the clinic's UTC offset in minutes (fixed)",
          -840, 840),
    FIELD(BW_CFG_STRING, "provider_id", "p1", "the one provider's id", 0, 0),
    FIELD(BW_CFG_STRING, "provider_name", "Alex Rivera", "the one provider's name", 0, 0),
    FIELD(BW_CFG_LIST, "services",
          "consult:Consultation:30:0,botox:Botox:30:45000,facial:HydraFacial:60:19900",
          "services as id:name:minutes:price_minor", 1, TPL_MAX_SERVICES),
    FIELD(BW_CFG_STRING, "currency", "USD", "ISO 4217 currency of the prices", 0, 0),
    FIELD(BW_CFG_STRING, "open", "09:00", "opening time, local HH:MM", 0, 0),
    FIELD(BW_CFG_STRING, "close", "17:00", "closing time, local HH:MM", 0, 0),
    FIELD(BW_CFG_LIST, "days", "mon,tue,wed,thu,fri", "open days (mon ... sun)", 1, 7),
    FIELD(BW_CFG_INT, "step_min", "15", "minutes between possible start times", 5, 60),
};

static const struct bw_plugin_descriptor template_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1, /* kv_put_if, kv_keys */
    .kind = BW_KIND_EMR,
    .id = "emr.template",
    .version = "0.2.0",
    .description = "template EMR: one provider's calendar kept in the host's key-value store",
    .config = template_config,
    .n_config = sizeof template_config / sizeof template_config[0],
    .instance_open = template_open,
    .instance_close = template_close,
    .health = template_health,
    .ops = &template_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    return host_major == BW_ABI_MAJOR && host_minor >= 1 ? &template_descriptor : NULL;
}
