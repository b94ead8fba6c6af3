/*
 * bw-eval: the evaluation runner (scripts/eval wraps it). Runs each case
 * of ../shared/eval/README.md's format end to end against a fresh world
 * (eval_world.h) and prints one line per case, PASS, FAIL with what
 * differed, or SKIP with why, then "N passed, M failed" (", K skipped").
 * Exit status 0 only when none failed.
 *
 * Usage: bw-eval --builddir DIR --srcdir DIR --pg CONNINFO [--emr NAME]
 *                [--ai openai --ai-url URL --ai-model NAME [--ai-key-env VAR]
 *                 [--ai-timeout DURATION] [--ai-baa]]
 *                [--report FILE] [--verbose] CLINIC.json CASE.json|DIR ...
 * --ai openai binds ai.openai to the endpoint (its API root, ".../v1"), so
 * the corpus runs with that model guarded by the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_json.h"
#include "eval/eval_stored.h"
#include "eval/eval_world.h"

struct tally {
    int passed, failed, skipped;
};

/* Runs the case's script and checks it; 0 pass, -1 fail (why), 1 skip. */
static int run_case(const struct eval_world_opts *o, const struct eval_case *c, cJSON *report,
                    char *why, size_t cap)
{
    struct eval_world *w = NULL;
    struct eval_stored stored = { 0 };
    int rc = -1;
    if (eval_world_start(&w, o, c, why, cap) != 0)
        return -1;
    if (eval_world_lacks(w, c, why, cap)) {
        rc = 1;
        goto out;
    }
    int n = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, c->script) {
        char step_err[512];
        n++;
        if (eval_world_step(w, step, eval_case_step_patient(c, step), step_err, sizeof step_err) != 0) {
            snprintf(why, cap, "step %d: %s", n, step_err);
            goto out;
        }
    }
    for (size_t i = 0; i < c->n_patients; i++) {
        const struct eval_patient_def *p = &c->patients[i];
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c->expect, p->id);
        struct eval_patient_obs obs;
        char sub[512];
        if (eval_world_observe(w, p, &obs, sub, sizeof sub) != 0) {
            snprintf(why, cap, "%s: %s", p->id, sub);
            goto out;
        }
        if (expect && eval_check_patient(expect, &obs, sub, sizeof sub) != 0) {
            snprintf(why, cap, "%s: %s", p->id, sub);
            goto out;
        }
    }
    if (eval_world_check_rules(w, why, cap) != 0)
        goto out;
    char sub[512];
    if (eval_world_stored(w, &stored, sub, sizeof sub) != 0) {
        snprintf(why, cap, "reading what was stored: %s", sub);
        goto out;
    }
    const char *where = eval_stored_find_card(&stored);
    if (where) {
        snprintf(why, cap, "rule 5: a card number is stored in %s", where);
        goto out;
    }
    for (size_t i = 0; i < c->n_patients; i++) {
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c->expect, c->patients[i].id);
        const cJSON *needle;
        cJSON_ArrayForEach(needle, cJSON_GetObjectItemCaseSensitive(expect, "stored_exclude")) {
            if (cJSON_IsString(needle) && (where = eval_stored_find(&stored, needle->valuestring))) {
                snprintf(why, cap, "%s: \"%s\" is stored in %s", c->patients[i].id,
                         needle->valuestring, where);
                goto out;
            }
        }
    }
    rc = 0;
out:
    if (report) {
        cJSON *t = eval_world_transcript(w);
        if (t)
            cJSON_AddItemToObject(report, "transcript", t);
    }
    eval_stored_free(&stored);
    eval_world_stop(w);
    return rc;
}

static void one_case(const struct eval_world_opts *o, const char *path, cJSON *reports,
                     struct tally *t)
{
    struct eval_case c;
    char why[1024] = "";
    cJSON *report = reports ? cJSON_CreateObject() : NULL;
    int rc;
    const char *clinic_id = eval_str_of(o->clinic, "id");
    if (eval_case_load(path, &c, why, sizeof why) != 0) {
        rc = -1;
        const char *slash = strrchr(path, '/');
        printf("FAIL %s: %s\n", slash ? slash + 1 : path, why);
        t->failed++;
        cJSON_AddStringToObject(report, "case", path);
    } else {
        if (!clinic_id || strcmp(c.clinic, clinic_id) != 0) {
            snprintf(why, sizeof why, "case is for clinic %s, not %s", c.clinic,
                     clinic_id ? clinic_id : "?");
            rc = 1;
        } else {
            rc = run_case(o, &c, report, why, sizeof why);
        }
        if (rc == 0) {
            printf("PASS %s\n", c.id);
            t->passed++;
        } else if (rc > 0) {
            printf("SKIP %s: %s\n", c.id, why);
            t->skipped++;
        } else {
            printf("FAIL %s: %s\n", c.id, why);
            t->failed++;
        }
        cJSON_AddStringToObject(report, "case", c.id);
        eval_case_free(&c);
    }
    fflush(stdout);
    if (report) {
        cJSON_AddStringToObject(report, "result", rc == 0 ? "pass" : rc > 0 ? "skip" : "fail");
        if (rc != 0)
            cJSON_AddStringToObject(report, "why", why);
        cJSON_AddItemToArray(reports, report);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bw-eval --builddir DIR --srcdir DIR --pg CONNINFO [--emr NAME] "
                    "[--ai openai --ai-url URL --ai-model NAME [--ai-key-env VAR] [--ai-timeout D] "
                    "[--ai-baa]] [--report FILE] [--verbose] CLINIC.json CASE.json|DIR ...\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct eval_world_opts o = { .emr = "local" };
    const char *report_path = NULL, *ai = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--verbose") == 0) {
            o.verbose = true;
            continue;
        }
        if (strcmp(a, "--ai-baa") == 0) {
            o.ai_baa = true;
            continue;
        }
        if (!v)
            return usage();
        if (strcmp(a, "--builddir") == 0)
            o.builddir = v;
        else if (strcmp(a, "--srcdir") == 0)
            o.srcdir = v;
        else if (strcmp(a, "--pg") == 0)
            o.conninfo = v;
        else if (strcmp(a, "--emr") == 0)
            o.emr = v;
        else if (strcmp(a, "--report") == 0)
            report_path = v;
        else if (strcmp(a, "--ai") == 0 && strcmp(v, "openai") == 0)
            ai = v;
        else if (strcmp(a, "--ai-url") == 0)
            o.ai_url = v;
        else if (strcmp(a, "--ai-model") == 0)
            o.ai_model = v;
        else if (strcmp(a, "--ai-key-env") == 0)
            o.ai_key_env = v;
        else if (strcmp(a, "--ai-timeout") == 0)
            o.ai_timeout = v;
        else
            return usage();
        i++;
    }
    if (!o.builddir || !o.srcdir || !o.conninfo || argc - i < 2)
        return usage();
    /* The model's options go together: --ai names the plugin, the rest its endpoint. */
    if ((ai != NULL) != (o.ai_url != NULL) || (ai && !o.ai_model))
        return usage();
    char err[512];
    cJSON *clinic = eval_read_json(argv[i], err, sizeof err);
    if (!clinic || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(clinic, "id"))) {
        fprintf(stderr, "bw-eval: %s\n", clinic ? "the clinic has no id" : err);
        return 2;
    }
    o.clinic_path = argv[i++];
    o.clinic = clinic;

    struct tally t = { 0 };
    cJSON *reports = report_path ? cJSON_CreateArray() : NULL;
    for (; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t n;
            char **paths = eval_list_cases(argv[i], &n);
            for (size_t k = 0; k < n; k++) {
                one_case(&o, paths[k], reports, &t);
                free(paths[k]);
            }
            free(paths);
        } else {
            one_case(&o, argv[i], reports, &t);
        }
    }
    printf("%d passed, %d failed", t.passed, t.failed);
    if (t.skipped)
        printf(", %d skipped", t.skipped);
    printf("\n");
    if (report_path) {
        char *text = cJSON_Print(reports);
        FILE *f = fopen(report_path, "w");
        if (!f || !text || fputs(text, f) < 0)
            fprintf(stderr, "bw-eval: cannot write %s\n", report_path);
        if (f)
            fclose(f);
        cJSON_free(text);
    }
    cJSON_Delete(reports);
    cJSON_Delete(clinic);
    return t.failed ? 1 : 0;
}
