"""Breaches as learning on the web (issue 12, part 6): on a breach's page, the responses over time,
the employee's own account, the frame changes and the learning points, with a form for each to
those the use cases let write it; the unit's breaches by cause on the follow-up page; what a unit
has learned (the shareable learning points) on /laering, from the board.

Thin: the use cases (services/breach_learning.py) decide; a refused form is shown again on the
breach's page with its values kept and the Danish message at its field.
"""

from __future__ import annotations

from datetime import datetime, time
from uuid import UUID

from litestar import Request, get, post
from litestar.response import Redirect

from registry import errors
from registry.errors import Forbidden, RegistryError
from registry.services import breach_learning as learning_uc
from registry.services import followup as followup_uc
from registry.services.common import Ctx, parse_uuid
from registry.web.door import ctx
from registry.services import queries
from registry.web.forms import end_of, failure, form_values, optional_uuid, parse_date, parse_int
from registry.web.render import DANISH_TIME, page

# The use cases' field names -> the forms' (each form's fields are prefixed by the form).
FIELDS = {
    "svar": {"response": "svar_type", "note": "svar_note", "givenAt": "svar_dato", "until": "svar_til",
             "loweredTo": "svar_niveau", "breachId": None, "unitId": None},
    "beretning": {"account": "beretning", "breachId": None, "version": "beretning"},
    "ramme": {"kind": "ramme_type", "text": "ramme_tekst", "decidedAt": "ramme_tekst", "breachId": None,
              "unitId": None},
    "laering": {"text": "laering_tekst", "confirmNoPersonalData": "laering_bekraeft", "breachId": None,
                "unitId": None},
}


async def page_context(c: Ctx, breach) -> dict:
    """What a breach's page shows of the learning that followed it, and which forms it offers."""
    responses = await learning_uc.responses(c, breach)
    frame_changes = await learning_uc.frame_changes(c, breach)
    points = await learning_uc.learning_points(c, breach)
    people = {r.recorded_by for r in responses if r.recorded_by} | {f.recorded_by for f in frame_changes}
    return {"responses": responses, "account": await learning_uc.account(c, breach), "frame_changes": frame_changes,
            "learning_points": points, "may_respond": await learning_uc.may_respond(c, breach),
            "may_write_account": await learning_uc.may_write_account(c, breach),
            "learning_names": await followup_uc.names(c, people=people)}


def _day_instant(day, now: datetime) -> datetime | None:
    """A day as an instant: None (now) for today, else noon that day."""
    if day is None or day == now.astimezone(DANISH_TIME).date():
        return None
    return datetime.combine(day, time(12), DANISH_TIME)


async def _submit(request: Request, breach_id: str, form_name: str, write) -> object:
    from registry.web import followup  # the breach's page is follow-up's

    form = await form_values(request)
    c = ctx(request)
    try:
        await write(c, parse_uuid(breach_id, "id"), form)
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, FIELDS[form_name])
        if status == 404:
            raise
        response = await followup._breach_page(request, breach_id, None, error=message, learning_form=form_name,
                                               learning_values=form, learning_errors=at)
        response.status_code = status
        return response
    return Redirect(f"/tillidsbrud/{breach_id}?gemt=1#{form_name}", status_code=303)


async def _respond(c: Ctx, breach: UUID, form: dict) -> None:
    kind = form.get("svar_type") or ""
    until = parse_date(form, "svar_til", "until")
    await learning_uc.add_response(c, breach, learning_uc.ResponseInput(
        response=kind, note=(form.get("svar_note") or "").strip() or None,
        given_at=_day_instant(parse_date(form, "svar_dato", "givenAt"), c.now()),
        until=end_of(until) if until is not None else None,
        lowered_to=parse_int(form, "svar_niveau", "loweredTo") if kind == "lowered_level" else None))


async def _account(c: Ctx, breach: UUID, form: dict) -> None:
    version = parse_int(form, "version", "version")
    await learning_uc.write_account(c, breach, form.get("beretning") or "", version)


async def _frame(c: Ctx, breach: UUID, form: dict) -> None:
    await learning_uc.record_frame_change(c, breach, form.get("ramme_type") or "", form.get("ramme_tekst") or "")


async def _learn(c: Ctx, breach: UUID, form: dict) -> None:
    await learning_uc.record_learning_point(c, breach, form.get("laering_tekst") or "",
                                            shareable=form.get("laering_del") == "ja",
                                            confirm_no_personal_data=form.get("laering_bekraeft") == "ja")


@post("/tillidsbrud/{breach_id:str}/svar", opt={"ops": ("addBreachResponse",)}, status_code=303)
async def respond(request: Request, breach_id: str) -> object:
    return await _submit(request, breach_id, "svar", _respond)


@post("/tillidsbrud/{breach_id:str}/beretning", opt={"ops": ("writeBreachAccount",)}, status_code=303)
async def write_account(request: Request, breach_id: str) -> object:
    return await _submit(request, breach_id, "beretning", _account)


@post("/tillidsbrud/{breach_id:str}/ramme", opt={"ops": ("recordFrameChange",)}, status_code=303)
async def frame_change(request: Request, breach_id: str) -> object:
    return await _submit(request, breach_id, "ramme", _frame)


@post("/tillidsbrud/{breach_id:str}/laering", opt={"ops": ("recordLearningPoint",)}, status_code=303)
async def learning_point(request: Request, breach_id: str) -> object:
    return await _submit(request, breach_id, "laering", _learn)


async def overviews(c: Ctx, unit_ids: list[UUID]) -> dict[UUID, learning_uc.Overview]:
    """The follow-up page: each unit's breaches by cause (left out where the caller may not see it)."""
    shown = {}
    for u in unit_ids:
        try:
            shown[u] = await learning_uc.overview(c, u)
        except Forbidden:
            continue
    return shown


@get("/laering", opt={"ops": ("sharedLearningPoints", "units")})
async def shared(request: Request, enhed: str | None = None) -> object:
    """What a unit (and the units below it) has learned from breaches: the shareable learning points
    of any unit in the organisation (the caller's own unit when none is chosen)."""
    c = ctx(request)
    units = await queries.units(c, False)
    chosen = optional_uuid(enhed, "enhed") or await learning_uc.own_unit(c)
    unit = next((u for u in units if u.id == chosen), None)
    points = [] if unit is None else await learning_uc.shared_learning_points(c, unit.id)
    return page(request, "learning.html", units=units, unit=unit, points=points)


ROUTES = [respond, write_account, frame_change, learning_point, shared]
