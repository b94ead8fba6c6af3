/*
 * The Boulevard GraphQL transport: one operation per HTTP POST through the
 * host's HTTP service. Admin API requests carry "Authorization: Basic"
 * of base64(API_KEY ":" TOKEN), TOKEN being the HMAC-SHA256 signature
 * (base64, keyed with the base64-decoded API secret) of the payload
 * "blvd-admin-v1" BUSINESS_ID UNIX_TIME followed by that payload; Client
 * API (booking cart) requests carry the API key alone. The query-cost
 * throttle is honoured: a THROTTLED answer is retried once the budget has
 * refilled (extensions.cost.throttleStatus says by how much and how fast)
 * when that wait fits, else the call fails with BW_E_RETRY and the wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boulevard.h"

#define BLVD_TRIES 4
#define BLVD_MAX_PAGES 2000

int blvd_urn(const char *kind, const char *id, char *out, size_t cap)
{
    int n = strncmp(id, "urn:blvd:", 9) == 0 ? snprintf(out, cap, "%s", id)
                                              : snprintf(out, cap, "urn:blvd:%s:%s", kind, id);
    return n < 0 || (size_t)n >= cap ? BW_E_INVAL : 0;
}

const char *blvd_tail(const char *urn)
{
    const char *c = urn ? strrchr(urn, ':') : NULL;
    return c ? c + 1 : (urn ? urn : "");
}

bool blvd_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || strchr("'\"\\/|", s[i]))
            return false;
    return true;
}

/* The Authorization header's value for api. */
static int auth_header(struct blvd *in, enum blvd_api api, char *out, size_t cap)
{
    const struct bw_host *h = in->host;
    char payload[160], creds[512];
    int n;
    if (api == BLVD_CLIENT) {
        n = snprintf(creds, sizeof creds, "%s:", in->api_key);
    } else {
        /* The token's time is the real wall clock the provider checks it
         * against, not the business clock. */
        uint8_t mac[BW_HASH_MAX_LEN];
        uint32_t mac_len = 0;
        char sig[64];
        uint64_t sig_len = 0;
        n = snprintf(payload, sizeof payload, "blvd-admin-v1%s%lld", in->business_id,
                     (long long)time(NULL));
        if (n < 0 || (size_t)n >= sizeof payload ||
            h->hmac(BW_HASH_SHA256, in->key, in->key_len, payload, (uint64_t)n, mac, sizeof mac,
                    &mac_len) != 0 ||
            h->base64_encode(0, mac, mac_len, sig, sizeof sig, &sig_len) != 0)
            return BW_E_INTERNAL;
        n = snprintf(creds, sizeof creds, "%s:%s%s", in->api_key, sig, payload);
    }
    if (n < 0 || (size_t)n >= sizeof creds)
        return BW_E_CONFIG;
    uint64_t len = 0;
    memcpy(out, "Basic ", 6);
    if (h->base64_encode(0, creds, (uint64_t)n, out + 6, cap - 6, &len) != 0)
        return BW_E_CONFIG;
    return 0;
}

/* Milliseconds until the budget covers the throttled request, or -1. */
static int64_t throttle_wait(const cJSON *doc)
{
    const cJSON *cost = bwsdk_json_path(doc, "extensions.cost");
    int64_t want = 0, avail = 0, rate = 0;
    const cJSON *r = bwsdk_json_path(cost, "throttleStatus.restoreRate");
    if (bwsdk_json_int(cost, "requestedQueryCost", &want) != 0 ||
        bwsdk_json_int(cost, "throttleStatus.currentlyAvailable", &avail) != 0 ||
        !cJSON_IsNumber(r))
        return -1;
    rate = (int64_t)r->valuedouble;
    if (rate <= 0)
        return -1;
    int64_t short_by = want > avail ? want - avail : 1;
    return (short_by * 1000 + rate - 1) / rate + 50;
}

/* The first GraphQL error's code, or NULL when the answer has none. */
static const char *gql_error_code(const cJSON *doc, const char **message)
{
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    const cJSON *first = cJSON_GetArrayItem(errs, 0);
    if (!first)
        return NULL;
    *message = bwsdk_json_string_or(first, "message", "");
    return bwsdk_json_string_or(first, "extensions.code", "GRAPHQL_ERROR");
}

int blvd_gql(struct blvd *in, struct bw_call *call, enum blvd_api api, const char *op,
             const char *query, cJSON *vars, cJSON **doc, const cJSON **data,
             struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[512], auth[1024];
    char *text = NULL;
    int rc;
    *doc = NULL;
    *data = NULL;
    if (api == BLVD_ADMIN)
        snprintf(url, sizeof url, "%s/admin", in->api_url);
    else
        snprintf(url, sizeof url, "%s/%s/client", in->api_url, in->business_id);
    cJSON *body = cJSON_CreateObject();
    if (!body || !cJSON_AddStringToObject(body, "operationName", op) ||
        !cJSON_AddStringToObject(body, "query", query) ||
        (vars && !cJSON_AddItemReferenceToObject(body, "variables", vars)) ||
        !(text = cJSON_PrintUnformatted(body))) {
        cJSON_Delete(body);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    cJSON_Delete(body);
    for (int attempt = 0; attempt < BLVD_TRIES; attempt++) {
        if ((rc = auth_header(in, api, auth, sizeof auth)) != 0) {
            rc = bwsdk_error(err, rc, NULL, "cannot sign the request");
            goto done;
        }
        struct bw_http_header hdrs[] = {
            { { "Content-Type", 12 }, { "application/json", 16 } },
            { { "Accept", 6 }, { "application/json", 16 } },
            { { "Authorization", 13 }, { auth, strlen(auth) } },
        };
        struct bw_http_request req = {
            .struct_size = sizeof req, .method = "POST", .url = url, .headers = hdrs,
            .n_headers = 3, .body = { (const uint8_t *)text, strlen(text) },
        };
        struct bw_http_response resp = { .struct_size = sizeof resp };
        if ((rc = h->http(call, &req, &resp, err)) != 0)
            goto done;
        h->counter_add(call, "requests", 1);
        if (resp.status == 401 || resp.status == 403) {
            rc = bwsdk_error(err, BW_E_AUTH, "UNAUTHENTICATED", "Boulevard refused the credentials (HTTP %d)",
                             resp.status);
            goto done;
        }
        if ((rc = bwsdk_http_status_error(&resp, err)) != 0) {
            if (rc == BW_E_REMOTE && resp.status == 400)
                rc = bwsdk_error(err, BW_E_INTERNAL, NULL, "Boulevard refused the %s document", op);
            goto done;
        }
        cJSON_Delete(*doc);
        if (bwsdk_json_parse_bytes(resp.body.ptr, (size_t)resp.body.len, doc) != 0 ||
            !cJSON_IsObject(*doc)) {
            rc = bwsdk_error(err, BW_E_RETRY, NULL, "Boulevard answered %s with something not JSON", op);
            goto done;
        }
        const char *msg = "", *code = gql_error_code(*doc, &msg);
        if (code && strcmp(code, "THROTTLED") == 0) {
            int64_t wait = throttle_wait(*doc);
            h->counter_add(call, "throttled", 1);
            if (wait < 0)
                wait = 1000;
            if (wait > in->throttle_wait_ms || wait + 1000 > h->deadline_ms(call) ||
                attempt + 1 == BLVD_TRIES) {
                rc = bwsdk_error(err, BW_E_RETRY, "THROTTLED",
                                 "Boulevard query-cost budget exhausted");
                if (err)
                    err->retry_after_ms = wait;
                goto done;
            }
            bwsdk_sleep_us(wait * 1000);
            if ((rc = h->check(call)) != 0) {
                rc = bwsdk_error(err, rc, NULL, "cancelled while waiting for the budget");
                goto done;
            }
            continue;
        }
        if (code) {
            rc = strcmp(code, "BOOKING_TIME_UNAVAILABLE") == 0 ? BW_E_CONFLICT : BW_E_REMOTE;
            rc = bwsdk_error(err, rc, code, "Boulevard %s: %.160s", op, msg);
            goto done;
        }
        *data = cJSON_GetObjectItemCaseSensitive(*doc, "data");
        if (!cJSON_IsObject(*data)) {
            rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard answered %s without data", op);
            goto done;
        }
        rc = 0;
        goto done;
    }
    rc = bwsdk_error(err, BW_E_RETRY, NULL, "Boulevard stayed throttled");
done:
    free(text);
    if (rc != 0) {
        cJSON_Delete(*doc);
        *doc = NULL;
        *data = NULL;
    }
    return rc;
}

static int set_var(cJSON *vars, const char *key, cJSON *value)
{
    if (!value)
        return BW_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(vars, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(vars, key, value) ? 0 : BW_E_NOMEM;
    return cJSON_AddItemToObject(vars, key, value) ? 0 : BW_E_NOMEM;
}

int blvd_each(struct blvd *in, struct bw_call *call, enum blvd_api api, const char *op,
              const char *query, cJSON *vars, const char *field, blvd_node_fn fn, void *ctx,
              struct bw_error *err)
{
    char cursor[256] = "";
    for (int page = 0; page < BLVD_MAX_PAGES; page++) {
        cJSON *doc = NULL;
        const cJSON *data = NULL, *edge;
        if (set_var(vars, "first", cJSON_CreateNumber((double)in->page_size)) != 0 ||
            set_var(vars, "after", cursor[0] ? cJSON_CreateString(cursor) : cJSON_CreateNull()) != 0)
            return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        int rc = blvd_gql(in, call, api, op, query, vars, &doc, &data, err);
        if (rc != 0)
            return rc;
        const cJSON *conn = cJSON_GetObjectItemCaseSensitive(data, field);
        const cJSON *edges = cJSON_GetObjectItemCaseSensitive(conn, "edges");
        if (!cJSON_IsArray(edges)) {
            cJSON_Delete(doc);
            return bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard %s: no %s connection", op, field);
        }
        cJSON_ArrayForEach(edge, edges)
        {
            const cJSON *node = cJSON_GetObjectItemCaseSensitive(edge, "node");
            if (cJSON_IsObject(node) && (rc = fn(ctx, node)) != 0) {
                cJSON_Delete(doc);
                return rc == BW_E_NOMEM ? bwsdk_error(err, rc, NULL, "out of memory") : rc;
            }
        }
        bool more = false;
        const char *next = NULL;
        bwsdk_json_bool(conn, "pageInfo.hasNextPage", &more);
        bwsdk_json_string(conn, "pageInfo.endCursor", &next);
        if (!more || !next || !next[0] || strcmp(next, cursor) == 0 ||
            bwsdk_strlcpy(cursor, sizeof cursor, next, strlen(next)) != 0) {
            cJSON_Delete(doc);
            return 0;
        }
        cJSON_Delete(doc);
    }
    return bwsdk_error(err, BW_E_REMOTE, NULL, "Boulevard %s: too many pages", op);
}

int blvd_location(struct blvd *in, struct bw_call *call, const char *requested, char *out,
                  size_t cap, struct bw_error *err)
{
    static const char q[] =
        "query Locations($first: Int, $after: String) { locations(first: $first, after: $after) "
        "{ edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    if (requested[0] && strcmp(requested, "main") != 0)
        return blvd_urn("Location", requested, out, cap) ? bwsdk_error(err, BW_E_INVAL, NULL, "bad location_id") : 0;
    if (in->location[0])
        return blvd_urn("Location", in->location, out, cap) ? bwsdk_error(err, BW_E_CONFIG, NULL, "bad location_id") : 0;
    cJSON *vars = cJSON_CreateObject(), *doc = NULL;
    const cJSON *data;
    const char *id = NULL;
    if (!vars || !cJSON_AddNumberToObject(vars, "first", 1)) {
        cJSON_Delete(vars);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    int rc = blvd_gql(in, call, BLVD_ADMIN, "Locations", q, vars, &doc, &data, err);
    cJSON_Delete(vars);
    if (rc == 0) {
        const cJSON *node = bwsdk_json_path(
            cJSON_GetArrayItem(bwsdk_json_path(data, "locations.edges"), 0), "node");
        if (bwsdk_json_string(node, "id", &id) != 0 || bwsdk_strlcpy(out, cap, id, strlen(id)) != 0)
            rc = bwsdk_error(err, BW_E_CONFIG, NULL, "the Boulevard business has no location");
    }
    cJSON_Delete(doc);
    return rc;
}
