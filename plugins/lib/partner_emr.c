/*
 * The shared EMR ops of the link-only vendors (partner_emr.h): settings and
 * the instance, capabilities by mode, the catalog from the tenant's catalog,
 * and, with partner endpoints, availability, patient_create and book as
 * plain JSON over the host's HTTP service:
 *   GET  {api_base}{availability_path}?location_id=&service_id=&from=&to=[&provider_id=]
 *        -> {"slots":[{"start","end","provider_id"}]}
 *   POST {api_base}{clients_path} {"first_name","last_name","phone","email"?}
 *        -> {"id",...}
 *   POST {api_base}{appointments_path} {"client_id","location_id","service_id",
 *        "provider_id","start","end","notes"?} -> {"id",...}; 409 when taken
 * Every request carries "Authorization: Bearer <api_key>"; writes carry the
 * host's idempotency key as "Idempotency-Key".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell-sdk/json.h>
#include <bookwell-sdk/sdk.h>
#include <bookwell-sdk/form.h>

#include "partner_emr.h"

#define URL_MAX 512
#define KEY_MAX 256
#define LOCATION_ID "main"

struct partner {
    const struct bw_host *host;
    const struct partner_vendor *vendor; /* the plugin's static data */
    char booking_url[URL_MAX];
    char api_base[URL_MAX];              /* "": link-only */
    char api_key[KEY_MAX];
    char availability_path[128], clients_path[128], appointments_path[128];
    cJSON *file_catalog;                 /* clinic_file's document (owned), or NULL */
};

/* ------------------------------------------------------------ settings */

static int setting(const struct bw_host *host, struct bw_call *call, const char *key, char *dst, size_t cap)
{
    struct bw_str s;
    dst[0] = 0;
    if (host->config_string(call, key, &s) != 0 || s.len == 0)
        return 0;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : -1;
}

static bool https_url(const char *u)
{
    return strncmp(u, "https://", 8) == 0 && u[8] && !strpbrk(u, " \t\r\n\"<>");
}

static bool path_ok(const char *p)
{
    return p[0] == '/' && !strpbrk(p, " ?#\t\r\n");
}

static cJSON *read_clinic_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = malloc(1024 * 1024 + 1);
    cJSON *doc = NULL;
    size_t n = text ? fread(text, 1, 1024 * 1024, f) : 0;
    if (text && bwsdk_json_parse_bytes(text, n, &doc) != 0)
        doc = NULL;
    fclose(f);
    free(text);
    return doc;
}

int partner_emr_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                     struct bw_error *err)
{
    const struct partner_vendor *v = state;
    struct partner *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    in->vendor = v;
    char file[1024];
    const char *bad = NULL;
    if (setting(host, call, "booking_url", in->booking_url, sizeof in->booking_url) || !https_url(in->booking_url))
        bad = "booking_url (the clinic's https booking page)";
    else if (setting(host, call, "api_base", in->api_base, sizeof in->api_base) ||
             (in->api_base[0] && strncmp(in->api_base, "http", 4) != 0))
        bad = "api_base";
    else if (setting(host, call, "availability_path", in->availability_path, sizeof in->availability_path) ||
             !path_ok(in->availability_path))
        bad = "availability_path";
    else if (setting(host, call, "clients_path", in->clients_path, sizeof in->clients_path) ||
             !path_ok(in->clients_path))
        bad = "clients_path";
    else if (setting(host, call, "appointments_path", in->appointments_path, sizeof in->appointments_path) ||
             !path_ok(in->appointments_path))
        bad = "appointments_path";
    else if (setting(host, call, "clinic_file", file, sizeof file))
        bad = "clinic_file";
    if (!bad && in->api_base[0]) {
        struct bw_str s;
        if (host->secret(call, "api_key", &s) != 0 || s.len == 0 ||
            bwsdk_strlcpy(in->api_key, sizeof in->api_key, s.ptr, (size_t)s.len) != 0 ||
            strpbrk(in->api_key, "\r\n"))
            bad = "api_key (needed with api_base)";
    }
    if (!bad && file[0] && !(in->file_catalog = read_clinic_file(file)))
        bad = "clinic_file (not readable JSON)";
    if (bad) {
        memset(in->api_key, 0, sizeof in->api_key);
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "bad setting: %s", bad);
    }
    size_t n = strlen(in->api_base);
    while (n > 0 && in->api_base[n - 1] == '/')
        in->api_base[--n] = 0;
    *out = in;
    return 0;
}

void partner_emr_close(void *state, void *instance)
{
    (void)state;
    struct partner *in = instance;
    if (!in)
        return;
    memset(in->api_key, 0, sizeof in->api_key);
    cJSON_Delete(in->file_catalog);
    free(in);
}

int partner_emr_health(void *instance, struct bw_call *call, struct bw_buf *out, struct bw_error *err)
{
    (void)instance;
    (void)call;
    (void)out;
    (void)err;
    return 0;
}

static int partner_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)call;
    const struct partner *in = instance;
    *caps = in->api_base[0] ? BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_PATIENT_CREATE
                            : BW_EMR_CAP_LINK_ONLY;
    return 0;
}

/* ------------------------------------------------------------ catalog */

/* The tenant's clinic document (caller deletes): clinic_file, else the
 * catalog the host stores at every import. */
static int clinic_doc(struct partner *in, struct bw_call *call, cJSON **doc, struct bw_error *err)
{
    *doc = NULL;
    if (in->file_catalog) {
        *doc = cJSON_Duplicate(in->file_catalog, 1);
        return *doc ? 0 : bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    struct bw_buf *b = in->host->buf_scratch(call);
    int32_t found = 0;
    if (!b || in->host->kv_get(call, "catalog", b, &found) != 0)
        return bwsdk_error(err, BW_E_RETRY, NULL, "catalog storage failed");
    if (!found)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "no catalog: import one (bookwell tenant import) or set clinic_file");
    struct bw_bytes v;
    in->host->buf_view(b, &v);
    if (bwsdk_json_parse_bytes(v.ptr, v.len, doc) != 0)
        return bwsdk_error(err, BW_E_INTERNAL, NULL, "the stored catalog is damaged");
    return 0;
}

static int64_t int_or(const cJSON *o, const char *path, int64_t def)
{
    int64_t v;
    return bwsdk_json_int(o, path, &v) == 0 ? v : def;
}

static int partner_catalog(void *instance, struct bw_call *call, struct bw_buf *out, struct bw_error *err)
{
    struct partner *in = instance;
    cJSON *doc;
    int rc = clinic_doc(in, call, &doc, err);
    if (rc)
        return rc;
    rc = BW_E_NOMEM;
    const char *currency = bwsdk_json_string_or(doc, "currency", "USD");
    cJSON *res = cJSON_CreateObject(), *locs = NULL, *svcs = NULL, *provs = NULL, *loc = cJSON_CreateObject();
    if (!res || !loc || !(locs = cJSON_AddArrayToObject(res, "locations")) ||
        !(svcs = cJSON_AddArrayToObject(res, "services")) || !(provs = cJSON_AddArrayToObject(res, "providers"))) {
        cJSON_Delete(loc);
        goto done;
    }
    cJSON_AddItemToArray(locs, loc);
    if (!cJSON_AddStringToObject(loc, "id", LOCATION_ID) ||
        !cJSON_AddStringToObject(loc, "name", bwsdk_json_string_or(doc, "name", "")) ||
        !cJSON_AddStringToObject(loc, "timezone", bwsdk_json_string_or(doc, "timezone", "UTC")))
        goto done;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "services")) {
        cJSON *s = cJSON_CreateObject();
        if (!s)
            goto done;
        cJSON_AddItemToArray(svcs, s);
        cJSON *l;
        if (!cJSON_AddStringToObject(s, "id", bwsdk_json_string_or(it, "id", "")) ||
            !cJSON_AddStringToObject(s, "name", bwsdk_json_string_or(it, "name", "")) ||
            bwsdk_json_add_int(s, "duration_min", int_or(it, "duration_min", 30)) ||
            bwsdk_json_add_int(s, "price_minor", int_or(it, "price.cents", 0)) ||
            !cJSON_AddStringToObject(s, "currency", currency) || !(l = cJSON_AddArrayToObject(s, "location_ids")))
            goto done;
        cJSON_AddItemToArray(l, cJSON_CreateString(LOCATION_ID));
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "providers")) {
        cJSON *p = cJSON_CreateObject(), *l, *sv;
        if (!p)
            goto done;
        cJSON_AddItemToArray(provs, p);
        if (!cJSON_AddStringToObject(p, "id", bwsdk_json_string_or(it, "id", "")) ||
            !cJSON_AddStringToObject(p, "name", bwsdk_json_string_or(it, "name", "")) ||
            !(l = cJSON_AddArrayToObject(p, "location_ids")))
            goto done;
        cJSON_AddItemToArray(l, cJSON_CreateString(LOCATION_ID));
        sv = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "services"), 1);
        cJSON_AddItemToObject(p, "service_ids", sv ? sv : cJSON_CreateArray());
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    cJSON_Delete(res);
    cJSON_Delete(doc);
    return rc ? bwsdk_error(err, rc, NULL, "catalog failed") : 0;
}

/* ------------------------------------------------------------ partner HTTP */

/* One request to {api_base}{path}; body (may be NULL) is JSON text. A 2xx
 * answer's JSON goes to *doc (caller deletes). */
static int partner_http(struct partner *in, struct bw_call *call, const char *method, const char *path,
                        const char *query, const char *body, const char *idem, cJSON **doc, struct bw_error *err)
{
    char url[URL_MAX + 1024], auth[KEY_MAX + 16];
    *doc = NULL;
    int w = snprintf(url, sizeof url, "%s%s%s%s", in->api_base, path, query ? "?" : "", query ? query : "");
    if (w < 0 || (size_t)w >= sizeof url)
        return bwsdk_error(err, BW_E_INVAL, NULL, "request too long");
    snprintf(auth, sizeof auth, "Bearer %s", in->api_key);
    struct bw_http_header hdr[3] = {
        { { "Authorization", 13 }, { auth, strlen(auth) } },
        { { "Content-Type", 12 }, { "application/json", 16 } },
        { { "Idempotency-Key", 15 }, { idem ? idem : "", idem ? strlen(idem) : 0 } },
    };
    struct bw_http_request req = { .struct_size = sizeof req, .method = method, .url = url, .headers = hdr,
                                   .n_headers = idem ? 3 : (body ? 2 : 1) };
    if (body)
        req.body = (struct bw_bytes){ (const uint8_t *)body, strlen(body) };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = in->host->http(call, &req, &resp, err);
    memset(auth, 0, sizeof auth);
    if (rc != 0)
        return rc;
    if (resp.status < 200 || resp.status >= 300) {
        rc = bwsdk_http_status_error(&resp, err);
        if (resp.status == 400 || resp.status == 422)
            rc = bwsdk_error(err, BW_E_INVAL, NULL, "%s refused the request (HTTP %d)", in->vendor->name,
                             (int)resp.status);
        return rc ? rc : bwsdk_error(err, BW_E_REMOTE, NULL, "HTTP %d", (int)resp.status);
    }
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, doc) != 0)
        return bwsdk_error(err, BW_E_REMOTE, NULL, "%s answered with malformed JSON", in->vendor->name);
    return 0;
}

/* A required string member of an op's input, else BW_E_INVAL. */
static const char *need(const cJSON *o, const char *key, int *rc)
{
    const char *s = NULL;
    if (bwsdk_json_string(o, key, &s) != 0 || !s[0])
        *rc = BW_E_INVAL;
    return s;
}

static bool time_ok(const char *s)
{
    int64_t us;
    int32_t off;
    return s && bwsdk_time_parse(s, &us, &off) == 0;
}

/* ------------------------------------------------------------ ops */

static int partner_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                                struct bw_buf *out, struct bw_error *err)
{
    struct partner *in = instance;
    cJSON *q = NULL, *doc = NULL, *res = NULL;
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc)
        return bwsdk_error(err, BW_E_INVAL, NULL, "availability_query/1 expected");
    const char *loc = need(q, "location_id", &rc), *svc = need(q, "service_id", &rc);
    const char *from = need(q, "from", &rc), *to = need(q, "to", &rc);
    const char *prov = bwsdk_json_string_or(q, "provider_id", "");
    if (rc || !time_ok(from) || !time_ok(to)) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "availability_query/1 needs location_id, service_id, from, to");
    }
    char qs[1024] = "";
    if (bwsdk_query_add(qs, sizeof qs, "location_id", loc) ||
        bwsdk_query_add(qs, sizeof qs, "service_id", svc) ||
        bwsdk_query_add(qs, sizeof qs, "from", from) || bwsdk_query_add(qs, sizeof qs, "to", to) ||
        (prov[0] && bwsdk_query_add(qs, sizeof qs, "provider_id", prov))) {
        cJSON_Delete(q);
        return bwsdk_error(err, BW_E_INVAL, NULL, "query too long");
    }
    rc = partner_http(in, call, "GET", in->availability_path, qs, NULL, NULL, &doc, err);
    if (rc)
        goto done;
    int64_t lo, hi;
    int32_t off;
    bwsdk_time_parse(from, &lo, &off);
    bwsdk_time_parse(to, &hi, &off);
    res = cJSON_CreateObject();
    cJSON *slots = res ? cJSON_AddArrayToObject(res, "slots") : NULL;
    rc = BW_E_NOMEM;
    if (!slots)
        goto done;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "slots")) {
        const char *s = bwsdk_json_string_or(it, "start", ""), *e = bwsdk_json_string_or(it, "end", "");
        const char *p = bwsdk_json_string_or(it, "provider_id", "");
        int64_t su, eu;
        if (bwsdk_time_parse(s, &su, &off) != 0 || bwsdk_time_parse(e, &eu, &off) != 0 || eu <= su || !p[0] ||
            su < lo || su >= hi || (prov[0] && strcmp(p, prov) != 0))
            continue; /* outside what was asked, or not a slot */
        cJSON *o = cJSON_CreateObject();
        if (!o)
            goto done;
        cJSON_AddItemToArray(slots, o);
        if (!cJSON_AddStringToObject(o, "start", s) || !cJSON_AddStringToObject(o, "end", e) ||
            !cJSON_AddStringToObject(o, "location_id", loc) || !cJSON_AddStringToObject(o, "service_id", svc) ||
            !cJSON_AddStringToObject(o, "provider_id", p))
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, res);
done:
    cJSON_Delete(q);
    cJSON_Delete(doc);
    cJSON_Delete(res);
    return rc && err && !err->code ? bwsdk_error(err, rc, NULL, "availability failed") : rc;
}

/* Sends body to path and appends the answer, with the request's own fields
 * kept where the answer does not echo them (keys: the members copied). */
static int write_op(struct partner *in, struct bw_call *call, const char *path, cJSON *body, const char *idem,
                    const char *const *keys, struct bw_buf *out, struct bw_error *err)
{
    char *text = cJSON_PrintUnformatted(body);
    cJSON *doc = NULL;
    if (!text)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    int rc = partner_http(in, call, "POST", path, NULL, text, idem, &doc, err);
    cJSON_free(text);
    if (rc)
        return rc;
    const char *id = bwsdk_json_string_or(doc, "id", "");
    if (!id[0]) {
        cJSON_Delete(doc);
        return bwsdk_error(err, BW_E_REMOTE, NULL, "%s's answer has no id", in->vendor->name);
    }
    cJSON *res = cJSON_CreateObject();
    rc = res && cJSON_AddStringToObject(res, "id", id) ? 0 : BW_E_NOMEM;
    for (size_t i = 0; keys[i] && !rc; i++) {
        const char *v = bwsdk_json_string_or(doc, keys[i], bwsdk_json_string_or(body, keys[i], NULL));
        if (v && !cJSON_AddStringToObject(res, keys[i], v))
            rc = BW_E_NOMEM;
    }
    if (!rc)
        rc = bwsdk_json_emit(in->host, out, res);
    cJSON_Delete(res);
    cJSON_Delete(doc);
    return rc ? bwsdk_error(err, rc, NULL, "out of memory") : 0;
}

static int partner_patient_create(void *instance, struct bw_call *call, const struct bw_json *patient,
                                  const char *idem, struct bw_buf *out, struct bw_error *err)
{
    static const char *const keys[] = { "first_name", "last_name", "phone", "email", NULL };
    cJSON *p = NULL;
    int rc = bwsdk_json_parse(patient, BW_SCHEMA_EMR_PATIENT, &p);
    if (!rc) {
        need(p, "first_name", &rc);
        need(p, "last_name", &rc);
        need(p, "phone", &rc);
    }
    if (rc) {
        cJSON_Delete(p);
        return bwsdk_error(err, BW_E_INVAL, NULL, "patient/1 needs first_name, last_name and phone");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(p, "id");
    rc = write_op(instance, call, ((struct partner *)instance)->clients_path, p, idem, keys, out, err);
    cJSON_Delete(p);
    return rc;
}

static int partner_book(void *instance, struct bw_call *call, const struct bw_json *req, const char *idem,
                        struct bw_buf *out, struct bw_error *err)
{
    static const char *const keys[] = { "patient_id", "location_id", "service_id", "provider_id",
                                        "start", "end", "status", NULL };
    cJSON *r = NULL, *body = NULL;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_EMR_BOOKING_REQUEST, &r);
    const char *pid = NULL, *loc = NULL, *svc = NULL, *s = NULL, *e = NULL;
    if (!rc) {
        pid = need(r, "patient_id", &rc);
        loc = need(r, "location_id", &rc);
        svc = need(r, "service_id", &rc);
        s = need(r, "start", &rc);
        e = need(r, "end", &rc);
    }
    if (rc || !time_ok(s) || !time_ok(e)) {
        cJSON_Delete(r);
        return bwsdk_error(err, BW_E_INVAL, NULL, "booking_request/1 needs patient_id, location_id, service_id, "
                                                  "start and end");
    }
    const char *prov = bwsdk_json_string_or(r, "provider_id", "");
    body = cJSON_CreateObject();
    if (!body || !cJSON_AddStringToObject(body, "client_id", pid) ||
        !cJSON_AddStringToObject(body, "patient_id", pid) || !cJSON_AddStringToObject(body, "location_id", loc) ||
        !cJSON_AddStringToObject(body, "service_id", svc) || !cJSON_AddStringToObject(body, "provider_id", prov) ||
        !cJSON_AddStringToObject(body, "start", s) || !cJSON_AddStringToObject(body, "end", e) ||
        !cJSON_AddStringToObject(body, "notes", bwsdk_json_string_or(r, "notes", "")) ||
        !cJSON_AddStringToObject(body, "status", "booked")) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    } else {
        struct partner *in = instance;
        rc = write_op(in, call, in->appointments_path, body, idem, keys, out, err);
    }
    cJSON_Delete(body);
    cJSON_Delete(r);
    return rc;
}

const struct bw_emr_ops partner_emr_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = partner_capabilities,
    .catalog = partner_catalog,
    .availability = partner_availability,
    .patient_create = partner_patient_create,
    .book = partner_book,
};

#define FIELD(k, d, text) \
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING, .key = k, .default_value = d, \
      .description = text }
const struct bw_config_field partner_emr_config[PARTNER_EMR_CONFIG_N] = {
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING, .flags = BW_CFG_F_REQUIRED,
      .key = "booking_url", .description = "the clinic's own online booking page (https), sent to patients" },
    FIELD("clinic_file", "", "a clinic JSON file to read the catalog from (default: the imported catalog)"),
    FIELD("api_base", "", "partner API base URL; empty: link-only"),
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_SECRET, .key = "api_key",
      .description = "partner API key (env:NAME or file:PATH), needed with api_base" },
    FIELD("availability_path", "/availability", "partner availability endpoint, under api_base"),
    FIELD("clients_path", "/clients", "partner client-create endpoint, under api_base"),
    FIELD("appointments_path", "/appointments", "partner appointment-create endpoint, under api_base"),
};
