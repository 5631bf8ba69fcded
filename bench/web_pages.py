"""How fast the web app's pages answer: one registry server (uvicorn, 127.0.0.1 only) on the demo
organisation, people signed in through the development login, each page fetched --rounds times one
after another (a person clicking, not a load test), server-side rendering included.

    uv run python bench/web_pages.py [--dsn <dsn>] [--rounds 200]

Prints p50/p90/p99 per page and the server's resident memory afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import _common
from _common import banner, embedded_dsn, summary_ms

sys.path.insert(0, str(Path(__file__).parent))
from http_throughput import start_server, stop_server, wait_ready  # noqa: E402

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
PAGES = {  # who, path
    "Mit mandat (Anna)": ("anna.jensen@eksempel.dk", "/mit-mandat"),
    "Mit mandat, udskrift (Anna)": ("anna.jensen@eksempel.dk", "/mit-mandat/print"),
    "Mine handlinger (Anna)": ("anna.jensen@eksempel.dk", "/handlinger"),
    "Delegeringstavle (Mette)": ("mette.sorensen@eksempel.dk", "/tavle"),
    "Opfølgning (Mette)": ("mette.sorensen@eksempel.dk", "/opfoelgning"),
    "Røde linjer (Mette)": ("mette.sorensen@eksempel.dk", None),  # the board's link, found below
    "Hvem kan beslutte? (Anna)": ("anna.jensen@eksempel.dk",
                                  "/hvem-kan-beslutte?omraade=personnel/time-registration"),
}


async def signed_in(base: str, person: str):
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=30)
    token = TOKEN.search((await client.get("/log-ind")).text).group(1)
    answer = await client.post("/log-ind/udvikling", data={"csrf": token, "tenant": "eksempel", "person": person})
    assert answer.status_code == 303, answer.text[:300]
    return client


async def measure(base: str, rounds: int) -> None:
    clients = {}
    for name, (person, path) in PAGES.items():
        client = clients.get(person) or await signed_in(base, person)
        clients[person] = client
        if path is None:
            board = (await client.get("/tavle")).text
            path = re.search(r'href="(/roede-linjer\?enhed=[^"]+)"', board).group(1)
        first = await client.get(path)
        assert first.status_code == 200, (name, first.status_code)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
        print(f"{name:32s} {len(first.content) / 1024:6.1f} KB  {summary_ms(times)}")
    for client in clients.values():
        await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    banner("web pages: sequential GETs by signed-in people, demo organisation")
    dsn = args.dsn
    if dsn is None:
        _server, dsn, _folder = embedded_dsn()
    data_dir = tempfile.mkdtemp(prefix="registry-bench-web-", dir="/tmp")
    asyncio.run(_load_demo(dsn))
    # One person clicking as fast as the loop can would meet the person rate limit (50/s): off here.
    os.environ["REGISTRY_RATE_LIMIT_PERSON"] = "0"
    proc, port = start_server(dsn, "bench-secret-" + "x" * 32, data_dir, "web")
    try:
        asyncio.run(wait_ready(port, proc))
        asyncio.run(measure(f"http://127.0.0.1:{port}", args.rounds))
        rss = _rss(proc.pid)
        print(f"server resident memory after the run: {rss:.0f} MB")
    finally:
        stop_server(proc)
    return 0


async def _load_demo(dsn: str) -> None:
    from registry.demo import load_demo
    from registry.storage.db import Db
    from registry.storage.migrate import migrate

    await migrate(dsn)
    db = await Db.connect(dsn, min_size=1, max_size=2)
    try:
        await load_demo(db)
    finally:
        await db.close()


def _rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    _common  # noqa: B018 (imported for sys.path)
    raise SystemExit(main())
