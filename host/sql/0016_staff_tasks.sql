-- Staff tasks: a booking to enter by hand in an EMR without a booking API
-- (link_only). The conversation engine makes one when a patient has been
-- qualified (and has paid the deposit, when one is due); staff list them and
-- mark one done, and the patient is then texted a confirmation. details holds
-- what staff need to enter the booking (name, phone, services, preferred
-- time, the deposit paid); it is erased with the contact.
CREATE TABLE staff_tasks (
    tenant_id       text NOT NULL,
    id              bigserial,
    kind            text NOT NULL DEFAULT 'manual_booking' CHECK (kind ~ '^[a-z_]{1,32}$'),
    conversation_id bigint NOT NULL,
    contact_id      bigint,
    details         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at      timestamptz NOT NULL,
    done_at         timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, conversation_id, kind, created_at)
);
CREATE INDEX staff_tasks_open ON staff_tasks (tenant_id, id) WHERE status = 'open';
