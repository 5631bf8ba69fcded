"""Webhook rules (issue 14, part 2), pure: what a subscription may name, and when a failed delivery is
tried again.

Back-off: after the n-th failed attempt the next comes after base * 2^(n-1) seconds, at most `cap`,
each delay drawn between half and all of that (jitter, so receivers coming back are not hit by every
server at once). With the defaults (30 s, 4 h) that is about 30 s, 1, 2, 4, ... 128 min, then every
2-4 h; an attempt that fails once the retry window (24 h) since the delivery was queued (or replayed)
has passed makes it a dead letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from registry.domain import events as ev
from registry.errors import Invalid
from registry.settings import check_jwks_url

MAX_URL = 2000
MAX_TYPES = 50

URL_DA = "Adressen skal begynde med https:// (http:// kun for 127.0.0.1 eller localhost)."
TYPES_DA = "Vælg mindst én hændelsestype."
UNKNOWN_TYPE_DA = "Ukendt hændelsestype: {value}."
TOO_MANY_DA = "Organisationen har allerede {limit} abonnementer på hændelser. Slet et, før du opretter et nyt."


def check_url(url: object) -> str:
    """The receiver's URL: https, or http on this machine only (as for a JWKS URL)."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL:
        raise Invalid("url must be an https:// URL", field="url", code="invalid_url", message_da=URL_DA)
    try:
        return check_jwks_url(url.strip(), "url")
    except ValueError as e:
        raise Invalid(str(e), field="url", code="invalid_url", message_da=URL_DA) from None


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
