/*
 * Reads and steers a running simulator (sim_proc.h) through its control
 * API (/_sim/...) and its own API, for assertions on what the daemon sent:
 * request counters, the members of /_sim/state, the appointments it holds.
 */
#ifndef BW_TESTS_SIM_STATE_H
#define BW_TESTS_SIM_STATE_H

#include <cjson/cJSON.h>

#include "support/sim_proc.h"

/* A request to the simulator, asserted to answer want; the body (malloc'd,
 * caller frees). */
char *test_sim_text(const struct test_sim *s, const char *method, const char *path, long want);

/* The same, parsed (caller deletes; NULL when the body is not JSON). */
cJSON *test_sim_json(const struct test_sim *s, const char *method, const char *path, long want);

/* A request with body (JSON, or NULL) sent as application/json, asserted
 * to answer 200 with JSON; the answer (caller deletes). */
cJSON *test_sim_send_json(const struct test_sim *s, const char *method, const char *path,
                          const char *body);

/* A number member of /_sim/state, or -1 when it is absent. */
int test_sim_state_int(const struct test_sim *s, const char *member);

/* How many requests /_sim/state counts under key ("GET Slot"), 0 if none. */
int test_sim_requests(const struct test_sim *s, const char *key);

/* How many of /_sim/state's "appointments" have start_key equal to start
 * and status_key equal to status (the simulators name these differently). */
int test_sim_appointments(const struct test_sim *s, const char *start_key, const char *start,
                          const char *status_key, const char *status);

#endif
