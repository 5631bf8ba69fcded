"""When a delegation must be taken up by its delegate, and which amendments widen or narrow it
(issue 12, part 1). Pure: no storage, no clock.

"Tillid kan aldrig beordres" (the publication, l. 216-227): a delegation that gives the employee a
decision of her own (by default levels 5-7) is offered, and allows nothing until she accepts it. An
amendment that gives her more is offered again, key by key; one that gives her less takes effect at
once, and she is told.
"""

from __future__ import annotations

import re
from datetime import datetime

from registry.domain.model import DelegationCondition

# The keys of an amendment that can widen or narrow what the delegate may decide. The rest (purpose,
# trust notes, control, review date, the planned step) neither give nor take a decision: at once.
SCOPE_KEYS = ("level", "include_subunits", "valid_from", "valid_until", "allow_subdelegation",
              "max_subdelegation_depth", "conditions", "rules")


def needs_acceptance(level: int, from_level: int | None) -> bool:
    """Whether a delegation at `level` waits for its delegate, by the organisation's setting
    (`from_level`: the lowest level that does; None: none does)."""
    return from_level is not None and level >= from_level


def _later(a: datetime | None, b: datetime | None) -> bool:
    """Whether end `a` is later than end `b` (None: no end, the latest)."""
    if a == b:
        return False
    return a is None or (b is not None and a > b)


def direction(key: str, old, new) -> str | None:
    """"widen", "narrow" or None (no change, or a change to what the key cannot widen), for one key."""
    if old == new:
        return None
    if key == "level" or key == "max_subdelegation_depth":
        return "widen" if new > old else "narrow"
    if key in ("include_subunits", "allow_subdelegation"):
        return "widen" if new else "narrow"
    if key == "valid_from":
        return "widen" if new < old else "narrow"
    if key == "valid_until":
        return "widen" if _later(new, old) else "narrow"
    if key in ("conditions", "rules"):
        old_set, new_set = set(_limits(key, old)), set(_limits(key, new))
        if old_set == new_set:
            return None  # the same limits in other words
        # narrower when every limit she had still binds, or a tighter bound on the same value does
        # ("amount <= 5000" for "amount <= 10000"); a limit gone, or one she cannot be shown to be
        # bound by any longer, widens
        binds = all(any(_implies(n, o) for n in new_set) for o in old_set) if key == "conditions" \
            else old_set <= new_set
        return "narrow" if binds else "widen"
    return None


def _limits(key: str, values) -> list:
    if key == "conditions":
        return [c.condition if isinstance(c, DelegationCondition) else c["condition"] for c in values]
    return [r.strip() for r in values]


_BOUND = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) (<=|<|>=|>) (-?\d+(?:\.\d+)?)$")


def _implies(new: str, old: str) -> bool:
    """Whether canonical condition `new` holding means `old` holds: the same condition, or a bound on
    the same attribute at least as tight (only simple bounds are compared; else not shown)."""
    if new == old:
        return True
    a, b = _BOUND.match(new), _BOUND.match(old)
    if a is None or b is None or a.group(1) != b.group(1):
        return False
    (op_new, n), (op_old, o) = (a.group(2), float(a.group(3))), (b.group(2), float(b.group(3)))
    if op_new[0] != op_old[0]:
        return False
    if op_new[0] == "<":  # new caps at n; old at o: tighter when n < o, or equal and not looser
        return n < o or (n == o and (op_new == "<" or op_old == "<="))
    return n > o or (n == o and (op_new == ">" or op_old == ">="))


def split(current: dict, changes: dict) -> tuple[dict, dict, dict]:
    """The amendment's changes as (widening, narrowing, neutral), each a dict of key -> new value."""
    widening, narrowing, neutral = {}, {}, {}
    for key, value in changes.items():
        way = direction(key, current.get(key), value) if key in SCOPE_KEYS else None
        {"widen": widening, "narrow": narrowing, None: neutral}[way][key] = value
    return widening, narrowing, neutral
