/*
 * channel.twilio in the real daemon against the Twilio simulator, for the
 * Twilio suites: a fresh test database, a scratch directory holding the
 * built plugin and the account's auth token file, the simulator, and
 * bookwelld on a test clock (2026-11-24 12:00 in Los Angeles) with the
 * echo conversation engine and the simulator's status callbacks pointed at
 * the daemon. The test writes the tenant's configuration, which names the
 * simulator (base.sim.base_url) and the token file (token_path).
 *
 * Set up in order: twilio_world_prepare, twilio_world_start_daemon;
 * twilio_world_stop in the suite's fini undoes whatever was done.
 */
#ifndef BW_TESTS_TWILIO_WORLD_H
#define BW_TESTS_TWILIO_WORLD_H

#include <stdbool.h>

#include "support/plugin_world.h"

struct twilio_world {
    struct plugin_world base;    /* the database, scratch dir, simulator and daemon */
    char token_path[128];        /* the auth token file, mode 0600 */
};

/* Creates the database and the scratch directory, installs the plugin,
 * writes token to token_path and starts the simulator. */
void twilio_world_prepare(struct twilio_world *tw, const char *token);

/* Starts the daemon with tenant_conf (the Glow tenant's file), switches to the echo engine, and configures the
 * simulator's callbacks (to the daemon, 20 ms late) and public_base. */
void twilio_world_start_daemon(struct twilio_world *tw, const char *tenant_conf,
                               const char *public_base);

/* Stops the daemon (expecting a clean exit) and the simulator, removes the
 * scratch directory and drops the database. */
void twilio_world_stop(struct twilio_world *tw);

#endif
