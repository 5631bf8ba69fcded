-- A planned step of trust (tillidsskridt, issue 12 part 7): the level a leader means to give next,
-- from when and on what terms ("niveau 6 fra 1. juni, hvis gennemgangen er positiv"). It surfaces at
-- the delegation's review; it never changes the level by itself. {"level": 1-7, "from_date":
-- "YYYY-MM-DD" or absent, "note": text}; null: no step planned.
ALTER TABLE delegation ADD COLUMN next_step jsonb
    CHECK (next_step IS NULL OR jsonb_typeof(next_step) = 'object');
