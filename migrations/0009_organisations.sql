-- Organisations are created, listed and archived by platform operators (`registry org ...`, or a
-- platform API key over GraphQL), who act inside no organisation.
--
-- * An organisation is a municipality (kommune) or a region. Archiving one is final: its people
--   and API keys stop authenticating on every server (the change feed carries the archive), and no
--   write transaction opens on it again. Its rows and history stay.
-- * Creation, renaming, kind and archiving are recorded in history (the revision bump is not).
-- * Platform keys belong to no tenant: only a hash is stored, as for API keys. They have no history
--   (history rows belong to a tenant); who created and revoked each is kept on the row.

ALTER TABLE organisation ADD COLUMN kind text NOT NULL DEFAULT 'kommune' CHECK (kind IN ('kommune', 'region'));
ALTER TABLE organisation ADD COLUMN archived_at timestamptz;

DROP TRIGGER organisation_history ON organisation;
CREATE TRIGGER organisation_history AFTER INSERT OR DELETE OR UPDATE OF name, kind, archived_at ON organisation
    FOR EACH ROW EXECUTE FUNCTION registry_history();

CREATE TABLE platform_key (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    secret_hash   bytea NOT NULL UNIQUE,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    revoked_by    text,
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL
);
