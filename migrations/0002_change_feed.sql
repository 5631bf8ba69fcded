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

-- History records the instant of the writer's clock when it sets one (`registry.at`), so that
-- as-of checks and tests with an injected clock agree with what the application saw.
CREATE OR REPLACE FUNCTION registry_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev bigint := nullif(current_setting('registry.revision', true), '')::bigint;
    actor text := nullif(current_setting('registry.actor', true), '');
    behalf text := nullif(current_setting('registry.on_behalf_of', true), '');
    stamp timestamptz := coalesce(nullif(current_setting('registry.at', true), '')::timestamptz, now());
    row_tenant uuid;
    row_id uuid;
BEGIN
    IF rev IS NULL OR actor IS NULL THEN
        RAISE EXCEPTION 'registry writes must run inside a registry transaction (revision and actor set)';
    END IF;
    IF TG_OP = 'DELETE' THEN
        row_id := OLD.id;
        row_tenant := coalesce((to_jsonb(OLD) ->> 'tenant_id')::uuid, OLD.id);
    ELSE
        row_id := NEW.id;
        row_tenant := coalesce((to_jsonb(NEW) ->> 'tenant_id')::uuid, NEW.id);
    END IF;
    INSERT INTO history (tenant_id, revision, at, entity_type, entity_id, operation, actor, on_behalf_of, before, after)
    VALUES (
        row_tenant, rev, stamp, TG_TABLE_NAME, row_id,
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        actor, behalf,
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END
    );
    RETURN NULL;
END $$;
