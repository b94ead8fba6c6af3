/*
 * A scripted evaluation world for one test: the evaluation's world
 * (tests/eval/eval_world.h: bookwelld on a test clock, the Twilio and
 * Square simulators, an EMR) started for a case given as JSON text, with
 * the eval set's Glow clinic (whose catalog the test may extend), and a
 * connection to the world's database for assertions. Then the script run step by step as
 * each step's patient, what the product sent a patient, and single values
 * read back with SQL.
 *
 * Linked by the suites that also build tests/eval/eval_world.c
 * (CASE_WORLD_SOURCES in Makefile.am), not by libbwtest.
 */
#ifndef BW_TESTS_CASE_WORLD_H
#define BW_TESTS_CASE_WORLD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_world.h"

struct case_world {
    struct eval_world *world;    /* owned; NULL once stopped */
    struct eval_case c;          /* the case (owned) */
    cJSON *clinic;               /* the clinic as the world was given it (owned) */
    PGconn *db;                  /* the world's database (owned) */
};

struct case_world_opts {
    const char *case_json;       /* the case, as a case file holds it (required) */
    const char *emr;             /* the world's EMR (eval_world_opts); NULL: "local" */
    const char *catalog_json;    /* an object whose members are added to the clinic, or NULL */
    const char *staff_phone;     /* the tenant's messaging.staff_phone, or NULL */
    const char *state_rules;     /* the tenant's messaging.state_rules, or NULL */
};

/* Starts the world, or aborts the test with the reason. */
void case_world_start(struct case_world *cw, const struct case_world_opts *o);

/* check_rules: expects the corpus's rules (eval README) to hold first. Its
 * rule 3 judges quiet hours in the clinic's zone, as every corpus case's
 * patients live there; a world with patients elsewhere (Florida) is judged
 * by the test's own asserts. Then stops the world and frees everything;
 * safe on a stopped world. */
void case_world_stop(struct case_world *cw, bool check_rules);

/* The case's patient of id ("p1"...); aborts when there is none. */
const struct eval_patient_def *case_world_patient(const struct case_world *cw, const char *id);

/* Runs steps [from, to) of the script, each as its "as" patient (the
 * first patient when a step names none). */
void case_world_steps(struct case_world *cw, int from, int to);

/* What the product did for patient p; with BW_DRIVER_TRACE set, prints
 * what it sent to stderr. */
void case_world_observe(struct case_world *cw, const struct eval_patient_def *p,
                        struct eval_patient_obs *obs);

/* The first column of the first row of the query (printf-formatted), or ""
 * when there is no row (malloc'd, caller frees). */
char *case_world_scalar(const struct case_world *cw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs step i of the script as the case's patient of that index and
 * observes what the product did for them; how many messages they were sent. */
size_t case_world_step_as(struct case_world *cw, int i, size_t patient,
                          struct eval_patient_obs *obs);

/* A new API key of the clinic: "Authorization: Bearer <key>" in header
 * and, when key_id is not NULL, the key's id. */
void case_world_api_key(const struct case_world *cw, char *header, size_t cap, char *key_id,
                        size_t id_cap);

/* A request to the public API with auth (a header, or NULL for none) and
 * a JSON body (or NULL); the status. *json (when json is not NULL) is the
 * parsed answer or NULL; *text (when text is not NULL) the body, malloc'd. */
long case_world_call(const struct case_world *cw, const char *method, const char *path,
                     const char *auth, const char *body, cJSON **json, char **text);

#endif
