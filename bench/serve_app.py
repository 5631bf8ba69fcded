"""The ASGI factory the HTTP benchmark serves: `uvicorn --factory --app-dir bench serve_app:app`.

Settings come from the environment (REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, ...).
"""

from __future__ import annotations

import _common  # noqa: F401  (puts the project on sys.path)

from registry.app import create_app
from registry.settings import Settings


def app():
    return create_app(Settings.from_env())


# --- baselines: what the transport costs on this machine, without the registry --------------------

_HELLO = b'{"decision":true,"context":{"reason":"allowed","revision":1}}'


def hello():
    """A minimal ASGI app answering every request with a fixed decision (uvicorn's own cost)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_HELLO)).encode())]

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": _HELLO})
    return app


def raw_server(port: int) -> None:
    """A bare asyncio protocol speaking just enough HTTP/1.1 (keep-alive, Content-Length) to answer
    with the same fixed decision: the ceiling of a single-threaded asyncio server here."""
    import asyncio

    response = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(_HELLO)).encode() + b"\r\n\r\n" + _HELLO)

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""

        def data_received(self, data):
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].lower()
                at = head.find(b"content-length:")
                length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None]) \
                    if at >= 0 else 0
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length:]
                self.transport.write(response)

    async def main():
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    import sys

    raw_server(int(sys.argv[1]))
