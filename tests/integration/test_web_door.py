"""The web app's door: the development login, the session cookie, the form token on every POST, and
the same policy as the API."""

from __future__ import annotations

from registry.settings import Settings
from tests.conftest import JWT_SECRET
from tests.support import Api


async def test_the_front_page_sends_a_stranger_to_the_login_page(api):
    async with api.web() as web:
        response = await web.get("/")
        assert response.status_code == 302
        assert response.headers["location"] == "/log-ind?naeste=%2F"


async def test_the_development_login_lists_the_demo_people_by_what_they_are(api):
    async with api.web() as web:
        response = await web.get("/log-ind")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<html lang="da">' in response.text
    assert "Log ind som Mette Sørensen" in response.text
    assert "leder, Plejecenter Solhaven" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "form-action 'self'" in policy


async def test_signing_in_sets_an_http_only_same_site_cookie_and_opens_the_pages(api):
    async with api.web() as web:
        await web.get("/log-ind")
        response = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "mette.sorensen@eksempel.dk",
                                                         "naeste": "/mit-mandat"})
        assert response.status_code == 303 and response.headers["location"] == "/mit-mandat"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        front = await web.get("/")
        assert front.status_code == 200 and "Goddag, Mette" in front.text


async def test_a_post_without_the_form_token_is_refused_in_danish_and_signs_no_one_in(api):
    async with api.web() as web:
        await web.get("/log-ind")
        response = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "mette.sorensen@eksempel.dk"},
                                  csrf=False)
        assert response.status_code == 403
        assert "csrf_failed" in response.text and "Formularen er for gammel" in response.text
        assert (await web.get("/")).headers["location"].startswith("/log-ind")


async def test_a_post_from_another_site_is_refused(api):
    async with api.web() as web:
        await web.get("/log-ind")
        response = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "mette.sorensen@eksempel.dk"},
                                  headers={"Origin": "https://evil.example"})
        assert response.status_code == 403 and "csrf_failed" in response.text


async def test_an_unknown_person_is_told_in_danish(api):
    async with api.web() as web:
        await web.get("/log-ind")
        response = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "nobody@eksempel.dk"})
        assert response.status_code == 303
        page = await web.get(response.headers["location"])
        assert page.status_code == 401 and "Du er ikke oprettet i registret" in page.text


async def test_after_signing_in_only_paths_on_this_site_are_followed(api):
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        async with api.web() as web:
            await web.get("/log-ind")
            response = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "naeste": target,
                                                             "person": "anna.jensen@eksempel.dk"})
            assert response.headers["location"] == "/", target


async def test_signing_out_ends_the_session(api):
    async with api.web(as_="anna.jensen@eksempel.dk") as web:
        await web.get("/log-ind")
        response = await web.post("/log-ud")
        assert response.status_code == 303
        assert (await web.get("/")).headers["location"].startswith("/log-ind")


async def test_an_archived_person_is_signed_out_at_once(api):
    admin = "jonas.kristensen@eksempel.dk"
    created = await api.gql("""mutation { createPerson(input: {externalId: "vikar@eksempel.dk", name: "Vikar Hansen"})
                               { ... on PersonPayload { person { id version } } } }""", as_=admin)
    person = created["createPerson"]["person"]
    async with api.web(as_="vikar@eksempel.dk") as web:
        assert (await web.get("/")).status_code == 200
        archived = await api.gql("mutation($id: ID!, $v: Int!) { archivePerson(id: $id, version: $v) "
                                 "{ ... on PersonPayload { person { archivedAt } } } }", {"id": person["id"], "v": person["version"]},
                                 as_=admin)
        assert archived["archivePerson"]["person"]["archivedAt"]
        assert (await web.get("/")).headers["location"].startswith("/log-ind")


async def test_there_is_no_development_login_in_production(demo_db, demo_dsn, clock):
    settings = Settings.from_env({"REGISTRY_MODE": "production", "REGISTRY_JWT_SECRET": JWT_SECRET,
                                  "REGISTRY_SESSION_SECRET": "s" * 40, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        async with api.web() as web:
            page = await web.get("/log-ind")
            assert "Log ind som" not in page.text and "Login er ikke sat op" in page.text
            response = await web.post("/log-ind/udvikling", {"tenant": "eksempel",
                                                             "person": "mette.sorensen@eksempel.dk"})
            assert response.status_code in (403, 404)  # no form offers a token; and the route is off
            assert (await web.get("/")).headers["location"].startswith("/log-ind")


async def test_an_address_no_page_answers_gets_the_danish_page_in_a_browser_and_json_elsewhere(api):
    async with api.web(as_="anna.jensen@eksempel.dk") as web:
        for path in ("/handlinger/nope", "/findes-ikke", "/favicon.ico"):
            page = await web.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
            assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
            assert "Det findes ikke" in page.text and "not_found" in page.text
        wrong = await web.get("/log-ud", headers={"Accept": "text/html"})
        assert wrong.status_code == 405 and "Forespørgslen er ikke tilladt her." in wrong.text
    api_answer = await api.client.get("/findes-ikke")
    assert api_answer.status_code == 404 and api_answer.json()["error"]["code"] == "not_found"
    graphql = await api.client.get("/graphql/findes-ikke", headers={"Accept": "text/html"})
    assert graphql.headers["content-type"].startswith("application/json")


async def test_the_development_login_says_what_people_are_in_danish(api):
    async with api.web() as web:
        text = (await web.get("/log-ind")).text
    assert "medarbejder, Plejecenter Solhaven" in text and "employee" not in text


async def test_a_form_behind_a_proxy_that_rewrites_the_host_is_taken_from_the_public_address(demo_db, demo_dsn, clock):
    settings = Settings.from_env({"REGISTRY_JWT_SECRET": JWT_SECRET, "REGISTRY_DATA_DIR": "/tmp/registry-test-unused",
                                  "REGISTRY_PUBLIC_URL": "https://delegering.kommune.dk"})
    async with Api.start(demo_db, settings, clock, demo_dsn) as api:
        async with api.web() as web:
            await web.get("/log-ind")
            ok = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "anna.jensen@eksempel.dk"},
                                headers={"Origin": "https://delegering.kommune.dk"})
            assert ok.status_code == 303
        async with api.web() as web:
            await web.get("/log-ind")
            refused = await web.post("/log-ind/udvikling", {"tenant": "eksempel", "person": "anna.jensen@eksempel.dk"},
                                     headers={"Origin": "https://evil.example"})
            assert refused.status_code == 403
