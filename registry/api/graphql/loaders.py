"""Per-request DataLoaders, so a list of N objects costs one query per relation, not N."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from strawberry.dataloader import DataLoader

from registry.domain.model import Area, Delegation, Person, RedLine, Team, Unit
from registry.services import delegations as delegation_uc
from registry.services import frames as frame_uc
from registry.storage import delegations as delegation_sql
from registry.services import leader_cards as leader_card_uc
from registry.services import offers as offer_uc
from registry.services.common import Ctx
from registry.storage import areas as area_sql
from registry.storage import aliases as alias_sql
from registry.storage import org as org_sql
from registry.storage import rows
from registry.storage.db import Db


class Loaders:
    def __init__(self, db: Db, tenant_id: UUID, ctx: Ctx):
        self.db = db
        self.tenant_id = tenant_id
        self.unit = DataLoader(self._by_id("org_unit", Unit))
        self.person = DataLoader(self._by_id("person", Person))
        self.team = DataLoader(self._by_id("team", Team))
        self.area = DataLoader(self._by_id("decision_area", Area))
        self.delegation = DataLoader(self._by_id("delegation", Delegation))
        self.red_line = DataLoader(self._by_id("red_line", RedLine))
        self.aliases_of_person = DataLoader(self._grouped(alias_sql.of_people, "person_id"))
        self.memberships_of_person = DataLoader(self._grouped(org_sql.memberships_of_people, "person_id"))
        self.memberships_of_unit = DataLoader(self._grouped(org_sql.memberships_of_units, "unit_id"))
        self.members_of_team = DataLoader(self._grouped(org_sql.team_members_of_teams, "team_id"))
        self.children_of_unit = DataLoader(self._children("org_unit", Unit))
        self.teams_of_unit = DataLoader(self._children("team", Team, column="unit_id"))
        self.children_of_area = DataLoader(self._children("decision_area", Area))
        self.subdelegations = DataLoader(self._children("delegation", Delegation))
        # Whether the caller may read a delegation's trust notes: one decision per delegation, one
        # connection (and one look at the caller's authority) per batch.
        # The shared frames holding at (unit, team or None): one read for a whole mandate.
        self.frames_at = DataLoader(lambda places: frame_uc.frames_at(ctx, list(places)))
        # The delegations each delegation was passed on from, nearest first (their conditions bind it).
        self.ancestors = DataLoader(self._ancestors)
        # The organisation's kind (kommune or region), which names its units' kinds: read once.
        self.organisation_kind = DataLoader(self._organisation_kind)
        # The decision-area catalogue, read once (a unit's suggested areas by KLE number, issue 13).
        self.all_areas = DataLoader(self._all_areas)
        self.trust_shown = DataLoader(lambda found: delegation_uc.trust_shown(ctx, list(found)),
                                      cache_key_fn=lambda d: d.id)
        # issue 12, part 1: a delegation's offers and notices, or None where the caller may not read them.
        self.offers = DataLoader(lambda found: offer_uc.of_delegations(ctx, list(found)),
                                 cache_key_fn=lambda d: (d.id, d.version))
        # issue 12, part 4: a delegation's leader's cards, or None where the caller may not read them.
        self.leader_cards = DataLoader(lambda found: leader_card_uc.of_delegations(ctx, list(found)),
                                       cache_key_fn=lambda d: d.id)

    async def _ancestors(self, ids: list[UUID]) -> list[list[Delegation]]:
        async with self.db.read() as conn:
            chains = await delegation_sql.ancestors(conn, self.tenant_id, list(ids))
        return [chains[i] for i in ids]

    async def _organisation_kind(self, keys: list[UUID]) -> list[str]:
        async with self.db.read() as conn:
            kind = await conn.fetchval("SELECT kind FROM organisation WHERE id = $1", self.tenant_id)
        return [kind or "kommune" for _ in keys]

    async def _all_areas(self, keys: list[str]) -> list[list[Area]]:
        async with self.db.read() as conn:
            found = await area_sql.all_areas(conn, self.tenant_id)
        return [found for _ in keys]

    def _by_id(self, table: str, kind):
        async def load(ids: list[UUID]):
            async with self.db.read() as conn:
                found = await rows.get_many(conn, table, kind, self.tenant_id, list(ids))
            return [found.get(i) for i in ids]
        return load

    def _grouped(self, query, key: str):
        async def load(ids: list[UUID]):
            async with self.db.read() as conn:
                items = await query(conn, self.tenant_id, list(ids))
            groups: dict[UUID, list] = defaultdict(list)
            for item in items:
                groups[getattr(item, key)].append(item)
            return [groups.get(i, []) for i in ids]
        return load

    def _children(self, table: str, kind, column: str = "parent_id"):
        async def load(ids: list[UUID]):
            async with self.db.read() as conn:
                found = await rows.children(conn, table, kind, self.tenant_id, column, list(ids))
            groups: dict[UUID, list] = defaultdict(list)
            for item in found:
                groups[getattr(item, column)].append(item)
            return [groups.get(i, []) for i in ids]
        return load

