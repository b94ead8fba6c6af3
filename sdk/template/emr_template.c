/*
 * emr.template: a minimal EMR plugin to start from. It reads its settings
 * from the tenant binding, calls a JSON API through the host's HTTP client
 * (never libcurl directly), and maps the answers onto Bookwell's schemas
 * with the SDK's JSON helpers. Replace the paths and field names with your
 * EMR's; keep the shape: one instance struct, static functions, one
 * descriptor, one exported entry function.
 *
 * The API it expects (a stand-in for a real EMR):
 *   GET {base_url}/services  -> {"services":[{"id","name","minutes","price_cents"}]}
 *   GET {base_url}/openings?service={id}&from={RFC 3339}&to={RFC 3339}
 *                            -> {"openings":[{"start","end","staff_id"}]}
 * with "Authorization: Bearer {api_key}".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>
#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

#define URL_MAX 2048

/* One per tenant binding; owned by the plugin from instance_open to
 * instance_close. The strings point into host-owned configuration, which
 * stays valid until instance_close. */
struct template_instance {
    const struct bw_host *host;
    struct bw_str base_url;
    struct bw_str location_id;
    char auth[512];            /* "Bearer <api_key>" */
};

static int template_open(const struct bw_host *host, void *state, struct bw_call *call,
                         void **out, struct bw_error *err)
{
    struct bw_str key;
    (void)state;
    struct template_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    if (host->config_string(call, "base_url", &in->base_url) != 0 ||
        host->config_string(call, "location_id", &in->location_id) != 0 ||
        host->secret(call, "api_key", &key) != 0) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "base_url, location_id and api_key are needed");
    }
    int n = snprintf(in->auth, sizeof in->auth, "Bearer %.*s", (int)key.len, key.ptr);
    if (n < 0 || (size_t)n >= sizeof in->auth) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "api_key is too long");
    }
    *out = in;
    return 0;
}

static void template_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

/* GETs base_url + path and parses the JSON answer into *doc. */
static int get_json(struct template_instance *in, struct bw_call *call, const char *path,
                    cJSON **doc, struct bw_error *err)
{
    char url[URL_MAX];
    int n = snprintf(url, sizeof url, "%.*s%s", (int)in->base_url.len, in->base_url.ptr, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return bwsdk_error(err, BW_E_INVAL, NULL, "URL too long");
    struct bw_http_header headers[] = {
        { { "Authorization", 13 }, { in->auth, strlen(in->auth) } },
        { { "Accept", 6 }, { "application/json", 16 } },
    };
    struct bw_http_request req = {
        .struct_size = sizeof req,
        .method = "GET",
        .url = url,
        .headers = headers,
        .n_headers = 2,
    };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = in->host->http(call, &req, &resp, err);
    if (rc != 0)
        return rc;
    if ((rc = bwsdk_http_status_error(&resp, err)) != 0)
        return rc;
    if (bwsdk_json_parse_bytes(resp.body.ptr, (size_t)resp.body.len, doc) != 0)
        return bwsdk_error(err, BW_E_REMOTE, NULL, "the EMR answered with malformed JSON");
    return 0;
}

static int template_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY;
    return 0;
}

static int template_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                            struct bw_error *err)
{
    struct template_instance *in = instance;
    cJSON *doc = NULL, *res = cJSON_CreateObject();
    int rc = BW_E_NOMEM;
    if (!res)
        goto done;
    if ((rc = get_json(in, call, "/services", &doc, err)) != 0)
        goto done;
    rc = BW_E_NOMEM;
    cJSON *locations = cJSON_AddArrayToObject(res, "locations");
    cJSON *services = cJSON_AddArrayToObject(res, "services");
    cJSON *providers = cJSON_AddArrayToObject(res, "providers");
    cJSON *loc = cJSON_CreateObject();
    if (!locations || !services || !providers || !loc)
        goto done;
    cJSON_AddItemToArray(locations, loc);
    if (bwsdk_json_add_strn(loc, "id", in->location_id.ptr, in->location_id.len) != 0)
        goto done;
    const cJSON *item;
    cJSON_ArrayForEach(item, bwsdk_json_path(doc, "services"))
    {
        const char *id, *name;
        int64_t minutes, cents;
        if (bwsdk_json_string(item, "id", &id) || bwsdk_json_string(item, "name", &name) ||
            bwsdk_json_int(item, "minutes", &minutes) ||
            bwsdk_json_int(item, "price_cents", &cents)) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "a service lacks id, name, minutes or price");
            goto done;
        }
        cJSON *s = cJSON_CreateObject();
        if (!s)
            goto done;
        cJSON_AddItemToArray(services, s);
        if (!cJSON_AddStringToObject(s, "id", id) || !cJSON_AddStringToObject(s, "name", name) ||
            bwsdk_json_add_int(s, "duration_min", minutes) ||
            bwsdk_json_add_int(s, "price_minor", cents) ||
            !cJSON_AddStringToObject(s, "currency", "USD"))
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

static int template_availability(void *instance, struct bw_call *call,
                                 const struct bw_json *query, struct bw_buf *out,
                                 struct bw_error *err)
{
    struct template_instance *in = instance;
    cJSON *q = NULL, *doc = NULL, *res = NULL;
    const char *service, *from, *to;
    char path[1024], e_service[256], e_from[128], e_to[128];
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed availability query");
    if (bwsdk_json_string(q, "service_id", &service) || bwsdk_json_string(q, "from", &from) ||
        bwsdk_json_string(q, "to", &to) ||
        bwsdk_url_encode(service, strlen(service), false, e_service, sizeof e_service, NULL) ||
        bwsdk_url_encode(from, strlen(from), false, e_from, sizeof e_from, NULL) ||
        bwsdk_url_encode(to, strlen(to), false, e_to, sizeof e_to, NULL)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL, "availability query needs service_id, from, to");
        goto done;
    }
    snprintf(path, sizeof path, "/openings?service=%s&from=%s&to=%s", e_service, e_from, e_to);
    if ((rc = get_json(in, call, path, &doc, err)) != 0)
        goto done;
    rc = BW_E_NOMEM;
    cJSON *slots;
    if (!(res = cJSON_CreateObject()) || !(slots = cJSON_AddArrayToObject(res, "slots")))
        goto done;
    const cJSON *item;
    cJSON_ArrayForEach(item, bwsdk_json_path(doc, "openings"))
    {
        const char *start, *end;
        int64_t us;
        /* Normalise times: the host wants RFC 3339 with an offset. */
        if (bwsdk_json_string(item, "start", &start) || bwsdk_json_string(item, "end", &end) ||
            bwsdk_time_parse(start, &us, NULL) || bwsdk_time_parse(end, &us, NULL))
            continue; /* skip what cannot be booked reliably */
        cJSON *s = cJSON_CreateObject();
        if (!s)
            goto done;
        cJSON_AddItemToArray(slots, s);
        if (!cJSON_AddStringToObject(s, "start", start) || !cJSON_AddStringToObject(s, "end", end) ||
            bwsdk_json_add_strn(s, "location_id", in->location_id.ptr, in->location_id.len) ||
            !cJSON_AddStringToObject(s, "service_id", service) ||
            !cJSON_AddStringToObject(s, "provider_id",
                                     bwsdk_json_string_or(item, "staff_id", "")))
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    cJSON_Delete(q);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc;
}

static const struct bw_emr_ops template_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = template_capabilities,
    .catalog = template_catalog,
    .availability = template_availability,
};

static const struct bw_config_field template_config[] = {
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING,
      .flags = BW_CFG_F_REQUIRED, .key = "base_url",
      .description = "the EMR's API root, e.g. https://api.example-emr.com/v2" },
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING,
      .flags = BW_CFG_F_REQUIRED, .key = "location_id",
      .description = "the clinic's location in the EMR" },
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_SECRET,
      .flags = BW_CFG_F_REQUIRED, .key = "api_key",
      .description = "API key, as env:NAME or file:/path" },
};

static const struct bw_plugin_descriptor template_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = "emr.template",
    .version = "0.1.0",
    .description = "template EMR plugin (reads services and openings from a JSON API)",
    .config = template_config,
    .n_config = sizeof template_config / sizeof template_config[0],
    .instance_open = template_open,
    .instance_close = template_close,
    .ops = &template_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &template_descriptor : NULL;
}
