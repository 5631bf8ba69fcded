"""Bulk generator of realistic registry tenants for the benchmarks.

    uv run python bench/generate.py --dsn <dsn> --size peer|copenhagen [--seed 1] [--json out.json]

Sizes:
  peer        tenant `peer`: 10,000 people, 200 units (6 levels), 1,000 teams, 50 areas,
              50,000 delegations, 150 red lines;
  copenhagen  tenant `kbh`: 45,000 people, 653 units (6 levels), 3,000 teams, 200 areas,
              500,000 delegations, 5,000 red lines.

Shape: a unit tree (direktion > forvaltninger > centre > units > subunits > subunits), one leader per
unit and employees spread over the units (one membership each), teams of 3-15 members from their
unit, an area tree with number/boolean/string attributes on some areas, delegations from a unit's
leader to people and teams in that unit (levels skewed to 4-6, mostly covering sub-units, mostly
current and active, some expired/future/suspended/revoked), red lines at every level with conditions
over the areas' attributes (compiled with `compile_condition`, stored in canonical text) and a few
outright prohibitions. One unit of kind `unit` (external id `<key>-bench-big`) has 500 employees who
each hold a delegation on the area `care/everyday` (the whoMay benchmark).

Limits (issue 11; `--no-limits` leaves them out): every root area declares `amount` (number, DKK),
about half the delegations carry a condition `amount <= N` (N from 1.000 to 250.000 kr., growing
with the level, like a delegation-of-authority matrix), and sub-delegations (5% of the delegations,
on top of them; a fifth passed on twice) inherit their parent's limit, half adding a tighter one.
They are drawn after everything else, so the rest of the tenant is the same with and without them.
The sample requests carry an amount (100 to 100.000 kr., left out of one in 20), so limits are
evaluated and some requests fall outside them (`outside_mandate`, `missing_attribute`).

Loading never goes through the API: one transaction per tenant, COPY into each table with
`session_replication_role = replica` (no per-row triggers), then the history rows in bulk with
set-based SQL (revision 1, actor `bench`, `at` two days before the load, so as-of checks up to two
days back see the data), and the organisation's revision set to 1. Without superuser rights the
triggers stay on (slower) and write the history themselves.

A tenant whose key already exists is not generated again (the summary is read from the database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import _common  # noqa: F401  (puts the project on sys.path)
import asyncpg

from registry.domain.conditions import compile_condition, validate_attributes
from registry.domain.decisions import ACTIONS
from registry.storage.migrate import migrate

ACTOR = "bench"
BIG_AREA = "care/everyday"
DAY = timedelta(days=1)

SIZES: dict[str, dict] = {
    "peer": dict(key="peer", name="Peer Kommune (benchmark)", people=10_000, unit_levels=[1, 4, 15, 60, 90, 30],
                 teams=1_000, areas=50, delegations=50_000, red_lines=150, big_unit=500),
    "copenhagen": dict(key="kbh", name="Københavns Kommune (benchmark)", people=45_000,
                       unit_levels=[1, 7, 45, 180, 300, 120], teams=3_000, areas=200, delegations=500_000,
                       red_lines=5_000, big_unit=500),
}

KINDS = ["direktion", "forvaltning", "center", "unit", "subunit", "subunit", "subunit"]
FORVALTNINGER = ["Sundheds- og Omsorgsforvaltningen", "Børne- og Ungdomsforvaltningen", "Socialforvaltningen",
                 "Teknik- og Miljøforvaltningen", "Kultur- og Fritidsforvaltningen",
                 "Beskæftigelses- og Integrationsforvaltningen", "Økonomiforvaltningen"]
CENTRE_TOPICS = ["Ældre og Pleje", "Dagtilbud", "Skole", "Handicap", "Psykiatri", "Sundhed", "Rehabilitering",
                 "Byggeri", "Drift", "Borgerservice", "Jobcenter", "Kultur", "Idræt", "Miljø", "Trafik", "IT",
                 "HR", "Indkøb", "Økonomi", "Forebyggelse"]
UNIT_NAMES = ["Plejecenter", "Skole", "Børnehus", "Bofællesskab", "Hjemmepleje", "Bibliotek", "Jobcenter",
              "Sundhedshus", "Genoptræning", "Borgerservice", "Driftsgård", "Fritidscenter", "Tandpleje", "Klub"]
SUB_NAMES = ["Afsnit", "Team", "Gruppe", "Stue", "Distrikt", "Hus", "Vagtlag"]
FIRST = ["Anna", "Mette", "Lars", "Peter", "Susanne", "Birgitte", "Jonas", "Louise", "Henrik", "Karen", "Søren",
         "Camilla", "Mads", "Ida", "Rasmus", "Sofie", "Niels", "Hanne", "Jens", "Maria", "Ole", "Lene", "Emil",
         "Freja", "Thomas", "Julie", "Kasper", "Pia", "Morten", "Line", "Ahmed", "Fatima", "Ali", "Zeynep"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen",
        "Møller", "Mortensen", "Holm", "Lund", "Bach", "Kjær", "Yilmaz", "Hussein"]
AREA_ROOTS = [("economy", "Økonomi", "Economy"), ("personnel", "Personale", "Personnel"),
              ("care", "Omsorg", "Care"), ("citizen", "Borgerkontakt", "Citizen contact"),
              ("facilities", "Bygninger og drift", "Facilities"), ("it", "IT og digitalisering", "IT"),
              ("communication", "Kommunikation", "Communication"), ("health", "Sundhed", "Health"),
              ("learning", "Læring", "Learning"), ("environment", "Miljø", "Environment"),
              ("culture", "Kultur og fritid", "Culture and leisure"), ("employment", "Beskæftigelse", "Employment")]
AREA_WORDS = [("purchase", "Indkøb", "Purchasing"), ("budget", "Budget", "Budget"), ("hiring", "Ansættelse", "Hiring"),
              ("schedule", "Vagtplan", "Rota"), ("leave", "Ferie og fravær", "Leave"),
              ("activities", "Aktiviteter", "Activities"), ("meals", "Måltider", "Meals"),
              ("equipment", "Udstyr", "Equipment"), ("training", "Uddannelse", "Training"),
              ("travel", "Rejser", "Travel"), ("contracts", "Aftaler", "Contracts"),
              ("complaints", "Klager", "Complaints"), ("visits", "Besøg", "Visits"),
              ("documentation", "Dokumentation", "Documentation"), ("repairs", "Reparationer", "Repairs"),
              ("events", "Arrangementer", "Events"), ("aids", "Hjælpemidler", "Aids")]
# (name, type, unit): names that validate_attributes accepts (no dict method names, no keywords).
ATTRIBUTES = [("amount", "number", "DKK"), ("on_contract", "boolean", None), ("deviation", "boolean", None),
              ("citizen_category", "string", None), ("hours", "number", "timer"), ("urgent", "boolean", None),
              ("risk_level", "string", None), ("duration_days", "number", "dage"),
              ("staff_count", "number", None), ("overtime", "boolean", None), ("budget_line", "string", None),
              ("age_group", "string", None), ("external_party", "boolean", None), ("distance_km", "number", "km"),
              ("shift_type", "string", None), ("share_pct", "number", "%")]
ATTR_TYPE = {name: typ for name, typ, _ in ATTRIBUTES}
validate_attributes(ATTR_TYPE)
PURPOSES = ["Hurtigere beslutninger tæt på borgeren", "Hverdagsdirektør i kerneopgaven", "Faglig frihed i vagten",
            "Mindre ventetid for borgerne", "Ansvar hvor viden er", "Forsøg med selvledelse", ""]
CONSEQUENCES = ["Sagen forelægges nærmeste leder", "Beslutningen kræver centerchefens godkendelse",
                "Kontakt økonomifunktionen før beslutningen", "Må ikke besluttes lokalt",
                "Drøftes på næste teammøde", "Forelægges forvaltningens ledelse"]
CONTROL = [("none", None, 40), ("report_afterwards", "monthly", 15), ("report_afterwards", "quarterly", 10),
           ("periodic_review", "quarterly", 15), ("periodic_review", "yearly", 5), ("sampling", None, 10),
           ("pre_approval", None, 5)]
LEVEL_WEIGHTS = [3, 4, 8, 20, 25, 25, 15]          # levels 1..7, skewed to 4-6
BENIGN = {"number": 500, "boolean": False, "string": "standard"}
VIOLATING = {"number": 10 ** 9, "boolean": True, "string": "særlig"}


def benign(types: dict[str, str]) -> dict[str, object]:
    """Request attributes most generated red lines let through."""
    return {name: BENIGN[typ] for name, typ in sorted(types.items())}


def violating(types: dict[str, str]) -> dict[str, object]:
    return {name: VIOLATING[typ] for name, typ in sorted(types.items())}


# --- generation (pure, deterministic for a seed) ------------------------------------------------


class Tenant:
    """Everything generated for one tenant, as COPY records per table."""

    def __init__(self, size: str, seed: int, now: datetime, *, limits: bool = True):
        self.spec = SIZES[size]
        self.with_limits = limits
        self.key = self.spec["key"]
        self.rng = random.Random(f"{seed}:{size}")
        self.now = now
        self.stamp = now - 2 * DAY                   # created_at and history `at`
        self.tenant_id = self.uuid()
        self.tables: dict[str, tuple[list[str], list[tuple]]] = {}
        self.big_unit: uuid.UUID | None = None
        self.big_leader: str | None = None

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def book(self) -> tuple:
        return (self.stamp, ACTOR, self.stamp, ACTOR)

    def days_ago(self, low: float, high: float) -> datetime:
        return self.stamp - timedelta(days=self.rng.uniform(low, high))

    def build(self) -> "Tenant":
        self.units()
        self.people()
        self.teams()
        self.areas()
        self.delegations()
        self.red_lines()
        if self.with_limits:
            self.limits()  # last: the rows above are the same with and without limits
        return self

    # units -------------------------------------------------------------------------------------
    def units(self) -> None:
        rng = self.rng
        self.unit_level: dict[uuid.UUID, int] = {}
        self.unit_parent: dict[uuid.UUID, uuid.UUID | None] = {}
        self.unit_children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.unit_kind: dict[uuid.UUID, str] = {}
        levels: list[list[uuid.UUID]] = []
        records = []
        serial = 0
        for depth, count in enumerate(self.spec["unit_levels"]):
            here = []
            parents = levels[-1] if levels else [None]
            order = parents[:]
            rng.shuffle(order)
            for i in range(count):
                uid = self.uuid()
                parent = order[i] if i < len(order) else rng.choice(parents)
                kind = KINDS[depth]
                serial += 1
                if depth == 0:
                    name = "Direktionen"
                elif depth == 1:
                    name = FORVALTNINGER[i % len(FORVALTNINGER)] + ("" if i < len(FORVALTNINGER) else f" {i}")
                elif depth == 2:
                    name = f"Center for {rng.choice(CENTRE_TOPICS)} {serial}"
                elif depth == 3:
                    name = f"{rng.choice(UNIT_NAMES)} {serial}"
                else:
                    name = f"{rng.choice(SUB_NAMES)} {serial}"
                self.unit_level[uid], self.unit_parent[uid], self.unit_kind[uid] = depth, parent, kind
                if parent is not None:
                    self.unit_children[parent].append(uid)
                here.append(uid)
                records.append([uid, self.tenant_id, parent, name, kind, f"LOS-{self.key}-{serial:05d}",
                                rng.random() < 0.2])
            levels.append(here)
        self.levels = levels
        big = rng.choice(levels[3])
        self.big_unit = big
        for rec in records:
            if rec[0] == big:
                rec[3] = f"Plejecenter Storegården {rec[3].split()[-1]} (benchmark: 500 medarbejdere)"
                rec[5] = f"{self.key}-bench-big"
        self.unit_ids = [r[0] for r in records]
        self.tables["org_unit"] = (
            ["id", "tenant_id", "parent_id", "name", "kind", "external_id", "deputies_may_delegate",
             "created_at", "created_by", "updated_at", "updated_by"],
            [(*r, *self.book()) for r in records])

    def chain(self, unit: uuid.UUID) -> list[uuid.UUID]:
        found = []
        while unit is not None:
            found.append(unit)
            unit = self.unit_parent[unit]
        return found

    # people and memberships ----------------------------------------------------------------------
    def people(self) -> None:
        rng, spec = self.rng, self.spec
        n_units = len(self.unit_ids)
        big_size = spec["big_unit"]
        rest = spec["people"] - n_units - big_size
        weights = []
        for u in self.unit_ids:
            depth = self.unit_level[u]
            if u == self.big_unit:
                weights.append(0.0)
            elif depth == 0:
                weights.append(0.3)
            elif depth <= 2:
                weights.append(0.25 * rng.lognormvariate(0, 0.4))
            else:
                weights.append(rng.lognormvariate(0, 0.7))
        total = sum(weights)
        counts = {u: int(w / total * rest) for u, w in zip(self.unit_ids, weights)}
        short = rest - sum(counts.values())
        for u in rng.choices(self.unit_ids, weights=weights, k=short):
            counts[u] += 1
        counts[self.big_unit] = big_size
        persons, memberships = [], []
        self.leader: dict[uuid.UUID, uuid.UUID] = {}
        self.employees: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.ext: dict[uuid.UUID, str] = {}
        serial = 0

        def person(unit, role):
            nonlocal serial
            serial += 1
            pid = self.uuid()
            ext = f"p{serial:06d}@{self.key}.bench.dk"
            roles = []
            if serial == 2:
                roles = ["admin"]
            elif serial in (3, 4):
                roles = ["hr"] if serial == 3 else ["auditor"]
            persons.append((pid, self.tenant_id, ext, f"{rng.choice(FIRST)} {rng.choice(LAST)}", ext, roles,
                            *self.book()))
            memberships.append((self.uuid(), self.tenant_id, pid, unit, role, self.days_ago(30, 3000), *self.book()))
            self.ext[pid] = ext
            return pid

        for u in self.unit_ids:
            self.leader[u] = person(u, "leader")
            for _ in range(counts[u]):
                self.employees[u].append(person(u, "employee"))
        self.big_leader = self.ext[self.leader[self.big_unit]]
        self.tables["person"] = (["id", "tenant_id", "external_id", "name", "email", "roles",
                                  "created_at", "created_by", "updated_at", "updated_by"], persons)
        self.tables["membership"] = (["id", "tenant_id", "person_id", "unit_id", "role", "valid_from",
                                      "created_at", "created_by", "updated_at", "updated_by"], memberships)

    # teams ---------------------------------------------------------------------------------------
    def teams(self) -> None:
        rng = self.rng
        eligible = [u for u in self.unit_ids if len(self.employees[u]) >= 3]
        weights = [len(self.employees[u]) for u in eligible]
        teams, members = [], []
        self.unit_teams: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.team_members: dict[uuid.UUID, list[uuid.UUID]] = {}
        for n, u in enumerate(rng.choices(eligible, weights=weights, k=self.spec["teams"]), start=1):
            tid = self.uuid()
            teams.append((tid, self.tenant_id, u, f"Team {n}", *self.book()))
            pool = self.employees[u]
            chosen = rng.sample(pool, rng.randint(3, min(15, len(pool))))
            self.team_members[tid] = chosen
            self.unit_teams[u].append(tid)
            for pid in chosen:
                members.append((self.uuid(), self.tenant_id, tid, pid, self.days_ago(1, 700), *self.book()))
        self.tables["team"] = (["id", "tenant_id", "unit_id", "name", "created_at", "created_by", "updated_at",
                                "updated_by"], teams)
        self.tables["team_member"] = (["id", "tenant_id", "team_id", "person_id", "valid_from", "created_at",
                                       "created_by", "updated_at", "updated_by"], members)

    # areas ---------------------------------------------------------------------------------------
    def areas(self) -> None:
        rng = self.rng
        total = self.spec["areas"]
        n_roots = min(len(AREA_ROOTS), max(6, total // 15))
        self.area_parent: dict[uuid.UUID, uuid.UUID | None] = {}
        self.area_key: dict[uuid.UUID, str] = {}
        self.area_depth: dict[uuid.UUID, int] = {}
        self.area_own: dict[uuid.UUID, list[tuple[str, str, str | None]]] = {}
        records = []

        def effective(aid) -> dict[str, str]:
            found = {}
            while aid is not None:
                for name, typ, _ in self.area_own[aid]:
                    found.setdefault(name, typ)
                aid = self.area_parent[aid]
            return found

        def add(parent, key, name_da, name_en, attrs=None):
            aid = self.uuid()
            self.area_parent[aid], self.area_key[aid] = parent, key
            self.area_depth[aid] = 0 if parent is None else self.area_depth[parent] + 1
            if attrs is None:
                attrs = []
                inherited = set(effective(parent)) if parent is not None else set()
                if rng.random() < (0.5 if parent is None else 0.3):
                    free = [a for a in ATTRIBUTES if a[0] not in inherited]
                    attrs = rng.sample(free, rng.randint(1, 2))
            self.area_own[aid] = attrs
            body = [{"name": n, "type": t, **({"unit": u} if u else {}), "description": f"{n} (benchmark)"}
                    for n, t, u in attrs]
            records.append((aid, self.tenant_id, parent, key, name_da, name_en, f"{name_da} (benchmark)",
                            rng.choice([None, None, "88", "81", "27"]), json.dumps(body), *self.book()))
            return aid

        nodes = [add(None, key, da, en) for key, da, en in AREA_ROOTS[:n_roots]]
        care = nodes[2]
        have = set(effective(care))
        extra = [a for a in ATTRIBUTES if a[0] in ("amount", "deviation", "citizen_category") and a[0] not in have]
        self.big_area = add(care, BIG_AREA, "Hverdagsliv", "Everyday life", extra)
        nodes.append(self.big_area)
        serial = 0
        while len(nodes) < total:
            shallow = [a for a in nodes if self.area_depth[a] <= 2]
            parent = rng.choices(shallow, weights=[3 if self.area_depth[a] == 0 else 2 if self.area_depth[a] == 1
                                                   else 1 for a in shallow])[0]
            word, da, en = rng.choice(AREA_WORDS)
            serial += 1
            nodes.append(add(parent, f"{self.area_key[parent]}/{word}-{serial}", f"{da} {serial}", f"{en} {serial}"))
        self.area_ids = nodes
        self.area_types = {a: effective(a) for a in nodes}
        self.tables["decision_area"] = (["id", "tenant_id", "parent_id", "key", "name_da", "name_en", "description",
                                         "kle", "attributes", "created_at", "created_by", "updated_at", "updated_by"],
                                        records)

    def area_chain(self, area) -> list[uuid.UUID]:
        found = []
        while area is not None:
            found.append(area)
            area = self.area_parent[area]
        return found

    # delegations ---------------------------------------------------------------------------------
    def delegations(self) -> None:
        rng, now = self.rng, self.now
        total = self.spec["delegations"]
        records = []
        columns = ["id", "tenant_id", "delegator_id", "delegate_person_id", "delegate_team_id", "area_id", "unit_id",
                   "include_subunits", "level", "purpose", "control", "valid_from", "valid_until", "review_date",
                   "status", "revoked_at", "revoked_reason", "created_at", "created_by", "updated_at", "updated_by"]
        controls = {}
        for form, cadence, _ in CONTROL:
            controls[(form, cadence)] = json.dumps({"form": form, **({"cadence": cadence} if cadence else {}),
                                                    "justify_within_days": 5})
        control_keys = [(f, c) for f, c, _ in CONTROL]
        control_cum = []
        acc = 0
        for _, _, w in CONTROL:
            acc += w
            control_cum.append(acc)
        book = self.book()
        # the whoMay unit: its leader delegates the common area to every employee, in force, level 5-7
        big_leader = self.leader[self.big_unit]
        for pid in self.employees[self.big_unit]:
            records.append((self.uuid(), self.tenant_id, big_leader, pid, None, self.big_area, self.big_unit, True,
                            rng.choice([5, 6, 6, 7]), "Hverdagsdirektør i borgernes hverdagsliv",
                            controls[("report_afterwards", "monthly")], self.days_ago(1, 400), None, None, "active",
                            None, None, *book))
        n = total - len(records)
        units = [u for u in self.unit_ids if self.employees[u]]
        unit_pick = rng.choices(units, weights=[len(self.employees[u]) for u in units], k=n)
        area_w = [1.0 / (rank + 1) ** 0.7 for rank in range(len(self.area_ids))]
        shuffled = self.area_ids[:]
        rng.shuffle(shuffled)
        area_pick = rng.choices(shuffled, weights=area_w, k=n)
        level_pick = rng.choices(range(1, 8), weights=LEVEL_WEIGHTS, k=n)
        control_pick = rng.choices(control_keys, cum_weights=control_cum, k=n)
        rand = rng.random
        for u, area, level, ctl in zip(unit_pick, area_pick, level_pick, control_pick):
            teams = self.unit_teams.get(u)
            if teams and rand() < 0.15:
                person, team = None, rng.choice(teams)
            else:
                person, team = rng.choice(self.employees[u]), None
            r = rand()
            if r < 0.82:                      # current
                valid_from = self.stamp - timedelta(days=rand() * 700)
                valid_until = None if rand() < 0.6 else now + timedelta(days=30 + rand() * 670)
            elif r < 0.92:                    # expired
                valid_from = self.stamp - timedelta(days=200 + rand() * 700)
                valid_until = valid_from + timedelta(days=30 + rand() * 150)
            else:                             # not yet valid
                valid_from = now + timedelta(days=1 + rand() * 120)
                valid_until = None if rand() < 0.5 else valid_from + timedelta(days=365)
            s = rand()
            if s < 0.93:
                status, revoked_at, reason = "active", None, None
            elif s < 0.97:
                status, revoked_at, reason = "suspended", None, None
            else:
                status, revoked_at, reason = "revoked", self.days_ago(1, 100), "Omorganisering"
            review = (now + timedelta(days=30 + rand() * 335)).date() if rand() < 0.3 else None
            records.append((self.uuid(), self.tenant_id, self.leader[u], person, team, area, u, rand() < 0.85, level,
                            PURPOSES[int(rand() * len(PURPOSES))], controls[ctl], valid_from, valid_until, review,
                            status, revoked_at, reason, *book))
        self.tables["delegation"] = (columns, records)

    # red lines -----------------------------------------------------------------------------------
    def condition(self, types: dict[str, str]) -> str:
        rng = self.rng

        def atom(name, typ):
            if typ == "number":
                limit = rng.choice([1000, 2500, 5000, 10000, 25000, 50000, 100000])
                return rng.choices([f"{name} <= {limit}", f"{name} < {limit}", f"{name} >= 0",
                                    f"{name} != {limit + 1}", f"{name} <= 100"], weights=[30, 20, 10, 10, 8])[0]
            if typ == "boolean":
                return rng.choices([f"not {name}", f"{name} == false", name], weights=[75, 15, 10])[0]
            return rng.choices([f"{name} in ['standard', 'a', 'b']", f"{name} != 'kritisk'",
                                f"{name} not in ['x', 'y']", f"{name} == 'særlig'"], weights=[40, 25, 20, 10])[0]

        names = sorted(types)
        picked = rng.sample(names, min(len(names), rng.choice([1, 1, 1, 2, 2, 3])))
        atoms = [atom(n, types[n]) for n in picked]
        if len(atoms) == 1:
            return atoms[0]
        if len(atoms) == 3 and rng.random() < 0.4:
            return f"({atoms[0]} or {atoms[1]}) and {atoms[2]}"
        return (" or " if rng.random() < 0.2 else " and ").join(atoms)

    def red_lines(self) -> None:
        rng = self.rng
        total = self.spec["red_lines"]
        with_attrs = [a for a in self.area_ids if self.area_types[a]]
        leaves = [a for a in self.area_ids if not any(self.area_parent[b] == a for b in self.area_ids)]
        protected_units = set(self.chain(self.big_unit))
        protected_areas = set(self.area_chain(self.big_area))
        level_w = [3, 10, 25, 40, 15, 7]
        records = []
        set_by_of = {0: ["direktion", "law"], 1: ["forvaltning"], 2: ["leader"], 3: ["leader", "team"],
                     4: ["leader", "team"], 5: ["leader", "team"]}
        while len(records) < total:
            depth = rng.choices(range(len(self.levels)), weights=level_w[:len(self.levels)])[0]
            unit = rng.choice(self.levels[depth])
            protected = unit in protected_units
            if depth >= 3 and rng.random() < 0.05:
                area = rng.choice(leaves)
                if protected and area in protected_areas:
                    continue
                text = None
            else:
                area = rng.choice(with_attrs)
                types = self.area_types[area]
                condition = compile_condition(self.condition(types), types)
                if protected and area in protected_areas and not condition.evaluate(benign(types)):
                    continue
                text = condition.text
            records.append((self.uuid(), self.tenant_id, unit, area, text, rng.choice(CONSEQUENCES),
                            rng.choice(set_by_of[depth]), *self.book()))
        self.tables["red_line"] = (["id", "tenant_id", "unit_id", "area_id", "condition", "consequence", "set_by",
                                    "created_at", "created_by", "updated_at", "updated_by"], records)


    # limits on delegations (issue 11) ------------------------------------------------------------
    def limits(self) -> None:
        """Per-delegation amount limits, as a delegation-of-authority matrix has them: every root area
        declares `amount` (number, DKK; sub-areas inherit it, none declares it again), about half the
        delegations carry `amount <= N` with N growing with the level, and sub-delegations (5% on top
        of the delegations, some two deep) are passed on inside the unit, inherit their parent's
        limits and half of them add a tighter one of their own."""
        rng = self.rng
        # 1. `amount` on every root area (moved up from any sub-area that declared it itself)
        columns, records = self.tables["decision_area"]
        at = columns.index("attributes")
        amount = next(a for a in ATTRIBUTES if a[0] == "amount")
        out = []
        for rec in records:
            aid, own = rec[0], self.area_own[rec[0]]
            if self.area_parent[aid] is None and "amount" not in {n for n, _, _ in own}:
                own = [amount, *own]
            elif self.area_parent[aid] is not None:
                own = [a for a in own if a[0] != "amount"]
            self.area_own[aid] = own
            body = [{"name": n, "type": t, **({"unit": u} if u else {}), "description": f"{n} (benchmark)"}
                    for n, t, u in own]
            out.append((*rec[:at], json.dumps(body), *rec[at + 1:]))
        self.tables["decision_area"] = (columns, out)
        for aid in self.area_ids:
            self.area_types[aid] = {**self.area_types[aid], "amount": "number"}

        # 2. about half the delegations get a ceiling
        columns, records = self.tables["delegation"]
        col = {c: i for i, c in enumerate(columns)}
        conds: list[list[dict]] = []
        ceiling_of: list[int | None] = []
        for rec in records:
            if rng.random() < LIMIT_SHARE:
                n = ceiling(rec[col["level"]], rng)
                conds.append([limit_condition(n)])
                ceiling_of.append(n)
            else:
                conds.append([])
                ceiling_of.append(None)
        parent = [None] * len(records)
        allow = [False] * len(records)

        # 3. sub-delegations: a person holding a current, active delegation at level 3 or more passes
        #    it on to a colleague in the unit, at her level or below; a fifth of them are passed on
        #    once more (chains of two)
        now = self.now

        def in_force(rec) -> bool:
            return (rec[col["delegate_person_id"]] is not None and rec[col["status"]] == "active"
                    and rec[col["valid_from"]] <= now
                    and (rec[col["valid_until"]] is None or rec[col["valid_until"]] > now)
                    and len(self.employees[rec[col["unit_id"]]]) >= 2)

        def pass_on(i: int) -> int | None:
            rec = records[i]
            holder, unit = rec[col["delegate_person_id"]], rec[col["unit_id"]]
            new = list(rec)
            new[col["id"]] = self.uuid()
            new[col["delegator_id"]], new[col["delegate_team_id"]] = holder, None
            new[col["delegate_person_id"]] = rng.choice([p for p in self.employees[unit] if p != holder])
            new[col["level"]] = rng.randint(max(1, rec[col["level"]] - 2), rec[col["level"]])
            new[col["valid_from"]] = min(rec[col["valid_from"]] + timedelta(days=rng.uniform(0, 30)), self.stamp)
            new[col["review_date"]] = None
            if new[col["valid_until"]] is not None and new[col["valid_until"]] <= new[col["valid_from"]]:
                return None
            own: list[dict] = []
            limit = ceiling_of[i]
            if rng.random() < 0.5:  # a tighter ceiling of her own
                tighter = [c for c in CEILINGS if limit is None or c < limit]
                if tighter:
                    limit = rng.choice(tighter[-3:])
                    own = [limit_condition(limit)]
            records.append(tuple(new))
            conds.append(own)
            ceiling_of.append(limit)
            parent.append(rec[col["id"]])
            allow.append(False)
            allow[i] = True
            return len(records) - 1

        candidates = [i for i, rec in enumerate(records) if rec[col["level"]] >= 3 and in_force(rec)]
        cum, acc = [], 0
        for i in candidates:  # weighted towards the limited ones, so most inherit a limit
            acc += 3 if ceiling_of[i] is not None else 1
            cum.append(acc)
        wanted = int(self.spec["delegations"] * SUB_SHARE)
        subs: list[int] = []
        while len(subs) < wanted - wanted // 5:
            k = pass_on(rng.choices(candidates, cum_weights=cum)[0])
            if k is not None:
                subs.append(k)
        again = [k for k in subs if records[k][col["level"]] >= 2 and in_force(records[k])]
        made = 0
        while again and made < wanted // 5:
            made += pass_on(rng.choice(again)) is not None
        ids = {rec[col["id"]]: k for k, rec in enumerate(records)}
        below = [0] * len(records)  # max_subdelegation_depth: how far each was passed on
        for k in range(len(records)):
            cur, up = k, 0
            while parent[cur] is not None:
                cur, up = ids[parent[cur]], up + 1
                below[cur] = max(below[cur], up)
        self.tables["delegation"] = (
            [*columns, "parent_id", "conditions", "allow_subdelegation", "max_subdelegation_depth"],
            [(*rec, parent[k], json.dumps(conds[k]), allow[k], below[k]) for k, rec in enumerate(records)])


# Share of delegations with an amount ceiling, and sub-delegations per delegation (issue 11).
LIMIT_SHARE = 0.5
SUB_SHARE = 0.05
CEILINGS = [1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000]


def ceiling(level: int, rng: random.Random) -> int:
    """An amount ceiling for a delegation at this level: higher levels, higher ceilings."""
    k = max(0, min(len(CEILINGS) - 1, level - 2 + rng.choice([-1, 0, 0, 1])))
    return CEILINGS[k]


_LIMIT_TEXT: dict[int, str] = {}


def limit_condition(n: int) -> dict:
    """{"condition": canonical text, "text_da": the Danish sentence}, as the registry stores one."""
    if n not in _LIMIT_TEXT:
        _LIMIT_TEXT[n] = compile_condition(f"amount <= {n}", {"amount": "number"}).text
    return {"condition": _LIMIT_TEXT[n], "text_da": f"Op til {n:,} kr.".replace(",", ".")}


def request_amount(rng: random.Random) -> int:
    """An amount a request carries: log-uniform from 100 to 100.000 kr."""
    return int(round(10 ** rng.uniform(2, 5), -1))


# --- loading ------------------------------------------------------------------------------------

TABLE_ORDER = ["org_unit", "person", "membership", "team", "team_member", "decision_area", "delegation", "red_line"]


async def ensure_schema(dsn: str, *, verbose: bool = True) -> None:
    """Apply pending migrations; a database migrated by newer code is used as it is (with a warning)."""
    from registry.storage.migrate import MigrationError

    try:
        await migrate(dsn)
    except MigrationError as exc:
        if verbose:
            print(f"warning: {exc}; using the database as it is")


async def tenant_id_of(conn: asyncpg.Connection, key: str):
    return await conn.fetchval("SELECT id FROM organisation WHERE key = $1", key)


async def load(conn: asyncpg.Connection, t: Tenant, *, verbose: bool = True) -> dict[str, float]:
    """One transaction: the organisation row (through the history trigger), COPY of every table with
    triggers off, bulk history, revision 1."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute("SELECT set_config('registry.revision', '0', true), set_config('registry.actor', $1, true),"
                           " set_config('registry.at', $2, true)", ACTOR, t.stamp.isoformat())
        await conn.execute("INSERT INTO organisation (id, key, name, created_by, updated_by) VALUES ($1, $2, $3, $4, $4)",
                           t.tenant_id, t.key, t.spec["name"], ACTOR)
        superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if superuser:
            await conn.execute("SET LOCAL session_replication_role = replica")
        else:  # the triggers write history (and stamp rows) themselves; slower
            await conn.execute("SELECT set_config('registry.revision', '1', true)")
        for table in TABLE_ORDER:
            columns, records = t.tables[table]
            at = time.perf_counter()
            await conn.copy_records_to_table(table, records=records, columns=columns)
            timings[f"copy {table}"] = time.perf_counter() - at
        if superuser:
            for table in TABLE_ORDER:
                at = time.perf_counter()
                await conn.execute(
                    f"""INSERT INTO history (tenant_id, revision, at, entity_type, entity_id, operation, actor, after)
                        SELECT x.tenant_id, 1, $2, '{table}', x.id, 'create', '{ACTOR}', to_jsonb(x)
                        FROM {table} x WHERE x.tenant_id = $1""", t.tenant_id, t.stamp)
                timings[f"history {table}"] = time.perf_counter() - at
        await conn.execute("UPDATE organisation SET revision = 1 WHERE id = $1", t.tenant_id)
        at = time.perf_counter()
    timings["commit"] = time.perf_counter() - at
    at = time.perf_counter()
    for table in [*TABLE_ORDER, "history"]:
        await conn.execute(f"ANALYZE {table}")
    timings["analyze"] = time.perf_counter() - at
    timings["total"] = time.perf_counter() - started
    if verbose:
        detail = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items() if v >= 0.05 and k != "total")
        print(f"  load of {t.key}: {timings['total']:.1f} s ({detail})")
    return timings


async def generate(dsn: str, size: str, seed: int = 1, *, verbose: bool = True, summary: bool = True,
                   limits: bool = True) -> dict:
    """Generate and load the tenant for `size` unless its key exists; return its summary (with
    sample requests; `summary=False` skips building the index for them)."""
    spec = SIZES[size]
    await ensure_schema(dsn, verbose=verbose)
    conn = await asyncpg.connect(dsn)
    try:
        existing = await tenant_id_of(conn, spec["key"])
        if existing is not None:
            if verbose:
                print(f"tenant {spec['key']} already exists in the database: not generated again")
            result = {"generated": False}
        else:
            started = time.perf_counter()
            tenant = Tenant(size, seed, datetime.now(timezone.utc), limits=limits).build()
            gen_s = time.perf_counter() - started
            counts = {k: len(v[1]) for k, v in tenant.tables.items()}
            if verbose:
                print(f"generated {spec['key']} in {gen_s:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            timings = await load(conn, tenant, verbose=verbose)
            result = {"generated": True, "generate_s": round(gen_s, 2), "load_s": round(timings["total"], 2),
                      "counts": counts}
    finally:
        await conn.close()
    if not summary:
        return {"tenant_key": spec["key"], **result}
    found = await load_summary(dsn, spec["key"], seed=seed)
    found.update(result)
    return found


# --- summaries for the benchmarks -----------------------------------------------------------------


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection decoding jsonb like the engine's."""
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    return conn


async def load_index(dsn: str, key: str):
    """(TenantIndex, seconds for snapshot, seconds for build) of one tenant, as the engine builds it."""
    from registry.policy.engine import build_index
    from registry.storage import changes

    conn = await connect(dsn)
    try:
        tid = await tenant_id_of(conn, key)
        if tid is None:
            raise LookupError(f"no tenant {key!r}")
        started = time.perf_counter()
        orgs, tables = await changes.snapshot(conn, tid)
        snap = time.perf_counter() - started
    finally:
        await conn.close()
    started = time.perf_counter()
    index = build_index(orgs[0], tables)
    return index, snap, time.perf_counter() - started


async def load_summary(dsn: str, key: str, index=None, *, seed: int = 1, n_allowed: int = 2000,
                       n_denied: int = 2000) -> dict:
    """Ids the benchmarks need, read from the database (and the index, built here unless given)."""
    if index is None:
        index, _, _ = await load_index(dsn, key)
    conn = await asyncpg.connect(dsn)
    try:
        tid = await tenant_id_of(conn, key)
        big = await conn.fetchrow("SELECT id FROM org_unit WHERE tenant_id = $1 AND external_id = $2",
                                  tid, f"{key}-bench-big")
        leader = await conn.fetchval(
            "SELECT p.external_id FROM membership m JOIN person p ON p.id = m.person_id"
            " WHERE m.tenant_id = $1 AND m.unit_id = $2 AND m.role = 'leader'", tid, big["id"])
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t} WHERE tenant_id = $1", tid) for t in TABLE_ORDER}
        history_at = await conn.fetchval("SELECT max(at) FROM history WHERE tenant_id = $1 AND revision = 1", tid)
    finally:
        await conn.close()
    now = time.time()
    allowed, denied = samples_from_index(index, now, n_allowed, n_denied, random.Random(seed))
    big_area = index.area_by_key[BIG_AREA]
    return {
        "tenant_key": key, "tenant_id": str(tid), "revision": index.revision, "counts": counts,
        "history_at": history_at.isoformat() if history_at else None,
        "big_unit": str(big["id"]), "big_unit_leader": leader, "big_area": BIG_AREA,
        "big_area_attrs": benign(index.area_types[big_area]),
        "allowed": allowed, "denied": denied,
    }


def with_amount(index, area: str, rng: random.Random) -> dict[str, object]:
    """A request's attributes: the benign values, with an amount from 100 to 100.000 kr. where the
    area declares one (left out of one request in 20)."""
    attrs = benign(index.area_types[area])
    if "amount" in attrs:
        if rng.random() < 0.05:
            del attrs["amount"]
        else:
            attrs["amount"] = request_amount(rng)
    return attrs


def samples_from_index(index, now: float, n_allowed: int, n_denied: int, rng: random.Random
                       ) -> tuple[list[tuple], list[tuple]]:
    """Requests (person external id, area key, unit id, action, attributes) that the index allows,
    and ones it denies (no delegation, level too low, expired/suspended/future, red lines, beyond a
    delegation's limits). Requests carry an amount (see with_amount), so limits are evaluated."""
    children: dict[str, list[str]] = defaultdict(list)
    for u, p in index.unit_parent.items():
        if p is not None:
            children[p].append(u)
    area_children: dict[str, list[str]] = defaultdict(list)
    for a, p in index.area_parent.items():
        if p is not None:
            area_children[p].append(a)

    def below(node, tree):
        cur = node
        while tree.get(cur) and rng.random() < 0.5:
            cur = rng.choice(tree[cur])
        return cur

    def holder(g):
        if g.subject_kind == "person":
            return g.subject
        members = [index.team_links[i].person for i in index.links_of_team.get(g.subject, ())]
        return rng.choice(members) if members else None

    actions = list(ACTIONS.items())
    grants = list(index.grants.values())
    allowed, denied, outside = [], [], []
    attempts = 0
    while len(allowed) < n_allowed and attempts < 50 * n_allowed:
        attempts += 1
        g = grants[int(rng.random() * len(grants))]
        if g.status != "active" or not g.valid_from <= now < g.valid_until:
            continue
        person = holder(g)
        if person is None:
            continue
        area = below(g.area, area_children)
        unit = below(g.unit, children) if g.subtree else g.unit
        action = rng.choice([a for a, need in actions if need <= g.level])
        req = (index.person_ext[person], index.area_key[area], unit, action, with_amount(index, area, rng))
        decision = index.check(*req[:5], now)
        if decision.decision:
            allowed.append(req)
        elif decision.reason in ("outside_mandate", "missing_attribute") and len(outside) < n_denied:
            outside.append(req)   # beyond a delegation's limit (or without the amount it needs)
    people = list(index.person_ext.values())
    areas = list(index.area_key.values())
    units = list(index.unit_parent)
    attempts = 0
    while len(denied) < n_denied and attempts < 50 * n_denied:
        attempts += 1
        kind = rng.random()
        if kind >= 0.85 and outside:           # beyond the limits of the delegations held
            req = rng.choice(outside)
        elif kind < 0.35 or not allowed:       # someone, somewhere: mostly no delegation
            area_key = rng.choice(areas)
            req = (rng.choice(people), area_key, rng.choice(units), rng.choice(list(ACTIONS)),
                   with_amount(index, index.area_by_key[area_key], rng))
        elif kind < 0.5:                       # an allowed request asking for more than is held
            p, a, u, _, attrs = rng.choice(allowed)
            req = (p, a, u, "act_as_hverdagsdirektoer", attrs)
        elif kind < 0.7:                       # crossing red lines
            p, a, u, act, _ = rng.choice(allowed)
            req = (p, a, u, act, violating(index.area_types[index.area_by_key[a]]))
        else:                                  # delegations not in force
            g = grants[int(rng.random() * len(grants))]
            person = holder(g)
            if person is None:
                continue
            req = (index.person_ext[person], index.area_key[g.area], g.unit, "be_informed",
                   with_amount(index, g.area, rng))
        if not index.check(*req[:5], now).decision:
            denied.append(req)
    return allowed, denied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the summary (with the sample requests) to this file")
    parser.add_argument("--no-summary", action="store_true", help="only generate; no index, no sample requests")
    parser.add_argument("--no-limits", action="store_true",
                        help="no amount limits on delegations and no sub-delegations (the tenant before issue 11)")
    args = parser.parse_args()
    started = time.perf_counter()
    summary = asyncio.run(generate(args.dsn, args.size, args.seed, summary=not args.no_summary,
                                   limits=not args.no_limits))
    if args.no_summary:
        print(f"wall clock {time.perf_counter() - started:.1f} s")
        return 0
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh)
    brief = {k: v for k, v in summary.items() if k not in ("allowed", "denied")}
    brief["allowed (first 3)"] = summary["allowed"][:3]
    brief["denied (first 3)"] = summary["denied"][:3]
    print(json.dumps(brief, indent=2, ensure_ascii=False, default=str))
    print(f"wall clock {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
