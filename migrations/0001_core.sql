-- The registry core: tenants, the organisation tree, people, teams, decision areas, delegations,
-- red lines, API keys and the append-only history.
--
-- Conventions:
--  * every row belongs to one tenant (organisation); ids are UUIDs so they cannot be guessed across
--    tenants;
--  * every mutable row carries version, created_at/by and updated_at/by; a trigger maintains them;
--  * a trigger writes every insert/update/delete into `history`, in the same transaction, with the
--    actor and revision the application sets with `set_config('registry.*', ..., true)`.

CREATE TABLE organisation (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Bumped once per write transaction. The row lock taken by the bump serialises a tenant's
    -- writes, so revisions commit in order and a reader never sees n+1 before n (gap-safe).
    revision    bigint NOT NULL DEFAULT 0,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text
);

CREATE TABLE org_unit (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id              uuid NOT NULL REFERENCES organisation(id),
    parent_id              uuid,
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                   text NOT NULL CHECK (kind IN ('direktion', 'forvaltning', 'center', 'unit', 'subunit')),
    external_id            text,
    deputies_may_delegate  boolean NOT NULL DEFAULT false,
    archived_at            timestamptz,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    created_by             text,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    updated_by             text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES org_unit(tenant_id, id)
);
CREATE UNIQUE INDEX org_unit_external_id ON org_unit (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX org_unit_parent ON org_unit (tenant_id, parent_id);

CREATE TABLE person (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email        text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    roles        text[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['admin', 'hr', 'auditor']),
    archived_at  timestamptz,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, external_id)
);

CREATE TABLE membership (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    person_id    uuid NOT NULL,
    unit_id      uuid NOT NULL,
    role         text NOT NULL CHECK (role IN ('employee', 'leader', 'deputy')),
    valid_from   timestamptz NOT NULL DEFAULT now(),
    valid_to     timestamptz,
    archived_at  timestamptz,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id)
);
CREATE INDEX membership_person ON membership (tenant_id, person_id);
CREATE INDEX membership_unit ON membership (tenant_id, unit_id);

CREATE TABLE team (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    unit_id      uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    archived_at  timestamptz,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id)
);

CREATE TABLE team_member (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    team_id      uuid NOT NULL,
    person_id    uuid NOT NULL,
    valid_from   timestamptz NOT NULL DEFAULT now(),
    valid_to     timestamptz,
    archived_at  timestamptz,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    FOREIGN KEY (tenant_id, team_id) REFERENCES team(tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id)
);
CREATE INDEX team_member_team ON team_member (tenant_id, team_id);
CREATE INDEX team_member_person ON team_member (tenant_id, person_id);

CREATE TABLE decision_area (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES organisation(id),
    parent_id        uuid,
    key              text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$' AND length(key) <= 200),
    name_da          text NOT NULL CHECK (length(name_da) BETWEEN 1 AND 200),
    name_en          text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    description      text NOT NULL DEFAULT '',
    kle              text,
    -- [{name, type, unit, description}], validated by the domain core before it is written.
    attributes       jsonb NOT NULL DEFAULT '[]',
    delegable        boolean NOT NULL DEFAULT true,
    reserved_unit_id uuid,
    archived_at      timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       text,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, key),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, reserved_unit_id) REFERENCES org_unit(tenant_id, id)
);

CREATE TABLE delegation (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id               uuid NOT NULL REFERENCES organisation(id),
    delegator_id            uuid NOT NULL,
    delegate_person_id      uuid,
    delegate_team_id        uuid,
    area_id                 uuid NOT NULL,
    unit_id                 uuid NOT NULL,
    include_subunits        boolean NOT NULL DEFAULT true,
    level                   smallint NOT NULL CHECK (level BETWEEN 1 AND 7),
    purpose                 text NOT NULL DEFAULT '',
    trust                   jsonb NOT NULL DEFAULT '{}',
    control                 jsonb NOT NULL DEFAULT '{}',
    rules                   text[] NOT NULL DEFAULT '{}',
    valid_from              timestamptz NOT NULL,
    valid_until             timestamptz,
    review_date             date,
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
    revoked_at              timestamptz,
    revoked_reason          text,
    allow_subdelegation     boolean NOT NULL DEFAULT false,
    max_subdelegation_depth smallint NOT NULL DEFAULT 0 CHECK (max_subdelegation_depth BETWEEN 0 AND 10),
    parent_id               uuid,
    -- the delegator acted on behalf of this person (a stand-in acting for a leader)
    on_behalf_of_id         uuid,
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              text,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by              text,
    UNIQUE (tenant_id, id),
    CHECK ((delegate_person_id IS NULL) <> (delegate_team_id IS NULL)),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    CHECK (delegate_person_id IS NULL OR delegate_person_id <> delegator_id),
    FOREIGN KEY (tenant_id, delegator_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, delegate_person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, delegate_team_id) REFERENCES team(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES delegation(tenant_id, id)
);
CREATE INDEX delegation_delegate_person ON delegation (tenant_id, delegate_person_id);
CREATE INDEX delegation_delegate_team ON delegation (tenant_id, delegate_team_id);
CREATE INDEX delegation_delegator ON delegation (tenant_id, delegator_id);
CREATE INDEX delegation_unit ON delegation (tenant_id, unit_id);
CREATE INDEX delegation_parent ON delegation (tenant_id, parent_id);

CREATE TABLE red_line (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    unit_id      uuid NOT NULL,
    area_id      uuid NOT NULL,
    -- NULL means an outright prohibition
    condition    text CHECK (condition IS NULL OR length(condition) <= 2000),
    consequence  text NOT NULL CHECK (length(consequence) BETWEEN 1 AND 2000),
    set_by       text NOT NULL CHECK (set_by IN ('law', 'direktion', 'forvaltning', 'leader', 'team')),
    archived_at  timestamptz,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id)
);
CREATE INDEX red_line_unit ON red_line (tenant_id, unit_id);

CREATE TABLE api_key (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- the first characters of the key, to recognise it in listings; the key itself is never stored
    prefix        text NOT NULL,
    secret_hash   bytea NOT NULL UNIQUE,
    scopes        text[] NOT NULL CHECK (scopes <@ ARRAY['check', 'record', 'read', 'write', 'admin']),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text
);

-- Append-only: no UPDATE or DELETE is ever issued against it (a trigger refuses them).
CREATE TABLE history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    revision      bigint NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    entity_type   text NOT NULL,
    entity_id     uuid NOT NULL,
    operation     text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    actor         text NOT NULL,
    on_behalf_of  text,
    before        jsonb,
    after         jsonb
);
CREATE INDEX history_entity ON history (tenant_id, entity_id, id);
CREATE INDEX history_revision ON history (tenant_id, revision);

CREATE FUNCTION registry_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_by := coalesce(NEW.created_by, current_setting('registry.actor', true));
        NEW.updated_by := NEW.created_by;
        NEW.created_at := now();
        NEW.updated_at := now();
        NEW.version := 1;
    ELSE
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
        NEW.updated_by := current_setting('registry.actor', true);
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION registry_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev bigint := nullif(current_setting('registry.revision', true), '')::bigint;
    actor text := nullif(current_setting('registry.actor', true), '');
    behalf text := nullif(current_setting('registry.on_behalf_of', true), '');
    row_tenant uuid;
    row_id uuid;
BEGIN
    IF rev IS NULL OR actor IS NULL THEN
        RAISE EXCEPTION 'registry writes must run inside a registry transaction (revision and actor set)';
    END IF;
    IF TG_OP = 'DELETE' THEN
        row_id := OLD.id;
        -- the organisation row is its own tenant
        row_tenant := coalesce((to_jsonb(OLD) ->> 'tenant_id')::uuid, OLD.id);
    ELSE
        row_id := NEW.id;
        row_tenant := coalesce((to_jsonb(NEW) ->> 'tenant_id')::uuid, NEW.id);
    END IF;
    INSERT INTO history (tenant_id, revision, entity_type, entity_id, operation, actor, on_behalf_of, before, after)
    VALUES (
        row_tenant, rev, TG_TABLE_NAME, row_id,
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        actor, behalf,
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END
    );
    RETURN NULL;
END $$;

CREATE FUNCTION registry_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only';
END $$;

CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION registry_history_is_append_only();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['org_unit', 'person', 'membership', 'team', 'team_member',
                             'decision_area', 'delegation', 'red_line', 'api_key']
    LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE INSERT OR UPDATE ON %I
                        FOR EACH ROW EXECUTE FUNCTION registry_touch()', t, t);
        EXECUTE format('CREATE TRIGGER %I_history AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION registry_history()', t, t);
    END LOOP;
END $$;

-- The organisation row's revision bump is bookkeeping, not a change worth a history entry; only
-- its name and creation are.
CREATE TRIGGER organisation_history AFTER INSERT OR DELETE OR UPDATE OF name ON organisation
    FOR EACH ROW EXECUTE FUNCTION registry_history();
