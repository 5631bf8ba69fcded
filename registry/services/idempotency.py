"""Requests done once: a mutation sent with an idempotency key is answered once; a retry with the same
key, by the same caller in the same organisation, gets the first answer and writes nothing.

The request runs in one write transaction, bound to it (storage.db.BoundDb); the answer is kept in
that transaction, so it is kept exactly when the writes are. The tenant's revision row, which every
write transaction takes first, serialises two requests with the same key: the second finds the
first's answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import msgspec

from registry.errors import Conflict, Invalid
from registry.services.common import Ctx
from registry.storage import idempotency as sql
from registry.storage.db import BoundDb, Db

TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: a UUID is the usual choice


class Answer(msgspec.Struct, frozen=True):
    response: dict
    replayed: bool


class _Undo(Exception):
    """Leave the transaction without keeping anything (a replay, or a request that wrote nothing)."""

    def __init__(self, answer: Answer):
        self.answer = answer


def request_hash(*parts: object) -> str:
    """What makes two requests the same request: their parts as canonical JSON (keys sorted)."""
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


def check_key(key: str) -> None:
    if not _KEY.fullmatch(key):
        raise Invalid(f"{HEADER} must be 1 to 255 visible ASCII characters", field=HEADER,
                      code="invalid_idempotency_key")


def check_single(mutations: int) -> None:
    """A key covers one mutation. Several in one request would run in one transaction, where a later
    one could not see what an earlier one wrote in the checks it makes (they read committed state),
    so the key would change the request's outcome; and they would hold the organisation's write
    lock for all of them."""
    if mutations != 1:
        raise Invalid(f"a request with an {HEADER} must hold exactly one mutation field; send one request per "
                      "mutation, each with its own key", field=HEADER, code="idempotency_single_mutation",
                      message_da="Send én ændring pr. forespørgsel, når du bruger en Idempotency-Key.")


async def once(ctx: Ctx, key: str, fingerprint: str, run: Callable[[Ctx], Awaitable[dict]]) -> Answer:
    """Answer `run(ctx)` (a response) once per key: the first time, run it in a transaction bound to
    the request and keep its response there, if it wrote anything; then, for the key's lifetime,
    the same response, or `idempotency_key_reused` for another request."""
    check_key(key)
    principal = ctx.principal.actor().label
    try:
        async with ctx.write() as tx:
            now = ctx.now()
            stored = await sql.find(tx.conn, ctx.tenant_id, principal, key, now)
            if stored is not None:
                if stored.request_hash != fingerprint:
                    raise Conflict(f"this {HEADER} was used for another request; use a new key for a new request",
                                   field=HEADER, code="idempotency_key_reused",
                                   message_da="Nøglen er allerede brugt til en anden forespørgsel – brug en ny.")
                raise _Undo(Answer(stored.response, replayed=True))
            bound = BoundDb(tx)
            response = await run(Ctx(db=bound, principal=ctx.principal, clock=ctx.clock))  # type: ignore[arg-type]
            if not bound.writes:  # refused, or wrote nothing: keep nothing (and give the revision back)
                raise _Undo(Answer(response, replayed=False))
            await sql.store(tx.conn, ctx.tenant_id, principal, key, request_hash=fingerprint, revision=tx.revision,
                            response=response, now=now, expires_at=now + TTL)
        return Answer(response, replayed=False)
    except _Undo as undo:
        return undo.answer


async def purge_expired(db: Db, now) -> int:
    """Delete expired keys (the app's retention loop calls this)."""
    async with db.read() as conn:
        return await sql.purge(conn, now)
