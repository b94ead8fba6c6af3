/*
 * A plugin in the real daemon against its third-party simulator: the part
 * the EMR and Twilio harnesses (emr_world.h, twilio_world.h) share. A fresh
 * test database, a scratch directory whose plugins/ holds the built plugin
 * (the test may put secret files next to it), the simulator, and bookwelld
 * on a test clock reading that plugins directory.
 *
 * Set up in order: plugin_world_prepare, plugin_world_start_sim,
 * plugin_world_start_daemon; plugin_world_stop in the suite's fini undoes
 * whatever was done.
 */
#ifndef BW_TESTS_PLUGIN_WORLD_H
#define BW_TESTS_PLUGIN_WORLD_H

#include <stdbool.h>

#include "support/daemon_proc.h"
#include "support/sim_proc.h"

struct plugin_world {
    char *conninfo;              /* the test database (owned) */
    char dir[64];                /* scratch: plugins/ and the files the test writes */
    struct test_daemon daemon;
    struct test_sim sim;
    bool daemon_started, sim_started;
};

/* Creates the database and the scratch directory and installs
 * plugins/<plugin_file> ("emr.nextech-1.0.0.so") from the build there. */
void plugin_world_prepare(struct plugin_world *pw, const char *plugin_file);

/* Starts tests/sim/<name>_sim.py with args (NULL-terminated, may be NULL). */
void plugin_world_start_sim(struct plugin_world *pw, const char *name, const char *const *args);

/* Starts the daemon on a test clock at clock_start (RFC 3339) with the
 * plugins directory and tenant_conf (the Glow tenant's file). */
void plugin_world_start_daemon(struct plugin_world *pw, const char *clock_start,
                               const char *tenant_conf);

/* Stops the daemon (expecting a clean exit) and the simulator, removes the
 * scratch directory and drops the database. */
void plugin_world_stop(struct plugin_world *pw);

#endif
