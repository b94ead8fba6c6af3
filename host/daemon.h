/*
 * The running daemon: configuration, database pool, the two HTTP listeners
 * and the subsystems hung off them. main.c owns one struct daemon for the
 * life of the process; route handlers receive it as their context.
 */
#ifndef BW_HOST_DAEMON_H
#define BW_HOST_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "http_server.h"
#include "plugin_loader.h"

#define DAEMON_MAX_ROUTES 128

struct deposits;
struct jobs;
struct plugin_pool;
struct registry;

struct daemon_options {
    const char *config_dir;
    const char *ready_file;    /* written once listening: {"pid","public_port","admin_port"} */
    bool test_clock;           /* simulated business clock and test-only admin routes */
    int64_t test_clock_start_us;
};

struct daemon {
    struct daemon_options opt;
    struct host_config cfg;
    struct db_pool *pool;
    struct jobs *jobs;
    struct deposits *deposits; /* deposit links and payment events (daemon_deposits.h) */
    struct plugin_set plugins; /* loaded from plugins.dir at start; the registry's afterwards */
    struct registry *registry; /* tenant bindings -> plugin instances, reloads */
    struct plugin_pool *plugin_pool; /* threads that run plugin ops for requests */
    struct http_server *public_http;
    struct http_server *admin_http;
    struct http_route public_routes[DAEMON_MAX_ROUTES];
    size_t n_public_routes;
    struct http_route admin_routes[DAEMON_MAX_ROUTES];
    size_t n_admin_routes;
};

/* Loads config, opens the database, migrates, starts workers and listeners.
 * Returns 0, or -1 after logging why (everything started is stopped again). */
int daemon_start(struct daemon *d, const struct daemon_options *opt);

/* Graceful stop: stop accepting, finish in-flight requests and jobs, close.
 * Returns 0, or -1 when requests were still running after the shutdown
 * grace period: what they use is left in place, and the caller should end
 * the process at once (_exit) rather than run exit-time teardown. */
int daemon_stop(struct daemon *d);

/* Appends a route; used by each routes_*.c at start. Returns 0 or -1 (full). */
int daemon_add_route(struct daemon *d, bool admin, const char *method, const char *pattern,
                     http_handler_fn handler, enum http_auth auth);

/* Fills both route tables from every routes_*.c family (the test-only ones
 * when d->opt.test_clock). daemon_start calls it; the OpenAPI test calls it
 * on a zeroed daemon to see exactly the routes the server would serve. */
int daemon_register_routes(struct daemon *d);

/* Acquires a pooled connection with the standard wait; NULL when none. */
struct db_conn *daemon_db(struct daemon *d);
void daemon_db_release(struct daemon *d, struct db_conn *c);

#endif
