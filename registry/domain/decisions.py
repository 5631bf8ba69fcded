"""What a check means: actions, the levels they need, reasons and obligations (pure).

A request asks whether a person may take an action on a decision area in a unit. The covering
delegation's involvement level decides which actions are allowed:

    be_informed 1+ · be_consulted 3+ · co_decide 4+ · decide 5+ · act_as_hverdagsdirektoer 6+

A permit brings obligations: `seek_advice` (deciding at level 5), `justify` (deciding or acting as
hverdagsdirektør at level 6, due within the delegation's justify_within_days), and from the
control form `report` (report afterwards, due at the next report) and `pre_approval`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import msgspec

from registry.errors import Invalid

ACTIONS: dict[str, int] = {
    "be_informed": 1,
    "be_consulted": 3,
    "co_decide": 4,
    "decide": 5,
    "act_as_hverdagsdirektoer": 6,
}

# Actions that are decisions of the employee's own; only these carry follow-up obligations.
DECIDING_ACTIONS = frozenset({"decide", "act_as_hverdagsdirektoer"})

REASONS = ("allowed", "no_delegation", "level_too_low", "outside_mandate", "red_line", "missing_attribute",
           "not_yet_valid", "expired", "revoked", "suspended", "awaiting_acceptance", "declined", "unknown_person", "unknown_area", "unknown_unit", "stale")

# When no delegation in force covers a request, the covering ones that are not in force explain why,
# most telling first.
# An offer waiting for her says what she can do about it (take it up) before what ended.
INACTIVE_PRECEDENCE = ("suspended", "awaiting_acceptance", "revoked", "expired", "not_yet_valid", "declined")

# JavaScript's Casbin (node-casbin) holds every number as a double: an integer beyond ±(2^53 - 1) is
# not exact there and compares differently than in Python, so such values are refused in a request's
# attributes (and NaN or an infinity, which JSON cannot carry and no red line can compare), so that
# every Casbin gives the same answer.
MAX_SAFE_INTEGER = 2**53 - 1


def check_attribute_values(attributes: Mapping[str, object]) -> None:
    """Refuse attribute values that not every evaluator reads alike (see MAX_SAFE_INTEGER)."""
    for name, value in attributes.items():
        check_number(value, f"attributes.{name}", f"attribute {name!r}")


def check_number(value: object, field: str, what: str = "a number") -> None:
    """Refuse a number not every Casbin reads alike: an integer beyond ±MAX_SAFE_INTEGER, or a number
    that is not finite (other values pass: a list or an object is no attribute's type)."""
    kind = type(value)
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:  # type: ignore[operator]
            return
    elif kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return
    else:
        return
    raise Invalid(f"{what} is a number not every Casbin reads alike: integers must lie within "
                  f"±{MAX_SAFE_INTEGER} (2^53 - 1), and numbers must be finite", field=field,
                  code="number_out_of_range")


CADENCE_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91, "half_yearly": 182, "yearly": 365}
DAY = 86400.0


class Obligation(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str
    # Epoch seconds; None where no deadline applies (pre_approval comes before acting).
    deadline: float | None = None


def obligations(action: str, level: int, control_form: str, cadence: str | None, justify_within_days: int,
                at: float, account: str = "within_days") -> list[Obligation]:
    """The obligations that come with a permit at `level` for `action`, taken at instant `at`. At level
    6 the justification is owed as the delegation's `account` says: `justify` by a deadline
    (within_days), `justify_on_request` (be ready to argue when the leader asks) or
    `justify_at_follow_up` (at the next follow-up); only the first can become overdue."""
    if action not in DECIDING_ACTIONS:
        return []
    owed: list[Obligation] = []
    if action == "decide" and level == 5:
        owed.append(Obligation("seek_advice"))
    if level == 6:
        if account == "on_request":
            owed.append(Obligation("justify_on_request"))
        elif account == "at_follow_up":
            owed.append(Obligation("justify_at_follow_up"))
        else:
            owed.append(Obligation("justify", at + justify_within_days * DAY))
    if control_form == "report_afterwards":
        owed.append(Obligation("report", at + CADENCE_DAYS.get(cadence or "", justify_within_days) * DAY))
    elif control_form == "pre_approval":
        owed.append(Obligation("pre_approval"))
    return owed


def min_level(action: str) -> int | None:
    return ACTIONS.get(action)


def fold_breach_responses(effects: Iterable[tuple[str, int | None]]) -> tuple[bool, int | None, bool]:
    """What breach responses in effect, as (response, lowered_to), do together to a permit:
    (suspended, level cap, extra control). The one rule, for checks, the mandate and passing on."""
    suspended, cap, extra = False, None, False
    for response, lowered_to in effects:
        if response == "suspension":
            suspended = True
        elif response == "lowered_level" and lowered_to is not None:
            cap = lowered_to if cap is None else min(cap, lowered_to)
        elif response == "extra_control":
            extra = True
    return suspended, cap, extra
