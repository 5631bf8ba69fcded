-- Issue 13, part 1: each `registry sync --apply` (from the command line or the server's schedule) is
-- a run, recorded as it goes: a large sync is written in bounded batches, and `steps_done` is updated
-- in the same transaction as each batch, so a run that stops half-way (an error, a lost connection,
-- a stopped server) says how far it got, and the next run continues from there. The sync's plan is
-- idempotent (what is already written is not in the next plan), so continuing is running it again.
-- Bookkeeping, like the decision log: not in history (what the sync wrote is, as `system:sync:<kind>`).
CREATE TABLE sync_run (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq            bigserial NOT NULL,      -- the order runs began in (their instants may be equal)
    tenant_id      uuid NOT NULL REFERENCES organisation(id),
    source         text NOT NULL CHECK (source ~ '^[a-z0-9]{1,20}$'),
    trigger        text NOT NULL CHECK (trigger IN ('cli', 'schedule')),
    -- running: under way (or stopped without a word: the next run marks it interrupted); done;
    -- failed: stopped by an error (error_code, error_da); interrupted: found stopped by the next run
    status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    source_digest  text NOT NULL,           -- the source's content, hashed: the same input or not
    batch_size     integer NOT NULL CHECK (batch_size >= 0),   -- 0: the whole plan in one transaction
    steps_total    integer NOT NULL DEFAULT 0,
    steps_done     integer NOT NULL DEFAULT 0,
    counts         jsonb NOT NULL DEFAULT '{}'::jsonb,        -- the plan's counts (Plan.counts)
    effects        integer NOT NULL DEFAULT 0,                -- delegations affected
    continues      uuid REFERENCES sync_run(id),              -- the stopped run this one takes up
    first_revision bigint,
    last_revision  bigint,
    error_code     text,
    error_da       text,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz
);
CREATE INDEX sync_run_recent ON sync_run (tenant_id, seq DESC);
