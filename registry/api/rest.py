"""Plain HTTP routes: liveness and readiness."""

from __future__ import annotations

from litestar import Request, get


@get("/health", sync_to_thread=False)
def health() -> dict:
    return {"status": "ok"}


@get("/health/ready")
async def ready(request: Request) -> dict:
    db = request.app.state.db
    async with db.read() as conn:
        await conn.fetchval("SELECT 1")
    return {"status": "ready"}


ROUTES = [health, ready]
