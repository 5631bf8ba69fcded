"""Registry state -> Casbin rules (pure): sorted, de-duplicated, for policies/delegation_model.conf.

The projection is a snapshot at an instant: delegation validity windows are encoded in the rules
(so a delegation that expires later stops matching by itself), team memberships are those in force
at the instant.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from registry.domain.decisions import ACTIONS
from registry.policy.index import FOREVER, TenantIndex

MODEL_FILE = Path(__file__).resolve().parents[2] / "policies" / "delegation_model.conf"
ATTRS = "r.ctx.attrs."
HAS = "r.ctx.has."
ALWAYS = "(1 == 1)"
# The policy's own subject names (g links lead from an external id to these); an external id may
# never look like one, or it would match the rules directly.
INTERNAL_SUBJECT_PREFIXES = ("person:", "team:")


class Policy(msgspec.Struct, frozen=True):
    p: list[tuple[str, ...]]
    g: list[tuple[str, ...]]
    g2: list[tuple[str, ...]]
    g3: list[tuple[str, ...]]

    def lines(self) -> list[str]:
        out = []
        for ptype in ("p", "g", "g2", "g3"):
            out.extend(", ".join((ptype, *rule)) for rule in getattr(self, ptype))
        return out

    def csv(self) -> str:
        return "\n".join(self.lines()) + "\n"


def _num(value: float) -> str:
    return repr(int(value)) if value == int(value) else repr(value)


def window(valid_from: float, valid_until: float) -> str:
    cond = f"r.ctx.at >= {_num(valid_from)}"
    if valid_until != FOREVER:
        cond += f" && r.ctx.at < {_num(valid_until)}"
    return cond


def red_line_cond(index: TenantIndex, line) -> str:
    """True when the line is crossed: a prohibition, a broken condition, a missing attribute, or false."""
    if line.text is None or line.broken:
        return ALWAYS
    return f"!({guarded(line.condition)})"


def guarded(condition) -> str:
    """A condition as matcher text that is false when an attribute it reads is missing."""
    guard = "".join(f"{HAS}{name} && " for name in sorted(condition.attributes))
    return f"{guard}({condition.to_casbin(ATTRS)})"


def grant_cond(index: TenantIndex, g) -> str | None:
    """An allow rule's cond: the validity window, and every condition binding the delegation (its
    own and its parents', each with guards that its attributes are present). None when it can
    allow nothing (a condition that no longer compiles, or an unknown parent)."""
    cond = window(g.valid_from, g.valid_until)
    bound = index.conditions_of(g)
    if bound is None:
        return None
    for _owner, c in bound:
        if c.condition is None:
            return None
        cond += f" && {guarded(c.condition)}"
    return cond


def project(index: TenantIndex, as_of: float, *, unit: str | None = None) -> Policy:
    """The tenant's rules at `as_of`; with `unit`, only what matters for requests in that subtree."""
    dom = index.tenant_key
    live_area = {a for a in index.area_chain if index.area_live(a)}
    # Units that a live unit's chain goes through: an archived unit with no live unit below it is
    # unknown to checks, and only live units' requests need the links above it.
    on_live_chain = {u for live in index.unit_chain if live not in index.unit_archived
                     for u in index.unit_chain[live]}

    def in_scope(u: str, *, deny: bool = False) -> bool:
        # Archived units are unknown to checks, so no permit may match there; but their red lines and
        # breach responses still bind the live units below them (a unit can be moved under one).
        if u not in index.unit_chain or (u in index.unit_archived and not (deny and u in on_live_chain)):
            return False
        return unit is None or unit in index.unit_chain[u] or u in index.unit_chain[unit]
    p: set[tuple[str, ...]] = set()
    for g in index.grants.values():
        if g.status != "active" or g.valid_until <= as_of or g.area not in live_area or not in_scope(g.unit):
            continue
        subject = f"{g.subject_kind}:{g.subject}"
        cond = grant_cond(index, g)
        if cond is None:
            continue
        for action, need in ACTIONS.items():
            if g.level >= need:
                p.add((dom, subject, index.area_key[g.area], g.unit, "1" if g.subtree else "0", action, "allow",
                       cond))
    for subject, u, valid_from, valid_until in _authority_holders(index, as_of):
        if not in_scope(u):
            continue
        cond = window(valid_from, valid_until)
        for key, exact in _authority_areas(index, u, live_area):
            rule_cond = f"r.area == '{key}' && {cond}" if exact else cond
            p.add((dom, subject, key, u, "1", "*", "allow", rule_cond))
    for b in index.breaches.values():
        if b.effect_until <= as_of or b.area not in live_area or not in_scope(b.unit, deny=True) \
                or b.response == "extra_control":  # extra control only adds an obligation
            continue
        cond = window(b.effect_from, b.effect_until)
        denied = ["*"] if b.response == "suspension" else [a for a, need in ACTIONS.items() if need > b.lowered_to]
        for action in denied:
            p.add((dom, f"person:{b.person}", index.area_key[b.area], b.unit, "1", action, "deny", cond))
    for line in index.lines.values():
        if line.area in index.area_key and in_scope(line.unit, deny=True):
            p.add((dom, "*", index.area_key[line.area], line.unit, "1", "*", "deny", red_line_cond(index, line)))
    g: set[tuple[str, ...]] = set()
    for pid, ext in index.person_ext.items():
        if pid not in index.person_archived:
            g.add((ext, f"person:{pid}", dom))
    for link in index.team_links.values():
        if (not link.archived and link.valid_from <= as_of < link.valid_to and link.team not in index.team_archived
                and link.person not in index.person_archived):
            g.add((f"person:{link.person}", f"team:{link.team}", dom))
    # Archived areas (and those below them) and archived units are unknown to checks: without their
    # links up the trees, no delegation above them reaches a request that names them.
    g2 = {(index.area_key[a], index.area_key[parent], dom) for a, parent in index.area_parent.items()
          if parent is not None and parent in index.area_key and a in live_area}
    g3 = {(u, parent, dom) for u, parent in index.unit_parent.items() if parent is not None and u in on_live_chain}
    # A rule that never matches, so that no export is empty (pycasbin raises on an empty policy
    # instead of denying).
    p.add((dom, "*", "*", "*", "0", "*", "deny", "(1 != 1)"))
    return Policy(sorted(p), sorted(g), sorted(g2), sorted(g3))


def _authority_holders(index: TenantIndex, as_of: float):
    """(subject, unit, from, until) for every leader and stand-in whose authority is not over yet."""
    for r in index.roles.values():
        if r.role == "leader" and not r.archived and r.valid_to > as_of and r.person not in index.person_archived:
            yield f"person:{r.person}", r.unit, r.valid_from, r.valid_to
    for s in index.stand_ins.values():
        if not s.archived and s.person not in index.person_archived:
            for start, end in index.stand_in_windows(s):
                if end > as_of:
                    yield f"person:{s.person}", s.unit, start, end


def _authority_areas(index: TenantIndex, unit: str, live_area: set[str]) -> list[tuple[str, bool]]:
    """The areas a leader of `unit` holds, as few rules as possible: (area key, exact).

    A rule on an area covers its sub-areas (g2). Where a sub-area is reserved above the unit, its
    parent gets an exact rule (matching only itself) and the parent's other children are covered
    one by one.
    """
    children: dict[str | None, list[str]] = {}
    for a, parent in index.area_parent.items():
        if a in live_area:
            children.setdefault(parent, []).append(a)
    excluded = {a for a in live_area if index.reserved_above(a, unit)}

    def has_excluded_below(a: str) -> bool:
        return any(x != a and a in index.area_chain[x] for x in excluded)

    def cover(a: str) -> list[tuple[str, bool]]:
        if a in excluded:
            return []
        if not has_excluded_below(a):
            return [(index.area_key[a], False)]
        return [(index.area_key[a], True)] + [c for child in sorted(children.get(a, ())) for c in cover(child)]

    return [c for root in sorted(children.get(None, ())) for c in cover(root)]


class AreaEntry(msgspec.Struct, frozen=True):
    parent: str | None                  # the parent area's key
    kle: str | None
    attributes: dict[str, str]          # name -> number | boolean | string: the area's own and inherited ones
    inherited_from: dict[str, str]      # name -> the key of the area above that declares it


class Catalogue(msgspec.Struct, frozen=True):
    """What a request to the exported policy names, beside the policy: each live area's attributes
    with their types (registry.casbin.request() needs them to fill `ctx`), and the units' external ids
    (a request names a unit by the registry's id)."""

    tenant: str
    revision: int
    areas: dict[str, AreaEntry]         # area key -> entry
    units: dict[str, str]               # external id -> unit id, for the live units that have one


def catalogue(index: TenantIndex) -> Catalogue:
    areas = {}
    for a in sorted(index.live_areas, key=index.area_key.__getitem__):
        inherited = {name: index.area_key[origin] for name, origin in index.area_attr_origin.get(a, {}).items()
                     if origin != a}
        parent = index.area_parent.get(a)
        areas[index.area_key[a]] = AreaEntry(
            parent=None if parent is None else index.area_key.get(parent), kle=index.area_kle.get(a),
            attributes=dict(sorted(index.area_types.get(a, {}).items())),
            inherited_from=dict(sorted(inherited.items())))
    units = {ext: u for ext, u in sorted(index.unit_by_ext.items()) if u not in index.unit_archived}
    return Catalogue(index.tenant_key, index.revision, areas, units)


def model_text() -> str:
    return MODEL_FILE.read_text()
