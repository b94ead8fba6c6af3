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

-- Claims the next due job for a worker (host/jobs.c): the earliest queued
-- job of a kind the worker handles that is the head of its ordering key,
-- leased to p_owner for p_lease_ms of real time. It is a function so that
-- its plan is always the ordered walk of jobs_due that stops at the first
-- claimable row, whatever the statistics say; a plan that sorts every due
-- job (chosen on a freshly filled table) tests each one's ordering key.
CREATE FUNCTION jobs_claim_next(p_now timestamptz, p_kinds text[], p_lease_ms bigint,
                                p_owner text, p_default_max_attempts integer)
RETURNS TABLE (tenant_id text, id bigint, kind text, payload text, ordering_key text,
               attempts integer, max_attempts integer, run_at_us bigint)
LANGUAGE plpgsql SET enable_sort = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH next AS (
        SELECT j.tenant_id, j.id FROM jobs j
         WHERE j.state = 'queued' AND j.run_at <= p_now AND j.kind = ANY (p_kinds)
           AND (j.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobs e
                 WHERE e.tenant_id = j.tenant_id AND e.ordering_key = j.ordering_key
                   AND e.id < j.id AND e.state IN ('queued', 'running')))
         ORDER BY j.run_at, j.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
    UPDATE jobs u SET state = 'running', attempts = u.attempts + 1,
           lease_until = now() + p_lease_ms * interval '1 millisecond', lease_owner = p_owner
      FROM next
     WHERE u.tenant_id = next.tenant_id AND u.id = next.id
    RETURNING u.tenant_id, u.id, u.kind, u.payload::text, u.ordering_key, u.attempts,
              COALESCE(u.max_attempts, p_default_max_attempts),
              (extract(epoch FROM u.run_at) * 1000000)::bigint;
END
$$;
