"""The registry's own authorization: who may call which operation.

The rules are policies/registry_admin_model.conf and registry_admin_policy.csv, decided by
pycasbin; this module is the only place that asks. Two questions are asked:

* at the door (`gate`), before a resolver or route runs: could this caller be allowed the
  operation at all? Roles the caller holds as such (employee, admin, a key's scopes) decide; a
  person passes when the operation has rows for roles held towards a target (leader, self, ...),
  because only the use case knows the target.
* at the target (`require`), inside the use case: the caller's roles plus the relations the use
  case worked out from the organisation's data (see `registry.services.common.relations_to_unit`).

The policy is small and fixed for the process, so every (role, operation) answer is cached.
"""

from __future__ import annotations

import csv
import functools
import logging
from collections.abc import Iterable
from pathlib import Path

from casbin import Enforcer

from registry.auth import Principal
from registry.errors import Forbidden, Unauthenticated

POLICIES = Path(__file__).resolve().parents[1] / "policies"
MODEL_FILE = POLICIES / "registry_admin_model.conf"
POLICY_FILE = POLICIES / "registry_admin_policy.csv"

# Roles held towards a target, worked out by use cases; everything else is held as such.
RELATIONS = frozenset({"self", "leader", "standin", "unit_leader", "delegator", "holder", "appointer", "peer",
                       "delegate", "member"})  # delegate, member: issue 12, part 1
PERSON_ROLES = frozenset({"admin", "hr", "auditor"})


def static_roles(principal: Principal | None) -> frozenset[str]:
    """The roles a caller holds whatever it acts on."""
    if principal is None:
        return frozenset({"anyone"})
    if principal.platform:  # manages organisations; holds no role inside any of them
        return frozenset({"anyone", "platform"})
    if principal.person is not None:
        return frozenset({"anyone", "authenticated", "employee", *(PERSON_ROLES & set(principal.person.roles))})
    return frozenset({"anyone", "authenticated", *(f"key:{s}" for s in principal.scopes)})


class Access:
    def __init__(self, model: Path = MODEL_FILE, policy: Path = POLICY_FILE):
        self._enforcer = Enforcer(str(model), str(policy))
        # pycasbin logs every refusal at WARNING; a refusal here is an answer, not a problem.
        self._enforcer.logger = _QUIET
        rows = [r for r in self._policy_rows(policy) if r[0] == "p"]
        self.operations = frozenset(op for _, _, op in rows)
        # Operations a person may reach only through a relation: the door lets people through.
        self._relational = frozenset(op for _, role, op in rows if role in RELATIONS)

    @staticmethod
    def _policy_rows(policy: Path) -> list[tuple[str, str, str]]:
        lines = [line for line in policy.read_text().splitlines() if line.strip() and not line.startswith("#")]
        return [tuple(cell.strip() for cell in row) for row in csv.reader(lines)]  # type: ignore[misc]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Access per process; the policy never changes
    def role_allows(self, role: str, op: str) -> bool:
        return self._enforcer.enforce(role, op)

    def allows(self, roles: Iterable[str], op: str) -> bool:
        return any(self.role_allows(role, op) for role in roles)

    def allowed_roles(self, op: str, candidates: Iterable[str]) -> list[str]:
        return sorted(r for r in candidates if self.role_allows(r, op))

    def may(self, principal: Principal | None, op: str, relations: Iterable[str] = ()) -> bool:
        return self.allows(static_roles(principal) | set(relations), op)

    def gate(self, principal: Principal | None, op: str) -> None:
        """Refuse a caller who could not be allowed `op` whatever it acts on."""
        if self.may(principal, op):
            return
        if principal is not None and principal.person is not None and op in self._relational:
            return  # the use case decides, from the caller's relation to the target
        self._refuse(principal, op)

    def require(self, principal: Principal | None, op: str, relations: Iterable[str] = (), *,
                code: str | None = None, message: str | None = None, field: str | None = None) -> None:
        """Refuse unless the caller's roles, with its relations to the target, allow `op`."""
        if not self.may(principal, op, relations):
            self._refuse(principal, op, code=code, message=message, field=field)

    def _refuse(self, principal: Principal | None, op: str, *, code: str | None = None,
                message: str | None = None, field: str | None = None) -> None:
        if principal is None:
            raise Unauthenticated("authentication required: a bearer token or an API key", code="unauthenticated")
        if principal.platform:
            raise Forbidden(message or f"a platform key manages organisations and acts inside none: {op} is refused",
                            code="not_permitted", field=field)
        if self.role_allows("platform", op):
            raise Forbidden(f"{op} is for platform operators (an API key made with `registry apikey create "
                            "--platform`)", code="platform_required", field=field)
        if principal.person is None:
            scopes = [r.removeprefix("key:") for r in self.allowed_roles(op, _KEY_ROLES)]
            if not scopes:
                raise Forbidden(message or f"{op} is done by people, not systems", code="person_required",
                                field=field)
            raise Forbidden(f"this API key lacks the scope for {op} (one of: {', '.join(scopes)})",
                            code="missing_scope", field=field)
        if code is None:
            people = self.allowed_roles(op, PERSON_ROLES)
            code = {("admin",): "admin_required", ("admin", "auditor"): "auditor_required"}.get(
                tuple(people), "not_permitted")
        raise Forbidden(message or f"you may not {op} here", code=code, field=field)


_QUIET = logging.getLogger("registry.access.casbin")
_QUIET.setLevel(logging.ERROR)
_KEY_ROLES = ("key:check", "key:record", "key:read", "key:write", "key:admin", "key:scim")


@functools.cache
def access() -> Access:
    """The process's policy, loaded once."""
    return Access()
