/*
 * Dashboard users and sessions (dashboard_auth.h).
 */
#include "dashboard_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "clock.h"
#include "tenant.h"

#define SALT_LEN 16
#define HASH_LEN 32

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

static int derive(const char *password, const unsigned char *salt, int iterations,
                  unsigned char out[HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_LEN, iterations,
                             EVP_sha256(), HASH_LEN, out) == 1
               ? 0
               : -1;
}

int dashboard_password_hash(const char *password, char *out, size_t cap)
{
    unsigned char salt[SALT_LEN], h[HASH_LEN];
    char salt_hex[2 * SALT_LEN + 1], h_hex[2 * HASH_LEN + 1];
    if (RAND_bytes(salt, sizeof salt) != 1 ||
        derive(password, salt, DASHBOARD_PBKDF2_ITERATIONS, h) != 0)
        return -1;
    hex(salt, SALT_LEN, salt_hex);
    hex(h, HASH_LEN, h_hex);
    OPENSSL_cleanse(h, sizeof h);
    int n = snprintf(out, cap, "pbkdf2_sha256$%d$%s$%s", DASHBOARD_PBKDF2_ITERATIONS, salt_hex, h_hex);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

bool dashboard_password_verify(const char *password, const char *stored)
{
    char salt_hex[2 * SALT_LEN + 1], h_hex[2 * HASH_LEN + 1];
    unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
    int iterations = 0;
    if (!stored || sscanf(stored, "pbkdf2_sha256$%d$%32[0-9a-f]$%64[0-9a-f]", &iterations,
                          salt_hex, h_hex) != 3 ||
        iterations < 1000 || iterations > 10000000 || unhex(salt_hex, salt, SALT_LEN) != 0 ||
        unhex(h_hex, want, HASH_LEN) != 0 || derive(password, salt, iterations, got) != 0)
        return false;
    bool same = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return same;
}

int dashboard_random_token(char out[DASHBOARD_TOKEN_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[DASHBOARD_TOKEN_LEN];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    for (int i = 0; i < DASHBOARD_TOKEN_LEN; i++)
        out[i] = alphabet[raw[i] & 63];
    out[DASHBOARD_TOKEN_LEN] = '\0';
    return 0;
}

DB_STMT(st_user_insert,
        "INSERT INTO dashboard_users (tenant_id, email, password_hash, role, created_at)"
        " SELECT $1, lower($2), $3, $4, $5::timestamptz WHERE EXISTS"
        " (SELECT 1 FROM tenants WHERE tenant_id = $1)"
        " ON CONFLICT (tenant_id, email) DO NOTHING");

int dashboard_user_create(struct db_conn *c, const char *tenant, const char *email,
                          const char *password, const char *role)
{
    char stored[192], now[32];
    if (dashboard_password_hash(password, stored, sizeof stored) != 0)
        return -1;
    const char *p[] = { tenant, email, stored, role ? role : "owner",
                        clock_format_utc(clock_now_us(), now) };
    PGresult *r = db_exec(c, &st_user_insert, 5, p);
    int rc = !db_ok(r) ? -1 : strcmp(PQcmdTuples(r), "1") == 0 ? 0 : 1;
    PQclear(r);
    return rc;
}

DB_STMT(st_user_get,
        "SELECT id, password_hash, coalesce(locked_until > $3::timestamptz, false)"
        " FROM dashboard_users WHERE tenant_id = $1 AND email = lower($2)");
/* A wrong password: counted, and the user locked at the limit. */
DB_STMT(st_user_failed,
        "UPDATE dashboard_users SET"
        " locked_until = CASE WHEN failed_logins + 1 >= $3::integer"
        "  THEN $4::timestamptz + $5::integer * interval '1 second' ELSE locked_until END,"
        " failed_logins = CASE WHEN failed_logins + 1 >= $3::integer THEN 0 ELSE failed_logins + 1 END"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_user_succeeded,
        "UPDATE dashboard_users SET failed_logins = 0, locked_until = NULL"
        " WHERE tenant_id = $1 AND id = $2::bigint");
DB_STMT(st_session_insert,
        "INSERT INTO dashboard_sessions (token_hash, tenant_id, user_id, csrf_token, created_at,"
        " expires_at) VALUES ($1, $2, $3::bigint, $4, $5::timestamptz,"
        " $5::timestamptz + $6::integer * interval '1 second')");

/* A fixed hash verified when the user is unknown, so that both refusals take
 * the same time. */
static const char decoy_hash[] =
    "pbkdf2_sha256$210000$00000000000000000000000000000000$"
    "0000000000000000000000000000000000000000000000000000000000000000";

int dashboard_login(struct db_conn *c, const char *tenant, const char *email,
                    const char *password, int64_t now_us, char token[DASHBOARD_TOKEN_LEN + 1])
{
    char now[32];
    clock_format_utc(now_us, now);
    const char *p[] = { tenant, email, now };
    PGresult *r = db_exec(c, &st_user_get, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    bool found = PQntuples(r) == 1;
    bool locked = found && PQgetvalue(r, 0, 2)[0] == 't';
    char user_id[24];
    snprintf(user_id, sizeof user_id, "%s", found ? PQgetvalue(r, 0, 0) : "0");
    bool right = dashboard_password_verify(password, found ? PQgetvalue(r, 0, 1) : decoy_hash);
    PQclear(r);
    if (!found || locked)
        return 1;
    char limit[16], lock_s[16];
    snprintf(limit, sizeof limit, "%d", DASHBOARD_LOCK_AFTER);
    snprintf(lock_s, sizeof lock_s, "%d", DASHBOARD_LOCK_S);
    const char *u[] = { tenant, user_id, limit, now, lock_s };
    r = db_exec(c, right ? &st_user_succeeded : &st_user_failed, right ? 2 : 5, u);
    bool counted = db_ok(r);
    PQclear(r);
    if (!counted)
        return -1;
    if (!right)
        return 1;
    char csrf[DASHBOARD_TOKEN_LEN + 1], hash[65], ttl[16];
    if (dashboard_random_token(token) != 0 || dashboard_random_token(csrf) != 0)
        return -1;
    tenant_key_hash(token, hash);
    snprintf(ttl, sizeof ttl, "%d", DASHBOARD_SESSION_TTL_S);
    const char *q[] = { hash, tenant, user_id, csrf, now, ttl };
    r = db_exec(c, &st_session_insert, 6, q);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}

DB_STMT(st_session_get,
        "SELECT s.tenant_id, u.email, u.role, s.csrf_token FROM dashboard_sessions s"
        " JOIN dashboard_users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.expires_at > $2::timestamptz");

int dashboard_session_get(struct db_conn *c, const char *token, int64_t now_us,
                          struct dashboard_session *out)
{
    char hash[65], now[32];
    if (!token || strlen(token) != DASHBOARD_TOKEN_LEN)
        return 1;
    tenant_key_hash(token, hash);
    const char *p[] = { hash, clock_format_utc(now_us, now) };
    PGresult *r = db_exec(c, &st_session_get, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int rc = 1;
    if (PQntuples(r) == 1) {
        snprintf(out->tenant, sizeof out->tenant, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->email, sizeof out->email, "%s", PQgetvalue(r, 0, 1));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(r, 0, 2));
        snprintf(out->csrf, sizeof out->csrf, "%s", PQgetvalue(r, 0, 3));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

DB_STMT(st_session_delete,
        "DELETE FROM dashboard_sessions WHERE token_hash = $1 OR expires_at <= $2::timestamptz");

int dashboard_logout(struct db_conn *c, const char *token, int64_t now_us)
{
    char hash[65] = "", now[32];
    if (token && strlen(token) == DASHBOARD_TOKEN_LEN)
        tenant_key_hash(token, hash);
    const char *p[] = { hash, clock_format_utc(now_us, now) };
    PGresult *r = db_exec(c, &st_session_delete, 2, p);
    int rc = db_ok(r) ? 0 : -1;
    PQclear(r);
    return rc;
}
