"""Webhooks for integrating systems (issue 14, part 2): subscriptions, and the delivery loop.

* A system (an API key with `events`) subscribes its organisation's events of some types to a URL;
  the registry makes the signing secret (Standard Webhooks, `whsec_...`), shows it once, and keeps
  it only to sign. A system sees and deletes its own subscriptions; administrators all of the
  organisation's, and its dead letters, which they may replay.
* `Deliverer` runs on every server (registry.app's lifespan): each round it queues a delivery for each
  new outbox event per matching subscription, claims due attempts (FOR UPDATE SKIP LOCKED and a
  lease: two servers never make the same attempt at once; a server that dies mid-attempt leaves a
  lease that runs out, and the attempt is made again, with the same webhook-id), and posts them,
  signed, as CloudEvents 1.0 JSON, at most `concurrency` at once, each cut off after `timeout`.
  Checks and writes never wait for it: it only reads the outbox they wrote.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from uuid import UUID

import asyncpg
import httpx
import msgspec
from standardwebhooks import Webhook

from registry.domain import webhooks as rules
from registry.domain.events import cloud_event
from registry.errors import Forbidden, Invalid, NotFound
from registry.services.common import Ctx
from registry.storage import outbox as outbox_sql
from registry.storage import webhooks as sql
from registry.storage.db import Db

log = logging.getLogger("registry.webhooks")


def new_secret() -> str:
    """A Standard Webhooks signing secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _system(ctx: Ctx) -> None:
    if ctx.principal.person is not None or ctx.principal.api_key_id is None:
        raise Forbidden("webhook subscriptions are for systems (an API key with the events scope)",
                        code="missing_scope")


async def subscribe(ctx: Ctx, url: object, types: object, *, max_subscriptions: int = 20,
                    api_key_id: UUID | None = None, allow_private: bool = False) -> tuple[sql.Subscription, str]:
    """A new subscription for the calling system (the CLI and the demo pass no key): the subscription
    and its signing secret, which is never shown again."""
    if api_key_id is None:
        _system(ctx)
        api_key_id = ctx.principal.api_key_id
    url = rules.check_url(url, allow_private=allow_private)
    types = rules.check_types(types)
    secret = new_secret()
    async with ctx.db.read() as conn:
        async with conn.raw.transaction():
            await sql.lock_subscriptions(conn, ctx.tenant_id)
            if await sql.count(conn, ctx.tenant_id) >= max_subscriptions:
                raise Invalid(f"the organisation has {max_subscriptions} subscriptions already",
                              code="too_many_subscriptions",
                              message_da=rules.TOO_MANY_DA.format(limit=max_subscriptions))
            created = await sql.create(conn, ctx.tenant_id, api_key_id, url, types, secret, ctx.now())
    log.info("webhook subscription %s created for %s", created.id, ctx.principal.actor().label)
    return created, secret


async def subscribe_as_cli(db: Db, tenant_id: UUID, url: str, types: list[str], now: datetime, *,
                           replay_last: int = 0) -> tuple[sql.Subscription, str]:
    """A subscription made by the operator (the development demo), owned by no key; with `replay_last`,
    the organisation's newest events so far are delivered to it too."""
    url, types, secret = rules.check_url(url, allow_private=True), rules.check_types(types), new_secret()
    async with db.read() as conn:
        created = await sql.create(conn, tenant_id, None, url, types, secret, now, replay_last=replay_last)
    return created, secret


async def subscriptions(ctx: Ctx) -> list[sql.Subscription]:
    """A system's own subscriptions; an administrator's (person or key): all of the organisation's."""
    if not ctx.principal.is_admin:
        _system(ctx)
    async with ctx.db.read() as conn:
        return await sql.of_tenant(conn, ctx.tenant_id, None if ctx.principal.is_admin else ctx.principal.api_key_id)


def _uuid(value: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("no such subscription", field=field) from None


async def unsubscribe(ctx: Ctx, subscription_id: str) -> None:
    """Delete a subscription (a system its own; an administrator any of the organisation's), and with
    it the deliveries still waiting."""
    if not ctx.principal.is_admin:
        _system(ctx)
    sid = _uuid(subscription_id, "id")
    async with ctx.db.read() as conn:
        found = await sql.get(conn, ctx.tenant_id, sid)
        if found is None or not ctx.principal.is_admin and found.api_key_id != ctx.principal.api_key_id:
            raise NotFound("no such subscription", field="id")
        await sql.delete(conn, ctx.tenant_id, sid)
    log.info("webhook subscription %s deleted by %s", sid, ctx.principal.actor().label)


async def dead_letters(ctx: Ctx) -> list[sql.DeadLetter]:
    if not ctx.principal.is_admin:
        raise Forbidden("dead letters are for administrators")
    async with ctx.db.read() as conn:
        return await sql.dead_letters(conn, ctx.tenant_id)


async def replay(ctx: Ctx, delivery_id: str) -> None:
    """Deliver a dead letter again: pending with a new retry window, due now, the same webhook-id."""
    if not ctx.principal.is_admin:
        raise Forbidden("dead letters are for administrators")
    did = _uuid(delivery_id, "id")
    async with ctx.db.read() as conn:
        if not await sql.replay(conn, ctx.tenant_id, did, ctx.now()):
            raise NotFound("no such dead letter", field="id")
    log.info("dead letter %s replayed by %s", did, ctx.principal.actor().label)


# --- delivery -----------------------------------------------------------------------------------------

class Deliverer:
    """The delivery loop of one server (any number run at once: see the module's text)."""

    def __init__(self, db: Db, *, clock: Callable[[], datetime], every: float = 1.0, timeout: float = 10.0,
                 concurrency: int = 8, retry_base: float = 30.0, retry_max: float = 4 * 3600.0,
                 retry_window: float = 24 * 3600.0, rand: Callable[[], float] = random.random,
                 batch: int = 1000, dsn: str | None = None, allow_private: bool = True):
        self.db, self.clock, self.every, self.timeout = db, clock, every, timeout
        self.allow_private = allow_private
        self.concurrency, self.retry_base, self.retry_max = concurrency, retry_base, retry_max
        self.retry_window = timedelta(seconds=retry_window)
        self.lease = timedelta(seconds=timeout * 2 + 5)  # above the whole attempt's time limit
        self.rand, self.batch = rand, batch
        self.in_flight: set[asyncio.Task] = set()
        self.attempts = 0  # made by this server (for tests and logs)
        # With a DSN, the loop also listens on the change feed (every committed write announces itself
        # on `registry_changes`, migration 0002) and starts a round at once instead of at the next poll.
        self.dsn = dsn
        self.wake = asyncio.Event()

    @classmethod
    def from_settings(cls, db: Db, settings, clock: Callable[[], datetime], dsn: str | None = None) -> "Deliverer":
        return cls(db, clock=clock, dsn=dsn, every=settings.webhook_every_seconds, timeout=settings.webhook_timeout_seconds,
                   concurrency=settings.webhook_concurrency, retry_base=settings.webhook_retry_base_seconds,
                   retry_max=settings.webhook_retry_max_seconds,
                   retry_window=settings.webhook_retry_window_seconds,
                   allow_private=settings.webhook_allow_private)

    async def run(self) -> None:
        """Rounds until cancelled; cancelling abandons the attempts under way (their leases run out
        and they are made again, by this server after a restart or by another)."""
        listener = await self._listen()
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                     headers={"user-agent": "registry-webhooks"}) as client:
            try:
                listened_at = time.monotonic()
                while True:
                    if self.dsn is not None and (listener is None or listener.is_closed()) \
                            and time.monotonic() - listened_at > 30:
                        listener, listened_at = await self._listen(), time.monotonic()  # lost: listen again
                    self.wake.clear()  # a commit announced during the round wakes the next one at once
                    try:
                        started = await self.round(client)
                    except Exception:  # the database may be away; the next round tries again
                        log.warning("a webhook delivery round failed", exc_info=True)
                        started = 0
                    if started == 0 or len(self.in_flight) >= self.concurrency:
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(self.wake.wait(), self.every)
            finally:
                if listener is not None:
                    with contextlib.suppress(Exception):
                        await listener.close()
                for task in self.in_flight:
                    task.cancel()
                if self.in_flight:
                    await asyncio.gather(*self.in_flight, return_exceptions=True)

    async def _listen(self):
        if self.dsn is None:
            return None
        try:
            conn = await asyncpg.connect(self.dsn, server_settings={"application_name": "registry-webhooks"})
            await conn.add_listener("registry_changes", lambda *_: self.wake.set())
            return conn
        except (OSError, asyncpg.PostgresError):
            log.warning("the webhook loop cannot listen for changes; it polls every %.1f s", self.every)
            return None

    async def round(self, client: httpx.AsyncClient) -> int:
        """Queue new events, then start as many due attempts as there are free places; how many started."""
        now = self.clock()
        async with self.db.read() as conn:
            await sql.fan_out(conn, now, self.batch)
            free = self.concurrency - len(self.in_flight)
            if free <= 0:
                return 0
            claimed = await sql.claim(conn, now, self.lease, free)
        for item in claimed:
            task = asyncio.create_task(self._attempt(client, item), name=f"webhook-{item.id}")
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(claimed)

    async def drain(self, client: httpx.AsyncClient) -> None:
        """Rounds until nothing is due or under way (tests and the benchmark)."""
        while await self.round(client) or self.in_flight:
            if self.in_flight:
                await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)

    async def _attempt(self, client: httpx.AsyncClient, item: sql.Claimed) -> None:
        try:
            await self._attempt_once(client, item)
        except Exception:  # the database went away: the lease runs out and the attempt is made again
            log.warning("webhook delivery %s: the outcome could not be recorded", item.id, exc_info=True)

    async def _public(self, url: str) -> bool:
        """Whether every address the receiver's name resolves to now is public (a name that resolved
        to a public address when it was subscribed may point inward later)."""
        parts = httpx.URL(url)
        found = await asyncio.get_running_loop().getaddrinfo(parts.host, parts.port or 443)
        return bool(found) and all(rules.public_address(info[4][0]) for info in found)

    async def _attempt_once(self, client: httpx.AsyncClient, item: sql.Claimed) -> None:
        event = msgspec.convert(item.event, outbox_sql.StoredEvent, strict=False)
        body = msgspec.json.encode(cloud_event(event, item.tenant_key)).decode()
        msg_id = f"msg_{item.id}"
        # The signature's timestamp is the wall clock's (receivers reject one more than minutes off).
        signed_at = datetime.fromtimestamp(int(time.time()), timezone.utc)
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(int(signed_at.timestamp())),
                   "webhook-signature": Webhook(item.secret).sign(msg_id, signed_at, body)}
        status: int | None = None
        self.attempts += 1
        try:
            # The whole attempt within the timeout (httpx's own limits each read: a receiver trickling
            # its answer would hold the slot forever), and only the status read, never the body.
            async with asyncio.timeout(self.timeout):
                if not self.allow_private and not await self._public(item.url):
                    raise PermissionError("address not allowed")
                async with client.stream("POST", item.url, content=body.encode(), headers=headers) as response:
                    status = response.status_code
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as e:  # any failure to deliver is the receiver's: recorded, retried, in the end dead
            error = "address not allowed" if isinstance(e, PermissionError) else type(e).__name__
        async with self.db.read() as conn:
            now = self.clock()
            if error is None:
                await sql.delivered(conn, item.id, item.subscription_id, status, now)
                return
            dead = now >= item.window_from + self.retry_window
            delay = rules.retry_delay(item.attempts, self.retry_base, self.retry_max, self.rand)
            await sql.failed(conn, item.id, status=status, error=error, dead=dead,
                             next_at=now + timedelta(seconds=delay))
            failures = await sql.receiver_failed(conn, item.subscription_id, now)
            if failures:
                pause = rules.retry_delay(failures, self.retry_base, self.retry_max, self.rand)
                await sql.pause(conn, item.subscription_id, now + timedelta(seconds=pause))
        if dead:
            log.warning("webhook delivery %s to subscription %s is a dead letter after %d attempts (%s)",
                        item.id, item.subscription_id, item.attempts, error)
        else:
            log.info("webhook delivery %s failed (%s); attempt %d, next in %.0f s", item.id, error,
                     item.attempts, delay)


async def purge_outbox(db: Db, now: datetime, keep: timedelta) -> int:
    """The outbox's retention (registry.app's retention loop): events older than `keep` that no
    subscription still waits for, with their deliveries."""
    async with db.read() as conn:
        deleted = await sql.purge(conn, now, keep)
    if deleted:
        log.info("deleted %d outbox events past retention", deleted)
    return deleted
