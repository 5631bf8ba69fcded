"""Typed mutation results: a union of the payload and the error types, each with a stable code."""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Union

import strawberry

from registry import errors

log = logging.getLogger(__name__)


@strawberry.interface(description="An expected failure: a stable code, a message, and the offending field.")
class Error:
    code: str
    message: str
    field: str | None


@strawberry.type(description="An id that does not exist in this organisation (other tenants' ids included).")
class NotFoundError(Error):
    pass


@strawberry.type(description="Input that breaks a rule: see code and field.")
class InvalidInputError(Error):
    pass


@strawberry.type(description="The version given is stale (or the value already exists); reload and retry.")
class ConflictError(Error):
    current_version: int | None


@strawberry.type(description="The caller may not do this.")
class ForbiddenError(Error):
    pass


ERROR_TYPES = (NotFoundError, InvalidInputError, ConflictError, ForbiddenError)


def to_error(exc: errors.RegistryError):
    if isinstance(exc, errors.NotFound):
        return NotFoundError(code=exc.code, message=exc.message, field=exc.field)
    if isinstance(exc, errors.Conflict):
        return ConflictError(code=exc.code, message=exc.message, field=exc.field,
                             current_version=exc.current_version)
    if isinstance(exc, (errors.Forbidden, errors.Unauthenticated)):
        return ForbiddenError(code=exc.code, message=exc.message, field=exc.field)
    return InvalidInputError(code=exc.code, message=exc.message, field=exc.field)


def result(name: str, payload: type):
    """The GraphQL union `name` of `payload` and every error type."""
    return Annotated[Union[payload, *ERROR_TYPES], strawberry.union(name)]  # noqa: UP007


def typed_errors(fn):
    """Turn the registry's expected errors raised by a resolver into error results."""
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except errors.RegistryError as exc:
            return to_error(exc)
    return wrapper


def payload(name: str, **fields):
    """A mutation payload type: the changed entity (or entities) and the revision the write committed at."""
    annotations = {**fields, "revision": int}
    return strawberry.type(type(name, (), {"__annotations__": annotations}))
