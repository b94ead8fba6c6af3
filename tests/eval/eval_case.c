/*
 * Loading evaluation cases and clinics (eval_case.h).
 */
#include "eval/eval_case.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "eval/eval_json.h"

cJSON *eval_read_json(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "cannot open %s", path);
        return NULL;
    }
    size_t size = 0, alloc = 1 << 16;
    char *buf = malloc(alloc);
    while (buf) {
        size_t n = fread(buf + size, 1, alloc - size - 1, f);
        size += n;
        if (n == 0)
            break;
        if (size + 1 == alloc) {
            char *bigger = alloc < (64u << 20) ? realloc(buf, alloc * 2) : NULL;
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            alloc *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, cap, "%s is too large", path);
        return NULL;
    }
    buf[size] = '\0';
    cJSON *doc = cJSON_Parse(buf);
    if (!doc)
        snprintf(err, cap, "%s is not valid JSON (near byte %ld)", path,
                 cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - buf) : -1L);
    free(buf);
    return doc;
}

int eval_case_load(const char *path, struct eval_case *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->doc = eval_read_json(path, err, cap);
    if (!c->doc)
        return -1;
    c->id = eval_str_of(c->doc, "id");
    c->clinic = eval_str_of(c->doc, "clinic");
    c->now = eval_str_of(c->doc, "now");
    c->script = cJSON_GetObjectItemCaseSensitive(c->doc, "script");
    c->expect = cJSON_GetObjectItemCaseSensitive(c->doc, "expect");
    const cJSON *patients = cJSON_GetObjectItemCaseSensitive(c->doc, "patients");
    if (!c->id || !c->clinic || !c->now || strlen(c->now) < 16 || !cJSON_IsArray(c->script) ||
        !cJSON_IsObject(c->expect) || !cJSON_IsArray(patients)) {
        snprintf(err, cap, "%s lacks id, clinic, now, patients, script or expect", path);
        goto fail;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, patients) {
        if (c->n_patients == EVAL_PATIENTS_MAX) {
            snprintf(err, cap, "more than %d patients", EVAL_PATIENTS_MAX);
            goto fail;
        }
        struct eval_patient_def *d = &c->patients[c->n_patients++];
        d->id = eval_str_of(p, "id");
        d->channel = eval_str_of(p, "channel");
        d->phone = eval_str_of(p, "phone");
        d->ig_user = eval_str_of(p, "ig_user");
        d->visitor = eval_str_of(p, "visitor");
        bool ok = d->id && d->channel &&
                  ((strcmp(d->channel, "sms") == 0 && d->phone) ||
                   (strcmp(d->channel, "instagram") == 0 && d->ig_user) ||
                   (strcmp(d->channel, "webchat") == 0 && d->visitor));
        if (!ok) {
            snprintf(err, cap, "patient %s: unknown channel or missing identity",
                     d->id ? d->id : "?");
            goto fail;
        }
    }
    if (c->n_patients == 0) {
        snprintf(err, cap, "no patients");
        goto fail;
    }
    const cJSON *step;
    cJSON_ArrayForEach(step, c->script) {
        if (!eval_case_step_patient(c, step)) {
            snprintf(err, cap, "a step acts as an unknown patient");
            goto fail;
        }
    }
    return 0;
fail:
    eval_case_free(c);
    return -1;
}

void eval_case_free(struct eval_case *c)
{
    cJSON_Delete(c->doc);
    memset(c, 0, sizeof *c);
}

const struct eval_patient_def *eval_case_step_patient(const struct eval_case *c,
                                                      const cJSON *step)
{
    const char *as = eval_str_of(step, "as");
    if (!as)
        return c->n_patients ? &c->patients[0] : NULL;
    for (size_t i = 0; i < c->n_patients; i++)
        if (strcmp(c->patients[i].id, as) == 0)
            return &c->patients[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **eval_list_cases(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 64;
    char **paths = malloc(cap * sizeof *paths);
    struct dirent *e;
    while (paths && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            char **more = realloc(paths, cap * 2 * sizeof *paths);
            if (!more)
                break;
            paths = more;
            cap *= 2;
        }
        size_t need = strlen(dir) + len + 2;
        paths[*n] = malloc(need);
        if (!paths[*n])
            break;
        snprintf(paths[*n], need, "%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (paths)
        qsort(paths, *n, sizeof *paths, cmp_str);
    return paths;
}
