"""The leader's pages (#10, web-board): the delegation board (delegeringstavle), declaring, adjusting
and ending a delegation, one delegation's page, and the red lines binding a unit.

Thin: parse the form, call the use cases (registry/services/delegations.py, redlines.py, board.py),
render. Every rule lives in the use cases; a refused form is shown again with the values kept.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from litestar import Request, get, post
from litestar.response import Redirect

from registry import errors, texts
from registry.domain import conditions as lang
from registry.domain.model import (ACCOUNT_MODES, CONTROL_FORMS, MAX_CONDITIONS, SET_BY, Control, Delegation, DelegationCondition,
                                   TrustAssessment, TrustBasis, TrustStep)
from registry.errors import Invalid, RegistryError
from registry.services import board as board_uc
from registry.services import delegations as delegation_uc
from registry.services import frames as frame_uc
from registry.services import offers as offer_uc
from registry.services import redlines as red_line_uc
from registry.web import leader_cards as leader_card_web  # issue 12, part 4
from registry.web.door import ctx
from registry.web.forms import end_of, failure, form_values, last_day, optional_uuid, parse_date, parse_int, start_of
from registry.web.render import DANISH_TIME, iso_date, page

CADENCES = tuple(texts.CADENCES_DA)
ASSESSMENTS = tuple(texts.TRUST_ASSESSMENTS_DA)
TRUST_PARTS = (("competence", "kompetence"), ("intention", "intention"), ("resources", "ressourcer"))
COMPARISONS = (("<=", "er højst"), ("<", "er under"), (">=", "er mindst"), (">", "er over"), ("==", "er"),
               ("!=", "er ikke"))

# The use cases' field names (as GraphQL names them) -> the form's.
FIELDS = {
    "unitId": "enhed", "unit": "enhed", "areaId": "omraade", "area": "omraade", "delegate": "modtager",
    "delegatePersonId": "modtager", "delegateTeamId": "modtager", "level": "niveau", "purpose": "formaal",
    "rules": "spilleregler", "control.form": "kontrol", "control.cadence": "kadence",
    "control.justifyWithinDays": "frist", "validFrom": "gyldig_fra", "validUntil": "gyldig_til",
    "reviewDate": "opfoelgning", "includeSubunits": "underenheder", "maxSubdelegationDepth": "max_led",
    "allowSubdelegation": "videredelegering", "reason": "begrundelse", "condition": "betingelse",
    "consequence": "konsekvens", "setBy": "sat_af", "id": None, "parentId": None, "conditions": "graenser",
    "control.why": "kontrol_hvorfor", "control.account": "argumentation", "why": "hvorfor",
    "nextStep.level": "skridt_niveau", "nextStep.fromDate": "skridt_fra", "nextStep.note": "skridt_vilkaar",
    **{f"trust.{part}": field for part, field in TRUST_PARTS},
    **{f"trust.{part}.note": f"{field}_note" for part, field in TRUST_PARTS},
}


# --- small helpers ---------------------------------------------------------------------------

def _terms(form: dict) -> dict:
    """The terms of a delegation as the form gives them (declare and adjust share them)."""
    control = Control(form=form.get("kontrol") or "none", cadence=form.get("kadence") or None,
                      justify_within_days=parse_int(form, "frist", "control.justifyWithinDays", 5),
                      why=(form.get("kontrol_hvorfor") or "").strip(),
                      account=form.get("argumentation") or "on_request")
    parts = {}
    for part, name in TRUST_PARTS:
        if form.get(name):
            parts[part] = TrustAssessment(assessment=form[name], note=(form.get(f"{name}_note") or "").strip())
        elif (form.get(f"{name}_note") or "").strip():
            raise Invalid(f"trust.{part} needs an assessment with the note", field=f"trust.{part}", code="required")
    level = parse_int(form, "niveau", "level")
    if level is None:
        raise Invalid("choose a level", field="level", code="required")
    return dict(level=level, purpose=(form.get("formaal") or "").strip(),
                rules=tuple(line.strip() for line in (form.get("spilleregler") or "").splitlines() if line.strip()),
                control=control, trust=TrustBasis(**parts),
                include_subunits=form.get("underenheder") == "ja",
                allow_subdelegation=form.get("videredelegering") == "ja",
                max_subdelegation_depth=parse_int(form, "max_led", "maxSubdelegationDepth", 0)
                if form.get("videredelegering") == "ja" else 0,
                review_date=parse_date(form, "opfoelgning", "reviewDate"), next_step=_step(form))


def _step(form: dict) -> TrustStep | None:
    """A planned step of trust from the form: none unless a level is chosen."""
    level = parse_int(form, "skridt_niveau", "nextStep.level")
    from_date = parse_date(form, "skridt_fra", "nextStep.fromDate")
    note = (form.get("skridt_vilkaar") or "").strip()
    if level is None:
        if from_date is not None or note:
            raise Invalid("choose the level of the step", field="nextStep.level", code="required")
        return None
    return TrustStep(level=level, from_date=from_date, note=note)


def _validity(form: dict, today: date) -> tuple[datetime | None, datetime | None]:
    start = parse_date(form, "gyldig_fra", "validFrom")
    end = parse_date(form, "gyldig_til", "validUntil")
    return (None if start is None or start == today else start_of(start),
            None if end is None else end_of(end))


def values_of(d: Delegation, trust: bool, attributes=()) -> dict[str, str]:
    """A delegation's terms as the adjust form's values (its own conditions as the limits' rows)."""
    values = {"niveau": str(d.level), "formaal": d.purpose, "spilleregler": "\n".join(d.rules),
              "kontrol": d.control.form, "kadence": d.control.cadence or "", "frist": str(d.control.justify_within_days),
              "kontrol_hvorfor": d.control.why, "argumentation": d.control.account,
              "gyldig_fra": iso_date(d.valid_from), "gyldig_til": iso_date(last_day(d.valid_until)),
              "opfoelgning": iso_date(d.review_date), "underenheder": "ja" if d.include_subunits else "",
              "videredelegering": "ja" if d.allow_subdelegation else "", "max_led": str(d.max_subdelegation_depth),
              "skridt_niveau": "" if d.next_step is None else str(d.next_step.level),
              "skridt_fra": "" if d.next_step is None else iso_date(d.next_step.from_date),
              "skridt_vilkaar": "" if d.next_step is None else d.next_step.note}
    if trust:
        for part, name in TRUST_PARTS:
            found = getattr(d.trust, part)
            values[name] = found.assessment if found else ""
            values[f"{name}_note"] = found.note if found else ""
    for n, c in enumerate(d.conditions, start=1):
        values.update({f"{LIMIT}{n}_{k}": v for k, v in _limit_values(c, attributes).items()})
    return values


# --- limits (a delegation's conditions): rows of the red-line builder, each with the leader's own words

LIMIT = "graense_"          # the rows' fields: graense_1_egenskab, _sammenligning, _vaerdi, _betingelse, _tekst
LIMIT_ROWS = 3              # rows on a form with no limits yet
_LIMIT_ROW = re.compile(LIMIT + r"([0-9]{1,3})_")


def limit_rows(values: dict) -> int:
    """How many rows the form shows: three, or one more than it holds (so one can always be added)."""
    used = [int(m.group(1)) for k, v in values.items()
            if (m := _LIMIT_ROW.match(k)) and not k.endswith("_sammenligning") and str(v).strip()]
    return min(max(LIMIT_ROWS, max(used, default=0) + 1), MAX_CONDITIONS)


def _shown(lit) -> str:
    """A literal as the builder's value field shows it: 10.000, 2,5, ja, a text as written."""
    if lit.type == "boolean":
        return "ja" if lit.value else "nej"
    if lit.type == "number":
        if isinstance(lit.value, int):
            return f"{lit.value:,}".replace(",", ".")
        return lit.raw.replace(".", ",")
    return str(lit.value)


def _limit_values(c: DelegationCondition, attributes) -> dict[str, str]:
    """One stored condition as a row: in the builder when it is one comparison of an attribute with a
    value, else as the condition language. Its text only if the leader wrote it (a generated sentence
    is left out, so it is made anew when the limit changes)."""
    made = texts.condition_da(c.condition, attributes, lead=texts.DELEGATION_CONDITION_LEAD_DA)
    row = {"egenskab": "", "sammenligning": "<=", "vaerdi": "", "betingelse": c.condition,
           "tekst": "" if c.text_da == made else c.text_da}
    try:
        tree = lang.parse(c.condition)
    except lang.ConditionError:
        return row
    if (isinstance(tree, lang.Compare) and isinstance(tree.left, lang.Attr) and isinstance(tree.right, lang.Lit)
            and tree.op in dict(COMPARISONS) and tree.left.name in {a.name for a in attributes}):
        row.update(egenskab=tree.left.name, sammenligning=tree.op, vaerdi=_shown(tree.right), betingelse="")
    return row


def limits(form: dict, attributes) -> tuple[tuple[DelegationCondition, ...], dict[str, str]]:
    """The conditions the form's rows give (empty rows left out), and where the use case's fields
    (conditions.N...) are on the form."""
    declared = {a.name: a.type for a in attributes}
    rows = sorted({int(m.group(1)) for k in form if (m := _LIMIT_ROW.match(k))})
    found: list[DelegationCondition] = []
    at: dict[str, str] = {}
    for row in rows:
        prefix = f"{LIMIT}{row}_"
        advanced = (form.get(prefix + "betingelse") or "").strip()
        name, op = form.get(prefix + "egenskab") or "", form.get(prefix + "sammenligning") or ""
        value, text = form.get(prefix + "vaerdi") or "", (form.get(prefix + "tekst") or "").strip()
        if advanced:
            condition = advanced
        elif name or value.strip():
            if not name or op not in dict(COMPARISONS) or not value.strip():
                raise Invalid("choose what, how and a value", field=f"{LIMIT}{row}", code="required")
            condition = f"{name} {op} {_literal(value, declared.get(name), field=f'{LIMIT}{row}')}"
        elif text:
            raise Invalid("a limit needs a condition", field=f"{LIMIT}{row}", code="required")
        else:
            continue
        n = len(found)
        at |= {f"conditions.{n}": f"{LIMIT}{row}", f"conditions.{n}.condition": f"{LIMIT}{row}",
               f"conditions.{n}.textDa": f"{LIMIT}{row}_tekst"}
        found.append(DelegationCondition(condition=condition, text_da=text))
    return tuple(found), at


def refused(exc: RegistryError, at: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """failure() for the delegation forms: a refused limit in words about limits, at its row."""
    status, message, errors_at = failure(exc, {**FIELDS, **at})
    field = next(iter(errors_at), "")
    if field.startswith(LIMIT) or (exc.field or "").startswith("conditions"):
        message = texts.DELEGATION_CONDITION_ERRORS_DA.get(exc.code or "", message)
        errors_at = {field: message} if field else {}
    return status, message, errors_at




def _today(request: Request) -> date:
    return request.app.state.clock().astimezone(DANISH_TIME).date()


COMMON = dict(ACCOUNT_MODES=ACCOUNT_MODES, CONTROL_FORMS=CONTROL_FORMS, CADENCES=CADENCES, ASSESSMENTS=ASSESSMENTS, TRUST_PARTS=TRUST_PARTS,
              COMPARISONS=COMPARISONS, last_day=last_day)


# --- the board -------------------------------------------------------------------------------

@get("/tavle", opt={"ops": ("delegations", "units", "decisionAreas")})
async def board_page(request: Request, enhed: str | None = None, visning: str | None = None) -> object:
    """The board as a table (areas down, people and teams across), or as a plain list (for a phone)."""
    found = await board_uc.board(ctx(request), optional_uuid(enhed, "enhed"))
    # issue 12, part 5: the unit's shared frame, on the board the team looks at together
    frame = None if found.unit is None else await frame_uc.frame_of(ctx(request), found.unit.id, None)
    return page(request, "board.html", board=found, as_list=visning == "liste", frame=frame, **COMMON)


# --- declaring ---------------------------------------------------------------------------------

async def _declare_page(request: Request, unit: str | None, values: dict, *, errors_at: dict | None = None,
                        error: str | None = None, status: int = 200):
    c = ctx(request)
    choices = await board_uc.declare_choices(c, optional_uuid(unit, "enhed"))
    attributes = await board_uc.area_attributes(c)
    chosen = next((row.area for row in choices.areas if str(row.area.id) == values.get("omraade")), None)
    if chosen is not None:  # the area is known: its attributes (inherited ones too)
        groups = [(None, attributes.get(chosen.id, []))]
    else:  # any area's: the use case refuses an attribute the area chosen does not have
        groups = [(row.area.name_da, row.area.attributes) for row in choices.areas if row.area.attributes]
    return page(request, "declare.html", choices=choices, values=values, errors=errors_at or {}, error=error,
                status=status, limit_groups=groups, limit_rows=limit_rows(values), inherited=[], **COMMON)


@get("/delegeringer/ny", opt={"ops": ("declareDelegation",)})
async def declare_form(request: Request, enhed: str | None = None, omraade: str | None = None,
                       modtager: str | None = None, anmodning: str | None = None, niveau: str | None = None) -> object:
    # anmodning: an employee's request this declaration answers (issue 12, part 1), with its level wished
    values = {"omraade": omraade or "", "modtager": modtager or "", "anmodning": anmodning or "",
              "niveau": niveau or "", "kontrol": "none", "kadence": "",
              "frist": "5", "underenheder": "ja", "videredelegering": "", "max_led": "0", "formaal": "",
              "spilleregler": "", "gyldig_fra": iso_date(_today(request)), "gyldig_til": "", "opfoelgning": ""}
    return await _declare_page(request, enhed, values)


def _unit_and_area(form: dict) -> tuple:
    """The unit and decision area a form names (both required)."""
    unit = optional_uuid(form.get("enhed"), "unitId")
    area = optional_uuid(form.get("omraade"), "areaId")
    if unit is None:
        raise Invalid("choose a unit", field="unitId", code="required")
    if area is None:
        raise Invalid("choose a decision area", field="areaId", code="required")
    return unit, area


@post("/delegeringer/ny", opt={"ops": ("declareDelegation",)}, status_code=303)
async def declare(request: Request) -> object:
    form = await form_values(request)
    at: dict[str, str] = {}
    try:
        unit, area = _unit_and_area(form)
        conditions, at = limits(form, (await board_uc.area_attributes(ctx(request))).get(area, []))
        recipient = form.get("modtager") or ""
        team = recipient.removeprefix("team:") if recipient.startswith("team:") else None
        person = None if team is not None else recipient
        if not recipient:
            raise Invalid("choose who receives the delegation", field="delegate", code="invalid_delegate")
        valid_from, valid_until = _validity(form, _today(request))
        result = await delegation_uc.declare(ctx(request), delegation_uc.DeclareInput(
            delegate_person_id=optional_uuid(person, "delegate"), delegate_team_id=optional_uuid(team, "delegate"), area_id=area,
            unit_id=unit, valid_from=valid_from, valid_until=valid_until, conditions=conditions,
            request_id=optional_uuid(form.get("anmodning"), "requestId"), **_terms(form)))
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, errors_at = refused(exc, at)
        return await _declare_page(request, form.get("enhed"), form, errors_at=errors_at, error=message, status=status)
    return Redirect(f"/delegeringer/{result.value.id}?gemt=1", status_code=303)


# --- one delegation: read, adjust, end -----------------------------------------------------

async def _delegation_page(request: Request, id: str, *, values: dict | None = None, errors_at: dict | None = None,
                           error: str | None = None, status: int = 200, saved: str | None = None,
                           card_values: dict | None = None, card_errors: dict | None = None):
    c = ctx(request)
    found = await board_uc.delegation_page(c, id)
    attributes = (await board_uc.area_attributes(c)).get(found.delegation.area_id, [])
    values = values if values is not None else values_of(found.delegation, found.trust_shown, attributes)
    # issue 12, part 4: the leader's cards on the delegation, and the form for those who may draw one
    cards = await leader_card_web.page_context(c, found.delegation, card_values, card_errors)
    # issue 12, part 1: the offers on it and the delegate's answers, for those who may read them
    from registry.web import offers as offer_web

    offered = (await offer_uc.of_delegations(c, [found.delegation]))[0]
    offers = await offer_web.shown_offers(c, [(o, found.delegation) for o in offered or []])
    return page(request, "delegation.html", p=found, d=found.delegation, values=values, offers=offers,
                errors=errors_at or {}, error=error, status=status, saved=saved,
                now=request.app.state.clock(), limit_groups=[(None, attributes)], limit_rows=limit_rows(values),
                inherited=found.inherited, **cards, **COMMON)


render_delegation_page = _delegation_page  # issue 12, part 4: the leader's card form is shown again here


@get("/delegeringer/{id:str}", opt={"ops": ("delegation",)})
async def delegation_page(request: Request, id: str, gemt: str | None = None) -> object:
    return await _delegation_page(request, id, saved=gemt)


@post("/delegeringer/{id:str}/juster", opt={"ops": ("amendDelegation",)}, status_code=303)
async def amend(request: Request, id: str) -> object:
    form = await form_values(request)
    at: dict[str, str] = {}
    try:
        current = await board_uc.delegation_page(ctx(request), id)
        d = current.delegation
        attributes = (await board_uc.area_attributes(ctx(request))).get(d.area_id, [])
        conditions, at = limits(form, attributes)
        version = parse_int(form, "version", "id", 0)
        terms = _terms(form)
        if not current.trust_shown:
            terms.pop("trust")  # not shown, so not sent: the notes stay as they are
        valid_from, valid_until = _validity(form, _today(request))
        changes = {k: v for k, v in terms.items() if getattr(d, k) != v}
        start = parse_date(form, "gyldig_fra", "validFrom")
        if start is not None and start != d.valid_from.astimezone(DANISH_TIME).date():
            changes["valid_from"] = valid_from or request.app.state.clock()
        if iso_date(last_day(d.valid_until)) != (form.get("gyldig_til") or ""):
            changes["valid_until"] = valid_until
        if conditions != limits(values_of(d, False, attributes), attributes)[0]:  # the rows as they were shown
            changes["conditions"] = conditions  # replaces her own; the inherited ones stay
        result = await delegation_uc.amend(ctx(request), d.id, version, changes)
    except errors.Unauthenticated:
        raise
    except errors.Conflict as exc:
        status, message, _ = failure(exc, FIELDS)
        return await _delegation_page(request, id, error=message, status=status)
    except RegistryError as exc:
        status, message, errors_at = refused(exc, at)
        if status in (403, 404):
            raise
        return await _delegation_page(request, id, values=form, errors_at=errors_at, error=message, status=status)
    outcome = "justeret" if result.value.version != version else "uaendret"
    # issue 12, part 1: what widens an accepted delegation waits for the delegate's answer
    offered = (await offer_uc.of_delegations(ctx(request), [result.value]))[0] or []
    if any(o.kind == "widening" and o.status == "open" and set(o.changes) & set(changes) for o in offered):
        outcome = "tilbudt" if outcome == "uaendret" else "justeret_tilbudt"
    return Redirect(f"/delegeringer/{result.value.id}?gemt={outcome}", status_code=303)


@post("/delegeringer/{id:str}/afslut", opt={"ops": ("revokeDelegation",)}, status_code=303)
async def revoke(request: Request, id: str) -> object:
    form = await form_values(request)
    try:
        found = await board_uc.delegation_page(ctx(request), id)
        result = await delegation_uc.revoke(ctx(request), found.delegation.id, parse_int(form, "version", "id", 0),
                                            (form.get("begrundelse") or "").strip())
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, FIELDS)
        if status in (403, 404):
            raise
        return await _delegation_page(request, id, errors_at=at, error=message, status=status)
    return Redirect(f"/delegeringer/{result.value.id}?gemt=afsluttet", status_code=303)


# --- red lines -------------------------------------------------------------------------------

@get("/roede-linjer", opt={"ops": ("redLinesInForce",)})
async def red_lines(request: Request, enhed: str | None = None, gemt: str | None = None) -> object:
    found = await board_uc.red_lines_page(ctx(request), optional_uuid(enhed, "enhed"))
    groups: list[tuple] = []
    for row in found.lines:
        if not groups or groups[-1][0].id != row.area.id:
            groups.append((row.area, []))
        groups[-1][1].append(row)
    return page(request, "red_lines.html", found=found, groups=groups, saved=gemt)


async def _red_line_form(request: Request, values: dict, *, errors_at: dict | None = None, error: str | None = None,
                         status: int = 200):
    c = ctx(request)
    choices = await board_uc.declare_choices(c, optional_uuid(values.get("enhed"), "enhed"))
    attributes = await board_uc.area_attributes(c)
    return page(request, "red_line_new.html", choices=choices, attributes=attributes, values=values,
                errors=errors_at or {}, error=error, status=status, SET_BY=SET_BY, COMPARISONS=COMPARISONS)


@get("/roede-linjer/ny", opt={"ops": ("createRedLine",)})
async def red_line_form(request: Request, enhed: str | None = None, omraade: str | None = None) -> object:
    values = {"enhed": enhed or "", "omraade": omraade or "", "slags": "simpel", "egenskab": "", "sammenligning": "<=",
              "vaerdi": "", "betingelse": "", "konsekvens": "", "sat_af": "leader"}
    return await _red_line_form(request, values)


# A Danish number: 10.000 (dots group thousands), 2,5 (a decimal comma). Anything else is left as
# written (2.5 is the condition language's own), for the use case to accept or refuse.
_DANISH_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")


def _literal(value: str, kind: str | None, field: str = "condition") -> str:
    """The builder's value as the condition language writes it: 10.000 -> 10000, 2,5 -> 2.5, ja -> true."""
    value = value.strip()
    if kind == "boolean":
        return {"ja": "true", "nej": "false", "true": "true", "false": "false"}.get(value.lower(), value)
    if kind == "number" and _DANISH_NUMBER.fullmatch(value):
        return value.replace(".", "").replace(",", ".")
    if kind == "string":
        if "'" in value or '"' in value:  # the language has no escapes: a quote would end the value early
            raise Invalid("a value may not contain quotes", field=field, code="invalid_condition")
        return "'" + value + "'"
    return value


def _condition(form: dict, attributes: list) -> str | None:
    kind = form.get("slags") or "simpel"
    if kind == "forbud":
        return None
    if kind == "avanceret":
        text = (form.get("betingelse") or "").strip()
        if not text:
            raise Invalid("write the condition", field="condition", code="required")
        return text
    name, op, value = form.get("egenskab") or "", form.get("sammenligning") or "", form.get("vaerdi") or ""
    if not name or op not in dict(COMPARISONS) or not value.strip():
        raise Invalid("choose what, how and a value", field="condition", code="required")
    declared = {a.name: a.type for a in attributes}
    return f"{name} {op} {_literal(value, declared.get(name))}"


@post("/roede-linjer/ny", opt={"ops": ("createRedLine",)}, status_code=303)
async def add_red_line(request: Request) -> object:
    form = await form_values(request)
    c = ctx(request)
    try:
        unit, area = _unit_and_area(form)
        attributes = (await board_uc.area_attributes(c)).get(area, [])
        await red_line_uc.create_red_line(c, unit_id=unit, area_id=area, condition=_condition(form, attributes),
                                          consequence=(form.get("konsekvens") or "").strip(),
                                          set_by=form.get("sat_af") or "", why=(form.get("hvorfor") or "").strip(),
                                          review_date=parse_date(form, "opfoelgning", "reviewDate"))
    except errors.Unauthenticated:
        raise
    except RegistryError as exc:
        status, message, at = failure(exc, FIELDS)
        return await _red_line_form(request, form, errors_at=at, error=message, status=status)
    return Redirect(f"/roede-linjer?enhed={unit}&gemt=1", status_code=303)


ROUTES = [board_page, declare_form, declare, delegation_page, amend, revoke, red_lines, red_line_form, add_red_line]
