"""node-casbin gives the registry engine's answers on the demo tenant's Casbin export.

The export (`registry policy export`: policies/delegation_model.conf + the projected rules) is loaded
into node-casbin (tests/node, `npm ci` on first use) and asked 1,000 deterministic requests; every
answer must equal TenantIndex.check(...).decision. Half of the requests are built from the demo's
delegations (their delegate or a team member, their area or a sub-area, their unit or a sub-unit),
so that plenty are allowed and red lines both hold and are crossed.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from registry.casbin import request as casbin_request
from registry.demo import DEMO_TENANT
from registry.domain.decisions import ACTIONS
from registry.policy.engine import build_index
from registry.policy.index import TenantIndex
from registry.policy.projection import MODEL_FILE, catalogue, project
from registry.storage import changes

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
REQUESTS = 1000
SEED = 20240611

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                                reason="node and npm are needed on PATH to run node-casbin")


def _installed() -> bool:
    """node_modules holds the casbin version the lock file pins."""
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/casbin"]["version"]
    installed = NODE_DIR / "node_modules" / "casbin" / "package.json"
    return installed.exists() and json.loads(installed.read_text())["version"] == wanted


@pytest.fixture(scope="session")
def node_casbin() -> Path:
    """tests/node with its node_modules installed from the lock file (once per session)."""
    # Serialise concurrent test runs on this checkout: two `npm ci` in one folder trample each other.
    checkout = hashlib.sha1(str(NODE_DIR).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"registry-node-casbin-{checkout}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed():
            try:
                result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=False,
                                        capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                pytest.fail("`npm ci` in tests/node did not finish within 300 s")
            if result.returncode != 0 or not _installed():
                pytest.fail(f"`npm ci` in tests/node failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return NODE_DIR


async def _demo_index(dsn: str) -> TenantIndex:
    """The demo tenant's index, built the way `registry policy export` builds it."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", DEMO_TENANT)
        orgs, tables = await changes.snapshot(conn, tenant)
    finally:
        await conn.close()
    return build_index(orgs[0], tables)


def _value_pools(index: TenantIndex) -> dict[str, list]:
    """Values per attribute type: each red-line literal and its neighbours, plus a few others."""
    numbers, strings = {0, 1, 5, 100, 2.5}, {"", "aeldre", "demens", "rehabilitering", "palliativ"}
    for line in index.lines.values():
        text = line.text or ""
        strings.update(a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", text))
        text = re.sub(r"'[^']*'|\"[^\"]*\"", "", text)
        for literal in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", text):
            n = float(literal)
            n = int(n) if n == int(n) else n
            numbers.update({n - 1, n, n + 1})
    return {"number": sorted(numbers), "boolean": [True, False], "string": sorted(strings)}


def _requests(index: TenantIndex, rng: random.Random) -> list[tuple[str, str, str, str, dict]]:
    """(person external id, area key, unit id, action, attributes), half of them from delegations."""
    people = sorted(index.person_ext.values())
    unknown_people = ["ukendt.person@eksempel.dk", "anna.jensen@andet.dk", "", "ANNA.JENSEN@EKSEMPEL.DK"]
    areas = sorted(index.area_by_key)
    unknown_areas = ["economy/unknown", "Economy"]
    units = sorted(index.unit_chain)
    unknown_units = ["00000000-0000-0000-0000-000000000000"]
    actions = list(ACTIONS)
    grants = sorted(index.grants.values(), key=lambda g: g.id)
    pools = _value_pools(index)

    def below(chains: dict[str, tuple[str, ...]], top: str) -> list[str]:
        return sorted(x for x, chain in chains.items() if top in chain)

    def attributes(area_key: str) -> dict:
        area = index.area_by_key.get(area_key)
        declared = index.area_types.get(area, {}) if area is not None else {}
        # A string attribute that lists its codes takes only those (others are refused before deciding).
        listed = index.area_values.get(area, {}) if area is not None else {}
        leave_out = rng.choice([0.0, 0.1, 0.3])       # often complete, sometimes not
        out = {}
        for name, kind in sorted(declared.items()):
            roll = rng.random()
            if roll < leave_out:
                continue
            out[name] = None if roll < leave_out + 0.02 else rng.choice(sorted(listed[name]) if name in listed
                                                                       else pools[kind])
        return out

    found = []
    for i in range(REQUESTS):
        if i % 2 == 0:
            g = rng.choice(grants)
            if g.subject_kind == "person":
                person = index.person_ext[g.subject]
            else:
                members = sorted(index.person_ext[index.team_links[link].person]
                                 for link in index.links_of_team.get(g.subject, ()))
                person = rng.choice(members) if members else rng.choice(people)
            area = index.area_key[rng.choice([g.area, *below(index.area_chain, g.area)])]
            unit = rng.choice([g.unit, g.unit, *below(index.unit_chain, g.unit)])
            permitted = [a for a, need in ACTIONS.items() if need <= g.level]
            action = rng.choice(permitted) if permitted and rng.random() < 0.8 else rng.choice(actions)
        else:
            person = rng.choice(people) if rng.random() < 0.95 else rng.choice(unknown_people)
            area = rng.choice(areas) if rng.random() < 0.97 else rng.choice(unknown_areas)
            unit = rng.choice(units) if rng.random() < 0.97 else rng.choice(unknown_units)
            action = rng.choice(actions)
        found.append((person, area, unit, action, attributes(area)))
    return found


async def test_node_casbin_answers_like_the_engine_on_the_demo_export(demo_dsn, node_casbin, tmp_path):
    index = await _demo_index(demo_dsn)
    at = time.time()
    (tmp_path / "model.conf").write_text(MODEL_FILE.read_text())
    (tmp_path / "policy.csv").write_text(project(index, at).csv())

    samples = _requests(index, random.Random(SEED))
    # The attribute types come from the export's catalogue, as a system forming requests would take them.
    types = catalogue(index).areas
    wire, expected = [], []
    for person, area, unit, action, attrs in samples:
        declared = types[area].attributes if area in types else {}
        *head, ctx = casbin_request(tenant=index.tenant_key, person=person, area=area, unit=unit, action=action,
                                    attributes=attrs, declared=declared, at=at)
        wire.append([*head, {"at": ctx.at, "attrs": vars(ctx.attrs), "has": vars(ctx.has)}])
        expected.append(index.check(person, area, unit, action, attrs, at))
    (tmp_path / "requests.json").write_text(json.dumps(wire))

    result = await asyncio.to_thread(
        subprocess.run, ["node", str(node_casbin / "check.mjs"), str(tmp_path / "model.conf"),
                         str(tmp_path / "policy.csv"), str(tmp_path / "requests.json")],
        check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert len(answers) == len(samples)

    differ = [(sample, decision.reason, answer) for sample, decision, answer in zip(samples, expected, answers)
              if answer != decision.decision]
    assert not differ, f"{len(differ)} of {len(samples)} answers differ; the first ones " \
        "(person, area, unit, action, attributes), engine reason, node-casbin:\n" + \
        "\n".join(repr(d) for d in differ[:10])

    allows = sum(d.decision for d in expected)
    denies = len(expected) - allows
    assert allows > 100 and denies > 100, (allows, denies)
    reasons = {d.reason for d in expected}
    assert {"allowed", "red_line", "missing_attribute", "no_delegation", "level_too_low"} <= reasons, reasons


# Random organisations (the generator of tests/unit/test_engine_matches_casbin.py): delegation
# conditions, sub-delegation chains whose parents' conditions bind, missing attributes, red lines,
# breaches, leaders and stand-ins; all asked of node-casbin in one run.
RANDOM_ORGANISATIONS = 200


def _random_cases() -> list[tuple]:
    from hypothesis import HealthCheck, given, settings

    from tests.unit.test_engine_matches_casbin import UNKNOWN_PERSON, scenarios

    cases = []

    @settings(max_examples=RANDOM_ORGANISATIONS, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(scenarios(requests_per_org=40))
    def collect(scenario) -> None:
        org, at, questions, _scope, _later = scenario
        index, instant = org.index, at.timestamp()
        people = [index.person_ext[p] for p in org.persons]
        asked = [(person, q) for q in questions for person in people + [UNKNOWN_PERSON] * q.unknown_person]
        cases.append((index, instant, project(index, instant).csv(), asked))

    collect()
    return cases


async def test_node_casbin_answers_like_the_engine_on_random_organisations_with_conditions(node_casbin, tmp_path):
    cases = await asyncio.to_thread(_random_cases)
    wire, expected = [], []
    for index, instant, policy, asked in cases:
        requests, answers = [], []
        for person, q in asked:
            area = index.area_by_key.get(q.area)
            declared = index.area_types.get(area, {}) if area is not None else {}
            *head, ctx = casbin_request(tenant=index.tenant_key, person=person, area=q.area, unit=q.unit,
                                        action=q.action, attributes=q.attributes, declared=declared, at=instant)
            requests.append([*head, {"at": ctx.at, "attrs": vars(ctx.attrs), "has": vars(ctx.has)}])
            answers.append(index.check(person, q.area, q.unit, q.action, q.attributes, instant))
        wire.append({"policy": policy, "requests": requests})
        expected.append(answers)
    (tmp_path / "model.conf").write_text(MODEL_FILE.read_text())
    (tmp_path / "cases.json").write_text(json.dumps(wire))

    result = await asyncio.to_thread(
        subprocess.run, ["node", str(node_casbin / "check.mjs"), str(tmp_path / "model.conf"), "--cases",
                         str(tmp_path / "cases.json")], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert len(answers) == len(cases)
    differ = []
    for (index, _instant, policy, asked), decisions, said in zip(cases, expected, answers):
        differ += [(person, q, d.reason, s, policy) for (person, q), d, s in zip(asked, decisions, said)
                   if s != d.decision]
    assert not differ, f"{len(differ)} answers differ; the first: {differ[0]}"
    reasons = Counter(d.reason for decisions in expected for d in decisions)
    by_condition = sum(d.condition is not None for decisions in expected for d in decisions)
    assert sum(len(d) for d in expected) >= 6000, reasons
    assert reasons["outside_mandate"] >= 100 and by_condition >= 150 and reasons["allowed"] >= 200, reasons
