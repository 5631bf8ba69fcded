"""Webhook rules (issue 14, part 2), pure: what a subscription may name, and when a failed delivery is
tried again.

Back-off: after the n-th failed attempt the next comes after base * 2^(n-1) seconds, at most `cap`,
each delay drawn between half and all of that (jitter, so receivers coming back are not hit by every
server at once). With the defaults (30 s, 4 h) that is about 30 s, 1, 2, 4, ... 128 min, then every
2-4 h; an attempt that fails once the retry window (24 h) since the delivery was queued (or replayed)
has passed makes it a dead letter.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from registry.domain import events as ev
from registry.errors import Invalid
from registry.settings import check_jwks_url

MAX_URL = 2000
MAX_TYPES = 50

URL_DA = "Adressen skal begynde med https:// (http:// kun for 127.0.0.1 eller localhost)."
TYPES_DA = "Vælg mindst én hændelsestype."
UNKNOWN_TYPE_DA = "Ukendt hændelsestype: {value}."
TOO_MANY_DA = "Organisationen har allerede {limit} abonnementer på hændelser. Slet et, før du opretter et nyt."


PRIVATE_DA = ("Adressen peger ind i et internt net (localhost, et privat eller lokalt IP-område eller et internt "
              "navn). Registret sender ikke hændelser dertil, medmindre driften har tilladt det.")
INTERNAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa")


def check_url(url: object, *, allow_private: bool = False) -> str:
    """The receiver's URL: https to a public name or address. With `allow_private` (development,
    tests, or a registry that must reach receivers on the municipality's own network:
    REGISTRY_WEBHOOK_ALLOW_PRIVATE) also internal names and private addresses, and http on this
    machine. Otherwise a system could make the registry post to what only it can reach (SSRF)."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL:
        raise Invalid("url must be an https:// URL", field="url", code="invalid_url", message_da=URL_DA)
    url = url.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Invalid("url may not contain spaces or control characters", field="url", code="invalid_url",
                      message_da=URL_DA)
    try:
        check_jwks_url(url, "url")
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        host.encode("idna")
    except (ValueError, UnicodeError) as e:
        raise Invalid(str(e), field="url", code="invalid_url", message_da=URL_DA) from None
    if not allow_private and not public_host(host):
        raise Invalid("url points into an internal network", field="url", code="private_url", message_da=PRIVATE_DA)
    return url


def public_host(host: str) -> bool:
    """A name that is not an internal one, or an address in a public range."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return not (host in ("localhost",) or host.endswith(INTERNAL_NAMES) or "." not in host)


def public_address(address: str) -> bool:
    """An address a name resolved to, in a public range (an IPv4-mapped IPv6 address as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global


def check_types(types: object) -> list[str]:
    """Event types or prefixes (`delegation.revoked`, `dk.registry.delegation.`, `delegation.`), each the
    beginning of at least one type, in full (with dk.registry.), each once."""
    if not isinstance(types, list) or not types or len(types) > MAX_TYPES:
        raise Invalid(f"types must list 1-{MAX_TYPES} event types or prefixes", field="types",
                      code="invalid_types", message_da=TYPES_DA)
    found: list[str] = []
    for value in types:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("an event type must be text", field="types", code="unknown_event_type",
                          message_da=UNKNOWN_TYPE_DA.format(value=value))
        full = value.strip() if value.strip().startswith(ev.PREFIX) else ev.PREFIX + value.strip()
        if full == ev.PREFIX or not ev.type_prefix_ok(full):
            raise Invalid(f"no event type begins with {value!r}", field="types", code="unknown_event_type",
                          message_da=UNKNOWN_TYPE_DA.format(value=value))
        if full not in found:
            found.append(full)
    return found


def wants(types: Iterable[str], event_type: str) -> bool:
    return any(event_type.startswith(t) for t in types)


def retry_delay(failures: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Seconds until the next attempt after `failures` failed ones (1, 2, ...), with jitter."""
    delay = min(cap, base * 2 ** min(max(failures, 1) - 1, 40))
    return delay * (0.5 + 0.5 * rand())
