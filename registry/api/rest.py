"""Plain HTTP routes: liveness and readiness."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get

from registry.access import access
from registry.auth import authenticate
from registry.errors import RegistryError

# Readiness is open to anyone (load balancers, probes), so it names no tenant unless the caller may
# see them all (registry_admin_policy.csv: platform operators).
TENANTS = "GET /health/ready:tenants"


@get("/health", sync_to_thread=False)
def health() -> dict:
    return {"status": "ok"}


@get("/health/ready")
async def ready(request: Request) -> Response:
    """Ready when the engine has confirmed, within its bound, that it holds the current revision.
    Carries the decision log's counters (entries queued, written and dropped since start, pending),
    and, for a platform operator, each tenant's revision."""
    engine = request.app.state.engine
    decision_log = request.app.state.decision_log.counters()
    if engine is None or not engine.current():
        return Response({"status": "stale", "decision_log": decision_log}, status_code=503,
                        media_type=MediaType.JSON)
    body = {"status": "ready", "decision_log": decision_log}
    if await _may_see_tenants(request):
        body["revisions"] = {i.tenant_key: i.revision for i in engine.indexes.values()}
    return Response(body, media_type=MediaType.JSON)


async def _may_see_tenants(request: Request) -> bool:
    headers, state = request.headers, request.app.state
    if not headers.get("authorization") and not headers.get("x-api-key"):
        return False
    try:  # credentials that do not hold are ignored: readiness still answers, naming nobody
        who = await authenticate(state.db, state.verifier, headers.get("authorization"), headers.get("x-api-key"),
                                 state.clock(), cache=state.principal_cache)
    except RegistryError:
        return False
    return access().may(who, TENANTS)


ROUTES = [health, ready]
