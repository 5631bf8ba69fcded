"""The REST API's OpenAPI 3.1 document, served at /schema/openapi.json (REGISTRY_OPENAPI; on in
development mode, off in production mode, like GraphiQL and introspection).

litestar writes the document from the route handlers: paths, operation ids, path and query
parameters. It cannot see what this module adds, in one place (`complete`), each part generated from
msgspec types rather than written out as JSON Schema:

* request bodies that handlers decode themselves with msgspec (the AuthZEN bodies: decoding by hand
  keeps the hot path fast and gives the registry's own error codes) - their schemas come from the
  very Struct types the handlers decode into (registry.api.authzen), so the two cannot drift;
* the raw ASGI route POST /access/v1/evaluation, which litestar leaves out of its document;
* the response bodies of handlers that return a `Response` (schemas of the `*Response` Structs below,
  which describe the dicts those handlers build);
* the registry's one error body (registry.api.errors) for every error status an operation answers,
  in place of litestar's default "validation exception" body, which this API never sends;
* how to authenticate: a bearer JWT (people) or an X-Api-Key header (systems; also accepted as a
  bearer token).

tests/integration/test_fuzzing.py holds the document to the running app: every route is in it, and
schemathesis checks every answer against it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Tag

from registry.api import authzen
from registry.api.events import EventPage
from registry.api import events as event_api
from registry.api.authorization import rest_door
from registry.domain.decisions import ACTIONS
from registry.policy.projection import Catalogue

PATH = "/schema"
DOCUMENT = f"{PATH}/openapi.json"
_REF = "#/components/schemas/{name}"


# --- response bodies (documentation of the dicts the handlers build)

class ErrorDetail(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="Stable, machine-readable: branch on this.")]
    message: Annotated[str, msgspec.Meta(description="For people; may change.")]
    field: Annotated[str | None, msgspec.Meta(description="The offending input, where one applies.")]
    message_da: Annotated[str | None, msgspec.Meta(description="The same in Danish, for people.")] = None


class ErrorResponse(msgspec.Struct):
    """Every error the REST API answers (registry.api.errors)."""

    error: ErrorDetail


class Health(msgspec.Struct):
    status: Annotated[str, msgspec.Meta(extra_json_schema={"const": "ok"})]


class DecisionLogCounters(msgspec.Struct, forbid_unknown_fields=False):
    mode: str
    queued: int
    written: int
    dropped: int
    pending: int


class Readiness(msgspec.Struct):
    """`ready` once the engine has confirmed it holds the current revision of every tenant; `stale` (503)
    until then."""

    status: Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["ready", "stale"]})]
    revisions: Annotated[dict[str, int], msgspec.Meta(
        description="Revision per tenant key (when ready, and only to a platform operator's API key).")] = {}
    decision_log: DecisionLogCounters | None = None


class AuthZENConfiguration(msgspec.Struct):
    policy_decision_point: str
    access_evaluation_endpoint: str
    access_evaluations_endpoint: str
    search_subject_endpoint: str
    search_resource_endpoint: str
    search_action_endpoint: str


class ObligationOut(msgspec.Struct):
    kind: str
    deadline: Annotated[str, msgspec.Meta(description="RFC 3339 instant.")] | None = None


class RedLineOut(msgspec.Struct):
    id: str
    consequence: str
    condition: str | None


class ConditionOut(msgspec.Struct):
    """A delegation's limit that refused the case (outside_mandate) or needs a missing value."""

    delegation_id: Annotated[str, msgspec.Meta(description="The delegation that states it (the one asked about, "
                                                           "or one it was passed on from).")]
    condition: Annotated[str, msgspec.Meta(description="e.g. amount <= 10000")]
    text_da: Annotated[str, msgspec.Meta(description="As people read it, in Danish.")]


class TraceOut(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(extra_json_schema={
        "enum": ["delegation", "condition", "leader_authority", "red_line"]})]
    id: str
    outcome: str
    level: int | None = None
    condition: Annotated[str, msgspec.Meta(description="A delegation condition's text (kind condition).")] \
        | None = None


class ItemError(msgspec.Struct):
    """A batch item that could not be evaluated: it fails closed on its own."""

    status: int
    code: str
    message: str


class DecisionContext(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(description="Why: allowed, no_delegation, level_too_low, outside_mandate, "
                                                    "red_line, awaiting_acceptance, declined, ...")] = ""
    revision: Annotated[int, msgspec.Meta(description="The tenant revision the decision was taken at.")] = 0
    level: Annotated[int, msgspec.Meta(ge=1, le=7)] | None = None
    level_label_da: str | None = None
    delegation_ids: list[str] = []
    obligations: list[ObligationOut] = []
    red_line: RedLineOut | None = None
    condition: ConditionOut | None = None
    missing_attributes: list[str] = []
    trace: Annotated[list[TraceOut], msgspec.Meta(description="With context.explain.")] = []
    error: Annotated[ItemError, msgspec.Meta(description="Batch items only.")] | None = None


class EvaluationResponse(msgspec.Struct):
    decision: bool
    context: DecisionContext


class EvaluationsResponse(msgspec.Struct):
    evaluations: list[EvaluationResponse]


class SearchPageOut(msgspec.Struct):
    next_token: Annotated[str, msgspec.Meta(description="Empty on the last page.")]
    count: int | None = None
    total: int | None = None


class SearchContext(msgspec.Struct):
    reason: str


class PersonRef(msgspec.Struct):
    type: Annotated[str, msgspec.Meta(extra_json_schema={"const": "person"})]
    id: str


class DecisionRefProperties(msgspec.Struct):
    unit: str
    include_subunits: bool
    unit_external_id: Annotated[str | None, msgspec.Meta(description="The unit's external id, when it has one.")] \
        = None


class DecisionRef(msgspec.Struct):
    type: Annotated[str, msgspec.Meta(extra_json_schema={"const": "decision"})]
    id: str
    properties: DecisionRefProperties


class ActionRef(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(ACTIONS)})]


class SubjectSearchResponse(msgspec.Struct):
    page: SearchPageOut
    results: list[PersonRef]
    context: Annotated[SearchContext, msgspec.Meta(description="When the registry cannot answer (stale).")] \
        | None = None


class ResourceSearchResponse(msgspec.Struct):
    page: SearchPageOut
    results: list[DecisionRef]
    context: SearchContext | None = None


class ActionSearchResponse(msgspec.Struct):
    page: SearchPageOut
    results: list[ActionRef]


class CasbinRevision(msgspec.Struct):
    tenant: str
    revision: int


class GraphQLRequest(msgspec.Struct):
    """GraphQL over HTTP; the schema itself is schema.graphql (or introspection, in development)."""

    query: str
    variables: dict[str, Any] | None = None
    operationName: str | None = None  # noqa: N815 - the protocol's name


class GraphQLResponse(msgspec.Struct):
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    extensions: dict[str, Any] | None = None


# --- what each operation answers

JSON = "application/json"
PERSON_OR_SYSTEM = [{"bearer": []}, {"apiKey": []}]
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "A person: a JWT from the organisation's identity provider. An API key is accepted "
                              "as a bearer token too."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
               "description": "A system: an API key (`registry apikey create`), limited to its scopes."},
}
# Statuses every authenticated operation may answer besides its own: no or bad credentials, not allowed,
# over the rate limit, the database or the index not current.
AUTHENTICATED = (401, 403, 429, 503)
_STATUS_TEXT = {400: "Invalid input (see code and field)", 401: "No valid credentials",
                403: "Not allowed for this caller", 404: "Not found (for this caller)", 409: "Conflict",
                429: "Over the caller's rate limit (see Retry-After)",
                503: "The registry cannot confirm it is current, or its database is unavailable; retry"}


@dataclass(frozen=True)
class Doc:
    """What litestar cannot see about one operation."""

    ok: Any = None                 # the 2xx JSON body: a msgspec type; or a media type for text
    body: Any = None               # the JSON request body, when the handler decodes it itself
    errors: tuple[int, ...] = ()   # statuses answered with ErrorResponse
    authenticated: bool = True
    status: int = 200
    summary: str | None = None
    description: str | None = None
    operation_id: str | None = None
    tags: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()  # response headers on success
    other: dict[int, Any] = field(default_factory=dict)  # other statuses with a body of their own
    params: dict[str, dict] = field(default_factory=dict)  # JSON Schema added to a parameter's, by name
    contract: dict | None = None   # what the handler requires of `body` beyond its type (answers 400 otherwise)


# The parts an AuthZEN handler requires (registry.api.authzen.to_request and the search handlers), on top
# of the body type, in which every part is optional because a batch item takes its parts from the batch.
_PERSON = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}}
_UNIT = {"type": "string", "description": "The unit's id, or its external id (an id is tried first)."}
_DECISION = {"type": "object", "required": ["id", "properties"],
             "properties": {"id": {"type": "string", "minLength": 1},
                            "properties": {"type": "object", "required": ["unit"], "properties": {"unit": _UNIT}}}}
_ANY = {"type": "object"}
EVALUATION = {"required": ["subject", "action", "resource"],
              "properties": {"subject": _PERSON, "action": _ANY, "resource": _DECISION}}
SEARCH_SUBJECT = {"required": ["subject", "action", "resource"],
                  "properties": {"subject": _ANY, "action": _ANY, "resource": _DECISION}}
SEARCH_RESOURCE = {"required": ["subject", "action", "resource"],
                   "properties": {"subject": _PERSON, "action": _ANY, "resource": _ANY}}
# A batch needs the three parts at the top (a single evaluation) or at least one item (whose missing parts the
# top supplies; an item still incomplete fails closed on its own, with context.error).
EVALUATIONS = {"anyOf": [EVALUATION, {"required": ["evaluations"],
                                      "properties": {"evaluations": {"type": "array", "minItems": 1}}}]}
SEARCH_ACTION = {"required": ["subject", "resource"], "properties": {"subject": _PERSON, "resource": _DECISION}}

OPERATIONS: dict[tuple[str, str], Doc] = {
    ("/health", "get"): Doc(Health, authenticated=False, tags=("health",)),
    ("/health/ready", "get"): Doc(Readiness, authenticated=False, tags=("health",), other={503: Readiness}),
    ("/.well-known/authzen-configuration", "get"): Doc(AuthZENConfiguration, authenticated=False,
                                                       tags=("authzen",)),
    ("/access/v1/evaluation", "post"): Doc(
        EvaluationResponse, body=authzen.Evaluation, contract=EVALUATION, errors=(400,), tags=("authzen",),
        operation_id="AccessV1EvaluationEvaluation", summary="Evaluation",
        description="AuthZEN 1.0 access evaluation: may this person take this action on this decision (an area "
                    "in a unit, with the case's attributes)? Served by a raw ASGI handler (the hot path), so "
                    "registry.api.openapi documents it by hand."),
    ("/access/v1/evaluations", "post"): Doc(
        (EvaluationsResponse, EvaluationResponse), body=authzen.Evaluations, contract=EVALUATIONS, errors=(400,),
        tags=("authzen",),
        description="AuthZEN 1.0 batch: top-level subject, action, resource and context are defaults for each "
                    "item. Without `evaluations` (or with an empty list) the request is a single evaluation "
                    "and so is the answer. An invalid item fails closed on its own (context.error), and so does "
                    "every item that takes an invalid default from the top."),
    ("/access/v1/search/subject", "post"): Doc(SubjectSearchResponse, body=authzen.Search, contract=SEARCH_SUBJECT,
                                               errors=(400,), tags=("authzen",)),
    ("/access/v1/search/resource", "post"): Doc(ResourceSearchResponse, body=authzen.Search,
                                                contract=SEARCH_RESOURCE, errors=(400,), tags=("authzen",)),
    ("/access/v1/search/action", "post"): Doc(ActionSearchResponse, body=authzen.ActionSearch, contract=SEARCH_ACTION,
                                              errors=(400,), tags=("authzen",)),
    ("/casbin/{tenant}/model.conf", "get"): Doc("text/plain", errors=(404,), tags=("casbin",)),
    ("/casbin/{tenant}/policy.csv", "get"): Doc("text/csv", errors=(404,), tags=("casbin",),
                                                headers=("X-Registry-Revision",)),
    ("/casbin/{tenant}/catalogue.json", "get"): Doc(Catalogue, errors=(404,), tags=("casbin",)),
    ("/casbin/{tenant}/revision", "get"): Doc(CasbinRevision, errors=(400, 404), tags=("casbin",),
                                              params={"wait": {"minimum": 0, "maximum": 60}}),
    ("/events", "get"): Doc(EventPage, errors=(400,), tags=("events",),
                            params={"limit": {"minimum": 1, "maximum": 1000}},
                            description="The pull event feed (README: For integrators): the organisation's "
                                        "events as CloudEvents 1.0, oldest first, after the cursor `after` (the "
                                        "`next` of the previous page). For API keys with the `events` scope."),
    # webhooks (issue 14, part 2; README: Webhooks)
    ("/events/subscriptions", "post"): Doc(event_api.NewSubscription, body=event_api.SubscriptionIn, errors=(400,),
                                           status=201, tags=("events",),
                                           description="Subscribe the organisation's events of some types to a URL. "
                                                       "The answer holds the signing secret, shown this once."),
    ("/events/subscriptions", "get"): Doc(event_api.SubscriptionList, tags=("events",),
                                          description="A system's own subscriptions; an administrator's: all."),
    ("/events/subscriptions/{subscription_id}", "delete"): Doc(event_api.Deleted, errors=(400, 404),
                                                               tags=("events",)),
    ("/events/dead-letters", "get"): Doc(event_api.DeadLetterList, tags=("events",),
                                         description="Deliveries given up after the retry window. Administrators."),
    ("/events/dead-letters/{delivery_id}/replay", "post"): Doc(event_api.Replayed, body=event_api.ReplayIn,
                                                               errors=(400, 404),
                                                               tags=("events",)),
    ("/graphql", "post"): Doc(GraphQLResponse, body=GraphQLRequest, tags=("graphql",), other={400: "text/plain"},
                              description="GraphQL over HTTP. Errors of the query itself come back with 200 and "
                                          "`errors`; a request that is not GraphQL at all (no query, not JSON) "
                                          "gets 400 with a line of text (strawberry's transport). Credentials "
                                          "are checked as for every other operation."),
}
# litestar's GET /graphql serves the GraphiQL page in development mode; it is not an API operation.
HIDDEN = {("/graphql", "get")}


def _types(type_) -> tuple:
    """A documented body: a msgspec type, or a tuple of them (any one of them)."""
    return type_ if isinstance(type_, tuple) else () if type_ is None or isinstance(type_, str) else (type_,)


TYPES = sorted({ErrorResponse, *(t for doc in OPERATIONS.values() for part in (doc.ok, doc.body, *doc.other.values())
                                 for t in _types(part))}, key=lambda t: t.__name__)


def _json_body(type_) -> dict:
    schemas = msgspec.json.schema_components(_types(type_), ref_template=_REF)[0]
    return {JSON: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": list(schemas)}}}


def _error(status: int) -> dict:
    return {"description": _STATUS_TEXT.get(status, "Error"),
            "content": {JSON: {"schema": {"$ref": _REF.format(name="ErrorResponse")}}}}


def _apply(operation: dict, doc: Doc) -> None:
    if doc.summary:
        operation["summary"] = doc.summary
    if doc.description:
        operation["description"] = doc.description
    if doc.operation_id:
        operation["operationId"] = doc.operation_id
    if doc.tags:
        operation["tags"] = list(doc.tags)
    for parameter in operation.get("parameters", []):
        parameter["schema"] = {**parameter.get("schema", {}), **doc.params.get(parameter["name"], {})}
    if doc.body is not None:
        content = _json_body(doc.body)
        if doc.contract is not None:
            content[JSON]["schema"] = {"allOf": [content[JSON]["schema"], doc.contract]}
        operation["requestBody"] = {"required": True, "content": content}
    ok: dict[str, Any] = {"description": "OK"}
    if isinstance(doc.ok, str):
        ok["content"] = {doc.ok: {"schema": {"type": "string"}}}
    elif doc.ok is not None:
        ok["content"] = _json_body(doc.ok)
    if doc.headers:
        ok["headers"] = {h: {"schema": {"type": "string"}} for h in doc.headers}
    responses = {str(doc.status): ok}
    statuses = set(doc.errors) | (set(AUTHENTICATED) if doc.authenticated else set())
    if operation.get("parameters") and doc.body is None:
        statuses.add(400)  # litestar rejects a parameter of the wrong type (registry.api.errors.http_error)
    for status in sorted(statuses):
        responses[str(status)] = _error(status)
    for status, type_ in doc.other.items():
        responses[str(status)] = {"description": _STATUS_TEXT.get(status, "See the body"),
                                  "content": {type_: {"schema": {"type": "string"}}} if isinstance(type_, str)
                                  else _json_body(type_)}
    operation["responses"] = responses
    if doc.authenticated:
        operation["security"] = PERSON_OR_SYSTEM
    else:
        operation["security"] = []


def complete(document: dict) -> dict:
    """litestar's document plus what it cannot see (see the module's docstring). Pure: returns a copy."""
    spec = copy.deepcopy(document)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("GraphQLResource", None)  # litestar's guess at /graphql's answer, replaced below
    _, defs = msgspec.json.schema_components(TYPES, ref_template=_REF)
    clash = {name for name in defs if name in schemas and schemas[name] != defs[name]}
    if clash:
        raise RuntimeError(f"OpenAPI component names used twice: {sorted(clash)}")
    components["schemas"] = dict(sorted({**schemas, **defs}.items()))
    components["securitySchemes"] = SECURITY_SCHEMES
    paths = spec.setdefault("paths", {})
    for path, method in HIDDEN:
        paths.get(path, {}).pop(method, None)
    for (path, method), doc in OPERATIONS.items():
        _apply(paths.setdefault(path, {}).setdefault(method, {}), doc)
    spec["paths"] = {p: item for p, item in sorted(paths.items()) if item}
    return spec


class _Document(JsonRenderPlugin):
    """openapi.json: litestar's document, completed once (see `complete`)."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json")
        self._rendered: bytes | None = None

    def render(self, request, openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = self.render_json(request, complete(openapi_schema))
        return self._rendered


def config(enabled: bool) -> OpenAPIConfig | None:
    """The document at /schema/openapi.json; None (no document, no route) when disabled."""
    if not enabled:
        return None
    return OpenAPIConfig(
        title="registry", version="1", render_plugins=[_Document()], use_handler_docstrings=True,
        # Behind the same door as every other route (the policy opens it to anyone).
        openapi_router=Router(path=PATH, route_handlers=[], guards=[rest_door], include_in_schema=False),
        description="Delegation and authority registry: AuthZEN 1.0 decisions, the Casbin export, health. "
                    "The organisation and its delegations are managed through GraphQL (/graphql, schema.graphql).",
        tags=[Tag(name="authzen", description="OpenID AuthZEN Authorization API 1.0"),
              Tag(name="casbin", description="The tenant's policy for Casbin enforcers"),
              Tag(name="events", description="The event feed for integrating systems (the `events` scope)"),
              Tag(name="health"), Tag(name="graphql")])
