"""SCIM 2.0 (RFC 7643/7644) for identity providers: /scim/v2/Users and /scim/v2/Groups.

A thin door: scim2-models parses and renders the resources, filters, PATCH operations, list
responses and errors; every write is one of the use cases in registry.services.org. Users are
people (userName = the person's external id, the OIDC subject or UPN); Groups are teams (units come
from `registry sync`, not from SCIM). DELETE archives, never deletes: history stays.
"""

from __future__ import annotations

import json
import logging
import uuid
from uuid import UUID

from litestar import Request, Response, Router, delete, get, patch, post, put
from pydantic import ValidationError
from scim2_models import (Context, Email, Error, Filter, Group, GroupMember, ListResponse, Meta, Name, Patch,
                          PatchOp, ResourceType, ResponseParameters, SCIMException, SearchRequest,
                          ServiceProviderConfig, User)
from scim2_models import (Bulk, ChangePassword, ETag, InvalidFilterException, InvalidSyntaxException,
                          InvalidValueException, MutabilityException, Sort, UniquenessException)
from scim2_models.path import Comparison, CompareOperator
from scim2_models.resources.service_provider_config import AuthenticationScheme

from registry import errors, texts
from registry.api.authorization import principal_of, rest_door
from registry.api.errors import database_unavailable
from registry.domain.model import Person, Team, TeamMember
from registry.services import org
from registry.services.common import Ctx
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import connection_lost

log = logging.getLogger("registry.api")

BASE = "/scim/v2"
MEDIA = "application/scim+json"
MAX_COUNT = 1000
DEFAULT_COUNT = 100


# --- errors: a SCIM Error body (status, scimType, detail); the registry's code leads the detail ----

_SCIM_TYPE = {"invalid_external_id": "invalidValue", "invalid_email": "invalidValue", "too_long": "invalidValue",
              "required": "invalidValue", "conflict": "uniqueness", "duplicate": "uniqueness"}
_STATUS = {errors.Unauthenticated: 401, errors.Forbidden: 403, errors.NotFound: 404, errors.Conflict: 409,
           errors.Invalid: 400, errors.Unavailable: 503, errors.RateLimited: 429}


def _scim_response(error: Error, headers: dict | None = None) -> Response:
    return Response(error.model_dump(), status_code=int(error.status), media_type=MEDIA, headers=headers)


def _registry_error(request: Request, exc: errors.RegistryError) -> Response:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    scim_type = _SCIM_TYPE.get(exc.code, "invalidValue") if status == 400 else None
    if status == 409:
        scim_type = "uniqueness" if exc.code in ("conflict", "duplicate", "unique") else None
    detail = (f"{exc.code}: {exc.message}" + (f" (field {exc.field})" if exc.field else "")
              + f" — {texts.error_da(exc.code, exc.message_da)}")  # the Danish text, for the IdP's people
    headers = {"WWW-Authenticate": 'Bearer realm="registry"'} if status == 401 else None
    if isinstance(exc, errors.RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return _scim_response(Error(status=status, scim_type=scim_type, detail=detail), headers)


def _scim_error(request: Request, exc: SCIMException) -> Response:
    error = exc.to_error()
    if not getattr(exc, "coded", False):  # the library's own: its scimType stands for the code
        error.detail = f"{exc.scim_type or 'invalid'}: {error.detail}"
    return _scim_response(error)


def _validation_error(request: Request, exc: ValidationError) -> Response:
    found = Error.from_validation_errors(exc)
    error = found[0] if found else Error(status=400, scim_type="invalidValue", detail="invalid payload")
    error.detail = f"{error.scim_type or 'invalid_value'}: {error.detail}"
    return _scim_response(error)


def _unexpected(request: Request, exc: Exception) -> Response:
    if connection_lost(exc):
        return database_unavailable(request, exc)
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
    return _scim_response(Error(status=500, detail=f"internal: Internal error (incident {incident})."))


def http_error(request: Request, exc) -> Response:
    status = getattr(exc, "status_code", 400)
    if status >= 500:
        return _unexpected(request, exc)
    return _scim_response(Error(status=status, detail=f"bad_request: {exc.detail}"))


_EXCEPTIONS = {"invalidValue": InvalidValueException, "invalidSyntax": InvalidSyntaxException,
               "invalidFilter": InvalidFilterException, "uniqueness": UniquenessException,
               "mutability": MutabilityException}


def _invalid(message: str, code: str = "invalid_value", scim_type: str = "invalidValue") -> SCIMException:
    """One of the library's SCIM exceptions (its status and scimType), with the registry's code."""
    exc = _EXCEPTIONS[scim_type](detail=f"{code}: {message}")
    exc.coded = True
    return exc


# --- requests and responses -------------------------------------------------------------------

def _ctx(request: Request) -> Ctx:
    state = request.app.state
    return Ctx(db=state.db, principal=principal_of(request.scope), clock=state.clock)


async def _payload(request: Request) -> dict:
    body = await request.body()
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise _invalid("the body is not JSON", "invalid_json", "invalidSyntax") from None
    if not isinstance(data, dict):
        raise _invalid("the body must be a JSON object", "invalid_json", "invalidSyntax")
    return data


def _out(resource, ctx: Context, status: int = 200, location: str | None = None,
         chosen: ResponseParameters | None = None) -> Response:
    headers = {"Location": location} if location else None
    return Response(resource.model_dump(scim_ctx=ctx, response_parameters=chosen), status_code=status,
                    media_type=MEDIA, headers=headers)


def _query(request: Request) -> dict:
    return {k: v for k, v in request.query_params.items()
            if k in ("filter", "startIndex", "count", "attributes", "excludedAttributes")}


def _chosen(request: Request, model) -> ResponseParameters:
    """`attributes` and `excludedAttributes` (RFC 7644 §3.9), read by the library."""
    params = {k: v for k, v in _query(request).items() if k in ("attributes", "excludedAttributes")}
    return ResponseParameters[model].model_validate(params)


def _id(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise errors.NotFound(f"no {what} with id {value}", field="id") from None


def _meta(kind: str, record, url: str) -> Meta:
    return Meta(resource_type=kind, created=record.created_at, last_modified=record.updated_at or record.created_at,
                location=url, version=f'W/"{record.version}"')


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + BASE


# --- Users: people -----------------------------------------------------------------------------

def user_of(person: Person, base: str) -> User:
    return User(id=str(person.id), user_name=person.external_id, display_name=person.name,
                name=Name(formatted=person.name), emails=[Email(value=person.email)] if person.email else None,
                active=person.archived_at is None,
                meta=_meta("User", person, f"{base}/Users/{person.id}"))


def _person_values(user: User, current: str | None = None) -> dict:
    """The registry's fields from a SCIM User: userName is the external id; the name is displayName
    or name.formatted (whichever differs from the `current` name), else given and family name, else
    the userName."""
    names = [n for n in (user.display_name, user.name.formatted if user.name else None) if n]
    if user.name and not names:
        names = [" ".join(p for p in (user.name.given_name, user.name.family_name) if p)]
    name = next((n for n in names if n != current), current if current in names else None)
    emails = user.emails or []
    email = next((e.value for e in emails if e.primary), None) or next((e.value for e in emails if e.value), None)
    return {"external_id": user.user_name, "name": name or user.user_name, "email": email}


async def _person(ctx: Ctx, user_id: str) -> Person:
    async with ctx.db.read() as conn:
        person = await rows.get(conn, "person", Person, ctx.tenant_id, _id(user_id, "user"))
    if person.erased_at is not None:  # erased (GDPR art. 17): a pseudonym, no longer a user
        raise errors.NotFound(f"no user with id {user_id}", field="id")
    return person


async def _end_links(ctx: Ctx, person: Person) -> None:
    """A deleted user's memberships and team memberships end now (or are archived if not begun)."""
    now = ctx.now()
    async with ctx.db.read() as conn:
        memberships = await org_sql.memberships_of_people(conn, ctx.tenant_id, [person.id])
        members = rows.many(TeamMember, await conn.fetch(
            "SELECT * FROM team_member WHERE tenant_id = $1 AND person_id = $2", ctx.tenant_id, person.id))
    for m in memberships:
        if m.archived_at is None and (m.valid_to is None or m.valid_to > now):
            if m.valid_from >= now:
                await org.archive_membership(ctx, m.id, m.version)
            else:
                await org.update_membership(ctx, m.id, m.version, {"valid_to": now})
    for tm in members:
        if tm.archived_at is None and (tm.valid_to is None or tm.valid_to > now):
            if tm.valid_from >= now:
                await org.archive_team_member(ctx, tm.id, tm.version)
            else:
                await org.update_team_member(ctx, tm.id, tm.version, {"valid_to": now})


async def _apply_user(ctx: Ctx, current: Person, user: User) -> Person:
    """Write what changed between the stored person and the SCIM User (one use case per change)."""
    if user.active is True and current.archived_at is not None:
        raise _invalid("an archived person is not brought back by SCIM; an administrator creates her anew",
                       "archived", "mutability")
    values = _person_values(user, current.name)
    changes = {k: v for k, v in values.items() if v != getattr(current, k)}
    person = current
    if changes:
        person = (await org.update_person(ctx, current.id, current.version, changes)).value
    if user.active is False and person.archived_at is None:
        person = (await org.archive_person(ctx, person.id, person.version)).value
    return person


@post(f"{BASE}/Users", status_code=201)
async def create_user(request: Request) -> Response:
    ctx = _ctx(request)
    user = User.model_validate(await _payload(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    values = _person_values(user)
    async with ctx.db.read() as conn:
        if await org_sql.person_by_external_id(conn, ctx.tenant_id, values["external_id"]) is not None:
            raise _invalid(f"userName {values['external_id']!r} is taken", "duplicate", "uniqueness")
    person = (await org.create_person(ctx, **values)).value
    if user.active is False:  # provisioned as disabled: made, then archived (history shows both)
        person = (await org.archive_person(ctx, person.id, person.version)).value
    base = _base(request)
    return _out(user_of(person, base), Context.RESOURCE_CREATION_RESPONSE, 201, f"{base}/Users/{person.id}")


@get(f"{BASE}/Users/{{user_id:str}}")
async def get_user(request: Request, user_id: str) -> Response:
    person = await _person(_ctx(request), user_id)
    return _out(user_of(person, _base(request)), Context.RESOURCE_QUERY_RESPONSE, chosen=_chosen(request, User))


@put(f"{BASE}/Users/{{user_id:str}}")
async def replace_user(request: Request, user_id: str) -> Response:
    ctx = _ctx(request)
    current = await _person(ctx, user_id)
    user = User.model_validate(await _payload(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    person = await _apply_user(ctx, current, user)
    return _out(user_of(person, _base(request)), Context.RESOURCE_REPLACEMENT_RESPONSE)


@patch(f"{BASE}/Users/{{user_id:str}}")
async def patch_user(request: Request, user_id: str) -> Response:
    ctx = _ctx(request)
    current = await _person(ctx, user_id)
    operations = PatchOp[User].model_validate(await _payload(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    user = user_of(current, _base(request))
    operations.patch(user)
    if not user.user_name:
        raise _invalid("userName is required", "required")
    person = await _apply_user(ctx, current, user)
    return _out(user_of(person, _base(request)), Context.RESOURCE_PATCH_RESPONSE)


@delete(f"{BASE}/Users/{{user_id:str}}", status_code=204)
async def delete_user(request: Request, user_id: str) -> None:
    """Archive, never delete: her memberships and team memberships end now, and history stays."""
    ctx = _ctx(request)
    person = await _person(ctx, user_id)
    if person.archived_at is not None:
        raise errors.NotFound(f"no user with id {user_id}", field="id")
    await _end_links(ctx, person)
    person = await _person(ctx, user_id)
    await org.archive_person(ctx, person.id, person.version)


# --- Groups: teams -----------------------------------------------------------------------------

async def _team(ctx: Ctx, group_id: str) -> Team:
    async with ctx.db.read() as conn:
        team = await rows.get(conn, "team", Team, ctx.tenant_id, _id(group_id, "group"))
    if team.archived_at is not None:  # a deleted group is gone for SCIM (its history stays)
        raise errors.NotFound(f"no group with id {group_id}", field="id")
    return team


async def _live_members(ctx: Ctx, team_ids: list[UUID]) -> dict[UUID, list[TeamMember]]:
    now = ctx.now()
    async with ctx.db.read() as conn:
        found = await org_sql.team_members_of_teams(conn, ctx.tenant_id, team_ids)
    out: dict[UUID, list[TeamMember]] = {t: [] for t in team_ids}
    for m in found:
        if m.active_at(now):
            out[m.team_id].append(m)
    return out


def group_of(team: Team, members: list[TeamMember], base: str) -> Group:
    return Group(id=str(team.id), display_name=team.name,
                 members=[GroupMember(value=str(m.person_id), type="User", ref=f"{base}/Users/{m.person_id}")
                          for m in members] or None,
                 meta=_meta("Group", team, f"{base}/Groups/{team.id}"))


async def _member_ids(ctx: Ctx, group: Group) -> set[UUID]:
    """The people a Group names, every one a live person of this organisation (checked before writing)."""
    wanted: set[UUID] = set()
    for m in group.members or []:
        if m.type not in (None, "User"):
            raise _invalid("a team's members are people (type User)", "invalid_member")
        try:
            wanted.add(UUID(m.value or ""))
        except ValueError:
            raise _invalid(f"no user with id {m.value}", "not_found") from None
    if wanted:
        async with ctx.db.read() as conn:
            found = await rows.get_many(conn, "person", Person, ctx.tenant_id, list(wanted))
        missing = [str(i) for i in wanted if i not in found or found[i].archived_at is not None]
        if missing:
            raise _invalid(f"no user with id {', '.join(sorted(missing))}", "not_found")
    return wanted


async def _apply_group(ctx: Ctx, team: Team, group: Group) -> Team:
    wanted = await _member_ids(ctx, group)  # before anything is written
    if not group.display_name:
        raise _invalid("displayName is required", "required")
    if group.display_name != team.name:
        team = (await org.update_team(ctx, team.id, team.version, {"name": group.display_name})).value
    now = ctx.now()
    live = (await _live_members(ctx, [team.id]))[team.id]
    have = {m.person_id for m in live}
    for m in live:
        if m.person_id not in wanted:
            if m.valid_from >= now:
                await org.archive_team_member(ctx, m.id, m.version)
            else:
                await org.update_team_member(ctx, m.id, m.version, {"valid_to": now})
    for person_id in sorted(wanted - have):
        await org.add_team_member(ctx, team_id=team.id, person_id=person_id, valid_from=None, valid_to=None)
    return team


async def _root_unit(ctx: Ctx) -> UUID:
    """Where a team made by SCIM is placed: the organisation's top unit (an administrator moves it)."""
    async with ctx.db.read() as conn:
        roots = await conn.fetch("SELECT id FROM org_unit WHERE tenant_id = $1 AND parent_id IS NULL"
                                 " AND archived_at IS NULL", ctx.tenant_id)
    if len(roots) != 1:
        raise errors.Invalid("the organisation has no single top unit to place the team under",
                             field="unitId", code="unit_required")
    return roots[0]["id"]


async def _group_response(ctx: Ctx, request: Request, team: Team, scim_ctx: Context, status: int = 200,
                          location: bool = False, chosen: ResponseParameters | None = None) -> Response:
    base = _base(request)
    async with ctx.db.read() as conn:
        team = await rows.get(conn, "team", Team, ctx.tenant_id, team.id)
    members = (await _live_members(ctx, [team.id]))[team.id]
    return _out(group_of(team, members, base), scim_ctx, status, f"{base}/Groups/{team.id}" if location else None,
                chosen)


@post(f"{BASE}/Groups", status_code=201)
async def create_group(request: Request) -> Response:
    ctx = _ctx(request)
    group = Group.model_validate(await _payload(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    await _member_ids(ctx, group)
    unit_id = await _root_unit(ctx)
    team = (await org.create_team(ctx, unit_id=unit_id, name=group.display_name)).value
    team = await _apply_group(ctx, team, group)
    return await _group_response(ctx, request, team, Context.RESOURCE_CREATION_RESPONSE, 201, location=True)


@get(f"{BASE}/Groups/{{group_id:str}}")
async def get_group(request: Request, group_id: str) -> Response:
    ctx = _ctx(request)
    return await _group_response(ctx, request, await _team(ctx, group_id), Context.RESOURCE_QUERY_RESPONSE,
                                 chosen=_chosen(request, Group))


@put(f"{BASE}/Groups/{{group_id:str}}")
async def replace_group(request: Request, group_id: str) -> Response:
    ctx = _ctx(request)
    team = await _team(ctx, group_id)
    group = Group.model_validate(await _payload(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    team = await _apply_group(ctx, team, group)
    return await _group_response(ctx, request, team, Context.RESOURCE_REPLACEMENT_RESPONSE)


@patch(f"{BASE}/Groups/{{group_id:str}}")
async def patch_group(request: Request, group_id: str) -> Response:
    ctx = _ctx(request)
    team = await _team(ctx, group_id)
    operations = PatchOp[Group].model_validate(await _payload(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    group = group_of(team, (await _live_members(ctx, [team.id]))[team.id], _base(request))
    operations.patch(group)
    team = await _apply_group(ctx, team, group)
    return await _group_response(ctx, request, team, Context.RESOURCE_PATCH_RESPONSE)


@delete(f"{BASE}/Groups/{{group_id:str}}", status_code=204)
async def delete_group(request: Request, group_id: str) -> None:
    """Archive the team, never delete it (its members' history stays)."""
    ctx = _ctx(request)
    team = await _team(ctx, group_id)
    await org.archive_team(ctx, team.id, team.version)


# --- lists: filter, startIndex, count ----------------------------------------------------------

# An `eq` on one of these is answered by the database alone (userName and displayName compare
# case-insensitively, RFC 7643 §2.1); any other filter is matched by the library on every resource.
_COLUMNS = {"User": {"username": ("external_id", True), "externalid": ("external_id", False),
                     "displayname": ("name", True)},
            "Group": {"displayname": ("name", True)}}


async def _search(request: Request, model, body: dict | None = None):
    params = body if body is not None else _query(request)
    return SearchRequest[model].model_validate(params, scim_ctx=Context.SEARCH_REQUEST)


def _narrowing(search, kind: str) -> tuple[str, list]:
    """SQL for a filter that is one `eq` on a column the registry keeps; else none."""
    node = search.filter.ast if search.filter is not None else None
    if isinstance(node, Comparison) and node.op == CompareOperator.eq and isinstance(node.value, str):
        found = _COLUMNS[kind].get(str(node.attr_path).lower())
        if found is not None:
            column, folded = found
            return (f" AND lower({column}) = lower($2)" if folded else f" AND {column} = $2"), [node.value]
    return "", []


def _page(search) -> tuple[int, int]:
    start = search.start_index or 1
    return start, min(MAX_COUNT, DEFAULT_COUNT if search.count is None else search.count)


def _listing(search, page: list, total: int, model) -> Response:
    listing = ListResponse[model](total_results=total, start_index=_page(search)[0], items_per_page=len(page),
                                  resources=page or None)
    return Response(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search),
                    media_type=MEDIA)


async def _found(ctx: Ctx, search, kind: str, table: str, where: str, to_resource) -> tuple[list, int]:
    """One page of resources and how many there are. Without a filter, or with an `eq` the database
    answers, the database pages too; any other filter is matched by the library on every row."""
    narrow, args = _narrowing(search, kind)
    start, count = _page(search)
    base_sql = f"FROM {table} WHERE tenant_id = $1 AND {where}{narrow}"
    paged = search.filter is None or bool(narrow)
    async with ctx.db.read() as conn:
        if paged:
            total = await conn.fetchval(f"SELECT count(*) {base_sql}", ctx.tenant_id, *args)
            found = await conn.fetch(f"SELECT * {base_sql} ORDER BY created_at, id OFFSET {start - 1} LIMIT {count}",
                                     ctx.tenant_id, *args)
        else:
            found = await conn.fetch(f"SELECT * {base_sql} ORDER BY created_at, id", ctx.tenant_id, *args)
    if paged:
        return await to_resource(found), total
    matching = [r for r in await to_resource(found) if search.filter.match(r)]
    return matching[start - 1:start - 1 + count], len(matching)


async def _users(request: Request, search) -> Response:
    ctx, base = _ctx(request), _base(request)

    async def users(found) -> list:
        return [user_of(p, base) for p in rows.many(Person, found)]
    page, total = await _found(ctx, search, "User", "person", "erased_at IS NULL", users)
    return _listing(search, page, total, User)


async def _groups(request: Request, search) -> Response:
    ctx, base = _ctx(request), _base(request)

    async def groups(found) -> list:
        teams = rows.many(Team, found)
        members = await _live_members(ctx, [t.id for t in teams])
        return [group_of(t, members[t.id], base) for t in teams]
    page, total = await _found(ctx, search, "Group", "team", "archived_at IS NULL", groups)
    return _listing(search, page, total, Group)


@get(f"{BASE}/Users")
async def list_users(request: Request) -> Response:
    return await _users(request, await _search(request, User))


@post(f"{BASE}/Users/.search", status_code=200)
async def search_users(request: Request) -> Response:
    return await _users(request, await _search(request, User, await _payload(request)))


@get(f"{BASE}/Groups")
async def list_groups(request: Request) -> Response:
    return await _groups(request, await _search(request, Group))


@post(f"{BASE}/Groups/.search", status_code=200)
async def search_groups(request: Request) -> Response:
    return await _groups(request, await _search(request, Group, await _payload(request)))


@post(f"{BASE}/.search", status_code=501)
async def search_everything(request: Request) -> Response:
    """A search across resource types (RFC 7644 §3.4.3, at the root) is not offered: 501."""
    return _scim_response(Error(status=501, detail="not_implemented: search /Users/.search or /Groups/.search"))


# --- discovery ---------------------------------------------------------------------------------

def service_provider_config(base: str) -> ServiceProviderConfig:
    """Only what works: PATCH and filtering; no bulk, sort, ETags or password changes."""
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT), change_password=ChangePassword(supported=False),
        sort=Sort(supported=False), etag=ETag(supported=False),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="API key",
            description="An API key with the scim scope: registry apikey create --scope scim", primary=True)],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"))


def _resource_types(base: str) -> list[ResourceType]:
    out = []
    for model, endpoint in ((User, "/Users"), (Group, "/Groups")):
        rt = ResourceType.from_resource(model)
        rt.endpoint = endpoint
        rt.schema_extensions = None
        rt.meta = Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{rt.id}")
        out.append(rt)
    return out


# What the registry keeps of each resource: the published schemas list these only, so a client (and
# scim2-tester) never expects the rest back. Sub-attributes: name.formatted, emails.value, members'.
KEPT = {"User": {"userName": None, "name": {"formatted"}, "displayName": None, "emails": {"value"},
                 "active": None},
        "Group": {"displayName": None, "members": {"value", "type", "$ref"}}}


def _restricted(schema):
    kept = KEPT[schema.name]
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        if kept[attribute.name] is not None and attribute.sub_attributes:
            attribute.sub_attributes = [a for a in attribute.sub_attributes if a.name in kept[attribute.name]]
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def _schemas(base: str) -> list:
    out = []
    for model in (User, Group):
        schema = _restricted(model.to_schema())
        schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
        out.append(schema)
    return out


@get(f"{BASE}/ServiceProviderConfig")
async def get_service_provider_config(request: Request) -> Response:
    return _out(service_provider_config(_base(request)), Context.RESOURCE_QUERY_RESPONSE)


@get(f"{BASE}/ResourceTypes")
async def list_resource_types(request: Request) -> Response:
    found = _resource_types(_base(request))
    return _listing(SearchRequest[ResourceType](), found, len(found), ResourceType)


@get(f"{BASE}/ResourceTypes/{{name:str}}")
async def get_resource_type(request: Request, name: str) -> Response:
    found = next((rt for rt in _resource_types(_base(request)) if rt.id == name), None)
    if found is None:
        raise errors.NotFound(f"no resource type {name}", field="name")
    return _out(found, Context.RESOURCE_QUERY_RESPONSE)


@get(f"{BASE}/Schemas")
async def list_schemas(request: Request) -> Response:
    found = _schemas(_base(request))
    from scim2_models import Schema
    return _listing(SearchRequest[Schema](), found, len(found), Schema)


@get(f"{BASE}/Schemas/{{schema_id:str}}")
async def get_schema(request: Request, schema_id: str) -> Response:
    found = next((s for s in _schemas(_base(request)) if s.id == schema_id), None)
    if found is None:
        raise errors.NotFound(f"no schema {schema_id}", field="id")
    return _out(found, Context.RESOURCE_QUERY_RESPONSE)


ROUTES = [create_user, get_user, replace_user, patch_user, delete_user, list_users, search_users,
          create_group, get_group, replace_group, patch_group, delete_group, list_groups, search_groups,
          search_everything,
          get_service_provider_config, list_resource_types, get_resource_type, list_schemas, get_schema]


def scim_router() -> Router:
    """Its own router: the same door as every REST route, with SCIM-shaped errors."""
    from litestar.exceptions import HTTPException
    # SCIM describes itself (ServiceProviderConfig, ResourceTypes, Schemas): not in the OpenAPI document.
    return Router(path="/", route_handlers=ROUTES, guards=[rest_door], include_in_schema=False,
                  exception_handlers={errors.RegistryError: _registry_error, SCIMException: _scim_error,
                                      ValidationError: _validation_error, HTTPException: http_error,
                                      Exception: _unexpected})

