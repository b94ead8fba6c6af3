/*
 * The load generator (see loadgen.h). Request i is due at start + i/rate;
 * the thread adds due requests to a curl multi handle, polls until the next
 * one is due, and judges each answer as it completes. Latencies go into a
 * millisecond histogram for the p99.
 */
#include "reload/loadgen.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HIST_MS 60000

struct request {
    CURL *easy;
    char *body;
    size_t len;
    int64_t sent_ms;
};

struct loadgen {
    struct loadgen_opts o;
    char url[256];
    char auth[600];
    struct curl_slist *headers;
    CURLM *multi;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    struct loadgen_stats st; /* under mu */
    uint32_t *hist;          /* latency histogram, per ms */
    unsigned in_flight;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct request *r = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(r->body, r->len + n + 1);
    if (!grown)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = 0;
    return n;
}

static void fail(struct loadgen *lg, const char *what, const char *detail)
{
    lg->st.failed++;
    if (!lg->st.first_failure[0])
        snprintf(lg->st.first_failure, sizeof lg->st.first_failure, "%s: %.200s", what, detail);
}

/* Judges one answer (under mu). */
static void judge(struct loadgen *lg, struct request *r, CURLcode rc)
{
    long status = 0;
    int64_t ms = now_ms() - r->sent_ms;
    if (ms > lg->st.max_latency_ms)
        lg->st.max_latency_ms = ms;
    lg->hist[ms < HIST_MS ? ms : HIST_MS - 1]++;
    if (rc != CURLE_OK) {
        fail(lg, "transfer failed", curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        fail(lg, "HTTP error", r->body ? r->body : "");
        return;
    }
    cJSON *o = cJSON_Parse(r->body ? r->body : "");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "generation");
    const cJSON *fx = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "result"), "fixture");
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(fx, "version");
    if (!cJSON_IsString(v) || !cJSON_IsString(pv) || !cJSON_IsNumber(g) ||
        strcmp(v->valuestring, pv->valuestring) != 0) {
        fail(lg, "inconsistent answer", r->body);
        cJSON_Delete(o);
        return;
    }
    int k = 0;
    while (k < LOADGEN_MAX_VERSIONS && lg->st.versions[k][0] &&
           strcmp(lg->st.versions[k], v->valuestring) != 0)
        k++;
    if (k == LOADGEN_MAX_VERSIONS) {
        fail(lg, "too many versions", r->body);
    } else {
        if (!lg->st.versions[k][0])
            snprintf(lg->st.versions[k], sizeof lg->st.versions[k], "%s", v->valuestring);
        lg->st.per_version[k]++;
        lg->st.ok++;
        if ((uint64_t)g->valuedouble > lg->st.max_generation)
            lg->st.max_generation = (uint64_t)g->valuedouble;
    }
    cJSON_Delete(o);
}

static void send_one(struct loadgen *lg)
{
    struct request *r = calloc(1, sizeof *r);
    CURL *e = r ? curl_easy_init() : NULL;
    if (!e) {
        free(r);
        pthread_mutex_lock(&lg->mu);
        fail(lg, "out of memory", "");
        pthread_mutex_unlock(&lg->mu);
        return;
    }
    r->easy = e;
    r->sent_ms = now_ms();
    curl_easy_setopt(e, CURLOPT_URL, lg->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, lg->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, lg->o.body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(lg->multi, e);
    lg->in_flight++;
    pthread_mutex_lock(&lg->mu);
    lg->st.sent++;
    pthread_mutex_unlock(&lg->mu);
}

static void reap(struct loadgen *lg)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(lg->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct request *r;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        pthread_mutex_lock(&lg->mu);
        judge(lg, r, m->data.result);
        pthread_mutex_unlock(&lg->mu);
        curl_multi_remove_handle(lg->multi, m->easy_handle);
        curl_easy_cleanup(m->easy_handle);
        free(r->body);
        free(r);
        lg->in_flight--;
    }
}

static void *run(void *arg)
{
    struct loadgen *lg = arg;
    int64_t start = now_ms();
    uint64_t i = 0;
    int running = 0;
    while (!atomic_load(&lg->stop)) {
        int64_t now = now_ms();
        while ((double)(now - start) >= (double)i * 1000.0 / lg->o.rate) {
            if (lg->in_flight < lg->o.max_in_flight) {
                send_one(lg);
            } else {
                pthread_mutex_lock(&lg->mu);
                lg->st.overloaded++;
                fail(lg, "too many requests in flight", "");
                pthread_mutex_unlock(&lg->mu);
            }
            i++;
        }
        int64_t next = start + (int64_t)((double)i * 1000.0 / lg->o.rate);
        int wait = (int)(next - now_ms());
        curl_multi_perform(lg->multi, &running);
        reap(lg);
        curl_multi_poll(lg->multi, NULL, 0, wait > 0 ? (wait < 50 ? wait : 50) : 0, NULL);
    }
    /* Stopped sending: let what is in flight finish. */
    while (lg->in_flight > 0) {
        curl_multi_perform(lg->multi, &running);
        reap(lg);
        if (lg->in_flight > 0)
            curl_multi_poll(lg->multi, NULL, 0, 50, NULL);
    }
    return NULL;
}

int loadgen_start(struct loadgen **out, const struct loadgen_opts *o)
{
    struct loadgen *lg = calloc(1, sizeof *lg);
    *out = NULL;
    if (!lg || !(lg->hist = calloc(HIST_MS, sizeof *lg->hist)))
        goto fail;
    lg->o = *o;
    snprintf(lg->url, sizeof lg->url, "http://127.0.0.1:%u%s", o->port, o->path);
    snprintf(lg->auth, sizeof lg->auth, "Authorization: Bearer %s", o->token);
    lg->headers = curl_slist_append(NULL, lg->auth);
    lg->headers = curl_slist_append(lg->headers, "Content-Type: application/json");
    lg->headers = curl_slist_append(lg->headers, "Expect:");
    lg->multi = curl_multi_init();
    if (!lg->headers || !lg->multi)
        goto fail;
    curl_multi_setopt(lg->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->max_in_flight);
    pthread_mutex_init(&lg->mu, NULL);
    if (pthread_create(&lg->thread, NULL, run, lg) != 0) {
        pthread_mutex_destroy(&lg->mu);
        goto fail;
    }
    *out = lg;
    return 0;
fail:
    if (lg) {
        if (lg->multi)
            curl_multi_cleanup(lg->multi);
        curl_slist_free_all(lg->headers);
        free(lg->hist);
    }
    free(lg);
    return -1;
}

void loadgen_peek(struct loadgen *lg, struct loadgen_stats *st)
{
    pthread_mutex_lock(&lg->mu);
    *st = lg->st;
    pthread_mutex_unlock(&lg->mu);
}

void loadgen_stop(struct loadgen *lg, struct loadgen_stats *st)
{
    atomic_store(&lg->stop, true);
    pthread_join(lg->thread, NULL);
    *st = lg->st;
    uint64_t total = 0, seen = 0;
    for (int i = 0; i < HIST_MS; i++)
        total += lg->hist[i];
    for (int i = 0; i < HIST_MS; i++) {
        seen += lg->hist[i];
        if (total && seen * 100 >= total * 99) {
            st->p99_latency_ms = i;
            break;
        }
    }
    curl_multi_cleanup(lg->multi);
    curl_slist_free_all(lg->headers);
    pthread_mutex_destroy(&lg->mu);
    free(lg->hist);
    free(lg);
}
