-- Feedback from colleagues (issue 12 part 3): where a delegation's control form is peer sparring
-- (kollegial sparring), colleagues in its unit give feedback on its acts. Each feedback records in
-- which capacity it was given, so the leader sees that it came from a colleague. NULL: feedback
-- given before this was recorded (then always by the leader chain, a stand-in or the delegator).
ALTER TABLE act ADD COLUMN feedback_role text
    CHECK (feedback_role IN ('leader', 'standin', 'delegator', 'peer'));
