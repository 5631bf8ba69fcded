"""SQL for personal data: everything held about one person (access requests), and erasure by
pseudonymisation (identity replaced in the person's row, in free text and in history).

Table and column names only ever come from this module or from the database's own catalogue.
"""

from __future__ import annotations

from uuid import UUID

from registry.domain.model import Breach
from registry.storage.db import Conn
from registry.storage.rows import many

# --- the export ---------------------------------------------------------------------------------

_DELEGATION = """
    SELECT to_jsonb(d) - 'tenant_id' || jsonb_build_object(
               'area_key', a.key, 'area_name_da', a.name_da, 'unit_name', u.name,
               'delegator_name', dp.name, 'delegate_person_name', pp.name, 'delegate_team_name', t.name,
               'on_behalf_of_name', bp.name) AS doc
    FROM delegation d
    JOIN decision_area a ON a.tenant_id = d.tenant_id AND a.id = d.area_id
    JOIN org_unit u ON u.tenant_id = d.tenant_id AND u.id = d.unit_id
    JOIN person dp ON dp.tenant_id = d.tenant_id AND dp.id = d.delegator_id
    LEFT JOIN person pp ON pp.tenant_id = d.tenant_id AND pp.id = d.delegate_person_id
    LEFT JOIN person bp ON bp.tenant_id = d.tenant_id AND bp.id = d.on_behalf_of_id
    LEFT JOIN team t ON t.tenant_id = d.tenant_id AND t.id = d.delegate_team_id
    WHERE d.tenant_id = $1 AND {where}
    ORDER BY d.valid_from, d.id LIMIT $3"""

_STAND_IN = """
    SELECT to_jsonb(s) - 'tenant_id' || jsonb_build_object(
               'unit_name', u.name, 'leader_name', l.name, 'stand_in_name', p.name) AS doc
    FROM stand_in s
    JOIN org_unit u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id
    JOIN person l ON l.tenant_id = s.tenant_id AND l.id = s.leader_id
    JOIN person p ON p.tenant_id = s.tenant_id AND p.id = s.stand_in_id
    WHERE s.tenant_id = $1 AND {where}
    ORDER BY s.valid_from, s.id LIMIT $3"""

_LEADER_CARD = """
    SELECT to_jsonb(c) - 'tenant_id' || jsonb_build_object(
               'area_key', a.key, 'unit_name', u.name, 'decided_by_name', p.name,
               'delegate_person_name', dp.name, 'delegate_team_name', t.name) AS doc
    FROM leader_card c
    JOIN delegation d ON d.tenant_id = c.tenant_id AND d.id = c.delegation_id
    JOIN decision_area a ON a.tenant_id = d.tenant_id AND a.id = d.area_id
    JOIN org_unit u ON u.tenant_id = c.tenant_id AND u.id = c.unit_id
    JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.decided_by
    LEFT JOIN person dp ON dp.tenant_id = d.tenant_id AND dp.id = d.delegate_person_id
    LEFT JOIN team t ON t.tenant_id = d.tenant_id AND t.id = d.delegate_team_id
    WHERE c.tenant_id = $1 AND {where}
    ORDER BY c.decided_at, c.id LIMIT $3"""

# Each section: a query taking (tenant id, person id, limit) and returning one `doc` per row.
SECTIONS: dict[str, str] = {
    # issue 13: the other ids she is known by (login sub, UUID, UPN, payroll number)
    "aliases": """
        SELECT to_jsonb(a) - 'tenant_id' AS doc FROM person_alias a
        WHERE a.tenant_id = $1 AND a.person_id = $2 ORDER BY a.kind, a.id LIMIT $3""",
    "memberships": """
        SELECT to_jsonb(m) - 'tenant_id' || jsonb_build_object('unit_name', u.name) AS doc
        FROM membership m JOIN org_unit u ON u.tenant_id = m.tenant_id AND u.id = m.unit_id
        WHERE m.tenant_id = $1 AND m.person_id = $2 ORDER BY m.valid_from, m.id LIMIT $3""",
    "team_memberships": """
        SELECT to_jsonb(tm) - 'tenant_id' || jsonb_build_object('team_name', t.name, 'unit_id', t.unit_id,
                                                               'unit_name', u.name) AS doc
        FROM team_member tm JOIN team t ON t.tenant_id = tm.tenant_id AND t.id = tm.team_id
        JOIN org_unit u ON u.tenant_id = t.tenant_id AND u.id = t.unit_id
        WHERE tm.tenant_id = $1 AND tm.person_id = $2 ORDER BY tm.valid_from, tm.id LIMIT $3""",
    "delegations_received": _DELEGATION.format(where="d.delegate_person_id = $2"),
    "delegations_given": _DELEGATION.format(where="d.delegator_id = $2"),
    "delegations_on_their_behalf": _DELEGATION.format(where="d.on_behalf_of_id = $2"),
    "delegations_via_teams": _DELEGATION.format(
        where="d.delegate_team_id IN (SELECT team_id FROM team_member WHERE tenant_id = $1 AND person_id = $2)"),
    "stand_ins_held": _STAND_IN.format(where="s.stand_in_id = $2"),
    "stand_ins_appointed_for_them": _STAND_IN.format(where="s.leader_id = $2"),
    "acts": """
        SELECT to_jsonb(a) - 'tenant_id' || jsonb_build_object(
                   'area_key', ar.key, 'unit_name', u.name,
                   'due_items', coalesce((SELECT jsonb_agg(to_jsonb(d) - 'tenant_id' ORDER BY d.due_at, d.id)
                                          FROM due_item d WHERE d.tenant_id = a.tenant_id AND d.act_id = a.id),
                                         '[]'::jsonb)) AS doc
        FROM act a JOIN decision_area ar ON ar.tenant_id = a.tenant_id AND ar.id = a.area_id
        JOIN org_unit u ON u.tenant_id = a.tenant_id AND u.id = a.unit_id
        WHERE a.tenant_id = $1 AND a.person_id = $2 ORDER BY a.occurred_at, a.id LIMIT $3""",
    # Feedback they gave on others' acts: their own words, not the other person's act.
    "feedback_given": """
        SELECT jsonb_build_object('act_id', a.id, 'unit_name', u.name, 'area_key', ar.key,
                                  'feedback', a.feedback, 'assessment', a.assessment,
                                  'feedback_role', a.feedback_role, 'feedback_at', a.feedback_at) AS doc
        FROM act a JOIN decision_area ar ON ar.tenant_id = a.tenant_id AND ar.id = a.area_id
        JOIN org_unit u ON u.tenant_id = a.tenant_id AND u.id = a.unit_id
        WHERE a.tenant_id = $1 AND a.feedback_by = $2 ORDER BY a.feedback_at, a.id LIMIT $3""",
    # The leader's cards (issue 12, part 4) on delegations to them, or to a team they are in, and the
    # cards they drew themselves (services.personal_data withholds what the caller may not read).
    "leader_cards_about_them": _LEADER_CARD.format(
        where="(d.delegate_person_id = $2 OR d.delegate_team_id IN "
              "(SELECT team_id FROM team_member WHERE tenant_id = $1 AND person_id = $2))"),
    "leader_cards_drawn": _LEADER_CARD.format(where="c.decided_by = $2"),
    # Issue 12, part 1: offers of delegations to them (and the team offers they answered), with the
    # answers in their own words; what they asked of their leader; the requests they answered as leader.
    "offers_to_them": """
        SELECT to_jsonb(o) - 'tenant_id' || jsonb_build_object(
                   'area_key', a.key, 'unit_name', u.name, 'level', d.level, 'delegate_team_name', t.name) AS doc
        FROM delegation_offer o JOIN delegation d ON d.tenant_id = o.tenant_id AND d.id = o.delegation_id
        JOIN decision_area a ON a.tenant_id = d.tenant_id AND a.id = d.area_id
        JOIN org_unit u ON u.tenant_id = d.tenant_id AND u.id = d.unit_id
        LEFT JOIN team t ON t.tenant_id = d.tenant_id AND t.id = d.delegate_team_id
        WHERE o.tenant_id = $1 AND (d.delegate_person_id = $2 OR o.answered_by = $2)
        ORDER BY o.offered_at, o.id LIMIT $3""",
    "requests_made": """
        SELECT to_jsonb(r) - 'tenant_id' || jsonb_build_object('unit_name', u.name, 'area_key', a.key) AS doc
        FROM delegation_request r JOIN org_unit u ON u.tenant_id = r.tenant_id AND u.id = r.unit_id
        LEFT JOIN decision_area a ON a.tenant_id = r.tenant_id AND a.id = r.area_id
        WHERE r.tenant_id = $1 AND r.person_id = $2 ORDER BY r.created_at, r.id LIMIT $3""",
    "requests_answered": """
        SELECT jsonb_build_object('request_id', r.id, 'kind', r.kind, 'unit_name', u.name, 'status', r.status,
                                  'answer_note', r.answer_note, 'answered_at', r.answered_at) AS doc
        FROM delegation_request r JOIN org_unit u ON u.tenant_id = r.tenant_id AND u.id = r.unit_id
        WHERE r.tenant_id = $1 AND r.answered_by = $2 AND r.person_id <> $2 ORDER BY r.answered_at, r.id LIMIT $3""",
    # Breaches they recorded about others: that they did, never the other person's details.
    "breaches_recorded": """
        SELECT jsonb_build_object('breach_id', b.id, 'recorded_at', b.created_at, 'unit_name', u.name,
                                  'area_key', ar.key, 'response', b.response) AS doc
        FROM breach b JOIN decision_area ar ON ar.tenant_id = b.tenant_id AND ar.id = b.area_id
        JOIN org_unit u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id
        WHERE b.tenant_id = $1 AND b.recorded_by = $2 AND b.person_id <> $2 ORDER BY b.created_at, b.id LIMIT $3""",
    "reviews_completed": """
        SELECT to_jsonb(r) - 'tenant_id' AS doc FROM review r
        WHERE r.tenant_id = $1 AND r.reviewed_by = $2 ORDER BY r.created_at, r.id LIMIT $3""",
    # Issue 14, part 3: their choice of digest, and the mail log (which mails the registry sent them, or
    # skipped, and when: ids and codes, never a mail's text).
    "mail_preference": """
        SELECT jsonb_build_object('digest', digest, 'updated_at', updated_at) AS doc FROM mail_preference
        WHERE tenant_id = $1 AND person_id = $2 LIMIT $3""",
    "mail_log": """
        SELECT jsonb_build_object('key', key, 'status', status, 'at', at) AS doc FROM mail_sent
        WHERE tenant_id = $1 AND person_id = $2 ORDER BY at, key LIMIT $3""",
    # Every change to a row about them: the person row, memberships, team memberships, delegations
    # to them, stand-in appointments, acts with their due items, breaches (whose history never holds
    # details), with the values before and after.
    "history_about_them": """
        SELECT to_jsonb(h) - 'tenant_id' AS doc FROM history h
        WHERE h.tenant_id = $1 AND h.entity_id IN (
            SELECT $2::uuid UNION ALL SELECT id FROM membership WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM team_member WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM delegation WHERE tenant_id = $1 AND delegate_person_id = $2
            UNION ALL SELECT id FROM stand_in WHERE tenant_id = $1 AND (stand_in_id = $2 OR leader_id = $2)
            UNION ALL SELECT id FROM act WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT d.id FROM due_item d JOIN act a ON a.tenant_id = d.tenant_id AND a.id = d.act_id
                      WHERE d.tenant_id = $1 AND a.person_id = $2
            UNION ALL SELECT id FROM breach WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM breach_response WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM breach_account WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM breach_frame_change WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT id FROM learning_point WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT o.id FROM delegation_offer o JOIN delegation d ON d.tenant_id = o.tenant_id
                      AND d.id = o.delegation_id WHERE o.tenant_id = $1 AND d.delegate_person_id = $2
            UNION ALL SELECT id FROM delegation_request WHERE tenant_id = $1 AND person_id = $2
            UNION ALL SELECT entity_id FROM history WHERE tenant_id = $1 AND entity_type = 'person_alias'
                      AND coalesce(after ->> 'person_id', before ->> 'person_id') = $2::text)
        ORDER BY h.id LIMIT $3""",
    # What they changed, or what was changed on their behalf: who, what, when. The values belong to
    # the entities changed (auditHistory with actor: person:<id> shows them to those who may read).
    "history_their_actions": """
        SELECT jsonb_build_object('id', h.id, 'revision', h.revision, 'at', h.at, 'entity_type', h.entity_type,
                                  'entity_id', h.entity_id, 'operation', h.operation, 'actor', h.actor,
                                  'on_behalf_of', h.on_behalf_of) AS doc
        FROM history h
        WHERE h.tenant_id = $1
          AND (h.actor = 'person:' || $2::uuid::text OR h.on_behalf_of = 'person:' || $2::uuid::text)
        ORDER BY h.id LIMIT $3""",
}


async def person_doc(conn: Conn, tenant_id: UUID, person_id: UUID) -> dict | None:
    return await conn.fetchval("SELECT to_jsonb(p) - 'tenant_id' FROM person p WHERE tenant_id = $1 AND id = $2",
                               tenant_id, person_id)


async def section(conn: Conn, name: str, tenant_id: UUID, person_id: UUID, limit: int) -> list[dict]:
    return [r["doc"] for r in await conn.fetch(SECTIONS[name], tenant_id, person_id, limit)]


async def breaches_about(conn: Conn, tenant_id: UUID, person_id: UUID, limit: int) -> list[tuple[Breach, dict]]:
    found = await conn.fetch(
        """SELECT b.*, to_jsonb(b) - 'tenant_id' || jsonb_build_object('area_key', ar.key, 'unit_name', u.name) AS doc
           FROM breach b JOIN decision_area ar ON ar.tenant_id = b.tenant_id AND ar.id = b.area_id
           JOIN org_unit u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id
           WHERE b.tenant_id = $1 AND b.person_id = $2 ORDER BY b.occurred_at, b.id LIMIT $3""",
        tenant_id, person_id, limit)
    return list(zip(many(Breach, found), [r["doc"] for r in found], strict=True))


# --- erasure ------------------------------------------------------------------------------------

async def live_links(conn: Conn, tenant_id: UUID, person_id: UUID, now) -> dict[str, int]:
    """What still ties the person to the organisation at `now` (or later): memberships, team
    memberships, delegations in force or yet to start (to, from or on behalf of her), stand-in
    appointments not yet over (as stand-in or as the absent leader)."""
    row = await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM membership WHERE tenant_id = $1 AND person_id = $2 AND archived_at IS NULL
                AND (valid_to IS NULL OR valid_to > $3)) AS memberships,
             (SELECT count(*) FROM team_member WHERE tenant_id = $1 AND person_id = $2 AND archived_at IS NULL
                AND (valid_to IS NULL OR valid_to > $3)) AS team_memberships,
             (SELECT count(*) FROM delegation WHERE tenant_id = $1
                AND (delegate_person_id = $2 OR delegator_id = $2 OR on_behalf_of_id = $2)
                AND status IN ('active', 'suspended') AND (valid_until IS NULL OR valid_until > $3)) AS delegations,
             (SELECT count(*) FROM stand_in WHERE tenant_id = $1 AND (stand_in_id = $2 OR leader_id = $2)
                AND archived_at IS NULL AND valid_until > $3) AS stand_ins""",
        tenant_id, person_id, now)
    return {k: v for k, v in dict(row).items() if v}


async def identities_in_history(conn: Conn, tenant_id: UUID, person_id: UUID) -> dict[str, set[str]]:
    """Every name, e-mail and external id the person's row has ever had: field -> values."""
    found = await conn.fetch(
        """SELECT DISTINCT x.field, x.value FROM history h,
                  LATERAL (VALUES ('name', h.before ->> 'name'), ('email', h.before ->> 'email'),
                                  ('external_id', h.before ->> 'external_id'), ('name', h.after ->> 'name'),
                                  ('email', h.after ->> 'email'), ('external_id', h.after ->> 'external_id'))
                          AS x(field, value)
           WHERE h.tenant_id = $1 AND h.entity_type = 'person' AND h.entity_id = $2 AND x.value IS NOT NULL""",
        tenant_id, person_id)
    values: dict[str, set[str]] = {"name": set(), "email": set(), "external_id": set()}
    for r in found:
        values[r["field"]].add(r["value"])
    return values


async def rows_linked_to(conn: Conn, tenant_id: UUID, person_id: UUID) -> dict[str, list[UUID]]:
    """Rows that are about the person (her texts name her by first name too): table -> ids."""
    linked: dict[str, list[UUID]] = {}
    queries = {
        "membership": "SELECT id FROM membership WHERE tenant_id = $1 AND person_id = $2",
        "team_member": "SELECT id FROM team_member WHERE tenant_id = $1 AND person_id = $2",
        "delegation": """SELECT id FROM delegation WHERE tenant_id = $1
                         AND (delegate_person_id = $2 OR delegator_id = $2 OR on_behalf_of_id = $2)""",
        "stand_in": "SELECT id FROM stand_in WHERE tenant_id = $1 AND (stand_in_id = $2 OR leader_id = $2)",
        "act": "SELECT id FROM act WHERE tenant_id = $1 AND (person_id = $2 OR feedback_by = $2)",
        "breach": "SELECT id FROM breach WHERE tenant_id = $1 AND person_id = $2",
        "review": """SELECT r.id FROM review r JOIN delegation d ON d.tenant_id = r.tenant_id AND d.id = r.delegation_id
                     WHERE r.tenant_id = $1 AND (r.reviewed_by = $2 OR d.delegate_person_id = $2)""",
        # issue 12, part 6: what follows a breach about her
        "breach_response": "SELECT id FROM breach_response WHERE tenant_id = $1 AND person_id = $2",
        "breach_account": "SELECT id FROM breach_account WHERE tenant_id = $1 AND person_id = $2",
        "breach_frame_change": "SELECT id FROM breach_frame_change WHERE tenant_id = $1 AND person_id = $2",
        "learning_point": "SELECT id FROM learning_point WHERE tenant_id = $1 AND person_id = $2",
        # issue 12, part 1: offers to her or answered by her, and what she asked of her leader
        "delegation_offer": """SELECT o.id FROM delegation_offer o
                               JOIN delegation d ON d.tenant_id = o.tenant_id AND d.id = o.delegation_id
                               WHERE o.tenant_id = $1 AND (o.answered_by = $2 OR d.delegate_person_id = $2)""",
        "delegation_request": "SELECT id FROM delegation_request WHERE tenant_id = $1 AND (person_id = $2 OR answered_by = $2)",
        # issue 12, part 4: the leader's cards on delegations to her (their texts may name her)
        "leader_card": """SELECT c.id FROM leader_card c
                          JOIN delegation d ON d.tenant_id = c.tenant_id AND d.id = c.delegation_id
                          WHERE c.tenant_id = $1 AND (c.decided_by = $2 OR d.delegate_person_id = $2)""",
    }
    for table, sql in queries.items():
        linked[table] = [r["id"] for r in await conn.fetch(sql, tenant_id, person_id)]
    return linked


async def text_columns(conn: Conn) -> dict[str, list[tuple[str, str]]]:
    """Every tenant table's free-text columns (text, text[], jsonb): table -> [(column, kind)].
    From the catalogue, so tables added later are covered too. Left out: the person table (the
    erased person's row is rewritten on its own; other people's identities are never touched), the
    history and the decision log (each has its own rule below) and bookkeeping columns."""
    found = await conn.fetch(
        """SELECT c.table_name, c.column_name, c.data_type, c.udt_name
           FROM information_schema.columns c JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
           WHERE c.table_schema = current_schema()
             AND c.table_name NOT IN ('person', 'history', 'decision_log', 'organisation', 'schema_migration')
             AND c.column_name NOT IN ('created_by', 'updated_by')
             AND (c.data_type IN ('text', 'jsonb', 'character varying') OR c.udt_name = '_text')
             AND EXISTS (SELECT 1 FROM information_schema.columns k WHERE k.table_schema = c.table_schema
                           AND k.table_name = c.table_name AND k.column_name = 'tenant_id')
           ORDER BY c.table_name, c.ordinal_position""")
    tables: dict[str, list[tuple[str, str]]] = {}
    for r in found:
        kind = "jsonb" if r["data_type"] == "jsonb" else "array" if r["udt_name"] == "_text" else "text"
        tables.setdefault(r["table_name"], []).append((r["column_name"], kind))
    return tables


_REDACT = {"text": "registry_redact_text", "array": "registry_redact_text_array", "jsonb": "registry_redact_jsonb"}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def redact_rows(conn: Conn, tenant_id: UUID, table: str, columns: list[tuple[str, str]], patterns: list[str],
                      replacements: list[str], *, ids: list[UUID] | None = None, prefilter: str | None = None) -> int:
    """Replace the patterns in the table's free-text columns, through ordinary UPDATEs (so versions,
    bookkeeping and history record the change); only rows that change; only `ids` when given.
    `prefilter`, a regular expression any changed row matches, spares the replacement functions on
    every other row of the tenant."""
    sets = [f"{_quote(c)} = {_REDACT[k]}({_quote(c)}, $2, $3)" for c, k in columns]
    changed = " OR ".join(f"{_REDACT[k]}({_quote(c)}, $2, $3) IS DISTINCT FROM {_quote(c)}" for c, k in columns)
    where, args = ["tenant_id = $1"], [tenant_id, patterns, replacements]
    if ids is not None:
        args.append(ids)
        where.append(f"id = ANY(${len(args)}::uuid[])")
    if prefilter is not None:
        args.append(prefilter)
        where.append("(" + " OR ".join(f"{_quote(c)}::text ~* ${len(args)}" for c, _ in columns) + ")")
    status = await conn.execute(
        f"UPDATE {_quote(table)} SET {', '.join(sets)} WHERE {' AND '.join(where)} AND ({changed})", *args)
    return int(status.split()[-1])


async def pseudonymise_decision_log(conn: Conn, tenant_id: UUID, person_id: UUID, old_external_ids: list[str],
                                    external_id: str) -> int:
    """Decisions logged about the person (resolved to her id, or asked by one of her external ids)
    name the pseudonym's external id instead. (No history: the log is not a tenant change.)"""
    if await conn.fetchval("SELECT to_regclass('decision_log')") is None:
        return 0
    status = await conn.execute(
        """UPDATE decision_log SET person = $3 WHERE tenant_id = $1
             AND (person_id = $2 OR (person_id IS NULL AND lower(person) = ANY($4::text[])))""",
        tenant_id, person_id, external_id, [e.lower() for e in old_external_ids])
    return int(status.split()[-1])


async def decision_log_about(conn: Conn, tenant_id: UUID, person_id: UUID, limit: int) -> list[dict] | None:
    """Logged check decisions about the person, oldest first; None when the registry keeps no log."""
    if await conn.fetchval("SELECT to_regclass('decision_log')") is None:
        return None
    found = await conn.fetch(
        """SELECT to_jsonb(d) - 'tenant_id' AS doc FROM decision_log d WHERE d.tenant_id = $1 AND d.person_id = $2
           ORDER BY d.id LIMIT $3""", tenant_id, person_id, limit)
    return [r["doc"] for r in found]


async def pseudonymise_history(conn: Conn, tenant_id: UUID, person_id: UUID, *, name: str, external_id: str,
                               linked: list[UUID], all_patterns: list[str], all_replacements: list[str],
                               patterns: list[str], replacements: list[str]) -> int:
    """Rewrite `before`/`after` of history entries (ids, actors, revisions, operations and times
    stay): the person's own entries get the pseudonym in name and external id and no e-mail; the
    entries of rows about her get every pattern replaced (full identifiers and name parts); every
    other entry of the tenant that holds a full identifier gets those replaced. Other people's own
    entries are never touched (a namesake keeps her name). Needs `registry.erasure` set."""
    await conn.execute("SELECT set_config('registry.erasure', $1, true)", str(tenant_id))
    own = await conn.execute(
        """UPDATE history SET
             before = registry_redact_jsonb(CASE WHEN before IS NULL THEN NULL ELSE before
                        || jsonb_build_object('name', $3::text, 'external_id', $4::text, 'email', NULL) END, $5, $6),
             after = registry_redact_jsonb(CASE WHEN after IS NULL THEN NULL ELSE after
                        || jsonb_build_object('name', $3::text, 'external_id', $4::text, 'email', NULL) END, $5, $6)
           WHERE tenant_id = $1 AND entity_type = 'person' AND entity_id = $2""",
        tenant_id, person_id, name, external_id, all_patterns, all_replacements)
    about = await conn.execute(
        """UPDATE history SET before = registry_redact_jsonb(before, $3, $4),
                              after = registry_redact_jsonb(after, $3, $4)
           WHERE tenant_id = $1 AND entity_id = ANY($2::uuid[]) AND entity_type <> 'person'
             AND (registry_redact_jsonb(before, $3, $4) IS DISTINCT FROM before
                  OR registry_redact_jsonb(after, $3, $4) IS DISTINCT FROM after)""",
        tenant_id, linked, all_patterns, all_replacements)
    rest = await conn.execute(
        """UPDATE history SET before = registry_redact_jsonb(before, $3, $4),
                              after = registry_redact_jsonb(after, $3, $4)
           WHERE tenant_id = $1 AND entity_type <> 'person' AND NOT (entity_id = ANY($2::uuid[]))
             AND (before::text ~* $5 OR after::text ~* $5)
             AND (registry_redact_jsonb(before, $3, $4) IS DISTINCT FROM before
                  OR registry_redact_jsonb(after, $3, $4) IS DISTINCT FROM after)""",
        tenant_id, linked, patterns, replacements, "|".join(f"(?:{p})" for p in patterns))
    await conn.execute("SELECT set_config('registry.erasure', '', true)")
    return sum(int(s.split()[-1]) for s in (own, about, rest))
