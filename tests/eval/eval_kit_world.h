/*
 * An evaluation world for a daemon test that writes its case inline: the
 * kit clinic (tests/data/kit/clinic.json), the local EMR, the case from a
 * JSON string, and API keys of the clinic made through the admin listener.
 * For tests that drive the world step by step and call the clinic's API
 * between steps (test_staff_inbox, test_analytics_flow,
 * test_conversations_api).
 */
#ifndef BW_EVAL_KIT_WORLD_H
#define BW_EVAL_KIT_WORLD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_world.h"

/* A started world and what it was started from (all owned here). */
struct eval_kit_world {
    struct eval_world *w;
    struct eval_case c;
    cJSON *clinic;
};

/* Starts k for the case case_json with BW_BUILDDIR, BW_SRCDIR and
 * BW_TEST_PG. Returns 0, or -1 with err (k is then safe to stop). */
int eval_kit_world_start(struct eval_kit_world *k, const char *case_json, char *err, size_t cap);

/* Stops the world and frees k's case and clinic. */
void eval_kit_world_stop(struct eval_kit_world *k);

/* A new API key of tenant: header gets "Authorization: Bearer <key>",
 * key_id (may be NULL) the key's id. Returns 0, or -1 with err. */
int eval_kit_api_key(struct eval_kit_world *k, const char *tenant, char *header, size_t cap,
                     char *key_id, size_t id_cap, char *err, size_t err_cap);

/* method path on the public listener, as auth (an Authorization header,
 * NULL: none) with extra (one more header or NULL) and a JSON body (or
 * NULL). With json, the answer parsed (NULL when it is not JSON). Returns
 * the status, or -1 when no answer came. */
long eval_kit_api(struct eval_kit_world *k, const char *method, const char *path, const char *auth,
                  const char *extra, const char *body, cJSON **json);

#endif
