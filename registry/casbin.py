"""Embed the registry's policies in your own pycasbin.

    from registry.casbin import RegistryAdapter, RegistryWatcher, new_enforcer, request

    enforcer = new_enforcer("https://registry.example.dk", tenant="eksempel", api_key="rk_...")
    watcher = RegistryWatcher(enforcer, "https://registry.example.dk", tenant="eksempel", api_key="rk_...")
    watcher.start()                      # follows the change feed, applying rule differences
    names = RegistryAdapter("https://registry.example.dk", tenant="eksempel", api_key="rk_...").catalogue()
    enforcer.enforce(*request(tenant="eksempel", person="anna.jensen@eksempel.dk",
                              area="economy/purchase", unit=names["units"]["LOS-2110"], action="decide",
                              attributes={"amount": 2500},
                              declared=names["areas"]["economy/purchase"]["attributes"]))

The catalogue (/casbin/{tenant}/catalogue.json) gives each area's attribute types, its own and the
ones it inherits, and the units' external ids: the policy names areas by key and units by id.

The model is policies/delegation_model.conf (served at /casbin/{tenant}/model.conf); the policy is a
snapshot at the time it is fetched (see that file for what each rule means).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from types import SimpleNamespace

import casbin
from casbin.persist.adapter import Adapter, load_policy_line

from registry.policy.projection import INTERNAL_SUBJECT_PREFIXES

_DUMMY = {"number": 0, "boolean": False, "string": ""}
MAX_DEPTH = 64


def request(*, tenant: str, person: str, area: str, unit: str, action: str, attributes: Mapping[str, object],
            declared: Mapping[str, str], at: float | None = None) -> tuple:
    """The request tuple for the model: r = dom, sub, area, unit, act, ctx.

    `declared` is the area's effective attribute types (its own and its ancestors'). Absent
    attributes are marked in ctx.has and filled with a value of their type, so every red line that
    needs one denies (as the registry does) instead of raising.
    """
    if person.startswith(INTERNAL_SUBJECT_PREFIXES):
        raise ValueError("the subject must be a person's external id, not a policy-internal name")
    attrs = {name: attributes.get(name, _DUMMY[kind]) if attributes.get(name) is not None else _DUMMY[kind]
             for name, kind in declared.items()}
    has = {name: attributes.get(name) is not None for name in declared}
    ctx = SimpleNamespace(at=time.time() if at is None else at, attrs=SimpleNamespace(**attrs),
                          has=SimpleNamespace(**has))
    return tenant, person, area, unit, action, ctx


class _Http:
    def __init__(self, base_url: str, tenant: str, api_key: str, unit: str | None = None, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.api_key = api_key
        self.unit = unit
        self.timeout = timeout

    def get(self, path: str, **params) -> bytes:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base_url}/casbin/{urllib.parse.quote(self.tenant)}/{path}" + (f"?{query}" if query else "")
        req = urllib.request.Request(url, headers={"X-Api-Key": self.api_key})
        with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - the caller's URL
            return response.read()


class RegistryAdapter(Adapter):
    """Loads a tenant's (or a unit subtree's) policy from the registry over HTTP. Read-only."""

    def __init__(self, base_url: str, *, tenant: str, api_key: str, unit: str | None = None):
        self.http = _Http(base_url, tenant, api_key, unit)

    def policy_lines(self) -> list[str]:
        text = self.http.get("policy.csv", unit=self.http.unit).decode()
        return [line for line in text.splitlines() if line.strip()]

    def load_policy(self, model) -> None:
        for line in self.policy_lines():
            load_policy_line(line, model)

    def model_text(self) -> str:
        return self.http.get("model.conf").decode()

    def catalogue(self) -> dict:
        """{"areas": {key: {"attributes": {name: type}, "inherited_from": {name: key}, "parent", "kle"}},
        "units": {external id: unit id}, "revision", "tenant"}: what requests need beside the policy."""
        return json.loads(self.http.get("catalogue.json"))


def new_enforcer(base_url: str, *, tenant: str, api_key: str, unit: str | None = None) -> casbin.Enforcer:
    adapter = RegistryAdapter(base_url, tenant=tenant, api_key=api_key, unit=unit)
    model = casbin.Model()
    model.load_model_from_text(adapter.model_text())
    enforcer = casbin.Enforcer(model, adapter)
    # The policy names subjects, areas and units exactly (no patterns). Without a matching function
    # pycasbin builds its role graphs in linear time; with its default one, quadratic (minutes for
    # tens of thousands of links).
    for ptype in ("g", "g2", "g3"):
        enforcer.add_named_matching_func(ptype, None)
        # pycasbin follows at most 10 links by default; unit trees can be deeper than that.
        enforcer.get_named_role_manager(ptype).max_hierarchy_level = MAX_DEPTH
    enforcer.build_role_links()
    return enforcer


def _parse(line: str) -> tuple[str, list[str]]:
    ptype, _, rest = line.partition(",")
    return ptype.strip(), [token.strip() for token in rest.split(", ")] if rest else []


class RegistryWatcher:
    """Follows the registry's change feed and applies rule differences to an enforcer.

    It long-polls /casbin/{tenant}/revision?after=N; when the revision moves it fetches the policy
    and adds and removes only the rules that changed, so the enforcer is never fully reloaded.
    """

    def __init__(self, enforcer: casbin.Enforcer, base_url: str, *, tenant: str, api_key: str,
                 unit: str | None = None, wait_seconds: int = 25):
        self.enforcer = enforcer
        self.http = _Http(base_url, tenant, api_key, unit, timeout=wait_seconds + 10)
        self.adapter = RegistryAdapter(base_url, tenant=tenant, api_key=api_key, unit=unit)
        self.wait_seconds = wait_seconds
        self.revision = -1
        self._rules = self._current_rules()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _current_rules(self) -> set[tuple[str, tuple[str, ...]]]:
        model = self.enforcer.get_model().model
        rules = set()
        for sec in ("p", "g"):
            for ptype, assertion in model.get(sec, {}).items():
                rules.update((ptype, tuple(rule)) for rule in assertion.policy)
        return rules

    def sync(self) -> bool:
        """Fetch the policy once and apply the differences; True when something changed."""
        wanted = set()
        for line in self.adapter.policy_lines():
            ptype, tokens = _parse(line)
            wanted.add((ptype, tuple(tokens)))
        removed, added = self._rules - wanted, wanted - self._rules
        for ptype, rule in sorted(removed):
            if ptype.startswith("g"):
                self.enforcer.remove_named_grouping_policy(ptype, *rule)
            else:
                self.enforcer.remove_named_policy(ptype, *rule)
        for ptype, rule in sorted(added):
            if ptype.startswith("g"):
                self.enforcer.add_named_grouping_policy(ptype, *rule)
            else:
                self.enforcer.add_named_policy(ptype, *rule)
        self._rules = wanted
        return bool(removed or added)

    def poll_once(self) -> bool:
        body = json.loads(self.http.get("revision", after=self.revision, wait=self.wait_seconds))
        if body["revision"] == self.revision:
            return False
        self.revision = body["revision"]
        return self.sync()

    def start(self) -> None:
        def loop():
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except Exception:  # the registry may be away; try again shortly
                    self._stop.wait(1.0)
        self._thread = threading.Thread(target=loop, name="registry-casbin-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
