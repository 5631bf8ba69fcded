-- Issue 14, part 1: the outbox. Every change someone should be told about writes an event here in
-- the same transaction as the change (registry.services.events), so no event is lost and none is
-- told for a change that rolled back; time-driven events (a delegation expiring in 14 days, a review
-- due, ...) are written by the scheduled producer, once each: `dedupe_key` is unique per organisation.
-- `position` orders the events and is the pull feed's cursor (GET /events?after=<position>): within
-- an organisation, positions are taken in commit order, because every writer first locks the
-- organisation's row (Db.write's revision bump; the producer takes the same lock).
-- Bookkeeping, like the decision log: not in history. Ids only, never personal details.
CREATE TABLE outbox_event (
    position     bigserial PRIMARY KEY,
    id           uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,  -- the CloudEvents id (stable)
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    type         text NOT NULL CHECK (type ~ '^dk\.registry\.[a-z_]+\.[a-z_]+$'),
    subject      uuid NOT NULL,
    revision     bigint NOT NULL,
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL,
    recipients   uuid[] NOT NULL DEFAULT '{}',
    dedupe_key   text
);
CREATE INDEX outbox_event_feed ON outbox_event (tenant_id, position);
CREATE UNIQUE INDEX outbox_event_dedupe ON outbox_event (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- The pull feed's scope: an API key with `events` reads its organisation's events and nothing else.
ALTER TABLE api_key DROP CONSTRAINT api_key_scopes_check;
ALTER TABLE api_key ADD CONSTRAINT api_key_scopes_check
    CHECK (scopes <@ ARRAY['check', 'record', 'read', 'write', 'admin', 'scim', 'events']);
