"""Use cases for delegations: declare, amend (a new version) and revoke (cascading)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from registry.domain import offers as offer_rules
from registry.domain import rules
from registry import texts
from registry.domain.model import (ACCOUNT_MODES, CONTROL_FORMS, MAX_CONDITIONS, Control, Delegation, DelegationCondition,
                                   DelegationDraft, Person, Team, TrustBasis, TrustStep)
from registry.errors import Conflict, Forbidden, Invalid
from registry.services.common import (Ctx, Facts, Result, Sight, authority, check_text, load_facts, may,
                                      relations_to_unit, require, require_person, standing_in_for)
from registry.services import events
from registry.services import offers as offer_uc
from registry.storage import breaches as breach_sql
from registry.storage import delegations as delegation_sql
from registry.storage import offers as offer_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import WriteTx

_CADENCES = ("weekly", "monthly", "quarterly", "half_yearly", "yearly")
_ASSESSMENTS = ("low", "medium", "high")


def _conditions(draft: DelegationDraft, facts: Facts) -> tuple[DelegationCondition, ...]:
    """The draft's conditions type-checked against its area's attributes, stored canonical, each with
    its Danish sentence (the leader's own words, or one made from the area's attribute names)."""
    if len(draft.conditions) > MAX_CONDITIONS:
        raise Invalid(f"at most {MAX_CONDITIONS} conditions", field="conditions", code="too_many")
    found, seen = [], set()
    attributes = facts.attributes_in_force(draft.area_id)
    for n, c in enumerate(draft.conditions):
        field = f"conditions.{n}"
        canonical = facts.compile_condition(c.condition, draft.area_id, field=f"{field}.condition")
        if canonical in seen:
            raise Invalid(f"the condition {canonical!r} is given twice", field=field, code="duplicate")
        seen.add(canonical)
        check_text(c.text_da, f"{field}.textDa", max_len=500, required=False)
        text_da = c.text_da.strip() or texts.condition_da(canonical, attributes, lead=texts.DELEGATION_CONDITION_LEAD_DA)
        found.append(DelegationCondition(condition=canonical, text_da=text_da))
    return tuple(found)


def _check_texts(draft: DelegationDraft) -> None:
    check_text(draft.purpose, "purpose", max_len=4000, required=False)
    if len(draft.rules) > 50:
        raise Invalid("at most 50 rules", field="rules", code="too_many")
    for rule in draft.rules:
        check_text(rule, "rules", max_len=2000)
    if draft.next_step is not None:
        check_text(draft.next_step.note, "nextStep.note", max_len=500, required=False)
    check_text(draft.control.why, "control.why", max_len=2000, required=False)
    if draft.control.form not in CONTROL_FORMS:
        raise Invalid(f"control.form must be one of {', '.join(CONTROL_FORMS)}", field="control.form",
                      code="invalid_choice")
    if draft.control.account not in ACCOUNT_MODES:
        raise Invalid(f"control.account must be one of {', '.join(ACCOUNT_MODES)}", field="control.account",
                      code="invalid_choice")
    if draft.control.cadence is not None and draft.control.cadence not in _CADENCES:
        raise Invalid(f"control.cadence must be one of {', '.join(_CADENCES)}", field="control.cadence",
                      code="invalid_choice")
    for name in ("competence", "intention", "resources"):
        part = getattr(draft.trust, name)
        if part is not None:
            if part.assessment not in _ASSESSMENTS:
                raise Invalid(f"trust.{name}.assessment must be low, medium or high", field=f"trust.{name}",
                              code="invalid_choice")
            check_text(part.note, f"trust.{name}.note", max_len=2000, required=False)


async def _check_draft(ctx: Ctx, tx: WriteTx, facts: Facts, draft: DelegationDraft, *, delegator_led: set[UUID],
                       new: bool = False) -> DelegationDraft:
    """Everything a new or amended delegation must satisfy; raises before anything is written.
    Returns the draft as it is stored (its conditions canonical, with their Danish sentences)."""
    rules.check_shape(draft)
    _check_texts(draft)
    unit = facts.unit(draft.unit_id)
    area = facts.area(draft.area_id)
    if unit.archived_at is not None:
        raise Invalid("the unit is archived", field="unitId", code="archived")
    if area.archived_at is not None:
        raise Invalid("the decision area is archived", field="areaId", code="archived")
    if draft.delegate_person_id is not None:
        person = await rows.get(tx.conn, "person", Person, ctx.tenant_id, draft.delegate_person_id,
                             field="delegatePersonId")
        if person.archived_at is not None:
            raise Invalid("the delegate is archived", field="delegate", code="archived")
    else:
        team = await rows.get(tx.conn, "team", Team, ctx.tenant_id, draft.delegate_team_id,
                           field="delegateTeamId")
        if team.archived_at is not None:
            raise Invalid("the team is archived", field="delegate", code="archived")
        rules.check_team_in_scope(team.unit_id, draft.unit_id, draft.include_subunits, facts.unit_tree)
    parent = None
    if draft.parent_id is not None:
        parent = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, draft.parent_id, for_update=True,
                                field="parentId")
    teams = await org_sql.team_ids_of_person(tx.conn, ctx.tenant_id, draft.delegator_id, ctx.now())
    if parent is not None and new:  # passing on: what a breach response takes from the holder, she cannot give
        rules.check_holder_standing(draft, await breach_sql.effects_in_force(
            tx.conn, ctx.tenant_id, draft.delegator_id, facts.area_tree.ancestors(draft.area_id),
            facts.unit_tree.ancestors(draft.unit_id), ctx.now()))
    rules.check_may_declare(draft, led_units=delegator_led, parent=parent, delegator_team_ids=teams,
                            unit_tree=facts.unit_tree, area_tree=facts.area_tree, areas=facts.areas, at=ctx.now())
    return msgspec.structs.replace(draft, conditions=_conditions(draft, facts))


class DeclareInput(msgspec.Struct, frozen=True, kw_only=True):
    delegate_person_id: UUID | None = None
    delegate_team_id: UUID | None = None
    area_id: UUID
    unit_id: UUID
    include_subunits: bool = True
    level: int
    purpose: str = ""
    trust: TrustBasis = TrustBasis()
    control: Control = Control(account="on_request")  # the justification when the leader asks, by default
    rules: tuple[str, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    review_date: date | None = None
    allow_subdelegation: bool = False
    max_subdelegation_depth: int = 0
    parent_id: UUID | None = None
    # Limits on this delegate's mandate; a sub-delegation is bound by its parents' too.
    conditions: tuple[DelegationCondition, ...] = ()
    next_step: TrustStep | None = None  # a planned step of trust (tillidsskridt)
    # Offered to the delegate to take up (issue 12, part 1): None follows the organisation's rule
    # (by default from level 5); True offers a delegation the rule would not; False is refused where
    # the rule says she takes it up herself.
    offer: bool | None = None
    request_id: UUID | None = None  # the employee's request this delegation answers


_NOT_DRAFT = ("valid_from", "offer", "request_id")


def _row(draft: DelegationDraft) -> dict:
    values = msgspec.structs.asdict(draft)
    values["trust"] = msgspec.to_builtins(draft.trust)
    values["control"] = msgspec.to_builtins(draft.control)
    values["rules"] = list(draft.rules)
    values["conditions"] = msgspec.to_builtins(draft.conditions)
    values["next_step"] = None if draft.next_step is None else msgspec.to_builtins(draft.next_step)
    return values


async def declare(ctx: Ctx, data: DeclareInput) -> Result:
    """A leader (or the holder of a sub-delegable delegation) declares a delegation, as delegator."""
    delegator = require_person(ctx, "declaring a delegation")
    draft = DelegationDraft(delegator_id=delegator, valid_from=data.valid_from or ctx.now(),
                            **{k: v for k, v in msgspec.structs.asdict(data).items() if k not in _NOT_DRAFT})
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        held = await authority(tx.conn, ctx, facts, deputies=True)  # deputies may delegate where the unit says so
        facts.unit(draft.unit_id)
        relations = relations_to_unit(held, draft.unit_id, facts.unit_tree)
        if draft.parent_id is not None and await _holds(tx, ctx, draft.parent_id, delegator):
            relations.add("holder")
        require(ctx, "declareDelegation", relations, code="not_authorised_to_delegate", field="unit",
                message="you can only delegate in units you lead, or what has been delegated to you")
        draft = await _check_draft(ctx, tx, facts, draft, delegator_led=set(held), new=True)
        await _check_not_duplicate(ctx, tx, draft)
        needed = offer_rules.needs_acceptance(draft.level, await offer_sql.acceptance_from_level(tx.conn, ctx.tenant_id))
        if data.offer is False and needed:
            raise Invalid("the organisation's rule is that the delegate takes up a delegation at this level herself",
                          field="offer", code="acceptance_required")
        request = None if data.request_id is None else await _request_answered(ctx, tx, draft, data.request_id)
        values = _row(draft)
        if needed or data.offer:
            values["status"] = "offered"
        leader = None if draft.parent_id is not None else standing_in_for(held, draft.unit_id, facts.unit_tree)
        if leader is not None:  # a stand-in declares on behalf of the absent leader
            values["on_behalf_of_id"] = leader
            await tx.on_behalf_of(f"person:{leader}")
        delegation = await rows.insert(tx, "delegation", Delegation, values)
        if delegation.status == "offered":
            await offer_uc.offer_new(tx, ctx, delegation)
        if request is not None:
            from registry.services import requests as request_uc  # it reads delegations: imported when used
            await request_uc.mark_offered(ctx, tx, request, delegation)
        await events.delegation(tx, "offered" if delegation.status == "offered" else "declared", delegation, ctx.now())
        return Result(delegation, tx.revision)


async def _request_answered(ctx: Ctx, tx: WriteTx, draft: DelegationDraft, request_id: UUID):
    """The open request for a delegation that this declaration answers: asked by the delegate (or,
    for a team, about that team), for the same decision area."""
    from registry.services import requests as request_uc

    return await request_uc.answered_by_declaring(ctx, tx, draft, request_id)


async def _holds(tx: WriteTx, ctx: Ctx, parent_id: UUID, person_id: UUID) -> bool:
    """Whether the person holds the parent delegation (as its delegate or a member of its team)."""
    parent = await rows.get(tx.conn, "delegation", Delegation, ctx.tenant_id, parent_id, field="parentId")
    if parent.delegate_person_id is not None:
        return parent.delegate_person_id == person_id
    return parent.delegate_team_id in await org_sql.team_ids_of_person(tx.conn, ctx.tenant_id, person_id, ctx.now())


async def may_manage(ctx: Ctx, tx: WriteTx, facts: Facts, delegation: Delegation, op: str) -> set[UUID]:
    """The delegator, a leader above the delegation's unit (or a stand-in for one), or an
    administrator manage a delegation (policies/registry_admin_policy.csv, `op`)."""
    held, relations = await relations_to_delegation(ctx, tx.conn, facts, delegation)
    require(ctx, op, relations, code="not_authorised_to_delegate", field="id",
            message="only the delegator, a leader above the delegation's unit or an administrator can change it")
    if "delegator" not in relations and "leader" not in relations and not ctx.principal.is_admin:
        await tx.on_behalf_of(f"person:{standing_in_for(held, delegation.unit_id, facts.unit_tree)}")
    return set(held)


async def relations_to_delegation(ctx: Ctx, conn, facts: Facts, delegation: Delegation) -> tuple[dict, set[str]]:
    """The caller's authority, and her relations to the delegation: leader / standin through its unit,
    delegator (who answers for it). Being its delegate gives none."""
    held = await authority(conn, ctx, facts)
    relations = relations_to_unit(held, delegation.unit_id, facts.unit_tree)
    person = ctx.principal.person
    if person is not None and person.id == rules.accountable_delegator(delegation):
        relations.add("delegator")
    return held, relations


async def manageable(ctx: Ctx, delegation: Delegation, ops: tuple[str, ...] = ("amendDelegation", "revokeDelegation")
                     ) -> bool:
    """Whether the caller may do `ops` to the delegation (may_manage's rule, asked, not enforced):
    amend and revoke it, or ("completeReview",) review it."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        _held, relations = await relations_to_delegation(ctx, conn, facts, delegation)
    return all(may(ctx, op, relations) for op in ops)


_AMENDABLE = {"level", "purpose", "trust", "control", "rules", "valid_from", "valid_until", "review_date",
              "include_subunits", "allow_subdelegation", "max_subdelegation_depth", "conditions", "next_step"}


async def amend(ctx: Ctx, delegation_id: UUID, version: int, changes: dict) -> Result:
    """A new version of the delegation; the old one stays in history. Who and what stay the same.

    The amended delegation must pass the same rules as a new one. Sub-delegations that no longer fit
    inside it are refused: narrow or revoke them first.
    """
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        current = await locked(tx, delegation_id, version)
        await may_manage(ctx, tx, facts, current, "amendDelegation")
        return Result(await amend_in(ctx, tx, facts, current, changes), tx.revision)


async def locked(tx: WriteTx, delegation_id: UUID, version: int) -> Delegation:
    """The delegation, locked for this transaction, at the version the caller saw."""
    current = await rows.get(tx.conn, "delegation", Delegation, tx.tenant_id, delegation_id, for_update=True)
    if current.version != version:
        raise _stale(current.version)
    return current


async def amend_in(ctx: Ctx, tx: WriteTx, facts: Facts, current: Delegation, changes: dict, *,
                   offered: bool = True) -> Delegation:
    """Amend inside a caller's transaction (a review that adjusts uses it too). With `offered`, what
    widens an accepted delegation waits for the delegate (services/offers.py); without, the delegate
    has accepted it and all of it takes effect."""
    unknown = set(changes) - _AMENDABLE
    if unknown:
        raise Invalid(f"cannot amend {', '.join(sorted(unknown))}; revoke and declare a new delegation",
                      field=sorted(unknown)[0], code="immutable")
    if current.status == "revoked":
        raise Invalid("a revoked delegation cannot be amended", field="id", code="revoked")
    if current.status == "declined":  # she said no thanks: a new offer is a new delegation
        raise Invalid("a declined delegation cannot be amended; declare a new one", field="id", code="declined")
    values = {k: v for k, v in msgspec.structs.asdict(current).items() if k in DelegationDraft.__struct_fields__}
    values.update(changes)
    step = values.get("next_step")
    if "next_step" not in changes and step is not None and values["level"] == step.level:
        # the planned step is taken: it is done, not planned any longer (history keeps it)
        values["next_step"] = changes["next_step"] = None
    draft = DelegationDraft(**values)
    # The rules are checked as the accountable delegator would be held to them: what he or she holds
    # (an administrator, whom the policy lets amend any delegation, is held to the rest of them; a
    # delegate taking up a widening is never an administrator for it, whatever roles she has).
    if offered and may(ctx, "amendDelegation"):
        delegator_led = set(facts.units)
    else:
        delegator_led = await _led_units_of(tx, facts, rules.accountable_delegator(current), ctx.now())
    draft = await _check_draft(ctx, tx, facts, draft, delegator_led=delegator_led)
    if "conditions" in changes:  # as stored (canonical, with their sentences): what widens is judged on these
        changes["conditions"] = draft.conditions
    if _SCOPE & set(changes):
        await _check_not_duplicate(ctx, tx, draft, itself=current.id)
    for child in await delegation_sql.descendants(tx.conn, ctx.tenant_id, current.id):
        if child.parent_id == current.id and child.status not in ("revoked", "declined"):
            _check_child_fits(child, draft, facts)
    widening_offered = False
    if offered:
        now_changes = await offer_uc.split_amendment(tx, ctx, current, changes, draft.level)
        widening_offered = any(k not in now_changes for k in changes)
        if now_changes != changes:  # what takes effect now must hold by itself, too
            values.update({k: getattr(current, k) for k in changes if k not in now_changes})
            draft = await _check_draft(ctx, tx, facts, DelegationDraft(**values), delegator_led=delegator_led)
            changes = now_changes
    row = _row(draft)
    amended = await rows.update(tx, "delegation", Delegation, current.id, current.version, {k: row[k] for k in changes})
    if changes:
        await events.delegation(tx, "amended", amended, ctx.now())
    if widening_offered:  # what widens it waits for her answer (services/offers.py)
        await events.delegation(tx, "offered", amended, ctx.now())
    return amended


# What makes two delegations the same grant, among what an amendment may change (rules.same_grant).
_SCOPE = {"include_subunits", "valid_from", "valid_until"}


async def _check_not_duplicate(ctx: Ctx, tx: WriteTx, draft: DelegationDraft, *, itself: UUID | None = None) -> None:
    """Refuse what an existing delegation already grants. Race-free: every write transaction of the
    tenant first takes its revision row (Db.write), so a concurrent declaration waits for this one
    to commit and then sees it."""
    others = await delegation_sql.of_delegate_in_area(tx.conn, ctx.tenant_id, draft.delegate_person_id,
                                                      draft.delegate_team_id, draft.area_id)
    rules.check_not_duplicate(draft, others, ctx.now(), itself=itself)


def _stale(current_version: int) -> Conflict:
    return Conflict(f"the delegation is at version {current_version}", current_version=current_version)


def _check_child_fits(child: Delegation, parent_draft: DelegationDraft, facts: Facts) -> None:
    parent = Delegation(id=child.parent_id, tenant_id=child.tenant_id, status="active",
                        **msgspec.structs.asdict(parent_draft))
    child_draft = DelegationDraft(**{k: getattr(child, k) for k in DelegationDraft.__struct_fields__})
    try:
        rules.check_attenuation(child_draft, parent, delegator_team_ids={parent.delegate_team_id} - {None},
                                unit_tree=facts.unit_tree, area_tree=facts.area_tree, at=parent.valid_from)
    except Forbidden as exc:
        raise Invalid(f"sub-delegation {child.id} would no longer fit inside this delegation ({exc.message}); "
                      "narrow or revoke it first", field=exc.field, code="subdelegation_conflict") from exc


async def _led_units_of(tx: WriteTx, facts: Facts, person_id: UUID, at: datetime) -> set[UUID]:
    memberships = await org_sql.memberships_of_people(tx.conn, tx.tenant_id, [person_id])
    return rules.leads(memberships, facts.units, at)


async def revoke(ctx: Ctx, delegation_id: UUID, version: int, reason: str) -> Result:
    """Revoke a delegation and, in the same transaction, every sub-delegation below it."""
    check_text(reason, "reason", max_len=2000)
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        current = await locked(tx, delegation_id, version)
        await may_manage(ctx, tx, facts, current, "revokeDelegation")
        return Result(await revoke_in(ctx, tx, current, reason), tx.revision)


async def revoke_in(ctx: Ctx, tx: WriteTx, current: Delegation, reason: str) -> Delegation:
    """Revoke inside a caller's transaction (a breach or a review that ends it uses it too)."""
    if current.status == "revoked":
        raise Invalid("the delegation is already revoked", field="id", code="revoked")
    revoked = {"status": "revoked", "revoked_at": ctx.now(), "revoked_reason": reason}
    delegation = await rows.update(tx, "delegation", Delegation, current.id, current.version, revoked)
    await offer_uc.close_on_revoke(tx, ctx, current.id)
    ended = [delegation]
    cascade = {**revoked, "revoked_reason": f"parent delegation {current.id} revoked: {reason}"}
    for child in await delegation_sql.descendants(tx.conn, ctx.tenant_id, current.id):
        if child.status != "revoked":
            ended.append(await rows.update(tx, "delegation", Delegation, child.id, child.version, cascade))
            await offer_uc.close_on_revoke(tx, ctx, child.id)
    await events.delegations(tx, "revoked", ended, ctx.now())
    return delegation


# --- trust notes: the delegate, the delegator, the leader chain and HR (Sight.may_read_trust) ------

async def trust_shown(ctx: Ctx, delegations: list[Delegation]) -> list[bool]:
    """For each delegation, whether the caller may read its trust notes."""
    async with ctx.db.read() as conn:
        sight = Sight(ctx, conn)
        return [await sight.may_read_trust(d) for d in delegations]


async def without_hidden_trust(sight: Sight, row: dict | None) -> dict | None:
    """A delegation as a JSON row (a history entry's values, a person-data export's) as the caller
    may see it: with `trust` null unless she may read its trust notes."""
    if not row or row.get("trust") is None:
        return row
    delegation = msgspec.convert({"tenant_id": sight.ctx.tenant_id, **row}, Delegation, strict=False)
    return row if await sight.may_read_trust(delegation) else {**row, "trust": None}


async def review_without_hidden_note(sight: Sight, row: dict | None) -> dict | None:
    """A review as a JSON row (a history entry's values) as the caller may see it: its note is the
    leader's assessment of the delegate, as private as the delegation's trust notes."""
    if not row or not row.get("note"):
        return row
    delegation = await rows.get(sight.conn, "delegation", Delegation, sight.ctx.tenant_id,
                                UUID(str(row["delegation_id"])))
    return row if await sight.may_read_trust(delegation) else {**row, "note": None}
