"""E-mail to people, in Danish (issue 14, part 3), read from the outbox (registry.services.events).

* `run_round` is the mailer (registry.app runs it each `mail_every_seconds` on every server): one round
  at a time across all servers (a PostgreSQL advisory lock). It reads each organisation's outbox after
  its cursor and mails what concerns people at once (domain.mail.IMMEDIATE: the employee's mandate
  offered, given, changed, about to expire, feedback on her act; the leader's stand-in starting, an act
  awaiting her pre-approval), then the leaders' digests that are due (daily or weekly, by preference).
* Every mail is claimed in the mail log (`mail_sent`, unique per organisation, person and key) in the
  same transaction as it is handed to the SMTP server: a mail whose hand-over fails is rolled back and
  tried again next round; one handed over is never sent again for the same event or digest. (A server
  killed after the hand-over and before its commit sends it again: at least once, never twice otherwise.)
* An SMTP server that is down or answers "try later" stops the round: the cursor stays before the event,
  the next round starts there. An address the server refuses for good is logged `refused` and skipped.
* A person without an e-mail address is skipped and counted (`no_address` in the log).
* The preferences: each person's digest (daily, weekly, none) and the organisation's default.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

import aiosmtplib
import msgspec

from registry.auth import Principal
from registry.domain import mail as dm
from registry.domain.events import PREFIX
from registry.domain.model import Person
from registry.errors import Invalid
from registry.services.common import Ctx, require, require_person
from registry.settings import Settings
from registry.storage import mail as sql
from registry.storage import outbox as outbox_sql
from registry.storage import rows
from registry.storage.db import Conn, Db

log = logging.getLogger("registry.mail")

EXPIRING_DAYS = timedelta(days=14)


class Refused(Exception):
    """The SMTP server refused the recipient for good (5xx): logged `refused`, not tried again."""


class Sender:
    """Hands mails to the SMTP server (aiosmtplib), one connection per round, opened at the first mail.
    Any error but a refused recipient means "try the round later"."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp = None

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib

        s = self.settings
        try:
            if self._smtp is None:
                self._smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
                                             start_tls=s.smtp_starttls, use_tls=False,
                                             username=s.smtp_user, password=s.smtp_password)
                await self._smtp.connect()
            await self._smtp.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= r.code < 600 for r in exc.recipients):
                raise Refused(str(exc)) from exc
            await self.close()
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and exc.code not in (530, 535):  # not: authentication needed or refused
                await self.close()
                raise Refused(str(exc)) from exc
            await self.close()
            raise
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                await smtp.quit()
            except Exception:
                smtp.close()


class Stats(msgspec.Struct, kw_only=True):
    sent: int = 0
    no_address: int = 0
    refused: int = 0
    digests: int = 0


Send = Callable[[EmailMessage], Awaitable[None]]


async def _deliver(db: Db, send: Send, sender: str, tenant: UUID, person: sql.Recipient, key: str,
                   make: Callable[[], dm.Mail | None], now: datetime, stats: Stats) -> None:
    """One mail to one person, once: claimed in the mail log and handed over in one transaction."""
    async with db.pool.acquire() as raw:
        async with raw.transaction():
            conn = Conn(raw)
            if person.archived:
                return
            if not person.email:
                if await sql.claim(conn, tenant, person.id, key, "no_address", now):
                    stats.no_address += 1
                    log.info("mail to person %s skipped: no e-mail address", person.id)
                return
            mail = make()
            if mail is None:
                await sql.claim(conn, tenant, person.id, key, "empty", now)
                return
            if not await sql.claim(conn, tenant, person.id, key, "sent", now):
                return  # sent before
            try:
                message = mail.message(sender)
            except (ValueError, UnicodeError):  # an address no mail can carry: refused, and the round goes on
                await sql.set_status(conn, tenant, person.id, key, "refused")
                stats.refused += 1
                log.warning("mail to person %s skipped: her e-mail address cannot be used", person.id)
                return
            try:
                await send(message)
            except Refused:
                await sql.set_status(conn, tenant, person.id, key, "refused")
                stats.refused += 1
                log.warning("the SMTP server refused the address of person %s", person.id)
                return
            stats.sent += 1


def _parts(kind: str, event: outbox_sql.StoredEvent, delegates: set[UUID]) -> dict[UUID, str]:
    """Each recipient of an event mailed at once, with her part in it (texts.MAIL_EVENTS_DA)."""
    data = event.data
    found: dict[UUID, str] = {}
    for person in event.recipients:
        if kind.startswith("delegation."):
            if person in delegates:
                found[person] = "delegate"
        elif kind in ("feedback.given", "justification.requested"):
            found[person] = "actor"
        elif kind == "stand_in.starting":
            found[person] = "stand_in" if str(person) == data.get("standInPerson") else "leader"
        elif kind == "act.recorded":
            found[person] = "leader"
    return {p: part for p, part in found.items() if (kind, part) in dm.IMMEDIATE_PARTS}


async def _event(db: Db, conn: Conn, send: Send, settings: Settings, event: outbox_sql.StoredEvent,
                 now: datetime, stats: Stats) -> None:
    kind = event.type.removeprefix(PREFIX)
    if kind not in dm.IMMEDIATE or event.occurred_at < now - dm.FRESH:
        return
    data = event.data
    if kind == "act.recorded" and not await sql.open_pre_approval(conn, event.tenant_id, data.get("act")):
        return
    delegates: set[UUID] = set()
    if kind.startswith("delegation."):
        if data.get("delegatePerson"):
            delegates = {UUID(data["delegatePerson"])}
        elif data.get("delegateTeam"):
            delegates = set(await outbox_sql.team_members(conn, event.tenant_id, UUID(data["delegateTeam"]),
                                                          event.occurred_at))
    parts = _parts(kind, event, delegates)
    if not parts:
        return
    people = await sql.people(conn, event.tenant_id, list(parts))
    area, unit = await sql.names(conn, event.tenant_id, data.get("area"), data.get("unit"))
    for person_id, part in parts.items():
        person = people.get(person_id)
        if person is None:
            continue

        def make(person=person, part=part) -> dm.Mail:
            return dm.event_mail(kind, part, to=person.email, name=person.name, data=data, area=area, unit=unit,
                                 base_url=settings.public_url or settings.mail_link_base)

        await _deliver(db, send, settings.mail_from, event.tenant_id, person, f"event:{event.id}", make, now, stats)


async def digest_units(db: Db, tenant: UUID, tenant_key: str, person: Person, now: datetime) -> list[dm.DigestUnit]:
    """What waits in the leader's follow-up, unit by unit: the follow-up's own use case
    (registry.services.followup.overview), run as her, so she is told what she may read there."""
    from registry.services import followup

    ctx = Ctx(db=db, principal=Principal(tenant_id=tenant, tenant_key=tenant_key, person=person), clock=lambda: now)
    overview = await followup.overview(ctx)
    found = []
    for f in overview.units:
        found.append(dm.DigestUnit(
            unit=f.unit.name, review=len(f.due_for_review),
            expiring=sum(1 for d in f.expiring if d.valid_until is not None and d.valid_until <= now + EXPIRING_DAYS),
            feedback=len(f.awaiting_feedback), overdue=f.overdue))
    return found


async def _digests(db: Db, conn: Conn, send: Send, settings: Settings, tenant: UUID, now: datetime,
                   stats: Stats, early: bool = False) -> None:
    leaders = await sql.leaders_now(conn, tenant, now)
    if not leaders:
        return
    default = await sql.default_digest(conn, tenant) or dm.DEFAULT_DIGEST
    own = await sql.own_digests(conn, tenant, leaders)
    wanted = {p: own.get(p, default) for p in leaders}
    keys = {p: dm.digest_key(period, now, early) for p, period in wanted.items()}
    keys = {p: k for p, k in keys.items() if k is not None}
    if not keys:
        return
    done = await sql.logged(conn, tenant, sorted(set(keys.values())))
    todo = [p for p, k in keys.items() if (p, k) not in done]
    if not todo:
        return
    tenant_key = await conn.fetchval("SELECT key FROM organisation WHERE id = $1", tenant)
    people = await sql.people(conn, tenant, todo)
    full = await rows.get_many(conn, "person", Person, tenant, todo)
    for person_id in todo:
        person = people.get(person_id)
        if person is None or person.archived:
            continue
        units = await digest_units(db, tenant, tenant_key, full[person_id], now) if person.email else []
        before = stats.sent

        def make(person=person, units=units, period=wanted[person_id]) -> dm.Mail | None:
            return dm.digest_mail(period, to=person.email, name=person.name, units=units,
                                  base_url=settings.public_url or settings.mail_link_base)

        await _deliver(db, send, settings.mail_from, tenant, person, keys[person_id], make, now, stats)
        stats.digests += stats.sent - before


async def run_round(db: Db, settings: Settings, clock: Callable[[], datetime], *, send: Send | None = None,
                    batch: int = 500, early: bool = False) -> Stats | None:
    """One round of the mailer. None when another server's round is under way (it does the work).
    `early`: the digests of today or this week go out now, whatever the hour (development's first round)."""
    sender = None
    if send is None:
        sender = Sender(settings)
        send = sender.send
    stats = Stats()
    async with db.pool.acquire() as raw:
        conn = Conn(raw)
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", sql.MAILER_LOCK):
            return None
        try:
            now = clock()
            for tenant in await sql.tenants(conn):
                try:
                    while True:
                        found = await sql.events_after(conn, tenant, await sql.cursor(conn, tenant), batch)
                        for event in found:
                            await _event(db, conn, send, settings, event, now, stats)
                            await sql.advance(conn, tenant, event.position)
                        if len(found) < batch:
                            break
                    await _digests(db, conn, send, settings, tenant, now, stats, early)
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    raise  # the SMTP server is away: the round ends, and the next starts where this stopped
                except Exception:  # one organisation's fault never keeps the others' mail back
                    log.exception("the mailer's round for organisation %s failed; the others go on", tenant)
            await sql.purge(conn, now - timedelta(days=settings.mail_log_retention_days))
        finally:
            if sender is not None:
                await sender.close()
            await conn.fetchval("SELECT pg_advisory_unlock($1)", sql.MAILER_LOCK)
    return stats


# --- preferences ---------------------------------------------------------------------------------------

class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    digest: str            # what she gets: her own choice, or the organisation's default
    own: str | None        # her own choice (None: the default)
    default: str           # the organisation's default


def _check_digest(digest: str | None, field: str) -> None:
    if digest is not None and digest not in dm.DIGESTS:
        raise Invalid(f"digest must be one of {', '.join(dm.DIGESTS)}", field=field, code="invalid_digest")


async def preferences(ctx: Ctx) -> Preferences:
    person = require_person(ctx, "reading your mail preferences")
    async with ctx.db.read() as conn:
        default = await sql.default_digest(conn, ctx.tenant_id) or dm.DEFAULT_DIGEST
        own = (await sql.own_digests(conn, ctx.tenant_id, [person])).get(person)
    return Preferences(digest=own or default, own=own, default=default)


async def set_own(ctx: Ctx, digest: str | None) -> tuple[Preferences, int]:
    """A person chooses her digest (None: the organisation's default)."""
    person = require_person(ctx, "choosing your digest")
    _check_digest(digest, "digest")
    async with ctx.write() as tx:
        await sql.set_own(tx.conn, ctx.tenant_id, person, digest, ctx.now())
        revision = tx.revision
    return await preferences(ctx), revision


async def set_default(ctx: Ctx, digest: str) -> tuple[str, int]:
    """An administrator sets the organisation's default digest."""
    require(ctx, "setMailDigestDefault")
    _check_digest(digest, "digest")
    if digest is None:
        raise Invalid("give the default digest", field="digest", code="invalid_digest")
    async with ctx.write() as tx:
        await sql.set_default(tx.conn, ctx.tenant_id, digest, ctx.now())
        return digest, tx.revision


async def default_of(ctx: Ctx) -> str:
    async with ctx.db.read() as conn:
        return await sql.default_digest(conn, ctx.tenant_id) or dm.DEFAULT_DIGEST


async def skip_to_end(db: Db) -> None:
    """Every organisation's mailer cursor to its outbox's end: what is there now is not mailed (the demo
    organisation just loaded: its making is no news to its people)."""
    async with db.read() as conn:
        await conn.execute("""INSERT INTO mail_cursor (tenant_id, position)
                              SELECT tenant_id, max(position) FROM outbox_event GROUP BY tenant_id
                              ON CONFLICT (tenant_id) DO UPDATE SET position = greatest(mail_cursor.position,
                                                                                        excluded.position)""")
