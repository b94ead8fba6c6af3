-- Access accounting (HIPAA): who viewed or exported which conversation or
-- evidence, and when. actor is 'user:<email>' for a dashboard user or
-- 'api_key:<key_id>' for the clinic's API key; action is 'view' or
-- 'export'; subject is 'conversation:<id>' or 'booking:<id>:evidence'.
-- Rows are only ever added.
CREATE TABLE audit_log (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    id          bigserial,
    actor       text NOT NULL CHECK (octet_length(actor) BETWEEN 1 AND 300),
    action      text NOT NULL CHECK (action IN ('view', 'export')),
    subject     text NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 128),
    at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, at DESC);
