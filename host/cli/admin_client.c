/*
 * libcurl underneath the operator CLI. Redirects are not followed and only
 * http and https are allowed, so the token is never sent anywhere but the
 * configured admin listener.
 */
#include "admin_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admin_client_init(struct admin_client *ac, char *why, size_t whycap)
{
    const char *url = getenv("BOOKWELL_ADMIN_URL");
    const char *token = getenv("BOOKWELL_ADMIN_TOKEN");
    memset(ac, 0, sizeof *ac);
    if (!url || !*url)
        url = ADMIN_DEFAULT_URL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(why, whycap, "BOOKWELL_ADMIN_URL must start with http:// or https://");
        return -1;
    }
    int n = snprintf(ac->url, sizeof ac->url, "%s", url);
    if (n < 0 || (size_t)n >= sizeof ac->url) {
        snprintf(why, whycap, "BOOKWELL_ADMIN_URL is too long");
        return -1;
    }
    while (n > 0 && ac->url[n - 1] == '/')
        ac->url[--n] = '\0';
    if (!token || !*token) {
        snprintf(why, whycap, "BOOKWELL_ADMIN_TOKEN is not set (the operator token of the admin listener)");
        return -1;
    }
    n = snprintf(ac->token, sizeof ac->token, "%s", token);
    if (n < 0 || (size_t)n >= sizeof ac->token || strpbrk(token, "\r\n")) {
        snprintf(why, whycap, "BOOKWELL_ADMIN_TOKEN is not a usable token");
        return -1;
    }
    return 0;
}

struct sink {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > ADMIN_MAX_REPLY)
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int admin_request(const struct admin_client *ac, const char *method, const char *path,
                  const char *json_body, struct admin_reply *out)
{
    char url[2048], auth[600];
    struct sink b = { 0 };
    struct curl_slist *headers = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(out->error, sizeof out->error, "cannot initialise libcurl");
        return -1;
    }
    int n = snprintf(url, sizeof url, "%s%s", ac->url, path);
    int m = snprintf(auth, sizeof auth, "Authorization: Bearer %s", ac->token);
    if (n < 0 || (size_t)n >= sizeof url || m < 0 || (size_t)m >= sizeof auth) {
        snprintf(out->error, sizeof out->error, "request URL too long");
        goto out;
    }
    struct curl_slist *h;
    if (!(h = curl_slist_append(headers, auth)))
        goto oom;
    headers = h;
    if (!(h = curl_slist_append(headers, "Accept: application/json")))
        goto oom;
    headers = h;
    if (json_body) {
        if (!(h = curl_slist_append(headers, "Content-Type: application/json")))
            goto oom;
        headers = h;
    }
    if (!(h = curl_slist_append(headers, "Expect:")))
        goto oom;
    headers = h;
    memset(auth, 0, sizeof auth);

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    if (json_body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json_body));
    }
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        snprintf(out->error, sizeof out->error, "%s",
                 cc == CURLE_WRITE_ERROR ? "the reply was too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    out->len = b.data ? b.len : 0;
    out->body = b.data ? b.data : strdup("");
    b.data = NULL;
    if (!out->body) {
        snprintf(out->error, sizeof out->error, "out of memory");
        goto out;
    }
    rc = 0;
    goto out;
oom:
    snprintf(out->error, sizeof out->error, "out of memory");
out:
    memset(auth, 0, sizeof auth);
    free(b.data);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}

void admin_reply_free(struct admin_reply *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

int admin_escape_segment(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '~';
        if (o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return 0;
}
