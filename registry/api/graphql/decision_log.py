"""GraphQL for the decision log: check decisions as answered to callers, for administrators and auditors."""

from __future__ import annotations

from datetime import datetime

import strawberry

from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.services import decision_log as decision_log_uc
from registry.storage.decision_log import LoggedDecision


def _id(value) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One check decision as it was answered to a caller.")
class DecisionLogEntry:
    id: strawberry.ID
    decided_at: datetime = strawberry.field(description="When the registry answered.")
    at: datetime = strawberry.field(description="The instant the check asked about (usually the same).")
    person: str = strawberry.field(description="The person's external id, as asked.")
    person_id: strawberry.ID | None = strawberry.field(description="The person it named; null if unknown then.")
    area: str = strawberry.field(description="The decision area's key, as asked.")
    area_id: strawberry.ID | None
    unit: str = strawberry.field(description="The unit id, as asked.")
    unit_id: strawberry.ID | None = strawberry.field(description="The unit, when the registry knew it.")
    action: str
    allowed: bool
    reason: str
    level: int | None
    revision: int = strawberry.field(description="The organisation's revision the answer came from.")
    source: str = strawberry.field(description="The endpoint: graphql.check, graphql.checks, authzen.evaluation, "
                                               "authzen.evaluations, authzen.search_resource, "
                                               "authzen.search_action or record_act.")
    caller: str = strawberry.field(description="Who asked: person:<id> or apikey:<id>.")
    request_id: str | None

    @classmethod
    def of(cls, d: LoggedDecision) -> "DecisionLogEntry":
        return cls(id=strawberry.ID(str(d.id)), decided_at=d.decided_at, at=d.at, person=d.person,
                   person_id=_id(d.person_id), area=d.area, area_id=_id(d.area_id), unit=d.unit,
                   unit_id=_id(d.unit_id), action=d.action, allowed=d.allowed, reason=d.reason, level=d.level,
                   revision=d.revision, source=d.source, caller=d.caller, request_id=d.request_id)


@strawberry.type
class DecisionLogConnection:
    nodes: list[DecisionLogEntry]
    page_info: gt.PageInfo


@strawberry.type
class DecisionLogQuery:
    @strawberry.field(description="Check decisions answered to callers (REGISTRY_DECISION_LOG says which are "
                                  "kept), newest first, filtered by person, area, unit subtree, time of the "
                                  "decision and outcome. Administrators and auditors.")
    async def decision_log(self, info: Info, person_id: strawberry.ID | None = None,
                           area_id: strawberry.ID | None = None, unit_id: strawberry.ID | None = None,
                           since: datetime | None = None, until: datetime | None = None,
                           allowed: bool | None = None, first: int = 50,
                           after: str | None = None) -> DecisionLogConnection:
        page = await decision_log_uc.search(info.context.ctx, person_id=person_id, area_id=area_id, unit_id=unit_id,
                                            since=since, until=until, allowed=allowed, first=first, after=after)
        return DecisionLogConnection(nodes=[DecisionLogEntry.of(d) for d in page.items],
                                     page_info=gt.PageInfo(end_cursor=page.end_cursor,
                                                           has_next_page=page.has_next_page))
