/*
 * HTTP and provider signatures for the evaluation runner (eval_http.h).
 */
#include "eval/eval_http.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double eval_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct sink {
    char *data;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t add = size * n;
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        char *more = realloc(s->data, cap);
        if (!more)
            return 0;
        s->data = more;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, add);
    s->len += add;
    s->data[s->len] = '\0';
    return add;
}

int eval_http(const char *method, const char *url, const char *const *headers, const char *body,
              size_t len, struct eval_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    struct sink s = { 0 };
    struct curl_slist *list = NULL;
    for (int i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    double t0 = eval_now_ms();
    CURLcode rc = curl_easy_perform(h);
    out->ms = eval_now_ms() - t0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = s.data ? s.data : strdup("");
    out->len = s.len;
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    return rc == CURLE_OK ? 0 : -1;
}

void eval_resp_free(struct eval_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

int eval_http_json(const char *method, const char *url, const char *const *headers,
                   const cJSON *body, struct eval_resp *out, cJSON **json)
{
    const char *h[16];
    int n = 0;
    for (int i = 0; headers && headers[i] && n < 14; i++)
        h[n++] = headers[i];
    h[n++] = "Content-Type: application/json";
    h[n] = NULL;
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    int rc = eval_http(method, url, h, text, text ? strlen(text) : 0, out);
    cJSON_free(text);
    if (json)
        *json = rc == 0 ? cJSON_Parse(out->body) : NULL;
    return rc;
}

char *eval_form_encode(const char *const *pairs)
{
    CURL *h = curl_easy_init();
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!h || !out)
        goto fail;
    out[0] = '\0';
    for (int i = 0; pairs[i] && pairs[i + 1]; i += 2) {
        char *k = curl_easy_escape(h, pairs[i], 0), *v = curl_easy_escape(h, pairs[i + 1], 0);
        size_t need = len + strlen(k ? k : "") + strlen(v ? v : "") + 3;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            char *more = realloc(out, cap);
            if (!more) {
                curl_free(k);
                curl_free(v);
                goto fail;
            }
            out = more;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", i ? "&" : "", k ? k : "", v ? v : "");
        curl_free(k);
        curl_free(v);
    }
    curl_easy_cleanup(h);
    return out;
fail:
    if (h)
        curl_easy_cleanup(h);
    free(out);
    return NULL;
}

static int b64(const unsigned char *mac, unsigned n, char *out, size_t cap)
{
    if (cap < 4 * ((n + 2) / 3) + 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)n);
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(x[0], y[0]);
}

int eval_twilio_signature(const char *token, const char *url, const char *const *pairs,
                          char *out, size_t cap)
{
    int n = 0;
    while (pairs[n * 2])
        n++;
    const char **sorted = malloc(((size_t)n + 1) * 2 * sizeof *sorted);
    size_t total = strlen(url) + 1;
    if (!sorted)
        return -1;
    memcpy(sorted, pairs, (size_t)n * 2 * sizeof *sorted);
    qsort(sorted, (size_t)n, 2 * sizeof *sorted, cmp_key);
    for (int i = 0; i < n * 2; i++)
        total += strlen(sorted[i]);
    char *data = malloc(total);
    if (!data) {
        free(sorted);
        return -1;
    }
    size_t len = (size_t)snprintf(data, total, "%s", url);
    for (int i = 0; i < n * 2; i++)
        len += (size_t)snprintf(data + len, total - len, "%s", sorted[i]);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mlen = 0;
    HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)data, len, mac, &mlen);
    free(data);
    free(sorted);
    return b64(mac, mlen, out, cap);
}

int eval_hmac256_b64(const char *key, const char *prefix, const char *body, char *out, size_t cap)
{
    size_t plen = strlen(prefix), blen = strlen(body);
    char *data = malloc(plen + blen + 1);
    if (!data)
        return -1;
    memcpy(data, prefix, plen);
    memcpy(data + plen, body, blen + 1);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mlen = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)data, plen + blen, mac, &mlen);
    free(data);
    return b64(mac, mlen, out, cap);
}

int eval_hub_signature(const char *key, const char *body, char *out, size_t cap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mlen = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac,
         &mlen);
    if (cap < 7 + 2 * (size_t)mlen + 1)
        return -1;
    size_t n = (size_t)snprintf(out, cap, "sha256=");
    for (unsigned i = 0; i < mlen; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", mac[i]);
    return 0;
}
