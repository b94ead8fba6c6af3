/*
 * Calls into plugins: the life of a struct bw_call, host-owned result
 * buffers (bounded, always NUL-terminated), and reading an instance's
 * configuration values by key.
 */
#include "plugin_call.h"

#include <stdlib.h>
#include <string.h>

#define BUF_DEFAULT_MAX (16u << 20)

struct bw_buf {
    char *data;
    uint64_t len;
    uint64_t cap;
    uint64_t max;
};

struct bw_buf *plugin_buf_new(uint64_t max)
{
    struct bw_buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->max = max ? max : BUF_DEFAULT_MAX;
    return b;
}

void plugin_buf_free(struct bw_buf *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}

void plugin_buf_reset(struct bw_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

const char *plugin_buf_data(const struct bw_buf *b, uint64_t *len)
{
    if (len)
        *len = b->len;
    return b->data ? b->data : "";
}

/* Services-table entry points for buffers (also used by the host itself). */
int plugin_buf_append(struct bw_buf *b, const void *data, uint64_t len)
{
    if (!b || (!data && len))
        return BW_E_INVAL;
    if (len > b->max - b->len)
        return BW_E_NOMEM;
    if (b->len + len + 1 > b->cap) {
        uint64_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return BW_E_NOMEM;
        b->data = grown;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int plugin_buf_truncate(struct bw_buf *b, uint64_t len)
{
    if (!b)
        return BW_E_INVAL;
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
    return 0;
}

int plugin_buf_view(const struct bw_buf *b, struct bw_bytes *out)
{
    if (!b || !out)
        return BW_E_INVAL;
    out->ptr = (const uint8_t *)(b->data ? b->data : "");
    out->len = b->len;
    return 0;
}

struct bw_buf *plugin_buf_scratch(struct bw_call *call)
{
    if (!call || call->n_scratch >= PLUGIN_CALL_MAX_SCRATCH)
        return NULL;
    struct bw_buf *b = plugin_buf_new(0);
    if (b)
        call->scratch[call->n_scratch++] = b;
    return b;
}

void plugin_call_begin(struct bw_call *call, const char *tenant_id, const char *plugin_id,
                       const char *request_id)
{
    memset(call, 0, sizeof *call);
    call->tenant_id = tenant_id;
    call->plugin_id = plugin_id;
    call->request_id = request_id;
}

void *plugin_call_own(struct bw_call *call, void *block)
{
    if (!block)
        return NULL;
    if (call->n_owned < PLUGIN_CALL_MAX_OWNED) {
        call->owned[call->n_owned++] = block;
        return block;
    }
    if (call->n_more == call->cap_more) {
        uint32_t cap = call->cap_more ? call->cap_more * 2 : 64;
        void **grown = cap <= PLUGIN_CALL_MAX_OWNED_TOTAL - PLUGIN_CALL_MAX_OWNED
                           ? realloc(call->more, cap * sizeof *grown)
                           : NULL;
        if (!grown) {
            free(block);
            return NULL;
        }
        call->more = grown;
        call->cap_more = cap;
    }
    call->more[call->n_more++] = block;
    return block;
}

void plugin_call_end(struct bw_call *call)
{
    for (uint32_t i = 0; i < call->n_scratch; i++)
        plugin_buf_free(call->scratch[i]);
    for (uint32_t i = 0; i < call->n_owned; i++)
        free(call->owned[i]);
    for (uint32_t i = 0; i < call->n_more; i++)
        free(call->more[i]);
    free(call->more);
    call->more = NULL;
    call->n_scratch = call->n_owned = call->n_more = call->cap_more = 0;
}

const struct plugin_config_value *plugin_config_get(const struct plugin_config *cfg,
                                                    const char *key)
{
    if (!cfg || !key)
        return NULL;
    for (uint32_t i = 0; i < cfg->n; i++)
        if (cfg->values[i].field && cfg->values[i].field->key &&
            strcmp(cfg->values[i].field->key, key) == 0)
            return &cfg->values[i];
    return NULL;
}

void plugin_config_free(struct plugin_config *cfg)
{
    if (!cfg)
        return;
    for (uint32_t i = 0; i < cfg->n; i++) {
        struct plugin_config_value *v = &cfg->values[i];
        if (v->text) {
            memset(v->text, 0, strlen(v->text));
            free(v->text);
        }
        for (uint32_t k = 0; k < v->n_items; k++)
            free(v->items[k]);
        free(v->items);
    }
    free(cfg->values);
    cfg->values = NULL;
    cfg->n = 0;
}
