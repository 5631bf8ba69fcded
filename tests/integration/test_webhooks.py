"""Webhooks (issue 14, part 2): subscriptions through the REST door, and delivery to a real HTTP receiver
on 127.0.0.1 that verifies every Standard Webhooks signature with the standardwebhooks library. Fault
tests with short back-off settings (never the real 24 hours), each bounded in time."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from registry.demo import DEMO_TENANT
from registry.services.webhooks import Deliverer, purge_outbox
from registry.storage.db import Db
from registry.webhook_receiver import Receiver
from tests.support import api_key, other_tenant, snapshot

METTE = "mette.sorensen@eksempel.dk"
ADMIN = "jonas.kristensen@eksempel.dk"
ERR = "... on Error { code message }"
RED_LINE = """mutation($u: ID!, $a: ID!, $c: String!) { createRedLine(input: {unitId: $u, areaId: $a, condition: $c,
    consequence: "Nej"}) { __typename ... on RedLinePayload { redLine { id version } } %s } }""" % ERR
CHANGE = """mutation($id: ID!, $v: Int!, $c: String!) { updateRedLine(id: $id, version: $v, input: {consequence: $c}) {
    __typename ... on RedLinePayload { redLine { id version } } %s } }""" % ERR
CONDITIONS = {"economy/purchase": "amount <= 1000", "care/relatives": "consent == true"}
WEBHOOK_TABLES = ("webhook_subscription", "webhook_delivery")


def fast(db: Db, **kw) -> Deliverer:
    """A delivery loop with short back-off: retries after 50-100 ms, a retry window of `window` s."""
    settings = dict(every=0.05, timeout=2.0, concurrency=4, retry_base=0.05, retry_max=0.1, retry_window=30.0)
    settings.update(kw)
    return Deliverer(db, clock=lambda: datetime.now(timezone.utc), **settings)


async def running(deliverer: Deliverer) -> asyncio.Task:
    return asyncio.create_task(deliverer.run())


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def subscribe(api, key: str, url: str, types: list[str]) -> dict:
    response = await api.client.post("/events/subscriptions", json={"url": url, "types": types},
                                     headers={"X-Api-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


async def red_line(api, area: str) -> dict:
    ids = await api.ids()
    result = (await api.gql(RED_LINE, {"u": ids.unit("Plejecenter Solhaven"), "a": ids.areas[area],
                                       "c": CONDITIONS[area]},
                            as_=METTE))["createRedLine"]
    assert "redLine" in result, result
    return result["redLine"]


async def change(api, line: dict, text: str) -> dict:
    result = (await api.gql(CHANGE, {"id": line["id"], "v": line["version"], "c": text}, as_=METTE))["updateRedLine"]
    return result["redLine"]


async def _webhook_rows(db: Db) -> dict:
    async with db.read() as conn:
        return {t: [r[0] for r in await conn.fetch(f"SELECT to_jsonb(x)::text FROM {t} x ORDER BY 1")]
                for t in WEBHOOK_TABLES}


async def test_subscribe_list_delete_and_bad_input_writes_nothing(api):
    key, other_key = await api_key(api.db, ["events"]), await api_key(api.db, ["events"], name="another")
    admin_key = await api_key(api.db, ["admin"], name="admin")
    made = await subscribe(api, key, "https://modtager.eksempel.dk/hooks", ["delegation.revoked", "dk.registry.red_line."])
    assert made["secret"].startswith("whsec_")
    sub = made["subscription"]
    assert sub["types"] == ["dk.registry.delegation.revoked", "dk.registry.red_line."]
    await subscribe(api, other_key, "http://localhost:9/hooks", ["act."])
    own = (await api.client.get("/events/subscriptions", headers={"X-Api-Key": key})).json()["subscriptions"]
    assert [s["id"] for s in own] == [sub["id"]] and "secret" not in own[0]
    everyone = (await api.client.get("/events/subscriptions", headers={"X-Api-Key": admin_key})).json()
    assert len(everyone["subscriptions"]) == 2
    as_admin = await api.client.get("/events/subscriptions", headers={"Authorization": f"Bearer {api.token(ADMIN)}"})
    assert len(as_admin.json()["subscriptions"]) == 2
    assert made["secret"] not in as_admin.text + everyone.__repr__()

    before = await _webhook_rows(api.db), await snapshot(api.db)
    for body, code in (({"url": "http://modtager.eksempel.dk/hooks", "types": ["act."]}, "invalid_url"),
                       ({"url": "ftp://modtager.eksempel.dk", "types": ["act."]}, "invalid_url"),
                       ({"url": "https://modtager.eksempel.dk", "types": ["act.eaten"]}, "unknown_event_type"),
                       ({"url": "https://modtager.eksempel.dk", "types": []}, "invalid_types"),
                       ({"url": "https://modtager.eksempel.dk"}, "invalid_types")):
        response = await api.client.post("/events/subscriptions", json=body, headers={"X-Api-Key": key})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == code and error["message_da"], error
    # someone else's subscription is not found; a person may not subscribe (the door)
    gone = await api.client.delete(f"/events/subscriptions/{sub['id']}", headers={"X-Api-Key": other_key})
    assert gone.status_code == 404
    person = await api.client.post("/events/subscriptions", json={"url": "https://x.dk", "types": ["act."]},
                                   headers={"Authorization": f"Bearer {api.token(ADMIN)}"})
    assert person.status_code == 403
    assert (await _webhook_rows(api.db), await snapshot(api.db)) == before

    # the cap (settings.webhook_max_subscriptions, 20 by default): the 21st is refused, nothing written
    for n in range(18):
        await subscribe(api, key, f"https://modtager.eksempel.dk/{n}", ["act."])
    before = await _webhook_rows(api.db)
    refused = await api.client.post("/events/subscriptions", json={"url": "https://x.dk", "types": ["act."]},
                                    headers={"X-Api-Key": key})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "too_many_subscriptions"
    assert "abonnementer" in refused.json()["error"]["message_da"]
    assert await _webhook_rows(api.db) == before

    deleted = await api.client.delete(f"/events/subscriptions/{sub['id']}", headers={"X-Api-Key": key})
    assert deleted.status_code == 200
    own = (await api.client.get("/events/subscriptions", headers={"X-Api-Key": key})).json()["subscriptions"]
    assert sub["id"] not in {s["id"] for s in own}


async def test_a_receiver_that_fails_then_recovers_gets_each_event_once_in_order(api):
    """500 for the first three requests, then 204: every event arrives once (2xx), in order per subject,
    the retry with the same webhook-id as the failed attempt, every signature verified."""
    receiver = Receiver(respond=lambda n, wid: (500, 0.0) if n < 3 else (204, 0.0)).start()
    try:
        key = await api_key(api.db, ["events"])
        made = await subscribe(api, key, receiver.url, ["red_line."])
        receiver.secret = made["secret"]
        first = await red_line(api, "care/relatives")
        second = await red_line(api, "economy/purchase")
        line = first
        for n in range(3):
            line = await change(api, line, f"Stop {n}")
        task = await running(fast(api.db))
        try:
            await until(lambda: len(receiver.delivered()) == 5)
            await asyncio.sleep(0.3)  # nothing more comes
        finally:
            await stop(task)
        assert all(r.verified for r in receiver.received)
        got = receiver.delivered()
        assert len(got) == 5 and len({r.webhook_id for r in got}) == 5
        assert len({r.event["id"] for r in got}) == 5
        failed = [r for r in receiver.received if r.status == 500]
        assert len(failed) == 3 and {r.webhook_id for r in failed} <= {r.webhook_id for r in got}
        about_first = [r.event for r in got if r.event["subject"] == first["id"]]
        assert [e["type"] for e in about_first] == ["dk.registry.red_line.set"] + ["dk.registry.red_line.changed"] * 3
        assert [int(e["position"]) for e in about_first] == sorted(int(e["position"]) for e in about_first)
        assert {r.event["subject"] for r in got} == {first["id"], second["id"]}
        assert set(got[0].event["data"]) <= {"redLine", "unit", "area", "revision", "textDa"}
    finally:
        receiver.stop()


async def test_a_receiver_down_for_the_whole_window_gives_a_dead_letter_that_replay_delivers(api):
    up = {"on": False}
    receiver = Receiver(respond=lambda n, wid: (204, 0.0) if up["on"] else (503, 0.0)).start()
    admin = {"Authorization": f"Bearer {api.token(ADMIN)}"}
    try:
        key = await api_key(api.db, ["events"])
        receiver.secret = (await subscribe(api, key, receiver.url, ["red_line."]))["secret"]
        line = await red_line(api, "care/relatives")
        task = await running(fast(api.db, retry_window=0.6))
        try:
            async def dead() -> list:
                return (await api.client.get("/events/dead-letters", headers=admin)).json()["deadLetters"]

            deadline = time.monotonic() + 20
            while not (letters := await dead()):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            assert len(letters) == 1 and letters[0]["subject"] == line["id"] and letters[0]["attempts"] >= 2
            assert letters[0]["lastStatus"] == 503
            tried = len(receiver.received)
            await asyncio.sleep(0.4)
            assert len(receiver.received) == tried  # a dead letter is not tried again
            assert not receiver.delivered()
            # a system may not see or replay dead letters
            refused = await api.client.post(f"/events/dead-letters/{letters[0]['id']}/replay",
                                            headers={"X-Api-Key": key})
            assert refused.status_code == 403
            up["on"] = True
            replayed = await api.client.post(f"/events/dead-letters/{letters[0]['id']}/replay", headers=admin)
            assert replayed.status_code == 200
            await until(lambda: len(receiver.delivered()) == 1)
        finally:
            await stop(task)
        assert receiver.delivered()[0].webhook_id == f"msg_{letters[0]['id']}"
        assert {r.webhook_id for r in receiver.received} == {f"msg_{letters[0]['id']}"}
        assert await dead() == []
        again = await api.client.post(f"/events/dead-letters/{letters[0]['id']}/replay", headers=admin)
        assert again.status_code == 404
    finally:
        receiver.stop()


async def test_a_delivery_killed_mid_request_is_made_after_restart_with_the_same_webhook_id(api):
    """The first request is held by the receiver while the loop is cancelled (a server killed
    mid-delivery); a new loop makes it again once the lease runs out: duplicates only with one id."""
    receiver = Receiver(respond=lambda n, wid: (204, 3.0) if n == 0 else (204, 0.0)).start()
    try:
        key = await api_key(api.db, ["events"])
        receiver.secret = (await subscribe(api, key, receiver.url, ["red_line."]))["secret"]
        line = await red_line(api, "care/relatives")
        await change(api, line, "Stop")
        task = await running(fast(api.db, timeout=1.0))
        await until(lambda: len(receiver.received) == 1)
        await stop(task)  # killed while the request is under way
        restarted = await running(fast(api.db, timeout=1.0))
        try:
            await until(lambda: len({r.event["id"] for r in receiver.received}) == 2 and len(receiver.received) >= 3)
            await asyncio.sleep(0.3)
        finally:
            await stop(restarted)
        by_event: dict[str, set[str]] = {}
        for r in receiver.received:
            by_event.setdefault(r.event["id"], set()).add(r.webhook_id)
        assert all(len(ids) == 1 for ids in by_event.values()), by_event
        ids_in_order = [r.event["type"] for r in receiver.received]
        assert ids_in_order.index("dk.registry.red_line.changed") > ids_in_order.index("dk.registry.red_line.set")
        async with api.db.read() as conn:
            statuses = await conn.fetch("SELECT status FROM webhook_delivery")
        assert [r["status"] for r in statuses] == ["delivered", "delivered"]
    finally:
        receiver.stop()


async def test_two_delivery_loops_make_each_attempt_once(api, demo_dsn):
    receiver = Receiver().start()
    other = await Db.connect(demo_dsn)
    try:
        key = await api_key(api.db, ["events"])
        receiver.secret = (await subscribe(api, key, receiver.url, ["red_line."]))["secret"]
        lines = [await red_line(api, area) for area in ("care/relatives", "economy/purchase")]
        for n in range(10):
            lines = [await change(api, line, f"Stop {n}") for line in lines]
        one, two = fast(api.db, concurrency=3), fast(other, concurrency=3)
        tasks = [await running(one), await running(two)]
        try:
            await until(lambda: len(receiver.delivered()) == 22)
            await asyncio.sleep(0.3)
        finally:
            for task in tasks:
                await stop(task)
        assert len(receiver.received) == 22 == one.attempts + two.attempts
        assert len({r.webhook_id for r in receiver.received}) == 22
        for line in lines:
            positions = [int(r.event["position"]) for r in receiver.received if r.event["subject"] == line["id"]]
            assert positions == sorted(positions) and len(positions) == 11
    finally:
        await other.close()
        receiver.stop()


async def test_a_subscription_sees_only_its_organisation_and_its_types(api):
    receiver = Receiver().start()
    try:
        theirs = await other_tenant(api.db)
        key = await api_key(api.db, ["events"])
        their_key = await api_key(api.db, ["events"], name="theirs", tenant="anden")
        receiver.secret = (await subscribe(api, key, receiver.url, ["red_line.set"]))["secret"]
        spy = Receiver().start()
        try:
            spy.secret = (await subscribe(api, their_key, spy.url, ["red_line."]))["secret"]
            line = await red_line(api, "care/relatives")
            await change(api, line, "Stop")  # red_line.changed: not a type this subscription wants
            created = (await api.gql(RED_LINE, {"u": theirs["unit"], "a": theirs["area"], "c": "true"},
                                     token=api.token("ole@anden.dk", "anden")))["createRedLine"]
            assert "redLine" in created, created
            deliverer = fast(api.db)
            async with httpx.AsyncClient(timeout=2) as client:
                await deliverer.drain(client)
            assert [r.event["subject"] for r in receiver.delivered()] == [line["id"]]
            assert [r.event["type"] for r in receiver.delivered()] == ["dk.registry.red_line.set"]
            assert receiver.delivered()[0].event["source"] == f"/registry/{DEMO_TENANT}"
            assert [r.event["subject"] for r in spy.delivered()] == [created["redLine"]["id"]]
        finally:
            spy.stop()
    finally:
        receiver.stop()


async def test_the_outbox_purge_keeps_what_is_still_to_be_delivered(api):
    key = await api_key(api.db, ["events"])
    await subscribe(api, key, "https://127.0.0.1:1/nobody", ["red_line."])
    await red_line(api, "care/relatives")
    deliverer = fast(api.db)
    async with api.db.read() as conn:
        from registry.storage import webhooks as sql
        await sql.fan_out(conn, datetime.now(timezone.utc), 1000)
        total = await conn.fetchval("SELECT count(*) FROM outbox_event")
        pending = await conn.fetchval("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'")
    assert pending == 1
    later = datetime.now(timezone.utc) + timedelta(days=400)
    deleted = await purge_outbox(api.db, later, timedelta(days=30))
    assert deleted == total - 1
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox_event") == 1
    assert deliverer.attempts == 0


@pytest.mark.parametrize("url", ["http://10.0.0.1/x", "https://", "javascript:alert(1)", "http://127.0.0.1.eksempel.dk/"])
def test_only_https_or_this_machine(url):
    from registry.domain.webhooks import check_url
    from registry.errors import Invalid

    with pytest.raises(Invalid):
        check_url(url)


async def test_a_commit_wakes_the_delivery_loop_without_waiting_for_the_poll(api, demo_dsn):
    """With the change feed (a DSN), a write's webhook goes out at once, though the loop polls only
    every 60 s."""
    receiver = Receiver().start()
    try:
        key = await api_key(api.db, ["events"])
        receiver.secret = (await subscribe(api, key, receiver.url, ["red_line."]))["secret"]
        task = await running(fast(api.db, every=60.0, dsn=demo_dsn))
        try:
            await asyncio.sleep(0.5)  # the loop's first round has run; it now sleeps for a minute
            await red_line(api, "care/relatives")
            await until(lambda: len(receiver.delivered()) == 1, timeout=10.0)
        finally:
            await stop(task)
    finally:
        receiver.stop()


# --- the review's findings: what a system could make the registry do, and receivers that misbehave ---

@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.5/admin", "https://192.168.1.1/",
    "https://[::ffff:127.0.0.1]/", "https://[::1]/", "https://localhost:5432/", "http://localhost:8000/graphql",
    "http://127.0.0.1:25/", "https://metadata.google.internal/", "https://printer.local/", "https://intranet/",
    "https://xn--/hooks",
])
def test_a_receiver_inside_the_network_is_refused_unless_the_operator_allows_it(url):
    from registry.domain import webhooks as rules
    from registry.errors import Invalid

    with pytest.raises(Invalid) as refused:
        rules.check_url(url)
    assert refused.value.code in ("private_url", "invalid_url") and refused.value.message_da
    if "xn--" not in url:
        assert rules.check_url(url, allow_private=True) == url  # REGISTRY_WEBHOOK_ALLOW_PRIVATE
    assert rules.check_url("https://sagssystem.kommune.dk/hooks") == "https://sagssystem.kommune.dk/hooks"
    assert rules.check_url("https://93.184.216.34/hooks")  # a public address


async def test_a_name_that_resolves_inward_is_not_posted_to(api):
    """Subscribed by the operator to a receiver on this machine; a registry that does not allow
    private receivers (production's default) records each attempt as refused and never connects."""
    from registry.services import webhooks as webhook_uc

    receiver = Receiver().start()
    try:
        ids = await api.ids()
        async with api.db.read() as conn:
            tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", DEMO_TENANT)
        url = receiver.url.replace("127.0.0.1", "localhost")
        _, receiver.secret = await webhook_uc.subscribe_as_cli(api.db, tenant, url, ["red_line."],
                                                                datetime.now(timezone.utc))
        await red_line(api, "economy/purchase")
        deliverer = fast(api.db, allow_private=False)
        async with httpx.AsyncClient() as client:
            await deliverer.round(client)
            await until(lambda: not deliverer.in_flight)
        async with api.db.read() as conn:
            row = await conn.fetchrow("SELECT status, attempts, last_error FROM webhook_delivery")
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "address not allowed")
        assert receiver.received == [] and ids
    finally:
        receiver.stop()


async def test_a_receiver_that_never_answers_is_cut_off_within_the_timeout_and_retried(api):
    """The whole attempt is bounded (not each read): a receiver that accepts and never answers holds
    a delivery slot for `timeout`, and the attempt is recorded as failed."""
    async def silent(reader, writer):
        await asyncio.sleep(30)
        writer.close()
    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        key = await api_key(api.db, ["events"])
        await subscribe(api, key, f"http://127.0.0.1:{port}/hooks", ["red_line."])
        await red_line(api, "economy/purchase")
        deliverer = fast(api.db, timeout=0.5)
        started = time.monotonic()
        async with httpx.AsyncClient() as client:
            await deliverer.round(client)
            await until(lambda: not deliverer.in_flight, timeout=5)
        assert time.monotonic() - started < 3
        async with api.db.read() as conn:
            row = await conn.fetchrow("SELECT status, attempts, last_error FROM webhook_delivery")
        assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"] == "TimeoutError"
    finally:
        server.close()


async def test_the_development_receiver_gets_the_demos_newest_events_at_once_and_every_later_one(api):
    """`registry serve` in development subscribes the demo to its local receiver: the file shows
    deliveries from the start (the demo's three newest events), then each change as it happens."""
    from registry.demo import DEV_REPLAY, subscribe_dev_receiver

    receiver = Receiver().start()
    try:
        receiver.secret = await subscribe_dev_receiver(api.db, receiver.url)
        deliverer = fast(api.db)
        async with httpx.AsyncClient() as client:
            await deliverer.drain(client)
        assert len(receiver.delivered()) == DEV_REPLAY
        await red_line(api, "economy/purchase")
        async with httpx.AsyncClient() as client:
            await deliverer.drain(client)
        assert [r.event["type"] for r in receiver.delivered()][-1] == "dk.registry.red_line.set"
        assert len(receiver.delivered()) == DEV_REPLAY + 1
    finally:
        receiver.stop()
