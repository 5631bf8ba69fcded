"""Use cases for stand-ins: a leader appoints someone to hold her authority while she is away."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from registry.domain import rules
from registry.domain.model import Person, StandIn
from registry.errors import Invalid
from registry.services import events
from registry.services.common import Ctx, Result, check_text, load_facts, require
from registry.storage import org as org_sql
from registry.storage import standins as standin_sql
from registry.storage import rows


async def appoint(ctx: Ctx, *, unit_id: UUID, stand_in_id: UUID, valid_from: datetime, valid_until: datetime,
                  note: str = "") -> Result:
    """Only the unit's own leader (not a stand-in: authority is not passed on twice) or an
    administrator appoints a stand-in."""
    rules.check_dates(validFrom=valid_from, validUntil=valid_until)
    if valid_until <= valid_from:
        raise Invalid("validUntil must be after validFrom", field="validUntil", code="invalid_validity")
    check_text(note, "note", max_len=2000, required=False)
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        facts.unit(unit_id)
        stand_in = await rows.get(tx.conn, "person", Person, ctx.tenant_id, stand_in_id, field="standInId")
        if stand_in.archived_at is not None:
            raise Invalid("the stand-in is archived", field="standInId", code="archived")
        leader = await _leader_of(tx.conn, ctx, unit_id)
        if stand_in_id == leader:
            raise Invalid("a leader cannot stand in for herself", field="standInId", code="self_delegation")
        appointment = await rows.insert(tx, "stand_in", StandIn, dict(
            unit_id=unit_id, leader_id=leader, stand_in_id=stand_in_id, valid_from=valid_from,
            valid_until=valid_until, note=note))
        await events.stand_in(tx, "appointed", appointment, ctx.now())
        return Result(appointment, tx.revision)


async def _leader_of(conn, ctx: Ctx, unit_id: UUID) -> UUID:
    """Whose stand-in is appointed: the caller's, when she leads the unit; else (an administrator
    appointing) the unit's current leader's."""
    relations = set()
    if ctx.principal.person is not None:
        mine = await org_sql.memberships_of_people(conn, ctx.tenant_id, [ctx.principal.person.id])
        if unit_id in {m.unit_id for m in mine if m.role == "leader" and m.active_at(ctx.now())}:
            relations.add("unit_leader")
    require(ctx, "appointStandIn", relations, code="not_the_leader", field="unitId",
            message="only the unit's leader (or an administrator) appoints a stand-in")
    if relations:
        return ctx.principal.person.id
    members = await org_sql.memberships_of_units(conn, ctx.tenant_id, [unit_id])
    leaders = [m.person_id for m in members if m.role == "leader" and m.active_at(ctx.now())]
    if leaders:
        return leaders[0]
    raise Invalid("the unit has no leader to stand in for", field="unitId", code="no_leader")


async def end(ctx: Ctx, stand_in_id: UUID, version: int) -> Result:
    """End an appointment early (it is archived, and kept in history)."""
    async with ctx.write() as tx:
        current = await rows.get(tx.conn, "stand_in", StandIn, ctx.tenant_id, stand_in_id)
        person = ctx.principal.person
        require(ctx, "endStandIn", {"appointer"} if person is not None and person.id == current.leader_id else (),
                code="not_the_leader", field="id",
                message="only the leader who appointed the stand-in (or an administrator) ends it")
        ended = await rows.update(tx, "stand_in", StandIn, stand_in_id, version, {"archived_at": ctx.now()})
        await events.stand_in(tx, "ended", ended, ctx.now())
        return Result(ended, tx.revision)


async def list_for(ctx: Ctx, unit_id: UUID | None) -> list[StandIn]:
    async with ctx.db.read() as conn:
        return await standin_sql.of_unit(conn, ctx.tenant_id, unit_id)
