/*
 * One evaluation case's world: a fresh database, the simulators of the
 * third parties, bookwelld --test-clock configured for the clinic with the
 * EMR under test, the clinic imported; then the script's steps sent through
 * the real webhooks, and what the product did read back from the
 * simulators, the EMR under test and the daemon's test-only state route.
 */
#ifndef BW_TESTS_EVAL_WORLD_H
#define BW_TESTS_EVAL_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_stored.h"

struct eval_world;

struct eval_world_opts {
    const char *builddir;      /* where bookwelld and the plugins were built */
    const char *srcdir;        /* the checkout (tests/sim/) */
    const char *conninfo;      /* the PostgreSQL server (any database) */
    const char *emr;           /* "local", "boulevard", "nextech" */
    const char *clinic_path;   /* the clinic file */
    const cJSON *clinic;       /* its content */
    bool verbose;              /* print the daemon's log of a failed case */
    const char *staff_phone;   /* the tenant's messaging.staff_phone; NULL: none */
    const char *state_rules;   /* the tenant's messaging.state_rules ("FL 08:00-20:00 3");
                                  NULL: none */
    /* A language model for the conversation (ai.openai); ai_url NULL: none. */
    const char *ai_url;        /* the endpoint's API root (".../v1") */
    const char *ai_model;
    const char *ai_key_env;    /* the environment variable holding its key; NULL: none */
    const char *ai_timeout;    /* the instance's timeout ("8s"); NULL: its default */
    bool ai_baa;               /* baa = true in the binding */
    bool covered_entity;       /* the tenant is marked a covered entity */
};

/* Starts the world for case c. Returns 0, or -1 with err (the world is then
 * stopped and *w NULL). */
int eval_world_start(struct eval_world **w, const struct eval_world_opts *o,
                     const struct eval_case *c, char *err, size_t cap);

/* Runs one step as patient p and waits until the product is idle. */
int eval_world_step(struct eval_world *w, const cJSON *step, const struct eval_patient_def *p,
                    char *err, size_t cap);

/* What the product did for patient p. Strings stay valid until stop. */
int eval_world_observe(struct eval_world *w, const struct eval_patient_def *p,
                       struct eval_patient_obs *obs, char *err, size_t cap);

/* The rules every case checks (length, amounts, quiet hours, opt-out,
 * overlaps, deposits before appointments, duplicates). */
int eval_world_check_rules(struct eval_world *w, char *err, size_t cap);

/* Everything stored: every table and the daemon's log. */
int eval_world_stored(struct eval_world *w, struct eval_stored *s, char *err, size_t cap);

/* The case's transcript for --report (owned by the caller). */
cJSON *eval_world_transcript(struct eval_world *w);

/* Whether the EMR under test declares a capability absent that the case
 * needs; fills why. */
bool eval_world_lacks(struct eval_world *w, const struct eval_case *c, char *why, size_t cap);

/* The daemon's admin listener ("http://127.0.0.1:PORT"), for /metrics. */
const char *eval_world_admin_url(const struct eval_world *w);

/* Prints the last max warning and error lines of the daemon's log to stderr
 * (the log holds no secrets or PHI), for a failed step. */
void eval_world_print_warnings(const struct eval_world *w, int max);

void eval_world_stop(struct eval_world *w);

#endif
