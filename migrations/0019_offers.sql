-- A delegation is offered and taken up (issue 12, part 1; "Tillid kan aldrig beordres", l. 216-227
-- of the publication): a new delegation at a level that gives the employee a decision starts as
-- `offered` and allows nothing until the delegate (for a team: any member, by name) accepts it; she
-- may decline with a reason (`declined`, final) or ask to talk it over first (it stays offered).
-- An amendment that widens an accepted delegation is offered again (the old terms stay in force until
-- she accepts); one that narrows takes effect at once and the delegate is told (a `narrowing` notice
-- she marks as seen). Employees ask for a delegation and propose a rule; the leader answers.

ALTER TABLE delegation DROP CONSTRAINT delegation_status_check;
ALTER TABLE delegation ADD CONSTRAINT delegation_status_check
    CHECK (status IN ('active', 'suspended', 'revoked', 'offered', 'declined'));

-- From which level a new delegation (or a widening) must be accepted by the delegate; NULL: never.
-- Levels 1-4 give the employee no decision of her own, so by default they take effect at once.
ALTER TABLE organisation ADD COLUMN acceptance_from_level integer DEFAULT 5
    CHECK (acceptance_from_level IS NULL OR acceptance_from_level BETWEEN 1 AND 7);
DROP TRIGGER organisation_history ON organisation;
CREATE TRIGGER organisation_history AFTER INSERT OR DELETE OR UPDATE OF name, kind, archived_at, acceptance_from_level
    ON organisation FOR EACH ROW EXECUTE FUNCTION registry_history();

CREATE TABLE delegation_offer (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES organisation(id),
    delegation_id  uuid NOT NULL,
    -- new: the delegation itself; widening: `changes` wait for her; narrowing: a notice, already in force
    kind           text NOT NULL CHECK (kind IN ('new', 'widening', 'narrowing')),
    changes        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(changes) = 'object'),
    summary_da     text NOT NULL DEFAULT '',
    -- open: waiting for her; accepted / declined by her; withdrawn by the leader (or superseded);
    -- seen: a narrowing notice she has read
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'accepted', 'declined', 'withdrawn', 'seen')),
    -- her latest answer: accept, decline, or talk ("ikke klar endnu", the offer stays open); history
    -- keeps every answer
    answer         text CHECK (answer IS NULL OR answer IN ('accept', 'decline', 'talk', 'seen')),
    answer_note    text NOT NULL DEFAULT '' CHECK (length(answer_note) <= 4000),
    answered_by    uuid,
    answered_at    timestamptz,
    offered_by     uuid,
    offered_at     timestamptz NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id),
    FOREIGN KEY (tenant_id, answered_by) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, offered_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX delegation_offer_delegation ON delegation_offer (tenant_id, delegation_id, offered_at);
CREATE INDEX delegation_offer_open ON delegation_offer (tenant_id, status) WHERE status = 'open';
-- at most one open offer of each kind that waits for an answer, per delegation
CREATE UNIQUE INDEX delegation_offer_one_open ON delegation_offer (tenant_id, delegation_id)
    WHERE status = 'open' AND kind IN ('new', 'widening');

CREATE TRIGGER delegation_offer_touch BEFORE INSERT OR UPDATE ON delegation_offer
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER delegation_offer_history AFTER INSERT OR UPDATE OR DELETE ON delegation_offer
    FOR EACH ROW EXECUTE FUNCTION registry_history();

-- An employee asks for a delegation (area, unit, the level she wishes, why) or proposes a rule
-- (spilleregel) for her unit or team. The leader answers: offers a delegation, adopts the rule (into
-- the unit's or team's shared frame), or says no with a reason.
CREATE TABLE delegation_request (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES organisation(id),
    kind           text NOT NULL CHECK (kind IN ('delegation', 'rule')),
    person_id      uuid NOT NULL,
    unit_id        uuid NOT NULL,
    team_id        uuid,
    area_id        uuid,
    level          integer CHECK (level IS NULL OR level BETWEEN 1 AND 7),
    text           text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'offered', 'adopted', 'declined', 'withdrawn')),
    answer_note    text NOT NULL DEFAULT '' CHECK (length(answer_note) <= 4000),
    answered_by    uuid,
    answered_at    timestamptz,
    delegation_id  uuid,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text,
    UNIQUE (tenant_id, id),
    CHECK (kind = 'rule' OR (area_id IS NOT NULL AND level IS NOT NULL)),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES team(tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES decision_area(tenant_id, id),
    FOREIGN KEY (tenant_id, answered_by) REFERENCES person(tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id)
);
CREATE INDEX delegation_request_unit ON delegation_request (tenant_id, unit_id, status);
CREATE INDEX delegation_request_person ON delegation_request (tenant_id, person_id, created_at);

CREATE TRIGGER delegation_request_touch BEFORE INSERT OR UPDATE ON delegation_request
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER delegation_request_history AFTER INSERT OR UPDATE OR DELETE ON delegation_request
    FOR EACH ROW EXECUTE FUNCTION registry_history();
