"""GraphQL input types, and their conversion to use-case arguments."""

from __future__ import annotations

from dataclasses import MISSING
from datetime import date, datetime
from types import SimpleNamespace

import strawberry
from strawberry.scalars import is_scalar
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

from registry.api.graphql.types import (AccountMode, Assessment, AttributeType, Cadence, ControlForm, DelegationStatus,
                                        MembershipRole, PersonRole, SetBy, UnitKind)
from registry.domain import model
from registry.errors import Invalid
from registry.services.common import parse_uuid

UNSET = strawberry.UNSET


def built_directly(cls):
    """Build this input type straight from graphql-core's coerced value (strawberry's `from_input` hook).

    graphql-core has already parsed every scalar and enum value, so for fields of those types
    strawberry's own conversion, which resolves each field's type and name again for every value
    (about 0,2 ms per input), has nothing to do: a batch of 1000 check inputs would hold the event
    loop for 200 ms on that alone. Other fields are converted as strawberry does."""
    definition = cls.__strawberry_definition__
    plan: list = []

    def from_input(type_, value, context):
        if not plan:
            for f in definition.fields:
                resolved = f.resolve_type(type_definition=definition)
                inner = resolved.of_type if isinstance(resolved, StrawberryOptional) else resolved
                leaf = (is_scalar(inner, context.scalar_registry) or isinstance(inner, StrawberryEnumDefinition)
                        or has_enum_definition(inner)) and not isinstance(resolved, StrawberryMaybe)
                required = f.default_value is MISSING and f.default_factory is MISSING
                plan.append((context.config.name_converter.from_field(f), f.python_name, resolved, leaf, required))
        kwargs = {}
        for name, python_name, resolved, leaf, required in plan:
            if name in value:
                item = value[name]
                kwargs[python_name] = item if leaf or item is None else context.convert(item, resolved, name)
            elif required:
                kwargs[python_name] = None  # (as strawberry does: graphql-core has checked the non-null ones)
        return type_(**kwargs)

    definition.from_input = from_input
    return cls


def changes_of(data, ids: tuple[str, ...] = ()) -> dict:
    """The fields a patch input sets (UNSET ones are left out), with ids parsed and enums unwrapped."""
    changes = {}
    for name, value in vars(data).items():
        if value is UNSET:
            continue
        if name in ids and value is not None:
            value = parse_uuid(value, _camel(name))
        elif isinstance(value, list):
            value = [getattr(v, "value", v) for v in value]
        else:
            value = getattr(value, "value", value)
        changes[name] = value
    return changes


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def opt_uuid(value, field: str):
    return None if value is None or value is UNSET else parse_uuid(value, field)


@strawberry.input
class CreateUnitInput:
    name: str
    kind: UnitKind
    parent_id: strawberry.ID | None = None
    external_id: str | None = None
    deputies_may_delegate: bool = False


@strawberry.input
class UpdateUnitInput:
    name: str | None = UNSET
    kind: UnitKind | None = UNSET
    parent_id: strawberry.ID | None = strawberry.field(default=UNSET, description="Moves the unit; null = a root.")
    external_id: str | None = UNSET
    deputies_may_delegate: bool | None = UNSET


@strawberry.input
class CreatePersonInput:
    external_id: str
    name: str
    email: str | None = None
    roles: list[PersonRole] = strawberry.field(default_factory=list)


@strawberry.input
class UpdatePersonInput:
    external_id: str | None = UNSET
    name: str | None = UNSET
    email: str | None = UNSET
    roles: list[PersonRole] | None = UNSET


@strawberry.input
class AddMembershipInput:
    person_id: strawberry.ID
    unit_id: strawberry.ID
    role: MembershipRole
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@strawberry.input
class UpdateMembershipInput:
    role: MembershipRole | None = UNSET
    valid_from: datetime | None = UNSET
    valid_to: datetime | None = UNSET


@strawberry.input
class CreateTeamInput:
    unit_id: strawberry.ID
    name: str


@strawberry.input
class UpdateTeamInput:
    name: str | None = UNSET
    unit_id: strawberry.ID | None = UNSET


@strawberry.input
class AddTeamMemberInput:
    team_id: strawberry.ID
    person_id: strawberry.ID
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@strawberry.input
class UpdateTeamMemberInput:
    valid_from: datetime | None = UNSET
    valid_to: datetime | None = UNSET


@strawberry.input
class AreaAttributeInput:
    name: str
    type: AttributeType
    unit: str | None = None
    description: str = ""
    values: list[str] = strawberry.field(default_factory=list, description=(
        "A STRING attribute's codes, when it takes only these (checks with any other value are refused, "
        "invalid_attribute); empty: any text."))

    def to_domain(self) -> model.AreaAttribute:
        return model.AreaAttribute(name=self.name, type=self.type.value, unit=self.unit, description=self.description,
                                   values=tuple(self.values))


@strawberry.input
class CreateDecisionAreaInput:
    key: str = strawberry.field(description="A path such as economy/purchase; a sub-area's key extends its parent's.")
    name_da: str
    name_en: str
    parent_id: strawberry.ID | None = None
    description: str = ""
    kle: str | None = strawberry.field(default=None, description="A KLE number (KL's emnesystematik, the municipality's own "
                                                           "licence): 88, 88.01 or 88.01.00, optionally with a "
                                                           "handlingsfacet (88.01.00G01). Checks may name the area by it.")
    attributes: list[AreaAttributeInput] = strawberry.field(default_factory=list)
    delegable: bool = True
    reserved_unit_id: strawberry.ID | None = None


@strawberry.input
class UpdateDecisionAreaInput:
    name_da: str | None = UNSET
    name_en: str | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    description: str | None = UNSET
    kle: str | None = strawberry.field(default=UNSET, description="A KLE number (KL's emnesystematik, the municipality's own "
                                                           "licence): 88, 88.01 or 88.01.00, optionally with a "
                                                           "handlingsfacet (88.01.00G01). Checks may name the area by it.")
    attributes: list[AreaAttributeInput] | None = UNSET
    delegable: bool | None = UNSET
    reserved_unit_id: strawberry.ID | None = UNSET


@strawberry.input
class TrustAssessmentInput:
    assessment: Assessment
    note: str = ""


@strawberry.input
class TrustBasisInput:
    competence: TrustAssessmentInput | None = None
    intention: TrustAssessmentInput | None = None
    resources: TrustAssessmentInput | None = None

    def to_domain(self) -> model.TrustBasis:
        def one(a):
            return None if a is None else model.TrustAssessment(assessment=a.assessment.value, note=a.note)
        return model.TrustBasis(competence=one(self.competence), intention=one(self.intention),
                                resources=one(self.resources))


@strawberry.input
class ControlInput:
    form: ControlForm = ControlForm.NONE
    cadence: Cadence | None = None
    justify_within_days: int = 5
    why: str = strawberry.field(default="", description="Why this control (begrundelse).")
    account: AccountMode = strawberry.field(default=AccountMode.ON_REQUEST,
                                            description="How an act at level 6 is accounted for.")

    def to_domain(self) -> model.Control:
        return model.Control(form=self.form.value, cadence=None if self.cadence is None else self.cadence.value,
                             justify_within_days=self.justify_within_days, why=self.why, account=self.account.value)


@strawberry.input(description="A limit on one delegate's mandate, in the red lines' condition language over the "
                              "area's attributes: the delegation allows a case only when it holds.")
class DelegationConditionInput:
    condition: str = strawberry.field(description="e.g. amount <= 10000")
    text_da: str = strawberry.field(default="", description="The Danish sentence people see, e.g. \"Op til 10.000 "
                                                            "kr. pr. indkøb\"; empty: made from the area's "
                                                            "attribute names.")

    def to_domain(self) -> model.DelegationCondition:
        return model.DelegationCondition(condition=self.condition, text_da=self.text_da)


@strawberry.input(description="A planned step of trust (tillidsskridt): the level the leader means to give next, from "
                              "when and on what terms. It surfaces at the review; it never changes the level by itself.")
class TrustStepInput:
    level: int = strawberry.field(description="The level planned (1-7, another than the one held).")
    from_date: date | None = strawberry.field(default=None, description="From when, while the delegation runs.")
    note: str = strawberry.field(default="", description="On what terms, e.g. \"hvis gennemgangen er positiv\".")

    def to_domain(self) -> model.TrustStep:
        return model.TrustStep(level=self.level, from_date=self.from_date, note=self.note)


def conditions_of(items) -> tuple[model.DelegationCondition, ...]:
    return tuple(c.to_domain() for c in items or ())


@strawberry.input(description="A delegation to declare; the delegator is the authenticated person.")
class DeclareDelegationInput:
    area_id: strawberry.ID
    unit_id: strawberry.ID
    level: int = strawberry.field(description="Involvement level 1-7.")
    delegate_person_id: strawberry.ID | None = None
    delegate_team_id: strawberry.ID | None = None
    include_subunits: bool = True
    purpose: str = ""
    trust: TrustBasisInput | None = None
    control: ControlInput | None = None
    rules: list[str] = strawberry.field(default_factory=list)
    valid_from: datetime | None = strawberry.field(default=None, description="Defaults to now.")
    valid_until: datetime | None = strawberry.field(default=None, description="Null = open-ended.")
    review_date: date | None = None
    allow_subdelegation: bool = False
    max_subdelegation_depth: int = 0
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="For a sub-delegation.")
    conditions: list[DelegationConditionInput] = strawberry.field(
        default_factory=list, description="Limits on this delegate's mandate (at most 20); a sub-delegation is "
                                          "bound by its parents' too.")
    next_step: TrustStepInput | None = strawberry.field(default=None, description="A planned step of trust.")
    offer: bool | None = strawberry.field(
        default=None, description="Offer it to the delegate to take up (status OFFERED until she accepts). Null: "
                                  "the organisation's rule (Organisation.acceptanceFromLevel, by default levels 5-7). "
                                  "false is refused (acceptance_required) where the rule says she takes it up herself.")
    request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The employee's request (askForDelegation) this delegation answers.")


@strawberry.input(description="Fields to change; the delegation gets a new version, the old one stays in history.")
class AmendDelegationInput:
    level: int | None = UNSET
    purpose: str | None = UNSET
    trust: TrustBasisInput | None = UNSET
    control: ControlInput | None = UNSET
    rules: list[str] | None = UNSET
    valid_from: datetime | None = UNSET
    valid_until: datetime | None = UNSET
    review_date: date | None = UNSET
    include_subunits: bool | None = UNSET
    allow_subdelegation: bool | None = UNSET
    max_subdelegation_depth: int | None = UNSET
    conditions: list[DelegationConditionInput] | None = strawberry.field(
        default=UNSET, description="All of the delegation's own conditions (replacing them); [] or null: none. "
                                   "Fewer conditions widen the mandate of its sub-delegations at once, more narrow "
                                   "it.")
    next_step: TrustStepInput | None = strawberry.field(
        default=UNSET, description="A planned step of trust; null: none. Amending the level to the planned one "
                                   "takes the step (it is then no longer planned).")


@strawberry.input(description="A unit's or a team's shared frame (name one of them); it replaces the one there is.")
class SetUnitFrameInput:
    unit_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None
    core_task: str = strawberry.field(default="", description="Kerneopgave/formål.")
    rules: list[str] = strawberry.field(default_factory=list, description="Fælles spilleregler (at most 30).")
    agreed_on: date | None = strawberry.field(default=None, description="When it was agreed with the team.")
    agreed_how: str = strawberry.field(default="", description="How it was agreed.")


@strawberry.input
class CreateRedLineInput:
    unit_id: strawberry.ID
    area_id: strawberry.ID
    condition: str | None = strawberry.field(
        default=None, description="e.g. 'amount <= 10000'; null = an outright prohibition.")
    consequence: str = strawberry.field(description="What happens when it is crossed.")
    set_by: SetBy = SetBy.LEADER
    why: str = strawberry.field(default="", description="Why the line is there (begrundelse).")
    review_date: date | None = strawberry.field(default=None, description="When to take it up again.")


@strawberry.input
class UpdateRedLineInput:
    condition: str | None = UNSET
    consequence: str | None = UNSET
    set_by: SetBy | None = UNSET
    unit_id: strawberry.ID | None = UNSET
    area_id: strawberry.ID | None = UNSET
    why: str | None = UNSET
    review_date: date | None = UNSET


@strawberry.input
class DelegationFilter:
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="The unit and its subtree.")
    delegate_person_id: strawberry.ID | None = None
    delegate_team_id: strawberry.ID | None = None
    delegator_id: strawberry.ID | None = None
    area_id: strawberry.ID | None = strawberry.field(default=None, description="The area and its sub-areas.")
    status: DelegationStatus | None = None
    valid_at: datetime | None = None


def amend_changes(input: AmendDelegationInput) -> dict:
    """The changes an AmendDelegationInput asks for, as the amend use case takes them."""
    trust, control = input.trust, input.control
    fields = {k: v for k, v in vars(input).items() if k not in ("trust", "control")}
    changes = changes_of(SimpleNamespace(**fields))
    if trust is not UNSET:
        changes["trust"] = (trust or TrustBasisInput()).to_domain()
    if control is not UNSET:
        changes["control"] = (control or ControlInput()).to_domain()
    if "rules" in changes:
        changes["rules"] = tuple(changes["rules"] or ())
    if "conditions" in changes:
        changes["conditions"] = conditions_of(changes["conditions"])
    if "next_step" in changes:
        changes["next_step"] = None if input.next_step is None else input.next_step.to_domain()
    for required in ("level", "purpose", "valid_from", "include_subunits", "allow_subdelegation",
                     "max_subdelegation_depth"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be null", field=_camel(required), code="required")
    return changes
