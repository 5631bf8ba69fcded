-- Issue 13: a person's aliases, the other ids the municipality's systems know her by: the OIDC `sub`,
-- the FK Organisation/OS2mo UUID, the AD user principal name and the payroll employee number. Checks
-- and AuthZEN accept any of them where they name a person by her external id.
--
-- * One alias of each kind per person. A UPN and a UUID are stored lower-cased (they compare without
--   case); a `sub` and a payroll number as given.
-- * A value names one person only: unique within the organisation across kinds, ignoring case, and
--   never another person's external id, ignoring case: checked by the use case that sets an alias,
--   inside the write transaction (registry.services.aliases; the index on lower(external_id) serves
--   it), and the other way round by a trigger on person (a new or changed external id may not be
--   another person's alias), which costs a person's write no round trip. A tenant's writes are
--   serialised (its revision row), so neither check races another write.
-- * Written and removed through ordinary rows: history records every change (entity type
--   `person_alias`), and the change feed carries it to every server's decision index. Erasing a
--   person removes her aliases (and pseudonymises their history like her external id's).

CREATE TABLE person_alias (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES organisation(id),
    person_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('sub', 'uuid', 'upn', 'payroll')),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, person_id, kind),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    CHECK (kind NOT IN ('upn', 'uuid') OR value = lower(value))
);
CREATE UNIQUE INDEX person_alias_value ON person_alias (tenant_id, lower(value));

CREATE INDEX person_external_id_lower ON person (tenant_id, lower(external_id));

CREATE TRIGGER person_alias_touch BEFORE INSERT OR UPDATE ON person_alias
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER person_alias_history AFTER INSERT OR UPDATE OR DELETE ON person_alias
    FOR EACH ROW EXECUTE FUNCTION registry_history();

-- A person's external id may not be another person's alias (ignoring case). Raised as a unique
-- violation of the named constraint, which registry.services.aliases turns into `alias_taken`.
CREATE FUNCTION registry_person_external_id_not_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM person_alias a WHERE a.tenant_id = NEW.tenant_id
                 AND lower(a.value) = lower(NEW.external_id) AND a.person_id <> NEW.id) THEN
        RAISE EXCEPTION 'the external id is another person''s alias'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'person_external_id_is_alias',
                  DETAIL = 'Key (external_id)=(' || NEW.external_id || ') is another person''s alias.';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER person_external_id_not_alias BEFORE INSERT OR UPDATE OF external_id ON person
    FOR EACH ROW EXECUTE FUNCTION registry_person_external_id_not_alias();
