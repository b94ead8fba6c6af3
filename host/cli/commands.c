/*
 * The operator CLI's commands: each is one admin request and a printer for
 * its reply. Errors from the daemon are its own JSON messages, printed on
 * stderr with the HTTP status; nothing here retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

typedef void (*printer_fn)(const cJSON *reply, const void *arg);

static int report_error(const struct admin_reply *r)
{
    cJSON *o = cJSON_ParseWithLength(r->body, r->len);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
    fputs("bookwell: ", stderr);
    if (cJSON_IsString(msg)) {
        output_clean(stderr, msg->valuestring);
        fprintf(stderr, " (HTTP %ld", r->status);
        if (cJSON_IsString(code)) {
            fputs(", ", stderr);
            output_clean(stderr, code->valuestring);
        }
        fputs(")\n", stderr);
    } else {
        fprintf(stderr, "the daemon answered HTTP %ld\n", r->status);
    }
    cJSON_Delete(o);
    return CLI_REFUSED;
}

static int run(const struct admin_client *ac, const struct cli_opts *o, const char *method,
               const char *path, const char *body, printer_fn print, const void *arg)
{
    struct admin_reply r;
    if (admin_request(ac, method, path, body, &r) != 0) {
        fprintf(stderr, "bookwell: cannot reach the admin listener at %s: %s\n", ac->url, r.error);
        return CLI_UNREACHABLE;
    }
    int rc = CLI_OK;
    if (r.status < 200 || r.status > 299) {
        rc = report_error(&r);
    } else if (o->json) {
        fwrite(r.body, 1, r.len, stdout);
        if (r.len == 0 || r.body[r.len - 1] != '\n')
            fputc('\n', stdout);
    } else {
        cJSON *reply = cJSON_ParseWithLength(r.body, r.len);
        if (!reply) {
            fprintf(stderr, "bookwell: the daemon's reply (HTTP %ld) is not JSON\n", r.status);
            rc = CLI_REFUSED;
        } else {
            print(reply, arg);
        }
        cJSON_Delete(reply);
    }
    admin_reply_free(&r);
    return rc;
}

static void print_fields(const cJSON *reply, const void *arg)
{
    (void)arg;
    output_fields(stdout, reply);
}

int cli_status(const struct admin_client *ac, const struct cli_opts *o)
{
    return run(ac, o, "GET", "/admin/status", NULL, print_fields, NULL);
}

static void print_tenants(const cJSON *reply, const void *arg)
{
    static const char *const cols[] = { "id", "name", "timezone", "country", NULL };
    (void)arg;
    output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "tenants"), cols,
                 "no tenants configured");
}

int cli_tenants(const struct admin_client *ac, const struct cli_opts *o)
{
    return run(ac, o, "GET", "/admin/tenants", NULL, print_tenants, NULL);
}

static void print_new_key(const cJSON *reply, const void *arg)
{
    (void)arg;
    output_fields(stdout, reply);
    fputs("The key is shown only this once: store it now.\n", stderr);
}

int cli_api_key_create(const struct admin_client *ac, const struct cli_opts *o, const char *tenant)
{
    char seg[256], path[320];
    if (admin_escape_segment(tenant, seg, sizeof seg) != 0) {
        fprintf(stderr, "bookwell: tenant id too long\n");
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/admin/tenants/%s/api-keys", seg);
    cJSON *body = cJSON_CreateObject();
    if (!body || (o->label && !cJSON_AddStringToObject(body, "label", o->label))) {
        cJSON_Delete(body);
        fprintf(stderr, "bookwell: out of memory\n");
        return CLI_REFUSED;
    }
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text) {
        fprintf(stderr, "bookwell: out of memory\n");
        return CLI_REFUSED;
    }
    int rc = run(ac, o, "POST", path, text, print_new_key, NULL);
    free(text);
    return rc;
}

struct revoked {
    const char *tenant, *key_id;
};

static void print_revoked(const cJSON *reply, const void *arg)
{
    const struct revoked *r = arg;
    (void)reply;
    fputs("revoked key ", stdout);
    output_clean(stdout, r->key_id);
    fputs(" of tenant ", stdout);
    output_clean(stdout, r->tenant);
    fputc('\n', stdout);
}

int cli_api_key_revoke(const struct admin_client *ac, const struct cli_opts *o, const char *tenant,
                       const char *key_id)
{
    char seg_t[256], seg_k[256], path[600];
    if (admin_escape_segment(tenant, seg_t, sizeof seg_t) != 0 ||
        admin_escape_segment(key_id, seg_k, sizeof seg_k) != 0) {
        fprintf(stderr, "bookwell: tenant or key id too long\n");
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/admin/tenants/%s/api-keys/%s", seg_t, seg_k);
    struct revoked r = { tenant, key_id };
    return run(ac, o, "DELETE", path, NULL, print_revoked, &r);
}

/* The counts by state, then either the table by kind (the overview) or the
 * parked jobs with their last errors. */
static void print_jobs(const cJSON *reply, const void *arg)
{
    static const char *const job_cols[] = { "id",       "tenant_id", "kind",      "state",
                                            "attempts", "run_at",    "last_error", NULL };
    static const char *const kind_cols[] = { "kind", "queued", "running", "parked", "done", NULL };
    const struct cli_opts *o = arg;
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(reply, "counts");
    if (cJSON_IsObject(counts)) {
        output_fields(stdout, counts);
        fputc('\n', stdout);
    }
    if (o->parked) {
        output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "jobs"), job_cols,
                     "no parked jobs");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(reply, "next_after");
        if (cJSON_IsNumber(next))
            fputs("(more parked jobs than shown)\n", stdout);
    } else {
        output_table(stdout, cJSON_GetObjectItemCaseSensitive(reply, "kinds"), kind_cols,
                     "no jobs");
    }
}

int cli_jobs(const struct admin_client *ac, const struct cli_opts *o)
{
    return run(ac, o, "GET", o->parked ? "/admin/jobs?state=parked" : "/admin/jobs", NULL,
               print_jobs, o);
}

static void print_erased(const cJSON *reply, const void *arg)
{
    (void)arg;
    output_fields(stdout, reply);
}

int cli_contact_erase(const struct admin_client *ac, const struct cli_opts *o, const char *tenant,
                      const char *contact)
{
    char seg_t[256], seg_c[800], path[1200];
    if (admin_escape_segment(tenant, seg_t, sizeof seg_t) != 0 ||
        admin_escape_segment(contact, seg_c, sizeof seg_c) != 0) {
        fprintf(stderr, "bookwell: tenant or contact too long\n");
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/admin/tenants/%s/contacts/%s/erase", seg_t, seg_c);
    return run(ac, o, "POST", path, NULL, print_erased, NULL);
}

/* ------------------------------------------------------------ tenant import */

#define IMPORT_MAX_BYTES (1024 * 1024)

static void print_import(const cJSON *reply, const void *arg)
{
    (void)arg;
    output_fields(stdout, reply);
}

int cli_tenant_import(const struct admin_client *ac, const struct cli_opts *o, const char *file,
                      const char *tenant)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "bookwell: cannot open %s\n", file);
        return CLI_USAGE;
    }
    char *text = malloc(IMPORT_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, IMPORT_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text || n > IMPORT_MAX_BYTES) {
        free(text);
        fprintf(stderr, "bookwell: %s is larger than 1 MiB\n", file);
        return CLI_USAGE;
    }
    text[n] = 0;
    cJSON *doc = cJSON_ParseWithLength(text, n);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    if (!doc || (!tenant && !cJSON_IsString(id))) {
        cJSON_Delete(doc);
        free(text);
        fprintf(stderr, "bookwell: %s is not a clinic document (JSON with an \"id\")\n", file);
        return CLI_USAGE;
    }
    char seg[256], path[320];
    int rc = CLI_USAGE;
    if (admin_escape_segment(tenant ? tenant : id->valuestring, seg, sizeof seg) != 0) {
        fprintf(stderr, "bookwell: tenant id too long\n");
    } else {
        snprintf(path, sizeof path, "/admin/tenants/%s/catalog", seg);
        rc = run(ac, o, "POST", path, text, print_import, NULL);
    }
    cJSON_Delete(doc);
    free(text);
    return rc;
}
