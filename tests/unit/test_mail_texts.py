"""The Danish mail (registry.domain.mail), pure: subjects and sentences, the digest's summary with
singular and plural, when a digest is due, and the SMTP settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from registry import texts
from registry.domain import mail as dm
from registry.settings import Settings

DK = ZoneInfo("Europe/Copenhagen")


def test_the_digest_summary_counts_in_danish():
    assert texts.digest_summary_da(3, 1, 2, 0) == ("3 delegeringer skal gennemgås, 1 udløber inden for 14 dage, "
                                                   "2 begrundelser venter på din feedback")
    assert texts.digest_summary_da(1, 0, 1, 1) == ("1 delegering skal gennemgås, 1 begrundelse venter på din feedback, "
                                                   "1 begrundelse er forsinket")
    assert texts.digest_summary_da(0, 2, 0, 2) == ("2 delegeringer udløber inden for 14 dage, "
                                                   "2 begrundelser er forsinkede")


def test_a_digest_is_due_from_seven_danish_time_and_the_weekly_one_from_monday():
    monday_6 = datetime(2026, 11, 30, 6, 59, tzinfo=DK)
    monday_7 = datetime(2026, 11, 30, 7, 0, tzinfo=DK)
    sunday = datetime(2026, 12, 6, 23, 0, tzinfo=DK)
    assert dm.digest_key("weekly", monday_6) is None
    assert dm.digest_key("weekly", monday_6, early=True) == "digest:weekly:2026-W49"
    assert dm.digest_key("weekly", monday_7) == dm.digest_key("weekly", sunday) == "digest:weekly:2026-W49"
    assert dm.digest_key("daily", monday_6) is None
    assert dm.digest_key("daily", monday_7) == "digest:daily:2026-11-30"
    assert dm.digest_key("none", monday_7) is None


def test_an_expiring_mandate_names_its_date_and_links_to_mit_mandat():
    mail = dm.event_mail("delegation.expiring", "delegate", to="a@b.dk", name="Anna Jensen",
                         data={"when": "2027-03-15T10:00:00+00:00"}, area="Indkøb", unit="Solhaven",
                         base_url="https://r.dk/")
    assert mail.subject == "Dit mandat udløber 15. marts 2027"
    text = mail.text()
    assert text.startswith("Hej Anna,\n\nEt af dine mandater udløber 15. marts 2027.")
    assert "Område: Indkøb\nEnhed: Solhaven" in text and "https://r.dk/mit-mandat" in text
    message = mail.message("Registret <r@r.dk>")
    assert message["Content-Language"] == "da" and message.get_body(("html",)) is not None


def test_every_mail_text_is_for_a_known_event():
    from registry.domain.events import AUDIENCE

    assert dm.IMMEDIATE <= set(AUDIENCE)


def test_the_smtp_settings():
    s = Settings.from_env({"REGISTRY_JWT_SECRET": "x" * 40, "REGISTRY_SMTP_HOST": "smtp.nordby.dk",
                           "REGISTRY_SMTP_USER": "registret", "REGISTRY_SMTP_PASSWORD": "hemmeligt",
                           "REGISTRY_SMTP_STARTTLS": "off", "REGISTRY_MAIL_FROM": "Registret <r@nordby.dk>"})
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls, s.smtp_user, s.mail_from) == (
        "smtp.nordby.dk", 587, False, "registret", "Registret <r@nordby.dk>")
    assert Settings.from_env({"REGISTRY_JWT_SECRET": "x" * 40}).smtp_host is None
    with pytest.raises(ValueError, match="REGISTRY_SMTP_PASSWORD"):
        Settings.from_env({"REGISTRY_JWT_SECRET": "x" * 40, "REGISTRY_SMTP_USER": "registret"})
    with pytest.raises(ValueError, match="REGISTRY_MAIL_FROM"):
        Settings.from_env({"REGISTRY_JWT_SECRET": "x" * 40, "REGISTRY_MAIL_FROM": "ingen adresse"})
    with pytest.raises(ValueError, match="REGISTRY_SMTP_PORT"):
        Settings.from_env({"REGISTRY_JWT_SECRET": "x" * 40, "REGISTRY_SMTP_PORT": "nul"})


def test_an_instant_late_in_the_day_is_its_danish_date():
    mail = dm.event_mail("delegation.expiring", "delegate", to="a@b.dk", name="Anna", area=None, unit=None,
                         data={"when": "2027-03-15T23:30:00+00:00"}, base_url=None)
    assert mail.subject == "Dit mandat udløber 16. marts 2027" and mail.link is None
