-- The trust loop: stand-ins for absent leaders, acts as hverdagsdirektør with their due items,
-- justification and feedback, trust breaches (tillidsbrud) with their effects, and reviews.

-- A leader appoints a stand-in for a unit for a period (absence). During it the stand-in holds the
-- leader's authority in that unit and its subtree; what the stand-in does is recorded on behalf of
-- the leader.
CREATE TABLE stand_in (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    unit_id       uuid NOT NULL,
    leader_id     uuid NOT NULL,
    stand_in_id   uuid NOT NULL,
    valid_from    timestamptz NOT NULL,
    valid_until   timestamptz NOT NULL,
    note          text NOT NULL DEFAULT '',
    archived_at   timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    CHECK (valid_until > valid_from),
    CHECK (stand_in_id <> leader_id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, leader_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, stand_in_id) REFERENCES person(tenant_id, id)
);
CREATE INDEX stand_in_unit ON stand_in (tenant_id, unit_id);

-- An act as hverdagsdirektør (or another decision taken under a permit), recorded by the actor or
-- by an integrating system, with what was owed and what came of it.
CREATE TABLE act (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL REFERENCES organisation(id),
    person_id           uuid NOT NULL,
    area_id             uuid NOT NULL,
    unit_id             uuid NOT NULL,
    action              text NOT NULL,
    attributes          jsonb NOT NULL DEFAULT '{}',
    case_ref            text NOT NULL CHECK (length(case_ref) BETWEEN 1 AND 200),
    description         text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    occurred_at         timestamptz NOT NULL,
    permit_revision     bigint,
    delegation_id       uuid,
    reason              text NOT NULL,
    level               smallint,
    justification       text,
    justified_at        timestamptz,
    feedback            text,
    assessment          text CHECK (assessment IN ('well_founded', 'worth_discussing', 'not_acceptable')),
    feedback_by         uuid,
    feedback_at         timestamptz,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id),
    FOREIGN KEY (tenant_id, feedback_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX act_person ON act (tenant_id, person_id, occurred_at);
CREATE INDEX act_unit ON act (tenant_id, unit_id, occurred_at);

-- What an act owes: justify by a deadline, report at the next report, ... Overdue is derived
-- (open and past its deadline), so no job has to flip it.
CREATE TABLE due_item (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES organisation(id),
    act_id        uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('justify', 'report', 'pre_approval', 'seek_advice')),
    due_at        timestamptz,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled')),
    fulfilled_at  timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, act_id) REFERENCES act(tenant_id, id)
);
CREATE INDEX due_item_act ON due_item (tenant_id, act_id);

-- A trust breach (tillidsbrud). Its details are personal data: few may read them, and they are
-- purged a configurable time after closure; the effect windows stay, so checks and history remain
-- explainable.
CREATE TABLE breach (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES organisation(id),
    person_id       uuid NOT NULL,
    area_id         uuid NOT NULL,
    unit_id         uuid NOT NULL,
    delegation_id   uuid,
    occurred_at     timestamptz NOT NULL,
    description     text,
    cause           text CHECK (cause IN ('competence', 'intention', 'resources', 'changed_circumstances',
                                          'ill_will')),
    response        text NOT NULL CHECK (response IN ('dialogue', 'guidance', 'extra_control', 'lowered_level',
                                                      'suspension', 'revocation')),
    effect_from     timestamptz NOT NULL,
    effect_until    timestamptz,
    lowered_to      smallint CHECK (lowered_to BETWEEN 1 AND 7),
    follow_up_date  date,
    repair_status   text NOT NULL DEFAULT 'open' CHECK (repair_status IN ('open', 'repairing', 'repaired', 'closed')),
    learning_notes  text,
    closed_at       timestamptz,
    purged_at       timestamptz,
    recorded_by     uuid,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text,
    UNIQUE (tenant_id, id),
    CHECK (effect_until IS NULL OR effect_until > effect_from),
    CHECK ((response = 'lowered_level') = (lowered_to IS NOT NULL)),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id)
);
CREATE INDEX breach_person ON breach (tenant_id, person_id);

-- A leader's review of a delegation: continue, adjust (a new version of the delegation) or end.
CREATE TABLE review (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL REFERENCES organisation(id),
    delegation_id     uuid NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('continue', 'adjust', 'end')),
    note              text NOT NULL DEFAULT '',
    next_review_date  date,
    reviewed_by       uuid NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id),
    FOREIGN KEY (tenant_id, reviewed_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX review_delegation ON review (tenant_id, delegation_id);
CREATE INDEX delegation_review_date ON delegation (tenant_id, review_date);
CREATE INDEX delegation_valid_until ON delegation (tenant_id, valid_until);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stand_in', 'act', 'due_item', 'review'] LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE INSERT OR UPDATE ON %I
                        FOR EACH ROW EXECUTE FUNCTION registry_touch()', t, t);
        EXECUTE format('CREATE TRIGGER %I_history AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION registry_history()', t, t);
    END LOOP;
END $$;

-- Breaches: history keeps that a breach existed and its effect windows, never its details
-- (description, cause, learning notes), which are purged after closure.
CREATE FUNCTION registry_breach_history() RETURNS trigger LANGUAGE plpgsql AS $$
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
             ELSE to_jsonb(OLD) - 'description' - 'cause' - 'learning_notes' END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL
             ELSE to_jsonb(NEW) - 'description' - 'cause' - 'learning_notes' END);
    RETURN NULL;
END $$;

CREATE TRIGGER breach_touch BEFORE INSERT OR UPDATE ON breach FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER breach_history AFTER INSERT OR UPDATE OR DELETE ON breach
    FOR EACH ROW EXECUTE FUNCTION registry_breach_history();
