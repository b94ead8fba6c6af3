-- A text to the clinic's own staff number about a staff alert: it goes at
-- once, quiet hours and frequency caps are for patients.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'reply', 'textback', 'proactive', 'optout_confirmation', 'help',
                    'staff', 'staff_alert'));
