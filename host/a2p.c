/*
 * A2P 10DLC registration: the read through channel.twilio's health op and
 * the background watch (see a2p.h). The watch job keeps the last statuses it
 * saw in its payload, so a change (brand approved, campaign verified or
 * failed) is logged once, by the run that sees it.
 */
#include "a2p.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "jobs.h"
#include "log.h"
#include "plugin_call.h"
#include "plugin_registry.h"

#define A2P_TIMEOUT_MS 20000

int a2p_read(struct daemon *d, const char *tenant, const char *request_id, cJSON **out,
             char *message, size_t cap)
{
    struct registry_handle h;
    *out = NULL;
    if (!d->registry || registry_acquire(d->registry, tenant, A2P_PLUGIN, &h) != 0) {
        snprintf(message, cap, "the tenant has no channel.twilio binding");
        return A2P_E_NO_BINDING;
    }
    if (!h.desc->health) {
        registry_release(&h);
        snprintf(message, cap, "the plugin reports no health");
        return A2P_E_NOT_SUPPORTED;
    }
    struct bw_call call;
    struct bw_error err = { .struct_size = sizeof err };
    struct bw_buf *buf = plugin_buf_new(0);
    int rc = BW_E_NOMEM;
    if (buf) {
        registry_call_begin(&h, &call, request_id, A2P_TIMEOUT_MS);
        rc = h.desc->health(h.instance, &call, buf, &err);
        registry_call_end(&h, &call);
    }
    cJSON *doc = NULL;
    if (rc == 0) {
        uint64_t len;
        const char *text = plugin_buf_data(buf, &len);
        doc = cJSON_ParseWithLength(text, (size_t)len);
    }
    plugin_buf_free(buf);
    cJSON *a2p = doc ? cJSON_DetachItemFromObjectCaseSensitive(doc, "a2p") : NULL;
    cJSON_Delete(doc);
    if (rc != 0 || !cJSON_IsObject(a2p)) {
        struct log_ctx lc = { tenant, request_id };
        const char *fields[] = { "plugin", h.desc->id, "error", bw_strerror(rc),
                                 "provider_code", err.provider_code, NULL };
        log_write(LOG_WARN, &lc, fields, "A2P status could not be read");
        snprintf(message, cap, "%s",
                 rc == 0 ? "the plugin reported no A2P state"
                         : err.message[0] ? err.message : bw_strerror(rc));
        registry_release(&h);
        cJSON_Delete(a2p);
        return A2P_E_PROVIDER;
    }
    cJSON_AddStringToObject(a2p, "tenant", h.tenant_id);
    cJSON_AddStringToObject(a2p, "plugin", h.desc->id);
    registry_release(&h);
    *out = a2p;
    return A2P_OK;
}

static const char *part_status(const cJSON *report, const char *part)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(report, part);
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "status"));
}

bool a2p_in_progress(const cJSON *report)
{
    const char *brand = part_status(report, "brand"), *campaign = part_status(report, "campaign");
    bool failed = (brand && strcmp(brand, "FAILED") == 0) ||
                  (campaign && strcmp(campaign, "FAILED") == 0);
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "registering")) &&
           !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "registered")) && !failed;
}

/* The watch's payload: the statuses the run saw, for the next to compare. */
static char *payload_of(const cJSON *report)
{
    cJSON *p = cJSON_CreateObject();
    const char *b = report ? part_status(report, "brand") : NULL;
    const char *c = report ? part_status(report, "campaign") : NULL;
    if (p && b)
        cJSON_AddStringToObject(p, "brand", b);
    if (p && c)
        cJSON_AddStringToObject(p, "campaign", c);
    char *text = p ? cJSON_PrintUnformatted(p) : NULL;
    cJSON_Delete(p);
    return text;
}

static int schedule(struct db_conn *tx, const char *tenant, int64_t run_at_us, const char *payload)
{
    char key[128];
    snprintf(key, sizeof key, "%s:%s:%" PRId64, A2P_WATCH_KIND, tenant,
             (int64_t)(run_at_us / A2P_WATCH_INTERVAL_US));
    struct job_spec spec = { .tenant_id = tenant, .kind = A2P_WATCH_KIND,
                             .payload = payload ? payload : "{}", .run_at_us = run_at_us,
                             .dedupe_key = key, .max_attempts = 12 };
    return jobs_enqueue(tx, &spec, NULL) < 0 ? -1 : 0;
}

int a2p_watch_schedule(struct db_conn *tx, const char *tenant, int64_t run_at_us)
{
    return schedule(tx, tenant, run_at_us, NULL);
}

/* Logs what moved since the last run saw it. */
static void log_changes(const char *tenant, const cJSON *before, const cJSON *report)
{
    static const char *const parts[] = { "brand", "campaign" };
    for (size_t i = 0; i < 2; i++) {
        const char *was = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(before, parts[i]));
        const char *now = part_status(report, parts[i]);
        if (!now || (was && strcmp(was, now) == 0))
            continue;
        struct log_ctx lc = { tenant, NULL };
        const char *fields[] = { "part", parts[i], "from", was ? was : "-", "to", now, NULL };
        log_write(strcmp(now, "FAILED") == 0 ? LOG_WARN : LOG_INFO, &lc, fields,
                  "A2P registration status changed");
    }
}

static int watch_job(struct db_conn *c, const struct job *job, struct job_result *res, void *ctx)
{
    struct daemon *d = ctx;
    cJSON *report = NULL;
    char message[256];
    int rc = a2p_read(d, job->tenant_id, NULL, &report, message, sizeof message);
    if (rc == A2P_E_NO_BINDING || rc == A2P_E_NOT_SUPPORTED)
        return 0; /* nothing to watch any more */
    if (rc != A2P_OK) {
        snprintf(res->error, sizeof res->error, "a2p: %.200s", message);
        return JOB_RETRY;
    }
    cJSON *before = cJSON_Parse(job->payload);
    log_changes(job->tenant_id, before, report);
    cJSON_Delete(before);
    int out = 0;
    if (a2p_in_progress(report)) {
        char *payload = payload_of(report);
        if (!payload || schedule(c, job->tenant_id, clock_now_us() + A2P_WATCH_INTERVAL_US,
                                 payload) != 0) {
            snprintf(res->error, sizeof res->error, "a2p: cannot queue the next watch");
            out = JOB_RETRY;
        }
        free(payload);
    }
    cJSON_Delete(report);
    return out;
}

/* True when t's channel.twilio binding registers A2P (a2p_register =
 * true): only those have a registration to watch. A binding that only
 * requires a verified campaign reads it when it sends. */
static bool registers_a2p(const struct tenant_config *t)
{
    for (size_t i = 0; i < t->n_bindings; i++) {
        const struct plugin_binding *b = &t->bindings[i];
        if (!b->plugin || strcmp(b->plugin, A2P_PLUGIN) != 0)
            continue;
        for (size_t k = 0; k < b->n_values; k++)
            if (strcmp(b->values[k].key, "a2p_register") == 0 &&
                b->values[k].kind == BINDING_VALUE_BOOL && b->values[k].num)
                return true;
    }
    return false;
}

int a2p_watch_register(struct daemon *d)
{
    return jobs_register(d->jobs, A2P_WATCH_KIND, watch_job, d) == 0 ? 0 : -1;
}

int a2p_watch_schedule_all(struct daemon *d)
{
    struct db_conn *c = NULL;
    int rc = 0;
    for (size_t i = 0; i < d->cfg.n_tenants && rc == 0; i++) {
        const struct tenant_config *t = &d->cfg.tenants[i];
        if (!registers_a2p(t))
            continue;
        if (!c && !(c = daemon_db(d))) {
            log_error("a2p: no database connection to schedule the registration watch");
            return -1;
        }
        rc = a2p_watch_schedule(c, t->id, clock_now_us());
    }
    if (c)
        daemon_db_release(d, c);
    return rc;
}
