"""Acts as hverdagsdirektør: the person's own acts, recording one ("Jeg valgte en anden løsning,
fordi …"), justifying it, marking what it owes as done, and the leader's feedback on it
(services.acts). Thin: the use cases check the mandate and who may do what; this parses forms and
renders their answers in Danish.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from litestar import Request, get, post
from litestar.response import Redirect

from registry import errors, texts
from registry.domain import rules
from registry.domain.decisions import DECIDING_ACTIONS
from registry.domain.model import Act
from registry.errors import RegistryError, Unavailable
from registry.policy.index import Decision
from registry.services import acts as act_uc
from registry.services import checks as check_uc
from registry.services import mandate_view
from registry.web import door
from registry.web.forms import failure, form_values
from registry.web.mandate import attribute_values
from registry.web.render import DANISH_TIME, page

# The use cases' field names, as the form's fields are named.
FORM_FIELDS = {"area": "omraade", "unit": "enhed", "action": "handling", "caseRef": "sag",
               "description": "beskrivelse", "occurredAt": "dato", "justification": "begrundelse",
               "feedback": "tilbagemelding", "assessment": "vurdering", "reply": "svar"}
RECORDED_ACTIONS = ("act_as_hverdagsdirektoer", "decide")
DATE_TIME_DA = "Skriv dato og klokkeslæt, fx 2026-11-28 og 14:30."


def status_of(exc: RegistryError) -> int:
    return failure(exc)[0]


def refusal(exc: RegistryError) -> dict:
    """A refused use case as the form shows it: the Danish message at the top and next to its field."""
    return {"error": failure(exc)[1], "error_field": FORM_FIELDS.get(exc.field or "", None)}


@get("/handlinger", opt={"ops": ("myActs",)})
async def my_acts(request: Request) -> object:
    ctx = door.ctx(request)
    found = await act_uc.list_acts(ctx, mine=True, unit_id=None, awaiting=None)
    areas, units = await mandate_view.tree_names(ctx)
    now = ctx.now()
    rows = [(act, due, act_uc.state_of(act, due, now), next((i for i in due if i.kind == "justify"), None))
            for act, due in found]
    # Kollegial sparring: colleagues' acts under peer sparring in her unit, for her feedback.
    peer_found = await act_uc.list_peer_acts(ctx)
    people = {} if not peer_found else (await mandate_view.names_of(
        ctx, area_id=None, unit_id=None, people_ids=[a.person_id for a, _ in peer_found]))[3]
    peer_rows = [(act, act_uc.state_of(act, due, now)) for act, due in peer_found]
    return page(request, "acts.html", rows=rows, areas=areas, units=units, peer_rows=peer_rows, people=people)


async def _deciding_places(request: Request) -> mandate_view.Place:
    ctx = door.ctx(request)
    entries = await check_uc.mandate(ctx, request.app.state.engine, door.principal(request).person.external_id,
                                     None)
    if isinstance(entries, Decision):
        raise Unavailable("the registry cannot confirm it is current; try again shortly", code="stale")
    return await mandate_view.places(ctx, entries)


async def _form(request: Request, *, area_key: str | None, values: dict, status: int = 200, error: str | None = None,
                error_field: str | None = None, attribute_errors: dict | None = None) -> object:
    """The form to record an act: first the area (it decides which facts the form asks for), then
    the rest."""
    ctx = door.ctx(request)
    places = await _deciding_places(request)
    area = next((a for a in places.areas if a.key == area_key), None)
    found = await mandate_view.attributes_of(ctx, area_key) if area_key else None
    attributes = () if found is None else found[1]
    if area is None and found is not None:  # outside her mandate: shown, with the values kept; never recorded
        area = mandate_view.Choice(str(found[0].id), found[0].key, found[0].name_da, 0)
        error = error or texts.REASONS_DA["no_delegation"] + "."
    now = request.app.state.clock().astimezone(DANISH_TIME)
    values = {"handling": "act_as_hverdagsdirektoer", "enhed": places.units[0].id if len(places.units) == 1 else "",
              "sag": "", "beskrivelse": "", "dato": now.date().isoformat(), "tid": now.strftime("%H:%M"), **values}
    _, typed, _ = attribute_values(attributes, values)
    return page(request, "act_new.html", status=status, places=places, area=area, attributes=attributes,
                values=values, typed=typed, attribute_errors=attribute_errors or {}, error=error,
                error_field=error_field, actions=RECORDED_ACTIONS)


@get("/handlinger/ny", opt={"ops": ("recordAct", "mandate")})
async def new_act(request: Request, omraade: str | None = None) -> object:
    return await _form(request, area_key=omraade, values={})


def _occurred_at(values: dict, now: datetime) -> datetime | None:
    """The date and time from the form, in Danish time. A time in the current minute means now (the
    form offers minutes: "just now" is not a minute ago)."""
    try:
        day = date.fromisoformat(values.get("dato", "").strip())
        clock = time.fromisoformat(values.get("tid", "").strip() or "12:00")
    except ValueError:
        return None
    if not rules.EARLIEST_YEAR <= day.year <= rules.LATEST_YEAR:
        return None  # refused as unreadable, before any arithmetic (year 1 overflows at the zone shift)
    at = datetime.combine(day, clock, DANISH_TIME)
    if at.second == 0 and at.microsecond == 0 and at <= now < at + timedelta(minutes=1):
        return now
    return at


@post("/handlinger/ny", opt={"ops": ("recordAct",)}, status_code=303)
async def record_act(request: Request) -> object:
    values = await form_values(request)
    area_key = values.get("omraade", "")
    ctx = door.ctx(request)
    found = await mandate_view.attributes_of(ctx, area_key) if area_key else None
    attributes = () if found is None else found[1]
    attrs, _, attribute_errors = attribute_values(attributes, values)
    occurred_at = _occurred_at(values, request.app.state.clock())
    if attribute_errors or occurred_at is None:
        return await _form(request, area_key=area_key, values=values, status=400,
                           error="Nogle felter kunne ikke læses. Ret dem, og prøv igen.",
                           error_field=None if occurred_at is not None else "dato",
                           attribute_errors=attribute_errors)
    data = act_uc.ActInput(person=door.principal(request).person.external_id, area=area_key,
                           unit=values.get("enhed", ""), action=values.get("handling", "act_as_hverdagsdirektoer"),
                           attributes=attrs, case_ref=values.get("sag", ""), description=values.get("beskrivelse", ""),
                           occurred_at=occurred_at)
    for field in ("omraade", "enhed"):
        if not values.get(field, "").strip():
            return await _form(request, area_key=area_key, values=values, status=400,
                               error=texts.ERRORS_DA["required"], error_field=field)
    if data.action not in DECIDING_ACTIONS:
        return await _form(request, area_key=area_key, values=values, status=400,
                           error=texts.ERRORS_DA["invalid_choice"], error_field="handling")
    try:
        result = await act_uc.record(ctx, request.app.state.engine, data)
    except RegistryError as exc:
        if isinstance(exc, errors.Unauthenticated):
            raise
        return await _form(request, area_key=area_key, values=values, status=status_of(exc), **refusal(exc))
    act: Act = result.value
    return Redirect(f"/handlinger/{act.id}?gemt=1", status_code=303)


async def _act_page(request: Request, act_id: UUID, *, status: int = 200, error: str | None = None,
                    error_field: str | None = None, values: dict | None = None, saved: bool = False) -> object:
    ctx = door.ctx(request)
    act = await act_uc.get_act(ctx, act_id)  # not found for those who may not see it
    due = await act_uc.due_items_of(ctx, act_id)
    area, attributes, unit, people = await mandate_view.names_of(
        ctx, area_id=act.area_id, unit_id=act.unit_id, people_ids=[act.person_id, act.feedback_by])
    me = door.principal(request).person
    now = ctx.now()
    role = await act_uc.reviewer_role(ctx, act)  # leader, delegator, standin, peer (a colleague) or None
    described = {a.name: a for a in attributes}
    return page(request, "act.html", status=status, act=act, due=due, area=area, unit=unit, people=people,
                mine=me is not None and me.id == act.person_id, reviewer=role is not None and role != "peer",
                peer=role == "peer", may_write_feedback=act_uc.may_write_feedback(act, role, me.id if me else None),
                now=now,
                awaiting_justification=act_uc.awaits_justification(act, due),
                askable=act.level == 6 and act.delegation_id is not None and act.justification is None
                and not any(item.kind == "justify" for item in due),
                state=act_uc.state_of(act, due, now), described=described, error=error, error_field=error_field,
                values=values or {}, saved=saved, assessments=act_uc.assessments_for(role))


@get("/handlinger/{act_id:uuid}", opt={"ops": ("act",)})
async def show_act(request: Request, act_id: UUID, gemt: str | None = None) -> object:
    return await _act_page(request, act_id, saved=gemt is not None)


def _version(values: dict) -> int:
    try:
        return int(values.get("version", ""))
    except ValueError:
        return 0


async def _act_post(request: Request, act_id: UUID, run) -> object:
    values = await form_values(request)
    try:
        await run(door.ctx(request), values)
    except RegistryError as exc:
        if isinstance(exc, (errors.Unauthenticated, errors.NotFound)) and exc.field in (None, "id"):
            raise  # not hers to see: the error page, nothing of the act
        return await _act_page(request, act_id, status=status_of(exc), values=values, **refusal(exc))
    return Redirect(f"/handlinger/{act_id}?gemt=1", status_code=303)


@post("/handlinger/{act_id:uuid}/begrundelse", opt={"ops": ("justifyAct",)}, status_code=303)
async def justify_act(request: Request, act_id: UUID) -> object:
    async def run(ctx, values):
        await act_uc.justify(ctx, act_id, _version(values), values.get("begrundelse", ""))
    return await _act_post(request, act_id, run)


@post("/handlinger/{act_id:uuid}/spoerg", opt={"ops": ("askForJustification",)}, status_code=303)
async def ask_for_justification(request: Request, act_id: UUID) -> object:
    async def run(ctx, values):
        await act_uc.ask_for_justification(ctx, act_id, _version(values))
    return await _act_post(request, act_id, run)


@post("/handlinger/{act_id:uuid}/svar", opt={"ops": ("replyToFeedback",)}, status_code=303)
async def reply_to_feedback(request: Request, act_id: UUID) -> object:
    async def run(ctx, values):
        await act_uc.reply(ctx, act_id, _version(values), values.get("svar", ""))
    return await _act_post(request, act_id, run)


@post("/handlinger/{act_id:uuid}/tilbagemelding", opt={"ops": ("giveFeedback",)}, status_code=303)
async def give_feedback(request: Request, act_id: UUID) -> object:
    async def run(ctx, values):
        await act_uc.give_feedback(ctx, act_id, _version(values), values.get("tilbagemelding", ""),
                                   values.get("vurdering", ""))
    return await _act_post(request, act_id, run)


@post("/handlinger/{act_id:uuid}/opfyldt", opt={"ops": ("fulfilDueItem",)}, status_code=303)
async def fulfil_item(request: Request, act_id: UUID) -> object:
    async def run(ctx, values):
        await act_uc.get_act(ctx, act_id)  # not found for those who may not see it
        try:
            item = UUID(values.get("punkt", ""))
        except ValueError:
            raise errors.NotFound("no such item", field="id") from None
        if item not in {i.id for i in await act_uc.due_items_of(ctx, act_id)}:
            raise errors.NotFound("no such item", field="id")
        await act_uc.fulfil(ctx, item, _version(values))
    return await _act_post(request, act_id, run)


ROUTES = [my_acts, new_act, record_act, show_act, justify_act, ask_for_justification, reply_to_feedback, give_feedback,
          fulfil_item]
