"""The leader's follow-up pages ("Opfølgning"): what waits for her in her units, completing a review,
appointing and ending stand-ins (stedfortrædere), and trust breaches (tillidsbrud).

Thin: parse the form, call the use cases (services/followup, reviews, standins, breaches), render.
Who may do what is decided by the door (the operations below) and the use cases, as for GraphQL.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from litestar import Request, get, post
from litestar.response import Redirect

from registry import texts
from registry.domain.model import Delegation
from registry.errors import Conflict, Forbidden, Invalid, NotFound, RegistryError
from registry.services import delegations as delegation_uc
from registry.services import breaches as breach_uc
from registry.services import followup as followup_uc
from registry.services import leader_cards as leader_card_uc  # issue 12, part 4
from registry.services import queries
from registry.services import reviews as review_uc
from registry.services import standins as standin_uc
from registry.services.common import parse_uuid
from registry.web import breach_learning as learning_web  # issue 12, part 6
from registry.web import leader_cards as leader_card_web  # issue 12, part 4
from registry.web.door import ctx, principal
from registry.web.forms import end_of, failure, form_values, last_day, optional_uuid, parse_date, parse_int, saved, \
    start_of
from registry.web.render import DANISH_TIME, page

REVIEW_OPS = ("delegation", "completeReview")
TEMPORARY = breach_uc.TEMPORARY


# --- form helpers ---------------------------------------------------------------------------------













def _failed(request: Request, template: str, exc: RegistryError, fields: dict[str, str], **context):
    """The form again, with its values, the error at the top and next to its field."""
    status, message, errors = failure(exc, fields)
    return page(request, template, status=status, error=message, errors=errors, **context)


def _occurred(day: date, now: datetime) -> datetime:
    """A day as an instant: noon that day, or now when that is today and earlier (the use case
    refuses an instant in the future, so a later day is passed on as it is)."""
    at = datetime.combine(day, time(12), DANISH_TIME)
    return min(at, now) if day == now.astimezone(DANISH_TIME).date() else at








# --- the follow-up page ---------------------------------------------------------------------------

@get("/opfoelgning", opt={"ops": ("acts", "delegationsDueForReview", "delegationsExpiring", "standIns",
                                   "leaderCardCount", "breachOverview", "requests", "offers")})
async def follow_up(request: Request) -> object:
    return await render_follow_up(request)


async def render_follow_up(request: Request, *, status: int = 200, error: str | None = None) -> object:
    from registry.web import offers as offer_web  # issue 12, part 1

    found = await followup_uc.overview(ctx(request))
    # issue 12, part 4: the leader's cards drawn in each unit recently (a number, never per person)
    cards = await leader_card_web.counts(ctx(request), [f.unit.id for f in found.units])
    # issue 12, part 1: the employees' requests and proposals, and offers waiting or just answered
    dialogue = await offer_web.followup_context(ctx(request), [f.unit.id for f in found.units])
    return page(request, "followup.html", status=status, error=error, overview=found, n=found.names,
                now=ctx(request).now(), last_day=last_day, saved=saved(request),
                ended=request.query_params.get("afsluttet") == "1", leader_cards=cards,
                leader_card_days=leader_card_uc.RECENT_DAYS, **dialogue,
                # issue 12, part 6: the unit's breaches by cause (never by person)
                breach_overviews=await learning_web.overviews(ctx(request), [f.unit.id for f in found.units]),
                min_people=learning_web.learning_uc.MIN_PEOPLE)


# --- completing a review --------------------------------------------------------------------------

async def _delegation(request: Request, delegation_id: str) -> Delegation:
    found = await queries.get(ctx(request), "delegation", Delegation, delegation_id)
    if found is None:
        raise NotFound(f"no delegation with id {delegation_id}", field="id")  # a Danish 404 page
    return found


async def _review_page(request: Request, delegation: Delegation, values: dict, status: int = 200, **extra):
    n = await followup_uc.names(ctx(request), people={delegation.delegate_person_id, delegation.delegator_id},
                                teams={delegation.delegate_team_id})
    context = {"d": delegation, "n": n, "values": values, "error": None, "errors": {}, **extra}
    return page(request, "followup_review.html", status=status, **context)


REVIEW_FIELDS = {"outcome": "outcome", "note": "note", "nextReviewDate": "next_review_date",
                 "next_review_date": "next_review_date", "adjust": "level", "level": "level",
                 "version": "outcome", "id": "outcome"}


@get("/delegeringer/{delegation_id:str}/opfoelgning", opt={"ops": REVIEW_OPS})
async def review_form(request: Request, delegation_id: str) -> object:
    delegation = await _delegation(request, delegation_id)
    if not await delegation_uc.manageable(ctx(request), delegation, ("completeReview",)):
        # The form only for those who may send it (the use case refuses the rest anyway).
        raise Forbidden("reviews are completed by the leader chain, a stand-in or the delegator",
                        code="not_authorised_to_review")
    suggested = max(ctx(request).now().date(), delegation.review_date or date.min) + timedelta(days=182)
    values = {"outcome": "continue", "note": "", "next_review_date": suggested.isoformat(),
              "level": str(delegation.level), "version": str(delegation.version)}
    return await _review_page(request, delegation, values, saved=saved(request))


@post("/delegeringer/{delegation_id:str}/opfoelgning", opt={"ops": ("completeReview",)}, status_code=303)
async def review_submit(request: Request, delegation_id: str) -> object:
    delegation = await _delegation(request, delegation_id)
    values = await form_values(request)
    try:
        outcome = values.get("outcome", "")
        level = parse_int(values, "level")
        changes = {"level": level} if outcome == "adjust" and level is not None and level != delegation.level else None
        await review_uc.complete(ctx(request), delegation.id, parse_int(values, "version") or 0, outcome=outcome,
                                 note=values.get("note", ""),
                                 next_review_date=None if outcome == "end" else parse_date(values, "next_review_date"),
                                 changes=changes)
    except RegistryError as exc:
        if exc.field == "adjust":  # an adjusting review without a change: say which field to use
            exc.message_da = texts.REVIEW_ADJUST_DA
        if isinstance(exc, Conflict):  # changed meanwhile: the page shows it as it is now, to send again
            values.pop("version", None)
        n = await followup_uc.names(ctx(request), people={delegation.delegate_person_id, delegation.delegator_id},
                                    teams={delegation.delegate_team_id})
        return _failed(request, "followup_review.html", exc, REVIEW_FIELDS, d=delegation, n=n, values=values,
                       saved=False)
    return Redirect(f"/delegeringer/{delegation.id}/opfoelgning?gemt=1" if outcome != "end"
                    else "/opfoelgning?gemt=1", status_code=303)


# --- stand-ins ------------------------------------------------------------------------------------

STAND_IN_FIELDS = {"unitId": "unit", "standInId": "stand_in", "validFrom": "valid_from", "validUntil": "valid_until",
                   "note": "note", "valid_from": "valid_from", "valid_until": "valid_until"}


@get("/stedfortraedere/ny", opt={"ops": ("appointStandIn", "people")})
async def stand_in_form(request: Request) -> object:
    options = await followup_uc.choices(ctx(request), own_units_only=True)
    today = ctx(request).now().astimezone(DANISH_TIME).date()
    values = {"unit": str(options.units[0].id) if options.units else "", "stand_in": "", "note": "",
              "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=14)).isoformat()}
    return page(request, "standin_new.html", options=options, values=values, error=None, errors={})


@post("/stedfortraedere/ny", opt={"ops": ("appointStandIn",)}, status_code=303)
async def stand_in_submit(request: Request) -> object:
    values = await form_values(request)
    try:
        unit, person = optional_uuid(values.get("unit"), "unit"), optional_uuid(values.get("stand_in"), "stand_in")
        if unit is None:
            raise Invalid("choose the unit", field="unitId", code="required")
        if person is None:
            raise Invalid("choose the stand-in", field="standInId", code="required")
        starts = parse_date(values, "valid_from", required=True)
        ends = parse_date(values, "valid_until", required=True)
        await standin_uc.appoint(ctx(request), unit_id=unit, stand_in_id=person, valid_from=start_of(starts),
                                 valid_until=end_of(ends), note=values.get("note", ""))
    except RegistryError as exc:
        options = await followup_uc.choices(ctx(request), own_units_only=True)
        return _failed(request, "standin_new.html", exc, STAND_IN_FIELDS, options=options, values=values)
    return Redirect("/opfoelgning?gemt=1", status_code=303)


@post("/stedfortraedere/{stand_in_id:str}/afslut", opt={"ops": ("endStandIn",)}, status_code=303)
async def stand_in_end(request: Request, stand_in_id: str) -> Redirect:
    values = await form_values(request)
    await standin_uc.end(ctx(request), parse_uuid(stand_in_id, "id"), parse_int(values, "version") or 0)
    return Redirect("/opfoelgning?afsluttet=1", status_code=303)


# --- trust breaches -------------------------------------------------------------------------------

@get("/tillidsbrud", opt={"ops": ("breaches",)})
async def breaches(request: Request) -> object:
    found = await breach_uc.list_visible(ctx(request), None)
    n = await followup_uc.names(ctx(request), people={b.person_id for b in found})
    return page(request, "breaches.html", breaches=found, n=n)


BREACH_FIELDS = {"delegationId": "delegation", "personId": "person", "areaId": "area", "unitId": "unit",
                 "occurredAt": "occurred_at", "occurred_at": "occurred_at", "description": "description",
                 "cause": "cause", "response": "response", "until": "until", "loweredTo": "lowered_to",
                 "lowered_to": "lowered_to", "followUpDate": "follow_up_date", "follow_up_date": "follow_up_date",
                 "learningNotes": "learning_notes", "delegation": "delegation"}


async def _breach_options(request: Request):
    return await followup_uc.choices(ctx(request), with_delegations=True)


@get("/tillidsbrud/ny", opt={"ops": ("recordBreach",)})
async def breach_form(request: Request, delegering: str | None = None) -> object:
    options = await _breach_options(request)
    today = ctx(request).now().astimezone(DANISH_TIME).date()
    values = {"delegation": delegering or "", "person": "", "area": "", "unit": "", "description": "",
              "occurred_at": today.isoformat(), "cause": "", "response": "", "until": "", "lowered_to": "",
              "follow_up_date": "", "learning_notes": ""}
    return page(request, "breach_new.html", options=options, values=values, error=None, errors={})


@post("/tillidsbrud/ny", opt={"ops": ("recordBreach",)}, status_code=303)
async def breach_submit(request: Request) -> object:
    values = await form_values(request)
    c = ctx(request)
    try:
        occurred = parse_date(values, "occurred_at", required=True)
        until = parse_date(values, "until")
        data = breach_uc.BreachInput(
            delegation_id=optional_uuid(values.get("delegation"), "delegation"), person_id=optional_uuid(values.get("person"), "person"),
            area_id=optional_uuid(values.get("area"), "area"), unit_id=optional_uuid(values.get("unit"), "unit"),
            occurred_at=_occurred(occurred, c.now()),
            description=values.get("description", ""), cause=values.get("cause", ""),
            response=values.get("response", ""),
            until=end_of(until) if until is not None and values.get("response") in TEMPORARY else None,
            lowered_to=parse_int(values, "lowered_to") if values.get("response") == "lowered_level" else None,
            follow_up_date=parse_date(values, "follow_up_date"),
            learning_notes=(values.get("learning_notes") or "").strip() or None)
        recorded = await breach_uc.record(c, data)
    except RegistryError as exc:
        return _failed(request, "breach_new.html", exc, BREACH_FIELDS, options=await _breach_options(request),
                       values=values)
    return Redirect(f"/tillidsbrud/{recorded.value.id}?gemt=1", status_code=303)


FOLLOW_UP_FIELDS = {"repairStatus": "repair_status", "repair_status": "repair_status",
                    "learningNotes": "learning_notes", "learning_notes": "learning_notes",
                    "followUpDate": "follow_up_date", "follow_up_date": "follow_up_date", "id": "repair_status",
                    "version": "repair_status"}


async def _breach_page(request: Request, breach_id: str, values: dict | None = None, **extra):
    c = ctx(request)
    breach = await breach_uc.get(c, parse_uuid(breach_id, "id"))  # not hers to read: a 404, as in the API
    n = await followup_uc.names(c, people={breach.person_id, breach.recorded_by})
    delegation = None
    if breach.delegation_id is not None:
        delegation = await queries.get(c, "delegation", Delegation, str(breach.delegation_id))
    if values is None:
        values = {"repair_status": breach.repair_status, "learning_notes": breach.learning_notes or "",
                  "follow_up_date": breach.follow_up_date.isoformat() if breach.follow_up_date else "",
                  "version": str(breach.version)}
    context = {"b": breach, "n": n, "delegation": delegation, "values": values, "last_day": last_day,
               "may_follow_up": await breach_uc.may_follow_up(c, breach),
               "is_me": principal(request).person is not None and principal(request).person.id == breach.person_id,
               "error": None, "errors": {}, "saved": saved(request),
               # issue 12, part 6: the responses, her account, frame changes and learning points
               **await learning_web.page_context(c, breach),
               "learning_form": None, "learning_values": {}, "learning_errors": {}, **extra}
    return page(request, "breach.html", **context)


@get("/tillidsbrud/{breach_id:str}", opt={"ops": ("breach",)})
async def breach(request: Request, breach_id: str) -> object:
    return await _breach_page(request, breach_id)


@post("/tillidsbrud/{breach_id:str}", opt={"ops": ("followUpBreach",)}, status_code=303)
async def breach_follow_up(request: Request, breach_id: str) -> object:
    values = await form_values(request)
    try:
        changes = {"repair_status": values.get("repair_status", ""),
                   "learning_notes": (values.get("learning_notes") or "").strip() or None,
                   "follow_up_date": parse_date(values, "follow_up_date")}
        await breach_uc.follow_up(ctx(request), parse_uuid(breach_id, "id"), parse_int(values, "version") or 0, changes)
    except RegistryError as exc:
        status, message, errors = failure(exc, FOLLOW_UP_FIELDS)
        if status == 404:
            raise
        if isinstance(exc, Conflict):
            values.pop("version", None)
        response = await _breach_page(request, breach_id, values, error=message, errors=errors)
        response.status_code = status
        return response
    return Redirect(f"/tillidsbrud/{breach_id}?gemt=1", status_code=303)


ROUTES = [follow_up, review_form, review_submit, stand_in_form, stand_in_submit, stand_in_end, breaches,
          breach_form, breach_submit, breach, breach_follow_up]
