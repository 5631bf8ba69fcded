"""A small webhook receiver on this machine, for development and tests: it verifies each delivery's
Standard Webhooks signature with the `standardwebhooks` library (as an integrating system would) and
keeps, logs or writes down what it received.

`registry serve` runs one in development mode for the demo organisation's subscription (deliveries go
to <data dir>/webhooks.jsonl and the log); tests and the benchmark run their own, choosing what it
answers (`respond`: a function of the request number and the webhook-id, returning a status code and
how long to wait before answering).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks import Webhook, WebhookVerificationError

log = logging.getLogger("registry.webhook_receiver")


class Received:
    __slots__ = ("webhook_id", "event", "status", "at", "verified")

    def __init__(self, webhook_id: str, event: dict | None, status: int, at: float, verified: bool):
        self.webhook_id, self.event, self.status, self.at, self.verified = webhook_id, event, status, at, verified

    def __repr__(self) -> str:
        return f"Received({self.webhook_id}, {self.event and self.event.get('type')}, {self.status})"


class Receiver:
    """A receiver on 127.0.0.1 (a free port unless given), in a thread. `secret` may be set later."""

    def __init__(self, secret: str | None = None, *, port: int = 0, path: Path | None = None,
                 respond: Callable[[int, str], tuple[int, float]] | None = None):
        self.secret = secret
        self.path = path
        self.respond = respond or (lambda n, wid: (204, 0.0))
        self.received: list[Received] = []
        self.lock = threading.RLock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._handle(self, body, headers)

            def log_message(self, *args):  # quiet: deliveries are logged by _handle
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def start(self) -> "Receiver":
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes, headers: dict) -> None:
        at = time.monotonic()
        wid = headers.get("webhook-id", "")
        try:
            event = Webhook(self.secret).verify(body, headers) if self.secret else None
            verified = event is not None
        except WebhookVerificationError:
            event, verified = None, False
        with self.lock:
            n = len(self.received)
        status, wait = self.respond(n, wid) if verified else (401, 0.0)
        record = Received(wid, event, status, at, verified)
        with self.arrived:
            self.received.append(record)
            self.arrived.notify_all()
        if self.path is not None and verified:
            with self.path.open("a") as out:
                out.write(json.dumps({"webhookId": wid, "status": status, "event": event}) + "\n")
        if verified:
            log.info("webhook received: %s %s (subject %s) -> %d", wid, event.get("type"), event.get("subject"), status)
        else:
            log.warning("webhook with a bad signature refused: %s", wid)
        if wait:
            time.sleep(wait)
        try:
            handler.send_response(status)
            handler.send_header("content-length", "0")
            handler.end_headers()
        except OSError:  # the sender gave up (timeout, or it was stopped)
            pass

    def delivered(self) -> list[Received]:
        """What was answered with 2xx, in order of arrival."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, predicate: Callable[["Receiver"], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True
