/*
 * emr.nextech: Nextech Select (FHIR STU3 3.0.1 at
 * https://select.nextech-api.com/api, OAuth2 tokens from Microsoft's token
 * endpoint, the nx-practice-id header on every call, 20 requests per second
 * per endpoint). The catalog is the practice's Locations, Practitioners and
 * appointment types (a practitioner's appointment types are extensions on
 * it; an appointment type's length in minutes is an extension; prices are
 * not in Nextech and come from the clinic's own catalog, so they read 0);
 * availability is a Slot search for the appointment type, location and
 * optionally practitioner, every page of it; a slot is in the window when
 * it starts there (as the host asks, and as the built-in calendar answers). Patients, appointments and
 * deposits (PaymentReconciliation): nx_booking.c. The API client: nx_http.c.
 *
 * The host names a tenant's only location "main": queries for "main" go to
 * the configured location_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "nextech.h"

#define US_PER_DAY (INT64_C(86400) * 1000000)
#define MAX_SLOTS 4000

const char *nx_location(const struct nx_instance *in, const char *id)
{
    return !id || !id[0] || strcmp(id, "main") == 0 ? in->location_id : id;
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

static int nextech_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                        struct bw_error *err)
{
    (void)state;
    struct nx_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    const char *bad = NULL;
    struct bw_str s;
    if (setting(host, call, "api_base", in->api_base, sizeof in->api_base, true) ||
        setting(host, call, "oauth_url", in->token_url, sizeof in->token_url, true) ||
        setting(host, call, "resource", in->resource, sizeof in->resource, true))
        bad = "api_base, oauth_url and resource";
    else if (setting(host, call, "client_id", in->client_id, sizeof in->client_id, true) ||
             setting(host, call, "grant_type", in->grant, sizeof in->grant, true) ||
             (strcmp(in->grant, "password") != 0 && strcmp(in->grant, "client_credentials") != 0))
        bad = "client_id and grant_type (password or client_credentials)";
    else if (setting(host, call, "username", in->username, sizeof in->username, false) ||
             (strcmp(in->grant, "password") == 0 &&
              (!in->username[0] || host->secret(call, "password", &s) != 0)))
        bad = "username and password (the password grant needs both)";
    else if (strcmp(in->grant, "client_credentials") == 0 &&
             host->secret(call, "client_secret", &s) != 0)
        bad = "client_secret (the client_credentials grant needs it)";
    else if (setting(host, call, "practice_id", in->practice_id, sizeof in->practice_id, true))
        bad = "practice_id";
    else if (setting(host, call, "location_id", in->location_id, sizeof in->location_id, true) ||
             setting(host, call, "timezone", in->timezone, sizeof in->timezone, true) ||
             setting(host, call, "currency", in->currency, sizeof in->currency, true))
        bad = "location_id, timezone and currency";
    else if (host->config_int(call, "page_size", &in->page_size) != 0 ||
             host->config_int(call, "rate_limit", &in->rate_limit) != 0)
        bad = "page_size and rate_limit";
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

static void nextech_close(void *state, void *instance)
{
    (void)state;
    struct nx_instance *in = instance;
    if (!in)
        return;
    pthread_mutex_destroy(&in->lock);
    memset(in->token, 0, sizeof in->token);
    free(in);
}

static int nextech_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_RESCHEDULE |
            BW_EMR_CAP_CANCEL | BW_EMR_CAP_PATIENT_FIND | BW_EMR_CAP_PATIENT_CREATE |
            BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_APPOINTMENT_LIST;
    return 0;
}

struct catalog_ctx {
    struct nx_instance *in;
    cJSON *locations, *services, *providers, *location_ids;
};

static cJSON *id_list(const cJSON *ids)
{
    cJSON *dup = cJSON_Duplicate(ids, 1);
    return dup ? dup : cJSON_CreateArray();
}

static int add_location(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    const char *id = bwsdk_json_string_or(r, "id", "");
    const char *zone = c->in->timezone;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "extension")) {
        const char *url = bwsdk_json_string_or(e, "url", "");
        if (strcmp(url, "http://hl7.org/fhir/StructureDefinition/timezone") == 0)
            zone = bwsdk_json_string_or(e, "valueCode", zone);
    }
    cJSON *l = cJSON_CreateObject();
    if (!id[0])
        return 0;
    if (!l || !cJSON_AddItemToArray(c->locations, l) || !cJSON_AddStringToObject(l, "id", id) ||
        !cJSON_AddStringToObject(l, "name", bwsdk_json_string_or(r, "name", id)) ||
        !cJSON_AddStringToObject(l, "timezone", zone) ||
        !cJSON_AddItemToArray(c->location_ids, cJSON_CreateString(id)))
        return BW_E_NOMEM;
    return 0;
}

static int add_service(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    const char *id = bwsdk_json_string_or(r, "id", "");
    int64_t minutes = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "extension")) {
        const char *url = bwsdk_json_string_or(e, "url", "");
        size_t ul = strlen(url);
        if (ul >= 9 && strcmp(url + ul - 9, "-duration") == 0)
            bwsdk_json_int(e, "valueInteger", &minutes);
    }
    if (!id[0] || minutes <= 0)
        return 0;
    cJSON *s = cJSON_CreateObject();
    if (!s || !cJSON_AddItemToArray(c->services, s) || !cJSON_AddStringToObject(s, "id", id) ||
        !cJSON_AddStringToObject(s, "name", bwsdk_json_string_or(r, "code.text", id)) ||
        bwsdk_json_add_int(s, "duration_min", minutes) || bwsdk_json_add_int(s, "price_minor", 0) ||
        !cJSON_AddStringToObject(s, "currency", c->in->currency) ||
        !cJSON_AddItemToObject(s, "location_ids", id_list(c->location_ids)))
        return BW_E_NOMEM;
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

static int add_provider(const cJSON *r, void *vctx)
{
    struct catalog_ctx *c = vctx;
    const char *id = bwsdk_json_string_or(r, "id", "");
    const char *name = bwsdk_json_string_or(r, "name.0.text", id);
    cJSON *p = cJSON_CreateObject(), *svc;
    if (!id[0]) {
        cJSON_Delete(p);
        return 0;
    }
    if (!p || !cJSON_AddItemToArray(c->providers, p) || !cJSON_AddStringToObject(p, "id", id) ||
        !cJSON_AddStringToObject(p, "name", name) ||
        !cJSON_AddItemToObject(p, "location_ids", id_list(c->location_ids)) ||
        !(svc = cJSON_AddArrayToObject(p, "service_ids")))
        return BW_E_NOMEM;
    const cJSON *e, *s;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "extension")) {
        const char *url = bwsdk_json_string_or(e, "url", "");
        size_t ul = strlen(url);
        if (ul < 17 || strcmp(url + ul - 17, "/appointment-type") != 0)
            continue;
        const char *sid = nx_ref_id(bwsdk_json_string_or(e, "valueReference.reference", ""));
        cJSON_ArrayForEach(s, c->services) {
            if (strcmp(bwsdk_json_string_or(s, "id", ""), sid) == 0 && !listed(svc, sid)) {
                if (!cJSON_AddItemToArray(svc, cJSON_CreateString(sid)))
                    return BW_E_NOMEM;
            }
        }
    }
    return 0;
}

static int nextech_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                           struct bw_error *err)
{
    struct nx_instance *in = instance;
    struct catalog_ctx c = { .in = in };
    cJSON *res = cJSON_CreateObject();
    char q[64];
    int rc = BW_E_NOMEM;
    snprintf(q, sizeof q, "_count=%lld", (long long)in->page_size);
    char path[128];
    if (!res || !(c.locations = cJSON_AddArrayToObject(res, "locations")) ||
        !(c.services = cJSON_AddArrayToObject(res, "services")) ||
        !(c.providers = cJSON_AddArrayToObject(res, "providers")) ||
        !(c.location_ids = cJSON_CreateArray()))
        goto nomem;
    snprintf(path, sizeof path, "Location?%s", q);
    if ((rc = nx_search(in, call, path, add_location, &c, err)) != 0)
        goto done;
    snprintf(path, sizeof path, "appointment-type?%s", q);
    if ((rc = nx_search(in, call, path, add_service, &c, err)) != 0)
        goto done;
    snprintf(path, sizeof path, "Practitioner?%s", q);
    if ((rc = nx_search(in, call, path, add_provider, &c, err)) != 0)
        goto done;
    if (cJSON_GetArraySize(c.locations) == 0) {
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "the practice has no location");
        goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res);
    if (rc != 0)
        goto nomem;
    goto done;
nomem:
    rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
done:
    cJSON_Delete(c.location_ids);
    cJSON_Delete(res);
    return rc;
}

struct slot_ctx {
    struct nx_instance *in;
    cJSON *slots;
    const char *location_id, *service_id, *provider_id;
    int64_t from, to, now;
    int count;
};

static int add_slot(const cJSON *r, void *vctx)
{
    struct slot_ctx *c = vctx;
    const char *start = bwsdk_json_string_or(r, "start", ""), *end = bwsdk_json_string_or(r, "end", "");
    const char *status = bwsdk_json_string_or(r, "status", "free");
    const char *prov = nx_ext_ref(r, "practitioner");
    int64_t a, b;
    if (strcmp(status, "free") != 0 || bwsdk_time_parse(start, &a, NULL) ||
        bwsdk_time_parse(end, &b, NULL) || b <= a || a < c->from || a >= c->to || a < c->now ||
        (c->provider_id[0] && strcmp(prov, c->provider_id) != 0))
        return 0;
    if (c->count >= MAX_SLOTS)
        return 1;
    if (bwsdk_slot_add(c->slots, start, end, c->location_id, c->service_id, prov) != 0)
        return BW_E_NOMEM;
    c->count++;
    return 0;
}

static int nextech_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                                struct bw_buf *out, struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *q = NULL, *res = NULL;
    const char *loc, *service, *from_s, *to_s;
    struct slot_ctx c = { .in = in };
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
    char path[NX_URL_MAX] = "", ge[64], lt[64];
    snprintf(ge, sizeof ge, "ge%s", from_s);
    snprintf(lt, sizeof lt, "lt%s", to_s);
    char count[24];
    snprintf(count, sizeof count, "%lld", (long long)in->page_size);
    if (bwsdk_query_add(path, sizeof path, "appointment-type", service) ||
        bwsdk_query_add(path, sizeof path, "location", nx_location(in, loc)) ||
        (c.provider_id[0] && bwsdk_query_add(path, sizeof path, "practitioner", c.provider_id)) ||
        bwsdk_query_add(path, sizeof path, "start", ge) ||
        bwsdk_query_add(path, sizeof path, "start", lt) ||
        bwsdk_query_add(path, sizeof path, "_count", count)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
        goto done;
    }
    char full[NX_URL_MAX + 8];
    snprintf(full, sizeof full, "Slot?%s", path);
    if (!(res = cJSON_CreateObject()) || !(c.slots = cJSON_AddArrayToObject(res, "slots"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    rc = nx_search(in, call, full, add_slot, &c, err);
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

static int nextech_health(void *instance, struct bw_call *call, struct bw_buf *out,
                          struct bw_error *err)
{
    struct nx_instance *in = instance;
    cJSON *doc = NULL;
    int status = 0;
    int rc = nx_request(in, call, "GET", "Location?_count=1", NULL, NULL, &status, &doc, err);
    cJSON_Delete(doc);
    return rc ? rc : bwsdk_buf_puts(in->host, out, "{\"ok\":true,\"detail\":\"Nextech reachable\"}");
}

static const struct bw_emr_ops nextech_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = nextech_capabilities,
    .catalog = nextech_catalog,
    .availability = nextech_availability,
    .patient_find = nx_patient_find,
    .patient_create = nx_patient_create,
    .appointment_list = nx_appointment_list,
    .book = nx_book,
    .reschedule = nx_reschedule,
    .cancel = nx_cancel,
    .deposit_log = nx_deposit_log,
};

#define FIELD(t, f, k, def, desc, lo, hi)                                                       \
    { .struct_size = sizeof(struct bw_config_field), .type = (t), .flags = (f), .key = (k),   \
      .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
static const struct bw_config_field nextech_config[] = {
    FIELD(BW_CFG_STRING, 0, "api_base", "https://select.nextech-api.com/api",
          "the Select API's base URL", 0, 0),
    FIELD(BW_CFG_STRING, 0, "oauth_url",
          "https://login.microsoftonline.com/nextech-api.com/oauth2/token",
          "the OAuth2 token endpoint", 0, 0),
    FIELD(BW_CFG_STRING, 0, "resource", "https://select.nextech-api.com/api",
          "the resource the token is requested for", 0, 0),
    FIELD(BW_CFG_STRING, 0, "grant_type", "password",
          "OAuth2 grant: password (Nextech's API user) or client_credentials", 0, 0),
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "client_id", NULL,
          "the application (client) id Nextech issued", 0, 0),
    FIELD(BW_CFG_STRING, 0, "username", NULL, "the API user, for the password grant", 0, 0),
    FIELD(BW_CFG_SECRET, 0, "password", NULL, "the API user's password (password grant)", 0, 0),
    FIELD(BW_CFG_SECRET, 0, "client_secret", NULL,
          "the client secret (client_credentials grant)", 0, 0),
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "practice_id", NULL,
          "the practice's id, sent as nx-practice-id", 0, 0),
    FIELD(BW_CFG_STRING, 0, "location_id", "1",
          "the Nextech Location the host's \"main\" location stands for", 0, 0),
    FIELD(BW_CFG_STRING, 0, "timezone", "America/Los_Angeles",
          "IANA zone of locations that do not carry one", 0, 0),
    FIELD(BW_CFG_STRING, 0, "currency", "USD", "ISO 4217 currency of deposits", 0, 0),
    FIELD(BW_CFG_INT, 0, "page_size", "100", "entries asked per search page (_count)", 1, 1000),
    FIELD(BW_CFG_INT, 0, "rate_limit", "20", "requests per second per endpoint", 1,
          NX_RATE_WINDOW),
};

static const struct bw_plugin_descriptor nextech_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = "emr.nextech",
    .version = "1.0.0",
    .description = "Nextech Select (FHIR STU3): slots, patients, appointments and deposits",
    .config = nextech_config,
    .n_config = sizeof nextech_config / sizeof nextech_config[0],
    .instance_open = nextech_open,
    .instance_close = nextech_close,
    .health = nextech_health,
    .ops = &nextech_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &nextech_descriptor : NULL;
}
