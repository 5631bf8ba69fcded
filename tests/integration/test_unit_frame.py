"""The unit's shared frame (issue 12 part 5): a unit or a team has one statement of its kerneopgave and
its fælles spilleregler, with when and how it was agreed; every mandate within the unit shows it."""

from datetime import date, timedelta

import pytest

from tests.support import snapshot

METTE = "mette.sorensen@eksempel.dk"
KAREN = "karen.pedersen@eksempel.dk"   # leads Demensafsnittet, below Solhaven
ANNA = "anna.jensen@eksempel.dk"
ERR = "... on Error { code field message messageDa }"
SET = """mutation($i: SetUnitFrameInput!, $v: Int) { setUnitFrame(input: $i, version: $v) { __typename
    ... on UnitFramePayload { unitFrame { id version coreTask rules agreedOn agreedHow agreedDa unit { name } } }
    %s } }""" % ERR
GET = "query($u: ID) { unitFrame(unitId: $u) { version coreTask rules agreedDa } }"


async def test_the_demo_shows_solhavens_frame_and_every_mandate_in_it_shows_it(api):
    ids = await api.ids()
    frame = (await api.gql(GET, {"u": ids.unit("Plejecenter Solhaven")}, as_=ANNA))["unitFrame"]
    assert frame["coreTask"].startswith("Beboerne på Solhaven") and "Vi spørger beboeren først." in frame["rules"]
    assert frame["agreedDa"].startswith("Aftalt med teamet ") and frame["agreedDa"].endswith(
        ": drøftet og aftalt på personalemødet.")
    mandate = (await api.gql("""query { mandate(person: "%s") { areaKey viaTeam { name }
        frames { coreTask team { name } unit { name } } } }""" % ANNA, as_=ANNA))["mandate"]
    assert all(any(f["unit"] and f["unit"]["name"] == "Plejecenter Solhaven" for f in e["frames"]) for e in mandate)
    through_team = [e for e in mandate if e["viaTeam"]]
    assert through_team and all(e["frames"][-1]["team"]["name"] == "Aftenvagten" for e in through_team)
    async with api.web(as_=ANNA) as web:
        page = (await web.get("/mit-mandat")).text
        assert "Fælles ramme for Plejecenter Solhaven" in page and "Vi spørger beboeren først." in page


async def test_a_leader_rewrites_her_units_frame_as_a_new_version_and_history_keeps_the_old(api):
    ids = await api.ids()
    demens = ids.unit("Demensafsnittet Kastanjen")
    first = (await api.gql(SET, {"i": {"unitId": demens, "coreTask": "Ro og genkendelighed.",
                                       "rules": ["Vi tager os tid."], "agreedOn": date.today().isoformat(),
                                       "agreedHow": "På teammødet"}}, as_=KAREN))["setUnitFrame"]
    assert first["__typename"] == "UnitFramePayload", first
    assert first["unitFrame"]["version"] == 1
    assert first["unitFrame"]["unit"]["name"].startswith("Demensafsnittet Kastanjen")
    stale = (await api.gql(SET, {"i": {"unitId": demens, "coreTask": "Andet"}}, as_=KAREN))["setUnitFrame"]
    assert (stale["__typename"], stale["code"]) == ("ConflictError", "conflict")
    second = (await api.gql(SET, {"i": {"unitId": demens, "coreTask": "Ro, genkendelighed og nærvær."}, "v": 1},
                            as_=METTE))["setUnitFrame"]   # the leader above may too
    assert second["unitFrame"]["version"] == 2
    history = (await api.gql("query($id: ID!) { history(entityId: $id) { nodes { operation } } }",
                             {"id": first["unitFrame"]["id"]}, as_=METTE))["history"]["nodes"]
    assert [h["operation"] for h in history] == ["create", "update"]


@pytest.mark.parametrize("who, i, code", [
    (ANNA, {"coreTask": "Mit eget"}, "not_unit_leader"),                       # an employee
    (KAREN, {"coreTask": "Over mig"}, "not_unit_leader"),                      # a leader below it
    (METTE, {"coreTask": "", "rules": []}, "required"),
    (METTE, {"coreTask": "x", "agreedOn": (date.today() + timedelta(days=3)).isoformat()}, "invalid_instant"),
    (METTE, {"coreTask": "x", "rules": ["r"] * 31}, "too_many"),
])
async def test_a_frame_that_may_not_be_is_refused_and_writes_nothing(api, who, i, code):
    ids = await api.ids()
    before = await snapshot(api.db)
    result = (await api.gql(SET, {"i": {"unitId": ids.unit("Plejecenter Solhaven"), **i}, "v": 1},
                            as_=who))["setUnitFrame"]
    assert result["code"] == code, result
    assert result["messageDa"]
    assert await snapshot(api.db) == before


async def test_a_leader_writes_the_frame_on_its_page(api):
    ids = await api.ids()
    solhaven = ids.unit("Plejecenter Solhaven")
    async with api.web(as_=METTE) as web:
        board = await web.get(f"/tavle?enhed={solhaven}")
        assert f'href="/ramme?enhed={solhaven}"' in board.text
        form = await web.get(f"/ramme?enhed={solhaven}")
        assert "Sådan er rammen nu" in form.text and 'name="version" value="1"' in form.text
        saved = await web.post("/ramme", {"enhed": solhaven, "version": "1", "kerneopgave": "En god hverdag.",
                                          "spilleregler": "Vi spørger beboeren først.\nVi hjælper hinanden.",
                                          "aftalt_dato": date.today().isoformat(),
                                          "aftalt_hvordan": "Personalemødet"})
        assert saved.status_code == 303
        again = await web.get(saved.headers["location"])
        assert "Den fælles ramme er gemt." in again.text and "Vi hjælper hinanden." in again.text
        before = await snapshot(api.db)
        refused = await web.post("/ramme", {"enhed": solhaven, "version": "2", "kerneopgave": "",
                                            "spilleregler": ""})
        assert refused.status_code == 400 and 'id="fejl-kerneopgave"' in refused.text
        assert await snapshot(api.db) == before


async def test_a_regions_units_are_named_as_a_region_names_them(api):
    from registry.auth import Principal, platform_principal
    from registry.services import org as org_uc
    from registry.services import organisations as organisation_uc
    from registry.services.common import Ctx

    created = await organisation_uc.create_organisation(Ctx(db=api.db, principal=platform_principal()),
                                                        key="region-nord", name="Region Nord", kind="region")
    tenant = created.value[0].id
    admin = Principal(tenant_id=tenant, tenant_key="region-nord", api_key_name="t", scopes=frozenset({"admin"}))
    ctx = Ctx(db=api.db, principal=admin)
    top = (await org_uc.create_unit(ctx, name="Koncerndirektionen", kind="direktion", parent_id=None)).value
    await org_uc.create_unit(ctx, name="Regionshospitalet", kind="forvaltning", parent_id=top.id)
    await org_uc.create_person(ctx, external_id="chef@rn.dk", name="Chef", roles=("admin",))
    units = (await api.gql("{ units { nodes { name kindDa } } }", as_="chef@rn.dk", tenant="region-nord"))["units"]
    assert {(u["name"], u["kindDa"]) for u in units["nodes"]} == {("Koncerndirektionen", "Koncerndirektion"),
                                                                  ("Regionshospitalet", "Hospital/virksomhed")}
    demo = (await api.gql("{ units { nodes { name kindDa } } }", as_=METTE))["units"]["nodes"]
    assert ("Direktionen", "Direktion") in {(u["name"], u["kindDa"]) for u in demo}


async def test_the_board_shows_the_units_shared_frame(api):
    ids = await api.ids()
    frame = (await api.gql(GET, {"u": ids.unit("Plejecenter Solhaven")}, as_=METTE))["unitFrame"]
    async with api.web(as_=METTE) as web:
        board = (await web.get(f"/tavle?enhed={ids.unit('Plejecenter Solhaven')}")).text
        below = (await web.get(f"/tavle?enhed={ids.unit('Demensafsnittet')}")).text
    section = board[board.index('id="faelles-ramme"'):]
    section = section[:section.index("</section>")]
    assert "Fælles ramme for Plejecenter Solhaven" in section and frame["coreTask"][:40] in section
    assert all(rule in section for rule in frame["rules"])
    assert 'id="faelles-ramme"' not in below  # the unit below has no frame of its own
