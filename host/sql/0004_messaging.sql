-- Contacts, conversations, messages and calls: who wrote or called a clinic,
-- the one conversation the host keeps with each of them, every message in
-- and out (text redacted before it gets here: no card numbers, no health
-- details), and every call the clinic did or did not answer. Outbound
-- messages are the outbox: a row is written in the same transaction as the
-- decision to send, and a send job delivers it through the tenant's channel
-- binding; its status follows the provider's callbacks. Times are the host
-- clock's, passed in by the host, never now().

CREATE TABLE contacts (
    tenant_id       text NOT NULL,
    id              bigserial,
    channel         text NOT NULL CHECK (channel IN ('sms', 'instagram', 'webchat', 'rbm')),
    address         text NOT NULL CHECK (octet_length(address) BETWEEN 1 AND 255),
    phone           text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email           text CHECK (octet_length(email) <= 254),
    first_name      text CHECK (octet_length(first_name) <= 100),
    last_name       text CHECK (octet_length(last_name) <= 100),
    emr_patient_id  text CHECK (octet_length(emr_patient_id) <= 128),
    created_at      timestamptz NOT NULL,
    erased_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, channel, address)
);
CREATE INDEX contacts_by_phone ON contacts (tenant_id, phone) WHERE phone IS NOT NULL;

-- One conversation per contact. state is the engine's own (the stage, the
-- offered slots, the hold), never medical data; binding is the channel
-- binding replies go through.
CREATE TABLE conversations (
    tenant_id     text NOT NULL,
    id            bigserial,
    contact_id    bigint NOT NULL,
    binding       text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'handoff', 'closed')),
    state         jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, contact_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);

-- direction 'in': status 'received'. direction 'out': kind says why it is
-- sent (a reply to the contact's own message, the missed-call text-back,
-- something proactive such as a follow-up or reminder, an opt-out or help
-- answer), which decides what quiet hours and caps allow; caused_by is the
-- inbound message or call it answers. not_before holds a message for quiet
-- hours. body is NULL once retention purged it.
CREATE TABLE messages (
    tenant_id        text NOT NULL,
    id               bigserial,
    conversation_id  bigint NOT NULL,
    contact_id       bigint NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('in', 'out')),
    kind             text NOT NULL CHECK (kind IN ('message', 'reply', 'textback', 'proactive',
                                                   'optout_confirmation', 'help', 'staff')),
    binding          text NOT NULL,
    body             text CHECK (octet_length(body) <= 4096),
    media_count      integer NOT NULL DEFAULT 0 CHECK (media_count BETWEEN 0 AND 10),
    provider_id      text CHECK (octet_length(provider_id) <= 128),
    status           text NOT NULL CHECK (status IN ('received', 'queued', 'held', 'sending',
                                                     'sent', 'delivered', 'undelivered',
                                                     'failed', 'cancelled', 'uncertain')),
    error_code       text CHECK (octet_length(error_code) <= 64),
    caused_by        bigint,
    not_before       timestamptz,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    status_at        timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);
CREATE INDEX messages_by_conversation ON messages (tenant_id, conversation_id, id);
CREATE INDEX messages_by_contact_out ON messages (tenant_id, contact_id, created_at)
    WHERE direction = 'out';
CREATE UNIQUE INDEX messages_by_provider_id ON messages (tenant_id, binding, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX messages_pending ON messages (tenant_id, contact_id)
    WHERE status IN ('queued', 'held');

-- A call to the clinic's number. missed: nobody answered (the Dial action
-- reported no-answer, busy, failed or canceled, or the tenant forwards
-- nowhere); the text-back goes out once per caller per 24 hours.
CREATE TABLE calls (
    tenant_id     text NOT NULL,
    id            bigserial,
    contact_id    bigint NOT NULL,
    binding       text NOT NULL,
    provider_id   text NOT NULL CHECK (octet_length(provider_id) <= 128),
    outcome       text NOT NULL CHECK (outcome IN ('missed', 'answered')),
    at            timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, binding, provider_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id)
);
CREATE INDEX calls_by_contact ON calls (tenant_id, contact_id, at);
