-- The decision log: check decisions as they were answered to callers (issue #5), for accountability.
--
-- Not a tenant change: no touch or history trigger and no revision bump. Rows are written in batches
-- by a background task (COPY), read by administrators and auditors, and deleted after
-- REGISTRY_DECISION_LOG_RETENTION_DAYS because they hold personal data (who was checked for what).
-- What was asked is kept as sent (person external id, area key, unit id); the ids it resolved to at
-- the time are kept beside it for the queries (null when the registry did not know it).
CREATE TABLE decision_log (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id     uuid NOT NULL,
    decided_at    timestamptz NOT NULL,   -- the server's clock when it answered
    at            timestamptz NOT NULL,   -- the instant the check asked about (usually the same)
    person        text NOT NULL,
    person_id     uuid,
    area          text NOT NULL,
    area_id       uuid,
    unit          text NOT NULL,
    unit_id       uuid,
    action        text NOT NULL,
    allowed       boolean NOT NULL,
    reason        text NOT NULL,
    level         smallint,
    revision      bigint NOT NULL,        -- the tenant revision the answer came from
    source        text NOT NULL,          -- the endpoint: graphql.check, authzen.evaluation, ...
    caller        text NOT NULL,          -- person:<id> or apikey:<id>
    request_id    text,
    PRIMARY KEY (tenant_id, id)           -- newest first per tenant, and the cursor
);
CREATE INDEX decision_log_person ON decision_log (tenant_id, person_id, id);
CREATE INDEX decision_log_area ON decision_log (tenant_id, area_id, id);
CREATE INDEX decision_log_unit ON decision_log (tenant_id, unit_id, id);
CREATE INDEX decision_log_time ON decision_log (tenant_id, decided_at);
-- Retention deletes by time across tenants; rows arrive in time order, so a BRIN index is enough.
CREATE INDEX decision_log_retention ON decision_log USING brin (decided_at);
