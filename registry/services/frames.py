"""Use cases for a unit's or a team's shared frame (issue 12 part 5): its kerneopgave/formål and its
fælles spilleregler, agreed with the team (l. 575-588). The leader chain of the unit (or a stand-in
for it) sets it; everyone who may read the organisation reads it, and every mandate within the
unit (or through the team) shows it, a delegation's own rules on top."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from registry.domain import rules as domain_rules
from registry.domain.model import UnitFrame
from registry.errors import Conflict, Invalid
from registry.services.common import (Ctx, Result, authority, check_text, live_team, load_facts, relations_to_unit,
                                      require)
from registry.storage import frames as frame_sql
from registry.storage import rows

MAX_RULES = 30


class FrameInput(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: UUID | None = None
    team_id: UUID | None = None
    core_task: str = ""
    rules: tuple[str, ...] = ()
    agreed_on: date | None = None
    agreed_how: str = ""


def _check(data: FrameInput, today: date) -> None:
    if (data.unit_id is None) == (data.team_id is None):
        raise Invalid("name a unit or a team", field="unitId", code="required")
    check_text(data.core_task, "coreTask", max_len=4000, required=False)
    if len(data.rules) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} rules", field="rules", code="too_many")
    for rule in data.rules:
        check_text(rule, "rules", max_len=2000)
    check_text(data.agreed_how, "agreedHow", max_len=500, required=False)
    domain_rules.check_dates(agreedOn=data.agreed_on)
    if data.agreed_on is not None and data.agreed_on > today:
        raise Invalid("a frame is agreed on a day that has come", field="agreedOn", code="invalid_instant")
    if not data.core_task.strip() and not data.rules:
        raise Invalid("write the core task or at least one rule", field="coreTask", code="required")


async def set_frame(ctx: Ctx, data: FrameInput, *, version: int | None = None) -> Result:
    """Write the unit's (or team's) frame: a first one, or a new version of it (`version` as read)."""
    _check(data, ctx.now().date())
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        unit_id = data.unit_id
        if data.team_id is not None:
            unit_id = (await live_team(tx.conn, ctx.tenant_id, data.team_id)).unit_id
        unit = facts.unit(unit_id)
        if unit.archived_at is not None:
            raise Invalid("the unit is archived", field="unitId", code="archived")
        held = await authority(tx.conn, ctx, facts)
        require(ctx, "setUnitFrame", relations_to_unit(held, unit_id, facts.unit_tree), code="not_unit_leader",
                field="unitId", message="a unit's shared frame is set by its leader chain (or a stand-in for it)")
        values = {"core_task": data.core_task.strip(), "rules": [r.strip() for r in data.rules],
                  "agreed_on": data.agreed_on, "agreed_how": data.agreed_how.strip()}
        current = await frame_sql.of(tx.conn, ctx.tenant_id, unit_id=data.unit_id, team_id=data.team_id,
                                     for_update=True)
        if current is None:
            if version not in (None, 0):
                raise Conflict("there is no frame yet", current_version=0)
            frame = await rows.insert(tx, "unit_frame", UnitFrame,
                                      {"unit_id": data.unit_id, "team_id": data.team_id, **values})
        else:
            if version is None or version != current.version:
                raise Conflict(f"the frame is at version {current.version}", current_version=current.version)
            frame = await rows.update(tx, "unit_frame", UnitFrame, current.id, current.version, values)
        return Result(frame, tx.revision)


async def frame_of(ctx: Ctx, unit_id: UUID | None, team_id: UUID | None) -> UnitFrame | None:
    if (unit_id is None) == (team_id is None):
        raise Invalid("name a unit or a team", field="unitId", code="required")
    async with ctx.db.read() as conn:
        return await frame_sql.of(conn, ctx.tenant_id, unit_id=unit_id, team_id=team_id)


async def frames_at(ctx: Ctx, places: list[tuple[UUID, UUID | None]]) -> list[list[UnitFrame]]:
    """For each (unit, team or None), the frames that hold there: the unit's and those of the units
    above it (nearest first), then the team's. One read for all of them."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        return await frames_in(conn, ctx.tenant_id, facts, places)


async def frames_in(conn, tenant_id: UUID, facts, places: list[tuple[UUID, UUID | None]]) -> list[list[UnitFrame]]:
    """frames_at on a connection and facts the caller holds."""
    return await frame_sql.along(conn, tenant_id, [(facts.unit_tree.ancestors(unit_id), [] if team is None else [team])
                                                   for unit_id, team in places])


async def add_rule_in(ctx: Ctx, tx, facts, unit_id: UUID | None, team_id: UUID | None, rule: str,
                      held: dict) -> UnitFrame:
    """Add one rule to the unit's (or team's) shared frame, in the caller's transaction (a proposed rule
    the leader adopts, issue 12 part 1), by set_frame's rules: who may set the frame where the unit
    (or the team's unit, now) is, nothing archived, a rule as long as a frame's may be. A first frame
    has only it."""
    if team_id is not None:
        where = (await live_team(tx.conn, ctx.tenant_id, team_id)).unit_id
    else:
        where = unit_id
    if facts.unit(where).archived_at is not None:
        raise Invalid("the unit is archived", field="unitId", code="archived")
    require(ctx, "setUnitFrame", relations_to_unit(held, where, facts.unit_tree), code="not_unit_leader",
            field="unitId", message="a unit's shared frame is set by its leader chain (or a stand-in for it)")
    check_text(rule, "rules", max_len=2000)
    current = await frame_sql.of(tx.conn, ctx.tenant_id, unit_id=unit_id, team_id=team_id, for_update=True)
    rule = rule.strip()
    if current is None:
        return await rows.insert(tx, "unit_frame", UnitFrame, {"unit_id": unit_id, "team_id": team_id,
                                                               "core_task": "", "rules": [rule]})
    if rule in current.rules:
        return current
    if len(current.rules) >= MAX_RULES:
        raise Invalid(f"the frame has {MAX_RULES} rules already", field="answer", code="too_many")
    return await rows.update(tx, "unit_frame", UnitFrame, current.id, current.version,
                             {"rules": [*current.rules, rule]})
