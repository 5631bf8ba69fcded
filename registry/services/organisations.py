"""Use cases for organisations (tenants): create, list and archive them.

Platform operators only (registry.access: the `platform` role), who act inside no organisation. A
new organisation is written in one transaction together with its first administrator, if one is
named, so a refusal or a failure leaves nothing behind. Every server's engine loads it from the
change feed (its revision bump is announced like any write). Archiving is final: the archive is the
organisation's last write transaction; its people and API keys stop authenticating on every server
at once (the feed clears each server's cache of callers), and its rows and history stay.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import msgspec

from registry.domain.model import ORGANISATION_KINDS, Organisation, Person
from registry.errors import Invalid, NotFound
from registry.services import org as org_uc
from registry.services.common import Ctx, Result, check_text, require
from registry.storage import org as org_sql
from registry.storage import rows

# The same rule as the database's CHECK on organisation.key: it names the tenant in tokens, in the
# Casbin export's URLs and domains, so it is short, lower case and URL-safe.
KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class NewAdmin(msgspec.Struct, frozen=True, kw_only=True):
    """The organisation's first administrator: a person with the ADMIN role."""

    external_id: str
    name: str | None = None  # the external id, if not given
    email: str | None = None


def _check(key: str, name: str, kind: str) -> None:
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise Invalid("key must be 1-63 characters of a-z, 0-9, - and _, starting with a letter or a digit",
                      field="key", code="invalid_key")
    check_text(name, "name")
    if kind not in ORGANISATION_KINDS:
        raise Invalid(f"kind must be one of {', '.join(ORGANISATION_KINDS)}", field="kind", code="invalid_choice")


@contextmanager
def _about_admin():
    """The administrator's fields are named as the input names them (admin.externalId, ...)."""
    try:
        yield
    except Invalid as exc:
        exc.field = f"admin.{exc.field}" if exc.field else "admin"
        raise


async def create_organisation(ctx: Ctx, *, key: str, name: str, kind: str = "kommune",
                              admin: NewAdmin | None = None) -> Result:
    """Result(value=(Organisation, the administrator Person or None), revision)."""
    require(ctx, "createOrganisation")
    _check(key, name, kind)
    person = None
    if admin is not None:
        with _about_admin():
            person = org_uc.person_values(external_id=admin.external_id,
                                          name=admin.external_id if admin.name is None else admin.name,
                                          email=admin.email, roles=("admin",))
    async with ctx.db.write(None, ctx.principal.actor(), at=ctx.now(),
                            create=lambda conn: org_sql.insert_tenant(conn, key, name.strip(), kind)) as tx:
        created = None
        if person is not None:
            with _about_admin():
                created = await rows.insert(tx, "person", Person, person)
        organisation = await org_sql.tenant_by_id(tx.conn, tx.tenant_id)
        return Result((organisation, created), tx.revision)


async def organisations(ctx: Ctx, *, include_archived: bool = False) -> list[Organisation]:
    require(ctx, "organisations")
    async with ctx.db.read() as conn:
        return await org_sql.list_tenants(conn, include_archived=include_archived)


async def archive_organisation(ctx: Ctx, *, key: str) -> Result:
    require(ctx, "archiveOrganisation")
    async with ctx.db.read() as conn:
        try:
            current = await org_sql.tenant_by_key(conn, key)
        except NotFound as exc:
            raise NotFound(exc.message, field="key") from exc
    if current.archived_at is not None:
        raise Invalid(f"the organisation {key!r} is already archived", field="key", code="archived")
    async with ctx.db.write(current.id, ctx.principal.actor(), at=ctx.now()) as tx:
        return Result(await org_sql.archive_tenant(tx, ctx.now()), tx.revision)
