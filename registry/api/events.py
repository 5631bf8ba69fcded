"""The pull event feed (issue 14): GET /events?after=<cursor>&limit=<n>&type=<prefix>, for an API key
with the `events` scope, its own organisation's events as CloudEvents 1.0 JSON, oldest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.di import Provide
from litestar.params import QueryParameter

from registry.api.principal import principal
from registry.auth import Principal
from registry.services import events as event_uc
from registry.services.common import Ctx


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


class EventPage(msgspec.Struct):
    events: list[CloudEvent]
    next: Annotated[str, msgspec.Meta(description="The cursor for the next page (`after`): the last event's "
                                                  "position, or the one given when there is nothing newer.")]


def cloud_event(e, tenant_key: str) -> CloudEvent:
    return CloudEvent(specversion="1.0", id=str(e.id), source=f"/registry/{tenant_key}", type=e.type,
                      subject=str(e.subject), time=e.occurred_at, datacontenttype="application/json", data=e.data,
                      position=str(e.position))


@get("/events", dependencies={"who": Provide(principal)})
async def events_feed(request: Request, who: Principal, after: str | None = None, limit: int = 100,
                      event_type: str | None = QueryParameter(name="type", default=None, required=False)) -> Response:
    """The organisation's events after the cursor `after` (none: from the oldest kept), oldest first, at
    most `limit` (1-1000, default 100); `type` keeps those whose type begins with it
    (`dk.registry.delegation.` or `delegation.`, or a whole type). For API keys with the `events` scope."""
    ctx = Ctx(db=request.app.state.db, principal=who, clock=request.app.state.clock)
    found, next_cursor = await event_uc.feed(ctx, after, limit, event_type)
    page = EventPage(events=[cloud_event(e, who.tenant_key) for e in found], next=next_cursor)
    return Response(msgspec.json.encode(page), media_type=MediaType.JSON)


ROUTES = [events_feed]
