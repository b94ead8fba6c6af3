/*
 * emr.boulevard: the Boulevard plugin (Admin API and the Client API's
 * booking cart, both GraphQL). This file: settings, instance lifecycle,
 * capabilities, the catalog (locations, services and staff of the Admin
 * API; which staff perform which service from the cart's staff variants)
 * and availability, read from the cart as Boulevard's own booking widget
 * does: createCart, cartAvailableBookableItemStaffVariants,
 * addCartSelectedBookableItem with the staff variant, cartBookableDates over
 * the range, then cartBookableTimes for each bookable date. Clients and
 * appointments: boulevard_booking.c; the transport: boulevard_gql.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "boulevard.h"

#define US_PER_MIN INT64_C(60000000)
#define US_PER_DAY (1440 * US_PER_MIN)
#define MAX_SLOTS 2000
#define MAX_VARIANTS 64

static const char Q_LOCATIONS[] =
    "query Locations($first: Int, $after: String) { locations(first: $first, after: $after) "
    "{ edges { cursor node { id name tz } } pageInfo { hasNextPage endCursor } } }";
static const char Q_SERVICES[] =
    "query Services($first: Int, $after: String) { services(first: $first, after: $after) "
    "{ edges { cursor node { id name defaultDuration defaultPrice active } } "
    "pageInfo { hasNextPage endCursor } } }";
static const char Q_STAFF[] =
    "query Staff($first: Int, $after: String) { staff(first: $first, after: $after) "
    "{ edges { cursor node { id displayName firstName lastName active locations { id } } } "
    "pageInfo { hasNextPage endCursor } } }";
static const char Q_CREATE_CART[] =
    "mutation CreateCart($locationId: ID!) { createCart(input: { locationId: $locationId }) "
    "{ cart { id expiresAt } } }";
static const char Q_VARIANTS[] =
    "query CartAvailableBookableItemStaffVariants($id: ID!, $itemId: ID!) "
    "{ cartAvailableBookableItemStaffVariants(id: $id, itemId: $itemId) "
    "{ id duration price staff { id displayName firstName lastName } } }";
static const char Q_ADD_ITEM[] =
    "mutation AddCartSelectedBookableItem($id: ID!, $itemId: ID!, $itemStaffVariantId: ID) "
    "{ addCartSelectedBookableItem(input: { id: $id, itemId: $itemId, "
    "itemStaffVariantId: $itemStaffVariantId }) { cart { id selectedItems { id } } } }";
static const char Q_DATES[] =
    "query CartBookableDates($id: ID!, $searchRangeLower: Date, $searchRangeUpper: Date) "
    "{ cartBookableDates(id: $id, searchRangeLower: $searchRangeLower, "
    "searchRangeUpper: $searchRangeUpper) { date } }";
static const char Q_TIMES[] =
    "query CartBookableTimes($id: ID!, $searchDate: Date!) "
    "{ cartBookableTimes(id: $id, searchDate: $searchDate) { id startTime score } }";

/* Copies a configured string (host-owned) into dst; empty is allowed when opt. */
static int setting(const struct bw_host *host, struct bw_call *call, const char *key, char *dst,
                   size_t cap, bool opt)
{
    struct bw_str s;
    dst[0] = 0;
    if (host->config_string(call, key, &s) != 0)
        return opt ? 0 : -1;
    if (s.len == 0)
        return opt ? 0 : -1;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : -1;
}

static int blvd_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                     struct bw_error *err)
{
    (void)state;
    if (!BW_FN(host, kv_put_if))
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the host lacks kv_put_if");
    struct blvd *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    struct bw_str secret;
    uint64_t key_len = 0;
    const char *bad = NULL;
    if (setting(host, call, "business_id", in->business_id, sizeof in->business_id, false) ||
        !blvd_id_ok(in->business_id))
        bad = "business_id";
    else if (host->secret(call, "api_key", &secret) != 0 || secret.len == 0 ||
             bwsdk_strlcpy(in->api_key, sizeof in->api_key, secret.ptr, (size_t)secret.len) != 0 ||
             strchr(in->api_key, ':'))
        bad = "api_key";
    else if (host->secret(call, "api_secret", &secret) != 0 || secret.len == 0 ||
             host->base64_decode(0, secret.ptr, secret.len, in->key, sizeof in->key, &key_len) != 0 ||
             key_len == 0)
        bad = "api_secret (base64, as Boulevard issues it)";
    else if (setting(host, call, "api_url", in->api_url, sizeof in->api_url, false) ||
             strncmp(in->api_url, "http", 4) != 0)
        bad = "api_url";
    else if (setting(host, call, "location_id", in->location, sizeof in->location, true))
        bad = "location_id";
    else if (setting(host, call, "currency", in->currency, sizeof in->currency, false) ||
             strlen(in->currency) != 3)
        bad = "currency";
    else if (host->config_int(call, "page_size", &in->page_size) != 0)
        bad = "page_size";
    else if (host->config_duration_ms(call, "throttle_wait", &in->throttle_wait_ms) != 0)
        bad = "throttle_wait";
    if (bad) {
        free(in);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "bad setting: %s", bad);
    }
    in->key_len = (size_t)key_len;
    size_t n = strlen(in->api_url);
    while (n > 0 && in->api_url[n - 1] == '/')
        in->api_url[--n] = 0;
    *out = in;
    return 0;
}

static void blvd_close(void *state, void *instance)
{
    (void)state;
    struct blvd *in = instance;
    if (in) {
        memset(in->key, 0, sizeof in->key);
        memset(in->api_key, 0, sizeof in->api_key);
    }
    free(in);
}

static int blvd_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_AVAILABILITY | BW_EMR_CAP_BOOK | BW_EMR_CAP_RESCHEDULE |
            BW_EMR_CAP_CANCEL | BW_EMR_CAP_PATIENT_FIND | BW_EMR_CAP_PATIENT_CREATE |
            BW_EMR_CAP_APPOINTMENT_LIST;
    return 0;
}

/* ---- catalog ----------------------------------------------------------------- */

struct cat_ctx {
    struct blvd *in;
    cJSON *locations, *services, *providers;
    char first_location[BLVD_ID_MAX];
};

static int on_location(void *p, const cJSON *node)
{
    struct cat_ctx *c = p;
    const char *id = bwsdk_json_string_or(node, "id", "");
    if (c->in->location[0] && strcmp(blvd_tail(id), blvd_tail(c->in->location)) != 0)
        return 0;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(c->locations, o) ||
        !cJSON_AddStringToObject(o, "id", blvd_tail(id)) ||
        !cJSON_AddStringToObject(o, "name", bwsdk_json_string_or(node, "name", blvd_tail(id))) ||
        !cJSON_AddStringToObject(o, "timezone", bwsdk_json_string_or(node, "tz", "UTC")))
        return BW_E_NOMEM;
    if (!c->first_location[0])
        snprintf(c->first_location, sizeof c->first_location, "%s", id);
    return 0;
}

static int on_service(void *p, const cJSON *node)
{
    struct cat_ctx *c = p;
    bool active = true;
    int64_t minutes = 0, price = 0;
    bwsdk_json_bool(node, "active", &active);
    if (!active || bwsdk_json_int(node, "defaultDuration", &minutes) != 0 || minutes <= 0)
        return 0;
    bwsdk_json_int(node, "defaultPrice", &price);
    const char *id = blvd_tail(bwsdk_json_string_or(node, "id", ""));
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(c->services, o) || !cJSON_AddStringToObject(o, "id", id) ||
        !cJSON_AddStringToObject(o, "name", bwsdk_json_string_or(node, "name", id)) ||
        bwsdk_json_add_int(o, "duration_min", minutes) ||
        bwsdk_json_add_int(o, "price_minor", price) ||
        !cJSON_AddStringToObject(o, "currency", c->in->currency) ||
        !cJSON_AddArrayToObject(o, "location_ids"))
        return BW_E_NOMEM;
    return 0;
}

static int on_staff(void *p, const cJSON *node)
{
    struct cat_ctx *c = p;
    bool active = true;
    bwsdk_json_bool(node, "active", &active);
    if (!active)
        return 0;
    const char *id = blvd_tail(bwsdk_json_string_or(node, "id", ""));
    const char *name = bwsdk_json_string_or(node, "displayName", "");
    cJSON *o = cJSON_CreateObject(), *locs, *l;
    if (!o || !cJSON_AddItemToArray(c->providers, o) || !cJSON_AddStringToObject(o, "id", id) ||
        !cJSON_AddStringToObject(o, "name", name[0] ? name : id) ||
        !(locs = cJSON_AddArrayToObject(o, "location_ids")) ||
        !cJSON_AddArrayToObject(o, "service_ids"))
        return BW_E_NOMEM;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(node, "locations"))
    {
        const char *lid = blvd_tail(bwsdk_json_string_or(l, "id", ""));
        const cJSON *known;
        bool listed = false;
        cJSON_ArrayForEach(known, c->locations)
        listed |= strcmp(bwsdk_json_string_or(known, "id", ""), lid) == 0;
        if (listed && !cJSON_AddItemToArray(locs, cJSON_CreateString(lid)))
            return BW_E_NOMEM;
    }
    return 0;
}

static cJSON *find_by_id(cJSON *list, const char *id)
{
    cJSON *it;
    cJSON_ArrayForEach(it, list)
    if (strcmp(bwsdk_json_string_or(it, "id", ""), id) == 0)
        return it;
    return NULL;
}

/* A new cart at location (a URN); its id into out. */
static int new_cart(struct blvd *in, struct bw_call *call, const char *location, char *out,
                    size_t cap, struct bw_error *err)
{
    cJSON *vars = cJSON_CreateObject(), *doc = NULL;
    const cJSON *data;
    const char *id = NULL;
    if (!vars || !cJSON_AddStringToObject(vars, "locationId", location)) {
        cJSON_Delete(vars);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    int rc = blvd_gql(in, call, BLVD_CLIENT, "CreateCart", Q_CREATE_CART, vars, &doc, &data, err);
    cJSON_Delete(vars);
    if (rc == 0 && (bwsdk_json_string(data, "createCart.cart.id", &id) != 0 ||
                    bwsdk_strlcpy(out, cap, id, strlen(id)) != 0))
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard made a cart without an id");
    cJSON_Delete(doc);
    return rc;
}

/* The staff variants of service (a URN) in cart: *doc owns *list. */
static int variants(struct blvd *in, struct bw_call *call, const char *cart, const char *service,
                    cJSON **doc, const cJSON **list, struct bw_error *err)
{
    cJSON *vars = cJSON_CreateObject();
    const cJSON *data;
    if (!vars || !cJSON_AddStringToObject(vars, "id", cart) ||
        !cJSON_AddStringToObject(vars, "itemId", service)) {
        cJSON_Delete(vars);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    int rc = blvd_gql(in, call, BLVD_CLIENT, "CartAvailableBookableItemStaffVariants", Q_VARIANTS,
                      vars, doc, &data, err);
    cJSON_Delete(vars);
    if (rc == 0) {
        *list = cJSON_GetObjectItemCaseSensitive(data, "cartAvailableBookableItemStaffVariants");
        if (!cJSON_IsArray(*list)) {
            cJSON_Delete(*doc);
            *doc = NULL;
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard listed no staff variants");
        }
    }
    return rc;
}

static int blvd_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                        struct bw_error *err)
{
    struct blvd *in = instance;
    struct cat_ctx c = { .in = in };
    cJSON *res = cJSON_CreateObject(), *vars = cJSON_CreateObject(), *svc;
    char cart[BLVD_ID_MAX], urn[BLVD_ID_MAX];
    int rc = BW_E_NOMEM;
    if (!res || !vars || !(c.locations = cJSON_AddArrayToObject(res, "locations")) ||
        !(c.services = cJSON_AddArrayToObject(res, "services")) ||
        !(c.providers = cJSON_AddArrayToObject(res, "providers"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((rc = blvd_each(in, call, BLVD_ADMIN, "Locations", Q_LOCATIONS, vars, "locations",
                        on_location, &c, err)) != 0 ||
        (rc = blvd_each(in, call, BLVD_ADMIN, "Services", Q_SERVICES, vars, "services", on_service,
                        &c, err)) != 0 ||
        (rc = blvd_each(in, call, BLVD_ADMIN, "Staff", Q_STAFF, vars, "staff", on_staff, &c,
                        err)) != 0)
        goto done;
    if (!c.first_location[0]) {
        rc = bwsdk_error(err, BW_E_CONFIG, NULL, "Boulevard lists no location%s%s",
                         in->location[0] ? " " : "", in->location);
        goto done;
    }
    /* Who performs what: the staff variants the booking cart offers. */
    if ((rc = new_cart(in, call, c.first_location, cart, sizeof cart, err)) != 0)
        goto done;
    cJSON_ArrayForEach(svc, c.services)
    {
        cJSON *doc = NULL;
        const cJSON *list, *v;
        if ((rc = blvd_urn("Service", bwsdk_json_string_or(svc, "id", ""), urn, sizeof urn)) != 0 ||
            (rc = variants(in, call, cart, urn, &doc, &list, err)) != 0)
            goto done;
        cJSON_ArrayForEach(v, list)
        {
            cJSON *p = find_by_id(c.providers, blvd_tail(bwsdk_json_string_or(v, "staff.id", "")));
            if (p && !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p, "service_ids"),
                                           cJSON_CreateString(bwsdk_json_string_or(svc, "id", "")))) {
                cJSON_Delete(doc);
                rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
                goto done;
            }
        }
        cJSON_Delete(doc);
    }
    rc = bwsdk_json_emit(in->host, out, res);
    if (rc)
        rc = bwsdk_error(err, rc, NULL, "cannot write the catalog");
done:
    cJSON_Delete(vars);
    cJSON_Delete(res);
    return rc;
}

/* ---- availability ------------------------------------------------------------ */

struct avail {
    struct blvd *in;
    struct bw_call *call;
    struct bw_error *err;
    int64_t from, to;
    const char *location_id, *service_id; /* as the host names them */
    cJSON *slots;
    int count;
};

/* YYYY-MM-DD of the UTC day of t. */
static void utc_date(int64_t t, char out[16])
{
    int32_t y, m, d;
    int64_t day = t >= 0 ? t / US_PER_DAY : -((-t + US_PER_DAY - 1) / US_PER_DAY);
    bwsdk_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

/* The free times of one staff variant in cart, appended as slots. */
static int staff_slots(struct avail *a, const char *location, const char *service,
                       const cJSON *variant)
{
    struct blvd *in = a->in;
    char cart[BLVD_ID_MAX], lo[16], hi[16];
    cJSON *vars = NULL, *doc = NULL, *dates_doc = NULL;
    const cJSON *data, *d;
    int64_t minutes = 0;
    const char *staff = blvd_tail(bwsdk_json_string_or(variant, "staff.id", ""));
    int rc;
    if (bwsdk_json_int(variant, "duration", &minutes) != 0 || minutes <= 0 || !staff[0])
        return bwsdk_error(a->err, BW_E_REMOTE, NULL, "a staff variant without staff or duration");
    if ((rc = new_cart(in, a->call, location, cart, sizeof cart, a->err)) != 0)
        return rc;
    /* Local dates are at most a day away from UTC ones. */
    utc_date(a->from - US_PER_DAY, lo);
    utc_date(a->to + US_PER_DAY, hi);
    if (!(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "id", cart) ||
        !cJSON_AddStringToObject(vars, "itemId", service) ||
        !cJSON_AddStringToObject(vars, "itemStaffVariantId", bwsdk_json_string_or(variant, "id", ""))) {
        rc = bwsdk_error(a->err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((rc = blvd_gql(in, a->call, BLVD_CLIENT, "AddCartSelectedBookableItem", Q_ADD_ITEM, vars,
                       &doc, &data, a->err)) != 0)
        goto done;
    cJSON_Delete(doc);
    doc = NULL;
    cJSON_Delete(vars);
    if (!(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "id", cart) ||
        !cJSON_AddStringToObject(vars, "searchRangeLower", lo) ||
        !cJSON_AddStringToObject(vars, "searchRangeUpper", hi)) {
        rc = bwsdk_error(a->err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((rc = blvd_gql(in, a->call, BLVD_CLIENT, "CartBookableDates", Q_DATES, vars, &dates_doc,
                       &data, a->err)) != 0)
        goto done;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(data, "cartBookableDates"))
    {
        const char *date = bwsdk_json_string_or(d, "date", "");
        const cJSON *times, *t;
        cJSON_Delete(vars);
        if (!(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "id", cart) ||
            !cJSON_AddStringToObject(vars, "searchDate", date)) {
            rc = bwsdk_error(a->err, BW_E_NOMEM, NULL, "out of memory");
            goto done;
        }
        cJSON_Delete(doc);
        doc = NULL;
        if ((rc = blvd_gql(in, a->call, BLVD_CLIENT, "CartBookableTimes", Q_TIMES, vars, &doc,
                           &times, a->err)) != 0)
            goto done;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(times, "cartBookableTimes"))
        {
            int64_t start;
            int32_t off = 0;
            char end_s[BWSDK_TIME_MAX];
            const char *start_s = bwsdk_json_string_or(t, "startTime", "");
            if (bwsdk_time_parse(start_s, &start, &off) != 0)
                continue;
            int64_t end = start + minutes * US_PER_MIN;
            /* Slots that start in [from, to), as the host asks (a hold
             * checks the one minute its slot starts in). */
            if (start < a->from || start >= a->to || a->count >= MAX_SLOTS)
                continue;
            if (bwsdk_time_format(end, off, end_s, sizeof end_s) ||
                bwsdk_slot_add(a->slots, start_s, end_s, a->location_id, a->service_id, staff)) {
                rc = bwsdk_error(a->err, BW_E_NOMEM, NULL, "out of memory");
                goto done;
            }
            a->count++;
        }
        if ((rc = in->host->check(a->call)) != 0) {
            rc = bwsdk_error(a->err, rc, NULL, "stopped");
            goto done;
        }
    }
done:
    cJSON_Delete(vars);
    cJSON_Delete(doc);
    cJSON_Delete(dates_doc);
    return rc;
}

/* Slots by start, then provider. */
static int slot_cmp(const cJSON *a, const cJSON *b)
{
    int c = bwsdk_slot_by_start(a, b);
    return c ? c
             : strcmp(bwsdk_json_string_or(a, "provider_id", ""),
                      bwsdk_json_string_or(b, "provider_id", ""));
}

static int blvd_availability(void *instance, struct bw_call *call, const struct bw_json *query,
                             struct bw_buf *out, struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *q = NULL, *res = NULL, *doc = NULL;
    const cJSON *list, *v;
    const char *loc, *service, *from_s, *to_s, *prov;
    char loc_urn[BLVD_ID_MAX], svc_urn[BLVD_ID_MAX], cart[BLVD_ID_MAX];
    struct avail a = { .in = in, .call = call, .err = err };
    int rc = bwsdk_json_parse(query, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &q);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "malformed availability query");
    prov = bwsdk_json_string_or(q, "provider_id", "");
    if (bwsdk_json_string(q, "location_id", &loc) || bwsdk_json_string(q, "service_id", &service) ||
        bwsdk_json_string(q, "from", &from_s) || bwsdk_json_string(q, "to", &to_s) ||
        bwsdk_time_parse(from_s, &a.from, NULL) || bwsdk_time_parse(to_s, &a.to, NULL) ||
        a.to <= a.from || a.to - a.from > 62 * US_PER_DAY || !blvd_id_ok(loc) ||
        !blvd_id_ok(service) || (prov[0] && !blvd_id_ok(prov)) ||
        blvd_urn("Service", service, svc_urn, sizeof svc_urn)) {
        rc = bwsdk_error(err, BW_E_INVAL, NULL,
                         "want location_id, service_id, from < to at most 62 days apart");
        goto done;
    }
    a.location_id = loc;
    a.service_id = service;
    if (!(res = cJSON_CreateObject()) || !(a.slots = cJSON_AddArrayToObject(res, "slots"))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (in->location[0] && strcmp(loc, "main") != 0 &&
        strcmp(blvd_tail(in->location), blvd_tail(loc)) != 0)
        goto emit; /* not a location of this instance: nothing free there */
    if ((rc = blvd_location(in, call, loc, loc_urn, sizeof loc_urn, err)) != 0 ||
        (rc = new_cart(in, call, loc_urn, cart, sizeof cart, err)) != 0 ||
        (rc = variants(in, call, cart, svc_urn, &doc, &list, err)) != 0) {
        if (rc == BW_E_REMOTE && err && strcmp(err->provider_code, "NOT_FOUND") == 0)
            rc = bwsdk_error(err, BW_E_INVAL, "NOT_FOUND", "no such location or service");
        goto done;
    }
    int n = 0;
    cJSON_ArrayForEach(v, list)
    {
        const char *staff = blvd_tail(bwsdk_json_string_or(v, "staff.id", ""));
        if (prov[0] && strcmp(staff, prov) != 0)
            continue;
        if (++n > MAX_VARIANTS || (rc = staff_slots(&a, loc_urn, svc_urn, v)) != 0)
            break;
    }
    if (rc != 0)
        goto done;
    if (bwsdk_json_array_sort(a.slots, slot_cmp) != 0) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
emit:
    rc = bwsdk_json_emit(in->host, out, res);
    if (rc)
        rc = bwsdk_error(err, rc, NULL, "cannot write the slots");
done:
    cJSON_Delete(doc);
    cJSON_Delete(q);
    cJSON_Delete(res);
    return rc;
}

static int blvd_health(void *instance, struct bw_call *call, struct bw_buf *out,
                       struct bw_error *err)
{
    struct blvd *in = instance;
    cJSON *vars = cJSON_CreateObject(), *doc = NULL;
    const cJSON *data;
    if (!vars || !cJSON_AddNumberToObject(vars, "first", 1)) {
        cJSON_Delete(vars);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    int rc = blvd_gql(in, call, BLVD_ADMIN, "Locations", Q_LOCATIONS, vars, &doc, &data, err);
    cJSON_Delete(vars);
    cJSON_Delete(doc);
    return rc ? rc : bwsdk_buf_puts(in->host, out, "{\"ok\":true}");
}

static const struct bw_emr_ops blvd_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = blvd_capabilities,
    .catalog = blvd_catalog,
    .availability = blvd_availability,
    .patient_find = blvd_patient_find,
    .patient_create = blvd_patient_create,
    .appointment_list = blvd_appointment_list,
    .book = blvd_book,
    .reschedule = blvd_reschedule,
    .cancel = blvd_cancel,
};

#define FIELD(t, f, k, def, desc, lo, hi)                                                      \
    { .struct_size = sizeof(struct bw_config_field), .type = (t), .flags = (f), .key = (k),   \
      .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
static const struct bw_config_field blvd_config[] = {
    FIELD(BW_CFG_STRING, BW_CFG_F_REQUIRED, "business_id", NULL,
          "the Boulevard business id the app is installed for", 0, 0),
    FIELD(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "api_key", NULL, "the app's API key", 0, 0),
    FIELD(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "api_secret", NULL,
          "the app's API secret (base64, as issued)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "api_url", "https://dashboard.boulevard.io/api/2020-01",
          "the API's base address (Admin API at /admin, Client API at /<business>/client)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "location_id", "",
          "book only at this location (its id, or empty for every location)", 0, 0),
    FIELD(BW_CFG_STRING, 0, "currency", "USD", "ISO 4217 currency of the prices", 0, 0),
    FIELD(BW_CFG_INT, 0, "page_size", "100", "nodes asked for per page of a connection", 1, 100),
    FIELD(BW_CFG_DURATION, 0, "throttle_wait", "5s",
          "longest wait for the query-cost budget to refill before giving up (retried later)",
          0, 0),
};

static const struct bw_plugin_descriptor blvd_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1, /* kv_put_if */
    .kind = BW_KIND_EMR,
    .id = "emr.boulevard",
    .version = "1.0.0",
    .description = "Boulevard: Admin API and booking cart (GraphQL)",
    .config = blvd_config,
    .n_config = sizeof blvd_config / sizeof blvd_config[0],
    .instance_open = blvd_open,
    .instance_close = blvd_close,
    .health = blvd_health,
    .ops = &blvd_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    return host_major == BW_ABI_MAJOR && host_minor >= 1 ? &blvd_descriptor : NULL;
}
