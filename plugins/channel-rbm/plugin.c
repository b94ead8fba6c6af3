/*
 * channel.rbm: the descriptor, configuration schema, instance lifecycle,
 * capabilities and route keys (the RBM agent id, which every user event
 * names). Credentials for the RBM API: Google's service-account flow (a
 * JWT signed with the account's RSA key, exchanged at oauth2.googleapis.com)
 * needs RSA signing, which neither the host's services nor a plugin offer;
 * so the binding gives either an OAuth2 access_token directly or a
 * token_url that hands one out in the GCE metadata server's format
 * ({"access_token","expires_in","token_type"}, asked with the header
 * "Metadata-Flavor: Google"), as the metadata server or a token sidecar
 * does. A fetched token is cached in kv until shortly before it expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "rbm.h"

#define F(type, flags, key, def, desc, min, max) \
    { sizeof(struct bw_config_field), type, flags, 0, key, def, desc, min, max }

static const struct bw_config_field rbm_config[] = {
    F(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "client_token", NULL,
      "webhook clientToken from the Business Communications console (X-Goog-Signature key)", 0, 0),
    F(BW_CFG_STRING, BW_CFG_F_REQUIRED, "agent_id", NULL,
      "RBM agent id as user events name it, e.g. glow-spa@rbm.goog", 0, 0),
    F(BW_CFG_SECRET, 0, "access_token", NULL,
      "OAuth2 access token for the RBM API (or set token_url)", 0, 0),
    F(BW_CFG_STRING, 0, "token_url", NULL,
      "endpoint handing out access tokens in the GCE metadata format (or set access_token)", 0, 0),
    F(BW_CFG_STRING, 0, "base_url", "https://rcsbusinessmessaging.googleapis.com",
      "RBM API origin (regional: us-, europe-, asia-; tests redirect it)", 0, 0),
};

const struct bw_host *rbm_host;

static int rbm_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    rbm_host = host;
    *state = NULL;
    return 0;
}

static int rbm_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                    struct bw_error *err)
{
    (void)state;
    struct rbm_instance *in = calloc(1, sizeof *in);
    const char *why = "client_token and agent_id are needed";
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    if (host->secret(call, "client_token", &in->client_token) != 0 ||
        host->config_string(call, "agent_id", &in->agent_id) != 0 ||
        host->config_string(call, "base_url", &in->base_url) != 0 || in->client_token.len == 0 ||
        in->agent_id.len == 0 || in->agent_id.len > 128 || in->base_url.len == 0 ||
        in->base_url.len > 512)
        goto bad;
    for (uint64_t i = 0; i < in->agent_id.len; i++) {
        char c = in->agent_id.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@'))
            goto bad;
    }
    if (host->secret(call, "access_token", &in->access_token) != 0)
        in->access_token = (struct bw_str){ "", 0 };
    if (host->config_string(call, "token_url", &in->token_url) != 0)
        in->token_url = (struct bw_str){ "", 0 };
    why = "exactly one of access_token and token_url is needed";
    if ((in->access_token.len == 0) == (in->token_url.len == 0) || in->token_url.len > 1024)
        goto bad;
    *out = in;
    return 0;
bad:
    free(in);
    return bwsdk_error(err, BW_E_CONFIG, NULL, "%s", why);
}

static void rbm_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

static int rbm_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_CHANNEL_CAP_RBM;
    return 0;
}

static int rbm_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                          struct bw_error *err)
{
    struct rbm_instance *in = instance;
    (void)call;
    cJSON *root = cJSON_CreateObject();
    cJSON *keys = root ? cJSON_AddArrayToObject(root, "keys") : NULL;
    cJSON *k = keys ? cJSON_CreateObject() : NULL;
    int rc = BW_E_NOMEM;
    if (k) {
        cJSON_AddItemToArray(keys, k);
        if (cJSON_AddStringToObject(k, "type", "account") &&
            bwsdk_json_add_strn(k, "value", in->agent_id.ptr, in->agent_id.len) == 0)
            rc = bwsdk_json_emit(in->host, out, root);
    }
    cJSON_Delete(root);
    return rc ? bwsdk_error(err, rc, NULL, "cannot list route keys") : 0;
}

static const struct bw_channel_ops rbm_ops = {
    .struct_size = sizeof(struct bw_channel_ops),
    .capabilities = rbm_capabilities,
    .route_keys = rbm_route_keys,
    .webhook = rbm_webhook,
    .send = rbm_send,
    .webhook_route = rbm_webhook_route,
};

static const struct bw_plugin_descriptor rbm_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1, /* webhook_route */
    .kind = BW_KIND_CHANNEL,
    .id = "channel.rbm",
    .version = "1.0.0",
    .description = "Google RCS Business Messaging (the Google channel)",
    .n_config = sizeof rbm_config / sizeof rbm_config[0],
    .config = rbm_config,
    .init = rbm_init,
    .instance_open = rbm_open,
    .instance_close = rbm_close,
    .ops = &rbm_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    if (host_major != BW_ABI_MAJOR || host_minor < 1)
        return NULL;
    return &rbm_descriptor;
}
