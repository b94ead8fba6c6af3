/*
 * channel.instagram: the descriptor, configuration schema, instance
 * lifecycle, capabilities and route keys (the Instagram professional
 * account ids the instance answers for), and the per-user record of the
 * last inbound message that the messaging windows are measured from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

#include "instagram.h"

#define F(type, flags, key, def, desc, min, max) \
    { sizeof(struct bw_config_field), type, flags, 0, key, def, desc, min, max }

static const struct bw_config_field ig_config[] = {
    F(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "app_secret", NULL,
      "Meta app secret: key of the X-Hub-Signature-256 webhook signature", 0, 0),
    F(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "verify_token", NULL,
      "token Meta echoes in the webhook subscription handshake (hub.verify_token)", 0, 0),
    F(BW_CFG_SECRET, BW_CFG_F_REQUIRED, "access_token", NULL,
      "Instagram user access token for the Send API (Bearer)", 0, 0),
    F(BW_CFG_LIST, BW_CFG_F_REQUIRED, "account_ids", NULL,
      "Instagram professional account ids (IG ids) this binding answers for", 1, IG_MAX_ACCOUNTS),
    F(BW_CFG_STRING, 0, "graph_version", "v21.0", "Graph API version in request paths", 0, 0),
    F(BW_CFG_STRING, 0, "base_url", "https://graph.instagram.com",
      "Graph API origin (tests redirect it through the host's base URL override)", 0, 0),
};

/* The services table, for webhook_route, which runs bound to no instance.
 * Set by init on the control thread before any op can run. */
const struct bw_host *ig_host;

static int ig_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    ig_host = host;
    *state = NULL;
    return 0;
}

bool ig_account_known(const struct ig_instance *in, const char *id, size_t len)
{
    for (uint32_t i = 0; i < in->n_accounts; i++)
        if (in->accounts[i].len == len && memcmp(in->accounts[i].ptr, id, len) == 0)
            return true;
    return false;
}

static bool printable_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

int ig_last_in_key(const char *account, const char *user, char *out, size_t cap)
{
    if (!printable_id(account) || !printable_id(user))
        return BW_E_INVAL;
    int n = snprintf(out, cap, "last_in/%s/%s", account, user);
    return n < 0 || (size_t)n >= cap || n > 200 ? BW_E_INVAL : 0;
}

int ig_last_in_get(const struct ig_instance *in, struct bw_call *call, const char *account,
                   const char *user, int64_t *at_us, bool *found, char *raw, size_t raw_cap)
{
    char key[256];
    int32_t f = 0;
    struct bw_bytes v;
    *found = false;
    int rc = ig_last_in_key(account, user, key, sizeof key);
    if (rc != 0)
        return rc;
    struct bw_buf *buf = in->host->buf_scratch(call);
    if (!buf)
        return BW_E_NOMEM;
    if ((rc = in->host->kv_get(call, key, buf, &f)) != 0)
        return rc;
    if (!f)
        return 0;
    if ((rc = in->host->buf_view(buf, &v)) != 0)
        return rc;
    /* "seconds.micros" (a bare microsecond count, written before, reads too). */
    int64_t secs = 0, frac = 0;
    int frac_digits = -1;
    if (v.len == 0 || v.len > 24)
        return BW_E_INVAL;
    for (uint64_t i = 0; i < v.len; i++) {
        if (v.ptr[i] == '.' && frac_digits < 0) {
            frac_digits = 0;
            continue;
        }
        if (v.ptr[i] < '0' || v.ptr[i] > '9' || frac_digits >= 6)
            return BW_E_INVAL;
        if (frac_digits >= 0) {
            frac = frac * 10 + (v.ptr[i] - '0');
            frac_digits++;
        } else {
            secs = secs * 10 + (v.ptr[i] - '0');
        }
    }
    for (int i = frac_digits < 0 ? 6 : frac_digits; i < 6; i++)
        frac *= 10;
    *at_us = frac_digits < 0 ? secs : secs * 1000000 + frac;
    if (raw && raw_cap) {
        size_t n = v.len < raw_cap - 1 ? (size_t)v.len : raw_cap - 1;
        memcpy(raw, v.ptr, n);
        raw[n] = '\0';
    }
    *found = true;
    return 0;
}

static int ig_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                   struct bw_error *err)
{
    (void)state;
    struct ig_instance *in = calloc(1, sizeof *in);
    if (!in)
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    in->host = host;
    if (host->secret(call, "app_secret", &in->app_secret) != 0 ||
        host->secret(call, "verify_token", &in->verify_token) != 0 ||
        host->secret(call, "access_token", &in->access_token) != 0 ||
        host->config_string(call, "graph_version", &in->graph_version) != 0 ||
        host->config_string(call, "base_url", &in->base_url) != 0 ||
        host->config_list_count(call, "account_ids", &in->n_accounts) != 0)
        goto bad;
    if (in->app_secret.len == 0 || in->verify_token.len == 0 || in->access_token.len == 0 ||
        in->n_accounts == 0 || in->n_accounts > IG_MAX_ACCOUNTS)
        goto bad;
    for (uint32_t i = 0; i < in->n_accounts; i++) {
        if (host->config_list_item(call, "account_ids", i, &in->accounts[i]) != 0 ||
            in->accounts[i].len == 0 || in->accounts[i].len > 64)
            goto bad;
        for (uint64_t k = 0; k < in->accounts[i].len; k++)
            if (in->accounts[i].ptr[k] < '0' || in->accounts[i].ptr[k] > '9')
                goto bad;
    }
    if (in->base_url.len == 0 || in->base_url.len > 512 || in->graph_version.len == 0 ||
        in->graph_version.len > 16)
        goto bad;
    *out = in;
    return 0;
bad:
    free(in);
    return bwsdk_error(err, BW_E_CONFIG, NULL,
                       "app_secret, verify_token, access_token and numeric account_ids are needed");
}

static void ig_close(void *state, void *instance)
{
    (void)state;
    free(instance);
}

static int ig_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_CHANNEL_CAP_INSTAGRAM;
    return 0;
}

static int ig_route_keys(void *instance, struct bw_call *call, struct bw_buf *out,
                         struct bw_error *err)
{
    struct ig_instance *in = instance;
    (void)call;
    cJSON *root = cJSON_CreateObject();
    cJSON *keys = root ? cJSON_AddArrayToObject(root, "keys") : NULL;
    int rc = BW_E_NOMEM;
    if (!keys)
        goto done;
    for (uint32_t i = 0; i < in->n_accounts; i++) {
        cJSON *k = cJSON_CreateObject();
        if (!k)
            goto done;
        cJSON_AddItemToArray(keys, k);
        if (!cJSON_AddStringToObject(k, "type", "account") ||
            bwsdk_json_add_strn(k, "value", in->accounts[i].ptr, in->accounts[i].len) != 0)
            goto done;
    }
    rc = bwsdk_json_emit(in->host, out, root);
done:
    cJSON_Delete(root);
    return rc ? bwsdk_error(err, rc, NULL, "cannot list route keys") : 0;
}

static const struct bw_channel_ops ig_ops = {
    .struct_size = sizeof(struct bw_channel_ops),
    .capabilities = ig_capabilities,
    .route_keys = ig_route_keys,
    .webhook = ig_webhook,
    .send = ig_send,
    .webhook_route = ig_webhook_route,
};

static const struct bw_plugin_descriptor ig_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 1, /* webhook_route, kv_put_if */
    .kind = BW_KIND_CHANNEL,
    .id = "channel.instagram",
    .version = "1.0.0",
    .description = "Instagram direct messages (Meta Instagram Messaging API)",
    .n_config = sizeof ig_config / sizeof ig_config[0],
    .config = ig_config,
    .init = ig_init,
    .instance_open = ig_open,
    .instance_close = ig_close,
    .ops = &ig_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    if (host_major != BW_ABI_MAJOR || host_minor < 1)
        return NULL;
    return &ig_descriptor;
}
