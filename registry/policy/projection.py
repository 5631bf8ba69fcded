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
    used = sorted(line.condition.attributes)
    guard = "".join(f"{HAS}{name} && " for name in used)
    return f"!({guard}({line.condition.to_casbin(ATTRS)}))"


def project(index: TenantIndex, as_of: float, *, unit: str | None = None) -> Policy:
    """The tenant's rules at `as_of`; with `unit`, only what matters for requests in that subtree."""
    dom = index.tenant_key
    live_area = {a for a in index.area_chain if index.area_live(a)}

    def in_scope(u: str) -> bool:
        # Archived units are unknown to checks, so nothing may match there.
        if u not in index.unit_chain or u in index.unit_archived:
            return False
        return unit is None or unit in index.unit_chain[u] or u in index.unit_chain[unit]
    p: set[tuple[str, ...]] = set()
    for g in index.grants.values():
        if g.status != "active" or g.valid_until <= as_of or g.area not in live_area or not in_scope(g.unit):
            continue
        subject = f"{g.subject_kind}:{g.subject}"
        cond = window(g.valid_from, g.valid_until)
        for action, need in ACTIONS.items():
            if g.level >= need:
                p.add((dom, subject, index.area_key[g.area], g.unit, "1" if g.subtree else "0", action, "allow",
                       cond))
    for line in index.lines.values():
        if line.area in index.area_key and in_scope(line.unit):
            p.add((dom, "*", index.area_key[line.area], line.unit, "1", "*", "deny", red_line_cond(index, line)))
    g: set[tuple[str, ...]] = set()
    for pid, ext in index.person_ext.items():
        if pid not in index.person_archived:
            g.add((ext, f"person:{pid}", dom))
    for link in index.team_links.values():
        if (not link.archived and link.valid_from <= as_of < link.valid_to and link.team not in index.team_archived
                and link.person not in index.person_archived):
            g.add((f"person:{link.person}", f"team:{link.team}", dom))
    g2 = {(index.area_key[a], index.area_key[parent], dom) for a, parent in index.area_parent.items()
          if parent is not None and parent in index.area_key}
    g3 = {(u, parent, dom) for u, parent in index.unit_parent.items() if parent is not None}
    return Policy(sorted(p), sorted(g), sorted(g2), sorted(g3))


def model_text() -> str:
    return MODEL_FILE.read_text()
