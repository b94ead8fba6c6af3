-- Confirmations, reminders and attendance of booked appointments.
--
-- appointment_reminders: one row per booking that was confirmed to its
-- patient: the unguessable token of its add-to-calendar (.ics) link, and
-- whether and when the patient confirmed it in answer to a reminder.
-- reminder_sends: what became of each scheduled reminder of a booking
-- (offset_min before the start): sent (with its message), or why not.
-- attendance: what the EMR says became of a booked appointment, one row per
-- booking, read back by the attendance job; the no-show rate by month and by
-- provider is counted from it.

CREATE TABLE appointment_reminders (
    tenant_id        text NOT NULL,
    booking_id       bigint NOT NULL,
    contact_id       bigint,
    calendar_token   text NOT NULL UNIQUE CHECK (calendar_token ~ '^[0-9a-f]{64}$'),
    confirmed_at     timestamptz,
    confirmed_by     text CHECK (confirmed_by IN ('reply', 'emr')),
    reminded_at      timestamptz,           -- the last reminder sent
    reply_open       boolean NOT NULL DEFAULT false, -- a reminder awaits the patient's answer
    unconfirmed_alerted_at timestamptz,
    rebook_offered_at timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, booking_id),
    FOREIGN KEY (tenant_id, booking_id) REFERENCES bookings (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX appointment_reminders_open ON appointment_reminders (tenant_id, contact_id)
    WHERE reply_open;

CREATE TABLE reminder_sends (
    tenant_id    text NOT NULL,
    booking_id   bigint NOT NULL,
    offset_min   integer NOT NULL CHECK (offset_min > 0),
    contact_id   bigint,
    outcome      text NOT NULL CHECK (outcome IN ('sent', 'too_late', 'daily_cap', 'weekly_cap',
                                                  'opted_out', 'not_booked', 'confirmed',
                                                  'no_contact', 'gate_dropped')),
    message_id   bigint,
    decided_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, booking_id, offset_min)
);
CREATE INDEX reminder_sends_by_contact ON reminder_sends (tenant_id, contact_id, decided_at)
    WHERE outcome = 'sent';

CREATE TABLE attendance (
    tenant_id          text NOT NULL,
    booking_id         bigint NOT NULL,
    provider_id        text NOT NULL,
    appointment_start  timestamptz NOT NULL,
    state              text NOT NULL CHECK (state IN ('arrived', 'completed', 'no_show',
                                                      'cancelled')),
    recorded_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, booking_id)
);
CREATE INDEX attendance_by_start ON attendance (tenant_id, appointment_start);
