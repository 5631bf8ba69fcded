-- The unit's shared frame (issue 12 part 5): one statement per unit or team of its kerneopgave/formål
-- and its fælles spilleregler (the view of the core task, everyday values, the limits of
-- self-determination, l. 575-588), marked with when and how it was agreed with the team. Every
-- mandate within the unit shows it; a delegation's own rules come on top.
CREATE TABLE unit_frame (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES organisation(id),
    unit_id      uuid,
    team_id      uuid,
    core_task    text NOT NULL DEFAULT '',
    rules        text[] NOT NULL DEFAULT '{}',
    agreed_on    date,
    agreed_how   text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text,
    UNIQUE (tenant_id, id),
    CHECK ((unit_id IS NULL) <> (team_id IS NULL)),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES org_unit(tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES team(tenant_id, id)
);
CREATE UNIQUE INDEX unit_frame_unit ON unit_frame (tenant_id, unit_id) WHERE unit_id IS NOT NULL;
CREATE UNIQUE INDEX unit_frame_team ON unit_frame (tenant_id, team_id) WHERE team_id IS NOT NULL;
CREATE TRIGGER unit_frame_touch BEFORE INSERT OR UPDATE ON unit_frame FOR EACH ROW EXECUTE FUNCTION registry_touch();
CREATE TRIGGER unit_frame_history AFTER INSERT OR UPDATE OR DELETE ON unit_frame
    FOR EACH ROW EXECUTE FUNCTION registry_history();
