"""Personal data: the access request (GDPR art. 15) and erasure by pseudonymisation (art. 17).

Export: everything the registry holds about one person, as one JSON document with a section per
kind of data, for the person herself, tenant administrators and HR.

Erasure: the person keeps her id (so the history, delegations, acts and reviews that name her stay
consistent and answerable) but her identity is replaced by a random pseudonym everywhere: in her
row, in free text across the organisation's data, and in the history's before/after values. See
docs/personal-data.md for what is replaced, what is kept and why.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

import msgspec

from registry.domain.model import Breach, Person
from registry.errors import Conflict, Invalid, NotFound
from registry.services import breach_learning as learning_uc
from registry.services import breaches as breach_uc
from registry.services import delegations as delegation_uc
from registry.services import leader_cards as leader_card_uc
from registry.services.common import Ctx, Result, Sight, require
from registry.storage import aliases as alias_sql
from registry.storage import personal_data as sql
from registry.storage import rows
from registry.storage.org import tenant_by_id

log = logging.getLogger("registry.personal_data")

FORMAT = "registry.personal-data/1"
# Rows per section; a section that has more is listed in `truncated` (by its place in the
# document, e.g. history.their_actions; auditHistory and decisionLog page through the rest).
SECTION_LIMIT = 1000
# Where a section sits in the document, when not at the top level under its own name.
PLACES = {"delegations_received": "delegations.received", "delegations_via_teams": "delegations.via_teams",
          "delegations_given": "delegations.given",
          "delegations_on_their_behalf": "delegations.declared_on_their_behalf",
          "stand_ins_held": "stand_ins.held", "stand_ins_appointed_for_them": "stand_ins.appointed_for_them",
          "leader_cards_about_them": "leader_cards.about_their_delegations",
          "leader_cards_drawn": "leader_cards.drawn",
          "offers_to_them": "offers.to_them", "requests_made": "requests.made",
          "requests_answered": "requests.answered",
          "history_about_them": "history.about_them", "history_their_actions": "history.their_actions",
          "mail_preference": "mail.preference", "mail_log": "mail.log"}
PSEUDONYM_NAME = "Slettet person {}"
PSEUDONYM_EXTERNAL_ID = "slettet-{}"


# --- the export (access request) ---------------------------------------------------------------

def _may_export(ctx: Ctx, person_id: UUID) -> None:
    """The person herself, tenant administrators (people with the admin role, admin keys) and HR
    (policies/registry_admin_policy.csv: personalData)."""
    caller = ctx.principal.person
    require(ctx, "personalData", {"self"} if caller is not None and caller.id == person_id else (),
            code="not_authorised_to_export", field="personId",
            message="personal data is exported to the person herself, administrators and HR")


class Export(msgspec.Struct, frozen=True, kw_only=True):
    person_id: UUID
    generated_at: datetime
    revision: int
    truncated: list[str]
    document: dict


async def export(ctx: Ctx, person_id: UUID, *, limit: int = SECTION_LIMIT) -> Export:
    _may_export(ctx, person_id)
    now = ctx.now()
    async with ctx.db.read() as conn, conn.raw.transaction(isolation="repeatable_read", readonly=True):
        person = await sql.person_doc(conn, ctx.tenant_id, person_id)
        if person is None:
            raise NotFound(f"no person with id {person_id}", field="personId")
        org = await tenant_by_id(conn, ctx.tenant_id)
        truncated: list[str] = []

        async def section(name: str) -> list[dict]:
            found = await sql.section(conn, name, ctx.tenant_id, person_id, limit + 1)
            if len(found) > limit:
                truncated.append(PLACES.get(name, name))
            return found[:limit]

        sections = {name: await section(name) for name in sql.SECTIONS}
        sight = Sight(ctx, conn)
        for name in _DELEGATION_SECTIONS:
            sections[name] = [await _delegation_doc(sight, d) for d in sections[name]]
        sections["history_about_them"] = [await _history_doc(sight, h) for h in sections["history_about_them"]]
        for name in ("leader_cards_about_them", "leader_cards_drawn"):
            sections[name] = [await _leader_card_doc(ctx, sight, c) for c in sections[name]]
        breaches = await sql.breaches_about(conn, ctx.tenant_id, person_id, limit + 1)
        if len(breaches) > limit:
            truncated.append("breaches")
        breach_docs = [await _breach_doc(ctx, conn, sight, b, doc) for b, doc in breaches[:limit]]
        decision_log = await sql.decision_log_about(conn, ctx.tenant_id, person_id, limit + 1)
        if decision_log is not None and len(decision_log) > limit:
            truncated.append("decision_log")
            decision_log = decision_log[:limit]

    document = {
        "export": {
            "format": FORMAT,
            "generated_at": now.isoformat(),
            "revision": org.revision,
            "organisation": {"key": org.key, "name": org.name},
            "requested_by": ctx.principal.actor().label,
            "limit_per_section": limit,
            "truncated": truncated,
            "notes": [
                "Times are UTC (ISO 8601). Ids are the registry's own; *_name fields are added for reading.",
                "history.about_them: every change to a row about the person, with the values before and after.",
                ("history.their_actions: what the person changed, or what was changed on their behalf (who, "
                 "what, when); the values belong to the entities changed."),
                ("delegations: the trust assessment (competence, intention, resources, with notes) is included "
                 "only for callers who may read it (the delegate or the team's members, the delegator, the "
                 "leader chain, HR); otherwise trust is null, also in the history's values."),
                ("breaches: the details (description, cause, learning notes) are included only for callers who "
                 "may read them (the person, HR, the leader chain); they are purged after closure."),
                ("leader_cards: the leader's cards (a leader decided a matter she had delegated) on delegations "
                 "to the person or a team they are in, and the cards they drew; what was decided and why are "
                 "included only for callers who may read the card (the delegate or the team's members, the "
                 "delegator, the leader chain, HR, auditors) or for the leader who drew it."),
                ("offers.to_them: delegations (and amendments that widen or narrow them) offered to the "
                 "person, with the answers (accepted, declined with a reason, talked over); requests.made: what "
                 "they asked of their leader (a delegation, a rule) and the answer; requests.answered: the "
                 "answers they gave to others' requests as a leader."),
                ("decision_log: check decisions answered about the person (who asked, when, what, the answer); "
                 "kept for the decision log's retention period."),
                ("mail.preference: the person's own choice of digest (daily, weekly, none), if she made one; "
                 "mail.log: the mails the registry sent her or skipped (`event:<event id>` or a digest's period, "
                 "the outcome, when), kept for the mail log's retention period; never a mail's text."),
                ("aliases: the other ids the person is known by (a login's sub, a UUID, a user principal name, a "
                 "payroll number), which checks accept in place of the external id."),
            ],
        },
        "person": person,
        "aliases": sections["aliases"],
        "memberships": sections["memberships"],
        "team_memberships": sections["team_memberships"],
        "delegations": {
            "received": sections["delegations_received"],
            "via_teams": sections["delegations_via_teams"],
            "given": sections["delegations_given"],
            "declared_on_their_behalf": sections["delegations_on_their_behalf"],
        },
        "stand_ins": {
            "held": sections["stand_ins_held"],
            "appointed_for_them": sections["stand_ins_appointed_for_them"],
        },
        "acts": sections["acts"],
        "feedback_given": sections["feedback_given"],
        "leader_cards": {
            "about_their_delegations": sections["leader_cards_about_them"],
            "drawn": sections["leader_cards_drawn"],
        },
        "offers": {"to_them": sections["offers_to_them"]},
        "requests": {"made": sections["requests_made"], "answered": sections["requests_answered"]},
        "breaches": breach_docs,
        "breaches_recorded": sections["breaches_recorded"],
        "reviews_completed": sections["reviews_completed"],
        "history": {
            "about_them": sections["history_about_them"],
            "their_actions": sections["history_their_actions"],
        },
        "mail": {"preference": sections["mail_preference"], "log": sections["mail_log"]},
    }
    if decision_log is not None:
        document["decision_log"] = decision_log
    log.info("personal data of person:%s exported to %s", person_id, ctx.principal.actor().label)
    return Export(person_id=person_id, generated_at=now, revision=org.revision, truncated=truncated,
                  document=document)


_DELEGATION_SECTIONS = ("delegations_received", "delegations_via_teams", "delegations_given",
                        "delegations_on_their_behalf")


async def _delegation_doc(sight: Sight, doc: dict) -> dict:
    shown = await delegation_uc.without_hidden_trust(sight, doc)
    if shown is not doc:
        shown["trust_withheld"] = "visible to the delegate, the delegator, the leader chain and HR only"
    return shown


async def _history_doc(sight: Sight, doc: dict) -> dict:
    if doc.get("entity_type") != "delegation":
        return doc
    return {**doc, "before": await delegation_uc.without_hidden_trust(sight, doc.get("before")),
            "after": await delegation_uc.without_hidden_trust(sight, doc.get("after"))}


async def _leader_card_doc(ctx: Ctx, sight: Sight, doc: dict) -> dict:
    """A card as the caller may read it (services.leader_cards: Delegation.leaderCards), or the leader
    who drew it; otherwise that it exists, without what was decided and why."""
    caller = ctx.principal.person
    if caller is not None and str(caller.id) == str(doc.get("decided_by")):
        return doc
    if await leader_card_uc.may_read_row(sight, doc):
        return doc
    shown = {k: v for k, v in doc.items() if k not in ("decided", "why")}
    shown["details_withheld"] = ("visible to the delegate, the delegator, the leader chain, HR and auditors, "
                                 "and the leader who drew it")
    return shown


async def _breach_doc(ctx: Ctx, conn, sight: Sight, breach: Breach, doc: dict) -> dict:
    if breach.purged_at is None and not await breach_uc.may_read(ctx, conn, breach, sight):
        doc = {k: v for k, v in doc.items() if k not in ("description", "cause", "learning_notes", "response_note")}
        doc["details_withheld"] = "visible to the person concerned, HR and the leader chain only"
        return doc
    # issue 12, part 6: the later responses about her, her own account, frame changes, learning points
    return {**doc, **await learning_uc.details_for_export(conn, ctx.tenant_id, breach.id)}


# --- erasure -----------------------------------------------------------------------------------

_BOUNDARY_BEFORE = "(?<![[:alnum:]_])"
# A Danish genitive s ("Annas") is kept after the pseudonym.
_BOUNDARY_AFTER = "(s?)(?![[:alnum:]_])"
_SPECIAL = re.compile(r"([\\.^$*+?()\[\]{}|])")


def _pattern(literal: str, case_sensitive: bool = False) -> str:
    """A PostgreSQL regular expression matching `literal` as a whole word."""
    escaped = _SPECIAL.sub(r"\\\1", literal)
    return ("(?c)" if case_sensitive else "") + _BOUNDARY_BEFORE + escaped + _BOUNDARY_AFTER


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    person: Person
    rows_redacted: int
    history_entries_rewritten: int
    breaches_purged: int
    decision_log_entries_rewritten: int


async def erase(ctx: Ctx, person_id: UUID, version: int | None = None, *,
                flush: Callable[[], Awaitable[object]] | None = None) -> Result:
    """Erase a person by pseudonymisation (administrators only). Refused while anything still ties
    the person to the organisation; in one transaction, so a refusal or a failure changes nothing.
    With `version`, only if the person is still at that version (else Conflict). `flush` writes what this server has answered but not yet written to the decision log, so that
    the erasure covers it too."""
    require(ctx, "erasePerson")
    if ctx.principal.person is not None and ctx.principal.person.id == person_id:
        raise Invalid("an administrator cannot erase herself", field="id", code="self_erasure")
    if flush is not None:
        await flush()
    now = ctx.now()
    async with ctx.write() as tx:
        conn = tx.conn
        current = await rows.get(conn, "person", Person, ctx.tenant_id, person_id, for_update=True)
        if current.erased_at is not None:
            raise Invalid("the person has already been erased", field="id", code="already_erased")
        if version is not None and current.version != version:
            raise Conflict(f"version {version} is stale; the current version is {current.version}",
                           current_version=current.version)
        live = await sql.live_links(conn, ctx.tenant_id, person_id, now)
        if live:
            what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in live.items())
            raise Conflict(f"the person still has active {what}: end them (archive memberships and stand-ins, "
                           "revoke delegations) before erasing", field="id", code="still_active")

        token = secrets.token_hex(6)  # random: nothing about the person can be read from it
        name, external_id = PSEUDONYM_NAME.format(token), PSEUDONYM_EXTERNAL_ID.format(token)
        olds = await sql.identities_in_history(conn, ctx.tenant_id, person_id)
        for field, value in (("name", current.name), ("email", current.email), ("external_id", current.external_id)):
            if value:
                olds[field].add(value)
        # Her aliases (issue 13) are removed, and every value they ever had is replaced like an
        # external id (in free text, the decision log and history, also of the alias rows themselves).
        await alias_sql.delete_of_person(tx, person_id)
        alias_ids, alias_values = await alias_sql.values_in_history(conn, ctx.tenant_id, person_id)
        olds["external_id"] |= alias_values
        # External ids become the pseudonym's external id (so references by external id, e.g. in
        # logs of checks, still resolve to one person); names and e-mails the pseudonym's name.
        replacement = {v: name for v in olds["name"] | olds["email"]} | {v: external_id for v in olds["external_id"]}
        full = sorted(replacement, key=lambda v: (-len(v), v))  # longest first: an e-mail before a name in it
        full_patterns = [_pattern(v) for v in full]
        full_replacements = [replacement[v] + r"\1" for v in full]
        # In rows about the person, the capitalised parts of her names too ("Anna er hverdagsdirektør").
        parts = sorted({p for v in olds["name"] for p in re.split(r"[\s,]+", v) if len(p) >= 2 and p[0].isupper()}
                       - set(full), key=lambda v: (-len(v), v))
        all_patterns = full_patterns + [_pattern(p, case_sensitive=True) for p in parts]
        all_replacements = full_replacements + [name + r"\1" for _ in parts]

        # Breach details about the person served learning with her; purge them (as retention does).
        breaches_purged = 0
        for b in rows.many(Breach, await conn.fetch(
                "SELECT * FROM breach WHERE tenant_id = $1 AND person_id = $2 AND purged_at IS NULL",
                ctx.tenant_id, person_id)):
            await breach_uc.purge_in(tx, ctx.tenant_id, b.id, b.version, now)
            breaches_purged += 1

        linked = await sql.rows_linked_to(conn, ctx.tenant_id, person_id)
        columns = await sql.text_columns(conn)
        redacted = 0
        anywhere = "|".join(f"(?:{p})" for p in full_patterns)
        for table, cols in columns.items():
            what = table.replace("_", " ")
            if linked.get(table):
                redacted += await rows.run_write(sql.redact_rows(
                    conn, ctx.tenant_id, table, cols, all_patterns, all_replacements, ids=linked[table]), what=what)
            redacted += await rows.run_write(sql.redact_rows(
                conn, ctx.tenant_id, table, cols, full_patterns, full_replacements, prefilter=anywhere), what=what)
        logged = await sql.pseudonymise_decision_log(conn, ctx.tenant_id, person_id, sorted(olds["external_id"]),
                                                     external_id)

        erased = await rows.update(tx, "person", Person, person_id, current.version, {
            "name": name, "email": None, "external_id": external_id, "roles": [],
            "archived_at": current.archived_at or now, "erased_at": now})
        # Last, so that it also covers the entries this transaction wrote.
        rewritten = await sql.pseudonymise_history(
            conn, ctx.tenant_id, person_id, name=name, external_id=external_id,
            linked=[i for ids in linked.values() for i in ids] + sorted(alias_ids), all_patterns=all_patterns,
            all_replacements=all_replacements, patterns=full_patterns, replacements=full_replacements)
        log.info("person:%s erased by %s (%d rows redacted, %d history entries rewritten, %d logged decisions)",
                 person_id, ctx.principal.actor().label, redacted, rewritten, logged)
        return Result(Erasure(person=erased, rows_redacted=redacted, history_entries_rewritten=rewritten,
                              breaches_purged=breaches_purged, decision_log_entries_rewritten=logged), tx.revision)
