"""Errors on the web app's pages: a Danish page with the stable code, never internals.

The status codes are the API's (registry.api.errors.STATUS); the words are the catalogue's.
"""

from __future__ import annotations

import logging
import uuid

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from registry import errors, texts
from registry.api.errors import STATUS
from registry.storage.db import connection_lost
from registry.web.render import page

log = logging.getLogger("registry.web")


def _error_page(request: Request, status: int, code: str, message_da: str | None, incident: str | None = None):
    return page(request, "error.html", status=status, code=code,
                message=texts.error_da(code, message_da) or texts.ERRORS_DA["invalid"], incident=incident)


def registry_error(request: Request, exc: errors.RegistryError) -> Response:
    if isinstance(exc, errors.Unauthenticated):
        return Redirect("/log-ind")
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
    return _error_page(request, status, exc.code, exc.message_da)


def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code >= 500:
        return unexpected(request, exc)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "bad_request")
    return _error_page(request, exc.status_code, code, None)


def unexpected(request: Request, exc: Exception) -> Response:
    if connection_lost(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return _error_page(request, 503, "unavailable", None)
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
    return _error_page(request, 500, "internal", None, incident)


HANDLERS = {errors.RegistryError: registry_error, HTTPException: http_error, Exception: unexpected}


API_PREFIXES = ("/graphql", "/graphiql", "/access/", "/.well-known/", "/casbin/", "/health", "/schema")


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not an API client): an unknown address gets the Danish page."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(API_PREFIXES)
