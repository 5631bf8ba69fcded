"""Plain HTTP routes: liveness and readiness."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get


@get("/health", sync_to_thread=False)
def health() -> dict:
    return {"status": "ok"}


@get("/health/ready")
async def ready(request: Request) -> Response:
    """Ready when the engine has confirmed, within its bound, that it holds the current revision.
    Carries the decision log's counters (entries queued, written and dropped since start, pending)."""
    engine = request.app.state.engine
    decision_log = request.app.state.decision_log.counters()
    if engine is None or not engine.current():
        return Response({"status": "stale", "decision_log": decision_log}, status_code=503,
                        media_type=MediaType.JSON)
    return Response({"status": "ready", "revisions": {i.tenant_key: i.revision for i in engine.indexes.values()},
                     "decision_log": decision_log}, media_type=MediaType.JSON)


ROUTES = [health, ready]
