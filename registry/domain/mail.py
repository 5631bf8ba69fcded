"""E-mail to people (issue 14, part 3), pure: which events are mailed at once and to whom in which part,
the Danish mail for an event and for a leader's digest (plain text and a simple HTML part), and when a
digest is due. Sending, the mail log and the preferences are registry.services.mail's.

What is said is what the recipient may already read in the web app: the Danish sentence of the event,
the area's and unit's names, and a link. Never a trust note, a text someone wrote, or a breach's details.
"""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from zoneinfo import ZoneInfo

import msgspec

from registry import texts

DK = ZoneInfo("Europe/Copenhagen")
DIGESTS = ("daily", "weekly", "none")
DEFAULT_DIGEST = "weekly"
DIGEST_HOUR = time(7, 0)  # a digest goes out from 07.00 Danish time (Monday, for the weekly one)
# An event older than this when the mailer first sees it is not mailed (a mailer switched off for a
# long time does not flood people with old news; the digest still shows what waits).
FRESH = timedelta(days=2)
SETTINGS_PATH = "/mail-indstillinger"  # the web app's page where a person chooses her digest

# The events mailed at once, and to whom: the recipient's part in the event (texts.MAIL_EVENTS_DA).
IMMEDIATE_PARTS = frozenset(texts.MAIL_EVENTS_DA)
IMMEDIATE = frozenset(kind for kind, _ in IMMEDIATE_PARTS)


class Mail(msgspec.Struct, frozen=True, kw_only=True):
    to: str
    name: str
    subject: str
    lines: tuple[str, ...]   # paragraphs of the body, before the link
    link: str | None = None
    footer: str | None = None

    @property
    def first_name(self) -> str:
        return (self.name.split() or [""])[0]

    def text(self) -> str:
        parts = [texts.MAIL_GREETING_DA.format(name=self.first_name) + ",", *self.lines]
        if self.link:
            parts.append(texts.MAIL_LINK_DA.format(url=self.link))
        parts.append(texts.MAIL_SIGNATURE_DA)
        if self.footer:
            parts.append("-- \n" + self.footer)
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        e = html.escape
        body = [f"<p>{e(texts.MAIL_GREETING_DA.format(name=self.first_name))},</p>"]
        body += [f"<p>{e(line)}</p>".replace("\n", "<br>") for line in self.lines]
        if self.link:
            body.append(f'<p><a href="{e(self.link)}">{e(texts.MAIL_LINK_DA.format(url="").rstrip(": ").strip())}</a></p>')
        body.append("<p>" + e(texts.MAIL_SIGNATURE_DA).replace("\n", "<br>") + "</p>")
        if self.footer:
            body.append(f'<p style="color:#555;font-size:90%">{e(self.footer)}</p>')
        return ('<!doctype html>\n<html lang="da"><head><meta charset="utf-8">'
                f"<title>{e(self.subject)}</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")

    def message(self, sender: str, domain: str | None = None) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = formataddr((self.name, self.to))
        msg["Subject"] = self.subject
        msg["Message-ID"] = make_msgid(domain=domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.text())
        msg.add_alternative(self.html(), subtype="html")
        msg["Content-Language"] = "da"  # after: making the alternative moves Content-* headers into the part
        return msg


def link(base_url: str | None, path: str) -> str | None:
    return None if not base_url else base_url.rstrip("/") + path


def event_path(kind: str, part: str, data: dict) -> str:
    """The page an event's mail links to."""
    if kind in ("feedback.given", "justification.requested", "act.recorded") and data.get("act"):
        return f"/handlinger/{data['act']}"
    if part in ("leader", "stand_in"):
        return "/opfoelgning"
    return "/mit-mandat"


def _day(when: str | None) -> str:
    """An event's `when` (a date, or an instant: its day in Danish time) as "15. marts 2027"."""
    if not when:
        return ""
    if len(when) == 10:
        return texts.date_da(date.fromisoformat(when))
    return texts.date_da(datetime.fromisoformat(when).astimezone(DK).date())


def event_mail(kind: str, part: str, *, to: str, name: str, data: dict, area: str | None, unit: str | None,
               base_url: str | None) -> Mail:
    subject, sentence = texts.MAIL_EVENTS_DA[(kind, part)]
    day = _day(data.get("when"))
    lines = [sentence.format(date=day)]
    facts = [texts.MAIL_AREA_DA.format(area=area) if area else None, texts.MAIL_UNIT_DA.format(unit=unit) if unit else None]
    if any(facts):
        lines.append("\n".join(f for f in facts if f))
    return Mail(to=to, name=name, subject=subject.format(date=day), lines=tuple(lines),
                link=link(base_url, event_path(kind, part, data)),
                footer=texts.MAIL_FOOTER_DA.format(url=link(base_url, SETTINGS_PATH) or SETTINGS_PATH))


class DigestUnit(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    review: int = 0      # delegations due for review (or soon)
    expiring: int = 0    # delegations that end within 14 days
    feedback: int = 0    # justifications given, waiting for her feedback
    overdue: int = 0     # justifications asked for and overdue

    def any(self) -> bool:
        return bool(self.review or self.expiring or self.feedback or self.overdue)


def digest_mail(period: str, *, to: str, name: str, units: list[DigestUnit], base_url: str | None) -> Mail | None:
    """The leader's digest: the counts over her units in the subject, one line per unit; None when
    nothing waits."""
    units = [u for u in units if u.any()]
    if not units:
        return None
    total = texts.digest_summary_da(sum(u.review for u in units), sum(u.expiring for u in units),
                                    sum(u.feedback for u in units), sum(u.overdue for u in units))
    lines = [texts.MAIL_DIGEST_INTRO_DA + "\n" + "\n".join(
        "– " + texts.MAIL_DIGEST_UNIT_DA.format(unit=u.unit, summary=texts.digest_summary_da(
            u.review, u.expiring, u.feedback, u.overdue)) for u in units)]
    return Mail(to=to, name=name, subject=f"{texts.MAIL_DIGEST_SUBJECTS_DA[period]}: {total}", lines=tuple(lines),
                link=link(base_url, "/opfoelgning"),
                footer=texts.MAIL_DIGEST_FOOTER_DA[period].format(url=link(base_url, SETTINGS_PATH) or SETTINGS_PATH))


def digest_key(period: str, now: datetime, early: bool = False) -> str | None:
    """The mail log's key of the digest due at `now` (`digest:weekly:2026-W48`, `digest:daily:2026-11-28`),
    or None when none is due yet (before 07.00 Danish time; the weekly one from Monday 07.00, for the
    rest of the week if the registry was down then). `early`: due now whatever the hour (the
    development server's first round, so the demo shows a digest)."""
    local = now.astimezone(DK)
    if period == "daily":
        return f"digest:daily:{local.date().isoformat()}" if early or local.time() >= DIGEST_HOUR else None
    if period == "weekly":
        if local.weekday() == 0 and local.time() < DIGEST_HOUR and not early:
            return None
        year, week, _ = local.isocalendar()
        return f"digest:weekly:{year}-W{week:02d}"
    return None
