/*
 * The access log (HIPAA accounting of disclosures): who viewed or exported
 * which conversation or evidence, and when (host/sql/0019_audit.sql).
 * A dashboard user is "user:<email>"; the clinic's API key is
 * "api_key:<key_id>", found from the bearer token's hash, so the key itself
 * is never stored.
 */
#ifndef BW_HOST_AUDIT_LOG_H
#define BW_HOST_AUDIT_LOG_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"

struct http_request;

/* Adds a row for dashboard user email. Returns 0 or -1. */
int audit_record_user(struct db_conn *c, const char *tenant, const char *email,
                      const char *action, const char *subject, int64_t now_us);

/* Adds a row for the API key req authenticated with (its bearer token).
 * Returns 0 or -1. */
int audit_record_key(struct db_conn *c, const struct http_request *req, const char *action,
                     const char *subject, int64_t now_us);

/* The tenant's newest rows (at most limit), as an array of
 * {"id", "actor", "action", "subject", "at"}; NULL on failure. The caller
 * owns the result. */
cJSON *audit_list(struct db_conn *c, const char *tenant, int limit);

#endif
