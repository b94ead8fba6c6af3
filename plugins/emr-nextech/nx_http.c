/*
 * emr.nextech's API client over the host's HTTP service: the OAuth2 access
 * token (password or client-credentials grant at the token endpoint, kept
 * in the instance until shortly before it expires, fetched again after a
 * 401), the nx-practice-id header on every call, Nextech's documented limit
 * of 20 requests per second per endpoint (each endpoint's last send times
 * are kept, and a request that would exceed the limit waits for its turn,
 * or fails with BW_E_RETRY when the call's deadline is nearer), one wait on
 * a short 429 Retry-After, errors mapped from the status and the
 * OperationOutcome's issue code, and searchset Bundles followed through
 * their "next" links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nextech.h"

#define US_PER_S INT64_C(1000000)
#define RATE_MARGIN_US 20000       /* the server's clock and ours differ a little */
#define TOKEN_SLACK_US (60 * US_PER_S)
#define MAX_PAGES 400

const char *nx_ref_id(const char *ref)
{
    if (!ref)
        return "";
    const char *slash = strrchr(ref, '/');
    return slash ? slash + 1 : ref;
}

const char *nx_ext_ref(const cJSON *resource, const char *name)
{
    const cJSON *e;
    size_t nl = strlen(name);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(resource, "extension")) {
        const char *url = bwsdk_json_string_or(e, "url", "");
        size_t ul = strlen(url);
        if (ul > nl && url[ul - nl - 1] == '/' && strcmp(url + ul - nl, name) == 0)
            return nx_ref_id(bwsdk_json_string_or(e, "valueReference.reference", ""));
    }
    return "";
}

/* The endpoint a URL or path addresses: its resource type. */
static void endpoint_of(const struct nx_instance *in, const char *path, char *out, size_t cap)
{
    const char *p = path;
    size_t bl = strlen(in->api_base);
    if (strncmp(p, in->api_base, bl) == 0)
        p += bl;
    else if (strstr(p, "/api/"))
        p = strstr(p, "/api/") + 4;
    while (*p == '/')
        p++;
    size_t n = strcspn(p, "/?");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

/* Reserves the next send time for the endpoint; waits for it, or fails
 * when the call's deadline comes first. */
static int rate_wait(struct nx_instance *in, struct bw_call *call, const char *path,
                     struct bw_error *err)
{
    char name[32];
    endpoint_of(in, path, name, sizeof name);
    int64_t now = in->host->mono_us(), at = now;
    uint32_t limit = (uint32_t)in->rate_limit;
    pthread_mutex_lock(&in->lock);
    struct nx_endpoint *ep = NULL;
    for (int i = 0; i < NX_ENDPOINTS && !ep; i++)
        if (strcmp(in->endpoints[i].name, name) == 0 || !in->endpoints[i].name[0]) {
            ep = &in->endpoints[i];
            if (!ep->name[0])
                snprintf(ep->name, sizeof ep->name, "%s", name);
        }
    if (!ep)
        ep = &in->endpoints[NX_ENDPOINTS - 1];
    int64_t oldest = ep->sent_us[ep->next % limit];
    if (oldest && oldest + US_PER_S + RATE_MARGIN_US > at)
        at = oldest + US_PER_S + RATE_MARGIN_US;
    int64_t wait_ms = (at - now) / 1000;
    bool ok = wait_ms < in->host->deadline_ms(call) - 200;
    if (ok) {
        ep->sent_us[ep->next % limit] = at;
        ep->next = (ep->next + 1) % limit;
    }
    pthread_mutex_unlock(&in->lock);
    if (!ok) {
        if (BW_HAS(err, retry_after_ms))
            err->retry_after_ms = wait_ms + 1;
        return bwsdk_error(err, BW_E_RETRY, "rate_limit",
                           "Nextech allows %u requests per second to %s", limit, name);
    }
    if (at > now) {
        in->host->counter_add(call, "nextech_rate_waits", 1);
        bwsdk_sleep_us(at - now);
    }
    return 0;
}

static int http_error(const struct bw_http_response *resp, struct bw_error *err)
{
    int code = bwsdk_http_status_error(resp, err);
    cJSON *doc = NULL;
    if (resp->body.len && bwsdk_json_parse_bytes(resp->body.ptr, resp->body.len, &doc) == 0) {
        const char *issue = bwsdk_json_string_or(doc, "issue.0.code", NULL);
        const char *oauth = bwsdk_json_string_or(doc, "error", NULL);
        if (issue || oauth)
            bwsdk_error(err, code, issue ? issue : oauth, "Nextech answered HTTP %d (%s)",
                        (int)resp->status, issue ? issue : oauth);
    }
    cJSON_Delete(doc);
    return code;
}

/* Fetches a token at the token endpoint; in->lock is held. */
static int token_fetch(struct nx_instance *in, struct bw_call *call, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    struct bwsdk_form f = { 0 };
    struct bw_str secret;
    char *body = NULL;
    size_t len = 0;
    bool pw = strcmp(in->grant, "password") == 0;
    int rc = h->secret(call, pw ? "password" : "client_secret", &secret);
    if (rc != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the %s secret is not set",
                           pw ? "password" : "client_secret");
    char value[1024];
    if (bwsdk_strlcpy(value, sizeof value, secret.ptr, (size_t)secret.len) != 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the secret is too long");
    rc = BW_E_NOMEM;
    if (bwsdk_form_add(&f, "grant_type", in->grant) || bwsdk_form_add(&f, "client_id", in->client_id) ||
        (pw && (bwsdk_form_add(&f, "username", in->username) || bwsdk_form_add(&f, "password", value))) ||
        (!pw && bwsdk_form_add(&f, "client_secret", value)) ||
        bwsdk_form_add(&f, "resource", in->resource) || bwsdk_form_encode(&f, &body, &len)) {
        memset(value, 0, sizeof value);
        bwsdk_form_free(&f);
        return bwsdk_error(err, rc, NULL, "out of memory");
    }
    memset(value, 0, sizeof value);
    bwsdk_form_free(&f);
    struct bw_http_header hdr[] = {
        { { "Content-Type", 12 }, { "application/x-www-form-urlencoded", 33 } },
    };
    struct bw_http_request req = { .struct_size = sizeof req, .method = "POST", .url = in->token_url,
                                   .headers = hdr, .n_headers = 1,
                                   .body = { (const uint8_t *)body, len } };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    rc = h->http(call, &req, &resp, err);
    memset(body, 0, len);
    free(body);
    if (rc != 0)
        return rc;
    if (resp.status == 400 || resp.status == 401) {
        http_error(&resp, err);
        if (BW_HAS(err, http_status))
            err->http_status = resp.status;
        return bwsdk_error(err, BW_E_AUTH, NULL, "Nextech refused the credentials (HTTP %d)",
                           (int)resp.status);
    }
    if (resp.status < 200 || resp.status >= 300)
        return http_error(&resp, err);
    cJSON *doc = NULL;
    const char *tok;
    int64_t ttl = 0;
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, &doc) != 0 ||
        bwsdk_json_string(doc, "access_token", &tok) != 0 ||
        bwsdk_strlcpy(in->token, sizeof in->token, tok, strlen(tok)) != 0) {
        cJSON_Delete(doc);
        return bwsdk_error(err, BW_E_REMOTE, NULL, "the token endpoint's answer has no token");
    }
    /* Azure AD v1 sends expires_in as text, v2 and others as a number. */
    if (bwsdk_json_int(doc, "expires_in", &ttl) != 0 || ttl <= 0)
        ttl = 300;
    cJSON_Delete(doc);
    int64_t slack = ttl * US_PER_S > 2 * TOKEN_SLACK_US ? TOKEN_SLACK_US : ttl * US_PER_S / 4;
    in->token_expiry_us = h->mono_us() + ttl * US_PER_S - slack;
    in->token_generation++;
    h->counter_add(call, "nextech_token_fetches", 1);
    return 0;
}

/* Copies a valid token into out (fetching one when needed, or when stale
 * is the generation the caller saw refused). */
static int token_get(struct nx_instance *in, struct bw_call *call, char *out, size_t cap,
                     uint32_t *generation, bool refused, struct bw_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&in->lock);
    if (!in->token[0] || in->host->mono_us() >= in->token_expiry_us ||
        (refused && in->token_generation == *generation))
        rc = token_fetch(in, call, err);
    if (rc == 0) {
        snprintf(out, cap, "%s", in->token);
        *generation = in->token_generation;
    }
    pthread_mutex_unlock(&in->lock);
    return rc;
}

static bool passes(const int *pass, int status)
{
    for (; pass && *pass; pass++)
        if (*pass == status)
            return true;
    return false;
}

int nx_request(struct nx_instance *in, struct bw_call *call, const char *method,
               const char *path, const cJSON *body, const int *pass, int *status, cJSON **doc,
               struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[NX_URL_MAX], auth[NX_TOKEN_MAX + 8], token[NX_TOKEN_MAX];
    char *text = NULL;
    uint32_t gen = 0;
    bool refused = false, waited = false;
    int rc;
    *doc = NULL;
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        rc = snprintf(url, sizeof url, "%s", path);
    else
        rc = snprintf(url, sizeof url, "%s/%s", in->api_base, path[0] == '/' ? path + 1 : path);
    if (rc < 0 || (size_t)rc >= sizeof url)
        return bwsdk_error(err, BW_E_INVAL, NULL, "request URL too long");
    if (body && !(text = cJSON_PrintUnformatted(body)))
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    for (int attempt = 0;; attempt++) {
        if ((rc = h->check(call)) != 0) {
            bwsdk_error(err, rc, NULL, "the call ended");
            break;
        }
        if ((rc = token_get(in, call, token, sizeof token, &gen, refused, err)) != 0)
            break;
        if ((rc = rate_wait(in, call, url, err)) != 0)
            break;
        snprintf(auth, sizeof auth, "Bearer %s", token);
        struct bw_http_header hdr[3] = {
            { { "Authorization", 13 }, { auth, strlen(auth) } },
            { { "nx-practice-id", 14 }, { in->practice_id, strlen(in->practice_id) } },
            { { "Content-Type", 12 }, { "application/fhir+json", 21 } },
        };
        struct bw_http_request req = { .struct_size = sizeof req, .method = method, .url = url,
                                       .headers = hdr, .n_headers = text ? 3 : 2 };
        if (text)
            req.body = (struct bw_bytes){ (const uint8_t *)text, strlen(text) };
        struct bw_http_response resp = { .struct_size = sizeof resp };
        rc = h->http(call, &req, &resp, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0)
            break;
        *status = resp.status;
        if (resp.status == 401 && !refused) {
            refused = true; /* the token expired or was revoked: fetch another, once */
            continue;
        }
        if (!waited && bwsdk_http_wait_short_429(h, call, &resp, "nextech_throttled")) {
            waited = true;
            continue;
        }
        if ((resp.status >= 200 && resp.status < 300) || passes(pass, resp.status)) {
            if (resp.body.len && bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, doc) != 0)
                rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Nextech answered with malformed JSON");
        } else {
            rc = http_error(&resp, err);
            if (rc == 0)
                rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Nextech answered HTTP %d",
                                 (int)resp.status);
        }
        break;
    }
    memset(token, 0, sizeof token);
    free(text);
    return rc;
}

int nx_search(struct nx_instance *in, struct bw_call *call, const char *path_query,
              int (*fn)(const cJSON *resource, void *ctx), void *ctx, struct bw_error *err)
{
    char next[NX_URL_MAX];
    int rc = 0, status = 0;
    snprintf(next, sizeof next, "%s", path_query);
    for (int page = 0; next[0]; page++) {
        cJSON *doc = NULL;
        if (page >= MAX_PAGES)
            return bwsdk_error(err, BW_E_REMOTE, NULL, "the search has more than %d pages",
                               MAX_PAGES);
        if ((rc = nx_request(in, call, "GET", next, NULL, NULL, &status, &doc, err)) != 0)
            return rc;
        if (strcmp(bwsdk_json_string_or(doc, "resourceType", ""), "Bundle") != 0) {
            cJSON_Delete(doc);
            return bwsdk_error(err, BW_E_REMOTE, NULL, "a search did not answer a Bundle");
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "entry")) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
            if (cJSON_IsObject(r) && (rc = fn(r, ctx)) != 0)
                break;
        }
        next[0] = 0;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "link")) {
            const char *url = bwsdk_json_string_or(e, "url", "");
            if (strcmp(bwsdk_json_string_or(e, "relation", ""), "next") == 0 && url[0] &&
                strlen(url) < sizeof next)
                snprintf(next, sizeof next, "%s", url);
        }
        cJSON_Delete(doc);
        if (rc != 0)
            return rc;
    }
    return 0;
}
