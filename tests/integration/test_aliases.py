"""A person's aliases (issue 13) through the real app: set and removed over GraphQL (and refused,
writing nothing), recorded in history, in the personal-data export and gone on erasure; checks,
AuthZEN, the mandate and acts by an alias (after a change, after archiving, as of the past); a login
whose subject is a `sub` alias; the change reaching a second server's index; and the CSV sync writing
the aliases its columns supply."""

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import httpx
import pytest

from registry.app import new_engine
from registry.domain import sync as domain
from registry.errors import Invalid
from registry.services import aliases as alias_uc
from registry.services import sync as sync_uc
from registry.services.common import Ctx
from registry.settings import Settings
from tests.integration.test_web_oidc import REGISTRY, oidc_env, sign_in, signed_in_as
from tests.sync_support import organisation
from tests.support import Api, WebClient, api_key, snapshot
from tests.support import oidc_provider as provider

ANNA, METTE = "anna.jensen@eksempel.dk", "mette.sorensen@eksempel.dk"
ADMIN, FATIMA = "jonas.kristensen@eksempel.dk", "fatima.ali@eksempel.dk"
ALT = {"deviation": True, "citizen_category": "demens"}
ERR = "... on Error { code field message messageDa }"
PERSON = "{ id externalId version aliases { kind value } }"
SET = """mutation($p: ID!, $k: PersonAliasKind!, $v: String!) { setPersonAlias(personId: $p, kind: $k, value: $v) {
    __typename ... on PersonPayload { revision person %s } %s } }""" % (PERSON, ERR)
REMOVE = """mutation($p: ID!, $k: PersonAliasKind!) { removePersonAlias(personId: $p, kind: $k) {
    __typename ... on PersonPayload { revision person %s } %s } }""" % (PERSON, ERR)
CHECK = """query($i: CheckInput!) { check(input: $i) { decision reason level delegationIds personExternalId } }"""


async def _set(api, person, kind, value, **who):
    return (await api.gql(SET, {"p": person, "k": kind, "v": value}, **(who or {"as_": ADMIN})))["setPersonAlias"]


def _check(person, revision=None, **extra):
    return {"i": {"person": person, "area": "care/alternative-solutions", "unit": "LOS-2110",
                  "action": "ACT_AS_HVERDAGSDIREKTOER", "attributes": ALT, "minRevision": revision, **extra}}


def _evaluation(subject):
    return {"subject": {"type": "person", "id": subject},
            "resource": {"type": "decision", "id": "care/alternative-solutions",
                         "properties": {"unit": "LOS-2110", **ALT}},
            "action": {"name": "act_as_hverdagsdirektoer"}}


async def test_an_administrator_sets_and_removes_aliases_and_history_records_it(api):
    ids = await api.ids()
    anna = ids.people["anna"]
    upn = await _set(api, anna, "UPN", "Anna.Jensen@Eksempel.DK")
    assert upn["__typename"] == "PersonPayload", upn
    payroll = await _set(api, anna, "PAYROLL", "004711")
    assert {(a["kind"], a["value"]) for a in payroll["person"]["aliases"]} == {
        ("UPN", "anna.jensen@eksempel.dk"), ("PAYROLL", "004711")}  # a UPN is kept lower-cased
    replaced = await _set(api, anna, "PAYROLL", "004712")
    assert ("PAYROLL", "004712") in {(a["kind"], a["value"]) for a in replaced["person"]["aliases"]}
    removed = (await api.gql(REMOVE, {"p": anna, "k": "UPN"}, as_=ADMIN))["removePersonAlias"]
    assert [(a["kind"], a["value"]) for a in removed["person"]["aliases"]] == [("PAYROLL", "004712")]
    # A system that keeps people in step may do the same.
    key = await api_key(api.db, ["write"])
    by_key = await _set(api, anna, "UUID", "3FA85F64-5717-4562-B3FC-2C963F66AFA6", api_key=key)
    assert ("UUID", "3fa85f64-5717-4562-b3fc-2c963f66afa6") in {(a["kind"], a["value"])
                                                               for a in by_key["person"]["aliases"]}
    async with api.db.read() as conn:
        found = await conn.fetch("""SELECT operation, actor, before ->> 'value' AS old, after ->> 'value' AS new
                                    FROM history WHERE entity_type = 'person_alias' ORDER BY id""")
    assert [(r["operation"], r["old"], r["new"]) for r in found] == [
        ("create", None, "anna.jensen@eksempel.dk"), ("create", None, "004711"), ("update", "004711", "004712"),
        ("delete", "anna.jensen@eksempel.dk", None), ("create", None, "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    assert found[0]["actor"] == f"person:{ids.people['jonas']}" and found[-1]["actor"].startswith("apikey:")
    # The audit history shows them under the alias's own id.
    audit = (await api.gql("""query { auditHistory(entityType: "person_alias") { nodes { operation } } }""",
                           as_=ADMIN))["auditHistory"]
    assert len(audit["nodes"]) == 5


@pytest.mark.parametrize("kind, value, code, field", [
    ("UUID", "ikke-et-uuid", "invalid_alias", "value"),
    ("UPN", "anna", "invalid_alias", "value"),
    ("PAYROLL", " 4711", "invalid_alias", "value"),
    ("PAYROLL", "mette.sorensen@eksempel.dk", "alias_taken", "value"),   # another person's external id
    ("UPN", "METTE.SORENSEN@EKSEMPEL.DK", "alias_taken", "value"),       # ... in any casing
    ("SUB", "m-4711", "alias_taken", "value"),                           # another person's alias
    ("PAYROLL", "M-4711", "alias_taken", "value"),                       # ... in any casing
])
async def test_a_bad_or_taken_alias_is_refused_and_nothing_is_written(api, kind, value, code, field):
    ids = await api.ids()
    assert (await _set(api, ids.people["mette"], "SUB", "m-4711"))["__typename"] == "PersonPayload"
    before = await snapshot(api.db)
    refused = await _set(api, ids.people["anna"], kind, value)
    assert (refused["code"], refused["field"]) == (code, field), refused
    assert refused["messageDa"]
    assert await snapshot(api.db) == before


async def test_other_refusals_write_nothing(api):
    ids = await api.ids()
    await _set(api, ids.people["anna"], "PAYROLL", "4711")
    key = await api_key(api.db, ["write"])
    before = await snapshot(api.db)
    # Nothing to remove.
    missing = (await api.gql(REMOVE, {"p": ids.people["anna"], "k": "UPN"}, as_=ADMIN))["removePersonAlias"]
    assert missing["code"] == "not_found"
    # Only administrators and systems with `write`.
    for caller in (METTE, ANNA):
        forbidden = await _set(api, ids.people["anna"], "UPN", "anna@eksempel.dk", as_=caller)
        assert forbidden["code"] == "admin_required", forbidden
    # A login (`sub`) of someone with an organisation-wide role: an administrator's alone.
    role_holder = await _set(api, ids.people["jonas"], "SUB", "jonas-sub", api_key=key)
    assert (role_holder["code"], role_holder["field"]) == ("missing_scope", "kind")
    # A new person (or a changed external id) may not take another person's alias either.
    created = (await api.gql("""mutation { createPerson(input: {externalId: "4711", name: "Ny"}) {
        __typename %s } }""" % ERR, as_=ADMIN))["createPerson"]
    assert (created["code"], created["field"]) == ("alias_taken", "externalId")
    mette = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": ids.people["mette"]},
                           as_=ADMIN))["person"]
    changed = (await api.gql("""mutation($id: ID!, $v: Int!) { updatePerson(id: $id, version: $v,
        input: {externalId: "4711"}) { __typename %s } }""" % ERR, {"id": ids.people["mette"], "v": mette["version"]},
        as_=ADMIN))["updatePerson"]
    assert changed["code"] == "alias_taken"
    assert await snapshot(api.db) == before
    # A kind the registry does not know (GraphQL's enum refuses it; the use case for other doors).
    admin = Ctx(db=api.db, principal=(await _principal(api, ADMIN)))
    with pytest.raises(Invalid) as raised:
        await alias_uc.set_alias(admin, person_id=ids.people["anna"], kind="email", value="x@y.dk")
    assert raised.value.code == "invalid_alias_kind"
    assert await snapshot(api.db) == before


async def _principal(api, external_id):
    from registry.auth import person_principal
    return await person_principal(api.db, "eksempel", external_id)


async def test_checks_authzen_and_the_mandate_accept_any_alias(api):
    ids = await api.ids()
    before_aliases = datetime.now(timezone.utc)  # the demo is in place; Anna has no alias yet
    anna = ids.people["anna"]
    await _set(api, anna, "UPN", "anna.j@eksempel.dk")
    revision = (await _set(api, anna, "PAYROLL", "004711"))["revision"]
    by_ext = (await api.gql(CHECK, _check(ANNA, revision), as_=METTE))["check"]
    assert (by_ext["decision"], by_ext["personExternalId"]) == (True, None)
    for alias in ("004711", "anna.j@eksempel.dk", "Anna.J@Eksempel.DK"):
        by_alias = (await api.gql(CHECK, _check(alias), as_=METTE))["check"]
        assert by_alias == {**by_ext, "personExternalId": ANNA}, alias
    # A payroll number is matched exactly (only a UPN or UUID ignores case).
    assert (await api.gql(CHECK, _check("0047110"), as_=METTE))["check"]["reason"] == "unknown_person"
    # AuthZEN: the evaluation, a batch, and the resource search.
    key = await api_key(api.db, ["check"], name="vagtplan")
    answer = (await api.client.post("/access/v1/evaluation", json=_evaluation("004711"),
                                    headers={"X-Api-Key": key})).json()
    assert answer["decision"] is True and answer["context"]["subject_external_id"] == ANNA
    plain = (await api.client.post("/access/v1/evaluation", json=_evaluation(ANNA),
                                   headers={"X-Api-Key": key})).json()
    assert "subject_external_id" not in plain["context"]  # unchanged for those who name her as before
    batch = (await api.client.post("/access/v1/evaluations", json={**_evaluation("004711"), "evaluations": [{}]},
                                   headers={"X-Api-Key": key})).json()
    assert batch["evaluations"][0]["decision"] is True
    case = {"type": "decision", "properties": {"deviation": False, "citizen_category": "aeldre", "cost": 500,
                                               "outside_home": False, "staff_count": 1}}
    found, by_ext_found = [(await api.client.post("/access/v1/search/resource", json={
        "subject": {"type": "person", "id": subject}, "resource": case,
        "action": {"name": "act_as_hverdagsdirektoer"}}, headers={"X-Api-Key": key})).json()
        for subject in ("anna.j@eksempel.dk", ANNA)]
    assert found["results"] and found["results"] == by_ext_found["results"]
    # The mandate, and GraphQL's person lookup.
    mandate = "query($p: String!) { mandate(person: $p) { areaKey level } }"
    assert (await api.gql(mandate, {"p": "004711"}, as_=METTE))["mandate"] == \
        (await api.gql(mandate, {"p": ANNA}, as_=METTE))["mandate"] != []
    person = (await api.gql('query { person(externalId: "ANNA.J@eksempel.dk") { id } }', as_=METTE))["person"]
    assert person == {"id": anna}
    # As of before she had it (from history), by the alias she has today.
    await asyncio.sleep(max(0.0, 1.5 - (datetime.now(timezone.utc) - before_aliases).total_seconds()))
    past = (await api.gql(CHECK, _check("004711", at=before_aliases.isoformat()), as_=METTE))["check"]
    assert (past["decision"], past["personExternalId"]) == (True, ANNA), past


async def test_a_changed_alias_and_an_archived_person(api):
    ids = await api.ids()
    anna = ids.people["anna"]
    await _set(api, anna, "PAYROLL", "004711")
    revision = (await _set(api, anna, "PAYROLL", "004712"))["revision"]
    old = (await api.gql(CHECK, _check("004711", revision), as_=METTE))["check"]
    assert (old["decision"], old["reason"]) == (False, "unknown_person")
    assert (await api.gql(CHECK, _check("004712"), as_=METTE))["check"]["decision"] is True
    revision = (await api.gql(REMOVE, {"p": anna, "k": "PAYROLL"}, as_=ADMIN))["removePersonAlias"]["revision"]
    assert (await api.gql(CHECK, _check("004712", revision), as_=METTE))["check"]["reason"] == "unknown_person"
    # Archived: her aliases deny as her external id does.
    await _set(api, anna, "UPN", "anna.j@eksempel.dk")
    version = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": anna}, as_=ADMIN))["person"]
    archived = (await api.gql("""mutation($id: ID!, $v: Int!) { archivePerson(id: $id, version: $v) {
        ... on PersonPayload { revision } } }""", {"id": anna, "v": version["version"]}, as_=ADMIN))["archivePerson"]
    for name in (ANNA, "anna.j@eksempel.dk"):
        denied = (await api.gql(CHECK, _check(name, archived["revision"]), as_=METTE))["check"]
        assert (denied["decision"], denied["reason"]) == (False, "unknown_person"), name
    key = await api_key(api.db, ["check"])
    answer = (await api.client.post("/access/v1/evaluation", json=_evaluation("anna.j@eksempel.dk"),
                                    headers={"X-Api-Key": key})).json()
    assert (answer["decision"], answer["context"]["reason"]) == (False, "unknown_person")


async def test_a_system_records_an_act_naming_the_person_by_an_alias(api):
    ids = await api.ids()
    await _set(api, ids.people["anna"], "PAYROLL", "004711")
    key = await api_key(api.db, ["record"])
    recorded = (await api.gql("""mutation($i: RecordActInput!) { recordAct(input: $i) {
        __typename ... on ActPayload { act { id } } %s } }""" % ERR, {"i": {
        "person": "004711", "area": "care/alternative-solutions", "unit": "LOS-2110",
        "action": "act_as_hverdagsdirektoer", "attributes": ALT, "caseRef": "SAG-1", "description": "Tilkaldt",
        "occurredAt": datetime.now(timezone.utc).isoformat()}}, api_key=key))["recordAct"]
    assert recorded["__typename"] == "ActPayload", recorded
    async with api.db.read() as conn:
        person = await conn.fetchval("SELECT person_id::text FROM act WHERE id = $1::uuid", recorded["act"]["id"])
    assert person == ids.people["anna"]


async def test_a_token_whose_subject_is_a_sub_alias_signs_her_in(api):
    ids = await api.ids()
    assert (await api.gql("query { me { id } }", as_="opaque-123")).status == 401  # nobody yet
    await _set(api, ids.people["anna"], "SUB", "opaque-123")
    assert (await api.gql("query { me { id externalId } }", as_="opaque-123"))["me"] == {
        "id": ids.people["anna"], "externalId": ANNA}
    await api.gql(REMOVE, {"p": ids.people["anna"], "k": "SUB"}, as_=ADMIN)
    for _ in range(50):  # the principal cache forgets her when the change feed brings the removal
        if (await api.gql("query { me { id } }", as_="opaque-123")).status == 401:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the removed sub still signs her in")


@asynccontextmanager
async def _oidc_registry(demo_db, demo_dsn, clock, issuer):
    """The registry in production mode with the provider as its OpenID Connect issuer (as in
    test_web_oidc), and a browser of it."""
    async with Api.start(demo_db, Settings.from_env(oidc_env(issuer)), clock, demo_dsn) as api:
        async with httpx.AsyncClient(transport=api.client._transport, base_url=REGISTRY) as client:
            yield api, WebClient(client)


@pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:oidc_provider_mock")
async def test_an_oidc_sign_in_whose_sub_is_a_persons_sub_alias(demo_db, demo_dsn, clock):
    """An identity provider whose `sub` is an opaque id (Entra ID's, say): the sub alias finds her."""
    with provider() as issuer:
        async with _oidc_registry(demo_db, demo_dsn, clock, issuer) as (api, web):
            response = await sign_in(web, "00u-opaque-mette")
            assert response.status_code == 303 and await signed_in_as(web) is None  # not known yet
            mette = (await api.ids()).people["mette"]
            assert (await _set(api, mette, "SUB", "00u-opaque-mette"))["__typename"] == "PersonPayload"
            response = await sign_in(web, "00u-opaque-mette")
            assert response.status_code == 303 and await signed_in_as(web) == "Goddag, Mette"


async def test_an_alias_change_reaches_another_servers_index(api, settings, demo_dsn):
    ids = await api.ids()
    other = new_engine(settings, demo_dsn)
    await other.start()
    try:
        revision = (await _set(api, ids.people["anna"], "PAYROLL", "004711"))["revision"]
        assert await other.wait_for(ids.tenant, revision, timeout=5)
        index = other.index(ids.tenant)
        assert index.person_id("004711") == ids.people["anna"]
        revision = (await _set(api, ids.people["anna"], "PAYROLL", "004712"))["revision"]
        assert await other.wait_for(ids.tenant, revision, timeout=5)
        assert (index.person_id("004711"), index.person_id("004712")) == (None, ids.people["anna"])
        # A server started afterwards reads them from its snapshot.
        late = new_engine(settings, demo_dsn)
        await late.start()
        try:
            assert late.index(ids.tenant).person_id("004712") == ids.people["anna"]
        finally:
            await late.stop()
    finally:
        await other.stop()


EXPORT = """query($p: ID!) { personalData(personId: $p) { document } }"""
ERASE = """mutation($id: ID!, $v: Int!) { erasePerson(id: $id, version: $v) { __typename
    ... on ErasePersonPayload { person { externalId } } %s } }""" % ERR


async def test_the_export_holds_her_aliases_and_erasure_removes_them(api):
    made = (await api.gql("""mutation { createPerson(input: {externalId: "ida@eksempel.dk", name: "Ida Holm"}) {
        ... on PersonPayload { person { id } } } }""", as_=ADMIN))["createPerson"]["person"]
    ida = made["id"]
    await _set(api, ida, "UPN", "Ida.Holm@Eksempel.dk")
    await _set(api, ida, "PAYROLL", "009999")
    await _set(api, ida, "PAYROLL", "009998")
    document = (await api.gql(EXPORT, {"p": ida}, as_=ADMIN))["personalData"]["document"]
    assert {(a["kind"], a["value"]) for a in document["aliases"]} == {("upn", "ida.holm@eksempel.dk"),
                                                                     ("payroll", "009998")}
    about = [h for h in document["history"]["about_them"] if h["entity_type"] == "person_alias"]
    assert len(about) == 3
    version = (await api.gql("query($id: ID!) { person(id: $id) { version } }", {"id": ida}, as_=ADMIN))["person"]
    archived = (await api.gql("""mutation($id: ID!, $v: Int!) { archivePerson(id: $id, version: $v) {
        ... on PersonPayload { person { version } } } }""", {"id": ida, "v": version["version"]},
        as_=ADMIN))["archivePerson"]
    erased = (await api.gql(ERASE, {"id": ida, "v": archived["person"]["version"]}, as_=ADMIN))["erasePerson"]
    assert erased["__typename"] == "ErasePersonPayload", erased
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT count(*) FROM person_alias WHERE person_id = $1::uuid", ida) == 0
        texts = await conn.fetch("SELECT before::text AS b, after::text AS a FROM history "
                                 "WHERE entity_type = 'person_alias'")
    assert len(texts) == 5  # three writes and two removals on erasure
    assert not any(v in (t["b"] or "") + (t["a"] or "") for t in texts
                   for v in ("ida.holm@eksempel.dk", "009999", "009998"))
    # The values are free again.
    assert (await _set(api, (await api.ids()).people["anna"], "PAYROLL", "009998"))["__typename"] == "PersonPayload"


# --- the CSV sync ---------------------------------------------------------------------------------

UNITS = "id,parent_id,name,kind\nS1,,Forvaltning,forvaltning\nS2,S1,Center,center\n"
HEAD = "external_id,name,email,unit_id,leader,start_date,end_date"


async def _nordby(db):
    await organisation(db, "nordby")


async def _aliases(db):
    async with db.read() as conn:
        rows = await conn.fetch("""SELECT p.external_id, a.kind, a.value FROM person_alias a
                                   JOIN person p ON p.id = a.person_id ORDER BY 1, 2""")
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("batch_size", [0, 1], ids=["one transaction", "a batch a step"])
async def test_the_csv_sync_writes_the_aliases_its_columns_supply(db, clock, batch_size):
    await _nordby(db)
    first = (f"{HEAD},upn,payroll_number\n"
             "kim@nordby.dk,Kim,,S1,ja,2018-01-01,,Kim@Nordby.dk,1001\n"
             "bo@nordby.dk,Bo,,S2,nej,2021-01-01,,bo@nordby.dk,1002\n")
    report = await sync_uc.run(db, "nordby", domain.parse(UNITS, first), apply=True, clock=clock)
    assert report.plan.counts()["aliases_set"] == 4
    assert await _aliases(db) == [("bo@nordby.dk", "payroll", "1002"), ("bo@nordby.dk", "upn", "bo@nordby.dk"),
                                  ("kim@nordby.dk", "payroll", "1001"), ("kim@nordby.dk", "upn", "kim@nordby.dk")]
    async with db.read() as conn:
        actors = {r["actor"] for r in await conn.fetch("SELECT actor FROM history WHERE entity_type = 'person_alias'")}
    assert actors == {"system:sync:csv"}
    # A hand-set alias of a kind the file does not supply stays; the payroll numbers swap; Bo's UPN goes.
    kim_id = (await _ids(db))["kim@nordby.dk"]
    admin = Ctx(db=db, principal=await _admin(db))
    await alias_uc.set_alias(admin, person_id=kim_id, kind="sub", value="kim-sub")
    second = (f"{HEAD},upn,payroll_number\n"
              "kim@nordby.dk,Kim,,S1,ja,2018-01-01,,kim@nordby.dk,1002\n"
              "bo@nordby.dk,Bo,,S2,nej,2021-01-01,,,1001\n")
    dry = await sync_uc.run(db, "nordby", domain.parse(UNITS, second), clock=clock)
    assert "Alias (andre id'er for personer): 2 sættes, 3 fjernes" in dry.lines()
    swapped = await sync_uc.run(db, "nordby", domain.parse(UNITS, second), apply=True, clock=clock,
                                batch_size=batch_size)
    assert swapped.batches == (1 if batch_size == 0 else 5)  # 3 removals, then 2 sets: values change hands
    assert await _aliases(db) == [("bo@nordby.dk", "payroll", "1001"), ("kim@nordby.dk", "payroll", "1002"),
                                  ("kim@nordby.dk", "sub", "kim-sub"), ("kim@nordby.dk", "upn", "kim@nordby.dk")]
    again = await sync_uc.run(db, "nordby", domain.parse(UNITS, second), apply=True, clock=clock)
    assert again.plan.empty
    # A file without the columns leaves every alias as it is.
    plain = f"{HEAD}\nkim@nordby.dk,Kim,,S1,ja,2018-01-01,\nbo@nordby.dk,Bo,,S2,nej,2021-01-01,\n"
    assert (await sync_uc.run(db, "nordby", domain.parse(UNITS, plain), apply=True, clock=clock)).plan.empty


async def test_a_source_with_a_bad_or_doubled_alias_is_refused_and_writes_nothing(db, clock):
    await _nordby(db)
    before = await snapshot(db)
    for people, code in ((f"{HEAD},upn\nkim@nordby.dk,Kim,,S1,ja,2018-01-01,,kim\n", "invalid_alias"),
                         (f"{HEAD},payroll_number\nkim@nordby.dk,Kim,,S1,ja,2018-01-01,,1\n"
                          "bo@nordby.dk,Bo,,S2,nej,2021-01-01,,1\n", "alias_taken")):
        with pytest.raises(domain.SourceError) as raised:
            await sync_uc.run(db, "nordby", domain.parse(UNITS, people), apply=True, clock=clock)
        assert raised.value.code == code and raised.value.file == "people.csv"
    assert await snapshot(db) == before
    # A value a live person outside the source holds: the sync is refused whole.
    admin = Ctx(db=db, principal=await _admin(db))
    await alias_uc.set_alias(admin, person_id=(await _ids(db))["admin@nordby.dk"], kind="payroll", value="1")
    before = await snapshot(db)
    with pytest.raises(Exception) as raised:
        await sync_uc.run(db, "nordby", domain.parse(UNITS, f"{HEAD},payroll_number\n"
                                                           "kim@nordby.dk,Kim,,S1,ja,2018-01-01,,1\n"),
                          apply=True, clock=clock)
    assert getattr(raised.value, "code", None) == "alias_taken"
    assert await snapshot(db) == before


async def _ids(db):
    async with db.read() as conn:
        return {r["external_id"]: r["id"] for r in await conn.fetch("SELECT external_id, id FROM person")}


async def _admin(db):
    from registry.auth import person_principal
    return await person_principal(db, "nordby", "admin@nordby.dk")
