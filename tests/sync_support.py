"""Shared by the sync's tests: an organisation to sync into, and its rows by external id."""

from registry.auth import platform_principal
from registry.services import organisations as organisation_uc
from registry.services.common import Ctx


async def organisation(db, key: str = "nordby") -> None:
    """The organisation `key` ("Nordby Kommune"), with its administrator admin@<key>.dk."""
    ctx = Ctx(db=db, principal=platform_principal())
    await organisation_uc.create_organisation(ctx, key=key, name=f"{key.title()} Kommune",
                                              admin=organisation_uc.NewAdmin(external_id=f"admin@{key}.dk"))


async def ids_by(db, table: str, column: str, key: str = "nordby") -> dict[str, str]:
    """The organisation's rows of `table` by `column` (an external id): their ids, as text."""
    async with db.read() as conn:
        rows = await conn.fetch(f"SELECT {column} AS k, t.id FROM {table} t JOIN organisation o ON o.id = t.tenant_id"
                                f" WHERE o.key = $1", key)
    return {r["k"]: str(r["id"]) for r in rows}
