/*
 * The daemon's plugin side: the registry (instances, generations, reload)
 * over the plugins loaded at start, the call pool that runs plugin ops for
 * requests, SIGHUP reloads, and the log lines that report what a reload or
 * rollback did. The boundary between the registry (library code, silent)
 * and the operator (logs).
 */
#ifndef BW_HOST_DAEMON_PLUGINS_H
#define BW_HOST_DAEMON_PLUGINS_H

#include "plugin_registry.h"

struct daemon;

/* Opens generation 1 from d->cfg and starts the call pool. Returns 0, or
 * -1 after logging every binding that failed. */
int daemon_plugins_start(struct daemon *d);

/* Stops the call pool (queued calls still run), then the registry. Returns
 * 0, or -1 when a call still held an instance: the plugin files must then
 * stay loaded. */
int daemon_plugins_stop(struct daemon *d);

/* SIGHUP: asks for a reload (coalesced with one already waiting); the
 * outcome is logged when it ends. */
void daemon_plugins_reload_signal(struct daemon *d);

/* Logs what a start, reload or rollback did: one summary line, and one
 * error line per failure. */
void daemon_plugins_log_result(const char *what, const struct registry_result *r);

#endif
