"""Reading the web app's forms: values as text, dates as Danish days, and a refused form's status
and Danish message at its field. Shared by every page module, so a form field reads the same way
everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID

from litestar import Request

from registry import texts
from registry.domain.rules import check_dates
from registry.api.errors import STATUS
from registry.errors import Invalid, RegistryError
from registry.services.common import parse_uuid
from registry.web.render import DANISH_TIME


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text fields (never the form token)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


def optional_uuid(value: str | None, field: str) -> UUID | None:
    value = (value or "").strip()
    return parse_uuid(value, field) if value else None


def parse_date(values: Mapping[str, str], name: str, field: str | None = None, *,
               required: bool = False) -> date | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid(f"{name} is required", field=field or name, code="required")
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid(f"{name} is not a date", field=field or name, code="invalid_instant") from exc
    check_dates(**{field or name: day})
    return day


def parse_int(values: Mapping[str, str], name: str, field: str | None = None,
              default: int | None = None) -> int | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise Invalid(f"{name} is not a whole number", field=field or name, code="invalid_argument") from exc


def start_of(day: date) -> datetime:
    """The day's first instant in Danish time."""
    return datetime.combine(day, time(0), DANISH_TIME)


def end_of(day: date) -> datetime:
    """The instant the day ends in Danish time (a period "til og med" the day)."""
    return start_of(day + timedelta(days=1))


def last_day(until: datetime | None) -> date | None:
    """The last day a period ending at `until` covers (its end is exclusive): shown "til og med"."""
    return None if until is None else (until.astimezone(DANISH_TIME) - timedelta(microseconds=1)).date()


def failure(exc: RegistryError, fields: Mapping[str, str] = {}) -> tuple[int, str, dict[str, str]]:  # noqa: B006
    """A refused form: its status, the Danish text, and that text at the form's field (`fields` maps
    the use case's field names to the form's)."""
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
    message = texts.error_da(exc.code, exc.message_da) or texts.ERRORS_DA["invalid"]
    field = fields.get(exc.field, exc.field) if exc.field else None
    return status, message, ({field: message} if field else {})


def saved(request: Request) -> bool:
    """Back from a successful POST (?gemt=1)."""
    return request.query_params.get("gemt") == "1"
