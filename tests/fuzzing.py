"""Schemathesis fuzzing of the REST API (its OpenAPI document) and the GraphQL API (its schema), shared by
tests/integration/test_fuzzing.py (a few hundred cases in CI) and bench/fuzz.py (the long run).

The app runs in this process under schemathesis' ASGI transport (its own event loop on a thread; the
app's lifespan opens the database pool and the engine there). Every case carries valid credentials.
Each case is sent once and judged, without shrinking, and the run goes on after a failure, so one run
tallies everything: cases per operation, status codes, failures by check, and the unexpected
exceptions the app logged (a 5xx, or a GraphQL error masked as internal, is always one of those).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, strategies as st

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

OPENAPI_PATH = "/schema/openapi.json"
GRAPHQL_PATH = "/graphql"
ADMIN = "jonas.kristensen@eksempel.dk"  # the demo organisation's administrator
ALL_SCOPES = ["check", "record", "read", "write", "admin"]
# GraphQL errors that stand for an exception the app did not expect: masked, with the code `internal`
# (and an incident id in the message and the log).
MASKED = "internal"

REST_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance, negative_data_rejection]
# schemathesis' not_a_server_error for GraphQL also counts every error with a `path` (the registry's typed
# query errors, e.g. "first must be between 1 and 500", have one); the run judges GraphQL answers itself:
# no 5xx, and no error without a registry code (an exception the app did not expect is masked as MASKED).
GRAPHQL_CHECKS = [response_schema_conformance]
# The batch answers an invalid item, or an item made invalid by an invalid default at the top, with 200 and
# that item's own error (context.error), as AuthZEN's batch semantics ask: not a request to refuse whole.
EXEMPT = {"POST /access/v1/evaluations": {negative_data_rejection}}


@dataclass
class Known:
    """Values from the organisation, mixed into generated cases so that they reach past "not found"."""

    ids: list[str] = field(default_factory=list)            # every entity's id (GraphQL ID arguments)
    people: list[str] = field(default_factory=list)         # external ids (AuthZEN subject.id)
    units: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)          # area keys (AuthZEN resource.id)

    @property
    def strings(self) -> list[str]:
        return [*self.people, *self.units, *self.areas]


async def known_values(db, tenant: str) -> Known:
    """Every id, external id, unit id and area key of the tenant, in a stable order (the seed decides)."""
    tables = ("org_unit", "person", "membership", "team", "team_member", "decision_area", "delegation", "red_line",
              "stand_in", "act", "due_item", "breach", "review")
    async with db.read() as conn:
        tenant_id = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", tenant)
        ids = []
        for table in tables:
            ids += [str(r["id"]) for r in await conn.fetch(f"SELECT id FROM {table} WHERE tenant_id = $1 ORDER BY id",
                                                           tenant_id)]
        people = [r["external_id"] for r in await conn.fetch(
            "SELECT external_id FROM person WHERE tenant_id = $1 ORDER BY external_id", tenant_id)]
        units = [str(r["id"]) for r in await conn.fetch("SELECT id FROM org_unit WHERE tenant_id = $1 ORDER BY id",
                                                        tenant_id)]
        areas = [r["key"] for r in await conn.fetch("SELECT key FROM decision_area WHERE tenant_id = $1 ORDER BY key",
                                                    tenant_id)]
    return Known(ids=ids, people=people, units=units, areas=areas)


def _enrich(case, data, known: Known | None) -> None:
    """In positive cases, often put the organisation's own people, areas and units where an AuthZEN body
    or the Casbin export names one (the types stay valid, so the case stays positive)."""
    if known is None or case.meta is None or case.meta.generation.mode.is_negative:
        return
    pick = lambda values: data.draw(st.sampled_from(values)) if values and data.draw(st.integers(0, 9)) < 7 \
        else None  # noqa: E731

    def part(body: dict) -> None:
        subject, resource = body.get("subject"), body.get("resource")
        if isinstance(subject, dict) and isinstance(subject.get("id"), str) and (v := pick(known.people)):
            subject["id"] = v
        if isinstance(resource, dict):
            if isinstance(resource.get("id"), str) and (v := pick(known.areas)):
                resource["id"] = v
            props = resource.get("properties")
            if isinstance(props, dict) and isinstance(props.get("unit"), str) and (v := pick(known.units)):
                props["unit"] = v

    if isinstance(case.body, dict):
        part(case.body)
        for item in case.body.get("evaluations") or []:
            if isinstance(item, dict):
                part(item)
    if isinstance(case.query, dict) and isinstance(case.query.get("unit"), str) and (v := pick(known.units)):
        case.query["unit"] = v


@contextlib.contextmanager
def _graphql_scalars(known: Known | None):
    """GraphQL ID and String arguments drawn from the organisation's values most of the time."""
    from schemathesis.graphql import nodes
    from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS

    saved = dict(CUSTOM_SCALARS)
    if known is not None and known.ids:
        text = st.text(max_size=20)
        CUSTOM_SCALARS["ID"] = st.one_of(st.sampled_from(known.ids).map(nodes.String),
                                         st.sampled_from(known.ids).map(nodes.String), text.map(nodes.String),
                                         st.integers().map(nodes.Int))
        CUSTOM_SCALARS["String"] = st.one_of(st.sampled_from(known.strings).map(nodes.String), text.map(nodes.String))
    try:
        yield
    finally:
        CUSTOM_SCALARS.clear()
        CUSTOM_SCALARS.update(saved)


@dataclass
class Failure:
    operation: str
    check: str
    status: int | None
    message: str
    request: str

    def __str__(self) -> str:
        return f"{self.operation} [{self.check}] status {self.status}: {self.message}\n    {self.request}"


@dataclass
class Tally:
    cases: Counter = field(default_factory=Counter)  # per operation label
    statuses: Counter = field(default_factory=Counter)  # per status code
    per_operation_status: dict[str, Counter] = field(default_factory=dict)
    codes: Counter = field(default_factory=Counter)  # the registry's error codes in the answers
    failures: list[Failure] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)  # ERROR records the app logged (unexpected exceptions)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if isinstance(status, int) and status >= 500)

    def merge(self, other: "Tally") -> None:
        self.cases.update(other.cases)
        self.statuses.update(other.statuses)
        self.codes.update(other.codes)
        for op, counts in other.per_operation_status.items():
            self.per_operation_status.setdefault(op, Counter()).update(counts)
        self.failures += other.failures
        self.logged += other.logged
        self.seconds += other.seconds

    def failures_by_check(self) -> Counter:
        return Counter(f.check for f in self.failures)


class _ErrorLog(logging.Handler):
    """Collects ERROR records from any logger (the app logs every unexpected exception at ERROR)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.records.append(f"{record.name}: {text}")


def _settings(examples: int):
    """Each case sent once (no shrinking, no example database); the seed comes from @hypothesis.seed."""
    return hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                               print_blob=False, report_multiple_bugs=False)


def _failure_texts(exc: BaseException) -> list[tuple[str, str]]:
    """(check, message) for each failure a validate_response raised."""
    from schemathesis.core.failures import Failure as StFailure, FailureGroup

    found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
    out = []
    for f in found:
        if isinstance(f, StFailure):
            name = getattr(f, "checks", None) or (type(f).__name__,)
            out.append((name[0] if isinstance(name, tuple) else str(name), f"{f.title}: {f.message}"[:600]))
        else:
            out.append((type(f).__name__, str(f)[:600]))
    return out


def _error_codes(response) -> tuple[list[str], list[str]]:
    """The error codes an answer carries (REST's error.code, GraphQL's errors[].extensions.code), and the
    messages of GraphQL errors without one (an exception the app did not expect, masked)."""
    try:
        body = response.json()
    except ValueError:
        return [], []
    if not isinstance(body, dict):
        return [], []
    if isinstance(body.get("error"), dict):
        return [str(body["error"].get("code"))], []
    codes, masked = [], []
    for e in body.get("errors") or []:
        code = (e.get("extensions") or {}).get("code") if isinstance(e, dict) else None
        if code and code != MASKED:
            codes.append(str(code))
        else:
            masked.append(e.get("message", "") if isinstance(e, dict) else repr(e))
    return codes, masked


def run_operation(operation, strategy, *, examples: int, seed: int, headers: dict[str, str], checks: list,
                  graphql: bool, tally: Tally, known: Known | None = None) -> None:
    """Send up to `examples` cases of one operation; tally every answer (never stop at a failure)."""
    label = operation.label
    statuses = tally.per_operation_status.setdefault(label, Counter())

    @_settings(examples)
    @hypothesis.seed(seed)
    @hypothesis.given(case=strategy, data=st.data())
    def run(case, data) -> None:
        tally.cases[label] += 1
        _enrich(case, data, known)
        _bounded(case)
        try:
            response = case.call(headers=_credentials_for(case, headers, graphql), timeout=30)
        except Exception as exc:  # the transport raised: the app let an exception escape
            tally.failures.append(Failure(label, "unhandled_exception", None, f"{type(exc).__name__}: {exc}",
                                          _describe(case)))
            return
        tally.statuses[response.status_code] += 1
        statuses[response.status_code] += 1
        if graphql and response.status_code >= 500:
            tally.failures.append(Failure(label, "not_a_server_error", response.status_code, response.text[:600],
                                          _describe(case)))
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            for check, message in _failure_texts(exc):
                tally.failures.append(Failure(label, check, response.status_code, message, _describe(case)))
        codes, masked = _error_codes(response)
        tally.codes.update(codes)
        for message in masked:  # GraphQL answers, also to POST /graphql in the REST run
            tally.failures.append(Failure(label, "graphql_internal_error", response.status_code, message,
                                          _describe(case)))

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # e.g. negative cases of an operation that takes no input
        pass


def _credentials_for(case, headers: dict[str, str], graphql: bool) -> dict[str, str]:
    """The run's credentials, in place of those schemathesis makes up from the document's security schemes;
    a negative case about the credentials themselves is sent as generated (it must get a 401)."""
    if not graphql and case.operation.schema.is_security_param_negated(case):
        return {}
    if isinstance(case.headers, MutableMapping):
        for name in [n for n in case.headers if n.lower() in ("authorization", "x-api-key")]:
            del case.headers[name]
    return headers


def _bounded(case) -> None:
    """The Casbin revision's long poll waits up to `wait` seconds for a newer revision, which would
    only slow the run down: a valid wait becomes 0 (an invalid one, still answered at once, stays)."""
    wait = case.query.get("wait") if isinstance(case.query, dict) else None
    if case.operation.path.endswith("/revision") and isinstance(wait, int) and 0 < wait <= 60:
        case.query["wait"] = 0


def _describe(case) -> str:
    try:
        return case.as_curl_command()[:1500]
    except Exception:  # pragma: no cover - only for the report
        return repr(case)[:1500]


def fuzz_rest(app, *, examples: int, seed: int, headers: dict[str, str], tenant: str, known: Known | None = None,
              checks: list | None = None, negative: bool = True) -> Tally:
    """Every operation in the app's OpenAPI document, positive cases and (when `negative`) negative ones.
    Operations with a `{tenant}` path take the caller's own tenant in about half the cases."""
    schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, app)
    tally = Tally()
    with _capture() as log:
        started = time.perf_counter()
        for result in schema.get_all_operations():
            operation = result.ok()
            modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negative else [])
            for mode in modes:
                strategy = operation.as_strategy(generation_mode=mode)
                if "{tenant}" in operation.path:
                    strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode,
                                                                         path_parameters={"tenant": tenant}))
                chosen = [c for c in checks or REST_CHECKS if c not in EXEMPT.get(operation.label, ())]
                run_operation(operation, strategy, examples=max(1, examples // len(modes)), seed=seed,
                              headers=headers, checks=chosen, graphql=False, tally=tally, known=known)
        tally.seconds = time.perf_counter() - started
    tally.logged = log.records
    return tally


def fuzz_graphql(app, *, examples: int, seed: int, headers: dict[str, str], known: Known | None = None,
                 checks: list | None = None) -> Tally:
    """Every query and mutation field in the schema (loaded by introspection), positive cases."""
    schema = schemathesis.graphql.from_asgi(GRAPHQL_PATH, app, headers=headers)
    tally = Tally()
    with _capture() as log, _graphql_scalars(known):
        started = time.perf_counter()
        for result in schema.get_all_operations():
            operation = result.ok()
            run_operation(operation, operation.as_strategy(), examples=examples, seed=seed, headers=headers,
                          checks=checks or GRAPHQL_CHECKS, graphql=True, tally=tally)
        tally.seconds = time.perf_counter() - started
    tally.logged = log.records
    return tally


class _capture:
    def __enter__(self) -> _ErrorLog:
        self.handler = _ErrorLog()
        logging.getLogger().addHandler(self.handler)
        return self.handler

    def __exit__(self, *exc: Any) -> None:
        logging.getLogger().removeHandler(self.handler)


def app_settings(dsn: str, jwt_secret: str, data_dir: str):
    """Development mode (GraphiQL, introspection and the OpenAPI document on), rate limits off."""
    from registry.settings import Settings

    return Settings.from_env({"REGISTRY_DATABASE_URL": dsn, "REGISTRY_JWT_SECRET": jwt_secret,
                              "REGISTRY_DATA_DIR": data_dir, "REGISTRY_RATE_LIMIT_PERSON": "0",
                              "REGISTRY_RATE_LIMIT_SYSTEM": "0", "REGISTRY_MIN_REVISION_WAIT": "0.05"})


async def credentials(db, settings) -> tuple[dict[str, str], dict[str, str]]:
    """Headers for the administrator's JWT and for an API key with every scope (demo organisation)."""
    from registry.auth import JwtVerifier
    from registry.demo import DEMO_TENANT
    from tests.support import api_key

    token = JwtVerifier(settings).mint(subject=ADMIN, tenant=DEMO_TENANT, ttl_seconds=24 * 3600)
    key = await api_key(db, ALL_SCOPES, name="fuzzer")
    return {"Authorization": f"Bearer {token}"}, {"X-Api-Key": key}


def stop_apps() -> None:
    """End the lifespans schemathesis' ASGI transport started (the engine and the database pool)."""
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


def operation_counts(app, graphql_headers: dict[str, str]) -> tuple[int, int]:
    """How many REST operations (OpenAPI) and GraphQL fields (introspection) there are to fuzz."""
    rest = schemathesis.openapi.from_asgi(OPENAPI_PATH, app)
    gql = schemathesis.graphql.from_asgi(GRAPHQL_PATH, app, headers=graphql_headers)
    return (sum(1 for _ in rest.get_all_operations()), sum(1 for _ in gql.get_all_operations()))
