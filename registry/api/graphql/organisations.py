"""GraphQL for organisations (tenants): the platform operator's create, list and archive."""

from __future__ import annotations

import strawberry

from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.results import payload, result, typed_errors
from registry.services import organisations as organisation_uc


@strawberry.input(description="The organisation's first administrator: a person with the ADMIN role.")
class OrganisationAdminInput:
    external_id: str = strawberry.field(description="The identity provider's subject (`sub`) for her.")
    name: str | None = strawberry.field(default=None, description="Default: the external id.")
    email: str | None = None


@strawberry.input
class CreateOrganisationInput:
    key: str = strawberry.field(description="1-63 characters of a-z, 0-9, - and _; the `tenant` claim of tokens.")
    name: str
    kind: gt.OrganisationKind = gt.OrganisationKind.KOMMUNE
    admin: OrganisationAdminInput | None = None


@strawberry.type(description="The administrator created with an organisation (what the platform operator gave; "
                              "nothing else inside the organisation is shown to it).")
class OrganisationAdmin:
    id: strawberry.ID
    external_id: str
    name: str


OrganisationPayload = payload("OrganisationPayload", organisation=gt.Organisation)
CreateOrganisationPayload = payload("CreateOrganisationPayload", organisation=gt.Organisation,
                                    admin=OrganisationAdmin | None)
OrganisationResult = result("OrganisationResult", OrganisationPayload)
CreateOrganisationResult = result("CreateOrganisationResult", CreateOrganisationPayload)


@strawberry.type
class OrganisationQuery:
    @strawberry.field(description="Every organisation (tenant): platform operators only.")
    async def organisations(self, info: Info, include_archived: bool = False) -> list[gt.Organisation]:
        found = await organisation_uc.organisations(info.context.ctx, include_archived=include_archived)
        return [gt.Organisation.of(o) for o in found]


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="Create an organisation, with its first administrator if given: platform "
                                     "operators only. Every server loads it without a restart.")
    @typed_errors
    async def create_organisation(self, info: Info, input: CreateOrganisationInput) -> CreateOrganisationResult:
        admin = None if input.admin is None else organisation_uc.NewAdmin(
            external_id=input.admin.external_id, name=input.admin.name, email=input.admin.email)
        r = await organisation_uc.create_organisation(info.context.ctx, key=input.key, name=input.name,
                                                      kind=input.kind.value, admin=admin)
        organisation, person = r.value
        return CreateOrganisationPayload(organisation=gt.Organisation.of(organisation),
                                         admin=None if person is None else OrganisationAdmin(
                                             id=strawberry.ID(str(person.id)), external_id=person.external_id,
                                             name=person.name), revision=r.revision)

    @strawberry.mutation(description="Archive an organisation (final): its people and API keys stop authenticating "
                                     "on every server; its data and history stay. Platform operators only.")
    @typed_errors
    async def archive_organisation(self, info: Info, key: str) -> OrganisationResult:
        r = await organisation_uc.archive_organisation(info.context.ctx, key=key)
        return OrganisationPayload(organisation=gt.Organisation.of(r.value), revision=r.revision)
