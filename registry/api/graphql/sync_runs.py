"""GraphQL for the runs of the sync from the municipality's systems (`registry sync --apply` and the
server's schedule): for administrators and auditors."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from registry.api.graphql.context import Info
from registry.services import sync as sync_uc
from registry.storage.sync import SyncRun as Row


@strawberry.type(description="One run of the sync that writes the organisation from the municipality's "
                             "systems, from the command line or the server's schedule.")
class SyncRun:
    id: strawberry.ID
    source: str = strawberry.field(description="The kind of source: csv, os2mo, fk.")
    trigger: str = strawberry.field(description="cli or schedule.")
    status: str = strawberry.field(description="running, done, failed (errorCode, errorDa) or interrupted (it "
                                               "stopped without a word; the next run continued it).")
    steps_total: int = strawberry.field(description="Steps in its plan: a unit, or a person with her memberships.")
    steps_done: int = strawberry.field(description="Steps written (each batch commits with its count).")
    batch_size: int = strawberry.field(description="Steps per transaction; 0: the whole plan in one.")
    counts: JSON = strawberry.field(description="The plan's counts: units_created, people_moved, ...")
    delegations_affected: int = strawberry.field(description="Delegations due for review, ended or in closing "
                                                             "units because of the run.")
    continues: strawberry.ID | None = strawberry.field(description="The stopped run this one took up.")
    first_revision: int | None
    last_revision: int | None
    error_code: str | None
    error_da: str | None = strawberry.field(description="Why it failed, in Danish, for the administrator.")
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, r: Row) -> "SyncRun":
        return cls(id=strawberry.ID(str(r.id)), source=r.source, trigger=r.trigger, status=r.status,
                   steps_total=r.steps_total, steps_done=r.steps_done, batch_size=r.batch_size, counts=r.counts,
                   delegations_affected=r.effects, continues=strawberry.ID(str(r.continues)) if r.continues else None,
                   first_revision=r.first_revision, last_revision=r.last_revision, error_code=r.error_code,
                   error_da=r.error_da, started_at=r.started_at, finished_at=r.finished_at)


@strawberry.type
class SyncRunQuery:
    @strawberry.field(description="The organisation's latest sync runs, newest first. Administrators and auditors.")
    async def sync_runs(self, info: Info, first: int = 20) -> list[SyncRun]:
        return [SyncRun.of(r) for r in await sync_uc.recent_runs(info.context.ctx, first)]
