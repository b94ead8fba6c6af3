-- A clinic's knowledge (catalog), our own holds on slots, and the bookings
-- the booking writer puts into the clinic's EMR. Business times (expires_at,
-- imported_at, next attempts) are the host clock's, written by the host.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The catalog as imported from the clinic format (docs/catalog.md): one
-- validated document per tenant, replaced whole by each import. version
-- grows with every import, so every process notices a change by reading one
-- integer (host/knowledge.c caches the parsed document per version).
CREATE TABLE catalogs (
    tenant_id    text PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    version      bigint NOT NULL,
    doc          jsonb NOT NULL,
    imported_at  timestamptz NOT NULL
);

-- Holds: a slot kept for a patient while a deposit is paid. The blocked
-- range (block_start, block_end) is the appointment plus the service's
-- buffer minutes. Holds of one provider that still keep their slot
-- ('active': waiting for payment; 'booking': paid, the booking writer is
-- writing it) cannot overlap: the exclusion constraint decides, not a
-- check-then-insert. A service that needs a resource also takes a row in
-- hold_resources, under the same kind of constraint per resource unit.
CREATE TABLE holds (
    tenant_id    text NOT NULL,
    id           bigserial,
    provider_id  text NOT NULL,
    service_id   text NOT NULL,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz NOT NULL,
    block_start  timestamptz NOT NULL,
    block_end    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'active'
                 CHECK (state IN ('active', 'booking', 'booked', 'expired', 'released',
                                  'conflict')),
    contact_id   bigint,
    patient      jsonb NOT NULL DEFAULT '{}',
    deposit_cents bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (start_at < end_at AND block_start <= start_at AND block_end >= end_at),
    CONSTRAINT holds_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, provider_id WITH =, tstzrange(block_start, block_end) WITH &&)
        WHERE (state IN ('active', 'booking'))
);
CREATE INDEX holds_expiry ON holds (tenant_id, expires_at) WHERE state = 'active';
CREATE INDEX holds_live ON holds (tenant_id, block_start) WHERE state IN ('active', 'booking');

CREATE TABLE hold_resources (
    tenant_id    text NOT NULL,
    hold_id      bigint NOT NULL,
    resource_id  text NOT NULL,
    unit         integer NOT NULL,
    block_start  timestamptz NOT NULL,
    block_end    timestamptz NOT NULL,
    live         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, hold_id, resource_id),
    FOREIGN KEY (tenant_id, hold_id) REFERENCES holds (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT hold_resources_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, resource_id WITH =, unit WITH =,
        tstzrange(block_start, block_end) WITH &&) WHERE (live)
);

-- Bookings written (or being written) into the EMR. The idempotency key is
-- derived from the hold, so a retry of the same hold never books twice.
CREATE TABLE bookings (
    tenant_id          text NOT NULL,
    id                 bigserial,
    hold_id            bigint,
    idempotency_key    text NOT NULL CHECK (octet_length(idempotency_key) <= 64),
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'booked', 'conflict', 'failed')),
    service_id         text NOT NULL,
    provider_id        text NOT NULL,
    start_at           timestamptz NOT NULL,
    end_at             timestamptz NOT NULL,
    patient            jsonb NOT NULL DEFAULT '{}',
    deposit            jsonb,
    emr_patient_id     text,
    emr_appointment_id text,
    deposit_logged_as  text,
    client_created     boolean NOT NULL DEFAULT false,
    alternatives       jsonb,
    attempts           integer NOT NULL DEFAULT 0,
    last_error         text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX bookings_by_hold ON bookings (tenant_id, hold_id);
