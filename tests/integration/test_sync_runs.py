"""A large sync is written in bounded batches, each recorded in its run (sync_run) as it commits; a
run that fails or stops half-way is continued by the next run of the source, and the organisation
ends as one transaction would have left it. Two syncs of one organisation never run at once.

The faults are real: a trigger in the test database refuses (or holds up) one person's insert."""

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from registry import cli
from registry.app import create_app, new_engine
from registry.domain import sync as domain
from registry.errors import Conflict
from registry.services import sync as sync_uc
from registry.settings import Settings
from registry.storage import sync as syncs
from tests.conftest import JWT_SECRET
from tests.sync_support import organisation
from tests.support import Api, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sync_sample"


def source(people="people.csv"):
    return domain.parse((SAMPLE / "units.csv").read_text(), (SAMPLE / people).read_text())


async def _organisation(db, key):
    await organisation(db, key)


async def _state(db, key) -> dict:
    """The organisation as the sync leaves it, by external ids (comparable across organisations)."""
    async with db.read() as conn:
        units = await conn.fetch(
            """SELECT u.external_id, u.name, u.kind, p.external_id AS parent, u.archived_at IS NOT NULL AS archived
                 FROM org_unit u JOIN organisation o ON o.id = u.tenant_id LEFT JOIN org_unit p ON p.id = u.parent_id
                WHERE o.key = $1 ORDER BY 1""", key)
        people = await conn.fetch(
            """SELECT p.external_id, p.name, p.email, p.archived_at IS NOT NULL AS archived FROM person p
                 JOIN organisation o ON o.id = p.tenant_id WHERE o.key = $1 AND p.roles = '{}' ORDER BY 1""", key)
        memberships = await conn.fetch(
            """SELECT p.external_id AS person, u.external_id AS unit, m.role, m.valid_from, m.valid_to,
                      m.archived_at IS NOT NULL AS archived
                 FROM membership m JOIN organisation o ON o.id = m.tenant_id JOIN person p ON p.id = m.person_id
                 JOIN org_unit u ON u.id = m.unit_id WHERE o.key = $1 ORDER BY 1, 2, 3, 4""", key)
    return {"units": [tuple(r) for r in units], "people": [tuple(r) for r in people],
            "memberships": [tuple(r) for r in memberships]}


async def _runs(db, key):
    async with db.read() as conn:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", key)
        return await syncs.runs(conn, tenant, 10)


async def _refuse_insert_of(db, external_id, *, sleep: bool = False):
    """A real fault in the database: inserting this person fails (or first waits a minute)."""
    body = "PERFORM pg_sleep(60);" if sleep else "RAISE EXCEPTION 'disk full (test)';"
    async with db.read() as conn:
        await conn.execute(f"""CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.external_id = '{external_id}' THEN {body} END IF; RETURN NEW; END $$""")
        await conn.execute("CREATE TRIGGER test_fault BEFORE INSERT ON person FOR EACH ROW EXECUTE FUNCTION test_fault()")


async def _heal(db):
    async with db.read() as conn:
        await conn.execute("DROP TRIGGER test_fault ON person; DROP FUNCTION test_fault()")


async def test_batches_leave_the_organisation_as_one_transaction_does_and_the_run_records_them(db, clock):
    await _organisation(db, "nordby")
    await _organisation(db, "sydby")
    whole = await sync_uc.run(db, "nordby", source(), apply=True, clock=clock, batch_size=0)
    seen = []
    batched = await sync_uc.run(db, "sydby", source(), apply=True, clock=clock, batch_size=3,
                                progress=lambda done, total: seen.append((done, total)))
    assert (whole.batches, batched.batches) == (1, 4)  # 4 units and 6 people: 10 steps, 3 to a batch
    assert seen == [(i, 10) for i in range(1, 11)]
    assert await _state(db, "nordby") == await _state(db, "sydby")
    [run] = await _runs(db, "sydby")
    assert (run.status, run.steps_total, run.steps_done, run.batch_size, run.trigger) == ("done", 10, 10, 3, "cli")
    assert run.last_revision == batched.revision and run.last_revision - run.first_revision == 3
    assert run.counts["people_created"] == 6 and run.finished_at is not None
    assert "(4 transaktioner)" in "\n".join(batched.lines())
    # The second source (a leaver, two new leaders, a move) in batches of one: the same as in one
    # (at the same instant: memberships end when the sync runs).
    clock.value = clock()
    whole2 = await sync_uc.run(db, "nordby", source("people2.csv"), apply=True, clock=clock, batch_size=0)
    batched2 = await sync_uc.run(db, "sydby", source("people2.csv"), apply=True, clock=clock, batch_size=1)
    assert (whole2.batches, batched2.batches) == (1, 5)  # Nina and Per new, Bo moves, Ole steps down, Lis leaves
    assert await _state(db, "nordby") == await _state(db, "sydby")
    assert whole2.plan.counts() == batched2.plan.counts()


async def test_a_run_that_fails_half_way_is_continued_by_the_next_and_ends_as_one_transaction(db, clock, caplog):
    await _organisation(db, "nordby")
    await _organisation(db, "sydby")
    await sync_uc.run(db, "nordby", source(), apply=True, clock=clock, batch_size=0)
    await _refuse_insert_of(db, "tina@nordby.dk")  # the last person: the fourth batch of three steps
    with pytest.raises(Exception, match="disk full"):
        await sync_uc.run(db, "sydby", source(), apply=True, clock=clock, batch_size=3)
    assert "sync of sydby from csv failed after 3 batches" in caplog.text
    [failed] = await _runs(db, "sydby")
    assert (failed.status, failed.steps_done, failed.steps_total) == ("failed", 9, 10)
    assert (failed.error_code, failed.error_da) == ("internal_error", "uventet fejl (se serverens log)")
    assert "disk full" not in (failed.error_da or "")  # nothing internal in what people read
    half = await _state(db, "sydby")
    assert "tina@nordby.dk" not in {p[0] for p in half["people"]} and len(half["people"]) == 5
    await _heal(db)
    report = await sync_uc.run(db, "sydby", source(), apply=True, clock=clock, batch_size=3)
    assert report.continued is not None and report.continued.id == failed.id
    assert report.plan.counts()["people_created"] == 1 and report.plan.counts()["units_created"] == 0
    assert "der stoppede efter 9 af 10 trin" in "\n".join(report.lines())
    assert await _state(db, "sydby") == await _state(db, "nordby")
    done, _failed = await _runs(db, "sydby")
    assert (done.status, done.continues, done.steps_total) == ("done", failed.id, 1)


async def test_a_run_that_stopped_without_a_word_is_marked_interrupted_and_continued(db, clock):
    await _organisation(db, "nordby")
    await _organisation(db, "sydby")
    await sync_uc.run(db, "nordby", source(), apply=True, clock=clock, batch_size=0)
    await _refuse_insert_of(db, "ole@nordby.dk", sleep=True)  # held up in the third batch
    task = asyncio.create_task(sync_uc.run(db, "sydby", source(), apply=True, clock=clock, batch_size=3))
    async with db.read() as conn:
        for _ in range(200):
            if await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the sync never reached the held-up insert")
    task.cancel()  # the process stops: no `finally` of the run records anything
    with pytest.raises(asyncio.CancelledError):
        await task
    [stopped] = await _runs(db, "sydby")
    assert (stopped.status, stopped.steps_done) == ("running", 6)
    await _heal(db)
    report = await sync_uc.run(db, "sydby", source(), apply=True, clock=clock, batch_size=3)
    assert report.continued.id == stopped.id and report.continued.status == "interrupted"
    assert await _state(db, "sydby") == await _state(db, "nordby")


async def test_two_syncs_of_one_organisation_never_run_at_once(db, clock):
    await _organisation(db, "nordby")
    async with db.read() as conn:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = 'nordby'")
    before = await snapshot(db)
    async with syncs.exclusive(db, tenant) as mine:  # another process's sync holds the lock
        assert mine
        with pytest.raises(Conflict) as refused:
            await sync_uc.run(db, "nordby", source(), apply=True, clock=clock)
        assert refused.value.code == "sync_running" and "kører allerede" in refused.value.message_da
        dry = await sync_uc.run(db, "nordby", source(), clock=clock)  # a dry run reads only: it may
        assert dry.plan.counts()["people_created"] == 6
    assert await snapshot(db) == before and await _runs(db, "nordby") == []
    assert (await sync_uc.run(db, "nordby", source(), apply=True, clock=clock)).applied


async def test_the_cli_writes_a_large_plan_in_batches_and_says_so(db, empty_dsn, monkeypatch, capsys):
    await _organisation(db, "nordby")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    args = ["sync", "--units", str(SAMPLE / "units.csv"), "--people", str(SAMPLE / "people.csv"),
            "--tenant", "nordby", "--apply", "--batch-size", "4"]
    assert await asyncio.to_thread(cli.main, args) == 0
    assert "(3 transaktioner)" in capsys.readouterr().out
    assert await asyncio.to_thread(cli.main, [*args[:-1], "-1"]) == 1
    assert "batchSize" in capsys.readouterr().err


async def _wait_for_run(db, key, count, timeout=30.0):
    for _ in range(int(timeout / 0.1)):
        found = [r for r in await _runs(db, key) if r.status != "running"]
        if len(found) >= count:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no run {count} of the scheduled sync within {timeout} s: {await _runs(db, key)}")


async def test_the_server_runs_the_sync_on_its_schedule_and_administrators_see_each_run(db, empty_dsn, clock,
                                                                                     tmp_path):
    await _organisation(db, "nordby")
    units, people = tmp_path / "units.csv", tmp_path / "people.csv"
    units.write_text((SAMPLE / "units.csv").read_text())
    people.write_text((SAMPLE / "people.csv").read_text())
    settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": str(tmp_path / "data"),
                                  "REGISTRY_ORG_SYNC_SOURCE": "csv", "REGISTRY_ORG_SYNC_TENANT": "nordby",
                                  "REGISTRY_ORG_SYNC_UNITS": str(units), "REGISTRY_ORG_SYNC_PEOPLE": str(people),
                                  "REGISTRY_ORG_SYNC_EVERY_MINUTES": "0.01"})   # every 0.6 s
    engine = new_engine(settings, empty_dsn)
    await engine.start()
    try:
        app = create_app(settings, clock=clock, db=db, engine=engine)
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                     base_url="http://registry.test") as client:
            first = await _wait_for_run(db, "nordby", 1)
            assert (first.status, first.trigger, first.counts["people_created"]) == ("done", "schedule", 6)
            people.write_text((SAMPLE / "people2.csv").read_text())  # the source changes: the next round has it
            for _ in range(300):
                latest = await _wait_for_run(db, "nordby", 1)
                if latest.counts.get("people_created") == 2:
                    break
                await asyncio.sleep(0.1)
            assert latest.status == "done" and latest.counts["people_ended"] == 1
            assert await _state(db, "nordby") != {} and "nina@nordby.dk" in {
                p[0] for p in (await _state(db, "nordby"))["people"]}
            people.write_text("external_id,name\nx,X\n")  # broken: recorded as a failed run, nothing written
            before = await _state(db, "nordby")
            for _ in range(300):
                latest = await _wait_for_run(db, "nordby", 1)
                if latest.status == "failed":
                    break
                await asyncio.sleep(0.1)
            assert latest.error_code == "missing_columns" and "mangler kolonnen" in latest.error_da
            assert await _state(db, "nordby") == before
            api = Api(client, db, settings, clock)
            found = await api.gql("{ syncRuns(first: 50) { status trigger errorCode stepsDone counts } }",
                                  as_="admin@nordby.dk", tenant="nordby")
            runs = found["syncRuns"]
            assert runs[0]["status"] == "failed" and runs[0]["errorCode"] == "missing_columns"
            assert {"done"} <= {r["status"] for r in runs} and all(r["trigger"] == "schedule" for r in runs)
            # A round when nothing is due does nothing: the interval counts from the last run.
            assert not sync_uc.due(first, first.started_at, timedelta(minutes=1))
    finally:
        await engine.stop()


async def test_runs_are_deleted_a_year_after_they_began(db, clock):
    await _organisation(db, "nordby")
    await sync_uc.run(db, "nordby", source(), apply=True, clock=clock)
    [recent] = await _runs(db, "nordby")
    async with db.read() as conn:
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = 'nordby'")
        old = await syncs.start_run(conn, tenant, source="csv", trigger="schedule", digest="", batch_size=0,
                                    steps_total=0, counts={}, effects=0, continues=None,
                                    now=clock() - timedelta(days=366))
        await syncs.finish_run(conn, old.id, clock() - timedelta(days=366), error_code="missing_columns",
                               error_da="people.csv, linje 1: mangler kolonnen name")
    assert await sync_uc.purge_runs(db, clock()) == 1
    assert [r.id for r in await _runs(db, "nordby")] == [recent.id]


def test_when_the_scheduled_sync_is_due():
    from datetime import datetime, timezone

    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    day = timedelta(days=1)

    def run(status, hours_ago):
        return syncs.SyncRun(id=uuid4(), seq=1, tenant_id=uuid4(), source="csv", trigger="schedule", status=status,
                             source_digest="", batch_size=0, steps_total=1, steps_done=0, counts={}, effects=0,
                             continues=None, first_revision=None, last_revision=None, error_code=None, error_da=None,
                             started_at=now - timedelta(hours=hours_ago), finished_at=None)
    assert sync_uc.due(None, now, day)
    assert not sync_uc.due(run("done", 23), now, day) and sync_uc.due(run("done", 24), now, day)
    assert not sync_uc.due(run("failed", 0.2), now, day) and sync_uc.due(run("failed", 0.25), now, day)  # 15 min
    # Under way: left alone (nobody reads the source meanwhile) until an interval has passed.
    assert not sync_uc.due(run("running", 5), now, day) and sync_uc.due(run("running", 25), now, day)


async def test_a_scheduled_sync_whose_source_cannot_be_read_is_recorded_as_failed_and_writes_nothing(db, clock,
                                                                                                   tmp_path):
    from registry.sources import SourceConfig

    await _organisation(db, "nordby")
    before = await _state(db, "nordby")
    config = SourceConfig(kind="csv", units=str(tmp_path / "missing.csv"), people=str(tmp_path / "missing.csv"))
    failed = await sync_uc.scheduled(db, "nordby", config, every=timedelta(days=1), clock=clock)
    assert (failed.status, failed.error_code, failed.trigger) == ("failed", "unreadable_file", "schedule")
    assert "kan ikke læse filen" in failed.error_da and await _runs(db, "nordby") == [failed]
    assert await _state(db, "nordby") == before
    assert await sync_uc.scheduled(db, "nordby", config, every=timedelta(days=1), clock=clock) is None  # not yet due
