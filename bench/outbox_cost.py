"""What the outbox costs writes (issue 14): write throughput with the outbox on versus off, as a ratio
from one run.

The demo organisation in a throw-away embedded PostgreSQL (or --dsn); the write is the amend use case
(registry.services.delegations.amend: Mette changes her delegation's purpose, a new version, as the
web app and GraphQL do), which with the outbox on also writes `dk.registry.delegation.amended` (the
delegate's team members or person, and an insert) in the same transaction. Rounds alternate off and
on in short blocks (interleaved, so drift on a shared machine hits both alike); one writer at a time (an organisation's
writes queue on its revision row anyway).

    uv run python bench/outbox_cost.py [--writes 25] [--rounds 32] [--dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _common import banner, demo_as_mette, summary_ms


async def main(args) -> None:
    from registry.services import delegations as delegation_uc

    db, ctx, _dsn = await demo_as_mette(args.dsn)
    mette = ctx.principal
    try:
        async with db.read() as conn:
            row = await conn.fetchrow(
                """SELECT d.id, d.version FROM delegation d JOIN person p ON p.id = d.delegate_person_id
                    WHERE p.external_id = 'anna.jensen@eksempel.dk' AND d.delegator_id = $1 AND d.status = 'active'
                    ORDER BY d.id LIMIT 1""", mette.person.id)
        delegation_id, version = row["id"], row["version"]

        async def writes(n: int, outbox: bool) -> list[float]:
            nonlocal version
            db.outbox = outbox
            took = []
            for i in range(n):
                started = time.perf_counter()
                result = await delegation_uc.amend(ctx, delegation_id, version, {"purpose": f"Formål {version} {i}"})
                took.append(time.perf_counter() - started)
                version = result.value.version
            return took

        await writes(30, True)  # warm up (plans, pool, caches)
        await writes(30, False)
        timings: dict[bool, list[float]] = {False: [], True: []}
        rates: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for outbox in (False, True):
                took = await writes(args.writes, outbox)
                timings[outbox] += took
                rates[outbox].append(len(took) / sum(took))
        async with db.read() as conn:
            events = await conn.fetchval("SELECT count(*) FROM outbox_event WHERE type = 'dk.registry.delegation.amended'")
    finally:
        await db.close()

    off, on = (len(timings[k]) / sum(timings[k]) for k in (False, True))
    print(f"writes:    {args.rounds} rounds x {args.writes} amendments, outbox off and on interleaved "
          f"(one writer); {events} amended events in the outbox")
    print(f"off:       {off:7.1f} writes/s   latency {summary_ms(timings[False])}")
    print(f"on:        {on:7.1f} writes/s   latency {summary_ms(timings[True])}")
    ratios = sorted(b / a for a, b in zip(rates[False], rates[True]))
    print(f"ratio:     on/off = {on / off:.3f} (throughput over all writes); per round median "
          f"{statistics.median(ratios):.3f}, quartiles {ratios[len(ratios) // 4]:.3f}-{ratios[3 * len(ratios) // 4]:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=25, help="amendments per round and mode")
    parser.add_argument("--rounds", type=int, default=32)
    parser.add_argument("--dsn", help="an existing database (the demo organisation is loaded if missing)")
    args = parser.parse_args()
    banner("outbox cost: write throughput with the outbox on and off")
    started = time.perf_counter()
    asyncio.run(main(args))
    print(f"wall:      {time.perf_counter() - started:.1f} s")
