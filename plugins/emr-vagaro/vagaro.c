/*
 * emr.vagaro: Vagaro (the Enterprise Business API V2 at
 * https://api.vagaro.com/<region>/api/v2, opened per business under
 * Settings, Developers, APIs & Webhooks; an access token from the client
 * id and secret, sent in the accessToken header). The catalog is the
 * business's location, services (duration and price) and employees (the
 * services each performs); availability is the openings search for the
 * service and optionally the employee; an opening is in the window when it
 * starts there. Customers and appointments: vg_booking.c. The API client:
 * vg_http.c. Vagaro's public reference documents the token endpoint
 * exactly and the other areas by capability only, so every resource path
 * is a setting (README.md).
 *
 * Writes (creating customers, booking, cancelling) need a plan that allows
 * them. With write_access off the instance is link_only: it still reads
 * availability, and booking is the patient's own, at the clinic's
 * booking_url (the writes answer BW_E_NOTSUP naming it).
 *
 * The host names a tenant's only location "main": queries for "main" go to
 * the configured business_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "vagaro.h"

#define US_PER_DAY (INT64_C(86400) * 1000000)
#define MAX_SLOTS 4000

const char *vg_business(const struct vg_instance *in, const char *id)
{
    return !id || !id[0] || strcmp(id, "main") == 0 ? in->business_id : id;
}

static int setting(const struct bw_host *host, struct bw_call *call, const char *key, char *dst,
                   size_t cap, bool required)
{
    struct bw_str s;
    dst[0] = 0;
    if (host->config_string(call, key, &s) != 0 || s.len == 0)
        return required ? -1 : 0;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : -1;
}

static int vagaro_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                       struct bw_error *err)
{
    (void)state;
    struct vg_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    const char *bad = NULL;
    struct bw_str s;
    int32_t writes = 0;
    if (setting(host, call, "api_base", in->api_base, sizeof in->api_base, true) ||
        setting(host, call, "access_path", in->token_path, sizeof in->token_path, true))
        bad = "api_base and access_path";
    else if (setting(host, call, "client_id", in->client_id, sizeof in->client_id, true) ||
             host->secret(call, "client_secret", &s) != 0 ||
             setting(host, call, "scope", in->scope, sizeof in->scope, true))
        bad = "client_id, client_secret and scope";
    else if (setting(host, call, "locations_path", in->path_locations, sizeof in->path_locations, true) ||
             setting(host, call, "services_path", in->path_services, sizeof in->path_services, true) ||
             setting(host, call, "employees_path", in->path_employees, sizeof in->path_employees, true) ||
             setting(host, call, "availability_path", in->path_availability,
                     sizeof in->path_availability, true) ||
             setting(host, call, "customers_path", in->path_customers, sizeof in->path_customers, true) ||
             setting(host, call, "appointments_path", in->path_appointments,
                     sizeof in->path_appointments, true))
        bad = "the resource paths";
    else if (setting(host, call, "business_id", in->business_id, sizeof in->business_id, true) ||
             setting(host, call, "timezone", in->timezone, sizeof in->timezone, true) ||
             setting(host, call, "currency", in->currency, sizeof in->currency, true))
        bad = "business_id, timezone and currency";
    else if (host->config_bool(call, "write_access", &writes) != 0 ||
             setting(host, call, "booking_url", in->booking_url, sizeof in->booking_url, false) ||
             (!writes && strncmp(in->booking_url, "https://", 8) != 0))
        bad = "booking_url (an https link; needed when write_access is off)";
    in->writes = writes != 0;
    size_t bl = strlen(in->api_base);
    while (bl > 0 && in->api_base[bl - 1] == '/')
        in->api_base[--bl] = 0;
    if (bad) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "bad setting: %s", bad);
    }
    if (pthread_mutex_init(&in->lock, NULL) != 0) {
        free(in);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "cannot create a mutex");
    }
    *out = in;
    return 0;
}

static void vagaro_close(void *state, void *instance)
{
    (void)state;
    struct vg_instance *in = instance;
    if (!in)
        return;
    pthread_mutex_destroy(&in->lock);
    memset(in->token, 0, sizeof in->token);
    free(in);
}

static int vagaro_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)call;
    const struct vg_instance *in = instance;
    /* Without write access the patient books at the clinic's link: the
     * openings are read to answer "when is there time", and nothing else
     * (no customer of ours is created, so none is looked up). */
    *caps = BW_EMR_CAP_AVAILABILITY;
    if (in->writes)
        *caps |= BW_EMR_CAP_BOOK | BW_EMR_CAP_CANCEL | BW_EMR_CAP_PATIENT_FIND |
                 BW_EMR_CAP_PATIENT_CREATE | BW_EMR_CAP_APPOINTMENT_LIST;
    else
        *caps |= BW_EMR_CAP_LINK_ONLY;
    return 0;
}

/* The "data" array of a list answer (NULL when it is not one). */
static const cJSON *data_array(const cJSON *doc)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "data");
    return cJSON_IsArray(d) ? d : NULL;
}

static int get_list(struct vg_instance *in, struct bw_call *call, const char *path,
                    const char *query, cJSON **doc, const cJSON **items, struct bw_error *err)
{
    int status = 0;
    int rc = vg_request(in, call, "GET", path, query, NULL, &status, doc, err);
    if (rc != 0)
        return rc;
    if (!(*items = data_array(*doc))) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return bwsdk_error(err, BW_E_REMOTE, NULL, "a list answered no data array");
    }
    return 0;
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

static int build_catalog(struct vg_instance *in, const cJSON *locs, const cJSON *svcs,
                         const cJSON *emps, cJSON *res)
{
    cJSON *locations = cJSON_AddArrayToObject(res, "locations");
    cJSON *services = cJSON_AddArrayToObject(res, "services");
    cJSON *providers = cJSON_AddArrayToObject(res, "providers");
    const cJSON *r, *t;
    char id[VG_ID_MAX], name[256];
    if (!locations || !services || !providers)
        return BW_E_NOMEM;
    cJSON_ArrayForEach(r, locs) {
        if (strcmp(bwsdk_json_text(r, "businessId", id, sizeof id), in->business_id) != 0)
            continue;
        cJSON *l = cJSON_CreateObject();
        if (!l || !cJSON_AddItemToArray(locations, l)) {
            cJSON_Delete(l);
            return BW_E_NOMEM;
        }
        if (!cJSON_AddStringToObject(l, "id", id) ||
            !cJSON_AddStringToObject(l, "name", bwsdk_json_string_or(r, "businessName", id)) ||
            !cJSON_AddStringToObject(l, "timezone", bwsdk_json_string_or(r, "timeZone", in->timezone)))
            return BW_E_NOMEM;
    }
    cJSON_ArrayForEach(r, svcs) {
        int64_t minutes = 0;
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(r, "price");
        double major = cJSON_IsNumber(price) && price->valuedouble > 0 ? price->valuedouble : 0;
        if (!bwsdk_json_text(r, "serviceId", id, sizeof id)[0] ||
            bwsdk_json_int(r, "duration", &minutes) != 0 || minutes <= 0)
            continue;
        cJSON *s = cJSON_CreateObject(), *ids;
        if (!s || !cJSON_AddItemToArray(services, s)) {
            cJSON_Delete(s);
            return BW_E_NOMEM;
        }
        if (!cJSON_AddStringToObject(s, "id", id) ||
            !cJSON_AddStringToObject(s, "name", bwsdk_json_string_or(r, "serviceTitle", id)) ||
            bwsdk_json_add_int(s, "duration_min", minutes) ||
            bwsdk_json_add_int(s, "price_minor", (int64_t)(major * 100 + 0.5)) ||
            !cJSON_AddStringToObject(s, "currency", in->currency) ||
            !(ids = cJSON_AddArrayToObject(s, "location_ids")) ||
            !cJSON_AddItemToArray(ids, cJSON_CreateString(in->business_id)))
            return BW_E_NOMEM;
    }
    cJSON_ArrayForEach(r, emps) {
        if (!bwsdk_json_text(r, "serviceProviderId", id, sizeof id)[0])
            continue;
        snprintf(name, sizeof name, "%s%s%s", bwsdk_json_string_or(r, "firstName", ""),
                 bwsdk_json_string_or(r, "firstName", "")[0] ? " " : "",
                 bwsdk_json_string_or(r, "lastName", ""));
        cJSON *p = cJSON_CreateObject(), *ids, *svc;
        if (!p || !cJSON_AddItemToArray(providers, p)) {
            cJSON_Delete(p);
            return BW_E_NOMEM;
        }
        if (!cJSON_AddStringToObject(p, "id", id) ||
            !cJSON_AddStringToObject(p, "name", name[0] ? name : id) ||
            !(ids = cJSON_AddArrayToObject(p, "location_ids")) ||
            !cJSON_AddItemToArray(ids, cJSON_CreateString(in->business_id)) ||
            !(svc = cJSON_AddArrayToObject(p, "service_ids")))
            return BW_E_NOMEM;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "serviceIds")) {
            const char *sid = cJSON_GetStringValue(t);
            const cJSON *s;
            if (!sid)
                continue;
            cJSON_ArrayForEach(s, services) {
                if (strcmp(bwsdk_json_string_or(s, "id", ""), sid) == 0 && !listed(svc, sid) &&
                    !cJSON_AddItemToArray(svc, cJSON_CreateString(sid)))
                    return BW_E_NOMEM;
            }
        }
    }
    return 0;
}

static int vagaro_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                          struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *ldoc = NULL, *sdoc = NULL, *edoc = NULL, *res = NULL;
    const cJSON *locs, *svcs, *emps;
    char q[256] = "";
    int rc;
    if (bwsdk_query_add(q, sizeof q, "businessId", in->business_id))
        return bwsdk_error(err, BW_E_INVAL, NULL, "business_id is too long");
    if ((rc = get_list(in, call, in->path_locations, NULL, &ldoc, &locs, err)) != 0 ||
        (rc = get_list(in, call, in->path_services, q, &sdoc, &svcs, err)) != 0 ||
        (rc = get_list(in, call, in->path_employees, q, &edoc, &emps, err)) != 0)
        goto done;
    if (!(res = cJSON_CreateObject()) || build_catalog(in, locs, svcs, emps, res) != 0) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "locations")) == 0) {
        rc = bwsdk_error(err, BW_E_CONFIG, NULL, "Vagaro lists no business with business_id");
        goto done;
    }
    if (bwsdk_json_emit(in->host, out, res) != 0)
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(ldoc);
    cJSON_Delete(sdoc);
    cJSON_Delete(edoc);
    cJSON_Delete(res);
    return rc;
}

static int vagaro_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                               struct bw_buf *out, struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *q = NULL, *res = NULL, *doc = NULL, *slots;
    const cJSON *items, *r;
    const char *loc, *service, *from_s, *to_s, *prov_f;
    int64_t from, to, now;
    int rc, count = 0;
    char qs[VG_URL_MAX] = "", prov[VG_ID_MAX];
    if (bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q) != 0 ||
        bwsdk_json_string(q, "location_id", &loc) || bwsdk_json_string(q, "service_id", &service) ||
        bwsdk_json_string(q, "from", &from_s) || bwsdk_json_string(q, "to", &to_s) ||
        bwsdk_time_parse(from_s, &from, NULL) || bwsdk_time_parse(to_s, &to, NULL) ||
        to <= from || to - from > 62 * US_PER_DAY || !service[0]) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL,
                           "want location_id, service_id, from < to at most 62 days apart");
    }
    prov_f = bwsdk_json_string_or(q, "provider_id", "");
    now = in->host->now_us();
    if (bwsdk_query_add(qs, sizeof qs, "businessId", vg_business(in, loc)) ||
        bwsdk_query_add(qs, sizeof qs, "serviceId", service) ||
        (prov_f[0] && bwsdk_query_add(qs, sizeof qs, "serviceProviderId", prov_f)) ||
        bwsdk_query_add(qs, sizeof qs, "startDate", from_s) ||
        bwsdk_query_add(qs, sizeof qs, "endDate", to_s)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
        goto done;
    }
    if ((rc = get_list(in, call, in->path_availability, qs, &doc, &items, err)) != 0)
        goto done;
    if (!(res = cJSON_CreateObject()) || !(slots = cJSON_AddArrayToObject(res, "slots")))
        goto nomem;
    cJSON_ArrayForEach(r, items) {
        const char *start = bwsdk_json_string_or(r, "startTime", "");
        const char *end = bwsdk_json_string_or(r, "endTime", "");
        int64_t a, b;
        if (!bwsdk_json_text(r, "serviceProviderId", prov, sizeof prov)[0] ||
            bwsdk_time_parse(start, &a, NULL) || bwsdk_time_parse(end, &b, NULL) || b <= a ||
            a < from || a >= to || a < now || (prov_f[0] && strcmp(prov, prov_f) != 0))
            continue;
        if (++count > MAX_SLOTS)
            break;
        if (bwsdk_slot_add(slots, start, end, loc, service, prov) != 0)
            goto nomem;
    }
    if (bwsdk_slots_sort(slots) == 0 && bwsdk_json_emit(in->host, out, res) == 0)
        goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(q);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

static int vagaro_health(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    struct vg_instance *in = instance;
    cJSON *doc = NULL;
    int status = 0;
    int rc = vg_request(in, call, "GET", in->path_locations, NULL, NULL, &status, &doc, err);
    cJSON_Delete(doc);
    if (rc != 0)
        return rc;
    return bwsdk_buf_puts(in->host, out,
                          in->writes ? "{\"ok\":true,\"detail\":\"Vagaro reachable\"}"
                                     : "{\"ok\":true,\"detail\":\"Vagaro reachable; booking by "
                                       "the clinic's link (no write access)\"}");
}

static const struct bw_emr_ops vagaro_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = vagaro_capabilities,
    .catalog = vagaro_catalog,
    .availability = vagaro_availability,
    .patient_find = vg_patient_find,
    .patient_create = vg_patient_create,
    .appointment_list = vg_appointment_list,
    .book = vg_book,
    .cancel = vg_cancel,
};

#define FIELD(t, f, k, def, desc, lo, hi)                                                       \
    { .struct_size = sizeof(struct bw_config_field), .type = (t), .flags = (f), .key = (k),   \
      .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
static const struct bw_config_field vagaro_config[] = {
    FIELD(BW_CFG_STRING, 0, "api_base", "https://api.vagaro.com/us/api/v2",
          "the API's base URL (the business's region in the path)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "access_path", "merchants/generate-access-token",
          "path of the access token endpoint", 0, 0),
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "client_id", NULL,
          "the client id from Settings, Developers, APIs & Webhooks", 0, 0),
    FIELD(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "client_secret", NULL,
          "the client secret key issued with it", 0, 0),
    FIELD(BW_CFG_STRING, 0, "scope", "locations,services,employees,customers,appointments",
          "the scopes asked with the token (comma-separated)", 0, 0),
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "business_id", NULL,
          "the Vagaro business (location) the host's \"main\" location stands for", 0, 0),
    FIELD(BW_CFG_BOOL, 0, "write_access", "false",
          "the clinic's plan lets the API create customers, book and cancel", 0, 0),
    FIELD(BW_CFG_STRING, 0, "booking_url", NULL,
          "the clinic's own Vagaro booking link, for patients when write_access is off", 0, 0),
    FIELD(BW_CFG_STRING, 0, "locations_path", "locations", "path of the locations list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "services_path", "services", "path of the services list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "employees_path", "employees", "path of the employees list", 0, 0),
    FIELD(BW_CFG_STRING, 0, "availability_path", "appointments/availability",
          "path of the openings search", 0, 0),
    FIELD(BW_CFG_STRING, 0, "customers_path", "customers", "path of customer search and create", 0, 0),
    FIELD(BW_CFG_STRING, 0, "appointments_path", "appointments",
          "path of appointments (list, create, <id>/cancel)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "timezone", "America/Los_Angeles",
          "IANA zone when the business carries none", 0, 0),
    FIELD(BW_CFG_STRING, 0, "currency", "USD", "ISO 4217 currency of service prices", 0, 0),
};

static const struct bw_plugin_descriptor vagaro_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = "emr.vagaro",
    .version = "1.0.0",
    .description = "Vagaro (Business API V2, access token): openings, customers, appointments; "
                   "the clinic's booking link when the plan has no write access",
    .config = vagaro_config,
    .n_config = sizeof vagaro_config / sizeof vagaro_config[0],
    .instance_open = vagaro_open,
    .instance_close = vagaro_close,
    .health = vagaro_health,
    .ops = &vagaro_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &vagaro_descriptor : NULL;
}
