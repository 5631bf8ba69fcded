"""GraphQL for the trust loop: stand-ins, acts (justification, feedback, due items), breaches, reviews."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from registry import texts
from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.inputs import UNSET, AmendDelegationInput, amend_changes, changes_of, opt_uuid
from registry.api.graphql.results import payload, result, typed_errors
from registry.domain import model
from registry.errors import NotFound
from registry.services import acts as act_uc
from registry.services import breach_learning as learning_uc  # issue 12, part 6
from registry.services import breaches as breach_uc
from registry.services import reviews as review_uc
from registry.services import standins as standin_uc
from registry.services.common import parse_uuid


@strawberry.type(description="A stand-in holds an absent leader's authority in a unit for a period.")
class StandIn(gt.Versioned):
    id: strawberry.ID
    valid_from: datetime
    valid_until: datetime
    note: str
    archived_at: datetime | None
    unit_id: strawberry.Private[UUID]
    leader_id: strawberry.Private[UUID]
    stand_in_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, s: model.StandIn) -> "StandIn":
        return gt.build(cls, s)

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.unit_id))

    @strawberry.field
    async def leader(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.leader_id))

    @strawberry.field
    async def stand_in(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.stand_in_id))


@strawberry.enum
class DueStatus(Enum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    OVERDUE = "overdue"


@strawberry.type(description="Something an act owes: a justification by a deadline, a report, ...")
class DueItem(gt.Versioned):
    id: strawberry.ID
    kind: str
    due_at: datetime | None
    fulfilled_at: datetime | None
    item: strawberry.Private[model.DueItem]

    @classmethod
    def of(cls, d: model.DueItem) -> "DueItem":
        return gt.build(cls, d, item=d)

    @strawberry.field(description="open, fulfilled, or overdue (open past its deadline)")
    def status(self, info: Info) -> DueStatus:
        return DueStatus(self.item.status_at(info.context.ctx.now()))

    @strawberry.field(description="The status in Danish, e.g. \"Fristen er overskredet\".")
    def status_da(self, info: Info) -> str:
        return texts.DUE_STATUSES_DA[self.item.status_at(info.context.ctx.now())]

    @strawberry.field(description="What it asks of the person, in Danish, e.g. \"Begrund dit valg fagligt\".")
    def label_da(self) -> str | None:
        return texts.OBLIGATIONS_DA.get(self.kind)


@strawberry.enum
class FeedbackAssessment(Enum):
    WELL_FOUNDED = "well_founded"
    WORTH_DISCUSSING = "worth_discussing"
    NOT_ACCEPTABLE = "not_acceptable"


@strawberry.enum(description="In which capacity feedback on an act was given.")
class FeedbackRole(Enum):
    LEADER = "leader"
    STANDIN = "standin"
    DELEGATOR = "delegator"
    PEER = "peer"


@strawberry.type(description="A decision taken under a permit (as hverdagsdirektør), with its follow-up.")
class Act(gt.Versioned):
    id: strawberry.ID
    action: str
    attributes: JSON
    case_ref: str
    description: str
    occurred_at: datetime
    permit_revision: int | None
    reason: str
    level: int | None
    justification: str | None
    justified_at: datetime | None
    feedback: str | None
    feedback_at: datetime | None
    reply: str | None = strawberry.field(description="The employee's answer to the feedback.")
    replied_at: datetime | None
    a: strawberry.Private[model.Act]
    due: strawberry.Private[list]

    @classmethod
    def of(cls, a: model.Act, due: list | None = None) -> "Act":
        return gt.build(cls, a, a=a, due=due or [])

    @strawberry.field
    def assessment(self) -> FeedbackAssessment | None:
        return None if self.a.assessment is None else FeedbackAssessment(self.a.assessment)

    @strawberry.field(description="The assessment in Danish: Fagligt velbegrundet, Værd at drøfte or Uden for rammen.")
    def assessment_da(self) -> str | None:
        return None if self.a.assessment is None else texts.FEEDBACK_ASSESSMENTS_DA[self.a.assessment]

    @strawberry.field(description="In which capacity the feedback was given: the leader chain (LEADER), a stand-in "
                                  "(STANDIN), the delegator (DELEGATOR), or a colleague in the unit where the "
                                  "delegation's control is peer sparring (PEER, kollegial sparring). Null before "
                                  "feedback, and for feedback recorded before the capacity was.")
    def feedback_role(self) -> FeedbackRole | None:
        return None if self.a.feedback_role is None else FeedbackRole(self.a.feedback_role)

    @strawberry.field(description="The capacity in Danish, e.g. \"kollega – kollegial sparring\".")
    def feedback_role_da(self) -> str | None:
        return None if self.a.feedback_role is None else texts.FEEDBACK_ROLES_DA[self.a.feedback_role]

    @strawberry.field(description="Where the act is in the loop act -> justify -> feedback: awaiting_justification, "
                                  "justification_overdue, awaiting_feedback, recorded (nothing owed) or "
                                  "feedback_given.")
    def state(self, info: Info) -> str:
        return act_uc.state_of(self.a, self.due, info.context.ctx.now())

    @strawberry.field(description="The state in Danish, e.g. \"Afventer begrundelse\".")
    def state_da(self, info: Info) -> str:
        return texts.ACT_STATES_DA[act_uc.state_of(self.a, self.due, info.context.ctx.now())]

    @strawberry.field(description="The action in Danish, e.g. \"Handle som hverdagsdirektør\".")
    def action_da(self) -> str | None:
        return texts.CHECK_ACTIONS_DA.get(self.a.action)

    @strawberry.field
    async def person(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.a.person_id))

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea:
        return gt.DecisionArea.of(await info.context.loaders.area.load(self.a.area_id))

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.a.unit_id))

    @strawberry.field
    async def delegation(self, info: Info) -> gt.Delegation | None:
        if self.a.delegation_id is None:
            return None
        return gt.Delegation.of(await info.context.loaders.delegation.load(self.a.delegation_id))

    @strawberry.field
    async def feedback_by(self, info: Info) -> gt.Person | None:
        if self.a.feedback_by is None:
            return None
        return gt.Person.of(await info.context.loaders.person.load(self.a.feedback_by))

    @strawberry.field
    def due_items(self) -> list[DueItem]:
        return [DueItem.of(d) for d in self.due]


@strawberry.enum
class BreachCause(Enum):
    COMPETENCE = "competence"
    INTENTION = "intention"
    RESOURCES = "resources"
    CHANGED_CIRCUMSTANCES = "changed_circumstances"
    ILL_WILL = "ill_will"


@strawberry.enum
class BreachResponse(Enum):
    DIALOGUE = "dialogue"
    GUIDANCE = "guidance"
    EXTRA_CONTROL = "extra_control"
    LOWERED_LEVEL = "lowered_level"
    SUSPENSION = "suspension"
    REVOCATION = "revocation"
    OTHER = "other"  # issue 12, part 6: described in the response's note; changes nothing in checks


@strawberry.enum
class RepairStatus(Enum):
    OPEN = "open"
    REPAIRING = "repairing"
    REPAIRED = "repaired"
    CLOSED = "closed"


@strawberry.type(description="A trust breach (tillidsbrud). Visible to the person concerned, the leader "
                             "chain above the unit and HR only.")
class Breach(gt.Versioned):
    id: strawberry.ID
    occurred_at: datetime
    description: str | None
    effect_from: datetime
    effect_until: datetime | None
    lowered_to: int | None
    follow_up_date: date | None
    learning_notes: str | None
    closed_at: datetime | None
    purged_at: datetime | None
    b: strawberry.Private[model.Breach]

    @classmethod
    def of(cls, b: model.Breach) -> "Breach":
        return gt.build(cls, b, b=b)

    @strawberry.field
    def cause(self) -> BreachCause | None:
        return None if self.b.cause is None else BreachCause(self.b.cause)

    @strawberry.field(description="The cause in Danish (e.g. Kompetence), from the registry's catalogue.")
    def cause_da(self) -> str | None:
        return None if self.b.cause is None else texts.BREACH_CAUSES_DA[self.b.cause]

    @strawberry.field
    def response(self) -> BreachResponse:
        return BreachResponse(self.b.response)

    @strawberry.field(description="The response in Danish (e.g. Forventningssamtale).")
    def response_da(self) -> str:
        return texts.BREACH_RESPONSES_DA[self.b.response]

    @strawberry.field
    def repair_status(self) -> RepairStatus:
        return RepairStatus(self.b.repair_status)

    @strawberry.field(description="The repair status in Danish (e.g. Under reparation).")
    def repair_status_da(self) -> str:
        return texts.REPAIR_STATUSES_DA[self.b.repair_status]

    @strawberry.field
    async def person(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.b.person_id))

    @strawberry.field
    async def area(self, info: Info) -> gt.DecisionArea:
        return gt.DecisionArea.of(await info.context.loaders.area.load(self.b.area_id))

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.b.unit_id))

    @strawberry.field
    async def delegation(self, info: Info) -> gt.Delegation | None:
        if self.b.delegation_id is None:
            return None
        return gt.Delegation.of(await info.context.loaders.delegation.load(self.b.delegation_id))

    # --- issue 12, part 6: breaches as learning
    @strawberry.field(description="The first response's own note (e.g. what the expectations talk agreed).")
    def response_note(self) -> str | None:
        return self.b.response_note

    @strawberry.field(description="Every response in the order given: the first is the breach's own (response, "
                                  "effectFrom, effectUntil, loweredTo above), then those added by addBreachResponse.")
    async def responses(self, info: Info) -> list["BreachResponseEntry"]:
        return [BreachResponseEntry.of(r) for r in await learning_uc.responses(info.context.ctx, self.b)]

    @strawberry.field(description="The employee's own account of what happened (hers alone to write), or null.")
    async def account(self, info: Info) -> "BreachAccount | None":
        found = await learning_uc.account(info.context.ctx, self.b)
        return None if found is None else BreachAccount.of(found)

    @strawberry.field(description="What the leader or the frame changed in response (not sanctions on the person).")
    async def frame_changes(self, info: Info) -> list["FrameChange"]:
        return [FrameChange.of(f) for f in await learning_uc.frame_changes(info.context.ctx, self.b)]

    @strawberry.field(description="What was learned; the shareable ones also show in sharedLearningPoints.")
    async def learning_points(self, info: Info) -> list["LearningPoint"]:
        return [LearningPoint.of(p) for p in await learning_uc.learning_points(info.context.ctx, self.b)]


# --- issue 12, part 6: breaches as learning ---------------------------------------------------------

@strawberry.type(description="One response to a breach: the first is the breach's own, later ones were added "
                             "over time (e.g. a forventningssamtale, then two months of tættere kontrol).")
class BreachResponseEntry:
    id: strawberry.ID
    first: bool = strawberry.field(description="The breach's own response (its id is the breach's).")
    note: str | None
    given_at: datetime = strawberry.field(description="When it was given (the talk held, the control begun).")
    effect_from: datetime = strawberry.field(description="When checks began to apply it.")
    effect_until: datetime | None
    lowered_to: int | None
    r: strawberry.Private[object]

    @classmethod
    def of(cls, r) -> "BreachResponseEntry":
        return cls(id=strawberry.ID(str(r.id)), first=r.first, note=r.note, given_at=r.given_at,
                   effect_from=r.effect_from, effect_until=r.effect_until, lowered_to=r.lowered_to, r=r)

    @strawberry.field
    def response(self) -> BreachResponse:
        return BreachResponse(self.r.response)

    @strawberry.field(description="The response in Danish (e.g. Forventningssamtale).")
    def response_da(self) -> str:
        return texts.BREACH_RESPONSES_DA[self.r.response]

    @strawberry.field
    async def recorded_by(self, info: Info) -> gt.Person | None:
        if self.r.recorded_by is None:
            return None
        return gt.Person.of(await info.context.loaders.person.load(self.r.recorded_by))


@strawberry.type(description="The employee's own account of a breach. Only she writes it, and she may rewrite "
                             "it (giving its version) until the breach is closed.")
class BreachAccount(gt.Versioned):
    id: strawberry.ID
    account: str | None = strawberry.field(description="Her account; null once the breach's details are purged.")
    written_at: datetime

    @classmethod
    def of(cls, a: model.BreachAccount) -> "BreachAccount":
        return gt.build(cls, a)


@strawberry.enum(description="What in the frame changes in response to a breach.")
class FrameChangeKind(Enum):
    RESOURCES = "resources"
    GUIDANCE = "guidance"
    LEVEL = "level"
    RULES = "rules"
    OTHER = "other"


@strawberry.type(description="What the leader or the frame changes in response to a breach: resources, guidance, "
                             "the level, the rules. Not a sanction on the person.")
class FrameChange(gt.Versioned):
    id: strawberry.ID
    text: str | None = strawberry.field(description="What changes, in Danish; null once purged.")
    decided_at: datetime
    f: strawberry.Private[model.FrameChange]

    @classmethod
    def of(cls, f: model.FrameChange) -> "FrameChange":
        return gt.build(cls, f, f=f)

    @strawberry.field
    def kind(self) -> FrameChangeKind:
        return FrameChangeKind(self.f.kind)

    @strawberry.field(description="The kind in Danish (e.g. Ressourcer).")
    def kind_da(self) -> str:
        return texts.FRAME_CHANGES_DA[self.f.kind]

    @strawberry.field
    async def recorded_by(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.f.recorded_by))


@strawberry.type(description="A learning point on a breach. A shareable one holds no personal data (the leader "
                             "confirmed it) and shows in its unit's sharedLearningPoints.")
class LearningPoint(gt.Versioned):
    id: strawberry.ID
    text: str | None = strawberry.field(description="Null once purged (a shareable point keeps its text).")
    shareable: bool
    learned_at: datetime
    p: strawberry.Private[model.LearningPoint]

    @classmethod
    def of(cls, p: model.LearningPoint) -> "LearningPoint":
        return gt.build(cls, p, p=p)

    @strawberry.field
    async def recorded_by(self, info: Info) -> gt.Person:
        return gt.Person.of(await info.context.loaders.person.load(self.p.recorded_by))


@strawberry.type(description="A shareable learning point as the organisation reads it: the text, the breach's cause "
                             "and the date, never the person. `breachId` only for those who may read the breach.")
class SharedLearningPoint:
    id: strawberry.ID
    text: str
    learned_at: datetime
    breach_id: strawberry.ID | None = strawberry.field(description="Null unless you may read the breach.")
    cause_code: strawberry.Private[str | None]
    unit_id: strawberry.Private[UUID]

    @strawberry.field
    def cause(self) -> BreachCause | None:
        return None if self.cause_code is None else BreachCause(self.cause_code)

    @strawberry.field(description="The cause in Danish (e.g. Rammer og ressourcer).")
    def cause_da(self) -> str | None:
        return None if self.cause_code is None else texts.BREACH_CAUSES_DA[self.cause_code]

    @strawberry.field(description="The unit the learning comes from.")
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.unit_id))


@strawberry.type(description="How many breaches of one cause.")
class BreachCauseCount:
    count: int
    cause_code: strawberry.Private[str | None]

    @strawberry.field(description="Null for breaches whose details (the cause among them) are purged.")
    def cause(self) -> BreachCause | None:
        return None if self.cause_code is None else BreachCause(self.cause_code)

    @strawberry.field
    def cause_da(self) -> str:
        return texts.BREACH_CAUSE_UNKNOWN_DA if self.cause_code is None else texts.BREACH_CAUSES_DA[self.cause_code]


@strawberry.type(description="A unit's breaches (in its subtree) counted by cause, never by person. Withheld "
                             "(`withheld`, no counts) when fewer than `minPeople` people belong to the subtree, "
                             "so no count can point at someone.")
class BreachOverview:
    since: datetime
    days: int
    withheld: bool
    min_people: int
    total: int | None
    by_cause: list[BreachCauseCount]
    unit_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, o) -> "BreachOverview":
        order = {c: n for n, c in enumerate(breach_uc.CAUSES)}
        counts = sorted(o.by_cause.items(), key=lambda kv: order.get(kv[0], 99))
        return cls(since=o.since, days=o.days, withheld=o.withheld, min_people=learning_uc.MIN_PEOPLE,
                   total=o.total, by_cause=[BreachCauseCount(count=n, cause_code=c) for c, n in counts],
                   unit_id=o.unit_id)

    @strawberry.field(description="In Danish, e.g. \"3 tillidsbrud de seneste 365 dage.\"")
    def text_da(self) -> str:
        return texts.breach_overview_da(self.total, self.days, self.min_people)

    @strawberry.field
    async def unit(self, info: Info) -> gt.Unit:
        return gt.Unit.of(await info.context.loaders.unit.load(self.unit_id))
# --- end of issue 12, part 6


@strawberry.enum
class Awaiting(Enum):
    JUSTIFICATION = "justification"
    OVERDUE = "overdue"
    FEEDBACK = "feedback"


@strawberry.type
class TrustQuery:
    @strawberry.field(description="Acts in units you lead (or stand in for), and colleagues' acts under peer "
                                  "sparring (kollegial sparring) in your unit; filter by what they await.")
    async def acts(self, info: Info, unit_id: strawberry.ID | None = None,
                   awaiting: Awaiting | None = None) -> list[Act]:
        found = await act_uc.list_acts(info.context.ctx, mine=False, unit_id=opt_uuid(unit_id, "unitId"),
                                       awaiting=None if awaiting is None else awaiting.value)
        return [Act.of(a, due) for a, due in found]

    @strawberry.field(description="Your own acts and what you owe.")
    async def my_acts(self, info: Info, awaiting: Awaiting | None = None) -> list[Act]:
        found = await act_uc.list_acts(info.context.ctx, mine=True, unit_id=None,
                                       awaiting=None if awaiting is None else awaiting.value)
        return [Act.of(a, due) for a, due in found]

    @strawberry.field
    async def act(self, info: Info, id: strawberry.ID) -> Act | None:
        try:
            found = await act_uc.get_act(info.context.ctx, parse_uuid(id, "id"))
        except NotFound:
            return None
        return Act.of(found, await act_uc.due_items_of(info.context.ctx, found.id))

    @strawberry.field(description="Breaches you may read (yours, those in units you lead, all for HR).")
    async def breaches(self, info: Info, person_id: strawberry.ID | None = None) -> list[Breach]:
        return [Breach.of(b) for b in await breach_uc.list_visible(info.context.ctx, opt_uuid(person_id, "personId"))]

    @strawberry.field(description="A breach, if you may read it; otherwise null.")
    async def breach(self, info: Info, id: strawberry.ID) -> Breach | None:
        try:
            return Breach.of(await breach_uc.get(info.context.ctx, parse_uuid(id, "id")))
        except NotFound:
            return None

    # --- issue 12, part 6: breaches as learning
    @strawberry.field(description="The shareable learning points from breaches in the unit and the units below it, "
                                  "newest first: the text, the cause and the date, never the person. For everyone "
                                  "in the organisation.")
    async def shared_learning_points(self, info: Info, unit_id: strawberry.ID) -> list[SharedLearningPoint]:
        found = await learning_uc.shared_learning_points(info.context.ctx, parse_uuid(unit_id, "unitId"))
        return [SharedLearningPoint(id=strawberry.ID(str(p.id)), text=p.text or "", learned_at=p.learned_at,
                                    breach_id=strawberry.ID(str(p.breach_id)) if readable else None,
                                    cause_code=p.cause, unit_id=p.unit_id) for p, readable in found]

    @strawberry.field(description="The unit's breaches (and the units' below it) in the last `days` days (default "
                                  "365) by cause, never by person: for its leader chain, a stand-in for it, HR and "
                                  "auditors. Withheld for fewer than minPeople people.")
    async def breach_overview(self, info: Info, unit_id: strawberry.ID,
                              days: int = learning_uc.OVERVIEW_DAYS) -> BreachOverview:
        return BreachOverview.of(await learning_uc.overview(info.context.ctx, parse_uuid(unit_id, "unitId"), days))

    @strawberry.field(description="Active delegations in the unit's subtree whose review date falls in the period.")
    async def delegations_due_for_review(self, info: Info, unit_id: strawberry.ID, from_date: date | None = None,
                                         to_date: date | None = None) -> list[gt.Delegation]:
        found = await review_uc.due(info.context.ctx, parse_uuid(unit_id, "unitId"), review_from=from_date,
                                    review_to=to_date)
        return [gt.Delegation.of(d) for d in found]

    @strawberry.field(description="Active delegations in the unit's subtree that end within the period.")
    async def delegations_expiring(self, info: Info, unit_id: strawberry.ID, from_time: datetime | None = None,
                                   to_time: datetime | None = None) -> list[gt.Delegation]:
        found = await review_uc.due(info.context.ctx, parse_uuid(unit_id, "unitId"), expiring_from=from_time,
                                    expiring_to=to_time)
        return [gt.Delegation.of(d) for d in found]

    @strawberry.field
    async def stand_ins(self, info: Info, unit_id: strawberry.ID | None = None) -> list[StandIn]:
        return [StandIn.of(s) for s in await standin_uc.list_for(info.context.ctx, opt_uuid(unit_id, "unitId"))]


@strawberry.input
class RecordActInput:
    person: str = strawberry.field(description="The actor's external id.")
    area: str = strawberry.field(description="The decision area's key, or its KLE code when only one area has it.")
    unit: strawberry.ID = strawberry.field(description="The unit's id, or its external id.")
    case_ref: str
    description: str = strawberry.field(description="The alternative solution chosen.")
    occurred_at: datetime
    action: str = "act_as_hverdagsdirektoer"
    attributes: JSON | None = None
    permit_revision: int | None = None


@strawberry.input
class RecordBreachInput:
    occurred_at: datetime
    description: str
    cause: BreachCause
    response: BreachResponse
    delegation_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = None
    area_id: strawberry.ID | None = None
    unit_id: strawberry.ID | None = None
    until: datetime | None = None
    lowered_to: int | None = None
    follow_up_date: date | None = None
    learning_notes: str | None = None
    response_note: str | None = strawberry.field(default=None, description="The first response's own note.")


@strawberry.input(description="A later response to a breach (issue 12, part 6). Its effect on checks begins now.")
class AddBreachResponseInput:
    response: BreachResponse
    note: str | None = None
    given_at: datetime | None = strawberry.field(default=None, description="When it was given; now if left out. "
                                                                           "Not in the future.")
    until: datetime | None = strawberry.field(default=None, description="The end of a temporary response "
                                                                        "(EXTRA_CONTROL, LOWERED_LEVEL, SUSPENSION).")
    lowered_to: int | None = None


@strawberry.input(description="What the leader or the frame changes in response to a breach (issue 12, part 6).")
class RecordFrameChangeInput:
    kind: FrameChangeKind
    text: str
    decided_at: datetime | None = None


@strawberry.input(description="A learning point (issue 12, part 6). To share it, confirm it holds no personal "
                              "data; the registry refuses one that names a person, an e-mail address or a CPR number.")
class RecordLearningPointInput:
    text: str
    shareable: bool = False
    confirm_no_personal_data: bool = False


@strawberry.input
class FollowUpBreachInput:
    repair_status: RepairStatus | None = UNSET
    learning_notes: str | None = UNSET
    follow_up_date: date | None = UNSET
    description: str | None = UNSET
    cause: BreachCause | None = UNSET
    effect_until: datetime | None = UNSET


@strawberry.enum
class ReviewOutcome(Enum):
    CONTINUE = "continue"
    ADJUST = "adjust"
    END = "end"


StandInPayload = payload("StandInPayload", stand_in=StandIn)
ActPayload = payload("ActPayload", act=Act)
# "Uden for rammen" invites the leader to a conversation (issue 12 part 3); it never opens a breach.
# suggest_breach is the older name of the same signal, kept for systems that read it.
FeedbackPayload = payload("FeedbackPayload", act=Act, suggest_breach=bool, invite_conversation=bool,
                          next_step_da=str | None)
DueItemPayload = payload("DueItemPayload", due_item=DueItem)
BreachPayload = payload("BreachPayload", breach=Breach)
ReviewPayload = payload("ReviewPayload", delegation=gt.Delegation, outcome=ReviewOutcome, outcome_da=str)
StandInResult = result("StandInResult", StandInPayload)
ActResult = result("ActResult", ActPayload)
FeedbackResult = result("FeedbackResult", FeedbackPayload)
DueItemResult = result("DueItemResult", DueItemPayload)
BreachResult = result("BreachResult", BreachPayload)
ReviewResult = result("ReviewResult", ReviewPayload)


@strawberry.type
class TrustMutation:
    @strawberry.mutation(description="Appoint a stand-in for a unit you lead, for a period of absence.")
    @typed_errors
    async def appoint_stand_in(self, info: Info, unit_id: strawberry.ID, stand_in_id: strawberry.ID,
                               valid_from: datetime, valid_until: datetime, note: str = "") -> StandInResult:
        r = await standin_uc.appoint(info.context.ctx, unit_id=parse_uuid(unit_id, "unitId"),
                                     stand_in_id=parse_uuid(stand_in_id, "standInId"), valid_from=valid_from,
                                     valid_until=valid_until, note=note)
        return StandInPayload(stand_in=StandIn.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def end_stand_in(self, info: Info, id: strawberry.ID, version: int) -> StandInResult:
        r = await standin_uc.end(info.context.ctx, parse_uuid(id, "id"), version)
        return StandInPayload(stand_in=StandIn.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Record an act; refused unless it was allowed at its instant.")
    @typed_errors
    async def record_act(self, info: Info, input: RecordActInput) -> ActResult:
        r = await act_uc.record(info.context.ctx, info.context.engine, act_uc.ActInput(
            person=input.person, area=input.area, unit=str(input.unit), action=input.action,
            attributes=dict(input.attributes or {}), case_ref=input.case_ref, description=input.description,
            occurred_at=input.occurred_at, permit_revision=input.permit_revision))
        return ActPayload(act=Act.of(r.value, await act_uc.due_items_of(info.context.ctx, r.value.id)),
                          revision=r.revision)

    @strawberry.mutation(description="Your professional argument for an act; editable until feedback is given.")
    @typed_errors
    async def justify_act(self, info: Info, id: strawberry.ID, version: int, justification: str) -> ActResult:
        r = await act_uc.justify(info.context.ctx, parse_uuid(id, "id"), version, justification)
        return ActPayload(act=Act.of(r.value, await act_uc.due_items_of(info.context.ctx, r.value.id)),
                          revision=r.revision)

    @strawberry.mutation(description="Ask for the professional argument behind an act as hverdagsdirektør (the "
                                     "leader chain, a stand-in, or the delegator): the justification becomes due "
                                     "within the delegation's justifyWithinDays. For a delegation whose account is "
                                     "ON_REQUEST, nothing is owed until asked.")
    @typed_errors
    async def ask_for_justification(self, info: Info, id: strawberry.ID, version: int) -> ActResult:
        r = await act_uc.ask_for_justification(info.context.ctx, parse_uuid(id, "id"), version)
        return ActPayload(act=Act.of(r.value, await act_uc.due_items_of(info.context.ctx, r.value.id)),
                          revision=r.revision)

    @strawberry.mutation(description="The employee answers the feedback on her act (feedback goes both ways); "
                                     "she may rewrite her answer.")
    @typed_errors
    async def reply_to_feedback(self, info: Info, id: strawberry.ID, version: int, reply: str) -> ActResult:
        r = await act_uc.reply(info.context.ctx, parse_uuid(id, "id"), version, reply)
        return ActPayload(act=Act.of(r.value, await act_uc.due_items_of(info.context.ctx, r.value.id)),
                          revision=r.revision)

    @strawberry.mutation(description="Faglig feedback on an act, by the leader chain, a stand-in, the delegator, or "
                                     "(where the delegation's control is peer sparring) a colleague in its unit. "
                                     "NOT_ACCEPTABLE invites the leader's conversation (never opens a breach) and is "
                                     "not a colleague's to give (not_a_peer_assessment); a colleague does not write "
                                     "over someone else's feedback (feedback_already_given).")
    @typed_errors
    async def give_feedback(self, info: Info, id: strawberry.ID, version: int, feedback: str,
                            assessment: FeedbackAssessment) -> FeedbackResult:
        r = await act_uc.give_feedback(info.context.ctx, parse_uuid(id, "id"), version, feedback, assessment.value)
        act = r.value.act
        return FeedbackPayload(act=Act.of(act, await act_uc.due_items_of(info.context.ctx, act.id)),
                               suggest_breach=r.value.suggest_breach, invite_conversation=r.value.suggest_breach,
                               next_step_da=texts.OUTSIDE_FRAME_NEXT_DA if r.value.suggest_breach else None,
                               revision=r.revision)

    @strawberry.mutation(description="Mark a report, advice or pre-approval as done.")
    @typed_errors
    async def fulfil_due_item(self, info: Info, id: strawberry.ID, version: int) -> DueItemResult:
        r = await act_uc.fulfil(info.context.ctx, parse_uuid(id, "id"), version)
        return DueItemPayload(due_item=DueItem.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Record a trust breach (leaders in the chain above only).")
    @typed_errors
    async def record_breach(self, info: Info, input: RecordBreachInput) -> BreachResult:
        r = await breach_uc.record(info.context.ctx, breach_uc.BreachInput(
            delegation_id=opt_uuid(input.delegation_id, "delegationId"), person_id=opt_uuid(input.person_id, "personId"),
            area_id=opt_uuid(input.area_id, "areaId"), unit_id=opt_uuid(input.unit_id, "unitId"),
            occurred_at=input.occurred_at, description=input.description, cause=input.cause.value,
            response=input.response.value, until=input.until, lowered_to=input.lowered_to,
            follow_up_date=input.follow_up_date, learning_notes=input.learning_notes,
            response_note=input.response_note))
        return BreachPayload(breach=Breach.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Follow up a breach: repair status, learning notes, end an effect early.")
    @typed_errors
    async def follow_up_breach(self, info: Info, id: strawberry.ID, version: int,
                               input: FollowUpBreachInput) -> BreachResult:
        r = await breach_uc.follow_up(info.context.ctx, parse_uuid(id, "id"), version, changes_of(input))
        return BreachPayload(breach=Breach.of(r.value), revision=r.revision)

    # --- issue 12, part 6: breaches as learning
    @strawberry.mutation(description="Add a response to a breach (the leader chain above its unit, or a stand-in "
                                     "for it): e.g. after the forventningssamtale, two months of EXTRA_CONTROL. "
                                     "Not on a closed breach (breach_closed).")
    @typed_errors
    async def add_breach_response(self, info: Info, breach_id: strawberry.ID,
                                  input: AddBreachResponseInput) -> BreachResult:
        breach = parse_uuid(breach_id, "breachId")
        r = await learning_uc.add_response(info.context.ctx, breach, learning_uc.ResponseInput(
            response=input.response.value, note=input.note, given_at=input.given_at, until=input.until,
            lowered_to=input.lowered_to))
        return BreachPayload(breach=Breach.of(await breach_uc.get(info.context.ctx, breach)), revision=r.revision)

    @strawberry.mutation(description="Write your own account of a breach about you; only you can. Rewrite it by "
                                     "giving the account's version, until the breach is closed.")
    @typed_errors
    async def write_breach_account(self, info: Info, breach_id: strawberry.ID, account: str,
                                   version: int | None = None) -> BreachResult:
        breach = parse_uuid(breach_id, "breachId")
        r = await learning_uc.write_account(info.context.ctx, breach, account, version)
        return BreachPayload(breach=Breach.of(await breach_uc.get(info.context.ctx, breach)), revision=r.revision)

    @strawberry.mutation(description="Record what the leader or the frame changes in response to a breach "
                                     "(resources, guidance, level, rules): the leader chain or a stand-in.")
    @typed_errors
    async def record_frame_change(self, info: Info, breach_id: strawberry.ID,
                                  input: RecordFrameChangeInput) -> BreachResult:
        breach = parse_uuid(breach_id, "breachId")
        r = await learning_uc.record_frame_change(info.context.ctx, breach, input.kind.value, input.text,
                                                  input.decided_at)
        return BreachPayload(breach=Breach.of(await breach_uc.get(info.context.ctx, breach)), revision=r.revision)

    @strawberry.mutation(description="Record a learning point on a breach: the leader chain or a stand-in. "
                                     "shareable needs confirmNoPersonalData (confirm_no_personal_data), and a text "
                                     "that names no one (personal_data_in_text).")
    @typed_errors
    async def record_learning_point(self, info: Info, breach_id: strawberry.ID,
                                    input: RecordLearningPointInput) -> BreachResult:
        breach = parse_uuid(breach_id, "breachId")
        r = await learning_uc.record_learning_point(info.context.ctx, breach, input.text, shareable=input.shareable,
                                                    confirm_no_personal_data=input.confirm_no_personal_data)
        return BreachPayload(breach=Breach.of(await breach_uc.get(info.context.ctx, breach)), revision=r.revision)

    @strawberry.mutation(description="Complete a review: continue, adjust (a new version) or end.")
    @typed_errors
    async def complete_review(self, info: Info, delegation_id: strawberry.ID, version: int, outcome: ReviewOutcome,
                              note: str = "", next_review_date: date | None = None,
                              adjust: AmendDelegationInput | None = None) -> ReviewResult:
        changes = None if adjust is None else amend_changes(adjust)
        r = await review_uc.complete(info.context.ctx, parse_uuid(delegation_id, "delegationId"), version,
                                     outcome=outcome.value, note=note, next_review_date=next_review_date,
                                     changes=changes)
        return ReviewPayload(delegation=gt.Delegation.of(r.value), outcome=outcome,
                             outcome_da=texts.REVIEW_OUTCOMES_DA[outcome.value], revision=r.revision)
