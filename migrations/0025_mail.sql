-- Issue 14, part 3: e-mail to people, in Danish (registry.services.mail), read from the outbox.
--
-- A person's choice of digest (daily, weekly or none) and the organisation's default for those who
-- have not chosen. Settings, like the decision log: not in history.
CREATE TABLE mail_preference (
    tenant_id   uuid NOT NULL REFERENCES organisation(id),
    person_id   uuid NOT NULL REFERENCES person(id),
    digest      text NOT NULL CHECK (digest IN ('daily', 'weekly', 'none')),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, person_id)
);
CREATE TABLE mail_default (
    tenant_id   uuid PRIMARY KEY REFERENCES organisation(id),
    digest      text NOT NULL CHECK (digest IN ('daily', 'weekly', 'none')),
    updated_at  timestamptz NOT NULL
);

-- The mail log: one row per person and mail (`key`: `event:<outbox event id>` or
-- `digest:<daily|weekly>:<period>`), written in the same transaction as the mail is handed to the SMTP
-- server, so a mail is never sent twice for the same event or digest. Ids, the outcome and when only:
-- no address, no subject, no text. Deleted after REGISTRY_MAIL_LOG_RETENTION_DAYS (90).
CREATE TABLE mail_sent (
    tenant_id   uuid NOT NULL REFERENCES organisation(id),
    person_id   uuid NOT NULL REFERENCES person(id),
    key         text NOT NULL,
    -- sent: handed to the SMTP server; no_address: the person has no e-mail address (skipped, counted);
    -- refused: the SMTP server refused the address for good; empty: a digest with nothing to tell
    status      text NOT NULL CHECK (status IN ('sent', 'no_address', 'refused', 'empty')),
    at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, person_id, key)
);
CREATE INDEX mail_sent_age ON mail_sent (at);

-- How far the mailer has read each organisation's outbox: every event up to `position` is told (or
-- was skipped) to all its recipients. Per organisation, because positions are taken in commit order
-- only within one (storage.outbox). It starts at the outbox's end when mail is introduced, so events
-- from before are not mailed.
CREATE TABLE mail_cursor (
    tenant_id   uuid PRIMARY KEY REFERENCES organisation(id),
    position    bigint NOT NULL
);
INSERT INTO mail_cursor (tenant_id, position) SELECT tenant_id, max(position) FROM outbox_event GROUP BY tenant_id;
