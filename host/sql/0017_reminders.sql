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

-- The waitlist: a patient waiting for a slot of a service (optionally with
-- one provider) inside a range of dates, on some weekdays (bit w: weekday
-- w, 0 = Sunday; 0 means any) and local times of day ([day_from_min,
-- day_to_min) minutes after local midnight). waitlist_offers: a freed slot
-- offered to a waiting patient until expires_at; accepted, lapsed, or
-- taken (another patient booked it first).
CREATE TABLE waitlist (
    tenant_id     text NOT NULL,
    id            bigserial,
    contact_id    bigint NOT NULL,
    service_id    text NOT NULL CHECK (octet_length(service_id) BETWEEN 1 AND 64),
    provider_id   text CHECK (octet_length(provider_id) BETWEEN 1 AND 64),
    from_at       timestamptz NOT NULL,
    to_at         timestamptz NOT NULL,
    weekdays      integer NOT NULL DEFAULT 0 CHECK (weekdays BETWEEN 0 AND 127),
    day_from_min  integer NOT NULL DEFAULT 0 CHECK (day_from_min BETWEEN 0 AND 1440),
    day_to_min    integer NOT NULL DEFAULT 1440 CHECK (day_to_min BETWEEN 0 AND 1440),
    state         text NOT NULL DEFAULT 'waiting'
                  CHECK (state IN ('waiting', 'booked', 'withdrawn', 'expired')),
    source        text NOT NULL CHECK (source IN ('api', 'conversation')),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id),
    CHECK (from_at < to_at AND day_from_min < day_to_min)
);
CREATE INDEX waitlist_waiting ON waitlist (tenant_id, created_at) WHERE state = 'waiting';

CREATE TABLE waitlist_offers (
    tenant_id     text NOT NULL,
    id            bigserial,
    waitlist_id   bigint NOT NULL,
    contact_id    bigint NOT NULL,
    service_id    text NOT NULL,
    provider_id   text NOT NULL,
    start_at      timestamptz NOT NULL,
    end_at        timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'accepted', 'lapsed', 'taken')),
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, waitlist_id) REFERENCES waitlist (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_offers_open ON waitlist_offers (tenant_id, contact_id) WHERE state = 'open';
CREATE UNIQUE INDEX waitlist_offers_once ON waitlist_offers (tenant_id, waitlist_id, provider_id,
                                                             start_at);

-- Recall: the one message per visit offering to book the next (sent, or
-- why not).
CREATE TABLE recall_sends (
    tenant_id    text NOT NULL,
    booking_id   bigint NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('sent', 'rebooked', 'no_marketing_consent',
                                                  'opted_out', 'gate_dropped', 'no_contact')),
    message_id   bigint,
    decided_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, booking_id)
);
