/*
 * Catalog, availability and holds routes:
 *   POST /admin/tenants/{tenant}/catalog  import a clinic document (admin);
 *        the clinic's "clients" and "appointments" are then written into the
 *        tenant's EMR when it is the built-in calendar (emr.local), through
 *        its own patient_create and book ops with keys derived from them, so
 *        importing twice adds nothing twice.
 *   GET  /availability?service=&provider=&from=&to=   (tenant API key)
 *   POST /holds {"service","provider","start","contact_id"?,"patient"?}
 *   POST /admin/test/emr {"tenant","down"}  (only with --test-clock)
 * Work that calls a plugin runs on the plugin call pool behind a deferred
 * response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/emr.h>

#include "availability.h"
#include "clock.h"
#include "convo_cache.h"
#include "daemon.h"
#include "emr_call.h"
#include "holds.h"
#include "json_util.h"
#include "knowledge.h"
#include "log.h"
#include "plugin_pool.h"
#include "routes.h"
#include "tz.h"

#define US_PER_MIN (60 * INT64_C(1000000))
#define ALTERNATIVES_MAX 3

struct task {
    struct daemon *d;
    struct http_deferred *deferred;
    char tenant[64];
    cJSON *body;                /* owned */
    struct avail_query q;
    char service[64], provider[64];
};

static void task_free(struct task *t)
{
    cJSON_Delete(t->body);
    free(t);
}

/* Defers req and runs fn(t) on the plugin pool; answers 503 when it cannot. */
static void submit(struct http_request *req, struct http_response *resp, struct task *t,
                   plugin_pool_fn fn)
{
    if (!t->d->plugin_pool || !(t->deferred = http_defer(req))) {
        http_reply_error(req, resp, 503, "unavailable", "plugins are not running");
        task_free(t);
        return;
    }
    if (plugin_pool_submit(t->d->plugin_pool, fn, t) != 0) {
        struct http_response now = { 0 };
        http_reply_error(req, &now, 503, "busy", "the plugin call pool is full");
        http_deferred_complete(t->deferred, &now);
        task_free(t);
    }
}

static void finish(struct task *t, struct http_response *resp)
{
    http_deferred_complete(t->deferred, resp);
    task_free(t);
}

/* ------------------------------------------------------------ import */

/* Local "YYYY-MM-DDTHH:MM" in zone -> instant. */
static int local_minute(const char *zone, const char *s, int64_t *us)
{
    struct tz_local l = { 0 };
    if (!s || strlen(s) != 16 || sscanf(s, "%4d-%2d-%2dT%2d:%2d", &l.year, &l.month, &l.day,
                                        &l.hour, &l.minute) != 5)
        return -1;
    return tz_from_local(zone, &l, TZ_REPEATED_FIRST, us) == 0 ? 0 : -1;
}

/* Seeds emr.local with the document's clients and appointments. */
static void run_seed(void *arg)
{
    struct task *t = arg;
    struct http_request *req = http_deferred_request(t->deferred);
    struct http_response resp = { 0 };
    const struct knowledge *k = NULL;
    struct db_conn *c = daemon_db(t->d);
    int clients = 0, appts = 0, failed = 0;
    cJSON *phones = cJSON_CreateObject();
    if (!c || !phones || knowledge_get(c, t->tenant, &k) != 0) {
        http_reply_error(req, &resp, 503, "unavailable", "the catalog cannot be read back");
        goto out;
    }
    const cJSON *doc = k->doc, *it;
    struct emr_result r;
    /* Only the built-in calendar takes the clinic's records from here. */
    emr_call(t->d->registry, t->tenant, EMR_OP_CATALOG, NULL, NULL, 0, &r);
    bool local = strcmp(r.plugin_id, "emr.local") == 0;
    emr_result_free(&r);
    const cJSON *clients_arr = local ? cJSON_GetObjectItemCaseSensitive(doc, "clients") : NULL;
    const cJSON *appts_arr = local ? cJSON_GetObjectItemCaseSensitive(doc, "appointments") : NULL;
    cJSON_ArrayForEach(it, clients_arr) {
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(it, "phone");
        char *in = cJSON_PrintUnformatted(it);
        char idem[80];
        snprintf(idem, sizeof idem, "seed:client:%.60s", cJSON_IsString(ph) ? ph->valuestring : "");
        if (in && emr_call(t->d->registry, t->tenant, EMR_OP_PATIENT_CREATE, in, idem, 0, &r) == 0) {
            cJSON *p = cJSON_ParseWithLength(r.json, r.len);
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
            if (cJSON_IsString(ph) && cJSON_IsString(id))
                cJSON_AddStringToObject(phones, ph->valuestring, id->valuestring);
            cJSON_Delete(p);
            clients++;
        } else {
            failed++;
        }
        emr_result_free(&r);
        free(in);
    }
    cJSON_ArrayForEach(it, appts_arr) {
        const char *prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "provider"));
        const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "service"));
        const char *start = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "start"));
        const char *client = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "client"));
        const struct kn_service *s = knowledge_service(k, svc);
        int64_t st;
        if (!s || !prov || local_minute(k->timezone, start, &st) != 0) {
            failed++;
            continue;
        }
        char a[32], b[32], idem[80];
        cJSON *q = cJSON_CreateObject();
        const char *pid = client ? cJSON_GetStringValue(
                                       cJSON_GetObjectItemCaseSensitive(phones, client))
                                 : NULL;
        cJSON_AddStringToObject(q, "patient_id", pid ? pid : "");
        cJSON_AddStringToObject(q, "location_id", "main");
        cJSON_AddStringToObject(q, "service_id", svc);
        cJSON_AddStringToObject(q, "provider_id", prov);
        cJSON_AddStringToObject(q, "start", clock_format_utc(st, a));
        cJSON_AddStringToObject(q, "end",
                                clock_format_utc(st + (int64_t)s->duration_min * US_PER_MIN, b));
        char *in = cJSON_PrintUnformatted(q);
        cJSON_Delete(q);
        snprintf(idem, sizeof idem, "seed:appt:%.30s:%.16s", prov, start);
        if (in && emr_call(t->d->registry, t->tenant, EMR_OP_BOOK, in, idem, 0, &r) == 0)
            appts++;
        else
            failed++;
        emr_result_free(&r);
        free(in);
    }
    availability_invalidate(t->tenant);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant", t->tenant);
    cJSON_AddNumberToObject(o, "version", (double)k->version);
    cJSON_AddNumberToObject(o, "services", (double)k->n_services);
    cJSON_AddNumberToObject(o, "providers", (double)k->n_providers);
    cJSON *emr = cJSON_AddObjectToObject(o, "emr_seeded");
    cJSON_AddBoolToObject(emr, "built_in_calendar", local);
    cJSON_AddNumberToObject(emr, "clients", clients);
    cJSON_AddNumberToObject(emr, "appointments", appts);
    cJSON_AddNumberToObject(emr, "failed", failed);
    if (failed)
        log_write(LOG_WARN, &(struct log_ctx){ .tenant = t->tenant, .request_id = req->request_id },
                  NULL, "catalog import: %d clinic records not written to the calendar", failed);
    json_reply(&resp, 200, o);
out:
    cJSON_Delete(phones);
    knowledge_release(k);
    if (c)
        daemon_db_release(t->d, c);
    finish(t, &resp);
}

static void post_catalog(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *tenant = req->params[0];
    struct db_conn *c = daemon_db(d);
    if (!c) {
        http_reply_error(req, resp, 503, "db_unavailable", "the database is unavailable");
        return;
    }
    char err[300];
    int64_t version = 0;
    int rc = knowledge_import(c, tenant, req->body, req->body_len, &version, err, sizeof err);
    daemon_db_release(d, c);
    if (rc == 0)
        convo_cache_invalidate(tenant);
    if (rc == KNOWLEDGE_E_INVAL) {
        http_reply_error(req, resp, 422, "invalid_catalog", err);
        return;
    }
    if (rc == KNOWLEDGE_E_NOTFOUND) {
        http_reply_error(req, resp, 404, "unknown_tenant", "no such tenant is configured");
        return;
    }
    if (rc) {
        http_reply_error(req, resp, 500, "import_failed", "the catalog could not be stored");
        return;
    }
    log_write(LOG_INFO, &(struct log_ctx){ .tenant = tenant, .request_id = req->request_id }, NULL,
              "catalog imported (version %lld)", (long long)version);
    struct task *t = calloc(1, sizeof *t);
    if (!t) {
        http_reply_error(req, resp, 503, "unavailable", "out of memory");
        return;
    }
    t->d = d;
    snprintf(t->tenant, sizeof t->tenant, "%s", tenant);
    submit(req, resp, t, run_seed);
}

/* ------------------------------------------------------------ availability */

static cJSON *slots_json(const struct knowledge *k, const struct avail_slots *s, size_t max,
                         int64_t near_us)
{
    cJSON *arr = cJSON_CreateArray();
    size_t *idx = calloc(s->n + 1, sizeof *idx);
    if (!arr || !idx) {
        free(idx);
        return arr;
    }
    for (size_t i = 0; i < s->n; i++)
        idx[i] = i;
    if (near_us) { /* nearest first: a small selection sort is enough */
        for (size_t i = 0; i < s->n && i < max; i++)
            for (size_t j = i + 1; j < s->n; j++) {
                int64_t di = llabs(s->v[idx[i]].start_us - near_us);
                int64_t dj = llabs(s->v[idx[j]].start_us - near_us);
                if (dj < di) {
                    size_t tmp = idx[i];
                    idx[i] = idx[j];
                    idx[j] = tmp;
                }
            }
    }
    for (size_t i = 0; i < s->n && i < max; i++) {
        const struct avail_slot *sl = &s->v[idx[i]];
        struct tz_local l;
        char a[64], b[64];
        cJSON *o = cJSON_CreateObject();
        if (!o || tz_to_local(k->timezone, sl->start_us, &l) != 0)
            continue;
        int off = l.utc_offset_min;
        snprintf(a, sizeof a, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", l.year, l.month, l.day,
                 l.hour, l.minute, off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
        tz_to_local(k->timezone, sl->end_us, &l);
        off = l.utc_offset_min;
        snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", l.year, l.month, l.day,
                 l.hour, l.minute, off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
        cJSON_AddStringToObject(o, "start", a);
        cJSON_AddStringToObject(o, "end", b);
        cJSON_AddStringToObject(o, "provider", sl->provider_id);
        cJSON_AddItemToArray(arr, o);
    }
    free(idx);
    return arr;
}

static void reply_avail_error(struct http_request *req, struct http_response *resp, int rc,
                              const struct avail_slots *s)
{
    if (rc == AVAIL_E_INVAL)
        http_reply_error(req, resp, 400, "invalid_query",
                         "unknown service or provider, or a range that is empty or longer "
                         "than 62 days");
    else if (rc == AVAIL_E_EMR)
        http_reply_error(req, resp, s->emr_rc == BW_E_NOTSUP ? 409 : 503, "emr_unavailable",
                         s->emr_rc == BW_E_NOTSUP ? "the tenant has no EMR that reports availability"
                                                  : "the EMR did not answer; try again");
    else
        http_reply_error(req, resp, 503, "unavailable", "availability could not be computed");
}

static void run_availability(void *arg)
{
    struct task *t = arg;
    struct http_request *req = http_deferred_request(t->deferred);
    struct http_response resp = { 0 };
    struct avail_slots s = { 0 };
    const struct knowledge *k = NULL;
    int rc = availability_query(t->d->pool, NULL, t->d->registry, t->tenant, &t->q, &s);
    struct db_conn *c = rc == 0 ? daemon_db(t->d) : NULL;
    if (rc == 0 && (!c || knowledge_get(c, t->tenant, &k) != 0))
        rc = AVAIL_E_DB;
    if (c)
        daemon_db_release(t->d, c);
    if (rc) {
        reply_avail_error(req, &resp, rc, &s);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "service", t->q.service_id);
        cJSON_AddStringToObject(o, "timezone", k->timezone);
        cJSON_AddItemToObject(o, "slots", slots_json(k, &s, AVAILABILITY_MAX_SLOTS, 0));
        json_reply(&resp, 200, o);
    }
    knowledge_release(k);
    avail_slots_free(&s);
    finish(t, &resp);
}

/* "YYYY-MM-DD" (local midnight) or RFC 3339. */
static int parse_when(const struct knowledge *k, const char *s, int64_t *us)
{
    if (!s)
        return -1;
    if (strlen(s) == 10) {
        struct tz_local l = { 0 };
        if (sscanf(s, "%4d-%2d-%2d", &l.year, &l.month, &l.day) != 3)
            return -1;
        return tz_from_local(k->timezone, &l, TZ_REPEATED_FIRST, us) == 0 ? 0 : -1;
    }
    return clock_parse_rfc3339(s, us);
}

static void get_availability(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    const char *svc = http_query(req, "service"), *prov = http_query(req, "provider");
    const char *from = http_query(req, "from"), *to = http_query(req, "to");
    struct task *t = calloc(1, sizeof *t);
    const struct knowledge *k = NULL;
    struct db_conn *c = daemon_db(d);
    int krc = c ? knowledge_get(c, req->tenant_id, &k) : KNOWLEDGE_E_DB;
    if (c)
        daemon_db_release(d, c);
    if (!t || krc) {
        free(t);
        if (krc == KNOWLEDGE_E_NOTFOUND)
            http_reply_error(req, resp, 409, "no_catalog", "no catalog has been imported");
        else
            http_reply_error(req, resp, 503, "unavailable", "the catalog cannot be read");
        return;
    }
    int64_t f, e;
    if (!svc || strlen(svc) >= sizeof t->service || (prov && strlen(prov) >= sizeof t->provider) ||
        parse_when(k, from, &f) != 0 || parse_when(k, to, &e) != 0) {
        knowledge_release(k);
        free(t);
        http_reply_error(req, resp, 400, "invalid_query",
                         "service, from and to are required (dates YYYY-MM-DD or RFC 3339)");
        return;
    }
    knowledge_release(k);
    t->d = d;
    snprintf(t->tenant, sizeof t->tenant, "%s", req->tenant_id);
    snprintf(t->service, sizeof t->service, "%s", svc);
    if (prov)
        snprintf(t->provider, sizeof t->provider, "%s", prov);
    t->q.service_id = t->service;
    t->q.provider_id = prov ? t->provider : NULL;
    t->q.from_us = f;
    t->q.to_us = e;
    submit(req, resp, t, run_availability);
}

/* ------------------------------------------------------------ holds */

/* Alternatives near start_us: the service's free slots from a day before
 * to three days after, nearest first. */
static cJSON *alternatives(struct task *t, const struct knowledge *k, int64_t start_us)
{
    struct avail_slots s = { 0 };
    struct avail_query q = { .service_id = t->service, .from_us = start_us - 24 * 60 * US_PER_MIN,
                             .to_us = start_us + 3 * 24 * 60 * US_PER_MIN };
    cJSON *arr = availability_query(t->d->pool, NULL, t->d->registry, t->tenant, &q, &s) == 0
                     ? slots_json(k, &s, ALTERNATIVES_MAX, start_us)
                     : cJSON_CreateArray();
    avail_slots_free(&s);
    return arr;
}

static bool slot_offered(const struct avail_slots *s, const char *provider, int64_t start)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].start_us == start && strcmp(s->v[i].provider_id, provider) == 0)
            return true;
    return false;
}

static void run_hold(void *arg)
{
    struct task *t = arg;
    struct http_request *req = http_deferred_request(t->deferred);
    struct http_response resp = { 0 };
    const struct knowledge *k = NULL;
    struct avail_slots s = { 0 };
    char *patient = NULL;
    struct db_conn *c = daemon_db(t->d);
    int krc = c ? knowledge_get(c, t->tenant, &k) : KNOWLEDGE_E_DB;
    if (c)
        daemon_db_release(t->d, c);
    c = NULL;
    if (krc) {
        http_reply_error(req, &resp, 503, "unavailable", "the catalog cannot be read");
        goto out;
    }
    const cJSON *b = t->body;
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(b, "contact_id");
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(b, "patient");
    patient = pat ? cJSON_PrintUnformatted(pat) : NULL;
    int64_t start = t->q.from_us;
    /* The slot must be free in the EMR too: ask for the minute it starts. */
    struct avail_query q = { .service_id = t->service, .provider_id = t->provider,
                             .from_us = start, .to_us = start + 60 * INT64_C(1000000) };
    int rc = availability_query(t->d->pool, NULL, t->d->registry, t->tenant, &q, &s);
    if (rc && rc != AVAIL_E_INVAL) {
        reply_avail_error(req, &resp, rc, &s);
        goto out;
    }
    struct hold h;
    int hrc = HOLDS_E_CONFLICT;
    if (rc == 0 && slot_offered(&s, t->provider, start)) {
        struct hold_request hr = { .service_id = t->service, .provider_id = t->provider,
                                   .start_us = start,
                                   .contact_id = cJSON_IsNumber(ct) ? (int64_t)ct->valuedouble : 0,
                                   .patient_json = patient };
        c = daemon_db(t->d);
        hrc = c ? holds_acquire(c, k, &hr, &h) : HOLDS_E_DB;
        if (c)
            daemon_db_release(t->d, c);
    }
    if (hrc == 0) {
        char a[32], e[32];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)h.id);
        cJSON_AddStringToObject(o, "service", h.service_id);
        cJSON_AddStringToObject(o, "provider", h.provider_id);
        cJSON_AddStringToObject(o, "start", clock_format_utc(h.start_us, a));
        cJSON_AddStringToObject(o, "end", clock_format_utc(h.end_us, e));
        cJSON_AddStringToObject(o, "expires_at", clock_format_utc(h.expires_us, a));
        cJSON_AddStringToObject(o, "state", h.state);
        json_reply(&resp, 201, o);
    } else if (hrc == HOLDS_E_CONFLICT || hrc == HOLDS_E_INVAL) {
        cJSON *o = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(err, "code", "slot_unavailable");
        cJSON_AddStringToObject(err, "message",
                                "the slot is taken or not bookable; alternatives are listed");
        cJSON_AddStringToObject(o, "request_id", req->request_id);
        cJSON_AddItemToObject(o, "alternatives", alternatives(t, k, start));
        json_reply(&resp, 409, o);
        snprintf(resp.error_code, sizeof resp.error_code, "slot_unavailable");
    } else {
        http_reply_error(req, &resp, 503, "unavailable", "the hold could not be stored");
    }
out:
    free(patient);
    avail_slots_free(&s);
    knowledge_release(k);
    finish(t, &resp);
}

static void post_holds(struct http_request *req, struct http_response *resp, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "service"));
    const char *prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "provider"));
    const char *start = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "start"));
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(body, "patient");
    struct task *t = calloc(1, sizeof *t);
    int64_t st;
    if (!t || !svc || !prov || strlen(svc) >= sizeof t->service ||
        strlen(prov) >= sizeof t->provider || !start || clock_parse_rfc3339(start, &st) != 0 ||
        (pat && !cJSON_IsObject(pat))) {
        free(t);
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body",
                         "service, provider and start (RFC 3339) are required; patient an object");
        return;
    }
    t->d = d;
    t->body = body;
    snprintf(t->tenant, sizeof t->tenant, "%s", req->tenant_id);
    snprintf(t->service, sizeof t->service, "%s", svc);
    snprintf(t->provider, sizeof t->provider, "%s", prov);
    t->q.from_us = st;
    submit(req, resp, t, run_hold);
}

/* ------------------------------------------------------------ test only */

static void post_test_emr(struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)ctx;
    cJSON *body = json_parse_body(req, resp);
    if (!body)
        return;
    const char *tenant = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "tenant"));
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(body, "down");
    if (!tenant || !cJSON_IsBool(down) || strlen(tenant) >= 64) {
        cJSON_Delete(body);
        http_reply_error(req, resp, 400, "invalid_body", "'tenant' string and 'down' boolean");
        return;
    }
    emr_fault_set(tenant, cJSON_IsTrue(down));
    availability_invalidate(tenant);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenant", tenant);
    cJSON_AddBoolToObject(o, "down", emr_fault_down(tenant));
    cJSON_Delete(body);
    json_reply(resp, 200, o);
}

int routes_catalog_register(struct daemon *d)
{
    if (daemon_add_route(d, true, "POST", "/admin/tenants/{tenant}/catalog", post_catalog,
                         HTTP_AUTH_ADMIN) ||
        daemon_add_route(d, false, "GET", "/availability", get_availability, HTTP_AUTH_TENANT) ||
        daemon_add_route(d, false, "POST", "/holds", post_holds, HTTP_AUTH_TENANT))
        return -1;
    if (d->opt.test_clock &&
        daemon_add_route(d, true, "POST", "/admin/test/emr", post_test_emr, HTTP_AUTH_ADMIN))
        return -1;
    return 0;
}
