"""Use cases for red lines (røde linjer): hard limits that bind a unit's subtree and an area's sub-areas."""

from __future__ import annotations

from uuid import UUID

from registry.domain import rules
from registry.domain.model import SET_BY, RedLine
from registry.errors import Invalid
from registry.services import events
from registry.services.common import Ctx, Facts, Result, authority, check_text, load_facts, relations_to_unit, require
from registry.storage import redlines as red_line_sql
from registry.storage import rows


def _compile(condition: str | None, area_id: UUID, facts: Facts) -> str | None:
    """Parse and type-check against the area's declared attributes; store the canonical text."""
    return None if condition is None else facts.compile_condition(condition, area_id)


def _check_frame(why: str | None, review_date) -> None:
    """Why the line is there, and when to take it up again (the frame explained and cleaned up)."""
    check_text(why, "why", max_len=2000, required=False)
    rules.check_dates(reviewDate=review_date)


async def create_red_line(ctx: Ctx, *, unit_id: UUID, area_id: UUID, condition: str | None, consequence: str,
                          set_by: str, why: str = "", review_date=None) -> Result:
    check_text(consequence, "consequence", max_len=2000)
    _check_frame(why, review_date)
    if set_by not in SET_BY:
        raise Invalid(f"setBy must be one of {', '.join(SET_BY)}", field="setBy", code="invalid_choice")
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        facts.unit(unit_id)
        facts.area(area_id)
        canonical = _compile(condition, area_id, facts)
        held = await authority(tx.conn, ctx, facts)
        require(ctx, "createRedLine", relations_to_unit(held, unit_id, facts.unit_tree), code="red_line_set_above",
                field="unitId", message="red lines are set by the leader chain of the unit (or an administrator)")
        rules.check_red_line_authority(unit_id, set_by, led_units=set(held), is_admin=ctx.principal.is_admin,
                                       unit_tree=facts.unit_tree, units=facts.units)
        red_line = await rows.insert(tx, "red_line", RedLine, dict(
            unit_id=unit_id, area_id=area_id, condition=canonical, consequence=consequence, set_by=set_by,
            why=(why or "").strip(), review_date=review_date))
        await events.red_line(tx, "set", red_line, ctx.now())
        return Result(red_line, tx.revision)


async def update_red_line(ctx: Ctx, red_line_id: UUID, version: int, changes: dict) -> Result:
    """Changing a red line needs authority where it was set, so one set above cannot be weakened."""
    if "consequence" in changes:
        check_text(changes["consequence"], "consequence", max_len=2000)
    if "why" in changes:
        changes = {**changes, "why": (changes["why"] or "").strip()}
    _check_frame(changes.get("why"), changes.get("review_date"))
    if "set_by" in changes and changes["set_by"] not in SET_BY:
        raise Invalid(f"setBy must be one of {', '.join(SET_BY)}", field="setBy", code="invalid_choice")
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        current = await rows.get(tx.conn, "red_line", RedLine, ctx.tenant_id, red_line_id, for_update=True)
        led = _require_at(ctx, "updateRedLine", current, await authority(tx.conn, ctx, facts), facts)
        rules.check_red_line_authority(current.unit_id, current.set_by, led_units=led,
                                       is_admin=ctx.principal.is_admin, unit_tree=facts.unit_tree, units=facts.units)
        unit_id = changes.get("unit_id", current.unit_id)
        area_id = changes.get("area_id", current.area_id)
        facts.unit(unit_id)
        facts.area(area_id)
        # Moving it, or re-labelling who set it, needs the same authority at the destination.
        rules.check_red_line_authority(unit_id, changes.get("set_by", current.set_by), led_units=led,
                                       is_admin=ctx.principal.is_admin, unit_tree=facts.unit_tree, units=facts.units)
        if "condition" in changes or "area_id" in changes:
            changes = {**changes, "condition": _compile(changes.get("condition", current.condition), area_id, facts)}
        red_line = await rows.update(tx, "red_line", RedLine, red_line_id, version, changes)
        await events.red_line(tx, "changed", red_line, ctx.now())
        return Result(red_line, tx.revision)


async def archive_red_line(ctx: Ctx, red_line_id: UUID, version: int) -> Result:
    async with ctx.write() as tx:
        facts = await load_facts(tx.conn, ctx.tenant_id)
        current = await rows.get(tx.conn, "red_line", RedLine, ctx.tenant_id, red_line_id, for_update=True)
        led = _require_at(ctx, "archiveRedLine", current, await authority(tx.conn, ctx, facts), facts)
        rules.check_red_line_authority(current.unit_id, current.set_by, led_units=led,
                                       is_admin=ctx.principal.is_admin, unit_tree=facts.unit_tree, units=facts.units)
        red_line = await rows.update(tx, "red_line", RedLine, red_line_id, version, {"archived_at": ctx.now()})
        await events.red_line(tx, "ended", red_line, ctx.now())
        return Result(red_line, tx.revision)


def _require_at(ctx: Ctx, op: str, line: RedLine, held: dict, facts: Facts) -> set[UUID]:
    """Changing a red line takes the policy's say-so at the unit where it was set."""
    require(ctx, op, relations_to_unit(held, line.unit_id, facts.unit_tree), code="red_line_set_above",
            field="unit", message="this red line is set above your units; you cannot change or remove it")
    return set(held)


async def in_force(ctx: Ctx, unit_id: UUID, area_id: UUID | None) -> list[RedLine]:
    """Red lines binding a unit (set there or above) for an area (set on it or an ancestor area)."""
    async with ctx.db.read() as conn:
        facts = await load_facts(conn, ctx.tenant_id)
        facts.unit(unit_id)
        unit_chain = set(facts.unit_tree.ancestors(unit_id))
        if area_id is not None:
            facts.area(area_id)
            area_chain = set(facts.area_tree.ancestors(area_id))
        lines = await red_line_sql.all_red_lines(conn, ctx.tenant_id)
    return [r for r in lines if r.unit_id in unit_chain and (area_id is None or r.area_id in area_chain)]
