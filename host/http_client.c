/*
 * libcurl behind http_client.h. Each thread keeps one easy handle, so
 * connections to a provider are reused across calls on that worker; the
 * handle is reset between requests so nothing leaks from one to the next.
 */
#include "http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_RESPONSE (8u << 20)
#define MAX_HEADER_BYTES (64u << 10)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key;

static void free_handle(void *h) { curl_easy_cleanup(h); }

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&handle_key, free_handle);
}

static CURL *thread_handle(void)
{
    pthread_once(&global_once, global_init);
    CURL *h = pthread_getspecific(handle_key);
    if (!h) {
        h = curl_easy_init();
        if (h)
            pthread_setspecific(handle_key, h);
    } else {
        curl_easy_reset(h);
    }
    return h;
}

struct sink {
    char *data;
    size_t len, cap, max;
    bool overflow;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > s->max) {
        s->overflow = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *grown = realloc(s->data, cap);
        if (!grown)
            return 0;
        s->data = grown;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

/* Keeps only the last response's headers (after redirects or 100-continue). */
static size_t header_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        s->len = 0;
    return sink_write(ptr, size, nmemb, userdata) == n ? n : 0;
}

static int progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
    const atomic_bool *cancelled = clientp;
    return cancelled && atomic_load(cancelled) ? 1 : 0;
}

static void parse_headers(struct http_client_response *resp, char *block)
{
    size_t lines = 0;
    for (char *p = block; *p; p++)
        if (*p == '\n')
            lines++;
    resp->headers = calloc(lines + 1, sizeof *resp->headers);
    if (!resp->headers)
        return;
    char *line = block;
    while (*line) {
        char *eol = line + strcspn(line, "\r\n");
        char *next = eol;
        while (*next == '\r' || *next == '\n')
            next++;
        *eol = '\0';
        char *colon = strchr(line, ':');
        if (colon && strncmp(line, "HTTP/", 5) != 0) {
            *colon = '\0';
            char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            resp->headers[resp->n_headers].name = line;
            resp->headers[resp->n_headers].value = value;
            resp->n_headers++;
        }
        line = next;
    }
}

int http_client_perform(const struct http_client_request *req,
                        struct http_client_response *resp, char *why, size_t whycap)
{
    char scratch[8];
    struct sink body = { 0 }, head = { 0 };
    struct curl_slist *list = NULL;
    int rc = HTTP_CLIENT_FAILED;

    memset(resp, 0, sizeof *resp);
    if (!why) {
        why = scratch;
        whycap = sizeof scratch;
    }
    why[0] = '\0';
    if (!req->method || !req->url || req->timeout_ms <= 0 ||
        (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0)) {
        snprintf(why, whycap, "invalid request");
        return HTTP_CLIENT_INVALID;
    }
    CURL *h = thread_handle();
    if (!h) {
        snprintf(why, whycap, "out of memory");
        return HTTP_CLIENT_FAILED;
    }
    body.max = req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE;
    head.max = MAX_HEADER_BYTES;
    for (size_t i = 0; i < req->n_headers; i++) {
        char line[2048];
        int n = snprintf(line, sizeof line, "%s: %s", req->headers[i].name, req->headers[i].value);
        if (n < 0 || (size_t)n >= sizeof line) {
            snprintf(why, whycap, "request header too long");
            rc = HTTP_CLIENT_INVALID;
            goto out;
        }
        struct curl_slist *grown = curl_slist_append(list, line);
        if (!grown)
            goto out;
        list = grown;
    }
    list = curl_slist_append(list, "Expect:");

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_write);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req->cancelled);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (req->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }

    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        rc = HTTP_CLIENT_OK;
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, whycap, "timed out after %lld ms", (long long)req->timeout_ms);
        rc = HTTP_CLIENT_TIMEOUT;
    } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(why, whycap, "cancelled");
        rc = HTTP_CLIENT_CANCELLED;
    } else if (cc == CURLE_WRITE_ERROR && body.overflow) {
        snprintf(why, whycap, "response larger than %zu bytes", body.max);
    } else {
        snprintf(why, whycap, "%s", curl_easy_strerror(cc));
    }
    /* Drop the header list from the reused handle before freeing it. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
out:
    curl_slist_free_all(list);
    if (rc == HTTP_CLIENT_OK) {
        resp->body = body.data ? body.data : strdup("");
        resp->body_len = body.len;
        resp->header_block = head.data ? head.data : strdup("");
        if (!resp->body || !resp->header_block) {
            http_client_response_free(resp);
            snprintf(why, whycap, "out of memory");
            return HTTP_CLIENT_FAILED;
        }
        parse_headers(resp, resp->header_block);
    } else {
        free(body.data);
        free(head.data);
    }
    return rc;
}

void http_client_response_free(struct http_client_response *resp)
{
    free(resp->body);
    free(resp->headers);
    free(resp->header_block);
    memset(resp, 0, sizeof *resp);
}

/* Start and end of "host[:port]" after the scheme. */
static int authority(const char *url, const char **start, const char **end)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    const char *e = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(e - p));
    *start = at ? at + 1 : p;
    *end = e;
    return *end > *start ? 0 : -1;
}

int http_client_url_host(const char *url, char *out, size_t cap)
{
    const char *s, *e;
    if (authority(url, &s, &e) != 0)
        return -1;
    if (*s == '[') {
        const char *close = memchr(s, ']', (size_t)(e - s));
        if (!close)
            return -1;
        e = close + 1;
    } else {
        const char *colon = memchr(s, ':', (size_t)(e - s));
        if (colon)
            e = colon;
    }
    if ((size_t)(e - s) >= cap)
        return -1;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return 0;
}

char *http_client_rebase(const char *url, const char *base)
{
    const char *s, *e;
    if (authority(url, &s, &e) != 0)
        return NULL;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    size_t n = blen + strlen(e) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s%s", (int)blen, base, e);
    return out;
}
