-- Breaches as learning (issue 12, part 6; l. 1050-1080 of the publication): a breach has several
-- responses over time (first a forventningssamtale, then two months of tættere kontrol), the
-- employee's own account, what the leader or the frame changes (resources, guidance, level), and
-- learning points a leader may share without personal data.
--
-- The breach row stays the FIRST response (its response, effect window and lowered level, as
-- before; existing breaches need no migration). Later responses are rows of breach_response with
-- the same effect columns under the same names, so the decision index applies them exactly as it
-- applies a breach (suspension denies, a lowered level caps, extra control adds a pre-approval).
--
-- The Danish texts are personal data, like a breach's description: the history keeps that they
-- were written and by whom, never the text (registry_history_without), and the retention purge and
-- erasure empty them. Only a learning point marked shareable (the leader confirmed it holds no
-- personal data) keeps its text.

-- 'other': a response the leader describes in its note (it changes nothing in checks).
ALTER TABLE breach DROP CONSTRAINT breach_response_check;
ALTER TABLE breach ADD CONSTRAINT breach_response_check CHECK (response IN (
    'dialogue', 'guidance', 'extra_control', 'lowered_level', 'suspension', 'revocation', 'other'));
-- The first response's own note (e.g. what the expectations talk agreed).
ALTER TABLE breach ADD COLUMN response_note text CHECK (length(response_note) BETWEEN 1 AND 4000);

CREATE OR REPLACE FUNCTION registry_breach_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev bigint := nullif(current_setting('registry.revision', true), '')::bigint;
    actor text := nullif(current_setting('registry.actor', true), '');
    behalf text := nullif(current_setting('registry.on_behalf_of', true), '');
    stamp timestamptz := coalesce(nullif(current_setting('registry.at', true), '')::timestamptz, now());
BEGIN
    IF rev IS NULL OR actor IS NULL THEN
        RAISE EXCEPTION 'registry writes must run inside a registry transaction (revision and actor set)';
    END IF;
    INSERT INTO history (tenant_id, revision, at, entity_type, entity_id, operation, actor, on_behalf_of, before, after)
    VALUES (
        coalesce(NEW.tenant_id, OLD.tenant_id), rev, stamp, 'breach', coalesce(NEW.id, OLD.id),
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END, actor, behalf,
        CASE WHEN TG_OP = 'INSERT' THEN NULL
             ELSE to_jsonb(OLD) - 'description' - 'cause' - 'learning_notes' - 'response_note' END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL
             ELSE to_jsonb(NEW) - 'description' - 'cause' - 'learning_notes' - 'response_note' END);
    RETURN NULL;
END $$;

-- The history of a row without the columns named as the trigger's arguments (personal texts).
CREATE FUNCTION registry_history_without() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev bigint := nullif(current_setting('registry.revision', true), '')::bigint;
    actor text := nullif(current_setting('registry.actor', true), '');
    behalf text := nullif(current_setting('registry.on_behalf_of', true), '');
    stamp timestamptz := coalesce(nullif(current_setting('registry.at', true), '')::timestamptz, now());
    hidden text[] := TG_ARGV;
BEGIN
    IF rev IS NULL OR actor IS NULL THEN
        RAISE EXCEPTION 'registry writes must run inside a registry transaction (revision and actor set)';
    END IF;
    INSERT INTO history (tenant_id, revision, at, entity_type, entity_id, operation, actor, on_behalf_of, before, after)
    VALUES (
        coalesce(NEW.tenant_id, OLD.tenant_id), rev, stamp, TG_TABLE_NAME, coalesce(NEW.id, OLD.id),
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END, actor, behalf,
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - hidden END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - hidden END);
    RETURN NULL;
END $$;

-- A later response to a breach. person_id, area_id and unit_id are the breach's (they never
-- change): the decision index reads a response's effect as it reads a breach's.
CREATE TABLE breach_response (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    breach_id     uuid NOT NULL,
    person_id     uuid NOT NULL,
    area_id       uuid NOT NULL,
    unit_id       uuid NOT NULL,
    response      text NOT NULL CHECK (response IN ('dialogue', 'guidance', 'extra_control', 'lowered_level',
                                                    'suspension', 'revocation', 'other')),
    note          text CHECK (length(note) BETWEEN 1 AND 4000),
    given_at      timestamptz NOT NULL,   -- when the talk was held, the control began, ...
    effect_from   timestamptz NOT NULL,   -- when checks began to apply it (when it was recorded)
    effect_until  timestamptz,
    lowered_to    smallint CHECK (lowered_to BETWEEN 1 AND 7),
    recorded_by   uuid NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    CHECK (effect_until IS NULL OR effect_until > effect_from),
    CHECK ((response = 'lowered_level') = (lowered_to IS NOT NULL)),
    FOREIGN KEY (tenant_id, breach_id) REFERENCES breach(tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX breach_response_breach ON breach_response (tenant_id, breach_id, given_at);
CREATE INDEX breach_response_person ON breach_response (tenant_id, person_id);

-- The employee's own account of what happened: one per breach, written and rewritten by her alone
-- until the breach is closed.
CREATE TABLE breach_account (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    breach_id     uuid NOT NULL,
    person_id     uuid NOT NULL,
    unit_id       uuid NOT NULL,
    account       text CHECK (length(account) BETWEEN 1 AND 8000),
    written_at    timestamptz NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, breach_id),
    FOREIGN KEY (tenant_id, breach_id) REFERENCES breach(tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id)
);

-- What the leader or the frame changes in response: not a sanction on the person.
CREATE TABLE breach_frame_change (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    breach_id     uuid NOT NULL,
    person_id     uuid NOT NULL,
    unit_id       uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('resources', 'guidance', 'level', 'rules', 'other')),
    text          text CHECK (length(text) BETWEEN 1 AND 4000),
    decided_at    timestamptz NOT NULL,
    recorded_by   uuid NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, breach_id) REFERENCES breach(tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX breach_frame_change_breach ON breach_frame_change (tenant_id, breach_id, decided_at);

-- A learning point. A shareable one holds no personal data (the leader confirmed it): its text,
-- the breach's cause (copied: the breach's own is purged) and its date may be shown to anyone in
-- the organisation, never the person or the breach.
CREATE TABLE learning_point (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    breach_id     uuid NOT NULL,
    person_id     uuid NOT NULL,
    unit_id       uuid NOT NULL,
    text          text CHECK (length(text) BETWEEN 1 AND 2000),
    cause         text CHECK (cause IN ('competence', 'intention', 'resources', 'changed_circumstances',
                                        'ill_will')),
    shareable     boolean NOT NULL DEFAULT false,
    confirmed_no_personal_data_by uuid,
    learned_at    timestamptz NOT NULL,
    recorded_by   uuid NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    CHECK (NOT shareable OR (confirmed_no_personal_data_by IS NOT NULL AND text IS NOT NULL)),
    FOREIGN KEY (tenant_id, breach_id) REFERENCES breach(tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, confirmed_no_personal_data_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX learning_point_breach ON learning_point (tenant_id, breach_id);
CREATE INDEX learning_point_shared ON learning_point (tenant_id, unit_id, learned_at) WHERE shareable;

CREATE TRIGGER breach_response_touch BEFORE INSERT OR UPDATE ON breach_response
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER breach_response_history AFTER INSERT OR UPDATE OR DELETE ON breach_response
    FOR EACH ROW EXECUTE FUNCTION registry_history_without('note');
CREATE TRIGGER breach_account_touch BEFORE INSERT OR UPDATE ON breach_account
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER breach_account_history AFTER INSERT OR UPDATE OR DELETE ON breach_account
    FOR EACH ROW EXECUTE FUNCTION registry_history_without('account');
CREATE TRIGGER breach_frame_change_touch BEFORE INSERT OR UPDATE ON breach_frame_change
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER breach_frame_change_history AFTER INSERT OR UPDATE OR DELETE ON breach_frame_change
    FOR EACH ROW EXECUTE FUNCTION registry_history_without('text');
CREATE TRIGGER learning_point_touch BEFORE INSERT OR UPDATE ON learning_point
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER learning_point_history AFTER INSERT OR UPDATE OR DELETE ON learning_point
    FOR EACH ROW EXECUTE FUNCTION registry_history_without('text');
