-- API keys: the history keeps who created, rotated or revoked a key, its name, scopes and expiry,
-- never its secret's hash or the key's visible prefix (the history is readable far more widely
-- than the keys). Entries already written lose them too: that one rewrite bypasses the history's
-- append-only guard inside this migration's transaction, for these two fields of API-key entries.

CREATE OR REPLACE FUNCTION registry_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev bigint := nullif(current_setting('registry.revision', true), '')::bigint;
    actor text := nullif(current_setting('registry.actor', true), '');
    behalf text := nullif(current_setting('registry.on_behalf_of', true), '');
    stamp timestamptz := coalesce(nullif(current_setting('registry.at', true), '')::timestamptz, now());
    secrets text[] := CASE WHEN TG_TABLE_NAME = 'api_key' THEN ARRAY['secret_hash', 'prefix'] ELSE '{}' END;
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
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - secrets END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - secrets END
    );
    RETURN NULL;
END $$;

ALTER TABLE history DISABLE TRIGGER history_append_only;
UPDATE history SET before = before - 'secret_hash' - 'prefix', after = after - 'secret_hash' - 'prefix'
 WHERE entity_type = 'api_key';
ALTER TABLE history ENABLE TRIGGER history_append_only;
