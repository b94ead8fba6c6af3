/*
 * A scripted evaluation world for one test (case_world.h).
 */
#include "support/case_world.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_http.h"
#include "eval/eval_world_internal.h"
#include "support/daemon_proc.h"
#include "support/testfiles.h"

/* The clinic at path with the members of catalog_json (or NULL) added. */
static cJSON *load_clinic(const char *path, const char *catalog_json)
{
    char err[512];
    cJSON *clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    cJSON *extra = catalog_json ? cJSON_Parse(catalog_json) : NULL;
    for (cJSON *m = extra ? extra->child : NULL; m; m = m->next)
        cJSON_AddItemToObject(clinic, m->string, cJSON_Duplicate(m, true));
    cJSON_Delete(extra);
    return clinic;
}

/* The case text loaded through a case file, as the evaluation reads one. */
static void load_case(struct eval_case *c, const char *case_json)
{
    char err[512], path[] = "/tmp/bw-case-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    size_t n = strlen(case_json);
    cr_assert_eq(write(fd, case_json, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(eval_case_load(path, c, err, sizeof err), 0, "%s", err);
    unlink(path);
}

void case_world_start(struct case_world *cw, const struct case_world_opts *o)
{
    char err[512], path[1024];
    memset(cw, 0, sizeof *cw);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    test_clinic_path(path, sizeof path, "glow");
    cw->clinic = load_clinic(path, o->catalog_json);
    load_case(&cw->c, o->case_json);
    struct eval_world_opts wo = { .builddir = builddir ? builddir : ".",
                                  .srcdir = srcdir ? srcdir : "..",
                                  .conninfo = getenv("BW_TEST_PG"),
                                  .emr = o->emr ? o->emr : "local",
                                  .clinic_path = path, .clinic = cw->clinic,
                                  .staff_phone = o->staff_phone, .state_rules = o->state_rules };
    cr_assert_not_null(wo.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&cw->world, &wo, &cw->c, err, sizeof err), 0, "%s", err);
    cw->db = PQconnectdb(cw->world->db);
    cr_assert_eq(PQstatus(cw->db), CONNECTION_OK, "%s", PQerrorMessage(cw->db));
}

void case_world_stop(struct case_world *cw, bool check_rules)
{
    char err[512];
    if (check_rules && cw->world)
        cr_expect_eq(eval_world_check_rules(cw->world, err, sizeof err), 0, "%s", err);
    if (cw->db)
        PQfinish(cw->db);
    cw->db = NULL;
    if (cw->world)
        eval_world_stop(cw->world);
    cw->world = NULL;
    eval_case_free(&cw->c);
    cJSON_Delete(cw->clinic);
    cw->clinic = NULL;
}

const struct eval_patient_def *case_world_patient(const struct case_world *cw, const char *id)
{
    for (size_t i = 0; i < cw->c.n_patients; i++)
        if (strcmp(cw->c.patients[i].id, id) == 0)
            return &cw->c.patients[i];
    cr_assert_fail("no patient %s", id);
    return NULL;
}

void case_world_steps(struct case_world *cw, int from, int to)
{
    char err[512];
    for (int i = from; i < to; i++) {
        const cJSON *s = cJSON_GetArrayItem(cw->c.script, i);
        cr_assert_not_null(s, "step %d", i + 1);
        const char *as = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "as"));
        const struct eval_patient_def *p = as ? case_world_patient(cw, as) : &cw->c.patients[0];
        cr_assert_eq(eval_world_step(cw->world, s, p, err, sizeof err), 0, "step %d: %s", i + 1,
                     err);
    }
}

void case_world_observe(struct case_world *cw, const struct eval_patient_def *p,
                        struct eval_patient_obs *obs)
{
    char err[512];
    cr_assert_eq(eval_world_observe(cw->world, p, obs, err, sizeof err), 0, "%s", err);
    for (size_t k = 0; getenv("BW_DRIVER_TRACE") && k < obs->n_sent; k++)
        fprintf(stderr, "%s sent[%zu]: %s\n", p->id, k, obs->sent[k].text);
}

char *case_world_scalar(const struct case_world *cw, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(cw->db, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(cw->db));
    char *v = PQntuples(r) ? strdup(PQgetvalue(r, 0, 0)) : strdup("");
    PQclear(r);
    return v;
}

size_t case_world_step_as(struct case_world *cw, int i, size_t patient,
                          struct eval_patient_obs *obs)
{
    char err[512];
    cr_assert_lt(patient, cw->c.n_patients, "no patient %zu", patient);
    const cJSON *s = cJSON_GetArrayItem(cw->c.script, i);
    cr_assert_eq(eval_world_step(cw->world, s, &cw->c.patients[patient], err, sizeof err), 0,
                 "step %d: %s", i + 1, err);
    case_world_observe(cw, &cw->c.patients[patient], obs);
    return obs->n_sent;
}

void case_world_api_key(const struct case_world *cw, char *header, size_t cap, char *key_id,
                        size_t id_cap)
{
    char url[256];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/admin/tenants/glow/api-keys", cw->world->admin_url);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(eval_http_json("POST", url, h, NULL, &r, &j), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "api_key"));
    cr_assert_not_null(key);
    snprintf(header, cap, "Authorization: Bearer %s", key);
    if (key_id) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "key_id"));
        snprintf(key_id, id_cap, "%s", id ? id : "");
    }
    cJSON_Delete(j);
    eval_resp_free(&r);
}

long case_world_call(const struct case_world *cw, const char *method, const char *path,
                     const char *auth, const char *body, cJSON **json, char **text)
{
    char url[512];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s%s", cw->world->public_url, path);
    const char *h[] = { "Content-Type: application/json", auth, NULL };
    cr_assert_eq(eval_http(method, url, auth ? h : NULL, body, body ? strlen(body) : 0, &r), 0,
                 "%s %s", method, path);
    if (json)
        *json = cJSON_Parse(r.body ? r.body : "");
    if (text)
        *text = strdup(r.body ? r.body : "");
    long status = r.status;
    eval_resp_free(&r);
    return status;
}
