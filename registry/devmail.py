"""The development mail server: in development, `registry serve` runs a local SMTP server (aiosmtpd, on
127.0.0.1 and a free port) and points the mailer at it, so the demo's mail can be read without any mail
system. Each mail received is written to the data directory's `mail` folder as an .eml file (any mail
program opens it) and named in the log with its recipient and subject."""

from __future__ import annotations

import email
import email.policy
import itertools
import logging
import socket
import time
from pathlib import Path

log = logging.getLogger("registry.devmail")


class _Folder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.count):04d}.eml"
        path = self.folder / name
        path.write_bytes(envelope.content)
        log.warning("development mail to %s: %s (%s)", ", ".join(envelope.rcpt_tos), msg["Subject"], path)
        return "250 OK"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start(data_dir: str, host: str = "127.0.0.1"):
    """Start the server (in a thread of its own); returns (controller, port, folder). Stop it with
    controller.stop()."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's own chatter, per SMTP command
    folder = Path(data_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port(host)
    controller = Controller(_Folder(folder), hostname=host, port=port)
    controller.start()
    return controller, port, folder
