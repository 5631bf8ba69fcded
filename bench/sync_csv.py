"""The CSV sync at Copenhagen's size (issue 13): a first import of 650 units and 45,000 people, then a
sync where 1% of the people change (leave, join, move unit), and a third run with nothing to do.

    uv run python bench/sync_csv.py [--dsn <dsn>] [--people 45000] [--units 650] [--change 0.01] [--seed 1]

Without --dsn a throw-away embedded PostgreSQL is started under /tmp. The organisation `synk` is
created (or, with --dsn, archived-and-recreated is NOT done: use a fresh database). Prints wall time
of each run (the plan and the write, through `registry.services.sync.run`, as `registry sync --apply`
does), the statements' counts per run, and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import banner, embedded_dsn, memory_mb  # noqa: E402

TENANT = "synk"


def generate(units: int, people: int, seed: int) -> tuple[str, list[list[str]]]:
    """A unit tree (direktion > forvaltninger > centre > units) and people spread over it, one leader
    per unit."""
    rng = random.Random(seed)
    rows = [["U0", "", "Direktionen", "direktion"]]
    forvaltninger = [f"U{i}" for i in range(1, 8)]
    rows += [[u, "U0", f"Forvaltning {u}", "forvaltning"] for u in forvaltninger]
    centres = []
    while len(rows) < units // 5:
        u = f"U{len(rows)}"
        centres.append(u)
        rows.append([u, rng.choice(forvaltninger), f"Center {u}", "center"])
    while len(rows) < units:
        u = f"U{len(rows)}"
        rows.append([u, rng.choice(centres), f"Enhed {u}", "unit"])
    unit_ids = [r[0] for r in rows]
    staff = []
    for i in range(people):
        unit = unit_ids[i] if i < len(unit_ids) else rng.choice(unit_ids[len(forvaltninger) + 1:])
        start = f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-01"
        staff.append([f"p{i}@synk.dk", f"Person {i}", f"p{i}@synk.dk", unit, "ja" if i < len(unit_ids) else "nej",
                      start, ""])
    units_csv = "id,parent_id,name,kind\n" + "".join(",".join(r) + "\n" for r in rows)
    return units_csv, staff


def people_csv(staff: list[list[str]]) -> str:
    return "external_id,name,email,unit_id,leader,start_date,end_date\n" + "".join(",".join(r) + "\n" for r in staff)


def changed(staff: list[list[str]], units_csv: str, share: float, seed: int) -> list[list[str]]:
    """`share` of the people change: a third leave, a third move unit, a third are new."""
    rng = random.Random(seed + 1)
    unit_ids = [line.split(",")[0] for line in units_csv.splitlines()[9:]]
    n = int(len(staff) * share)
    leaders = sum(1 for r in staff if r[4] == "ja")
    employees = list(range(leaders, len(staff)))
    picked = rng.sample(employees, 2 * (n // 3))
    leaving, moving = set(picked[: n // 3]), set(picked[n // 3:])
    after = []
    for i, row in enumerate(staff):
        if i in leaving:
            continue
        if i in moving:
            row = [*row[:3], rng.choice([u for u in unit_ids if u != row[3]]), *row[4:]]
        after.append(row)
    for j in range(n - 2 * (n // 3)):
        k = len(staff) + j
        after.append([f"p{k}@synk.dk", f"Ny {k}", f"p{k}@synk.dk", rng.choice(unit_ids), "nej", "2026-11-01", ""])
    return after


async def run(dsn: str, args) -> None:
    from registry.auth import platform_principal
    from registry.domain.sync import parse
    from registry.services import organisations as organisation_uc
    from registry.services import sync as sync_uc
    from registry.services.common import Ctx
    from registry.storage.db import Db, query_counter
    from registry.storage.migrate import migrate

    await migrate(dsn)
    db = await Db.connect(dsn, min_size=1, max_size=4)
    try:
        await organisation_uc.create_organisation(Ctx(db=db, principal=platform_principal()), key=TENANT,
                                                  name="Synk Kommune")
        units_csv, staff = generate(args.units, args.people, args.seed)
        second = changed(staff, units_csv, args.change, args.seed)
        for title, people in (("first import", staff), (f"{args.change:.0%} change", second),
                              ("again, nothing to do", second)):
            started = time.perf_counter()
            source = parse(units_csv, people_csv(people))
            parsed = time.perf_counter() - started
            counter = [0]
            token = query_counter.set(counter)
            try:
                report = await sync_uc.run(db, TENANT, source, apply=True)
            finally:
                query_counter.reset(token)
            wall = time.perf_counter() - started
            counts = {k: v for k, v in report.plan.counts().items() if v}
            effects = len(report.effects)
            print(f"{title}: {wall:.1f} s wall (parse {parsed:.2f} s), {counter[0]} statements, {counts}, "
                  f"{effects} delegation effects, peak RSS {memory_mb().get('VmHWM', float('nan')):.0f} MB")
            sys.stdout.flush()
    finally:
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="the CSV sync at Copenhagen's size")
    parser.add_argument("--dsn")
    parser.add_argument("--people", type=int, default=45000)
    parser.add_argument("--units", type=int, default=650)
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    banner("CSV sync (registry sync --source csv --apply)")
    started = time.perf_counter()
    if args.dsn:
        asyncio.run(run(args.dsn, args))
    else:
        _server, dsn, _folder = embedded_dsn()
        asyncio.run(run(dsn, args))
    print(f"total wall: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
