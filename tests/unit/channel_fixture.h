/*
 * A channel plugin under test, the way the daemon runs it: the real .so
 * from the build's plugins/ directory loaded and checked by the host's
 * loader, init'ed and opened with a typed configuration, called with a
 * struct bw_call that has key-value storage in a fresh PostgreSQL database
 * and the per-instance base URL override pointing at a simulator. Also
 * small helpers to read result buffers and ask a simulator's control API.
 */
#ifndef BW_TESTS_CHANNEL_FIXTURE_H
#define BW_TESTS_CHANNEL_FIXTURE_H

#include <cjson/cJSON.h>

#include <bookwell/channel.h>

#include "plugin_call.h"
#include "plugin_loader.h"

struct db_pool;

struct chan_fx {
    struct plugin_set set;
    const struct plugin *plugin;
    const struct bw_plugin_descriptor *desc;
    const struct bw_channel_ops *ops;
    const struct bw_host *host;
    void *state;
    void *inst;
    struct plugin_config cfg;
    char *conninfo;
    struct db_pool *pool;
    const char *base_url;      /* borrowed; NULL: none */
};

/* Loads plugins/<file> from the build, checks its descriptor, calls init,
 * and creates the database. Aborts the test on failure. */
void chan_fx_load(struct chan_fx *fx, const char *file);

/* Opens an instance with settings given as NULL-terminated key, value
 * pairs (lists: items separated by commas; secrets as resolved values).
 * Returns instance_open's code. */
int chan_fx_open(struct chan_fx *fx, const char *const *settings, struct bw_error *err);

/* Begins a call for tenant "glow" with the instance's configuration, the
 * database and the base URL override. End with plugin_call_end. */
void chan_fx_call(struct chan_fx *fx, struct bw_call *call);

/* Closes the instance, calls fini, unloads, drops the database. */
void chan_fx_close(struct chan_fx *fx);

/* Calls webhook with the method, URL, headers ("Name", "value" pairs,
 * NULL-terminated) and body. *events gets the events/1 text (malloc'd, NULL
 * when none), reply_body the reply's body (malloc'd). Returns the op's code. */
int chan_fx_webhook(struct chan_fx *fx, const char *method, const char *url,
                    const char *const *headers, const char *body, int *status,
                    char **reply_body, cJSON **events, struct bw_error *err);

/* Calls send with a message/1 text; *result gets send_result/1 (or NULL). */
int chan_fx_send(struct chan_fx *fx, const char *message_json, cJSON **result,
                 struct bw_error *err);

/* Calls webhook_route; *key gets the route_key/1 (or NULL). */
int chan_fx_route(struct chan_fx *fx, const char *method, const char *body, cJSON **key);

/* A simulator control request: JSON answer (parsed; NULL when not JSON). */
cJSON *chan_fx_sim(unsigned port, const char *method, const char *path, const char *json_body);

#endif
