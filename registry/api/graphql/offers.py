"""GraphQL for a delegation offered and taken up, and for what employees ask of their leader (issue
12, part 1): the offer and request types, the delegate's answer, the employee's request or proposed
rule, the leader's answer, and the organisation's rule for when a delegate takes a delegation up."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from registry import texts
from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.results import payload, result, typed_errors
from registry.domain import model
from registry.services import offers as offer_uc
from registry.services import requests as request_uc
from registry.services.common import parse_uuid


@strawberry.enum(description="new: the delegation itself; widening: an amendment that gives more, waiting for her; "
                             "narrowing: an amendment that gave less, already in force (a notice).")
class OfferKind(Enum):
    NEW = "new"
    WIDENING = "widening"
    NARROWING = "narrowing"


@strawberry.enum
class OfferStatus(Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    SEEN = "seen"


@strawberry.enum(description="The delegate's answer. TALK: not ready yet, let us talk it over (the offer stays "
                             "open). SEEN: for a notice of narrowing.")
class OfferAnswer(Enum):
    ACCEPT = "accept"
    DECLINE = "decline"
    TALK = "talk"
    SEEN = "seen"


@strawberry.type(description="A delegation offered to its delegate, or an amendment that widens it, and her answer; "
                             "or a notice that an amendment narrowed it. Only the delegate (for a team: any member, "
                             "recorded by name) answers.")
class DelegationOffer(gt.Versioned):
    id: strawberry.ID
    kind: OfferKind
    status: OfferStatus
    answer: OfferAnswer | None = strawberry.field(description="Her latest answer; history keeps every one.")
    answer_note: str = strawberry.field(description="Her reason (a decline) or what she wants to talk over.")
    answered_at: datetime | None
    offered_at: datetime
    summary_da: str = strawberry.field(description="What a widening or narrowing changes, in Danish "
                                                   "(\"Niveau 5 (Rådgivning) → 6 (Hverdagsdirektør)\"); "
                                                   "empty for a new delegation (it is all of it).")
    o: strawberry.Private[model.DelegationOffer]

    @classmethod
    def of(cls, o: model.DelegationOffer) -> "DelegationOffer":
        return gt.build(cls, o, o=o, kind=OfferKind(o.kind), status=OfferStatus(o.status),
                        answer=None if o.answer is None else OfferAnswer(o.answer))

    @strawberry.field(description="The kind in Danish: Nyt mandat, Udvidelse af dit mandat, Dit mandat er indskrænket.")
    def kind_da(self) -> str:
        return texts.OFFER_KINDS_DA[self.o.kind]

    @strawberry.field(description="The status in Danish: Venter på svar, Taget imod, Sagt nej tak, ...")
    def status_da(self) -> str:
        return texts.OFFER_STATUS_DA[self.o.status]

    @strawberry.field
    async def delegation(self, info: Info) -> gt.Delegation:
        return gt.Delegation.of(await info.context.loaders.delegation.load(self.o.delegation_id))

    @strawberry.field(description="Who answered (for a team: the member who did).")
    async def answered_by(self, info: Info) -> gt.Person | None:
        if self.o.answered_by is None:
            return None
        return gt.Person.of(await info.context.loaders.person.load(self.o.answered_by))

    @strawberry.field(description="Who offered it (the leader, a stand-in, or the holder passing it on).")
    async def offered_by(self, info: Info) -> gt.Person | None:
        if self.o.offered_by is None:
            return None
        return gt.Person.of(await info.context.loaders.person.load(self.o.offered_by))


@strawberry.enum
class RequestKind(Enum):
    DELEGATION = "delegation"
    RULE = "rule"


@strawberry.enum
class RequestStatus(Enum):
    OPEN = "open"
    OFFERED = "offered"
    ADOPTED = "adopted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@strawberry.enum(description="The leader's answer to a request. A delegation is offered by declaring it with "
                             "requestId; ADOPT takes a proposed rule into the unit's (or team's) shared frame.")
class RequestAnswer(Enum):
    ADOPT = "adopt"
    DECLINE = "decline"


@strawberry.type(description="An employee asks for a delegation, or proposes a rule (spilleregel) for her unit or "
                             "team; the leader answers. Read by the asker and by the leader chain of the unit (a "
                             "stand-in for it), HR and auditors.")
class DelegationRequest(gt.Versioned):
    id: strawberry.ID
    kind: RequestKind
    status: RequestStatus
    text: str = strawberry.field(description="Why she asks (a delegation), or the rule she proposes.")
    level: int | None = strawberry.field(description="The level she wishes (a delegation).")
    answer_note: str = strawberry.field(description="The leader's reason, when she says no.")
    answered_at: datetime | None
    r: strawberry.Private[model.DelegationRequest]

    @classmethod
    def of(cls, r: model.DelegationRequest) -> "DelegationRequest":
        return gt.build(cls, r, r=r, kind=RequestKind(r.kind), status=RequestStatus(r.status))

    @strawberry.field
    def kind_da(self) -> str:
        return texts.REQUEST_KINDS_DA[self.r.kind]

    @strawberry.field
    def status_da(self) -> str:
        return texts.REQUEST_STATUS_DA[self.r.status]

    @strawberry.field
    async def person(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.r.person_id))

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.r.unit_id))

    @strawberry.field
    async def team(self, info: Info) -> gt.Team | None:
        return None if self.r.team_id is None else gt.Team.of(await info.context.loaders.team.load(self.r.team_id))

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea | None:
        if self.r.area_id is None:
            return None
        return gt.DecisionArea.of(await info.context.loaders.area.load(self.r.area_id))

    @strawberry.field(description="The delegation offered in answer, if one was.")
    async def delegation(self, info: Info) -> gt.Delegation | None:
        if self.r.delegation_id is None:
            return None
        return gt.Delegation.of(await info.context.loaders.delegation.load(self.r.delegation_id))


@strawberry.input
class AnswerOfferInput:
    offer_id: strawberry.ID
    answer: OfferAnswer
    note: str = strawberry.field(default="", description="Required to decline: your reason. With TALK: what you "
                                                         "would like to talk over.")


@strawberry.input(description="Ask for a delegation: the area, the unit (or your team), the level you wish, and why.")
class AskForDelegationInput:
    area_id: strawberry.ID
    level: int
    why: str
    unit_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = strawberry.field(default=None, description="Ask on behalf of your team.")


@strawberry.input(description="Propose a rule (spilleregel) for your unit or your team.")
class ProposeRuleInput:
    rule: str
    unit_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None


@strawberry.input
class AnswerRequestInput:
    request_id: strawberry.ID
    answer: RequestAnswer
    note: str = strawberry.field(default="", description="Required to say no: your reason.")


OfferPayload = payload("OfferPayload", offer=DelegationOffer)
OfferResult = result("OfferResult", OfferPayload)
RequestPayload = payload("RequestPayload", request=DelegationRequest)
RequestResult = result("RequestResult", RequestPayload)
AcceptanceRulePayload = payload("AcceptanceRulePayload", organisation=gt.Organisation)
AcceptanceRuleResult = result("AcceptanceRuleResult", AcceptanceRulePayload)


def _opt(value, field):
    return None if value is None else parse_uuid(value, field)


@strawberry.type
class OfferQuery:
    @strawberry.field(description="Offers waiting for your answer (to you, or to a team you are in), and notices of "
                                  "narrowing you have not marked as seen; oldest first.")
    async def my_offers(self, info: Info) -> list[DelegationOffer]:
        return [DelegationOffer.of(o) for o, _d in await offer_uc.open_for_me(info.context.ctx)]

    @strawberry.field(description="Offers waiting for an answer on delegations in the unit and below (and, with "
                                  "answeredSince, those answered since then): its leader chain, a stand-in, HR, "
                                  "auditors.")
    async def offers(self, info: Info, unit_id: strawberry.ID,
                     answered_since: datetime | None = None) -> list[DelegationOffer]:
        found = await offer_uc.in_unit(info.context.ctx, parse_uuid(unit_id, "unitId"), answered_since)
        return [DelegationOffer.of(o) for o, _d in found]

    @strawberry.field(description="Your requests and proposed rules, newest first.")
    async def my_requests(self, info: Info) -> list[DelegationRequest]:
        return [DelegationRequest.of(r) for r in await request_uc.mine(info.context.ctx)]

    @strawberry.field(description="Requests and proposed rules in the unit and below (open ones, unless openOnly is "
                                  "false): its leader chain, a stand-in, HR, auditors.")
    async def requests(self, info: Info, unit_id: strawberry.ID, open_only: bool = True) -> list[DelegationRequest]:
        found = await request_uc.in_unit(info.context.ctx, parse_uuid(unit_id, "unitId"), open_only=open_only)
        return [DelegationRequest.of(r) for r in found]


@strawberry.type
class OfferMutation:
    @strawberry.mutation(description="Answer an offer made to you: ACCEPT (it takes effect), DECLINE (with your "
                                     "reason), TALK (not ready yet: the offer stays open and your leader sees your "
                                     "note); or mark a notice of narrowing SEEN. Only the delegate answers.")
    @typed_errors
    async def answer_offer(self, info: Info, input: AnswerOfferInput, version: int) -> OfferResult:
        r = await offer_uc.answer(info.context.ctx, parse_uuid(input.offer_id, "offerId"), version,
                                  input.answer.value, input.note)
        return OfferPayload(offer=DelegationOffer.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Withdraw a widening that waits for the delegate (those who may amend the "
                                     "delegation). A new delegation's offer is withdrawn by revoking it.")
    @typed_errors
    async def withdraw_offer(self, info: Info, id: strawberry.ID, version: int) -> OfferResult:
        r = await offer_uc.withdraw(info.context.ctx, parse_uuid(id, "id"), version)
        return OfferPayload(offer=DelegationOffer.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Ask your leader for a delegation in your unit (or for your team).")
    @typed_errors
    async def ask_for_delegation(self, info: Info, input: AskForDelegationInput) -> RequestResult:
        r = await request_uc.ask(info.context.ctx, request_uc.RequestInput(
            kind="delegation", text=input.why, unit_id=_opt(input.unit_id, "unitId"),
            team_id=_opt(input.team_id, "teamId"), area_id=parse_uuid(input.area_id, "areaId"), level=input.level))
        return RequestPayload(request=DelegationRequest.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Propose a rule (spilleregel) for your unit or your team.")
    @typed_errors
    async def propose_rule(self, info: Info, input: ProposeRuleInput) -> RequestResult:
        r = await request_uc.ask(info.context.ctx, request_uc.RequestInput(
            kind="rule", text=input.rule, unit_id=_opt(input.unit_id, "unitId"), team_id=_opt(input.team_id, "teamId")))
        return RequestPayload(request=DelegationRequest.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Answer an employee's request: ADOPT a proposed rule (into the unit's or team's "
                                     "shared frame) or DECLINE with a reason. Offer a delegation by declaring it with "
                                     "requestId. The leader chain of the unit, or a stand-in for it.")
    @typed_errors
    async def answer_request(self, info: Info, input: AnswerRequestInput, version: int) -> RequestResult:
        r = await request_uc.answer(info.context.ctx, parse_uuid(input.request_id, "requestId"), version,
                                    input.answer.value, input.note)
        return RequestPayload(request=DelegationRequest.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Take back a request you made, while it is open.")
    @typed_errors
    async def withdraw_request(self, info: Info, id: strawberry.ID, version: int) -> RequestResult:
        r = await request_uc.withdraw(info.context.ctx, parse_uuid(id, "id"), version)
        return RequestPayload(request=DelegationRequest.of(r.value), revision=r.revision)

    @strawberry.mutation(description="From which level a delegate takes up a delegation herself (null: never); "
                                     "tenant administrators. It binds what is declared or widened from now on.")
    @typed_errors
    async def set_acceptance_rule(self, info: Info, from_level: int | None) -> AcceptanceRuleResult:
        r = await offer_uc.set_acceptance_rule(info.context.ctx, from_level)
        return AcceptanceRulePayload(organisation=gt.Organisation.of(r.value), revision=r.revision)
