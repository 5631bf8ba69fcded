"""GraphQL for personal data: the access-request export and erasure by pseudonymisation."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from registry.api.graphql import types as gt
from registry.api.graphql.context import Info
from registry.api.graphql.results import payload, result, typed_errors
from registry.services import personal_data as personal_data_uc
from registry.services.common import parse_uuid


@strawberry.type(description="Everything the registry holds about one person (an access request, GDPR art. 15).")
class PersonalDataExport:
    person_id: strawberry.ID
    generated_at: datetime
    revision: int = strawberry.field(description="The organisation's revision the export was read at.")
    truncated: list[str] = strawberry.field(
        description="Sections that held more rows than the export's limit per section.")
    document: JSON = strawberry.field(
        description="The export as one JSON document: export (metadata and notes), person, memberships, "
                    "team_memberships, delegations (received, via_teams, given, declared_on_their_behalf), "
                    "stand_ins, acts (with due items), feedback_given, breaches (with their later responses, her own "
                    "account, frame changes and learning points), breaches_recorded, "
                    "reviews_completed, history (about_them, their_actions), mail (preference, log).")


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(description="Export the personal data held about a person: for the person herself, "
                                  "administrators and HR.")
    async def personal_data(self, info: Info, person_id: strawberry.ID) -> PersonalDataExport:
        found = await personal_data_uc.export(info.context.ctx, parse_uuid(person_id, "personId"))
        return PersonalDataExport(person_id=strawberry.ID(str(found.person_id)), generated_at=found.generated_at,
                                  revision=found.revision, truncated=found.truncated, document=found.document)


ErasePersonPayload = payload(
    "ErasePersonPayload", person=gt.Person, rows_redacted=int, history_entries_rewritten=int, breaches_purged=int,
    decision_log_entries_rewritten=int)
ErasePersonResult = result("ErasePersonResult", ErasePersonPayload)


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(description="Erase a person by pseudonymisation (administrators). Refused while the person "
                                     "has active memberships, team memberships, delegations or stand-ins. With "
                                     "`version`, only if the person is still at that version.")
    @typed_errors
    async def erase_person(self, info: Info, id: strawberry.ID, version: int | None = None) -> ErasePersonResult:
        ctx = info.context.ctx
        decision_log = getattr(info.context.engine, "decision_log", None)
        r = await personal_data_uc.erase(ctx, parse_uuid(id, "id"), version,
                                         flush=None if decision_log is None else
                                         lambda: decision_log.flush(info.context.request.app.state.db))
        done = r.value
        return ErasePersonPayload(person=gt.Person.of(done.person), rows_redacted=done.rows_redacted,
                                  history_entries_rewritten=done.history_entries_rewritten,
                                  breaches_purged=done.breaches_purged,
                                  decision_log_entries_rewritten=done.decision_log_entries_rewritten,
                                  revision=r.revision)
