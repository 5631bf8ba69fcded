"""A small stand-in for OS2mo on 127.0.0.1 (a real HTTP server in a thread, for the OS2mo source's
tests): Keycloak's token endpoint (client credentials: the client id and secret, Basic or in the
form; a bearer token back) and OS2mo's GraphQL endpoint (/graphql/v29), which refuses a request
without the bearer token and answers the registry's queries from an OS2mo-shaped file
(tests/os2mo_sample), a page at a time (`limit`/`cursor`, `page_info { next_cursor }`)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

TOKEN_PATH = "/auth/realms/mo/protocol/openid-connect/token"
GRAPHQL_PATH = "/graphql/v29"
CLIENT_ID, CLIENT_SECRET = "registry", "hemmelig-klient"
_COLLECTION = re.compile(r"page:\s*(\w+)\(")


class Os2moServer:
    def __init__(self, data: dict | Path, page_size: int = 2, expires_in: int = 300):
        self.data = json.loads(data.read_text()) if isinstance(data, Path) else data
        self.page_size = page_size  # at most this many objects a page, whatever the client asks
        self.token = secrets.token_urlsafe(16)
        self.expires_in = expires_in
        self.tokens_issued = 0
        self.requests: list[tuple[str, str | None]] = []  # (collection, cursor) of each GraphQL request
        self.refused = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == TOKEN_PATH:
                    return self._token(raw)
                if self.path == GRAPHQL_PATH:
                    return self._graphql(raw)
                self._answer(404, {"detail": "Not Found"})

            def _token(self, raw: bytes):
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization") or ""
                if auth.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if form.get("grant_type") != "client_credentials":
                    return self._answer(400, {"error": "unsupported_grant_type"})
                if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                    return self._answer(401, {"error": "unauthorized_client",
                                              "error_description": "Invalid client or Invalid client credentials"})
                server.tokens_issued += 1
                server.token = secrets.token_urlsafe(16)  # a new token each time; the old one is refused
                self._answer(200, {"access_token": server.token, "token_type": "Bearer",
                                   "expires_in": server.expires_in})

            def _graphql(self, raw: bytes):
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    server.refused += 1
                    return self._answer(401, {"detail": "Not authenticated"})
                body = json.loads(raw)
                variables = body.get("variables") or {}
                found = _COLLECTION.search(body.get("query") or "")
                if found is None or found.group(1) not in server.data:
                    return self._answer(200, {"data": None, "errors": [{"message": "Cannot query field"}]})
                name, cursor = found.group(1), variables.get("cursor")
                server.requests.append((name, cursor))
                start = int(cursor) if cursor else 0
                size = min(variables.get("limit") or server.page_size, server.page_size)
                objects = server.data[name][start:start + size]
                following = str(start + size) if start + size < len(server.data[name]) else None
                self._answer(200, {"data": {"page": {"objects": objects, "page_info": {"next_cursor": following}}}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def __enter__(self) -> "Os2moServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
