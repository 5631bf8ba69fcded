-- Conditions on a delegation (issue 11): limits on one delegate's mandate, e.g. "Anna up to
-- 10.000 kr.". Each is {"condition": <canonical text in the red lines' condition language>,
-- "text_da": <the Danish sentence people see>}. A delegation allows a request only when every
-- condition holds, its parents' included (a sub-delegation inherits them; see registry/policy/index.py).
ALTER TABLE delegation ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(conditions) = 'array' AND jsonb_array_length(conditions) <= 20);
