"""GraphQL object types. They wrap domain values; relations resolve through DataLoaders."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from registry import texts
from registry.api.graphql.context import Info
from registry.domain import kle as kle_rules
from registry.domain import levels, model, rules
from registry.domain.tree import Tree


@strawberry.enum(description="Kind of organisational unit: direktion > forvaltning > center > unit > subunit.")
class UnitKind(Enum):
    DIREKTION = "direktion"
    FORVALTNING = "forvaltning"
    CENTER = "center"
    UNIT = "unit"
    SUBUNIT = "subunit"


@strawberry.enum(description="A person's role in a unit.")
class MembershipRole(Enum):
    EMPLOYEE = "employee"
    LEADER = "leader"
    DEPUTY = "deputy"


@strawberry.enum(description="Organisation-wide roles.")
class PersonRole(Enum):
    ADMIN = "admin"
    HR = "hr"
    AUDITOR = "auditor"


@strawberry.enum(description="Kinds of a person's alias (another id she is known by; checks and AuthZEN accept any).")
class PersonAliasKind(Enum):
    SUB = "sub"
    UUID = "uuid"
    UPN = "upn"
    PAYROLL = "payroll"


@strawberry.enum(description="Type of a request attribute a decision area declares.")
class AttributeType(Enum):
    NUMBER = "number"
    BOOLEAN = "boolean"
    STRING = "string"


@strawberry.enum(description="The leader's assessment of one trust precondition.")
class Assessment(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@strawberry.enum(description="How the delegation is followed up (tillid og kontrol).")
class ControlForm(Enum):
    NONE = "none"
    REPORT_AFTERWARDS = "report_afterwards"
    PERIODIC_REVIEW = "periodic_review"
    SAMPLING = "sampling"
    PRE_APPROVAL = "pre_approval"
    TEAM_SELF_CHECK = "team_self_check"
    PEER_SPARRING = "peer_sparring"


@strawberry.enum(description="How an act as hverdagsdirektør is accounted for: when the leader asks (the default for "
                             "new delegations), within justifyWithinDays (the only one with a deadline that can be "
                             "overdue), or at the next follow-up.")
class AccountMode(Enum):
    ON_REQUEST = "on_request"
    WITHIN_DAYS = "within_days"
    AT_FOLLOW_UP = "at_follow_up"


@strawberry.enum
class Cadence(Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


@strawberry.enum(description="active, suspended or revoked as stored; expired when its validity has ended.")
class DelegationStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    OFFERED = "offered"    # waiting for the delegate to take it up: allows nothing yet
    DECLINED = "declined"  # the delegate said no thanks: allows nothing, for good


@strawberry.enum(description="Who set a red line.")
class SetBy(Enum):
    LAW = "law"
    POLITICAL = "political"
    DIREKTION = "direktion"
    FORVALTNING = "forvaltning"
    GUIDELINE = "guideline"
    AGREEMENT = "agreement"
    LEADER = "leader"
    TEAM = "team"


def build(cls, obj, **extra):
    """Copy a domain value's same-named fields into a GraphQL type, converting ids and enums."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if getattr(f, "base_resolver", None) is not None:
            continue  # a resolved field, not data
        if f.name in extra:
            kwargs[f.name] = extra[f.name]
            continue
        value = getattr(obj, f.name)
        if isinstance(value, UUID) and f.name == "id":
            value = strawberry.ID(str(value))
        kwargs[f.name] = value
    return cls(**kwargs)


def _enum(kind, value):
    return None if value is None else kind(value)


@strawberry.interface(description="Bookkeeping every mutable entity carries.")
class Versioned:
    version: int
    created_at: datetime | None
    created_by: str | None
    updated_at: datetime | None
    updated_by: str | None


@strawberry.enum(description="A municipality or a region.")
class OrganisationKind(Enum):
    KOMMUNE = "kommune"
    REGION = "region"


@strawberry.type
class Organisation:
    id: strawberry.ID
    key: str = strawberry.field(description="Names the organisation in tokens (the `tenant` claim) and URLs.")
    name: str
    kind: OrganisationKind
    revision: int = strawberry.field(description="The tenant's current revision; every write increments it.")
    archived_at: datetime | None = strawberry.field(
        description="When it was archived: its people and API keys no longer authenticate.")
    acceptance_from_level: int | None = strawberry.field(
        description="From which level (Management 3.0's 1-7) a delegate takes up a delegation herself: it is offered "
                    "and allows nothing until she accepts; amendments that widen it are offered again. Null: never. "
                    "By default 5: levels 1-4 give the employee no decision of her own.")

    @classmethod
    def of(cls, o: model.Organisation) -> "Organisation":
        return build(cls, o, kind=OrganisationKind(o.kind))


@strawberry.type(description="An organisational unit (direktion, forvaltning, center, unit, ...).")
class Unit(Versioned):
    id: strawberry.ID
    name: str
    kind: UnitKind
    external_id: str | None = strawberry.field(description="e.g. the FK Organisation / OS2mo UUID")
    deputies_may_delegate: bool
    archived_at: datetime | None
    kle: list[str] = strawberry.field(description="The unit's KLE markup: the KLE numbers the municipality's "
                                                  "organisation system (OS2mo) marks it with, kept by the sync.")
    parent_id: strawberry.Private[UUID | None]
    uid: strawberry.Private[UUID]

    @classmethod
    def of(cls, u: model.Unit) -> "Unit":
        return build(cls, u, kind=UnitKind(u.kind), uid=u.id, kle=list(u.kle_codes))

    @strawberry.field(description="Decision areas whose KLE number lies at or under one of the unit's KLE numbers "
                                  "(unit 27.24 suggests an area with 27.24.10): what a leader declaring for the "
                                  "unit is likely to look for. Empty when the unit has no KLE markup.")
    async def suggested_areas(self, info: Info) -> list["DecisionArea"]:
        if not self.kle:
            return []
        areas = await info.context.loaders.all_areas.load("areas")
        return [DecisionArea.of(a) for a in kle_rules.suggested_areas(areas, self.kle)]

    @strawberry.field(description="The kind in Danish, as the organisation names it: a municipality's direktion, "
                                  "forvaltning, center/område, enhed/institution, afdeling/team; a region's "
                                  "koncerndirektion, hospital/virksomhed, center, afdeling, afsnit.")
    async def kind_da(self, info: Info) -> str:
        return texts.unit_kind_da(self.kind.value, await info.context.loaders.organisation_kind.load(self.uid))

    @strawberry.field
    async def parent(self, info: Info) -> "Unit | None":
        if self.parent_id is None:
            return None
        found = await info.context.loaders.unit.load(self.parent_id)
        return None if found is None else Unit.of(found)

    @strawberry.field(description="Sub-units (archived ones only when asked).")
    async def children(self, info: Info, include_archived: bool = False) -> list["Unit"]:
        found = await info.context.loaders.children_of_unit.load(self.uid)
        return [Unit.of(u) for u in found if include_archived or u.archived_at is None]

    @strawberry.field
    async def memberships(self, info: Info, include_archived: bool = False) -> list["Membership"]:
        found = await info.context.loaders.memberships_of_unit.load(self.uid)
        return [Membership.of(m) for m in found if include_archived or m.archived_at is None]

    @strawberry.field
    async def teams(self, info: Info, include_archived: bool = False) -> list["Team"]:
        found = await info.context.loaders.teams_of_unit.load(self.uid)
        return [Team.of(t) for t in found if include_archived or t.archived_at is None]


@strawberry.type
class Person(Versioned):
    id: strawberry.ID
    external_id: str = strawberry.field(description="The subject the organisation's identity provider uses.")
    name: str
    email: str | None
    roles: list[PersonRole]
    archived_at: datetime | None
    erased_at: datetime | None = strawberry.field(
        description="Set when the person was erased: name and external id are a pseudonym since then.")
    uid: strawberry.Private[UUID]

    @classmethod
    def of(cls, p: model.Person) -> "Person":
        return build(cls, p, roles=[PersonRole(r) for r in p.roles], uid=p.id)

    @strawberry.field
    async def memberships(self, info: Info, include_archived: bool = False) -> list["Membership"]:
        found = await info.context.loaders.memberships_of_person.load(self.uid)
        return [Membership.of(m) for m in found if include_archived or m.archived_at is None]

    @strawberry.field(description="The other ids the person is known by (a login's sub, the FK Organisation or "
                                  "OS2mo UUID, the AD user principal name, the payroll number); checks and "
                                  "AuthZEN accept any of them where they take her external id.")
    async def aliases(self, info: Info) -> list["PersonAlias"]:
        return [PersonAlias(kind=PersonAliasKind(a.kind), value=a.value)
                for a in await info.context.loaders.aliases_of_person.load(self.uid)]


@strawberry.type(description="Another id a person is known by; a UPN and a UUID are kept lower-cased and match in "
                             "any casing.")
class PersonAlias:
    kind: PersonAliasKind
    value: str


@strawberry.type(description="A person's membership of a unit, with a role and a period.")
class Membership(Versioned):
    id: strawberry.ID
    role: MembershipRole
    valid_from: datetime
    valid_to: datetime | None
    archived_at: datetime | None
    person_id: strawberry.Private[UUID]
    unit_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, m: model.Membership) -> "Membership":
        return build(cls, m, role=MembershipRole(m.role))

    @strawberry.field
    async def person(self, info: Info) -> Person:
        return Person.of(await info.context.loaders.person.load(self.person_id))

    @strawberry.field
    async def unit(self, info: Info) -> Unit:
        return Unit.of(await info.context.loaders.unit.load(self.unit_id))


@strawberry.type(description="A working community inside a unit; teams receive collective delegations.")
class Team(Versioned):
    id: strawberry.ID
    name: str
    archived_at: datetime | None
    unit_id: strawberry.Private[UUID]
    uid: strawberry.Private[UUID]

    @classmethod
    def of(cls, t: model.Team) -> "Team":
        return build(cls, t, uid=t.id)

    @strawberry.field
    async def unit(self, info: Info) -> Unit:
        return Unit.of(await info.context.loaders.unit.load(self.unit_id))

    @strawberry.field
    async def members(self, info: Info, include_archived: bool = False) -> list["TeamMember"]:
        found = await info.context.loaders.members_of_team.load(self.uid)
        return [TeamMember.of(m) for m in found if include_archived or m.archived_at is None]


@strawberry.type
class TeamMember(Versioned):
    id: strawberry.ID
    valid_from: datetime
    valid_to: datetime | None
    archived_at: datetime | None
    team_id: strawberry.Private[UUID]
    person_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, m: model.TeamMember) -> "TeamMember":
        return build(cls, m)

    @strawberry.field
    async def person(self, info: Info) -> Person:
        return Person.of(await info.context.loaders.person.load(self.person_id))

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.of(await info.context.loaders.team.load(self.team_id))


async def _area_chain(info: Info, area_id: UUID | None) -> list[model.Area]:
    """The area and those above it (nearest first), through the request's area loader."""
    chain, seen = [], set()
    while area_id is not None and area_id not in seen:
        seen.add(area_id)
        area = await info.context.loaders.area.load(area_id)
        if area is None:
            break
        chain.append(area)
        area_id = area.parent_id
    return chain


@strawberry.type(description="A request attribute that checks on this area may carry, e.g. amount: number (DKK).")
class AreaAttribute:
    name: str
    type: AttributeType
    unit: str | None
    description: str
    inherited_from: str | None = strawberry.field(
        default=None, description="The key of the area above that declares it; null when the area declares it itself.")
    values: list[str] = strawberry.field(
        default_factory=list, description="A STRING attribute's codes, when it takes only these; empty: any text.")

    @classmethod
    def of(cls, a: model.AreaAttribute, inherited_from: str | None = None) -> "AreaAttribute":
        return cls(name=a.name, type=AttributeType(a.type), unit=a.unit, description=a.description,
                   inherited_from=inherited_from, values=list(a.values))


@strawberry.type(description="An area of decisions, in a hierarchical catalogue (e.g. economy/purchase).")
class DecisionArea(Versioned):
    id: strawberry.ID
    key: str
    name_da: str
    name_en: str
    description: str
    kle: str | None = strawberry.field(description="KLE number (88, 88.01, 88.01.00, optionally with a handlingsfacet: "
                                                   "88.01.00G01), when one applies; checks may name the area by it.")
    delegable: bool = strawberry.field(description="False: reserved (at reservedUnit's subtree, or everywhere).")
    archived_at: datetime | None
    parent_id: strawberry.Private[UUID | None]
    reserved_unit_id: strawberry.Private[UUID | None]
    uid: strawberry.Private[UUID]
    area: strawberry.Private[model.Area]

    @classmethod
    def of(cls, a: model.Area) -> "DecisionArea":
        return build(cls, a, uid=a.id, area=a)

    @strawberry.field(description="Attributes declared on this area itself (sub-areas inherit them; see "
                                  "attributesInForce).")
    def attributes(self) -> list[AreaAttribute]:
        return [AreaAttribute.of(a) for a in self.area.attributes]

    @strawberry.field(description="Every attribute that applies to this area, as checks and red lines read them: "
                                  "its own, then those it inherits from the areas above it (with inheritedFrom).")
    async def attributes_in_force(self, info: Info) -> list[AreaAttribute]:
        chain = [self.area, *await _area_chain(info, self.parent_id)]
        return [AreaAttribute.of(a, None if area.id == self.uid else area.key)
                for a, area in rules.attributes_in_force(chain)]

    @strawberry.field
    async def parent(self, info: Info) -> "DecisionArea | None":
        if self.parent_id is None:
            return None
        return DecisionArea.of(await info.context.loaders.area.load(self.parent_id))

    @strawberry.field
    async def children(self, info: Info, include_archived: bool = False) -> list["DecisionArea"]:
        found = await info.context.loaders.children_of_area.load(self.uid)
        return [DecisionArea.of(a) for a in found if include_archived or a.archived_at is None]

    @strawberry.field
    async def reserved_unit(self, info: Info) -> Unit | None:
        if self.reserved_unit_id is None:
            return None
        return Unit.of(await info.context.loaders.unit.load(self.reserved_unit_id))


@strawberry.type(description="A level of the 1-7 delegation scale (delegeringsniveau): Management 3.0's seven "
                               "levels of delegation (delegation poker); 1-4 involve the employee in the leader's "
                               "decision, 5-7 delegate it, and 6 is the hverdagsdirektør.")
class InvolvementLevel:
    number: int
    key: str
    label_da: str = strawberry.field(description="The sentence, said of a person.")
    label_en: str
    short_da: str = strawberry.field(description="The short name, e.g. Hverdagsdirektør.")
    team_label_da: str = strawberry.field(description="The sentence, said of a team.")

    @classmethod
    def of(cls, n: int) -> "InvolvementLevel":
        lv = levels.level(n)
        return cls(number=lv.number, key=lv.key, label_da=lv.label_da, label_en=lv.label_en, short_da=lv.short_da,
                   team_label_da=lv.team_label_da)


@strawberry.type
class TrustAssessment:
    assessment: Assessment
    note: str

    @strawberry.field(description="The assessment in Danish: Lav, Middel or Høj.")
    def assessment_da(self) -> str:
        return texts.TRUST_ASSESSMENTS_DA[self.assessment.value]


@strawberry.type(description="The leader's calculated trust: competence, intention and resources.")
class TrustBasis:
    competence: TrustAssessment | None
    intention: TrustAssessment | None
    resources: TrustAssessment | None

    @classmethod
    def of(cls, t: model.TrustBasis) -> "TrustBasis":
        def one(a):
            return None if a is None else TrustAssessment(assessment=Assessment(a.assessment), note=a.note)
        return cls(competence=one(t.competence), intention=one(t.intention), resources=one(t.resources))


@strawberry.type
class Control:
    form: ControlForm
    cadence: Cadence | None
    justify_within_days: int = strawberry.field(description="Deadline for the justification owed after acting.")
    why: str = strawberry.field(description="Why this control (begrundelse), in the leader's words; may be empty.")
    account: AccountMode = strawberry.field(description="How an act at level 6 is accounted for.")

    @strawberry.field(description="`account` in Danish: Når lederen spørger, Inden for et antal dage, Ved næste "
                                  "opfølgning.")
    def account_da(self) -> str:
        return texts.ACCOUNT_MODES_DA[self.account.value]

    @strawberry.field(description="The control form in Danish, e.g. Løbende opfølgning.")
    def form_da(self) -> str:
        return texts.CONTROL_FORMS_DA[self.form.value]

    @strawberry.field(description="The cadence in Danish, e.g. månedlig; null without one.")
    def cadence_da(self) -> str | None:
        return None if self.cadence is None else texts.CADENCES_DA[self.cadence.value]

    @classmethod
    def of(cls, c: model.Control) -> "Control":
        return cls(form=ControlForm(c.form), cadence=_enum(Cadence, c.cadence),
                   justify_within_days=c.justify_within_days, why=c.why, account=AccountMode(c.account))


@strawberry.type(description="A hard limit (rød linje) for a unit's subtree and an area's sub-areas.")
class RedLine(Versioned):
    id: strawberry.ID
    condition: str | None = strawberry.field(
        description="What must hold, over the area's declared attributes; null = an outright prohibition.")
    consequence: str
    set_by: SetBy
    why: str = strawberry.field(description="Why the line is there (begrundelse); may be empty.")
    review_date: date | None = strawberry.field(description="When to take it up again: is it still needed?")
    archived_at: datetime | None
    unit_id: strawberry.Private[UUID]
    area_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, r: model.RedLine) -> "RedLine":
        return build(cls, r, set_by=SetBy(r.set_by))

    @strawberry.field
    def prohibition(self) -> bool:
        return self.condition is None

    @strawberry.field(description="Who set it, in Danish (Lovgivning, Politisk besluttet, Direktion, Forvaltning, "
                                  "Faglig retningslinje eller instruks, Aftale, Leder, Team).")
    def set_by_da(self) -> str:
        return texts.SET_BY_DA[self.set_by.value]

    @strawberry.field(description="The condition as a Danish sentence in the area's own words (its attributes' "
                                  "descriptions and units, inherited ones included), e.g. \"Skal gælde: hviletid "
                                  "mellem to vagter for den berørte medarbejder er mindst 11 timer.\"")
    async def condition_da(self, info: Info) -> str:
        chain = await _area_chain(info, self.area_id)
        return texts.condition_da(self.condition, [a for a, _ in rules.attributes_in_force(chain)])

    @strawberry.field
    async def unit(self, info: Info) -> Unit:
        return Unit.of(await info.context.loaders.unit.load(self.unit_id))

    @strawberry.field
    async def area(self, info: Info) -> DecisionArea:
        return DecisionArea.of(await info.context.loaders.area.load(self.area_id))


@strawberry.type(description="Who may decide what: a delegation of decision competence.")
class Delegation(Versioned):
    """A delegation (see DOMAIN.md)."""

    id: strawberry.ID
    include_subunits: bool
    level: int = strawberry.field(description="Involvement level 1-7; see levelInfo for its labels.")
    purpose: str = strawberry.field(description="Formål: why, tied to the core task.")
    rules: list[str] = strawberry.field(description="Spilleregler.")
    valid_from: datetime
    valid_until: datetime | None
    review_date: date | None
    revoked_at: datetime | None
    revoked_reason: str | None
    allow_subdelegation: bool
    max_subdelegation_depth: int
    d: strawberry.Private[model.Delegation]

    @classmethod
    def of(cls, d: model.Delegation) -> "Delegation":
        return build(cls, d, rules=list(d.rules), d=d)

    @strawberry.field
    def level_info(self) -> InvolvementLevel:
        return InvolvementLevel.of(self.d.level)

    @strawberry.field(description="Status now (or at `at`): expired is derived from validity.")
    def status(self, info: Info, at: datetime | None = None) -> DelegationStatus:
        return DelegationStatus(self.d.status_at(at or info.context.ctx.now()))

    @strawberry.field(description="The status in Danish: Gælder, Midlertidigt i bero, Trukket tilbage, Udløbet, "
                                  "Tilbudt – venter på svar or Ikke taget imod.")
    def status_da(self, info: Info, at: datetime | None = None) -> str:
        return texts.DELEGATION_STATUS_DA[self.d.status_at(at or info.context.ctx.now())]

    @strawberry.field(description="The trust basis (competence, intention, resources, with the leader's notes): "
                                  "for the delegate (or the team's members), the delegator, the leader chain above "
                                  "the unit (and a stand-in for it) and HR; null for everyone else.")
    async def trust(self, info: Info) -> TrustBasis | None:
        if not await info.context.loaders.trust_shown.load(self.d):
            return None
        return TrustBasis.of(self.d.trust)

    # --- issue 12, part 4: the leader's card
    @strawberry.field(description="The leader's cards drawn on this delegation (lederkortet: the leader decided a "
                                  "matter she had delegated), newest first: for the delegate (or the team's members), "
                                  "the delegator, the leader chain above the unit (and a stand-in for it), HR and "
                                  "auditors; null for everyone else.")
    async def leader_cards(self, info: Info) -> list[Annotated["LeaderCard", strawberry.lazy(
            "registry.api.graphql.leader_cards")]] | None:
        from registry.api.graphql.leader_cards import LeaderCard
        found = await info.context.loaders.leader_cards.load(self.d)
        return None if found is None else [LeaderCard.of(c) for c in found]
    # --- end of issue 12, part 4

    # --- issue 12, part 1: offered and taken up
    @strawberry.field(description="Offers of this delegation and of amendments that widen it (with the delegate's "
                                  "answers), and notices of narrowing, newest first; as private as leaderCards.")
    async def offers(self, info: Info) -> list[Annotated["DelegationOffer", strawberry.lazy(
            "registry.api.graphql.offers")]] | None:
        from registry.api.graphql.offers import DelegationOffer
        found = await info.context.loaders.offers.load(self.d)
        return None if found is None else [DelegationOffer.of(o) for o in found]
    # --- end of issue 12, part 1

    @strawberry.field
    def control(self) -> Control:
        return Control.of(self.d.control)

    @strawberry.field
    async def delegator(self, info: Info) -> Person:
        return Person.of(await info.context.loaders.person.load(self.d.delegator_id))

    @strawberry.field
    async def delegate_person(self, info: Info) -> Person | None:
        if self.d.delegate_person_id is None:
            return None
        return Person.of(await info.context.loaders.person.load(self.d.delegate_person_id))

    @strawberry.field
    async def delegate_team(self, info: Info) -> Team | None:
        if self.d.delegate_team_id is None:
            return None
        return Team.of(await info.context.loaders.team.load(self.d.delegate_team_id))

    @strawberry.field
    async def area(self, info: Info) -> DecisionArea:
        return DecisionArea.of(await info.context.loaders.area.load(self.d.area_id))

    @strawberry.field
    async def unit(self, info: Info) -> Unit:
        return Unit.of(await info.context.loaders.unit.load(self.d.unit_id))

    @strawberry.field(description="The absent leader a stand-in declared this on behalf of.")
    async def on_behalf_of(self, info: Info) -> Person | None:
        if self.d.on_behalf_of_id is None:
            return None
        return Person.of(await info.context.loaders.person.load(self.d.on_behalf_of_id))

    @strawberry.field
    async def parent(self, info: Info) -> "Delegation | None":
        if self.d.parent_id is None:
            return None
        return Delegation.of(await info.context.loaders.delegation.load(self.d.parent_id))

    @strawberry.field
    async def sub_delegations(self, info: Info) -> list["Delegation"]:
        return [Delegation.of(d) for d in await info.context.loaders.subdelegations.load(self.d.id)]

    @strawberry.field(description="A planned step of trust (tillidsskridt), if one is planned: it surfaces at the "
                                  "review and never changes the level by itself.")
    def next_step(self) -> TrustStep | None:
        return None if self.d.next_step is None else TrustStep.of(self.d.next_step)

    @strawberry.field(description="Its own limits on the delegate's mandate: it allows a case only when each holds.")
    def conditions(self) -> list[DelegationCondition]:
        return [DelegationCondition.of(c) for c in self.d.conditions]

    @strawberry.field(description="Every limit that binds it, as checks apply them: its own, then those of each "
                                  "delegation it was passed on from (a sub-delegation cannot drop them).")
    async def conditions_in_force(self, info: Info) -> list[BindingCondition]:
        above = [] if self.d.parent_id is None else await info.context.loaders.ancestors.load(self.d.id)
        return [BindingCondition(condition=c.condition, text_da=c.text_da, inherited=d is not self.d,
                                 delegation_id=d.id) for d in (self.d, *above) for c in d.conditions]


@strawberry.type(description="A planned step of trust: the level the leader means to give next, from when, on what "
                             "terms.")
class TrustStep:
    level: int
    from_date: date | None
    note: str
    s: strawberry.Private[model.TrustStep]

    @strawberry.field(description="The level's short name, e.g. \"Hverdagsdirektør\".")
    def level_short_da(self) -> str:
        return levels.level(self.level).short_da

    @strawberry.field(description="As people read it: \"Næste tillidsskridt: niveau 6 (Hverdagsdirektør) fra 1. juni "
                                  "2027 – hvis gennemgangen er positiv.\"")
    def text_da(self) -> str:
        return texts.trust_step_da(self.s)

    @classmethod
    def of(cls, s: model.TrustStep) -> "TrustStep":
        return cls(level=s.level, from_date=s.from_date, note=s.note, s=s)


@strawberry.type(description="A unit's or a team's shared frame: its kerneopgave/formål and fælles spilleregler, "
                             "and when and how they were agreed with the team. Every mandate within the unit (or "
                             "through the team) shows it; a delegation's own rules come on top.")
class UnitFrame(Versioned):
    id: strawberry.ID
    core_task: str = strawberry.field(description="Kerneopgave/formål, in the unit's own words.")
    rules: list[str] = strawberry.field(description="Fælles spilleregler.")
    agreed_on: date | None = strawberry.field(description="When it was agreed with the team.")
    agreed_how: str = strawberry.field(description="How, e.g. \"Drøftet og aftalt på personalemødet\".")
    f: strawberry.Private[model.UnitFrame]

    @classmethod
    def of(cls, f: model.UnitFrame) -> "UnitFrame":
        return build(cls, f, rules=list(f.rules), f=f)

    @strawberry.field(description="The unit it is the frame of (null for a team's).")
    async def unit(self, info: Info) -> Unit | None:
        return None if self.f.unit_id is None else Unit.of(await info.context.loaders.unit.load(self.f.unit_id))

    @strawberry.field(description="The team it is the frame of (null for a unit's).")
    async def team(self, info: Info) -> Team | None:
        return None if self.f.team_id is None else Team.of(await info.context.loaders.team.load(self.f.team_id))

    @strawberry.field(description="When and how it was agreed, in Danish, e.g. \"Aftalt med teamet 3. marts 2026: "
                                  "drøftet på personalemødet.\"")
    def agreed_da(self) -> str:
        return texts.frame_agreed_da(self.f.agreed_on, self.f.agreed_how)


@strawberry.type(description="A limit on one delegate's mandate, e.g. amount <= 10000 (\"Op til 10.000 kr. pr. "
                             "indkøb\").")
class DelegationCondition:
    condition: str = strawberry.field(description="In the red lines' condition language, canonical.")
    text_da: str = strawberry.field(description="As people read it.")

    @classmethod
    def of(cls, c: model.DelegationCondition) -> "DelegationCondition":
        return cls(condition=c.condition, text_da=c.text_da)


@strawberry.type(description="A limit that binds a delegation: its own, or one it inherits.")
class BindingCondition:
    condition: str
    text_da: str
    inherited: bool = strawberry.field(description="Stated by a delegation it was passed on from.")
    delegation_id: strawberry.Private[UUID]

    @strawberry.field(description="The delegation that states it.")
    async def delegation(self, info: Info) -> Delegation:
        return Delegation.of(await info.context.loaders.delegation.load(self.delegation_id))


@strawberry.type(description="One change to one entity: who, when, and the values before and after.")
class HistoryEntry:
    id: strawberry.ID
    revision: int
    at: datetime
    entity_type: str
    entity_id: strawberry.ID
    operation: str
    actor: str = strawberry.field(description="person:<id>, apikey:<id> or cli")
    on_behalf_of: str | None
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, h: model.HistoryEntry) -> "HistoryEntry":
        return build(cls, h, id=strawberry.ID(str(h.id)), entity_id=strawberry.ID(str(h.entity_id)))


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class DelegationConnection:
    nodes: list[Delegation]
    page_info: PageInfo


@strawberry.type
class UnitConnection:
    nodes: list[Unit]
    page_info: PageInfo


@strawberry.type
class TeamConnection:
    nodes: list[Team]
    page_info: PageInfo


@strawberry.type
class DecisionAreaConnection:
    nodes: list[DecisionArea]
    page_info: PageInfo


@strawberry.type
class PersonConnection:
    nodes: list[Person]
    page_info: PageInfo


@strawberry.type
class HistoryConnection:
    nodes: list[HistoryEntry]
    page_info: PageInfo


def unit_roots(units: list[model.Unit]) -> list[model.Unit]:
    tree = Tree.of(units)
    return [u for u in units if u.parent_id is None or u.parent_id not in tree]


Id = Annotated[strawberry.ID, strawberry.argument(description="An entity id")]
