/*
 * emr.patientnow's API client over the host's HTTP service. Every request
 * carries the gateway key as the "apikey" query parameter and the API
 * user's credentials as HTTP Basic authorization (both secrets are read
 * for the request and wiped after it; neither is logged or put in an error
 * message). A 429 whose Retry-After is short is waited out once; a longer
 * one, and 5xx, are BW_E_RETRY; 401/403 BW_E_AUTH; 409 BW_E_CONFLICT. Lists
 * are paged with pageNumber/pageSize and followed to totalPages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patientnow.h"

#define MAX_PAGES 400
#define SECRET_MAX 512

static int secret_copy(struct pn_instance *in, struct bw_call *call, const char *key, char *out,
                       size_t cap, struct bw_error *err)
{
    struct bw_str s;
    if (in->host->secret(call, key, &s) != 0 || s.len == 0 ||
        bwsdk_strlcpy(out, cap, s.ptr, (size_t)s.len) != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the %s secret is not set", key);
    return 0;
}

/* "Basic base64(username:password)" into out. */
static int basic_auth(struct pn_instance *in, struct bw_call *call, char *out, size_t cap,
                      struct bw_error *err)
{
    char pw[SECRET_MAX], pair[SECRET_MAX + 300];
    uint64_t n = 0;
    int rc = secret_copy(in, call, "password", pw, sizeof pw, err);
    if (rc != 0)
        return rc;
    int w = snprintf(pair, sizeof pair, "%s:%s", in->username, pw);
    memset(pw, 0, sizeof pw);
    memcpy(out, "Basic ", 6);
    rc = w > 0 && (size_t)w < sizeof pair
             ? in->host->base64_encode(0, pair, (uint64_t)w, out + 6, cap - 6, &n)
             : BW_E_INVAL;
    memset(pair, 0, sizeof pair);
    return rc ? bwsdk_error(err, BW_E_CONFIG, NULL, "the credentials are too long") : 0;
}

static int http_error(const struct bw_http_response *resp, struct bw_error *err)
{
    int code = bwsdk_http_status_error(resp, err);
    const char *what = resp->status == 401 ? "refused the credentials"
                       : resp->status == 429 ? "is rate limiting"
                       : resp->status >= 500 ? "is unavailable"
                       : resp->status == 409 ? "reports a conflict"
                                             : "refused the request";
    return bwsdk_error(err, code, NULL, "PatientNow %s (HTTP %d)", what, (int)resp->status);
}

int pn_request(struct pn_instance *in, struct bw_call *call, const char *method,
               const char *path, const char *query, const cJSON *body, int *status,
               cJSON **doc, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[PN_URL_MAX], key[SECRET_MAX], enc[3 * SECRET_MAX + 1], auth[4 * SECRET_MAX];
    char *text = NULL;
    bool waited = false;
    int rc;
    *doc = NULL;
    *status = 0;
    if ((rc = secret_copy(in, call, "api_key", key, sizeof key, err)) != 0)
        return rc;
    rc = bwsdk_url_encode(key, strlen(key), false, enc, sizeof enc, NULL);
    memset(key, 0, sizeof key);
    if (rc != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the api_key secret is too long");
    rc = snprintf(url, sizeof url, "%s/%s?%s%sapikey=%s", in->api_base,
                  path[0] == '/' ? path + 1 : path, query ? query : "",
                  query && query[0] ? "&" : "", enc);
    memset(enc, 0, sizeof enc);
    if (rc < 0 || (size_t)rc >= sizeof url) {
        memset(url, 0, sizeof url);
        return bwsdk_error(err, BW_E_INVAL, NULL, "request URL too long");
    }
    if ((rc = basic_auth(in, call, auth, sizeof auth, err)) != 0)
        goto done;
    if (body && !(text = cJSON_PrintUnformatted(body))) {
        rc = bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (;;) {
        if ((rc = h->check(call)) != 0) {
            bwsdk_error(err, rc, NULL, "the call ended");
            break;
        }
        struct bw_http_header hdr[3] = {
            { { "Authorization", 13 }, { auth, strlen(auth) } },
            { { "Accept", 6 }, { "application/json", 16 } },
            { { "Content-Type", 12 }, { "application/json", 16 } },
        };
        struct bw_http_request req = { .struct_size = sizeof req, .method = method, .url = url,
                                       .headers = hdr, .n_headers = text ? 3 : 2 };
        if (text)
            req.body = (struct bw_bytes){ (const uint8_t *)text, strlen(text) };
        struct bw_http_response resp = { .struct_size = sizeof resp };
        if ((rc = h->http(call, &req, &resp, err)) != 0)
            break;
        *status = resp.status;
        if (!waited && bwsdk_http_wait_short_429(h, call, &resp, "patientnow_throttled")) {
            waited = true;
            continue;
        }
        if (resp.status >= 200 && resp.status < 300) {
            if (resp.body.len && bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, doc) != 0)
                rc = bwsdk_error(err, BW_E_REMOTE, NULL, "PatientNow answered with malformed JSON");
        } else {
            rc = http_error(&resp, err);
        }
        break;
    }
done:
    memset(auth, 0, sizeof auth);
    memset(url, 0, sizeof url);
    free(text);
    return rc;
}

int pn_list(struct pn_instance *in, struct bw_call *call, const char *path, const char *query,
            int (*fn)(const cJSON *item, void *ctx), void *ctx, struct bw_error *err)
{
    char q[PN_URL_MAX], num[24], size[24];
    int64_t pages = 1;
    snprintf(size, sizeof size, "%lld", (long long)in->page_size);
    for (int64_t page = 1; page <= pages; page++) {
        cJSON *doc = NULL;
        int status = 0, rc = 0;
        if (page > MAX_PAGES)
            return bwsdk_error(err, BW_E_REMOTE, NULL, "the list has more than %d pages", MAX_PAGES);
        snprintf(q, sizeof q, "%s", query ? query : "");
        snprintf(num, sizeof num, "%lld", (long long)page);
        if (bwsdk_query_add(q, sizeof q, "pageNumber", num) ||
            bwsdk_query_add(q, sizeof q, "pageSize", size))
            return bwsdk_error(err, BW_E_INVAL, NULL, "the query is too long");
        if ((rc = pn_request(in, call, "GET", path, q, NULL, &status, &doc, err)) != 0)
            return rc;
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data"), *it;
        if (!cJSON_IsArray(data)) {
            cJSON_Delete(doc);
            return bwsdk_error(err, BW_E_REMOTE, NULL, "a list answered no data array");
        }
        if (bwsdk_json_int(doc, "totalPages", &pages) != 0)
            pages = page;
        cJSON_ArrayForEach(it, data) {
            if ((rc = fn(it, ctx)) != 0)
                break;
        }
        cJSON_Delete(doc);
        if (rc != 0)
            return rc;
    }
    return 0;
}
