"""The doors: every REST route and every GraphQL query and mutation is checked here, by
registry.access, before its handler runs. Use cases check the caller's relation to the target."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import MethodNotAllowedException
from litestar.handlers.base import BaseRouteHandler
from strawberry.extensions import FieldExtension

from registry import errors, logs
from registry.access import access
from registry.api.graphql.results import to_error
from registry.auth import Principal, authenticate

PRINCIPAL = "registry.principal"  # where the REST door leaves the caller, in the ASGI scope
_TYPED_PARAM = re.compile(r"\{(\w+):\w+\}")
GRAPHQL_PATH = "/graphql"


@functools.lru_cache(maxsize=256)
def rest_operation(method: str, path_template: str) -> str:
    """The policy's name for a route: "GET /casbin/{tenant}/policy.csv"."""
    return f"{method} {_TYPED_PARAM.sub(_untyped, path_template)}"


def _untyped(match: re.Match) -> str:
    return "{" + match.group(1) + "}"


async def rest_door(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A litestar guard on every routed handler. GraphQL has its own door, per field (below)."""
    scope = connection.scope
    if scope["path_template"] == GRAPHQL_PATH or scope["method"] == "OPTIONS":
        return  # GraphQL's door is per field; OPTIONS (CORS preflight) carries no data
    await admit(scope, connection.app.state, connection.headers.get)


async def admit(scope, state, header: Callable[[str], str | None]) -> None:
    """Let the request in, or refuse it: the door itself. The raw ASGI evaluation route (the check
    path) calls it directly, without a guard's per-request connection object and handler copy."""
    op = rest_operation(scope["method"], scope["path_template"])
    rules = access()
    if op not in rules.operations:  # only a raw ASGI route answers every method: this is not one of them
        raise MethodNotAllowedException()
    if rules.may(None, op):
        return
    who = await authenticate(state.db, state.verifier, header("authorization"), header("x-api-key"),
                             state.clock(), cache=state.principal_cache)
    logs.principal.set(who.actor().label)
    state.rate_limiter.take(who)
    rules.gate(who, op)
    scope[PRINCIPAL] = who


def raw_header(scope) -> Callable[[str], str | None]:
    """Header lookup straight from the ASGI scope (lower-case names)."""
    def get(name: str) -> str | None:
        wanted = name.encode()
        return next((v.decode("latin-1") for k, v in scope["headers"] if k == wanted), None)
    return get


def principal_of(scope) -> Principal:
    """The caller the door let in (for routes that are not open to anyone)."""
    return scope[PRINCIPAL]


class Door(FieldExtension):
    """registry.access's gate on a GraphQL field: on every root field (query or mutation, `op` is the
    field's name), and on every nested field that leads to an org entity (`op` is reading that
    entity, see ENTITY_READS). A refused mutation answers with its ForbiddenError result, like any
    other refusal; a refused query or link, with an error carrying the code. Other nested fields
    have no door and pay nothing."""

    def __init__(self, op: str | None = None, mutation: bool = False):
        super().__init__()
        self.op = op
        self.mutation = mutation

    def _refusal(self, info):
        try:
            access().gate(info.context.ctx.principal, self.op or info.field_name)
        except errors.RegistryError as exc:
            if not self.mutation:
                raise
            return to_error(exc)
        return None

    def resolve(self, next_, source, info, **kwargs):
        refused = self._refusal(info)
        return refused if refused is not None else next_(source, info, **kwargs)

    async def resolve_async(self, next_, source, info, **kwargs):
        refused = self._refusal(info)
        if refused is not None:
            return refused
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result


# Org entities, and the query whose rule covers reading one wherever it is reached: a check result,
# a mutation's payload or an act all lead into the organisation, and following such a link takes
# the same right as asking for the entity itself (an API key with `check` or `record` only sees the
# decision, not the delegation's trust notes or a person's e-mail).
ENTITY_READS = {"Unit": "unit", "Person": "person", "Membership": "person", "Team": "team",
                "TeamMember": "team", "DecisionArea": "decisionArea", "Delegation": "delegation",
                "RedLine": "redLine", "StandIn": "standIns"}


def put_doors(query: type, mutation: type) -> None:
    """A Door on every root field, and on every field anywhere below them that leads to an org
    entity (once: the fields are shared between schemas)."""
    def add(field, door: Door) -> None:
        if not any(isinstance(e, Door) for e in field.extensions):
            field.extensions.append(door)

    todo: list[type] = []
    for root, is_mutation in ((query, False), (mutation, True)):
        for field in root.__strawberry_definition__.fields:
            add(field, Door(mutation=is_mutation))
            todo.extend(_targets(field.type))
    seen: set[type] = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for field in cls.__strawberry_definition__.fields:
            targets = _targets(field.type)
            todo.extend(targets)
            op = next((ENTITY_READS[t.__strawberry_definition__.name] for t in targets
                       if t.__strawberry_definition__.name in ENTITY_READS), None)
            if op is not None:
                add(field, Door(op))


def _targets(kind) -> list[type]:
    """The strawberry object types a field's type names: through lists and optionals, and each
    member of a union (a mutation's result is its payload or an error)."""
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    if hasattr(kind, "resolve_type"):  # a lazy type
        kind = kind.resolve_type()
    if hasattr(kind, "types") and not hasattr(kind, "__strawberry_definition__"):  # a union
        return [t for member in kind.types for t in _targets(member)]
    definition = getattr(kind, "__strawberry_definition__", None)
    if definition is None or getattr(definition, "is_input", False):
        return []
    return [kind]
