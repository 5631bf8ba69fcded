"""What a system needs to form a request by itself: every attribute an area takes (its own and the
ones it inherits) with its type, in GraphQL and beside the Casbin export, readable with a check key."""

import json

from tests.integration.test_cli import _run
from tests.support import api_key

JONAS = "jonas.kristensen@eksempel.dk"
AREA = """query($k: String!) { decisionArea(key: $k) { attributes { name }
    attributesInForce { name type unit inheritedFrom } } }"""


async def test_a_sub_area_lists_the_attributes_it_inherits_beside_its_own(api):
    reader = await api_key(api.db, ["read"], name="intranet")
    dosage = (await api.gql(AREA, {"k": "care/medicine/dosage"}, api_key=reader))["decisionArea"]
    assert dosage["attributes"] == []  # unchanged: only what the area declares itself
    assert dosage["attributesInForce"] == [
        {"name": "deviation", "type": "BOOLEAN", "unit": None, "inheritedFrom": "care/medicine"}]
    medicine = (await api.gql(AREA, {"k": "care/medicine"}, api_key=reader))["decisionArea"]
    assert medicine["attributesInForce"] == [
        {"name": "deviation", "type": "BOOLEAN", "unit": None, "inheritedFrom": None}]


async def test_a_check_key_reads_each_areas_attribute_types_and_the_units_external_ids(api):
    ids = await api.ids()
    key = await api_key(api.db, ["check"], name="fagsystem")
    response = await api.client.get("/casbin/eksempel/catalogue.json", headers={"X-Api-Key": key})
    assert response.status_code == 200, response.text
    names = response.json()
    assert names["tenant"] == "eksempel" and names["revision"] > 0
    assert names["areas"]["care/medicine/dosage"] == {
        "parent": "care/medicine", "kle": None, "attributes": {"deviation": "boolean"},
        "inherited_from": {"deviation": "care/medicine"}}
    purchase = names["areas"]["economy/purchase"]
    assert purchase["kle"] == "88" and purchase["inherited_from"] == {}
    assert purchase["attributes"] == {"amount": "number", "on_contract": "boolean"}
    assert names["units"]["LOS-2110"] == ids.unit("Plejecenter Solhaven")

    # A new attribute on a parent area is in force below it at the next revision.
    version = (await api.gql('query { decisionArea(key: "care/medicine") { version } }',
                             as_=JONAS))["decisionArea"]["version"]
    changed = (await api.gql("""mutation($id: ID!, $v: Int!) { updateDecisionArea(id: $id, version: $v, input: {
        attributes: [{name: "deviation", type: BOOLEAN}, {name: "units_given", type: NUMBER}]}) { __typename
        ... on DecisionAreaPayload { revision } } }""",
        {"id": ids.areas["care/medicine"], "v": version}, as_=JONAS))["updateDecisionArea"]
    assert changed["__typename"] == "DecisionAreaPayload", changed
    await api.client.get("/casbin/eksempel/revision", params={"after": changed["revision"] - 1, "wait": 5},
                         headers={"X-Api-Key": key})
    names = (await api.client.get("/casbin/eksempel/catalogue.json", headers={"X-Api-Key": key})).json()
    assert names["areas"]["care/medicine/dosage"]["attributes"] == {"deviation": "boolean", "units_given": "number"}


def test_policy_export_prints_the_catalogue(demo_dsn):
    result = _run("policy", "export", "--tenant", "eksempel", "--catalogue", env={"REGISTRY_DATABASE_URL": demo_dsn})
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout)
    assert names["areas"]["care/alternative-solutions"]["attributes"] == {"citizen_category": "string",
                                                                         "deviation": "boolean"}
    assert "LOS-2110" in names["units"]
