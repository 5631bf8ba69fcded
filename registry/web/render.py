"""The web app's templates: one Jinja environment, Danish formatting of dates, times and amounts,
and `page()`, which every handler answers with.

Dates are shown as DANISH.md asks ("15. marts 2027", "kl. 14.30", "10.000 kr.") in Danish time.
Templates fail loudly on a missing value (StrictUndefined), so a page never shows a blank where a
word was meant.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import MediaType, Request
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from registry import texts
from registry.domain.levels import LEVELS, level

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
DANISH_TIME = ZoneInfo("Europe/Copenhagen")
MONTHS = texts.MONTHS_DA
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

# Pages load nothing from elsewhere and run no script: styles and images from the registry itself,
# forms posted to it only.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")


def local(value: datetime) -> datetime:
    return value.astimezone(DANISH_TIME)


def dato(value: date | datetime | None, *, year: bool = True) -> str:
    """15. marts 2027."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return texts.date_da(value) if year else f"{value.day}. {MONTHS[value.month - 1]}"


def kl(value: datetime | None) -> str:
    """kl. 14.30."""
    return "" if value is None else f"kl. {local(value):%H.%M}"


def dato_kl(value: datetime | None) -> str:
    return "" if value is None else f"{dato(value)} {kl(value)}"


def tal(value: float | int | None) -> str:
    """10.000 and 2,5: Danish digit grouping and decimal comma."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        whole, _, decimals = f"{value:,.2f}".rstrip("0").partition(".")
        return whole.replace(",", ".") + "," + decimals
    return f"{int(value):,}".replace(",", ".")


def kr(value: float | int | None) -> str:
    return "" if value is None else f"{tal(value)} kr."


def iso_date(value: date | datetime | None) -> str:
    """The value of an <input type=date>."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.isoformat()


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(dato=dato, kl=kl, dato_kl=dato_kl, tal=tal, kr=kr, iso_date=iso_date)
    env.globals.update(texts=texts, LEVELS=LEVELS, level=level, WEEKDAYS=WEEKDAYS)
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def page(request: Request, name: str, *, status: int = 200, **context) -> Template:
    """A page: the template with who is signed in, the form token and the navigation."""
    from registry.web.door import nav_of, session_values

    values = session_values(request)
    return Template(template_name=name, status_code=status, media_type=MediaType.HTML,
                    context={"me": values.me, "csrf": values.csrf, "nav": nav_of(request),
                             "path": request.url.path, **context},
                    headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"})
