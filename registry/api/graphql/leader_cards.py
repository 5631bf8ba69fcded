"""GraphQL for the leader's card (issue 12, part 4; "at trække lederkortet"): the card type, the
mutation that records one, a delegation's cards (Delegation.leaderCards, in types.py) and the count
a unit's follow-up shows."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from registry import texts
from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.results import payload, result, typed_errors
from registry.domain import model
from registry.services import leader_cards as card_uc
from registry.services.common import parse_uuid


@strawberry.type(description="The leader's card (lederkortet, \"at trække lederkortet\"): a leader decided a matter "
                             "she had delegated, and recorded what and why. It does not change the delegation. "
                             "Read by the delegate (or the team's members), the delegator, the leader chain above "
                             "the unit (and a stand-in for it), HR and auditors.")
class LeaderCard(gt.Versioned):
    id: strawberry.ID
    decided: str = strawberry.field(description="What the leader decided (Det besluttede).")
    why: str = strawberry.field(description="Why she decided it herself (Hvorfor).")
    decided_at: datetime = strawberry.field(description="When she decided.")
    c: strawberry.Private[model.LeaderCard]

    @classmethod
    def of(cls, c: model.LeaderCard) -> "LeaderCard":
        return gt.build(cls, c, c=c)

    @strawberry.field(description="What the delegate is told, in Danish: \"Lederen har trukket lederkortet\".")
    def label_da(self) -> str:
        return texts.LEADER_CARD_DRAWN_DA

    @strawberry.field
    async def delegation(self, info: Info) -> gt.Delegation:
        return gt.Delegation.of(await info.context.loaders.delegation.load(self.c.delegation_id))

    @strawberry.field(description="The leader who decided (a stand-in's name, when she drew it for the leader).")
    async def decided_by(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.c.decided_by))


@strawberry.type(description="How many leader's cards were drawn in a unit (and its subtree) recently: a number for "
                             "the unit's follow-up, never per person.")
class LeaderCardCount:
    count: int
    days: int
    since: datetime
    unit_id: strawberry.Private[UUID]

    @strawberry.field(description="The same in Danish, e.g. \"Lederkortet er trukket 2 gange de seneste 90 dage.\"")
    def text_da(self) -> str:
        return texts.leader_cards_count_da(self.count, self.days)

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.unit_id))


@strawberry.input
class RecordLeaderCardInput:
    delegation_id: strawberry.ID
    decided: str = strawberry.field(description="What you decided (Det besluttede).")
    why: str = strawberry.field(description="Why you decided it yourself (Hvorfor).")
    decided_at: datetime | None = strawberry.field(default=None, description="When you decided; now if left out. "
                                                                              "Not in the future.")


LeaderCardPayload = payload("LeaderCardPayload", leader_card=LeaderCard)
LeaderCardResult = result("LeaderCardResult", LeaderCardPayload)


@strawberry.type
class LeaderCardQuery:
    @strawberry.field(description="How many leader's cards were drawn in the unit and its subtree in the last `days` "
                                  "days (default 90): for its leader chain, a stand-in for it, HR and auditors.")
    async def leader_card_count(self, info: Info, unit_id: strawberry.ID,
                                days: int = card_uc.RECENT_DAYS) -> LeaderCardCount:
        unit = parse_uuid(unit_id, "unitId")
        count, since = await card_uc.count_in_unit(info.context.ctx, unit, days)
        return LeaderCardCount(count=count, days=days, since=since, unit_id=unit)


@strawberry.type
class LeaderCardMutation:
    @strawberry.mutation(description="Draw the leader's card: record that you decided a matter you have delegated, "
                                     "what and why. The delegation is not changed; its delegate reads the card on it.")
    @typed_errors
    async def record_leader_card(self, info: Info, input: RecordLeaderCardInput) -> LeaderCardResult:
        r = await card_uc.record(info.context.ctx, card_uc.CardInput(
            delegation_id=parse_uuid(input.delegation_id, "delegationId"), decided=input.decided, why=input.why,
            decided_at=input.decided_at))
        return LeaderCardPayload(leader_card=LeaderCard.of(r.value), revision=r.revision)
