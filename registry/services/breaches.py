"""Use cases for trust breaches (tillidsbrud): record, follow up, read (few may), purge details.

A breach is for learning, not shaming. Its details (description, cause, learning notes) are
personal data: the employee concerned, the leader chain above the unit, and HR may read them, and
no one else; they are purged a configurable time after closure. Integrating systems and colleagues
only ever see the effect on checks (a reason or an obligation), computed at check time from the
response's window, so nothing has to run when a window ends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import msgspec

from registry.domain import rules
from registry.domain.model import Breach, Delegation, Person
from registry.errors import Forbidden, Invalid, NotFound
from registry.services import delegations as delegation_uc
from registry.services import events
from registry.services.common import (Ctx, Result, Sight, authority, check_text, load_facts, may,
                                      relations_to_unit, require, standing_in_for)
from registry.storage import breach_learning as learning_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import Actor, Db

CAUSES = ("competence", "intention", "resources", "changed_circumstances", "ill_will")
# 'other' (issue 12, part 6): a response the leader describes in its note; it changes nothing in checks.
RESPONSES = ("dialogue", "guidance", "extra_control", "lowered_level", "suspension", "revocation", "other")
TEMPORARY = ("extra_control", "lowered_level", "suspension")
REPAIR = ("open", "repairing", "repaired", "closed")
DEFAULT_RETENTION = timedelta(days=730)  # 24 months after closure


class BreachInput(msgspec.Struct, frozen=True, kw_only=True):
    delegation_id: UUID | None = None
    person_id: UUID | None = None
    area_id: UUID | None = None
    unit_id: UUID | None = None
    occurred_at: datetime
    description: str
    cause: str
    response: str
    until: datetime | None = None
    lowered_to: int | None = None
    follow_up_date: date | None = None
    learning_notes: str | None = None
    response_note: str | None = None  # issue 12, part 6: the first response's own note


def _validate(data: BreachInput, now: datetime) -> None:
    check_text(data.description, "description", max_len=8000)
    check_text(data.learning_notes, "learningNotes", max_len=8000, required=False)
    check_text(data.response_note, "responseNote", max_len=4000, required=False)
    if data.cause not in CAUSES:
        raise Invalid(f"cause must be one of {', '.join(CAUSES)}", field="cause", code="invalid_choice")
    if data.response not in RESPONSES:
        raise Invalid(f"response must be one of {', '.join(RESPONSES)}", field="response", code="invalid_choice")
    if data.response in TEMPORARY and (data.until is None or data.until <= now):
        raise Invalid(f"{data.response} is temporary: give `until`, a future instant", field="until",
                      code="invalid_validity")
    if data.response == "lowered_level" and (data.lowered_to is None or not 1 <= data.lowered_to <= 6):
        raise Invalid("a lowered level must be 1-6", field="loweredTo", code="level_out_of_range")
    if data.response != "lowered_level" and data.lowered_to is not None:
        raise Invalid("loweredTo only goes with the lowered_level response", field="loweredTo", code="invalid_choice")
    if data.response == "revocation" and data.delegation_id is None:
        raise Invalid("revocation names the delegation to revoke", field="delegationId", code="required")
    rules.check_dates(occurredAt=data.occurred_at, until=data.until, followUpDate=data.follow_up_date)
    if data.occurred_at > now:
        raise Invalid("a breach cannot have occurred in the future", field="occurredAt", code="invalid_instant")


async def record(ctx: Ctx, data: BreachInput) -> Result:
    """A leader in the chain above records a breach against a delegation, or a person and an area."""
    if ctx.principal.person is None:
        raise Forbidden("breaches are recorded by leaders", code="person_required")
    now = ctx.now()
    _validate(data, now)
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        delegation = None
        person_id, area_id, unit_id = data.person_id, data.area_id, data.unit_id
        if data.delegation_id is not None:
            delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, data.delegation_id,
                                        for_update=True, field="delegationId")
            area_id, unit_id = delegation.area_id, delegation.unit_id
            person_id = delegation.delegate_person_id or person_id
            if person_id is None:
                raise Invalid("for a team delegation, name the person the breach concerns", field="personId",
                              code="required")
            if data.response == "lowered_level" and data.lowered_to >= delegation.level:
                raise Invalid(f"a lowered level must be below the delegation's level {delegation.level}",
                              field="loweredTo", code="level_out_of_range")
        if person_id is None or area_id is None or unit_id is None:
            raise Invalid("name a delegation, or a person, an area and a unit", field="delegationId",
                          code="required")
        await rows.get(tx.conn, "person", Person, ctx.tenant_id, person_id, field="personId")
        facts.area(area_id)
        facts.unit(unit_id)
        if person_id == ctx.principal.person.id:
            raise Forbidden("a breach is recorded by a leader above you, not by yourself", field="personId",
                            code="not_authorised_to_record")
        held = await _require_leader_chain(ctx, tx, facts, unit_id, "recordBreach")
        await _check_concerned(tx.conn, ctx, facts, held, person_id, unit_id, delegation, data.occurred_at)
        breach = await rows.insert(tx, "breach", Breach, dict(
            person_id=person_id, area_id=area_id, unit_id=unit_id, delegation_id=data.delegation_id,
            occurred_at=data.occurred_at, description=data.description, cause=data.cause, response=data.response,
            effect_from=now, effect_until=data.until, lowered_to=data.lowered_to,
            follow_up_date=data.follow_up_date, learning_notes=data.learning_notes,
            response_note=(data.response_note or "").strip() or None, recorded_by=ctx.principal.person.id))
        if data.response == "revocation":
            await delegation_uc.revoke_in(ctx, tx, delegation, f"breach {breach.id}")
        if data.response == "suspension":  # that, and the ids: nothing about the breach
            await events.suspended(tx, delegation_id=data.delegation_id, person_id=person_id, unit_id=unit_id,
                                   area_id=area_id, at=now)
        return Result(breach, tx.revision)


async def _check_concerned(conn, ctx: Ctx, facts, held: dict, person_id: UUID, unit_id: UUID,
                          delegation: Delegation | None, occurred_at: datetime) -> None:
    """A breach concerns someone the caller answers for: the delegation's delegate (or a member of its
    team), or a member of the unit's subtree; never a leader at or above the caller's own place in
    the chain (not her own leader, nor the leader a stand-in stands in for)."""
    now = ctx.now()
    memberships = [m for m in await org_sql.memberships_of_people(conn, ctx.tenant_id, [person_id])
                   if m.active_at(now) or m.active_at(occurred_at)]
    chain = facts.unit_tree.ancestors(unit_id)
    top = [u for u in chain if u in held][-1]  # the caller's authority over the unit starts here
    above = set(facts.unit_tree.ancestors(top))
    if any(m.role == "leader" and m.unit_id in above for m in memberships):
        raise Forbidden("a breach is recorded by the leader chain above the person, not about a leader at or "
                        "above your own place in it", field="personId", code="not_authorised_to_record")
    if delegation is not None and delegation.delegate_person_id is not None:
        concerned = delegation.delegate_person_id == person_id
    elif delegation is not None:
        concerned = delegation.delegate_team_id in await org_sql.team_ids_of_person(conn, ctx.tenant_id, person_id,
                                                                                      occurred_at)
    else:
        concerned = any(facts.unit_tree.is_within(m.unit_id, unit_id) for m in memberships)
    if not concerned:
        raise Invalid("the person is not the delegate, nor a member of the unit or a unit below it",
                      field="personId", code="not_concerned")


async def _require_leader_chain(ctx: Ctx, tx, facts, unit_id: UUID, op: str) -> dict:
    held = await authority(tx.conn, ctx, facts)
    relations = relations_to_unit(held, unit_id, facts.unit_tree)
    require(ctx, op, relations, code="not_authorised_to_record", field="unitId",
            message="only the leader chain above the unit records and follows up breaches")
    if "leader" not in relations:  # a stand-in, on the absent leader's behalf
        await tx.on_behalf_of(f"person:{standing_in_for(held, unit_id, facts.unit_tree)}")
    return held


_FOLLOW_UP = {"repair_status", "learning_notes", "follow_up_date", "description", "cause", "effect_until"}


async def follow_up(ctx: Ctx, breach_id: UUID, version: int, changes: dict) -> Result:
    """Repair status, learning notes, the follow-up date; end an effect early with effectUntil."""
    unknown = set(changes) - _FOLLOW_UP
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0], code="immutable")
    if "repair_status" in changes and changes["repair_status"] not in REPAIR:
        raise Invalid(f"repairStatus must be one of {', '.join(REPAIR)}", field="repairStatus", code="invalid_choice")
    rules.check_dates(effectUntil=changes.get("effect_until"), followUpDate=changes.get("follow_up_date"))
    if "cause" in changes and changes["cause"] not in CAUSES:
        raise Invalid(f"cause must be one of {', '.join(CAUSES)}", field="cause", code="invalid_choice")
    async with ctx.write() as tx:
        current = await _visible(ctx, tx.conn, breach_id, for_update=True)
        facts = await load_facts(tx.conn, ctx.tenant_id)
        if ctx.principal.person is not None and current.person_id == ctx.principal.person.id:
            raise Forbidden("the leader chain follows up a breach", field="id", code="not_authorised_to_record")
        await _require_leader_chain(ctx, tx, facts, current.unit_id, "followUpBreach")
        if current.purged_at is not None:
            raise Invalid("the breach's details have been purged", field="id", code="purged")
        if "effect_until" in changes and changes["effect_until"] is not None \
                and changes["effect_until"] <= current.effect_from:
            raise Invalid("effectUntil must be after the effect began", field="effectUntil", code="invalid_validity")
        if changes.get("repair_status") == "closed" and current.closed_at is None:
            changes = {**changes, "closed_at": ctx.now()}
        updated = await rows.update(tx, "breach", Breach, breach_id, version, changes)
        return Result(updated, tx.revision)


async def may_follow_up(ctx: Ctx, breach: Breach, op: str = "followUpBreach") -> bool:
    """Whether follow_up (or another of the leader chain's steps, `op`) would let the caller follow
    up this breach (the same relations and policy row), so a page offers the form only to those it
    is for."""
    person = ctx.principal.person
    if person is None or breach.person_id == person.id or breach.purged_at is not None:
        return False
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        held = await authority(conn, ctx, facts)
    return may(ctx, op, relations_to_unit(held, breach.unit_id, facts.unit_tree))


async def _visible(ctx: Ctx, conn, breach_id: UUID, for_update: bool = False) -> Breach:
    """The breach, if the caller may read its details: else it does not exist for them."""
    try:
        breach = await rows.get(conn, "breach", Breach, ctx.tenant_id, breach_id, for_update=for_update)
    except NotFound:
        breach = None
    if breach is None or not await may_read(ctx, conn, breach):
        raise NotFound(f"no breach with id {breach_id}", field="id")
    return breach


async def may_read(ctx: Ctx, conn, breach: Breach, sight: Sight | None = None) -> bool:
    """The employee concerned, the leader chain above the unit (or a stand-in for it), and HR;
    systems see a breach's effects on checks, never the breach."""
    return await (sight or Sight(ctx, conn)).may("breach", breach.person_id, breach.unit_id)


async def get(ctx: Ctx, breach_id: UUID) -> Breach:
    async with ctx.db.read() as conn:
        return await _visible(ctx, conn, breach_id)


async def list_visible(ctx: Ctx, person_id: UUID | None) -> list[Breach]:
    async with ctx.db.read() as conn:
        found = rows.many(Breach, await conn.fetch(
            "SELECT * FROM breach WHERE tenant_id = $1 AND ($2::uuid IS NULL OR person_id = $2)"
            " ORDER BY occurred_at DESC, id", ctx.tenant_id, person_id))
        sight = Sight(ctx, conn)
        return [b for b in found if await may_read(ctx, conn, b, sight)]


async def purge_in(tx, tenant_id: UUID, breach_id: UUID, version: int, now: datetime) -> Breach:
    """Purge one breach's details inside the caller's transaction: its description, cause, learning
    notes and first response's note, and the texts that followed it (issue 12, part 6: the later
    responses' notes, the employee's account, frame changes, learning points not shared)."""
    await learning_sql.purge(tx.conn, tenant_id, breach_id)
    return await rows.update(tx, "breach", Breach, breach_id, version, {
        "description": None, "cause": None, "learning_notes": None, "response_note": None, "purged_at": now})


async def purge_closed(db: Db, now: datetime, retention: timedelta = DEFAULT_RETENTION) -> int:
    """Purge the details of breaches closed more than `retention` ago; keep that they existed and
    their effect windows. Returns how many were purged."""
    purged = 0
    async with db.read() as conn:
        due = await conn.fetch("SELECT id, tenant_id, version FROM breach WHERE purged_at IS NULL"
                               " AND closed_at IS NOT NULL AND closed_at < $1", now - retention)
    for row in due:
        async with db.write(row["tenant_id"], Actor("system:retention"), at=now) as tx:
            await purge_in(tx, row["tenant_id"], row["id"], row["version"], now)
        purged += 1
    return purged
