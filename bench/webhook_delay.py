"""The delay from a revocation to its webhook (issue 14, part 2): from the revoke use case's commit to the
signed delivery arriving at a receiver on 127.0.0.1 (registry.webhook_receiver, which verifies each
signature with the standardwebhooks library), p50 and p99.

The demo organisation in a throw-away embedded PostgreSQL (or --dsn), one subscription to
`delegation.revoked`, and the delivery loop (registry.services.webhooks.Deliverer) as `registry serve`
runs it: woken by the change feed (every commit announces itself on `registry_changes`) and polling
every --every seconds besides (REGISTRY_WEBHOOK_EVERY_SECONDS, default 1.0; --poll-only: no wake-up). Each round Mette
declares a delegation to Fatima and revokes it; the clock starts when revoke returns (committed) and
stops when the receiver has the delivery. One revocation at a time.

    uv run python bench/webhook_delay.py [--revocations 200] [--every 1.0] [--poll-only] [--dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import banner, demo_as_mette, summary_ms


async def main(args) -> None:
    from registry.services import delegations as delegation_uc
    from registry.services import webhooks as webhook_uc
    from registry.services.common import utcnow
    from registry.webhook_receiver import Receiver

    db, ctx, dsn = await demo_as_mette(args.dsn, max_size=6)
    mette = ctx.principal
    receiver = Receiver().start()
    try:
        async with db.read() as conn:
            fatima = await conn.fetchval("SELECT id FROM person WHERE external_id = 'fatima.ali@eksempel.dk'")
            unit = await conn.fetchval("SELECT id FROM org_unit WHERE name = 'Plejecenter Solhaven'")
            area = await conn.fetchval("SELECT id FROM decision_area WHERE key = 'care/relatives'")
        _, receiver.secret = await webhook_uc.subscribe_as_cli(db, mette.tenant_id, receiver.url,
                                                                ["delegation.revoked"], utcnow())
        deliverer = webhook_uc.Deliverer(db, clock=utcnow, every=args.every, dsn=None if args.poll_only else dsn)
        loop = asyncio.create_task(deliverer.run())
        delays = []
        try:
            for n in range(args.revocations + 5):  # the first five warm up
                declared = await delegation_uc.declare(ctx, delegation_uc.DeclareInput(
                    delegate_person_id=fatima, area_id=area, unit_id=unit, include_subunits=False, level=4,
                    purpose=f"Måling {n}"))
                d = declared.value
                await delegation_uc.revoke(ctx, d.id, d.version, "Måling")
                committed = time.monotonic()
                deadline = committed + 30
                while not any(r.event["subject"] == str(d.id) for r in receiver.delivered()[-3:]):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"revocation {n}: no delivery in 30 s")
                    await asyncio.sleep(0.002)
                arrived = next(r.at for r in reversed(receiver.delivered()) if r.event["subject"] == str(d.id))
                if n >= 5:
                    delays.append(arrived - committed)
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
        assert all(r.verified for r in receiver.received)
        how = "polling only" if args.poll_only else "woken by the change feed"
        print(f"revocation -> webhook at the receiver ({how}, poll every {args.every} s): {summary_ms(delays)}")
    finally:
        receiver.stop()
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--revocations", type=int, default=200)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--dsn")
    parser.add_argument("--poll-only", action="store_true", help="no change-feed wake-up (as without a DSN)")
    args = parser.parse_args()
    banner(f"webhook delay: {args.revocations} revocations, poll every {args.every} s")
    asyncio.run(main(args))
