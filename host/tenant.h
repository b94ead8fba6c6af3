/*
 * Tenants (clinics) in the database: configuration files are the source of
 * truth, synchronised into the tenants table at start and on reload; clinic
 * API keys are random tokens stored only as their SHA-256 and resolved to
 * exactly one tenant.
 */
#ifndef BW_HOST_TENANT_H
#define BW_HOST_TENANT_H

#include <stddef.h>

#include "config.h"
#include "db.h"

/* Upserts every configured tenant. Returns 0, or -1 with a reason in err. */
int tenant_sync(struct db_conn *c, const struct host_config *cfg, char *err, size_t errcap);

/* Creates an API key for tenant_id. On success writes the key (shown once;
 * "bwk_" + 43 base64url characters) into key (cap >= 64), its id into key_id
 * (cap >= 24) and returns 0; -1 when the tenant does not exist or on error. */
int tenant_api_key_create(struct db_conn *c, const char *tenant_id, const char *label,
                          char *key, size_t keycap, char *key_id, size_t idcap);

/* Revokes a key. Returns 0, 1 when no such active key, -1 on error. */
int tenant_api_key_revoke(struct db_conn *c, const char *tenant_id, const char *key_id);

/* Resolves a presented key to its tenant. Returns 0 and fills tenant_id
 * (cap >= 64), or -1 when the key is unknown or revoked. */
int tenant_api_key_lookup(struct db_conn *c, const char *key, char *tenant_id, size_t cap);

/* Hex SHA-256 of key into out (65 bytes). */
void tenant_key_hash(const char *key, char out[65]);

#endif
