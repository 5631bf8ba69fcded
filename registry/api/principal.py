"""Authentication for the REST routes, as a litestar dependency; and the request-id echo."""

from __future__ import annotations

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from registry.auth import Principal, authenticate


async def principal(request: Request) -> Principal:
    state = request.app.state
    headers = request.headers
    who = await authenticate(state.db, state.verifier, headers.get("authorization"), headers.get("x-api-key"),
                             state.clock(), cache=state.principal_cache)
    state.rate_limiter.take(who)
    return who


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Echo a client's X-Request-ID on the response (AuthZEN asks for it; it helps everyone)."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        if request_id is None or len(request_id) > 200:
            await app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id)]}
            await send(message)
        await app(scope, receive, send_with_id)
    return middleware
