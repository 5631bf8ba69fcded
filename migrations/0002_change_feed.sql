-- The change feed: every committed write transaction announces "<tenant id>:<revision>" on the
-- `registry_changes` channel. Notifications are delivered at commit, in commit order; servers then
-- read the history rows of the revisions they have not applied yet.
CREATE FUNCTION registry_notify_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('registry_changes', NEW.id::text || ':' || NEW.revision::text);
    RETURN NULL;
END $$;

CREATE TRIGGER organisation_revision_notify AFTER UPDATE OF revision ON organisation
    FOR EACH ROW EXECUTE FUNCTION registry_notify_revision();

-- As-of checks read the newest history row of each entity at an instant.
CREATE INDEX history_entity_at ON history (tenant_id, entity_id, at, id);
CREATE INDEX history_at ON history (tenant_id, at, id);
