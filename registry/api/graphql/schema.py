"""The GraphQL schema: queries and mutations call use cases and convert types; nothing else."""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache,
                                   QueryDepthLimiter, SchemaExtension, ValidationCache)
from strawberry.tools import merge_types

from registry import errors, texts
from registry.api.authorization import put_doors
from registry.api.errors import DATABASE_UNAVAILABLE
from registry.api.graphql import inputs as gi
from registry.api.graphql.checks import CheckQuery
from registry.api.graphql.decision_log import DecisionLogQuery
from registry.api.graphql.organisations import OrganisationMutation, OrganisationQuery
from registry.api.graphql.personal_data import PersonalDataMutation, PersonalDataQuery
from registry.api.graphql.trust import TrustMutation, TrustQuery
from registry.api.graphql.leader_cards import LeaderCardMutation, LeaderCardQuery  # issue 12, part 4
from registry.api.graphql.mail import MailMutation, MailQuery  # issue 14, part 3
from registry.api.graphql.offers import OfferMutation, OfferQuery  # issue 12, part 1
from registry.api.graphql.sync_runs import SyncRunQuery  # issue 13, part 1
from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.results import ERROR_TYPES, payload, result, typed_errors
from registry.domain import levels
from registry.domain import model
from registry.services import aliases as alias_uc
from registry.services import checks as check_uc
from registry.services import delegations as delegation_uc
from registry.services import org as org_uc
from registry.services import queries
from registry.services import frames as frame_uc
from registry.services import redlines as red_line_uc
from registry.services.common import Ctx, parse_uuid
from registry.settings import Settings
from registry.storage.db import connection_lost
from registry.storage.rows import Page, paginate

log = logging.getLogger("registry.api")


def _ctx(info: Info) -> Ctx:
    return info.context.ctx


def _read(info: Info) -> Ctx:
    return _ctx(info)  # the door (registry.api.authorization) has let the caller read


def _page(cls, page: Page, convert):
    return cls(nodes=[convert(i) for i in page.items],
               page_info=gt.PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next_page))


@strawberry.type
class Query:
    @strawberry.field(description="The caller's organisation (tenant).")
    async def organisation(self, info: Info) -> gt.Organisation:
        return gt.Organisation.of(await queries.organisation(_read(info)))

    @strawberry.field(description="The authenticated person (null for API keys).")
    async def me(self, info: Info) -> gt.Person | None:
        person = _ctx(info).principal.person
        return None if person is None else gt.Person.of(person)

    @strawberry.field(description="All units, flat; cursor-paginated by id.")
    async def units(self, info: Info, include_archived: bool = False, first: int = 100,
                    after: str | None = None) -> gt.UnitConnection:
        page = paginate(await queries.units(_read(info), include_archived), first, after)
        return _page(gt.UnitConnection, page, gt.Unit.of)

    @strawberry.field(description="The root units; follow `children` for the tree.")
    async def unit_tree(self, info: Info) -> list[gt.Unit]:
        units = await queries.units(_read(info), False)
        return [gt.Unit.of(u) for u in gt.unit_roots(units)]

    @strawberry.field
    async def unit(self, info: Info, id: strawberry.ID) -> gt.Unit | None:
        found = await queries.get(_read(info), "org_unit", model.Unit, id)
        return None if found is None else gt.Unit.of(found)

    @strawberry.field(description="A person by id or by external id (the IdP subject; or one of her aliases).")
    async def person(self, info: Info, id: strawberry.ID | None = None,
                     external_id: str | None = None) -> gt.Person | None:
        found = await queries.person(_read(info), id, external_id)
        return None if found is None else gt.Person.of(found)

    @strawberry.field
    async def people(self, info: Info, unit_id: strawberry.ID | None = None, search: str | None = None,
                     include_archived: bool = False, first: int = 50, after: str | None = None
                     ) -> gt.PersonConnection:
        page = await queries.people(_read(info), unit_id, search, include_archived, first, after)
        return _page(gt.PersonConnection, page, gt.Person.of)

    @strawberry.field
    async def teams(self, info: Info, unit_id: strawberry.ID | None = None, include_archived: bool = False,
                    first: int = 100, after: str | None = None) -> gt.TeamConnection:
        page = paginate(await queries.teams(_read(info), unit_id, include_archived), first, after)
        return _page(gt.TeamConnection, page, gt.Team.of)

    @strawberry.field
    async def team(self, info: Info, id: strawberry.ID) -> gt.Team | None:
        found = await queries.get(_read(info), "team", model.Team, id)
        return None if found is None else gt.Team.of(found)

    @strawberry.field(description="The decision-area catalogue; cursor-paginated by id.")
    async def decision_areas(self, info: Info, include_archived: bool = False, first: int = 100,
                             after: str | None = None) -> gt.DecisionAreaConnection:
        page = paginate(await queries.areas(_read(info), include_archived), first, after)
        return _page(gt.DecisionAreaConnection, page, gt.DecisionArea.of)

    @strawberry.field
    async def decision_area(self, info: Info, id: strawberry.ID | None = None,
                            key: str | None = None) -> gt.DecisionArea | None:
        found = await queries.area(_read(info), id, key)
        return None if found is None else gt.DecisionArea.of(found)

    @strawberry.field(description="The involvement scale 1-7 with Danish and English labels.")
    def involvement_levels(self) -> list[gt.InvolvementLevel]:
        return [gt.InvolvementLevel.of(lv.number) for lv in levels.LEVELS]

    @strawberry.field(description="Delegations, filtered; cursor-paginated by id.")
    async def delegations(self, info: Info, filter: gi.DelegationFilter | None = None, first: int = 50,
                          after: str | None = None) -> gt.DelegationConnection:
        page = await queries.delegations(_read(info), filter or gi.DelegationFilter(), first, after)
        return _page(gt.DelegationConnection, page, gt.Delegation.of)

    @strawberry.field
    async def delegation(self, info: Info, id: strawberry.ID) -> gt.Delegation | None:
        found = await queries.get(_read(info), "delegation", model.Delegation, id)
        return None if found is None else gt.Delegation.of(found)

    @strawberry.field(description="Red lines binding a unit (set there or above) for an area (or any area).")
    async def red_lines_in_force(self, info: Info, unit_id: strawberry.ID,
                                 area_id: strawberry.ID | None = None) -> list[gt.RedLine]:
        ctx = _read(info)
        found = await red_line_uc.in_force(ctx, parse_uuid(unit_id, "unitId"),
                                           None if area_id is None else parse_uuid(area_id, "areaId"))
        return [gt.RedLine.of(r) for r in found]

    @strawberry.field(description="A unit's or a team's shared frame (kerneopgave and fælles spilleregler); null "
                                  "when it has none.")
    async def unit_frame(self, info: Info, unit_id: strawberry.ID | None = None,
                         team_id: strawberry.ID | None = None) -> gt.UnitFrame | None:
        found = await frame_uc.frame_of(_read(info), gi.opt_uuid(unit_id, "unitId"), gi.opt_uuid(team_id, "teamId"))
        return None if found is None else gt.UnitFrame.of(found)

    @strawberry.field
    async def red_line(self, info: Info, id: strawberry.ID) -> gt.RedLine | None:
        found = await queries.get(_read(info), "red_line", model.RedLine, id)
        return None if found is None else gt.RedLine.of(found)

    @strawberry.field(description="Audit: changes filtered by entity, type, actor (person:<id> or apikey:<id>, also "
                                  "matching on-behalf-of), unit subtree and time. Administrators and auditors.")
    async def audit_history(self, info: Info, entity_id: strawberry.ID | None = None, entity_type: str | None = None,
                            actor: str | None = None, unit_id: strawberry.ID | None = None,
                            since: datetime | None = None, until: datetime | None = None, first: int = 50,
                            after: str | None = None) -> gt.HistoryConnection:
        page = await queries.audit(_read(info), entity_id=entity_id, entity_type=entity_type, actor=actor,
                                   unit_id=unit_id, since=since, until=until, first=first, after=after)
        return _page(gt.HistoryConnection, page, gt.HistoryEntry.of)

    @strawberry.field(description="Every recorded change to one entity, oldest first.")
    async def history(self, info: Info, entity_id: strawberry.ID, first: int = 50,
                      after: str | None = None) -> gt.HistoryConnection:
        page = await queries.history(_read(info), entity_id, first, after)
        return _page(gt.HistoryConnection, page, gt.HistoryEntry.of)


UnitPayload = payload("UnitPayload", unit=gt.Unit)
PersonPayload = payload("PersonPayload", person=gt.Person)
MembershipPayload = payload("MembershipPayload", membership=gt.Membership)
TeamPayload = payload("TeamPayload", team=gt.Team)
TeamMemberPayload = payload("TeamMemberPayload", team_member=gt.TeamMember)
DecisionAreaPayload = payload("DecisionAreaPayload", decision_area=gt.DecisionArea)
DelegationPayload = payload("DelegationPayload", delegation=gt.Delegation)
RedLinePayload = payload("RedLinePayload", red_line=gt.RedLine)
UnitFramePayload = payload("UnitFramePayload", unit_frame=gt.UnitFrame)

UnitResult = result("UnitResult", UnitPayload)
PersonResult = result("PersonResult", PersonPayload)
MembershipResult = result("MembershipResult", MembershipPayload)
TeamResult = result("TeamResult", TeamPayload)
TeamMemberResult = result("TeamMemberResult", TeamMemberPayload)
DecisionAreaResult = result("DecisionAreaResult", DecisionAreaPayload)
DelegationResult = result("DelegationResult", DelegationPayload)
RedLineResult = result("RedLineResult", RedLinePayload)
UnitFrameResult = result("UnitFrameResult", UnitFramePayload)


def _uid(value, field: str = "id") -> UUID:
    return parse_uuid(value, field)


@strawberry.type
class Mutation:
    # --- units
    @strawberry.mutation
    @typed_errors
    async def create_unit(self, info: Info, input: gi.CreateUnitInput) -> UnitResult:
        r = await org_uc.create_unit(_ctx(info), name=input.name, kind=input.kind.value,
                                     parent_id=gi.opt_uuid(input.parent_id, "parentId"),
                                     external_id=input.external_id, deputies_may_delegate=input.deputies_may_delegate)
        return UnitPayload(unit=gt.Unit.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Rename, re-kind or move a unit; a move that would create a cycle is refused.")
    @typed_errors
    async def update_unit(self, info: Info, id: strawberry.ID, version: int, input: gi.UpdateUnitInput) -> UnitResult:
        r = await org_uc.update_unit(_ctx(info), _uid(id), version, gi.changes_of(input, ("parent_id",)))
        return UnitPayload(unit=gt.Unit.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_unit(self, info: Info, id: strawberry.ID, version: int) -> UnitResult:
        r = await org_uc.archive_unit(_ctx(info), _uid(id), version)
        return UnitPayload(unit=gt.Unit.of(r.value), revision=r.revision)

    # --- people
    @strawberry.mutation
    @typed_errors
    async def create_person(self, info: Info, input: gi.CreatePersonInput) -> PersonResult:
        r = await org_uc.create_person(_ctx(info), external_id=input.external_id, name=input.name, email=input.email,
                                       roles=tuple(x.value for x in input.roles))
        return PersonPayload(person=gt.Person.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def update_person(self, info: Info, id: strawberry.ID, version: int,
                            input: gi.UpdatePersonInput) -> PersonResult:
        r = await org_uc.update_person(_ctx(info), _uid(id), version, gi.changes_of(input))
        return PersonPayload(person=gt.Person.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_person(self, info: Info, id: strawberry.ID, version: int) -> PersonResult:
        r = await org_uc.archive_person(_ctx(info), _uid(id), version)
        return PersonPayload(person=gt.Person.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Set (add or replace) the person's alias of a kind. A value names one person: "
                                      "another person's alias or external id is refused (alias_taken).")
    @typed_errors
    async def set_person_alias(self, info: Info, person_id: strawberry.ID, kind: gt.PersonAliasKind,
                               value: str) -> PersonResult:
        r = await alias_uc.set_alias(_ctx(info), person_id=_uid(person_id, "personId"), kind=kind.value, value=value)
        return PersonPayload(person=gt.Person.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Remove the person's alias of a kind.")
    @typed_errors
    async def remove_person_alias(self, info: Info, person_id: strawberry.ID,
                                  kind: gt.PersonAliasKind) -> PersonResult:
        r = await alias_uc.remove_alias(_ctx(info), person_id=_uid(person_id, "personId"), kind=kind.value)
        return PersonPayload(person=gt.Person.of(r.value), revision=r.revision)

    # --- memberships
    @strawberry.mutation
    @typed_errors
    async def add_membership(self, info: Info, input: gi.AddMembershipInput) -> MembershipResult:
        r = await org_uc.add_membership(_ctx(info), person_id=_uid(input.person_id, "personId"),
                                        unit_id=_uid(input.unit_id, "unitId"), role=input.role.value,
                                        valid_from=input.valid_from, valid_to=input.valid_to)
        return MembershipPayload(membership=gt.Membership.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def update_membership(self, info: Info, id: strawberry.ID, version: int,
                                input: gi.UpdateMembershipInput) -> MembershipResult:
        r = await org_uc.update_membership(_ctx(info), _uid(id), version, gi.changes_of(input))
        return MembershipPayload(membership=gt.Membership.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_membership(self, info: Info, id: strawberry.ID, version: int) -> MembershipResult:
        r = await org_uc.archive_membership(_ctx(info), _uid(id), version)
        return MembershipPayload(membership=gt.Membership.of(r.value), revision=r.revision)

    # --- teams
    @strawberry.mutation
    @typed_errors
    async def create_team(self, info: Info, input: gi.CreateTeamInput) -> TeamResult:
        r = await org_uc.create_team(_ctx(info), unit_id=_uid(input.unit_id, "unitId"), name=input.name)
        return TeamPayload(team=gt.Team.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def update_team(self, info: Info, id: strawberry.ID, version: int, input: gi.UpdateTeamInput) -> TeamResult:
        r = await org_uc.update_team(_ctx(info), _uid(id), version, gi.changes_of(input, ("unit_id",)))
        return TeamPayload(team=gt.Team.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_team(self, info: Info, id: strawberry.ID, version: int) -> TeamResult:
        r = await org_uc.archive_team(_ctx(info), _uid(id), version)
        return TeamPayload(team=gt.Team.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def add_team_member(self, info: Info, input: gi.AddTeamMemberInput) -> TeamMemberResult:
        r = await org_uc.add_team_member(_ctx(info), team_id=_uid(input.team_id, "teamId"),
                                         person_id=_uid(input.person_id, "personId"), valid_from=input.valid_from,
                                         valid_to=input.valid_to)
        return TeamMemberPayload(team_member=gt.TeamMember.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def update_team_member(self, info: Info, id: strawberry.ID, version: int,
                                 input: gi.UpdateTeamMemberInput) -> TeamMemberResult:
        r = await org_uc.update_team_member(_ctx(info), _uid(id), version, gi.changes_of(input))
        return TeamMemberPayload(team_member=gt.TeamMember.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_team_member(self, info: Info, id: strawberry.ID, version: int) -> TeamMemberResult:
        r = await org_uc.archive_team_member(_ctx(info), _uid(id), version)
        return TeamMemberPayload(team_member=gt.TeamMember.of(r.value), revision=r.revision)

    # --- decision areas
    @strawberry.mutation
    @typed_errors
    async def create_decision_area(self, info: Info, input: gi.CreateDecisionAreaInput) -> DecisionAreaResult:
        r = await org_uc.create_area(
            _ctx(info), key=input.key, name_da=input.name_da, name_en=input.name_en,
            parent_id=gi.opt_uuid(input.parent_id, "parentId"), description=input.description, kle=input.kle,
            attributes=[a.to_domain() for a in input.attributes], delegable=input.delegable,
            reserved_unit_id=gi.opt_uuid(input.reserved_unit_id, "reservedUnitId"))
        return DecisionAreaPayload(decision_area=gt.DecisionArea.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def update_decision_area(self, info: Info, id: strawberry.ID, version: int,
                                   input: gi.UpdateDecisionAreaInput) -> DecisionAreaResult:
        attributes = input.attributes
        input.attributes = gi.UNSET
        changes = gi.changes_of(input, ("parent_id", "reserved_unit_id"))
        if attributes is not gi.UNSET:
            changes["attributes"] = [a.to_domain() for a in attributes or []]
        r = await org_uc.update_area(_ctx(info), _uid(id), version, changes)
        return DecisionAreaPayload(decision_area=gt.DecisionArea.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_decision_area(self, info: Info, id: strawberry.ID, version: int) -> DecisionAreaResult:
        r = await org_uc.archive_area(_ctx(info), _uid(id), version)
        return DecisionAreaPayload(decision_area=gt.DecisionArea.of(r.value), revision=r.revision)

    # --- red lines
    @strawberry.mutation(description="Add a red line in a unit you lead (or as an administrator).")
    @typed_errors
    async def create_red_line(self, info: Info, input: gi.CreateRedLineInput) -> RedLineResult:
        r = await red_line_uc.create_red_line(
            _ctx(info), unit_id=_uid(input.unit_id, "unitId"), area_id=_uid(input.area_id, "areaId"),
            condition=input.condition, consequence=input.consequence, set_by=input.set_by.value, why=input.why,
            review_date=input.review_date)
        return RedLinePayload(red_line=gt.RedLine.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Set a unit's or a team's shared frame (its leader chain, or a stand-in for "
                                     "it). `version`: the frame's version as read (0 or null for the first).")
    @typed_errors
    async def set_unit_frame(self, info: Info, input: gi.SetUnitFrameInput, version: int | None = None
                             ) -> UnitFrameResult:
        r = await frame_uc.set_frame(_ctx(info), frame_uc.FrameInput(
            unit_id=gi.opt_uuid(input.unit_id, "unitId"), team_id=gi.opt_uuid(input.team_id, "teamId"),
            core_task=input.core_task, rules=tuple(input.rules), agreed_on=input.agreed_on,
            agreed_how=input.agreed_how), version=version)
        return UnitFramePayload(unit_frame=gt.UnitFrame.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Change a red line; needs authority where it was set.")
    @typed_errors
    async def update_red_line(self, info: Info, id: strawberry.ID, version: int,
                              input: gi.UpdateRedLineInput) -> RedLineResult:
        r = await red_line_uc.update_red_line(_ctx(info), _uid(id), version,
                                              gi.changes_of(input, ("unit_id", "area_id")))
        return RedLinePayload(red_line=gt.RedLine.of(r.value), revision=r.revision)

    @strawberry.mutation
    @typed_errors
    async def archive_red_line(self, info: Info, id: strawberry.ID, version: int) -> RedLineResult:
        r = await red_line_uc.archive_red_line(_ctx(info), _uid(id), version)
        return RedLinePayload(red_line=gt.RedLine.of(r.value), revision=r.revision)

    # --- delegations
    @strawberry.mutation(description="Declare a delegation; you (the authenticated person) are the delegator.")
    @typed_errors
    async def declare_delegation(self, info: Info, input: gi.DeclareDelegationInput) -> DelegationResult:
        data = delegation_uc.DeclareInput(
            delegate_person_id=gi.opt_uuid(input.delegate_person_id, "delegatePersonId"),
            delegate_team_id=gi.opt_uuid(input.delegate_team_id, "delegateTeamId"),
            area_id=_uid(input.area_id, "areaId"), unit_id=_uid(input.unit_id, "unitId"),
            include_subunits=input.include_subunits, level=input.level, purpose=input.purpose,
            trust=(input.trust or gi.TrustBasisInput()).to_domain(),
            control=(input.control or gi.ControlInput()).to_domain(), rules=tuple(input.rules),
            valid_from=input.valid_from, valid_until=input.valid_until, review_date=input.review_date,
            allow_subdelegation=input.allow_subdelegation, max_subdelegation_depth=input.max_subdelegation_depth,
            parent_id=gi.opt_uuid(input.parent_id, "parentId"), conditions=gi.conditions_of(input.conditions),
            next_step=None if input.next_step is None else input.next_step.to_domain(),
            offer=input.offer, request_id=gi.opt_uuid(input.request_id, "requestId"))
        r = await delegation_uc.declare(_ctx(info), data)
        return DelegationPayload(delegation=gt.Delegation.of(r.value), revision=r.revision)

    @strawberry.mutation(description="A new version of a delegation (the old one stays in history).")
    @typed_errors
    async def amend_delegation(self, info: Info, id: strawberry.ID, version: int,
                               input: gi.AmendDelegationInput) -> DelegationResult:
        changes = gi.amend_changes(input)
        r = await delegation_uc.amend(_ctx(info), _uid(id), version, changes)
        return DelegationPayload(delegation=gt.Delegation.of(r.value), revision=r.revision)

    @strawberry.mutation(description="Revoke a delegation and all its sub-delegations, with a reason.")
    @typed_errors
    async def revoke_delegation(self, info: Info, id: strawberry.ID, version: int, reason: str) -> DelegationResult:
        r = await delegation_uc.revoke(_ctx(info), _uid(id), version, reason)
        return DelegationPayload(delegation=gt.Delegation.of(r.value), revision=r.revision)


class RegistrySchema(strawberry.Schema):
    def process_errors(self, errors_, execution_context=None) -> None:
        """Give every error a code clients can branch on. The caller's mistakes (invalid documents and
        variables) keep graphql-core's message; a lost database is `unavailable` (HTTP 503, see
        registry.api.graphql.http); anything else is logged with an incident id and masked (`_Mask`)."""
        for error in errors_:
            original = error.original_error
            if isinstance(original, errors.RegistryError):
                error.extensions = {**(error.extensions or {}), "code": original.code, "field": original.field}
            elif original is None or isinstance(original, GraphQLError):
                # Validation, and variables that cannot be coerced (missing, wrong type, unknown enum
                # value, null for non-null): graphql-core wraps its own error as the original.
                error.extensions = {**(error.extensions or {}), "code": _validation_code(error.message)}
            elif connection_lost(original):
                log.warning("database unavailable in GraphQL %s: %s", error.path, type(original).__name__)
                error.extensions = {"code": "unavailable"}
            else:
                incident = uuid.uuid4().hex[:12]
                log.error("unexpected error %s in GraphQL %s", incident, error.path,
                          exc_info=(type(original), original, original.__traceback__))
                error.extensions = {"code": "internal", "incident": incident}
            own = original.message_da if isinstance(original, errors.RegistryError) else None
            error.extensions["messageDa"] = texts.error_da(error.extensions.get("code"), own)


# The request limits say which one was hit; every other validation error is graphql_validation.
_LIMIT_CODES = (("exceeds maximum operation depth", "query_too_deep"), ("aliases found", "too_many_aliases"),
                ("tokens. parsing aborted", "too_many_tokens"))


def _validation_code(message: str) -> str:
    lowered = message.lower()
    return next((code for fragment, code in _LIMIT_CODES if fragment in lowered), "graphql_validation")


# graphql-core's suggestions ("Did you mean 'person'?", "... the enum value 'DECIDE'?") name the schema's
# fields, arguments, types and values: what introspection would tell.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _Mask(MaskErrors):
    """Unexpected errors become "Internal error" with their incident id (the log has the rest); a lost
    database says so. Without introspection, validation messages lose their suggestions."""

    def __init__(self, hide_suggestions: bool):
        super().__init__(should_mask_error=self._rewritten)
        self.hide_suggestions = hide_suggestions

    def _rewritten(self, error: GraphQLError) -> bool:
        code = (error.extensions or {}).get("code")
        return code in (None, "internal") or (code == "unavailable" and error.original_error is not None) or \
            (self.hide_suggestions and "Did you mean" in error.message)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        extensions = error.extensions or {}
        code = extensions.get("code")
        if code == "internal":
            message = f"Internal error (incident {extensions['incident']}); it has been logged."
        elif code == "unavailable":
            message = DATABASE_UNAVAILABLE
        elif code is None:  # (process_errors gives every error a code; never pass on an uncoded one)
            message, extensions = "Internal error; it has been logged.", {"code": "internal"}
        else:
            message = _SUGGESTION.sub("", error.message)
        return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions=extensions)


class _BoundLists(SchemaExtension):
    """A list in the variables longer than a batch may be (registry.services.checks.MAX_BATCH) is refused
    with `too_many` before graphql-core coerces it: coercing 16.000 check inputs alone holds the server
    for half a second. (Lists written into the document are bounded by its token limit.)"""

    def on_execute(self) -> Iterator[None]:
        name = _long_list(self.execution_context.variables)
        if name is not None:
            refusal = errors.Invalid(f"at most {check_uc.MAX_BATCH} items in a list (e.g. the checks of one request)",
                                     field=name, code="too_many")
            self.execution_context.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, original_error=refusal)])
        yield


def _long_list(variables: dict | None) -> str | None:
    """The name of the variable that holds (at any depth) a list longer than MAX_BATCH, if any."""
    for name, value in (variables or {}).items():
        stack = [value]
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is list:
                if len(item) > check_uc.MAX_BATCH:
                    return name
                stack.extend(item)
            elif kind is dict:
                stack.extend(item.values())
    return None


def create_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema; with settings, the request limits and introspection switch they configure."""
    settings = settings or Settings()
    return _schema(settings.graphql_max_depth, settings.graphql_max_tokens, settings.graphql_max_aliases,
                   settings.introspection)


@functools.lru_cache(maxsize=16)
def _schema(max_depth: int, max_tokens: int, max_aliases: int, introspection: bool) -> strawberry.Schema:
    """Built once per process for each set of limits: building it takes a tenth of a second (the test
    suite creates an app per test), and the schema keeps no state of its own (extensions are made
    fresh per request)."""
    limits = [lambda: QueryDepthLimiter(max_depth=max_depth),
              lambda: MaxTokensLimiter(max_token_count=max_tokens),
              lambda: MaxAliasesLimiter(max_alias_count=max_aliases)]
    if not introspection:
        limits.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    query = merge_types("Query", (Query, CheckQuery, TrustQuery, DecisionLogQuery, PersonalDataQuery,
                                  OrganisationQuery, LeaderCardQuery, OfferQuery, SyncRunQuery, MailQuery))
    mutation = merge_types("Mutation", (Mutation, TrustMutation, PersonalDataMutation, OrganisationMutation,
                                        LeaderCardMutation, OfferMutation, MailMutation))
    put_doors(query, mutation)  # registry.api.authorization: every query, mutation and link into the organisation
    return RegistrySchema(
        query=query, mutation=mutation, types=list(ERROR_TYPES),
        # Factories: strawberry builds fresh extensions per request; the parser and validation caches
        # live at module level (keyed by maxsize), so they are still shared across requests.
        extensions=[lambda: ParserCache(maxsize=256), *limits, lambda: ValidationCache(maxsize=256), _BoundLists,
                    lambda: _Mask(hide_suggestions=not introspection)])

