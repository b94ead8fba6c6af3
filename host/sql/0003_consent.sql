-- The consent ledger: every consent, opt-out and opt-in of a contact, per
-- tenant, with where it came from, its scope, channel and campaign, and the
-- redacted message that caused it. Append-only: triggers refuse UPDATE,
-- DELETE and TRUNCATE. consent_state holds the current opt-out per (tenant,
-- contact), which every send consults; it changes in the same transaction
-- as the ledger row that explains it. Times are the host clock's, passed in
-- by the host, never now().

CREATE TABLE consent_events (
    tenant_id     text NOT NULL,
    id            bigserial,
    contact       text NOT NULL CHECK (octet_length(contact) BETWEEN 1 AND 255),
    kind          text NOT NULL CHECK (kind IN ('consent', 'opt_out', 'opt_in')),
    source        text NOT NULL CHECK (source IN ('inbound_call', 'inbound_text', 'inbound_chat',
                                                  'web_form', 'staff_entry', 'provider_report')),
    scope         text NOT NULL CHECK (scope IN ('conversational', 'marketing', 'all')),
    basis         text CHECK (basis IN ('express', 'implied_inquiry', 'implied_purchase')),
    channel       text NOT NULL CHECK (channel ~ '^[a-z0-9_.-]{1,32}$'),
    campaign      text CHECK (octet_length(campaign) BETWEEN 1 AND 128),
    consent_text  text CHECK (octet_length(consent_text) <= 4096),
    message       text CHECK (octet_length(message) <= 4096),
    at            timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX consent_events_by_contact ON consent_events (tenant_id, contact, id);

CREATE TABLE consent_state (
    tenant_id      text NOT NULL,
    contact        text NOT NULL,
    opted_out      boolean NOT NULL DEFAULT false,
    changed_at     timestamptz,
    last_event_id  bigint,
    PRIMARY KEY (tenant_id, contact)
);

CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP
        USING ERRCODE = 'BWC01';
END
$$;
CREATE TRIGGER consent_events_no_update_delete BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only();
