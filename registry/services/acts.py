"""Use cases for acts as hverdagsdirektør: record (checked at its instant), justify, feedback, due items.

The loop is act -> justify -> feedback -> learn. Obligations of the permit become due items;
`overdue` is derived from the deadline, so nothing has to run on a schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from registry import texts
from registry.domain import rules
from registry.domain.model import Act, Delegation, DueItem
from registry.errors import Conflict, Forbidden, Invalid, NotFound
from registry.policy.engine import Engine
from registry.services import checks as check_uc
from registry.services import events
from registry.services.common import Ctx, Result, Sight, check_text, may, require, standing_in_for
from registry.storage import aliases as alias_sql
from registry.storage import rows

ASSESSMENTS = ("well_founded", "worth_discussing", "not_acceptable")
# In which capacity feedback is given, strongest first: the capacity recorded with it is the first the
# caller holds that the policy lets give it.
REVIEWER_ROLES = ("leader", "delegator", "standin", "peer")
# A colleague's feedback (where the control is peer sparring) is sparring between colleagues. "Uden
# for rammen" says the act was outside the frame the leader set and answers for, and invites the
# leader's conversation: that is the leader's to say, not a colleague's about a colleague (the
# publication's feedback builds psychological safety, l. 737-792; the frame is the leader's, l.
# 483-509). A colleague who sees it that way chooses "Værd at drøfte" and brings it up.
PEER_ASSESSMENTS = ("well_founded", "worth_discussing")


def assessments_for(role: str | None) -> tuple[str, ...]:
    """The assessments feedback in `role` may carry."""
    return PEER_ASSESSMENTS if role == "peer" else ASSESSMENTS


def may_write_feedback(act: Act, role: str | None, person_id: UUID | None) -> bool:
    """Whether feedback in `role` may be written on the act as it stands. The leader chain, a
    stand-in and the delegator may always (they may rewrite feedback, or answer a colleague's); a
    colleague only while there is none, or over her own: never over the leader's or another's."""
    if role is None:
        return False
    return role != "peer" or act.feedback_at is None or (act.feedback_role == "peer" and act.feedback_by == person_id)


class ActInput(msgspec.Struct, frozen=True, kw_only=True):
    person: str                  # the actor's external id
    area: str                    # area key
    unit: str                    # unit id
    action: str = "act_as_hverdagsdirektoer"
    attributes: dict[str, object] = {}
    case_ref: str
    description: str
    occurred_at: datetime
    permit_revision: int | None = None


async def record(ctx: Ctx, engine: Engine, data: ActInput) -> Result:
    """The employee (for herself) or a system with the `record` scope records an act. The registry
    checks that it was allowed at its instant; an act that was not allowed is refused."""
    person = ctx.principal.person
    require(ctx, "recordAct", {"self"} if person is not None and person.external_id == data.person else (),
            code="not_your_act", field="person",
            message="people record their own acts; systems record with the 'record' scope")
    check_text(data.case_ref, "caseRef")
    check_text(data.description, "description", max_len=4000)
    rules.check_dates(occurredAt=data.occurred_at)
    if data.occurred_at > ctx.now():
        raise Invalid("an act cannot have happened in the future", field="occurredAt", code="invalid_instant")
    # The area and unit as the registry names them now (by key or KLE code, id or external id), and
    # the check made on exactly those: the act is stored where it was checked, even when a name has
    # since moved to another unit or area (a check by the name alone, as of then, could pick another).
    index = engine.index(ctx.tenant_id)
    area = unit = None
    if index is not None:
        area, unit = index.area_ref(data.area, strict=False), index.unit_ref(data.unit)
    decision = await check_uc.decide(ctx, engine, check_uc.CheckRequest(
        person=data.person, area=data.area if area is None else index.area_key[area],
        unit=data.unit if unit is None else unit, action=data.action, attributes=dict(data.attributes),
        at=data.occurred_at), source="record_act")
    if not decision.decision:
        raise Forbidden(f"the act was not allowed at that time ({decision.reason})", field="action",
                        code="act_not_allowed", message_da=_not_allowed_da(decision))
    if area is None or unit is None:
        raise NotFound("the area or unit is no longer known by that name", field="area" if area is None else "unit")
    async with ctx.write() as tx:
        actor = await alias_sql.person_by_ref(tx.conn, ctx.tenant_id, data.person)  # or an alias
        act = await rows.insert(tx, "act", Act, dict(
            person_id=actor.id, area_id=UUID(area), unit_id=UUID(unit), action=data.action,
            attributes=dict(data.attributes), case_ref=data.case_ref, description=data.description,
            occurred_at=data.occurred_at, permit_revision=data.permit_revision or decision.revision,
            delegation_id=UUID(decision.delegation_ids[0]) if decision.delegation_ids else None,
            reason=decision.reason, level=decision.level))
        for o in decision.obligations:
            if o.kind == "justify_on_request":
                continue  # owed when the leader asks for it (ask_for_justification), not before
            due = None if o.deadline is None else datetime.fromtimestamp(o.deadline, data.occurred_at.tzinfo)
            kind = "justify" if o.kind == "justify_at_follow_up" else o.kind  # due at the follow-up: no deadline
            await rows.insert(tx, "due_item", DueItem, dict(act_id=act.id, kind=kind, due_at=due, status="open"))
        await events.act(tx, "act.recorded", act, ctx.now())
        return Result(act, tx.revision)


async def ask_for_justification(ctx: Ctx, act_id: UUID, version: int) -> Result:
    """The leader (the unit's leader chain, a stand-in, or the delegator) asks for the professional
    argument behind an act as hverdagsdirektør: the justification becomes due, within the delegation's
    justifyWithinDays. The act itself is not changed (`version` is the one the caller saw)."""
    async with ctx.write() as tx:
        act = await _visible_act(ctx, tx.conn, act_id, act_id, for_update=True)
        if act.version != version:
            raise Conflict(f"the act is at version {act.version}", current_version=act.version)
        reviewer = ctx.principal.person
        if reviewer is None or reviewer.id == act.person_id:
            raise Forbidden("the leader or the delegator asks for the argument, not the actor", field="id",
                            code="not_authorised_to_review")
        await _check_reviewer(ctx, tx, act, "askForJustification")
        if act.delegation_id is None or act.level != 6:
            raise Invalid("only an act as hverdagsdirektør under a delegation owes a professional argument",
                          field="id", code="no_justification_owed")
        if act.justification is not None:
            raise Invalid("the act has been justified", field="id", code="already_justified")
        if any(item.kind == "justify" for item in await _due_items(tx.conn, ctx.tenant_id, act_id)):
            raise Invalid("the justification is already asked for", field="id", code="already_asked")
        delegation = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, act.delegation_id)
        item = await rows.insert(tx, "due_item", DueItem, dict(
            act_id=act.id, kind="justify", status="open",
            due_at=ctx.now() + timedelta(days=delegation.control.justify_within_days)))
        await events.act(tx, "justification.requested", act, ctx.now(), dueItem=item.id)
        return Result(act, tx.revision)


async def justify(ctx: Ctx, act_id: UUID, version: int, text: str) -> Result:
    """The actor's professional argument (faglig argumentation); editable until feedback is given."""
    check_text(text, "justification", max_len=8000)
    async with ctx.write() as tx:
        act = await _visible_act(ctx, tx.conn, act_id, act_id, for_update=True)
        require(ctx, "justifyAct", _self(ctx, act), code="not_your_act", field="id",
                message="only the person who acted can justify the act")
        if act.feedback_at is not None:
            raise Invalid("the act has had feedback; its justification can no longer change", field="id",
                          code="already_reviewed")
        updated = await rows.update(tx, "act", Act, act_id, version,
                                    {"justification": text, "justified_at": ctx.now()})
        for item in await _due_items(tx.conn, ctx.tenant_id, act_id):
            if item.kind == "justify" and item.status == "open":
                await rows.update(tx, "due_item", DueItem, item.id, item.version,
                                  {"status": "fulfilled", "fulfilled_at": ctx.now()})
        await events.act(tx, "justification.given", updated, ctx.now())
        return Result(updated, tx.revision)


class FeedbackResult(msgspec.Struct, frozen=True):
    act: Act
    # "Not acceptable" offers to open a breach; it never opens one by itself.
    suggest_breach: bool


async def give_feedback(ctx: Ctx, act_id: UUID, version: int, text: str, assessment: str) -> Result:
    """The unit's leader (or a stand-in, on her behalf), the delegator, or, where the delegation's
    control is peer sparring, a colleague in its unit answers with faglig feedback. The capacity is
    recorded with it (`feedback_role`)."""
    check_text(text, "feedback", max_len=8000)
    if assessment not in ASSESSMENTS:
        raise Invalid(f"assessment must be one of {', '.join(ASSESSMENTS)}", field="assessment",
                      code="invalid_choice")
    async with ctx.write() as tx:
        act = await _visible_act(ctx, tx.conn, act_id, act_id, for_update=True)
        reviewer = ctx.principal.person
        if reviewer is None or reviewer.id == act.person_id:
            raise Forbidden("feedback comes from the leader, the delegator or a colleague, not the actor", field="id",
                            code="not_authorised_to_review")
        role = await _check_reviewer(ctx, tx, act, "giveFeedback")
        if assessment not in assessments_for(role):
            raise Invalid("a colleague's feedback is well founded or worth discussing; outside the frame is the "
                          "leader's assessment", field="assessment", code="not_a_peer_assessment")
        if not may_write_feedback(act, role, reviewer.id):
            raise Invalid("the act has feedback from someone else; a colleague does not write over it", field="id",
                          code="feedback_already_given")
        # Feedback answers the employee's professional argument: while it is owed and not yet given,
        # feedback would close the act to it for good (justify refuses after feedback).
        if awaits_justification(act, await _due_items(tx.conn, ctx.tenant_id, act_id)):
            raise Invalid("the act awaits its justification; give feedback after it", field="id",
                          code="awaiting_justification")
        updated = await rows.update(tx, "act", Act, act_id, version, {
            "feedback": text, "assessment": assessment, "feedback_by": reviewer.id, "feedback_at": ctx.now(),
            "feedback_role": role})
        await events.act(tx, "feedback.given", updated, ctx.now())
        return Result(FeedbackResult(updated, assessment == "not_acceptable"), tx.revision)


async def reply(ctx: Ctx, act_id: UUID, version: int, text: str) -> Result:
    """The employee answers the feedback on her act (feedback goes both ways); she may rewrite it."""
    check_text(text, "reply", max_len=8000)
    async with ctx.write() as tx:
        act = await _visible_act(ctx, tx.conn, act_id, act_id, for_update=True)
        require(ctx, "replyToFeedback", _self(ctx, act), code="not_your_act", field="id",
                message="only the person who acted answers the feedback")
        if act.feedback_at is None:
            raise Invalid("there is no feedback to answer yet", field="id", code="no_feedback_yet")
        updated = await rows.update(tx, "act", Act, act_id, version, {"reply": text.strip(), "replied_at": ctx.now()})
        return Result(updated, tx.revision)


def awaits_justification(act: Act, due: list[DueItem]) -> bool:
    """The employee owes her professional argument and has not given it yet."""
    return act.justification is None and any(item.kind == "justify" and item.status != "fulfilled" for item in due)


def _self(ctx: Ctx, act: Act) -> set[str]:
    person = ctx.principal.person
    return {"self"} if person is not None and person.id == act.person_id else set()


async def _reviewer_relations(ctx: Ctx, conn, act: Act) -> tuple[set[str], Sight]:
    """The caller's relations to an act as its reviewer: leader (of its unit or above), standin,
    delegator, peer (a colleague under peer sparring), as `Sight` decides who may see it."""
    sight = Sight(ctx, conn)
    relations = await sight.relations(act.person_id, act.unit_id, act.delegation_id)
    relations.discard("self")
    return relations, sight


def _role_for(ctx: Ctx, op: str, relations: set[str]) -> str | None:
    """The strongest capacity in which the caller may do `op` (REVIEWER_ROLES), if any."""
    return next((r for r in REVIEWER_ROLES if r in relations and may(ctx, op, {r})), None)


async def _check_reviewer(ctx: Ctx, tx, act: Act, op: str) -> str:
    """The leader chain of the act's unit, a stand-in for it (on the leader's behalf), the delegator,
    or (where the policy lets it do `op`) a colleague under peer sparring reviews an act. Returns the
    capacity."""
    relations, sight = await _reviewer_relations(ctx, tx.conn, act)
    require(ctx, op, relations, code="not_authorised_to_review", field="id",
            message="feedback comes from a leader of the act's unit (or above), a stand-in, or the delegator")
    role = _role_for(ctx, op, relations)
    if role == "standin":
        facts, held = await sight.authority()
        await tx.on_behalf_of(f"person:{standing_in_for(held, act.unit_id, facts.unit_tree)}")
    return role


async def fulfil(ctx: Ctx, item_id: UUID, version: int) -> Result:
    """Mark a report, advice or pre-approval as done. The actor fulfils report and seek_advice; a
    leader of the unit (or the delegator) grants a pre_approval. Justify is fulfilled by justifying."""
    async with ctx.write() as tx:
        item = await rows.get(tx.conn, "due_item", DueItem, ctx.tenant_id, item_id, for_update=True)
        act = await _visible_act(ctx, tx.conn, item.act_id, item_id)
        person = ctx.principal.person
        if item.kind == "justify":
            require(ctx, "fulfilDueItem", _self(ctx, act), code="not_your_act", field="id",
                    message="only the person who acted fulfils this")
            raise Invalid("a justification is fulfilled by justifying the act", field="id", code="use_justify")
        if item.kind == "pre_approval":
            if person is None or person.id == act.person_id:
                raise Forbidden("a pre-approval is granted by a leader or the delegator", field="id",
                                code="not_authorised_to_review")
            await _check_reviewer(ctx, tx, act, "fulfilDueItem:pre_approval")
        else:
            require(ctx, "fulfilDueItem", _self(ctx, act), code="not_your_act", field="id",
                    message="only the person who acted fulfils this")
        if item.status == "fulfilled":
            raise Invalid("already fulfilled", field="id", code="already_fulfilled")
        done = await rows.update(tx, "due_item", DueItem, item_id, version,
                                 {"status": "fulfilled", "fulfilled_at": ctx.now()})
        return Result(done, tx.revision)


async def due_items_of(ctx: Ctx, act_id: UUID) -> list[DueItem]:
    async with ctx.db.read() as conn:
        return await _due_items(conn, ctx.tenant_id, act_id)


async def _due_items(conn, tenant_id: UUID, act_id: UUID) -> list[DueItem]:
    return rows.many(DueItem, await conn.fetch(
        "SELECT * FROM due_item WHERE tenant_id = $1 AND act_id = $2 ORDER BY due_at NULLS LAST, id",
        tenant_id, act_id))


async def get_act(ctx: Ctx, act_id: UUID) -> Act:
    """An act is visible to its actor, to leaders of its unit (and above, and their stand-ins), and
    to administrators and auditors."""
    async with ctx.db.read() as conn:
        act = await rows.get(conn, "act", Act, ctx.tenant_id, act_id)
        if not await _may_see(ctx, conn, act):
            raise NotFound(f"no act with id {act_id}", field="id")
        return act


async def _may_see(ctx: Ctx, conn, act: Act) -> bool:
    return await Sight(ctx, conn).may("act", act.person_id, act.unit_id, act.delegation_id)


async def _visible_act(ctx: Ctx, conn, act_id: UUID, asked: UUID, for_update: bool = False) -> Act:
    """The act, if the caller may see it; otherwise it does not exist for her (an act's id, or its
    due items', tells nothing to someone who may not read it)."""
    act = await rows.get(conn, "act", Act, ctx.tenant_id, act_id, for_update=for_update)
    if not await _may_see(ctx, conn, act):
        raise NotFound(f"no such item {asked}", field="id")
    return act


async def list_acts(ctx: Ctx, *, mine: bool, unit_id: UUID | None, awaiting: str | None) -> list[tuple[Act, list]]:
    """Acts with their due items. `mine`: the caller's own. Otherwise those in units the caller
    leads (or stands in for), and colleagues' acts under peer sparring in units she has a position
    in (`Sight.peer_delegations`), optionally within `unit_id`'s subtree. `awaiting`: justification,
    overdue (justification past its deadline) or feedback (justified, no feedback yet)."""
    async with ctx.db.read() as conn:
        if mine:
            require(ctx, "myActs")
            found = rows.many(Act, await conn.fetch(
                "SELECT * FROM act WHERE tenant_id = $1 AND person_id = $2 ORDER BY occurred_at DESC, id",
                ctx.tenant_id, ctx.principal.person.id))
        else:
            sight = Sight(ctx, conn)
            facts, authority_held = await sight.authority()
            held = set(authority_held)
            if may(ctx, "acts"):  # administrators, auditors and systems with `read`: every unit
                held |= {u for u, unit in facts.units.items() if unit.parent_id is None}
            scope = [u for u in facts.units if any(a in held for a in facts.unit_tree.ancestors(u))
                     and (unit_id is None or facts.unit_tree.is_within(u, unit_id))]
            found = rows.many(Act, await conn.fetch(
                "SELECT * FROM act WHERE tenant_id = $1 AND unit_id = ANY($2::uuid[]) ORDER BY occurred_at DESC, id",
                ctx.tenant_id, scope))
            seen = {a.id for a in found}
            peers = [a for a in await _peer_acts(ctx, conn, sight) if a.id not in seen
                     and (unit_id is None or facts.unit_tree.is_within(a.unit_id, unit_id))]
            if peers:
                found = sorted(sorted(found + peers, key=lambda a: a.id), key=lambda a: a.occurred_at, reverse=True)
        return await _with_due(conn, ctx, found, awaiting)


async def list_peer_acts(ctx: Ctx) -> list[tuple[Act, list]]:
    """Only colleagues' acts under peer sparring that the caller may give feedback on (Kollegial
    sparring on the web), newest first."""
    async with ctx.db.read() as conn:
        return await _with_due(conn, ctx, await _peer_acts(ctx, conn, Sight(ctx, conn)), None)


async def _peer_acts(ctx: Ctx, conn, sight: Sight) -> list[Act]:
    person = ctx.principal.person
    if person is None or not may(ctx, "acts", {"peer"}):
        return []
    delegations = [d.id for d in await sight.peer_delegations()]
    if not delegations:
        return []
    return rows.many(Act, await conn.fetch(
        "SELECT * FROM act WHERE tenant_id = $1 AND delegation_id = ANY($2::uuid[]) AND person_id <> $3 "
        "ORDER BY occurred_at DESC, id", ctx.tenant_id, delegations, person.id))


async def _with_due(conn, ctx: Ctx, found: list[Act], awaiting: str | None) -> list[tuple[Act, list]]:
    now = ctx.now()
    items = rows.many(DueItem, await conn.fetch(
        "SELECT * FROM due_item WHERE tenant_id = $1 AND act_id = ANY($2::uuid[]) ORDER BY due_at NULLS LAST",
        ctx.tenant_id, [a.id for a in found]))
    by_act: dict[UUID, list[DueItem]] = {}
    for item in items:
        by_act.setdefault(item.act_id, []).append(item)
    result = []
    for act in found:
        due = by_act.get(act.id, [])
        justify = [i for i in due if i.kind == "justify"]
        if awaiting == "justification" and not any(i.status == "open" for i in justify):
            continue
        if awaiting == "overdue" and not any(i.status_at(now) == "overdue" for i in justify):
            continue
        if awaiting == "feedback" and (act.justified_at is None or act.feedback_at is not None):
            continue
        result.append((act, due))
    return result


def _not_allowed_da(decision) -> str:
    """Why an act was refused, in Danish: the reason, and a red line's own consequence."""
    reason = texts.REASONS_DA.get(decision.reason)
    text = texts.ERRORS_DA["act_not_allowed"].rstrip(".")
    if reason:
        text += f": {reason[:1].lower()}{reason[1:]}"
    if decision.red_line is not None and decision.red_line.consequence:
        text += f". {decision.red_line.consequence}"
    if decision.condition is not None:  # the limit of her mandate it is outside (or needs facts for)
        text += f". {decision.condition.text_da}"
    return text if text.endswith(".") else text + "."


async def reviewer_role(ctx: Ctx, act: Act, op: str = "giveFeedback") -> str | None:
    """In which capacity the caller may do `op` on the act (give feedback, grant a pre-approval, ask
    for the argument), as those use cases decide; None if she may not. For pages that offer those
    forms only to those they are for."""
    person = ctx.principal.person
    if person is None or person.id == act.person_id:
        return None
    async with ctx.db.read() as conn:
        relations, _ = await _reviewer_relations(ctx, conn, act)
    return _role_for(ctx, op, relations)


async def may_review(ctx: Ctx, act: Act) -> bool:
    """Whether the caller gives feedback on the act, as give_feedback decides."""
    return await reviewer_role(ctx, act) is not None


ACT_STATES = ("awaiting_justification", "justification_overdue", "awaiting_feedback", "recorded", "feedback_given")


def state_of(act: Act, due: list[DueItem], now: datetime) -> str:
    """Where an act is in the loop act -> justify -> feedback (texts.ACT_STATES_DA)."""
    if act.feedback_at is not None:
        return "feedback_given"
    justify = [i for i in due if i.kind == "justify"]
    if act.justified_at is None and any(i.status_at(now) == "overdue" for i in justify):
        return "justification_overdue"
    if act.justified_at is None and any(i.status == "open" for i in justify):
        return "awaiting_justification"
    if act.justified_at is not None:
        return "awaiting_feedback"
    return "recorded"
