"""E-mail to people (issue 14, part 3): a real SMTP server (aiosmtpd, on a free local port) receives what
the mailer (registry.services.mail.run_round) sends from the real outbox of the demo organisation, on a
real PostgreSQL. Danish subjects and bodies, links into the web app, each mail once (two mailers at once,
an SMTP server that refuses or is down and comes back), preferences, people without an address."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import msgspec
import pytest
from aiosmtpd.controller import Controller

from registry.services import mail as mail_uc
from registry.storage.db import Actor
from registry.storage.db import Db
from tests.support import api_key, snapshot

METTE, ANNA, FATIMA = "mette.sorensen@eksempel.dk", "anna.jensen@eksempel.dk", "fatima.ali@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
PUBLIC = "https://registret.eksempel.dk"
ERR = "... on Error { code message messageDa }"
DK = ZoneInfo("Europe/Copenhagen")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """The handler of a real SMTP server: keeps every message; `refuse` answers 451 (try later) to DATA."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Prøv igen senere"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(msg) -> str:
        return msg.get_body(("plain",)).get_content()

    @staticmethod
    def html(msg) -> str:
        return msg.get_body(("html",)).get_content()


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller
    finally:
        controller.stop()


def _settings(settings, controller, **more):
    return msgspec.structs.replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=False,
                                   public_url=PUBLIC, mail_from="Delegeringsregistret <registry@eksempel.dk>", **more)


async def _from_now_on(db: Db) -> None:
    """The mailer starts at the outbox's end (as migration 0025 does on a live registry)."""
    async with db.read() as conn:
        await conn.execute("INSERT INTO mail_cursor (tenant_id, position) SELECT tenant_id, max(position)"
                           " FROM outbox_event GROUP BY tenant_id ON CONFLICT (tenant_id) DO UPDATE"
                           " SET position = excluded.position")


async def _no_digests(db: Db) -> None:
    async with db.read() as conn:
        await conn.execute("INSERT INTO mail_default (tenant_id, digest, updated_at) SELECT id, 'none', now()"
                           " FROM organisation")


DECLARE = """mutation($i: DeclareDelegationInput!) { declareDelegation(input: $i) { __typename
    ... on DelegationPayload { delegation { id version } } %s } }""" % ERR


async def _offer_to_fatima(api) -> str:
    ids = await api.ids()
    result = (await api.gql(DECLARE, {"i": {"delegatePersonId": ids.people["fatima"],
                                            "areaId": ids.areas["care/relatives"],
                                            "unitId": ids.unit("Plejecenter Solhaven"), "includeSubunits": False,
                                            "level": 6}}, as_=METTE))["declareDelegation"]
    assert result["__typename"] == "DelegationPayload", result
    return result["delegation"]["id"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def test_an_offer_is_mailed_to_her_in_danish_with_a_link(api, settings, smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    await _offer_to_fatima(api)
    stats = await mail_uc.run_round(api.db, s, _now)
    assert stats.sent == 1, stats
    [msg] = inbox.to(FATIMA)
    assert msg["Subject"] == "Du har fået tilbudt et mandat"
    assert msg["From"] == "Delegeringsregistret <registry@eksempel.dk>"
    assert "Fatima" in msg["To"]
    body = inbox.text(msg)
    assert body.startswith("Hej Fatima")
    assert "Din leder har tilbudt dig et mandat. Det venter på dit svar." in body
    assert "Enhed: Plejecenter Solhaven" in body
    assert f"{PUBLIC}/mit-mandat" in body and f"{PUBLIC}/mail-indstillinger" in body
    assert f'href="{PUBLIC}/mit-mandat"' in inbox.html(msg) and 'lang="da"' in inbox.html(msg)
    # nobody else was told (Mette's own act of declaring is no news to her), and nothing twice
    assert len(inbox.messages) == 1
    again = await mail_uc.run_round(api.db, s, _now)
    assert again.sent == 0 and len(inbox.messages) == 1
    # her access request shows the mail log: which event, sent, when; no text
    ids = await api.ids()
    export = (await api.gql("query($p: ID!) { personalData(personId: $p) { document } }",
                            {"p": ids.people["fatima"]}, as_=FATIMA))["personalData"]["document"]
    [logged] = export["mail"]["log"]
    assert logged["key"].startswith("event:") and logged["status"] == "sent" and set(logged) == {"key", "status", "at"}


async def test_two_mailers_at_once_send_each_mail_once(api, settings, smtp, demo_dsn):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    await _offer_to_fatima(api)
    servers = [await Db.connect(demo_dsn, min_size=1, max_size=3) for _ in range(2)]  # two servers' pools
    try:
        rounds = await asyncio.gather(*(mail_uc.run_round(db, s, _now) for db in servers * 2))
        rounds += await asyncio.gather(*(mail_uc.run_round(db, s, _now) for db in servers))
    finally:
        for db in servers:
            await db.close()
    assert sum(r.sent for r in rounds if r is not None) == 1
    assert len(inbox.to(FATIMA)) == 1 and len(inbox.messages) == 1
    # even without the advisory lock, the mail log's key lets one mail through
    async with api.db.read() as conn:
        event = await conn.fetchrow("SELECT * FROM outbox_event ORDER BY position DESC LIMIT 1")
        await conn.execute("DELETE FROM mail_sent")
    stored = msgspec.convert(dict(event), mail_uc.outbox_sql.StoredEvent, strict=False)
    stats = mail_uc.Stats()

    async def one():
        async with api.db.read() as conn:
            await mail_uc._event(api.db, conn, mail_uc.Sender(s).send, s, stored, _now(), stats)

    await asyncio.gather(one(), one(), one())
    assert stats.sent == 1 and len(inbox.to(FATIMA)) == 2  # the one before the log was emptied, and one now


async def test_an_smtp_server_that_refuses_or_is_down_is_tried_again_nothing_lost_nothing_doubled(api, settings,
                                                                                                  smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    await _offer_to_fatima(api)
    inbox.refuse = True  # 451: try later
    with pytest.raises(Exception):
        await mail_uc.run_round(api.db, s, _now)
    assert inbox.messages == []
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT count(*) FROM mail_sent") == 0  # nothing claimed
    down = msgspec.structs.replace(s, smtp_port=_free_port())  # nothing listens there
    with pytest.raises(Exception):
        await mail_uc.run_round(api.db, down, _now)
    await _offer_to_anna_amended(api)  # a second event while the server is away
    inbox.refuse = False
    stats = await mail_uc.run_round(api.db, s, _now)
    assert stats.sent == 2, stats
    assert [m["Subject"] for m in inbox.to(FATIMA)] == ["Du har fået tilbudt et mandat"]
    assert [m["Subject"] for m in inbox.to(ANNA)] == ["Dit mandat er ændret"]
    assert (await mail_uc.run_round(api.db, s, _now)).sent == 0 and len(inbox.messages) == 2


async def _offer_to_anna_amended(api) -> None:
    ids = await api.ids()
    nodes = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes {
        id version area { key } } } }""", {"p": ids.people["anna"]}, as_=ADMIN))["delegations"]["nodes"]
    d = next(d for d in nodes if d["area"]["key"] == "economy/purchase")
    result = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v,
        input: {purpose: "HEMMELIGT-FORMÅL"}) { __typename %s } }""" % ERR, {"id": d["id"], "v": d["version"]},
                            as_=METTE))["amendDelegation"]
    assert result["__typename"] == "DelegationPayload", result


async def _fatima_mailed_at(api, settings, smtp, email: str | None):
    """The mailer from now on, no digests, Fatima's address set (by SQL), and an offer to her: the
    mailer's settings, the inbox and the organisation's ids."""
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    ids = await api.ids()
    async with api.db.write(ids.tenant, Actor("system:test")) as tx:
        await tx.conn.execute("UPDATE person SET email = $2 WHERE email = $1", FATIMA, email)
    await _offer_to_fatima(api)
    return s, inbox, ids


async def test_a_person_without_an_address_is_skipped_and_counted(api, settings, smtp):
    s, inbox, _ids = await _fatima_mailed_at(api, settings, smtp, None)
    stats = await mail_uc.run_round(api.db, s, _now)
    assert stats.no_address == 1 and stats.sent == 0 and inbox.messages == []
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT status FROM mail_sent") == "no_address"
    assert (await mail_uc.run_round(api.db, s, _now)).no_address == 0  # counted once


async def test_an_address_no_mail_can_carry_is_refused_and_the_round_goes_on(api, settings, smtp):
    """An address that passed into the registry before its check was strict (or by SQL) must not stop
    the mailer: it is logged `refused`, and the mails after it go out."""
    s, inbox, ids = await _fatima_mailed_at(api, settings, smtp, "fatima@æblehaven.dk")
    await _offer_to_anna_amended(api)
    stats = await mail_uc.run_round(api.db, s, _now)
    assert stats.refused == 1 and stats.sent >= 1
    assert all("æblehaven" not in m["To"] for m in inbox.messages)
    async with api.db.read() as conn:
        assert "refused" in {r["status"] for r in await conn.fetch("SELECT status FROM mail_sent")}
    # ... and the registry no longer takes such an address (one address, nothing a header reads as more).
    for bad in ("a@b.dk,c@d.dk", "a@b.dk\nBcc: x@y.dk", "Ole <a@b.dk>", "a@@b.dk", "@b.dk"):
        result = (await api.gql("""mutation($id: ID!, $e: String!) { updatePerson(id: $id, version: 1,
            input: {email: $e}) { __typename ... on Error { code } } }""", {"id": ids.people["anna"], "e": bad},
            as_="jonas.kristensen@eksempel.dk"))["updatePerson"]
        assert result == {"__typename": "InvalidInputError", "code": "invalid_email"}, (bad, result)


async def test_the_mail_says_nothing_beyond_what_she_may_read(api, settings, smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    await _offer_to_anna_amended(api)
    await mail_uc.run_round(api.db, s, _now)
    [msg] = inbox.to(ANNA)
    whole = inbox.text(msg) + inbox.html(msg)
    assert "HEMMELIGT-FORMÅL" not in whole and "Mette" not in whole
    assert "Område: Indkøb" in whole or "Område:" in whole


def _next(weekday: int, hour: int) -> datetime:
    """The next `weekday` (0: Monday) at `hour` Danish time, after today."""
    local = datetime.now(DK).replace(hour=hour, minute=0, second=0, microsecond=0)
    days = (weekday - local.weekday()) % 7 or 7
    return (local + timedelta(days=days)).astimezone(timezone.utc)


SET_OWN = """mutation($d: MailDigest) { setMyMailDigest(digest: $d) { __typename
    ... on MailPreferencesPayload { preferences { digest own default } } %s } }""" % ERR
SET_DEFAULT = """mutation($d: MailDigest!) { setMailDigestDefault(digest: $d) { __typename
    ... on MailDigestDefaultPayload { digest } %s } }""" % ERR


async def test_the_leaders_digest_daily_weekly_or_none(api, settings, smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    tuesday = _next(1, 8)
    stats = await mail_uc.run_round(api.db, s, lambda: tuesday)
    [digest] = inbox.to(METTE)
    assert digest["Subject"].startswith("Dit ugentlige overblik: "), digest["Subject"]
    body = inbox.text(digest)
    assert "Det venter på dig i opfølgningen:" in body and "Plejecenter Solhaven" in body
    assert f"{PUBLIC}/opfoelgning" in body
    assert stats.digests >= 1
    # the same week: not again; the next day: not again (weekly)
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(hours=3))
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=1))
    assert len(inbox.to(METTE)) == 1
    # she chooses daily: Thursday brings one, and Friday another
    assert (await api.gql(SET_OWN, {"d": "DAILY"}, as_=METTE))["setMyMailDigest"]["preferences"] == {
        "digest": "DAILY", "own": "DAILY", "default": "WEEKLY"}
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=2))
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=2, hours=1))
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=3))
    subjects = [m["Subject"] for m in inbox.to(METTE)]
    assert len(subjects) == 3 and all(x.startswith("Dit daglige overblik: ") for x in subjects[1:]), subjects
    # none: nothing more, whatever the day
    await api.gql(SET_OWN, {"d": "NONE"}, as_=METTE)
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=4))
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=8))
    assert len(inbox.to(METTE)) == 3
    # back to the organisation's default, which an administrator sets to none
    await api.gql(SET_OWN, {"d": None}, as_=METTE)
    assert (await api.gql(SET_DEFAULT, {"d": "NONE"}, as_=ADMIN))["setMailDigestDefault"]["digest"] == "NONE"
    await mail_uc.run_round(api.db, s, lambda: tuesday + timedelta(days=15))
    assert len(inbox.to(METTE)) == 3


async def test_no_digest_before_seven_on_monday(api, settings, smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await mail_uc.run_round(api.db, s, lambda: _next(0, 6))
    assert inbox.to(METTE) == []
    await mail_uc.run_round(api.db, s, lambda: _next(0, 7))
    assert len(inbox.to(METTE)) == 1


async def test_bad_input_to_the_preferences_is_a_typed_danish_error_and_writes_nothing(api):
    key = await api_key(api.db, ["admin"])
    before = await snapshot(api.db)
    bad = (await api.gql(SET_DEFAULT, {"d": "DAILY"}, as_=METTE))["setMailDigestDefault"]  # not an administrator
    assert bad["__typename"] == "ForbiddenError" and bad["code"] and bad["messageDa"], bad
    # an administrator's key sets the default; its own digest it has not (a system is no person)
    system = (await api.gql(SET_OWN, {"d": "DAILY"}, api_key=key))["setMyMailDigest"]
    assert system["__typename"] == "ForbiddenError" and system["code"] == "person_required", system
    assert system["messageDa"] == "Det kræver, at du er logget ind som person."
    unknown = await api.gql(SET_OWN, {"d": "HOURLY"}, as_=METTE)  # not a choice: GraphQL refuses it
    assert unknown.errors and unknown.data is None
    anonymous = await api.gql("query { myMailPreferences { digest } }")
    assert anonymous.status == 401 or anonymous.errors
    assert await snapshot(api.db) == before
    ok = await api.gql("query { myMailPreferences { digest own default } }", as_=METTE)
    assert ok["myMailPreferences"] == {"digest": "WEEKLY", "own": None, "default": "WEEKLY"}
    # the administrator's default is what those who have not chosen get
    assert (await api.gql(SET_DEFAULT, {"d": "DAILY"}, api_key=key))["setMailDigestDefault"]["digest"] == "DAILY"
    ok = await api.gql("query { myMailPreferences { digest own default } }", as_=ANNA)
    assert ok["myMailPreferences"] == {"digest": "DAILY", "own": None, "default": "DAILY"}


async def test_the_web_page_where_she_chooses_her_digest(api):
    async with api.web(as_=ANNA) as web:
        page = await web.get("/mail-indstillinger")
        assert page.status_code == 200, page.text
        assert '<html lang="da"' in page.text and "<legend>Hvor tit vil du have overblikket?</legend>" in page.text
        assert 'id="overblik-standard" name="overblik" value="standard" checked' in page.text
        assert 'href="/mail-indstillinger" aria-current="page"' in page.text
        # a value that is not a choice: a Danish error on the page, nothing written
        before = await snapshot(api.db)
        bad = await web.post("/mail-indstillinger", {"overblik": "hver time"})
        assert bad.status_code == 400 and "Vælg dagligt, ugentligt eller intet overblik." in bad.text
        assert 'role="alert"' in bad.text
        assert await snapshot(api.db) == before
        done = await web.post("/mail-indstillinger", {"overblik": "daily"})
        assert done.status_code == 303 and done.headers["location"] == "/mail-indstillinger?gemt=1"
        page = await web.get(done.headers["location"])
        assert "Dit valg er gemt." in page.text and "<strong>Dagligt</strong>" in page.text
        assert 'value="daily" checked' in page.text
    ok = await api.gql("query { myMailPreferences { digest own default } }", as_=ANNA)
    assert ok["myMailPreferences"] == {"digest": "DAILY", "own": "DAILY", "default": "WEEKLY"}
    async with api.web(as_=ANNA) as web:
        await web.get("/mail-indstillinger")
        await web.post("/mail-indstillinger", {"overblik": "standard"})
    ok = await api.gql("query { myMailPreferences { own } }", as_=ANNA)
    assert ok["myMailPreferences"] == {"own": None}


async def test_in_development_the_demo_shows_mettes_digest_in_the_mail_folder(api, settings, tmp_path):
    """What `registry serve` does in development: a local SMTP server writing each mail to the data
    directory's mail folder, and a first round that sends this week's digests at once."""
    from registry import devmail

    controller, port, folder = devmail.start(str(tmp_path))
    try:
        s = msgspec.structs.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                    mail_link_base="http://127.0.0.1:8000")
        await mail_uc.skip_to_end(api.db)
        monday_early = _next(0, 5)  # before the digest's hour: the first round sends it anyway
        await mail_uc.run_round(api.db, s, lambda: monday_early, early=True)
    finally:
        controller.stop()
    found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]
    [mette] = [m for m in found if METTE in m["To"]]
    assert mette["Subject"].startswith("Dit ugentlige overblik: ")
    assert "http://127.0.0.1:8000/opfoelgning" in Inbox.text(mette)
    assert Inbox.text(mette).startswith("Hej Mette,")


RECORD_ACT = """mutation($i: RecordActInput!) { recordAct(input: $i) { __typename
    ... on ActPayload { act { id version dueItems { kind } } } %s } }""" % ERR
APPOINT = """mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(unitId: $u, standInId: $s,
    validFrom: $f, validUntil: $t, note: "FERIE-NOTE") { __typename ... on StandInPayload { standIn { id } } %s } }
    """ % ERR


async def test_what_cannot_wait_reaches_the_leader_at_once(api, settings, smtp):
    """An act that waits for her pre-approval, and her stand-in taking over today (and the stand-in)."""
    from registry.services.events import produce_due

    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    nodes = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes {
        id version area { key } } } }""", {"p": ids.people["anna"]}, as_=ADMIN))["delegations"]["nodes"]
    d = next(d for d in nodes if d["area"]["key"] == "care/alternative-solutions")
    amended = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v,
        input: {control: {form: PRE_APPROVAL}}) { __typename %s } }""" % ERR, {"id": d["id"], "v": d["version"]},
                             as_=METTE))["amendDelegation"]
    assert amended["__typename"] == "DelegationPayload", amended
    await mail_uc.skip_to_end(api.db)  # (Anna's mail about the change is another test's)
    act = (await api.gql(RECORD_ACT, {"i": {
        "person": ANNA, "area": "care/alternative-solutions", "unit": solhaven, "caseRef": "SAG-7",
        "description": "GÅTUR-BESKRIVELSE", "attributes": {"deviation": True, "citizen_category": "demens"},
        "occurredAt": _now().isoformat()}}, as_=ANNA))["recordAct"]
    assert "pre_approval" in [d["kind"].lower() for d in act["act"]["dueItems"]], act
    start = _now().replace(microsecond=0) + timedelta(hours=1)
    appointed = (await api.gql(APPOINT, {"u": solhaven, "s": ids.people["maria"], "f": start.isoformat(),
                                         "t": (start + timedelta(days=5)).isoformat()}, as_=METTE))["appointStandIn"]
    assert appointed["__typename"] == "StandInPayload", appointed
    later = start + timedelta(minutes=5)
    await produce_due(api.db, lambda: later)  # stand_in.starting, by the outbox's producer
    await mail_uc.run_round(api.db, s, lambda: later)
    mette = {m["Subject"]: m for m in inbox.to(METTE)}
    assert set(mette) == {"En beslutning venter på din forhåndsgodkendelse", "Din stedfortræder overtager i dag"}
    body = inbox.text(mette["En beslutning venter på din forhåndsgodkendelse"])
    assert f"{PUBLIC}/handlinger/{act['act']['id']}" in body and "GÅTUR-BESKRIVELSE" not in body
    assert f"{PUBLIC}/opfoelgning" in inbox.text(mette["Din stedfortræder overtager i dag"])
    [maria] = inbox.to("maria.larsen@eksempel.dk")
    assert maria["Subject"] == "Du er stedfortræder fra i dag" and "FERIE-NOTE" not in inbox.text(maria)
    assert inbox.to(ANNA) == []  # her own act is no news to her


async def test_feedback_on_her_act_reaches_her_without_its_text(api, settings, smtp):
    inbox, controller = smtp
    s = _settings(settings, controller)
    await _from_now_on(api.db)
    await _no_digests(api.db)
    act = (await api.gql(RECORD_ACT, {"i": {
        "person": ANNA, "area": "economy/purchase", "unit": (await api.ids()).unit("Plejecenter Solhaven"),
        "caseRef": "INDK-2", "description": "Maling", "attributes": {"amount": 300, "on_contract": True},
        "occurredAt": _now().isoformat()}}, as_=ANNA))["recordAct"]["act"]
    fed = (await api.gql("""mutation($id: ID!, $v: Int!) { giveFeedback(id: $id, version: $v,
        feedback: "FEEDBACK-TEKST", assessment: WORTH_DISCUSSING) { __typename %s } }""" % ERR,
                         {"id": act["id"], "v": act["version"]}, as_=METTE))["giveFeedback"]
    assert fed["__typename"] == "FeedbackPayload", fed
    await mail_uc.run_round(api.db, s, _now)
    [msg] = inbox.to(ANNA)
    assert msg["Subject"] == "Du har fået faglig feedback"
    body = inbox.text(msg) + inbox.html(msg)
    assert f"{PUBLIC}/handlinger/{act['id']}" in body and "FEEDBACK-TEKST" not in body and "drøfte" not in body


async def test_a_running_server_mails_by_itself(api, demo_dsn, smtp):
    """The mailer as the app's lifespan runs it, in a real server process (REGISTRY_SMTP_HOST set)."""
    import httpx

    from tests.support import Server

    inbox, controller = smtp
    await mail_uc.skip_to_end(api.db)
    await _no_digests(api.db)
    server = Server(demo_dsn, REGISTRY_SMTP_HOST="127.0.0.1", REGISTRY_SMTP_PORT=str(controller.port),
                    REGISTRY_SMTP_STARTTLS="off", REGISTRY_MAIL_EVERY_SECONDS="0.2", REGISTRY_PUBLIC_URL=PUBLIC)
    try:
        async with httpx.AsyncClient() as client:
            await server.ready(client)
        await _offer_to_fatima(api)
        for _ in range(100):
            if inbox.to(FATIMA):
                break
            await asyncio.sleep(0.1)
        [msg] = inbox.to(FATIMA)
        assert msg["Subject"] == "Du har fået tilbudt et mandat" and f"{PUBLIC}/mit-mandat" in Inbox.text(msg)
    finally:
        server.stop()
