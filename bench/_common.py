"""Shared bits for the benchmark scripts: machine info, an embedded PostgreSQL, percentiles, memory."""

from __future__ import annotations

import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def banner(title: str) -> None:
    print(f"== {title}")
    print(f"command:   {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"cwd:       {os.getcwd()}")
    print(f"platform:  {platform.platform()}")
    print(f"cpu:       {os.cpu_count()} CPUs ({_cpu_model()})")
    print(f"python:    {platform.python_implementation()} {platform.python_version()}")
    print(f"started:   {time.strftime('%Y-%m-%d %H:%M:%S %z')}")
    print(f"code:      {_git()}")
    print(f"load avg:  {load_average()} (1, 5, 15 min; other work on the machine skews every figure)")
    sys.stdout.flush()


def _git() -> str:
    """The commit measured, and which tracked files differ from it (others may be editing)."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        changed = [line[3:] for line in dirty if line.strip()]
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"commit {head}" + (f", uncommitted changes in {', '.join(changed)}" if changed else ", clean")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def embedded_dsn() -> tuple[object, str, str]:
    """Start a throw-away embedded PostgreSQL in a fresh folder under /tmp (never under /root)."""
    from registry.storage.embedded import start_embedded

    import atexit

    folder = tempfile.mkdtemp(prefix="registry-bench-", dir="/tmp")
    # registered before the server's own exit hook, so it runs after it (the data is gone by then)
    atexit.register(lambda: os.path.isdir(folder) and not os.listdir(folder) and os.rmdir(folder))
    started = time.perf_counter()
    server, dsn = start_embedded(folder, cleanup="delete")
    print(f"embedded PostgreSQL in {folder} started in {time.perf_counter() - started:.1f} s")
    return server, dsn, folder


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank of an unsorted list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summary_us(values_s: list[float]) -> str:
    """p50/p90/p99/p99.9/max of durations given in seconds, printed in microseconds."""
    if not values_s:
        return "n=0"
    ordered = sorted(values_s)

    def q(p):
        return ordered[max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))] * 1e6
    return (f"n={len(ordered)} p50={q(50):.1f} µs p90={q(90):.1f} µs p99={q(99):.1f} µs "
            f"p99.9={q(99.9):.1f} µs max={ordered[-1] * 1e6:.1f} µs mean={sum(ordered) / len(ordered) * 1e6:.1f} µs")


def summary_ms(values_s: list[float]) -> str:
    if not values_s:
        return "n=0"
    ordered = sorted(values_s)

    def q(p):
        return ordered[max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))] * 1e3
    return (f"n={len(ordered)} p50={q(50):.2f} ms p90={q(90):.2f} ms p99={q(99):.2f} ms max={ordered[-1] * 1e3:.2f} ms"
            f" mean={sum(ordered) / len(ordered) * 1e3:.2f} ms")


def memory_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process, in MB."""
    found = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                found[name] = int(value.split()[0]) / 1024
    except OSError:
        import resource

        found["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds summed over all CPUs, monotonic time) from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        values = [int(v) for v in fields]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        busy = (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        busy = float("nan")
    return busy, time.monotonic()


def other_load(start: tuple[float, float], own_cpu_s: float) -> str:
    """How busy the machine was since `start` beyond `own_cpu_s` (the CPU the benchmark itself used):
    other processes (tests, builds) make every figure slower."""
    busy, now = machine_busy()
    wall = now - start[1]
    other = max(0.0, busy - start[0] - own_cpu_s)
    return f"machine busy {(busy - start[0]) / wall * 100:.0f}% of a core, of which other processes {other / wall * 100:.0f}%"


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


async def demo_as_mette(dsn: str | None, max_size: int = 4):
    """A migrated database with the demo organisation (a throw-away embedded one without `dsn`), and
    Mette Sørensen (the demo's leader of Plejecenter Solhaven) as the caller: (db, Ctx, dsn)."""
    from registry.auth import person_principal
    from registry.demo import DEMO_TENANT, demo_exists, load_demo
    from registry.services.common import Ctx
    from registry.storage.db import Db
    from registry.storage.migrate import migrate

    if dsn is None:
        _server, dsn, _folder = embedded_dsn()
    await migrate(dsn)
    db = await Db.connect(dsn, min_size=1, max_size=max_size)
    if not await demo_exists(db):
        await load_demo(db)
    return db, Ctx(db=db, principal=await person_principal(db, DEMO_TENANT, "mette.sorensen@eksempel.dk")), dsn
