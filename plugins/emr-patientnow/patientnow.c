/*
 * emr.patientnow: PatientNow (the REST API PatientNow opens to practices on
 * Essentials with API access enabled: a gateway key plus an API user's
 * Basic credentials). The catalog is the practice's locations, providers
 * and appointment types (a provider lists the appointment types it
 * performs; an appointment type's duration is in minutes; prices are not
 * in the API and come from the clinic's own catalog, so they read 0);
 * availability is the openings list for the appointment type, location and
 * optionally provider, every page of it; an opening is in the window when
 * it starts there. Patients, booking and cancelling: pn_booking.c. The API
 * client: pn_http.c. Rescheduling, listing appointments and logging
 * payments are not in PatientNow's public material, so the plugin does not
 * claim them (README.md).
 *
 * The host names a tenant's only location "main": queries for "main" go to
 * the configured location_id. Every resource path is a setting, so a
 * practice can point the plugin at what its gateway exposes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "patientnow.h"

#define US_PER_DAY (INT64_C(86400) * 1000000)
#define MAX_SLOTS 4000

const char *pn_location(const struct pn_instance *in, const char *id)
{
    return !id || !id[0] || strcmp(id, "main") == 0 ? in->location_id : id;
}

static int setting(const struct bw_host *host, struct bw_call *call, const char *key, char *dst,
                   size_t cap)
{
    struct bw_str s;
    dst[0] = 0;
    if (host->config_string(call, key, &s) != 0 || s.len == 0)
        return -1;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : -1;
}

static int patientnow_open(const struct bw_host *host, void *state, struct bw_call *call,
                           void **out, struct bw_error *err)
{
    (void)state;
    struct pn_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    const char *bad = NULL;
    struct bw_str s;
    if (setting(host, call, "api_base", in->api_base, sizeof in->api_base) ||
        (strncmp(in->api_base, "https://", 8) != 0 && strncmp(in->api_base, "http://", 7) != 0))
        bad = "api_base (the gateway's URL)";
    else if (setting(host, call, "username", in->username, sizeof in->username) ||
             strchr(in->username, ':') || host->secret(call, "password", &s) != 0 ||
             host->secret(call, "api_key", &s) != 0)
        bad = "username, password and api_key";
    else if (setting(host, call, "locations_path", in->path_locations, sizeof in->path_locations) ||
             setting(host, call, "providers_path", in->path_providers, sizeof in->path_providers) ||
             setting(host, call, "appointment_types_path", in->path_types, sizeof in->path_types) ||
             setting(host, call, "availability_path", in->path_availability,
                     sizeof in->path_availability) ||
             setting(host, call, "patients_path", in->path_patients, sizeof in->path_patients) ||
             setting(host, call, "appointments_path", in->path_appointments,
                     sizeof in->path_appointments))
        bad = "the resource paths";
    else if (setting(host, call, "location_id", in->location_id, sizeof in->location_id) ||
             setting(host, call, "timezone", in->timezone, sizeof in->timezone) ||
             setting(host, call, "currency", in->currency, sizeof in->currency))
        bad = "location_id, timezone and currency";
    else if (host->config_int(call, "page_size", &in->page_size) != 0)
        bad = "page_size";
    size_t bl = strlen(in->api_base);
    while (bl > 0 && in->api_base[bl - 1] == '/')
        in->api_base[--bl] = 0;
    if (bad) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "bad setting: %s", bad);
    }
    *out = in;
    return 0;
}

static void patientnow_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

static int patientnow_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_CANCEL |
            BW_EMR_CAP_PATIENT_FIND | BW_EMR_CAP_PATIENT_CREATE;
    return 0;
}

struct catalog_ctx {
    struct pn_instance *in;
    cJSON *locations, *services, *providers, *location_ids;
};

static cJSON *id_list(const cJSON *ids)
{
    cJSON *dup = cJSON_Duplicate(ids, 1);
    return dup ? dup : cJSON_CreateArray();
}

static bool listed(const cJSON *arr, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const char *v = cJSON_GetStringValue(it);
        if (v && strcmp(v, id) == 0)
            return true;
    }
    return false;
}

static int add_location(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    char id[PN_ID_MAX];
    bwsdk_json_text(r, "locationId", id, sizeof id);
    if (!id[0])
        return 0;
    cJSON *l = cJSON_CreateObject();
    if (!l || !cJSON_AddItemToArray(c->locations, l) || !cJSON_AddStringToObject(l, "id", id) ||
        !cJSON_AddStringToObject(l, "name", bwsdk_json_string_or(r, "name", id)) ||
        !cJSON_AddStringToObject(l, "timezone", bwsdk_json_string_or(r, "timeZone", c->in->timezone)) ||
        !cJSON_AddItemToArray(c->location_ids, cJSON_CreateString(id)))
        return BW_E_NOMEM;
    return 0;
}

static int add_service(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    char id[PN_ID_MAX];
    int64_t minutes = 0;
    bwsdk_json_text(r, "appointmentTypeId", id, sizeof id);
    if (!id[0] || bwsdk_json_int(r, "duration", &minutes) != 0 || minutes <= 0)
        return 0;
    cJSON *s = cJSON_CreateObject();
    if (!s || !cJSON_AddItemToArray(c->services, s) || !cJSON_AddStringToObject(s, "id", id) ||
        !cJSON_AddStringToObject(s, "name", bwsdk_json_string_or(r, "name", id)) ||
        bwsdk_json_add_int(s, "duration_min", minutes) || bwsdk_json_add_int(s, "price_minor", 0) ||
        !cJSON_AddStringToObject(s, "currency", c->in->currency) ||
        !cJSON_AddItemToObject(s, "location_ids", id_list(c->location_ids)))
        return BW_E_NOMEM;
    return 0;
}

static int add_provider(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    char id[PN_ID_MAX], sid[PN_ID_MAX];
    bwsdk_json_text(r, "providerId", id, sizeof id);
    if (!id[0])
        return 0;
    cJSON *p = cJSON_CreateObject(), *svc;
    if (!p || !cJSON_AddItemToArray(c->providers, p)) {
        cJSON_Delete(p);
        return BW_E_NOMEM;
    }
    if (!cJSON_AddStringToObject(p, "id", id) ||
        !cJSON_AddStringToObject(p, "name", bwsdk_json_string_or(r, "displayName", id)) ||
        !cJSON_AddItemToObject(p, "location_ids", id_list(c->location_ids)) ||
        !(svc = cJSON_AddArrayToObject(p, "service_ids")))
        return BW_E_NOMEM;
    const cJSON *t, *s;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "appointmentTypeIds")) {
        if (cJSON_IsString(t))
            snprintf(sid, sizeof sid, "%s", t->valuestring);
        else if (cJSON_IsNumber(t))
            snprintf(sid, sizeof sid, "%.0f", t->valuedouble);
        else
            continue;
        cJSON_ArrayForEach(s, c->services) {
            if (strcmp(bwsdk_json_string_or(s, "id", ""), sid) == 0 && !listed(svc, sid) &&
                !cJSON_AddItemToArray(svc, cJSON_CreateString(sid)))
                return BW_E_NOMEM;
        }
    }
    return 0;
}

static int patientnow_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                              struct bw_error *err)
{
    struct pn_instance *in = instance;
    struct catalog_ctx c = { .in = in };
    cJSON *res = cJSON_CreateObject();
    int rc;
    if (!res || !(c.locations = cJSON_AddArrayToObject(res, "locations")) ||
        !(c.services = cJSON_AddArrayToObject(res, "services")) ||
        !(c.providers = cJSON_AddArrayToObject(res, "providers")) ||
        !(c.location_ids = cJSON_CreateArray()))
        goto nomem;
    if ((rc = pn_list(in, call, in->path_locations, NULL, add_location, &c, err)) != 0 ||
        (rc = pn_list(in, call, in->path_types, NULL, add_service, &c, err)) != 0 ||
        (rc = pn_list(in, call, in->path_providers, NULL, add_provider, &c, err)) != 0) {
        if (rc == BW_E_NOMEM)
            goto nomem;
        goto done;
    }
    if (cJSON_GetArraySize(c.locations) == 0) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the practice has no location");
        goto done;
    }
    if ((rc = bwsdk_json_emit(in->host, out, res)) == 0)
        goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(c.location_ids);
    cJSON_Delete(res);
    return rc;
}

struct slot_ctx {
    cJSON *slots;
    const char *location_id, *service_id, *provider_id;
    int64_t from, to, now;
    int count;
};

static int add_slot(const cJSON *r, void *vctx)
{
    struct slot_ctx *c = vctx;
    const char *start = bwsdk_json_string_or(r, "startTime", "");
    const char *end = bwsdk_json_string_or(r, "endTime", "");
    char prov[PN_ID_MAX];
    int64_t a, b;
    bwsdk_json_text(r, "providerId", prov, sizeof prov);
    if (!prov[0] || bwsdk_time_parse(start, &a, NULL) || bwsdk_time_parse(end, &b, NULL) ||
        b <= a || a < c->from || a >= c->to || a < c->now ||
        (c->provider_id[0] && strcmp(prov, c->provider_id) != 0))
        return 0;
    if (c->count >= MAX_SLOTS)
        return 1;
    if (bwsdk_slot_add(c->slots, start, end, c->location_id, c->service_id, prov) != 0)
        return BW_E_NOMEM;
    c->count++;
    return 0;
}

static int patientnow_availability(void *instance, struct bw_call *call,
                                   const struct bw_json *query, struct bw_buf *out,
                                   struct bw_error *err)
{
    struct pn_instance *in = instance;
    cJSON *q = NULL, *res = NULL;
    const char *loc, *service, *from_s, *to_s;
    struct slot_ctx c = { 0 };
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "malformed availability query");
    if (bwsdk_json_string(q, "location_id", &loc) || bwsdk_json_string(q, "service_id", &service) ||
        bwsdk_json_string(q, "from", &from_s) || bwsdk_json_string(q, "to", &to_s) ||
        bwsdk_time_parse(from_s, &c.from, NULL) || bwsdk_time_parse(to_s, &c.to, NULL) ||
        c.to <= c.from || c.to - c.from > 62 * US_PER_DAY || !service[0]) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "want location_id, service_id, from < to at most 62 days apart");
        goto done;
    }
    c.location_id = loc;
    c.service_id = service;
    c.provider_id = bwsdk_json_string_or(q, "provider_id", "");
    c.now = in->host->now_us();
    char qs[PN_URL_MAX] = "";
    if (bwsdk_query_add(qs, sizeof qs, "locationId", pn_location(in, loc)) ||
        bwsdk_query_add(qs, sizeof qs, "appointmentTypeId", service) ||
        (c.provider_id[0] && bwsdk_query_add(qs, sizeof qs, "providerId", c.provider_id)) ||
        bwsdk_query_add(qs, sizeof qs, "startDate", from_s) ||
        bwsdk_query_add(qs, sizeof qs, "endDate", to_s)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
        goto done;
    }
    if (!(res = cJSON_CreateObject()) || !(c.slots = cJSON_AddArrayToObject(res, "slots"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    rc = pn_list(in, call, in->path_availability, qs, add_slot, &c, err);
    if (rc == 1)
        rc = 0;
    if (rc == BW_E_NOMEM ||
        (rc == 0 && (bwsdk_slots_sort(c.slots) || bwsdk_json_emit(in->host, out, res))))
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

static int patientnow_health(void *instance, struct bw_call *call, struct bw_buf *out,
                             struct bw_error *err)
{
    struct pn_instance *in = instance;
    cJSON *doc = NULL;
    int status = 0;
    int rc = pn_request(in, call, "GET", in->path_locations, "pageNumber=1&pageSize=1", NULL,
                        &status, &doc, err);
    cJSON_Delete(doc);
    return rc ? rc
              : bwsdk_buf_puts(in->host, out, "{\"ok\":true,\"detail\":\"PatientNow reachable\"}");
}

static const struct bw_emr_ops patientnow_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = patientnow_capabilities,
    .catalog = patientnow_catalog,
    .availability = patientnow_availability,
    .patient_find = pn_patient_find,
    .patient_create = pn_patient_create,
    .book = pn_book,
    .cancel = pn_cancel,
};

#define FIELD(t, f, k, def, desc, lo, hi)                                                       \
    { .struct_size = sizeof(struct bw_config_field), .type = (t), .flags = (f), .key = (k),   \
      .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
static const struct bw_config_field patientnow_config[] = {
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "api_base", NULL,
          "the API gateway's base URL PatientNow gives with the key", 0, 0),
    FIELD(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "api_key", NULL,
          "the gateway key, sent as the apikey query parameter", 0, 0),
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "username", NULL,
          "the PatientNow API user (HTTP Basic)", 0, 0),
    FIELD(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "password", NULL, "the API user's password", 0, 0),
    FIELD(BW_CFG_STRING, 0, "locations_path", "locations", "path of the locations list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "providers_path", "providers", "path of the providers list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "appointment_types_path", "appointmenttypes",
          "path of the appointment types list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "availability_path", "availability",
          "path of the openings search", 0, 0),
    FIELD(BW_CFG_STRING, 0, "patients_path", "patients", "path of patient search and create", 0, 0),
    FIELD(BW_CFG_STRING, 0, "appointments_path", "appointments",
          "path of appointments (create; <id>/cancel)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "location_id", "1",
          "the PatientNow location the host's \"main\" location stands for", 0, 0),
    FIELD(BW_CFG_STRING, 0, "timezone", "America/Los_Angeles",
          "IANA zone of locations that do not carry one", 0, 0),
    FIELD(BW_CFG_STRING, 0, "currency", "USD", "ISO 4217 currency of the catalog", 0, 0),
    FIELD(BW_CFG_INT, 0, "page_size", "50", "items asked per list page (pageSize)", 1, 500),
};

static const struct bw_plugin_descriptor patientnow_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = "emr.patientnow",
    .version = "1.0.0",
    .description = "PatientNow (REST, gateway key and Basic auth): openings, patients, booking, "
                   "cancelling",
    .config = patientnow_config,
    .n_config = sizeof patientnow_config / sizeof patientnow_config[0],
    .instance_open = patientnow_open,
    .instance_close = patientnow_close,
    .health = patientnow_health,
    .ops = &patientnow_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &patientnow_descriptor : NULL;
}
