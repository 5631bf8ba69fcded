-- Feedback both ways (issue 12 part 3): the employee can answer the feedback on her act.
ALTER TABLE act ADD COLUMN reply text;
ALTER TABLE act ADD COLUMN replied_at timestamptz;
