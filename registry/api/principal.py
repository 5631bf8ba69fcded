"""Authentication for the REST routes, as a litestar dependency; and the request-id echo."""

from __future__ import annotations

import uuid

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from registry import logs
from registry.api.authorization import principal_of
from registry.auth import Principal


async def principal(request: Request) -> Principal:
    """The caller, authenticated and let in by the door (registry.api.authorization.rest_door)."""
    return principal_of(request.scope)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Every response carries an X-Request-ID: the client's (AuthZEN asks for the echo), or a new
    one. Logs written while handling the request carry it too."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = given if given is not None and 0 < len(given) <= 200 else uuid.uuid4().hex.encode()
        tokens = (logs.request_id.set(rid.decode("latin-1")), logs.principal.set(None))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid)]}
            await send(message)
        try:
            await app(scope, receive, send_with_id)
        finally:
            logs.request_id.reset(tokens[0])
            logs.principal.reset(tokens[1])
    return middleware
