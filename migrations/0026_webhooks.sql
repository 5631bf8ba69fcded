-- Issue 14, part 2: webhooks. A system (an API key with `events`) subscribes its organisation's events,
-- of some types, to an https URL; the registry delivers each matching outbox event to it, signed
-- (Standard Webhooks), at least once, with retries, in order per subject. Bookkeeping like the outbox:
-- not in history. Ids only.
CREATE TABLE webhook_subscription (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES organisation(id),
    api_key_id  uuid REFERENCES api_key(id) ON DELETE CASCADE,  -- the system that subscribed (NULL: the CLI, the demo)
    url         text NOT NULL,
    types       text[] NOT NULL CHECK (cardinality(types) > 0),  -- full types or prefixes (dk.registry.delegation.)
    -- The signing secret (whsec_...): it must be kept to sign. Shown once, at creation; never returned,
    -- logged or written to history again.
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL,
    -- The fan-out's cursor: every outbox event of the organisation up to here has its deliveries
    -- (events from before the subscription are not delivered: pull them from GET /events).
    cursor      bigint NOT NULL,
    -- A receiver that keeps failing backs off as a whole: consecutive failures, and no attempt before.
    failures    integer NOT NULL DEFAULT 0,
    paused_until timestamptz
);
CREATE INDEX webhook_subscription_tenant ON webhook_subscription (tenant_id, created_at);

-- One delivery per event and subscription. Its id is the `webhook-id` (the same on every attempt).
CREATE TABLE webhook_delivery (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id uuid NOT NULL REFERENCES webhook_subscription(id) ON DELETE CASCADE,
    tenant_id       uuid NOT NULL REFERENCES organisation(id),
    position        bigint NOT NULL REFERENCES outbox_event(position) ON DELETE CASCADE,
    subject         uuid NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    window_from     timestamptz NOT NULL,  -- the retry window starts here (queued, or replayed)
    next_at         timestamptz NOT NULL,  -- no attempt before
    lease_until     timestamptz,           -- claimed by a server until then (an attempt under way)
    last_status     integer,               -- the receiver's HTTP status (NULL: no answer)
    last_error      text,                  -- why the last attempt failed (no body of the receiver's)
    delivered_at    timestamptz,
    UNIQUE (subscription_id, position)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_at) WHERE status = 'pending';
CREATE INDEX webhook_delivery_subject ON webhook_delivery (subscription_id, subject, position) WHERE status = 'pending';
CREATE INDEX webhook_delivery_dead ON webhook_delivery (tenant_id, position) WHERE status = 'dead';
CREATE INDEX webhook_delivery_event ON webhook_delivery (position);
