/*
 * Evaluation cases and clinics as the runner reads them
 * (../shared/eval/README.md): a case's id, clinic, start time, patients with
 * their channel identities, script and expectations, checked for shape
 * before anything runs, so a malformed case is one clear FAIL line.
 */
#ifndef BW_TESTS_EVAL_CASE_H
#define BW_TESTS_EVAL_CASE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define EVAL_PATIENTS_MAX 8

struct eval_patient_def {
    const char *id;        /* borrowed from the case document */
    const char *channel;   /* "sms", "instagram", "webchat" */
    const char *phone;     /* sms */
    const char *ig_user;   /* instagram */
    const char *visitor;   /* webchat */
};

struct eval_case {
    cJSON *doc;            /* owned */
    const char *id, *clinic, *now;
    struct eval_patient_def patients[EVAL_PATIENTS_MAX];
    size_t n_patients;
    const cJSON *script;   /* array of steps */
    const cJSON *expect;   /* object: patient id -> expectations */
};

/* Reads a JSON file (malloc'd tree), or NULL with err. */
cJSON *eval_read_json(const char *path, char *err, size_t cap);

/* Loads and checks a case. Returns 0, or -1 with err. */
int eval_case_load(const char *path, struct eval_case *c, char *err, size_t cap);
void eval_case_free(struct eval_case *c);

/* The patient a step acts as (its "as", else the first), or NULL. */
const struct eval_patient_def *eval_case_step_patient(const struct eval_case *c,
                                                      const cJSON *step);

/* The .json files of dir, sorted, as malloc'd paths; *n their count. */
char **eval_list_cases(const char *dir, size_t *n);

#endif
