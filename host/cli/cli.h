/*
 * The operator CLI's commands. Each returns the process exit status:
 * CLI_OK, CLI_REFUSED (the daemon answered with an error, printed),
 * CLI_USAGE, or CLI_UNREACHABLE (no answer from the admin listener).
 */
#ifndef BW_CLI_CLI_H
#define BW_CLI_CLI_H

#include <stdbool.h>

#include "admin_client.h"

enum { CLI_OK = 0, CLI_REFUSED = 1, CLI_USAGE = 2, CLI_UNREACHABLE = 3 };

struct cli_opts {
    bool json;          /* print the daemon's JSON reply as it came */
    const char *label;  /* api-key create --label */
    bool parked;        /* jobs --parked */
};

int cli_status(const struct admin_client *ac, const struct cli_opts *o);
int cli_tenants(const struct admin_client *ac, const struct cli_opts *o);
int cli_api_key_create(const struct admin_client *ac, const struct cli_opts *o, const char *tenant);
int cli_api_key_revoke(const struct admin_client *ac, const struct cli_opts *o, const char *tenant,
                       const char *key_id);
int cli_contact_erase(const struct admin_client *ac, const struct cli_opts *o, const char *tenant,
                      const char *contact);
int cli_tenant_import(const struct admin_client *ac, const struct cli_opts *o, const char *file,
                      const char *tenant);
int cli_jobs(const struct admin_client *ac, const struct cli_opts *o);
int cli_plugins_list(const struct admin_client *ac, const struct cli_opts *o);
int cli_plugins_reload(const struct admin_client *ac, const struct cli_opts *o);
int cli_plugins_rollback(const struct admin_client *ac, const struct cli_opts *o);
int cli_evidence_verify(const struct admin_client *ac, const struct cli_opts *o,
                        const char *tenant, const char *subject);

#endif
