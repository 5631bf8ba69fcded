"""GraphQL for checks: check, checks, whoMay, mandate."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from registry import texts
from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.inputs import built_directly
from registry.domain import levels
from registry.errors import Unavailable
from registry.policy.index import FOREVER, Decision
from registry.services import checks as check_uc


@strawberry.enum(description="What the person wants to do; each needs a minimum involvement level.")
class CheckAction(Enum):
    BE_INFORMED = "be_informed"
    BE_CONSULTED = "be_consulted"
    CO_DECIDE = "co_decide"
    DECIDE = "decide"
    ACT_AS_HVERDAGSDIREKTOER = "act_as_hverdagsdirektoer"


@built_directly  # a batch holds up to 1000 of them
@strawberry.input
class CheckInput:
    person: str = strawberry.field(description="The person's external id (IdP subject), or one of her aliases (a "
                                               "payroll number, a UPN, a UUID, a login's sub).")
    area: str = strawberry.field(description="The decision area's key, e.g. economy/purchase, or its KLE code when "
                                             "only one area has it (a key is tried first).")
    unit: strawberry.ID = strawberry.field(description="The unit's id, or its external id (e.g. a LOS id; an id is "
                                                       "tried first).")
    action: CheckAction
    attributes: JSON | None = strawberry.field(default=None, description="Values of the area's attributes.")
    at: datetime | None = strawberry.field(default=None, description="Default now; a past instant asks history.")
    min_revision: int | None = strawberry.field(default=None, description="Wait (bounded) for this revision.")
    explain: bool = False

    def to_request(self) -> check_uc.CheckRequest:
        return check_uc.CheckRequest(person=self.person, area=self.area, unit=str(self.unit), action=self.action.value,
                                     attributes=dict(self.attributes or {}), at=self.at,
                                     min_revision=self.min_revision, explain=self.explain)


def _binding(c: check_uc.Bound) -> gt.BindingCondition:
    return gt.BindingCondition(condition=c.condition, text_da=c.text_da, inherited=c.inherited,
                               delegation_id=UUID(c.delegation_id))


def _instant(epoch: float | None) -> datetime | None:
    return None if epoch is None or epoch == FOREVER else datetime.fromtimestamp(epoch, timezone.utc)


@strawberry.type
class ObligationOut:
    kind: str = strawberry.field(description="seek_advice, justify, report or pre_approval")
    deadline: datetime | None

    @strawberry.field(description="What it asks of the person, in Danish.")
    def label_da(self) -> str | None:
        return texts.OBLIGATIONS_DA.get(self.kind)


@strawberry.type
class RedLineHit:
    id: strawberry.ID
    consequence: str
    condition: str | None


@strawberry.type(description="A limit of the delegation a check was refused by (`outside_mandate`, or "
                             "`missing_attribute` when the case lacks a value it reads).")
class ConditionHit:
    delegation_id: strawberry.ID = strawberry.field(
        description="The delegation that states it: the one asked about, or one it was passed on from.")
    condition: str = strawberry.field(description="In the condition language, e.g. amount <= 10000.")
    text_da: str = strawberry.field(description="As people read it, e.g. \"Op til 10.000 kr. pr. indkøb\".")


@strawberry.type
class TraceEntry:
    kind: str = strawberry.field(description="delegation, condition (one of a delegation's limits; `id` is the "
                                             "delegation that states it), leader_authority or red_line")
    id: strawberry.ID
    outcome: str = strawberry.field(description="A delegation: allows, level_too_low, outside_mandate, "
                                                "missing_attribute, not_yet_valid, expired, revoked or suspended. A "
                                                "condition or a red line: holds, violated or missing_attribute.")
    level: int | None
    condition: str | None = strawberry.field(description="A condition's text (kind condition).")


@strawberry.type(description="The answer to a check: decision, reason code, level and what is owed.")
class CheckResult:
    decision: bool
    reason: str = strawberry.field(description="allowed, leader_authority, no_delegation, level_too_low, "
                                               "outside_mandate, red_line, missing_attribute, not_yet_valid, "
                                               "expired, revoked, suspended, awaiting_acceptance (offered, the "
                                               "delegate has not taken it up yet), declined, "
                                               "unknown_person, unknown_area, unknown_unit or stale")
    revision: int
    level: int | None
    level_label_da: str | None
    delegation_ids: list[strawberry.ID]

    @strawberry.field(description="The reason in Danish, as a system can show it to the person.")
    def reason_da(self) -> str | None:
        return texts.REASONS_DA.get(self.reason)

    obligations: list[ObligationOut]
    red_line: RedLineHit | None
    condition: ConditionHit | None = strawberry.field(
        description="The delegation's limit that refused the case (outside_mandate), or one that needs a missing "
                    "value (missing_attribute).")
    missing_attributes: list[str]
    trace: list[TraceEntry] | None
    person_external_id: str | None = strawberry.field(
        default=None, description="The person's external id, when the check named her by an alias (whom the answer "
                                  "is about); null when it named her by her external id.")

    @classmethod
    def of(cls, d: Decision) -> "CheckResult":
        return cls(
            decision=d.decision, reason=d.reason, revision=d.revision, level=d.level, level_label_da=d.level_label,
            delegation_ids=[strawberry.ID(i) for i in d.delegation_ids],
            obligations=[ObligationOut(kind=o.kind, deadline=_instant(o.deadline)) for o in d.obligations],
            red_line=None if d.red_line is None else RedLineHit(id=strawberry.ID(d.red_line.id),
                                                                consequence=d.red_line.consequence,
                                                                condition=d.red_line.condition),
            condition=None if d.condition is None else ConditionHit(
                delegation_id=strawberry.ID(d.condition.delegation_id), condition=d.condition.condition,
                text_da=d.condition.text_da),
            missing_attributes=list(d.missing_attributes), person_external_id=d.person,
            trace=None if d.trace is None else [TraceEntry(kind=t.kind, id=strawberry.ID(t.id), outcome=t.outcome,
                                                           level=t.level, condition=t.condition) for t in d.trace])


@strawberry.type
class WhoMayEntry:
    level: int
    level_label_da: str
    delegation_ids: list[strawberry.ID]
    obligations: list[ObligationOut]
    basis: str = strawberry.field(description="delegation, leader_authority (she leads the unit or one above) or "
                                              "stand_in (she stands in for such a leader)")
    conditions: list[gt.BindingCondition] = strawberry.field(
        description="The limits of the delegation that allows (they hold for the attributes given).")
    person_id: strawberry.Private[str]

    @strawberry.field(description="The level's short name in Danish, e.g. \"Hverdagsdirektør\".")
    def level_short_da(self) -> str:
        return levels.level(self.level).short_da

    @strawberry.field(description="Where the person's say comes from, in Danish, e.g. \"Leder af enheden\".")
    def basis_label_da(self) -> str:
        return texts.BASES_OF_OTHERS_DA[self.basis]

    @strawberry.field
    async def person(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(UUID(self.person_id)))


@strawberry.type
class WhoMayResult:
    people: list[WhoMayEntry]
    revision: int
    stale: bool


@strawberry.type
class Owed:
    kind: str
    within_days: int | None

    @strawberry.field(description="What it asks of the person, in Danish.")
    def label_da(self) -> str | None:
        return texts.OBLIGATIONS_DA.get(self.kind)


@strawberry.type(description="A trust breach's effect on (part of) a mandate entry while it is in force, as checks "
                               "apply it: never which breach, or why. It binds `area` and the areas below it, in "
                               "`unit` and the units below it.")
class MandateEffect:
    kind: str = strawberry.field(description="suspended (checks refuse with `suspended`), level_capped (the level "
                                             "is at most `cappedTo`) or pre_approval (decisions owe `pre_approval`)")
    label_da: str = strawberry.field(description="e.g. \"Mandatet er midlertidigt sat i bero\"")
    whole_entry: bool = strawberry.field(description="It binds all of the entry (else only its area and unit).")
    until: datetime | None = strawberry.field(description="When it ends by itself (null: until further notice).")
    capped_to: int | None
    f: strawberry.Private[check_uc.Effect]

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea:
        return gt.DecisionArea.of(await info.context.loaders.area.load(UUID(self.f.area_id)))

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(UUID(self.f.unit_id)))

    @classmethod
    def of(cls, f: check_uc.Effect) -> "MandateEffect":
        return cls(kind=f.kind, label_da=f.label_da, whole_entry=f.whole, until=_instant(f.until),
                   capped_to=f.capped_to, f=f)


@strawberry.type(description="One thing the person may decide or take part in, as checks see it: a delegation to "
                             "her or her team, or her authority as the unit's leader (or stand-in), with the effects "
                             "of trust breaches in force.")
class MandateEntry:
    basis: str = strawberry.field(description="delegation, or leader_authority (the reason checks answer with)")
    basis_label_da: str
    level: int = strawberry.field(description="The level held (7 for leader authority).")
    level_label_da: str
    suspended: bool = strawberry.field(description="Suspended all over for now: checks refuse it.")
    level_in_force: int | None = strawberry.field(
        description="The level checks use, after the effects binding all of the entry; null while suspended.")
    include_subunits: bool
    actions: list[str] = strawberry.field(
        description="Actions allowed at levelInForce (where no effect on a part of it binds).")
    owes: list[Owed]
    valid_until: datetime | None
    effects: list[MandateEffect] = strawberry.field(
        description="Effects of trust breaches in force on all of it or a part of it (the person sees the same "
                    "in checks).")
    area_key: str = strawberry.field(description="The area's key, as a check names it (a `check` key reads this; "
                                                 "following `area` takes the right to read the organisation).")
    unit_id: strawberry.ID = strawberry.field(description="The unit's id, as a check may name it.")
    unit_external_id: str | None = strawberry.field(description="The unit's own external id (e.g. a LOS id), as a "
                                                                "check may name it, when it has one.")
    conditions: list[gt.BindingCondition] = strawberry.field(
        description="A delegation's limits (its own and those it inherits): checks allow only cases within them. "
                    "Each has its Danish sentence (textDa).")
    e: strawberry.Private[check_uc.MandateEntry]

    @strawberry.field(description="The level's short name in Danish (Orientering … Fuld delegering), as held.")
    def level_short_da(self) -> str:
        return levels.level(self.level).short_da

    @strawberry.field(description="`actions` in Danish, in the same order (e.g. \"Handle som hverdagsdirektør\").")
    def actions_da(self) -> list[str]:
        return [texts.CHECK_ACTIONS_DA.get(a, a) for a in self.actions]

    @strawberry.field(description="The delegation; null for leader authority.")
    async def delegation(self, info: Info) -> gt.Delegation | None:
        if self.e.delegation_id is None:
            return None
        return gt.Delegation.of(await info.context.loaders.delegation.load(UUID(self.e.delegation_id)))

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea:
        return gt.DecisionArea.of(await info.context.loaders.area.load(UUID(self.e.area_id)))

    @strawberry.field(description="Leader authority: areas below `area` reserved to a unit above hers, which she "
                                  "does not hold (nor the areas below them).")
    async def except_areas(self, info: Info) -> list[gt.DecisionArea]:
        found = await info.context.loaders.area.load_many([UUID(i) for i in self.e.except_area_ids])
        return [gt.DecisionArea.of(a) for a in found if a is not None]

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(UUID(self.e.unit_id)))

    @strawberry.field(description="The shared frames that hold where it is (kerneopgave and fælles spilleregler): "
                                  "its unit's and those of the units above it, then the team's it comes through.")
    async def frames(self, info: Info) -> list[gt.UnitFrame]:
        place = (UUID(self.e.unit_id), None if self.e.via_team_id is None else UUID(self.e.via_team_id))
        return [gt.UnitFrame.of(f) for f in await info.context.loaders.frames_at.load(place)]

    @strawberry.field(description="Red lines that bind somewhere in this scope.")
    async def red_lines(self, info: Info) -> list[gt.RedLine]:
        found = await info.context.loaders.red_line.load_many([UUID(i) for i in self.e.red_line_ids])
        return [gt.RedLine.of(r) for r in found if r is not None]

    @strawberry.field
    async def via_team(self, info: Info) -> gt.Team | None:
        if self.e.via_team_id is None:
            return None
        return gt.Team.of(await info.context.loaders.team.load(UUID(self.e.via_team_id)))

    @strawberry.field(description="The leader she stands in for, when she holds the authority as a stand-in.")
    async def stand_in_for(self, info: Info) -> gt.Person | None:
        if self.e.stand_in_for is None:
            return None
        return gt.Person.of(await info.context.loaders.person.load(UUID(self.e.stand_in_for)))

    @classmethod
    def of(cls, e: check_uc.MandateEntry) -> "MandateEntry":
        basis = "stand_in" if e.stand_in_for is not None else "delegation_team" if e.via_team_id is not None \
            else e.basis
        return cls(basis=e.basis, basis_label_da=texts.BASES_DA[basis], level=e.level, level_label_da=e.label_da,
                   suspended=e.suspended, level_in_force=e.level_in_force, include_subunits=e.include_subunits,
                   actions=e.actions, owes=[Owed(kind=o.kind, within_days=o.within_days) for o in e.owes],
                   valid_until=_instant(e.valid_until), effects=[MandateEffect.of(f) for f in e.effects],
                   area_key=e.area_key, unit_id=strawberry.ID(e.unit_id), unit_external_id=e.unit_external_id,
                   conditions=[_binding(c) for c in e.conditions], e=e)


@strawberry.type
class CheckQuery:
    @strawberry.field(description="May this person take this action on this decision area in this unit?")
    async def check(self, info: Info, input: CheckInput) -> CheckResult:
        ctx = info.context.ctx
        return CheckResult.of(await check_uc.check(ctx, info.context.engine, input.to_request(),
                                                   source="graphql.check"))

    @strawberry.field(description="Several checks in one request, answered in order; at most 1000 in one request.")
    async def checks(self, info: Info, inputs: list[CheckInput]) -> list[CheckResult]:
        ctx = info.context.ctx
        # At most MAX_BATCH in one request, however many times `checks` is asked for in it.
        check_uc.check_batch_size(len(inputs) + check_uc.MAX_BATCH - info.context.checks_left, "inputs")
        info.context.checks_left -= len(inputs)
        return [CheckResult.of(d) for d in await check_uc.checks(ctx, info.context.engine,
                                                                  [i.to_request() for i in inputs],
                                                                  source="graphql.checks")]

    @strawberry.field(description="Everyone a single check would allow, with level and obligations.")
    async def who_may(self, info: Info, area: Annotated[str, strawberry.argument(
                          description="The area's key, or its KLE code when only one area has it.")],
                      unit: Annotated[strawberry.ID, strawberry.argument(
                          description="The unit's id, or its external id.")], action: CheckAction,
                      attributes: JSON | None = None, at: datetime | None = None) -> WhoMayResult:
        ctx = info.context.ctx
        found = await check_uc.who_may(ctx, info.context.engine, area=area, unit=str(unit), action=action.value,
                                       attributes=dict(attributes or {}), at=at)
        if isinstance(found, Decision):
            return WhoMayResult(people=[], revision=found.revision, stale=True)
        revision = info.context.engine.index(ctx.tenant_id).revision
        return WhoMayResult(people=[WhoMayEntry(
            level=e.decision.level, level_label_da=e.decision.level_label,
            delegation_ids=[strawberry.ID(i) for i in e.decision.delegation_ids],
            obligations=[ObligationOut(kind=o.kind, deadline=_instant(o.deadline)) for o in e.decision.obligations],
            basis=e.basis, conditions=[_binding(c) for c in e.conditions], person_id=e.person_id)
            for e in found], revision=revision, stale=False)

    @strawberry.field(description="What a person may decide: areas, units, levels, red lines, what is owed, and "
                                  "the effects of trust breaches in force; by the rules checks use.")
    async def mandate(self, info: Info, person: str, at: datetime | None = None) -> list[MandateEntry]:
        ctx = info.context.ctx
        found = await check_uc.mandate(ctx, info.context.engine, person, at)
        if isinstance(found, Decision):
            raise Unavailable("the registry cannot confirm it is current; try again shortly")
        return [MandateEntry.of(e) for e in found]
