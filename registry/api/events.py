"""The pull event feed (issue 14): GET /events?after=<cursor>&limit=<n>&type=<prefix>, for an API key
with the `events` scope, its own organisation's events as CloudEvents 1.0 JSON, oldest first."""

from __future__ import annotations

from typing import Annotated

from datetime import datetime

import msgspec
from litestar import MediaType, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.params import QueryParameter

from registry.api.principal import principal
from registry.auth import Principal
from registry.errors import Invalid
from registry.services import events as event_uc
from registry.services import webhooks as webhook_uc
from registry.services.common import Ctx
from registry.domain.events import CloudEvent, cloud_event  # noqa: F401 (the feed's and the webhooks' body)


class EventPage(msgspec.Struct):
    events: list[CloudEvent]
    next: Annotated[str, msgspec.Meta(description="The cursor for the next page (`after`): the last event's "
                                                  "position, or the one given when there is nothing newer.")]


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


# --- webhooks (issue 14, part 2; registry.services.webhooks) ------------------------------------------

class SubscriptionOut(msgspec.Struct, rename="camel"):
    id: str
    url: str
    types: list[str]
    created_at: datetime
    owner_key: Annotated[str | None, msgspec.Meta(description="The API key that subscribed (none: the operator)")]
    failures: Annotated[int, msgspec.Meta(description="Consecutive failed attempts (the receiver backs off)")]
    paused_until: datetime | None


class SubscriptionIn(msgspec.Struct):
    url: Annotated[str, msgspec.Meta(description="https:// (http:// only for 127.0.0.1 or localhost)")]
    types: Annotated[list[str], msgspec.Meta(description="Event types or prefixes: delegation.revoked, red_line., ...")]


class SubscriptionList(msgspec.Struct):
    subscriptions: list[SubscriptionOut]


class NewSubscription(msgspec.Struct, rename="camel"):
    subscription: SubscriptionOut
    secret: Annotated[str, msgspec.Meta(description="The signing secret (whsec_...): shown now, and never again.")]


class DeadLetterOut(msgspec.Struct, rename="camel"):
    id: Annotated[str, msgspec.Meta(description="The delivery: its webhook-id is msg_<id>")]
    subscription_id: str
    event_id: str
    type: str
    subject: str
    attempts: int
    last_status: int | None
    last_error: str | None
    since: datetime


class DeadLetterList(msgspec.Struct, rename="camel"):
    dead_letters: list[DeadLetterOut]


class ReplayIn(msgspec.Struct):
    """No fields: the delivery is named in the path (a body, if sent, is ignored)."""


class Replayed(msgspec.Struct):
    replayed: Annotated[str, msgspec.Meta(description="The delivery, pending again (the same webhook-id)")]


def _subscription(s) -> SubscriptionOut:
    return SubscriptionOut(id=str(s.id), url=s.url, types=list(s.types), created_at=s.created_at,
                           owner_key=None if s.api_key_id is None else str(s.api_key_id), failures=s.failures,
                           paused_until=s.paused_until)


def _ctx(request: Request, who: Principal) -> Ctx:
    return Ctx(db=request.app.state.db, principal=who, clock=request.app.state.clock)


def _json(value, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), media_type=MediaType.JSON, status_code=status)


@post("/events/subscriptions", dependencies={"who": Provide(principal)}, status_code=201)
async def create_subscription(request: Request, who: Principal) -> Response:
    """Subscribe to the organisation's events: `{"url": "https://...", "types": ["delegation.", ...]}`
    (whole types or prefixes). The answer holds the signing secret, shown this once. Keys with `events`."""
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise Invalid("the body must be JSON", code="invalid_json", message_da="Forespørgslen er ikke gyldig JSON.")
    if not isinstance(body, dict):
        body = {}
    created, secret = await webhook_uc.subscribe(_ctx(request, who), body.get("url"), body.get("types"),
                                                 max_subscriptions=request.app.state.settings.webhook_max_subscriptions,
                                                 allow_private=request.app.state.settings.webhook_allow_private)
    return _json(NewSubscription(subscription=_subscription(created), secret=secret), 201)


@get("/events/subscriptions", dependencies={"who": Provide(principal)})
async def list_subscriptions(request: Request, who: Principal) -> Response:
    """A system's own subscriptions; an administrator's: all of the organisation's. Never the secret."""
    found = await webhook_uc.subscriptions(_ctx(request, who))
    return _json(SubscriptionList(subscriptions=[_subscription(s) for s in found]))


class Deleted(msgspec.Struct):
    deleted: Annotated[str, msgspec.Meta(description="The subscription deleted")]


@delete("/events/subscriptions/{subscription_id:str}", dependencies={"who": Provide(principal)}, status_code=200)
async def delete_subscription(request: Request, who: Principal, subscription_id: str) -> Response:
    """Delete a subscription (a system its own, an administrator any), and the deliveries still waiting."""
    await webhook_uc.unsubscribe(_ctx(request, who), subscription_id)
    return _json(Deleted(deleted=subscription_id))


@get("/events/dead-letters", dependencies={"who": Provide(principal)})
async def list_dead_letters(request: Request, who: Principal) -> Response:
    """Deliveries given up after the retry window (about 24 hours), oldest first. Administrators."""
    found = await webhook_uc.dead_letters(_ctx(request, who))
    return _json(DeadLetterList(dead_letters=[DeadLetterOut(id=str(d.id), subscription_id=str(d.subscription_id),
                                                event_id=str(d.event_id), type=d.type, subject=str(d.subject),
                                                attempts=d.attempts, last_status=d.last_status,
                                                last_error=d.last_error, since=d.window_from) for d in found]))


@post("/events/dead-letters/{delivery_id:str}/replay", dependencies={"who": Provide(principal)}, status_code=200)
async def replay_dead_letter(request: Request, who: Principal, delivery_id: str) -> Response:
    """Deliver a dead letter again (a new retry window, the same webhook-id). Administrators."""
    await webhook_uc.replay(_ctx(request, who), delivery_id)
    return _json(Replayed(replayed=delivery_id))


ROUTES += [create_subscription, list_subscriptions, delete_subscription, list_dead_letters, replay_dead_letter]
