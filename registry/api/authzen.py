"""OpenID AuthZEN Authorization API 1.0 over the decision engine, decoded and encoded with msgspec.

subject  {type: "person", id: <external id, or an alias (then context.subject_external_id says whom)>}
resource {type: "decision", id: <area key or KLE code>, properties: {unit: <unit id or external id>, ...attributes}}
action   {name: be_informed | be_consulted | co_decide | decide | act_as_hverdagsdirektoer}
context  {at?: RFC 3339 instant, min_revision?: int, explain?: bool}
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, asgi, get, post
from litestar.exceptions import MethodNotAllowedException
from litestar.types import Receive, Scope, Send
from litestar.di import Provide

from registry.api.authorization import admit, principal_of, raw_header
from registry.api.principal import principal
from registry.auth import Principal
from registry.domain.decisions import ACTIONS
from registry.errors import Invalid
from registry.policy.index import FOREVER, Decision
from registry.services import checks as check_uc
from registry.services.common import Ctx
from registry.texts import OBLIGATIONS_DA, REASONS_DA


# The bodies are decoded with these types, and the OpenAPI document's request schemas are generated
# from them (registry.api.openapi). `Meta(extra_json_schema=...)` only documents what the handlers
# check themselves (with the registry's error codes); it adds nothing to decoding.
def _doc(description: str, **schema: Any) -> msgspec.Meta:
    return msgspec.Meta(description=description, extra_json_schema=schema or None)


class Subject(msgspec.Struct, forbid_unknown_fields=False):
    type: Annotated[str, _doc("Always `person`.", enum=["person"])]
    id: Annotated[str | None, _doc(
        "The person's external id (the identity provider's subject), or one of her aliases (a payroll number, a "
        "UPN, a UUID, a login's sub); an answer about a person named by an alias carries her external id in "
        "context.subject_external_id.")] = None
    properties: dict[str, Any] = {}


class Resource(msgspec.Struct, forbid_unknown_fields=False):
    type: Annotated[str, _doc("Always `decision`.", enum=["decision"])]
    id: Annotated[str | None, _doc(
        "The decision area's key, e.g. `care/alternative-solutions`, or its KLE code when only one area has it "
        "(a key is tried first).")] = None
    properties: Annotated[dict[str, Any], _doc(
        "`unit` (the unit's id or its external id, e.g. a LOS id, a string; an id is tried first; required for "
        "an evaluation, not used by a resource search), and the "
        "case's attributes that the area declares (numbers, booleans, strings), which red-line conditions "
        "read.")] = {}


class Action(msgspec.Struct, forbid_unknown_fields=False):
    name: Annotated[str, _doc("The involvement asked about.", enum=list(ACTIONS))]
    properties: dict[str, Any] = {}


Context = Annotated[dict[str, Any], _doc(
    "Optional: `at` (an RFC 3339 instant with a time zone: decide as of then), `min_revision` (wait up to a "
    "bound until the registry holds at least this revision), `explain` (add a trace).",
    properties={"at": {"type": ["string", "null"], "format": "date-time"},
                "min_revision": {"type": ["integer", "null"]}, "explain": {"type": ["boolean", "null"]}})]


class Evaluation(msgspec.Struct, forbid_unknown_fields=False):
    subject: Subject | None = None
    action: Action | None = None
    resource: Resource | None = None
    context: Context | None = None


class Options(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    evaluations_semantic: Annotated[str, _doc(
        "execute_all, deny_on_first_deny or permit_on_first_permit.",
        enum=["execute_all", "deny_on_first_deny", "permit_on_first_permit"])] = "execute_all"


class Evaluations(Evaluation, forbid_unknown_fields=False):
    evaluations: Annotated[list[Evaluation], _doc(f"At most {check_uc.MAX_BATCH}; each item's missing parts "
                                                  "default to the request's.", maxItems=check_uc.MAX_BATCH)] | None = None
    options: Options = Options()


class Page(msgspec.Struct, forbid_unknown_fields=False):
    token: Annotated[str | None, _doc("The previous answer's page.next_token (same request otherwise).")] = None
    limit: Annotated[int | None, _doc("1-1000; default 100.", minimum=1, maximum=1000)] = None


class Search(Evaluation, forbid_unknown_fields=False):
    page: Page | None = None


class ActionSearch(msgspec.Struct, forbid_unknown_fields=False):
    """An action search names no action: the actions are what it looks for."""

    subject: Subject | None = None
    resource: Resource | None = None
    context: Context | None = None
    page: Page | None = None


_decode_evaluation = msgspec.json.Decoder(Evaluation)
_decode_evaluations = msgspec.json.Decoder(Evaluations)
_decode_search = msgspec.json.Decoder(Search)
_decode_action_search = msgspec.json.Decoder(ActionSearch)
_encode = msgspec.json.Encoder()
SEMANTICS = ("execute_all", "deny_on_first_deny", "permit_on_first_permit")


def _decode(decoder, body: bytes):
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise Invalid(f"invalid request: {exc}", field=None, code="invalid_request") from exc
    except msgspec.DecodeError as exc:
        raise Invalid("the body must be a JSON object", field=None, code="invalid_request") from exc


def _json(payload) -> Response:
    return Response(_encode.encode(payload), media_type=MediaType.JSON)


def _instant(epoch: float | None) -> str | None:
    if epoch is None or epoch == FOREVER:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def decision_body(d: Decision) -> dict:
    context: dict[str, Any] = {"reason": d.reason, "reason_da": REASONS_DA.get(d.reason), "revision": d.revision}
    if d.level is not None:
        context["level"] = d.level
        context["level_label_da"] = d.level_label
    if d.delegation_ids:
        context["delegation_ids"] = d.delegation_ids
    if d.obligations:
        context["obligations"] = [{"kind": o.kind, "label_da": OBLIGATIONS_DA.get(o.kind),
                                   **({"deadline": _instant(o.deadline)} if o.deadline else {})}
                                  for o in d.obligations]
    if d.red_line is not None:
        context["red_line"] = {"id": d.red_line.id, "consequence": d.red_line.consequence,
                               "condition": d.red_line.condition}
    if d.condition is not None:
        context["condition"] = {"delegation_id": d.condition.delegation_id, "condition": d.condition.condition,
                                "text_da": d.condition.text_da}
    if d.missing_attributes:
        context["missing_attributes"] = d.missing_attributes
    if d.trace is not None:
        context["trace"] = [msgspec.to_builtins(t) for t in d.trace]
    if d.person is not None:  # the subject was named by an alias: whom the answer is about
        context["subject_external_id"] = d.person
    return {"decision": d.decision, "context": context}


def _at(context: dict[str, Any] | None) -> datetime | None:
    value = (context or {}).get("at")
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Invalid("context.at must be an RFC 3339 instant with a time zone", field="context.at",
                      code="invalid_instant")
    return at


def to_request(e: Evaluation) -> check_uc.CheckRequest:
    """An AuthZEN evaluation as the registry's check request; 400 when a required part is missing."""
    if e.subject is None or e.action is None or e.resource is None:
        raise Invalid("subject, action and resource are required", field="subject", code="invalid_request")
    if e.subject.type != "person" or not e.subject.id:
        raise Invalid('subject must be {"type": "person", "id": <external id>}', field="subject",
                      code="invalid_request")
    if e.resource.type != "decision" or not e.resource.id:
        raise Invalid('resource must be {"type": "decision", "id": <area key>, "properties": {"unit": ...}}',
                      field="resource", code="invalid_request")
    properties = dict(e.resource.properties)
    unit = properties.pop("unit", None)
    if not isinstance(unit, str):
        raise Invalid("resource.properties.unit (the unit's id or external id) is required",
                      field="resource.properties.unit",
                      code="invalid_request")
    at, min_revision, explain = _context(e.context)
    return check_uc.CheckRequest(person=e.subject.id, area=e.resource.id, unit=unit, action=e.action.name,
                                 attributes=properties, at=at, min_revision=min_revision, explain=explain)


def _context(context: dict[str, Any] | None) -> tuple[datetime | None, int | None, bool]:
    """context.at, min_revision and explain, each checked (null is the same as absent)."""
    context = context or {}
    min_revision = context.get("min_revision")
    if min_revision is not None and (not isinstance(min_revision, int) or isinstance(min_revision, bool)):
        raise Invalid("context.min_revision must be an integer", field="context.min_revision", code="invalid_request")
    explain = context.get("explain")
    if explain is not None and not isinstance(explain, bool):
        raise Invalid("context.explain must be true or false", field="context.explain", code="invalid_request")
    return _at(context), min_revision, bool(explain)


def _ctx(request: Request, who: Principal) -> Ctx:
    return Ctx(db=request.app.state.db, principal=who, clock=request.app.state.clock)


MAX_BODY = 1_000_000


@asgi("/access/v1/evaluation", copy_scope=False)
async def evaluation(scope: Scope, receive: Receive, send: Send) -> None:
    """The hot path, as a plain ASGI handler: no dependency injection or request object, just
    headers -> principal (cached) -> msgspec decode -> index -> msgspec encode."""
    if scope["method"] != "POST":
        raise MethodNotAllowedException()
    state = scope["app"].state
    await admit(scope, state, raw_header(scope))  # the door, called directly on the check path
    who = principal_of(scope)
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Invalid("the request body is too large", field=None, code="too_large")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    e = _decode(_decode_evaluation, b"".join(chunks))
    ctx = Ctx(db=state.db, principal=who, clock=state.clock)
    body = _encode.encode(decision_body(await check_uc.check(ctx, state.engine, to_request(e),
                                                               source="authzen.evaluation")))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _merge(defaults: Evaluation, item: Evaluation) -> Evaluation:
    return Evaluation(subject=item.subject or defaults.subject, action=item.action or defaults.action,
                      resource=item.resource or defaults.resource,
                      context=item.context if item.context is not None else defaults.context)


@post("/access/v1/evaluations", dependencies={"who": Provide(principal)}, status_code=200)
async def evaluations(request: Request, who: Principal) -> Response:
    batch = _decode(_decode_evaluations, await request.body())
    semantic = batch.options.evaluations_semantic
    if semantic not in SEMANTICS:
        raise Invalid(f"options.evaluations_semantic must be one of {', '.join(SEMANTICS)}",
                      field="options.evaluations_semantic", code="invalid_request")
    ctx, engine = _ctx(request, who), request.app.state.engine
    if not batch.evaluations:  # no list (or an empty one): a single evaluation
        return _json(decision_body(await check_uc.check(ctx, engine, to_request(batch),
                                                         source="authzen.evaluations")))
    check_uc.check_batch_size(len(batch.evaluations), "evaluations")
    results = []
    now = ctx.now()
    now_ts = now.timestamp()
    for done, item in enumerate(batch.evaluations, 1):
        await check_uc.let_others_in(done)
        try:
            req = to_request(_merge(batch, item))
            decision = check_uc.answer_now(ctx, engine, check_uc.live_index(ctx, engine), req, now, now_ts,
                                           source="authzen.evaluations")
            if decision is None:
                decision = await check_uc.check(ctx, engine, req, now, source="authzen.evaluations")
            body = decision_body(decision)
        except Invalid as exc:  # one bad item fails closed on its own; the batch goes on
            body = {"decision": False, "context": {"error": {"status": 400, "code": exc.code,
                                                             "message": exc.message}}}
        results.append(body)
        if (semantic == "deny_on_first_deny" and not body["decision"]) or \
                (semantic == "permit_on_first_permit" and body["decision"]):
            break
    return _json({"evaluations": results})


def _page(items: list, page: Page | None, fingerprint: str) -> tuple[list, dict]:
    """Offset pagination with an opaque token bound to the request it came from."""
    limit = 100 if page is None or page.limit is None else page.limit
    if limit < 1 or limit > 1000:
        raise Invalid("page.limit must be 1-1000", field="page.limit", code="invalid_request")
    start = 0
    if page is not None and page.token:
        try:
            mark, _, offset = base64.urlsafe_b64decode(page.token.encode()).decode().partition(":")
            start = int(offset)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid("page.token is not valid", field="page.token", code="invalid_request") from exc
        if mark != fingerprint:
            raise Invalid("page.token belongs to another request", field="page.token", code="invalid_request")
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    token = base64.urlsafe_b64encode(f"{fingerprint}:{start + limit}".encode()).decode() if more else ""
    return chunk, {"next_token": token, "count": len(chunk), "total": len(items)}


def _fingerprint(search: Search | ActionSearch) -> str:
    basis = msgspec.json.encode([search.subject, getattr(search, "action", None), search.resource, search.context,
                                 None if search.page is None else search.page.limit])
    return hashlib.sha256(basis).hexdigest()[:16]


@post("/access/v1/search/subject", dependencies={"who": Provide(principal)}, status_code=200)
async def search_subject(request: Request, who: Principal) -> Response:
    """Everyone a single evaluation would permit: the same people as whoMay."""
    search = _decode(_decode_search, await request.body())
    if search.subject is None or search.subject.type != "person":
        raise Invalid('subject must be {"type": "person"}', field="subject", code="invalid_request")
    probe = to_request(Evaluation(subject=Subject(type="person", id="?"), action=search.action,
                                  resource=search.resource, context=search.context))
    found = await check_uc.who_may(_ctx(request, who), request.app.state.engine, area=probe.area, unit=probe.unit,
                                   action=probe.action, attributes=probe.attributes, at=probe.at)
    if isinstance(found, Decision):  # (the page is still checked: the same request may be answered later)
        return _json({"page": _page([], search.page, _fingerprint(search))[1], "results": [],
                      "context": {"reason": found.reason}})
    results = [{"type": "person", "id": e.external_id} for e in sorted(found, key=lambda e: e.external_id)]
    chunk, page = _page(results, search.page, _fingerprint(search))
    return _json({"page": page, "results": chunk})


@post("/access/v1/search/resource", dependencies={"who": Provide(principal)}, status_code=200)
async def search_resource(request: Request, who: Principal) -> Response:
    """The decisions (area in unit) a person may take the action on, given the attributes sent."""
    search = _decode(_decode_search, await request.body())
    if search.resource is None or search.resource.type != "decision":
        raise Invalid('resource must be {"type": "decision"}', field="resource", code="invalid_request")
    if search.subject is None or not search.subject.id or search.action is None:
        raise Invalid("subject (with id) and action are required", field="subject", code="invalid_request")
    # Checked here, not only by the checks below: a person with no delegation gets no check at all.
    if search.subject.type != "person":
        raise Invalid('subject must be {"type": "person", "id": <external id>}', field="subject",
                      code="invalid_request")
    if search.action.name not in ACTIONS:
        raise Invalid(f"unknown action {search.action.name!r}; one of {', '.join(ACTIONS)}", field="action",
                      code="unknown_action")
    ctx, engine = _ctx(request, who), request.app.state.engine
    at, _, _ = _context(search.context)
    entries = await check_uc.mandate(ctx, engine, search.subject.id, at)
    if isinstance(entries, Decision):
        return _json({"page": _page([], search.page, _fingerprint(search))[1], "results": [],
                      "context": {"reason": entries.reason}})
    index = engine.index(ctx.tenant_id)
    attributes = {k: v for k, v in search.resource.properties.items() if k != "unit"}  # each result has its unit
    results, seen = [], set()
    for e in entries:
        key = (index.area_key[e.area_id], e.unit_id)
        if key in seen:
            continue
        seen.add(key)
        req = check_uc.CheckRequest(person=search.subject.id, area=key[0], unit=e.unit_id,
                                    action=search.action.name, attributes=attributes, at=at)
        if (await check_uc.check(ctx, engine, req, source="authzen.search_resource")).decision:
            properties = {"unit": e.unit_id, "include_subunits": e.include_subunits}
            if e.unit_id in index.unit_ext:
                properties["unit_external_id"] = index.unit_ext[e.unit_id]
            results.append({"type": "decision", "id": key[0], "properties": properties})
    chunk, page = _page(results, search.page, _fingerprint(search))
    return _json({"page": page, "results": chunk})


@post("/access/v1/search/action", dependencies={"who": Provide(principal)}, status_code=200)
async def search_action(request: Request, who: Principal) -> Response:
    search = _decode(_decode_action_search, await request.body())
    ctx, engine = _ctx(request, who), request.app.state.engine
    results = []
    for name in ACTIONS:
        req = to_request(Evaluation(subject=search.subject, action=Action(name=name), resource=search.resource,
                                    context=search.context))
        if (await check_uc.check(ctx, engine, req, source="authzen.search_action")).decision:
            results.append({"name": name})
    chunk, page = _page(results, search.page, _fingerprint(search))  # pages like the other searches
    return _json({"page": page, "results": chunk})


@get("/.well-known/authzen-configuration", sync_to_thread=False)
def configuration(request: Request) -> dict:
    base = str(request.base_url).rstrip("/")
    return {
        "policy_decision_point": base,
        "access_evaluation_endpoint": f"{base}/access/v1/evaluation",
        "access_evaluations_endpoint": f"{base}/access/v1/evaluations",
        "search_subject_endpoint": f"{base}/access/v1/search/subject",
        "search_resource_endpoint": f"{base}/access/v1/search/resource",
        "search_action_endpoint": f"{base}/access/v1/search/action",
    }


# The routed handlers; `evaluation` (raw ASGI, the check path) is registered on its own.
ROUTES = [evaluations, search_subject, search_resource, search_action, configuration]
