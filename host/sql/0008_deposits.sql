-- Deposits and the evidence trail. A deposit is what a patient pays on the
-- payment provider's hosted page to secure a held slot: its amount (integer
-- minor units), the hold or conversation it secures, the provider's link
-- and, once paid, the provider's payment id. Card data never reaches these
-- tables: the patient pays on the provider's page and the host learns only
-- the outcome. Times are the host clock's, passed in by the host.
CREATE TABLE deposits (
    tenant_id        text NOT NULL,
    id               bigserial,
    hold_ref         text NOT NULL CHECK (octet_length(hold_ref) BETWEEN 1 AND 200),
    conversation_id  bigint,
    binding          text NOT NULL CHECK (octet_length(binding) BETWEEN 1 AND 72),
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status           text NOT NULL DEFAULT 'created'
                     CHECK (status IN ('created', 'paid', 'failed', 'refunded', 'expired')),
    idempotency_key  text NOT NULL CHECK (octet_length(idempotency_key) BETWEEN 1 AND 64),
    link_id          text CHECK (octet_length(link_id) <= 128),
    link_url         text CHECK (octet_length(link_url) <= 512),
    order_id         text CHECK (octet_length(order_id) <= 128),
    payment_id       text CHECK (octet_length(payment_id) <= 128),
    error_code       text CHECK (octet_length(error_code) <= 64),
    redirect_url     text CHECK (octet_length(redirect_url) <= 512),
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    linked_at        timestamptz,
    paid_at          timestamptz,
    refunded_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE UNIQUE INDEX deposits_by_link ON deposits (tenant_id, link_id) WHERE link_id IS NOT NULL;
CREATE INDEX deposits_by_order ON deposits (tenant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX deposits_by_hold ON deposits (tenant_id, hold_ref);

-- Every payment event the host processed, by the provider's event id: a
-- second delivery of the same event changes nothing.
CREATE TABLE deposit_events (
    tenant_id          text NOT NULL,
    provider_event_id  text NOT NULL CHECK (octet_length(provider_event_id) BETWEEN 1 AND 200),
    deposit_id         bigint,
    type               text NOT NULL CHECK (octet_length(type) <= 32),
    outcome            text NOT NULL CHECK (octet_length(outcome) <= 32),
    received_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, provider_event_id)
);

-- The evidence trail: per subject (a hold, and so the booking it becomes),
-- entries numbered from 1, each carrying the SHA-256 of the previous entry's
-- hash and its own content, so that changing, removing or reordering any
-- entry breaks the chain. Append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE; `bookwell evidence verify` recomputes the chain.
CREATE TABLE evidence (
    tenant_id   text NOT NULL,
    subject     text NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 200),
    seq         integer NOT NULL CHECK (seq >= 1),
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
    at          timestamptz NOT NULL,
    body        text NOT NULL CHECK (octet_length(body) <= 16384),
    prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (tenant_id, subject, seq)
);

CREATE FUNCTION evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence is append-only: % refused', TG_OP USING ERRCODE = 'BWE01';
END
$$;
CREATE TRIGGER evidence_no_update_delete BEFORE UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
