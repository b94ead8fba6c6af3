/*
 * An EMR plugin in the real daemon against its simulator, for the
 * test_emr_* suites: a fresh test database, a scratch directory holding
 * the built plugin and the secret files its configuration names, the
 * simulator loaded with the Glow clinic, and bookwelld on a test clock
 * (2027-03-02 20:15 in Los Angeles) with the plugin bound for the Glow
 * tenant, Glow's catalog imported and a tenant API key made. Then the
 * public API as that tenant, the plugin's ops through the test route, and
 * a hold booked through the booking writer.
 *
 * Set up in order: emr_world_prepare, emr_world_write_secret (as needed),
 * emr_world_start_sim, emr_world_start_daemon; emr_world_stop in the
 * suite's fini undoes whatever was done.
 */
#ifndef BW_TESTS_EMR_WORLD_H
#define BW_TESTS_EMR_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include "support/daemon_proc.h"
#include "support/plugin_world.h"

struct emr_world {
    struct plugin_world base;    /* the database, scratch dir, simulator and daemon */
    char plugin[64];             /* "emr.nextech" */
    char auth[200];              /* "Authorization: Bearer <Glow's API key>" */
};

/* Creates the database and the scratch directory and installs
 * plugins/<plugin>-1.0.0.so from the build there. */
void emr_world_prepare(struct emr_world *w, const char *plugin);

/* Writes value and a newline to base.dir/name, for "file:<dir>/<name>". */
void emr_world_write_secret(const struct emr_world *w, const char *name, const char *value);

/* Starts tests/sim/<name>_sim.py with "--clinic <glow.json>" and then args
 * (NULL-terminated, may be NULL). */
void emr_world_start_sim(struct emr_world *w, const char *name, const char *const *args);

/* Starts the daemon with the plugin bound for Glow at the simulator's
 * base_url; config is the text inside the binding's "config = { }". Then
 * imports the Glow catalog and makes the API key. */
void emr_world_start_daemon(struct emr_world *w, const char *config);

/* Stops the daemon (expecting a clean exit) and the simulator, removes the
 * scratch directory and drops the database. */
void emr_world_stop(struct emr_world *w);

/* A public API request as Glow; 0 or -1 as test_http. */
int emr_world_request(const struct emr_world *w, const char *method, const char *path,
                      const char *body, struct test_http_resp *r);

/* The same, asserted to get an answer; the status, and the body in *out
 * (caller frees) when out is not NULL. */
long emr_world_call(const struct emr_world *w, const char *method, const char *path,
                    const char *body, char **out);

/* GET /availability?query asserted to answer want; the body (caller frees). */
char *emr_world_availability(const struct emr_world *w, const char *query, long want);

/* The plugin's op through /admin/test/plugin-call: {"rc", "result"?}
 * (caller frees), the HTTP status in *status. */
char *emr_world_plugin_call(const struct emr_world *w, const char *op, const char *input,
                            long *status);

/* Hands the hold to the booking writer and waits up to 30 s for the
 * booking to settle: its final state ("booked", "conflict", "failed", ...)
 * in state and the EMR's appointment id in appt (when appt is not NULL). */
void emr_world_book(const struct emr_world *w, long long hold, char *state, size_t cap,
                    char *appt, size_t acap);

/* Holds start for botox with dr-smith (a patient Ana Ruiz), then
 * emr_world_book. */
void emr_world_hold_and_book(const struct emr_world *w, const char *start, char *state,
                             size_t cap, char *appt, size_t acap);

#endif
