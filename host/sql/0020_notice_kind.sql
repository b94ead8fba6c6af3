-- A notice about what the contact booked (a confirmation, a change, a
-- reminder): proactive for quiet hours, but not a commercial message under
-- CASL and not counted against a state's cap on solicitations.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'reply', 'textback', 'proactive', 'notice', 'optout_confirmation',
                    'help', 'staff', 'staff_alert'));
