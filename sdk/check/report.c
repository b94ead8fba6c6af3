/*
 * The kit's reporting and call plumbing: one line per check (PASS name,
 * FAIL name: why, SKIP name: why) with counts, op calls made on the pinned
 * instance through the registry's call setup, their output parsed, and
 * every failure code recorded so that the error-codes check can say whether
 * the plugin only ever returned BW_E_* codes with its error filled. Also
 * the checks every kind shares: descriptor, config schema, health.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "plugin_config.h"
#include "plugin_loader.h"

void kit_pass(struct kit *k, const char *name)
{
    k->passed++;
    printf("PASS %s\n", name);
    fflush(stdout);
}

void kit_fail(struct kit *k, const char *name, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    /* One line per check, whatever the plugin's messages hold. */
    for (char *c = why; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    k->failed++;
    printf("FAIL %s: %s\n", name, why);
    fflush(stdout);
}

void kit_skip(struct kit *k, const char *name, const char *why)
{
    k->skipped++;
    printf("SKIP %s: %s\n", name, why);
    fflush(stdout);
}

void kit_result_free(struct kit_result *r)
{
    free(r->text);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

void kit_call_begin(struct kit *k, struct bw_call *call, struct bw_buf **out)
{
    snprintf(k->rid, sizeof k->rid, "kit-%s-%u", k->run_id, ++k->seq);
    registry_call_begin(&k->h, call, k->rid, KIT_CALL_TIMEOUT_MS);
    *out = plugin_buf_new(0);
}

void kit_call_end(struct kit *k, struct bw_call *call, struct bw_buf *out,
                  struct kit_result *r, const char *op)
{
    registry_call_end(&k->h, call);
    uint64_t len = 0;
    const char *data = out ? plugin_buf_data(out, &len) : NULL;
    if (r->rc == 0 && data && len) {
        r->text = strndup(data, (size_t)len);
        /* The buffer is NUL-terminated; a NUL inside it is not JSON. */
        r->json = strlen(data) == len ? cJSON_ParseWithOpts(data, NULL, 1) : NULL;
        r->parse_error = r->json == NULL;
    }
    plugin_buf_free(out);
    r->err.message[sizeof r->err.message - 1] = 0;
    r->err.provider_code[sizeof r->err.provider_code - 1] = 0;
    if (r->rc > 0 || r->rc < BW_E_MIN) {
        if (!k->bad_codes++)
            snprintf(k->bad_code_what, sizeof k->bad_code_what, "%s returned %d, not a BW_E_* code",
                     op, r->rc);
    } else if (r->rc != 0 && r->err.code != r->rc) {
        if (!k->bad_codes++)
            snprintf(k->bad_code_what, sizeof k->bad_code_what,
                     "%s returned %s but set err.code to %d", op, bw_strerror(r->rc), r->err.code);
    }
}

struct bw_json kit_json(const char *schema, const char *text)
{
    return (struct bw_json){ schema, (const uint8_t *)text, strlen(text) };
}

void kit_key(struct kit *k, char out[64])
{
    snprintf(out, 64, "kit-%s-key-%u", k->run_id, ++k->seq);
}

const char *kit_rc_text(const struct kit_result *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s", bw_strerror(r->rc), r->err.message[0] ? ": " : "",
             r->err.message);
    return out;
}

void kit_check_descriptor(struct kit *k, uint32_t want_kind)
{
    const struct bw_plugin_descriptor *d = k->desc;
    if (d->kind != want_kind) {
        kit_fail(k, "descriptor", "%s is a %s plugin, not %s", d->id,
                 plugin_kind_name(d->kind) ? plugin_kind_name(d->kind) : "unknown",
                 plugin_kind_name(want_kind));
        return;
    }
    if (!d->description || !d->description[0]) {
        kit_fail(k, "descriptor", "no description (one line for --describe-plugin)");
        return;
    }
    if (d->flags & ~BW_PLUGIN_F_SERIAL) {
        kit_fail(k, "descriptor", "unknown flags 0x%x", d->flags & ~BW_PLUGIN_F_SERIAL);
        return;
    }
    printf("# %s %s (ABI %u.%u, requires 1.%u): %s\n", d->id, d->version, d->abi_major,
           d->abi_minor, d->abi_minor_required, d->description);
    kit_pass(k, "descriptor");
}

/* Keys that name credentials must be secret references, never literals: a
 * key that is, or ends in "_" and, one of the words below ("auth_token",
 * "client_secret", "api_key"). Where a credential lives is no credential:
 * "token_url" and "secret_manager_project" are plain strings. */
static bool looks_secret(const char *key)
{
    static const char *const words[] = { "secret", "password", "token", "api_key", "apikey",
                                         "private_key", "signing_key", "passphrase", NULL };
    size_t n = strlen(key);
    for (size_t i = 0; words[i]; i++) {
        size_t w = strlen(words[i]);
        if (n >= w && strcmp(key + n - w, words[i]) == 0 && (n == w || key[n - w - 1] == '_'))
            return true;
    }
    return false;
}

void kit_check_schema(struct kit *k)
{
    const struct bw_plugin_descriptor *d = k->desc;
    for (uint32_t i = 0; i < d->n_config; i++) {
        const struct bw_config_field *f = plugin_schema_field(d, i);
        if (!f->description || !f->description[0]) {
            kit_fail(k, "config_schema", "key '%s' has no description", f->key);
            return;
        }
        if (looks_secret(f->key) && f->type != BW_CFG_SECRET) {
            kit_fail(k, "config_schema", "key '%s' holds a credential but is not BW_CFG_SECRET",
                     f->key);
            return;
        }
    }
    kit_pass(k, "config_schema");
}

void kit_check_health(struct kit *k)
{
    if (!k->desc->health) {
        kit_skip(k, "health", "no health op");
        return;
    }
    struct bw_call call;
    struct bw_buf *out;
    struct kit_result r = { .err.struct_size = sizeof r.err };
    kit_call_begin(k, &call, &out);
    r.rc = k->desc->health(k->h.instance, &call, out, &r.err);
    kit_call_end(k, &call, out, &r, "health");
    char why[400];
    if (r.rc != 0)
        kit_fail(k, "health", "%s", kit_rc_text(&r, why, sizeof why));
    else if (r.parse_error || (r.json && !cJSON_IsObject(r.json)))
        kit_fail(k, "health", "wrote something that is not a JSON object (health/1)");
    else
        kit_pass(k, "health");
    kit_result_free(&r);
}

void kit_check_error_codes(struct kit *k)
{
    if (k->bad_codes)
        kit_fail(k, "error_codes", "%s (%d such result(s))", k->bad_code_what, k->bad_codes);
    else
        kit_pass(k, "error_codes");
}
