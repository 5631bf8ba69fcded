"""Use cases for what employees ask of their leader (issue 12, part 1): a delegation (area, unit,
the level she wishes, why) or a rule (spilleregel) for her unit or team. The leader answers by
offering a delegation (declaring it with the request's id), by adopting the rule into the unit's or
team's shared frame, or by saying no with a reason. Every step is in history.

Who asks: a person with a membership now in the unit (or a unit below it), or a member of the team
(policy `askForDelegation` / `proposeRule`, relation `member`). Who answers: the leader chain of
the unit, or a stand-in for it (`answerRequest`). Who reads: the asker, and those who answer.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from registry.domain import levels
from registry.domain.model import REQUEST_KINDS, Area, Delegation, DelegationDraft, DelegationRequest
from registry.errors import Conflict, Invalid
from registry.services import frames as frame_uc
from registry.services.common import (Ctx, Facts, Result, authority, check_text, live_team, load_facts, may,
                                      readable_subtree, relations_to_unit, require, require_person, standing_in_for)
from registry.storage import offers as offer_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import WriteTx

ASK = {"delegation": "askForDelegation", "rule": "proposeRule"}
ANSWER = "answerRequest"
IN_UNIT = "requests"


class RequestInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    text: str                      # why she asks (a delegation), or the rule she proposes
    unit_id: UUID | None = None
    team_id: UUID | None = None    # a rule for her team, or a delegation to her team
    area_id: UUID | None = None    # a delegation: the decision area
    level: int | None = None       # a delegation: the level she wishes


async def _member_relations(conn, ctx: Ctx, facts: Facts, me: UUID, unit_id: UUID, team_id: UUID | None) -> set[str]:
    now = ctx.now()
    if team_id is not None:
        return {"member"} if team_id in await org_sql.team_ids_of_person(conn, ctx.tenant_id, me, now) else set()
    for m in await org_sql.memberships_of_people(conn, ctx.tenant_id, [me]):
        if m.active_at(now) and m.unit_id in facts.units and facts.unit_tree.is_within(m.unit_id, unit_id):
            return {"member"}
    return set()


async def ask(ctx: Ctx, data: RequestInput) -> Result:
    """An employee asks for a delegation, or proposes a rule, in her unit or team."""
    me = require_person(ctx, "asking your leader")
    if data.kind not in REQUEST_KINDS:
        raise Invalid(f"kind must be one of {', '.join(REQUEST_KINDS)}", field="kind", code="invalid_choice")
    # a rule goes into the shared frame as it is written: no longer than the frame's rules may be
    check_text(data.text, "text" if data.kind == "rule" else "why", max_len=2000 if data.kind == "rule" else 4000)
    if data.kind == "delegation":
        if data.area_id is None:
            raise Invalid("name the decision area", field="areaId", code="required")
        if data.level is None or not 1 <= data.level <= 7:
            raise Invalid("the level must be between 1 and 7", field="level", code="invalid_level")
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        unit_id = data.unit_id
        if data.team_id is not None:
            team = await live_team(tx.conn, ctx.tenant_id, data.team_id)
            if unit_id is not None and unit_id != team.unit_id:
                raise Invalid("the team belongs to another unit", field="teamId", code="invalid")
            unit_id = team.unit_id
        if unit_id is None:
            raise Invalid("name a unit or a team", field="unitId", code="required")
        unit = facts.unit(unit_id)
        if unit.archived_at is not None:
            raise Invalid("the unit is archived", field="unitId", code="archived")
        area: Area | None = None
        if data.area_id is not None:
            area = facts.area(data.area_id)
            if area.archived_at is not None:
                raise Invalid("the decision area is archived", field="areaId", code="archived")
        relations = await _member_relations(tx.conn, ctx, facts, me, unit_id, data.team_id)
        require(ctx, ASK[data.kind], relations, code="not_a_member", field="teamId" if data.team_id else "unitId",
                message="you ask for a delegation or propose a rule in a unit or team you belong to")
        request = await rows.insert(tx, "delegation_request", DelegationRequest, dict(
            kind=data.kind, person_id=me, unit_id=unit_id, team_id=data.team_id,
            area_id=None if area is None else area.id, level=data.level if data.kind == "delegation" else None,
            text=data.text.strip()))
        return Result(request, tx.revision)


async def _leader_relations(conn, ctx: Ctx, facts: Facts, unit_id: UUID) -> tuple[dict, set[str]]:
    held = await authority(conn, ctx, facts)
    return held, relations_to_unit(held, unit_id, facts.unit_tree)


async def answer(ctx: Ctx, request_id: UUID, version: int, answer: str, note: str = "") -> Result:
    """The leader's answer: `decline` (with a reason), or `adopt` a proposed rule into the unit's (or
    team's) shared frame. A delegation is offered by declaring it with the request's id."""
    me = require_person(ctx, "answering a request")
    if answer not in ("adopt", "decline"):
        raise Invalid("answer must be adopt or decline; offer a delegation by declaring it with requestId",
                      field="answer", code="invalid_choice")
    check_text(note, "note", max_len=4000, required=answer == "decline")
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        request = await rows.get(tx.conn, "delegation_request", DelegationRequest, ctx.tenant_id, request_id,
                                 for_update=True, field="requestId")
        held, relations = await _leader_relations(tx.conn, ctx, facts, request.unit_id)
        if request.person_id == me:
            relations -= {"leader", "standin"}  # a leader's own request is answered by the leader above her
        require(ctx, ANSWER, relations, code="not_authorised_to_answer", field="requestId",
                message="a request is answered by the leader chain of its unit, or a stand-in for it")
        if request.version != version:
            raise Conflict(f"the request is at version {request.version}", current_version=request.version)
        if request.status != "open":
            raise Invalid("the request is already answered or withdrawn", field="requestId", code="request_closed")
        if answer == "adopt":
            if request.kind != "rule":
                raise Invalid("only a proposed rule is adopted; offer a delegation by declaring it with requestId",
                              field="answer", code="invalid_answer")
            await frame_uc.add_rule_in(ctx, tx, facts, request.unit_id if request.team_id is None else None,
                                       request.team_id, request.text, held)
        if "leader" not in relations:  # a stand-in answers on the absent leader's behalf
            await tx.on_behalf_of(f"person:{standing_in_for(held, request.unit_id, facts.unit_tree)}")
        updated = await rows.update(tx, "delegation_request", DelegationRequest, request.id, request.version, dict(
            status="adopted" if answer == "adopt" else "declined", answer_note=note.strip(), answered_by=me,
            answered_at=ctx.now()))
        return Result(updated, tx.revision)


async def answered_by_declaring(ctx: Ctx, tx: WriteTx, draft: DelegationDraft, request_id: UUID) -> DelegationRequest:
    """The open request for a delegation that a declaration answers: by one who may answer it (the
    leader chain of its unit, or a stand-in; never the asker), in its unit or below."""
    request = await rows.get(tx.conn, "delegation_request", DelegationRequest, ctx.tenant_id, request_id,
                             for_update=True, field="requestId")
    facts = await load_facts(tx.conn, ctx.tenant_id)
    _held, relations = await _leader_relations(tx.conn, ctx, facts, request.unit_id)
    if ctx.principal.person is not None and request.person_id == ctx.principal.person.id:
        relations -= {"leader", "standin"}
    require(ctx, ANSWER, relations, code="not_authorised_to_answer", field="requestId",
            message="a request is answered by the leader chain of its unit, or a stand-in for it")
    if not facts.unit_tree.is_within(draft.unit_id, request.unit_id):
        raise Invalid("the delegation does not answer the request: it is for another unit", field="requestId",
                      code="invalid_answer")
    if request.status != "open":
        raise Invalid("the request is already answered or withdrawn", field="requestId", code="request_closed")
    same = (request.kind == "delegation" and request.area_id == draft.area_id
            and (draft.delegate_person_id == request.person_id
                 or (request.team_id is not None and draft.delegate_team_id == request.team_id)))
    if not same:
        raise Invalid("the delegation does not answer the request: declare it to the one who asked, for the area "
                      "she asked about", field="requestId", code="invalid_answer")
    return request


async def mark_offered(ctx: Ctx, tx: WriteTx, request: DelegationRequest, delegation: Delegation) -> None:
    me = ctx.principal.person
    await rows.update(tx, "delegation_request", DelegationRequest, request.id, request.version, dict(
        status="offered", delegation_id=delegation.id, answered_by=None if me is None else me.id,
        answered_at=ctx.now()))


async def withdraw(ctx: Ctx, request_id: UUID, version: int) -> Result:
    """The asker takes her open request back."""
    me = require_person(ctx, "withdrawing a request")
    async with ctx.write() as tx:
        request = await rows.get(tx.conn, "delegation_request", DelegationRequest, ctx.tenant_id, request_id,
                                 for_update=True, field="requestId")
        require(ctx, "withdrawRequest", {"self"} if request.person_id == me else set(), code="not_authorised",
                field="requestId", message="only the one who asked can withdraw a request")
        if request.version != version:
            raise Conflict(f"the request is at version {request.version}", current_version=request.version)
        if request.status != "open":
            raise Invalid("the request is already answered or withdrawn", field="requestId", code="request_closed")
        updated = await rows.update(tx, "delegation_request", DelegationRequest, request.id, request.version,
                                    {"status": "withdrawn"})
        return Result(updated, tx.revision)


async def mine(ctx: Ctx) -> list[DelegationRequest]:
    person = ctx.principal.person
    if person is None:
        return []
    async with ctx.db.read() as conn:
        return await offer_sql.requests_of(conn, ctx.tenant_id, person.id)


async def in_unit(ctx: Ctx, unit_id: UUID, *, open_only: bool = True) -> list[DelegationRequest]:
    """Requests in the unit and below: for its leader chain, a stand-in for it, HR and auditors; a
    leader's own requests are for the leader above her, not in her list."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        units = await readable_subtree(ctx, conn, facts, unit_id, IN_UNIT, "a unit's requests are for its leader "
                                       "chain, a stand-in for it, HR and auditors")
        found = await offer_sql.requests_in_units(conn, ctx.tenant_id, units, open_only=open_only)
    me = ctx.principal.person
    return [r for r in found if me is None or r.person_id != me.id]


async def may_read(ctx: Ctx, conn, request: DelegationRequest) -> bool:
    """The asker, and the leader chain of its unit (a stand-in for it), HR and auditors."""
    person = ctx.principal.person
    if person is not None and person.id == request.person_id:
        return True
    if may(ctx, IN_UNIT):
        return True
    if person is None:
        return False
    facts = await load_facts(conn, ctx.tenant_id)
    return may(ctx, IN_UNIT, (await _leader_relations(conn, ctx, facts, request.unit_id))[1])


def level_label(level: int | None) -> str:
    return "" if level is None else f"{level} ({levels.level(level).short_da})"
