-- The frame explained and cleaned up (issue 12 part 3): a red line carries its why (begrundelse,
-- l. 483-509) and a date to take it up again (l. 497-498); who set it may also be political
-- (kommunalbestyrelse/regionsråd), a professional guideline (faglig retningslinje/instruks) or an
-- agreement (overenskomst, MED, lokalaftale), l. 261-264. A delegation's control form and its why
-- live in its `control` jsonb (form, cadence, why, ...), which needs no change here.
ALTER TABLE red_line ADD COLUMN why text NOT NULL DEFAULT '';
ALTER TABLE red_line ADD COLUMN review_date date;
ALTER TABLE red_line DROP CONSTRAINT red_line_set_by_check;
ALTER TABLE red_line ADD CONSTRAINT red_line_set_by_check
    CHECK (set_by IN ('law', 'political', 'direktion', 'forvaltning', 'guideline', 'agreement', 'leader', 'team'));
