-- The leader's card (issue 12, part 4; "at trække lederkortet", l. 648, 987 of the publication): a
-- leader decides a matter she has delegated, and records it on the delegation: what was decided,
-- why, and when. The delegate is told (she reads it on her delegation), it is in history, and it
-- counts in the unit's follow-up. It never changes the delegation: no column here is read by checks.
CREATE TABLE leader_card (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES organisation(id),
    delegation_id  uuid NOT NULL,
    unit_id        uuid NOT NULL,  -- the delegation's unit (it never changes): counted per unit subtree
    decided        text NOT NULL CHECK (length(decided) BETWEEN 1 AND 4000),
    why            text NOT NULL CHECK (length(why) BETWEEN 1 AND 4000),
    decided_at     timestamptz NOT NULL,
    decided_by     uuid NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, delegation_id) REFERENCES delegation(tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES person(tenant_id, id)
);
CREATE INDEX leader_card_delegation ON leader_card (tenant_id, delegation_id, decided_at);
CREATE INDEX leader_card_unit ON leader_card (tenant_id, unit_id, decided_at);

CREATE TRIGGER leader_card_touch BEFORE INSERT OR UPDATE ON leader_card
    FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER leader_card_history AFTER INSERT OR UPDATE OR DELETE ON leader_card
    FOR EACH ROW EXECUTE FUNCTION registry_history();
