/*
 * A2P 10DLC for a clinic: registration one step at a time, and its status
 * read back from Twilio. Registration registers the brand (POST
 * messaging.twilio.com/v1/a2p/BrandRegistrations with the clinic's Trust Hub
 * bundles), creates a Messaging Service when the binding names none (POST
 * /v1/Services), attaches each of the clinic's numbers to it (its PN sid from
 * GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PhoneNumber=, then
 * POST /v1/Services/{sid}/PhoneNumbers), creates the campaign once the brand
 * is approved (POST /v1/Services/{sid}/Compliance/Usa2p with use case,
 * description, message flow, samples and the embedded link/phone flags), and
 * polls brand and campaign status until they settle. The status read,
 * whenever a service is known (registered here or named by
 * messaging_service_sid), fetches the service (GET /v1/Services/{sid}), its
 * campaigns (GET .../Compliance/Usa2p, key "compliance"), its numbers (GET
 * .../PhoneNumbers, key "phone_numbers") and, for a brand registered
 * elsewhere, the brand. The state lives in the instance's key-value storage
 * under "a2p/state" as JSON, so it survives restarts and reloads. The host
 * drives both through the health op (GET /admin/tenants/{id}/a2p). Sends
 * from a number not on a verified campaign are refused when a2p_required is
 * set, and counted and logged otherwise; the campaign's AT&T throughput
 * class (rate_limits.att.mps) sizes the pacing buckets.
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

/* Whether number is in st's "numbers" (the service's attached numbers). */
static bool tw_a2p_attached(const cJSON *st, const char *number)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(st, "numbers"))
    {
        if (cJSON_IsString(n) && strcmp(n->valuestring, number) == 0)
            return true;
    }
    return false;
}

static int tw_a2p_add_number(cJSON *st, const char *number)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(st, "numbers");
    if (!cJSON_IsArray(arr)) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "numbers");
        if (!(arr = cJSON_AddArrayToObject(st, "numbers")))
            return BW_E_NOMEM;
    }
    cJSON *s = cJSON_CreateString(number);
    if (!s || !cJSON_AddItemToArray(arr, s)) {
        cJSON_Delete(s);
        return BW_E_NOMEM;
    }
    return 0;
}

/* Attaches the first of the clinic's numbers not on the service yet. */
static int tw_a2p_attach(struct tw_instance *in, struct bw_call *call, cJSON *st, bool *did,
                         struct bw_error *err)
{
    const char *svc = tw_sub(st, "service", "sid");
    if (!svc)
        return 0;
    const char *number = NULL;
    for (uint32_t i = 0; i < in->n_numbers && !number; i++)
        if (!tw_a2p_attached(st, in->numbers[i]))
            number = in->numbers[i];
    if (!number)
        return 0;
    *did = true;
    char enc[64], url[TW_URL_MAX], path[128];
    struct bw_http_response resp = { .struct_size = sizeof resp };
    if (bwsdk_url_encode(number, strlen(number), false, enc, sizeof enc, NULL) != 0)
        return bwsdk_error(err, BW_E_INVAL, NULL, "number too long");
    snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PhoneNumber=%s",
             in->api_base, in->account_sid, enc);
    int rc = tw_http_form(in, call, "GET", url, NULL, &resp, err);
    if (rc == 0)
        rc = tw_map_error(&resp, err);
    cJSON *list = NULL, *a = NULL;
    if (rc == 0 && bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, &list) != 0)
        rc = bwsdk_error(err, BW_E_REMOTE, NULL, "Twilio's answer is not JSON");
    const char *pn = NULL;
    if (rc == 0) {
        const cJSON *first =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(list, "incoming_phone_numbers"), 0);
        pn = bwsdk_json_string_or(first, "sid", NULL);
        if (!pn)
            rc = bwsdk_error(err, BW_E_CONFIG, NULL,
                             "a configured number is not one of the account's numbers");
    }
    if (rc == 0) {
        struct bwsdk_form f = { 0 };
        snprintf(path, sizeof path, "/v1/Services/%s/PhoneNumbers", svc);
        rc = bwsdk_form_add(&f, "PhoneNumberSid", pn);
        if (rc == 0)
            rc = tw_a2p_call(in, call, "POST", path, &f, &a, err);
        bwsdk_form_free(&f);
        /* 21710: already in the service (attached by hand meanwhile). */
        if (rc == BW_E_INVAL && err && strcmp(err->provider_code, "21710") == 0)
            rc = 0;
    }
    if (rc == 0)
        rc = tw_a2p_add_number(st, number);
    cJSON_Delete(a);
    cJSON_Delete(list);
    return rc;
}

/* Replaces st[part][key] with a copy of v (nothing when v is NULL). */
static int tw_a2p_set(cJSON *st, const char *part, const char *key, const cJSON *v)
{
    if (!v)
        return 0;
    cJSON *o = cJSON_GetObjectItemCaseSensitive(st, part);
    if (!cJSON_IsObject(o)) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, part);
        if (!(o = cJSON_AddObjectToObject(st, part)))
            return BW_E_NOMEM;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON *c = cJSON_Duplicate(v, 1);
    if (!c || !cJSON_AddItemToObject(o, key, c)) {
        cJSON_Delete(c);
        return BW_E_NOMEM;
    }
    return 0;
}

/* Reads the service, its campaigns, its numbers (and a brand registered
 * elsewhere) from Twilio into st. */
static int tw_a2p_refresh(struct tw_instance *in, struct bw_call *call, cJSON *st,
                          struct bw_error *err)
{
    const char *svc = tw_sub(st, "service", "sid");
    if (!svc && in->messaging_service_sid[0]) {
        cJSON *a = cJSON_CreateObject();
        int rc = a && cJSON_AddStringToObject(a, "sid", in->messaging_service_sid)
                     ? tw_a2p_record(st, "service", a, "status")
                     : BW_E_NOMEM;
        cJSON_Delete(a);
        if (rc != 0)
            return rc;
        svc = tw_sub(st, "service", "sid");
    }
    if (!svc)
        return 0;
    char sid[64], path[160];
    snprintf(sid, sizeof sid, "%s", svc);
    cJSON *a = NULL;
    snprintf(path, sizeof path, "/v1/Services/%s", sid);
    int rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
    if (rc == 0)
        rc = tw_a2p_set(st, "service", "friendly_name",
                        cJSON_GetObjectItemCaseSensitive(a, "friendly_name"));
    if (rc == 0)
        rc = tw_a2p_set(st, "service", "us_app_to_person_registered",
                        cJSON_GetObjectItemCaseSensitive(a, "us_app_to_person_registered"));
    cJSON_Delete(a);
    a = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "/v1/Services/%s/Compliance/Usa2p", sid);
        rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
    }
    if (rc == 0) {
        /* The campaign registered here, else the service's first one. */
        const char *want = tw_sub(st, "campaign", "sid");
        const cJSON *c, *pick = NULL;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(a, "compliance"))
        {
            const char *csid = bwsdk_json_string_or(c, "sid", "");
            if (!pick || (want && strcmp(csid, want) == 0))
                pick = c;
        }
        if (pick) {
            rc = tw_a2p_record(st, "campaign", pick, "campaign_status");
            static const char *const keys[] = { "campaign_id", "us_app_to_person_usecase",
                                                "rate_limits" };
            for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
                rc = tw_a2p_set(st, "campaign", keys[i],
                                cJSON_GetObjectItemCaseSensitive(pick, keys[i]));
            const char *bsid = bwsdk_json_string_or(pick, "brand_registration_sid", NULL);
            if (rc == 0 && bsid && !tw_sub(st, "brand", "sid")) {
                cJSON *b = cJSON_CreateObject();
                rc = b && cJSON_AddStringToObject(b, "sid", bsid)
                         ? tw_a2p_record(st, "brand", b, "status")
                         : BW_E_NOMEM;
                cJSON_Delete(b);
            }
        }
    }
    cJSON_Delete(a);
    a = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "/v1/Services/%s/PhoneNumbers?PageSize=50", sid);
        rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
    }
    if (rc == 0) {
        cJSON *nums = cJSON_CreateArray();
        const cJSON *n;
        cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(a, "phone_numbers"))
        {
            const char *pn = bwsdk_json_string_or(n, "phone_number", NULL);
            cJSON *s = pn ? cJSON_CreateString(pn) : NULL;
            if (nums && s && !cJSON_AddItemToArray(nums, s))
                cJSON_Delete(s);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(st, "numbers");
        if (!nums || !cJSON_AddItemToObject(st, "numbers", nums)) {
            cJSON_Delete(nums);
            rc = BW_E_NOMEM;
        }
    }
    cJSON_Delete(a);
    a = NULL;
    /* A brand registered elsewhere: its status (registration polls its own). */
    const char *bsid = tw_sub(st, "brand", "sid");
    if (rc == 0 && bsid && !in->a2p_register) {
        snprintf(path, sizeof path, "/v1/a2p/BrandRegistrations/%s", bsid);
        rc = tw_a2p_call(in, call, "GET", path, NULL, &a, err);
        if (rc == 0)
            rc = tw_a2p_record(st, "brand", a, "status");
        if (rc == 0)
            rc = tw_a2p_set(st, "brand", "failure_reason",
                            cJSON_GetObjectItemCaseSensitive(a, "failure_reason"));
        cJSON_Delete(a);
    }
    return rc;
}

static bool tw_a2p_verified(const cJSON *st)
{
    const char *status = tw_sub(st, "campaign", "status");
    return status && strcmp(status, "VERIFIED") == 0;
}

double tw_a2p_rate(double mps, uint32_t n_numbers)
{
    if (mps <= 0)
        return 0;
    double r = mps / (double)(n_numbers ? n_numbers : 1);
    return r < 1 ? 1 : r;
}

/* Caches what sends need from st: approval, attached numbers, pacing. */
static void tw_a2p_apply(struct tw_instance *in, const cJSON *st, int64_t now_us)
{
    bool ok = tw_a2p_verified(st);
    uint64_t mask = 0;
    uint32_t n_attached = 0;
    for (uint32_t i = 0; i < in->n_numbers && i < 64; i++)
        if (tw_a2p_attached(st, in->numbers[i]))
            mask |= UINT64_C(1) << i;
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(st, "numbers"))
    {
        n_attached++;
    }
    const cJSON *mps = bwsdk_json_path(st, "campaign.rate_limits.att.mps");
    double rate = ok && cJSON_IsNumber(mps) ? tw_a2p_rate(mps->valuedouble, n_attached) : 0;
    pthread_mutex_lock(&in->lock);
    in->a2p_approved_cache = ok ? 1 : 0;
    in->a2p_attached = mask;
    in->a2p_checked_us = now_us;
    in->rate_per_s = rate > 0 ? rate : in->cfg_rate_per_s;
    in->burst = rate > in->cfg_burst ? rate : in->cfg_burst;
    pthread_mutex_unlock(&in->lock);
}

/* The report: the state, each number with whether it is attached, and what
 * happens to a send from it. */
static int tw_a2p_report(struct tw_instance *in, const cJSON *st, cJSON **out)
{
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return BW_E_NOMEM;
    static const char *const parts[] = { "brand", "service", "campaign" };
    bool verified = tw_a2p_verified(st);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(st, parts[i]);
        cJSON *c = p ? cJSON_Duplicate(p, 1) : cJSON_CreateNull();
        if (!c || !cJSON_AddItemToObject(r, parts[i], c)) {
            cJSON_Delete(c);
            rc = BW_E_NOMEM;
        }
    }
    cJSON *nums = rc == 0 ? cJSON_AddArrayToObject(r, "numbers") : NULL;
    if (!nums)
        rc = BW_E_NOMEM;
    uint32_t n_ok = 0;
    for (uint32_t i = 0; rc == 0 && i < in->n_numbers; i++) {
        bool att = tw_a2p_attached(st, in->numbers[i]);
        n_ok += att && verified;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "number", in->numbers[i]) ||
            !cJSON_AddBoolToObject(o, "attached", att) ||
            !cJSON_AddStringToObject(o, "sending",
                                     att && verified ? "allowed"
                                     : in->a2p_required ? "blocked"
                                                        : "warned") ||
            !cJSON_AddItemToArray(nums, o)) {
            cJSON_Delete(o);
            rc = BW_E_NOMEM;
        }
    }
    const cJSON *mps = bwsdk_json_path(st, "campaign.rate_limits.att.mps");
    double rate = verified && cJSON_IsNumber(mps)
                      ? tw_a2p_rate(mps->valuedouble,
                                    (uint32_t)cJSON_GetArraySize(
                                        cJSON_GetObjectItemCaseSensitive(st, "numbers")))
                      : 0;
    if (rc == 0 &&
        (!cJSON_AddBoolToObject(r, "registered", verified && n_ok == in->n_numbers) ||
         !cJSON_AddBoolToObject(r, "required", in->a2p_required) ||
         !cJSON_AddBoolToObject(r, "registering", in->a2p_register) ||
         !cJSON_AddNumberToObject(r, "send_rate_per_number", rate > 0 ? rate : in->cfg_rate_per_s) ||
         !cJSON_AddStringToObject(r, "send_rate_from", rate > 0 ? "campaign" : "config")))
        rc = BW_E_NOMEM;
    if (rc != 0) {
        cJSON_Delete(r);
        return rc;
    }
    *out = r;
    return 0;
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
    rc = 0;
    if (in->a2p_register) {
        rc = tw_a2p_brand(in, call, st, &did, err);
        if (rc == 0 && !did)
            rc = tw_a2p_service(in, call, st, &did, err);
        if (rc == 0 && !did)
            rc = tw_a2p_attach(in, call, st, &did, err);
        if (rc == 0 && !did)
            rc = tw_a2p_campaign(in, call, st, &did, err);
    }
    if (rc == 0)
        rc = tw_a2p_refresh(in, call, st, err);
    /* What was learnt before a failure is kept. */
    int src = tw_a2p_save(in, call, st);
    if (rc == 0 && src != 0)
        rc = bwsdk_error(err, src, NULL, "cannot store the A2P state");
    tw_a2p_apply(in, st, in->host->mono_us());
    cJSON *report = NULL;
    if (out && rc == 0 && (rc = tw_a2p_report(in, st, &report)) == 0)
        rc = bwsdk_json_emit(in->host, out, report);
    cJSON_Delete(report);
    cJSON_Delete(st);
    return rc;
}

int tw_a2p_allows(struct tw_instance *in, struct bw_call *call, const char *number,
                  bool *on_campaign)
{
    int64_t now = in->host->mono_us();
    pthread_mutex_lock(&in->lock);
    bool fresh = in->a2p_checked_us && now - in->a2p_checked_us < TW_A2P_CACHE_US;
    pthread_mutex_unlock(&in->lock);
    if (!fresh) {
        int rc;
        cJSON *st = tw_a2p_load(in, call, &rc);
        if (!st && in->a2p_required)
            return rc;
        if (!st) {
            /* No storage to read: not on a campaign as far as we know. */
            *on_campaign = false;
            return 0;
        }
        tw_a2p_apply(in, st, now);
        cJSON_Delete(st);
    }
    pthread_mutex_lock(&in->lock);
    bool ok = in->a2p_approved_cache == 1;
    if (ok && number) {
        bool att = false;
        for (uint32_t i = 0; i < in->n_numbers && i < 64; i++)
            if (strcmp(in->numbers[i], number) == 0)
                att = (in->a2p_attached >> i) & 1u;
        ok = att;
    }
    pthread_mutex_unlock(&in->lock);
    if (!ok && !fresh)
        in->host->log(call, in->a2p_required ? BW_LOG_INFO : BW_LOG_WARN,
                      "%s sends from a number not on a verified A2P 10DLC campaign",
                      in->a2p_required ? "refusing" : "carriers may filter");
    *on_campaign = ok;
    return 0;
}
