"""The audit history: who changed what, when, on whose behalf, by entity, actor, unit subtree and time."""

from datetime import datetime, timedelta, timezone

AUDITOR, ADMIN, METTE = "henrik.bach@eksempel.dk", "jonas.kristensen@eksempel.dk", "mette.sorensen@eksempel.dk"
QUERY = """query($actor: String, $unit: ID, $type: String, $since: DateTime) { auditHistory(actor: $actor,
    unitId: $unit, entityType: $type, since: $since, first: 500) { nodes { entityType actor onBehalfOf after } } }"""


async def test_the_auditor_filters_changes_by_actor_unit_and_time(api):
    ids = await api.ids()
    start = datetime.now(timezone.utc)
    declared = await api.gql("""mutation($a: ID!, $u: ID!, $p: ID!) { declareDelegation(input: {areaId: $a,
        unitId: $u, delegatePersonId: $p, level: 3}) { __typename ... on DelegationPayload { delegation { id } } } }""",
        {"a": ids.areas["care/relatives"], "u": ids.unit("Demensafsnittet"), "p": ids.people["ida"]}, as_=METTE)
    new_id = declared["declareDelegation"]["delegation"]["id"]
    mette = f"person:{ids.people['mette']}"
    mine = (await api.gql(QUERY, {"actor": mette, "since": start.isoformat()}, as_=AUDITOR))["auditHistory"]["nodes"]
    assert [(n["entityType"], n["actor"], n["after"]["id"]) for n in mine] == [("delegation", mette, new_id)]
    before = (await api.gql(QUERY, {"actor": mette, "since": (start + timedelta(hours=1)).isoformat()},
                            as_=AUDITOR))["auditHistory"]["nodes"]
    assert before == []
    in_subtree = (await api.gql(QUERY, {"unit": ids.unit("Plejecenter Solhaven"), "type": "delegation"},
                                as_=AUDITOR))["auditHistory"]["nodes"]
    units = {n["after"]["unit_id"] for n in in_subtree}
    assert units == {ids.unit("Plejecenter Solhaven"), ids.unit("Demensafsnittet")}
    elsewhere = (await api.gql(QUERY, {"unit": ids.unit("Børnehuset"), "type": "delegation"},
                               as_=ADMIN))["auditHistory"]["nodes"]
    assert elsewhere and all(n["after"]["unit_id"] == ids.unit("Børnehuset") for n in elsewhere)


async def test_the_audit_history_is_not_for_everyone(api):
    refused = await api.gql(QUERY, {}, as_=METTE)
    assert refused.data is None and refused.errors[0]["extensions"]["code"] == "auditor_required"
