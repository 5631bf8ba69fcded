"""The delegation rules the registry enforces, as pure functions.

Each raises a RegistryError kind with a stable code and the offending field, and returns nothing
when the rule holds. Callers load the facts (the unit tree, the delegator's memberships, the parent
delegation, ...) and pass them in, so every rule can be tested from a truth table.
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from uuid import UUID

from registry.domain.decisions import fold_breach_responses
from registry.domain.levels import MAX_LEVEL, MIN_LEVEL
from registry.domain.model import Area, AreaAttribute, Delegation, DelegationDraft, Membership, Unit
from registry.domain.tree import Tree
from registry.errors import Conflict, Forbidden, Invalid

MAX_SUBDELEGATION_DEPTH = 10
# Dates the registry takes: a delegation, a review, a stand-in, an act or a breach lies in these
# years. Beyond them dates stop being business (9999-12-31 is PostgreSQL's `infinity` for a date,
# and year 1 overflows at the first time-zone shift), and no one means them.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def check_dates(**values: date | datetime | None) -> None:
    """Refuse a date or instant outside EARLIEST_YEAR-LATEST_YEAR (keyword: the API's field name)."""
    for field, value in values.items():
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise Invalid(f"{field} must lie in the years {EARLIEST_YEAR}-{LATEST_YEAR}", field=field,
                          code="date_out_of_range")


def check_shape(draft: DelegationDraft) -> None:
    """Rules that need no other facts: level, validity, self-delegation, one delegate."""
    if not MIN_LEVEL <= draft.level <= MAX_LEVEL:
        raise Invalid(f"level must be between {MIN_LEVEL} and {MAX_LEVEL}, not {draft.level}",
                      field="level", code="level_out_of_range")
    if (draft.delegate_person_id is None) == (draft.delegate_team_id is None):
        raise Invalid("name exactly one delegate: a person or a team", field="delegate", code="invalid_delegate")
    if draft.delegate_person_id is not None and draft.delegate_person_id == draft.delegator_id:
        raise Invalid("a delegation to yourself is not a delegation", field="delegate", code="self_delegation")
    check_dates(validFrom=draft.valid_from, validUntil=draft.valid_until, reviewDate=draft.review_date)
    if draft.valid_until is not None and draft.valid_until <= draft.valid_from:
        raise Invalid("validUntil must be after validFrom", field="validUntil", code="invalid_validity")
    if not 0 <= draft.max_subdelegation_depth <= MAX_SUBDELEGATION_DEPTH:
        raise Invalid(f"maxSubdelegationDepth must be between 0 and {MAX_SUBDELEGATION_DEPTH}",
                      field="maxSubdelegationDepth", code="invalid_depth")
    if draft.allow_subdelegation and draft.max_subdelegation_depth < 1:
        raise Invalid("allowing sub-delegation needs a maximum depth of at least 1",
                      field="maxSubdelegationDepth", code="invalid_depth")
    if not draft.allow_subdelegation and draft.max_subdelegation_depth != 0:
        raise Invalid("a maximum depth needs allowSubdelegation", field="maxSubdelegationDepth", code="invalid_depth")
    if draft.control.justify_within_days < 1 or draft.control.justify_within_days > 365:
        raise Invalid("justifyWithinDays must be 1-365", field="control.justifyWithinDays", code="invalid_control")
    if draft.next_step is not None:
        check_trust_step(draft)


def check_trust_step(draft: DelegationDraft) -> None:
    """A planned step of trust names another level, within the scale, from a day the delegation runs."""
    step = draft.next_step
    if not MIN_LEVEL <= step.level <= MAX_LEVEL:
        raise Invalid(f"nextStep.level must be between {MIN_LEVEL} and {MAX_LEVEL}, not {step.level}",
                      field="nextStep.level", code="level_out_of_range")
    if step.level == draft.level:
        raise Invalid("a step of trust names another level than the one held", field="nextStep.level",
                      code="invalid_step")
    check_dates(**{"nextStep.fromDate": step.from_date})
    if step.from_date is not None:
        if step.from_date < draft.valid_from.date():
            raise Invalid("a step of trust cannot come before the delegation begins", field="nextStep.fromDate",
                          code="invalid_step")
        if draft.valid_until is not None and step.from_date >= draft.valid_until.date():
            raise Invalid("a step of trust must come before the delegation ends", field="nextStep.fromDate",
                          code="invalid_step")


def same_grant(draft: DelegationDraft, other: Delegation, at: datetime) -> bool:
    """Whether `other` already grants what `draft` would: both in force (active or suspended, and
    `other` not expired at `at`; or offered and not yet answered), to the same delegate (person or team), for the same decision area,
    in the same unit with the same choice of covering its sub-units, for validity periods that
    overlap. Who delegated, the level and the parent (a sub-delegation) do not matter: one delegate
    holds one delegation per area and unit scope, amended rather than declared again. A successor
    that starts when `other` ends is not the same grant."""
    return (other.status in ("active", "suspended", "offered")
            and (other.valid_until is None or other.valid_until > at)
            and other.delegate_person_id == draft.delegate_person_id
            and other.delegate_team_id == draft.delegate_team_id
            and other.area_id == draft.area_id and other.unit_id == draft.unit_id
            and other.include_subunits == draft.include_subunits
            and (other.valid_until is None or other.valid_until > draft.valid_from)
            and (draft.valid_until is None or other.valid_from < draft.valid_until))


def check_not_duplicate(draft: DelegationDraft, others: Iterable[Delegation], at: datetime, *,
                        itself: UUID | None = None) -> None:
    """Refuse a delegation that an existing one already grants (see `same_grant`); `itself` is the
    delegation being amended (its own earlier version is not a duplicate)."""
    existing = next((o for o in sorted(others, key=lambda o: o.valid_from)
                     if o.id != itself and same_grant(draft, o, at)), None)
    if existing is not None:
        raise Conflict(f"delegation {existing.id} already grants this delegate this area in this unit; amend it "
                       "instead", field=None, code="duplicate", existing_id=existing.id,
                       message_da="Delegeringen findes allerede til samme modtager, beslutningsområde og enhed "
                                  "– ret den i stedet.")


def leads(person_memberships: Iterable[Membership], units: Mapping[UUID, Unit], at: datetime, *,
          deputies: bool = True) -> set[UUID]:
    """The units a person leads at `at`: as leader, or (with `deputies`, for declaring delegations) as
    deputy where the unit lets deputies delegate."""
    led = set()
    for m in person_memberships:
        if not m.active_at(at):
            continue
        unit = units.get(m.unit_id)
        if unit is None or unit.archived_at is not None:
            continue
        if m.role == "leader" or (deputies and m.role == "deputy" and unit.deputies_may_delegate):
            led.add(m.unit_id)
    return led


def accountable_delegator(delegation: Delegation) -> UUID:
    """Who answers for a delegation: the leader a stand-in declared it for, else its delegator. A
    stand-in's hand in it ends with the appointment; the leader's does not."""
    return delegation.on_behalf_of_id or delegation.delegator_id


def peer_of(delegation: Delegation, my_units: Iterable[UUID]) -> bool:
    """Whether a colleague sees and gives feedback on the acts under a delegation (issue 12 part 3):
    its control form is peer sparring (kollegial sparring), and she has a position in its unit.
    The actor herself is never her own peer (the caller's `self` relation, and separation of duties)."""
    return delegation.control.form == "peer_sparring" and delegation.unit_id in set(my_units)


def check_holder_standing(draft: DelegationDraft, effects: Iterable[tuple[str, int | None]]) -> None:
    """A holder under a breach response passes on no more than she may use herself: nothing while
    suspended, and no level above a lowered one."""
    suspended, cap, _extra = fold_breach_responses(effects)
    if suspended:
        raise Forbidden("your delegation here is suspended after a trust breach; it cannot be passed on",
                        field="parentId", code="holder_suspended")
    if cap is not None and draft.level > cap:
        raise Forbidden(f"your level here is lowered to {cap} after a trust breach", field="level",
                        code="exceeds_parent")


def holds_leader_authority(led_units: set[UUID], unit_id: UUID, tree: Tree) -> bool:
    """A leader of a unit holds authority over that unit's whole subtree."""
    return any(u in led_units for u in tree.ancestors(unit_id))


def check_area_delegable(area_id: UUID, unit_id: UUID, areas: Mapping[UUID, Area], area_tree: Tree,
                         unit_tree: Tree) -> None:
    """An area reserved at unit X (or everywhere) may not be delegated in scopes overlapping X's subtree.

    A reservation on an area binds its sub-areas too.
    """
    for a in area_tree.ancestors(area_id):
        area = areas[a]
        if area.delegable:
            continue
        if area.reserved_unit_id is None or unit_tree.overlaps(unit_id, area.reserved_unit_id):
            raise Forbidden(f"decisions on '{area.key}' are reserved and cannot be delegated here",
                            field="area", code="area_reserved")


def check_may_declare(draft: DelegationDraft, *, led_units: set[UUID], parent: Delegation | None,
                      delegator_team_ids: set[UUID], unit_tree: Tree, area_tree: Tree,
                      areas: Mapping[UUID, Area], at: datetime) -> None:
    """A leader can only delegate what he or she holds.

    Without a parent: the delegator leads the unit or an ancestor of it. With a parent: the delegator
    is the parent's delegate (or a member of its team), the parent allows sub-delegation with depth
    left, and the new delegation stays inside the parent in level, area, scope and validity.
    """
    check_area_delegable(draft.area_id, draft.unit_id, areas, area_tree, unit_tree)
    if parent is None:
        if not holds_leader_authority(led_units, draft.unit_id, unit_tree):
            raise Forbidden("you can only delegate in units you lead, or what has been delegated to you",
                            field="unit", code="not_authorised_to_delegate")
        return
    check_attenuation(draft, parent, delegator_team_ids=delegator_team_ids, unit_tree=unit_tree,
                      area_tree=area_tree, at=at)


def check_attenuation(draft: DelegationDraft, parent: Delegation, *, delegator_team_ids: set[UUID],
                      unit_tree: Tree, area_tree: Tree, at: datetime) -> None:
    holder = (parent.delegate_person_id == draft.delegator_id
              or (parent.delegate_team_id is not None and parent.delegate_team_id in delegator_team_ids))
    if not holder:
        raise Forbidden("only the holder of a delegation can sub-delegate it", field="parentId",
                        code="not_authorised_to_delegate")
    if parent.status_at(at) != "active" or not parent.valid_at(at):
        raise Forbidden("the parent delegation is not in force", field="parentId", code="parent_not_in_force")
    if not parent.allow_subdelegation or parent.max_subdelegation_depth < 1:
        raise Forbidden("the parent delegation does not allow sub-delegation", field="parentId",
                        code="subdelegation_not_allowed")
    if draft.level > parent.level:
        raise Forbidden(f"a sub-delegation cannot exceed its parent's level {parent.level}", field="level",
                        code="exceeds_parent")
    if not area_tree.is_within(draft.area_id, parent.area_id):
        raise Forbidden("a sub-delegation must stay within its parent's decision area", field="area",
                        code="exceeds_parent")
    if draft.unit_id == parent.unit_id:
        if draft.include_subunits and not parent.include_subunits:
            raise Forbidden("the parent does not cover sub-units", field="includeSubunits", code="exceeds_parent")
    elif not (parent.include_subunits and unit_tree.is_within(draft.unit_id, parent.unit_id)):
        raise Forbidden("a sub-delegation must stay within its parent's units", field="unit", code="exceeds_parent")
    if draft.valid_from < parent.valid_from:
        raise Forbidden("a sub-delegation cannot start before its parent", field="validFrom", code="exceeds_parent")
    if parent.valid_until is not None and (draft.valid_until is None or draft.valid_until > parent.valid_until):
        raise Forbidden("a sub-delegation cannot outlast its parent", field="validUntil", code="exceeds_parent")
    if draft.max_subdelegation_depth > parent.max_subdelegation_depth - 1:
        raise Forbidden(f"sub-delegation depth left is {parent.max_subdelegation_depth - 1}",
                        field="maxSubdelegationDepth", code="exceeds_parent")


def check_team_in_scope(team_unit_id: UUID, scope_unit_id: UUID, include_subunits: bool, unit_tree: Tree) -> None:
    inside = team_unit_id == scope_unit_id or (include_subunits and unit_tree.is_within(team_unit_id, scope_unit_id))
    if not inside:
        raise Invalid("a team delegate must belong to the delegation's unit or, when sub-units are covered, "
                      "one below it", field="delegate", code="team_outside_scope")


# Who may set (and so change) a red line labelled as set by the direktion or a forvaltning: a leader
# of such a unit at or above the line's unit. "leader" and "team" lines need authority there only.
# A line labelled as decided politically is kept by the direktion, as the administration carrying
# out what the kommunalbestyrelse or regionsråd decided.
_LABEL_KINDS = {"direktion": frozenset({"direktion"}), "forvaltning": frozenset({"direktion", "forvaltning"}),
                "political": frozenset({"direktion"})}


def check_red_line_authority(red_line_unit_id: UUID, set_by: str, *, led_units: set[UUID], is_admin: bool,
                             unit_tree: Tree, units: Mapping[UUID, Unit]) -> None:
    """Red lines set higher up bind everything below; only authority at their unit may change them.

    Adding a red line only ever narrows (all red lines in scope must hold), so a leader may add them
    anywhere in the subtree he or she leads. Changing or archiving one needs authority at the unit
    where it was set, so a leader below cannot weaken it. Lines set by law are for admins; a line
    labelled as set by the direktion or a forvaltning takes a leader of such a unit at or above it,
    so the label means what it says.
    """
    if is_admin:
        return
    if set_by == "law":
        raise Forbidden("red lines set by law are maintained by an administrator", field="setBy",
                        code="red_line_set_above")
    if not holds_leader_authority(led_units, red_line_unit_id, unit_tree):
        raise Forbidden("this red line is set above your units; you cannot change or remove it",
                        field="unit", code="red_line_set_above")
    kinds = _LABEL_KINDS.get(set_by)
    if kinds and not any(u in led_units and units[u].kind in kinds for u in unit_tree.ancestors(red_line_unit_id)):
        raise Forbidden(f"a red line set by the {set_by} is set and changed by a leader of a {set_by} unit above it "
                        "(or an administrator)", field="setBy", code="red_line_set_above")

def check_unit_move(unit_id: UUID, new_parent_id: UUID | None, unit_tree: Tree) -> None:
    if new_parent_id == unit_id or unit_tree.would_cycle(unit_id, new_parent_id):
        raise Invalid("moving the unit there would create a cycle", field="parentId", code="unit_cycle")


def check_area_move(area_id: UUID, new_parent_id: UUID | None, area_tree: Tree) -> None:
    if new_parent_id == area_id or area_tree.would_cycle(area_id, new_parent_id):
        raise Invalid("moving the area there would create a cycle", field="parentId", code="area_cycle")


def effective_attributes(area_id: UUID, areas: Mapping[UUID, Area], area_tree: Tree) -> dict[str, str]:
    """An area's declared attributes, including those its ancestors declare (sub-areas inherit)."""
    return {attr.name: attr.type for attr, _ in attributes_in_force([areas[a] for a in area_tree.ancestors(area_id)])}


def attributes_in_force(chain: Iterable[Area]) -> list[tuple[AreaAttribute, Area]]:
    """The attributes that apply to an area, given it and the areas above it (nearest first): its own,
    then each ancestor's, each with the area that declares it. A sub-area inherits its ancestors'
    attributes; the nearest declaration of a name wins (the writes keep names unique along a chain)."""
    found: dict[str, tuple[AreaAttribute, Area]] = {}
    for area in chain:
        for attr in area.attributes:
            found.setdefault(attr.name, (attr, area))
    return list(found.values())


# KLE (KL's emnesystematik, licensed by KL: the registry does not ship the catalogue) names a case by
# hovedgruppe (88), gruppe (88.01) or emne (88.01.00), optionally with a handlingsfacet (88.01.00G01).
_KLE = re.compile(r"\d{2}(\.\d{2}(\.\d{2})?)?(?:\s?([A-Z]\d{2}))?")


def check_kle(code: str) -> str:
    """A KLE code in its written form, the handlingsfacet joined on ("88.01.00 G01" -> "88.01.00G01");
    refused (`invalid_kle`) unless it has the form of a KLE number. Whether the municipality uses it
    is theirs to say."""
    found = _KLE.fullmatch((code or "").strip())
    if found is None or (found.group(3) and not found.group(2)):
        raise Invalid("kle must be a KLE number: 88, 88.01 or 88.01.00, with a handlingsfacet only on an emne "
                      "(88.01.00G01)", field="kle", code="invalid_kle")
    return found.group(0).replace(" ", "").strip()
