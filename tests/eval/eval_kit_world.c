/*
 * An evaluation world on the kit clinic and an inline case
 * (eval_kit_world.h): the case is written to a temporary file for
 * eval_case_load, which reads cases from files.
 */
#include "eval/eval_kit_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_http.h"
#include "eval/eval_world_internal.h"
#include "support/daemon_proc.h"

static int load_case(const char *json, struct eval_case *c, char *err, size_t cap)
{
    char cpath[] = "/tmp/bw-eval-case-XXXXXX";
    int fd = mkstemp(cpath);
    if (fd < 0) {
        snprintf(err, cap, "cannot write the case to a temporary file");
        return -1;
    }
    size_t n = strlen(json);
    bool written = write(fd, json, n) == (ssize_t)n;
    close(fd);
    int rc = written ? eval_case_load(cpath, c, err, cap) : -1;
    if (!written)
        snprintf(err, cap, "cannot write the case to %s", cpath);
    unlink(cpath);
    return rc;
}

int eval_kit_world_start(struct eval_kit_world *k, const char *case_json, char *err, size_t cap)
{
    char path[512];
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    memset(k, 0, sizeof *k);
    snprintf(path, sizeof path, "%s/tests/data/kit/clinic.json", srcdir ? srcdir : "..");
    k->clinic = eval_read_json(path, err, cap);
    if (!k->clinic || load_case(case_json, &k->c, err, cap) != 0)
        return -1;
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = k->clinic };
    if (!o.conninfo) {
        snprintf(err, cap, "BW_TEST_PG is not set");
        return -1;
    }
    return eval_world_start(&k->w, &o, &k->c, err, cap);
}

void eval_kit_world_stop(struct eval_kit_world *k)
{
    eval_world_stop(k->w);
    k->w = NULL;
    eval_case_free(&k->c);
    cJSON_Delete(k->clinic);
    k->clinic = NULL;
}

int eval_kit_api_key(struct eval_kit_world *k, const char *tenant, char *header, size_t cap,
                     char *key_id, size_t id_cap, char *err, size_t err_cap)
{
    char url[256];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/admin/tenants/%s/api-keys", k->w->admin_url, tenant);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    if (eval_http_json("POST", url, h, NULL, &r, &j) != 0) {
        snprintf(err, err_cap, "POST %s failed", url);
        return -1;
    }
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "api_key"));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "key_id"));
    int rc = r.status == 201 && key && id ? 0 : -1;
    if (rc == 0) {
        snprintf(header, cap, "Authorization: Bearer %s", key);
        if (key_id)
            snprintf(key_id, id_cap, "%s", id);
    } else {
        snprintf(err, err_cap, "POST %s: %ld %s", url, r.status, r.body ? r.body : "");
    }
    cJSON_Delete(j);
    eval_resp_free(&r);
    return rc;
}

long eval_kit_api(struct eval_kit_world *k, const char *method, const char *path, const char *auth,
                  const char *extra, const char *body, cJSON **json)
{
    char url[512];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s%s", k->w->public_url, path);
    const char *h[] = { "Content-Type: application/json", auth ? auth : extra, auth ? extra : NULL,
                        NULL };
    if (json)
        *json = NULL;
    if (eval_http(method, url, h, body, body ? strlen(body) : 0, &r) != 0)
        return -1;
    if (json)
        *json = cJSON_Parse(r.body ? r.body : "");
    long status = r.status;
    eval_resp_free(&r);
    return status;
}
