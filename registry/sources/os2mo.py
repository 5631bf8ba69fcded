"""The OS2mo source (issue 13): the organisation from OS2mo's GraphQL API (Magenta's organisation
system for Danish municipalities), or from a file export of the same answers. The reading is here
(OAuth2 client credentials against OS2mo's Keycloak, then paged GraphQL queries); what the answers
mean is the domain's (registry.domain.os2mo), so the API and the file share every check.

The queries are OS2mo's GraphQL version 29 (`<url>/graphql/v29`): from v29 a validity's `to` is the
first instant no longer valid, which is what the sync's end date means.
"""

from __future__ import annotations

import json
import warnings
from datetime import date, datetime, timezone
from pathlib import Path

import httpx2
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client import OAuthError

from registry.domain import os2mo as domain
from registry.domain.sync import Source
from registry.sources import SourceConfig, SourceUnavailable

GRAPHQL_VERSION = 29
PAGE_SIZE = 500
TIMEOUT_SECONDS = 60.0

_PAGE = "limit: $limit, cursor: $cursor, filter: {from_date: $from, to_date: null}"
_EMAIL_PAGE = 'limit: $limit, cursor: $cursor, filter: {address_type: {scope: ["EMAIL"]}, from_date: $from, to_date: null}'
_VARIABLES = "$limit: int, $cursor: Cursor, $from: DateTime"
_CLASS = "current { user_key name }"

# One query per collection; each page's `objects` are what the file export holds under that name.
QUERIES: dict[str, str] = {
    "org_units": f"""query OrgUnits({_VARIABLES}) {{ page: org_units({_PAGE}) {{
        objects {{ uuid validities {{ name user_key validity {{ from to }} parent_response {{ uuid }}
            unit_type_response {{ {_CLASS} }} unit_level_response {{ {_CLASS} }} }} }}
        page_info {{ next_cursor }} }} }}""",
    "engagements": f"""query Engagements({_VARIABLES}) {{ page: engagements({_PAGE}) {{
        objects {{ uuid validities {{ user_key is_primary validity {{ from to }}
            person_response {{ uuid current {{ name }} }} org_unit_response {{ uuid }} }} }}
        page_info {{ next_cursor }} }} }}""",
    "managers": f"""query Managers({_VARIABLES}) {{ page: managers({_PAGE}) {{
        objects {{ uuid validities {{ user_key validity {{ from to }} person_response {{ uuid current {{ name }} }}
            org_unit_response {{ uuid }} manager_level_response {{ {_CLASS} }}
            responsibilities_response {{ objects {{ {_CLASS} }} }} }} }}
        page_info {{ next_cursor }} }} }}""",
    "kles": f"""query Kles({_VARIABLES}) {{ page: kles({_PAGE}) {{
        objects {{ uuid validities {{ validity {{ from to }} org_unit_response {{ uuid }}
            kle_number_response {{ {_CLASS} }} kle_aspects_response {{ objects {{ {_CLASS} }} }} }} }}
        page_info {{ next_cursor }} }} }}""",
    "addresses": f"""query Addresses({_VARIABLES}) {{ page: addresses({_EMAIL_PAGE}) {{
        objects {{ uuid validities {{ value validity {{ from to }} person_response {{ uuid }}
            engagement_response {{ uuid }} address_type_response {{ current {{ user_key scope }} }}
            visibility_response {{ current {{ user_key scope }} }} }} }}
        page_info {{ next_cursor }} }} }}""",
    "itusers": f"""query ITUsers({_VARIABLES}) {{ page: itusers({_PAGE}) {{
        objects {{ uuid validities {{ user_key validity {{ from to }} person_response {{ uuid }}
            itsystem_response {{ {_CLASS} }} }} }}
        page_info {{ next_cursor }} }} }}""",
}


def _today() -> date:
    return datetime.now(timezone.utc).date()


async def read(config: SourceConfig) -> Source:
    if config.file:
        return domain.parse(read_file(config.file), today=_today(), origin=config.file)
    data = await fetch(config, today=_today())
    return domain.parse(data, today=_today(), origin=config.url or "os2mo")


def read_file(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceUnavailable("unreadable_file", f"kan ikke læse filen {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceUnavailable("unreadable_file", f"filen {path} er ikke JSON (linje {exc.lineno}: {exc.msg})") from exc


def endpoint(url: str) -> str:
    """The GraphQL endpoint: OS2mo's base URL with /graphql/v29, unless the URL already names a version."""
    url = url.rstrip("/")
    return url if "/graphql/v" in url else f"{url}/graphql/v{GRAPHQL_VERSION}"


async def fetch(config: SourceConfig, *, today: date, page_size: int = PAGE_SIZE) -> dict[str, list]:
    """Every collection, every page, from OS2mo (after logging in with the client credentials)."""
    with warnings.catch_warnings():  # Authlib 1.9 prefers httpx2 (a dependency) and warns on httpx
        warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    missing = [flag for flag, value in (("--url", config.url), ("--token-url", config.token_url),
                                        ("--client-id", config.client_id),
                                        ("REGISTRY_OS2MO_CLIENT_SECRET", config.client_secret)) if not value]
    if missing:
        raise SourceUnavailable("missing_setting", f"OS2mo-kilden mangler {', '.join(missing)}")
    url = endpoint(config.url or "")
    # grant_type and token_endpoint in the client's metadata: Authlib fetches a new token itself
    # when the one it has expires in the middle of the paging (Keycloak's last 5 minutes).
    async with AsyncOAuth2Client(client_id=config.client_id, client_secret=config.client_secret,
                                 token_endpoint=config.token_url, grant_type="client_credentials",
                                 timeout=TIMEOUT_SECONDS) as client:
        try:
            await client.fetch_token(config.token_url, grant_type="client_credentials")
        except OAuthError as exc:
            raise SourceUnavailable("login_refused", f"login-tjenesten for OS2mo ({config.token_url}) afviste "
                                    f"klienten »{config.client_id}« ({exc.error}); tjek klient-id og hemmelighed") from exc
        except httpx2.HTTPError as exc:
            raise SourceUnavailable("unreachable", f"kan ikke nå login-tjenesten for OS2mo ({config.token_url}): "
                                    f"{type(exc).__name__}") from exc
        except ValueError as exc:
            raise SourceUnavailable("bad_answer", f"login-tjenesten for OS2mo ({config.token_url}) svarede ikke "
                                    "med et adgangstoken") from exc
        data: dict[str, list] = {}
        for name, query in QUERIES.items():
            data[name] = await _all_pages(client, url, name, query, today, page_size)
        return data


async def _all_pages(client, url: str, name: str, query: str, today: date, page_size: int) -> list:
    found: list = []
    cursor = None
    while True:
        variables = {"limit": page_size, "cursor": cursor, "from": f"{today.isoformat()}T00:00:00+00:00"}
        try:
            response = await client.post(url, json={"query": query, "variables": variables})
        except OAuthError as exc:
            raise SourceUnavailable("login_refused", f"login-tjenesten for OS2mo ville ikke forny adgangen ({exc.error})") from exc
        except httpx2.HTTPError as exc:
            raise SourceUnavailable("unreachable", f"kan ikke nå OS2mo ({url}): {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise SourceUnavailable("access_refused", f"OS2mo ({url}) afviste adgangen (HTTP {response.status_code});"
                                    " har klienten rollen til at læse organisationen?")
        if response.status_code != 200:
            raise SourceUnavailable("bad_answer", f"OS2mo ({url}) svarede HTTP {response.status_code} på {name}")
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceUnavailable("bad_answer", f"OS2mo ({url}) svarede ikke med JSON på {name}") from exc
        if not isinstance(body, dict) or body.get("errors") or not isinstance(body.get("data"), dict):
            errors = body.get("errors") if isinstance(body, dict) else None
            first = errors[0].get("message") if isinstance(errors, list) and errors and isinstance(errors[0], dict) \
                else "intet svar"
            raise SourceUnavailable("bad_answer", f"OS2mo ({url}) svarede med en fejl på {name}: {first}")
        page = body["data"].get("page") or {}
        found += page.get("objects") or []
        cursor = (page.get("page_info") or {}).get("next_cursor")
        if not cursor:
            return found
