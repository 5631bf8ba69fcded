-- Idempotency keys (issue 9.5): a GraphQL mutation sent with an `Idempotency-Key` header is done
-- once. A retry with the same key, by the same caller in the same organisation, is answered with the
-- first response (same payload, same revision) and writes nothing; the same key with another request
-- is refused (`idempotency_key_reused`).
--
-- Not a tenant change: no touch or history trigger and no revision of its own. A row is written in
-- the transaction of the mutation it answers, so a mutation that rolls back leaves none. Rows expire
-- after 24 hours and are then deleted (they hold the response, which may name people).
CREATE TABLE idempotency_key (
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    principal     text NOT NULL,          -- person:<id> or apikey:<id>, as in history
    key           text NOT NULL,          -- as the caller sent it
    request_hash  text NOT NULL,          -- sha256 of the query, variables and operation name
    revision      bigint NOT NULL,        -- the revision the mutation committed at
    response      json NOT NULL,          -- the GraphQL response as first answered (json keeps its key order)
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, principal, key)
);
CREATE INDEX idempotency_key_expiry ON idempotency_key (expires_at);
