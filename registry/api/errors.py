"""The one mapping from the registry's errors (and unexpected failures) to HTTP responses."""

from __future__ import annotations

import logging
import uuid

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException

from registry import errors, texts
from registry.storage.db import connection_lost

log = logging.getLogger("registry.api")

STATUS = {
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Invalid: 400,
    errors.Unavailable: 503,
    errors.RateLimited: 429,
}


def _body(code: str, message: str, field: str | None = None, own_da: str | None = None) -> dict:
    """Every REST error: the stable code, a message, the field, and the Danish text for people."""
    return {"error": {"code": code, "message": message, "field": field,
                      "message_da": texts.error_da(code, own_da)}}


def registry_error(request: Request, exc: errors.RegistryError) -> Response:
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="registry"'} if status == 401 else None
    if isinstance(exc, errors.RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return Response(_body(exc.code, exc.message, exc.field, exc.message_da), status_code=status,
                    media_type=MediaType.JSON, headers=headers)


def http_error(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "bad_request")
    if exc.status_code >= 500:
        return unexpected(request, exc)
    return Response(_body(code, exc.detail), status_code=exc.status_code, media_type=MediaType.JSON)


DATABASE_UNAVAILABLE = "The registry's database is unavailable; try again shortly."


def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (or refuses us): a retryable 503, logged once with context."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return Response(_body("unavailable", DATABASE_UNAVAILABLE), status_code=503, media_type=MediaType.JSON,
                    headers={"Retry-After": "1"})


def unexpected(request: Request, exc: Exception) -> Response:
    """Log with context; tell the client only an incident id."""
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
    return Response(_body("internal", f"Internal error (incident {incident})."), status_code=500,
                    media_type=MediaType.JSON)


def dispatch_unexpected(request: Request, exc: Exception) -> Response:
    if connection_lost(exc):
        return database_unavailable(request, exc)
    return unexpected(request, exc)


HANDLERS = {errors.RegistryError: registry_error, HTTPException: http_error, Exception: dispatch_unexpected}
