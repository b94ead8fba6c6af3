/*
 * ai.openai: the ai kind's complete op over any OpenAI-compatible Chat
 * Completions endpoint (OpenAI, Azure OpenAI, vLLM, llama.cpp server,
 * Ollama). request/1 becomes POST <base_url>/chat/completions with the
 * instance's model, max_tokens and temperature (the request's own values
 * win when set), the tools as {"type":"function","function":{...}}; the
 * first choice's message becomes response/1: its text, its tool calls with
 * their JSON-text arguments parsed (left as the provider's text when that is
 * not a JSON object, which the host refuses), and the usage reported. 429
 * and 5xx answers are retried with backoff (Retry-After when given) while
 * the call's deadline leaves room; each attempt is bounded by the
 * instance's timeout. The API key is a secret reference and goes out only
 * in the configured header.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bookwell-sdk/json.h>
#include <bookwell-sdk/sdk.h>
#include <bookwell/abi_layout.h>
#include <bookwell/ai.h>

#include "openai_wire.h"

#define OA_ID "ai.openai"
#define OA_VERSION "1.0.0"
#define OA_ATTEMPTS 3
#define OA_BACKOFF_MS 250

struct oa_instance {
    const struct bw_host *host;
    char base_url[256];
    char model[128];
    char key_header[64];
    int64_t timeout_ms;
    int64_t max_tokens;
    double temperature;
};

static const struct bw_config_field oa_config[] = {
    { sizeof(struct bw_config_field), BW_CFG_STRING, BW_CFG_F_REQUIRED, 0, "base_url", NULL,
      "the API root that /chat/completions is under (https://api.openai.com/v1)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, BW_CFG_F_REQUIRED, 0, "model", NULL,
      "the model (or Azure deployment) name", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_SECRET, 0, 0, "api_key", NULL,
      "API key as env:NAME or file:PATH; unset for endpoints without one", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "auth_header", "Authorization",
      "Authorization (sent as Bearer) or the header that takes the bare key (api-key)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_DURATION, 0, 0, "timeout", "8s",
      "the longest one attempt may take", 100, 120000 },
    { sizeof(struct bw_config_field), BW_CFG_INT, 0, 0, "max_output", "300",
      "the most tokens a reply may use", 16, 4096 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "temperature", "0.2",
      "sampling temperature, 0 to 2", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_BOOL, 0, 0, "baa", "false",
      "a business associate agreement covers this endpoint (the host reads it)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "input_usd_per_mtok", "0",
      "price of a million input tokens in US dollars (the host's cost accounting)", 0, 0 },
    { sizeof(struct bw_config_field), BW_CFG_STRING, 0, 0, "output_usd_per_mtok", "0",
      "price of a million output tokens in US dollars", 0, 0 },
};

static int copy_config(const struct bw_host *h, struct bw_call *call, const char *key, char *dst,
                       size_t cap)
{
    struct bw_str s;
    if (h->config_string(call, key, &s) != 0 || s.len == 0)
        return BW_E_CONFIG;
    return bwsdk_strlcpy(dst, cap, s.ptr, (size_t)s.len) == 0 ? 0 : BW_E_CONFIG;
}

static int oa_open(const struct bw_host *host, void *state, struct bw_call *call, void **instance,
                   struct bw_error *err)
{
    (void)state;
    struct oa_instance *in = calloc(1, sizeof *in);
    char temp[32];
    if (!in)
        return BW_E_NOMEM;
    in->host = host;
    if (copy_config(host, call, "base_url", in->base_url, sizeof in->base_url) ||
        copy_config(host, call, "model", in->model, sizeof in->model) ||
        copy_config(host, call, "auth_header", in->key_header, sizeof in->key_header) ||
        copy_config(host, call, "temperature", temp, sizeof temp) ||
        host->config_duration_ms(call, "timeout", &in->timeout_ms) != 0 ||
        host->config_int(call, "max_output", &in->max_tokens) != 0)
        goto config;
    if (strncmp(in->base_url, "https://", 8) != 0 && strncmp(in->base_url, "http://", 7) != 0)
        goto config;
    size_t bl = strlen(in->base_url);
    if (in->base_url[bl - 1] == '/')
        in->base_url[bl - 1] = 0;
    char *end;
    errno = 0;
    in->temperature = strtod(temp, &end);
    if (errno || *end || in->temperature < 0 || in->temperature > 2)
        goto config;
    *instance = in;
    return 0;
config:
    free(in);
    return bwsdk_error(err, BW_E_CONFIG, NULL,
                       "base_url (an http(s) URL) and model must be set; temperature is 0 to 2");
}

static void oa_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

/* Waits ms (bounded by the call's deadline); BW_E_TIMEOUT when the wait
 * would pass it. */
static int oa_wait(const struct bw_host *h, struct bw_call *call, int64_t ms)
{
    if (h->deadline_ms(call) <= ms + 100)
        return BW_E_TIMEOUT;
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return h->check(call);
}

/* One POST of body; on 2xx, *parsed gets the answer. */
static int oa_post(struct oa_instance *in, struct bw_call *call, const char *body, cJSON **parsed,
                   struct bw_error *err)
{
    const struct bw_host *h = in->host;
    char url[320], auth[1024];
    struct bw_str key = { NULL, 0 };
    struct bw_http_header hdrs[3] = {
        { { "Content-Type", 12 }, { "application/json", 16 } },
        { { "Accept", 6 }, { "application/json", 16 } },
    };
    uint64_t nh = 2;
    *parsed = NULL;
    snprintf(url, sizeof url, "%s/chat/completions", in->base_url);
    if (h->secret(call, "api_key", &key) == 0 && key.len > 0) {
        bool bearer = strcmp(in->key_header, "Authorization") == 0;
        int n = snprintf(auth, sizeof auth, "%s%.*s", bearer ? "Bearer " : "", (int)key.len,
                         key.ptr);
        if (n < 0 || (size_t)n >= sizeof auth)
            return bwsdk_error(err, BW_E_CONFIG, NULL, "api_key too long");
        hdrs[nh++] = (struct bw_http_header){ { in->key_header, strlen(in->key_header) },
                                              { auth, (uint64_t)n } };
    }
    int64_t left = h->deadline_ms(call);
    struct bw_http_request req = {
        .struct_size = sizeof req,
        .method = "POST",
        .url = url,
        .headers = hdrs,
        .n_headers = nh,
        .body = { (const uint8_t *)body, strlen(body) },
        .timeout_ms = left < in->timeout_ms ? 0 : in->timeout_ms,
    };
    struct bw_http_response resp = { .struct_size = sizeof resp };
    int rc = h->http(call, &req, &resp, err);
    memset(auth, 0, sizeof auth);
    if (rc != 0)
        return rc;
    rc = bwsdk_http_status_error(&resp, err);
    if (rc != 0)
        return rc;
    if (bwsdk_json_parse_bytes(resp.body.ptr, resp.body.len, parsed) != 0 || !cJSON_IsObject(*parsed)) {
        cJSON_Delete(*parsed);
        *parsed = NULL;
        return bwsdk_error(err, BW_E_REMOTE, NULL, "the endpoint answered %d without JSON",
                           resp.status);
    }
    return 0;
}

static int oa_complete(void *instance, struct bw_call *call, const struct bw_json *req,
                       struct bw_buf *out, struct bw_error *err)
{
    struct oa_instance *in = instance;
    const struct bw_host *h = in->host;
    cJSON *rq = NULL, *body = NULL, *answer = NULL, *res = NULL;
    char *text = NULL;
    int rc = bwsdk_json_parse(req, BW_SCHEMA_AI_REQUEST, &rq);
    if (rc != 0)
        return bwsdk_error(err, rc, NULL, "request/1 expected");
    struct oa_defaults def = { in->model, in->max_tokens, in->temperature };
    if ((rc = oa_chat_body(rq, &def, &body)) != 0 || !(text = cJSON_PrintUnformatted(body))) {
        rc = bwsdk_error(err, rc ? rc : BW_E_NOMEM, NULL, "cannot build the chat request");
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        rc = oa_post(in, call, text, &answer, err);
        if (rc != BW_E_RETRY || attempt + 1 >= OA_ATTEMPTS)
            break;
        int64_t wait = err->retry_after_ms > 0 ? err->retry_after_ms : OA_BACKOFF_MS << attempt;
        if (oa_wait(h, call, wait) != 0)
            break; /* no room left in the turn: report the 429/5xx */
        h->log(call, BW_LOG_WARN, "chat completion answered a retryable status; attempt %d", attempt + 2);
    }
    if (rc != 0)
        goto out;
    if ((rc = oa_response(answer, &res)) != 0) {
        rc = bwsdk_error(err, rc, NULL, "the chat completion is out of shape");
        goto out;
    }
    rc = bwsdk_json_emit(h, out, res);
out:
    cJSON_free(text);
    cJSON_Delete(rq);
    cJSON_Delete(body);
    cJSON_Delete(answer);
    cJSON_Delete(res);
    return rc;
}

static const struct bw_ai_ops oa_ops = {
    .struct_size = sizeof(struct bw_ai_ops),
    .complete = oa_complete,
};

static const struct bw_plugin_descriptor oa_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_AI,
    .id = OA_ID,
    .version = OA_VERSION,
    .description = "Any OpenAI-compatible Chat Completions endpoint as the conversation's model",
    .n_config = sizeof oa_config / sizeof oa_config[0],
    .config = oa_config,
    .instance_open = oa_open,
    .instance_close = oa_close,
    .ops = &oa_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_minor;
    if (host_major != BW_ABI_MAJOR)
        return NULL;
    return &oa_descriptor;
}
