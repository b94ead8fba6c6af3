/*
 * Tenant rows and clinic API keys. A key is 32 random bytes, base64url, with
 * a recognisable prefix; only its SHA-256 is stored, so a database dump
 * yields no usable key.
 */
#include "tenant.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

DB_STMT(st_upsert,
        "INSERT INTO tenants (tenant_id, name, timezone, country) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name, "
        "timezone = EXCLUDED.timezone, country = EXCLUDED.country, updated_at = now() "
        "WHERE (tenants.name, tenants.timezone, tenants.country) IS DISTINCT FROM "
        "(EXCLUDED.name, EXCLUDED.timezone, EXCLUDED.country)");
DB_STMT(st_key_insert,
        "INSERT INTO api_keys (tenant_id, key_id, key_hash, label) "
        "SELECT $1, $2, decode($3, 'hex'), $4 WHERE EXISTS "
        "(SELECT 1 FROM tenants WHERE tenant_id = $1)");
DB_STMT(st_key_revoke,
        "UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND key_id = $2 "
        "AND revoked_at IS NULL");
DB_STMT(st_key_lookup,
        "SELECT tenant_id FROM api_keys WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL");

int tenant_sync(struct db_conn *c, const struct host_config *cfg, char *err, size_t errcap)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct tenant_config *t = &cfg->tenants[i];
        const char *p[] = { t->id, t->name, t->timezone, t->country };
        PGresult *r = db_exec(c, &st_upsert, 4, p);
        int ok = db_ok(r);
        if (!ok)
            snprintf(err, errcap, "cannot store tenant %s: %s", t->id, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return -1;
    }
    return 0;
}

void tenant_key_hash(const char *key, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void base64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    unsigned bits = 0, acc = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6 && o + 1 < cap) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0 && o + 1 < cap)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

int tenant_api_key_create(struct db_conn *c, const char *tenant_id, const char *label,
                          char *key, size_t keycap, char *key_id, size_t idcap)
{
    unsigned char secret[32], id_raw[9];
    char encoded[64], hash[65];
    if (keycap < 64 || idcap < 24 || RAND_bytes(secret, sizeof secret) != 1 ||
        RAND_bytes(id_raw, sizeof id_raw) != 1)
        return -1;
    base64url(secret, sizeof secret, encoded, sizeof encoded);
    snprintf(key, keycap, "bwk_%s", encoded);
    base64url(id_raw, sizeof id_raw, encoded, sizeof encoded);
    snprintf(key_id, idcap, "key_%s", encoded);
    tenant_key_hash(key, hash);
    const char *p[] = { tenant_id, key_id, hash, label ? label : "" };
    PGresult *r = db_exec(c, &st_key_insert, 4, p);
    int rc = db_ok(r) && strcmp(PQcmdTuples(r), "1") == 0 ? 0 : -1;
    PQclear(r);
    if (rc != 0)
        memset(key, 0, keycap);
    return rc;
}

int tenant_api_key_revoke(struct db_conn *c, const char *tenant_id, const char *key_id)
{
    const char *p[] = { tenant_id, key_id };
    PGresult *r = db_exec(c, &st_key_revoke, 2, p);
    int rc = !db_ok(r) ? -1 : strcmp(PQcmdTuples(r), "1") == 0 ? 0 : 1;
    PQclear(r);
    return rc;
}

int tenant_api_key_lookup(struct db_conn *c, const char *key, char *tenant_id, size_t cap)
{
    char hash[65];
    if (strncmp(key, "bwk_", 4) != 0 || strlen(key) > 128)
        return -1;
    tenant_key_hash(key, hash);
    const char *p[] = { hash };
    PGresult *r = db_exec(c, &st_key_lookup, 1, p);
    int rc = -1;
    if (db_ok(r) && PQntuples(r) == 1) {
        snprintf(tenant_id, cap, "%s", PQgetvalue(r, 0, 0));
        rc = 0;
    }
    PQclear(r);
    return rc;
}
