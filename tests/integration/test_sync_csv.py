"""The sync from the municipality's systems (issue 13) through the CLI and the API: a sample
organisation from CSV (tests/sync_sample), a dry run, an apply, an idempotent second run, bad files
refused with nothing written, and then a second source with a leaver, two new leaders and a move,
and what that does to delegations: checks (api.gql check) and follow-up (delegationsDueForReview)."""

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from registry import cli
from registry.domain import sync as domain
from registry.services import sync as sync_uc
from tests.sync_support import ids_by, organisation
from tests.support import Api, api_key, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sync_sample"
TENANT = "nordby"
ADMIN = "admin@nordby.dk"
CHECK = "query($i: CheckInput!) { check(input: $i) { decision reason } }"
DUE = "query($u: ID!) { delegationsDueForReview(unitId: $u) { id reviewDate validUntil } }"
DECLARE = """mutation($a: ID!, $u: ID!, $p: ID!, $s: Boolean!) { declareDelegation(input: {areaId: $a, unitId: $u,
    delegatePersonId: $p, level: 4, includeSubunits: $s}) {
    __typename ... on DelegationPayload { delegation { id } } ... on Error { code message } } }"""


def source(people="people.csv"):
    return domain.parse((SAMPLE / "units.csv").read_text(), (SAMPLE / people).read_text())


async def _nordby(db):
    await organisation(db, TENANT)


async def _ids(db, table, column):
    return await ids_by(db, table, column, TENANT)


async def _history_actors(db, entity_id):
    async with db.read() as conn:
        return {r["actor"] for r in await conn.fetch("SELECT actor FROM history WHERE entity_id = $1::uuid",
                                                   entity_id)}


async def test_a_dry_run_writes_nothing_then_apply_then_a_second_run_changes_nothing(db, empty_dsn, settings,
                                                                                     clock, monkeypatch, capsys):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    args = ["sync", "--source", "csv", "--units", str(SAMPLE / "units.csv"), "--people",
            str(SAMPLE / "people.csv"), "--tenant", TENANT]
    before = await snapshot(db)
    assert await asyncio.to_thread(cli.main, args + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Prøvekørsel" in out and "Enheder: 4 oprettes" in out and "Personer: 6 oprettes" in out
    assert "+ person kim@nordby.dk »Kim Kristensen«" in out
    assert await snapshot(db) == before
    assert await asyncio.to_thread(cli.main, args + ["--apply"]) == 0
    out = capsys.readouterr().out
    assert "Synkroniseret:" in out and "Tilknytninger: 6 oprettes" in out
    units = await _ids(db, "org_unit", "external_id")
    assert set(units) == {"S1", "S2", "S3", "S4"}
    assert await _history_actors(db, units["S3"]) == {"system:sync:csv"}
    after = await snapshot(db)
    assert await asyncio.to_thread(cli.main, args + ["--apply"]) == 0
    assert "Ingen ændringer" in capsys.readouterr().out
    assert await snapshot(db) == after


@pytest.mark.parametrize("units, people, message", [
    ("id,parent_id,name,kind\nS1,,A,forvaltning\nS2,S9,B,center\n", None, "units.csv, linje 3"),
    (None, "external_id,name,email,unit_id,leader,start_date,end_date\nx@n.dk,X,,S2,ja,2020-13-01,\n",
     "people.csv, linje 2"),
    (None, "external_id,name,email,unit_id,leader,start_date,end_date\nx@n.dk,X,,S2,ja,2020-01-01,\n"
     "person:y,Y,,S2,nej,2020-01-01,\n", "people.csv, linje 3"),  # the organisation's own rule for external ids
    (None, "external_id,name,email,unit_id,leader,start_date,end_date\nx@n.dk,X,ikke en adresse,S2,ja,2020-01-01,\n",
     "people.csv, linje 2"),
])
async def test_a_bad_file_is_refused_naming_the_line_and_nothing_is_written(db, empty_dsn, monkeypatch, capsys,
                                                                           tmp_path, units, people, message):
    await _nordby(db)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", empty_dsn)
    (tmp_path / "units.csv").write_text(units or (SAMPLE / "units.csv").read_text())
    (tmp_path / "people.csv").write_text(people or (SAMPLE / "people.csv").read_text())
    before = await snapshot(db)
    code = await asyncio.to_thread(cli.main, ["sync", "--units", str(tmp_path / "units.csv"), "--people",
                                              str(tmp_path / "people.csv"), "--tenant", TENANT, "--apply"])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "intet er skrevet" in err
    assert await snapshot(db) == before


@pytest.mark.parametrize("batch_size", [0, 1], ids=["one transaction", "a batch a step"])
async def test_a_leaver_a_new_leader_and_a_move_and_their_delegations(db, empty_dsn, settings, clock, batch_size):
    await _nordby(db)
    report = await sync_uc.run(db, TENANT, source(), apply=True, clock=clock)
    assert report.applied
    async with Api.start(db, settings, clock, empty_dsn) as api:
        gql = lambda q, v, as_: api.gql(q, v, as_=as_, tenant=TENANT)  # noqa: E731
        area = (await gql("""mutation { createDecisionArea(input: {key: "activities", nameDa: "Aktiviteter",
            nameEn: "Activities"}) { __typename ... on DecisionAreaPayload { decisionArea { id } } ... on Error { code message } } }""", {}, ADMIN))
        assert "decisionArea" in area["createDecisionArea"], area["createDecisionArea"]
        area_id = area["createDecisionArea"]["decisionArea"]["id"]
        units = await _ids(db, "org_unit", "external_id")
        people = await _ids(db, "person", "external_id")

        async def declare(leader, unit, person, subunits):
            found = (await gql(DECLARE, {"a": area_id, "u": units[unit], "p": people[person], "s": subunits},
                               leader))["declareDelegation"]
            assert found["__typename"] == "DelegationPayload", found
            return found["delegation"]["id"]
        to_bo = await declare("lis@nordby.dk", "S3", "bo@nordby.dk", False)      # Bo moves away from S3
        to_eva = await declare("lis@nordby.dk", "S2", "eva@nordby.dk", True)     # Lis leaves
        to_tina = await declare("ole@nordby.dk", "S4", "tina@nordby.dk", False)  # Ole steps down as leader
        by_kim = await declare("kim@nordby.dk", "S1", "ole@nordby.dk", True)     # untouched
        key = await api_key(db, ["check"], tenant=TENANT)

        async def check(person, unit):
            found = (await api.gql(CHECK, {"i": {"person": person, "area": "activities", "unit": unit,
                                                 "action": "CO_DECIDE"}}, api_key=key, tenant=TENANT))["check"]
            return found["decision"], found["reason"]
        assert await check("bo@nordby.dk", "S3") == (True, "allowed")
        assert await check("lis@nordby.dk", "S3") == (True, "leader_authority")
        # Lis appoints Eva her stand-in for S2; Kim appoints Lis his for S1.
        appoint = """mutation($u: ID!, $s: ID!, $f: DateTime!, $t: DateTime!) { appointStandIn(unitId: $u, standInId: $s,
            validFrom: $f, validUntil: $t) { __typename ... on Error { code message } } }"""
        now = clock()
        period = {"f": (now - timedelta(days=1)).isoformat(), "t": (now + timedelta(days=30)).isoformat()}
        for leader, unit, stand_in in (("lis@nordby.dk", "S2", "eva@nordby.dk"), ("kim@nordby.dk", "S1", "lis@nordby.dk")):
            appointed = (await gql(appoint, {"u": units[unit], "s": people[stand_in], **period}, leader))["appointStandIn"]
            assert appointed["__typename"] == "StandInPayload", appointed
        assert await check("eva@nordby.dk", "S3") == (True, "leader_authority")  # as Lis's stand-in
        assert await check("lis@nordby.dk", "S4") == (True, "leader_authority")  # as Kim's stand-in

        expected = {(to_bo, "ended", "moved"), (to_eva, "review", "delegator_left"),
                    (to_tina, "review", "leader_changed")}
        dry = await sync_uc.run(db, TENANT, source("people2.csv"), clock=clock)  # the dry run lists them
        assert {(str(e.delegation_id), e.kind, e.reason) for e in dry.effects} == expected
        assert f"  delegering {to_eva}: erklæret af en leder, der er fratrådt" in "\n".join(dry.lines())
        report = await sync_uc.run(db, TENANT, source("people2.csv"), apply=True, clock=clock, batch_size=batch_size)
        today = clock().date()
        assert {(str(e.delegation_id), e.kind, e.reason) for e in report.effects} == expected

        # The leaver: her checks deny at once; the delegation she declared stays in force.
        assert await check("lis@nordby.dk", "S3") == (False, "unknown_person")
        assert await check("lis@nordby.dk", "S4") == (False, "unknown_person")  # nor as Kim's stand-in
        assert await check("eva@nordby.dk", "S3") == (True, "allowed")  # her stand-in for Lis stopped with Lis
        # The mover: what covered the unit she left stops; the new leader (Per) and the old
        # unit's new leader (Nina) hold their units.
        assert await check("bo@nordby.dk", "S3") == (False, "expired")
        assert await check("per@nordby.dk", "S4") == (True, "leader_authority")
        assert await check("ole@nordby.dk", "S4") == (True, "allowed")  # Kim's, over the whole forvaltning

        # Follow-up: the next leader of S2 (Nina) has Lis's delegations (Eva's, due today; Bo's ended one,
        # due today); Per has Ole's delegation to Tina within 30 days.
        nina = {d["id"]: d for d in (await gql(DUE, {"u": units["S2"]}, "nina@nordby.dk"))["delegationsDueForReview"]}
        assert nina[to_eva]["reviewDate"] == today.isoformat()
        assert nina[to_bo]["reviewDate"] == today.isoformat() and nina[to_bo]["validUntil"] is not None
        per = {d["id"]: d for d in (await gql(DUE, {"u": units["S4"]}, "per@nordby.dk"))["delegationsDueForReview"]}
        assert per[to_tina]["reviewDate"] == (today + timedelta(days=30)).isoformat()
        assert by_kim not in nina and by_kim not in per
        assert await _history_actors(db, to_eva) >= {"system:sync:csv"}
        # The follow-up page says why Lis's two delegations (Eva's, and Bo's that ended with his move) are there.
        async with api.web() as web:
            await web.sign_in("nina@nordby.dk", tenant=TENANT)
            page = (await web.get("/opfoelgning")).text
        assert page.count("Erklæret af en leder, der er fratrådt") == 2 and "Eva Holm" in page
        # Bo's new leader (Per) sees that his move ended his mandate in Egevang Afsnit A.
        async with api.web() as web:
            await web.sign_in("per@nordby.dk", tenant=TENANT)
            page = (await web.get("/opfoelgning")).text
        assert "Nye i enheden, hvis mandat ophørte ved flytningen (1)" in page
        assert "Bo Berg: Aktiviteter i Egevang Afsnit A" in page

        # Run again: nothing changes.
        again = await sync_uc.run(db, TENANT, source("people2.csv"), apply=True, clock=clock)
        assert again.plan.empty and not again.applied

        # Eva's end date (yesterday) in the source: she has left too, and her checks deny.
        yesterday = (today - timedelta(days=1)).isoformat()
        text = (SAMPLE / "people2.csv").read_text().replace("S3,nej,2022-05-01,", f"S3,nej,2022-05-01,{yesterday}")
        ended = await sync_uc.run(db, TENANT, domain.parse((SAMPLE / "units.csv").read_text(), text), apply=True,
                                  clock=clock)
        assert [p.external_id for p in ended.plan.archive_people] == ["eva@nordby.dk"]
        assert await check("eva@nordby.dk", "S3") == (False, "unknown_person")


async def test_a_unit_that_leaves_the_source_is_archived_with_its_history(db, clock):
    await _nordby(db)
    await sync_uc.run(db, TENANT, source(), apply=True, clock=clock)
    units_csv = (SAMPLE / "units.csv").read_text().replace("S3,S2,Egevang Afsnit A,unit\n", "")
    people_csv = (SAMPLE / "people.csv").read_text().replace(",S3,", ",S2,")
    report = await sync_uc.run(db, TENANT, domain.parse(units_csv, people_csv), apply=True, clock=clock)
    counts = report.plan.counts()
    assert (counts["units_ended"], counts["people_moved"], counts["people_ended"]) == (1, 2, 0)
    async with db.read() as conn:
        s3 = await conn.fetchrow("SELECT id, archived_at FROM org_unit WHERE external_id = 'S3'")
        live = await conn.fetchval("""SELECT count(*) FROM membership WHERE unit_id = $1 AND archived_at IS NULL
                                        AND (valid_to IS NULL OR valid_to > now())""", s3["id"])
        ended = await conn.fetchval("SELECT count(*) FROM membership WHERE unit_id = $1", s3["id"])
    assert s3["archived_at"] is not None and live == 0 and ended == 2  # kept, ended
    assert await _history_actors(db, str(s3["id"])) == {"system:sync:csv"}
    again = await sync_uc.run(db, TENANT, domain.parse(units_csv, people_csv), apply=True, clock=clock)
    assert again.plan.empty


async def test_a_leader_of_two_units_leads_both_and_giving_one_up_ends_what_covered_only_it(db, empty_dsn, settings,
                                                                                         clock):
    """One row per position: Lis leads Egevang and Hjemmeplejen Nord. When she gives up Nord, her
    membership there ends, and the delegation to her that covered only Nord ends with it (as a
    move's), while the one in Egevang stays."""
    await _nordby(db)
    units_csv = (SAMPLE / "units.csv").read_text()
    both = (SAMPLE / "people.csv").read_text() + "lis@nordby.dk,Lis Lund,lis@nordby.dk,S4,ja,2024-03-01,\n"
    report = await sync_uc.run(db, TENANT, domain.parse(units_csv, both), apply=True, clock=clock)
    assert report.plan.counts()["memberships_created"] == 7
    async with Api.start(db, settings, clock, empty_dsn) as api:
        key = await api_key(db, ["check"], tenant=TENANT)

        async def check(person, unit):  # co-deciding: what Kim's delegations (level 4) allow
            found = (await api.gql(CHECK, {"i": {"person": person, "area": "activities", "unit": unit,
                                                 "action": "CO_DECIDE"}}, api_key=key, tenant=TENANT))["check"]
            return found["decision"], found["reason"]
        area = (await api.gql("""mutation { createDecisionArea(input: {key: "activities", nameDa: "Aktiviteter",
            nameEn: "Activities"}) { ... on DecisionAreaPayload { decisionArea { id } } } }""", {}, as_=ADMIN,
            tenant=TENANT))["createDecisionArea"]["decisionArea"]["id"]
        assert await check("lis@nordby.dk", "S2") == (True, "leader_authority")
        assert await check("lis@nordby.dk", "S4") == (True, "leader_authority")
        units = await _ids(db, "org_unit", "external_id")
        people = await _ids(db, "person", "external_id")
        # Kim (over both) delegates to Lis in each unit.
        declared = {}
        for unit in ("S2", "S4"):
            found = (await api.gql(DECLARE, {"a": area, "u": units[unit], "p": people["lis@nordby.dk"], "s": False},
                                   as_="kim@nordby.dk", tenant=TENANT))["declareDelegation"]
            assert found["__typename"] == "DelegationPayload", found
            declared[unit] = found["delegation"]["id"]
        one = (SAMPLE / "people.csv").read_text()
        dry = await sync_uc.run(db, TENANT, domain.parse(units_csv, one), clock=clock)
        assert [(str(e.delegation_id), e.kind, e.reason) for e in dry.effects] == [(declared["S4"], "ended", "moved")]
        assert dry.plan.counts()["people_moved"] == 1 and dry.plan.counts()["people_ended"] == 0
        await sync_uc.run(db, TENANT, domain.parse(units_csv, one), apply=True, clock=clock)
        assert await check("lis@nordby.dk", "S2") == (True, "leader_authority")
        assert await check("lis@nordby.dk", "S4") == (False, "expired")  # she leads Nord no more; Kim's ended
        async with db.read() as conn:
            ends = {str(r["id"]): r["valid_until"] for r in await conn.fetch(
                "SELECT id, valid_until FROM delegation WHERE id = ANY($1::uuid[])", list(declared.values()))}
        assert ends[declared["S4"]] is not None and ends[declared["S2"]] is None


UNITS3 = "id,parent_id,name,kind\nA,,Forvaltning,forvaltning\nB,A,Egevang,center\nC,A,Bøgely,center\n"
HEAD = "external_id,name,email,unit_id,leader,start_date,end_date\n"


def _src(rows, head=HEAD):
    return domain.parse(UNITS3, head + rows)


async def _declare_in(db, settings, clock, empty_dsn, pairs):
    """Delegations (leader, unit, delegate) declared through the API; their ids."""
    async with Api.start(db, settings, clock, empty_dsn) as api:
        area = (await api.gql("""mutation { createDecisionArea(input: {key: "activities", nameDa: "Aktiviteter",
            nameEn: "Activities"}) { ... on DecisionAreaPayload { decisionArea { id } } } }""", {}, as_=ADMIN,
            tenant=TENANT))["createDecisionArea"]["decisionArea"]["id"]
        units, people = await _ids(db, "org_unit", "external_id"), await _ids(db, "person", "external_id")
        found = []
        for leader, unit, delegate in pairs:
            got = (await api.gql(DECLARE, {"a": area, "u": units[unit], "p": people[delegate], "s": False},
                                 as_=leader, tenant=TENANT))["declareDelegation"]
            assert got["__typename"] == "DelegationPayload", got
            found.append(got["delegation"]["id"])
        return found


async def _delegation_rows(db, ids):
    async with db.read() as conn:
        return {str(r["id"]): (r["valid_until"], r["review_date"]) for r in await conn.fetch(
            "SELECT id, valid_until, review_date FROM delegation WHERE id = ANY($1::uuid[])", ids)}


async def test_changes_given_ahead_of_time_take_effect_at_the_first_sync_after_they_happen(db, empty_dsn, settings,
                                                                                        clock):
    """Payroll says on the 28th: from the 15th N leads Egevang (L goes to lead Bøgely) and M moves to
    Bøgely. The sync that day writes the dates; the first sync after the 15th treats it as the
    lederskifte and the move it is, once."""
    await _nordby(db)
    t0 = clock()
    await sync_uc.run(db, TENANT, _src("l@k.dk,L,,B,ja,2020-01-01,\nn@k.dk,N,,C,ja,2020-01-01,\n"
                                       "m@k.dk,M,,B,nej,2020-01-01,\nk@k.dk,K,,B,nej,2020-01-01,\n"),
                      apply=True, clock=lambda: t0)
    to_k, to_m = await _declare_in(db, settings, clock, empty_dsn, [("l@k.dk", "B", "k@k.dk"),
                                                                   ("l@k.dk", "B", "m@k.dk")])
    on = (t0 + timedelta(days=17)).date().isoformat()
    ahead = _src(f"l@k.dk,L,,B,ja,2020-01-01,{on}\nl@k.dk,L,,C,ja,{on},\nn@k.dk,N,,C,ja,2020-01-01,{on}\n"
                 f"n@k.dk,N,,B,ja,{on},\nm@k.dk,M,,B,nej,2020-01-01,{on}\nm@k.dk,M,,C,nej,{on},\n"
                 "k@k.dk,K,,B,nej,2020-01-01,\n")
    first = await sync_uc.run(db, TENANT, ahead, apply=True, clock=lambda: t0 + timedelta(minutes=1))
    assert first.applied and first.effects == [] and first.plan.moves == [] and first.plan.leader_changes == []
    t1 = t0 + timedelta(days=22)
    dry = await sync_uc.run(db, TENANT, ahead, clock=lambda: t1)
    assert dry.plan.empty and {(str(e.delegation_id), e.kind, e.reason) for e in dry.effects} == {
        (to_k, "review", "leader_changed"), (to_m, "ended", "moved")}
    assert "Lederskifte: 2 enheder får en ny leder" in dry.lines()
    report = await sync_uc.run(db, TENANT, ahead, apply=True, clock=lambda: t1)
    assert report.applied and report.batches == 1
    rows = await _delegation_rows(db, [to_k, to_m])
    assert rows[to_m] == (t1, t1.date())  # M left Egevang: what covered only it ended
    assert rows[to_k] == (None, t1.date() + timedelta(days=30))  # N follows up on L's delegation
    again = await sync_uc.run(db, TENANT, ahead, apply=True, clock=lambda: t1 + timedelta(days=1))
    assert again.effects == [] and not again.applied  # once


async def test_a_unit_left_without_a_leader_puts_the_former_leaders_delegations_up_for_review(db, empty_dsn,
                                                                                            settings, clock):
    await _nordby(db)
    await sync_uc.run(db, TENANT, _src("l@k.dk,L,,B,ja,2020-01-01,\nm@k.dk,M,,B,nej,2020-01-01,\n"),
                      apply=True, clock=clock)
    [to_m] = await _declare_in(db, settings, clock, empty_dsn, [("l@k.dk", "B", "m@k.dk")])
    # L goes to lead Bøgely; nobody leads Egevang yet.
    report = await sync_uc.run(db, TENANT, _src("l@k.dk,L,,C,ja,2020-01-01,\nm@k.dk,M,,B,nej,2020-01-01,\n"),
                               apply=True, clock=clock)
    [change] = report.plan.leader_changes
    assert change.new is None and "Lederskifte: 0 enheder får en ny leder, 1 står uden leder" in report.lines()
    assert [(str(e.delegation_id), e.kind, e.reason) for e in report.effects] == [(to_m, "review", "leader_changed")]
    assert (await _delegation_rows(db, [to_m]))[to_m] == (None, clock().date() + timedelta(days=30))


async def test_a_leaver_whose_name_changes_in_the_same_export_is_ended(db, clock):
    await _nordby(db)
    await sync_uc.run(db, TENANT, _src("x@k.dk,X,x@k.dk,B,nej,2020-01-01,\ny@k.dk,Y,,B,ja,2020-01-01,\n"),
                      apply=True, clock=clock)
    gone = (clock() - timedelta(days=2)).date().isoformat()
    report = await sync_uc.run(db, TENANT, _src(f"x@k.dk,X Nygaard,x@k.dk,B,nej,2020-01-01,{gone}\n"
                                                "y@k.dk,Y,,B,ja,2020-01-01,\n"), apply=True, clock=clock)
    assert [p.external_id for p in report.plan.archive_people] == ["x@k.dk"]
    async with db.read() as conn:
        assert await conn.fetchrow("SELECT name, archived_at IS NOT NULL AS gone FROM person WHERE external_id = "
                                   "'x@k.dk'") == ("X Nygaard", True)


async def test_an_administrator_in_the_people_file_keeps_her_login_and_the_sync_goes_on(db, clock):
    await _nordby(db)
    head = HEAD.rstrip("\n") + ",sub\n"
    report = await sync_uc.run(db, TENANT, _src(f"{ADMIN},Ada Admin,,A,nej,2020-01-01,,ada-sub-1\n"
                                                "x@k.dk,X,,B,nej,2020-01-01,,x-sub-1\n", head), apply=True, clock=clock)
    assert report.applied and report.plan.counts()["aliases_set"] == 1  # X's; the administrator's is hers to set
    async with db.read() as conn:
        subs = [tuple(r) for r in await conn.fetch(
            "SELECT p.external_id, a.value FROM person_alias a JOIN person p ON p.id = a.person_id")]
    assert subs == [("x@k.dk", "x-sub-1")]
