-- Contact erasure and message-text retention.
--
-- An erased contact keeps its row (bookings, calls and evidence refer to
-- it) with its personal data gone: names, email and message bodies become
-- NULL, the phone becomes NULL and the address 'erased:<id>', and
-- erased_key holds a salted SHA-256 of what the consent ledger knew it by.
--
-- The consent ledger stays append-only for facts: which kind of event, when,
-- from which source, scope, basis, channel and campaign never change and no
-- row is ever deleted. Erasure may do exactly one thing to a row: replace
-- its contact by consent_erased_key(tenant, contact) and its message by
-- NULL. consent_state rows move to the same key, so the opt-out of an
-- erased contact still blocks every send to the same number or identity
-- (consent.c looks a contact up under both keys), while the ledger no
-- longer holds the number in clear. The salt is per tenant and random, so
-- the key cannot be reversed by hashing every phone number without it.
-- Retention does not touch the ledger: it is the record of consent that
-- TCPA and CASL require a clinic to be able to show.

CREATE TABLE contact_erasure_salts (
    tenant_id  text PRIMARY KEY,
    salt       bytea NOT NULL CHECK (octet_length(salt) = 32)
);

-- NULL when the tenant never erased anyone (then no row carries such a key).
CREATE FUNCTION consent_erased_key(p_tenant text, p_contact text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'erased:' || encode(sha256(s.salt || convert_to(p_contact, 'UTF8')), 'hex')
      FROM contact_erasure_salts s WHERE s.tenant_id = p_tenant
$$;

-- Creates the tenant's salt when missing (two random UUIDs' bytes).
CREATE FUNCTION consent_erasure_salt_ensure(p_tenant text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO contact_erasure_salts (tenant_id, salt)
    VALUES (p_tenant, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                             'hex'))
    ON CONFLICT (tenant_id) DO NOTHING
$$;

ALTER TABLE contacts ADD COLUMN erased_key text CHECK (octet_length(erased_key) <= 80);

CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.contact IS NOT DISTINCT FROM consent_erased_key(OLD.tenant_id, OLD.contact)
       AND NEW.message IS NULL
       AND (NEW.tenant_id, NEW.id, NEW.kind, NEW.source, NEW.scope, NEW.basis, NEW.channel,
            NEW.campaign, NEW.consent_text, NEW.at)
           IS NOT DISTINCT FROM
           (OLD.tenant_id, OLD.id, OLD.kind, OLD.source, OLD.scope, OLD.basis, OLD.channel,
            OLD.campaign, OLD.consent_text, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP
        USING ERRCODE = 'BWC01';
END
$$;

-- Retention purges bodies by age; erasure and the consent route find a
-- contact's messages by contact.
CREATE INDEX messages_with_body_by_age ON messages (tenant_id, created_at)
    WHERE body IS NOT NULL;
CREATE INDEX messages_by_contact ON messages (tenant_id, contact_id);
