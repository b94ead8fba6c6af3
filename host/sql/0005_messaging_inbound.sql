-- The clinic's own address a contact wrote to or called (the number in a
-- webhook's "to"), so replies go out from the number the patient knows.
ALTER TABLE conversations ADD COLUMN clinic_address text
    CHECK (octet_length(clinic_address) BETWEEN 1 AND 255);
