"""The life of `registry serve`: however it is stopped (Ctrl-C, SIGTERM, SIGHUP, an error at start-up,
SIGKILL), it stops the embedded PostgreSQL it started.

Python runs no exit handlers when a signal's default action ends the process, and uvicorn, after its
graceful shutdown on SIGINT or SIGTERM, raises the signal again. So while `serve` runs, SIGTERM raises
SystemExit (as SIGINT raises KeyboardInterrupt) and SIGHUP is turned into SIGTERM, and the database is
stopped in a `finally`. For the ends that run nothing (SIGKILL), a watchdog process stops it.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator

import msgspec

from registry.settings import Settings

# Signals that end `serve`; SIGHUP (the terminal closed) does not exist on Windows.
_ENDING = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def _exit(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


def _as_sigterm(_signum: int, _frame) -> None:
    # While uvicorn serves, its own SIGTERM handler shuts down gracefully; otherwise `_exit` runs.
    signal.raise_signal(signal.SIGTERM)


@contextlib.contextmanager
def signals_end_the_process() -> Iterator[None]:
    """SIGTERM and SIGHUP end the process by an exception, so that every `finally` runs."""
    handlers = {signal.SIGTERM: _exit}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = _as_sigterm
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Hold ending signals back while the embedded server starts: an exception in the middle of
    `pg_ctl start` would leave a server that no one knows to stop. The caller raises them after."""
    pending: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: pending.append(signum)) for sig in _ENDING}
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def embedded_database(settings: Settings) -> Iterator[Settings]:
    """The settings with the database URL to use: the configured one, or that of the embedded
    PostgreSQL started here in the data directory, which is stopped when the block is left, however."""
    if settings.database_url:
        yield settings
        return
    from registry.storage.embedded import start_embedded, stop_embedded, watch

    with _signals_deferred() as pending:
        server, dsn = start_embedded(settings.data_dir)
        watchdog = watch(server)  # for the ends that run no `finally`: SIGKILL, the out-of-memory killer
    try:
        for signum in pending:
            signal.raise_signal(signum)
        yield msgspec.structs.replace(settings, database_url=dsn)
    finally:
        try:
            stop_embedded(server)
        finally:
            watchdog.stdin.close()
            try:
                watchdog.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - it has nothing left to do
                pass
