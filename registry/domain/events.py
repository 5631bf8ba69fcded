"""The registry's events (issue 14): what happened that someone should be told, as stable English types
in CloudEvents style (`dk.registry.delegation.revoked`), for integrating systems (the pull feed, later
webhooks) and people (later e-mail).

An event carries ids only: the thing it is about (its `subject`), the delegation, unit, area and
person ids around it, the revision it was written at, and one Danish sentence from the catalogue
(registry.texts.EVENTS_DA). Never a name, a trust note, a purpose, a justification's or feedback's
text, or anything about a breach: a suspension is "delegation suspended", nothing more.

`recipients` are the people who should be told (for the e-mail part): each type names its audience
(AUDIENCE), and `recipients` picks them from the parties the use case knows. The leaders told are the
unit's nearest leaders: the leader(s) of the unit itself, or, where it has none now, of the nearest
unit above that has one (the leader chain, from the bottom, stopping at the first who can act).

Two kinds of event:
* written by a use case, in the same transaction as the change it reports (registry.services.events);
* due at an instant (TIMED): produced by the scheduled producer once the instant has come, exactly
  once per `dedupe_key` (registry.services.events.produce_due).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from registry import texts

PREFIX = "dk.registry."

# Who is told, per type. Parties: delegate (the person, or the members of the team, a delegation is
# given to), delegator (who answers for it), leaders (the unit's nearest leaders), actor (who recorded
# an act), stand_in (the stand-in), leader (the leader the stand-in stands in for).
AUDIENCE: dict[str, tuple[str, ...]] = {
    "delegation.offered": ("delegate",),
    "delegation.declared": ("delegate",),
    "delegation.accepted": ("delegator", "leaders"),
    "delegation.declined": ("delegator", "leaders"),
    "delegation.amended": ("delegate",),
    "delegation.revoked": ("delegate",),
    "delegation.suspended": ("delegate",),
    "delegation.resumed": ("delegate",),
    "delegation.expiring": ("delegate", "delegator", "leaders"),
    "delegation.expired": ("delegate", "delegator", "leaders"),
    "red_line.set": ("leaders",),
    "red_line.changed": ("leaders",),
    "red_line.ended": ("leaders",),
    "stand_in.appointed": ("stand_in", "leader"),
    "stand_in.starting": ("stand_in", "leader"),
    "stand_in.ending": ("stand_in", "leader"),
    "stand_in.ended": ("stand_in", "leader"),
    "act.recorded": ("delegator", "leaders"),
    "justification.requested": ("actor",),
    "justification.given": ("delegator", "leaders"),
    "justification.overdue": ("actor", "delegator", "leaders"),
    "feedback.given": ("actor",),
    "review.due": ("delegator", "leaders"),
    "review.completed": ("delegate",),
}
TYPES = tuple(PREFIX + t for t in AUDIENCE)

# Due at an instant: produced by the scheduled producer, each once (its dedupe key).
TIMED = ("delegation.expiring", "delegation.expired", "delegation.resumed", "review.due", "justification.overdue",
         "stand_in.starting", "stand_in.ending")
EXPIRING_AHEAD = timedelta(days=14)  # delegation.expiring: this long before valid_until
# How far back the producer looks for an instant it has not reported (a server down over a weekend
# still reports what came due meanwhile; older instants are left unreported rather than flooding).
CATCH_UP = timedelta(days=7)


class Event(msgspec.Struct, frozen=True, kw_only=True):
    type: str           # dk.registry.delegation.revoked
    subject: UUID       # the entity it is about
    tenant_id: UUID
    revision: int       # the organisation's revision it was written at
    occurred_at: datetime
    data: dict          # ids (as text), the revision, the Danish sentence; nothing personal
    recipients: tuple[UUID, ...] = ()
    dedupe_key: str | None = None  # time-driven events: one per key and organisation


def text_da(kind: str, when: date | datetime | None = None) -> str:
    if isinstance(when, datetime):
        when = when.astimezone(ZoneInfo("Europe/Copenhagen")).date()
    return texts.EVENTS_DA[kind].format(date="" if when is None else texts.date_da(when))


def nearest_leaders(chain: Iterable[tuple[UUID, int]]) -> list[UUID]:
    """From (leader, depth above the unit) pairs, the leaders at the smallest depth."""
    chain = list(chain)
    if not chain:
        return []
    top = min(depth for _, depth in chain)
    return sorted({p for p, depth in chain if depth == top})


def recipients(kind: str, parties: Mapping[str, Iterable[UUID | None]]) -> tuple[UUID, ...]:
    """The people to tell about a `kind` event, from the parties the use case knows, each once."""
    found: list[UUID] = []
    for party in AUDIENCE[kind]:
        for person in parties.get(party, ()):
            if person is not None and person not in found:
                found.append(person)
    return tuple(found)


def _id(value) -> str | None:
    return None if value is None else str(value)


def make(kind: str, *, subject: UUID, tenant_id: UUID, revision: int, occurred_at: datetime, ids: Mapping[str, object],
         parties: Mapping[str, Iterable[UUID | None]], when: date | datetime | None = None,
         dedupe_key: str | None = None) -> Event:
    """An event of `kind` (without the prefix): `ids` become its data (as text), with the revision and
    the Danish sentence; `when` is the date the sentence names (an expiry, a review date)."""
    if kind not in AUDIENCE:
        raise ValueError(f"unknown event type {kind!r}")
    data: dict = {k: _id(v) for k, v in ids.items()}
    if when is not None:
        data["when"] = when.isoformat()
    data["revision"] = revision
    data["textDa"] = text_da(kind, when)
    return Event(type=PREFIX + kind, subject=subject, tenant_id=tenant_id, revision=revision,
                 occurred_at=occurred_at, data=data, recipients=recipients(kind, parties), dedupe_key=dedupe_key)


def type_prefix_ok(prefix: str) -> bool:
    """A feed filter: a prefix of some type (`dk.registry.delegation.`, or a whole type)."""
    return any(t.startswith(prefix) for t in TYPES)


# --- CloudEvents 1.0: the shape of an event for systems (the pull feed GET /events, and webhooks) -----

class CloudEvent(msgspec.Struct):
    """One event, as CloudEvents 1.0 (JSON format). `data` holds ids only, the revision, and `textDa`,
    one Danish sentence for people: never names, notes or anything about a breach."""

    specversion: Annotated[str, msgspec.Meta(extra_json_schema={"const": "1.0"})]
    id: Annotated[str, msgspec.Meta(description="Stable: the same event always has the same id (deduplicate on it).")]
    source: Annotated[str, msgspec.Meta(description="/registry/<organisation key>")]
    type: Annotated[str, msgspec.Meta(description="e.g. dk.registry.delegation.revoked (README: the event types)")]
    subject: Annotated[str, msgspec.Meta(description="The id of what it is about (a delegation, a red line, ...)")]
    time: datetime
    datacontenttype: Annotated[str, msgspec.Meta(extra_json_schema={"const": "application/json"})]
    data: dict
    position: Annotated[str, msgspec.Meta(description="Its place in the feed: a cursor for `after`.")]


def cloud_event(e, tenant_key: str) -> CloudEvent:
    return CloudEvent(specversion="1.0", id=str(e.id), source=f"/registry/{tenant_key}", type=e.type,
                      subject=str(e.subject), time=e.occurred_at, datacontenttype="application/json", data=e.data,
                      position=str(e.position))
