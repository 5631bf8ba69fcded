"""Long fuzzing run: schemathesis against the REST API's OpenAPI document and the GraphQL schema.

    uv run python bench/fuzz.py [--dsn <dsn>] [--cases 7000] [--graphql-share 0.5] [--seed 5] [--show 20]

The same fuzzing as tests/integration/test_fuzzing.py (tests/fuzzing.py), for longer. Loads the demo
organisation into a fresh database (an embedded PostgreSQL under /tmp without --dsn; with --dsn, a new
database on that server, dropped afterwards), serves the app in this process (schemathesis' ASGI
transport, rate limits off) and sends about --cases generated requests in all (operations that take no
input are sent once), every one with valid credentials: an API key with every scope for the REST
operations (half the cases positive, half negative, some of those about the credentials themselves),
the administrator's JWT for GraphQL. Prints cases per operation, status codes, 5xx, failures by check
and the unexpected exceptions the app logged; exits 1 on any of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections import Counter

import _common
from _common import banner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", help="a PostgreSQL server to create the fuzzing database on")
    parser.add_argument("--cases", type=int, default=7000, help="about this many cases in total")
    parser.add_argument("--graphql-share", type=float, default=0.5, help="the share of cases sent to GraphQL")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--show", type=int, default=20, help="print at most this many failures")
    args = parser.parse_args()
    banner("fuzzing: schemathesis against OpenAPI (REST) and the GraphQL schema")

    from registry.app import create_app
    from registry.demo import DEMO_TENANT
    from tests import fuzzing

    if args.dsn:
        server_dsn = args.dsn
    else:
        _server, server_dsn, _folder = _common.embedded_dsn()
    started = time.perf_counter()
    busy, cpu = _common.machine_busy(), time.process_time()
    dsn, name = asyncio.run(_database(server_dsn))
    data_dir = tempfile.TemporaryDirectory(prefix="registry-fuzz-", dir="/tmp")  # removed at exit
    settings = fuzzing.app_settings(dsn, secrets.token_urlsafe(32), data_dir.name)
    person, system, known = asyncio.run(_credentials(dsn, settings))
    print(f"database {name} (migrated, demo organisation loaded) ready in {time.perf_counter() - started:.1f} s")
    app = create_app(settings)
    try:
        rest_ops, gql_ops = fuzzing.operation_counts(app, person)
        rest_cases = round(args.cases * (1 - args.graphql_share))
        per_rest = max(2, rest_cases // rest_ops)
        per_gql = max(1, (args.cases - rest_cases) // gql_ops)
        print(f"REST: {rest_ops} operations x {per_rest} cases (half positive, half negative), API key with "
              f"every scope; GraphQL: {gql_ops} fields x {per_gql} cases, the administrator's JWT; seed {args.seed}")
        sys.stdout.flush()
        rest = fuzzing.fuzz_rest(app, examples=per_rest, seed=args.seed, headers=system, tenant=DEMO_TENANT,
                                  known=known)
        gql = fuzzing.fuzz_graphql(app, examples=per_gql, seed=args.seed, headers=person, known=known)
    finally:
        fuzzing.stop_apps()
        asyncio.run(_drop(server_dsn, name))
    load = _common.other_load(busy, time.process_time() - cpu)
    total = fuzzing.Tally()
    total.merge(rest)
    total.merge(gql)
    for name, tally in (("REST (OpenAPI)", rest), ("GraphQL", gql)):
        print(f"\n== {name}: {tally.total} cases in {tally.seconds:.1f} s "
              f"({tally.total / max(tally.seconds, 1e-9):.0f} cases/s)")
        width = max(len(op) for op in tally.cases)
        for op, n in sorted(tally.cases.items()):
            codes = " ".join(f"{s}:{c}" for s, c in sorted(tally.per_operation_status.get(op, {}).items()))
            print(f"  {op:<{width}}  {n:>5}  {codes}")
        print(f"  status codes: {dict(sorted(tally.statuses.items()))}")
        print(f"  error codes in the answers: {dict(tally.codes.most_common())}")
        print(f"  5xx: {tally.server_errors}; failures by check: {dict(tally.failures_by_check()) or 'none'}; "
              f"unexpected exceptions logged: {len(tally.logged)}")
    print(f"\n== total: {total.total} cases in {total.seconds:.1f} s; status codes "
          f"{dict(sorted(total.statuses.items()))}; 5xx: {total.server_errors}; failures: {len(total.failures)} "
          f"{dict(total.failures_by_check()) or ''}; unexpected exceptions logged: {len(total.logged)}")
    print(f"wall clock {time.perf_counter() - started:.1f} s (with setup); {load}")
    shown = Counter()
    for f in total.failures:
        key = (f.operation, f.check, f.message[:80])
        shown[key] += 1
        if shown[key] == 1 and sum(1 for v in shown.values() if v) <= args.show:
            print(f"\nFAILURE {f}")
    for line in sorted(set(total.logged))[:args.show]:
        print(f"\nLOGGED {line}")
    return 1 if total.server_errors or total.logged or total.failures else 0


async def _database(server_dsn: str) -> tuple[str, str]:
    """A new database on the server, migrated, with the demo organisation."""
    import asyncpg

    from registry.demo import load_demo
    from registry.storage.db import Db
    from registry.storage.migrate import migrate
    from tests.conftest import with_database

    name = f"fuzz_{os.getpid()}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    dsn = with_database(server_dsn, name)
    await migrate(dsn)
    db = await Db.connect(dsn)
    try:
        await load_demo(db)
    finally:
        await db.close()
    return dsn, name


async def _credentials(dsn: str, settings):
    """The administrator's JWT, an API key with every scope, and the organisation's ids and keys."""
    from registry.demo import DEMO_TENANT
    from registry.storage.db import Db
    from tests import fuzzing

    db = await Db.connect(dsn)
    try:
        return (*await fuzzing.credentials(db, settings), await fuzzing.known_values(db, DEMO_TENANT))
    finally:
        await db.close()


async def _drop(server_dsn: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


if __name__ == "__main__":
    sys.exit(main())
