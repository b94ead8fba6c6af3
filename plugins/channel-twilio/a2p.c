/*
 * A2P 10DLC registration for a clinic, one step at a time: register the
 * brand (POST messaging.twilio.com/v1/a2p/BrandRegistrations with the
 * clinic's Trust Hub bundles), create a Messaging Service when the binding
 * names none (POST /v1/Services), create the campaign once the brand is
 * approved (POST /v1/Services/{sid}/Compliance/Usa2p with use case,
 * description, message flow, samples and the embedded link/phone flags),
 * and poll brand and campaign status until they settle. The state lives in
 * the instance's key-value storage under "a2p/state" as JSON, so it survives
 * restarts and reloads and the host can show it. The host drives the steps
 * through the health op (periodic) when a2p_register is set, one request
 * per step; sends are
 * refused from an unapproved campaign when a2p_required is set.
 */
#include "twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TW_A2P_KEY "a2p/state"
/* How long the approval seen by a send is trusted before kv is read again. */
#define TW_A2P_CACHE_US (30LL * 1000000LL)

static cJSON *tw_a2p_load(struct tw_instance *in, struct bw_call *call, int *rc)
{
    const struct bw_host *h = in->host;
    struct bw_buf *b = h->buf_scratch(call);
    int32_t found = 0;
    cJSON *st = NULL;
    *rc = b ? h->kv_get(call, TW_A2P_KEY, b, &found) : BW_E_NOMEM;
    if (*rc != 0)
        return NULL;
    if (found) {
        struct bw_bytes v;
        h->buf_view(b, &v);
        if (bwsdk_json_parse_bytes(v.ptr, v.len, &st) != 0)
            st = NULL; /* unreadable state: start over */
    }
    if (!st || !cJSON_IsObject(st)) {
        cJSON_Delete(st);
        st = cJSON_CreateObject();
    }
    if (!st)
        *rc = BW_E_NOMEM;
    return st;
}

static int tw_a2p_save(struct tw_instance *in, struct bw_call *call, const cJSON *st)
{
    char *text = cJSON_PrintUnformatted(st);
    if (!text)
        return BW_E_NOMEM;
    int rc = in->host->kv_put(call, TW_A2P_KEY, text, strlen(text), 0);
    free(text);
    return rc;
}

/* Sets st[part] = {"sid":..., "status":...} from a Twilio answer. */
static int tw_a2p_record(cJSON *st, const char *part, const cJSON *answer, const char *status_key)
{
    const char *sid = bwsdk_json_string_or(answer, "sid", NULL);
    const char *status = bwsdk_json_string_or(answer, status_key, NULL);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(st, part);
    if (!o) {
        o = cJSON_AddObjectToObject(st, part);
        if (!o)
            return BW_E_NOMEM;
    }
    if (sid) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "sid");
        if (!cJSON_AddStringToObject(o, "sid", sid))
            return BW_E_NOMEM;
    }
    if (status) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
        if (!cJSON_AddStringToObject(o, "status", status))
            return BW_E_NOMEM;
    }
    return 0;
}

/* Sends a request to Messaging v1 and parses the JSON answer. */
static int tw_a2p_call(struct tw_instance *in, struct bw_call *call, const char *method,
                       const char *path, const struct bwsdk_form *form, cJSON **answer,
                       struct bw_error *err)
{
    char url[TW_URL_MAX];
    struct bw_http_response resp = { .struct_size = sizeof resp };
    snprintf(url, sizeof url, "%s%s", in->messaging_base, path);
    int rc = tw_http_form(in, call, method, url, form, &resp, err);
    if (rc != 0)
        return rc;
    if ((rc = tw_map_error(&resp, err)) != 0)
        return rc;
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, answer) != 0)
        return bwsdk_error(err, BW_E_REMOTE, NULL, "Twilio's answer is not JSON");
    return 0;
}

static const char *tw_sub(const cJSON *st, const char *part, const char *key)
{
    return bwsdk_json_string_or(cJSON_GetObjectItemCaseSensitive(st, part), key, NULL);
}

static int tw_cfg_opt(struct tw_instance *in, struct bw_call *call, const char *key, char *out,
                      size_t cap)
{
    return tw_cfg_str(in->host, call, key, out, cap, false);
}

static int tw_a2p_brand(struct tw_instance *in, struct bw_call *call, cJSON *st, bool *did,
                        struct bw_error *err)
{
    const char *sid = tw_sub(st, "brand", "sid");
    const char *status = tw_sub(st, "brand", "status");
    cJSON *a = NULL;
    int rc;
    if (!sid) {
        char cp[64], ap[64];
        struct bwsdk_form f = { 0 };
        if (tw_cfg_opt(in, call, "a2p_customer_profile_sid", cp, sizeof cp) != 0 || !cp[0] ||
            tw_cfg_opt(in, call, "a2p_profile_bundle_sid", ap, sizeof ap) != 0 || !ap[0])
            return bwsdk_error(err, BW_E_CONFIG, NULL,
                               "A2P registration needs a2p_customer_profile_sid and "
                               "a2p_profile_bundle_sid");
        rc = bwsdk_form_add(&f, "CustomerProfileBundleSid", cp);
        if (rc == 0)
            rc = bwsdk_form_add(&f, "A2PProfileBundleSid", ap);
        if (rc == 0)
            rc = tw_a2p_call(in, call, "POST", "/v1/a2p/BrandRegistrations", &f, &a, err);
        *did = true;
        bwsdk_form_free(&f);
    } else if (!status || (strcmp(status, "APPROVED") != 0 && strcmp(status, "FAILED") != 0)) {
        char path[128];
        snprintf(path, sizeof path, "/v1/a2p/BrandRegistrations/%s", sid);
        rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
        *did = true;
    } else {
        return 0;
    }
    if (rc == 0)
        rc = tw_a2p_record(st, "brand", a, "status");
    cJSON_Delete(a);
    return rc;
}

static int tw_a2p_service(struct tw_instance *in, struct bw_call *call, cJSON *st, bool *did,
                          struct bw_error *err)
{
    if (tw_sub(st, "service", "sid"))
        return 0;
    cJSON *a = NULL;
    if (in->messaging_service_sid[0]) {
        a = cJSON_CreateObject();
        if (!a || !cJSON_AddStringToObject(a, "sid", in->messaging_service_sid)) {
            cJSON_Delete(a);
            return BW_E_NOMEM;
        }
    } else {
        struct bwsdk_form f = { 0 };
        char cb[TW_URL_MAX + 32], inbound[TW_URL_MAX + 32];
        snprintf(cb, sizeof cb, "%s/webhooks/twilio/status", in->public_base_url);
        snprintf(inbound, sizeof inbound, "%s/webhooks/twilio/sms", in->public_base_url);
        int rc = bwsdk_form_add(&f, "FriendlyName", "Bookwell");
        if (rc == 0 && in->public_base_url[0])
            rc = bwsdk_form_add(&f, "StatusCallback", cb);
        if (rc == 0 && in->public_base_url[0])
            rc = bwsdk_form_add(&f, "InboundRequestUrl", inbound);
        if (rc == 0 && in->public_base_url[0])
            rc = bwsdk_form_add(&f, "InboundMethod", "POST");
        if (rc == 0)
            rc = bwsdk_form_add(&f, "UseInboundWebhookOnNumber", "true");
        if (rc == 0)
            rc = tw_a2p_call(in, call, "POST", "/v1/Services", &f, &a, err);
        *did = true;
        bwsdk_form_free(&f);
        if (rc != 0)
            return rc;
    }
    int rc = tw_a2p_record(st, "service", a, "status");
    cJSON_Delete(a);
    return rc;
}

static int tw_a2p_campaign(struct tw_instance *in, struct bw_call *call, cJSON *st, bool *did,
                           struct bw_error *err)
{
    const char *brand_status = tw_sub(st, "brand", "status");
    const char *svc = tw_sub(st, "service", "sid");
    const char *sid = tw_sub(st, "campaign", "sid");
    const char *status = tw_sub(st, "campaign", "status");
    if (!svc || !brand_status || strcmp(brand_status, "APPROVED") != 0)
        return 0;
    char path[192];
    cJSON *a = NULL;
    int rc = 0;
    if (!sid) {
        const struct bw_host *h = in->host;
        char usecase[64], desc[1024], flow[1024];
        int32_t links = 0, phone = 0;
        uint32_t n = 0;
        struct bwsdk_form f = { 0 };
        snprintf(path, sizeof path, "/v1/Services/%s/Compliance/Usa2p", svc);
        if (tw_cfg_opt(in, call, "a2p_use_case", usecase, sizeof usecase) != 0 ||
            tw_cfg_opt(in, call, "a2p_description", desc, sizeof desc) != 0 ||
            tw_cfg_opt(in, call, "a2p_message_flow", flow, sizeof flow) != 0 ||
            h->config_list_count(call, "a2p_samples", &n) != 0 || n < 2 || !desc[0] || !flow[0])
            return bwsdk_error(err, BW_E_CONFIG, NULL,
                               "A2P campaign needs a2p_description, a2p_message_flow and two "
                               "a2p_samples");
        h->config_bool(call, "a2p_has_embedded_links", &links);
        h->config_bool(call, "a2p_has_embedded_phone", &phone);
        rc = bwsdk_form_add(&f, "BrandRegistrationSid", tw_sub(st, "brand", "sid"));
        if (rc == 0)
            rc = bwsdk_form_add(&f, "Description", desc);
        if (rc == 0)
            rc = bwsdk_form_add(&f, "MessageFlow", flow);
        for (uint32_t i = 0; rc == 0 && i < n && i < 5; i++) {
            struct bw_str s;
            char sample[1024];
            if (h->config_list_item(call, "a2p_samples", i, &s) == 0 &&
                bwsdk_strlcpy(sample, sizeof sample, s.ptr, s.len) == 0)
                rc = bwsdk_form_add(&f, "MessageSamples", sample);
        }
        if (rc == 0)
            rc = bwsdk_form_add(&f, "UsAppToPersonUsecase", usecase);
        if (rc == 0)
            rc = bwsdk_form_add(&f, "HasEmbeddedLinks", links ? "true" : "false");
        if (rc == 0)
            rc = bwsdk_form_add(&f, "HasEmbeddedPhone", phone ? "true" : "false");
        if (rc == 0)
            rc = tw_a2p_call(in, call, "POST", path, &f, &a, err);
        *did = true;
        bwsdk_form_free(&f);
    } else if (!status || (strcmp(status, "VERIFIED") != 0 && strcmp(status, "FAILED") != 0)) {
        snprintf(path, sizeof path, "/v1/Services/%s/Compliance/Usa2p/%s", svc, sid);
        rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
        *did = true;
    } else {
        return 0;
    }
    if (rc == 0)
        rc = tw_a2p_record(st, "campaign", a, "campaign_status");
    /* The campaign's per-carrier rate limits, when Twilio reports them. */
    const cJSON *limits = a ? cJSON_GetObjectItemCaseSensitive(a, "rate_limits") : NULL;
    cJSON *camp = cJSON_GetObjectItemCaseSensitive(st, "campaign");
    if (rc == 0 && limits && camp) {
        cJSON_DeleteItemFromObjectCaseSensitive(camp, "rate_limits");
        cJSON *copy = cJSON_Duplicate(limits, 1);
        if (!copy || !cJSON_AddItemToObject(camp, "rate_limits", copy))
            rc = BW_E_NOMEM;
    }
    cJSON_Delete(a);
    return rc;
}

int tw_a2p_step(struct tw_instance *in, struct bw_call *call, struct bw_buf *out,
                struct bw_error *err)
{
    int rc;
    cJSON *st = tw_a2p_load(in, call, &rc);
    if (!st)
        return bwsdk_error(err, rc, NULL, "cannot read the A2P state");
    /* At most one request per step: a call owns a bounded amount of host
     * memory, and each step is short. */
    bool did = false;
    rc = tw_a2p_brand(in, call, st, &did, err);
    if (rc == 0 && !did)
        rc = tw_a2p_service(in, call, st, &did, err);
    if (rc == 0 && !did)
        rc = tw_a2p_campaign(in, call, st, &did, err);
    /* What was learnt before a failure is kept. */
    int src = tw_a2p_save(in, call, st);
    if (rc == 0 && src != 0)
        rc = bwsdk_error(err, src, NULL, "cannot store the A2P state");
    if (out && rc == 0)
        rc = bwsdk_json_emit(in->host, out, st);
    pthread_mutex_lock(&in->lock);
    in->a2p_checked_us = 0; /* the next send reads the new state */
    pthread_mutex_unlock(&in->lock);
    cJSON_Delete(st);
    return rc;
}

int tw_a2p_allows(struct tw_instance *in, struct bw_call *call, bool *allowed)
{
    *allowed = true;
    if (!in->a2p_required)
        return 0;
    int64_t now = in->host->mono_us();
    pthread_mutex_lock(&in->lock);
    int cached = in->a2p_approved_cache;
    bool fresh = in->a2p_checked_us && now - in->a2p_checked_us < TW_A2P_CACHE_US;
    pthread_mutex_unlock(&in->lock);
    if (fresh && cached >= 0) {
        *allowed = cached == 1;
        return 0;
    }
    int rc;
    cJSON *st = tw_a2p_load(in, call, &rc);
    if (!st)
        return rc;
    const char *status = tw_sub(st, "campaign", "status");
    bool ok = status && strcmp(status, "VERIFIED") == 0;
    cJSON_Delete(st);
    pthread_mutex_lock(&in->lock);
    in->a2p_approved_cache = ok ? 1 : 0;
    in->a2p_checked_us = now;
    pthread_mutex_unlock(&in->lock);
    *allowed = ok;
    return 0;
}
