"""The CSV sync at Copenhagen's size (issue 13): a first import of 650 units and 45,000 people, then a
sync where 1% of the people change (leave, join, move unit), and a third run with nothing to do.

    uv run python bench/sync_csv.py [--dsn <dsn>] [--people 45000] [--units 650] [--change 0.01] [--seed 1]
                                    [--batch-size 2000] [--no-second-server] [--rate 200]

Meanwhile a second server (uvicorn, `serve_app:app`, following the change feed as every server
does) answers AuthZEN checks from a separate load process, one at a time at `--rate` per second (a
leader in her unit, allowed, and an employee, denied, in turn); for each phase (before, during each
run) the checks' count, p50, p99 and max latency as the caller sees it, and how many answered
`stale` or failed. The same load before the sync is the baseline the phases compare with.

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


def check_load(port: int, key: str, checks: list[dict], rate: float, phases, results) -> None:
    """The load process: AuthZEN checks one at a time at `rate` per second on one keep-alive
    connection, latencies kept per phase (the phase's name comes on `phases`; None ends the load)."""
    import queue

    import httpx

    async def main():
        phase, found, i = None, {}, 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key},
                                     timeout=30) as client:
            next_at = time.perf_counter()
            while True:
                try:
                    got = phases.get_nowait()
                    if got is None:
                        break
                    phase = got
                    found.setdefault(phase, {"ms": [], "stale": 0, "failed": 0, "allowed": 0})
                except queue.Empty:
                    pass
                if phase is None:
                    await asyncio.sleep(0.01)
                    next_at = time.perf_counter()
                    continue
                body = checks[i % len(checks)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await client.post("/access/v1/evaluation", json=body)
                    answer = response.json()
                    reason = (answer.get("context") or {}).get("reason")
                    if response.status_code != 200:
                        found[phase]["failed"] += 1
                    elif reason == "stale":
                        found[phase]["stale"] += 1
                    elif answer.get("decision"):
                        found[phase]["allowed"] += 1
                except Exception:
                    found[phase]["failed"] += 1
                found[phase]["ms"].append((time.perf_counter() - started) * 1000)
                next_at += 1 / rate
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        results.put(found)
    asyncio.run(main())


def _latency(title: str, got: dict) -> str:
    ms = sorted(got["ms"])
    if not ms:
        return f"  {title}: no checks"
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return (f"  checks on the second server {title}: {len(ms)} answered, p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, "
            f"max {ms[-1]:.1f} ms, stale {got['stale']}, failed {got['failed']}, allowed {got['allowed']}")


async def run(dsn: str, args) -> None:
    import multiprocessing

    from registry.auth import platform_principal
    from registry.domain.sync import parse
    from registry.services import org as org_uc
    from registry.services import organisations as organisation_uc
    from registry.services import sync as sync_uc
    from registry.services.common import Ctx
    from registry.storage.db import Db, query_counter
    from registry.storage.migrate import migrate

    await migrate(dsn)
    db = await Db.connect(dsn, min_size=1, max_size=4)
    server = load = None
    try:
        tenant = await organisation_uc.create_organisation(Ctx(db=db, principal=platform_principal()), key=TENANT,
                                                           name="Synk Kommune")
        units_csv, staff = generate(args.units, args.people, args.seed)
        second = changed(staff, units_csv, args.change, args.seed)
        if not args.no_second_server:
            import tempfile

            from http_throughput import create_api_key, start_server, stop_server, wait_ready
            from registry.auth import Principal
            admin = Principal(tenant_id=tenant.value[0].id, tenant_key=TENANT, api_key_name="bench",
                              scopes=frozenset({"admin"}))
            await org_uc.create_area(Ctx(db=db, principal=admin), key="purchase", name_da="Indkøb",
                                     name_en="Purchase")
            key = await create_api_key(dsn, TENANT)
            folder = tempfile.mkdtemp(prefix="registry-bench-sync-")
            server, port = start_server(dsn, "bench-secret-" + "x" * 24, folder, "second")
            await wait_ready(port, server)
            checks = []
            for i in range(0, len(staff), max(1, len(staff) // 400)):
                person, unit = staff[i][0], staff[i][3]
                checks.append({"subject": {"type": "person", "id": person}, "action": {"name": "decide"},
                               "resource": {"type": "decision", "id": "purchase",
                                            "properties": {"unit": unit}}})
            ctx = multiprocessing.get_context("spawn")
            phases, results = ctx.Queue(), ctx.Queue()
            load = ctx.Process(target=check_load, args=(port, key, checks, args.rate, phases, results), daemon=True)
            load.start()
            phases.put("before the sync (baseline)")
            await asyncio.sleep(args.baseline)
        for title, people in (("first import", staff), (f"{args.change:.0%} change", second),
                              ("again, nothing to do", second)):
            if load is not None:
                phases.put(f"during the {title}")
            started = time.perf_counter()
            source = parse(units_csv, people_csv(people))
            parsed = time.perf_counter() - started
            counter = [0]
            token = query_counter.set(counter)
            try:
                report = await sync_uc.run(db, TENANT, source, apply=True, batch_size=args.batch_size)
            finally:
                query_counter.reset(token)
            wall = time.perf_counter() - started
            counts = {k: v for k, v in report.plan.counts().items() if v}
            effects = len(report.effects)
            print(f"{title}: {wall:.1f} s wall (parse {parsed:.2f} s), {report.batches} transactions, "
                  f"{counter[0]} statements, {counts}, {effects} delegation effects, "
                  f"peak RSS {memory_mb().get('VmHWM', float('nan')):.0f} MB")
            sys.stdout.flush()
        if load is not None:
            phases.put("after the sync")
            await asyncio.sleep(args.baseline)
            phases.put(None)
            found = results.get(timeout=60)
            for title, got in found.items():
                print(_latency(title, got))
            rss = _rss_mb(server.pid)
            print(f"  the second server's resident memory at the end: {rss:.0f} MB")
    finally:
        if load is not None and load.is_alive():
            load.terminate()
        if server is not None:
            stop_server(server)
        await db.close()


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description="the CSV sync at Copenhagen's size")
    parser.add_argument("--dsn")
    parser.add_argument("--people", type=int, default=45000)
    parser.add_argument("--units", type=int, default=650)
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2000, help="steps per transaction (0: one)")
    parser.add_argument("--no-second-server", action="store_true", help="leave out the checks on a second server")
    parser.add_argument("--rate", type=float, default=200.0, help="checks per second on the second server")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds of checks before and after")
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
