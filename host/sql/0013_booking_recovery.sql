-- What the booking writer needs to recover from an EMR outage and to keep
-- our bookings and the EMR's calendar in step: when the patient was told a
-- booking is being confirmed, when staff were alerted, when the
-- reconciliation job last found the appointment (or found it gone), and a
-- 'cancelled' state for an appointment cancelled in the EMR. Staff alerts
-- are rows (one per subject and kind, so an alert is raised once), logged,
-- and texted to the tenant's staff number when it is configured.

ALTER TABLE bookings DROP CONSTRAINT bookings_state_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_state_check
    CHECK (state IN ('pending', 'booked', 'conflict', 'failed', 'cancelled'));
ALTER TABLE bookings ADD COLUMN delay_told_at timestamptz;
ALTER TABLE bookings ADD COLUMN staff_alerted_at timestamptz;
ALTER TABLE bookings ADD COLUMN reconciled_at timestamptz;
ALTER TABLE bookings ADD COLUMN rewrites integer NOT NULL DEFAULT 0;
CREATE INDEX bookings_live ON bookings (tenant_id, start_at) WHERE state = 'booked';

CREATE TABLE staff_alerts (
    tenant_id    text NOT NULL,
    id           bigserial,
    kind         text NOT NULL CHECK (kind ~ '^[a-z_.]{1,64}$'),
    subject      text NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 128),
    text         text NOT NULL CHECK (octet_length(text) BETWEEN 1 AND 1600),
    message_id   bigint,
    created_at   timestamptz NOT NULL,
    resolved_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kind, subject)
);
