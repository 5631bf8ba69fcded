"""A person's aliases (issue 13): the other ids the municipality's systems know her by, so that a
scheduling system can ask a check with the payroll number or the UPN it has, not the IdP's `sub`.

Pure: the form of each kind of alias, and what a sync does to the aliases a source manages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from uuid import UUID

import msgspec

from registry.domain.model import ALIAS_KINDS, Person, PersonAlias
from registry.errors import Invalid

# Kinds whose values compare without case: stored lower-cased, and a lookup by another casing finds them.
CASELESS: tuple[str, ...] = ("upn", "uuid")
KIND_NAMES_DA = {"sub": "login-id (sub)", "uuid": "UUID", "upn": "brugernavn (UPN)", "payroll": "lønnummer"}
MAX_LENGTH = 200
# As for external ids (registry.services.org): they appear where external ids do.
_FORBIDDEN = set(',()[]"#\n\r\t')
_INTERNAL_PREFIXES = ("person:", "team:")
_UPN = re.compile(r"[^@\s]+@[^@\s]+")


def check_kind(kind: str) -> str:
    if kind not in ALIAS_KINDS:
        raise Invalid(f"kind must be one of {', '.join(ALIAS_KINDS)}", field="kind", code="invalid_alias_kind")
    return kind


def normalise(kind: str, value: str) -> str:
    """The alias as stored: checked for its kind's form (`invalid_alias`), a UPN lower-cased and a
    UUID in its canonical lower-case form."""
    check_kind(kind)
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        raise Invalid(f"value must be 1-{MAX_LENGTH} characters", field="value", code="invalid_alias")
    if value != value.strip() or _FORBIDDEN & set(value) or value.lower().startswith(_INTERNAL_PREFIXES):
        raise Invalid("value may not contain , ( ) [ ] \" # or surrounding spaces, nor start with person: or team:",
                      field="value", code="invalid_alias")
    if kind == "uuid":
        try:
            return str(UUID(value))
        except ValueError:
            raise Invalid("a uuid alias must be a UUID", field="value", code="invalid_alias",
                          message_da="Et UUID skrives som 32 hexadecimale tegn, fx "
                                     "3fa85f64-5717-4562-b3fc-2c963f66afa6.") from None
    if kind == "upn":
        if not _UPN.fullmatch(value):
            raise Invalid("a upn alias must be a user principal name, like anna@kommune.dk", field="value",
                          code="invalid_alias",
                          message_da="Et brugernavn (UPN) skrives som en e-mailadresse, fx anna@kommune.dk.")
        return value.lower()
    return value


def clashes(value: str, other: str) -> bool:
    """Whether two names of people would name the same one (ignoring case, as the storage does)."""
    return value.lower() == other.lower()


# --- the sync ------------------------------------------------------------------------------------

class AliasChange(msgspec.Struct, frozen=True, kw_only=True):
    """One alias the sync sets (`value`) or removes (`value` None) on the person with this external
    id; `current` is the alias the registry holds there now (None: she has none of the kind)."""

    external_id: str
    kind: str
    value: str | None
    current: PersonAlias | None = None


def plan_changes(source_people: Iterable, kinds: Iterable[str], people: Iterable[Person],
                 aliases: Iterable[PersonAlias], *, created: set[str], leaving: set[UUID]) -> list[AliasChange]:
    """What makes the aliases of the kinds the source supplies (`kinds`) say what it says: for each
    person in the source (existing, or `created` by this sync), her alias of each such kind is set to
    the source's value, or removed when the source has none for her. Kinds the source does not
    supply are left alone (an alias set by hand stays). A value the source gives one person that the
    registry holds on another is taken from the other first when that one is archived or `leaving`
    (ended by this sync), or is in the source herself with that kind managed; otherwise the write
    is refused (alias_taken) and the sync with it. Removals come first, so values can change hands.
    Erased people are never touched. The source's values must have passed `normalise`."""
    kinds = sorted(set(kinds) & set(ALIAS_KINDS))
    if not kinds:
        return []
    people = list(people)
    by_ext = {p.external_id: p for p in people}
    ext_of = {p.id: p.external_id for p in people}
    gone = {p.id for p in people if p.archived_at is not None} | set(leaving)
    aliases = list(aliases)
    held = {(a.person_id, a.kind): a for a in aliases}
    by_value = {a.value.lower(): a for a in aliases}
    source_people = list(source_people)
    in_source = {by_ext[sp.external_id].id for sp in source_people if sp.external_id in by_ext}
    removals: dict[UUID, AliasChange] = {}
    sets: list[AliasChange] = []
    for sp in source_people:
        person = by_ext.get(sp.external_id)
        if person is None and sp.external_id not in created:
            continue
        if person is not None and person.erased_at is not None:
            continue
        for kind in kinds:
            if kind == "sub" and person is not None and person.roles:
                # Her `sub` re-points the login of an administrator, HR or an auditor: an administrator's
                # to set, never a sync's (registry.services.aliases); left as it is.
                continue
            raw = sp.aliases.get(kind)
            wanted = normalise(kind, raw) if raw else None
            current = held.get((person.id, kind)) if person is not None else None
            if wanted is None:
                if current is not None:
                    removals[current.id] = AliasChange(external_id=sp.external_id, kind=kind, value=None,
                                                       current=current)
                continue
            if current is not None and current.value == wanted:
                continue
            holder = by_value.get(wanted.lower())
            if holder is not None and (person is None or holder.person_id != person.id) and (
                    holder.person_id in gone or (holder.person_id in in_source and holder.kind in kinds)):
                removals[holder.id] = AliasChange(external_id=ext_of[holder.person_id], kind=holder.kind, value=None,
                                                  current=holder)
            sets.append(AliasChange(external_id=sp.external_id, kind=kind, value=wanted, current=current))
    # A set whose current alias is also removed (its value went to someone else) writes a new row.
    return list(removals.values()) + sets
