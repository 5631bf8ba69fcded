"""Security headers on every response: no MIME sniffing, no referrer, a Content-Security-Policy, and
HSTS over TLS.

Every answer of the API is data (JSON, CSV, text), never a page to render, so it gets the strictest
policy: load nothing, be framed by nobody. The one page (GraphiQL) sets its own policy, made from the
page itself (`page_policy`): its scripts and styles from the registry's own origin and wherever the
page names them, its inline scripts by hash. The headers are added by one hook for every response,
routed or not (a 404 never reaches a route's middleware), as precomputed bytes.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from litestar.types import Message, Scope

CSP = b"content-security-policy"
API_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))
HSTS = (b"strict-transport-security", b"max-age=31536000")


def security_headers(hsts: str):
    """The `before_send` hook. `hsts`: "auto" (when the request came over TLS, as the ASGI server
    reports it: directly, or behind a proxy it trusts with --proxy-headers), "on" (always: behind a
    proxy that terminates TLS) or "off"."""
    plain = [*ALWAYS, (CSP, API_POLICY)]
    secure = [*plain, HSTS]
    always = secure if hsts == "on" else plain
    by_scheme = hsts == "auto"

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        extra = secure if by_scheme and scope.get("scheme") == "https" else always
        headers = message.get("headers") or []
        if any(name.lower() == CSP for name, _ in headers):  # a page with its own policy
            extra = [h for h in extra if h[0] != CSP]
        message["headers"] = [*headers, *extra]
    return add


# Script types a browser runs (HTML's "JavaScript MIME type essence match", the usual ones, and modules).
_EXECUTABLE = frozenset({"", "text/javascript", "application/javascript", "module"})


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inline_scripts: list[str] = []
        self.script_origins: set[str] = set()
        self.style_origins: set[str] = set()
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "script":
            if values.get("src"):
                self.script_origins.add(_origin(values["src"]))
            elif values.get("type", "").lower() in _EXECUTABLE:  # a data block (JSON) runs nothing: no hash
                self._script = []
        elif tag == "link" and "stylesheet" in values.get("rel", "").split() and values.get("href"):
            self.style_origins.add(_origin(values["href"]))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else "'self'"


@lru_cache(maxsize=8)
def page_policy(html: str) -> str:
    """A Content-Security-Policy for an HTML page: scripts from the registry's origin, the origins the
    page loads scripts from, and its inline scripts by their SHA-256; styles likewise (and inline, as
    GraphiQL's editor sets them at run time); requests to the registry only."""
    page = _Page()
    page.feed(html)
    page.close()
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
              for s in page.inline_scripts]
    scripts = " ".join(sorted({"'self'", *page.script_origins}) + hashes)
    styles = " ".join(sorted({"'self'", *page.style_origins}))
    return (f"default-src 'none'; script-src {scripts}; style-src {styles} 'unsafe-inline'; "
            f"img-src 'self' data:; font-src {styles} data:; connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
