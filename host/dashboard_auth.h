/*
 * Who may open a clinic's dashboard: its users (email and a password kept
 * as PBKDF2-HMAC-SHA256 with a random salt) and their sessions (a random
 * cookie value kept only as its SHA-256, expiring, each with the CSRF token
 * its forms must carry). host/sql/0018_dashboard.sql holds the tables.
 */
#ifndef BW_HOST_DASHBOARD_AUTH_H
#define BW_HOST_DASHBOARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define DASHBOARD_PBKDF2_ITERATIONS 210000
#define DASHBOARD_SESSION_TTL_S (12 * 3600)
#define DASHBOARD_TOKEN_LEN 43       /* base64url of 32 random bytes */
#define DASHBOARD_PASSWORD_MIN 10
#define DASHBOARD_LOCK_AFTER 5         /* wrong passwords in a row ... */
#define DASHBOARD_LOCK_S (15 * 60)     /* ... lock the user this long */

/* The stored form of password ("pbkdf2_sha256$N$salt$hash", at most 160
 * bytes) into out. Returns 0 or -1. */
int dashboard_password_hash(const char *password, char *out, size_t cap);

/* Whether password matches stored (constant-time comparison of the hash). */
bool dashboard_password_verify(const char *password, const char *stored);

/* A random URL-safe token of DASHBOARD_TOKEN_LEN characters. Returns 0 or -1. */
int dashboard_random_token(char out[DASHBOARD_TOKEN_LEN + 1]);

/* Adds a user to tenant. Returns 0, 1 when the email is taken, -1 on error. */
int dashboard_user_create(struct db_conn *c, const char *tenant, const char *email,
                          const char *password, const char *role);

struct dashboard_session {
    char tenant[64];
    char email[256];
    char role[16];
    char csrf[DASHBOARD_TOKEN_LEN + 1];
};

/* Checks tenant, email and password; on success opens a session, writing
 * its cookie value to token. Returns 0, 1 when refused (one answer for an
 * unknown tenant or user, a wrong password, or a user locked after
 * DASHBOARD_LOCK_AFTER wrong passwords), -1 on a database error. */
int dashboard_login(struct db_conn *c, const char *tenant, const char *email,
                    const char *password, int64_t now_us, char token[DASHBOARD_TOKEN_LEN + 1]);

/* The live session of a cookie value. Returns 0, 1 when there is none
 * (unknown or expired), -1 on a database error. */
int dashboard_session_get(struct db_conn *c, const char *token, int64_t now_us,
                          struct dashboard_session *out);

/* Ends the session of a cookie value (and drops expired ones). */
int dashboard_logout(struct db_conn *c, const char *token, int64_t now_us);

#endif
