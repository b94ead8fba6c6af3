-- The host's own tables: tenants and their API keys, the webhook inbox, and
-- the jobs queue (which also carries the outbox). Every table is keyed by
-- tenant_id first; host-wide rows use the tenant id '_host'.

CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL,
    country     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Clinic API keys, stored as SHA-256 of the key; the key itself is shown once.
CREATE TABLE api_keys (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    key_id      text NOT NULL,
    key_hash    bytea NOT NULL,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash);

-- Normalized, redacted inbound events. The raw body is never kept. A provider
-- event id is unique per tenant and provider, so a redelivery is recognised.
CREATE TABLE inbox (
    tenant_id          text NOT NULL,
    id                 bigserial,
    provider           text NOT NULL,
    provider_event_id  text NOT NULL,
    kind               text NOT NULL,
    event              jsonb NOT NULL,
    received_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, provider, provider_event_id)
);

-- Jobs and outbox. run_at is business time (the host clock); lease_until is
-- real time (the database's now()), so a dead worker's job comes back.
-- Jobs sharing an ordering_key run one at a time in id order; a parked job
-- (attempts exhausted, or refused by its handler) no longer holds its key.
-- A claim increments attempts, which with lease_owner fences completion: a
-- worker whose lease was taken over cannot finish the job. max_attempts NULL
-- means the daemon's jobs.max_attempts.
CREATE TABLE jobs (
    tenant_id     text NOT NULL,
    id            bigserial,
    kind          text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}',
    run_at        timestamptz NOT NULL,
    ordering_key  text,
    dedupe_key    text,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'parked')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer CHECK (max_attempts > 0),
    lease_until   timestamptz,
    lease_owner   text,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX jobs_by_dedupe ON jobs (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_open_by_key ON jobs (tenant_id, ordering_key, id)
    WHERE state IN ('queued', 'running') AND ordering_key IS NOT NULL;
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_parked ON jobs (tenant_id, id) WHERE state = 'parked';
