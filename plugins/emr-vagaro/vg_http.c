/*
 * emr.vagaro's API client over the host's HTTP service: the access token
 * (POST <access_path> with {"clientId","clientSecretKey","scope"}, answered
 * {"accessToken","expiresIn",...}; kept in the instance until a minute, or
 * a quarter of its life when that is shorter, before it expires, and
 * fetched again after a 401), sent in the "accessToken" header of every
 * call; one wait on a 429 whose Retry-After is short; errors mapped from
 * the status (Vagaro answers them with empty text/plain bodies): 401/403
 * BW_E_AUTH, 409 BW_E_CONFLICT, 429 and 5xx BW_E_RETRY. The client secret
 * and the token are wiped after use and never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vagaro.h"

#define US_PER_S INT64_C(1000000)
#define TOKEN_SLACK_US (60 * US_PER_S)

static int http_error(const struct bw_http_response *resp, struct bw_error *err)
{
    int code = bwsdk_http_status_error(resp, err);
    const char *what = resp->status == 401   ? "refused the access token"
                       : resp->status == 403 ? "refused the request (is it on the clinic's plan?)"
                       : resp->status == 409 ? "reports a conflict"
                       : resp->status == 429 ? "is rate limiting"
                       : resp->status >= 500 ? "is unavailable"
                                             : "refused the request";
    return bwsdk_error(err, code, NULL, "Vagaro %s (HTTP %d)", what, (int)resp->status);
}

/* Fetches a token; in->lock is held. */
static int token_fetch(struct vg_instance *in, struct bw_call *call, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    struct bw_str secret;
    char url[VG_URL_MAX];
    if (h->secret(call, "client_secret", &secret) != 0 || secret.len == 0)
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the client_secret secret is not set");
    cJSON *body = cJSON_CreateObject();
    char *text = NULL;
    if (!body || !cJSON_AddStringToObject(body, "clientId", in->client_id) ||
        !cJSON_AddStringToObject(body, "scope", in->scope) ||
        !cJSON_AddItemToObject(body, "clientSecretKey", cJSON_CreateString(""))) {
        cJSON_Delete(body);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    /* The secret's copies (the buffer, its cJSON string) are wiped before
     * they are freed; the body text is wiped after the request. */
    char value[1024];
    if (bwsdk_strlcpy(value, sizeof value, secret.ptr, (size_t)secret.len) != 0) {
        cJSON_Delete(body);
        return bwsdk_error(err, BW_E_CONFIG, NULL, "the client secret is too long");
    }
    cJSON *sv = cJSON_CreateString(value);
    memset(value, 0, sizeof value);
    if (sv && cJSON_ReplaceItemInObjectCaseSensitive(body, "clientSecretKey", sv)) {
        text = cJSON_PrintUnformatted(body);
    } else if (sv) {
        memset(sv->valuestring, 0, strlen(sv->valuestring));
        cJSON_Delete(sv);
    }
    cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "clientSecretKey");
    if (cJSON_IsString(v))
        memset(v->valuestring, 0, strlen(v->valuestring));
    cJSON_Delete(body);
    if (!text)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    snprintf(url, sizeof url, "%s/%s", in->api_base, in->token_path);
    struct bw_http_header hdr[] = {
        { { "Content-Type", 12 }, { "application/json", 16 } },
        { { "Accept", 6 }, { "application/json", 16 } },
    };
    size_t tl = strlen(text);
    struct bw_http_request req = { .struct_size = sizeof req, .method = "POST", .url = url,
                                   .headers = hdr, .n_headers = 2,
                                   .body = { (const uint8_t *)text, tl } };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = h->http(call, &req, &resp, err);
    memset(text, 0, tl);
    free(text);
    if (rc != 0)
        return rc;
    if (resp.status == 400 || resp.status == 401) {
        http_error(&resp, err);
        return bwsdk_error(err, BW_E_AUTH, NULL, "Vagaro refused the client credentials (HTTP %d)",
                           (int)resp.status);
    }
    if (resp.status < 200 || resp.status >= 300)
        return http_error(&resp, err);
    cJSON *doc = NULL;
    const char *tok;
    int64_t ttl = 0;
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, &doc) != 0 ||
        bwsdk_json_string(doc, "accessToken", &tok) != 0 || !tok[0] ||
        bwsdk_strlcpy(in->token, sizeof in->token, tok, strlen(tok)) != 0) {
        cJSON_Delete(doc);
        return bwsdk_error(err, BW_E_REMOTE, NULL, "the token endpoint's answer has no token");
    }
    if (bwsdk_json_int(doc, "expiresIn", &ttl) != 0 || ttl <= 0)
        ttl = 300;
    cJSON_Delete(doc);
    int64_t slack = ttl * US_PER_S > 4 * TOKEN_SLACK_US ? TOKEN_SLACK_US : ttl * US_PER_S / 4;
    in->token_expiry_us = h->mono_us() + ttl * US_PER_S - slack;
    in->token_generation++;
    h->counter_add(call, "vagaro_token_fetches", 1);
    return 0;
}

/* Copies a valid token into out (fetching one when there is none, when it
 * is about to expire, or when the one the caller saw was refused). */
static int token_get(struct vg_instance *in, struct bw_call *call, char *out, size_t cap,
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

int vg_request(struct vg_instance *in, struct bw_call *call, const char *method,
               const char *path, const char *query, const cJSON *body, int *status,
               cJSON **doc, struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[VG_URL_MAX], token[VG_TOKEN_MAX];
    char *text = NULL;
    uint32_t gen = 0;
    bool refused = false, waited = false;
    int rc;
    *doc = NULL;
    *status = 0;
    rc = snprintf(url, sizeof url, "%s/%s%s%s", in->api_base, path[0] == '/' ? path + 1 : path,
                  query && query[0] ? "?" : "", query ? query : "");
    if (rc < 0 || (size_t)rc >= sizeof url)
        return bwsdk_error(err, BW_E_INVAL, NULL, "request URL too long");
    if (body && !(text = cJSON_PrintUnformatted(body)))
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    for (;;) {
        if ((rc = h->check(call)) != 0) {
            bwsdk_error(err, rc, NULL, "the call ended");
            break;
        }
        if ((rc = token_get(in, call, token, sizeof token, &gen, refused, err)) != 0)
            break;
        struct bw_http_header hdr[3] = {
            { { "accessToken", 11 }, { token, strlen(token) } },
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
        if (resp.status == 401 && !refused) {
            refused = true; /* expired or revoked at the server: fetch another, once */
            continue;
        }
        if (!waited && bwsdk_http_wait_short_429(h, call, &resp, "vagaro_throttled")) {
            waited = true;
            continue;
        }
        if (resp.status >= 200 && resp.status < 300) {
            if (resp.body.len && bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, doc) != 0)
                rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Vagaro answered with malformed JSON");
        } else {
            rc = http_error(&resp, err);
        }
        break;
    }
    memset(token, 0, sizeof token);
    free(text);
    return rc;
}
