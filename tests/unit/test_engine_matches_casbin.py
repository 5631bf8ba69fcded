"""Differential tests: the in-memory engine (TenantIndex) against the Casbin model as the oracle.

Random small organisations (units, areas with attributes and reservations, persons, teams,
delegations, red lines, leaders, stand-ins, breaches; some archived) are built directly into a
`TenantIndex` from rows shaped like the database's (see registry/storage/changes.py), projected
with `project(index, T)` and loaded into a real pycasbin enforcer with policies/delegation_model.conf.
Every request is answered by both `index.check()` and `enforcer.enforce(*request(...))` at the same
instant T, and they must agree; `index.who_may()` must name exactly the live persons both of them
allow. The same requests are also compared against a unit's subtree export (`project(..., unit=)`),
and later than T against the export made at T (while no team membership changes in between: those
are a snapshot); and an index loaded in bulk must answer like the one built row by row.

Regression tests at the end pin the combinations behind known wrong-allow bugs in Zanzibar-style
systems. Pure: no database. Seeds are fixed (derandomize), so CI runs the same cases every time.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import casbin
import pytest
from casbin.persist.adapter import Adapter, load_policy_line
from casbin.util.expression import SimpleEval
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.casbin import request
from registry.domain.conditions import compile_condition
from registry.domain.decisions import ACTIONS
from registry.policy.index import TenantIndex
from registry.policy.projection import Policy, model_text, project

TENANT_ID = str(uuid.UUID(int=0xE0))
TENANT = "eksempel"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
CEST = timezone(timedelta(hours=2))
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
ACTION_NAMES = tuple(ACTIONS)
UNKNOWN_PERSON = "nobody@eksempel.dk"
UNKNOWN_AREA = "zz/unknown"
UNKNOWN_UNIT = str(uuid.UUID(int=0x1FFFF))

# Attribute names and their types; a name is declared at most once along any area chain (the
# registry refuses to redeclare an inherited attribute), so the effective types never clash.
ATTRIBUTE_TYPES = {"amount": "number", "limit": "number", "deviation": "boolean", "urgent": "boolean",
                   "category": "string", "region": "string"}
# Small pools, so that conditions flip both ways; None counts as absent on both sides.
VALUES = {"number": (-3, 0, 100, 999.5, 1000, 5000), "boolean": (True, False),
          "string": ("a", "b", "x", "ældre")}
NUMBER_LITERALS = ("-3", "0", "100", "999.5", "1000", "2.5")
STRING_LITERALS = ("'a'", "'b'", "'x'", "'ældre'")
ABSENT = object()
BREACH_RESPONSES = ("suspension", "suspension", "lowered_level", "lowered_level", "lowered_level", "extra_control",
                    "dialogue", "revocation")
# A request leaves an attribute out, or sends None, a quarter of the time.
ATTRIBUTE_CHOICES = {kind: (ABSENT, None, *itertools.islice(itertools.cycle(pool), 6)) for kind, pool in VALUES.items()}

# Requests the random differential test compared: with the policy exported at the instant asked
# about, with a unit's subtree exported, and with a policy exported earlier.
COMPARED = {"exported_at_instant": 0, "subtree_export": 0, "earlier_export": 0}
# The engine's answers in those comparisons, by reason (and delegation conditions as the cause of a
# missing attribute), so that the test can insist each kind of case was reached.
REASONS: Counter = Counter()

_MODEL_TEXT = model_text()


# --- building organisations -------------------------------------------------------------------


class Org:
    """A TenantIndex built from DB-shaped rows; the rows are kept to explain failures."""

    _KIND = {"org_unit": 1, "decision_area": 2, "person": 3, "team": 4, "team_member": 5, "delegation": 6,
             "red_line": 7, "membership": 8, "stand_in": 9, "breach": 10}

    def __init__(self) -> None:
        self.index = TenantIndex(TENANT_ID, TENANT)
        self.rows: list[tuple[str, dict]] = []
        self._serial = itertools.count(1)
        self.units: list[str] = []
        self.areas: list[str] = []
        self.persons: list[str] = []
        self.latest: dict[str, tuple[str, dict]] = {}

    def _id(self, entity: str) -> str:
        return str(uuid.UUID(int=(self._KIND[entity] << 16) + next(self._serial)))

    def apply(self, entity: str, row: dict) -> None:
        self.index.apply(entity, row)
        self.rows.append((entity, row))
        self.latest[row["id"]] = (entity, row)

    def update(self, entity_id: str, **changes) -> None:
        """Apply a later version of a row (e.g. archived, or an area without its attributes)."""
        entity, row = self.latest[entity_id]
        self.apply(entity, {**row, **changes})

    def archive(self, entity_id: str) -> None:
        self.update(entity_id, archived_at=T0 - DAY)

    @staticmethod
    def _archived(archived: bool):
        return T0 - 90 * DAY if archived else None

    def unit(self, parent: str | None = None, *, archived: bool = False) -> str:
        uid = self._id("org_unit")
        self.apply("org_unit", {"id": uid, "tenant_id": TENANT_ID, "parent_id": parent, "name": f"unit {uid[-4:]}",
                                "archived_at": self._archived(archived)})
        self.units.append(uid)
        return uid

    def area(self, key: str, parent: str | None = None, attributes: Mapping[str, str] | None = None, *,
             delegable: bool = True, reserved_unit: str | None = None, archived: bool = False) -> str:
        """An area; not delegable: reserved to the leaders of reserved_unit's subtree (None: everywhere)."""
        aid = self._id("decision_area")
        self.apply("decision_area", {
            "id": aid, "tenant_id": TENANT_ID, "parent_id": parent, "key": key,
            "attributes": [{"name": n, "type": t} for n, t in (attributes or {}).items()],
            "delegable": delegable, "reserved_unit_id": reserved_unit, "archived_at": self._archived(archived)})
        self.areas.append(aid)
        return aid

    def person(self, external_id: str, *, archived: bool = False) -> str:
        pid = self._id("person")
        self.apply("person", {"id": pid, "tenant_id": TENANT_ID, "external_id": external_id,
                              "name": external_id.split("@")[0], "archived_at": self._archived(archived)})
        self.persons.append(pid)
        return pid

    def team(self, unit: str, *, archived: bool = False) -> str:
        tid = self._id("team")
        self.apply("team", {"id": tid, "tenant_id": TENANT_ID, "unit_id": unit, "name": f"team {tid[-4:]}",
                            "archived_at": self._archived(archived)})
        return tid

    def member(self, team: str, person: str, valid_from: datetime = T0 - 365 * DAY,
               valid_to: datetime | None = None, *, archived: bool = False) -> str:
        lid = self._id("team_member")
        self.apply("team_member", {"id": lid, "tenant_id": TENANT_ID, "team_id": team, "person_id": person,
                                   "valid_from": valid_from, "valid_to": valid_to,
                                   "archived_at": self._archived(archived)})
        return lid

    def delegation(self, area: str, unit: str, level: int, *, person: str | None = None, team: str | None = None,
                   subtree: bool = True, status: str = "active", valid_from: datetime = T0 - 30 * DAY,
                   valid_until: datetime | None = None, delegator: str | None = None,
                   control: dict | None = None, conditions: Iterable[str] = (), parent: str | None = None) -> str:
        """A delegation; its conditions are compiled against the area's attributes, as the registry
        stores them, and `parent` is the delegation it was passed on from (whose conditions bind it)."""
        assert (person is None) != (team is None)
        did = self._id("delegation")
        types = self.index.area_types[area]
        self.apply("delegation", {
            "id": did, "tenant_id": TENANT_ID, "delegator_id": delegator or person or self.persons[0],
            "delegate_person_id": person, "delegate_team_id": team, "area_id": area, "unit_id": unit,
            "include_subunits": subtree, "level": level, "status": status, "valid_from": valid_from,
            "valid_until": valid_until, "parent_id": parent,
            "conditions": [{"condition": compile_condition(c, types).text, "text_da": f"grænse {n}"}
                           for n, c in enumerate(conditions)],
            "control": control if control is not None else {"form": "none", "cadence": None,
                                                             "justify_within_days": 5}})
        return did

    def membership(self, person: str, unit: str, role: str = "leader", valid_from: datetime = T0 - 365 * DAY,
                   valid_to: datetime | None = None, *, archived: bool = False) -> str:
        mid = self._id("membership")
        self.apply("membership", {"id": mid, "tenant_id": TENANT_ID, "person_id": person, "unit_id": unit,
                                  "role": role, "valid_from": valid_from, "valid_to": valid_to,
                                  "archived_at": self._archived(archived)})
        return mid

    def stand_in(self, unit: str, leader: str, person: str, valid_from: datetime = T0 - DAY,
                 valid_until: datetime = T0 + 14 * DAY, *, archived: bool = False) -> str:
        sid = self._id("stand_in")
        self.apply("stand_in", {"id": sid, "tenant_id": TENANT_ID, "unit_id": unit, "leader_id": leader,
                                "stand_in_id": person, "valid_from": valid_from, "valid_until": valid_until,
                                "archived_at": self._archived(archived)})
        return sid

    def breach(self, person: str, area: str, unit: str, response: str, effect_from: datetime = T0 - DAY,
               effect_until: datetime | None = None, lowered_to: int | None = None) -> str:
        assert (response == "lowered_level") == (lowered_to is not None)
        bid = self._id("breach")
        self.apply("breach", {"id": bid, "tenant_id": TENANT_ID, "person_id": person, "area_id": area,
                              "unit_id": unit, "response": response, "effect_from": effect_from,
                              "effect_until": effect_until, "lowered_to": lowered_to})
        return bid

    def red_line(self, area: str, unit: str, condition: str | None, *, archived: bool = False) -> str:
        """A red line; its condition is compiled against the area's attributes (None: a prohibition)."""
        if condition is not None:
            condition = compile_condition(condition, self.index.area_types[area]).text
        lid = self._id("red_line")
        self.apply("red_line", {"id": lid, "tenant_id": TENANT_ID, "unit_id": unit, "area_id": area,
                                "condition": condition, "consequence": "escalate to the leader", "set_by": "leader",
                                "archived_at": self._archived(archived)})
        return lid

    # --- what requests may name ---

    def area_keys(self, *, live: bool = True) -> list[str]:
        return [self.index.area_key[a] for a in self.areas if self.index.area_live(a) == live]

    def live_units(self) -> list[str]:
        return [u for u in self.units if u not in self.index.unit_archived]

    def questions(self, attribute_sets: Iterable[Mapping[str, object]] = ({},)) -> list[Question]:
        """Every area (live, archived, unknown) x unit (live, archived, unknown) x action x attributes."""
        keys = [self.index.area_key[a] for a in self.areas] + [UNKNOWN_AREA]
        return [Question(k, u, a, attrs) for k in keys for u in self.units + [UNKNOWN_UNIT] for a in ACTION_NAMES
                for attrs in attribute_sets]

    def describe(self) -> str:
        lines = []
        for entity, row in self.rows:
            shown = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items() if k != "tenant_id"}
            lines.append(f"  {entity}: {shown}")
        return "\n".join(lines)


# --- the oracle -------------------------------------------------------------------------------


class _LinesAdapter(Adapter):
    def __init__(self, lines: Iterable[str]):
        self._lines = list(lines)

    def load_policy(self, model) -> None:
        for line in self._lines:
            load_policy_line(line, model)


@functools.lru_cache(maxsize=8192)
def _matcher_tree(expression: str) -> tuple[str, object]:
    """pycasbin's own reading of a matcher: the rewritten text and the parsed tree it evaluates."""
    evaluator = casbin.Enforcer._get_expression(expression)
    return evaluator.expr, evaluator.ast_parsed_value


class _Enforcer(casbin.Enforcer):
    """pycasbin's enforcer, but a matcher text is parsed once rather than for every rule it tries (the
    model's eval() of each rule's condition makes a new text per rule, and parsing it was a third of
    the differential test's time). It evaluates the very tree pycasbin's own parse gives."""

    @staticmethod
    def _get_expression(expr, functions=None):
        text, tree = _matcher_tree(expr)
        evaluator = SimpleEval("", functions)
        evaluator.expr, evaluator.ast_parsed_value = text, tree
        return evaluator


class Oracle:
    """The Casbin model loaded with a projection, asked exactly like an embedding client would."""

    def __init__(self, policy: Policy):
        self.policy = policy
        model = casbin.Model()
        model.load_model_from_text(_MODEL_TEXT)
        self.enforcer = _Enforcer(model, _LinesAdapter(policy.lines()))

    def allows(self, person: str, area: str, unit: str, action: str, attributes: Mapping[str, object],
               declared: Mapping[str, str], at: float) -> bool:
        if not self.policy.p:
            # pycasbin refuses to evaluate an eval() matcher without any p rule ("please make sure
            # rule exists in policy"); with none, nothing can match an allow, so the model denies.
            return False
        return self.enforcer.enforce(*request(tenant=TENANT, person=person, area=area, unit=unit, action=action,
                                              attributes=attributes, declared=declared, at=at))


@dataclass(frozen=True)
class Question:
    """Everything of a request but the person: asked for every person (and an unknown one)."""

    area: str
    unit: str
    action: str
    attributes: Mapping[str, object] = field(default_factory=dict)
    unknown_person: bool = True      # ask for an external id nobody has too


def compare(org: Org, at: datetime, questions: Iterable[Question], *, scope: str | None = None,
            exported: datetime | None = None) -> int:
    """Ask every question at `at` for every person (archived ones too), in the engine and in Casbin
    loaded with `project(index, exported or at, unit=scope)`; they must agree, and who_may must
    name exactly the live persons that both allow. With a scope, ask only about units in its
    subtree. Returns how many requests were compared."""
    index, instant = org.index, at.timestamp()
    policy = project(index, (exported or at).timestamp(), unit=scope)
    oracle = Oracle(policy)
    externals = [index.person_ext[p] for p in org.persons]
    live = {p for p in org.persons if p not in index.person_archived}
    compared = 0
    for q in questions:
        if scope is not None and scope not in index.unit_chain.get(q.unit, ()):
            continue
        area_id = index.area_by_key.get(q.area)
        declared = index.area_types.get(area_id, {}) if area_id is not None else {}
        allowed_by_check, allowed_by_casbin = set(), set()
        for ext in externals + [UNKNOWN_PERSON] * q.unknown_person:
            verdict = index.check(ext, q.area, q.unit, q.action, q.attributes, instant)
            said = oracle.allows(ext, q.area, q.unit, q.action, q.attributes, declared, instant)
            compared += 1
            REASONS[verdict.reason] += 1
            if verdict.condition is not None:
                REASONS[f"{verdict.reason} (delegation condition)"] += 1
            if verdict.decision != said:
                raise AssertionError(_explain(org, policy, at, exported, scope, ext, q, declared, verdict, said))
            pid = index.person_by_ext.get(ext)
            if pid in live:
                if verdict.decision:
                    allowed_by_check.add(pid)
                if said:
                    allowed_by_casbin.add(pid)
        who = {p for p, _ in index.who_may(q.area, q.unit, q.action, q.attributes, instant)}
        if not who == allowed_by_check == allowed_by_casbin:
            raise AssertionError(
                f"who_may disagrees for {q} at {at.isoformat()} ({instant}), exported={exported}, scope={scope}:\n"
                f"  who_may: {sorted(who)}\n  check:   {sorted(allowed_by_check)}\n"
                f"  casbin:  {sorted(allowed_by_casbin)}\n"
                f"organisation rows:\n{org.describe()}\npolicy:\n  " + "\n  ".join(policy.lines()))
    return compared


def _explain(org, policy, at, exported, scope, ext, q, declared, verdict, said) -> str:
    return (f"engine and Casbin disagree at {at.isoformat()} ({at.timestamp()}), "
            f"exported={exported and exported.isoformat()}, scope={scope}:\n"
            f"  request: person={ext!r} area={q.area!r} unit={q.unit!r} action={q.action!r} "
            f"attributes={dict(q.attributes)!r} declared={dict(declared)!r}\n"
            f"  engine:  {verdict.decision} ({verdict.reason}, delegations={verdict.delegation_ids}, "
            f"red_line={verdict.red_line})\n"
            f"  casbin:  {said}\n"
            f"organisation rows:\n{org.describe()}\n"
            f"policy:\n  " + "\n  ".join(policy.lines()))


# --- generating organisations and requests ----------------------------------------------------

# Instants relative to T: far and near, exactly T, one second either side, and sub-second ones;
# windows mostly start in the past and are often open-ended, so that many delegations are in force.
STARTS = (-400 * DAY, -30 * DAY, -DAY, -SECOND, timedelta(0), -400 * DAY, -30 * DAY, -DAY, -SECOND,
          timedelta(microseconds=250_000), SECOND, DAY, 30 * DAY)
ENDS = (None, None, None, None, -30 * DAY, -DAY, -SECOND, timedelta(0), timedelta(microseconds=250_000), SECOND,
        DAY, 30 * DAY)


def _instant(draw, at: datetime, offsets) -> datetime | None:
    offset = draw(st.sampled_from(offsets))
    if offset is None:
        return None
    moment = at + offset
    # Rows come back from PostgreSQL in whatever zone the session has; the instant is what counts.
    return moment.astimezone(CEST) if draw(st.booleans()) else moment


def _window(draw, at: datetime) -> tuple[datetime, datetime | None]:
    start, end = _instant(draw, at, STARTS), _instant(draw, at, ENDS)
    if end is not None and end <= start:  # the database insists on until > from
        end = None if draw(st.booleans()) else start + draw(st.sampled_from((SECOND, DAY)))
    return start, end


def _atom(draw, attrs: Mapping[str, str]) -> str:
    by_type = {t: sorted(n for n, k in attrs.items() if k == t) for t in VALUES}
    kinds = [t for t in VALUES if by_type[t]]
    kind = draw(st.sampled_from(kinds)) if kinds and draw(st.integers(0, 7)) else "literal"
    if kind == "literal":
        return draw(st.sampled_from(("true", "false")))
    name = draw(st.sampled_from(by_type[kind]))
    if kind == "number":
        form = draw(st.integers(0, 2))
        if form == 0:
            other = draw(st.sampled_from(NUMBER_LITERALS + tuple(by_type["number"])))
            if other == name:
                other = "0"
            sides = [name, other] if draw(st.booleans()) else [other, name]
            return f"{sides[0]} {draw(st.sampled_from(('==', '!=', '<', '<=', '>', '>=')))} {sides[1]}"
        items = draw(st.lists(st.sampled_from(NUMBER_LITERALS), min_size=1, max_size=3, unique=True))
        return f"{name} {'not in' if form == 2 else 'in'} [{', '.join(items)}]"
    if kind == "boolean":
        return draw(st.sampled_from((name, f"not {name}", f"{name} == true", f"{name} != true", f"{name} == false",
                                     f"false != {name}", f"{name} in [true]", f"{name} not in [false]")))
    form = draw(st.integers(0, 2))
    if form == 0:
        return f"{name} {draw(st.sampled_from(('==', '!=')))} {draw(st.sampled_from(STRING_LITERALS))}"
    items = draw(st.lists(st.sampled_from(STRING_LITERALS), min_size=1, max_size=3, unique=True))
    return f"{name} {'not in' if form == 2 else 'in'} [{', '.join(items)}]"


def _condition(draw, attrs: Mapping[str, str], depth: int = 0) -> str:
    shape = draw(st.integers(0, 5)) if depth < 2 else 0
    if shape <= 2:
        return _atom(draw, attrs)
    if shape == 3:
        return f"not ({_condition(draw, attrs, depth + 1)})"
    op = " and " if shape == 4 else " or "
    parts = [_condition(draw, attrs, depth + 1) for _ in range(draw(st.integers(2, 3)))]
    return "(" + op.join(parts) + ")"


def _near(draw, org: Org, permits: list[tuple[str, str, int]]) -> tuple[str, str]:
    """An area and a unit: often on, above or below a permit's, otherwise anywhere."""
    if permits and draw(st.booleans()):
        area, unit, _level = draw(st.sampled_from(permits))
        return (draw(st.sampled_from(_related(org.index.area_chain, area))),
                draw(st.sampled_from(_related(org.index.unit_chain, unit))))
    return draw(st.sampled_from(org.areas)), draw(st.sampled_from(org.units))


def _related(chains: Mapping[str, tuple[str, ...]], node: str, *, above: bool = True) -> list[str]:
    """The node, the nodes below it and (with above) the nodes above it, in a tree given by chains."""
    found = [n for n, chain in chains.items() if node in chain]
    return found + [n for n in chains[node][1:] if above]


@st.composite
def scenarios(draw, requests_per_org: int = 40):
    """(organisation, instant T, questions, a unit to export the subtree of, an instant after T)."""
    org = Org()
    at = T0 + draw(st.sampled_from((timedelta(0), timedelta(microseconds=500_000), 17 * DAY)))

    # Units: a tree (each parent drawn among the earlier units).
    for i in range(draw(st.integers(1, 8))):
        org.unit(None if i == 0 or draw(st.integers(0, 5)) == 0 else draw(st.sampled_from(org.units)))

    # Areas: a forest of keys like a, a/b, a/b/c, with attributes declared on some of them.
    declared: dict[str, set[str]] = {}
    for i in range(draw(st.integers(1, 5))):
        parent = None if i == 0 or draw(st.integers(0, 3)) == 0 else draw(st.sampled_from(org.areas))
        inherited = set(org.index.area_types[parent]) if parent else set()
        free = sorted(set(ATTRIBUTE_TYPES) - inherited)
        # Most top-level areas declare something, so that most red lines have attributes to test.
        least = 0 if parent or draw(st.integers(0, 4)) == 0 else 1
        names = draw(st.lists(st.sampled_from(free), min_size=least, max_size=3, unique=True)) if free else []
        letter = "abcdefgh"[i]
        key = f"{org.index.area_key[parent]}/{letter}" if parent else letter
        aid = org.area(key, parent, {n: ATTRIBUTE_TYPES[n] for n in names})
        declared[aid] = set(names)

    # Persons (occasionally archived), teams in units and their members.
    for i in range(draw(st.integers(1, 6))):
        org.person(f"p{i}@eksempel.dk", archived=i > 0 and draw(st.integers(0, 7)) == 0)
    teams = [org.team(draw(st.sampled_from(org.units)), archived=draw(st.integers(0, 7)) == 0)
             for _ in range(draw(st.integers(0, 3)))]
    for team in teams:
        for person in draw(st.lists(st.sampled_from(org.persons), max_size=4, unique=True)):
            start, end = _window(draw, at)
            org.member(team, person, start, end, archived=draw(st.integers(0, 7)) == 0)

    # Delegations: to a person or a team, any area and unit, any level, status and window.
    # About half of them carry conditions (limits on that delegate: "up to 1000"), and some are
    # passed on from an earlier one (on its area or below, in its unit or below): the parents'
    # conditions bind them too.
    grants: list[tuple[str, str, int]] = []          # (area, unit, level) of every permit
    holders: list[list[str]] = []                    # ... and the persons it is for
    delegations: list[tuple[str, str, str, int]] = []  # (id, area, unit, level)
    for _ in range(draw(st.integers(0, 12)) or draw(st.integers(0, 12))):
        team = draw(st.sampled_from(teams)) if teams and draw(st.integers(0, 2)) == 0 else None
        person = None if team else draw(st.sampled_from(org.persons))
        start, end = _window(draw, at)
        parent = None
        if delegations and draw(st.integers(0, 3)) == 0:
            parent, parent_area, parent_unit, parent_level = draw(st.sampled_from(delegations))
            area = draw(st.sampled_from(_related(org.index.area_chain, parent_area, above=False)))
            unit = draw(st.sampled_from(_related(org.index.unit_chain, parent_unit, above=False)))
            level = draw(st.integers(1, parent_level))
        else:
            area, unit = draw(st.sampled_from(org.areas)), draw(st.sampled_from(org.units))
            level = draw(st.integers(1, 7))
        types = org.index.area_types[area]
        conditions = [_condition(draw, types) for _ in range(draw(st.sampled_from((0, 0, 0, 1, 1, 2))))] \
            if types else []
        did = org.delegation(
            area, unit, level, team=team, person=person, subtree=draw(st.booleans()),
            # offered (awaiting the delegate) and declined allow nothing, as suspended and revoked
            status=draw(st.sampled_from(("active",) * 5 + ("suspended", "revoked", "offered", "declined"))),
            valid_from=start, valid_until=end, delegator=draw(st.sampled_from(org.persons)),
            conditions=conditions, parent=parent)
        delegations.append((did, area, unit, level))
        grants.append((area, unit, level))
        holders.append([person] if person else [m["person_id"] for e, m in org.rows
                                                if e == "team_member" and m["team_id"] == team])

    # Leaders hold their units' areas themselves (deputies and employees hold nothing by their
    # role); a stand-in holds a leader's authority for a while.
    led: list[str] = []                              # units with a leader or a stand-in
    roots = [a for a in org.areas if org.index.area_parent[a] is None]
    for _ in range(draw(st.integers(0, 3))):
        # mostly below the top, where areas can be reserved above her
        unit = draw(st.sampled_from(org.units[1:] if len(org.units) > 1 and draw(st.integers(0, 3)) else org.units))
        role = draw(st.sampled_from(("leader", "leader", "deputy", "employee")))
        start, end = _window(draw, at)
        person = draw(st.sampled_from(org.persons))
        org.membership(person, unit, role, start, end, archived=draw(st.integers(0, 7)) == 0)
        if role == "leader":
            grants.append((draw(st.sampled_from(roots)), unit, 7))
            holders.append([person])
            led.append(unit)
    for _ in range(draw(st.integers(0, 2)) if len(org.persons) > 1 else 0):
        leader, person = draw(st.lists(st.sampled_from(org.persons), min_size=2, max_size=2, unique=True))
        unit = draw(st.sampled_from(led or org.units))
        start, end = _window(draw, at)
        org.stand_in(unit, leader, person, start, end or start + 14 * DAY, archived=draw(st.integers(0, 7)) == 0)
        grants.append((draw(st.sampled_from(roots)), unit, 7))
        holders.append([person])
        led.append(unit)

    # Some areas are not delegable: reserved to the leaders at a unit (not to those below it), or
    # everywhere; mostly sub-areas, at a unit above a leader's, where it takes her authority away.
    above_led = sorted({u for unit in led for u in org.index.unit_chain[unit][1:]})
    for aid in org.areas:
        if draw(st.integers(0, 2 if org.index.area_parent[aid] else 5)) == 0:
            choices = [None, *org.units, *above_led, *above_led]
            org.update(aid, delegable=False, reserved_unit_id=draw(st.sampled_from(choices)))

    # Breaches: a suspension or a lowered level for a person in an area and unit subtree (the
    # other responses do nothing to checks, or only add an obligation), mostly for the holder of
    # a permit, on its area and unit or above them.
    for _ in range(draw(st.sampled_from((0, 1, 1, 2, 2, 3)))):
        if grants and draw(st.integers(0, 3)):
            i = draw(st.integers(0, len(grants) - 1))
            area, unit, _level = grants[i]
            area = draw(st.sampled_from(org.index.area_chain[area]))
            unit = draw(st.sampled_from(org.index.unit_chain[unit]))
            person = draw(st.sampled_from(holders[i] or org.persons))
        else:
            (area, unit), person = _near(draw, org, grants), draw(st.sampled_from(org.persons))
        response = draw(st.sampled_from(BREACH_RESPONSES))
        start, end = _window(draw, at)
        # capped at 2-5, the level lets some actions through and stops others
        lowered_to = draw(st.sampled_from((2, 3, 4, 5, 2, 3, 4, 5, 1, 6))) if response == "lowered_level" else None
        org.breach(person, area, unit, response, start, end, lowered_to)

    # Red lines: conditions over the area's attributes, prohibitions, some archived; most of them
    # near a permit (on its area or unit, above or below), so that they matter.
    for _ in range(draw(st.integers(0, 6))):
        area, unit = _near(draw, org, grants)
        condition = None if draw(st.integers(0, 5)) == 0 else _condition(draw, org.index.area_types[area])
        org.red_line(area, unit, condition, archived=draw(st.integers(0, 5)) == 0)

    # Occasionally an area loses its attributes after red lines and delegation conditions use them:
    # those no longer compile, and both sides must fail closed.
    declaring = [a for a in org.areas if declared[a]]
    if declaring and draw(st.integers(0, 4)) == 0:
        org.update(draw(st.sampled_from(declaring)), attributes=[])

    # Later, an area may be archived (its sub-areas go with it), and a unit or two (only ones
    # without live sub-units, as the registry insists), after delegations and red lines were set.
    # Something always stays live, or every request would be about unknown things.
    chains = org.index.area_chain
    archivable = [a for a in org.areas if any(a not in chains[b] for b in org.areas)]
    above_others = [a for a in archivable if any(a in chains[b] for b in org.areas if b != a)]
    if archivable and draw(st.integers(0, 2)) == 0:
        org.archive(draw(st.sampled_from(archivable + above_others)))
    for _ in range(draw(st.sampled_from((0, 0, 0, 1, 1, 2)))):
        live = org.live_units()
        leaves = [u for u in live if not any(org.index.unit_parent[c] == u for c in live)]
        if len(live) > 1:
            org.archive(draw(st.sampled_from(leaves)))

    # Questions: most of them near a permit (its area or unit, or below them, at a level it may
    # allow), the others anywhere, archived and unknown areas and units included; attributes
    # drawn from small pools, sometimes left out or None. Each is asked for every person and, for
    # every third question, for an unknown one.
    area_keys, units = org.area_keys(), org.live_units()
    anywhere_keys = area_keys + org.area_keys(live=False) + [UNKNOWN_AREA]
    count = max(1, requests_per_org * 3 // (3 * len(org.persons) + 1))
    questions = []
    for i in range(count):
        if grants and draw(st.integers(0, 3)):
            # below the permit: archived areas and units there too
            area, unit, level = draw(st.sampled_from(grants))
            key = org.index.area_key[draw(st.sampled_from(_related(org.index.area_chain, area, above=False)))]
            unit = draw(st.sampled_from(_related(org.index.unit_chain, unit, above=False)))
            action = draw(st.sampled_from([a for a in ACTION_NAMES if ACTIONS[a] <= level] or ACTION_NAMES))
        else:
            key = draw(st.sampled_from(area_keys)) if area_keys and draw(st.integers(0, 5)) else \
                draw(st.sampled_from(anywhere_keys))
            unit = draw(st.sampled_from(units)) if units and draw(st.integers(0, 5)) else \
                draw(st.sampled_from(org.units + [UNKNOWN_UNIT]))
            action = draw(st.sampled_from(ACTION_NAMES))
        aid = org.index.area_by_key.get(key)
        attributes = {}
        for name, kind in sorted((org.index.area_types.get(aid, {}) if aid else {}).items()):
            value = draw(st.sampled_from(ATTRIBUTE_CHOICES[kind]))
            if value is not ABSENT:
                attributes[name] = value
        questions.append(Question(key, unit, action, attributes, unknown_person=i % 3 == 0))
    # An embedding client may load only a unit's subtree (GET /casbin/{tenant}/policy.csv?unit=),
    # and keeps using a policy for a while after fetching it.
    scope = draw(st.sampled_from(org.units))
    later = at + draw(st.sampled_from((timedelta(microseconds=250_000), SECOND, DAY, 30 * DAY)))
    return org, at, questions, scope, later


def memberships_unchanged(index: TenantIndex, at: datetime, later: datetime) -> bool:
    """No team membership starts or ends between the two instants (the export snapshots them)."""
    t0, t1 = at.timestamp(), later.timestamp()
    return all((link.valid_from <= t0 < link.valid_to) == (link.valid_from <= t1 < link.valid_to)
               for link in index.team_links.values())


def same_when_loaded_in_bulk(org: Org, at: datetime, questions: Iterable[Question]) -> None:
    """A snapshot load (trees and red lines built once at the end) ends where the change feed's
    row-by-row updates end: the same policy and the same decisions."""
    bulk = TenantIndex(TENANT_ID, TENANT).load(org.rows)
    instant = at.timestamp()
    assert project(bulk, instant) == project(org.index, instant), org.describe()
    for q in questions:
        for ext in [org.index.person_ext[p] for p in org.persons]:
            assert bulk.check(ext, q.area, q.unit, q.action, q.attributes, instant) == \
                org.index.check(ext, q.area, q.unit, q.action, q.attributes, instant), (ext, q, org.describe())


# --- the differential test --------------------------------------------------------------------

MIN_REQUESTS = 10_000


@settings(max_examples=300, deadline=None, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def _engine_agrees_with_casbin(scenario) -> None:
    org, at, questions, scope, later = scenario
    same_when_loaded_in_bulk(org, at, questions)
    COMPARED["exported_at_instant"] += compare(org, at, questions)
    COMPARED["subtree_export"] += compare(org, at, questions[::2], scope=scope)
    # A policy exported at T still answers later: delegation windows are in its rules (only team
    # memberships are a snapshot, so only while none of them changes).
    if memberships_unchanged(org.index, at, later):
        COMPARED["earlier_export"] += compare(org, later, questions[1::2], exported=at)


def test_engine_matches_casbin_on_random_organisations():
    """The engine agrees with the Casbin model on >= 10,000 generated requests (and who_may with both)."""
    before, reasons_before = dict(COMPARED), Counter(REASONS)
    _engine_agrees_with_casbin()
    compared = {kind: COMPARED[kind] - before[kind] for kind in COMPARED}
    reasons = REASONS - reasons_before
    # Counted here, in the same test, so that the floor holds whatever else runs (or not) around it.
    assert compared["exported_at_instant"] >= MIN_REQUESTS, f"only {compared} requests compared; raise max_examples"
    # Delegation conditions were reached both ways: allowing, refusing, and refusing for want of a fact.
    # Offered and declined delegations (issue 12, part 1) too; a declined one explains a refusal only
    # when nothing else covering the request does (INACTIVE_PRECEDENCE), so it is reached less often.
    for reason, floor in (("allowed", 100), ("red_line", 100), ("outside_mandate (delegation condition)", 100),
                          ("missing_attribute (delegation condition)", 100), ("awaiting_acceptance", 100),
                          ("declined", 50)):
        assert reasons[reason] >= floor, f"only {reasons[reason]} answers {reason!r}: {dict(reasons)}"


# --- regressions: combinations behind real wrong-allow bugs in Zanzibar-style systems ----------
#
# Each builds a small organisation, asserts what the engine must answer, and compares every
# person x area x unit x action (archived and unknown ones included) with Casbin.

AT = T0


def ask(org: Org, person: str, area: str, unit: str, action: str = "decide", attributes=None, at: datetime = AT):
    """The engine's decision, after checking that Casbin and who_may say the same."""
    attributes = attributes or {}
    compare(org, at, [Question(area, unit, action, attributes, unknown_person=False)])
    return org.index.check(person, area, unit, action, attributes, at.timestamp())


def test_team_member_allowed_through_team_but_a_red_line_with_a_false_condition_applies():
    org = Org()
    root = org.unit()
    area = org.area("economy", attributes={"amount": "number", "deviation": "boolean"})
    anna = org.person("anna@eksempel.dk")
    team = org.team(root)
    org.member(team, anna)
    org.delegation(area, root, 7, team=team)
    org.red_line(area, root, "amount <= 1000 and not deviation")
    assert ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 100, "deviation": False}).decision
    denied = ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 5000, "deviation": False})
    assert (denied.decision, denied.reason) == (False, "red_line")
    denied = ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 100, "deviation": True})
    assert (denied.decision, denied.reason) == (False, "red_line")
    compare(org, AT, org.questions([{}, {"amount": 5000, "deviation": False}, {"amount": 0, "deviation": False}]))


def test_team_membership_that_ended_at_the_instant_or_has_not_begun_gives_nothing():
    org = Org()
    root = org.unit()
    area = org.area("hr")
    team = org.team(root)
    ended, ends_later, starts_later = (org.person(f"{n}@eksempel.dk") for n in ("ended", "later", "future"))
    org.member(team, ended, T0 - DAY, T0)                   # valid_to == T: over
    org.member(team, ends_later, T0 - DAY, T0 + SECOND)     # still a member for one second
    org.member(team, starts_later, T0 + SECOND, None)       # not yet a member
    org.delegation(area, root, 5, team=team)
    assert not ask(org, "ended@eksempel.dk", "hr", root).decision
    assert ask(org, "later@eksempel.dk", "hr", root).decision
    assert not ask(org, "future@eksempel.dk", "hr", root).decision
    assert [org.index.person_ext[p] for p, _ in org.index.who_may("hr", root, "decide", {}, T0.timestamp())] == \
        ["later@eksempel.dk"]
    compare(org, AT, org.questions())


def test_a_delegation_that_expired_at_the_instant_next_to_one_still_valid():
    org = Org()
    root = org.unit()
    child = org.unit(root)
    area = org.area("care")
    bo, eva = org.person("bo@eksempel.dk"), org.person("eva@eksempel.dk")
    org.delegation(area, root, 7, person=bo, valid_from=T0 - 30 * DAY, valid_until=T0)   # expired exactly at T
    org.delegation(area, child, 5, person=bo, valid_until=T0 + DAY)
    org.delegation(area, root, 7, person=eva, valid_from=T0 - 30 * DAY, valid_until=T0)
    assert ask(org, "bo@eksempel.dk", "care", child).decision
    assert not ask(org, "bo@eksempel.dk", "care", child, "act_as_hverdagsdirektoer").decision
    assert ask(org, "bo@eksempel.dk", "care", root).reason == "expired"
    assert ask(org, "eva@eksempel.dk", "care", child).reason == "expired"
    compare(org, AT, org.questions())
    compare(org, AT - SECOND, org.questions())      # a second earlier both are in force


def test_an_archived_person_who_still_holds_delegations_is_unknown():
    org = Org()
    root = org.unit()
    area = org.area("it")
    gone = org.person("gone@eksempel.dk")
    stays = org.person("stays@eksempel.dk")
    team = org.team(root)
    org.member(team, gone)
    org.member(team, stays)
    org.delegation(area, root, 7, person=gone)
    org.delegation(area, root, 6, team=team)
    org.archive(gone)
    assert ask(org, "gone@eksempel.dk", "it", root).reason == "unknown_person"
    assert ask(org, "stays@eksempel.dk", "it", root).decision
    assert [p for p, _ in org.index.who_may("it", root, "decide", {}, T0.timestamp())] == [stays]
    compare(org, AT, org.questions())


@pytest.mark.parametrize("status", ["suspended", "revoked", "offered", "declined"])
def test_a_delegation_not_in_force_next_to_an_active_lower_one(status):
    org = Org()
    root = org.unit()
    area = org.area("economy")
    anna = org.person("anna@eksempel.dk")
    org.delegation(area, root, 7, person=anna, status=status)
    org.delegation(area, root, 3, person=anna)
    assert ask(org, "anna@eksempel.dk", "economy", root, "be_consulted").decision
    assert ask(org, "anna@eksempel.dk", "economy", root, "decide").reason == "level_too_low"
    assert not ask(org, "anna@eksempel.dk", "economy", root, "co_decide").decision
    compare(org, AT, org.questions())


def test_an_offer_awaits_the_delegate_until_its_period_ends_and_a_declined_one_allows_nothing():
    org = Org()
    root = org.unit()
    area = org.area("economy")
    anna, bo = org.person("anna@eksempel.dk"), org.person("bo@eksempel.dk")
    org.delegation(area, root, 6, person=anna, status="offered", valid_until=AT + DAY)
    org.delegation(area, root, 6, person=bo, status="declined")
    assert ask(org, "anna@eksempel.dk", "economy", root, "decide").reason == "awaiting_acceptance"
    assert ask(org, "bo@eksempel.dk", "economy", root, "decide").reason == "declined"
    assert org.index.check("anna@eksempel.dk", "economy", root, "decide", {},
                           (AT + 2 * DAY).timestamp()).reason == "expired"
    assert [p for p, _ in org.index.who_may("economy", root, "decide", {}, AT.timestamp())] == []
    compare(org, AT, org.questions())


def test_a_subtree_delegation_with_an_exclusion_below():
    org = Org()
    root = org.unit()
    excluded = org.unit(root)
    below_excluded = org.unit(excluded)
    sibling = org.unit(root)
    area = org.area("care")
    org.person("anna@eksempel.dk")
    org.delegation(area, root, 7, person=org.persons[0], subtree=True)
    org.red_line(area, excluded, None)                          # not in this unit (and below it)
    for unit in (root, sibling):
        assert ask(org, "anna@eksempel.dk", "care", unit).decision
    for unit in (excluded, below_excluded):
        assert ask(org, "anna@eksempel.dk", "care", unit).reason == "red_line"
    compare(org, AT, org.questions())


def test_a_prohibition_on_a_parent_area_binds_its_sub_areas():
    org = Org()
    root = org.unit()
    economy = org.area("economy")
    purchase = org.area("economy/purchase", economy, {"amount": "number"})
    other = org.area("hr")
    org.person("anna@eksempel.dk")
    for area in (economy, purchase, other):
        org.delegation(area, root, 7, person=org.persons[0])
    org.red_line(economy, root, None)
    assert ask(org, "anna@eksempel.dk", "economy/purchase", root, attributes={"amount": 1}).reason == "red_line"
    assert ask(org, "anna@eksempel.dk", "economy", root).reason == "red_line"
    assert ask(org, "anna@eksempel.dk", "hr", root).decision
    compare(org, AT, org.questions([{}, {"amount": 1}]))


def test_a_red_line_whose_attribute_is_missing_denies():
    org = Org()
    root = org.unit()
    area = org.area("economy", attributes={"amount": "number", "category": "string"})
    org.person("anna@eksempel.dk")
    org.delegation(area, root, 7, person=org.persons[0])
    org.red_line(area, root, "amount < 1000 or category in ['a']")
    for attributes in ({}, {"amount": None}, {"category": "a"}, {"amount": 1, "category": None}):
        assert ask(org, "anna@eksempel.dk", "economy", root, attributes=attributes).reason == "missing_attribute"
    assert ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 1, "category": "b"}).decision
    assert ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 5000, "category": "a"}).decision
    compare(org, AT, org.questions([{}, {"amount": None, "category": "a"}, {"amount": 1, "category": "x"}]))


def test_a_red_line_that_no_longer_compiles_fails_closed():
    org = Org()
    root = org.unit()
    area = org.area("economy", attributes={"amount": "number"})
    org.person("anna@eksempel.dk")
    org.delegation(area, root, 7, person=org.persons[0])
    org.red_line(area, root, "amount < 1000")
    org.update(area, attributes=[])                          # the attribute the line uses is gone
    assert ask(org, "anna@eksempel.dk", "economy", root, attributes={"amount": 1}).reason == "red_line"
    compare(org, AT, org.questions([{}, {"amount": 1}]))


def test_archived_areas_and_units_are_unknown_even_under_a_delegation_above_them():
    # Found by this test: the projection kept the g2/g3 links of archived areas and units, so a
    # delegation on the parent reached them in Casbin while the engine answered unknown_*.
    org = Org()
    root = org.unit()
    archived_unit = org.unit(root)
    area = org.area("economy")
    archived_area = org.area("economy/old", area)
    org.person("anna@eksempel.dk")
    org.delegation(area, root, 7, person=org.persons[0], subtree=True)
    org.delegation(area, archived_unit, 7, person=org.persons[0], subtree=True)
    org.archive(archived_unit)
    org.archive(archived_area)
    assert ask(org, "anna@eksempel.dk", "economy", root).decision
    assert ask(org, "anna@eksempel.dk", "economy/old", root).reason == "unknown_area"
    assert ask(org, "anna@eksempel.dk", "economy", archived_unit).reason == "unknown_unit"
    compare(org, AT, org.questions())
    compare(org, AT, org.questions(), scope=root)


def test_an_organisation_without_rules_denies_everything():
    org = Org()
    root = org.unit()
    org.area("economy")
    org.person("anna@eksempel.dk")
    # Only the never-matching rule that keeps an export from being empty (pycasbin raises on that).
    assert project(org.index, AT.timestamp()).p == [("eksempel", "*", "*", "*", "0", "*", "deny", "(1 != 1)")]
    assert ask(org, "anna@eksempel.dk", "economy", root).reason == "no_delegation"
    compare(org, AT, org.questions())


def test_a_leader_holds_her_units_areas_but_not_one_reserved_above_her():
    org = Org()
    top = org.unit()
    dept = org.unit(top)
    below = org.unit(dept)
    economy = org.area("economy")
    org.area("economy/purchase", economy, reserved_unit=top, delegable=False)    # the top unit's leaders only
    org.area("economy/budget", economy)
    org.area("hr", reserved_unit=dept, delegable=False)                          # reserved to her own unit
    org.area("law", delegable=False)                                 # reserved everywhere: compared, not asserted
    org.person("leader@eksempel.dk")
    org.membership(org.persons[0], dept)
    org.person("deputy@eksempel.dk")
    org.membership(org.persons[1], dept, "deputy")
    for unit in (dept, below):
        for key in ("economy", "economy/budget", "hr"):
            assert ask(org, "leader@eksempel.dk", key, unit, "act_as_hverdagsdirektoer").reason == "leader_authority"
        assert ask(org, "leader@eksempel.dk", "economy/purchase", unit).reason == "no_delegation"
        assert ask(org, "deputy@eksempel.dk", "economy", unit).reason == "no_delegation"
    assert ask(org, "leader@eksempel.dk", "economy", top).reason == "no_delegation"
    compare(org, AT, org.questions())


def test_a_stand_in_holds_the_leaders_authority_only_during_the_appointment():
    org = Org()
    unit = org.unit()
    org.area("economy")
    leader, stand_in, ended = (org.person(f"{n}@eksempel.dk") for n in ("leader", "stand-in", "ended"))
    org.membership(leader, unit)                                       # the leader is away, still the leader
    org.stand_in(unit, leader, stand_in, T0 - DAY, T0 + SECOND)
    org.stand_in(unit, leader, ended, T0 - DAY, T0 + 14 * DAY, archived=True)
    assert ask(org, "stand-in@eksempel.dk", "economy", unit).reason == "leader_authority"
    assert ask(org, "leader@eksempel.dk", "economy", unit).reason == "leader_authority"
    assert ask(org, "ended@eksempel.dk", "economy", unit).reason == "no_delegation"
    later = T0 + SECOND
    assert org.index.check("stand-in@eksempel.dk", "economy", unit, "decide", {}, later.timestamp()).reason \
        == "no_delegation"
    compare(org, AT, org.questions())
    compare(org, later, org.questions(), exported=AT)                   # the appointment's end is in the rule


def test_a_stand_in_holds_nothing_once_the_leader_no_longer_leads_the_unit():
    org = Org()
    unit = org.unit()
    org.area("economy")
    leader, stand_in = (org.person(f"{n}@eksempel.dk") for n in ("leader", "stand-in"))
    org.membership(leader, unit, valid_to=T0 + SECOND)                  # she leaves the unit
    org.stand_in(unit, leader, stand_in, T0 - DAY, T0 + 3650 * DAY)     # a long appointment
    assert ask(org, "stand-in@eksempel.dk", "economy", unit).reason == "leader_authority"
    later = T0 + SECOND
    assert org.index.check("stand-in@eksempel.dk", "economy", unit, "decide", {}, later.timestamp()).reason \
        == "no_delegation"
    compare(org, AT, org.questions())
    compare(org, later, org.questions(), exported=AT)                   # the leader's end is in the rule too


def test_a_breach_suspends_or_lowers_a_permit_held_through_a_team():
    org = Org()
    top = org.unit()
    unit = org.unit(top)
    economy = org.area("economy")
    org.area("economy/purchase", economy)
    suspended, lowered, other = (org.person(f"{n}@eksempel.dk") for n in ("suspended", "lowered", "other"))
    team = org.team(unit)
    for person in (suspended, lowered, other):
        org.member(team, person)
    org.delegation(economy, unit, 7, team=team)
    org.breach(suspended, economy, top, "suspension", T0 - DAY, T0 + DAY)      # set above: still binds
    org.breach(lowered, economy, unit, "lowered_level", T0 - DAY, None, lowered_to=4)
    org.breach(other, economy, unit, "extra_control", T0 - DAY, None)         # only an obligation
    assert ask(org, "suspended@eksempel.dk", "economy/purchase", unit, "be_informed").reason == "suspended"
    assert ask(org, "lowered@eksempel.dk", "economy/purchase", unit, "co_decide").decision
    assert ask(org, "lowered@eksempel.dk", "economy/purchase", unit, "decide").reason == "level_too_low"
    assert ask(org, "other@eksempel.dk", "economy/purchase", unit, "act_as_hverdagsdirektoer").decision
    compare(org, AT, org.questions())
    compare(org, AT + DAY, org.questions(), exported=AT)                  # the suspension has ended by itself
    assert org.index.check("suspended@eksempel.dk", "economy", unit, "decide", {}, (AT + DAY).timestamp()).decision


def test_red_lines_and_breaches_on_an_archived_unit_still_bind_a_unit_moved_below_it():
    # Found by this test: a unit can be moved under an archived one (only creating one there is
    # refused), and the export left out the archived unit's red lines and breach responses, which
    # the engine still applies to the units below it: Casbin allowed what the registry denied.
    org = Org()
    top = org.unit()
    archived = org.unit(top)
    moved = org.unit(top)
    economy = org.area("economy", attributes={"amount": "number"})
    anna, bo = org.person("anna@eksempel.dk"), org.person("bo@eksempel.dk")
    org.delegation(economy, moved, 7, person=anna)
    org.delegation(economy, top, 7, person=bo, subtree=True)
    org.red_line(economy, archived, "amount <= 1000")
    org.breach(bo, economy, archived, "suspension")
    org.archive(archived)
    org.update(moved, parent_id=archived)
    assert ask(org, "anna@eksempel.dk", "economy", moved, attributes={"amount": 100}).decision
    assert ask(org, "anna@eksempel.dk", "economy", moved, attributes={"amount": 5000}).reason == "red_line"
    assert ask(org, "bo@eksempel.dk", "economy", moved, attributes={"amount": 100}).reason == "suspended"
    assert ask(org, "bo@eksempel.dk", "economy", top, attributes={"amount": 100}).decision
    assert ask(org, "anna@eksempel.dk", "economy", archived, attributes={"amount": 100}).reason == "unknown_unit"
    compare(org, AT, org.questions([{}, {"amount": 100}, {"amount": 5000}]))
    compare(org, AT, org.questions([{"amount": 100}]), scope=moved)


def test_a_parents_conditions_bind_its_sub_delegation_as_they_change_and_an_unknown_parent_allows_nothing():
    org = Org()
    root = org.unit()
    purchase = org.area("purchase", attributes={"amount": "number"})
    mette, anna = org.person("mette@eksempel.dk"), org.person("anna@eksempel.dk")
    parent = org.delegation(purchase, root, 7, person=mette, conditions=["amount <= 50000"])
    org.delegation(purchase, root, 6, person=anna, delegator=mette, parent=parent, conditions=["amount <= 10000"])
    assert ask(org, "anna@eksempel.dk", "purchase", root, attributes={"amount": 7000}).decision
    over = ask(org, "anna@eksempel.dk", "purchase", root, attributes={"amount": 12000})
    assert (over.reason, over.condition.condition) == ("outside_mandate", "amount <= 10000")
    # The parent is narrowed (a new version of its row): the child is narrowed at once.
    org.update(parent, conditions=[{"condition": "amount <= 5000", "text_da": "Op til 5.000 kr."}])
    narrowed = ask(org, "anna@eksempel.dk", "purchase", root, attributes={"amount": 7000})
    assert (narrowed.reason, narrowed.condition.delegation_id, narrowed.condition.text_da) == (
        "outside_mandate", parent, "Op til 5.000 kr.")
    # Widened again, and then gone from the index altogether: the child allows nothing.
    org.update(parent, conditions=[])
    assert ask(org, "anna@eksempel.dk", "purchase", root, attributes={"amount": 7000}).decision
    org.index.apply("delegation", None, org.latest[parent][1])
    orphan = org.index.check("anna@eksempel.dk", "purchase", root, "decide", {"amount": 7000}, AT.timestamp())
    assert (orphan.decision, orphan.reason) == (False, "outside_mandate")
    # A snapshot may list a sub-delegation before its parent: loaded in bulk, the parent still binds it.
    rows = sorted(org.rows, key=lambda r: r[0] != "delegation" or r[1].get("parent_id") is None)
    bulk = TenantIndex(TENANT_ID, TENANT).load(rows)
    assert bulk.check("anna@eksempel.dk", "purchase", root, "decide", {"amount": 7000}, AT.timestamp()).decision
    assert not bulk.check("anna@eksempel.dk", "purchase", root, "decide", {"amount": 12000}, AT.timestamp()).decision
