-- Erasure (GDPR art. 17) by pseudonymisation, keeping the history consistent.
--
-- An erased person keeps her row and id, so every history entry, delegation, act and review that
-- names her still resolves, to a pseudonym. The history stays append-only with one narrow
-- exception: inside a write transaction that has declared an erasure for its tenant
-- (`set_config('registry.erasure', <tenant id>, true)`, transaction-local), an UPDATE of a history
-- row of that tenant may change `before` and `after`, and nothing else. Deleting stays forbidden.
-- This is a guard against accidents and ordinary code paths, not against a database superuser.

ALTER TABLE person ADD COLUMN erased_at timestamptz;
ALTER TABLE person ADD CONSTRAINT person_erased_is_archived CHECK (erased_at IS NULL OR archived_at IS NOT NULL);

CREATE OR REPLACE FUNCTION registry_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing text := nullif(current_setting('registry.erasure', true), '');
BEGIN
    IF TG_OP = 'UPDATE' AND erasing IS NOT NULL
       AND nullif(current_setting('registry.revision', true), '') IS NOT NULL
       AND OLD.tenant_id::text = erasing
       AND (NEW.id, NEW.tenant_id, NEW.revision, NEW.at, NEW.entity_type, NEW.entity_id, NEW.operation, NEW.actor,
            NEW.on_behalf_of)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.tenant_id, OLD.revision, OLD.at, OLD.entity_type, OLD.entity_id, OLD.operation, OLD.actor,
            OLD.on_behalf_of)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'history is append-only';
END $$;

-- Replace every match of patterns[i] by replacements[i] (case-insensitive, all occurrences). The
-- patterns are built by the application from escaped literals with word boundaries.
CREATE FUNCTION registry_redact_text(value text, patterns text[], replacements text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i integer;
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    FOR i IN 1 .. coalesce(array_length(patterns, 1), 0) LOOP
        value := regexp_replace(value, patterns[i], replacements[i], 'gi');
    END LOOP;
    RETURN value;
END $$;

CREATE FUNCTION registry_redact_text_array(value text[], patterns text[], replacements text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL ELSE
        coalesce((SELECT array_agg(registry_redact_text(e, patterns, replacements) ORDER BY n)
                  FROM unnest(value) WITH ORDINALITY AS u(e, n)), '{}') END
$$;

-- The same over every string value of a JSON document (keys, numbers and structure unchanged).
CREATE FUNCTION registry_redact_jsonb(doc jsonb, patterns text[], replacements text[]) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE jsonb_typeof(doc)
        WHEN 'string' THEN
            RETURN to_jsonb(registry_redact_text(doc #>> '{}', patterns, replacements));
        WHEN 'array' THEN
            RETURN coalesce((SELECT jsonb_agg(registry_redact_jsonb(e, patterns, replacements) ORDER BY n)
                             FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(e, n)), '[]'::jsonb);
        WHEN 'object' THEN
            RETURN coalesce((SELECT jsonb_object_agg(k, registry_redact_jsonb(v, patterns, replacements))
                             FROM jsonb_each(doc) AS o(k, v)), '{}'::jsonb);
        ELSE
            RETURN doc;
    END CASE;
END $$;
