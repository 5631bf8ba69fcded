"""The registry's domain values: frozen records, built from storage rows by the storage layer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

UnitKind = Literal["direktion", "forvaltning", "center", "unit", "subunit"]
MembershipRole = Literal["employee", "leader", "deputy"]
PersonRole = Literal["admin", "hr", "auditor"]
AttrType = Literal["number", "boolean", "string"]
Assessment = Literal["low", "medium", "high"]
ControlForm = Literal["none", "report_afterwards", "periodic_review", "sampling", "pre_approval", "team_self_check",
                      "peer_sparring"]
Cadence = Literal["weekly", "monthly", "quarterly", "half_yearly", "yearly"]
DelegationStatus = Literal["active", "suspended", "revoked", "expired", "offered", "declined"]
SetBy = Literal["law", "political", "direktion", "forvaltning", "guideline", "agreement", "leader", "team"]
OrganisationKind = Literal["kommune", "region"]

UNIT_KINDS: tuple[str, ...] = ("direktion", "forvaltning", "center", "unit", "subunit")
MEMBERSHIP_ROLES: tuple[str, ...] = ("employee", "leader", "deputy")
PERSON_ROLES: tuple[str, ...] = ("admin", "hr", "auditor")
ATTR_TYPES: tuple[str, ...] = ("number", "boolean", "string")
# Control may come from the leader, or from the team itself (egenkontrol, kollegial sparring, l. 670-671).
CONTROL_FORMS: tuple[str, ...] = ("none", "report_afterwards", "periodic_review", "sampling", "pre_approval",
                                  "team_self_check", "peer_sparring")
# How the justification of an act at level 6 is owed, as the leader chooses: when the leader asks (the
# publication's own picture, and the default for new delegations), within justifyWithinDays (the
# only one with a deadline that can be overdue), or at the next follow-up.
ACCOUNT_MODES: tuple[str, ...] = ("on_request", "within_days", "at_follow_up")
SET_BY: tuple[str, ...] = ("law", "political", "direktion", "forvaltning", "guideline", "agreement", "leader", "team")
ORGANISATION_KINDS: tuple[str, ...] = ("kommune", "region")
# The other ids a person is known by (issue 13): the OIDC `sub`, the FK Organisation/OS2mo UUID, the
# AD user principal name, the payroll employee number (registry.domain.aliases).
ALIAS_KINDS: tuple[str, ...] = ("sub", "uuid", "upn", "payroll")


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """Bookkeeping every mutable row carries."""

    version: int = 1
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


class Organisation(Record, frozen=True, kw_only=True):
    id: UUID
    key: str
    name: str
    kind: str = "kommune"
    revision: int = 0
    archived_at: datetime | None = None
    # From which level a delegate takes up a delegation herself (issue 12, part 1); None: never.
    acceptance_from_level: int | None = 5


class Unit(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    parent_id: UUID | None
    name: str
    kind: str
    external_id: str | None = None
    deputies_may_delegate: bool = False
    archived_at: datetime | None = None
    kle_codes: tuple[str, ...] = ()  # the unit's KLE markup from the municipality's system (issue 13)


class Person(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    external_id: str
    name: str
    email: str | None = None
    roles: tuple[str, ...] = ()
    archived_at: datetime | None = None
    # Erased (GDPR art. 17): name, e-mail and external id are a pseudonym since then.
    erased_at: datetime | None = None


class PersonAlias(Record, frozen=True, kw_only=True):
    """Another id the person is known by; `value` as stored (a UPN and a UUID lower-cased)."""

    id: UUID
    tenant_id: UUID
    person_id: UUID
    kind: str
    value: str


class Membership(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    person_id: UUID
    unit_id: UUID
    role: str
    valid_from: datetime
    valid_to: datetime | None = None
    archived_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.archived_at is None and self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


class Team(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    unit_id: UUID
    name: str
    archived_at: datetime | None = None


class TeamMember(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    team_id: UUID
    person_id: UUID
    valid_from: datetime
    valid_to: datetime | None = None
    archived_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.archived_at is None and self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


class AreaAttribute(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str
    type: str
    unit: str | None = None
    description: str = ""
    # A string attribute's codes, when it takes only these (e.g. a citizen's category): a check with
    # any other value is refused, so "Palliativ" cannot pass a red line written for 'palliativ'.
    # Empty: any text.
    values: tuple[str, ...] = ()


class Area(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    parent_id: UUID | None
    key: str
    name_da: str
    name_en: str
    description: str = ""
    kle: str | None = None
    attributes: tuple[AreaAttribute, ...] = ()
    delegable: bool = True
    reserved_unit_id: UUID | None = None
    archived_at: datetime | None = None


class TrustAssessment(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    assessment: str
    note: str = ""


class TrustBasis(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The leader's calculated trust (kalkuleret tillid): competence, intention, resources."""

    competence: TrustAssessment | None = None
    intention: TrustAssessment | None = None
    resources: TrustAssessment | None = None


class Control(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    form: str = "none"
    cadence: str | None = None
    why: str = ""  # why this control (begrundelse): the frame explained
    # How a hverdagsdirektør act is accounted for (ACCOUNT_MODES): "within_days" for what was stored
    # before the choice existed; a new delegation is declared "on_request" unless the leader says so.
    account: str = "within_days"
    # Deadline for the justification owed after acting at level 6 (issue #3's `justify`).
    justify_within_days: int = 5


class DelegationCondition(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A limit on one delegation (e.g. "Anna up to 10.000 kr."): a condition in the red lines'
    language over the area's attributes, stored canonical, and the Danish sentence people see."""

    condition: str
    text_da: str = ""


MAX_CONDITIONS = 20


class TrustStep(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A planned step of trust (tillidsskridt): the level the leader means to give next, from when and
    on what terms ("hvis gennemgangen er positiv"). It surfaces at the review; it never changes the
    level by itself: the leader takes it by amending the delegation."""

    level: int
    from_date: date | None = None
    note: str = ""


class DelegationDraft(msgspec.Struct, frozen=True, kw_only=True):
    """What a leader declares; the registry fills in id, status and bookkeeping."""

    delegator_id: UUID
    delegate_person_id: UUID | None
    delegate_team_id: UUID | None
    area_id: UUID
    unit_id: UUID
    include_subunits: bool
    level: int
    purpose: str
    trust: TrustBasis
    control: Control
    rules: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    review_date: date | None
    allow_subdelegation: bool
    max_subdelegation_depth: int
    parent_id: UUID | None
    conditions: tuple[DelegationCondition, ...] = ()
    next_step: TrustStep | None = None


class Delegation(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    delegator_id: UUID
    delegate_person_id: UUID | None
    delegate_team_id: UUID | None
    area_id: UUID
    unit_id: UUID
    include_subunits: bool
    level: int
    purpose: str
    trust: TrustBasis
    control: Control
    rules: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    review_date: date | None
    status: str
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    allow_subdelegation: bool = False
    max_subdelegation_depth: int = 0
    parent_id: UUID | None = None
    on_behalf_of_id: UUID | None = None
    # Its own conditions; a sub-delegation is also bound by its parents' (they are not copied here).
    conditions: tuple[DelegationCondition, ...] = ()
    next_step: TrustStep | None = None

    def status_at(self, at: datetime) -> str:
        """Stored status, except that an active delegation, or an offered one not taken up, past its
        end is `expired`."""
        if self.status in ("active", "offered") and self.valid_until is not None and at >= self.valid_until:
            return "expired"
        return self.status

    def valid_at(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)


class RedLine(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    unit_id: UUID
    area_id: UUID
    condition: str | None
    consequence: str
    set_by: str
    why: str = ""                    # why the line is there (begrundelse)
    review_date: date | None = None  # when to take it up again: is it still needed?
    archived_at: datetime | None = None


class UnitFrame(Record, frozen=True, kw_only=True):
    """A unit's or a team's shared frame: its kerneopgave/formål and fælles spilleregler, and when and
    how they were agreed with the team. Every mandate within the unit (or through the team) shows it."""

    id: UUID
    tenant_id: UUID
    unit_id: UUID | None = None
    team_id: UUID | None = None
    core_task: str = ""
    rules: tuple[str, ...] = ()
    agreed_on: date | None = None
    agreed_how: str = ""


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant_id: UUID
    revision: int
    at: datetime
    entity_type: str
    entity_id: UUID
    operation: str
    actor: str
    on_behalf_of: str | None
    before: dict | None
    after: dict | None


class StandIn(Record, frozen=True, kw_only=True):
    """A stand-in holds a leader's authority in a unit (and its subtree) for a period of absence."""

    id: UUID
    tenant_id: UUID
    unit_id: UUID
    leader_id: UUID
    stand_in_id: UUID
    valid_from: datetime
    valid_until: datetime
    note: str = ""
    archived_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.archived_at is None and self.valid_from <= at < self.valid_until


class Act(Record, frozen=True, kw_only=True):
    """A decision taken under a permit (typically as hverdagsdirektør), and its follow-up."""

    id: UUID
    tenant_id: UUID
    person_id: UUID
    area_id: UUID
    unit_id: UUID
    action: str
    attributes: dict
    case_ref: str
    description: str
    occurred_at: datetime
    permit_revision: int | None = None
    delegation_id: UUID | None = None
    reason: str
    level: int | None = None
    justification: str | None = None
    justified_at: datetime | None = None
    feedback: str | None = None
    assessment: str | None = None
    feedback_by: UUID | None = None
    feedback_at: datetime | None = None
    # In which capacity the feedback was given: leader, standin, delegator or peer (a colleague under
    # peer sparring); None for feedback recorded before the capacity was.
    feedback_role: str | None = None
    reply: str | None = None            # the employee's answer to the feedback (feedback goes both ways)
    replied_at: datetime | None = None


class DueItem(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    act_id: UUID
    kind: str
    due_at: datetime | None
    status: str
    fulfilled_at: datetime | None = None

    def status_at(self, at: datetime) -> str:
        """open, fulfilled, or overdue (open past its deadline: derived, so no job flips it)."""
        if self.status == "open" and self.due_at is not None and at > self.due_at:
            return "overdue"
        return self.status


class Breach(Record, frozen=True, kw_only=True):
    """A trust breach (tillidsbrud). Description, cause and learning notes are personal data."""

    id: UUID
    tenant_id: UUID
    person_id: UUID
    area_id: UUID
    unit_id: UUID
    delegation_id: UUID | None = None
    occurred_at: datetime
    description: str | None = None
    cause: str | None = None
    response: str
    effect_from: datetime
    effect_until: datetime | None = None
    lowered_to: int | None = None
    follow_up_date: date | None = None
    repair_status: str = "open"
    learning_notes: str | None = None
    closed_at: datetime | None = None
    purged_at: datetime | None = None
    recorded_by: UUID | None = None
    response_note: str | None = None  # issue 12, part 6: the first response's own note


class Review(Record, frozen=True, kw_only=True):
    id: UUID
    tenant_id: UUID
    delegation_id: UUID
    outcome: str
    note: str = ""
    next_review_date: date | None = None
    reviewed_by: UUID


# --- issue 12, part 4: the leader's card (at trække lederkortet) ---------------------------------

class LeaderCard(Record, frozen=True, kw_only=True):
    """A leader decided a matter she had delegated, and recorded what and why. It never changes the
    delegation; the delegate reads it on her delegation, and it counts in the unit's follow-up."""

    id: UUID
    tenant_id: UUID
    delegation_id: UUID
    unit_id: UUID
    decided: str
    why: str
    decided_at: datetime
    decided_by: UUID
# --- end of issue 12, part 4 ---------------------------------------------------------------------


# --- issue 12, part 6: breaches as learning -------------------------------------------------------

class BreachResponse(Record, frozen=True, kw_only=True):
    """A later response to a breach (the breach row is the first). Its effect columns are read by
    checks exactly as a breach's; its note is personal data."""

    id: UUID
    tenant_id: UUID
    breach_id: UUID
    person_id: UUID
    area_id: UUID
    unit_id: UUID
    response: str
    note: str | None = None
    given_at: datetime
    effect_from: datetime
    effect_until: datetime | None = None
    lowered_to: int | None = None
    recorded_by: UUID


class BreachAccount(Record, frozen=True, kw_only=True):
    """The employee's own account of what happened (hers alone to write)."""

    id: UUID
    tenant_id: UUID
    breach_id: UUID
    person_id: UUID
    unit_id: UUID
    account: str | None = None
    written_at: datetime


class FrameChange(Record, frozen=True, kw_only=True):
    """What the leader or the frame changes in response to a breach: not a sanction on the person."""

    id: UUID
    tenant_id: UUID
    breach_id: UUID
    person_id: UUID
    unit_id: UUID
    kind: str
    text: str | None = None
    decided_at: datetime
    recorded_by: UUID


class LearningPoint(Record, frozen=True, kw_only=True):
    """What was learned. A shareable one holds no personal data (the leader confirmed it)."""

    id: UUID
    tenant_id: UUID
    breach_id: UUID
    person_id: UUID
    unit_id: UUID
    text: str | None = None
    cause: str | None = None
    shareable: bool = False
    confirmed_no_personal_data_by: UUID | None = None
    learned_at: datetime
    recorded_by: UUID
# --- end of issue 12, part 6 ---------------------------------------------------------------------


# --- issue 12, part 1: a delegation is offered and taken up ---------------------------------------

OFFER_KINDS: tuple[str, ...] = ("new", "widening", "narrowing")
OFFER_ANSWERS: tuple[str, ...] = ("accept", "decline", "talk")
REQUEST_KINDS: tuple[str, ...] = ("delegation", "rule")
# Levels from 5 (råd) give the employee a decision of her own: by default she takes them up herself.
DEFAULT_ACCEPTANCE_FROM_LEVEL = 5


class DelegationOffer(Record, frozen=True, kw_only=True):
    """A delegation (kind `new`), or an amendment that widens one (`widening`, its `changes` wait),
    offered to the delegate, and her answer; or a `narrowing` already in force that she is told of."""

    id: UUID
    tenant_id: UUID
    delegation_id: UUID
    kind: str
    changes: dict = {}
    summary_da: str = ""
    status: str = "open"
    answer: str | None = None
    answer_note: str = ""
    answered_by: UUID | None = None
    answered_at: datetime | None = None
    offered_by: UUID | None = None
    offered_at: datetime


class DelegationRequest(Record, frozen=True, kw_only=True):
    """An employee asks for a delegation or proposes a rule (spilleregel); the leader answers."""

    id: UUID
    tenant_id: UUID
    kind: str
    person_id: UUID
    unit_id: UUID
    team_id: UUID | None = None
    area_id: UUID | None = None
    level: int | None = None
    text: str
    status: str = "open"
    answer_note: str = ""
    answered_by: UUID | None = None
    answered_at: datetime | None = None
    delegation_id: UUID | None = None
