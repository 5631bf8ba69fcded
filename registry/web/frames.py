"""The unit's shared frame (issue 12 part 5): its kerneopgave/formål and fælles spilleregler, agreed
with the team. The leader sets it here; Mit mandat shows it on every entry within the unit."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect

from registry import errors
from registry.errors import RegistryError
from registry.services import board as board_uc
from registry.services import frames as frame_uc
from registry.web.door import ctx
from registry.web.forms import failure, form_values, optional_uuid, parse_date, parse_int, saved
from registry.web.render import iso_date, page

FIELDS = {"coreTask": "kerneopgave", "rules": "spilleregler", "agreedOn": "aftalt_dato", "agreedHow": "aftalt_hvordan",
          "unitId": "enhed", "teamId": "enhed", "version": None}


async def _page(request: Request, unit: str | None, values: dict | None = None, *, errors_at: dict | None = None,
                error: str | None = None, status: int = 200):
    c = ctx(request)
    found = await board_uc.board(c, optional_uuid(unit, "enhed"))
    frame = None if found.unit is None else await frame_uc.frame_of(c, found.unit.id, None)
    if values is None:
        values = {} if frame is None else {
            "kerneopgave": frame.core_task, "spilleregler": "\n".join(frame.rules),
            "aftalt_dato": iso_date(frame.agreed_on), "aftalt_hvordan": frame.agreed_how}
        values["version"] = str(0 if frame is None else frame.version)
    return page(request, "frame.html", board=found, frame=frame, values=values, errors=errors_at or {}, error=error,
                status=status, saved=saved(request))


@get("/ramme", opt={"ops": ("units", "unitFrame")})
async def frame_page(request: Request, enhed: str | None = None) -> object:
    return await _page(request, enhed)


@post("/ramme", opt={"ops": ("setUnitFrame",)}, status_code=303)
async def set_frame(request: Request) -> object:
    form = await form_values(request)
    unit = form.get("enhed")
    try:
        result = await frame_uc.set_frame(ctx(request), frame_uc.FrameInput(
            unit_id=optional_uuid(unit, "unitId"), core_task=(form.get("kerneopgave") or "").strip(),
            rules=tuple(line.strip() for line in (form.get("spilleregler") or "").splitlines() if line.strip()),
            agreed_on=parse_date(form, "aftalt_dato", "agreedOn"),
            agreed_how=(form.get("aftalt_hvordan") or "").strip()), version=parse_int(form, "version", "version", 0))
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, FIELDS)
        if status in (403, 404):
            raise
        return await _page(request, unit, form, errors_at=at, error=message, status=status)
    return Redirect(f"/ramme?enhed={result.value.unit_id}&gemt=1", status_code=303)


ROUTES = [frame_page, set_frame]
