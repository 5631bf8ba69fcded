"""SCIM 2.0 (registry.api.scim) through the real app: Users are people, Groups are teams, DELETE
archives; refusals are SCIM errors and write nothing. Last, scim2-tester's compliance checks."""

from __future__ import annotations

import pytest

from tests.support import api_key, other_tenant, snapshot

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ANNA = "anna.jensen@eksempel.dk"


def _h(key: str) -> dict:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/scim+json"}


def _user(user_name: str, name: str = "Sofie Holm", **more) -> dict:
    return {"schemas": [USER], "userName": user_name, "displayName": name,
            "emails": [{"value": f"{user_name}", "primary": True}], **more}


async def _anna_id(api) -> str:
    key = await api_key(api.db, ["scim"], name="lookup")
    found = (await api.client.get("/scim/v2/Users", params={"filter": f'userName eq "{ANNA}"'},
                                  headers=_h(key))).json()
    return found["Resources"][0]["id"]


async def test_create_get_filter_page_put_patch_and_delete_archives(api):
    key = await api_key(api.db, ["scim"])
    made = await api.client.post("/scim/v2/Users", json=_user("sofie.holm@eksempel.dk"), headers=_h(key))
    assert made.status_code == 201, made.text
    assert made.headers["content-type"].startswith("application/scim+json")
    user = made.json()
    assert user["userName"] == "sofie.holm@eksempel.dk" and user["active"] is True
    assert made.headers["location"].endswith(f"/scim/v2/Users/{user['id']}")
    got = (await api.client.get(f"/scim/v2/Users/{user['id']}", headers=_h(key))).json()
    assert got["displayName"] == "Sofie Holm" and got["emails"][0]["value"] == "sofie.holm@eksempel.dk"
    # the person is the registry's own: GraphQL sees her by her external id
    q = "query($x: String!) { people(search: $x) { nodes { externalId name } } }"
    seen = await api.gql(q, {"x": "sofie.holm"}, as_="jonas.kristensen@eksempel.dk")
    assert seen.data["people"]["nodes"] == [{"externalId": "sofie.holm@eksempel.dk", "name": "Sofie Holm"}]

    # userName is compared case-insensitively, externalId exactly (RFC 7643); both are the external id
    for attr, value in (("userName", "SOFIE.holm@eksempel.dk"), ("externalId", "sofie.holm@eksempel.dk")):
        found = (await api.client.get("/scim/v2/Users", params={"filter": f'{attr} eq "{value}"'},
                                      headers=_h(key))).json()
        assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user["id"], attr
    found = (await api.client.get("/scim/v2/Users", params={"filter": 'externalId eq "SOFIE.holm@eksempel.dk"'},
                                  headers=_h(key))).json()
    assert found["totalResults"] == 0
    found = (await api.client.get("/scim/v2/Users", params={"filter": 'displayName eq "Sofie Holm"'},
                                  headers=_h(key))).json()
    assert [r["id"] for r in found["Resources"]] == [user["id"]]
    found = (await api.client.get("/scim/v2/Users", params={"filter": 'userName sw "sofie" and active eq true'},
                                  headers=_h(key))).json()
    assert [r["id"] for r in found["Resources"]] == [user["id"]]

    everyone = (await api.client.get("/scim/v2/Users", headers=_h(key))).json()
    total = everyone["totalResults"]
    assert total > 3
    page = (await api.client.get("/scim/v2/Users", params={"startIndex": 2, "count": 2}, headers=_h(key))).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2 and page["totalResults"] == total
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in everyone["Resources"][1:3]]

    put = await api.client.put(f"/scim/v2/Users/{user['id']}", headers=_h(key),
                               json=_user("sofie.holm@eksempel.dk", "Sofie Holm Berg"))
    assert put.status_code == 200, put.text
    assert put.json()["displayName"] == "Sofie Holm Berg"

    patched = await api.client.patch(f"/scim/v2/Users/{user['id']}", headers=_h(key), json={
        "schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Sofie Berg"},
            {"op": "replace", "path": "emails", "value": [{"value": "sofie.berg@eksempel.dk"}]}]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["displayName"] == "Sofie Berg"
    assert patched.json()["emails"][0]["value"] == "sofie.berg@eksempel.dk"

    # a person with a live team membership: DELETE ends it and archives her; history stays
    team = await api.client.post("/scim/v2/Groups", headers=_h(key), json={
        "schemas": [GROUP], "displayName": "Nattevagt", "members": [{"value": user["id"]}]})
    assert team.status_code == 201, team.text
    gone = await api.client.delete(f"/scim/v2/Users/{user['id']}", headers=_h(key))
    assert gone.status_code == 204, gone.text
    after = (await api.client.get(f"/scim/v2/Users/{user['id']}", headers=_h(key))).json()
    assert after["active"] is False
    group = (await api.client.get(f"/scim/v2/Groups/{team.json()['id']}", headers=_h(key))).json()
    assert "members" not in group
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT archived_at IS NOT NULL FROM person WHERE id = $1", user["id"])
        assert await conn.fetchval("SELECT count(*) FROM team_member WHERE person_id = $1 AND valid_to IS NOT NULL",
                                   user["id"]) == 1
        assert await conn.fetchval("SELECT count(*) FROM history WHERE entity_id = $1", user["id"]) >= 4


async def test_patch_active_false_archives_and_reactivating_is_refused(api):
    key = await api_key(api.db, ["scim"])
    user = (await api.client.post("/scim/v2/Users", json=_user("ole.dahl@eksempel.dk", "Ole Dahl"),
                                  headers=_h(key))).json()
    off = await api.client.patch(f"/scim/v2/Users/{user['id']}", headers=_h(key), json={
        "schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]})
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    before = await snapshot(api.db)
    on = await api.client.patch(f"/scim/v2/Users/{user['id']}", headers=_h(key), json={
        "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]})
    assert on.status_code == 400 and on.json()["scimType"] == "mutability"
    assert on.json()["detail"].startswith("archived:")
    assert await snapshot(api.db) == before


async def test_groups_are_teams_with_members(api):
    key = await api_key(api.db, ["scim"])
    anna = await _anna_id(api)
    ole = (await api.client.post("/scim/v2/Users", json=_user("ole.dahl@eksempel.dk", "Ole Dahl"),
                                 headers=_h(key))).json()["id"]
    made = await api.client.post("/scim/v2/Groups", headers=_h(key), json={
        "schemas": [GROUP], "displayName": "Aftenholdet", "members": [{"value": anna, "type": "User"}]})
    assert made.status_code == 201, made.text
    gid = made.json()["id"]
    assert [m["value"] for m in made.json()["members"]] == [anna]
    found = (await api.client.get("/scim/v2/Groups", params={"filter": 'displayName eq "aftenholdet"'},
                                  headers=_h(key))).json()
    assert [g["id"] for g in found["Resources"]] == [gid]
    added = await api.client.patch(f"/scim/v2/Groups/{gid}", headers=_h(key), json={
        "schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": ole}]}]})
    assert added.status_code == 200, added.text
    assert sorted(m["value"] for m in added.json()["members"]) == sorted([anna, ole])
    removed = await api.client.patch(f"/scim/v2/Groups/{gid}", headers=_h(key), json={
        "schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{anna}"]'},
                                           {"op": "replace", "path": "displayName", "value": "Aftenvagt"}]})
    assert removed.status_code == 200, removed.text
    assert [m["value"] for m in removed.json()["members"]] == [ole]
    assert removed.json()["displayName"] == "Aftenvagt"
    q = "query($id: ID!) { team(id: $id) { name members { person { externalId } } } }"
    seen = await api.gql(q, {"id": gid}, as_="jonas.kristensen@eksempel.dk")
    assert seen.data["team"]["name"] == "Aftenvagt"
    put = await api.client.put(f"/scim/v2/Groups/{gid}", headers=_h(key), json={
        "schemas": [GROUP], "displayName": "Aftenvagt", "members": [{"value": anna}]})
    assert [m["value"] for m in put.json()["members"]] == [anna]
    assert (await api.client.delete(f"/scim/v2/Groups/{gid}", headers=_h(key))).status_code == 204
    assert (await api.client.get(f"/scim/v2/Groups/{gid}", headers=_h(key))).status_code == 404
    async with api.db.read() as conn:
        assert await conn.fetchval("SELECT archived_at IS NOT NULL FROM team WHERE id = $1", gid)


async def test_discovery_claims_only_what_works(api):
    key = await api_key(api.db, ["scim"])
    config = (await api.client.get("/scim/v2/ServiceProviderConfig", headers=_h(key))).json()
    assert config["patch"]["supported"] is True and config["filter"]["supported"] is True
    assert config["bulk"]["supported"] is False and config["sort"]["supported"] is False
    assert config["etag"]["supported"] is False and config["changePassword"]["supported"] is False
    types = (await api.client.get("/scim/v2/ResourceTypes", headers=_h(key))).json()
    assert sorted(r["endpoint"] for r in types["Resources"]) == ["/Groups", "/Users"]
    schemas = (await api.client.get("/scim/v2/Schemas", headers=_h(key))).json()
    assert sorted(s["id"] for s in schemas["Resources"]) == [GROUP, USER]
    one = await api.client.get(f"/scim/v2/Schemas/{USER}", headers=_h(key))
    assert one.status_code == 200 and one.json()["id"] == USER


async def _refused(api, method: str, url: str, headers: dict, status: int, body=None) -> dict:
    before = await snapshot(api.db)
    answer = await api.client.request(method, url, headers=headers, json=body)
    assert answer.status_code == status, (method, url, answer.text)
    assert await snapshot(api.db) == before, (method, url)
    error = answer.json()
    assert error["schemas"] == [ERROR] and int(error["status"]) == status
    return error


async def test_refusals_are_scim_errors_and_write_nothing(api):
    key = await api_key(api.db, ["scim"])
    write = await api_key(api.db, ["write"], name="hr")
    anna = await _anna_id(api)
    other = await other_tenant(api.db)
    other_key = await api_key(api.db, ["scim"], name="theirs", tenant="anden")
    theirs = (await api.client.get("/scim/v2/Users", headers=_h(other_key))).json()["Resources"][0]["id"]
    new = _user("ny@eksempel.dk", "Ny Person")

    error = await _refused(api, "POST", "/scim/v2/Users", {}, 401, new)
    assert error["detail"].startswith("unauthenticated")
    error = await _refused(api, "POST", "/scim/v2/Users", _h(write), 403, new)
    assert error["detail"].startswith("missing_scope")
    await _refused(api, "GET", "/scim/v2/Users", _h("rk_not-a-key"), 401)
    # bad payloads
    await _refused(api, "POST", "/scim/v2/Users", _h(key), 400, {"schemas": [USER], "displayName": "x"})
    error = await _refused(api, "POST", "/scim/v2/Users", _h(key), 400,
                           {**_user("a,b@eksempel.dk", "Komma"), "emails": []})
    assert error["scimType"] == "invalidValue" and error["detail"].startswith("invalid_external_id")
    error = await _refused(api, "POST", "/scim/v2/Users", _h(key), 409, _user(ANNA, "Anna igen"))
    assert error["scimType"] == "uniqueness"
    await _refused(api, "POST", "/scim/v2/Users", _h(key), 400, {**new, "emails": [{"value": "ikke en adresse"}]})
    error = await _refused(api, "PUT", f"/scim/v2/Users/{anna}", _h(key), 409,
                           _user("fatima.ali@eksempel.dk", "Anna Jensen"))  # another person's userName
    assert error["scimType"] == "uniqueness" and error["detail"].startswith("duplicate")
    await _refused(api, "PATCH", f"/scim/v2/Users/{anna}", _h(key), 400,
                   {"schemas": [PATCH], "Operations": [{"op": "explode", "path": "displayName"}]})
    await _refused(api, "PATCH", f"/scim/v2/Users/{anna}", _h(key), 400,
                   {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "x,y"}]})
    error = await _refused(api, "GET", "/scim/v2/Users?filter=userName%20eq", _h(key), 400)
    assert error["scimType"] == "invalidFilter"
    await _refused(api, "POST", "/scim/v2/Groups", _h(key), 400,
                   {"schemas": [GROUP], "displayName": "Hold", "members": [{"value": theirs}]})
    await _refused(api, "POST", "/scim/v2/Groups", _h(key), 400,
                   {"schemas": [GROUP], "displayName": "Hold", "members": [{"value": anna}, {"value": "nej"}]})
    # unknown ids, and another tenant's ids: not there
    for method, body in (("GET", None), ("PUT", new), ("DELETE", None),
                         ("PATCH", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                                                         "value": False}]})):
        for target in ("00000000-0000-0000-0000-000000000001", "nope", theirs):
            error = await _refused(api, method, f"/scim/v2/Users/{target}", _h(key), 404, body)
            assert error["detail"].startswith("not_found")
        await _refused(api, method, f"/scim/v2/Groups/{theirs}", _h(key), 404, body)
    assert other  # the other organisation was there all along


@pytest.mark.parametrize("scopes", [["check"], ["read"], ["record"]])
async def test_other_scopes_are_refused(api, scopes):
    key = await api_key(api.db, scopes, name="-".join(scopes))
    error = await _refused(api, "GET", "/scim/v2/ServiceProviderConfig", _h(key), 403)
    assert "scim" in error["detail"]


# --- scim2-tester: a third-party compliance checker, against a real server ----------------------

# Checks the registry fails on purpose, with why (see README, "SCIM"): filled in from its report.
# Each is the registry's model, not a slip: what it keeps of a person is her external id (userName),
# one name, one e-mail and whether she is archived; a team keeps a name and its members.
_EXTERNAL_ID = "SCIM externalId is not kept (a person's one external id is userName; aliases: issue 13, part 1)"
_HISTORY = "DELETE archives (history stays), and an archived person still answers, active false"
_REQUIRED = "a person always has a name, and is archived or not: name/displayName/active cannot be removed"
KNOWN = [  # (resource type, check, a piece of its reason): what the registry fails knowingly
    (kind, check, "externalId") for kind in ("User", "Group")
    for check in ("object_query_with_attributes", "object_list_with_attributes", "check_add_attribute",
                  "check_replace_attribute")] + [
    ("User", "object_deletion", "still exists after deletion"),
    *(("User", "check_remove_attribute", f"did not remove attribute '{a}'") for a in ("name", "displayName", "active"))]
WHY = {"externalId": _EXTERNAL_ID, "still exists": _HISTORY, "did not remove": _REQUIRED}


async def test_scim2_tester_against_a_real_server(api, demo_dsn):
    import asyncio

    import httpx
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    from tests.support import Server

    key = await api_key(api.db, ["scim"], name="scim2-tester")
    server = Server(demo_dsn)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await server.ready(client)

        def run():
            with httpx2.Client(base_url=f"{server.url}/scim/v2", headers={"Authorization": f"Bearer {key}"},
                               timeout=30) as http:
                return check_server(SyncSCIMClient(http))
        results = await asyncio.to_thread(run)
    finally:
        server.stop()
    failed = [(r.resource_type, r.title, r.reason) for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    report = "\n".join(f"{r.status.name:10} {r.resource_type or '-':6} {r.title}: {r.reason}" for r in results)
    print(report)
    assert results
    unexpected = [f for f in failed if not any(f[:2] == k[:2] and k[2] in (f[2] or "") for k in KNOWN)]
    assert unexpected == [], report
    assert sum(r.status == Status.SUCCESS for r in results) >= 40, report
