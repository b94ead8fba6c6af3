-- The clinic dashboard's users and sessions. A password is kept only as
-- PBKDF2-HMAC-SHA256 ("pbkdf2_sha256$ITERATIONS$SALT_HEX$HASH_HEX"); a
-- session only as the SHA-256 of its cookie value, with the CSRF token its
-- forms carry. After DASHBOARD_LOCK_AFTER wrong passwords in a row a user
-- cannot sign in until locked_until. Times are the host clock's.
CREATE TABLE dashboard_users (
    tenant_id      text NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    id             bigserial,
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                        AND octet_length(email) <= 254),
    password_hash  text NOT NULL CHECK (password_hash ~ '^pbkdf2_sha256\$[0-9]+\$[0-9a-f]+\$[0-9a-f]+$'),
    role           text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'staff')),
    failed_logins  integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);

CREATE TABLE dashboard_sessions (
    token_hash   text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    tenant_id    text NOT NULL,
    user_id      bigint NOT NULL,
    csrf_token   text NOT NULL CHECK (octet_length(csrf_token) BETWEEN 32 AND 64),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES dashboard_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
