"""The registry's own errors. Each kind carries a stable code and, where one applies, the field."""

from __future__ import annotations


class RegistryError(Exception):
    """Registry error."""

    code = "error"

    def __init__(self, message: str | None = None, *, field: str | None = None, code: str | None = None,
                 message_da: str | None = None):
        self.message = message or (self.__doc__ or "").strip()
        self.field = field
        self.message_da = message_da  # the Danish text for people, where one is written
        if code is not None:
            self.code = code
        super().__init__(self.message)


class NotFound(RegistryError):
    """Not found."""

    code = "not_found"


class Invalid(RegistryError):
    """Invalid input."""

    code = "invalid"


class Conflict(RegistryError):
    """The entity was changed by someone else; reload it and try again."""

    code = "conflict"

    def __init__(self, message: str | None = None, *, field: str | None = "version",
                 code: str | None = None, current_version: int | None = None, existing_id=None,
                 message_da: str | None = None):
        super().__init__(message, field=field, code=code, message_da=message_da)
        self.current_version = current_version
        self.existing_id = existing_id  # `duplicate`: the entity that already exists


class Forbidden(RegistryError):
    """You may not do this."""

    code = "forbidden"


class Unauthenticated(RegistryError):
    """Authentication required: send a valid bearer token or API key."""

    code = "unauthenticated"


class Unavailable(RegistryError):
    """The registry cannot confirm it is current (stale); try again shortly."""

    code = "stale"


class RateLimited(RegistryError):
    """Too many requests from this principal; slow down and retry after the given seconds."""

    code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after
