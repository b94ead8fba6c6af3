/*
 * What a conformance run needs before its checks: the database for the
 * instance's key-value storage (created when missing, migrated with the
 * host's embedded migrations, the run's rows removed afterwards), and the
 * tenant binding built from the --config file exactly as a tenant file's
 * "plugins" entry would be read (host/config_bindings.c), so the host's
 * own registry can type it against the schema and open the instance.
 */
#ifndef BW_KIT_SETUP_H
#define BW_KIT_SETUP_H

#include <stddef.h>

#include "config.h"
#include "db.h"

/* Connects to conninfo, creating the database when it does not exist, and
 * applies the migrations; then opens a small pool. 0, or -1 with err. */
int kit_db_open(const char *conninfo, struct db_pool **pool, char *err, size_t cap);
/* Deletes the run's key-value rows (tenant) and closes the pool. */
void kit_db_close(struct db_pool *pool, const char *conninfo, const char *tenant);

/*
 * Fills cfg (zeroed by the caller) with one tenant, id tenant, whose only
 * binding is plugin id/version with the config read from file: either a
 * file of the config group's keys, or one holding `config = { ... };`
 * (and optionally allow_hosts). base_url (may be NULL) becomes the
 * binding's base-URL override. Returns 0, or -1 with every problem in errs
 * (file:line). Free with config_free.
 */
int kit_binding_load(struct host_config *cfg, const char *tenant, const char *id,
                     const char *version, const char *file, const char *base_url,
                     const char *plugins_dir, struct confmap_errors *errs);

#endif
