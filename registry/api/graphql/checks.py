"""GraphQL for checks: check, checks, whoMay, mandate."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.inputs import built_directly
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
    person: str = strawberry.field(description="The person's external id (IdP subject).")
    area: str = strawberry.field(description="The decision area's key, e.g. economy/purchase.")
    unit: strawberry.ID
    action: CheckAction
    attributes: JSON | None = strawberry.field(default=None, description="Values of the area's attributes.")
    at: datetime | None = strawberry.field(default=None, description="Default now; a past instant asks history.")
    min_revision: int | None = strawberry.field(default=None, description="Wait (bounded) for this revision.")
    explain: bool = False

    def to_request(self) -> check_uc.CheckRequest:
        return check_uc.CheckRequest(person=self.person, area=self.area, unit=str(self.unit), action=self.action.value,
                                     attributes=dict(self.attributes or {}), at=self.at,
                                     min_revision=self.min_revision, explain=self.explain)


def _instant(epoch: float | None) -> datetime | None:
    return None if epoch is None or epoch == FOREVER else datetime.fromtimestamp(epoch, timezone.utc)


@strawberry.type
class ObligationOut:
    kind: str = strawberry.field(description="seek_advice, justify, report or pre_approval")
    deadline: datetime | None


@strawberry.type
class RedLineHit:
    id: strawberry.ID
    consequence: str
    condition: str | None


@strawberry.type
class TraceEntry:
    kind: str
    id: strawberry.ID
    outcome: str
    level: int | None


@strawberry.type(description="The answer to a check: decision, reason code, level and what is owed.")
class CheckResult:
    decision: bool
    reason: str = strawberry.field(description="allowed, leader_authority, no_delegation, level_too_low, red_line, "
                                               "missing_attribute, not_yet_valid, expired, revoked, suspended, "
                                               "unknown_person, unknown_area, unknown_unit or stale")
    revision: int
    level: int | None
    level_label_da: str | None
    delegation_ids: list[strawberry.ID]
    obligations: list[ObligationOut]
    red_line: RedLineHit | None
    missing_attributes: list[str]
    trace: list[TraceEntry] | None

    @classmethod
    def of(cls, d: Decision) -> "CheckResult":
        return cls(
            decision=d.decision, reason=d.reason, revision=d.revision, level=d.level, level_label_da=d.level_label,
            delegation_ids=[strawberry.ID(i) for i in d.delegation_ids],
            obligations=[ObligationOut(kind=o.kind, deadline=_instant(o.deadline)) for o in d.obligations],
            red_line=None if d.red_line is None else RedLineHit(id=strawberry.ID(d.red_line.id),
                                                                consequence=d.red_line.consequence,
                                                                condition=d.red_line.condition),
            missing_attributes=list(d.missing_attributes),
            trace=None if d.trace is None else [TraceEntry(kind=t.kind, id=strawberry.ID(t.id), outcome=t.outcome,
                                                           level=t.level) for t in d.trace])


@strawberry.type
class WhoMayEntry:
    level: int
    level_label_da: str
    delegation_ids: list[strawberry.ID]
    obligations: list[ObligationOut]
    person_id: strawberry.Private[str]

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


@strawberry.type(description="One thing the person may decide or take part in.")
class MandateEntry:
    level: int
    level_label_da: str
    include_subunits: bool
    actions: list[str]
    owes: list[Owed]
    valid_until: datetime | None
    e: strawberry.Private[check_uc.MandateEntry]

    @strawberry.field
    async def delegation(self, info: Info) -> gt.Delegation:
        return gt.Delegation.of(await info.context.loaders.delegation.load(UUID(self.e.delegation_id)))

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea:
        return gt.DecisionArea.of(await info.context.loaders.area.load(UUID(self.e.area_id)))

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(UUID(self.e.unit_id)))

    @strawberry.field(description="Red lines that bind somewhere in this scope.")
    async def red_lines(self, info: Info) -> list[gt.RedLine]:
        found = await info.context.loaders.red_line.load_many([UUID(i) for i in self.e.red_line_ids])
        return [gt.RedLine.of(r) for r in found if r is not None]

    @strawberry.field
    async def via_team(self, info: Info) -> gt.Team | None:
        if self.e.via_team_id is None:
            return None
        return gt.Team.of(await info.context.loaders.team.load(UUID(self.e.via_team_id)))


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
    async def who_may(self, info: Info, area: str, unit: strawberry.ID, action: CheckAction,
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
            person_id=e.person_id) for e in found], revision=revision, stale=False)

    @strawberry.field(description="What a person may decide: areas, units, levels, red lines, what is owed.")
    async def mandate(self, info: Info, person: str, at: datetime | None = None) -> list[MandateEntry]:
        ctx = info.context.ctx
        found = await check_uc.mandate(ctx, info.context.engine, person, at)
        if isinstance(found, Decision):
            raise Unavailable("the registry cannot confirm it is current; try again shortly")
        return [MandateEntry(level=e.level, level_label_da=e.label_da, include_subunits=e.include_subunits,
                             actions=e.actions, owes=[Owed(kind=o.kind, within_days=o.within_days) for o in e.owes],
                             valid_until=_instant(e.valid_until), e=e) for e in found]
