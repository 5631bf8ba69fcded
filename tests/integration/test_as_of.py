"""As-of checks answer from what the registry recorded at the instant, not from today's state."""

from datetime import datetime, timezone

from tests.conftest import Clock
from tests.support import Api

JAN = datetime(2026, 1, 10, 9, tzinfo=timezone.utc)
MARCH = datetime(2026, 3, 15, 12, tzinfo=timezone.utc)
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason level revision } }"""


async def test_a_delegation_valid_in_march_allows_as_of_march_and_is_expired_now(db, empty_dsn, settings):
    from registry.demo import load_demo

    clock = Clock(JAN)
    await load_demo(db, clock=clock)  # the organisation as recorded in January
    async with Api.start(db, settings, clock, empty_dsn) as api:
        ids = await api.ids()
        declared = (await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {
            areaId: $a, unitId: $u, delegatePersonId: $p, level: 6, validFrom: "2026-02-01T00:00:00Z",
            validUntil: "2026-04-01T00:00:00Z"}) { __typename ... on DelegationPayload { revision delegation { id } } } }""",
            {"a": ids.areas["care/relatives"], "u": ids.unit("Plejecenter Solhaven"), "p": ids.people["fatima"]},
            as_="mette.sorensen@eksempel.dk"))["declareDelegation"]
        assert declared["__typename"] == "DelegationPayload"
        declared = await api.accept(declared["delegation"]["id"])  # Fatima takes it up, in January too
        clock.value = None  # back to the real clock: today the delegation has expired
        request = {"person": "fatima.ali@eksempel.dk", "area": "care/relatives", "unit": ids.unit("Plejecenter Solhaven"),
                   "action": "DECIDE", "attributes": {"consent": True, "health_information_shared": True}}
        now = (await api.gql(CHECK, {"i": request}, as_="mette.sorensen@eksempel.dk"))["check"]
        assert (now["decision"], now["reason"]) == (False, "expired")
        march = (await api.gql(CHECK, {"i": {**request, "at": MARCH.isoformat()}},
                               as_="mette.sorensen@eksempel.dk"))["check"]
        assert (march["decision"], march["reason"], march["level"]) == (True, "allowed", 6)
        assert march["revision"] <= declared["revision"]
        before = (await api.gql(CHECK, {"i": {**request, "at": "2026-01-20T00:00:00Z"}},
                                as_="mette.sorensen@eksempel.dk"))["check"]
        assert (before["decision"], before["reason"]) == (False, "not_yet_valid")


async def test_as_of_sees_a_red_line_that_was_later_archived_and_a_delegation_later_revoked(db, empty_dsn, settings):
    from registry.demo import load_demo

    clock = Clock(JAN)
    await load_demo(db, clock=clock)
    async with Api.start(db, settings, clock, empty_dsn) as api:
        ids = await api.ids()
        lines = (await api.gql("query($u: ID!) { redLinesInForce(unitId: $u) { id version condition } }",
                               {"u": ids.unit("Plejecenter Solhaven")}, as_="mette.sorensen@eksempel.dk"))
        cost = next(r for r in lines["redLinesInForce"] if r["condition"] == "cost <= 2000")
        clock.value = datetime(2026, 5, 1, tzinfo=timezone.utc)
        archived = await api.gql("mutation($id: ID!, $v: Int!) { archiveRedLine(id: $id, version: $v) { __typename } }",
                                 {"id": cost["id"], "v": cost["version"]}, as_="mette.sorensen@eksempel.dk")
        assert archived["archiveRedLine"]["__typename"] == "RedLinePayload"
        clock.value = None
        request = {"person": "anna.jensen@eksempel.dk", "area": "care/activities", "unit": ids.unit("Plejecenter Solhaven"),
                   "action": "DECIDE", "attributes": {"cost": 5000, "outside_home": False, "staff_count": 1}}
        today = (await api.gql(CHECK, {"i": request}, as_="mette.sorensen@eksempel.dk"))["check"]
        assert today["decision"] is True
        in_march = (await api.gql(CHECK, {"i": {**request, "at": MARCH.isoformat()}},
                                  as_="mette.sorensen@eksempel.dk"))["check"]
        assert (in_march["decision"], in_march["reason"]) == (False, "red_line")


async def test_as_of_holds_a_sub_delegation_to_its_parents_conditions_as_they_were_then(db, empty_dsn, settings):
    """Anna's purchases are bound by her own limit and by Mette's (her parent delegation); a check as
    of a past instant takes the parent's conditions as they were then, not as they are now."""
    from registry.demo import load_demo

    clock = Clock(JAN)
    await load_demo(db, clock=clock)
    async with Api.start(db, settings, clock, empty_dsn) as api:
        ids = await api.ids()
        parent = (await api.gql("""query($p: ID!) { delegations(filter: {delegatePersonId: $p}) { nodes {
            id version area { key } } } }""", {"p": ids.people["mette"]},
                                as_="jonas.kristensen@eksempel.dk"))["delegations"]["nodes"]
        parent = next(d for d in parent if d["area"]["key"] == "economy/purchase")
        clock.value = datetime(2026, 5, 1, tzinfo=timezone.utc)
        amended = (await api.gql("""mutation($id: ID!, $v: Int!) { amendDelegation(id: $id, version: $v,
            input: {conditions: [{condition: "amount <= 2000"}]}) { __typename } }""",
                                 {"id": parent["id"], "v": parent["version"]},
                                 as_="susanne.kjaer@eksempel.dk"))["amendDelegation"]
        assert amended["__typename"] == "DelegationPayload", amended
        clock.value = datetime(2026, 5, 2, tzinfo=timezone.utc)
        request = {"person": "anna.jensen@eksempel.dk", "area": "economy/purchase",
                   "unit": ids.unit("Plejecenter Solhaven"), "action": "DECIDE",
                   "attributes": {"amount": 7000, "on_contract": True}}
        now = (await api.gql(CHECK, {"i": request}, as_="mette.sorensen@eksempel.dk"))["check"]
        assert (now["decision"], now["reason"]) == (False, "outside_mandate")
        march = (await api.gql(CHECK, {"i": {**request, "at": MARCH.isoformat()}},
                               as_="mette.sorensen@eksempel.dk"))["check"]
        assert (march["decision"], march["reason"]) == (True, "allowed")
        over = (await api.gql(CHECK, {"i": {**request, "at": MARCH.isoformat(),
                                              "attributes": {"amount": 12000, "on_contract": True}}},
                              as_="mette.sorensen@eksempel.dk"))["check"]
        assert (over["decision"], over["reason"]) == (False, "outside_mandate")
