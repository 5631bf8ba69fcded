"""The in-memory decision index for one tenant: registry state shaped for fast checks.

Pure: no I/O. `apply()` takes one changed row (as the history records it) and updates the index
incrementally; `check()` answers a request in microseconds from dictionaries. The Casbin model in
policies/ states the same semantics, and the differential tests hold the two to each other.

Ids are kept as strings and instants as epoch seconds: both are cheap to hash and compare.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

import msgspec

from registry.domain import levels
from registry.domain.aliases import CASELESS as CASELESS_ALIASES
from registry.domain.conditions import Condition, ConditionError, compile_condition
from registry.domain.decisions import (DECIDING_ACTIONS, INACTIVE_PRECEDENCE, Obligation, fold_breach_responses,
                                       min_level, obligations)
from registry.errors import Invalid

FOREVER = float("inf")


class GrantCondition(msgspec.Struct, gc=False):
    """One of a delegation's own conditions (its limits: "up to 10.000 kr."). Shared by the
    delegations of an area that state the same ones (most limits repeat: "amount <= 10000")."""

    text: str
    text_da: str
    # None: it no longer type-checks against its area's attributes; fail closed (never holds).
    condition: Condition | None = None


class Grant(msgspec.Struct, gc=False):
    """A delegation, as checks need it."""

    id: str
    subject: str            # person id or team id
    subject_kind: str       # "person" | "team"
    delegator: str
    area: str
    unit: str
    subtree: bool
    level: int
    status: str             # active | suspended | revoked | offered | declined (expired is derived)
    valid_from: float
    valid_until: float      # FOREVER when open-ended
    control_form: str
    cadence: str | None
    justify_days: int
    account: str = "within_days"                # how a level-6 act is accounted for (ACCOUNT_MODES)
    parent: str | None = None                   # the delegation it was passed on from
    conditions: tuple[GrantCondition, ...] = ()  # its own; the parents' bind it too (conditions_of)
    # The conditions of the delegations it was passed on from, as (the delegation stating it,
    # condition), nearest first; kept by the index (_relimit) so that a check follows no parents.
    inherited: tuple[tuple[str, GrantCondition], ...] = ()


# Stands in the inherited conditions for a parent the index does not hold: never holds (fail closed).
ORPHANED = GrantCondition("", "")
_PENDING: tuple = ((None, ORPHANED),)  # while _relimit_all works (a cycle of parents stays orphaned)


class Line(msgspec.Struct, gc=False):
    id: str
    unit: str
    area: str
    text: str | None        # None: an outright prohibition
    consequence: str
    set_by: str
    condition: Condition | None = None
    # The condition no longer type-checks against its area's attributes: fail closed (always denies).
    broken: bool = False


class TeamLink(msgspec.Struct, gc=False):
    id: str
    team: str
    person: str
    valid_from: float
    valid_to: float
    archived: bool


class UnitRole(msgspec.Struct, gc=False):
    id: str
    person: str
    unit: str
    role: str
    valid_from: float
    valid_to: float
    archived: bool


class StandInRow(msgspec.Struct, gc=False):
    id: str
    unit: str
    leader: str
    person: str
    valid_from: float
    valid_until: float
    archived: bool


class BreachEffect(msgspec.Struct, gc=False):
    """What a breach does to checks; its details (description, cause, notes) never reach the index."""

    id: str
    person: str
    area: str
    unit: str
    response: str
    effect_from: float
    effect_until: float
    lowered_to: int | None


class Holding(msgspec.Struct, frozen=True):
    """One thing a person holds at an instant, as checks see it: a delegation in force (directly or
    through a team), or leader authority (her own, or as a stand-in) over a unit's subtree in an
    area tree; with the breach responses in force over it."""

    basis: str                          # "delegation" | "leader_authority"
    area: str
    unit: str
    subtree: bool
    level: int                          # as held: the delegation's level, 7 for leader authority
    until: float
    grant: Grant | None = None
    stand_in_for: str | None = None     # the leader (person id), when held as her stand-in
    except_areas: tuple[str, ...] = ()  # leader authority: areas reserved above her (and those below them)
    whole: tuple[BreachEffect, ...] = ()    # responses binding all of it
    partial: tuple[BreachEffect, ...] = ()  # responses binding a part of it: their area and unit, and below


class RedLineRef(msgspec.Struct, frozen=True):
    id: str
    consequence: str
    condition: str | None


class ConditionRef(msgspec.Struct, frozen=True):
    """The delegation condition a check was refused by, and the delegation that states it (the
    delegation asked about, or one it was passed on from)."""

    delegation_id: str
    condition: str
    text_da: str


class TraceItem(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str               # "delegation" | "condition" | "red_line" | "leader_authority"
    id: str                 # a condition's: the delegation that states it
    outcome: str            # allows/level_too_low/outside_mandate/missing_attribute/expired/... | holds/violated/...
    level: int | None = None
    condition: str | None = None


class Decision(msgspec.Struct, omit_defaults=True):
    decision: bool
    reason: str
    revision: int
    level: int | None = None
    level_label: str | None = None
    delegation_ids: list[str] = []
    obligations: list[Obligation] = []
    red_line: RedLineRef | None = None
    condition: ConditionRef | None = None
    missing_attributes: list[str] = []
    trace: list[TraceItem] | None = None
    # The person's external id, when the request named her by an alias (issue 13): whom it resolved to.
    person: str | None = None


def ts(value) -> float:
    """An instant from a row (datetime) or from history JSON (ISO text) as epoch seconds."""
    if value is None:
        return FOREVER
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.timestamp()


@functools.lru_cache(maxsize=20_000)
def _compiled(text: str, types: tuple[tuple[str, str], ...]) -> Condition | None:
    """Compiled conditions are immutable, so identical ones are shared (many lines repeat a text)."""
    try:
        return compile_condition(text, dict(types))
    except ConditionError:
        return None


def _s(value) -> str | None:
    return None if value is None else str(value)


def fold_effects(effects) -> tuple[bool, int | None, bool]:
    """What breach effects do together to a permit: (suspended, level cap, extra control)."""
    return fold_breach_responses((b.response, b.lowered_to) for b in effects)


class TenantIndex:
    def __init__(self, tenant_id: str, tenant_key: str, revision: int = 0):
        self.tenant_id = tenant_id
        self.tenant_key = tenant_key
        self.revision = revision
        self.unit_parent: dict[str, str | None] = {}
        self.unit_name: dict[str, str] = {}
        self.unit_archived: set[str] = set()
        self.unit_chain: dict[str, tuple[str, ...]] = {}
        self.unit_ext: dict[str, str] = {}                     # unit id -> external id (when it has one)
        self.unit_by_ext: dict[str, str] = {}
        self.area_parent: dict[str, str | None] = {}
        self.area_key: dict[str, str] = {}
        self.area_by_key: dict[str, str] = {}
        self.area_kle: dict[str, str] = {}                     # area id -> KLE code (when it has one)
        self.areas_by_kle: dict[str, set[str]] = defaultdict(set)  # KLE codes need not be unique
        self.area_archived: set[str] = set()
        self.area_attrs: dict[str, dict[str, str]] = {}       # declared on the area itself
        self.area_attr_values: dict[str, dict[str, frozenset[str]]] = {}  # a string attribute's codes, if listed
        self.area_values: dict[str, dict[str, frozenset[str]]] = {}       # the same, inherited
        self.area_chain: dict[str, tuple[str, ...]] = {}
        self.area_types: dict[str, dict[str, str]] = {}       # effective (inherited) attribute types
        self.area_attr_origin: dict[str, dict[str, str]] = {}  # attribute name -> the area declaring it
        self.person_ext: dict[str, str] = {}                   # person id -> external id
        self.person_by_ext: dict[str, str] = {}
        # A person's aliases (issue 13): alias id -> (person id, kind, value as stored), and the
        # alias id by its value lower-cased (values are unique so, across kinds: person_alias_value).
        self.aliases: dict[str, tuple[str, str, str]] = {}
        self.alias_by_lower: dict[str, str] = {}
        self.aliases_of_person: dict[str, set[str]] = defaultdict(set)
        self.person_name: dict[str, str] = {}
        self.person_archived: set[str] = set()
        self.team_unit: dict[str, str] = {}
        self.team_name: dict[str, str] = {}
        self.team_archived: set[str] = set()
        self.team_links: dict[str, TeamLink] = {}
        self.links_of_person: dict[str, set[str]] = defaultdict(set)
        self.links_of_team: dict[str, set[str]] = defaultdict(set)
        self.roles: dict[str, UnitRole] = {}
        self.grants: dict[str, Grant] = {}
        # (subject, area) -> {delegation id: Grant}: the check path iterates Grants without lookups.
        self.by_subject_area: dict[tuple[str, str], dict[str, Grant]] = defaultdict(dict)
        self.by_subject: dict[str, set[str]] = defaultdict(set)
        self.by_area_unit: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.children: dict[str, set[str]] = defaultdict(set)  # delegation id -> those passed on from it
        # (area, its conditions' texts) -> the one tuple of GrantConditions the delegations stating
        # them share, compiled against that area's attributes
        self.shared_conditions: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[GrantCondition, ...]] = {}
        self.lines: dict[str, Line] = {}
        self.lines_at: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.area_reserved_at: dict[str, str | None] = {}      # reserved area -> unit (None: everywhere)
        self.roles_of_person: dict[str, set[str]] = defaultdict(set)
        self.roles_at_unit: dict[str, set[str]] = defaultdict(set)
        self.stand_ins: dict[str, StandInRow] = {}
        self.stand_ins_of_person: dict[str, set[str]] = defaultdict(set)
        self.stand_ins_at_unit: dict[str, set[str]] = defaultdict(set)
        self.breaches: dict[str, BreachEffect] = {}
        self.breaches_of_person: dict[str, set[str]] = defaultdict(set)
        self.live_areas: set[str] = set()
        # While loading many rows at once, the trees are rebuilt (and red lines compiled) once at
        # the end instead of after every unit or area row.
        self._bulk = False

    def load(self, rows_by_type) -> "TenantIndex":
        """Apply many rows (an iterable of (entity type, row)), rebuilding derived state once."""
        self._bulk = True
        try:
            for entity_type, row in rows_by_type:
                self.apply(entity_type, row)
        finally:
            self._bulk = False
        self._rebuild_unit_chains()
        self._rebuild_area_chains()
        self._compile_all()
        self._relimit_all()
        return self

    # --- applying changes ---------------------------------------------------------------------

    def apply(self, entity_type: str, row: Mapping | None, old: Mapping | None = None) -> None:
        """Apply one created/updated (`row`) or deleted (`row` None, `old` given) entity."""
        handler = getattr(self, f"_apply_{entity_type}", None)
        if handler is not None:
            handler(row, old)

    def _apply_organisation(self, row, old) -> None:
        if row is not None:
            self.tenant_key = row["key"]

    def _apply_org_unit(self, row, old) -> None:
        if row is None:
            uid = str(old["id"])
            self.unit_parent.pop(uid, None)
            self.unit_archived.discard(uid)
            self._set_unit_ext(uid, None)
        else:
            uid = str(row["id"])
            self.unit_parent[uid] = _s(row["parent_id"])
            self._set_unit_ext(uid, row.get("external_id"))
            self.unit_name[uid] = row["name"]
            (self.unit_archived.add if row["archived_at"] is not None else self.unit_archived.discard)(uid)
        if not self._bulk:
            self._rebuild_unit_chains()

    def _set_unit_ext(self, uid: str, external_id: str | None) -> None:
        old = self.unit_ext.pop(uid, None)
        if old is not None and self.unit_by_ext.get(old) == uid:
            del self.unit_by_ext[old]
        if external_id is not None:
            self.unit_ext[uid] = external_id
            self.unit_by_ext[external_id] = uid

    def _set_area_kle(self, aid: str, kle: str | None) -> None:
        old = self.area_kle.pop(aid, None)
        if old is not None:
            carriers = self.areas_by_kle.get(old)
            if carriers is not None:
                carriers.discard(aid)
                if not carriers:
                    del self.areas_by_kle[old]
        if kle:
            self.area_kle[aid] = kle
            self.areas_by_kle[kle].add(aid)

    def _rebuild_unit_chains(self) -> None:
        chains = {}
        for uid in self.unit_parent:
            chain, seen, cur = [], set(), uid
            while cur is not None and cur not in seen:
                seen.add(cur)
                chain.append(cur)
                cur = self.unit_parent.get(cur)
            chains[uid] = tuple(chain)
        self.unit_chain = chains

    def _apply_decision_area(self, row, old) -> None:
        if row is None:
            aid = str(old["id"])
            for table in (self.area_parent, self.area_attrs, self.area_attr_values):
                table.pop(aid, None)
            key = self.area_key.pop(aid, None)
            if key is not None:
                self.area_by_key.pop(key, None)
            self._set_area_kle(aid, None)
        else:
            aid = str(row["id"])
            self.area_parent[aid] = _s(row["parent_id"])
            old_key = self.area_key.get(aid)
            if old_key is not None and old_key != row["key"]:
                self.area_by_key.pop(old_key, None)
            self.area_key[aid] = row["key"]
            self.area_by_key[row["key"]] = aid
            self._set_area_kle(aid, row.get("kle"))
            attrs = row["attributes"] or []
            self.area_attrs[aid] = {a["name"]: a["type"] for a in (attrs if isinstance(attrs, list) else [])}
            self.area_attr_values[aid] = {a["name"]: frozenset(a["values"]) for a in (attrs if isinstance(attrs, list)
                                                                                     else []) if a.get("values")}
            if row.get("delegable", True) is False:
                self.area_reserved_at[aid] = _s(row.get("reserved_unit_id"))
            else:
                self.area_reserved_at.pop(aid, None)
            (self.area_archived.add if row["archived_at"] is not None else self.area_archived.discard)(aid)
        if not self._bulk:
            self._rebuild_area_chains()
            self._compile_all()

    def _rebuild_area_chains(self) -> None:
        chains, types, origins, values = {}, {}, {}, {}
        for aid in self.area_parent:
            chain, seen, cur = [], set(), aid
            while cur is not None and cur not in seen:
                seen.add(cur)
                chain.append(cur)
                cur = self.area_parent.get(cur)
            chains[aid] = tuple(chain)
            effective: dict[str, str] = {}
            origin: dict[str, str] = {}
            allowed: dict[str, frozenset[str]] = {}
            for a in reversed(chain):
                for name, kind in self.area_attrs.get(a, {}).items():
                    effective[name], origin[name] = kind, a
                    allowed.pop(name, None)  # redeclared below: its own list (or none) holds
                allowed.update(self.area_attr_values.get(a, {}))
            types[aid], origins[aid], values[aid] = effective, origin, allowed
        self.area_chain, self.area_types, self.area_attr_origin, self.area_values = chains, types, origins, values
        self.live_areas = {a for a, chain in chains.items() if not any(x in self.area_archived for x in chain)}

    def _apply_person(self, row, old) -> None:
        if row is None:
            pid = str(old["id"])
            ext = self.person_ext.pop(pid, None)
            if ext is not None:
                self.person_by_ext.pop(ext, None)
            return
        pid = str(row["id"])
        old_ext = self.person_ext.get(pid)
        if old_ext is not None and old_ext != row["external_id"]:
            self.person_by_ext.pop(old_ext, None)
        self.person_ext[pid] = row["external_id"]
        self.person_by_ext[row["external_id"]] = pid
        self.person_name[pid] = row["name"]
        (self.person_archived.add if row["archived_at"] is not None else self.person_archived.discard)(pid)

    def _apply_person_alias(self, row, old) -> None:
        aid = str((row if row is not None else old)["id"])
        found = self.aliases.pop(aid, None)
        if found is not None:
            self.aliases_of_person[found[0]].discard(aid)
            if self.alias_by_lower.get(found[2].lower()) == aid:
                del self.alias_by_lower[found[2].lower()]
        if row is not None:
            pid = str(row["person_id"])
            self.aliases[aid] = (pid, row["kind"], row["value"])
            self.alias_by_lower[row["value"].lower()] = aid
            self.aliases_of_person[pid].add(aid)

    def _apply_team(self, row, old) -> None:
        if row is None:
            tid = str(old["id"])
            self.team_unit.pop(tid, None)
            return
        tid = str(row["id"])
        self.team_unit[tid] = str(row["unit_id"])
        self.team_name[tid] = row["name"]
        (self.team_archived.add if row["archived_at"] is not None else self.team_archived.discard)(tid)

    def _apply_team_member(self, row, old) -> None:
        gone = self.team_links.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.links_of_person[gone.person].discard(gone.id)
            self.links_of_team[gone.team].discard(gone.id)
        if row is None:
            return
        link = TeamLink(str(row["id"]), str(row["team_id"]), str(row["person_id"]), ts(row["valid_from"]),
                        ts(row["valid_to"]), row["archived_at"] is not None)
        self.team_links[link.id] = link
        self.links_of_person[link.person].add(link.id)
        self.links_of_team[link.team].add(link.id)

    def _apply_membership(self, row, old) -> None:
        gone = self.roles.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.roles_of_person[gone.person].discard(gone.id)
            self.roles_at_unit[gone.unit].discard(gone.id)
        if row is not None:
            role = UnitRole(str(row["id"]), str(row["person_id"]), str(row["unit_id"]), row["role"],
                            ts(row["valid_from"]), ts(row["valid_to"]), row["archived_at"] is not None)
            self.roles[role.id] = role
            if role.role == "leader":  # leader authority in checks comes from leading, not deputising
                self.roles_of_person[role.person].add(role.id)
                self.roles_at_unit[role.unit].add(role.id)

    def _apply_stand_in(self, row, old) -> None:
        gone = self.stand_ins.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.stand_ins_of_person[gone.person].discard(gone.id)
            self.stand_ins_at_unit[gone.unit].discard(gone.id)
        if row is not None:
            s = StandInRow(str(row["id"]), str(row["unit_id"]), str(row["leader_id"]), str(row["stand_in_id"]),
                           ts(row["valid_from"]), ts(row["valid_until"]), row["archived_at"] is not None)
            self.stand_ins[s.id] = s
            self.stand_ins_of_person[s.person].add(s.id)
            self.stand_ins_at_unit[s.unit].add(s.id)

    def _apply_breach(self, row, old) -> None:
        gone = self.breaches.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.breaches_of_person[gone.person].discard(gone.id)
        if row is not None and row["response"] in ("extra_control", "lowered_level", "suspension"):
            b = BreachEffect(str(row["id"]), str(row["person_id"]), str(row["area_id"]), str(row["unit_id"]),
                             row["response"], ts(row["effect_from"]), ts(row["effect_until"]), row["lowered_to"])
            self.breaches[b.id] = b
            self.breaches_of_person[b.person].add(b.id)

    # A breach's later response (issue 12, part 6) has the breach's effect columns: applied alike.
    _apply_breach_response = _apply_breach

    def _apply_delegation(self, row, old) -> None:
        gone = self.grants.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.by_subject_area[(gone.subject, gone.area)].pop(gone.id, None)
            self.by_subject[gone.subject].discard(gone.id)
            self.by_area_unit[(gone.area, gone.unit)].discard(gone.id)
            if gone.parent is not None:
                self.children[gone.parent].discard(gone.id)
        if row is None:
            if gone is not None and not self._bulk:
                self._relimit(gone.id)  # those passed on from it are orphans now
            return
        control = row["control"] or {}
        team = row["delegate_team_id"]
        stated = row.get("conditions")
        conditions = self._shared(str(row["area_id"]), stated) if stated else ()
        grant = Grant(
            id=str(row["id"]), subject=str(team if team is not None else row["delegate_person_id"]),
            subject_kind="team" if team is not None else "person", delegator=str(row["delegator_id"]),
            area=str(row["area_id"]), unit=str(row["unit_id"]), subtree=bool(row["include_subunits"]),
            level=int(row["level"]), status=row["status"], valid_from=ts(row["valid_from"]),
            valid_until=ts(row["valid_until"]), control_form=control.get("form", "none"),
            cadence=control.get("cadence"), justify_days=int(control.get("justify_within_days", 5)),
            account=control.get("account") or "within_days",
            parent=_s(row.get("parent_id")), conditions=conditions)
        self.grants[grant.id] = grant
        self.by_subject_area[(grant.subject, grant.area)][grant.id] = grant
        self.by_subject[grant.subject].add(grant.id)
        self.by_area_unit[(grant.area, grant.unit)].add(grant.id)
        if grant.parent is not None:
            self.children[grant.parent].add(grant.id)
        if not self._bulk:
            self._relimit(grant.id)

    def _shared(self, area: str, stated) -> tuple[GrantCondition, ...]:
        key = (area, tuple((c["condition"], c.get("text_da") or "") for c in stated))
        found = self.shared_conditions.get(key)
        if found is None:
            found = self.shared_conditions[key] = tuple(GrantCondition(text, text_da) for text, text_da in key[1])
            if not self._bulk:
                self._compile_conditions(area, found)
        return found

    def _apply_red_line(self, row, old) -> None:
        gone = self.lines.pop(str((row or old)["id"]), None)
        if gone is not None:
            self.lines_at[(gone.unit, gone.area)].discard(gone.id)
        if row is None or row["archived_at"] is not None:
            return
        line = Line(str(row["id"]), str(row["unit_id"]), str(row["area_id"]), row["condition"], row["consequence"],
                    row["set_by"])
        self._compile(line)
        self.lines[line.id] = line
        self.lines_at[(line.unit, line.area)].add(line.id)

    def _compile_all(self) -> None:
        for line in self.lines.values():
            self._compile(line)
        for (area, _texts), conditions in self.shared_conditions.items():
            self._compile_conditions(area, conditions)

    def _compile_conditions(self, area: str, conditions: tuple[GrantCondition, ...]) -> None:
        """Delegation conditions against their area's attributes (inherited ones included)."""
        types = tuple(sorted(self.area_types.get(area, {}).items()))
        for c in conditions:
            c.condition = _compiled(c.text, types)

    def _relimit_all(self) -> None:
        """Every sub-delegation's inherited conditions, after a bulk load (parents in any order)."""
        pending = [g for g in self.grants.values() if g.parent is not None]
        for g in pending:
            g.inherited = _PENDING
        for g in pending:
            self._inherit(g, 0)

    def _inherit(self, g: Grant, depth: int) -> tuple[tuple[str, GrantCondition], ...]:
        if g.inherited is not _PENDING:
            return g.inherited
        parent = self.grants.get(g.parent)
        if parent is None or depth > 64:  # unknown, or a cycle of parents (no stored row makes one)
            g.inherited = ((g.parent, ORPHANED),)
        else:
            above = self._inherit(parent, depth + 1) if parent.parent is not None else ()
            g.inherited = tuple((parent.id, c) for c in parent.conditions) + above
        return g.inherited

    def _relimit(self, top: str) -> None:
        """Recompute what a delegation inherits and what every one passed on from it does, parents
        first: a parent's conditions bind its sub-delegations at once, without a write to them."""
        stack, seen = [top], set()
        while stack:
            gid = stack.pop()
            if gid in seen:  # a cycle cannot be stored; the guard keeps a bad row from looping
                continue
            seen.add(gid)
            g = self.grants.get(gid)
            if g is not None and g.parent is not None:
                parent = self.grants.get(g.parent)
                g.inherited = ((g.parent, ORPHANED),) if parent is None else \
                    tuple((parent.id, c) for c in parent.conditions) + parent.inherited
            stack.extend(self.children.get(gid, ()))

    def _compile(self, line: Line) -> None:
        if line.text is None or self._bulk:  # in bulk, every line is compiled once at the end
            line.condition, line.broken = None, False
            return
        types = self.area_types.get(line.area, {})
        line.condition = _compiled(line.text, tuple(sorted(types.items())))
        line.broken = line.condition is None

    # --- questions ----------------------------------------------------------------------------

    def area_live(self, area: str) -> bool:
        """Known, and neither it nor an area above it archived."""
        return area in self.live_areas

    def unit_ref(self, ref: str) -> str | None:
        """The unit a request names: by its id or, failing that, by its external id (e.g. a LOS id).
        An id is tried first, so the writes refuse an external id that is another unit's id."""
        return ref if ref in self.unit_parent else self.unit_by_ext.get(ref)

    def area_ref(self, ref: str, *, strict: bool = True) -> str | None:
        """The area a request names: by its key or, failing that, by its KLE code when one live area
        carries it. A code that several live areas carry is refused (`ambiguous_area`; with
        `strict` off: None), so a check never picks one of them by chance."""
        area = self.area_by_key.get(ref)
        if area is not None:
            return area
        carriers = self.areas_by_kle.get(ref)
        if not carriers:
            return None
        if len(carriers) == 1:
            return next(iter(carriers))
        live = [a for a in carriers if a in self.live_areas]
        if len(live) == 1:
            return live[0]
        if not live or not strict:
            return None
        keys = ", ".join(sorted(self.area_key[a] for a in live))
        raise Invalid(f"several decision areas have the KLE code {ref!r} ({keys}); name the area by its key",
                      field="area", code="ambiguous_area")

    def person_ref(self, ref: str) -> str | None:
        """The person a request names (archived or not): by her external id or, failing that, by one
        of her aliases (a UPN or UUID in any casing; a `sub` or payroll number exactly). An alias is
        never another person's external id (registry.services.aliases), so the order decides nothing."""
        pid = self.person_by_ext.get(ref)
        if pid is not None or not self.alias_by_lower:
            return pid
        aid = self.alias_by_lower.get(ref.lower())
        if aid is None:
            return None
        pid, kind, value = self.aliases[aid]
        return pid if value == ref or kind in CASELESS_ALIASES else None

    def person_id(self, external_id: str) -> str | None:
        """The live person a request names by her external id or an alias (person_ref)."""
        pid = self.person_ref(external_id)
        return None if pid is None or pid in self.person_archived else pid

    def aliases_of(self, person: str) -> list[tuple[str, str, str, str]]:
        """The person's aliases: (alias id, person id, kind, value)."""
        return [(aid, *self.aliases[aid]) for aid in sorted(self.aliases_of_person.get(person, ()))]

    def subjects(self, person: str, at: float) -> list[str]:
        """The person, and the teams the person belongs to at `at`."""
        found = [person]
        for link_id in self.links_of_person.get(person, ()):
            link = self.team_links[link_id]
            if (not link.archived and link.valid_from <= at < link.valid_to
                    and link.team not in self.team_archived):
                found.append(link.team)
        return found

    def reserved_above(self, area: str, unit: str) -> bool:
        """The area (or one above it) is reserved at a unit strictly above `unit`: not this leader's."""
        chain = self.unit_chain.get(unit, ())
        for a in self.area_chain.get(area, ()):
            if a in self.area_reserved_at:
                at_unit = self.area_reserved_at[a]
                if at_unit is not None and at_unit != unit and at_unit in chain:
                    return True
        return False

    def authority_units(self, person: str, at: float) -> dict[str, tuple[str, float]]:
        """Units whose subtree the person holds leader authority over at `at`: unit -> (how, until),
        how being "leader" or "stand_in:<appointment id>", until the end of that authority."""
        held: dict[str, tuple[str, float]] = {}
        for sid in self.stand_ins_of_person.get(person, ()):
            s = self.stand_ins[sid]
            if not s.archived:
                for f, u in self.stand_in_windows(s):
                    if f <= at < u:
                        held[s.unit] = (f"stand_in:{s.id}", u)
        for rid in self.roles_of_person.get(person, ()):
            r = self.roles[rid]
            if not r.archived and r.valid_from <= at < r.valid_to:
                before = held.get(r.unit)
                until = r.valid_to if before is None or before[0] != "leader" else max(before[1], r.valid_to)
                held[r.unit] = ("leader", until)
        return held

    def stand_in_windows(self, s: StandInRow) -> list[tuple[float, float]]:
        """When a stand-in holds authority: within the appointment, and only while the leader it
        stands in for still leads that unit (an appointment does not outlive the leader's)."""
        windows = []
        for rid in self.roles_of_person.get(s.leader, ()):
            r = self.roles[rid]
            if r.unit == s.unit and not r.archived:
                start, end = max(s.valid_from, r.valid_from), min(s.valid_until, r.valid_to)
                if start < end:
                    windows.append((start, end))
        return windows

    def leader_authority(self, person: str, area: str, unit: str, at: float) -> str | None:
        """How the person holds leader authority over the area in the unit, if at all."""
        held = self.authority_units(person, at)
        if not held:
            return None
        for u in self.unit_chain[unit]:
            if u in held and u not in self.unit_archived and not self.reserved_above(area, u):
                return held[u][0]
        return None

    def effects_at(self, person: str, area: str, unit: str, at: float) -> list[BreachEffect]:
        """The breach responses in force at `at` that bind the person in this area and unit: set on
        the area or one above it, at the unit or one above it."""
        ids = self.breaches_of_person.get(person)
        if not ids:
            return []
        areas, units = self.area_chain[area], self.unit_chain[unit]
        return [b for b in (self.breaches[i] for i in ids)
                if b.area in areas and b.unit in units and b.effect_from <= at < b.effect_until]

    def breach_effects(self, person: str, area: str, unit: str, at: float) -> tuple[bool, int | None, bool]:
        """(suspended, level cap, extra control) from the breach responses in force at `at`."""
        if not self.breaches_of_person.get(person):  # most people: the check path pays one lookup
            return False, None, False
        return fold_effects(self.effects_at(person, area, unit, at))

    def covering(self, subjects: list[str], area: str, unit: str) -> list[Grant]:
        """Delegations to these subjects whose area and units cover the request (any status)."""
        unit_chain = self.unit_chain[unit]
        area_chain = self.area_chain[area]
        lookup = self.by_subject_area.get
        found = []
        for subject in subjects:
            for a in area_chain:
                grants = lookup((subject, a))
                if grants:
                    for g in grants.values():
                        if g.unit == unit or (g.subtree and g.unit in unit_chain):
                            found.append(g)
        return found

    def lines_in_scope(self, area: str, unit: str) -> list[Line]:
        """Red lines set at the unit or above, on the area or above: higher units first."""
        found = []
        lookup = self.lines_at.get
        area_chain = self.area_chain[area]
        for u in reversed(self.unit_chain[unit]):
            for a in area_chain:
                ids = lookup((u, a))
                if ids:
                    found.extend(self.lines[i] for i in (ids if len(ids) == 1 else sorted(ids)))
        return found

    def check_attributes(self, area: str, attributes: Mapping[str, object]) -> None:
        types = self.area_types.get(area, {})
        for name, value in attributes.items():
            expected = types.get(name)
            if expected is None or value is None:
                continue
            ok = (isinstance(value, bool) if expected == "boolean" else
                  isinstance(value, str) if expected == "string" else
                  isinstance(value, (int, float)) and not isinstance(value, bool) and value == value)
            if not ok:
                raise Invalid(f"attribute {name!r} must be a {expected}", field=f"attributes.{name}",
                              code="invalid_attribute")
            allowed = self.area_values.get(area, {}).get(name)
            if allowed and value not in allowed:
                raise Invalid(f"attribute {name!r} must be one of {', '.join(sorted(allowed))}",
                              field=f"attributes.{name}", code="invalid_attribute")

    def check(self, person_external_id: str, area_key: str, unit_id: str, action: str,
              attributes: Mapping[str, object], at: float, *, explain: bool = False) -> Decision:
        need = min_level(action)
        if need is None:
            raise Invalid(f"unknown action {action!r}", field="action", code="unknown_action")
        person = self.person_id(person_external_id)
        if person is None:
            return Decision(False, "unknown_person", self.revision)
        area = self.area_ref(area_key)
        if area is None or not self.area_live(area):
            return Decision(False, "unknown_area", self.revision)
        unit = unit_id if unit_id in self.unit_chain else self.unit_by_ext.get(unit_id)
        if unit is None or unit in self.unit_archived or unit not in self.unit_chain:
            return Decision(False, "unknown_unit", self.revision)
        self.check_attributes(area, attributes)
        decision = self._decide(person, area, unit, action, need, attributes, at, explain)
        ext = self.person_ext[person]
        if ext != person_external_id:  # named by an alias: say whom the answer is about
            decision.person = ext
        return decision

    def _decide(self, person: str, area: str, unit: str, action: str, need: int, attributes: Mapping[str, object],
                at: float, explain: bool) -> Decision:
        trace: list[TraceItem] | None = [] if explain else None
        best: Grant | None = None
        held = 0
        inactive: dict[str, Grant] = {}
        # The delegation (in force, at a level enough) whose conditions tell best why none allows.
        outside: tuple[Grant, tuple[str, ConditionRef | None, list[str]]] | None = None
        for g in self.covering(self.subjects(person, at), area, unit):
            state = self._state(g, at)
            if state != "in_force":
                if trace is not None:
                    trace.append(TraceItem("delegation", g.id, state, g.level))
                if g.level >= need:
                    inactive.setdefault(state, g)
                continue
            held = max(held, g.level)
            if g.level < need:
                if trace is not None:
                    trace.append(TraceItem("delegation", g.id, "level_too_low", g.level))
                continue
            if g.conditions or g.inherited:  # most delegations skip this: no limits of their own or inherited
                if trace is None and best is not None and not self._better(g, best):
                    continue  # it would not be chosen even within its limits: they need no evaluating
                verdict = self.within(g, attributes, trace)
                if verdict is not None:
                    if trace is not None:
                        trace.append(TraceItem("delegation", g.id, verdict[0], g.level))
                    if outside is None or self._tells_more(g, verdict, *outside):
                        outside = (g, verdict)
                    continue
            if trace is not None:
                trace.append(TraceItem("delegation", g.id, "allows", g.level))
            if best is None or self._better(g, best):
                best = g
        # A leader (or her stand-in) holds the delegable areas of her units herself.
        authority = self.leader_authority(person, area, unit, at)
        if authority is not None:
            if trace is not None:
                trace.append(TraceItem("leader_authority", authority.partition(":")[2] or person, "allows", 7))
            level, reason, ids = 7, "leader_authority", []
            control = ("none", None, 5, "within_days")
        elif best is not None:
            level, reason, ids = best.level, "allowed", [best.id]
            control = (best.control_form, best.cadence, best.justify_days, best.account)
        else:
            if outside is not None:  # she holds the level, but not for this case
                g, (outcome, ref, missing) = outside
                # Her standing first, as for red lines: a suspension or a lowered level says more.
                suspended, cap, _extra = self.breach_effects(person, area, unit, at)
                if suspended:
                    return self._deny("suspended", g.level, [g.id], trace)
                if cap is not None and cap < need:
                    return self._deny("level_too_low", cap, [g.id], trace)
                decision = self._deny(outcome, g.level, [g.id], trace)
                decision.condition, decision.missing_attributes = ref, missing
                return decision
            if held:
                return self._deny("level_too_low", held, [], trace)
            for state in INACTIVE_PRECEDENCE:
                if state in inactive:
                    g = inactive[state]
                    return self._deny(state, g.level, [g.id], trace)
            return self._deny("no_delegation", None, [], trace)
        # Breach responses in force: suspension denies, a lowered level caps, extra control adds a
        # pre-approval. Only their effect is visible here, never the breach.
        suspended, cap, extra = self.breach_effects(person, area, unit, at)
        if suspended:
            return self._deny("suspended", level, ids, trace)
        if cap is not None and cap < level:
            level = cap
            if level < need:
                return self._deny("level_too_low", level, ids, trace)
        verdict = None
        for line in self.lines_in_scope(area, unit):
            outcome = self._line_outcome(line, attributes)
            if trace is not None:
                trace.append(TraceItem("red_line", line.id, outcome))
            if outcome != "holds" and verdict is None:
                verdict = (outcome, line)
                if trace is None:
                    break
        if verdict is not None:
            outcome, line = verdict
            decision = self._deny(outcome, level, ids, trace)
            decision.red_line = RedLineRef(line.id, line.consequence, line.text)
            if outcome == "missing_attribute":
                decision.missing_attributes = line.condition.missing(attributes)
            return decision
        form, cadence, days, account = control
        owed = [] if reason == "leader_authority" else obligations(action, level, form, cadence, days, at, account)
        if extra and action in DECIDING_ACTIONS and not any(o.kind == "pre_approval" for o in owed):
            owed.append(Obligation("pre_approval"))
        return Decision(True, reason, self.revision, level, levels.level(level).label_da, ids, owed, trace=trace)

    def conditions_of(self, g: Grant) -> list[tuple[str, GrantCondition]] | None:
        """The conditions that bind a delegation, as (the delegation stating it, condition): its own,
        then those of each delegation it was passed on from. None when a parent is unknown to the
        index (fail closed: it allows nothing)."""
        if any(c is ORPHANED for _owner, c in g.inherited):
            return None
        return [(g.id, c) for c in g.conditions] + list(g.inherited)

    def within(self, g: Grant, attributes: Mapping[str, object], trace: list[TraceItem] | None = None
               ) -> tuple[str, ConditionRef | None, list[str]] | None:
        """None when every condition binding the delegation holds for these attributes; otherwise
        (outside_mandate, the condition, []) or (missing_attribute, a condition, the missing names).
        A condition that no longer compiles never holds; one that is false decides at once."""
        missing: list[str] = []
        first_missing: ConditionRef | None = None
        bound = [(g.id, c) for c in g.conditions]
        if g.inherited:
            bound += g.inherited
        for owner, c in bound:
            if c is ORPHANED:
                return "outside_mandate", None, []
            cond = c.condition
            holds = False
            if cond is not None:
                # evaluate() refuses a missing or mistyped value; only then is it asked which (the
                # common case, every value present, costs one pass over the values, not two)
                try:
                    holds = cond.evaluate(attributes)
                except ConditionError:
                    absent = cond.missing(attributes)
                    if absent:
                        if trace is not None:
                            trace.append(TraceItem("condition", owner, "missing_attribute", condition=c.text))
                        missing.extend(a for a in absent if a not in missing)
                        first_missing = first_missing or ConditionRef(owner, c.text, c.text_da)
                        continue
                    # a value of another type than the area declares: fail closed (holds stays False)
            if trace is not None:
                trace.append(TraceItem("condition", owner, "holds" if holds else "violated", condition=c.text))
            if not holds:
                return "outside_mandate", ConditionRef(owner, c.text, c.text_da), []
        if missing:
            return "missing_attribute", first_missing, sorted(missing)
        return None

    def _tells_more(self, g: Grant, verdict, than: Grant, than_verdict) -> bool:
        """Which refusal by conditions to report: a missing attribute (the facts might allow), then
        her own delegation before a team's (its limits are the ones set for her), then the delegation
        that would be chosen (_better)."""
        mine = (verdict[0] == "missing_attribute", g.subject_kind == "person")
        theirs = (than_verdict[0] == "missing_attribute", than.subject_kind == "person")
        return mine > theirs or (mine == theirs and self._better(g, than))

    def _better(self, g: Grant, than: Grant) -> bool:
        """Highest level first; on a tie, the most specific (deepest) unit, then her own delegation
        before a team's (its limits and control are the ones set for her); then the id, for stability."""
        key_g = (g.level, len(self.unit_chain.get(g.unit, ())), g.subject_kind == "person", g.id)
        key_than = (than.level, len(self.unit_chain.get(than.unit, ())), than.subject_kind == "person", than.id)
        return key_g > key_than

    @staticmethod
    def _state(g: Grant, at: float) -> str:
        if g.status != "active":
            if g.status == "offered":  # it waits for the delegate to take it up, until its period ends
                return "expired" if at >= g.valid_until else "awaiting_acceptance"
            return g.status
        if at < g.valid_from:
            return "not_yet_valid"
        if at >= g.valid_until:
            return "expired"
        return "in_force"

    @staticmethod
    def _line_outcome(line: Line, attributes: Mapping[str, object]) -> str:
        if line.text is None or line.broken:
            return "violated"
        if line.condition.missing(attributes):
            return "missing_attribute"
        return "holds" if line.condition.evaluate(attributes) else "violated"

    def _deny(self, reason: str, level: int | None, ids: list[str], trace) -> Decision:
        reason = "red_line" if reason == "violated" else reason
        return Decision(False, reason, self.revision, level, None if level is None else levels.level(level).label_da,
                        ids, trace=trace)

    # --- reverse lookups ----------------------------------------------------------------------

    def who_may(self, area_key: str, unit_id: str, action: str, attributes: Mapping[str, object],
                at: float) -> list[tuple[str, Decision]]:
        """Everyone a single check would allow: candidates from the index, each confirmed by check()."""
        need = min_level(action)
        if need is None:
            raise Invalid(f"unknown action {action!r}", field="action", code="unknown_action")
        area = self.area_ref(area_key)
        unit_id = self.unit_ref(unit_id)
        if area is None or not self.area_live(area) or unit_id not in self.unit_chain \
                or unit_id in self.unit_archived:
            return []
        self.check_attributes(area, attributes)
        candidates: set[str] = set()
        unit_chain = self.unit_chain[unit_id]
        for a in self.area_chain[area]:
            for u in unit_chain:
                for gid in self.by_area_unit.get((a, u), ()):
                    g = self.grants[gid]
                    if g.level < need or not (g.unit == unit_id or g.subtree):
                        continue
                    if g.subject_kind == "person":
                        candidates.add(g.subject)
                    else:
                        candidates.update(self.team_links[i].person for i in self.links_of_team.get(g.subject, ()))
        for u in unit_chain:
            candidates.update(self.roles[r].person for r in self.roles_at_unit.get(u, ()))
            candidates.update(self.stand_ins[i].person for i in self.stand_ins_at_unit.get(u, ()))
        allowed = []
        for person in sorted(candidates):
            if person in self.person_archived:
                continue
            decision = self._decide(person, area, unit_id, action, need, attributes, at, False)
            if decision.decision:
                allowed.append((person, decision))
        return allowed

    def held_grants(self, person: str, at: float) -> list[Grant]:
        """Delegations in force that the person holds, directly or through a team."""
        found = [self.grants[i] for subject in self.subjects(person, at) for i in self.by_subject.get(subject, ())]
        found = [g for g in found if self._state(g, at) == "in_force"]
        return sorted(found, key=lambda g: (self.area_key.get(g.area, ""), -g.level, g.id))

    def mandate(self, person: str, at: float) -> list[Holding]:
        """Everything the person holds at `at`, by the rules checks use: a check of an action on an
        area in a unit (red lines aside) is allowed exactly when a holding covers them (for leader
        authority: not in an excepted area) at the level the action needs, after the responses that
        bind there (`fold_effects` of `whole` and the `partial` ones covering them)."""
        found = []
        for g in self.held_grants(person, at):
            if self.area_live(g.area) and self._reaches_live_unit(g.unit, g.subtree):
                found.append(self._holding(person, at, basis="delegation", area=g.area, unit=g.unit,
                                           subtree=g.subtree, level=g.level, until=g.valid_until, grant=g))
        for unit, (how, until) in sorted(self.authority_units(person, at).items(),
                                         key=lambda item: (len(self.unit_chain.get(item[0], ())), item[0])):
            if unit in self.unit_archived or unit not in self.unit_chain:
                continue
            leader = None if how == "leader" else self.stand_ins[how.partition(":")[2]].leader
            for area, excepted in self.leader_areas(unit):
                found.append(self._holding(person, at, basis="leader_authority", area=area, unit=unit, subtree=True,
                                           level=7, until=until, stand_in_for=leader, except_areas=excepted))
        return found

    def leader_areas(self, unit: str) -> list[tuple[str, tuple[str, ...]]]:
        """What a leader of `unit` holds there (see `leader_authority`): each live top-level area not
        reserved above the unit, with the topmost areas below it that are (they, and the areas below
        them, are not hers)."""
        held, excepted = [], defaultdict(list)
        for a in self.live_areas:
            if self.reserved_above(a, unit):
                parent = self.area_parent.get(a)
                if parent is not None and not self.reserved_above(parent, unit):
                    excepted[self.area_chain[a][-1]].append(a)
            elif self.area_parent.get(a) is None:
                held.append(a)
        key = self.area_key.get
        return [(a, tuple(sorted(excepted.get(a, ()), key=key))) for a in sorted(held, key=key)]

    def _reaches_live_unit(self, unit: str, subtree: bool) -> bool:
        """A live unit lies in the scope (a unit may live on below an archived one)."""
        if unit not in self.unit_archived:
            return unit in self.unit_chain
        return subtree and any(unit in chain for u, chain in self.unit_chain.items() if u not in self.unit_archived)

    def _holding(self, person: str, at: float, **fields) -> Holding:
        """The holding with the responses in force over it: those binding its own area and unit bind
        all of it (the check's `effects_at`); those set lower down bind that part only."""
        area, unit, subtree = fields["area"], fields["unit"], fields["subtree"]
        whole = sorted(self.effects_at(person, area, unit, at), key=lambda b: b.id)
        partial = []
        if self.breaches_of_person.get(person):
            areas, units = self.area_chain[area], self.unit_chain[unit]
            excepted, bound = fields.get("except_areas", ()), {b.id for b in whole}
            for bid in sorted(self.breaches_of_person[person]):
                b = self.breaches[bid]
                if bid in bound or not b.effect_from <= at < b.effect_until or not self.area_live(b.area):
                    continue
                below = self.area_chain[b.area]
                in_areas = b.area in areas or area in below
                in_units = b.unit in units or (subtree and unit in self.unit_chain.get(b.unit, ()))
                if in_areas and in_units and not any(x in below for x in excepted):
                    partial.append(b)
        return Holding(**fields, whole=tuple(whole), partial=tuple(partial))
