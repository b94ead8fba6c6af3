/*
 * bookwell plugins list|reload|rollback: the plugin registry of a running
 * daemon. list prints the loaded plugins, the bindings with their instance
 * state and generation, and the live generations; reload and rollback print
 * what was published, or every binding that failed (exit 1) while the
 * current generation goes on serving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_list(const cJSON *reply)
{
    static const char *const plugin_cols[] = { "id", "version", "kind", "abi_built",
                                               "abi_required", "state", "instances", NULL };
    static const char *const binding_cols[] = { "tenant", "plugin", "version", "state",
                                                "generation", "opened_in", "in_flight", NULL };
    static const char *const gen_cols[] = { "generation", "state", "instances", "pins", NULL };
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(reply, "previous_generation");
    printf("generation %.0f", num_of(reply, "generation"));
    if (cJSON_IsNumber(prev))
        printf(" (rollback to %.0f possible for %.0f s)", prev->valuedouble,
               num_of(reply, "rollback_window_left_ms") / 1000.0);
    fputs("\n\nplugins\n", stdout);
    output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "plugins"), plugin_cols,
                 "no plugins loaded");
    fputs("\nbindings\n", stdout);
    output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "bindings"), binding_cols,
                 "no tenant binds a plugin");
    const cJSON *retired = cJSON_GetObjectItemCaseSensitive(reply, "retired_instances");
    if (cJSON_GetArraySize(retired) > 0) {
        fputs("\nretired instances\n", stdout);
        output_table(stdout, retired, binding_cols, "");
    }
    fputs("\ngenerations\n", stdout);
    output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "generations"), gen_cols,
                 "none");
}

static void print_failures(FILE *out, const cJSON *reply)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(reply, "failures"))
    {
        const char *tenant = str_of(f, "tenant"), *plugin = str_of(f, "plugin");
        fputs("  ", out);
        if (tenant[0]) {
            output_clean(out, tenant);
            fputs(" ", out);
            output_clean(out, plugin);
            fputs(": ", out);
        }
        output_clean(out, str_of(f, "message"));
        fputc('\n', out);
    }
}

static void print_result(const cJSON *reply, const char *what)
{
    const cJSON *changed = cJSON_GetObjectItemCaseSensitive(reply, "changed");
    if (!cJSON_IsTrue(changed)) {
        printf("%s: nothing changed; generation %.0f serving\n", what,
               num_of(reply, "generation"));
        return;
    }
    printf("%s: generation %.0f published in %.0f ms (replaced %.0f", what,
           num_of(reply, "generation"), num_of(reply, "published_ms"),
           num_of(reply, "replaced"));
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(reply, "restored")))
        printf("; instances of generation %.0f serve again", num_of(reply, "restored"));
    fputs(")\n", stdout);
}

static int plugins_request(const struct admin_client *ac, const struct cli_opts *o,
                           const char *method, const char *path, const char *what)
{
    struct admin_reply r;
    if (admin_request(ac, method, path, NULL, &r) != 0) {
        fprintf(stderr, "bookwell: cannot reach the admin listener at %s: %s\n", ac->url, r.error);
        return CLI_UNREACHABLE;
    }
    int rc = r.status >= 200 && r.status <= 299 ? CLI_OK : CLI_REFUSED;
    cJSON *reply = cJSON_ParseWithLength(r.body, r.len);
    if (o->json && reply) {
        fwrite(r.body, 1, r.len, rc == CLI_OK ? stdout : stderr);
        fputc('\n', rc == CLI_OK ? stdout : stderr);
    } else if (!reply) {
        fprintf(stderr, "bookwell: the daemon's reply (HTTP %ld) is not JSON\n", r.status);
        rc = CLI_REFUSED;
    } else if (rc != CLI_OK) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(reply, "error");
        fputs("bookwell: ", stderr);
        output_clean(stderr, str_of(err, "message"));
        fprintf(stderr, " (HTTP %ld, ", r.status);
        output_clean(stderr, str_of(err, "code"));
        fputs(")\n", stderr);
        print_failures(stderr, reply);
    } else if (!what) {
        print_list(reply);
    } else {
        print_result(reply, what);
    }
    cJSON_Delete(reply);
    admin_reply_free(&r);
    return rc;
}

int cli_plugins_list(const struct admin_client *ac, const struct cli_opts *o)
{
    return plugins_request(ac, o, "GET", "/admin/plugins", NULL);
}

int cli_plugins_reload(const struct admin_client *ac, const struct cli_opts *o)
{
    return plugins_request(ac, o, "POST", "/admin/plugins/reload", "reload");
}

int cli_plugins_rollback(const struct admin_client *ac, const struct cli_opts *o)
{
    return plugins_request(ac, o, "POST", "/admin/plugins/rollback", "rollback");
}
