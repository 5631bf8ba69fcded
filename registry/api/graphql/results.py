"""Typed mutation results: a union of the payload and the error types, each with a stable code."""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Union

import strawberry

from registry import errors, texts

log = logging.getLogger(__name__)


@strawberry.interface(description="An expected failure: a stable code, a message, and the offending field.")
class Error:
    code: str
    message: str
    field: str | None
    message_da: str | None = strawberry.field(default=None, description="The same in Danish, for people (from the "
                                                                          "registry's one catalogue of Danish texts).")


@strawberry.type(description="An id that does not exist in this organisation (other tenants' ids included).")
class NotFoundError(Error):
    pass


@strawberry.type(description="Input that breaks a rule: see code and field.")
class InvalidInputError(Error):
    pass


@strawberry.type(description="The version given is stale (or the value already exists); reload and retry.")
class ConflictError(Error):
    current_version: int | None
    existing_id: strawberry.ID | None = strawberry.field(
        default=None, description="`duplicate`: the existing entity to change instead.")


@strawberry.type(description="The caller may not do this.")
class ForbiddenError(Error):
    pass


ERROR_TYPES = (NotFoundError, InvalidInputError, ConflictError, ForbiddenError)


def to_error(exc: errors.RegistryError):
    common = {"code": exc.code, "message": exc.message, "field": exc.field,
              "message_da": texts.error_da(exc.code, exc.message_da)}
    if isinstance(exc, errors.NotFound):
        return NotFoundError(**common)
    if isinstance(exc, errors.Conflict):
        existing = None if exc.existing_id is None else strawberry.ID(str(exc.existing_id))
        return ConflictError(**common, current_version=exc.current_version, existing_id=existing)
    if isinstance(exc, (errors.Forbidden, errors.Unauthenticated)):
        return ForbiddenError(**common)
    return InvalidInputError(**common)


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
